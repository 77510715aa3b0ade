#ifndef MOIR_OPS_SLICE_HPP
#define MOIR_OPS_SLICE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <algorithm>    // clamp
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// slice: the elements start, start+step, ... (stopping before stop) along the listed axes, with
/// ONNX Slice semantics: negative start/stop count from the end of the dim, then are clamped into
/// it (so INT64_MAX / INT64_MIN mean "to the end" / "to the beginning"), and a negative step walks
/// backwards. Inputs: data, start, stop, step, optional axes (default 0, 1, ...; negative count
/// from the end).
/// requires: start, stop, step (and axes) 1-D integer tensors of equal length; no step is 0; no
/// axis twice. ensures: output type == input type; dims of unlisted axes unchanged.
struct slice {
    static constexpr std::string_view name = "slice", ir_name = "Slice", ir_opset = "opset8";
    static constexpr std::size_t min_inputs = 4, max_inputs = 5;
    using attrs = no_attrs;

    /// How one axis is walked: from `start` by `step`, `count` elements.
    struct axis_walk {
        std::int64_t start = 0, step = 1, count = 0;
    };
    /// The walk of one axis of extent `dim` (>= 0). requires: step != 0.
    static axis_walk walk(std::int64_t dim, std::int64_t start, std::int64_t stop, std::int64_t step) {
        axis_walk w;
        w.step = step;
        if (dim <= 0) return w;
        if (start < 0) start += dim;
        if (stop < 0) stop += dim;
        if (step > 0) {
            start = std::clamp<std::int64_t>(start, 0, dim);
            stop = std::clamp<std::int64_t>(stop, 0, dim);
            w.count = stop > start ? (stop - start - 1) / step + 1 : 0;
        } else {
            start = std::clamp<std::int64_t>(start, 0, dim - 1);
            stop = std::clamp<std::int64_t>(stop, -1, dim - 1);
            const std::int64_t back = step < -dim ? dim : -step;  // avoids negating INT64_MIN
            w.count = start > stop ? (start - stop - 1) / back + 1 : 0;
        }
        w.start = w.count ? start : 0;
        return w;
    }

    /// The walk of every axis of a static shape. ensures: throws shape_error on bad inputs.
    static std::vector<axis_walk> walks(const shape& dims, const std::vector<std::int64_t>& start,
                                        const std::vector<std::int64_t>& stop, const std::vector<std::int64_t>& step,
                                        const std::vector<std::int64_t>& axes) {
        std::vector<axis_walk> w(dims.size());
        for (std::size_t i = 0; i < dims.size(); ++i) w[i] = axis_walk{0, 1, dims[i]};
        std::vector<bool> seen(dims.size(), false);
        for (std::size_t k = 0; k < start.size(); ++k) {
            const std::size_t ax = normalize_axis(axes[k], dims.size());
            MOIR_CHECK(!seen[ax], shape_error, "axis " + std::to_string(axes[k]) + " is sliced twice");
            seen[ax] = true;
            w[ax] = walk(dims[ax], start[k], stop[k], step[k]);
        }
        return w;
    }

    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 4 || in.size() == 5, shape_error,
                   "Slice takes 4 or 5 inputs (data, start, stop, step, axes)");
        const char* names[] = {"data", "start", "stop", "step", "axes"};
        std::int64_t len = -1;  // the common length of start, stop, step, axes
        for (std::size_t i = 1; i < in.size(); ++i) {
            MOIR_CHECK(in[i].type == element_type::undefined || is_integer(in[i].type), shape_error,
                       std::string("the ") + names[i] + " input must be an integer tensor");
            const partial_shape& s = in[i].shape;
            if (s.rank_dynamic) continue;
            MOIR_CHECK(s.rank() == 1, shape_error,
                       std::string("the ") + names[i] + " input must be 1-D, it is " + s.str());
            if (s.dims[0] < 0) continue;
            MOIR_CHECK(len < 0 || len == s.dims[0], shape_error,
                       "start, stop, step and axes must have the same length");
            len = s.dims[0];
        }
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
        MOIR_CHECK(len <= static_cast<std::int64_t>(s.rank()), shape_error,
                   "more slice axes (" + std::to_string(len) + ") than the data's rank " + std::to_string(s.rank()));
        std::vector<std::int64_t> axes;
        if (in.size() == 5) {
            if (!in[4].has_value()) return {port_desc{t, std::vector<std::int64_t>(s.rank(), dynamic_dim), {}}};
            axes = detail::const_ints(in, 4, "the axes input");
        }
        const bool known = in[1].has_value() && in[2].has_value() && in[3].has_value();
        std::vector<std::int64_t> start, stop, step;
        if (known) {
            start = detail::const_ints(in, 1, "the start input");
            stop = detail::const_ints(in, 2, "the stop input");
            step = detail::const_ints(in, 3, "the step input");
            len = static_cast<std::int64_t>(start.size());
        } else if (len < 0 && in.size() == 4) {
            return {port_desc{t, std::vector<std::int64_t>(s.rank(), dynamic_dim), {}}};
        }
        if (in.size() == 4) {
            axes.resize(static_cast<std::size_t>(len));
            for (std::size_t k = 0; k < axes.size(); ++k) axes[k] = static_cast<std::int64_t>(k);
        }
        MOIR_CHECK(!known || (stop.size() == start.size() && step.size() == start.size() &&
                              axes.size() == start.size()),
                   shape_error, "start, stop, step and axes must have the same length");
        for (auto v : step) MOIR_CHECK(v != 0, shape_error, "a slice step is 0");

        std::vector<std::int64_t> out = s.dims;
        std::vector<bool> seen(s.rank(), false);
        for (std::size_t k = 0; k < axes.size(); ++k) {
            const std::size_t ax = normalize_axis(axes[k], s.rank());
            MOIR_CHECK(!seen[ax], shape_error, "axis " + std::to_string(axes[k]) + " is sliced twice");
            seen[ax] = true;
            out[ax] = known && s.dims[ax] >= 0 ? walk(s.dims[ax], start[k], stop[k], step[k]).count : dynamic_dim;
        }
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SLICE_HPP
