#ifndef MOIR_OPS_GATHER_ELEMENTS_HPP
#define MOIR_OPS_GATHER_ELEMENTS_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// gather_elements: out[i0..., j, ...in] = data[i0..., indices[i0..., j, ...], ...] along `axis`
/// (negative counts from the end): every output element picks one data element, at the position of
/// its own index except on the axis, where the index comes from `indices` (negative indices count
/// from the end of the axis). IR: GatherElements of opset6.
/// requires: data and indices of the same rank >= 1; integer indices; off the axis, indices dims
/// not larger than the data's; index values in [-dim, dim) (the kernel throws otherwise).
/// ensures: output shape == indices shape, type == data type.
struct gather_elements {
    static constexpr std::string_view name = "gather_elements", ir_name = "GatherElements", ir_opset = "opset6";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    struct attrs {
        std::int64_t axis = 0;
        static constexpr std::array<std::string_view, 1> ir_names{"axis"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "GatherElements takes 2 inputs (data, indices)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the indices must be an integer tensor");
        const partial_shape& ds = in[0].shape;
        const partial_shape& is = in[1].shape;
        if (!ds.rank_dynamic) {
            MOIR_CHECK(ds.rank() >= 1, shape_error, "the data is a scalar; GatherElements needs rank >= 1");
            const std::size_t axis = normalize_axis(a.axis, ds.rank());
            if (!is.rank_dynamic) {
                MOIR_CHECK(is.rank() == ds.rank(), shape_error,
                           "the indices " + is.str() + " must have the data's rank (" + std::to_string(ds.rank()) + ")");
                for (std::size_t i = 0; i < ds.rank(); ++i)
                    MOIR_CHECK(i == axis || ds.dims[i] < 0 || is.dims[i] < 0 || is.dims[i] <= ds.dims[i], shape_error,
                               "indices dim " + std::to_string(i) + " (" + std::to_string(is.dims[i]) +
                                   ") exceeds the data's (" + std::to_string(ds.dims[i]) + ")");
            } else {
                return {port_desc{in[0].type, std::vector<std::int64_t>(ds.rank(), dynamic_dim), {}}};
            }
        }
        return {port_desc{in[0].type, is, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_GATHER_ELEMENTS_HPP
