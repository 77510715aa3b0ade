#ifndef MOIR_FRONTENDS_ONNX_OPS_LOGIC_HPP
#define MOIR_FRONTENDS_ONNX_OPS_LOGIC_HPP

// ONNX comparisons and logic -> moir ops: Equal, Less, Greater, LessOrEqual, GreaterOrEqual (boolean
// outputs), And, Or, Xor, Not (boolean inputs) and Where (Select). Numpy broadcasting from opset 7;
// before it, the legacy `broadcast`/`axis` form is mapped onto numpy broadcasting.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/greater.hpp>
#include <moir/ops/greater_equal.hpp>
#include <moir/ops/less.hpp>
#include <moir/ops/less_equal.hpp>
#include <moir/ops/logical_and.hpp>
#include <moir/ops/logical_not.hpp>
#include <moir/ops/logical_or.hpp>
#include <moir/ops/logical_xor.hpp>
#include <moir/ops/select.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstdint>  // int64_t
#include <vector>   // vector

namespace moir::onnx {

namespace detail {
/// The second operand of a binary ONNX op, made numpy-broadcastable. Before opset 7, broadcast = 1
/// with an `axis` aligns b's dims with a's from that axis on: b gets trailing 1-dims.
inline output_ref logic_second_operand(context& c) {
    const output_ref b = c.input(1);
    if (c.opset() >= 7 || c.attr_int("broadcast", 0) == 0 || !c.has_attr("axis")) return b;
    const auto& pa = c.input_port(0).shape;
    const auto& pb = c.input_port(1).shape;
    MOIR_CHECK(!pa.rank_dynamic && !pb.rank_dynamic, unsupported_error,
               "legacy broadcasting (opset < 7) with an axis needs inputs of known rank");
    const auto ra = static_cast<std::int64_t>(pa.rank()), rb = static_cast<std::int64_t>(pb.rank());
    std::int64_t axis = c.attr_int("axis", 0);
    if (axis < 0) axis += ra;
    MOIR_CHECK(axis >= 0 && axis + rb <= ra, error, "legacy broadcast axis is out of range");
    std::vector<std::int64_t> axes;
    for (std::int64_t i = axis + rb; i < ra; ++i) axes.push_back(i - axis);
    if (axes.empty()) return b;
    return c.add<moir::ops::unsqueeze>({}, {b, c.constant(tensor::from_vector(axes), "/b_axes")}, "/b");
}

/// Converter of a binary comparison or logical op: y = Op(a, b).
template <class Op>
void logic_binary(context& c) {
    const output_ref b = logic_second_operand(c);
    c.set_output(0, c.add<Op>({}, {c.input(0), b}));
}
}  // namespace detail

/// Registers Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor, Not, Where.
template <class = void>  // compiled only where a table is built
void register_logic(op_table& t) {
    t.add("Equal", detail::logic_binary<moir::ops::equal>);
    t.add("Less", detail::logic_binary<moir::ops::less>);
    t.add("Greater", detail::logic_binary<moir::ops::greater>);
    t.add("LessOrEqual", detail::logic_binary<moir::ops::less_equal>);
    t.add("GreaterOrEqual", detail::logic_binary<moir::ops::greater_equal>);
    t.add("And", detail::logic_binary<moir::ops::logical_and>);
    t.add("Or", detail::logic_binary<moir::ops::logical_or>);
    t.add("Xor", detail::logic_binary<moir::ops::logical_xor>);
    t.add("Not", [](context& c) { c.set_output(0, c.add<moir::ops::logical_not>({}, {c.input(0)})); });
    t.add("Where", [](context& c) {
        c.set_output(0, c.add<moir::ops::select>({}, {c.input(0), c.input(1), c.input(2)}));
    });
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_LOGIC_HPP
