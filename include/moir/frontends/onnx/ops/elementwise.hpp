#ifndef MOIR_FRONTENDS_ONNX_OPS_ELEMENTWISE_HPP
#define MOIR_FRONTENDS_ONNX_OPS_ELEMENTWISE_HPP

// ONNX element-wise arithmetic -> moir element-wise ops (numpy broadcasting, opset 7+).

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/tanh.hpp>

namespace moir::onnx {

namespace detail {
/// Converter of a binary op: y = Op(a, b).
template <class Op>
void binary(context& c) {
    c.set_output(0, c.add<Op>({}, {c.input(0), c.input(1)}));
}
/// Converter of a unary op: y = Op(x).
template <class Op>
void unary(context& c) {
    c.set_output(0, c.add<Op>({}, {c.input(0)}));
}
/// Converter of a variadic op (ONNX Max, Min, Sum): a left fold of the binary Op.
template <class Op>
void variadic(context& c) {
    output_ref acc = c.input(0);
    for (std::size_t i = 1; i < c.input_count(); ++i)
        acc = c.add<Op>({}, {acc, c.input(i)}, i + 1 == c.input_count() ? "" : "/" + std::to_string(i));
    c.set_output(0, acc);
}
}  // namespace detail

/// Registers Add, Sub, Mul, Div, Pow, Max, Min, Sum, Sqrt, Exp, Tanh.
template <class = void>  // compiled only where a table is built
void register_elementwise(op_table& t) {
    t.add("Add", detail::binary<moir::ops::add>);
    t.add("Sub", detail::binary<moir::ops::subtract>);
    t.add("Mul", detail::binary<moir::ops::multiply>);
    t.add("Div", [](context& c) {
        // ONNX Div truncates integers; OpenVINO's default is Python's floor division
        c.set_output(0, c.add<moir::ops::divide>({moir::ops::auto_broadcast::numpy, false}, {c.input(0), c.input(1)}));
    });
    t.add("Pow", [](context& c) {
        output_ref base = c.input(0), exponent = c.input(1);
        const element_type bt = c.input_port(0).type;
        if (c.input_port(1).type != bt) exponent = c.add<moir::ops::convert>({bt}, {exponent}, "/exponent");
        c.set_output(0, c.add<moir::ops::power>({}, {base, exponent}));
    });
    t.add("Max", detail::variadic<moir::ops::maximum>);
    t.add("Min", detail::variadic<moir::ops::minimum>);
    t.add("Sum", detail::variadic<moir::ops::add>);
    t.add("Sqrt", detail::unary<moir::ops::sqrt>);
    t.add("Exp", detail::unary<moir::ops::exp>);
    t.add("Tanh", detail::unary<moir::ops::tanh>);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_ELEMENTWISE_HPP
