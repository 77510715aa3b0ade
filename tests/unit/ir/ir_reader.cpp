// IR reader: the hand-written fixtures in tests/data/ir (equivalents of real OpenVINO files: v10 with
// a Const output port id="1", v11 dynamic/scalar/u8/i8 models, FP16-compressed weights) load and run;
// malformed files fail with one clear error naming the file and the layer.

#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

#include "ir_test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>    // count
#include <cctype>       // isdigit
#include <cmath>        // nearbyint
#include <cstddef>      // size_t, ptrdiff_t
#include <fstream>      // ofstream
#include <string>       // string
#include <vector>       // vector

namespace ops = moir::ops;
using moir::element_type;
using moir::model;
using moir::partial_shape;
using moir::tensor;
using moir_test::expect_error;
using moir_test::ir_fixture;

namespace {

std::vector<tensor> run(const model& m, const std::vector<tensor>& in) { return moir::reference_executor<>(m).run(in); }

std::string replace(std::string s, const std::string& from, const std::string& to) {
    const auto at = s.find(from);
    REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not in the text");
    s.replace(at, from.size(), to);
    return s;
}

/// A minimal v11 IR: Parameter f32[1,2] + Const f32[1,2] -> Add -> Result, with an 8-byte .bin.
const std::string small_ir = R"(<?xml version="1.0"?>
<net name="small" version="11">
	<layers>
		<layer id="0" name="x" type="Parameter" version="opset1">
			<data shape="1,2" element_type="f32"/>
			<output><port id="0" precision="FP32"><dim>1</dim><dim>2</dim></port></output>
		</layer>
		<layer id="1" name="w" type="Const" version="opset1">
			<data element_type="f32" shape="1,2" offset="0" size="8"/>
			<output><port id="0" precision="FP32"><dim>1</dim><dim>2</dim></port></output>
		</layer>
		<layer id="2" name="sum" type="Add" version="opset1">
			<input><port id="0"/><port id="1"/></input>
			<output><port id="2" precision="FP32"><dim>1</dim><dim>2</dim></port></output>
		</layer>
		<layer id="3" name="out" type="Result" version="opset1">
			<input><port id="0"/></input>
		</layer>
	</layers>
	<edges>
		<edge from-layer="0" from-port="0" to-layer="2" to-port="0"/>
		<edge from-layer="1" from-port="0" to-layer="2" to-port="1"/>
		<edge from-layer="2" from-port="2" to-layer="3" to-port="0"/>
	</edges>
</net>
)";
const std::string small_bin("\x00\x00\x80\x3f\x00\x00\x00\x40", 8);  // 1.0f, 2.0f

model read_small(const std::string& xml, const std::string& bin = small_bin) {
    return moir::ir::deserialize(xml, bin, "model.xml", "model.bin");
}

}  // namespace

TEST_CASE("fixture v10: Const with output port id=1, meta_data and model rt_info ignored, input + 1") {
    const model m = moir::ir::load(ir_fixture("add_const_v10.xml"));
    CHECK(m.name == "add_const");
    REQUIRE(m.nodes.size() == 4);
    REQUIRE(m.parameters.size() == 1);
    REQUIRE(m.results.size() == 1);
    CHECK(m.input_name(0) == "x");
    CHECK(m.at(m.results[0]).name == "sum/sink_port_0");
    CHECK(m.output_name(0) == "sum/sink_port_0");
    CHECK(m.port(m.output(0)).shape == partial_shape(std::vector<std::int64_t>{1, 10}));
    const auto y = run(m, {tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 10})});
    CHECK(y[0].to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
}

TEST_CASE("fixture v10: two inputs, empty .bin") {
    const model m = moir::ir::load(ir_fixture("add_two_inputs_v10.xml"));
    REQUIRE(m.parameters.size() == 2);
    CHECK(m.input_name(0) == "lhs");
    CHECK(m.input_name(1) == "rhs");
    const auto y = run(m, {tensor::from_vector(std::vector<float>(10, 1.5f), {1, 10}),
                           tensor::from_vector(std::vector<float>(10, 2.f), {1, 10})});
    CHECK(y[0].to_vector<float>() == std::vector<float>(10, 3.5f));
}

TEST_CASE("fixture v11: f64 with a dynamic batch, \"1, 1\" const shape, rt_info and names") {
    const model m = moir::ir::load(ir_fixture("f64_dynamic_v11.xml"));
    const auto& p = m.at(m.parameters[0]);
    CHECK(p.attrs_as<ops::parameter>().element_type == element_type::f64);
    CHECK(p.attrs_as<ops::parameter>().shape == partial_shape(std::vector<std::int64_t>{-1, 10}));
    CHECK(p.outputs[0].names == std::vector<std::string>{"values:0"});
    REQUIRE(p.find_rt("fused_names"));
    CHECK(p.find_rt("fused_names")->value == "values");
    CHECK(m.port(m.output(0)).shape == partial_shape(std::vector<std::int64_t>{-1, 10}));
    CHECK(m.output_name(0) == "shifted:0");
    std::vector<double> in(30);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<double>(i);
    const auto y = run(m, {tensor::from_vector(in, {3, 10})});
    CHECK(y[0].dims() == moir::shape{3, 10});
    const auto out = y[0].to_vector<double>();
    for (std::size_t i = 0; i < in.size(); ++i) CHECK(out[i] == in[i] + 0.5);
}

TEST_CASE("fixture v11: scalars (shape=\"\", ports without dims)") {
    const model m = moir::ir::load(ir_fixture("scalar_v11.xml"));
    CHECK(m.at(m.parameters[0]).attrs_as<ops::parameter>().shape == partial_shape());
    CHECK(m.port(m.output(0)).shape == partial_shape());
    for (const auto& n : m.nodes)
        if (n.is<ops::constant>()) CHECK(n.outputs[0].names == std::vector<std::string>{"k", "k:0"});
    const auto y = run(m, {tensor::scalar(1.5f)});
    CHECK(y[0].rank() == 0);
    CHECK(y[0].to_vector<float>() == std::vector<float>{4.f});
}

TEST_CASE("fixture v11: u8 ?,? passthrough with several tensor names") {
    const model m = moir::ir::load(ir_fixture("passthrough_u8_v11.xml"));
    CHECK(m.at(m.parameters[0]).outputs[0].names == std::vector<std::string>{"image", "image:0"});
    CHECK(m.input_name(0) == "image");
    CHECK(m.at(m.parameters[0]).attrs_as<ops::parameter>().shape == partial_shape(std::vector<std::int64_t>{-1, -1}));
    const std::vector<std::uint8_t> in{0, 1, 2, 253, 254, 255};
    const auto y = run(m, {tensor::from_vector(in, {2, 3})});
    CHECK(y[0].to_vector<std::uint8_t>() == in);
    CHECK(y[0].dims() == moir::shape{2, 3});
}

TEST_CASE("fixture v11: i8, two Results, inputs and outputs in file order (not id order)") {
    const model m = moir::ir::load(ir_fixture("two_results_i8_v11.xml"));
    REQUIRE(m.parameters.size() == 2);
    REQUIRE(m.results.size() == 2);
    CHECK(m.input_name(0) == "a");
    CHECK(m.input_name(1) == "b");
    CHECK(m.at(m.results[0]).name == "product_out");
    CHECK(m.at(m.results[1]).name == "sum_out");
    std::vector<std::int8_t> a(10), b(10);
    for (int i = 0; i < 10; ++i) {
        a[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(i - 5);
        b[static_cast<std::size_t>(i)] = static_cast<std::int8_t>(3);
    }
    const auto y = run(m, {tensor::from_vector(a, {1, 10}), tensor::from_vector(b, {1, 10})});
    for (std::size_t i = 0; i < 10; ++i) {
        CHECK(y[0].data<std::int8_t>()[i] == static_cast<std::int8_t>(a[i] * 3));
        CHECK(y[1].data<std::int8_t>()[i] == static_cast<std::int8_t>(a[i] + 3));
    }
}

TEST_CASE("fixture v11: FP16-compressed weights (Const f16 -> Convert with decompression)") {
    const model m = moir::ir::load(ir_fixture("fp16_compressed_v11.xml"));
    bool seen_convert = false;
    for (const auto& n : m.nodes) {
        if (n.is<ops::constant>()) CHECK(n.attrs_as<ops::constant>().value.type() == element_type::f16);
        if (n.is<ops::convert>()) {
            seen_convert = true;
            CHECK(n.attrs_as<ops::convert>().destination_type == element_type::f32);
            REQUIRE(n.find_rt("decompression"));
            CHECK_FALSE(n.find_rt("decompression")->has_value);
        }
    }
    CHECK(seen_convert);
    const auto y = run(m, {tensor::from_vector(std::vector<float>{1, 1, 1, -5}, {1, 4})});
    CHECK(y[0].to_vector<float>() == std::vector<float>{2.f, 0.f, 1.5f, 0.f});
}

TEST_CASE("fixture v11: INT8 as NNCF writes it (FakeQuantize on the activation, i8 weights * scale)") {
    const model m = moir::ir::load(ir_fixture("int8_nncf_v11.xml"));
    int fqs = 0, i8 = 0;
    for (const auto& n : m.nodes) {
        if (n.is<ops::fake_quantize>()) {
            ++fqs;
            CHECK(n.attrs_as<ops::fake_quantize>().levels == 256);
            CHECK(n.attrs_as<ops::fake_quantize>().auto_broadcast == ops::auto_broadcast::numpy);
        }
        if (n.is<ops::constant>() && n.attrs_as<ops::constant>().value.type() == element_type::i8) ++i8;
    }
    CHECK(fqs == 1);
    CHECK(i8 == 1);
    const std::vector<float> x{0.123f, -1.f, 3.f, 1.f, 0.5f, 0.004f, 2.f, 0.666f};
    const auto y = run(m, {tensor::from_vector(x, {1, 2, 2, 2})});
    REQUIRE(y[0].dims() == moir::shape{1, 3, 2, 2});
    // the activation on the 0.01 grid of [0, 2.55], clamped; the weights i8 * per-channel scale
    auto q = [](float v) { return v <= 0.f ? 0.f : (v > 2.55f ? 2.55f : std::nearbyint(v / 2.55f * 255.f) / 255.f * 2.55f); };
    const float w[3][2] = {{1.27f, -0.64f}, {0.f, 2.5f}, {-31.75f, 8.25f}};
    const auto got = y[0].to_vector<float>();
    for (std::size_t o = 0; o < 3; ++o)
        for (std::size_t p = 0; p < 4; ++p) {
            const float expect = w[o][0] * q(x[p]) + w[o][1] * q(x[4 + p]);
            CHECK(got[o * 4 + p] == doctest::Approx(expect).epsilon(1e-5));
        }
}

TEST_CASE("reader: versions of layers") {
    // Add is opset1 in moir; files may say another opset: the only op of that type is taken
    const model m = read_small(replace(small_ir, "type=\"Add\" version=\"opset1\"", "type=\"Add\" version=\"opset13\""));
    CHECK(m.nodes[2].is<ops::add>());
    CHECK_NOTHROW(read_small(replace(small_ir, "type=\"Add\" version=\"opset1\"", "type=\"Add\"")));
    // IR v10 works the same
    CHECK_NOTHROW(read_small(replace(small_ir, "version=\"11\"", "version=\"10\"")));
    expect_error<moir::unsupported_error>([] { read_small(replace(small_ir, "version=\"11\"", "version=\"7\"")); },
                                          {"model.xml: IR version 7 is not supported"});
}

namespace {
// Two versions of one IR type, to check how the reader picks among them.
template <int V>
struct fake {
    static constexpr std::string_view name = V == 1 ? "fake_v1" : "fake_v5", ir_name = "Fake",
                                      ir_opset = V == 1 ? "opset1" : "opset5";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    using attrs = moir::no_attrs;
    static moir::port_descs infer(const attrs&, const moir::port_descs& in) { return {in[0]}; }
};
using fake_set = moir::type_list<ops::parameter, ops::result, fake<1>, fake<5>>;

const moir::op_info* fake_read_as(const std::string& version) {
    const std::string xml = R"(<net name="f" version="11"><layers>
        <layer id="0" name="x" type="Parameter" version="opset1"><data shape="1" element_type="f32"/>
            <output><port id="0"/></output></layer>
        <layer id="1" name="f" type="Fake" )" + version + R"(><input><port id="0"/></input><output><port id="1"/></output></layer>
        <layer id="2" name="r" type="Result" version="opset1"><input><port id="0"/></input></layer>
        </layers><edges><edge from-layer="0" from-port="0" to-layer="1" to-port="0"/>
        <edge from-layer="1" from-port="1" to-layer="2" to-port="0"/></edges></net>)";
    return moir::ir::deserialize<fake_set>(xml, "").nodes[1].op;
}
}  // namespace

TEST_CASE("reader: several ops of one type: exact opset, else the newest not newer than the file's") {
    const auto* v1 = &moir::info_of<fake<1>>();
    const auto* v5 = &moir::info_of<fake<5>>();
    CHECK(fake_read_as("version=\"opset1\"") == v1);
    CHECK(fake_read_as("version=\"opset5\"") == v5);
    CHECK(fake_read_as("version=\"opset3\"") == v1);
    CHECK(fake_read_as("version=\"opset9\"") == v5);
    CHECK(fake_read_as("version=\"experimental\"") == v5);
    expect_error<moir::unsupported_error>([] { fake_read_as("version=\"opset0\""); },
                                          {"unsupported layer types: Fake (version opset0) (1 layer)"});
}

TEST_CASE("the opset-wide tables are built in slices that together hold every op once, in order") {
    using all = moir::opsets::all;
    std::vector<std::size_t> seen(all::size, 0);
    auto visit_part = [&](auto part) {
        std::size_t last = 0;
        bool first = true;
        moir::for_each_type_in_part<decltype(part)::value, moir::detail::table_parts>(all{}, [&](auto tag) {
            const std::size_t i = moir::index_of_v<typename decltype(tag)::type, all>;
            CHECK(i % moir::detail::table_parts == decltype(part)::value);
            CHECK((first || i > last));
            first = false;
            last = i;
            ++seen[i];
        });
    };
    moir::detail::for_each_table_part(visit_part);
    CHECK(std::count(seen.begin(), seen.end(), std::size_t{1}) == static_cast<std::ptrdiff_t>(all::size));
    // the tables compiled in slices (moir::compiled, cmake/compiled/tables.cpp.in) hold the whole opset
    CHECK(moir::detail::reference_table<all>().size() == all::size);
    CHECK(moir::ir::detail::writer_table<all>().size() == all::size);
    std::size_t read = 0;
    for (const auto& [type, entries] : moir::ir::detail::reader_table<all>()) read += entries.size();
    CHECK(read == all::size);
}

TEST_CASE("reader: ops of one IR type keep their opset order when their slices are filled out of order") {
    // fake<1> is at position 3 (slice 3), fake<5> at position 4 (slice 0, filled first)
    using set = moir::type_list<ops::parameter, ops::result, ops::add, fake<1>, fake<5>>;
    const auto& entries = moir::ir::detail::reader_table<set>().at("Fake");
    REQUIRE(entries.size() == 2);
    CHECK(entries[0].info == &moir::info_of<fake<1>>());
    CHECK(entries[1].info == &moir::info_of<fake<5>>());
}

TEST_CASE("reader: unsupported layer types are listed all at once, with counts") {
    std::string xml = R"(<?xml version="1.0"?>
<net name="u" version="11"><layers>
<layer id="0" name="a" type="Foo" version="opset1"/>
<layer id="1" name="b" type="Bar" version="opset3"/>
<layer id="2" name="c" type="Foo" version="opset1"/>
<layer id="3" name="d" type="ReLU" version="opset1"/>
<layer id="4" name="e" type="Foo" version="extension"/>
</layers><edges/></net>)";
    const auto msg = expect_error<moir::unsupported_error>([&] { moir::ir::deserialize(xml, "", "model.xml"); }, {});
    CHECK(msg == "model.xml: unsupported layer types: Foo (3 layers), Bar (1 layer)");
}

TEST_CASE("reader: bad .bin references") {
    // offset beyond the file
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "offset=\"0\" size=\"8\"", "offset=\"16\" size=\"8\"")); },
        {"model.xml: layer 'w' (id 1)", "offset=16, size=8", "outside the weights file 'model.bin' (8 bytes)"});
    // offset + size wraps around
    expect_error<moir::parse_error>(
        [] {
            read_small(replace(replace(small_ir, "offset=\"0\" size=\"8\"", "offset=\"18446744073709551615\" size=\"1\""),
                               "shape=\"1,2\" offset", "shape=\"1\" offset"),
                       small_bin);
        },
        {"layer 'w' (id 1)"});
    {
        // with a u8 Const the size matches, so the bounds check itself must catch the wrap
        std::string xml = replace(small_ir, "element_type=\"f32\" shape=\"1,2\" offset=\"0\" size=\"8\"",
                                  "element_type=\"u8\" shape=\"1\" offset=\"18446744073709551615\" size=\"1\"");
        expect_error<moir::parse_error>([&] { read_small(xml); },
                                        {"layer 'w' (id 1)", "offset=18446744073709551615, size=1", "outside the weights file"});
    }
    // a truncated .bin
    expect_error<moir::parse_error>([] { read_small(small_ir, small_bin.substr(0, 5)); },
                                    {"layer 'w' (id 1)", "outside the weights file 'model.bin' (5 bytes)"});
    // size does not match the shape
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "offset=\"0\" size=\"8\"", "offset=\"0\" size=\"4\"")); },
        {"layer 'w' (id 1)", "size=4 does not match shape [1,2] of f32 (8 bytes)"});
    // numbers that do not fit
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "offset=\"0\" size=\"8\"", "offset=\"18446744073709551616\" size=\"8\"")); },
        {"layer 'w' (id 1)", "attribute 'offset'", "out of range"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "shape=\"1,2\" offset", "shape=\"4294967296,4294967296,16\" offset")); },
        {"layer 'w' (id 1)", "too large"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "shape=\"1,2\" offset", "shape=\"1,?\" offset")); },
        {"layer 'w' (id 1)", "shape '1,?' is not static"});
    expect_error<moir::parse_error>([] { read_small(replace(small_ir, " offset=\"0\"", "")); },
                                    {"layer 'w' (id 1)", "missing attribute 'offset'"});
    expect_error<moir::unsupported_error>(
        [] { read_small(replace(small_ir, "element_type=\"f32\" shape=\"1,2\" offset", "element_type=\"u1\" shape=\"1,2\" offset")); },
        {"model.xml: layer 'w' (id 1)", "'u1' is not supported"});
    expect_error<moir::unsupported_error>(
        [] { read_small(replace(small_ir, "element_type=\"f32\" shape=\"1,2\" offset", "element_type=\"string\" shape=\"1,2\" offset")); },
        {"layer 'w' (id 1)", "'string' is not supported"});
    expect_error<moir::unsupported_error>(
        [] { read_small(replace(small_ir, "element_type=\"f32\" shape=\"1,2\" offset", "element_type=\"i4\" shape=\"1,2\" offset")); },
        {"layer 'w' (id 1)", "'i4' is not supported"});
}

TEST_CASE("reader: bad .bin files on disk") {
    moir_test::scratch_dir dir("bin");
    const std::string xml_path = dir.file("m.xml");
    {
        std::ofstream(xml_path) << small_ir;
    }
    // no .bin at all
    expect_error<moir::parse_error>([&] { moir::ir::load(xml_path); },
                                    {"m.xml: layer 'w' (id 1)", "weights file '" + dir.file("m.bin") + "' cannot be read"});
    // a .bin too short for the offset
    {
        std::ofstream(dir.file("m.bin"), std::ios::binary) << std::string("\x01\x02\x03", 3);
    }
    expect_error<moir::parse_error>([&] { moir::ir::load(xml_path); }, {"m.xml: layer 'w' (id 1)", "(3 bytes)"});
    // the right one, under another name
    {
        std::ofstream(dir.file("weights.data"), std::ios::binary) << small_bin;
    }
    const model m = moir::ir::load(xml_path, dir.file("weights.data"));
    const auto y = run(m, {tensor::from_vector(std::vector<float>{10, 20}, {1, 2})});
    CHECK(y[0].to_vector<float>() == std::vector<float>{11, 22});
    expect_error<moir::error>([&] { moir::ir::load(dir.file("absent.xml")); }, {"absent.xml"});
}

TEST_CASE("reader: structural errors name the file and the layer") {
    expect_error<moir::parse_error>([] { read_small(replace(small_ir, "<net name", "<network name")); },
                                    {"model.xml:", "mismatched end tag </net>, expected </network>"});
    expect_error<moir::parse_error>(
        [] { read_small("<?xml version=\"1.0\"?><model version=\"11\"/>"); },
        {"model.xml: the root element is <model>, expected <net>"});
    expect_error<moir::parse_error>([] { read_small("<net version=\"11\"/>"); }, {"model.xml: <net> has no <layers>"});
    expect_error<moir::parse_error>([] { read_small(replace(small_ir, "version=\"11\"", "")); },
                                    {"missing attribute 'version'"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "<layer id=\"2\" name=\"sum\"", "<layer name=\"sum\"")); },
        {"model.xml: layer 'sum'", "missing attribute 'id'"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "<layer id=\"2\" name=\"sum\"", "<layer id=\"two\" name=\"sum\"")); },
        {"model.xml: layer 'sum'", "attribute 'id'='two'"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "<layer id=\"2\" name=\"sum\"", "<layer id=\"1\" name=\"sum\"")); },
        {"model.xml: layer 'sum' (id 1): duplicate layer id 1", "layer 'w'"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "name=\"sum\" type=\"Add\"", "name=\"sum\"")); },
        {"model.xml: layer 'sum' (id 2): missing attribute 'type'"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "to-layer=\"2\" to-port=\"1\"", "to-layer=\"2\" to-port=\"5\"")); },
        {"model.xml: layer 'sum' (id 2)", "has no input port 5"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "from-layer=\"1\" from-port=\"0\"", "from-layer=\"1\" from-port=\"3\"")); },
        {"model.xml: layer 'sum' (id 2)", "layer 'w' (id 1) has no output port 3"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "from-layer=\"1\" from-port=\"0\"", "from-layer=\"9\" from-port=\"0\"")); },
        {"model.xml: layer 'sum' (id 2)", "layer id 9 does not exist"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "to-layer=\"3\"", "to-layer=\"42\"")); },
        {"model.xml: layer 'sum' (id 2)", "layer id 42 does not exist"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "<edge from-layer=\"1\" from-port=\"0\" to-layer=\"2\" to-port=\"1\"/>", "")); },
        {"model.xml: layer 'sum' (id 2): input port 1 has no incoming edge"});
    expect_error<moir::parse_error>(
        [] {
            read_small(replace(small_ir, "to-layer=\"2\" to-port=\"1\"/>",
                               "to-layer=\"2\" to-port=\"1\"/><edge from-layer=\"0\" from-port=\"0\" to-layer=\"2\" to-port=\"1\"/>"));
        },
        {"model.xml: layer 'sum' (id 2): input port 1 has more than one incoming edge"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "from-layer=\"2\" from-port=\"2\"", "from-port=\"2\"")); },
        {"model.xml: <edge> at line", "missing attribute 'from-layer'"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "<input><port id=\"0\"/><port id=\"1\"/></input>", "<input><port id=\"0\"/><port id=\"0\"/></input>")); },
        {"model.xml: layer 'sum' (id 2): duplicate port id 0"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "<dim>1</dim><dim>2</dim></port></output>\n\t\t</layer>\n\t\t<layer id=\"1\"",
                                "<dim>1</dim><dim>two</dim></port></output>\n\t\t</layer>\n\t\t<layer id=\"1\"")); },
        {"model.xml: layer 'x' (id 0): port 0", "'two'"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "<data shape=\"1,2\" element_type=\"f32\"/>", "<data element_type=\"f32\"/>")); },
        {"model.xml: layer 'x' (id 0): missing attribute 'shape'"});
    expect_error<moir::parse_error>(
        [] { read_small(replace(small_ir, "<data shape=\"1,2\" element_type=\"f32\"/>", "<data shape=\"1,2x\" element_type=\"f32\"/>")); },
        {"model.xml: layer 'x' (id 0): attribute 'shape'='1,2x'"});
    expect_error<moir::parse_error>(
        [] {
            read_small(replace(small_ir, "<input><port id=\"0\"/><port id=\"1\"/></input>",
                               "<data auto_broadcast=\"sometimes\"/><input><port id=\"0\"/><port id=\"1\"/></input>"));
        },
        {"model.xml: layer 'sum' (id 2): attribute 'auto_broadcast'='sometimes'", "expected one of"});
}

TEST_CASE("reader: cycles and validation failures") {
    // sum reads its own output through a ReLU: x -> sum(x, relu(sum)) -> relu -> ...
    const std::string cyclic = R"(<net name="c" version="11"><layers>
        <layer id="0" name="x" type="Parameter" version="opset1"><data shape="2" element_type="f32"/><output><port id="0"/></output></layer>
        <layer id="1" name="sum" type="Add" version="opset1"><input><port id="0"/><port id="1"/></input><output><port id="2"/></output></layer>
        <layer id="2" name="act" type="ReLU" version="opset1"><input><port id="0"/></input><output><port id="1"/></output></layer>
        <layer id="3" name="out" type="Result" version="opset1"><input><port id="0"/></input></layer>
        </layers><edges>
        <edge from-layer="0" from-port="0" to-layer="1" to-port="0"/>
        <edge from-layer="2" from-port="1" to-layer="1" to-port="1"/>
        <edge from-layer="1" from-port="2" to-layer="2" to-port="0"/>
        <edge from-layer="2" from-port="1" to-layer="3" to-port="0"/>
        </edges></net>)";
    const auto msg = expect_error<moir::parse_error>([&] { moir::ir::deserialize(cyclic, "", "cyc.xml"); },
                                                     {"cyc.xml: layer '", "part of a cycle"});
    CHECK((msg.find("'sum'") != std::string::npos || msg.find("'act'") != std::string::npos));

    expect_error<moir::shape_error>(
        [] { read_small(replace(small_ir, "shape=\"1,2\" element_type=\"f32\"", "shape=\"1,3\" element_type=\"f32\"")); },
        {"model.xml: node 'sum' (Add)", "cannot be broadcast"});
    expect_error<moir::shape_error>(
        [] {
            read_small(replace(replace(small_ir, "<input><port id=\"0\"/></input>\n\t\t</layer>\n\t</layers>", "</layer>\n\t</layers>"),
                               "<edge from-layer=\"2\" from-port=\"2\" to-layer=\"3\" to-port=\"0\"/>", ""));
        },
        {"model.xml: node 'out' (Result): has 0 inputs"});
}

TEST_CASE("reader: port names, rt_info, dead layers") {
    std::string xml = replace(small_ir, "<output><port id=\"2\" precision=\"FP32\">",
                              "<rt_info><attribute name=\"fused_names\" version=\"0\" value=\"a,b\"/>"
                              "<attribute name=\"precise\" version=\"0\"/></rt_info>"
                              "<output><port id=\"2\" precision=\"FP32\" names=\"s\\,1,s2,,\">");
    // a Const that feeds nothing: dropped
    xml = replace(xml, "<layer id=\"3\"", "<layer id=\"7\" name=\"unused\" type=\"Const\" version=\"opset1\">"
                                          "<data element_type=\"f32\" shape=\"1\" offset=\"4\" size=\"4\"/>"
                                          "<output><port id=\"0\"/></output></layer>\n<layer id=\"3\"");
    const model m = read_small(xml);
    CHECK(m.nodes.size() == 4);
    const auto& sum = m.nodes[2];
    CHECK(sum.name == "sum");
    CHECK(sum.outputs[0].names == std::vector<std::string>{"s,1", "s2"});
    REQUIRE(sum.rt_info.size() == 2);
    CHECK(sum.rt_info[0] == moir::rt_attribute{"fused_names", "0", "a,b", true});
    CHECK(sum.rt_info[1] == moir::rt_attribute{"precise", "0", "", false});
    CHECK(m.output_name(0) == "s,1");
    const auto y = run(m, {tensor::from_vector(std::vector<float>{1, 1}, {1, 2})});
    CHECK(y[0].to_vector<float>() == std::vector<float>{2, 3});
}

TEST_CASE("reader: damaged fixtures fail with moir errors only") {
    // Every line removed, every number replaced by odd values, every truncation: the reader either
    // reads a model or throws a moir::error; nothing else escapes (and the sanitizers stay quiet).
    std::size_t attempts = 0, failures = 0;
    const auto attempt = [&](const std::string& xml, const std::string& bin, const std::string& what) {
        ++attempts;
        try {
            moir::ir::deserialize(xml, bin, "damaged.xml", "damaged.bin");
        } catch (const moir::error&) {
            ++failures;
        } catch (const std::exception& e) {
            FAIL_CHECK(what << ": escaped a non-moir exception: " << e.what());
        }
    };
    for (const char* name : {"add_const_v10", "f64_dynamic_v11", "scalar_v11", "two_results_i8_v11",
                             "fp16_compressed_v11"}) {
        INFO(name);
        const std::string xml = moir::ir::xml::read_file(ir_fixture(std::string(name) + ".xml"));
        const std::string bin = moir::ir::xml::read_file(ir_fixture(std::string(name) + ".bin"));
        std::vector<std::size_t> line_starts{0};
        for (std::size_t i = 0; i < xml.size(); ++i)
            if (xml[i] == '\n') line_starts.push_back(i + 1);
        for (std::size_t l = 0; l + 1 < line_starts.size(); ++l)
            attempt(xml.substr(0, line_starts[l]) + xml.substr(line_starts[l + 1]), bin, "line " + std::to_string(l));
        for (std::size_t i = 0; i < xml.size(); ++i) {
            if (!std::isdigit(static_cast<unsigned char>(xml[i])) || (i > 0 && std::isdigit(static_cast<unsigned char>(xml[i - 1]))))
                continue;
            std::size_t e = i;
            while (e < xml.size() && std::isdigit(static_cast<unsigned char>(xml[e]))) ++e;
            for (const char* v : {"-1", "0", "7", "4294967296", "99999999999999999999", "x"})
                attempt(xml.substr(0, i) + v + xml.substr(e), bin, "number at " + std::to_string(i) + " -> " + v);
        }
        for (std::size_t n = 0; n < xml.size(); n += 3) attempt(xml.substr(0, n), bin, "prefix " + std::to_string(n));
        for (std::size_t n = 0; n < bin.size(); ++n) attempt(xml, bin.substr(0, n), "bin prefix " + std::to_string(n));
    }
    CHECK(attempts > 1000);
    CHECK(failures > 0);
    MESSAGE(attempts << " damaged files, " << failures << " rejected");
}
