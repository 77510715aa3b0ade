#ifndef MOIR_OPS_GATHER_HPP
#define MOIR_OPS_GATHER_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// gather: picks slices of the data along `axis` (3rd input, a scalar constant; negative counts
/// from the end) at the given indices (negative indices wrap once; out-of-range ones give zeros, as
/// OpenVINO's Gather-8 does). The first batch_dims dims of data and indices are batch dims walked
/// together (negative batch_dims counts from the indices' rank).
/// requires: batch_dims <= axis; data and indices agree on the batch dims.
/// ensures: output shape data[:axis] + indices[batch_dims:] + data[axis+1:], data's type.
struct gather {
    static constexpr std::string_view name = "gather", ir_name = "Gather", ir_opset = "opset8";
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    struct attrs {
        std::int64_t batch_dims = 0;
        static constexpr std::array<std::string_view, 1> ir_names{"batch_dims"};
    };
    /// batch_dims resolved against the indices' rank. ensures: throws shape_error when out of range.
    static std::size_t resolve_batch_dims(std::int64_t batch_dims, std::size_t indices_rank) {
        const auto r = static_cast<std::int64_t>(indices_rank);
        MOIR_CHECK(batch_dims >= -r && batch_dims <= r, shape_error,
                   "batch_dims " + std::to_string(batch_dims) + " is out of range for indices of rank " +
                       std::to_string(indices_rank));
        return static_cast<std::size_t>(batch_dims < 0 ? batch_dims + r : batch_dims);
    }
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 3, shape_error, "Gather takes 3 inputs (data, indices, axis)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the indices must be an integer tensor");
        MOIR_CHECK(in[2].type == element_type::undefined || is_integer(in[2].type), shape_error,
                   "the axis must be an integer tensor");
        MOIR_CHECK(!in[2].shape.is_static() || numel(in[2].shape.dims) == 1, shape_error,
                   "the axis must hold one value, its shape is " + in[2].shape.str());
        const element_type t = in[0].type;
        const partial_shape& ds = in[0].shape;
        const partial_shape& is = in[1].shape;
        if (ds.rank_dynamic || is.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
        const std::size_t bd = resolve_batch_dims(a.batch_dims, is.rank());
        MOIR_CHECK(bd <= ds.rank(), shape_error, "batch_dims " + std::to_string(bd) + " exceeds the data's rank");
        MOIR_CHECK(ds.rank() >= 1, shape_error, "the data is a scalar; Gather needs rank >= 1");
        std::size_t axis = 0;  // 1-D data (e.g. a ShapeOf output) has only axis 0
        if (in[2].has_value()) {
            const auto av = detail::const_ints(in, 2, "the axis");
            MOIR_CHECK(av.size() == 1, shape_error, "the axis must hold one value");
            axis = normalize_axis(av[0], ds.rank());
        } else if (ds.rank() > 1) {
            return {port_desc{t, std::vector<std::int64_t>(ds.rank() - 1 + is.rank() - bd, dynamic_dim), {}}};
        }
        MOIR_CHECK(bd <= axis, shape_error,
                   "batch_dims (" + std::to_string(bd) + ") must not exceed the axis (" + std::to_string(axis) + ")");
        std::vector<std::int64_t> out;
        for (std::size_t i = 0; i < axis; ++i) {
            std::int64_t d = ds.dims[i];
            if (i < bd) {
                const std::int64_t e = is.dims[i];
                MOIR_CHECK(d < 0 || e < 0 || d == e, shape_error,
                           "batch dim " + std::to_string(i) + " differs: data " + std::to_string(d) + ", indices " +
                               std::to_string(e));
                if (d < 0) d = e;
            }
            out.push_back(d);
        }
        for (std::size_t i = bd; i < is.rank(); ++i) out.push_back(is.dims[i]);
        for (std::size_t i = axis + 1; i < ds.rank(); ++i) out.push_back(ds.dims[i]);
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_GATHER_HPP
