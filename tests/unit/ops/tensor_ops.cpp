// Tests of the tensor, shape, reduction, MatMul and Softmax ops: shape inference (static, dynamic,
// unknown constant inputs, errors) and the reference kernels against hand-computed values.

#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cmath>    // exp, isinf, isnan
#include <cstdint>  // int32_t, int64_t, INT64_MAX, INT64_MIN
#include <limits>   // numeric_limits
#include <string>   // string
#include <vector>   // vector

namespace {

using namespace moir;
using i64v = std::vector<std::int64_t>;
using f32v = std::vector<float>;

constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t small = std::numeric_limits<std::int64_t>::min();

template <class Op>
node make_node(const typename Op::attrs& a) {
    node n;
    n.op = &info_of<Op>();
    n.attrs = a;
    n.name = std::string(Op::name);
    return n;
}

/// Runs Op's reference kernel (through evaluate_node, so infer on the actual values comes first).
template <class Op>
std::vector<tensor> eval(const typename Op::attrs& a, const std::vector<tensor>& in) {
    return evaluate_node(make_node<Op>(a), in);
}
template <class Op>
tensor eval1(const typename Op::attrs& a, const std::vector<tensor>& in) {
    auto out = eval<Op>(a, in);
    REQUIRE(out.size() == 1);
    return out[0];
}

/// The exception message of evaluating Op on `in` ("" when it does not throw).
template <class Op>
std::string eval_error(const typename Op::attrs& a, const std::vector<tensor>& in) {
    try {
        eval<Op>(a, in);
    } catch (const moir::error& e) {
        return e.what();
    }
    return "";
}
/// The exception message of inferring Op on `in` ("" when it does not throw).
template <class Op>
std::string infer_error(const typename Op::attrs& a, const port_descs& in) {
    try {
        Op::infer(a, in);
    } catch (const shape_error& e) {
        return e.what();
    }
    return "";
}

port_desc desc(element_type t, partial_shape s) { return port_desc{t, std::move(s), {}}; }
port_desc known(const tensor& v) { return port_desc{v.type(), partial_shape(v.dims()), v}; }
/// An integer input whose value is unknown but whose shape is `s`.
port_desc unknown_ints(partial_shape s) { return desc(element_type::i64, std::move(s)); }

tensor ints(const i64v& v) { return tensor::from_vector(v); }
tensor int_scalar(std::int64_t v) { return tensor::scalar(v); }
tensor floats(const f32v& v, shape s) { return tensor::from_vector(v, std::move(s)); }
/// 0, 1, 2, ... in a tensor of shape s.
tensor iota(shape s) {
    f32v v(numel(s));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
    return tensor::from_vector(v, std::move(s));
}
f32v values(const tensor& t) { return t.to_vector<float>(); }

void check_close(const f32v& got, const f32v& want, float tol = 1e-5f) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i << ": got " << got[i] << ", want " << want[i]);
        CHECK(std::fabs(got[i] - want[i]) <= tol * (1.0f + std::fabs(want[i])));
    }
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// MatMul

TEST_CASE("matmul: 2-D, transposes") {
    const tensor a = floats({1, 2, 3, 4, 5, 6}, {2, 3});
    const tensor b = floats({7, 8, 9, 10, 11, 12}, {3, 2});
    const tensor y = eval1<ops::matmul>({}, {a, b});
    CHECK(y.dims() == shape{2, 2});
    CHECK(values(y) == f32v{58, 64, 139, 154});

    const tensor bt = floats({7, 9, 11, 8, 10, 12}, {2, 3});  // b transposed
    CHECK(values(eval1<ops::matmul>({false, true}, {a, bt})) == f32v{58, 64, 139, 154});
    const tensor at = floats({1, 4, 2, 5, 3, 6}, {3, 2});  // a transposed
    CHECK(values(eval1<ops::matmul>({true, false}, {at, b})) == f32v{58, 64, 139, 154});
    CHECK(values(eval1<ops::matmul>({true, true}, {at, bt})) == f32v{58, 64, 139, 154});
}

TEST_CASE("matmul: 1-D operands") {
    const tensor v = floats({1, 2, 3}, {3});
    const tensor w = floats({4, 5, 6}, {3});
    const tensor dot = eval1<ops::matmul>({}, {v, w});
    CHECK(dot.dims() == shape{});
    CHECK(values(dot) == f32v{32});
    // transpose flags do not affect 1-D operands
    CHECK(values(eval1<ops::matmul>({true, true}, {v, w})) == f32v{32});

    // [3] x [2,3,2] -> [2,2]
    const tensor b = iota({2, 3, 2});
    const tensor vb = eval1<ops::matmul>({}, {v, b});
    CHECK(vb.dims() == shape{2, 2});
    // batch 0: cols (0,2,4) and (1,3,5); batch 1: (6,8,10) and (7,9,11)
    CHECK(values(vb) == f32v{0 + 4 + 12, 1 + 6 + 15, 6 + 16 + 30, 7 + 18 + 33});

    // [2,2,3] x [3] -> [2,2]
    const tensor a = iota({2, 2, 3});
    const tensor av = eval1<ops::matmul>({}, {a, v});
    CHECK(av.dims() == shape{2, 2});
    CHECK(values(av) == f32v{0 + 2 + 6, 3 + 8 + 15, 6 + 14 + 24, 9 + 20 + 33});
}

TEST_CASE("matmul: batch broadcasting") {
    const tensor a = iota({2, 1, 2, 3});
    const tensor b = iota({3, 3, 2});
    const tensor y = eval1<ops::matmul>({}, {a, b});
    REQUIRE(y.dims() == shape{2, 3, 2, 2});
    const f32v av = values(a), bv = values(b), yv = values(y);
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j)
            for (int r = 0; r < 2; ++r)
                for (int c = 0; c < 2; ++c) {
                    float s = 0;
                    for (int p = 0; p < 3; ++p) s += av[i * 6 + r * 3 + p] * bv[j * 6 + p * 2 + c];
                    CHECK(yv[((i * 3 + j) * 2 + r) * 2 + c] == s);
                }
    // a 2-D B broadcasts over A's batch
    const tensor y2 = eval1<ops::matmul>({}, {iota({4, 1, 2}), floats({1, 0, 0, 1}, {2, 2})});
    CHECK(y2.dims() == shape{4, 1, 2});
    CHECK(values(y2) == values(iota({4, 1, 2})));
}

TEST_CASE("matmul: integer and f16") {
    const tensor a = tensor::from_vector(std::vector<std::int32_t>{1, -2, 3, 4}, {2, 2});
    const tensor y = eval1<ops::matmul>({}, {a, a});
    CHECK(y.type() == element_type::i32);
    CHECK(y.to_vector<std::int32_t>() == std::vector<std::int32_t>{-5, -10, 15, 10});
    const tensor h = floats({1, 2, 3, 4}, {2, 2}).converted(element_type::f16);
    const tensor yh = eval1<ops::matmul>({}, {h, h});
    CHECK(yh.type() == element_type::f16);
    CHECK(values(yh) == f32v{7, 10, 15, 22});
    const tensor d = floats({1, 2, 3, 4}, {2, 2}).converted(element_type::f64);
    const tensor yd = eval1<ops::matmul>({}, {d, d});
    CHECK(yd.type() == element_type::f64);
    CHECK(yd.to_vector<double>() == std::vector<double>{7, 10, 15, 22});
    CHECK(contains(eval_error<ops::matmul>({}, {tensor::from_vector(std::vector<bool>{true}),
                                                tensor::from_vector(std::vector<bool>{true})}),
                   "boolean"));
}

TEST_CASE("matmul: inference") {
    using ops::matmul;
    const auto f = element_type::f32;
    CHECK(matmul::infer({}, {desc(f, i64v{-1, 3}), desc(f, i64v{3, -1})})[0].shape == partial_shape(i64v{-1, -1}));
    CHECK(matmul::infer({}, {desc(f, i64v{-1, 5, 3}), desc(f, i64v{-1})})[0].shape == partial_shape(i64v{-1, 5}));
    CHECK(matmul::infer({}, {desc(f, i64v{8, 1, 4, 3}), desc(f, i64v{-1, 3, 2})})[0].shape ==
          partial_shape(i64v{8, -1, 4, 2}));
    CHECK(matmul::infer({true, false}, {desc(f, i64v{3, 4}), desc(f, i64v{3, 5})})[0].shape ==
          partial_shape(i64v{4, 5}));
    CHECK(matmul::infer({}, {desc(f, partial_shape::dynamic()), desc(f, i64v{3, 5})})[0].shape.rank_dynamic);
    CHECK(contains(infer_error<matmul>({}, {desc(f, i64v{2, 3}), desc(f, i64v{4, 5})}), "K=3"));
    CHECK(contains(infer_error<matmul>({}, {desc(f, i64v{}), desc(f, i64v{4, 5})}), "scalar"));
    CHECK(contains(infer_error<matmul>({}, {desc(f, i64v{2, 2, 3}), desc(f, i64v{3, 3, 1})}), "broadcast"));
    CHECK(
        contains(infer_error<matmul>({}, {desc(f, i64v{2, 3}), desc(element_type::f16, i64v{3, 1})}), "element types"));
}

// ---------------------------------------------------------------------------------------------
// Softmax

TEST_CASE("softmax: last and non-last axis, stability") {
    const tensor x = floats({1, 2, 3, 1, 1, 1}, {2, 3});
    const float e1 = std::exp(1.0f), e2 = std::exp(2.0f), e3 = std::exp(3.0f);
    const float s = e1 + e2 + e3;
    check_close(values(eval1<ops::softmax>({-1}, {x})), {e1 / s, e2 / s, e3 / s, 1.f / 3, 1.f / 3, 1.f / 3});
    check_close(values(eval1<ops::softmax>({1}, {x})), {e1 / s, e2 / s, e3 / s, 1.f / 3, 1.f / 3, 1.f / 3});
    // axis 0: columns (1,1), (2,1), (3,1)
    const float p1 = 0.5f, p2 = e2 / (e2 + e1), p3 = e3 / (e3 + e1);
    check_close(values(eval1<ops::softmax>({0}, {x})), {p1, p2, p3, 1 - p1, 1 - p2, 1 - p3});
    check_close(values(eval1<ops::softmax>({-2}, {x})), {p1, p2, p3, 1 - p1, 1 - p2, 1 - p3});
    // middle axis of a 3-D tensor: [2, 2, 1]
    check_close(values(eval1<ops::softmax>({1}, {floats({0, 0, 5, 5}, {2, 2, 1})})), {0.5f, 0.5f, 0.5f, 0.5f});
    // large values do not overflow
    const f32v big_out = values(eval1<ops::softmax>({-1}, {floats({1000, 1001, 1002}, {3})}));
    check_close(big_out, {e1 / s, e2 / s, e3 / s});
    // f16
    const tensor h = eval1<ops::softmax>({-1}, {floats({0, 0}, {2}).converted(element_type::f16)});
    CHECK(h.type() == element_type::f16);
    CHECK(values(h) == f32v{0.5f, 0.5f});
    const tensor d = eval1<ops::softmax>({0}, {floats({0, 0, 0, 0}, {4, 1}).converted(element_type::f64)});
    CHECK(d.type() == element_type::f64);
    CHECK(d.to_vector<double>() == std::vector<double>{0.25, 0.25, 0.25, 0.25});
}

TEST_CASE("softmax: inference and errors") {
    CHECK(ops::softmax::infer({-1}, {desc(element_type::f32, i64v{-1, 7})})[0].shape == partial_shape(i64v{-1, 7}));
    CHECK(contains(infer_error<ops::softmax>({2}, {desc(element_type::f32, i64v{2, 3})}), "out of range"));
    CHECK(contains(infer_error<ops::softmax>({0}, {desc(element_type::i32, i64v{2, 3})}), "floating-point"));
    CHECK(contains(eval_error<ops::softmax>({-3}, {iota({2, 3})}), "node 'softmax' (Softmax)"));
}

// ---------------------------------------------------------------------------------------------
// Reductions

TEST_CASE("reduce: sum/mean/max/min/prod with keep_dims both ways") {
    const tensor x = iota({2, 3, 2});  // [[0 1][2 3][4 5]], [[6 7][8 9][10 11]]
    const tensor ax1 = ints({1});
    tensor y = eval1<ops::reduce_sum>({false}, {x, ax1});
    CHECK(y.dims() == shape{2, 2});
    CHECK(values(y) == f32v{6, 9, 24, 27});
    y = eval1<ops::reduce_sum>({true}, {x, ax1});
    CHECK(y.dims() == shape{2, 1, 2});
    CHECK(values(y) == f32v{6, 9, 24, 27});

    // negative and several axes
    y = eval1<ops::reduce_sum>({false}, {x, ints({-1, 0})});
    CHECK(y.dims() == shape{3});
    CHECK(values(y) == f32v{0 + 1 + 6 + 7, 2 + 3 + 8 + 9, 4 + 5 + 10 + 11});
    y = eval1<ops::reduce_mean>({true}, {x, ints({0, -1})});
    CHECK(y.dims() == shape{1, 3, 1});
    CHECK(values(y) == f32v{3.5f, 5.5f, 7.5f});
    // a scalar axis, and all axes
    CHECK(values(eval1<ops::reduce_max>({false}, {x, int_scalar(2)})) == f32v{1, 3, 5, 7, 9, 11});
    y = eval1<ops::reduce_min>({false}, {x, ints({0, 1, 2})});
    CHECK(y.dims() == shape{});
    CHECK(values(y) == f32v{0});
    y = eval1<ops::reduce_prod>({true}, {floats({1, 2, 3, 4}, {2, 2}), ints({0})});
    CHECK(y.dims() == shape{1, 2});
    CHECK(values(y) == f32v{3, 8});
    CHECK(values(eval1<ops::reduce_max>({false}, {floats({-5, -2, -9}, {3}), ints({0})})) == f32v{-2});
    // f16 and f64
    const tensor h = eval1<ops::reduce_mean>({false}, {x.converted(element_type::f16), ints({2})});
    CHECK(h.type() == element_type::f16);
    CHECK(values(h) == f32v{0.5f, 2.5f, 4.5f, 6.5f, 8.5f, 10.5f});
    const tensor d = eval1<ops::reduce_sum>({false}, {x.converted(element_type::f64), ints({0, 1, 2})});
    CHECK(d.to_vector<double>() == std::vector<double>{66});
}

TEST_CASE("reduce: empty axes, integers, NaN, empty dims") {
    const tensor x = iota({2, 3});
    const tensor y = eval1<ops::reduce_sum>({false}, {x, tensor::from_vector(i64v{})});
    CHECK(y.dims() == shape{2, 3});
    CHECK(values(y) == values(x));

    const tensor xi = tensor::from_vector(std::vector<std::int32_t>{-7, 2, 1, 4}, {2, 2});
    const tensor mi = eval1<ops::reduce_mean>({false}, {xi, ints({1})});
    CHECK(mi.type() == element_type::i32);
    CHECK(mi.to_vector<std::int32_t>() == std::vector<std::int32_t>{-2, 2});  // -5/2 truncates
    CHECK(eval1<ops::reduce_prod>({false}, {xi, ints({0})}).to_vector<std::int32_t>() ==
          std::vector<std::int32_t>{-7, 8});

    const float nan = std::numeric_limits<float>::quiet_NaN();
    CHECK(std::isnan(values(eval1<ops::reduce_max>({false}, {floats({1, nan, 3}, {3}), ints({0})}))[0]));
    CHECK(std::isnan(values(eval1<ops::reduce_min>({false}, {floats({nan, 1, 3}, {3}), ints({0})}))[0]));

    // reducing an empty axis: identities
    const tensor e(element_type::f32, {2, 0});
    CHECK(values(eval1<ops::reduce_sum>({false}, {e, ints({1})})) == f32v{0, 0});
    CHECK(values(eval1<ops::reduce_prod>({false}, {e, ints({1})})) == f32v{1, 1});
    CHECK(std::isinf(values(eval1<ops::reduce_max>({false}, {e, ints({1})}))[0]));
}

TEST_CASE("reduce: inference") {
    const auto f = element_type::f32;
    using ops::reduce_mean;
    CHECK(reduce_mean::infer({true}, {desc(f, i64v{-1, 3, 4}), known(ints({-1}))})[0].shape ==
          partial_shape(i64v{-1, 3, 1}));
    CHECK(reduce_mean::infer({false}, {desc(f, i64v{-1, 3, 4}), known(ints({1, 2}))})[0].shape ==
          partial_shape(i64v{-1}));
    // axes unknown
    CHECK(reduce_mean::infer({true}, {desc(f, i64v{2, 3, 4}), unknown_ints(i64v{2})})[0].shape ==
          partial_shape(i64v{-1, -1, -1}));
    CHECK(reduce_mean::infer({false}, {desc(f, i64v{2, 3, 4}), unknown_ints(i64v{2})})[0].shape ==
          partial_shape(i64v{-1}));
    CHECK(reduce_mean::infer({false}, {desc(f, i64v{2, 3, 4}), unknown_ints(i64v{-1})})[0].shape.rank_dynamic);
    CHECK(reduce_mean::infer({false}, {desc(f, partial_shape::dynamic()), known(ints({0}))})[0].shape.rank_dynamic);
    CHECK(contains(infer_error<reduce_mean>({false}, {desc(f, i64v{2, 3}), known(ints({2}))}), "out of range"));
    CHECK(contains(infer_error<ops::reduce_sum>({false}, {desc(f, i64v{2, 3}), known(ints({0}).reshaped({1, 1}))}),
                   "scalar or 1-D"));
    CHECK(contains(infer_error<ops::reduce_sum>({false}, {desc(element_type::boolean, i64v{2}), known(ints({0}))}),
                   "boolean"));
}

// ---------------------------------------------------------------------------------------------
// Reshape

TEST_CASE("reshape: -1, special_zero, values") {
    const tensor x = iota({2, 3, 4});
    tensor y = eval1<ops::reshape>({false}, {x, ints({4, -1})});
    CHECK(y.dims() == shape{4, 6});
    CHECK(values(y) == values(x));
    y = eval1<ops::reshape>({true}, {x, ints({0, -1})});
    CHECK(y.dims() == shape{2, 12});
    y = eval1<ops::reshape>({true}, {x, ints({0, 0, 2, 2})});
    CHECK(y.dims() == shape{2, 3, 2, 2});
    y = eval1<ops::reshape>({false}, {x, ints({-1})});
    CHECK(y.dims() == shape{24});
    y = eval1<ops::reshape>({false}, {tensor(element_type::f32, {0, 3}), ints({0, -1})});  // 0 is a real 0
    CHECK(y.dims() == shape{0, 0});
    y = eval1<ops::reshape>({false}, {tensor(element_type::f32, {2, 0}), ints({-1, 5})});
    CHECK(y.dims() == shape{0, 5});
    // scalar <-> [1]
    CHECK(eval1<ops::reshape>({false}, {floats({7}, {1}), tensor::from_vector(i64v{})}).dims() == shape{});
    // booleans and i32 targets
    const tensor b = tensor::from_vector(std::vector<bool>{true, false, true, true}, {4});
    const tensor yb = eval1<ops::reshape>({false}, {b, tensor::from_vector(std::vector<std::int32_t>{2, 2})});
    CHECK(yb.dims() == shape{2, 2});
    CHECK(yb.to_vector<bool>() == std::vector<bool>{true, false, true, true});
}

TEST_CASE("reshape: errors") {
    const tensor x = iota({2, 3, 4});
    CHECK(contains(eval_error<ops::reshape>({false}, {x, ints({-1, -1})}), "more than one -1"));
    CHECK(contains(eval_error<ops::reshape>({false}, {x, ints({5, -1})}), "divide"));
    CHECK(contains(eval_error<ops::reshape>({false}, {x, ints({5, 5})}), "24 elements"));
    CHECK(contains(eval_error<ops::reshape>({false}, {x, ints({0, -1})}), "zero elements"));
    CHECK(contains(eval_error<ops::reshape>({true}, {iota({6}), ints({0, 0, -1})}), "rank 1"));
    CHECK(contains(eval_error<ops::reshape>({false}, {x, ints({-2, 12})}), "negative"));
    CHECK(contains(eval_error<ops::reshape>({false}, {x, floats({24}, {1})}), "integer"));
}

TEST_CASE("reshape: dynamic inference") {
    const auto f = element_type::f32;
    using ops::reshape;
    // unknown target: its length gives the rank
    CHECK(reshape::infer({false}, {desc(f, i64v{2, 3}), unknown_ints(i64v{3})})[0].shape ==
          partial_shape(i64v{-1, -1, -1}));
    CHECK(reshape::infer({false}, {desc(f, i64v{2, 3}), unknown_ints(i64v{-1})})[0].shape.rank_dynamic);
    // a dynamic batch copied by special_zero cancels out, so the -1 resolves
    CHECK(reshape::infer({true}, {desc(f, i64v{-1, 3, 4}), known(ints({0, -1}))})[0].shape ==
          partial_shape(i64v{-1, 12}));
    CHECK(reshape::infer({true}, {desc(f, i64v{-1, 3, 4}), known(ints({0, 2, -1}))})[0].shape ==
          partial_shape(i64v{-1, 2, 6}));
    // otherwise the -1 stays dynamic
    CHECK(reshape::infer({false}, {desc(f, i64v{-1, 3, 4}), known(ints({-1, 4}))})[0].shape ==
          partial_shape(i64v{-1, 4}));
    CHECK(reshape::infer({true}, {desc(f, partial_shape::dynamic()), known(ints({0, 4}))})[0].shape ==
          partial_shape(i64v{-1, 4}));
    CHECK(contains(infer_error<reshape>({true}, {desc(f, i64v{-1, 3, 4}), known(ints({0, 5, -1}))}), "divide"));
}

// ---------------------------------------------------------------------------------------------
// Transpose, Squeeze, Unsqueeze

TEST_CASE("transpose") {
    const tensor x = iota({2, 3, 4});
    const tensor y = eval1<ops::transpose>({}, {x, ints({2, 0, 1})});
    REQUIRE(y.dims() == shape{4, 2, 3});
    const f32v xv = values(x), yv = values(y);
    for (int a = 0; a < 4; ++a)
        for (int b = 0; b < 2; ++b)
            for (int c = 0; c < 3; ++c) CHECK(yv[(a * 2 + b) * 3 + c] == xv[(b * 3 + c) * 4 + a]);
    // empty perm reverses the axes
    const tensor r = eval1<ops::transpose>({}, {iota({2, 3}), tensor::from_vector(i64v{})});
    CHECK(r.dims() == shape{3, 2});
    CHECK(values(r) == f32v{0, 3, 1, 4, 2, 5});
    // f16 and i8
    const tensor h = eval1<ops::transpose>({}, {iota({2, 3}).converted(element_type::f16), ints({1, 0})});
    CHECK(values(h) == f32v{0, 3, 1, 4, 2, 5});
    const tensor i8 = eval1<ops::transpose>({}, {iota({2, 3}).converted(element_type::i8), ints({1, 0})});
    CHECK(i8.to_vector<int>() == std::vector<int>{0, 3, 1, 4, 2, 5});

    CHECK(contains(eval_error<ops::transpose>({}, {x, ints({0, 0, 1})}), "not a permutation"));
    CHECK(contains(eval_error<ops::transpose>({}, {x, ints({1, 0})}), "2 entries"));
    const auto f = element_type::f32;
    CHECK(ops::transpose::infer({}, {desc(f, i64v{2, -1, 4}), known(ints({1, 2, 0}))})[0].shape ==
          partial_shape(i64v{-1, 4, 2}));
    CHECK(ops::transpose::infer({}, {desc(f, i64v{2, 3, 4}), unknown_ints(i64v{3})})[0].shape ==
          partial_shape(i64v{-1, -1, -1}));
    CHECK(ops::transpose::infer({}, {desc(f, i64v{2, 3, 4}), unknown_ints(i64v{0})})[0].shape ==
          partial_shape(i64v{4, 3, 2}));
}

TEST_CASE("squeeze and unsqueeze") {
    const tensor x = iota({1, 3, 1, 2});
    tensor y = eval1<ops::squeeze>({}, {x});
    CHECK(y.dims() == shape{3, 2});
    CHECK(values(y) == values(x));
    CHECK(eval1<ops::squeeze>({}, {x, ints({-2})}).dims() == shape{1, 3, 2});
    CHECK(eval1<ops::squeeze>({}, {x, ints({0, 2, -4})}).dims() == shape{3, 2});  // duplicates are fine
    CHECK(eval1<ops::squeeze>({}, {x, tensor::from_vector(i64v{})}).dims() == shape{3, 2});
    CHECK(eval1<ops::squeeze>({}, {floats({4}, {1}), int_scalar(0)}).dims() == shape{});
    CHECK(contains(eval_error<ops::squeeze>({}, {x, ints({1})}), "not 1"));
    CHECK(contains(eval_error<ops::squeeze>({}, {x, ints({4})}), "out of range"));

    y = eval1<ops::unsqueeze>({}, {iota({3, 2}), ints({0, -1})});
    CHECK(y.dims() == shape{1, 3, 2, 1});
    CHECK(values(y) == values(iota({3, 2})));
    CHECK(eval1<ops::unsqueeze>({}, {iota({3, 2}), ints({1})}).dims() == shape{3, 1, 2});
    CHECK(eval1<ops::unsqueeze>({}, {iota({3, 2}), ints({-2})}).dims() == shape{3, 1, 2});
    CHECK(eval1<ops::unsqueeze>({}, {floats({5}, {}), ints({0})}).dims() == shape{1});
    CHECK(contains(eval_error<ops::unsqueeze>({}, {iota({3}), ints({0, 0})}), "twice"));
    CHECK(contains(eval_error<ops::unsqueeze>({}, {iota({3}), ints({3})}), "out of range"));

    const auto f = element_type::f32;
    CHECK(ops::squeeze::infer({}, {desc(f, i64v{1, -1, 2})})[0].shape.rank_dynamic);
    CHECK(ops::squeeze::infer({}, {desc(f, i64v{1, -1, 2}), known(ints({1}))})[0].shape == partial_shape(i64v{1, 2}));
    CHECK(ops::squeeze::infer({}, {desc(f, i64v{1, 3, 1}), unknown_ints(i64v{2})})[0].shape == partial_shape(i64v{-1}));
    CHECK(ops::unsqueeze::infer({}, {desc(f, i64v{-1, 3}), known(ints({1}))})[0].shape ==
          partial_shape(i64v{-1, 1, 3}));
    CHECK(ops::unsqueeze::infer({}, {desc(f, i64v{2, 3}), unknown_ints(i64v{2})})[0].shape ==
          partial_shape(i64v{-1, -1, -1, -1}));
}

// ---------------------------------------------------------------------------------------------
// Concat, Split, VariadicSplit

TEST_CASE("concat") {
    const tensor a = floats({1, 2}, {2, 1});
    const tensor b = floats({3, 4, 5, 6, 7, 8}, {2, 3});
    tensor y = eval1<ops::concat>({-1}, {a, b});
    CHECK(y.dims() == shape{2, 4});
    CHECK(values(y) == f32v{1, 3, 4, 5, 2, 6, 7, 8});
    y = eval1<ops::concat>({0}, {b, floats({9, 10, 11}, {1, 3}), b});
    CHECK(y.dims() == shape{5, 3});
    CHECK(values(y) == f32v{3, 4, 5, 6, 7, 8, 9, 10, 11, 3, 4, 5, 6, 7, 8});
    y = eval1<ops::concat>({0}, {a});
    CHECK(values(y) == f32v{1, 2});
    y = eval1<ops::concat>({0}, {ints({1, 2}), tensor::from_vector(i64v{}), ints({3})});
    CHECK(y.to_vector<std::int64_t>() == i64v{1, 2, 3});

    const auto f = element_type::f32;
    CHECK(ops::concat::infer({1}, {desc(f, i64v{-1, 2}), desc(f, i64v{4, 3})})[0].shape == partial_shape(i64v{4, 5}));
    CHECK(ops::concat::infer({1}, {desc(f, i64v{4, -1}), desc(f, i64v{4, 3})})[0].shape == partial_shape(i64v{4, -1}));
    CHECK(ops::concat::infer({0}, {desc(f, partial_shape::dynamic()), desc(f, i64v{4, 3})})[0].shape ==
          partial_shape(i64v{-1, 3}));
    CHECK(contains(eval_error<ops::concat>({1}, {a, iota({3, 3})}), "on axis 0"));
    CHECK(contains(eval_error<ops::concat>({2}, {a, b}), "out of range"));
    CHECK(contains(eval_error<ops::concat>({0}, {a, iota({2})}), "rank"));
    CHECK(contains(eval_error<ops::concat>({0}, {a, ints({1})}), "i64"));
}

TEST_CASE("split and variadic_split") {
    auto parts = eval<ops::split>({3}, {iota({6}), int_scalar(0)});
    REQUIRE(parts.size() == 3);
    CHECK(values(parts[0]) == f32v{0, 1});
    CHECK(values(parts[2]) == f32v{4, 5});
    parts = eval<ops::split>({2}, {iota({2, 4}), int_scalar(-1)});
    REQUIRE(parts.size() == 2);
    CHECK(parts[1].dims() == shape{2, 2});
    CHECK(values(parts[0]) == f32v{0, 1, 4, 5});
    CHECK(values(parts[1]) == f32v{2, 3, 6, 7});
    CHECK(contains(eval_error<ops::split>({4}, {iota({6}), int_scalar(0)}), "equal parts"));
    CHECK(contains(eval_error<ops::split>({0}, {iota({6}), int_scalar(0)}), "num_splits"));
    CHECK(ops::split::outputs({5}) == 5);

    parts = eval<ops::variadic_split>({}, {iota({2, 7}), int_scalar(1), ints({2, -1, 1})});
    REQUIRE(parts.size() == 3);
    CHECK(parts[0].dims() == shape{2, 2});
    CHECK(parts[1].dims() == shape{2, 4});
    CHECK(parts[2].dims() == shape{2, 1});
    CHECK(values(parts[0]) == f32v{0, 1, 7, 8});
    CHECK(values(parts[1]) == f32v{2, 3, 4, 5, 9, 10, 11, 12});
    CHECK(values(parts[2]) == f32v{6, 13});
    parts = eval<ops::variadic_split>({}, {iota({3}), int_scalar(0), ints({0, 3})});
    CHECK(parts[0].dims() == shape{0});
    CHECK(values(parts[1]) == f32v{0, 1, 2});
    CHECK(contains(eval_error<ops::variadic_split>({}, {iota({3}), int_scalar(0), ints({1, 1})}), "sum to 2"));
    CHECK(
        contains(eval_error<ops::variadic_split>({}, {iota({3}), int_scalar(0), ints({-1, -1})}), "more than one -1"));

    const auto f = element_type::f32;
    const auto d = ops::variadic_split::infer({}, {desc(f, i64v{-1, 6}), known(int_scalar(1)), unknown_ints(i64v{3})});
    REQUIRE(d.size() == 3);
    CHECK(d[0].shape == partial_shape(i64v{-1, -1}));
    const auto d2 = ops::variadic_split::infer({}, {desc(f, i64v{-1, 6}), known(int_scalar(0)), known(ints({1, -1}))});
    CHECK(d2[1].shape == partial_shape(i64v{-1, 6}));
    CHECK(
        contains(infer_error<ops::variadic_split>({}, {desc(f, i64v{6}), known(int_scalar(0)), unknown_ints(i64v{-1})}),
                 "number of outputs"));
    const auto d3 = ops::split::infer({2}, {desc(f, i64v{4, -1}), unknown_ints(i64v{})});
    REQUIRE(d3.size() == 2);
    CHECK(d3[1].shape == partial_shape(i64v{-1, -1}));
}

// ---------------------------------------------------------------------------------------------
// Slice

TEST_CASE("slice: ONNX semantics") {
    const tensor x = iota({10});
    auto run = [&](i64v start, i64v stop, i64v step) {
        return values(eval1<ops::slice>({}, {x, ints(start), ints(stop), ints(step)}));
    };
    CHECK(run({-3}, {big}, {1}) == f32v{7, 8, 9});
    CHECK(run({2}, {5}, {1}) == f32v{2, 3, 4});
    CHECK(run({1}, {8}, {3}) == f32v{1, 4, 7});
    CHECK(run({-1}, {small}, {-1}) == f32v{9, 8, 7, 6, 5, 4, 3, 2, 1, 0});
    CHECK(run({big}, {small}, {-3}) == f32v{9, 6, 3, 0});
    CHECK(run({8}, {1}, {-2}) == f32v{8, 6, 4, 2});
    CHECK(run({-1}, {small}, {small}) == f32v{9});
    CHECK(run({0}, {big}, {big}) == f32v{0});
    CHECK(run({5}, {2}, {1}).empty());
    CHECK(run({2}, {5}, {-1}).empty());
    CHECK(run({-100}, {100}, {4}) == f32v{0, 4, 8});
    CHECK(run({20}, {30}, {1}).empty());

    // 2-D with axes, negative axes and i32 parameters
    const tensor m = iota({3, 4});
    tensor y = eval1<ops::slice>({}, {m, ints({1}), ints({3}), ints({1}), ints({1})});
    CHECK(y.dims() == shape{3, 2});
    CHECK(values(y) == f32v{1, 2, 5, 6, 9, 10});
    y = eval1<ops::slice>({}, {m, ints({-1, 0}), ints({small, 2}), ints({-1, 1}), ints({-1, 0})});
    CHECK(y.dims() == shape{2, 4});
    CHECK(values(y) == f32v{3, 2, 1, 0, 7, 6, 5, 4});
    const auto i32 = [](std::vector<std::int32_t> v) { return tensor::from_vector(v); };
    y = eval1<ops::slice>({}, {m, i32({2, 3}), i32({0, 0}), i32({-2, -3})});
    CHECK(y.dims() == shape{1, 1});
    CHECK(values(y) == f32v{11});
    // booleans
    const tensor b = tensor::from_vector(std::vector<bool>{true, false, false, true}, {4});
    CHECK(eval1<ops::slice>({}, {b, ints({0}), ints({big}), ints({3})}).to_vector<bool>() ==
          std::vector<bool>{true, true});
}

TEST_CASE("slice: inference and errors") {
    const auto f = element_type::f32;
    using ops::slice;
    CHECK(slice::infer(
              {}, {desc(f, i64v{-1, 8}), known(ints({1})), known(ints({-1})), known(ints({2})), known(ints({1}))})[0]
              .shape == partial_shape(i64v{-1, 3}));
    CHECK(slice::infer({}, {desc(f, i64v{5, 8}), unknown_ints(i64v{1}), known(ints({4})), known(ints({1})),
                            known(ints({-1}))})[0]
              .shape == partial_shape(i64v{5, -1}));
    CHECK(slice::infer(
              {}, {desc(f, i64v{5, 8}), known(ints({0})), known(ints({4})), known(ints({1})), unknown_ints(i64v{1})})[0]
              .shape == partial_shape(i64v{-1, -1}));
    CHECK(
        slice::infer({}, {desc(f, i64v{5, 8}), unknown_ints(i64v{1}), unknown_ints(i64v{1}), unknown_ints(i64v{1})})[0]
            .shape == partial_shape(i64v{-1, 8}));
    const tensor x = iota({4, 4});
    CHECK(contains(eval_error<slice>({}, {x, ints({0}), ints({1}), ints({0})}), "step is 0"));
    CHECK(contains(eval_error<slice>({}, {x, ints({0, 0}), ints({1}), ints({1})}), "same length"));
    CHECK(contains(eval_error<slice>({}, {x, ints({0, 0}), ints({1, 1}), ints({1, 1}), ints({1, -1})}), "twice"));
    CHECK(contains(eval_error<slice>({}, {x, ints({0}), ints({1}), ints({1}), ints({2})}), "out of range"));
}

// ---------------------------------------------------------------------------------------------
// ShapeOf, Gather, Range

TEST_CASE("shape_of") {
    const tensor y = eval1<ops::shape_of>({}, {iota({2, 3, 4})});
    CHECK(y.type() == element_type::i64);
    CHECK(y.to_vector<std::int64_t>() == i64v{2, 3, 4});
    const tensor y32 = eval1<ops::shape_of>({element_type::i32}, {iota({5})});
    CHECK(y32.type() == element_type::i32);
    CHECK(y32.to_vector<std::int64_t>() == i64v{5});
    CHECK(eval1<ops::shape_of>({}, {floats({1}, {})}).dims() == shape{0});

    // static shapes give the value at inference time, for folding
    auto d = ops::shape_of::infer({}, {desc(element_type::f32, i64v{1, 3, 224, 224})});
    REQUIRE(d[0].has_value());
    CHECK(d[0].value.to_vector<std::int64_t>() == i64v{1, 3, 224, 224});
    CHECK(d[0].shape == partial_shape(i64v{4}));
    d = ops::shape_of::infer({}, {desc(element_type::f32, i64v{-1, 3})});
    CHECK(!d[0].has_value());
    CHECK(d[0].shape == partial_shape(i64v{2}));
    d = ops::shape_of::infer({}, {desc(element_type::f32, partial_shape::dynamic())});
    CHECK(d[0].shape == partial_shape(i64v{-1}));
    CHECK(contains(infer_error<ops::shape_of>({element_type::f32}, {desc(element_type::f32, i64v{2})}), "i32 or i64"));
}

TEST_CASE("gather") {
    const tensor data = iota({3, 2});
    tensor y = eval1<ops::gather>({}, {data, ints({2, 0, -1}), int_scalar(0)});
    CHECK(y.dims() == shape{3, 2});
    CHECK(values(y) == f32v{4, 5, 0, 1, 4, 5});
    y = eval1<ops::gather>({}, {data, int_scalar(1), int_scalar(-1)});  // scalar index drops the axis
    CHECK(y.dims() == shape{3});
    CHECK(values(y) == f32v{1, 3, 5});
    y = eval1<ops::gather>({}, {data, ints({1, 0, 1, 1}).reshaped({2, 2}), int_scalar(1)});
    CHECK(y.dims() == shape{3, 2, 2});
    CHECK(values(y) == f32v{1, 0, 1, 1, 3, 2, 3, 3, 5, 4, 5, 5});
    // out-of-range indices give zeros
    CHECK(values(eval1<ops::gather>({}, {data, ints({3, -4}), int_scalar(0)})) == f32v{0, 0, 0, 0});
    // batch_dims: per row, pick columns
    y = eval1<ops::gather>({1}, {iota({2, 3}), ints({2, 0, 1, 1}).reshaped({2, 2}), int_scalar(1)});
    CHECK(y.dims() == shape{2, 2});
    CHECK(values(y) == f32v{2, 0, 4, 4});
    y = eval1<ops::gather>({-1}, {iota({2, 3}), ints({2, 0, 1, 1}).reshaped({2, 2}), int_scalar(-1)});
    CHECK(values(y) == f32v{2, 0, 4, 4});
    // shape sub-graph use: i64 data, i32 indices
    y = eval1<ops::gather>({},
                           {ints({1, 3, 224, 224}), tensor::from_vector(std::vector<std::int32_t>{0}), int_scalar(0)});
    CHECK(y.to_vector<std::int64_t>() == i64v{1});

    const auto f = element_type::f32;
    CHECK(
        ops::gather::infer({}, {desc(f, i64v{-1, 5, 6}), desc(element_type::i64, i64v{2, 7}), known(int_scalar(1))})[0]
            .shape == partial_shape(i64v{-1, 2, 7, 6}));
    CHECK(ops::gather::infer({}, {desc(f, i64v{4, 5, 6}), desc(element_type::i64, i64v{2, 7}), unknown_ints(i64v{})})[0]
              .shape == partial_shape(i64v{-1, -1, -1, -1}));
    // 1-D data has only axis 0, known or not
    CHECK(ops::gather::infer(
              {}, {desc(element_type::i64, i64v{4}), desc(element_type::i64, i64v{2}), unknown_ints(i64v{})})[0]
              .shape == partial_shape(i64v{2}));
    CHECK(contains(infer_error<ops::gather>(
                       {2}, {desc(f, i64v{4, 5, 6}), desc(element_type::i64, i64v{4, 5}), known(int_scalar(1))}),
                   "batch_dims"));
    CHECK(contains(
        infer_error<ops::gather>({1}, {desc(f, i64v{4, 5}), desc(element_type::i64, i64v{3}), known(int_scalar(1))}),
        "batch dim 0"));
    CHECK(contains(eval_error<ops::gather>({}, {data, ints({0}), int_scalar(2)}), "out of range"));
    CHECK(contains(eval_error<ops::gather>({}, {data, floats({0}, {1}), int_scalar(0)}), "integer"));
}

TEST_CASE("range") {
    CHECK(eval1<ops::range>({element_type::i64}, {int_scalar(0), int_scalar(10), int_scalar(3)})
              .to_vector<std::int64_t>() == i64v{0, 3, 6, 9});
    CHECK(eval1<ops::range>({element_type::i32}, {int_scalar(5), int_scalar(0), int_scalar(-2)})
              .to_vector<std::int64_t>() == i64v{5, 3, 1});
    CHECK(eval1<ops::range>({element_type::i64}, {int_scalar(5), int_scalar(5), int_scalar(1)}).dims() == shape{0});
    const tensor r =
        eval1<ops::range>({element_type::f32}, {tensor::scalar(1.0f), tensor::scalar(2.0f), tensor::scalar(0.25f)});
    CHECK(r.type() == element_type::f32);
    CHECK(values(r) == f32v{1, 1.25f, 1.5f, 1.75f});
    CHECK(values(eval1<ops::range>({element_type::f32},
                                   {tensor::scalar(0.0f), tensor::scalar(1.0f), tensor::scalar(0.3f)}))
              .size() == 4);
    CHECK(contains(eval_error<ops::range>({element_type::i64}, {int_scalar(0), int_scalar(3), int_scalar(0)}), "step"));
    const auto d =
        ops::range::infer({element_type::f32}, {unknown_ints(i64v{}), unknown_ints(i64v{}), unknown_ints(i64v{})});
    CHECK(d[0].shape == partial_shape(i64v{-1}));
    CHECK(d[0].type == element_type::f32);
    CHECK(contains(
        infer_error<ops::range>({element_type::i64}, {known(ints({0, 1})), known(int_scalar(3)), known(int_scalar(1))}),
        "one value"));
}

// ---------------------------------------------------------------------------------------------
// Broadcast, Tile

TEST_CASE("broadcast") {
    const tensor x = floats({1, 2, 3}, {3, 1});
    tensor y = eval1<ops::broadcast>({ops::broadcast_mode::numpy}, {x, ints({2, 3, 2})});
    CHECK(y.dims() == shape{2, 3, 2});
    CHECK(values(y) == f32v{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3});
    y = eval1<ops::broadcast>({ops::broadcast_mode::bidirectional}, {x, ints({1, 2})});
    CHECK(y.dims() == shape{3, 2});
    CHECK(values(y) == f32v{1, 1, 2, 2, 3, 3});
    y = eval1<ops::broadcast>({ops::broadcast_mode::bidirectional}, {x, ints({1})});  // target smaller than data
    CHECK(y.dims() == shape{3, 1});
    y = eval1<ops::broadcast>({ops::broadcast_mode::explicit_}, {floats({1, 2}, {2}), ints({2, 3}), ints({0})});
    CHECK(y.dims() == shape{2, 3});
    CHECK(values(y) == f32v{1, 1, 1, 2, 2, 2});
    y = eval1<ops::broadcast>({ops::broadcast_mode::numpy}, {floats({7}, {}), ints({2})});
    CHECK(values(y) == f32v{7, 7});
    const tensor b =
        eval1<ops::broadcast>({}, {tensor::from_vector(std::vector<bool>{true, false}, {2}), ints({2, 2})});
    CHECK(b.to_vector<bool>() == std::vector<bool>{true, false, true, false});

    CHECK(
        contains(eval_error<ops::broadcast>({ops::broadcast_mode::numpy}, {x, ints({3, 1, 2})}), "does not broadcast"));
    CHECK(contains(eval_error<ops::broadcast>({ops::broadcast_mode::numpy}, {x, ints({3})}), "higher rank"));
    CHECK(contains(eval_error<ops::broadcast>({ops::broadcast_mode::bidirectional}, {x, ints({2, 2})}),
                   "cannot be broadcast"));
    CHECK(contains(eval_error<ops::broadcast>({ops::broadcast_mode::explicit_}, {x, ints({3, 2})}), "3 inputs"));
    const auto f = element_type::f32;
    CHECK(ops::broadcast::infer({ops::broadcast_mode::numpy}, {desc(f, i64v{3, 1}), unknown_ints(i64v{4})})[0].shape ==
          partial_shape(i64v{-1, -1, -1, -1}));
    CHECK(
        ops::broadcast::infer({ops::broadcast_mode::bidirectional}, {desc(f, i64v{2, 3, 1}), unknown_ints(i64v{2})})[0]
            .shape == partial_shape(i64v{-1, -1, -1}));
    CHECK(ops::broadcast::infer({ops::broadcast_mode::bidirectional}, {desc(f, i64v{-1, 1}), known(ints({4, 1, 5}))})[0]
              .shape == partial_shape(i64v{4, -1, 5}));
}

TEST_CASE("tile") {
    const tensor x = iota({2, 2});
    tensor y = eval1<ops::tile>({}, {x, ints({1, 2})});
    CHECK(y.dims() == shape{2, 4});
    CHECK(values(y) == f32v{0, 1, 0, 1, 2, 3, 2, 3});
    y = eval1<ops::tile>({}, {x, ints({2})});  // repeats shorter than the rank: leading 1s
    CHECK(y.dims() == shape{2, 4});
    y = eval1<ops::tile>({}, {x, ints({2, 1, 1})});  // longer: the data gets a leading 1
    CHECK(y.dims() == shape{2, 2, 2});
    CHECK(values(y) == f32v{0, 1, 2, 3, 0, 1, 2, 3});
    y = eval1<ops::tile>({}, {x, ints({0, 1})});
    CHECK(y.dims() == shape{0, 2});
    CHECK(contains(eval_error<ops::tile>({}, {x, ints({-1, 1})}), "negative"));
    CHECK(ops::tile::infer({}, {desc(element_type::f32, i64v{-1, 3}), known(ints({2, 2}))})[0].shape ==
          partial_shape(i64v{-1, 6}));
    CHECK(ops::tile::infer({}, {desc(element_type::f32, i64v{2, 3}), unknown_ints(i64v{3})})[0].shape ==
          partial_shape(i64v{-1, -1, -1}));
}

// ---------------------------------------------------------------------------------------------
// Pad

TEST_CASE("pad: modes") {
    const tensor x = floats({1, 2, 3}, {3});
    auto run = [&](ops::pad_mode mode, std::int64_t b, std::int64_t e) {
        return values(eval1<ops::pad>({mode}, {x, ints({b}), ints({e})}));
    };
    CHECK(run(ops::pad_mode::constant, 2, 1) == f32v{0, 0, 1, 2, 3, 0});
    CHECK(run(ops::pad_mode::edge, 2, 2) == f32v{1, 1, 1, 2, 3, 3, 3});
    CHECK(run(ops::pad_mode::reflect, 2, 2) == f32v{3, 2, 1, 2, 3, 2, 1});
    CHECK(run(ops::pad_mode::symmetric, 2, 3) == f32v{2, 1, 1, 2, 3, 3, 2, 1});
    // negative pads crop
    CHECK(run(ops::pad_mode::constant, -1, 1) == f32v{2, 3, 0});
    CHECK(run(ops::pad_mode::reflect, -2, 1) == f32v{3, 2});
    CHECK(run(ops::pad_mode::constant, -1, -2).empty());
    // the pad value
    CHECK(values(eval1<ops::pad>({}, {x, ints({1}), ints({1}), tensor::scalar(9.0f)})) == f32v{9, 1, 2, 3, 9});
    // 2-D, f16 and i32 pads
    const tensor m = iota({2, 2}).converted(element_type::f16);
    const auto i32 = [](std::vector<std::int32_t> v) { return tensor::from_vector(v); };
    const tensor y = eval1<ops::pad>({}, {m, i32({1, 0}), i32({0, 1}), tensor::scalar(half(-1.0f))});
    CHECK(y.type() == element_type::f16);
    CHECK(y.dims() == shape{3, 3});
    CHECK(values(y) == f32v{-1, -1, -1, 0, 1, -1, 2, 3, -1});
    const tensor ye = eval1<ops::pad>({ops::pad_mode::edge}, {iota({2, 2}), ints({1, 1}), ints({0, 0})});
    CHECK(values(ye) == f32v{0, 0, 1, 0, 0, 1, 2, 2, 3});
}

TEST_CASE("pad: inference and errors") {
    const tensor x = floats({1, 2, 3}, {3});
    CHECK(contains(eval_error<ops::pad>({ops::pad_mode::reflect}, {x, ints({3}), ints({0})}), "dim - 1"));
    CHECK(contains(eval_error<ops::pad>({ops::pad_mode::symmetric}, {x, ints({0}), ints({4})}), "exceed"));
    CHECK(contains(eval_error<ops::pad>({}, {x, ints({-2}), ints({-2})}), "negative"));
    CHECK(contains(eval_error<ops::pad>({}, {x, ints({1, 1}), ints({1, 1})}), "rank 1"));
    CHECK(contains(eval_error<ops::pad>({}, {x, ints({1}), ints({1}), int_scalar(0)}), "element type"));
    const auto f = element_type::f32;
    CHECK(ops::pad::infer({}, {desc(f, i64v{-1, 3}), known(ints({1, 1})), known(ints({0, 2}))})[0].shape ==
          partial_shape(i64v{-1, 6}));
    CHECK(ops::pad::infer({}, {desc(f, i64v{2, 3}), unknown_ints(i64v{2}), known(ints({0, 2}))})[0].shape ==
          partial_shape(i64v{-1, -1}));
}

// ---------------------------------------------------------------------------------------------
// Through a model: dynamic shapes at conversion time, resolved at run time

TEST_CASE("tensor ops in a model: flatten via a shape sub-graph, split outputs") {
    model m;
    const auto x = m.add<ops::parameter>({element_type::f32, partial_shape(i64v{-1, 3, 4})}, {}, "x");
    m.parameters.push_back(x);
    const auto shp = m.add<ops::shape_of>({}, {{x, 0}}, "shape");
    const auto idx = m.add<ops::constant>({ints({0})}, {}, "idx");
    const auto ax = m.add<ops::constant>({int_scalar(0)}, {}, "ax");
    const auto batch = m.add<ops::gather>({}, {{shp, 0}, {idx, 0}, {ax, 0}}, "batch");
    const auto rest = m.add<ops::constant>({ints({-1})}, {}, "rest");
    const auto target = m.add<ops::concat>({0}, {{batch, 0}, {rest, 0}}, "target");
    const auto flat = m.add<ops::reshape>({false}, {{x, 0}, {target, 0}}, "flat");
    const auto sm = m.add<ops::softmax>({-1}, {{flat, 0}}, "sm");
    const auto sp = m.add<ops::split>({2}, {{sm, 0}, {ax, 0}}, "split");
    m.results.push_back(m.add<ops::result>({}, {{sp, 0}}, "out0"));
    m.results.push_back(m.add<ops::result>({}, {{sp, 1}}, "out1"));
    m.validate();
    // the target is unknown at conversion time: the rank survives, dims are dynamic
    CHECK(m.at(target).outputs[0].shape == partial_shape(i64v{2}));
    CHECK(m.at(flat).outputs[0].shape == partial_shape(i64v{-1, -1}));
    CHECK(m.at(sp).outputs.size() == 2);

    reference_executor<> ex(m);
    const auto out = ex.run({iota({4, 3, 4})});
    REQUIRE(out.size() == 2);
    CHECK(out[0].dims() == shape{2, 12});
    CHECK(out[1].dims() == shape{2, 12});
    // each row of 12 consecutive values: softmax(0..11) shifted, identical across rows
    const f32v a = values(out[0]), b = values(out[1]);
    double s = 0;
    for (int i = 0; i < 12; ++i) s += std::exp(static_cast<double>(i));
    for (int i = 0; i < 12; ++i) {
        CHECK(a[static_cast<std::size_t>(i)] == doctest::Approx(std::exp(static_cast<double>(i)) / s));
        CHECK(b[static_cast<std::size_t>(12 + i)] == doctest::Approx(std::exp(static_cast<double>(i)) / s));
    }
}

TEST_CASE("tensor ops in a model: bad inputs name the node") {
    auto build = [](partial_shape input) {
        model m;
        const auto x = m.add<ops::parameter>({element_type::f32, std::move(input)}, {}, "x");
        m.parameters.push_back(x);
        const auto t = m.add<ops::constant>({ints({4, 4})}, {}, "t");
        const auto r = m.add<ops::reshape>({false}, {{x, 0}, {t, 0}}, "bad_reshape");
        m.results.push_back(m.add<ops::result>({}, {{r, 0}}, "out"));
        return m;
    };
    // static input: the constant target is checked when the model is validated
    model s = build(partial_shape(i64v{2, 3}));
    std::string msg;
    try {
        s.validate();
    } catch (const shape_error& e) {
        msg = e.what();
    }
    CHECK(contains(msg, "node 'bad_reshape' (Reshape)"));
    CHECK(contains(msg, "16 elements"));
    // dynamic input: only at run time
    model d = build(partial_shape(i64v{-1, 4}));
    d.validate();
    CHECK(d.at(2).outputs[0].shape == partial_shape(i64v{4, 4}));
    reference_executor<> ex(d);
    msg.clear();
    try {
        ex.run({iota({2, 4})});
    } catch (const moir::error& e) {
        msg = e.what();
    }
    CHECK(contains(msg, "node 'bad_reshape' (Reshape)"));
    CHECK(contains(msg, "16 elements"));
    CHECK(ex.run({iota({4, 4})}).at(0).dims() == shape{4, 4});
}
