// Tests of the indexing, scatter/gather, sorting and tensor-creation ops (group D): GatherElements,
// GatherND, ScatterElementsUpdate, ScatterNDUpdate, OneHot, NonZero, TopK, Unique, CumSum, Einsum,
// DepthToSpace, SpaceToDepth, ReverseSequence, Eye (reference kernels against hand-computed
// values, shape inference with dynamic and unknown inputs, errors), the ONNX converters that
// decompose or follow newer opsets (ArgMax select_last_index, Trilu, Split num_outputs, Pad axes and
// wrap, Size, EyeLike on dynamic dims), and an IR round trip.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>
#include <support/protobuf_writer.hpp>

#include <cmath>    // fabs
#include <cstdint>  // int32_t, int64_t
#include <limits>   // numeric_limits
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
using moir::test::attr;
using i64v = std::vector<std::int64_t>;
using dv = std::vector<double>;

tensor f32(const std::vector<float>& v, const shape& s) { return tensor::from_vector<float>(v, s); }
tensor i64(const i64v& v, const shape& s) { return tensor::from_vector<std::int64_t>(v, s); }
tensor i64(const i64v& v) { return tensor::from_vector<std::int64_t>(v); }
tensor iscalar(std::int64_t v) { return tensor::scalar<std::int64_t>(v); }
/// 0, 1, 2, ... as f32 of shape s.
tensor iota(const shape& s) {
    std::vector<float> v(moir::numel(s));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i);
    return f32(v, s);
}

template <class Op>
std::vector<tensor> eval_all(const typename Op::attrs& a, const std::vector<tensor>& in) {
    moir::node n;
    n.op = &moir::info_of<Op>();
    n.attrs = a;
    n.name = std::string(Op::name);
    return moir::evaluate_node(n, in);
}
template <class Op>
tensor eval(const typename Op::attrs& a, const std::vector<tensor>& in) {
    return eval_all<Op>(a, in).at(0);
}
/// The message of evaluating Op on `in`, "" when it does not throw.
template <class Op>
std::string eval_error(const typename Op::attrs& a, const std::vector<tensor>& in) {
    try {
        eval_all<Op>(a, in);
    } catch (const moir::error& e) {
        return e.what();
    }
    return "";
}
template <class Op>
std::string infer_error(const typename Op::attrs& a, const port_descs& in) {
    try {
        Op::infer(a, in);
    } catch (const moir::shape_error& e) {
        return e.what();
    }
    return "";
}

port_desc desc(element_type t, const i64v& dims) { return port_desc{t, partial_shape(dims), {}}; }
port_desc known(const tensor& v) { return port_desc{v.type(), partial_shape(v.dims()), v}; }

void check_values(const tensor& t, const shape& s, const dv& expect) {
    REQUIRE(t.dims() == s);
    const auto got = t.to_vector<double>();
    REQUIRE(got.size() == expect.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i << ": got " << got[i] << ", expected " << expect[i]);
        CHECK(std::fabs(got[i] - expect[i]) <= 1e-5 * (1.0 + std::fabs(expect[i])));
    }
}

moir::model convert(const moir::test::onnx_builder& b) {
    const std::string s = b.bytes();
    return moir::onnx::convert(
        moir::onnx::proto::parse_model(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), "d.onnx"), "d.onnx");
}
std::vector<tensor> run(const moir::model& m, const std::vector<tensor>& in) {
    return moir::reference_executor<>(m).run(in);
}

}  // namespace

TEST_CASE("GatherElements and GatherND") {
    const tensor d = f32({1, 2, 3, 4}, {2, 2});
    check_values(eval<ops::gather_elements>({1}, {d, i64({0, 0, 1, 0}, {2, 2})}), {2, 2}, {1, 1, 4, 3});
    check_values(eval<ops::gather_elements>({0}, {d, i64({-1, 0}, {1, 2})}), {1, 2}, {3, 2});
    CHECK(eval_error<ops::gather_elements>({0}, {d, i64({2, 0}, {1, 2})}).find("out of range") != std::string::npos);
    CHECK(infer_error<ops::gather_elements>({0}, {desc(element_type::f32, {2, 2}), desc(element_type::i64, {2})})
              .find("rank") != std::string::npos);
    CHECK(ops::gather_elements::infer({-1}, {desc(element_type::f32, {-1, 3}), desc(element_type::i64, {4, -1})})[0]
              .shape == partial_shape({4, -1}));

    check_values(eval<ops::gather_nd>({0}, {f32({0, 1, 2, 3}, {2, 2}), i64({0, 0, 1, 1}, {2, 2})}), {2}, {0, 3});
    check_values(eval<ops::gather_nd>({0}, {f32({0, 1, 2, 3}, {2, 2}), i64({1, -2}, {2, 1})}), {2, 2}, {2, 3, 0, 1});
    // batch_dims 1: each batch entry picks its own row
    check_values(eval<ops::gather_nd>({1}, {iota({2, 2, 2}), i64({1, 0}, {2, 1})}), {2, 2}, {2, 3, 4, 5});
    CHECK(ops::gather_nd::infer({1}, {desc(element_type::f32, {-1, 4, 5}), desc(element_type::i64, {3, 7, 1})})[0]
              .shape == partial_shape({3, 7, 5}));
    CHECK(infer_error<ops::gather_nd>({0}, {desc(element_type::f32, {2, 2}), desc(element_type::i64, {1, 3})})
              .find("exceed") != std::string::npos);
}

TEST_CASE("ScatterElementsUpdate and ScatterNDUpdate with reductions") {
    using red = ops::scatter_elements_reduction;
    const tensor d = f32({1, 2, 3, 4, 5}, {1, 5});
    const tensor u = f32({10, 20}, {1, 2});
    const tensor axis = iscalar(-1);
    check_values(eval<ops::scatter_elements_update>({red::none, true}, {d, i64({1, -2}, {1, 2}), u, axis}), {1, 5},
                 {1, 10, 3, 20, 5});
    check_values(eval<ops::scatter_elements_update>({red::sum, true}, {d, i64({1, 1}, {1, 2}), u, axis}), {1, 5},
                 {1, 32, 3, 4, 5});
    check_values(eval<ops::scatter_elements_update>({red::prod, false}, {d, i64({1, 1}, {1, 2}), u, axis}), {1, 5},
                 {1, 200, 3, 4, 5});
    check_values(eval<ops::scatter_elements_update>({red::mean, true}, {d, i64({0, 0}, {1, 2}), u, axis}), {1, 5},
                 {31.0 / 3, 2, 3, 4, 5});
    check_values(eval<ops::scatter_elements_update>({red::max, true}, {d, i64({4, 4}, {1, 2}), f32({3, 4}, {1, 2}), axis}),
                 {1, 5}, {1, 2, 3, 4, 5});
    CHECK(eval_error<ops::scatter_elements_update>({red::none, true}, {d, i64({5, 0}, {1, 2}), u, axis})
              .find("out of range") != std::string::npos);
    CHECK(infer_error<ops::scatter_elements_update>(
              {}, {desc(element_type::f32, {2, 2}), desc(element_type::i64, {2, 2}), desc(element_type::f32, {2, 3}),
                   known(iscalar(0))})
              .find("same shape") != std::string::npos);

    using nred = ops::scatter_nd_reduction;
    const tensor v = f32({1, 2, 3, 4, 5, 6, 7, 8}, {8});
    const tensor idx = i64({4, 3, 1, 7}, {4, 1});
    const tensor up = f32({9, 10, 11, 12}, {4});
    check_values(eval<ops::scatter_nd_update>({nred::none}, {v, idx, up}), {8}, {1, 11, 3, 10, 9, 6, 7, 12});
    check_values(eval<ops::scatter_nd_update>({nred::sub}, {v, idx, up}), {8}, {1, -9, 3, -6, -4, 6, 7, -4});
    // slices: rows of a 2x2 matrix, duplicate index summed
    check_values(eval<ops::scatter_nd_update>({nred::sum}, {f32({1, 2, 3, 4}, {2, 2}), i64({1, 1}, {2, 1}),
                                                          f32({1, 1, 2, 2}, {2, 2})}),
                 {2, 2}, {1, 2, 6, 7});
    CHECK(infer_error<ops::scatter_nd_update>(
              {}, {desc(element_type::f32, {4, 4}), desc(element_type::i64, {2, 1}), desc(element_type::f32, {2, 3})})
              .find("updates") != std::string::npos);
}

TEST_CASE("OneHot and NonZero") {
    using neg = ops::one_hot_negative_mode;
    const tensor on = tensor::scalar(5.0f), off = tensor::scalar(0.0f);
    check_values(eval<ops::one_hot>({-1, neg::normalize}, {i64({0, -1, 3}), iscalar(3), on, off}), {3, 3},
                 {5, 0, 0, 0, 0, 5, 0, 0, 0});
    check_values(eval<ops::one_hot>({0, neg::ignore_negative}, {i64({0, -1, 2}), iscalar(3), on, off}), {3, 3},
                 {5, 0, 0, 0, 0, 0, 0, 0, 5});
    CHECK(ops::one_hot::infer({1, neg::normalize}, {desc(element_type::i64, {2, 4}), desc(element_type::i64, {}),
                                                    desc(element_type::f32, {}), desc(element_type::f32, {})})[0]
              .shape == partial_shape({2, -1, 4}));

    const tensor c = tensor::from_vector<bool>({true, false, true, true}, {2, 2});
    check_values(eval<ops::non_zero>({element_type::i64}, {c}), {2, 3}, {0, 1, 1, 0, 0, 1});
    const tensor z = eval<ops::non_zero>({element_type::i32}, {f32({0, 0}, {2})});
    CHECK(z.type() == element_type::i32);
    CHECK(z.dims() == shape{1, 0});
    CHECK(ops::non_zero::infer({element_type::i64}, {desc(element_type::f32, {3, -1})})[0].shape ==
          partial_shape({2, -1}));
}

TEST_CASE("TopK: modes, sort orders, ties, NaN and k beyond the dim") {
    using mode = ops::top_k_mode;
    using sort = ops::top_k_sort;
    const tensor x = f32({1, 3, 2, 3, 0, 4}, {2, 3});
    auto out = eval_all<ops::top_k>({1, mode::max, sort::value, element_type::i64, true}, {x, iscalar(2)});
    check_values(out[0], {2, 2}, {3, 2, 4, 3});
    check_values(out[1], {2, 2}, {1, 2, 2, 0});
    out = eval_all<ops::top_k>({0, mode::min, sort::value, element_type::i32, true}, {x, iscalar(1)});
    check_values(out[0], {1, 3}, {1, 0, 2});
    check_values(out[1], {1, 3}, {0, 1, 0});
    CHECK(out[1].type() == element_type::i32);
    // ties keep index order; sort=index reorders the kept ones
    const tensor t = f32({2, 5, 5, 1, 5}, {5});
    out = eval_all<ops::top_k>({0, mode::max, sort::value, element_type::i64, true}, {t, iscalar(3)});
    check_values(out[1], {3}, {1, 2, 4});
    out = eval_all<ops::top_k>({0, mode::max, sort::index, element_type::i64, true}, {t, iscalar(4)});
    check_values(out[1], {4}, {0, 1, 2, 4});
    const float nan = std::numeric_limits<float>::quiet_NaN();
    out = eval_all<ops::top_k>({0, mode::max, sort::value, element_type::i64, true}, {f32({1, nan, 2}, {3}), iscalar(1)});
    check_values(out[1], {1}, {1});
    out = eval_all<ops::top_k>({0, mode::max, sort::value, element_type::i64, true}, {f32({1, 2}, {2}), iscalar(5)});
    CHECK(out[0].dims() == shape{2});
    CHECK(ops::top_k::infer({}, {desc(element_type::f32, {4, 6}), desc(element_type::i64, {})})[0].shape ==
          partial_shape({4, -1}));
    CHECK(infer_error<ops::top_k>({}, {desc(element_type::f32, {4}), known(iscalar(-1))}).find("k must") !=
          std::string::npos);
}

TEST_CASE("Unique: flattened or along an axis, sorted or in first-occurrence order") {
    const tensor x = f32({2, 1, 1, 3, 4, 3}, {6});
    auto out = eval_all<ops::unique>({true, element_type::i64, element_type::i64}, {x});
    check_values(out[0], {4}, {1, 2, 3, 4});
    check_values(out[1], {4}, {1, 0, 3, 4});
    check_values(out[2], {6}, {1, 0, 0, 2, 3, 2});
    check_values(out[3], {4}, {2, 1, 2, 1});
    out = eval_all<ops::unique>({false, element_type::i64, element_type::i32}, {x});
    check_values(out[0], {4}, {2, 1, 3, 4});
    check_values(out[1], {4}, {0, 1, 3, 4});
    check_values(out[2], {6}, {0, 1, 1, 2, 3, 2});
    check_values(out[3], {4}, {1, 2, 2, 1});
    CHECK(out[3].type() == element_type::i32);
    // rows of a matrix
    out = eval_all<ops::unique>({true, element_type::i64, element_type::i64},
                                {f32({2, 3, 1, 0, 2, 3}, {3, 2}), iscalar(0)});
    check_values(out[0], {2, 2}, {1, 0, 2, 3});
    check_values(out[1], {2}, {1, 0});
    check_values(out[2], {3}, {1, 0, 1});
    check_values(out[3], {2}, {1, 2});
    // columns (negative axis)
    out = eval_all<ops::unique>({true, element_type::i64, element_type::i64},
                                {f32({1, 0, 1, 2, 5, 2}, {2, 3}), iscalar(-1)});
    check_values(out[0], {2, 2}, {0, 1, 5, 2});
    check_values(out[2], {3}, {1, 0, 1});
    const auto d = ops::unique::infer({}, {desc(element_type::f32, {2, 5})});
    CHECK(d[0].shape == partial_shape({-1}));
    CHECK(d[2].shape == partial_shape({10}));
}

TEST_CASE("CumSum: exclusive, reverse, axes and integer types") {
    const tensor x = tensor::from_vector<double>({1, 2, 3, 4, 5});
    check_values(eval<ops::cum_sum>({false, false}, {x, iscalar(0)}), {5}, {1, 3, 6, 10, 15});
    check_values(eval<ops::cum_sum>({true, false}, {x, iscalar(0)}), {5}, {0, 1, 3, 6, 10});
    check_values(eval<ops::cum_sum>({false, true}, {x, iscalar(0)}), {5}, {15, 14, 12, 9, 5});
    check_values(eval<ops::cum_sum>({true, true}, {x}), {5}, {14, 12, 9, 5, 0});
    const tensor m = tensor::from_vector<std::int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
    const tensor y = eval<ops::cum_sum>({false, false}, {m, tensor::scalar<std::int32_t>(-1)});
    CHECK(y.type() == element_type::i32);
    check_values(y, {2, 3}, {1, 3, 6, 4, 9, 15});
    check_values(eval<ops::cum_sum>({false, false}, {m, iscalar(0)}), {2, 3}, {1, 2, 3, 5, 7, 9});
    CHECK(infer_error<ops::cum_sum>({}, {desc(element_type::f32, {2}), known(iscalar(1))}).find("out of range") !=
          std::string::npos);
}

TEST_CASE("Einsum: products, sums, transposes, diagonals, ellipsis, implicit output") {
    const tensor a = iota({2, 3}), b = iota({3, 2});
    check_values(eval<ops::einsum>({"ij,jk->ik"}, {a, b}), {2, 2}, {10, 13, 28, 40});
    check_values(eval<ops::einsum>({"ij,jk"}, {a, b}), {2, 2}, {10, 13, 28, 40});  // implicit: ik
    check_values(eval<ops::einsum>({"ij->ji"}, {a}), {3, 2}, {0, 3, 1, 4, 2, 5});
    check_values(eval<ops::einsum>({"ij -> i"}, {a}), {2}, {3, 12});
    check_values(eval<ops::einsum>({"ij->"}, {a}), {}, {15});
    check_values(eval<ops::einsum>({"ii->i"}, {iota({3, 3})}), {3}, {0, 4, 8});
    check_values(eval<ops::einsum>({"ii"}, {iota({3, 3})}), {}, {12});  // implicit: the trace
    check_values(eval<ops::einsum>({"...ii->...i"}, {iota({2, 2, 2})}), {2, 2}, {0, 3, 4, 7});
    check_values(eval<ops::einsum>({"i,i"}, {f32({1, 2, 3}, {3}), f32({4, 5, 6}, {3})}), {}, {32});
    check_values(eval<ops::einsum>({"i,j->ij"}, {f32({1, 2}, {2}), f32({3, 4, 5}, {3})}), {2, 3}, {3, 4, 5, 6, 8, 10});
    // ellipsis broadcast: [2, 1, 2] x [3, 2] batches over [2, 3]
    check_values(eval<ops::einsum>({"...j,...j->..."}, {iota({2, 1, 2}), iota({3, 2})}), {2, 3}, {1, 3, 5, 3, 13, 23});
    const tensor ints = eval<ops::einsum>({"ij,jk"}, {a.converted(element_type::i32), b.converted(element_type::i32)});
    CHECK(ints.type() == element_type::i32);
    check_values(ints, {2, 2}, {10, 13, 28, 40});
    CHECK(ops::einsum::infer({"bij,bjk->bik"}, {desc(element_type::f32, {-1, 2, 3}), desc(element_type::f32, {5, 3, 4})})[0]
              .shape == partial_shape({5, 2, 4}));
    CHECK(infer_error<ops::einsum>({"ij,jk"}, {desc(element_type::f32, {2, 3}), desc(element_type::f32, {4, 2})})
              .find("extents") != std::string::npos);
    CHECK(infer_error<ops::einsum>({"i1->i"}, {desc(element_type::f32, {2, 3})}).find("not a letter") != std::string::npos);
    CHECK(infer_error<ops::einsum>({"ij->k"}, {desc(element_type::f32, {2, 3})}).find("not in any input") !=
          std::string::npos);
    CHECK(infer_error<ops::einsum>({"ijk"}, {desc(element_type::f32, {2, 3})}).find("rank") != std::string::npos);
}

TEST_CASE("DepthToSpace, SpaceToDepth, ReverseSequence, Eye") {
    using mode = ops::depth_space_mode;
    const tensor x = iota({1, 8, 1, 1});
    check_values(eval<ops::depth_to_space>({mode::blocks_first, 2}, {x}), {1, 2, 2, 2}, {0, 2, 4, 6, 1, 3, 5, 7});
    check_values(eval<ops::depth_to_space>({mode::depth_first, 2}, {x}), {1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
    for (const mode m : {mode::blocks_first, mode::depth_first}) {
        const tensor s = iota({2, 2, 4, 6});
        const tensor back = eval<ops::depth_to_space>({m, 2}, {eval<ops::space_to_depth>({m, 2}, {s})});
        check_values(back, {2, 2, 4, 6}, s.to_vector<double>());
    }
    // SpaceToDepth of a 1-channel 2x4 image with 2x2 blocks
    check_values(eval<ops::space_to_depth>({mode::blocks_first, 2}, {iota({1, 1, 2, 4})}), {1, 4, 1, 2},
                 {0, 2, 1, 3, 4, 6, 5, 7});
    CHECK(ops::depth_to_space::infer({mode::blocks_first, 2}, {desc(element_type::f32, {-1, 8, 3, -1})})[0].shape ==
          partial_shape({-1, 2, 6, -1}));
    CHECK(infer_error<ops::depth_to_space>({mode::blocks_first, 2}, {desc(element_type::f32, {1, 6, 2, 2})})
              .find("divisible") != std::string::npos);
    CHECK(infer_error<ops::space_to_depth>({mode::blocks_first, 2}, {desc(element_type::f32, {1, 1, 3, 2})})
              .find("divisible") != std::string::npos);

    check_values(eval<ops::reverse_sequence>({0, 1}, {iota({4, 4}), i64({1, 2, 3, 4})}), {4, 4},
                 {0, 1, 2, 3, 5, 4, 6, 7, 10, 9, 8, 11, 15, 14, 13, 12});
    check_values(eval<ops::reverse_sequence>({1, 0}, {iota({3, 2}), i64({3, 0})}), {3, 2}, {4, 1, 2, 3, 0, 5});
    CHECK(eval_error<ops::reverse_sequence>({0, 1}, {iota({2, 2}), i64({3, 1})}).find("outside") != std::string::npos);

    check_values(eval<ops::eye>({element_type::f32}, {iscalar(3), iscalar(4), iscalar(1)}), {3, 4},
                 {0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1});
    const tensor e = eval<ops::eye>({element_type::i32}, {iscalar(2), iscalar(2), iscalar(-1), i64({2})});
    CHECK(e.type() == element_type::i32);
    check_values(e, {2, 2, 2}, {0, 0, 1, 0, 0, 0, 1, 0});
    CHECK(ops::eye::infer({element_type::f32}, {desc(element_type::i64, {}), known(iscalar(3)), known(iscalar(0))})[0]
              .shape == partial_shape({-1, 3}));
}

TEST_CASE("onnx: ArgMax/ArgMin with select_last_index on a dynamic axis, TopK before opset 10") {
    moir::test::onnx_builder b;
    b.opset(13).add_input("x", 1, {2, "N"}).add_output("amax", 7, {2}).add_output("amin", 7, {2, 1});
    b.add_node("ArgMax", {"x"}, {"amax"}, {attr::i("axis", 1), attr::i("keepdims", 0), attr::i("select_last_index", 1)});
    b.add_node("ArgMin", {"x"}, {"amin"}, {attr::i("axis", -1)});
    const auto out = run(convert(b), {f32({3, 1, 3, 0, 2, 2, 1, 1}, {2, 4})});
    CHECK(out[0].type() == element_type::i64);
    check_values(out[0], {2}, {2, 1});
    check_values(out[1], {2, 1}, {3, 2});

    moir::test::onnx_builder t;
    t.opset(9).add_input("x", 1, {4}).add_output("v", 1, {2}).add_output("i", 7, {2});
    t.add_node("TopK", {"x"}, {"v", "i"}, {attr::i("k", 2)});
    const auto tk = run(convert(t), {f32({1, 4, 2, 3}, {4})});
    check_values(tk[0], {2}, {4, 3});
    check_values(tk[1], {2}, {1, 3});
}

TEST_CASE("onnx: Trilu, EyeLike and Size on dynamic shapes; Split num_outputs; OneHot") {
    moir::test::onnx_builder b;
    b.opset(18).add_input("x", 7, {"R", "C"}).add_input("k", 7, {});
    b.add_output("up", 7, {"R", "C"}).add_output("low", 7, {"R", "C"}).add_output("eye", 1, {"R", "C"});
    b.add_output("n", 7, {}).add_output("s0", 7, {-1}).add_output("s1", 7, {-1}).add_output("s2", 7, {-1});
    b.add_node("Trilu", {"x", "k"}, {"up"});
    b.add_node("Trilu", {"x"}, {"low"}, {attr::i("upper", 0)});
    b.add_node("EyeLike", {"x"}, {"eye"}, {attr::i("dtype", 1), attr::i("k", -1)});
    b.add_node("Size", {"x"}, {"n"});
    b.add_initializer<std::int64_t>("flat_shape", {-1}, {1});
    b.add_node("Reshape", {"x", "flat_shape"}, {"flat"});
    b.add_node("Split", {"flat"}, {"s0", "s1", "s2"}, {attr::i("num_outputs", 3)});
    const auto m = convert(b);
    const auto out = run(m, {i64({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4}), iscalar(1)});
    check_values(out[0], {2, 4}, {0, 2, 3, 4, 0, 0, 7, 8});
    check_values(out[1], {2, 4}, {1, 0, 0, 0, 5, 6, 0, 0});
    check_values(out[2], {2, 4}, {0, 0, 0, 0, 1, 0, 0, 0});
    check_values(out[3], {}, {8});
    check_values(out[4], {3}, {1, 2, 3});  // 8 into 3: parts of 3, 3, 2
    check_values(out[5], {3}, {4, 5, 6});
    check_values(out[6], {2}, {7, 8});

    moir::test::onnx_builder o;
    o.opset(11).add_input("i", 1, {3}).add_output("y", 7, {3, 4});
    o.add_initializer<float>("depth", {4}, {});
    o.add_initializer<std::int64_t>("values", {0, 9}, {2});
    o.add_node("OneHot", {"i", "depth", "values"}, {"y"});
    check_values(run(convert(o), {f32({1, -1, 7}, {3})})[0], {3, 4}, {0, 9, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0});
}

TEST_CASE("onnx: Pad with axes (opset 18), run-time pads, wrap mode; ConstantOfShape; Expand") {
    moir::test::onnx_builder b;
    b.opset(19).add_input("x", 1, {2, 3}).add_input("p", 7, {2}).add_input("q", 7, {4});
    b.add_output("a", 1, {2, 5}).add_output("w", 1, {4, 5}).add_output("c", 6, {2, 3}).add_output("e", 1, {2, 2, 3});
    b.add_output("rw", 1, {-1, -1});
    b.add_node("Pad", {"x", "q"}, {"rw"}, {attr::s("mode", "wrap")});  // run-time pads: Range/FloorMod indices
    b.add_initializer<std::int64_t>("axes", {-1}, {1});
    b.add_initializer<float>("v", {7}, {});
    b.add_node("Pad", {"x", "p", "v", "axes"}, {"a"});  // run-time pads on the last axis only
    b.add_initializer<std::int64_t>("wp", {1, 1, 1, 1}, {4});
    b.add_node("Pad", {"x", "wp"}, {"w"}, {attr::s("mode", "wrap")});
    b.add_initializer<std::int64_t>("shape", {2, 3}, {2});
    b.add_node("ConstantOfShape", {"shape"}, {"c"},
               {attr::t("value", moir::test::tensor_proto<std::int32_t>("", {4}, {1}))});
    b.add_initializer<std::int64_t>("eshape", {2, 1, 1}, {3});
    b.add_node("Expand", {"x", "eshape"}, {"e"});
    const auto out = run(convert(b), {iota({2, 3}), i64({1, 1}), i64({0, 4, 1, -1})});
    check_values(out[0], {2, 5}, {7, 0, 1, 2, 7, 7, 3, 4, 5, 7});
    check_values(out[1], {4, 5}, {5, 3, 4, 5, 3, 2, 0, 1, 2, 0, 5, 3, 4, 5, 3, 2, 0, 1, 2, 0});
    CHECK(out[2].type() == element_type::i32);
    check_values(out[2], {2, 3}, {4, 4, 4, 4, 4, 4});
    check_values(out[3], {2, 2, 3}, {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5});
    // rows [0, 1, 0]; columns (j - 4) mod 3 for j < 6: 2 0 1 2 0 1
    check_values(out[4], {3, 6}, {2, 0, 1, 2, 0, 1, 5, 3, 4, 5, 3, 4, 2, 0, 1, 2, 0, 1});
}

TEST_CASE("IR round trip keeps the group's attributes") {
    moir::model m;
    m.name = "d_ops";
    const auto x = m.add<ops::parameter>({element_type::f32, partial_shape({2, 3})}, {}, "x");
    m.parameters.push_back(x);
    const auto k = m.add<ops::constant>({iscalar(2)}, {}, "k");
    const auto tk = m.add<ops::top_k>({1, ops::top_k_mode::min, ops::top_k_sort::index, element_type::i32, true},
                                      {{x, 0}, {k, 0}}, "topk");
    const auto ax = m.add<ops::constant>({iscalar(1)}, {}, "axis");
    const auto cs = m.add<ops::cum_sum>({true, true}, {{tk, 0}, {ax, 0}}, "cumsum");
    const auto es = m.add<ops::einsum>({"ij->ji"}, {{cs, 0}}, "einsum");
    const auto idx = m.add<ops::constant>({i64({0, 1, 1, 0}, {2, 2})}, {}, "idx");
    const auto upd = m.add<ops::constant>({f32({9, 8, 7, 6}, {2, 2})}, {}, "upd");
    const auto sc = m.add<ops::scatter_elements_update>({ops::scatter_elements_reduction::max, false},
                                                        {{es, 0}, {idx, 0}, {upd, 0}, {ax, 0}}, "scatter");
    m.results.push_back(m.add<ops::result>({}, {{sc, 0}}, "y"));
    m.results.push_back(m.add<ops::result>({}, {{tk, 1}}, "i"));
    for (std::size_t i = 0; i < m.nodes.size(); ++i) m.infer_node(i);
    const auto text = moir::ir::serialize(m);
    CHECK(text.xml.find("type=\"TopK\" version=\"opset11\"") != std::string::npos);
    CHECK(text.xml.find("sort=\"index\"") != std::string::npos);
    CHECK(text.xml.find("equation=\"ij-&gt;ji\"") != std::string::npos);
    CHECK(text.xml.find("reduction=\"max\"") != std::string::npos);
    const moir::model back = moir::ir::deserialize(text.xml, text.bin);
    const tensor in = f32({3, 1, 2, 0, 5, 4}, {2, 3});
    const auto a = run(m, {in}), b2 = run(back, {in});
    check_values(a[0], {2, 2}, {9, 8, 6, 7});
    check_values(b2[0], {2, 2}, a[0].to_vector<double>());
    check_values(b2[1], {2, 2}, {1, 2, 0, 2});
}
