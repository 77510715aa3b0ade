// Tests of the group E ops (normalization, reductions, pooling with indices, sampling, linear
// algebra, spectral): ReduceL1, ReduceL2, MVN, LRN, MaxPool-8, MaxUnpool, Det, GridSample, ROIAlign,
// DFT, IDFT, STFT and MelWeightMatrix: reference kernels against hand-computed values, and shape
// inference (dynamic dims, unknown values, errors).

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/kernels/reference/all.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>
#include <support/protobuf_writer.hpp>

#include <doctest/doctest.h>

#include <cmath>    // fabs, sqrt
#include <cstddef>  // size_t
#include <cstdint>  // int32_t, int64_t, uint8_t
#include <string>   // string
#include <utility>  // pair
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
tensor i64s(std::int64_t v) { return tensor::scalar<std::int64_t>(v); }

/// 0, 1, 2, ... shaped as s.
tensor iota(const shape& s) {
    std::vector<float> v(moir::numel(s));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
    return f32(v, s);
}

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

/// A description without a value.
port_desc desc(const std::vector<std::int64_t>& dims, element_type t = element_type::f32) {
    return port_desc{t, partial_shape(dims), {}};
}
/// A description with a known value.
port_desc known(const tensor& t) { return port_desc{t.type(), partial_shape(t.dims()), t}; }

/// True when Op's shape inference throws moir::shape_error on `in`.
template <class Op>
bool infer_fails(const typename Op::attrs& a, const port_descs& in) {
    try {
        Op::infer(a, in);
    } catch (const moir::shape_error&) {
        return true;
    }
    return false;
}

/// Converts an ONNX model and runs it on `inputs` with the reference executor.
std::vector<tensor> run_onnx(const moir::test::onnx_builder& b, const std::vector<tensor>& inputs) {
    const std::string bytes = b.bytes();
    const auto pm = moir::onnx::proto::parse_model(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(),
                                                   "test.onnx");
    const moir::model m = moir::onnx::convert(pm, "test.onnx");
    return moir::reference_executor<>(m).run(inputs);
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

}  // namespace

TEST_CASE("reduce_l1 / reduce_l2: values and integer data") {
    const tensor x = f32({1, -2, 3, -4}, {2, 2});
    check_values(eval1<ops::reduce_l1>({false}, {x, i64({1})}), {2}, {3, 7});
    check_values(eval1<ops::reduce_l2>({true}, {x, i64({1})}), {2, 1}, {std::sqrt(5.0), 5});
    check_values(eval1<ops::reduce_l1>({false}, {x, i64({0, 1})}), {}, {10});
    const tensor xi = tensor::from_vector<std::int32_t>({3, -4}, {2});
    const tensor l2 = eval1<ops::reduce_l2>({false}, {xi, i64({0})});
    CHECK(l2.type() == element_type::i32);
    check_values(l2, {}, {5});
    CHECK(ops::reduce_l2::infer({true}, {desc({2, -1, 3}), desc({1}, element_type::i64)}).at(0).shape ==
          partial_shape({-1, -1, -1}));
}

TEST_CASE("mvn: inside and outside the root, centring only") {
    const tensor x = f32({1, 2, 3, 4}, {1, 4});
    const double s = std::sqrt(1.25);
    check_values(eval1<ops::mvn>({true, 0.0f, ops::mvn_eps_mode::inside_sqrt}, {x, i64({1})}), {1, 4},
                 {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s});
    check_values(eval1<ops::mvn>({true, 1.0f, ops::mvn_eps_mode::outside_sqrt}, {x, i64({-1})}), {1, 4},
                 {-1.5 / (s + 1), -0.5 / (s + 1), 0.5 / (s + 1), 1.5 / (s + 1)});
    check_values(eval1<ops::mvn>({false, 0.0f, ops::mvn_eps_mode::inside_sqrt}, {x.reshaped({2, 2}), i64({0})}), {2, 2},
                 {-1, -1, 1, 1});
    CHECK(infer_fails<ops::mvn>({}, {known(x), known(i64({1, -1}))}));                      // repeated axis
    CHECK(infer_fails<ops::mvn>({}, {desc({2}, element_type::i32), desc({1}, element_type::i64)}));  // integers
    CHECK(ops::mvn::infer({}, {desc({-1, 3}), desc({1}, element_type::i64)}).at(0).shape == partial_shape({-1, 3}));
}

TEST_CASE("lrn: channel windows, odd and even sizes") {
    const tensor x = f32({1, 2, 3}, {1, 3, 1, 1});
    // alpha / size = 1: y = x / (1 + sum of squares in the window)
    check_values(eval1<ops::lrn>({3.0, 1.0, 1.0, 3}, {x, i64({1})}), {1, 3, 1, 1}, {1.0 / 6, 2.0 / 15, 3.0 / 14});
    // size 2: the window is [c, c + 1]
    check_values(eval1<ops::lrn>({2.0, 1.0, 1.0, 2}, {x, i64({1})}), {1, 3, 1, 1}, {1.0 / 6, 2.0 / 14, 3.0 / 10});
    CHECK(infer_fails<ops::lrn>({1e-4, 0.75, 1.0, 0}, {desc({1, 3}), desc({1}, element_type::i64)}));
}

TEST_CASE("max_pool_v8: dilations, padding and indices") {
    ops::max_pool_v8::attrs a;
    a.kernel = {2, 2};
    a.dilations = {2, 2};
    const tensor x = iota({2, 1, 4, 4});
    const auto out = eval<ops::max_pool_v8>(a, {x});
    check_values(out.at(0), {2, 1, 2, 2}, {10, 11, 14, 15, 26, 27, 30, 31});
    CHECK(out.at(1).type() == element_type::i64);
    check_values(out.at(1), {2, 1, 2, 2}, {10, 11, 14, 15, 26, 27, 30, 31});
    a.axis = 2;  // indices within each plane
    a.index_element_type = element_type::i32;
    const auto plane = eval<ops::max_pool_v8>(a, {x});
    CHECK(plane.at(1).type() == element_type::i32);
    check_values(plane.at(1), {2, 1, 2, 2}, {10, 11, 14, 15, 10, 11, 14, 15});

    ops::max_pool_v8::attrs p;
    p.kernel = {2};
    p.pads_begin = {1};
    p.pads_end = {1};
    const auto padded = eval<ops::max_pool_v8>(p, {f32({3, 1, 2}, {1, 1, 3})});
    check_values(padded.at(0), {1, 1, 4}, {3, 3, 2, 2});
    check_values(padded.at(1), {1, 1, 4}, {0, 0, 2, 2});

    const auto d = ops::max_pool_v8::infer(a, {desc({-1, 3, 9, -1})});
    CHECK(d.size() == 2);
    CHECK(d.at(0).shape == partial_shape({-1, 3, 7, -1}));
    a.index_element_type = element_type::f32;
    CHECK(infer_fails<ops::max_pool_v8>(a, {desc({1, 1, 4, 4})}));
}

TEST_CASE("max_unpool: default and explicit output shapes") {
    const ops::max_unpool::attrs a{{2, 2}, {2, 2}, {}, {}};
    const tensor x = f32({5, 6, 7, 8}, {1, 1, 2, 2});
    const tensor idx = tensor::from_vector<std::int64_t>({5, 7, 13, 15}, {1, 1, 2, 2});
    std::vector<double> want(16, 0.0);
    want[5] = 5, want[7] = 6, want[13] = 7, want[15] = 8;
    check_values(eval1<ops::max_unpool>(a, {x, idx}), {1, 1, 4, 4}, want);
    // a larger output keeps the coordinates of the 4x4 frame
    std::vector<double> want5(25, 0.0);
    want5[6] = 5, want5[8] = 6, want5[16] = 7, want5[18] = 8;
    check_values(eval1<ops::max_unpool>(a, {x, idx, i64({1, 1, 5, 5})}), {1, 1, 5, 5}, want5);
    CHECK(ops::max_unpool::infer(a, {desc({1, 1, 2, 2}), desc({1, 1, 2, 2}, element_type::i64),
                                     desc({4}, element_type::i64)})
              .at(0)
              .shape == partial_shape({-1, -1, -1, -1}));
    CHECK(infer_fails<ops::max_unpool>(a, {desc({1, 1, 2}), desc({1, 1, 2}, element_type::i64)}));
}

TEST_CASE("det: 2x2, pivoting, batches") {
    check_values(eval1<ops::det>({}, {f32({1, 2, 3, 4}, {2, 2})}), {}, {-2});
    check_values(eval1<ops::det>({}, {f32({0, 1, 0, 1, 0, 0, 0, 0, 2}, {3, 3})}), {}, {-2});
    check_values(eval1<ops::det>({}, {f32({2, 0, 0, 3, 1, 1, 1, 1}, {2, 2, 2})}), {2}, {6, 0});
    CHECK(infer_fails<ops::det>({}, {desc({2, 3})}));
    CHECK(ops::det::infer({}, {desc({-1, 4, 4})}).at(0).shape == partial_shape({-1}));
}

TEST_CASE("grid_sample: modes, corners and padding") {
    const tensor x = f32({1, 2, 3, 4}, {1, 1, 2, 2});
    auto at = [&](ops::grid_sample::attrs a, float gx, float gy) {
        return eval1<ops::grid_sample>(a, {x, f32({gx, gy}, {1, 1, 1, 2})}).to_vector<double>().at(0);
    };
    ops::grid_sample::attrs a;
    CHECK(at(a, 0, 0) == doctest::Approx(2.5));  // the centre
    CHECK(at(a, -1, -1) == doctest::Approx(0.25));  // the outer corner: 1/4 of cell (0, 0), the rest zeros
    a.align_corners = true;
    CHECK(at(a, -1, -1) == doctest::Approx(1));
    CHECK(at(a, 1, -1) == doctest::Approx(2));
    a.align_corners = false;
    a.padding_mode = ops::grid_sample_padding::border;
    CHECK(at(a, -3, -3) == doctest::Approx(1));
    a.padding_mode = ops::grid_sample_padding::zeros;
    CHECK(at(a, -3, -3) == doctest::Approx(0));
    a.mode = ops::grid_sample_mode::nearest;
    CHECK(at(a, 0.6f, -0.6f) == doctest::Approx(2));
    CHECK(ops::grid_sample::infer({}, {desc({2, 3, -1, -1}), desc({-1, 5, 6, 2})}).at(0).shape ==
          partial_shape({2, 3, 5, 6}));
    CHECK(infer_fails<ops::grid_sample>({}, {desc({2, 3, 4, 4}), desc({2, 5, 6, 3})}));
}

TEST_CASE("roi_align: bilinear samples, average") {
    const tensor x = iota({1, 1, 4, 4});
    ops::roi_align::attrs a;
    a.sampling_ratio = 1;
    // one sample at the box centre (1.5, 1.5): 1.5 * 4 + 1.5
    check_values(eval1<ops::roi_align>(a, {x, f32({0, 0, 3, 3}, {1, 4}), i64({0})}), {1, 1, 1, 1}, {7.5});
    a.aligned_mode = ops::roi_aligned_mode::half_pixel;  // shifted by -0.5: the centre is (1, 1)
    check_values(eval1<ops::roi_align>(a, {x, f32({0, 0, 3, 3}, {1, 4}), i64({0})}), {1, 1, 1, 1}, {5});
    a.pooled_h = a.pooled_w = 2;
    a.aligned_mode = ops::roi_aligned_mode::asymmetric;
    check_values(eval1<ops::roi_align>(a, {x, f32({0, 0, 2, 2}, {1, 4}), i64({0})}), {1, 1, 2, 2},
                 {2.5, 3.5, 6.5, 7.5});
    CHECK(ops::roi_align::infer(a, {desc({1, 3, 8, 8}), desc({-1, 4}), desc({5}, element_type::i64)}).at(0).shape ==
          partial_shape({5, 3, 2, 2}));
}

TEST_CASE("dft / idft: forward, inverse, signal sizes") {
    const tensor x = f32({1, 0, 2, 0, 3, 0, 4, 0}, {4, 2});
    const tensor y = eval1<ops::dft>({}, {x, i64({0})});
    check_values(y, {4, 2}, {10, 0, -2, 2, -2, 0, -2, -2});
    check_values(eval1<ops::idft>({}, {y, i64({-1})}), {4, 2}, {1, 0, 2, 0, 3, 0, 4, 0});
    check_values(eval1<ops::dft>({}, {x, i64({0}), i64({2})}), {2, 2}, {3, 0, -1, 0});
    CHECK(ops::dft::infer({}, {desc({3, 8, 2}), desc({1}, element_type::i64), desc({1}, element_type::i64)})
              .at(0)
              .shape == partial_shape({-1, -1, 2}));
    CHECK(infer_fails<ops::dft>({}, {desc({3, 8, 1}), known(i64({0}))}));
    CHECK(infer_fails<ops::dft>({}, {desc({3, 8, 2}), known(i64({2}))}));  // the complex axis
}

TEST_CASE("stft: frames, onesided bins, window padding") {
    const tensor s = f32({1, 2, 3, 4}, {1, 4});
    check_values(eval1<ops::stft>({false}, {s, f32({1, 1}, {2}), i64s(2), i64s(2)}), {1, 2, 2, 2},
                 {3, 0, -1, 0, 7, 0, -1, 0});
    check_values(eval1<ops::stft>({true}, {s, f32({1, 1}, {2}), i64s(2), i64s(2)}), {1, 2, 2, 2},
                 {3, 0, 7, 0, -1, 0, -1, 0});
    // a window of 1 is padded to [1, 0]
    check_values(eval1<ops::stft>({false}, {s.reshaped({4}), f32({1}, {1}), i64s(2), i64s(1)}), {3, 2, 2},
                 {1, 0, 1, 0, 2, 0, 2, 0, 3, 0, 3, 0});
    CHECK(ops::stft::infer({false}, {desc({2, 100}), desc({16}), desc({}, element_type::i64), desc({}, element_type::i64)})
              .at(0)
              .shape == partial_shape({2, -1, -1, 2}));
    CHECK(infer_fails<ops::stft>({false}, {known(s), known(f32({1, 1, 1}, {3})), known(i64s(2)), known(i64s(1))}));
}

TEST_CASE("mel_weight_matrix: triangles on the mel scale") {
    const tensor w = eval1<ops::mel_weight_matrix>(
        {element_type::f32},
        {tensor::scalar<std::int32_t>(8), tensor::scalar<std::int32_t>(16), tensor::scalar<std::int32_t>(8192),
         tensor::scalar(0.0f), tensor::scalar(4096.0f)});
    std::vector<double> want(9 * 8, 0.0);
    for (auto [r, col] : std::vector<std::pair<int, int>>{{0, 0}, {0, 1}, {1, 2}, {1, 3}, {2, 4}, {3, 5}, {4, 6}, {5, 7}})
        want[static_cast<std::size_t>(r * 8 + col)] = 1.0;
    check_values(w, {9, 8}, want);
    CHECK(ops::mel_weight_matrix::infer({element_type::f32},
                                        {known(i64s(4)), desc({}, element_type::i64), desc({}, element_type::i64),
                                         desc({}), desc({})})
              .at(0)
              .shape == partial_shape({-1, 4}));
}

// ---------------------------------------------------------------------------------------------
// ONNX converters without conformance cases (libonnx-testdata 1.12 has none for these)
// ---------------------------------------------------------------------------------------------

using moir::test::attr;
using moir::test::onnx_builder;

TEST_CASE("onnx: LpPool and GlobalLpPool") {
    onnx_builder b;
    b.add_input("x", 1, {1, 1, 3}).add_output("y", 1, {1, 1, 2});
    b.add_node("LpPool", {"x"}, {"y"}, {attr::ints("kernel_shape", {2}), attr::i("p", 3)});
    check_values(run_onnx(b, {f32({1, -2, 3}, {1, 1, 3})}).at(0), {1, 1, 2}, {std::cbrt(9.0), std::cbrt(35.0)});
    onnx_builder g;
    g.add_input("x", 1, {1, 2, 2}).add_output("y", 1, {1, 2, 1});
    g.add_node("GlobalLpPool", {"x"}, {"y"}, {attr::i("p", 1)});
    check_values(run_onnx(g, {f32({1, -2, 3, -4}, {1, 2, 2})}).at(0), {1, 2, 1}, {3, 7});
}

TEST_CASE("onnx: GroupNormalization-18 and LpNormalization") {
    onnx_builder b;
    b.opset(18).add_input("x", 1, {1, 4, 1}).add_output("y", 1, {1, 4, 1});
    b.add_initializer<float>("scale", {2, 1}, {2}).add_initializer<float>("bias", {0, 1}, {2});
    b.add_node("GroupNormalization", {"x", "scale", "bias"}, {"y"}, {attr::i("num_groups", 2), attr::f("epsilon", 0)});
    check_values(run_onnx(b, {f32({1, 3, 5, 9}, {1, 4, 1})}).at(0), {1, 4, 1}, {-2, 2, 0, 2});
    onnx_builder l;
    l.add_input("x", 1, {2, 2}).add_output("y", 1, {2, 2});
    l.add_node("LpNormalization", {"x"}, {"y"}, {attr::i("p", 1)});
    check_values(run_onnx(l, {f32({1, 3, -2, 2}, {2, 2})}).at(0), {2, 2}, {0.25, 0.75, -0.5, 0.5});
}

TEST_CASE("onnx: ReduceLogSumExp-18 with absent axes, and noop_with_empty_axes") {
    onnx_builder b;
    b.opset(18).add_input("x", 1, {1, 2}).add_output("y", 1, {1, 1});
    b.add_node("ReduceLogSumExp", {"x"}, {"y"});
    check_values(run_onnx(b, {f32({0, static_cast<float>(std::log(3.0))}, {1, 2})}).at(0), {1, 1}, {std::log(4.0)});
    onnx_builder n;
    n.opset(18).add_input("x", 1, {1, 2}).add_output("y", 1, {1, 2});
    n.add_node("ReduceSumSquare", {"x"}, {"y"}, {attr::i("noop_with_empty_axes", 1)});
    check_values(run_onnx(n, {f32({2, 3}, {1, 2})}).at(0), {1, 2}, {2, 3});
}

TEST_CASE("onnx: QuantizeLinear per axis, halves to even") {
    onnx_builder b;
    b.opset(13).add_input("x", 1, {2, 2}).add_output("y", 2, {2, 2});
    b.add_initializer<float>("scale", {1, 2}, {2}).add_initializer<std::uint8_t>("zp", {0, 10}, {2});
    b.add_node("QuantizeLinear", {"x", "scale", "zp"}, {"y"}, {attr::i("axis", 0)});
    const tensor y = run_onnx(b, {f32({1, 2, 3, 300}, {2, 2})}).at(0);
    CHECK(y.type() == element_type::u8);
    check_values(y, {2, 2}, {1, 2, 12, 160});
}
