#ifndef MOIR_OPS_SCATTER_ELEMENTS_UPDATE_HPP
#define MOIR_OPS_SCATTER_ELEMENTS_UPDATE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// How ScatterElementsUpdate combines an update with the element it lands on: OpenVINO `reduction`.
enum class scatter_elements_reduction { none, sum, prod, min, max, mean };
constexpr std::array<std::string_view, 6> ir_enum_names(scatter_elements_reduction) {
    return {"none", "sum", "prod", "min", "max", "mean"};
}

/// scatter_elements_update: a copy of the data where, for every element of `updates` at position
/// p, the element at p with p[axis] replaced by indices[p] (negative counts from the end of the
/// axis) receives the update: replaced (none; the last update wins) or combined by the reduction.
/// With use_init_val false, the data's value at an updated position is left out of the reduction.
/// The 4th input is the axis (a scalar integer; negative counts from the end). Integer `mean`
/// truncates. IR: ScatterElementsUpdate of opset12.
/// requires: data, indices, updates of the same rank; indices and updates of the same shape, no
/// larger than the data off the axis; index values in range (the kernel throws otherwise).
/// ensures: output type and shape == data's.
struct scatter_elements_update {
    static constexpr std::string_view name = "scatter_elements_update", ir_name = "ScatterElementsUpdate",
                                      ir_opset = "opset12";
    static constexpr std::size_t min_inputs = 4, max_inputs = 4;
    struct attrs {
        scatter_elements_reduction reduction = scatter_elements_reduction::none;
        bool use_init_val = true;
        static constexpr std::array<std::string_view, 2> ir_names{"reduction", "use_init_val"};
    };
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 4, shape_error, "ScatterElementsUpdate takes 4 inputs (data, indices, updates, axis)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the indices must be an integer tensor");
        MOIR_CHECK(in[2].type == element_type::undefined || in[0].type == element_type::undefined ||
                       in[2].type == in[0].type,
                   shape_error, "the updates must have the data's element type");
        MOIR_CHECK(in[3].type == element_type::undefined || is_integer(in[3].type), shape_error,
                   "the axis must be an integer tensor");
        MOIR_CHECK(!in[3].shape.is_static() || numel(in[3].shape.dims) == 1, shape_error,
                   "the axis must hold one value, its shape is " + in[3].shape.str());
        const partial_shape& ds = in[0].shape;
        const partial_shape& is = in[1].shape;
        const partial_shape& us = in[2].shape;
        if (!is.rank_dynamic && !us.rank_dynamic) {
            MOIR_CHECK(is.rank() == us.rank(), shape_error, "indices " + is.str() + " and updates " + us.str() +
                                                                " must have the same shape");
            for (std::size_t i = 0; i < is.rank(); ++i)
                MOIR_CHECK(is.dims[i] < 0 || us.dims[i] < 0 || is.dims[i] == us.dims[i], shape_error,
                           "indices " + is.str() + " and updates " + us.str() + " must have the same shape");
        }
        if (!ds.rank_dynamic && !is.rank_dynamic) {
            MOIR_CHECK(ds.rank() >= 1, shape_error, "the data is a scalar; ScatterElementsUpdate needs rank >= 1");
            MOIR_CHECK(is.rank() == ds.rank(), shape_error,
                       "the indices " + is.str() + " must have the data's rank (" + std::to_string(ds.rank()) + ")");
            std::size_t axis = ds.rank();  // unknown
            if (in[3].has_value()) {
                const auto av = detail::const_ints(in, 3, "the axis");
                axis = normalize_axis(av.at(0), ds.rank());
            }
            for (std::size_t i = 0; i < ds.rank(); ++i)
                MOIR_CHECK(i == axis || ds.dims[i] < 0 || is.dims[i] < 0 || is.dims[i] <= ds.dims[i], shape_error,
                           "indices dim " + std::to_string(i) + " (" + std::to_string(is.dims[i]) +
                               ") exceeds the data's (" + std::to_string(ds.dims[i]) + ")");
        }
        return {port_desc{in[0].type, ds, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SCATTER_ELEMENTS_UPDATE_HPP
