// IR writer + reader: read(write(m)) gives back the same model for a model built here with many ops
// (dynamic dims, constants of several types, FP16-compressed weights with rt_info, two outputs,
// names with commas); the written XML follows OpenVINO's layout; save() is atomic.

#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

#include "ir_test_util.hpp"

#include <boost/pfr/ops.hpp>
#include <doctest/doctest.h>

#include <cmath>       // fabs
#include <filesystem>  // exists, file_size
#include <fstream>     // ofstream
#include <string>      // string
#include <vector>      // vector

namespace ops = moir::ops;
using moir::element_type;
using moir::model;
using moir::output_ref;
using moir::partial_shape;
using moir::tensor;

namespace {

std::vector<float> ramp(std::size_t n, float scale, float offset = 0.f) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i) * scale + offset;
    return v;
}

/// Parameter[?,3,?,?] -> Convolution(3x3, pad 1) -> + Convert(f16 bias, decompression) -> ReLU
/// -> MaxPool(2x2) -> { Sigmoid * 2 + 2 -> Result "sig" ; Reshape(0,-1) -> Softmax -> Result "probs" }
model build_model() {
    model m;
    m.name = "roundtrip";
    const auto x = m.add<ops::parameter>({element_type::f32, partial_shape(std::vector<std::int64_t>{-1, 3, -1, -1})},
                                         {}, "input");
    m.parameters.push_back(x);
    const auto w = m.add<ops::constant>({tensor::from_vector(ramp(4 * 3 * 3 * 3, 0.01f, -0.5f), {4, 3, 3, 3})}, {},
                                        "conv.weight");
    ops::convolution::attrs ca;
    ca.strides = {1, 1};
    ca.dilations = {1, 1};
    ca.pads_begin = {1, 1};
    ca.pads_end = {1, 1};
    const auto conv = m.add<ops::convolution>(ca, {{x, 0}, {w, 0}}, "conv");
    std::vector<moir::half> bias16;
    for (float f : {0.5f, -1.f, 0.25f, 2.f}) bias16.push_back(moir::half(f));
    const auto b16 = m.add<ops::constant>({tensor::from_vector(bias16, {1, 4, 1, 1})}, {}, "conv.bias_compressed");
    const auto b = m.add<ops::convert>({element_type::f32}, {{b16, 0}}, "conv.bias");
    m.at(b).rt_info.push_back(moir::rt_attribute{"decompression", "0", "", false});
    const auto add = m.add<ops::add>({}, {{conv, 0}, {b, 0}}, "conv.add");
    m.at(add).rt_info.push_back(moir::rt_attribute{"fused_names", "0", "conv,conv.add", true});
    const auto relu = m.add<ops::relu>({}, {{add, 0}}, "relu");
    ops::max_pool::attrs pa;
    pa.kernel = {2, 2};
    pa.strides = {2, 2};
    pa.pads_begin = {0, 0};
    pa.pads_end = {0, 0};
    const auto pool = m.add<ops::max_pool>(pa, {{relu, 0}}, "pool");
    const auto sig = m.add<ops::sigmoid>({}, {{pool, 0}}, "sigmoid");
    // two constants with equal bytes: the writer stores them once
    const auto two_a = m.add<ops::constant>({tensor::from_vector(std::vector<float>{2.f}, {1})}, {}, "two_a");
    const auto two_b = m.add<ops::constant>({tensor::from_vector(std::vector<float>{2.f}, {1})}, {}, "two_b");
    const auto mul = m.add<ops::multiply>({}, {{sig, 0}, {two_a, 0}}, "scaled");
    const auto shifted = m.add<ops::add>({ops::auto_broadcast::numpy}, {{mul, 0}, {two_b, 0}}, "shifted");
    const auto target = m.add<ops::constant>({tensor::from_vector(std::vector<std::int64_t>{0, -1}, {2})}, {}, "flat.shape");
    const auto flat = m.add<ops::reshape>({true}, {{pool, 0}, {target, 0}}, "flat");
    const auto soft = m.add<ops::softmax>({1}, {{flat, 0}}, "softmax");
    const auto r1 = m.add<ops::result>({}, {{shifted, 0}}, "sig");
    const auto r2 = m.add<ops::result>({}, {{soft, 0}}, "probs");
    m.results = {r1, r2};
    m.validate();
    m.at(x).outputs[0].names = {"input", "in,put"};
    m.at(soft).outputs[0].names = {"probs", "probs:0"};
    m.at(conv).outputs[0].names = {"a\\b"};
    return m;
}

/// A copy of m whose nodes are renumbered in topological order (the order the writer uses).
model in_topo_order(const model& m) {
    const auto order = m.topo_order();
    std::vector<moir::node_id> remap(m.nodes.size());
    for (std::size_t i = 0; i < order.size(); ++i) remap[order[i]] = i;
    model r;
    r.name = m.name;
    for (auto id : order) {
        moir::node n = m.nodes[id];
        for (auto& in : n.inputs) in.node = remap[in.node];
        r.nodes.push_back(std::move(n));
    }
    for (auto p : m.parameters) r.parameters.push_back(remap[p]);
    for (auto q : m.results) r.results.push_back(remap[q]);
    return r;
}

std::vector<tensor> run(const model& m, const std::vector<tensor>& in) { return moir::reference_executor<>(m).run(in); }

void check_close(const tensor& a, const tensor& b) {
    REQUIRE(a.type() == b.type());
    REQUIRE(a.dims() == b.dims());
    const auto x = a.to_vector<double>(), y = b.to_vector<double>();
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(x[i] == doctest::Approx(y[i]).epsilon(1e-6));
}

std::string slurp(const std::string& path) { return moir::ir::xml::read_file(path); }

}  // namespace

TEST_CASE("round trip: read(write(m)) is m") {
    const model m = build_model();
    const auto ir = moir::ir::serialize(m, {{"framework", "onnx"}, {"input_model", "net.onnx"}});
    const model back = moir::ir::deserialize(ir.xml, ir.bin, "rt.xml", "rt.bin");
    moir_test::check_same_model(in_topo_order(m), back);

    // attrs field by field through PFR, for a few ops
    const auto find = [&](const model& mm, const std::string& name) -> const moir::node& {
        for (const auto& n : mm.nodes)
            if (n.name == name) return n;
        FAIL("no node " << name);
        return mm.nodes.front();
    };
    CHECK(boost::pfr::eq(find(m, "conv").attrs_as<ops::convolution>(), find(back, "conv").attrs_as<ops::convolution>()));
    CHECK(boost::pfr::eq(find(m, "pool").attrs_as<ops::max_pool>(), find(back, "pool").attrs_as<ops::max_pool>()));
    CHECK(boost::pfr::eq(find(m, "input").attrs_as<ops::parameter>(), find(back, "input").attrs_as<ops::parameter>()));
    CHECK(find(back, "input").attrs_as<ops::parameter>().shape == partial_shape(std::vector<std::int64_t>{-1, 3, -1, -1}));
    CHECK(find(back, "conv.bias_compressed").attrs_as<ops::constant>().value.type() == element_type::f16);
    const auto* dec = find(back, "conv.bias").find_rt("decompression");
    REQUIRE(dec);
    CHECK_FALSE(dec->has_value);
    CHECK(back.input_name(0) == "input");
    CHECK(back.at(back.parameters[0]).outputs[0].names == std::vector<std::string>{"input", "in,put"});
    CHECK(back.output_name(0) == "sig");  // the Result's name: its producer has no tensor name
    CHECK(back.output_name(1) == "probs");
    CHECK(back.at(back.results[1]).name == "probs");

    // writing the read-back model gives the same text
    CHECK(moir::ir::serialize(back, {{"framework", "onnx"}, {"input_model", "net.onnx"}}).xml == ir.xml);

    // and both models compute the same thing
    const tensor in = tensor::from_vector(ramp(2 * 3 * 6 * 8, 0.037f, -2.f), {2, 3, 6, 8});
    const auto y0 = run(m, {in});
    const auto y1 = run(back, {in});
    REQUIRE(y0.size() == 2);
    REQUIRE(y1.size() == 2);
    CHECK(y0[0].dims() == moir::shape{2, 4, 3, 4});
    CHECK(y0[1].dims() == moir::shape{2, 48});
    check_close(y0[0], y1[0]);
    check_close(y0[1], y1[1]);
}

TEST_CASE("writer: the XML follows OpenVINO IR v11") {
    const model m = build_model();
    const auto ir = moir::ir::serialize(m, {{"framework", "onnx"}});
    const auto& x = ir.xml;
    CHECK(x.rfind("<?xml version=\"1.0\"?>\n<net name=\"roundtrip\" version=\"11\">", 0) == 0);
    CHECK(x.find("<layer id=\"0\" name=\"input\" type=\"Parameter\" version=\"opset1\">") != std::string::npos);
    CHECK(x.find("<data element_type=\"f32\" shape=\"?,3,?,?\"/>") != std::string::npos);
    CHECK(x.find("names=\"input,in\\,put\"") != std::string::npos);
    CHECK(x.find("names=\"a\\b\"") != std::string::npos);
    CHECK(x.find("<dim>-1</dim>") != std::string::npos);
    CHECK(x.find("type=\"Const\" version=\"opset1\">\n\t\t\t<data element_type=\"f16\" shape=\"1,4,1,1\"") !=
          std::string::npos);
    CHECK(x.find("<data destination_type=\"f32\"/>\n\t\t\t<rt_info>\n\t\t\t\t<attribute name=\"decompression\" "
                 "version=\"0\"/>") != std::string::npos);
    CHECK(x.find("<attribute name=\"fused_names\" version=\"0\" value=\"conv,conv.add\"/>") != std::string::npos);
    CHECK(x.find("<data strides=\"1,1\" dilations=\"1,1\" pads_begin=\"1,1\" pads_end=\"1,1\" auto_pad=\"explicit\"/>") !=
          std::string::npos);
    CHECK(x.find("<data special_zero=\"true\"/>") != std::string::npos);
    CHECK(x.find("<Runtime_version value=\"moir") != std::string::npos);
    CHECK(x.find("<conversion_parameters>\n\t\t\t<framework value=\"onnx\"/>") != std::string::npos);
    CHECK(x.find("type=\"ReLU\" version=\"opset1\">\n\t\t\t<input>") != std::string::npos);  // no empty <data>

    const auto root = moir::ir::xml::parse(x);
    const auto layers = root.child("layers")->children_named("layer");
    REQUIRE(layers.size() == m.nodes.size());
    // dense ids in order; Parameters first; inputs numbered 0..n-1 and outputs from n
    for (std::size_t i = 0; i < layers.size(); ++i) {
        CHECK(*layers[i]->find_attribute("id") == std::to_string(i));
        std::size_t n_in = 0;
        if (const auto* in = layers[i]->child("input")) {
            const auto ports = in->children_named("port");
            for (std::size_t k = 0; k < ports.size(); ++k) CHECK(*ports[k]->find_attribute("id") == std::to_string(k));
            n_in = ports.size();
        }
        if (const auto* out = layers[i]->child("output")) {
            const auto ports = out->children_named("port");
            for (std::size_t k = 0; k < ports.size(); ++k)
                CHECK(*ports[k]->find_attribute("id") == std::to_string(n_in + k));
        }
    }
    CHECK(*layers[0]->find_attribute("type") == "Parameter");
    // the two equal constants share one offset; the .bin holds each distinct tensor once
    std::string off_a, off_b;
    for (const auto* l : layers) {
        if (*l->find_attribute("name") == "two_a") off_a = *l->child("data")->find_attribute("offset");
        if (*l->find_attribute("name") == "two_b") off_b = *l->child("data")->find_attribute("offset");
    }
    CHECK_FALSE(off_a.empty());
    CHECK(off_a == off_b);
    CHECK(ir.bin.size() == 4 * 3 * 3 * 3 * 4 + 4 * 2 + 4 + 2 * 8);
    // every edge's ports exist
    const auto edges = root.child("edges")->children_named("edge");
    std::size_t n_edges = 0;
    for (const auto& n : m.nodes) n_edges += n.inputs.size();
    CHECK(edges.size() == n_edges);
}

TEST_CASE("writer: ops missing from the opset, bad models") {
    model m;
    const auto x = m.add<ops::parameter>({element_type::f32, partial_shape(std::vector<std::int64_t>{2})}, {}, "x");
    const auto act = m.add<ops::relu>({}, {{x, 0}}, "act");
    const auto r = m.add<ops::result>({}, {{act, 0}}, "y");
    m.parameters = {x};
    m.results = {r};
    using small = moir::type_list<ops::parameter, ops::constant, ops::result, ops::add>;
    moir_test::expect_error<moir::unsupported_error>([&] { moir::ir::serialize<small>(m); },
                                                     {"node 'act'", "ReLU", "not in the opset"});
    CHECK_NOTHROW(moir::ir::serialize(m));

    model unlisted = m;
    unlisted.parameters.clear();
    moir_test::expect_error<moir::error>([&] { moir::ir::serialize(unlisted); }, {"Parameter 'x'", "not listed"});
    moir_test::expect_error<moir::error>([&] { moir::ir::serialize(m, {{"bad key", "v"}}); },
                                         {"'bad key' is not a valid XML name"});
    model bad_shapes;
    const auto a = bad_shapes.add<ops::parameter>({element_type::f32, partial_shape(std::vector<std::int64_t>{2})}, {}, "a");
    const auto b = bad_shapes.add<ops::parameter>({element_type::f32, partial_shape(std::vector<std::int64_t>{3})}, {}, "b");
    const auto s = bad_shapes.add<ops::add>({}, {{a, 0}, {b, 0}}, "sum");
    bad_shapes.parameters = {a, b};
    bad_shapes.results = {bad_shapes.add<ops::result>({}, {{s, 0}}, "out")};
    moir_test::expect_error<moir::shape_error>([&] { moir::ir::serialize(bad_shapes); }, {"node 'sum'"});
}

TEST_CASE("save/load: files, defaults, atomic replacement") {
    const model m = build_model();
    moir_test::scratch_dir dir("save");
    const std::string xml = dir.file("model.xml"), bin = dir.file("model.bin");
    moir::ir::save(m, xml, bin, {{"framework", "onnx"}});
    CHECK(dir.listing().size() == 2);  // no temporaries left
    CHECK(std::filesystem::file_size(bin) == moir::ir::serialize(m).bin.size());
    const model back = moir::ir::load(xml);  // .bin found next to the .xml
    moir_test::check_same_model(in_topo_order(m), back);
    moir_test::check_same_model(back, moir::ir::load(xml, bin));
    CHECK(moir::ir::default_bin_path("/a/b/net.xml") == "/a/b/net.bin");
    CHECK(moir::ir::default_bin_path("net.model") == "net.model.bin");

    // a failing save leaves the existing files alone and no temporaries behind
    const std::string before_xml = slurp(xml), before_bin = slurp(bin);
    model unsupported = m;
    using small = moir::type_list<ops::parameter, ops::constant, ops::result>;
    CHECK_THROWS_AS(moir::ir::save<small>(unsupported, xml, bin), moir::unsupported_error);
    CHECK(slurp(xml) == before_xml);
    CHECK(slurp(bin) == before_bin);
    CHECK(dir.listing().size() == 2);

    // an I/O failure (the .bin's folder does not exist): the .xml is not created, nothing is left
    const std::string xml2 = dir.file("other.xml");
    CHECK_THROWS_AS(moir::ir::save(m, xml2, dir.file("missing/other.bin")), moir::error);
    CHECK_FALSE(std::filesystem::exists(xml2));
    CHECK(dir.listing().size() == 2);

    CHECK_THROWS_AS(moir::ir::save(m, xml, xml), moir::error);
    // overwriting works
    model small_model;
    const auto p = small_model.add<ops::parameter>({element_type::i32, partial_shape(std::vector<std::int64_t>{1})}, {}, "p");
    small_model.parameters = {p};
    small_model.results = {small_model.add<ops::result>({}, {{p, 0}}, "r")};
    moir::ir::save(small_model, xml, bin);
    CHECK(moir::ir::load(xml).nodes.size() == 2);
    CHECK(std::filesystem::file_size(bin) == 0);
    CHECK(dir.listing().size() == 2);
}

TEST_CASE("round trip: every fixture, and constants of every element type") {
    for (const char* name : {"add_const_v10", "add_two_inputs_v10", "f64_dynamic_v11", "scalar_v11",
                             "passthrough_u8_v11", "two_results_i8_v11", "fp16_compressed_v11", "int8_nncf_v11"}) {
        INFO(name);
        const model m = moir::ir::load(moir_test::ir_fixture(std::string(name) + ".xml"));
        const auto ir = moir::ir::serialize(m);
        moir_test::check_same_model(in_topo_order(m), moir::ir::deserialize(ir.xml, ir.bin));
    }
    model m;
    m.name = "constants";
    for (auto t : {element_type::f32, element_type::f16, element_type::f64, element_type::i8, element_type::i16,
                   element_type::i32, element_type::i64, element_type::u8, element_type::u16, element_type::u32,
                   element_type::u64, element_type::boolean}) {
        tensor v = tensor::from_vector(std::vector<double>{0, 1, 0, 1, 1, 0}, {2, 3}).converted(t);
        const auto c = m.add<ops::constant>({v}, {}, "c_" + std::string(moir::ir_name(t)));
        m.results.push_back(m.add<ops::result>({}, {{c, 0}}, "r_" + std::string(moir::ir_name(t))));
    }
    const auto empty = m.add<ops::constant>({tensor(element_type::f32, {0, 3})}, {}, "empty");
    m.results.push_back(m.add<ops::result>({}, {{empty, 0}}, "r_empty"));
    const auto scalar = m.add<ops::constant>({tensor::scalar(std::int64_t{-7})}, {}, "scalar");
    m.results.push_back(m.add<ops::result>({}, {{scalar, 0}}, "r_scalar"));
    m.validate();
    const auto ir = moir::ir::serialize(m);
    const model back = moir::ir::deserialize(ir.xml, ir.bin);
    moir_test::check_same_model(in_topo_order(m), back);
    const auto out = moir::reference_executor<>(back).run({});
    REQUIRE(out.size() == 14);
    CHECK(out[11].type() == element_type::boolean);
    CHECK(out[11].to_vector<int>() == std::vector<int>{0, 1, 0, 1, 1, 0});
    CHECK(out[13].to_vector<std::int64_t>() == std::vector<std::int64_t>{-7});
}
