#ifndef MOIR_OPS_SOFTMAX_HPP
#define MOIR_OPS_SOFTMAX_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string_view>  // string_view

namespace moir::ops {

/// softmax: y = exp(x - max(x)) / sum(exp(x - max(x))) along `axis` (negative counts from the end),
/// computed stably (the max is subtracted first). IR: Softmax of opset8 (SoftMax-1 took axis >= 0).
/// requires: one floating-point input of rank >= 1; axis in [-rank, rank).
/// ensures: output type and shape == input's.
struct softmax {
    static constexpr std::string_view name = "softmax", ir_name = "Softmax", ir_opset = "opset8";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        std::int64_t axis = 1;
        static constexpr std::array<std::string_view, 1> ir_names{"axis"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 1, shape_error, "Softmax takes 1 input");
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "Softmax needs a floating-point input");
        if (!in[0].shape.rank_dynamic) normalize_axis(a.axis, in[0].shape.rank());
        return {port_desc{in[0].type, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SOFTMAX_HPP
