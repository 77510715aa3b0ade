// Tests of the math, logic and activation ops (group C): the unary math functions, IsInf/IsNaN,
// Mod/FloorMod, the bit shifts, comparisons, logical ops, Select, Elu, Selu, PRelu, SoftPlus,
// SoftSign, Mish and LogSoftmax (reference kernels against hand-computed values, shape inference
// and its errors), the ONNX converters that decompose (Hardmax, Shrink, Celu, Mean, ...) or follow
// older opsets (LogSoftmax/Hardmax flattening, legacy broadcasting), and an IR round trip.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/kernels/reference/all.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>
#include <support/protobuf_writer.hpp>

#include <cmath>    // exp, fabs, isinf, isnan, log, ...
#include <cstdint>  // int8_t, int32_t, int64_t, uint8_t
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

tensor f32(const std::vector<float>& v, const shape& s) { return tensor::from_vector<float>(v, s); }
tensor f32(const std::vector<float>& v) { return tensor::from_vector<float>(v); }
tensor boolean(const std::vector<bool>& v, const shape& s) { return tensor::from_vector<bool>(v, s); }

template <class Op>
tensor eval(const typename Op::attrs& a, const std::vector<tensor>& in) {
    moir::node n;
    n.op = &moir::info_of<Op>();
    n.attrs = a;
    n.name = std::string(Op::name);
    return moir::evaluate_node(n, in).at(0);
}

template <class Op>
port_desc infer(const typename Op::attrs& a, const port_descs& in) {
    return Op::infer(a, in).at(0);
}

port_desc desc(element_type t, partial_shape s) { return port_desc{t, std::move(s), {}}; }

void check_values(const tensor& t, const shape& s, const std::vector<double>& expect, double tol = 1e-6) {
    REQUIRE(t.dims() == s);
    const auto got = t.to_vector<double>();
    REQUIRE(got.size() == expect.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        INFO("element " << i << ": got " << got[i] << ", expected " << expect[i]);
        if (std::isnan(expect[i])) CHECK(std::isnan(got[i]));
        else if (std::isinf(expect[i])) CHECK(got[i] == expect[i]);
        else CHECK(std::fabs(got[i] - expect[i]) <= tol * (1.0 + std::fabs(expect[i])));
    }
}

/// Converts an ONNX model built with onnx_builder.
moir::model convert(const moir::test::onnx_builder& b) {
    const std::string s = b.bytes();
    return moir::onnx::convert(
        moir::onnx::proto::parse_model(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), "c.onnx"), "c.onnx");
}

std::vector<tensor> run(const moir::model& m, const std::vector<tensor>& in) {
    return moir::reference_executor<>(m).run(in);
}

const double k_nan = std::numeric_limits<double>::quiet_NaN();
const float inf = std::numeric_limits<float>::infinity();

}  // namespace

// ---------------------------------------------------------------------------------------------
// Unary math
// ---------------------------------------------------------------------------------------------

TEST_CASE("unary math: values of the float functions") {
    const tensor x = f32({0.5f, -0.25f});
    check_values(eval<ops::erf>({}, {x}), {2}, {std::erf(0.5), std::erf(-0.25)});
    check_values(eval<ops::sin>({}, {x}), {2}, {std::sin(0.5), std::sin(-0.25)});
    check_values(eval<ops::cos>({}, {x}), {2}, {std::cos(0.5), std::cos(-0.25)});
    check_values(eval<ops::tan>({}, {x}), {2}, {std::tan(0.5), std::tan(-0.25)});
    check_values(eval<ops::asin>({}, {x}), {2}, {0.5235987755982989, -0.25268025514207865});
    check_values(eval<ops::acos>({}, {x}), {2}, {1.0471975511965979, 1.8234765819369754});
    check_values(eval<ops::atan>({}, {x}), {2}, {0.4636476090008061, -0.24497866312686414});
    check_values(eval<ops::sinh>({}, {x}), {2}, {0.5210953054937474, -0.2526123168081683});
    check_values(eval<ops::cosh>({}, {x}), {2}, {1.1276259652063807, 1.0314130998795732});
    check_values(eval<ops::asinh>({}, {x}), {2}, {0.48121182505960347, -0.24746646154726346});
    check_values(eval<ops::atanh>({}, {x}), {2}, {0.5493061443340549, -0.25541281188299536});
    check_values(eval<ops::acosh>({}, {f32({1.0f, 2.0f, 0.5f})}), {3}, {0.0, 1.3169578969248166, k_nan});
    check_values(eval<ops::log>({}, {f32({1.0f, 2.718281828f, 0.0f, -1.0f})}), {4},
                 {0.0, 1.0, -std::numeric_limits<double>::infinity(), k_nan});
    // f64 and f16 go through the same kernels
    check_values(eval<ops::sin>({}, {tensor::from_vector<double>({1.0})}), {1}, {std::sin(1.0)}, 1e-12);
    check_values(eval<ops::cos>({}, {tensor::from_vector<moir::half>({moir::half(0.0f)})}), {1}, {1.0});
    // float-only ops refuse integers in the kernel
    CHECK_THROWS_AS(eval<ops::log>({}, {tensor::from_vector<std::int32_t>({1})}), moir::error);
}

TEST_CASE("unary math: negative, abs, sign keep integer types exact") {
    check_values(eval<ops::negative>({}, {f32({1.5f, -2.0f, 0.0f})}), {3}, {-1.5, 2.0, 0.0});
    const tensor i = tensor::from_vector<std::int32_t>({3, -7, std::numeric_limits<std::int32_t>::min()});
    CHECK(eval<ops::negative>({}, {i}).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{-3, 7, std::numeric_limits<std::int32_t>::min()});  // wraps
    CHECK(eval<ops::abs>({}, {tensor::from_vector<std::int8_t>({-5, 5, -128})}).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{5, 5, -128});
    check_values(eval<ops::abs>({}, {f32({-2.5f, 3.0f})}), {2}, {2.5, 3.0});
    check_values(eval<ops::sign>({}, {f32({-2.5f, 0.0f, 4.0f, static_cast<float>(k_nan)})}), {4}, {-1, 0, 1, k_nan});
    CHECK(eval<ops::sign>({}, {tensor::from_vector<std::uint8_t>({0, 9})}).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{0, 1});
    CHECK(eval<ops::sign>({}, {tensor::from_vector<std::int64_t>({-9, 0, 9})}).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{-1, 0, 1});
}

TEST_CASE("unary math: ceiling, floor and both round modes") {
    const tensor x = f32({0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f});
    check_values(eval<ops::ceiling>({}, {x}), {7}, {1, 2, 3, -0.0, -1, 3, -2});
    check_values(eval<ops::floor>({}, {x}), {7}, {0, 1, 2, -1, -2, 2, -3});
    check_values(eval<ops::round>({ops::round_mode::half_to_even}, {x}), {7}, {0, 2, 2, -0.0, -2, 2, -3});
    check_values(eval<ops::round>({ops::round_mode::half_away_from_zero}, {x}), {7}, {1, 2, 3, -1, -2, 2, -3});
    CHECK(eval<ops::floor>({}, {tensor::from_vector<std::int64_t>({-3, 4})}).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{-3, 4});
}

TEST_CASE("is_inf and is_nan: boolean outputs, floating inputs only") {
    const tensor x = f32({inf, -inf, 1.0f, static_cast<float>(k_nan)});
    const tensor both = eval<ops::is_inf>({}, {x});
    CHECK(both.type() == element_type::boolean);
    CHECK(both.to_vector<bool>() == std::vector<bool>{true, true, false, false});
    CHECK(eval<ops::is_inf>({false, true}, {x}).to_vector<bool>() == std::vector<bool>{true, false, false, false});
    CHECK(eval<ops::is_inf>({true, false}, {x}).to_vector<bool>() == std::vector<bool>{false, true, false, false});
    CHECK(eval<ops::is_nan>({}, {x}).to_vector<bool>() == std::vector<bool>{false, false, false, true});
    const auto d = infer<ops::is_nan>({}, {desc(element_type::f16, partial_shape({-1, 3}))});
    CHECK(d.type == element_type::boolean);
    CHECK(d.shape == partial_shape({-1, 3}));
    CHECK_THROWS_AS(infer<ops::is_inf>({}, {desc(element_type::i32, partial_shape({2}))}), moir::shape_error);
}

// ---------------------------------------------------------------------------------------------
// Binary arithmetic: Mod, FloorMod, bit shifts
// ---------------------------------------------------------------------------------------------

TEST_CASE("floor_mod and mod: the sign of the divisor vs of the dividend") {
    const tensor a = tensor::from_vector<std::int32_t>({-4, 4, -4, 4, 7});
    const tensor b = tensor::from_vector<std::int32_t>({3, -3, -3, 3, 0});
    CHECK(eval<ops::floor_mod>({}, {a, b}).to_vector<std::int64_t>() == std::vector<std::int64_t>{2, -2, -1, 1, 0});
    CHECK(eval<ops::mod>({}, {a, b}).to_vector<std::int64_t>() == std::vector<std::int64_t>{-1, 1, -1, 1, 0});
    const tensor x = f32({-4.5f, 4.5f, 5.0f});
    const tensor y = f32({2.0f, -2.0f, 2.5f});
    check_values(eval<ops::floor_mod>({}, {x, y}), {3}, {1.5, -1.5, 0.0});
    check_values(eval<ops::mod>({}, {x, y}), {3}, {-0.5, 0.5, 0.0});
    // broadcasting and unsigned types
    const tensor u = tensor::from_vector<std::uint8_t>({250, 7, 9}, {3});
    CHECK(eval<ops::floor_mod>({}, {u, tensor::from_vector<std::uint8_t>({4}, {})}).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{2, 3, 1});
    const auto d = infer<ops::mod>({}, {desc(element_type::i64, partial_shape({2, 1})),
                                        desc(element_type::i64, partial_shape({-1}))});
    CHECK(d.shape == partial_shape({2, -1}));
}

TEST_CASE("bitwise shifts: in-range, out-of-range and type checks") {
    const tensor x = tensor::from_vector<std::uint8_t>({16, 4, 255, 1});
    const tensor s = tensor::from_vector<std::uint8_t>({1, 2, 1, 8});
    CHECK(eval<ops::bitwise_left_shift>({}, {x, s}).to_vector<std::int64_t>() == std::vector<std::int64_t>{32, 16, 254, 0});
    CHECK(eval<ops::bitwise_right_shift>({}, {x, s}).to_vector<std::int64_t>() == std::vector<std::int64_t>{8, 1, 127, 0});
    const tensor n = tensor::from_vector<std::int32_t>({-8, -8});
    CHECK(eval<ops::bitwise_right_shift>({}, {n, tensor::from_vector<std::int32_t>({1, 40})}).to_vector<std::int64_t>() ==
          std::vector<std::int64_t>{-4, -1});
    const tensor big = tensor::from_vector<std::uint64_t>({1});
    CHECK(eval<ops::bitwise_left_shift>({}, {big, tensor::from_vector<std::uint64_t>({63})}).at_as<std::uint64_t>(0) ==
          (std::uint64_t{1} << 63));
    CHECK_THROWS_AS(infer<ops::bitwise_left_shift>({}, {desc(element_type::f32, partial_shape({1})),
                                                        desc(element_type::f32, partial_shape({1}))}),
                    moir::shape_error);
}

// ---------------------------------------------------------------------------------------------
// Comparisons and logic
// ---------------------------------------------------------------------------------------------

TEST_CASE("comparisons: boolean outputs with broadcasting; NaN compares false") {
    const tensor a = f32({1, 2, 3, 4, 5, 6}, {2, 3});
    const tensor b = f32({2, 2, static_cast<float>(k_nan)}, {3});
    const auto v = [&](auto op) { return eval<decltype(op)>({}, {a, b}).template to_vector<bool>(); };
    CHECK(v(ops::equal{}) == std::vector<bool>{false, true, false, false, false, false});
    CHECK(v(ops::less{}) == std::vector<bool>{true, false, false, false, false, false});
    CHECK(v(ops::greater{}) == std::vector<bool>{false, false, false, true, true, false});
    CHECK(v(ops::less_equal{}) == std::vector<bool>{true, true, false, false, false, false});
    CHECK(v(ops::greater_equal{}) == std::vector<bool>{false, true, false, true, true, false});
    CHECK(eval<ops::equal>({}, {a, b}).type() == element_type::boolean);
    // booleans and integers compare too
    CHECK(eval<ops::equal>({}, {boolean({true, false}, {2}), boolean({true}, {1})}).to_vector<bool>() ==
          std::vector<bool>{true, false});
    CHECK(eval<ops::greater>({}, {tensor::from_vector<std::int64_t>({-1, 5}), tensor::from_vector<std::int64_t>({0, 0})})
              .to_vector<bool>() == std::vector<bool>{false, true});
    const auto d = infer<ops::less>({}, {desc(element_type::f32, partial_shape({-1, 3})),
                                         desc(element_type::f32, partial_shape({3}))});
    CHECK(d.type == element_type::boolean);
    CHECK(d.shape == partial_shape({-1, 3}));
    CHECK_THROWS_AS(infer<ops::equal>({}, {desc(element_type::f32, partial_shape({2})),
                                           desc(element_type::i32, partial_shape({2}))}),
                    moir::shape_error);
}

TEST_CASE("logical ops: truth tables, broadcasting, boolean inputs only") {
    const tensor a = boolean({false, false, true, true}, {4});
    const tensor b = boolean({false, true, false, true}, {4});
    CHECK(eval<ops::logical_and>({}, {a, b}).to_vector<bool>() == std::vector<bool>{false, false, false, true});
    CHECK(eval<ops::logical_or>({}, {a, b}).to_vector<bool>() == std::vector<bool>{false, true, true, true});
    CHECK(eval<ops::logical_xor>({}, {a, b}).to_vector<bool>() == std::vector<bool>{false, true, true, false});
    CHECK(eval<ops::logical_not>({}, {a}).to_vector<bool>() == std::vector<bool>{true, true, false, false});
    const tensor col = boolean({true, false}, {2, 1});
    const tensor r = eval<ops::logical_and>({}, {col, boolean({true, false, true}, {3})});
    CHECK(r.dims() == shape{2, 3});
    CHECK(r.to_vector<bool>() == std::vector<bool>{true, false, true, false, false, false});
    CHECK_THROWS_AS(infer<ops::logical_or>({}, {desc(element_type::f32, partial_shape({2})),
                                                desc(element_type::f32, partial_shape({2}))}),
                    moir::shape_error);
    CHECK_THROWS_AS(infer<ops::logical_not>({}, {desc(element_type::i32, partial_shape({2}))}), moir::shape_error);
    CHECK(infer<ops::logical_not>({}, {desc(element_type::undefined, partial_shape::dynamic())}).type ==
          element_type::boolean);
}

TEST_CASE("select: three-way broadcasting, types and errors") {
    const tensor cond = boolean({true, false}, {2, 1});
    const tensor then = tensor::from_vector<std::int64_t>({1, 2, 3}, {1, 3});
    const tensor els = tensor::from_vector<std::int64_t>({-1}, {});
    const tensor r = eval<ops::select>({}, {cond, then, els});
    CHECK(r.dims() == shape{2, 3});
    CHECK(r.to_vector<std::int64_t>() == std::vector<std::int64_t>{1, 2, 3, -1, -1, -1});
    check_values(eval<ops::select>({}, {boolean({false, true}, {2}), f32({1, 2}), f32({5, 6})}), {2}, {5, 2});
    const auto d = infer<ops::select>({}, {desc(element_type::boolean, partial_shape({-1, 1})),
                                           desc(element_type::f32, partial_shape({4})),
                                           desc(element_type::f32, partial_shape({3, 1}))});
    CHECK(d.shape == partial_shape({3, 4}));
    CHECK(d.type == element_type::f32);
    CHECK_THROWS_AS(infer<ops::select>({}, {desc(element_type::f32, partial_shape({1})),
                                            desc(element_type::f32, partial_shape({1})),
                                            desc(element_type::f32, partial_shape({1}))}),
                    moir::shape_error);
    CHECK_THROWS_AS(infer<ops::select>({}, {desc(element_type::boolean, partial_shape({1})),
                                            desc(element_type::f32, partial_shape({1})),
                                            desc(element_type::i32, partial_shape({1}))}),
                    moir::shape_error);
    CHECK_THROWS_AS(infer<ops::select>({ops::auto_broadcast::none},
                                       {desc(element_type::boolean, partial_shape({2})),
                                        desc(element_type::f32, partial_shape({1})), desc(element_type::f32, partial_shape({2}))}),
                    moir::shape_error);
    CHECK_THROWS_AS(infer<ops::select>({ops::auto_broadcast::pdpd},
                                       {desc(element_type::boolean, partial_shape({2})),
                                        desc(element_type::f32, partial_shape({2})), desc(element_type::f32, partial_shape({2}))}),
                    moir::unsupported_error);
}

// ---------------------------------------------------------------------------------------------
// Activations
// ---------------------------------------------------------------------------------------------

TEST_CASE("elu, selu, soft_plus, soft_sign, mish: values") {
    const tensor x = f32({-1.0f, 0.0f, 2.0f});
    check_values(eval<ops::elu>({2.0}, {x}), {3}, {2.0 * (std::exp(-1.0) - 1.0), 0.0, 2.0});
    const tensor s = eval<ops::selu>({}, {x, tensor::scalar(2.0f), tensor::from_vector<float>({3.0f})});
    check_values(s, {3}, {3.0 * 2.0 * (std::exp(-1.0) - 1.0), 0.0, 6.0});
    check_values(eval<ops::soft_plus>({}, {f32({0.0f, 100.0f, -100.0f, 1.0f})}), {4},
                 {std::log(2.0), 100.0, std::exp(-100.0), std::log1p(std::exp(1.0))});
    check_values(eval<ops::soft_sign>({}, {x}), {3}, {-0.5, 0.0, 2.0 / 3.0});
    check_values(eval<ops::mish>({}, {f32({1.0f, -1.0f})}), {2}, {0.8650983882673103, -0.3034014613741282});
    CHECK_THROWS_AS(infer<ops::selu>({}, {desc(element_type::f32, partial_shape({3})),
                                          desc(element_type::f32, partial_shape({2})),
                                          desc(element_type::f32, partial_shape(std::vector<std::int64_t>{}))}),
                    moir::shape_error);
}

TEST_CASE("prelu: numpy-broadcast slope, per-channel slope, errors") {
    const tensor x = f32({-1, 2, -3, 4, -5, 6}, {1, 2, 3});
    // slope [2] matches dim 1: per channel (OpenVINO semantics)
    check_values(eval<ops::prelu>({}, {x, f32({0.5f, 0.25f})}), {1, 2, 3}, {-0.5, 2, -1.5, 4, -1.25, 6});
    // slope [3]: numpy-broadcast along the last axis
    check_values(eval<ops::prelu>({}, {x, f32({0.1f, 0.2f, 0.3f})}), {1, 2, 3}, {-0.1, 2, -0.9, 4, -1.0, 6});
    // a scalar slope (LeakyRelu)
    check_values(eval<ops::prelu>({}, {x, tensor::scalar(0.5f)}), {1, 2, 3}, {-0.5, 2, -1.5, 4, -2.5, 6});
    CHECK(infer<ops::prelu>({}, {desc(element_type::f32, partial_shape({-1, 4})), desc(element_type::f32, partial_shape({4}))})
              .shape == partial_shape({-1, 4}));
    CHECK_THROWS_AS(infer<ops::prelu>({}, {desc(element_type::f32, partial_shape({2, 3, 4})),
                                           desc(element_type::f32, partial_shape({5}))}),
                    moir::shape_error);
    CHECK_THROWS_AS(infer<ops::prelu>({}, {desc(element_type::f32, partial_shape({3})),
                                           desc(element_type::f32, partial_shape({1, 3}))}),
                    moir::shape_error);
}

TEST_CASE("log_softmax: values along an axis, large inputs, axis errors") {
    const double l = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
    check_values(eval<ops::log_softmax>({-1}, {f32({1, 2, 3})}), {3}, {1 - l, 2 - l, 3 - l});
    check_values(eval<ops::log_softmax>({0}, {f32({1, 5, 1, 5}, {2, 2})}), {2, 2},
                 {-std::log(2.0), -std::log(2.0), -std::log(2.0), -std::log(2.0)});
    check_values(eval<ops::log_softmax>({1}, {f32({1000, 1000, -1000, -1000}, {2, 2})}), {2, 2},
                 {-std::log(2.0), -std::log(2.0), -std::log(2.0), -std::log(2.0)});
    CHECK(infer<ops::log_softmax>({1}, {desc(element_type::f32, partial_shape({-1, 3}))}).shape == partial_shape({-1, 3}));
    CHECK_THROWS_AS(infer<ops::log_softmax>({2}, {desc(element_type::f32, partial_shape({2, 3}))}), moir::shape_error);
    CHECK_THROWS_AS(infer<ops::log_softmax>({0}, {desc(element_type::i32, partial_shape({2}))}), moir::shape_error);
}

// ---------------------------------------------------------------------------------------------
// ONNX converters
// ---------------------------------------------------------------------------------------------

TEST_CASE("onnx: LogSoftmax and Hardmax before opset 13 flatten at the axis") {
    moir::test::onnx_builder b;
    b.opset(11).add_input("x", 1, {2, 2, 2}).add_output("y", 1, {2, 2, 2}).add_output("h", 1, {2, 2, 2});
    b.add_node("LogSoftmax", {"x"}, {"y"}).add_node("Hardmax", {"x"}, {"h"});  // axis 1: over 4 elements
    const auto out = run(convert(b), {f32({0, 1, 2, 3, 3, 3, 0, 0}, {2, 2, 2})});
    const double l0 = std::log(1 + std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
    const double l1 = std::log(2 * std::exp(3.0) + 2);
    check_values(out[0], {2, 2, 2}, {-l0, 1 - l0, 2 - l0, 3 - l0, 3 - l1, 3 - l1, -l1, -l1});
    check_values(out[1], {2, 2, 2}, {0, 0, 0, 1, 1, 0, 0, 0});
}

TEST_CASE("onnx: Hardmax marks the first maximum, also along a dynamic axis") {
    moir::test::onnx_builder b;
    b.opset(13).add_input("x", 1, {2, "N"}).add_output("y", 1, {2, "N"});
    b.add_node("Hardmax", {"x"}, {"y"}, {attr::i("axis", 1)});
    const auto m = convert(b);
    const auto out = run(m, {f32({3, 1, 3, 0, -1, 7, 7, 2}, {2, 4})});
    check_values(out[0], {2, 4}, {1, 0, 0, 0, 0, 1, 0, 0});
    moir::test::onnx_builder b0;
    b0.opset(13).add_input("x", 1, {3, 2}).add_output("y", 1, {3, 2});
    b0.add_node("Hardmax", {"x"}, {"y"}, {attr::i("axis", 0)});
    check_values(run(convert(b0), {f32({1, 5, 4, 5, 4, 0}, {3, 2})})[0], {3, 2}, {0, 1, 1, 0, 0, 0});
}

TEST_CASE("onnx: PRelu broadcasts a 1-D slope along the last axis") {
    moir::test::onnx_builder b;
    b.opset(16).add_input("x", 1, {1, 3, 3}).add_input("s", 1, {3}).add_output("y", 1, {1, 3, 3});
    b.add_node("PRelu", {"x", "s"}, {"y"});
    const auto out = run(convert(b), {f32({-1, -1, -1, -2, -2, -2, 1, 1, 1}, {1, 3, 3}), f32({1, 2, 3})});
    check_values(out[0], {1, 3, 3}, {-1, -2, -3, -2, -4, -6, 1, 1, 1});
}

TEST_CASE("onnx: decomposed activations and math (Shrink, ThresholdedRelu, Celu, Reciprocal, Mean)") {
    moir::test::onnx_builder b;
    b.opset(13).add_input("x", 1, {5}).add_input("z", 1, {5});
    for (const char* o : {"shrink", "thr", "celu", "recip", "mean", "leaky"}) b.add_output(o, 1, {5});
    b.add_node("Shrink", {"x"}, {"shrink"}, {attr::f("lambd", 1.5f), attr::f("bias", 1.5f)});
    b.add_node("ThresholdedRelu", {"x"}, {"thr"}, {attr::f("alpha", 1.0f)});
    b.add_node("Celu", {"x"}, {"celu"}, {attr::f("alpha", 2.0f)});
    b.add_node("Reciprocal", {"x"}, {"recip"});
    b.add_node("Mean", {"x", "z", "x"}, {"mean"});
    b.add_node("LeakyRelu", {"x"}, {"leaky"});
    const auto out = run(convert(b), {f32({-2, -1, 0.5f, 1, 2}), f32({1, 1, 1, 1, 1})});
    check_values(out[0], {5}, {-0.5, 0, 0, 0, 0.5});
    check_values(out[1], {5}, {0, 0, 0, 0, 2});
    check_values(out[2], {5}, {2 * std::expm1(-1.0), 2 * std::expm1(-0.5), 0.5, 1, 2});
    check_values(out[3], {5}, {-0.5, -1, 2, 1, 0.5});
    check_values(out[4], {5}, {-1, -1.0 / 3, 2.0 / 3, 1, 5.0 / 3});
    check_values(out[5], {5}, {-0.02, -0.01, 0.5, 1, 2});
}

TEST_CASE("onnx: Mod picks FloorMod or Mod; CastLike converts; legacy axis broadcasting") {
    moir::test::onnx_builder b;
    b.opset(13).add_input("a", 6, {2}).add_input("b", 6, {2}).add_input("like", 11, {1});
    b.add_output("floor", 6, {2}).add_output("trunc", 6, {2}).add_output("cast", 11, {2});
    b.add_node("Mod", {"a", "b"}, {"floor"});
    b.add_node("Mod", {"a", "b"}, {"trunc"}, {attr::i("fmod", 1)});
    b.add_node("CastLike", {"a", "like"}, {"cast"});
    const auto m = convert(b);
    const auto out = run(m, {tensor::from_vector<std::int32_t>({-7, 7}), tensor::from_vector<std::int32_t>({3, -3}),
                             tensor::from_vector<double>({0.0})});
    CHECK(out[0].to_vector<std::int64_t>() == std::vector<std::int64_t>{2, -2});
    CHECK(out[1].to_vector<std::int64_t>() == std::vector<std::int64_t>{-1, 1});
    CHECK(out[2].type() == element_type::f64);
    check_values(out[2], {2}, {-7, 7});

    // opset 6: Greater with broadcast=1, axis=0 aligns b [2] with a's dim 0
    moir::test::onnx_builder g;
    g.opset(6).add_input("a", 1, {2, 3}).add_input("b", 1, {2}).add_output("y", 9, {2, 3});
    g.add_node("Greater", {"a", "b"}, {"y"}, {attr::i("broadcast", 1), attr::i("axis", 0)});
    const auto gy = run(convert(g), {f32({0, 1, 2, 0, 1, 2}, {2, 3}), f32({0.5f, 1.5f})});
    CHECK(gy[0].to_vector<bool>() == std::vector<bool>{false, true, true, false, false, true});
}

// ---------------------------------------------------------------------------------------------
// IR
// ---------------------------------------------------------------------------------------------

TEST_CASE("IR round trip keeps the group's attributes") {
    moir::model m;
    m.name = "c_ops";
    const auto x = m.add<ops::parameter>({element_type::f32, partial_shape({2, 3})}, {}, "x");
    m.parameters.push_back(x);
    const auto r = m.add<ops::round>({ops::round_mode::half_away_from_zero}, {{x, 0}}, "round");
    const auto e = m.add<ops::elu>({0.25}, {{r, 0}}, "elu");
    const auto inf_node = m.add<ops::is_inf>({false, true}, {{e, 0}}, "is_inf");
    const auto sel = m.add<ops::select>({}, {{inf_node, 0}, {x, 0}, {e, 0}}, "select");
    const auto ls = m.add<ops::log_softmax>({-1}, {{sel, 0}}, "log_softmax");
    m.results.push_back(m.add<ops::result>({}, {{ls, 0}}, "y"));
    for (std::size_t i = 0; i < m.nodes.size(); ++i) m.infer_node(i);
    const auto text = moir::ir::serialize(m);
    CHECK(text.xml.find("mode=\"half_away_from_zero\"") != std::string::npos);
    CHECK(text.xml.find("detect_negative=\"false\"") != std::string::npos);
    CHECK(text.xml.find("type=\"LogSoftmax\" version=\"opset5\"") != std::string::npos);
    const moir::model back = moir::ir::deserialize(text.xml, text.bin);
    const tensor in = f32({0.5f, 1.5f, -2.5f, 3, 4, 5}, {2, 3});
    const auto a = run(m, {in}), b = run(back, {in});
    check_values(b[0], {2, 3}, a[0].to_vector<double>());
}

TEST_CASE("swish and gelu: values, optional beta, both approximations, IR round trip") {
    const tensor x = f32({-2.0f, 0.0f, 1.5f});
    check_values(eval<ops::swish>({}, {x}), {3}, {-2.0 / (1 + std::exp(2.0)), 0.0, 1.5 / (1 + std::exp(-1.5))});
    check_values(eval<ops::swish>({}, {x, tensor::scalar(0.5f)}), {3},
                 {-2.0 / (1 + std::exp(1.0)), 0.0, 1.5 / (1 + std::exp(-0.75))});
    check_values(eval<ops::gelu>({}, {x}), {3}, {-0.04550026389635842, 0.0, 1.399789198096713});
    check_values(eval<ops::gelu>({ops::gelu_approximation::tanh}, {x}), {3}, {-0.04540230591222494, 0.0, 1.3995715769802328},
                 1e-6);
    CHECK_THROWS_AS(infer<ops::swish>({}, {desc(element_type::f32, partial_shape({3})), desc(element_type::f32, partial_shape({2}))}),
                    moir::shape_error);

    moir::model m;
    const auto p = m.add<ops::parameter>({element_type::f32, partial_shape({3})}, {}, "x");
    m.parameters.push_back(p);
    const auto beta = m.add<ops::constant>({tensor::scalar(0.5f)}, {}, "beta");
    const auto s = m.add<ops::swish>({}, {{p, 0}, {beta, 0}}, "swish");
    const auto g = m.add<ops::gelu>({ops::gelu_approximation::tanh}, {{s, 0}}, "gelu");
    m.results.push_back(m.add<ops::result>({}, {{g, 0}}, "y"));
    m.validate();
    const auto text = moir::ir::serialize(m);
    CHECK(text.xml.find("type=\"Swish\" version=\"opset4\"") != std::string::npos);
    CHECK(text.xml.find("approximation_mode=\"TANH\"") != std::string::npos);
    const moir::model back = moir::ir::deserialize(text.xml, text.bin);
    const auto a = run(m, {x}), b = run(back, {x});
    check_values(b[0], {3}, a[0].to_vector<double>());

    moir::test::onnx_builder ob;
    ob.opset(20).add_input("x", 1, {3}).add_output("erf", 1, {3}).add_output("tanh", 1, {3});
    ob.add_node("Gelu", {"x"}, {"erf"});
    ob.add_node("Gelu", {"x"}, {"tanh"}, {attr::s("approximate", "tanh")});
    const auto out = run(convert(ob), {x});
    check_values(out[0], {3}, {-0.04550026389635842, 0.0, 1.399789198096713});
    check_values(out[1], {3}, {-0.04540230591222494, 0.0, 1.3995715769802328}, 1e-6);
}
