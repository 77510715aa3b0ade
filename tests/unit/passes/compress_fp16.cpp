// FP16 weight compression: which constants are compressed and how (f16 Const -> Convert f32 with
// the "decompression" rt_info), that folding leaves them alone, that the IR keeps them and reads
// OpenVINO's other form, and that outputs stay close; compare_models (what --check runs).

#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/compare_models.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

namespace {

using namespace moir;

std::vector<float> wave(std::size_t n, float scale) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<float>(i) * 0.61f) * scale;
    return v;
}

/// x [1,3,6,6] -> Conv(w: 4x3x3x3) -> Add(bias [1,4,1,1]) -> Reshape(shape const i64) -> Multiply(big)
model small_model(float big_value) {
    model m;
    const node_id x = m.add<ops::parameter>({element_type::f32, partial_shape({1, 3, 6, 6})}, {}, "x");
    m.parameters.push_back(x);
    const node_id w = m.add<ops::constant>({tensor::from_vector(wave(4 * 3 * 3 * 3, 0.7f), {4, 3, 3, 3})}, {}, "w");
    ops::convolution::attrs ca;
    ca.strides = {1, 1};
    ca.dilations = {1, 1};
    ca.pads_begin = {0, 0};
    ca.pads_end = {0, 0};
    const node_id conv = m.add<ops::convolution>(ca, {{x, 0}, {w, 0}}, "conv");
    const node_id b = m.add<ops::constant>({tensor::from_vector(wave(4, 0.3f), {1, 4, 1, 1})}, {}, "bias");
    const node_id add = m.add<ops::add>({}, {{conv, 0}, {b, 0}}, "add");
    const node_id shp = m.add<ops::constant>({tensor::from_vector(std::vector<std::int64_t>{1, 64}, {2})}, {}, "shape");
    const node_id rs = m.add<ops::reshape>({false}, {{add, 0}, {shp, 0}}, "reshape");
    std::vector<float> scale(64, 1.0f);
    scale[5] = big_value;  // 1e6 does not fit f16: that constant must stay f32
    const node_id s = m.add<ops::constant>({tensor::from_vector(scale, {1, 64})}, {}, "scale");
    const node_id mul = m.add<ops::multiply>({}, {{rs, 0}, {s, 0}}, "mul");
    const node_id r = m.add<ops::result>({}, {{mul, 0}}, "y");
    m.results.push_back(r);
    m.validate();
    return m;
}

std::size_t count_decompressions(const model& m) {
    std::size_t n = 0;
    for (const auto& nd : m.nodes) n += passes::is_decompression(nd) ? 1 : 0;
    return n;
}

const node* find(const model& m, const std::string& name) {
    for (const auto& n : m.nodes)
        if (n.name == name) return &n;
    return nullptr;
}

}  // namespace

TEST_CASE("compress_fp16 stores float weights as f16 + decompression Convert, and leaves the rest alone") {
    const model original = small_model(1e6f);
    model m = original;
    passes::pass_context ctx;
    passes::compress_weights_to_fp16(m, ctx);
    // w and bias compressed; the i64 shape and the out-of-range scale are not
    CHECK(count_decompressions(m) == 2);
    for (const char* name : {"w", "bias"}) {
        const node* cv = find(m, name);
        REQUIRE(cv);
        CHECK(cv->is<ops::convert>());
        REQUIRE(cv->find_rt("decompression"));
        CHECK(!cv->find_rt("decompression")->has_value);
        const node& c = m.nodes[cv->inputs.at(0).node];
        CHECK(c.name == std::string(name) + "_compressed");
        CHECK(c.attrs_as<ops::constant>().value.type() == element_type::f16);
    }
    CHECK(find(m, "scale")->attrs_as<ops::constant>().value.type() == element_type::f32);
    CHECK(find(m, "shape")->attrs_as<ops::constant>().value.type() == element_type::i64);

    // a second run and the optimizer leave the compressed form as it is
    passes::compress_weights_to_fp16(m, ctx);
    passes::optimize(m, ctx);
    CHECK(count_decompressions(m) == 2);

    // close to the f32 model, not equal to it
    const auto d = compare_models<>(original, m, 3);
    CHECK(d.finite);
    CHECK(d.max_abs_err > 0);
    CHECK(d.relative() < 1e-3);

    // decompress_constants folds them back
    model back = m;
    CHECK(passes::decompress_constants(back) == 2);
    CHECK(count_decompressions(back) == 0);
}

TEST_CASE("compressed IR: written as OpenVINO writes it, read back, bin about half the size") {
    const model original = small_model(1.0f);
    model m = original;
    passes::pass_context ctx;
    passes::compress_weights_to_fp16(m, ctx);
    const auto f32 = ir::serialize<>(original);
    const auto f16 = ir::serialize<>(m);
    CHECK(f16.xml.find("<attribute name=\"decompression\" version=\"0\"/>") != std::string::npos);
    CHECK(f16.xml.find("name=\"w_compressed\" type=\"Const\"") != std::string::npos);
    CHECK(f16.xml.find("element_type=\"f16\"") != std::string::npos);
    // w, bias, scale compressed (64 + 108 + 4 floats -> halves); the i64 shape stays
    CHECK(f16.bin.size() == (108 + 4 + 64) * 2 + 16);
    CHECK(f32.bin.size() == (108 + 4 + 64) * 4 + 16);

    const model back = ir::deserialize<>(f16.xml, f16.bin);
    CHECK(count_decompressions(back) == 3);
    const auto d = compare_models<>(m, back, 2);
    CHECK(d.max_abs_err == 0);
}

TEST_CASE("the IR reader accepts an f16 Const marked decompression read directly by an f32 op") {
    const model original = small_model(1.0f);
    model m = original;
    passes::pass_context ctx;
    passes::compress_weights_to_fp16(m, ctx);
    auto text = ir::serialize<>(m);
    // rewrite the bias into the other form: Const f16 carrying the marker feeds the Add directly
    std::string& xml = text.xml;
    const auto convert_at = xml.find("name=\"bias\" type=\"Convert\"");
    REQUIRE(convert_at != std::string::npos);
    // moir cannot build that form (an f16 + f32 Add does not validate), so patch the XML of `m`
    std::string patched = xml;
    const auto layer_begin = patched.rfind("<layer", convert_at);
    const auto layer_end = patched.find("</layer>", convert_at) + std::string("</layer>").size();
    const std::string layer = patched.substr(layer_begin, layer_end - layer_begin);
    const auto id_at = layer.find("id=\"") + 4;
    const std::string convert_id = layer.substr(id_at, layer.find('"', id_at) - id_at);
    patched.erase(layer_begin, layer_end - layer_begin);
    // the Const "bias_compressed" gets the marker and its edge goes straight to the Add's port
    const auto const_at = patched.find("name=\"bias_compressed\" type=\"Const\"");
    REQUIRE(const_at != std::string::npos);
    const auto data_end = patched.find("/>", patched.find("<data", const_at)) + 2;
    patched.insert(data_end, "<rt_info><attribute name=\"decompression\" version=\"0\"/></rt_info>");
    const auto cid_at = patched.rfind("id=\"", const_at) + 4;
    const std::string const_id = patched.substr(cid_at, patched.find('"', cid_at) - cid_at);
    // edge const -> convert (to-port 0) removed; edge convert -> add becomes const -> add
    const std::string e1 = "<edge from-layer=\"" + const_id + "\" from-port=\"0\" to-layer=\"" + convert_id + "\" to-port=\"0\"/>";
    const auto e1_at = patched.find(e1);
    REQUIRE(e1_at != std::string::npos);
    patched.erase(e1_at, e1.size());
    const std::string from = "<edge from-layer=\"" + convert_id + "\" from-port=\"1\"";
    const auto e2_at = patched.find(from);
    REQUIRE(e2_at != std::string::npos);
    patched.replace(e2_at, from.size(), "<edge from-layer=\"" + const_id + "\" from-port=\"0\"");

    const model back = ir::deserialize<>(patched, text.bin);
    CHECK(count_decompressions(back) == 3);  // the reader inserted the Convert again
    const auto d = compare_models<>(m, back, 2);
    CHECK(d.max_abs_err == 0);
}

TEST_CASE("compare_models: random inputs, the largest difference, clear errors") {
    const model a = small_model(1.0f);
    model b = a;
    for (auto& n : b.nodes)
        if (n.name == "bias") n.attrs_as<ops::constant>().value = tensor::from_vector(std::vector<float>{0, 0, 0, 1}, {1, 4, 1, 1});
    b.validate();
    const auto d = compare_models<>(a, b, 2);
    CHECK(d.max_abs_err > 0.5);
    CHECK(d.worst_output == "y");

    model dyn = a;
    dyn.at(dyn.parameters[0]).attrs_as<ops::parameter>().shape = partial_shape({1, 3, dynamic_dim, 6});
    CHECK_THROWS_WITH_AS(compare_models<>(dyn, a, 1), doctest::Contains("dynamic shape"), error);
}
