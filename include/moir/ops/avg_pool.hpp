#ifndef MOIR_OPS_AVG_POOL_HPP
#define MOIR_OPS_AVG_POOL_HPP

#include <moir/ops/convolution.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// avg_pool: y[n, c, p...] = the sum of x[n, c, p*stride - pads_begin + k] over the window k < kernel
/// (padded cells read 0), divided by the number of window cells inside the input when exclude_pad,
/// else by the number inside the padded input (cells past pads_end, which ceil rounding may add, never
/// count). requires: data [N, C, spatial...] of a floating type with one kernel value per spatial axis
/// (1 to 3). ensures: output [N, C, out...] with max_pool's geometry. IR: exclude_pad is "exclude-pad".
struct avg_pool {
    static constexpr std::string_view name = "avg_pool", ir_name = "AvgPool", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    static constexpr bool float_only = true;  ///< the reference kernel computes floating types only
    struct attrs {
        std::vector<std::int64_t> strides, pads_begin, pads_end, kernel;
        bool exclude_pad = false;
        ops::rounding_type rounding_type = ops::rounding_type::floor;
        pad_type auto_pad = pad_type::explicit_;
        static constexpr std::array<std::string_view, 7> ir_names{
            "strides", "pads_begin", "pads_end", "kernel", "exclude-pad", "rounding_type", "auto_pad"};
        /// Attributes an IR layer must give (OpenVINO's opset1 specification).
        static constexpr std::array<std::string_view, 5> ir_required{"strides", "pads_begin", "pads_end", "kernel",
                                                                     "exclude-pad"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        return detail::infer_pool(a.kernel, a.strides, a.pads_begin, a.pads_end, a.rounding_type, a.auto_pad, in);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_AVG_POOL_HPP
