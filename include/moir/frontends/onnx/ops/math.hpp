#ifndef MOIR_FRONTENDS_ONNX_OPS_MATH_HPP
#define MOIR_FRONTENDS_ONNX_OPS_MATH_HPP

// ONNX math -> moir ops: the unary functions (Neg, Abs, Ceil, Floor, Round, Sign, Erf, Log, the
// trigonometric and hyperbolic functions and their inverses), IsInf, IsNaN, Mod, BitShift, and the
// decomposed Reciprocal (1 / x), Mean (sum / n) and CastLike (Convert to the second input's type).

#include <moir/frontends/onnx/converter.hpp>
#include <moir/frontends/onnx/ops/elementwise.hpp>  // detail::unary, detail::binary
#include <moir/ops/abs.hpp>
#include <moir/ops/acos.hpp>
#include <moir/ops/acosh.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/asin.hpp>
#include <moir/ops/asinh.hpp>
#include <moir/ops/atan.hpp>
#include <moir/ops/atanh.hpp>
#include <moir/ops/bitwise_left_shift.hpp>
#include <moir/ops/bitwise_right_shift.hpp>
#include <moir/ops/ceiling.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/cos.hpp>
#include <moir/ops/cosh.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/erf.hpp>
#include <moir/ops/floor.hpp>
#include <moir/ops/floor_mod.hpp>
#include <moir/ops/is_inf.hpp>
#include <moir/ops/is_nan.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/mod.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/round.hpp>
#include <moir/ops/sign.hpp>
#include <moir/ops/sin.hpp>
#include <moir/ops/sinh.hpp>
#include <moir/ops/tan.hpp>

#include <string>  // string, to_string

namespace moir::onnx {

namespace detail {
/// ONNX Mean: a left fold of Add over the inputs, divided by their count (in the inputs' type).
inline void math_mean(context& c) {
    const std::size_t n = c.input_count();
    MOIR_CHECK(n >= 1, error, "Mean needs at least one input");
    output_ref acc = c.input(0);
    if (n == 1) {
        c.set_output(0, acc);
        return;
    }
    for (std::size_t i = 1; i < n; ++i) acc = c.add<moir::ops::add>({}, {acc, c.input(i)}, "/sum" + std::to_string(i));
    const element_type t = c.input_port(0).type;
    const output_ref count = c.constant(tensor::scalar(static_cast<double>(n)).converted(t), "/count");
    c.set_output(0, c.add<moir::ops::divide>({moir::ops::auto_broadcast::numpy, false}, {acc, count}));
}
}  // namespace detail

/// Registers Neg, Abs, Ceil, Floor, Round, Sign, Erf, Log, Sin, Cos, Tan, Asin, Acos, Atan, Sinh,
/// Cosh, Asinh, Acosh, Atanh, IsInf, IsNaN, Mod, BitShift, Reciprocal, Mean, CastLike.
template <class = void>  // compiled only where a table is built
void register_math(op_table& t) {
    t.add("Neg", detail::unary<moir::ops::negative>);
    t.add("Abs", detail::unary<moir::ops::abs>);
    t.add("Ceil", detail::unary<moir::ops::ceiling>);
    t.add("Floor", detail::unary<moir::ops::floor>);
    t.add("Round", [](context& c) {  // ONNX rounds halves to even
        c.set_output(0, c.add<moir::ops::round>({moir::ops::round_mode::half_to_even}, {c.input(0)}));
    });
    t.add("Sign", detail::unary<moir::ops::sign>);
    t.add("Erf", detail::unary<moir::ops::erf>);
    t.add("Log", detail::unary<moir::ops::log>);
    t.add("Sin", detail::unary<moir::ops::sin>);
    t.add("Cos", detail::unary<moir::ops::cos>);
    t.add("Tan", detail::unary<moir::ops::tan>);
    t.add("Asin", detail::unary<moir::ops::asin>);
    t.add("Acos", detail::unary<moir::ops::acos>);
    t.add("Atan", detail::unary<moir::ops::atan>);
    t.add("Sinh", detail::unary<moir::ops::sinh>);
    t.add("Cosh", detail::unary<moir::ops::cosh>);
    t.add("Asinh", detail::unary<moir::ops::asinh>);
    t.add("Acosh", detail::unary<moir::ops::acosh>);
    t.add("Atanh", detail::unary<moir::ops::atanh>);
    t.add("IsInf", [](context& c) {
        c.set_output(0, c.add<moir::ops::is_inf>(
                            {c.attr_int("detect_negative", 1) != 0, c.attr_int("detect_positive", 1) != 0}, {c.input(0)}));
    });
    t.add("IsNaN", detail::unary<moir::ops::is_nan>);
    t.add("Mod", [](context& c) {  // fmod = 0: the sign of the divisor (floor); 1: of the dividend (C fmod)
        if (c.attr_int("fmod", 0) != 0) c.set_output(0, c.add<moir::ops::mod>({}, {c.input(0), c.input(1)}));
        else c.set_output(0, c.add<moir::ops::floor_mod>({}, {c.input(0), c.input(1)}));
    });
    t.add("BitShift", [](context& c) {
        const std::string dir = c.attr_string("direction", "");
        if (dir == "LEFT") c.set_output(0, c.add<moir::ops::bitwise_left_shift>({}, {c.input(0), c.input(1)}));
        else if (dir == "RIGHT") c.set_output(0, c.add<moir::ops::bitwise_right_shift>({}, {c.input(0), c.input(1)}));
        else throw unsupported_error("BitShift direction must be LEFT or RIGHT, it is '" + dir + "'");
    });
    t.add("Reciprocal", [](context& c) {
        const element_type et = c.input_port(0).type;
        const output_ref one = c.constant(tensor::scalar(1.0).converted(et), "/one");
        c.set_output(0, c.add<moir::ops::divide>({moir::ops::auto_broadcast::numpy, false}, {one, c.input(0)}));
    });
    t.add("Mean", detail::math_mean);
    t.add("CastLike", [](context& c) {
        const element_type to = c.input_port(1).type;
        MOIR_CHECK(to != element_type::undefined, unsupported_error, "CastLike needs the target input's element type");
        c.set_output(0, c.add<moir::ops::convert>({to}, {c.input(0)}));
    });
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_MATH_HPP
