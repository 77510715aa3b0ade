#ifndef MOIR_OPS_SQUEEZE_HPP
#define MOIR_OPS_SQUEEZE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// squeeze: removes dims of size 1. The optional 2nd input lists the axes to remove (negative
/// counts from the end, duplicates allowed); without it, or when it is empty, every 1-dim goes.
/// requires: each listed axis in [-rank, rank) with a dim of 1 (or dynamic, taken to be 1).
/// ensures: output type == input type, same elements in the same order. Unknown axes give a dynamic
/// rank (or, with a known axes count, that many fewer dynamic dims).
struct squeeze {
    static constexpr std::string_view name = "squeeze", ir_name = "Squeeze", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 1, max_inputs = 2;
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 1 || in.size() == 2, shape_error, "Squeeze takes 1 or 2 inputs (data, axes)");
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        const bool has_axes = in.size() == 2;
        if (has_axes) {
            MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                       "the axes input must be an integer tensor");
            MOIR_CHECK(in[1].shape.rank_dynamic || in[1].shape.rank() <= 1, shape_error,
                       "the axes input must be a scalar or 1-D, it is " + in[1].shape.str());
        }
        const bool axes_empty = has_axes && in[1].shape.is_static() && numel(in[1].shape.dims) == 0;
        if (s.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
        if (!has_axes || axes_empty) {
            // squeeze every 1; a dynamic dim might be 1 or not, so the rank is unknown
            std::vector<std::int64_t> out;
            for (auto d : s.dims) {
                if (d < 0) return {port_desc{t, partial_shape::dynamic(), {}}};
                if (d != 1) out.push_back(d);
            }
            return {port_desc{t, out, {}}};
        }
        if (!in[1].has_value()) {
            const partial_shape& as = in[1].shape;
            if (as.is_static() && numel(as.dims) <= s.rank())
                return {port_desc{t, std::vector<std::int64_t>(s.rank() - numel(as.dims), dynamic_dim), {}}};
            return {port_desc{t, partial_shape::dynamic(), {}}};
        }
        std::vector<bool> drop(s.rank(), false);
        for (auto ax : detail::const_ints(in, 1, "the axes input")) {
            const std::size_t i = normalize_axis(ax, s.rank());
            MOIR_CHECK(s.dims[i] == 1 || s.dims[i] < 0, shape_error,
                       "cannot squeeze axis " + std::to_string(ax) + ": its dim is " + std::to_string(s.dims[i]) +
                           ", not 1");
            drop[i] = true;
        }
        std::vector<std::int64_t> out;
        for (std::size_t i = 0; i < s.rank(); ++i)
            if (!drop[i]) out.push_back(s.dims[i]);
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SQUEEZE_HPP
