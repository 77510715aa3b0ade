#ifndef MOIR_OPS_LOG_SOFTMAX_HPP
#define MOIR_OPS_LOG_SOFTMAX_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string_view>  // string_view

namespace moir::ops {

/// log_softmax: y = x - max(x) - ln(sum(exp(x - max(x)))) along `axis` (negative counts from the
/// end), computed stably. IR: LogSoftmax of opset5.
/// requires: one floating-point input of rank >= 1; axis in [-rank, rank).
/// ensures: output type and shape == input's.
struct log_softmax {
    static constexpr std::string_view name = "log_softmax", ir_name = "LogSoftmax", ir_opset = "opset5";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        std::int64_t axis = 1;
        static constexpr std::array<std::string_view, 1> ir_names{"axis"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 1, shape_error, "LogSoftmax takes 1 input");
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "LogSoftmax needs a floating-point input");
        if (!in[0].shape.rank_dynamic) normalize_axis(a.axis, in[0].shape.rank());
        return {port_desc{in[0].type, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_LOG_SOFTMAX_HPP
