// INT8 quantization: calibration statistics (min/max, the |x| histogram and its percentile, ranges
// over inputs of several shapes, through the compiled plan), per-channel weight quantization (error
// within scale/2), and quantize_int8 on a small conv/depthwise/matmul model: the IR form NNCF writes
// (FakeQuantize before each quantized layer, one per tensor; weights Const i8 -> Convert
// (decompression) -> Multiply by a per-channel scale of the right shape), the unsigned/signed range
// choice, skipped layers, IR round trip, closeness to FP32, and that folding and the fusions leave
// the quantized form alone.

#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/opset.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/passes/quantize/accuracy_control.hpp>
#include <moir/passes/quantize/calibrate_int8.hpp>
#include <moir/passes/quantize/quantize_int8.hpp>
#include <moir/runtime/reference_executor.hpp>

#include "fusion_test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>  // max
#include <cmath>      // fabs, sin
#include <cstdlib>    // abs
#include <cstddef>    // size_t
#include <string>     // string
#include <utility>    // pair
#include <vector>     // vector

namespace {

using namespace moir;
using fusion_test::builder;
using fusion_test::count;
using fusion_test::random_tensor;

ops::convolution::attrs conv_attrs(std::int64_t pad) {
    ops::convolution::attrs a;
    a.strides = {1, 1};
    a.dilations = {1, 1};
    a.pads_begin = {pad, pad};
    a.pads_end = {pad, pad};
    return a;
}

tensor waves(const shape& s, float scale, float freq) {
    std::vector<float> v(numel(s));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i) * freq) * scale;
    return tensor::from_vector(v, s);
}

/// x [1,3,8,W] -> Conv 3x3 (8 out, pad 1) + bias -> Relu -> depthwise GroupConv 3x3 -> Conv 1x1 (4 out)
///   -> ReduceMean over H -> Transpose to [1,W,4] -> MatMul [4,5] -> y
/// and x -> Conv 1x1 (2 out) -> y2 (x feeds two convolutions: one FakeQuantize).
/// W = -1 leaves the width dynamic.
model small_net(std::int64_t width = 8) {
    builder b;
    const auto x = b.param({1, 3, 8, 1});
    b.m.at(x.node).attrs_as<ops::parameter>().shape = partial_shape({1, 3, 8, width});
    const auto c1 = b.op<ops::convolution>(conv_attrs(1), {x, b.constant(waves({8, 3, 3, 3}, 0.5f, 0.37f))});
    const auto r1 = b.op<ops::relu>({b.add(c1, b.constant(waves({1, 8, 1, 1}, 0.2f, 1.1f)))});
    const auto g = b.op<ops::group_convolution>(conv_attrs(1), {r1, b.constant(waves({8, 1, 1, 3, 3}, 0.8f, 0.53f))});
    const auto c2 = b.op<ops::convolution>(conv_attrs(0), {g, b.constant(waves({4, 8, 1, 1}, 0.3f, 0.71f))});
    const auto mean = b.op<ops::reduce_mean>({false}, {c2, b.constant(tensor::from_vector(std::vector<std::int64_t>{2}, {1}))});
    const auto t = b.op<ops::transpose>({mean, b.constant(tensor::from_vector(std::vector<std::int64_t>{0, 2, 1}, {3}))});
    const auto y = b.op<ops::matmul>({false, false}, {t, b.constant(waves({4, 5}, 1.0f, 0.29f))});
    b.output(y);
    b.output(b.op<ops::convolution>(conv_attrs(0), {x, b.constant(waves({2, 3, 1, 1}, 0.9f, 0.4f))}));
    return b.done();
}

std::vector<std::vector<tensor>> calibration_inputs(std::size_t n, std::int64_t width = 8) {
    std::vector<std::vector<tensor>> sets;
    for (std::size_t i = 0; i < n; ++i)
        sets.push_back({random_tensor(element_type::f32, {1, 3, 8, width}, static_cast<std::uint32_t>(100 + i), -2.0, 2.0)});
    return sets;
}

/// The producer node of input i of node id.
const node& input_node(const model& m, node_id id, std::size_t i) { return m.nodes[m.nodes[id].inputs.at(i).node]; }

double relative_error(const tensor& a, const tensor& ref) {
    double err = 0, big = 0;
    for (std::size_t i = 0; i < ref.numel(); ++i) {
        err = std::max(err, std::fabs(a.at_as<double>(i) - ref.at_as<double>(i)));
        big = std::max(big, std::fabs(ref.at_as<double>(i)));
    }
    return err / big;
}

}  // namespace

TEST_CASE("activation_stats: min, max, and the percentile of |x| from a histogram that grows") {
    passes::activation_stats s(2048);
    std::vector<float> v(10000);
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = -1.0f + 2.0f * static_cast<float>(i) / 9999.0f;
    s.add(v.data(), v.size());
    CHECK(s.min() == -1.0);
    CHECK(s.max() == 1.0);
    CHECK(std::fabs(s.abs_percentile(50.0) - 0.5) < 2.0 / 2048 + 1e-4);
    const float outlier[] = {100.0f, std::nanf("")};
    s.add(outlier, 2);  // the range doubles to cover 100 (bins merge pairwise); NaN is set aside
    CHECK(s.max() == 100.0);
    CHECK(s.non_finite() == 1);
    CHECK(s.count() == 10002);
    // 99.99% of 10001 finite values are at most 1: the threshold lands in 1's bin (width 128/2048)
    const double t = s.abs_percentile(99.99);
    CHECK(t >= 1.0);
    CHECK(t <= 1.0 + 128.0 / 2048 + 1e-9);
    CHECK(s.abs_percentile(100.0) == 100.0);
    passes::calibration_options minmax;
    minmax.method = passes::calibration_method::minmax;
    CHECK(passes::range_of(s, minmax).high == 100.0);
    CHECK(passes::range_of(s, minmax).low == -1.0);
    const auto clipped = passes::range_of(s, passes::calibration_options{});
    CHECK(clipped.high == t);
    CHECK(clipped.low == -1.0);  // the min (-1) is inside [-t, t]
    CHECK(clipped.max == 100.0);
    // mse: a far value among many is clipped to where rounding noise and clipping error balance:
    // 10^6 values in [-1, 1] and one at 100: noise 10^6 ((t + 1) / 255)^2 / 12 + (100 - t)^2 is
    // least near t = 43 (minmax keeps 100, whose steps cost more than clipping that one value)
    passes::activation_stats big(2048);
    for (int k = 0; k < 100; ++k) big.add(v.data(), v.size());
    big.add(outlier, 1);
    passes::calibration_options mse;
    mse.method = passes::calibration_method::mse;
    const auto m = passes::range_of(big, mse);
    CHECK(m.high > 30.0);
    CHECK(m.high < 60.0);
    CHECK(m.low == -1.0);
    // without the outlier, the whole range is kept (clipping the uniform bulk costs more than it saves)
    passes::activation_stats u(2048);
    u.add(v.data(), v.size());
    CHECK(passes::range_of(u, mse).high >= 0.95);
    // many large values: they are the signal, not outliers
    passes::activation_stats w(2048);
    std::vector<float> wide(v);
    for (std::size_t i = 0; i < 3000; ++i) wide.push_back(50.0f + static_cast<float>(i % 50));
    w.add(wide.data(), wide.size());
    CHECK(passes::range_of(w, mse).high >= 90.0);
}

TEST_CASE("calibrate_int8: the activations of quantizable layers, their exact min/max, several shapes") {
    const model m = small_net(-1);
    const auto taps = passes::quantizable_activations(m);
    CHECK(taps.size() == 4);  // x (two convs), relu, group conv output, transpose (MatMul's A)
    passes::calibration_options opt;
    opt.method = passes::calibration_method::minmax;
    std::size_t calls = 0;
    opt.progress = [&](std::size_t done, std::size_t total) {
        ++calls;
        CHECK(done == calls);
        CHECK(total == 5);
    };
    auto sets = calibration_inputs(3, 8);
    for (auto& s : calibration_inputs(2, 13)) sets.push_back(s);  // another width: the plan compiles again
    sets[4][0].data<float>()[7] = 9.5f;                           // the largest input value
    const auto table = passes::calibrate_int8(m, sets, opt);
    CHECK(calls == 5);
    REQUIRE(table.size() == 4);
    const output_ref x{m.parameters[0], 0};
    REQUIRE(table.count(x));
    double lo = 1e9, hi = -1e9;
    for (const auto& s : sets)
        for (std::size_t i = 0; i < s[0].numel(); ++i) lo = std::min(lo, s[0].at_as<double>(i)), hi = std::max(hi, s[0].at_as<double>(i));
    CHECK(table.at(x).min == lo);
    CHECK(table.at(x).max == 9.5);
    CHECK(table.at(x).high == 9.5);
    CHECK(table.at(x).count == 3 * 3 * 8 * 8 + 2 * 3 * 8 * 13);
    for (const auto& [r, range] : table)
        if (m.nodes[r.node].is<ops::relu>()) CHECK(range.min >= 0.0);
    // an input set of the wrong rank names the set
    std::vector<std::vector<tensor>> bad{{random_tensor(element_type::f32, {3, 8, 8}, 1)}};
    std::string msg;
    try {
        passes::calibrate_int8(m, bad);
    } catch (const error& e) {
        msg = e.what();
    }
    CHECK(msg.find("calibration input set 1 of 1") != std::string::npos);
}

TEST_CASE("quantize_weights_int8: symmetric per channel, every weight within scale/2") {
    tensor w = waves({4, 3, 3, 3}, 1.0f, 0.43f);
    float* wp = w.data<float>();
    for (std::size_t i = 0; i < 27; ++i) wp[27 + i] *= 40.0f;  // channel 1 forty times larger
    for (std::size_t i = 0; i < 27; ++i) wp[54 + i] = 0.0f;    // channel 2 all zero
    const auto [q, s] = passes::quantize_weights_int8(w, {4, 1, 1, 1});
    REQUIRE(q.type() == element_type::i8);
    REQUIRE(s.dims() == shape{4, 1, 1, 1});
    CHECK(s.data<float>()[1] > 30.0f * s.data<float>()[0]);
    CHECK(s.data<float>()[2] == 1.0f);
    for (std::size_t c = 0; c < 4; ++c) {
        int biggest = 0;
        for (std::size_t i = 0; i < 27; ++i) {
            const int v = q.data<std::int8_t>()[c * 27 + i];
            CHECK(v >= -127);
            CHECK(v <= 127);
            biggest = std::max(biggest, v < 0 ? -v : v);
            const float sc = s.data<float>()[c];
            CHECK(std::fabs(wp[c * 27 + i] - static_cast<float>(v) * sc) <= sc * 0.5f * (1.0f + 1e-5f));
        }
        CHECK(biggest == (c == 2 ? 0 : 127));  // the largest weight of a channel maps to +-127
    }
    // group convolution [G, Cout/G, Cin/G, k, k]: one scale per (group, output channel)
    const auto [gq, gs] = passes::quantize_weights_int8(waves({2, 3, 1, 2, 2}, 1.0f, 0.9f), {2, 3, 1, 1, 1});
    CHECK(gs.numel() == 6);
    CHECK(gq.dims() == shape{2, 3, 1, 2, 2});
}

TEST_CASE("quantize_int8: the NNCF form, ranges, sharing, IR round trip, closeness to FP32") {
    model m = small_net(8);
    const auto sets = calibration_inputs(6);
    const auto table = passes::calibrate_int8(m, sets);
    const model fp32 = m;
    passes::pass_context ctx;
    const passes::int8_report rep = passes::quantize_int8(m, table, &ctx);
    CHECK(rep.layers == 5);  // 3 convolutions, the group convolution and the MatMul
    CHECK(rep.int8_layers == 5);
    CHECK(rep.fake_quantizes == 4);  // x is shared by two convolutions
    CHECK(rep.weights == 5);
    CHECK(count<ops::fake_quantize>(m) == 4);
    REQUIRE(!ctx.log.empty());
    CHECK(ctx.log.back().pass == "quantize_int8");

    std::size_t checked = 0;
    for (node_id id : m.topo_order()) {
        const node& n = m.nodes[id];
        const bool conv = n.is<ops::convolution>(), group = n.is<ops::group_convolution>(), mm = n.is<ops::matmul>();
        if (!conv && !group && !mm) continue;
        ++checked;
        // the activation through a FakeQuantize with equal input and output ranges, levels 256
        const node& fq = input_node(m, id, 0);
        REQUIRE(fq.is<ops::fake_quantize>());
        CHECK(fq.attrs_as<ops::fake_quantize>().levels == 256);
        const float il = m.nodes[fq.inputs[1].node].attrs_as<ops::constant>().value.at_as<float>(0);
        const float ih = m.nodes[fq.inputs[2].node].attrs_as<ops::constant>().value.at_as<float>(0);
        CHECK(m.nodes[fq.inputs[3].node].attrs_as<ops::constant>().value.at_as<float>(0) == il);
        CHECK(m.nodes[fq.inputs[4].node].attrs_as<ops::constant>().value.at_as<float>(0) == ih);
        const node& src = m.nodes[fq.inputs[0].node];
        if (src.is<ops::relu>()) {
            CHECK(il == 0.0f);  // unsigned after ReLU
        } else {
            CHECK(il == doctest::Approx(-ih * 128.0 / 127.0));  // symmetric signed, zero on the grid
        }
        CHECK(ih > 0.0f);
        // the weights: Multiply(Convert(Const i8, decompression), Const f32 scale)
        const node& mul = input_node(m, id, 1);
        REQUIRE(mul.is<ops::multiply>());
        const node& cv = m.nodes[mul.inputs[0].node];
        REQUIRE(cv.is<ops::convert>());
        CHECK(passes::is_decompression(cv));
        const tensor& q = m.nodes[cv.inputs[0].node].attrs_as<ops::constant>().value;
        CHECK(q.type() == element_type::i8);
        const tensor& s = m.nodes[mul.inputs[1].node].attrs_as<ops::constant>().value;
        CHECK(s.type() == element_type::f32);
        if (conv) CHECK(s.dims() == shape{q.dims()[0], 1, 1, 1});
        if (group) CHECK(s.dims() == shape{8, 1, 1, 1, 1});
        if (mm) CHECK(s.dims() == shape{1, 5});
    }
    CHECK(checked == 5);

    // close to FP32 on an input calibration did not see
    const std::vector<tensor> in{random_tensor(element_type::f32, {1, 3, 8, 8}, 999, -2.0, 2.0)};
    const auto ref = reference_executor<>(fp32).run(in);
    const auto got = reference_executor<>(m).run(in);
    // y2 is one quantized convolution (measured 1-2%); y goes through four quantized layers and a
    // mean over 8 rows where the signal partly cancels and the rounding noise does not (measured 6.7%)
    const double bound[] = {0.1, 0.03};
    for (std::size_t o = 0; o < 2; ++o) {
        INFO("output " << o << ": relative error " << relative_error(got[o], ref[o]));
        CHECK(relative_error(got[o], ref[o]) < bound[o]);
        CHECK(relative_error(got[o], ref[o]) > 0.0);  // it did quantize
    }

    // IR write -> read keeps the form and the values
    const auto ir = ir::serialize(m);
    CHECK(ir.xml.find("type=\"FakeQuantize\" version=\"opset1\"") != std::string::npos);
    CHECK(ir.xml.find("element_type=\"i8\"") != std::string::npos);
    const model back = ir::deserialize(ir.xml, ir.bin);
    CHECK(count<ops::fake_quantize>(back) == 4);
    const auto again = reference_executor<>(back).run(in);
    for (std::size_t o = 0; o < 2; ++o) CHECK(again[o].to_vector<float>() == got[o].to_vector<float>());
    // the compiled plan runs it too
    runtime::plan p(back);
    CHECK(relative_error(p.run(in)[0], got[0]) < 1e-4);

    // folding, the fusions and FP16 compression leave the quantized form alone
    model twice = back;
    passes::pass_context c2;
    passes::optimize(twice, c2);
    passes::compress_weights_to_fp16(twice, c2);
    CHECK(count<ops::fake_quantize>(twice) == 4);
    std::size_t i8 = 0;
    for (node_id id : twice.topo_order())
        if (twice.nodes[id].is<ops::constant>() && twice.nodes[id].attrs_as<ops::constant>().value.type() == element_type::i8) ++i8;
    CHECK(i8 == 5);
    // f16 scales and biases move a few activations across a FakeQuantize level (measured 1.7%)
    CHECK(relative_error(reference_executor<>(twice).run(in)[0], got[0]) < 0.05);
    CHECK(relative_error(reference_executor<>(twice).run(in)[1], got[1]) < 0.05);
}

TEST_CASE("quantize_int8 overflow_fix: convolution and MatMul weights in [-64, 64], depthwise keeps 8 bits") {
    const auto [q7, s7] = passes::quantize_weights_int8(waves({3, 2, 3, 3}, 1.0f, 0.43f), {3, 1, 1, 1}, 64);
    const auto [q8, s8] = passes::quantize_weights_int8(waves({3, 2, 3, 3}, 1.0f, 0.43f), {3, 1, 1, 1});
    for (std::size_t c = 0; c < 3; ++c) CHECK(s7.data<float>()[c] == doctest::Approx(s8.data<float>()[c] * 127.0 / 64.0));
    int top = 0;
    for (std::size_t i = 0; i < q7.numel(); ++i) top = std::max(top, std::abs(int(q7.data<std::int8_t>()[i])));
    CHECK(top == 64);
    CHECK_THROWS_AS(passes::quantize_weights_int8(waves({2, 2}, 1.0f, 0.4f), {2, 1}, 128), error);

    model m = small_net(8);
    const auto table = passes::calibrate_int8(m, calibration_inputs(6));
    const model fp32 = m;
    model plain = m;
    passes::int8_options o;
    o.overflow_fix = true;
    const passes::int8_report rep = passes::quantize_int8(m, table, nullptr, o);
    passes::quantize_int8(plain, table);
    CHECK(rep.int8_layers == 5);
    std::size_t seven = 0, eight = 0;
    for (node_id id : m.topo_order()) {
        const node& n = m.nodes[id];
        const bool conv = n.is<ops::convolution>(), group = n.is<ops::group_convolution>(), mm = n.is<ops::matmul>();
        if (!conv && !group && !mm) continue;
        const node& cv = m.nodes[input_node(m, id, 1).inputs[0].node];
        const tensor& q = m.nodes[cv.inputs[0].node].attrs_as<ops::constant>().value;
        int biggest = 0;
        for (std::size_t i = 0; i < q.numel(); ++i) biggest = std::max(biggest, std::abs(int(q.data<std::int8_t>()[i])));
        INFO(n.name);
        CHECK(biggest == (group ? 127 : 64));  // the small net's depthwise conv keeps 8 bits
        (group ? eight : seven) += 1;
    }
    CHECK(seven == 4);
    CHECK(eight == 1);
    // still close to FP32, and not the 8-bit model
    const std::vector<tensor> in{random_tensor(element_type::f32, {1, 3, 8, 8}, 999, -2.0, 2.0)};
    const auto ref = reference_executor<>(fp32).run(in);
    const auto got = reference_executor<>(m).run(in);
    const auto got8 = reference_executor<>(plain).run(in);
    CHECK(relative_error(got[1], ref[1]) < 0.03);
    CHECK(relative_error(got[0], ref[0]) < 0.12);
    CHECK(got[1].to_vector<float>() != got8[1].to_vector<float>());
    // a grouped convolution with 2 channels per group is a GEMM layer: 7 bits; a depthwise one is not
    for (node_id id : m.topo_order())
        if (m.nodes[id].is<ops::group_convolution>()) {
            CHECK_FALSE(passes::overflow_fix_applies(m.nodes[id], shape{8, 1, 1, 3, 3}));
            CHECK(passes::overflow_fix_applies(m.nodes[id], shape{4, 2, 2, 3, 3}));
            CHECK(passes::overflow_fix_applies(m.nodes[id], shape{4, 2, 1, 3, 3}));
        }
    // a transposed convolution runs on the GEMM too: 7 bits
    node deconv;
    deconv.op = &info_of<ops::convolution_backprop_data>();
    CHECK(passes::overflow_fix_applies(deconv, shape{8, 4, 2, 2}));
}

TEST_CASE("quantize_int8: layers without constant weights stay f32; a tensor's other consumers keep f32") {
    builder b;
    const auto x = b.param({1, 2, 4, 4});
    const auto w = b.param({3, 2, 1, 1});  // weights as an input: the convolution is not quantized
    b.output(b.op<ops::convolution>(conv_attrs(0), {x, w}));
    const auto r = b.op<ops::relu>({x});
    b.output(b.op<ops::convolution>(conv_attrs(0), {r, b.constant(waves({3, 2, 1, 1}, 1.0f, 0.3f))}));
    b.output(b.op<ops::sigmoid>({r}));  // reads the relu output: must not see the FakeQuantize
    model m = b.done();
    std::vector<std::vector<tensor>> sets{{random_tensor(element_type::f32, {1, 2, 4, 4}, 5), random_tensor(element_type::f32, {3, 2, 1, 1}, 6)}};
    const auto table = passes::calibrate_int8(m, sets);
    CHECK(table.size() == 1);  // only the relu output
    const auto rep = passes::quantize_int8(m, table);
    CHECK(rep.layers == 1);
    CHECK(rep.fake_quantizes == 1);
    for (node_id id : m.topo_order()) {
        const node& n = m.nodes[id];
        if (n.is<ops::sigmoid>()) CHECK(input_node(m, id, 0).is<ops::relu>());
        if (n.is<ops::convolution>() && input_node(m, id, 1).is<ops::parameter>()) CHECK(input_node(m, id, 0).is<ops::parameter>());
    }
    // a range of zero width still gives the FakeQuantize a usable one
    passes::activation_range zero;
    const auto [lo, hi] = passes::fake_quantize_range(zero);
    CHECK(lo == 0.0f);
    CHECK(hi > 0.0f);
    passes::activation_range neg{-2.0, 1.0, -2.0, 1.0, 10, {}, {}};
    const auto [nlo, nhi] = passes::fake_quantize_range(neg);
    CHECK(nhi == 2.0f);
    CHECK(nlo == doctest::Approx(-2.0 * 128 / 127));
    // asymmetric ("mixed"): 256 levels over [low, high], 0.0 on a level, neither end clipped
    for (const auto& [l, h] : std::vector<std::pair<double, double>>{{-0.375, 6.0}, {-0.375, 40.0}, {-2.0, 1.0},
                                                                      {-3.0, -1.0}, {-1e-3, 50.0}, {-5.0, 1e-3}}) {
        CAPTURE(l);
        CAPTURE(h);
        const passes::activation_range r{l, h, l, h, 10, {}, {}};
        const auto [alo, ahi] = passes::fake_quantize_range(r, passes::activation_scheme::asymmetric);
        const double step = (double(ahi) - double(alo)) / 255.0, want = (std::max(h, 0.0) - l) / 255.0;
        CHECK(step >= want * (1 - 1e-6));
        CHECK(step <= want * 1.02);  // few levels wasted
        const double z = -double(alo) / step;
        CHECK(std::fabs(z - std::nearbyint(z)) < 1e-3);  // 0.0 is a level
        CHECK(double(alo) <= l * (1 - 1e-6));             // nothing clipped
        CHECK(double(ahi) >= std::max(h, 0.0) * (1 - 1e-6));
    }
    const auto [ulo, uhi] = passes::fake_quantize_range(passes::activation_range{0.0, 3.0, 0.0, 3.0, 10, {}, {}},
                                                        passes::activation_scheme::asymmetric);
    CHECK(ulo == 0.0f);  // non-negative: unsigned either way
    CHECK(uhi == 3.0f);
}

TEST_CASE("top1_agreement: argmax over the last axis of every output, against the reference") {
    const auto t = [](std::vector<float> v, shape s) { return tensor::from_vector(v, s); };
    const passes::validation_outputs want{{t({0, 1, 0, 5, 2, 1}, {2, 3}), t({3}, {1})}};
    CHECK(passes::top1_agreement(want, want) == 1.0);
    // row 0 agrees (argmax 1), row 1 does not (0 vs 1); the rank-1 output of one value always agrees
    const passes::validation_outputs got{{t({0, 2, 1, 1, 9, 2}, {2, 3}), t({-3}, {1})}};
    CHECK(passes::top1_agreement(got, want) == doctest::Approx(2.0 / 3.0));
    CHECK_THROWS_AS(passes::top1_agreement({{t({1, 2}, {2})}}, want), moir::error);
    // the mean squared difference over all 7 values: (0 + 1 + 1 + 16 + 49 + 1 + 36) / 7
    CHECK(passes::mean_squared_difference(want, want) == 0.0);
    CHECK(passes::mean_squared_difference(got, want) == doctest::Approx(104.0 / 7.0));
    CHECK_THROWS_AS(passes::mean_squared_difference({{t({1, 2}, {2})}}, want), moir::error);
}

TEST_CASE("accuracy control: a layer whose input range is ruined is found, put back to FP32, and reported") {
    model m = small_net(8);
    auto table = passes::calibrate_int8(m, calibration_inputs(6));
    // the 1x1 convolution after the depthwise one: squeeze its input range to almost nothing, so that
    // its FakeQuantize flattens the signal and the MatMul's argmax no longer follows FP32
    node_id victim = m.nodes.size();
    for (node_id id = 0; id < m.nodes.size(); ++id)
        if (m.nodes[id].is<ops::convolution>() && input_node(m, id, 0).is<ops::group_convolution>()) victim = id;
    REQUIRE(victim < m.nodes.size());
    auto& r = table.at(m.nodes[victim].inputs[0]);
    r.low = -1e-4, r.high = 1e-4;
    const auto validation = calibration_inputs(4);

    passes::accuracy_control_options opt;
    opt.max_drop = 0.1;
    std::vector<std::string> lines;
    opt.log = [&](const std::string& l) { lines.push_back(l); };
    const auto res = passes::quantize_int8_with_accuracy_control(m, table, validation, opt);
    CHECK(res.fp32_metric == 1.0);
    CHECK(res.int8_metric < 1.0 - opt.max_drop);  // the sabotage matters
    CHECK(res.met);
    CHECK(res.final_metric >= 1.0 - opt.max_drop);
    REQUIRE(!res.reverted.empty());
    CHECK(res.reverted.front() == m.nodes[victim].name);
    CHECK(res.report.kept_fp32 == res.reverted);
    // all INT8, 5 rankings, each revert, each reverted layer tried with i8 weights and, when those
    // do not hold the drop, f16 ones (FP32 scores 1)
    const std::size_t r8 = res.reverted.size(), c8 = res.compressed.size();
    CHECK(res.validation_runs == 1 + 5 + r8 + r8 + (r8 - c8));
    CHECK(res.compressed.size() + res.compressed_fp16.size() <= r8);
    CHECK(!lines.empty());
    // in the chosen model the victim reads no FakeQuantize; its weights are i8 again (step 4: its
    // input range was the trouble, not its weights) or f32
    const model& q = res.quantized;
    const bool compressed = res.compressed == std::vector<std::string>{m.nodes[victim].name};
    CHECK((compressed || res.compressed.empty()));
    const bool halved = res.compressed_fp16 == std::vector<std::string>{m.nodes[victim].name};
    for (node_id id = 0; id < q.nodes.size(); ++id)
        if (q.nodes[id].name == m.nodes[victim].name) {
            CHECK(!input_node(q, id, 0).is<ops::fake_quantize>());
            CHECK(input_node(q, id, 1).is<ops::multiply>() == compressed);
            CHECK(input_node(q, id, 1).is<ops::convert>() == halved);
            CHECK(input_node(q, id, 1).is<ops::constant>() == (!compressed && !halved));
        }
    CHECK(res.final_metric >= 1.0 - opt.max_drop);
    CHECK(res.report.int8_layers == 5 - res.reverted.size());
    // without step 4 the reverted layers keep f32 weights
    passes::accuracy_control_options plain = opt;
    plain.compress_reverted_weights = false;
    const auto pres = passes::quantize_int8_with_accuracy_control(m, table, validation, plain);
    CHECK(pres.met);
    CHECK(pres.compressed.empty());
    CHECK(pres.report.kept_int8_weights.empty());
    CHECK(pres.validation_runs == 1 + 5 + pres.reverted.size());

    // under the overflow fix, step 3b tries each reverted layer in INT8 with 8-bit weights first: the
    // victim's trouble is its input range, so it is not kept there and stays FP32
    passes::accuracy_control_options of = opt;
    of.quantization.overflow_fix = true;
    lines.clear();
    const auto ofres = passes::quantize_int8_with_accuracy_control(m, table, validation, of);
    CHECK(ofres.met);
    REQUIRE(!ofres.reverted.empty());
    CHECK(ofres.reverted.front() == m.nodes[victim].name);
    CHECK(std::find(ofres.full_range.begin(), ofres.full_range.end(), m.nodes[victim].name) == ofres.full_range.end());
    const std::size_t tried3b = ofres.reverted.size() + ofres.full_range.size();
    CHECK(ofres.validation_runs == 1 + 5 + tried3b + tried3b + ofres.reverted.size() +
                                       (ofres.reverted.size() - ofres.compressed.size()));
    bool said = false;
    for (const auto& l : lines) said = said || l.find(m.nodes[victim].name + " in INT8 with 8-bit weights") != std::string::npos;
    CHECK(said);
    // full_range_weights: that layer keeps [-127, 127] weights while the others get [-64, 64]
    {
        model f = m;
        passes::int8_options fo;
        fo.overflow_fix = true;
        fo.full_range_weights.insert(m.nodes[victim].name);
        passes::quantize_int8(f, table, nullptr, fo);
        std::size_t seen = 0;
        for (node_id id = 0; id < f.nodes.size(); ++id) {
            if (!f.nodes[id].is<ops::convolution>()) continue;
            const node& cv = f.nodes[input_node(f, id, 1).inputs[0].node];  // Multiply(Convert(Const i8), scale)
            const tensor& qw = f.nodes[cv.inputs[0].node].attrs_as<ops::constant>().value;
            int top = 0;
            for (std::size_t i = 0; i < qw.numel(); ++i) top = std::max(top, std::abs(int(qw.data<std::int8_t>()[i])));
            CHECK(top == (f.nodes[id].name == m.nodes[victim].name ? 127 : 64));
            ++seen;
        }
        CHECK(seen == 3);
    }

    // the other ranking: the metric each layer recovers alone in FP32 finds the victim too
    passes::accuracy_control_options rec = opt;
    rec.ranking = passes::accuracy_ranking::recovery;
    const auto rres = passes::quantize_int8_with_accuracy_control(m, table, validation, rec);
    CHECK(rres.met);
    REQUIRE(!rres.reverted.empty());
    CHECK(rres.reverted.front() == m.nodes[victim].name);
    CHECK(rres.validation_runs == 1 + 5 + 2 * rres.reverted.size() + (rres.reverted.size() - rres.compressed.size()));

    // a drop that already holds: nothing reverted, one validation run
    passes::accuracy_control_options loose;
    loose.max_drop = 1.0;
    const auto easy = passes::quantize_int8_with_accuracy_control(m, table, validation, loose);
    CHECK(easy.reverted.empty());
    CHECK(easy.validation_runs == 1);
    CHECK(easy.report.int8_layers == 5);

    // keep_fp32 alone: the named layer stays FP32
    model k = m;
    passes::int8_options io;
    io.keep_fp32.insert(m.nodes[victim].name);
    const auto rep = passes::quantize_int8(k, table, nullptr, io);
    CHECK(rep.kept_fp32 == std::vector<std::string>{m.nodes[victim].name});
    CHECK(rep.int8_layers == 4);
    CHECK(rep.weights == 4);  // its weights stay f32
    CHECK(rep.kept_int8_weights.empty());
    // named in int8_weights (or all_kept_int8_weights): its weights are stored i8, its input stays f32
    for (int all = 0; all < 2; ++all) {
        model k8 = m;
        passes::int8_options io8 = io;
        if (all)
            io8.all_kept_int8_weights = true;
        else
            io8.int8_weights.insert(m.nodes[victim].name);
        const auto rep8 = passes::quantize_int8(k8, table, nullptr, io8);
        CHECK(rep8.weights == 5);
        CHECK(rep8.int8_layers == 4);
        CHECK(rep8.kept_int8_weights == std::vector<std::string>{m.nodes[victim].name});
        for (node_id id = 0; id < k8.nodes.size(); ++id)
            if (k8.nodes[id].name == m.nodes[victim].name) {
                CHECK(!input_node(k8, id, 0).is<ops::fake_quantize>());
                CHECK(input_node(k8, id, 1).is<ops::multiply>());
            }
    }

    // named in fp16_weights: its weights are stored f16 behind a decompression Convert
    {
        model k16 = m;
        passes::int8_options io16 = io;
        io16.fp16_weights.insert(m.nodes[victim].name);
        const auto rep16 = passes::quantize_int8(k16, table, nullptr, io16);
        CHECK(rep16.weights == 4);
        CHECK(rep16.kept_fp16_weights == std::vector<std::string>{m.nodes[victim].name});
        for (node_id id = 0; id < k16.nodes.size(); ++id)
            if (k16.nodes[id].name == m.nodes[victim].name) {
                REQUIRE(input_node(k16, id, 1).is<ops::convert>());
                CHECK(passes::is_decompression(input_node(k16, id, 1)));
            }
    }

    // the user's ignored scope seeds the control: that layer stays FP32 in every candidate and is
    // never ranked; the victim is still the first reverted
    std::string other;
    for (const node& n : m.nodes)
        if ((n.is<ops::convolution>() || n.is<ops::group_convolution>()) && n.name != m.nodes[victim].name) other = n.name;
    REQUIRE(!other.empty());
    passes::accuracy_control_options seeded = opt;
    seeded.quantization.keep_fp32.insert(other);
    lines.clear();
    const auto sres = passes::quantize_int8_with_accuracy_control(m, table, validation, seeded);
    CHECK(sres.met);
    REQUIRE(!sres.reverted.empty());
    CHECK(sres.reverted.front() == m.nodes[victim].name);
    CHECK(std::find(sres.report.kept_fp32.begin(), sres.report.kept_fp32.end(), other) != sres.report.kept_fp32.end());
    CHECK(sres.validation_runs ==  // 4 layers ranked, not 5
          1 + 4 + 2 * sres.reverted.size() + (sres.reverted.size() - sres.compressed.size()));
    for (const auto& l : lines) {
        const bool ranks_other = l.find("ranking") != std::string::npos && l.find(" " + other + " ") != std::string::npos;
        CHECK_FALSE(ranks_other);
    }
}

namespace {
/// x [1,6,5,7] -> Multiply by a per-channel gain (0.05 .. 40: channels 800x apart) -> a, then
/// a -> Conv 1x1 (5 out) -> y1 and a -> Conv 3x3 pad 1 (3 out) -> y2; a -> depthwise 3x3 -> y3 through
/// a Relu (its own tensor, which only a GroupConvolution reads).
model wide_channels_net() {
    builder b;
    const auto x = b.param({1, 6, 5, 7});
    const auto a = b.mul(x, b.values({0.05f, 1.0f, 0.3f, 40.0f, 2.0f, 0.7f}, {1, 6, 1, 1}));
    b.output(b.op<ops::convolution>(conv_attrs(0), {a, b.constant(waves({5, 6, 1, 1}, 0.5f, 0.37f))}));
    b.output(b.op<ops::convolution>(conv_attrs(1), {a, b.constant(waves({3, 6, 3, 3}, 0.4f, 0.61f))}));
    const auto r = b.op<ops::relu>({a});
    b.output(b.op<ops::group_convolution>(conv_attrs(1), {r, b.constant(waves({6, 1, 1, 3, 3}, 0.8f, 0.53f))}));
    return b.done();
}

/// Relative RMS difference of every output of got from want.
double relative_rms(const std::vector<tensor>& got, const std::vector<tensor>& want) {
    double num = 0.0, den = 0.0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const auto g = got[i].to_vector<double>(), w = want[i].to_vector<double>();
        for (std::size_t j = 0; j < g.size(); ++j) num += (g[j] - w[j]) * (g[j] - w[j]), den += w[j] * w[j];
    }
    return std::sqrt(num / den);
}
}  // namespace

TEST_CASE("calibrate_int8: per-channel extremes of rank >= 3 activations") {
    const model m = wide_channels_net();
    std::vector<std::vector<tensor>> sets;
    for (std::uint32_t i = 0; i < 3; ++i) sets.push_back({random_tensor(element_type::f32, {1, 6, 5, 7}, 40 + i, -1.0, 1.0)});
    const auto table = passes::calibrate_int8(m, sets);
    const float gain[6] = {0.05f, 1.0f, 0.3f, 40.0f, 2.0f, 0.7f};
    std::size_t seen = 0;
    for (const auto& [ref, r] : table) {
        REQUIRE(r.channel_min.size() == 6);
        if (m.nodes[ref.node].is<ops::multiply>()) {  // a = x * gain: channel k within gain[k] * [-1, 1)
            ++seen;
            for (std::size_t k = 0; k < 6; ++k) {
                double lo = 1e9, hi = -1e9;  // the exact extremes, from the inputs
                for (const auto& s : sets) {
                    const auto v = s[0].to_vector<float>();
                    for (std::size_t j = 0; j < 35; ++j) {
                        const double a = static_cast<double>(v[k * 35 + j] * gain[k]);
                        lo = std::min(lo, a), hi = std::max(hi, a);
                    }
                }
                CHECK(r.channel_min[k] == doctest::Approx(lo).epsilon(1e-6));
                CHECK(r.channel_max[k] == doctest::Approx(hi).epsilon(1e-6));
            }
            CHECK(passes::channel_spread_ratio(r) > 30.0);  // 80 / 2: the largest range over the median
        }
    }
    CHECK(seen == 1);
}

TEST_CASE("quantize_int8 smooth_alpha: wide-ranged channels divided inside a per-channel FakeQuantize, weights "
          "multiplied, output closer to FP32; not for tensors a depthwise layer reads") {
    model m = wide_channels_net();
    std::vector<std::vector<tensor>> sets;
    for (std::uint32_t i = 0; i < 8; ++i) sets.push_back({random_tensor(element_type::f32, {1, 6, 5, 7}, 60 + i, -1.0, 1.0)});
    const auto table = passes::calibrate_int8(m, sets);
    const model fp32 = m;
    model plain = m;
    passes::quantize_int8(plain, table);
    passes::int8_options o;
    o.smooth_alpha = 0.75;
    const passes::int8_report rep = passes::quantize_int8(m, table, nullptr, o);
    REQUIRE(rep.smoothed.size() == 1);  // a (the Relu's output feeds the depthwise layer only)
    CHECK(rep.smoothed[0].second > 30.0);
    CHECK(rep.int8_layers == 3);
    std::size_t smoothed_fq = 0;
    for (node_id id : m.topo_order()) {
        const node& n = m.nodes[id];
        if (!n.is<ops::fake_quantize>()) continue;
        const tensor& il = m.nodes[n.inputs[1].node].attrs_as<ops::constant>().value;
        const tensor& ol = m.nodes[n.inputs[3].node].attrs_as<ops::constant>().value;
        CHECK(ol.numel() == 1);
        if (il.numel() == 1) continue;
        ++smoothed_fq;
        CHECK(il.dims() == shape{1, 6, 1, 1});
        // channel k's input range is the output range times s_k, s_k > 0
        const tensor& ih = m.nodes[n.inputs[2].node].attrs_as<ops::constant>().value;
        const float lo = ol.at_as<float>(0), hi = m.nodes[n.inputs[4].node].attrs_as<ops::constant>().value.at_as<float>(0);
        for (std::size_t k = 0; k < 6; ++k) {
            const double s = ih.at_as<float>(k) / hi;
            CHECK(s > 0.0);
            CHECK(il.at_as<float>(k) == doctest::Approx(lo * s).epsilon(1e-5));
        }
        CHECK(m.consumers({id, 0}).size() == 2);  // both convolutions
    }
    CHECK(smoothed_fq == 1);
    // closer to FP32 than one range per tensor, on inputs not used for calibration
    std::vector<tensor> in{random_tensor(element_type::f32, {1, 6, 5, 7}, 99, -1.0, 1.0)};
    const auto want = reference_executor<>(fp32).run(in);
    const double e_plain = relative_rms(reference_executor<>(plain).run(in), want);
    const double e_smooth = relative_rms(reference_executor<>(m).run(in), want);
    MESSAGE("relative RMS error: one range " << e_plain << ", smoothed " << e_smooth);
    CHECK(e_smooth < 0.7 * e_plain);
    // the compiled plan runs the smoothed FakeQuantize on the INT8 step, as the reference does
    runtime::plan p(m, {in[0].dims()}, {});
    CHECK(relative_rms(p.run(in), reference_executor<>(m).run(in)) < 1e-5);
    // and survives the IR round trip
    const auto text = ir::serialize(m);
    const model back = ir::deserialize(text.xml, text.bin);
    CHECK(relative_rms(reference_executor<>(back).run(in), reference_executor<>(m).run(in)) == 0.0);
    // a spread under smooth_ratio leaves every tensor alone
    model high = fp32;
    o.smooth_ratio = 1e6;
    CHECK(passes::quantize_int8(high, table, nullptr, o).smoothed.empty());
}
