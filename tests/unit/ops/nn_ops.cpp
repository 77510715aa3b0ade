// Tests of the nn ops (group A): Convolution, GroupConvolution, ConvolutionBackpropData,
// GroupConvolutionBackpropData, MaxPool, AvgPool, Interpolate, BatchNormInference, Clamp and
// HardSigmoid: shape inference (dynamic dims, errors) and reference kernels against hand-computed
// values and naive formulations written here.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/tensor.hpp>
#include <moir/kernels/reference/all.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cmath>    // fabs
#include <cstddef>  // size_t
#include <cstdint>  // int32_t, int64_t, uint8_t
#include <random>   // mt19937, uniform_real_distribution
#include <string>   // string
#include <vector>   // vector

namespace {

using moir::element_type;
using moir::partial_shape;
using moir::port_desc;
using moir::port_descs;
using moir::shape;
using moir::tensor;
namespace ops = moir::ops;

tensor f32(const std::vector<float>& v, const shape& s) { return tensor::from_vector<float>(v, s); }
tensor i64(const std::vector<std::int64_t>& v) { return tensor::from_vector<std::int64_t>(v); }

/// 0, 1, 2, ... shaped as s.
tensor iota(const shape& s, float start = 0.0f) {
    std::vector<float> v(moir::numel(s));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<float>(i);
    return f32(v, s);
}

/// Uniform random values in [-1, 1).
tensor random(const shape& s, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(moir::numel(s));
    for (auto& x : v) x = d(gen);
    return f32(v, s);
}

/// Evaluates one node of Op on the values with the reference kernel (shapes inferred from them).
template <class Op>
std::vector<tensor> eval(const typename Op::attrs& a, const std::vector<tensor>& in) {
    moir::node n;
    n.op = &moir::info_of<Op>();
    n.attrs = a;
    n.name = std::string(Op::name);
    return moir::evaluate_node(n, in);
}
template <class Op>
tensor eval1(const typename Op::attrs& a, const std::vector<tensor>& in) {
    return eval<Op>(a, in).at(0);
}

/// Runs Op's shape inference on descriptions without values.
template <class Op>
partial_shape infer(const typename Op::attrs& a, const std::vector<partial_shape>& shapes,
                    element_type t = element_type::f32) {
    port_descs in;
    for (const auto& s : shapes) in.push_back(port_desc{t, s, {}});
    return Op::infer(a, in).at(0).shape;
}

/// The shape_error message of Op's shape inference on `in` ("" when it succeeds).
template <class Op>
std::string infer_error(const typename Op::attrs& a, const port_descs& in) {
    try {
        Op::infer(a, in);
    } catch (const moir::shape_error& e) {
        return e.what();
    }
    return "";
}

partial_shape ps(std::vector<std::int64_t> dims) { return partial_shape(std::move(dims)); }

port_descs descs(const std::vector<partial_shape>& shapes, element_type t = element_type::f32) {
    port_descs in;
    for (const auto& s : shapes) in.push_back(port_desc{t, s, {}});
    return in;
}

void check_values(const tensor& t, const shape& s, const std::vector<double>& expect, double tol = 1e-5) {
    REQUIRE(t.dims() == s);
    const auto got = t.to_vector<double>();
    REQUIRE(got.size() == expect.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i << ": got " << got[i] << ", expected " << expect[i]);
        CHECK(std::fabs(got[i] - expect[i]) <= tol * (1.0 + std::fabs(expect[i])));
    }
}

void check_same(const tensor& a, const tensor& b, double tol = 1e-5) {
    REQUIRE(a.dims() == b.dims());
    check_values(a, b.dims(), b.to_vector<double>(), tol);
}

/// Concatenates same-shaped [N, C_i, ...] tensors along axis 1 (N = 1).
tensor concat_channels(const std::vector<tensor>& parts) {
    std::vector<float> v;
    shape s = parts.at(0).dims();
    s[1] = 0;
    for (const auto& p : parts) {
        const auto pv = p.to_vector<float>();
        v.insert(v.end(), pv.begin(), pv.end());
        s[1] += p.dims()[1];
    }
    return f32(v, s);
}

/// Channels [from, from + count) of a [1, C, ...] (or weights [C, ...] when batch_axis is false) tensor.
tensor channel_slice(const tensor& t, std::int64_t from, std::int64_t count, bool batch_axis = true) {
    const std::size_t axis = batch_axis ? 1 : 0;
    shape s = t.dims();
    std::size_t inner = 1;
    for (std::size_t i = axis + 1; i < s.size(); ++i) inner *= static_cast<std::size_t>(s[i]);
    const auto v = t.to_vector<float>();
    std::vector<float> r(v.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(from) * inner),
                         v.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(from + count) * inner));
    s[axis] = count;
    return f32(r, s);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Convolution
// ---------------------------------------------------------------------------------------------

TEST_CASE("convolution: 1x1 mixes channels") {
    const tensor x = f32({1, 2, 3, 4, 5, 6, 7, 8}, {1, 2, 2, 2});
    const tensor w = f32({1, 0, 0, 1, 1, 1}, {3, 2, 1, 1});
    check_values(eval1<ops::convolution>({}, {x, w}), {1, 3, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8, 6, 8, 10, 12});
}

TEST_CASE("convolution: 3x3 with padding, stride and dilation") {
    const tensor x = iota({1, 1, 3, 3}, 1.0f);  // 1..9
    const tensor ones = f32(std::vector<float>(9, 1.0f), {1, 1, 3, 3});
    ops::convolution::attrs a{{1, 1}, {1, 1}, {1, 1}, {1, 1}, ops::pad_type::explicit_};
    check_values(eval1<ops::convolution>(a, {x, ones}), {1, 1, 3, 3}, {12, 21, 16, 27, 45, 33, 24, 39, 28});

    a.strides = {2, 2};
    check_values(eval1<ops::convolution>(a, {x, ones}), {1, 1, 2, 2}, {12, 16, 24, 28});

    // dilation 2 with a 2x2 kernel on x[i, j] = 5i + j: x[i,j] + x[i,j+2] + x[i+2,j] + x[i+2,j+2]
    const tensor x5 = iota({1, 1, 5, 5});
    const tensor w2 = f32({1, 1, 1, 1}, {1, 1, 2, 2});
    ops::convolution::attrs d{{1, 1}, {2, 2}, {0, 0}, {0, 0}, ops::pad_type::explicit_};
    check_values(eval1<ops::convolution>(d, {x5, w2}), {1, 1, 3, 3}, {24, 28, 32, 44, 48, 52, 64, 68, 72});

    // empty attribute vectors mean stride 1, dilation 1, no padding
    check_values(eval1<ops::convolution>({}, {x, ones}), {1, 1, 1, 1}, {45});
}

TEST_CASE("convolution: auto_pad same_upper / same_lower / valid, 1-D") {
    const tensor x = f32({1, 2, 3, 4}, {1, 1, 4});
    const tensor w = f32({1, 1, 1}, {1, 1, 3});
    ops::convolution::attrs a{{2}, {1}, {}, {}, ops::pad_type::same_upper};
    check_values(eval1<ops::convolution>(a, {x, w}), {1, 1, 2}, {6, 7});  // pads 0 / 1
    a.auto_pad = ops::pad_type::same_lower;
    check_values(eval1<ops::convolution>(a, {x, w}), {1, 1, 2}, {3, 9});  // pads 1 / 0
    a.auto_pad = ops::pad_type::valid;
    a.pads_begin = {5};  // ignored
    a.pads_end = {5};
    check_values(eval1<ops::convolution>(a, {x, w}), {1, 1, 1}, {6});
}

TEST_CASE("convolution: 3-D, batches, f16 and f64") {
    const tensor x = iota({1, 1, 2, 2, 2});
    const tensor w = f32(std::vector<float>(8, 1.0f), {1, 1, 2, 2, 2});
    check_values(eval1<ops::convolution>({}, {x, w}), {1, 1, 1, 1, 1}, {28});

    const tensor xb = iota({2, 1, 1, 2});  // two batches
    const tensor wb = f32({2}, {1, 1, 1, 1});
    check_values(eval1<ops::convolution>({}, {xb, wb}), {2, 1, 1, 2}, {0, 2, 4, 6});
    const tensor h = eval1<ops::convolution>({}, {xb.converted(element_type::f16), wb.converted(element_type::f16)});
    CHECK(h.type() == element_type::f16);
    check_values(h, {2, 1, 1, 2}, {0, 2, 4, 6});
    const tensor dd = eval1<ops::convolution>({}, {xb.converted(element_type::f64), wb.converted(element_type::f64)});
    CHECK(dd.type() == element_type::f64);
    check_values(dd, {2, 1, 1, 2}, {0, 2, 4, 6});
    CHECK_THROWS_AS(eval1<ops::convolution>({}, {xb.converted(element_type::i32), wb.converted(element_type::i32)}),
                    moir::error);
}

TEST_CASE("convolution: shape inference") {
    ops::convolution::attrs a{{2, 2}, {1, 1}, {1, 1}, {1, 1}, ops::pad_type::explicit_};
    CHECK(infer<ops::convolution>(a, {ps({1, 3, 224, 224}), ps({64, 3, 3, 3})}) == partial_shape({1, 64, 112, 112}));
    CHECK(infer<ops::convolution>(a, {ps({-1, 3, -1, 224}), ps({64, 3, 3, 3})}) == partial_shape({-1, 64, -1, 112}));
    CHECK(infer<ops::convolution>(a, {ps({1, 3, 224, 224}), ps({-1, -1, 3, -1})}) == partial_shape({1, -1, 112, -1}));
    CHECK(infer<ops::convolution>(a, {partial_shape::dynamic(), ps({8, 3, 3, 3})}) == partial_shape({-1, 8, -1, -1}));
    CHECK(infer<ops::convolution>(a, {partial_shape::dynamic(), partial_shape::dynamic()}) ==
          partial_shape({-1, -1, -1, -1}));
    CHECK(infer<ops::convolution>({}, {partial_shape::dynamic(), partial_shape::dynamic()}).rank_dynamic);
    a.auto_pad = ops::pad_type::same_upper;
    CHECK(infer<ops::convolution>(a, {ps({1, 3, 225, 7}), ps({8, 3, 3, 3})}) == partial_shape({1, 8, 113, 4}));

    CHECK(infer_error<ops::convolution>({}, descs({ps({1, 3, 8, 8}), ps({4, 2, 3, 3})})).find("3 channels") !=
          std::string::npos);
    CHECK(infer_error<ops::convolution>({}, descs({ps({1, 3, 8, 8}), ps({4, 3, 3})})).find("rank") !=
          std::string::npos);
    CHECK(infer_error<ops::convolution>({}, descs({ps({1, 3}), ps({4, 3})})).find("spatial") != std::string::npos);
    CHECK(infer_error<ops::convolution>({}, descs({ps({1, 3, 2, 2}), ps({4, 3, 3, 3})})).find("larger") !=
          std::string::npos);
    CHECK(infer_error<ops::convolution>({{1}, {1}, {}, {}, ops::pad_type::explicit_},
                                        descs({ps({1, 3, 8, 8}), ps({4, 3, 3, 3})}))
              .find("strides") != std::string::npos);
    port_descs mixed = descs({ps({1, 3, 8, 8}), ps({4, 3, 3, 3})});
    mixed[1].type = element_type::f16;
    CHECK(infer_error<ops::convolution>({}, mixed).find("element types") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// GroupConvolution
// ---------------------------------------------------------------------------------------------

TEST_CASE("group_convolution: depthwise 3x3 with padding") {
    std::vector<float> xv;
    for (int i = 1; i <= 9; ++i) xv.push_back(static_cast<float>(i));
    for (int i = 0; i < 9; ++i) xv.push_back(1.0f);
    const tensor x = f32(xv, {1, 2, 3, 3});
    std::vector<float> wv(9, 1.0f);
    wv.insert(wv.end(), 9, 2.0f);
    const tensor w = f32(wv, {2, 1, 1, 3, 3});
    ops::group_convolution::attrs a{{1, 1}, {1, 1}, {1, 1}, {1, 1}, ops::pad_type::explicit_};
    check_values(eval1<ops::group_convolution>(a, {x, w}), {1, 2, 3, 3},
                 {12, 21, 16, 27, 45, 33, 24, 39, 28, 8, 12, 8, 12, 18, 12, 8, 12, 8});
}

TEST_CASE("group_convolution: equals per-group convolutions") {
    const tensor x = random({1, 4, 5, 6}, 1);
    const tensor w = random({2, 3, 2, 3, 2}, 2);  // G=2, O/G=3, C/G=2
    ops::group_convolution::attrs a{{2, 1}, {1, 2}, {1, 0}, {0, 1}, ops::pad_type::explicit_};
    const tensor y = eval1<ops::group_convolution>(a, {x, w});
    CHECK(y.dims() == shape{1, 6, 2, 5});
    std::vector<tensor> parts;
    for (std::int64_t g = 0; g < 2; ++g) {
        const tensor wg = channel_slice(w, g, 1, false).reshaped({3, 2, 3, 2});
        parts.push_back(eval1<ops::convolution>(a, {channel_slice(x, 2 * g, 2), wg}));
    }
    check_same(y, concat_channels(parts));

    CHECK(infer<ops::group_convolution>(a, {ps({-1, 4, 5, 6}), ps({2, 3, 2, 3, 2})}) == partial_shape({-1, 6, 2, 5}));
    CHECK(infer<ops::group_convolution>(a, {ps({1, 4, 5, 6}), ps({-1, 3, 2, 3, 2})}) == partial_shape({1, -1, 2, 5}));
    CHECK(infer_error<ops::group_convolution>(a, descs({ps({1, 5, 5, 6}), ps({2, 3, 2, 3, 2})})).find("2 groups") !=
          std::string::npos);
    CHECK(infer_error<ops::group_convolution>(a, descs({ps({1, 4, 5, 6}), ps({2, 3, 3, 2})})).find("rank") !=
          std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// ConvolutionBackpropData / GroupConvolutionBackpropData
// ---------------------------------------------------------------------------------------------

namespace {
/// Transposed convolution by scattering every input cell into a full-size buffer, then cropping
/// pads_begin at the start. 2-D, weights [C_in, C_out, kH, kW].
tensor scatter_backprop_2d(const tensor& x, const tensor& w, const std::vector<std::int64_t>& s,
                           const std::vector<std::int64_t>& d, const std::vector<std::int64_t>& pb,
                           const std::vector<std::int64_t>& out) {
    const auto& xs = x.dims();
    const auto& ws = w.dims();
    const std::int64_t n = xs[0], ci = xs[1], h = xs[2], wd = xs[3], co = ws[1], kh = ws[2], kw = ws[3];
    const std::int64_t fh = s[0] * (h - 1) + d[0] * (kh - 1) + 1 + 8, fw = s[1] * (wd - 1) + d[1] * (kw - 1) + 1 + 8;
    std::vector<double> full(static_cast<std::size_t>(n * co * fh * fw), 0.0);
    const auto xv = x.to_vector<double>(), wv = w.to_vector<double>();
    for (std::int64_t b = 0; b < n; ++b)
        for (std::int64_t c = 0; c < ci; ++c)
            for (std::int64_t i = 0; i < h; ++i)
                for (std::int64_t j = 0; j < wd; ++j)
                    for (std::int64_t o = 0; o < co; ++o)
                        for (std::int64_t p = 0; p < kh; ++p)
                            for (std::int64_t q = 0; q < kw; ++q) {
                                const std::int64_t r = i * s[0] + p * d[0], t = j * s[1] + q * d[1];
                                full[static_cast<std::size_t>(((b * co + o) * fh + r) * fw + t)] +=
                                    xv[static_cast<std::size_t>(((b * ci + c) * h + i) * wd + j)] *
                                    wv[static_cast<std::size_t>(((c * co + o) * kh + p) * kw + q)];
                            }
    std::vector<float> y;
    for (std::int64_t b = 0; b < n; ++b)
        for (std::int64_t o = 0; o < co; ++o)
            for (std::int64_t r = 0; r < out[0]; ++r)
                for (std::int64_t t = 0; t < out[1]; ++t) {
                    const std::int64_t fr = r + pb[0], ft = t + pb[1];
                    y.push_back(
                        fr < fh && ft < fw
                            ? static_cast<float>(full[static_cast<std::size_t>(((b * co + o) * fh + fr) * fw + ft)])
                            : 0.0f);
                }
    return f32(y, {n, co, out[0], out[1]});
}
}  // namespace

TEST_CASE("convolution_backprop_data: 1-D by hand") {
    const tensor x = f32({1, 2, 3}, {1, 1, 3});
    const tensor w = f32({1, 1, 1}, {1, 1, 3});
    ops::convolution_backprop_data::attrs a{{2}, {1}, {0}, {0}, ops::pad_type::explicit_, {0}};
    check_values(eval1<ops::convolution_backprop_data>(a, {x, w}), {1, 1, 7}, {1, 1, 3, 2, 5, 3, 3});
    a.pads_begin = {1};
    a.pads_end = {1};
    a.output_padding = {1};
    check_values(eval1<ops::convolution_backprop_data>(a, {x, w}), {1, 1, 6}, {1, 3, 2, 5, 3, 3});

    // output_shape input: explicit crops pads_begin; same_upper / same_lower split the excess
    a = {{2}, {1}, {}, {}, ops::pad_type::same_upper, {}};
    check_values(eval1<ops::convolution_backprop_data>(a, {x, w, i64({6})}), {1, 1, 6}, {1, 3, 2, 5, 3, 3});
    a.auto_pad = ops::pad_type::same_lower;
    check_values(eval1<ops::convolution_backprop_data>(a, {x, w, i64({6})}), {1, 1, 6}, {1, 1, 3, 2, 5, 3});
    a = {{2}, {1}, {1}, {0}, ops::pad_type::explicit_, {}};
    check_values(eval1<ops::convolution_backprop_data>(a, {x, w, i64({5})}), {1, 1, 5}, {1, 3, 2, 5, 3});
    // same_* without output_shape pads nothing
    a = {{2}, {1}, {3}, {3}, ops::pad_type::same_upper, {}};
    check_values(eval1<ops::convolution_backprop_data>(a, {x, w}), {1, 1, 7}, {1, 1, 3, 2, 5, 3, 3});
}

TEST_CASE("convolution_backprop_data: 2-D against a naive scatter") {
    const tensor x = random({2, 3, 3, 4}, 3);
    const tensor w = random({3, 2, 3, 2}, 4);  // C_in=3, C_out=2
    ops::convolution_backprop_data::attrs a{{2, 3}, {1, 2}, {1, 0}, {2, 1}, ops::pad_type::explicit_, {1, 2}};
    // out = s*(in-1) + (k-1)*d + 1 - pb - pe + op
    const std::int64_t oh = 2 * 2 + 2 * 1 + 1 - 1 - 2 + 1, ow = 3 * 3 + 1 * 2 + 1 - 0 - 1 + 2;
    const tensor y = eval1<ops::convolution_backprop_data>(a, {x, w});
    CHECK(y.dims() == shape{2, 2, oh, ow});
    check_same(y, scatter_backprop_2d(x, w, {2, 3}, {1, 2}, {1, 0}, {oh, ow}));
    // with an output_shape input larger than the formula: the tail is zero-filled by the scatter too
    const tensor y2 = eval1<ops::convolution_backprop_data>(a, {x, w, i64({9, 14})});
    check_same(y2, scatter_backprop_2d(x, w, {2, 3}, {1, 2}, {1, 0}, {9, 14}));
}

TEST_CASE("convolution_backprop_data: shape inference") {
    ops::convolution_backprop_data::attrs a{{2, 2}, {1, 1}, {1, 1}, {1, 1}, ops::pad_type::explicit_, {1, 1}};
    CHECK(infer<ops::convolution_backprop_data>(a, {ps({1, 8, 10, 12}), ps({8, 4, 3, 3})}) ==
          partial_shape({1, 4, 20, 24}));
    CHECK(infer<ops::convolution_backprop_data>(a, {ps({-1, 8, -1, 12}), ps({8, 4, 3, 3})}) ==
          partial_shape({-1, 4, -1, 24}));
    port_descs with_shape = descs({ps({1, 8, 10, 12}), ps({8, 4, 3, 3})});
    with_shape.push_back(port_desc{element_type::i64, partial_shape({2}), {}});  // value unknown
    CHECK(ops::convolution_backprop_data::infer(a, with_shape)[0].shape == partial_shape({1, 4, -1, -1}));
    with_shape[2].value = i64({21, 25});
    CHECK(ops::convolution_backprop_data::infer(a, with_shape)[0].shape == partial_shape({1, 4, 21, 25}));
    with_shape[2] = port_desc{element_type::i64, partial_shape({3}), i64({21, 25, 3})};
    CHECK(infer_error<ops::convolution_backprop_data>(a, with_shape).find("output_shape") != std::string::npos);
    CHECK(infer_error<ops::convolution_backprop_data>(a, descs({ps({1, 7, 10, 12}), ps({8, 4, 3, 3})}))
              .find("7 channels") != std::string::npos);
    CHECK(infer_error<ops::convolution_backprop_data>(a, descs({ps({1, 8, 10, 12}), ps({8, 4, 3})})).find("rank") !=
          std::string::npos);
}

TEST_CASE("group_convolution_backprop_data: equals per-group transposed convolutions") {
    const tensor x = random({1, 4, 3, 3}, 5);
    const tensor w = random({2, 2, 3, 2, 2}, 6);  // G=2, C_in/G=2, C_out/G=3
    ops::group_convolution_backprop_data::attrs a{{2, 2}, {1, 1}, {0, 1}, {1, 0}, ops::pad_type::explicit_, {1, 0}};
    const tensor y = eval1<ops::group_convolution_backprop_data>(a, {x, w});
    CHECK(y.dims() == shape{1, 6, 6, 5});
    std::vector<tensor> parts;
    for (std::int64_t g = 0; g < 2; ++g) {
        const tensor wg = channel_slice(w, g, 1, false).reshaped({2, 3, 2, 2});
        parts.push_back(eval1<ops::convolution_backprop_data>(a, {channel_slice(x, 2 * g, 2), wg}));
    }
    check_same(y, concat_channels(parts));
    CHECK(infer<ops::group_convolution_backprop_data>(a, {ps({-1, 4, -1, 3}), ps({2, 2, 3, 2, 2})}) ==
          partial_shape({-1, 6, -1, 5}));
    CHECK(infer_error<ops::group_convolution_backprop_data>(a, descs({ps({1, 6, 3, 3}), ps({2, 2, 3, 2, 2})}))
              .find("2 groups") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// MaxPool / AvgPool
// ---------------------------------------------------------------------------------------------

TEST_CASE("max_pool: windows, ceil mode, padding never wins") {
    ops::max_pool::attrs a{{2, 2}, {0, 0}, {0, 0}, {2, 2}, ops::rounding_type::floor, ops::pad_type::explicit_};
    check_values(eval1<ops::max_pool>(a, {iota({1, 1, 4, 4})}), {1, 1, 2, 2}, {5, 7, 13, 15});

    const tensor x3 = iota({1, 1, 3, 3}, 1.0f);
    check_values(eval1<ops::max_pool>(a, {x3}), {1, 1, 1, 1}, {5});
    a.rounding_type = ops::rounding_type::ceil;
    check_values(eval1<ops::max_pool>(a, {x3}), {1, 1, 2, 2}, {5, 6, 8, 9});

    // all-negative input with padding: the padded zeros must not win
    const tensor neg = f32({-1, -2, -3, -4, -5, -6, -7, -8, -9}, {1, 1, 3, 3});
    ops::max_pool::attrs p{{1, 1}, {1, 1}, {1, 1}, {3, 3}, ops::rounding_type::floor, ops::pad_type::explicit_};
    check_values(eval1<ops::max_pool>(p, {neg}), {1, 1, 3, 3}, {-1, -1, -2, -1, -1, -2, -4, -4, -5});

    // integers, 1-D, same_upper
    const tensor xi = tensor::from_vector<std::int32_t>({3, -1, 4, 1, -5}, {1, 1, 5});
    ops::max_pool::attrs s{{2}, {}, {}, {2}, ops::rounding_type::floor, ops::pad_type::same_upper};
    const tensor yi = eval1<ops::max_pool>(s, {xi});
    CHECK(yi.type() == element_type::i32);
    check_values(yi, {1, 1, 3}, {3, 4, -5});
}

TEST_CASE("avg_pool: ceil mode, exclude-pad") {
    const tensor x3 = iota({1, 1, 3, 3}, 1.0f);
    ops::avg_pool::attrs a{{2, 2}, {0, 0}, {0, 0}, {2, 2}, false, ops::rounding_type::ceil, ops::pad_type::explicit_};
    // cells past the input created by ceil rounding never count
    check_values(eval1<ops::avg_pool>(a, {x3}), {1, 1, 2, 2}, {3, 4.5, 7.5, 9});
    a.exclude_pad = true;
    check_values(eval1<ops::avg_pool>(a, {x3}), {1, 1, 2, 2}, {3, 4.5, 7.5, 9});

    ops::avg_pool::attrs p{{1, 1}, {1, 1}, {1, 1}, {3, 3}, false, ops::rounding_type::floor, ops::pad_type::explicit_};
    check_values(eval1<ops::avg_pool>(p, {x3}), {1, 1, 3, 3},
                 {12.0 / 9, 21.0 / 9, 16.0 / 9, 27.0 / 9, 5, 33.0 / 9, 24.0 / 9, 39.0 / 9, 28.0 / 9});
    p.exclude_pad = true;
    check_values(eval1<ops::avg_pool>(p, {x3}), {1, 1, 3, 3}, {3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7});

    // 1-D, ceil with padding: windows [-1,1], [1,3], [3,5]; cell 4 is end padding, cell 5 overhang
    const tensor x = f32({1, 2, 3, 4}, {1, 1, 4});
    ops::avg_pool::attrs c{{2}, {1}, {1}, {3}, false, ops::rounding_type::ceil, ops::pad_type::explicit_};
    check_values(eval1<ops::avg_pool>(c, {x}), {1, 1, 3}, {1, 3, 2});
    c.exclude_pad = true;
    check_values(eval1<ops::avg_pool>(c, {x}), {1, 1, 3}, {1.5, 3, 4});

    // 3-D global average
    ops::avg_pool::attrs g{{1, 1, 1}, {}, {}, {2, 2, 2}, true, ops::rounding_type::floor, ops::pad_type::valid};
    check_values(eval1<ops::avg_pool>(g, {iota({1, 1, 2, 2, 2})}), {1, 1, 1, 1, 1}, {3.5});
    CHECK_THROWS_AS(eval1<ops::avg_pool>(g, {iota({1, 1, 2, 2, 2}).converted(element_type::i32)}), moir::error);
}

TEST_CASE("pooling: shape inference") {
    ops::max_pool::attrs a{{2, 2}, {0, 0}, {0, 0}, {3, 3}, ops::rounding_type::ceil, ops::pad_type::explicit_};
    CHECK(infer<ops::max_pool>(a, {ps({1, 64, 112, 112})}) == partial_shape({1, 64, 56, 56}));
    CHECK(infer<ops::max_pool>(a, {ps({-1, -1, 112, -1})}) == partial_shape({-1, -1, 56, -1}));
    CHECK(infer<ops::max_pool>(a, {partial_shape::dynamic()}) == partial_shape({-1, -1, -1, -1}));
    a.rounding_type = ops::rounding_type::floor;
    CHECK(infer<ops::max_pool>(a, {ps({1, 64, 112, 112})}) == partial_shape({1, 64, 55, 55}));
    CHECK(infer_error<ops::max_pool>(a, descs({ps({1, 64, 112})})).find("rank") != std::string::npos);
    a.kernel = {};
    CHECK(infer_error<ops::max_pool>(a, descs({ps({1, 64, 112, 112})})).find("kernel") != std::string::npos);
    ops::avg_pool::attrs g{{1, 1}, {0, 0}, {0, 0}, {7, 7}, true, ops::rounding_type::floor, ops::pad_type::explicit_};
    CHECK(infer<ops::avg_pool>(g, {ps({-1, 512, 7, 7})}) == partial_shape({-1, 512, 1, 1}));
    CHECK(infer_error<ops::avg_pool>(g, descs({ps({1, 512, 5, 5})})).find("larger") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Interpolate
// ---------------------------------------------------------------------------------------------

namespace {
ops::interpolate::attrs resize(ops::interpolate_mode mode, ops::coordinate_transformation_mode ct,
                               ops::nearest_mode nm = ops::nearest_mode::round_prefer_floor,
                               ops::shape_calculation_mode sc = ops::shape_calculation_mode::scales) {
    ops::interpolate::attrs a;
    a.mode = mode;
    a.coordinate_transformation_mode = ct;
    a.nearest_mode = nm;
    a.shape_calculation_mode = sc;
    return a;
}
tensor scales(const std::vector<float>& v) { return tensor::from_vector<float>(v); }
using ct = ops::coordinate_transformation_mode;
using im = ops::interpolate_mode;
using nm = ops::nearest_mode;
}  // namespace

TEST_CASE("interpolate: nearest 2x (ONNX Resize nearest with scales)") {
    const tensor x = f32({1, 2, 3, 4}, {1, 1, 2, 2});
    const std::vector<double> up{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4};
    auto a = resize(im::nearest, ct::asymmetric, nm::floor);
    check_values(eval1<ops::interpolate>(a, {x, scales({2, 2}), i64({2, 3})}), {1, 1, 4, 4}, up);
    check_values(eval1<ops::interpolate>(a, {x, scales({1, 1, 2, 2})}), {1, 1, 4, 4}, up);  // every axis
    a = resize(im::nearest, ct::half_pixel);
    check_values(eval1<ops::interpolate>(a, {x, scales({2, 2}), i64({-2, -1})}), {1, 1, 4, 4}, up);
    // sizes mode, integers are copied exactly
    a = resize(im::nearest, ct::asymmetric, nm::floor, ops::shape_calculation_mode::sizes);
    const tensor xi = tensor::from_vector<std::int64_t>({1, 2, 3, 4}, {1, 1, 2, 2});
    const tensor yi = eval1<ops::interpolate>(a, {xi, i64({4, 4}), i64({2, 3})});
    CHECK(yi.type() == element_type::i64);
    check_values(yi, {1, 1, 4, 4}, up);
    // downsampling 4 -> 2: asymmetric floor takes cells 0 and 2
    check_values(eval1<ops::interpolate>(a, {iota({1, 1, 1, 4}), i64({2}), i64({3})}), {1, 1, 1, 2}, {0, 2});
}

TEST_CASE("interpolate: nearest modes") {
    // 2 -> 4 asymmetric: input coordinates 0, 0.5, 1, 1.5
    const tensor x = f32({10, 20}, {2});
    auto run = [&](ops::nearest_mode m, ct c = ct::asymmetric) {
        return eval1<ops::interpolate>(resize(im::nearest, c, m), {x, scales({2})});
    };
    check_values(run(nm::round_prefer_floor), {4}, {10, 10, 20, 20});
    check_values(run(nm::round_prefer_ceil), {4}, {10, 20, 20, 20});
    check_values(run(nm::floor), {4}, {10, 10, 20, 20});
    check_values(run(nm::ceil), {4}, {10, 20, 20, 20});
    check_values(run(nm::simple), {4}, {10, 10, 20, 20});
    // tf_half_pixel_for_nn: (o + 0.5) / 2 = 0.25, 0.75, 1.25, 1.75
    check_values(run(nm::round_prefer_floor, ct::tf_half_pixel_for_nn), {4}, {10, 20, 20, 20});
    // align_corners: o / 3 = 0, 0.33, 0.67, 1
    check_values(run(nm::round_prefer_floor, ct::align_corners), {4}, {10, 10, 20, 20});
    // simple when downsampling rounds up: 4 -> 2 asymmetric, coordinates 0, 2 -> ceil
    const tensor x4 = f32({1, 2, 3, 4}, {4});
    check_values(eval1<ops::interpolate>(resize(im::nearest, ct::half_pixel, nm::simple), {x4, scales({0.5f})}), {2},
                 {2, 4});  // (o + 0.5) * 2 - 0.5 = 0.5, 2.5 -> ceil 1, 3
}

TEST_CASE("interpolate: linear_onnx") {
    const tensor x = f32({1, 2, 3, 4}, {1, 1, 2, 2});
    check_values(eval1<ops::interpolate>(resize(im::linear_onnx, ct::half_pixel), {x, scales({2, 2}), i64({2, 3})}),
                 {1, 1, 4, 4},
                 {1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4});
    check_values(eval1<ops::interpolate>(resize(im::linear_onnx, ct::align_corners), {x, scales({2, 2}), i64({2, 3})}),
                 {1, 1, 4, 4},
                 {1, 4.0 / 3, 5.0 / 3, 2, 5.0 / 3, 2, 7.0 / 3, 8.0 / 3, 7.0 / 3, 8.0 / 3, 3, 10.0 / 3, 3, 10.0 / 3,
                  11.0 / 3, 4});
    check_values(eval1<ops::interpolate>(resize(im::linear_onnx, ct::asymmetric), {x, scales({2}), i64({3})}),
                 {1, 1, 2, 4}, {1, 1.5, 2, 2, 3, 3.5, 4, 4});
    // pytorch_half_pixel with one output cell reads coordinate 0
    check_values(eval1<ops::interpolate>(resize(im::linear_onnx, ct::pytorch_half_pixel, nm::floor,
                                                ops::shape_calculation_mode::sizes),
                                         {x, i64({1, 1}), i64({2, 3})}),
                 {1, 1, 1, 1}, {1});
    // f16 in, f16 out
    const tensor h = eval1<ops::interpolate>(resize(im::linear_onnx, ct::asymmetric),
                                             {x.converted(element_type::f16), scales({2}), i64({3})});
    CHECK(h.type() == element_type::f16);
    check_values(h, {1, 1, 2, 4}, {1, 1.5, 2, 2, 3, 3.5, 4, 4});
}

TEST_CASE("interpolate: cubic") {
    // asymmetric 2x on [1, 2, 4, 8]: half-way cells use the Keys weights at t = 0.5 with a = -0.75:
    // -0.09375, 0.59375, 0.59375, -0.09375 (edge-replicated)
    const tensor x = f32({1, 2, 4, 8}, {1, 1, 1, 4});
    check_values(eval1<ops::interpolate>(resize(im::cubic, ct::asymmetric), {x, scales({2}), i64({3})}), {1, 1, 1, 8},
                 {1, 1.3125, 2, 2.71875, 4, 6.1875, 8, 8.375});
    // cube_coeff changes the weights: a = -0.5 at t = 0.5: -0.0625, 0.5625
    auto a = resize(im::cubic, ct::asymmetric);
    a.cube_coeff = -0.5;
    check_values(eval1<ops::interpolate>(a, {x, scales({2}), i64({3})}), {1, 1, 1, 8},
                 {1, 1.375, 2, 2.8125, 4, 6.125, 8, 8.25});
    // a constant stays constant in 2-D, whatever the transformation
    const tensor c = f32(std::vector<float>(9, 3.0f), {1, 1, 3, 3});
    for (auto m : {ct::half_pixel, ct::pytorch_half_pixel, ct::asymmetric, ct::tf_half_pixel_for_nn, ct::align_corners})
        check_values(eval1<ops::interpolate>(resize(im::cubic, m), {c, scales({1.5f, 1.5f}), i64({2, 3})}),
                     {1, 1, 4, 4}, std::vector<double>(16, 3.0));
}

TEST_CASE("interpolate: pads, unsupported modes") {
    // pads on a resampled axis: padded [0, 1, 2, 0] resized 4 -> 4 is itself
    auto a = resize(im::nearest, ct::asymmetric, nm::floor, ops::shape_calculation_mode::sizes);
    a.pads_begin = {0, 1};
    a.pads_end = {0, 1};
    check_values(eval1<ops::interpolate>(a, {f32({1, 2}, {1, 2}), i64({4}), i64({1})}), {1, 4}, {0, 1, 2, 0});
    // pads on an axis not resampled: extent grows, the padded rows read 0
    a.pads_begin = {1, 0};
    a.pads_end = {0, 0};
    check_values(eval1<ops::interpolate>(a, {f32({1, 2}, {1, 2}), i64({4}), i64({1})}), {2, 4},
                 {0, 0, 0, 0, 1, 1, 2, 2});

    const tensor x = f32({1, 2, 3, 4}, {1, 1, 2, 2});
    const std::vector<tensor> in{x, scales({2, 2}), i64({2, 3})};
    std::vector<tensor> out{tensor(element_type::f32, {1, 1, 4, 4})};
    using K = moir::kernels::reference_kernel<ops::interpolate>;
    for (auto m : {im::linear, im::bilinear_pillow, im::bicubic_pillow})
        CHECK_THROWS_AS(K::run(resize(m, ct::half_pixel), in, out), moir::unsupported_error);
    auto anti = resize(im::linear_onnx, ct::half_pixel);
    anti.antialias = true;
    CHECK_THROWS_AS(K::run(anti, in, out), moir::unsupported_error);
    CHECK_THROWS_AS(eval1<ops::interpolate>(resize(im::linear, ct::half_pixel), in), moir::error);
}

TEST_CASE("interpolate: shape inference") {
    const auto a = resize(im::nearest, ct::asymmetric, nm::floor);
    port_descs in = descs({ps({-1, 3, -1, 10})});
    in.push_back(port_desc{element_type::f32, partial_shape({2}), scales({2, 2})});
    in.push_back(port_desc{element_type::i64, partial_shape({2}), i64({2, 3})});
    CHECK(ops::interpolate::infer(a, in)[0].shape == partial_shape({-1, 3, -1, 20}));
    in[0].shape = partial_shape({1, 3, 5, 3});
    in[1].value = scales({0.6f, 1.0f / 3.0f});  // floor(5 * 0.6 + eps) = 3, floor(3 * 0.333.. + eps) = 1
    CHECK(ops::interpolate::infer(a, in)[0].shape == partial_shape({1, 3, 3, 1}));
    in[1].value = tensor();  // scales unknown: resampled axes are dynamic
    CHECK(ops::interpolate::infer(a, in)[0].shape == partial_shape({1, 3, -1, -1}));
    in[2].value = tensor();  // axes unknown: every axis is
    CHECK(ops::interpolate::infer(a, in)[0].shape == partial_shape({-1, -1, -1, -1}));
    CHECK(ops::interpolate::infer(a, descs({partial_shape::dynamic(), ps({4})}))[0].shape.rank_dynamic);

    auto s = resize(im::nearest, ct::asymmetric, nm::floor, ops::shape_calculation_mode::sizes);
    s.pads_begin = {0, 0, 1, 1};
    s.pads_end = {0, 0, 1, 1};
    port_descs sz = descs({ps({1, 3, 5, 5})});
    sz.push_back(port_desc{element_type::i64, partial_shape({1}), i64({10})});
    sz.push_back(port_desc{element_type::i64, partial_shape({1}), i64({-1})});
    CHECK(ops::interpolate::infer(s, sz)[0].shape == partial_shape({1, 3, 7, 10}));

    sz[1].value = i64({10, 10});
    sz[1].shape = partial_shape({2});
    CHECK(infer_error<ops::interpolate>(s, sz).find("2 values for 1 axes") != std::string::npos);
    sz[2].value = i64({4, 3});
    CHECK(infer_error<ops::interpolate>(s, sz).find("out of range") != std::string::npos);
    sz[1].type = element_type::f32;
    CHECK(infer_error<ops::interpolate>(s, sz).find("integer") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// BatchNormInference, Clamp, HardSigmoid
// ---------------------------------------------------------------------------------------------

TEST_CASE("batch_norm_inference") {
    const tensor x = f32({1, 2, 3, 4}, {1, 2, 1, 2});
    const tensor gamma = f32({1, 2}, {2}), beta = f32({0, 1}, {2}), mean = f32({1, 3}, {2}), var = f32({4, 0.25f}, {2});
    check_values(eval1<ops::batch_norm_inference>({0.0}, {x, gamma, beta, mean, var}), {1, 2, 1, 2}, {0, 0.5, 1, 5});
    // epsilon is added to the variance: (x - 1) / sqrt(3 + 1)
    check_values(eval1<ops::batch_norm_inference>({1.0}, {iota({2, 1}, 1.0f), f32({1}, {1}), f32({0}, {1}),
                                                           f32({1}, {1}), f32({3}, {1})}),
                 {2, 1}, {0, 0.5});

    CHECK(infer<ops::batch_norm_inference>({}, {ps({-1, -1, 5}), ps({3}), ps({3}), ps({-1}), ps({3})}) ==
          partial_shape({-1, 3, 5}));
    CHECK(infer<ops::batch_norm_inference>({}, {partial_shape::dynamic(), ps({3}), ps({3}), ps({3}), ps({3})})
              .rank_dynamic);
    CHECK(infer_error<ops::batch_norm_inference>({}, descs({ps({1, 3, 5}), ps({3}), ps({4}), ps({3}), ps({3})}))
              .find("beta has 4") != std::string::npos);
    CHECK(infer_error<ops::batch_norm_inference>({}, descs({ps({1, 3, 5}), ps({3}), ps({3}), ps({3, 1}), ps({3})}))
              .find("mean") != std::string::npos);
    CHECK(infer_error<ops::batch_norm_inference>({}, descs({ps({3}), ps({3}), ps({3}), ps({3}), ps({3})}))
              .find("rank") != std::string::npos);
}

TEST_CASE("clamp") {
    check_values(eval1<ops::clamp>({-1.0, 1.0}, {f32({-2, -0.5f, 0.5f, 2}, {4})}), {4}, {-1, -0.5, 0.5, 1});
    check_values(eval1<ops::clamp>({0.0, 6.0}, {f32({-2, 3, 7}, {3}).converted(element_type::f16)}), {3}, {0, 3, 6});
    const tensor yi = eval1<ops::clamp>({-1.5, 2.5}, {tensor::from_vector<std::int32_t>({-3, -1, 0, 3}, {4})});
    CHECK(yi.type() == element_type::i32);
    check_values(yi, {4}, {-1, -1, 0, 2});
    const tensor yu = eval1<ops::clamp>({-10.0, 1e30}, {tensor::from_vector<std::uint8_t>({0, 7, 255}, {3})});
    check_values(yu, {3}, {0, 7, 255});
    CHECK(infer<ops::clamp>({0.0, 6.0}, {ps({-1, 3})}) == partial_shape({-1, 3}));
    CHECK(infer_error<ops::clamp>({2.0, 1.0}, descs({ps({3})})).find("min") != std::string::npos);
}

TEST_CASE("hard_sigmoid") {
    const tensor alpha = tensor::scalar(0.2f), beta = f32({0.5f}, {1});
    check_values(eval1<ops::hard_sigmoid>({}, {f32({-5, -1, 0, 1, 5}, {5}), alpha, beta}), {5}, {0, 0.3, 0.5, 0.7, 1});
    CHECK(infer<ops::hard_sigmoid>({}, {ps({-1, 4}), ps({}), ps({1})}) == partial_shape({-1, 4}));
    CHECK(infer_error<ops::hard_sigmoid>({}, descs({ps({4}), ps({2}), ps({})})).find("alpha") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// In a model: dynamic batch resolved at run time
// ---------------------------------------------------------------------------------------------

TEST_CASE("nn ops in a model: conv -> batchnorm -> clamp -> maxpool -> resize") {
    moir::model m;
    const auto p = m.add<ops::parameter>({element_type::f32, partial_shape({-1, 1, 4, 4})}, {}, "x");
    m.parameters.push_back(p);
    auto constant = [&](const tensor& t, const char* name) { return m.add<ops::constant>({t}, {}, name); };
    const auto w = constant(f32({1, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 3, 3}), "w");
    const auto conv = m.add<ops::convolution>({{1, 1}, {1, 1}, {1, 1}, {1, 1}, ops::pad_type::explicit_},
                                              {{p, 0}, {w, 0}}, "conv");
    const auto bn = m.add<ops::batch_norm_inference>(
        {0.0}, {{conv, 0}, {constant(f32({0.5f}, {1}), "g"), 0}, {constant(f32({1}, {1}), "b"), 0},
                {constant(f32({0}, {1}), "m"), 0}, {constant(f32({1}, {1}), "v"), 0}},
        "bn");
    const auto cl = m.add<ops::clamp>({0.0, 6.0}, {{bn, 0}}, "clamp");
    const auto mp = m.add<ops::max_pool>(
        {{2, 2}, {0, 0}, {0, 0}, {2, 2}, ops::rounding_type::floor, ops::pad_type::explicit_}, {{cl, 0}}, "pool");
    const auto rs = m.add<ops::interpolate>(resize(im::nearest, ct::asymmetric, nm::floor),
                                            {{mp, 0}, {constant(scales({2, 2}), "s"), 0},
                                             {constant(i64({2, 3}), "axes"), 0}},
                                            "resize");
    m.results.push_back(m.add<ops::result>({}, {{rs, 0}}, "y"));
    m.validate();
    CHECK(m.nodes[conv].outputs[0].shape == partial_shape({-1, 1, 4, 4}));
    CHECK(m.nodes[mp].outputs[0].shape == partial_shape({-1, 1, 2, 2}));
    CHECK(m.nodes[rs].outputs[0].shape == partial_shape({-1, 1, 4, 4}));  // scales and axes are constants

    moir::reference_executor<> ex(m);
    // x = 0.25 everywhere: conv = 0.25 * (window cells: 4 corner, 6 edge, 9 inside), bn = 0.5 * conv + 1
    const auto out = ex.run({f32(std::vector<float>(32, 0.25f), {2, 1, 4, 4})});
    REQUIRE(out.size() == 1);
    std::vector<double> one(16, 0.5 * 0.25 * 9 + 1);
    std::vector<double> both = one;
    both.insert(both.end(), one.begin(), one.end());
    check_values(out[0], {2, 1, 4, 4}, both);
}
