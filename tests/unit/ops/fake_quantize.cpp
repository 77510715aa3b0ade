// FakeQuantize-1: shape inference (numpy broadcasting of the four range inputs, errors), the
// reference kernel against OpenVINO's definition (clamping at both ends, round half to even, a
// reversed input range, per-channel ranges checked against a naive formula written here, f16), and
// a model holding one surviving IR write -> read with its attributes and values.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/tensor.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/kernels/reference/all.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cmath>    // nearbyint
#include <cstddef>  // size_t
#include <cstdint>  // int32_t, int64_t
#include <random>   // mt19937, uniform_real_distribution
#include <string>   // string
#include <utility>  // move
#include <vector>   // vector

namespace {

using moir::element_type;
using moir::partial_shape;
using moir::port_desc;
using moir::port_descs;
using moir::shape;
using moir::tensor;
namespace ops = moir::ops;
using fq = ops::fake_quantize;

tensor f32(const std::vector<float>& v, const shape& s) { return tensor::from_vector<float>(v, s); }
tensor scalar(float v) { return f32({v}, {}); }
partial_shape ps(std::vector<std::int64_t> dims) { return partial_shape(std::move(dims)); }

tensor run_fq(std::int64_t levels, const std::vector<tensor>& in) {
    moir::node n;
    n.op = &moir::info_of<fq>();
    n.attrs = fq::attrs{levels, ops::auto_broadcast::numpy};
    n.name = "fq";
    return moir::evaluate_node(n, in).at(0);
}

port_descs descs(const std::vector<partial_shape>& shapes, element_type t = element_type::f32) {
    port_descs in;
    for (const auto& s : shapes) in.push_back(port_desc{t, s, {}});
    return in;
}

std::string infer_error(const fq::attrs& a, const port_descs& in) {
    try {
        fq::infer(a, in);
    } catch (const moir::error& e) {
        return e.what();
    }
    return "";
}

/// OpenVINO's formula, written out here independently of the kernel, in float.
float naive(float x, float il, float ih, float ol, float oh, float levels) {
    if (x <= (il < ih ? il : ih)) return ol;
    if (x > (il < ih ? ih : il)) return oh;
    const float q = std::nearbyint((x - il) / (ih - il) * (levels - 1.f));
    return q / (levels - 1.f) * (oh - ol) + ol;
}

}  // namespace

TEST_CASE("fake_quantize: per-tensor values, clamping at both ends") {
    // range [0, 2.55] onto 256 levels: a step of 0.01
    const tensor x = f32({-1.f, 0.f, 0.004f, 0.006f, 1.234f, 2.55f, 3.f}, {7});
    const tensor y = run_fq(256, {x, scalar(0.f), scalar(2.55f), scalar(0.f), scalar(2.55f)});
    REQUIRE(y.dims() == shape{7});
    const auto v = y.to_vector<float>();
    CHECK(v[0] == 0.f);                             // below the range -> output_low
    CHECK(v[1] == 0.f);                             // x == input_low -> output_low (x <= min)
    CHECK(v[2] == 0.f);                             // rounds down to level 0
    CHECK(v[3] == doctest::Approx(0.01f));           // rounds up to level 1
    CHECK(v[4] == doctest::Approx(1.23f));
    CHECK(v[5] == doctest::Approx(2.55f));           // x == input_high is inside: level 255
    CHECK(v[6] == 2.55f);                            // above the range -> output_high exactly
    // an output range other than the input range: levels map onto [-1, 1]
    const tensor z = run_fq(5, {f32({0.f, 0.5f, 1.f}, {3}), scalar(0.f), scalar(1.f), scalar(-1.f), scalar(1.f)});
    CHECK(z.to_vector<float>() == std::vector<float>{-1.f, 0.f, 1.f});
}

TEST_CASE("fake_quantize: the level index rounds half to even, as OpenVINO's nearbyint") {
    // levels 3 on [0, 2]: index = x, so x = 0.5 and 2.5 are exact halves
    const tensor x = f32({0.5f, 1.5f, 0.49f, 0.51f, 1.f}, {5});
    const tensor y = run_fq(3, {x, scalar(0.f), scalar(2.f), scalar(0.f), scalar(2.f)});
    // half away from zero would give 1 for 0.5; half to even gives 0 (and 2 for 1.5)
    CHECK(y.to_vector<float>() == std::vector<float>{0.f, 2.f, 0.f, 1.f, 1.f});
}

TEST_CASE("fake_quantize: a reversed input range clamps by min/max and maps through the formula") {
    // il = 2 > ih = 0: x <= 0 -> ol, x > 2 -> oh, inside (x - 2) / -2 * 2 = 2 - x levels
    const tensor y = run_fq(3, {f32({-1.f, 0.f, 0.4f, 1.f, 2.f, 3.f}, {6}), scalar(2.f), scalar(0.f), scalar(10.f),
                                scalar(20.f)});
    CHECK(y.to_vector<float>() == std::vector<float>{10.f, 10.f, 20.f, 15.f, 10.f, 20.f});
}

TEST_CASE("fake_quantize: per-channel ranges broadcast over [N, C, H, W]") {
    std::mt19937 gen(7);
    std::uniform_real_distribution<float> d(-3.f, 3.f);
    std::vector<float> xv(2 * 3 * 4 * 5);
    for (auto& v : xv) v = d(gen);
    const tensor x = f32(xv, {2, 3, 4, 5});
    const std::vector<float> il{-1.f, 0.f, -2.5f}, ih{1.f, 2.f, 0.5f};
    const tensor y = run_fq(256, {x, f32(il, {1, 3, 1, 1}), f32(ih, {3, 1, 1}), scalar(-1.f), f32({1.f, 2.f, 3.f}, {1, 3, 1, 1})});
    REQUIRE(y.dims() == shape{2, 3, 4, 5});
    const auto yv = y.to_vector<float>();
    const float oh[] = {1.f, 2.f, 3.f};
    std::size_t distinct_ends = 0;
    for (std::size_t i = 0; i < xv.size(); ++i) {
        const std::size_t c = (i / 20) % 3;
        INFO("element " << i << " channel " << c << " x " << xv[i]);
        CHECK(yv[i] == naive(xv[i], il[c], ih[c], -1.f, oh[c], 256.f));
        if (yv[i] == oh[c]) ++distinct_ends;
    }
    CHECK(distinct_ends > 0);  // the random values reach the clamped top of some channel
    // ranges per element of the last axis, the data broadcast along it
    const tensor z = run_fq(2, {f32({0.2f, 0.8f}, {2, 1}), f32({0.f, 0.5f, 1.f}, {3}), scalar(1.f), scalar(0.f), scalar(1.f)});
    REQUIRE(z.dims() == shape{2, 3});
    CHECK(z.to_vector<float>() == std::vector<float>{0.f, 0.f, 0.f, 1.f, 1.f, 0.f});
}

TEST_CASE("fake_quantize: f16 data, and integer data is refused") {
    const tensor x = f32({-1.f, 0.26f, 0.74f, 2.f}, {4}).converted(element_type::f16);
    auto h = [](float v) { return scalar(v).converted(element_type::f16); };
    const tensor y = run_fq(3, {x, h(0.f), h(1.f), h(0.f), h(1.f)});
    CHECK(y.type() == element_type::f16);
    CHECK(y.to_vector<float>() == std::vector<float>{0.f, 0.5f, 0.5f, 1.f});
    auto i = [](int v) { return tensor::from_vector<std::int32_t>({v}, {}); };
    CHECK_THROWS_AS(run_fq(3, {tensor::from_vector<std::int32_t>({1, 2}, {2}), i(0), i(1), i(0), i(1)}),
                    moir::unsupported_error);
}

TEST_CASE("fake_quantize: shape inference") {
    const fq::attrs a{256, ops::auto_broadcast::numpy};
    auto out = [&](const std::vector<partial_shape>& s) { return fq::infer(a, descs(s)).at(0).shape; };
    CHECK(out({ps({1, 8, 4, 4}), ps({}), ps({}), ps({}), ps({})}) == ps({1, 8, 4, 4}));
    CHECK(out({ps({-1, 8, -1, -1}), ps({1, 8, 1, 1}), ps({1, 8, 1, 1}), ps({1}), ps({1})}) == ps({-1, 8, -1, -1}));
    CHECK(fq::infer(a, descs({ps({2, 3}), ps({}), ps({}), ps({}), ps({})}, element_type::f16)).at(0).type ==
          element_type::f16);
    CHECK(infer_error(a, descs({ps({1, 8, 4, 4}), ps({1, 3, 1, 1}), ps({}), ps({}), ps({})})).find("input_low") !=
          std::string::npos);
    CHECK(infer_error(fq::attrs{1, ops::auto_broadcast::numpy}, descs({ps({2}), ps({}), ps({}), ps({}), ps({})}))
              .find("levels") != std::string::npos);
    port_descs mixed = descs({ps({2}), ps({}), ps({}), ps({}), ps({})});
    mixed[4].type = element_type::f16;
    CHECK(infer_error(a, mixed).find("output_high") != std::string::npos);
    const fq::attrs none{256, ops::auto_broadcast::none};
    CHECK(infer_error(none, descs({ps({2}), ps({2}), ps({2}), ps({2}), ps({2})})).empty());
    CHECK(infer_error(none, descs({ps({2}), ps({}), ps({2}), ps({2}), ps({2})})).find("none") != std::string::npos);
}

TEST_CASE("fake_quantize: IR write -> read keeps levels, auto_broadcast and the values") {
    moir::model m;
    const auto x = m.add<ops::parameter>({element_type::f32, ps({1, 2, 3})}, {}, "x");
    auto c = [&](const tensor& t, const char* name) { return m.add<ops::constant>({t}, {}, name); };
    const auto il = c(f32({-1.f, 0.f}, {1, 2, 1}), "il"), ih = c(f32({1.f, 4.f}, {1, 2, 1}), "ih");
    const auto ol = c(scalar(-1.f), "ol"), oh = c(scalar(1.f), "oh");
    const auto q = m.add<fq>({255, ops::auto_broadcast::numpy}, {{x, 0}, {il, 0}, {ih, 0}, {ol, 0}, {oh, 0}}, "fq");
    m.parameters = {x};
    m.results = {m.add<ops::result>({}, {{q, 0}}, "y")};
    m.validate();
    const auto ir = moir::ir::serialize(m);
    CHECK(ir.xml.find("type=\"FakeQuantize\" version=\"opset1\"") != std::string::npos);
    CHECK(ir.xml.find("levels=\"255\" auto_broadcast=\"numpy\"") != std::string::npos);
    const moir::model back = moir::ir::deserialize(ir.xml, ir.bin);
    bool seen = false;
    for (const auto& n : back.nodes)
        if (n.is<fq>()) {
            seen = true;
            CHECK(n.attrs_as<fq>().levels == 255);
            CHECK(n.attrs_as<fq>().auto_broadcast == ops::auto_broadcast::numpy);
        }
    CHECK(seen);
    const tensor in = f32({-2.f, 0.1f, 0.9f, 0.f, 1.f, 5.f}, {1, 2, 3});
    const auto a = moir::reference_executor<>(m).run({in}), b = moir::reference_executor<>(back).run({in});
    CHECK(a[0].to_vector<float>() == b[0].to_vector<float>());
    CHECK(a[0].to_vector<float>()[0] == -1.f);
    CHECK(a[0].to_vector<float>()[5] == 1.f);
}
