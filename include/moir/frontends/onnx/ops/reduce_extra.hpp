#ifndef MOIR_FRONTENDS_ONNX_OPS_REDUCE_EXTRA_HPP
#define MOIR_FRONTENDS_ONNX_OPS_REDUCE_EXTRA_HPP

// ONNX reductions beyond the plain ones -> moir ops: ReduceL1 and ReduceL2 (ReduceL1-4/ReduceL2-4),
// ReduceSumSquare (ReduceSum of x * x), ReduceLogSum (Log of ReduceSum) and ReduceLogSumExp
// (m + Log(ReduceSum(Exp(x - m))) with m = ReduceMax, for stability). Axes come from the attribute
// (before opset 18) or the 2nd input; absent or empty axes reduce every axis unless
// noop_with_empty_axes, which makes the node an identity.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/reduce_l1.hpp>
#include <moir/ops/reduce_l2.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/subtract.hpp>

#include <cstdint>   // int64_t
#include <optional>  // optional
#include <string>    // string
#include <vector>    // vector

namespace moir::onnx {

namespace detail {
/// The reduction axes of a Reduce* node, or nullopt when the node is an identity
/// (noop_with_empty_axes with no or empty axes). Run-time axes must have a known length; a length
/// of 0 means every axis.
inline std::optional<output_ref> reduce_extra_axes(context& c, std::int64_t axes_input_since) {
    std::optional<output_ref> axes;
    bool empty = true;
    if (c.opset() < axes_input_since) {
        empty = c.attr_ints("axes").empty();
        if (!empty) axes = c.constant(tensor::from_vector(c.attr_ints("axes")), "/axes");
    } else if (c.has_input(1)) {
        axes = c.input(1);
        if (const auto v = c.const_input(1)) {
            empty = v->numel() == 0;
        } else {
            const auto& as = c.input_port(1).shape;
            MOIR_CHECK(as.is_static(), unsupported_error, "run-time axes of unknown length are not supported");
            empty = numel(as.dims) == 0;
        }
    }
    if (!empty) return axes;
    if (c.attr_int("noop_with_empty_axes", 0) != 0) return std::nullopt;
    const auto& s = c.input_port(0).shape;
    MOIR_CHECK(!s.rank_dynamic, unsupported_error, "reducing all axes of an input of unknown rank");
    std::vector<std::int64_t> all;
    for (std::size_t i = 0; i < s.rank(); ++i) all.push_back(static_cast<std::int64_t>(i));
    return c.constant(tensor::from_vector(all), "/all_axes");
}

/// A Reduce* converter: `build(c, x, axes, keep_dims)` returns the reduced value.
template <class Build>
converter reduce_extra(std::int64_t axes_input_since, Build build) {
    return [axes_input_since, build](context& c) {
        const auto axes = reduce_extra_axes(c, axes_input_since);
        if (!axes) {
            c.set_output(0, c.input(0));
            return;
        }
        c.set_output(0, build(c, c.input(0), *axes, c.attr_int("keepdims", 1) != 0));
    };
}

template <class Reduce>
output_ref reduce_extra_plain(context& c, output_ref x, output_ref axes, bool keep) {
    return c.add<Reduce>({keep}, {x, axes});
}

inline output_ref reduce_sum_square(context& c, output_ref x, output_ref axes, bool keep) {
    return c.add<moir::ops::reduce_sum>({keep}, {c.add<moir::ops::multiply>({}, {x, x}, "/square"), axes});
}

inline output_ref reduce_log_sum(context& c, output_ref x, output_ref axes, bool keep) {
    return c.add<moir::ops::log>({}, {c.add<moir::ops::reduce_sum>({keep}, {x, axes}, "/sum")});
}

inline output_ref reduce_log_sum_exp(context& c, output_ref x, output_ref axes, bool keep) {
    const output_ref m = c.add<moir::ops::reduce_max>({true}, {x, axes}, "/max");
    const output_ref e = c.add<moir::ops::exp>({}, {c.add<moir::ops::subtract>({}, {x, m}, "/shifted")}, "/exp");
    const output_ref l = c.add<moir::ops::log>({}, {c.add<moir::ops::reduce_sum>({keep}, {e, axes}, "/sum")}, "/log");
    const output_ref mk = keep ? m : c.add<moir::ops::reduce_max>({false}, {x, axes}, "/max_reduced");
    return c.add<moir::ops::add>({}, {l, mk});
}
}  // namespace detail

/// Registers ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum and ReduceLogSumExp.
template <class = void>  // compiled only where a table is built
void register_reduce_extra(op_table& t) {
    t.add("ReduceL1", detail::reduce_extra(18, detail::reduce_extra_plain<moir::ops::reduce_l1>));
    t.add("ReduceL2", detail::reduce_extra(18, detail::reduce_extra_plain<moir::ops::reduce_l2>));
    t.add("ReduceSumSquare", detail::reduce_extra(18, detail::reduce_sum_square));
    t.add("ReduceLogSum", detail::reduce_extra(18, detail::reduce_log_sum));
    t.add("ReduceLogSumExp", detail::reduce_extra(18, detail::reduce_log_sum_exp));
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_REDUCE_EXTRA_HPP
