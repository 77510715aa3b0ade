#ifndef MOIR_OPS_MAX_POOL_HPP
#define MOIR_OPS_MAX_POOL_HPP

#include <moir/ops/convolution.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// max_pool: y[n, c, p...] = the maximum of x[n, c, p*stride - pads_begin + k] over the window k < kernel
/// that lies inside the input (padded cells never win). requires: data [N, C, spatial...] with one
/// kernel value per spatial axis (1 to 3). ensures: output [N, C, out...] of the data's type; out per
/// axis as convolution's with dilation 1, rounded up when rounding_type is ceil (the last window
/// must start inside the input or the begin padding). Empty strides/pads mean 1/0.
struct max_pool {
    static constexpr std::string_view name = "max_pool", ir_name = "MaxPool", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        std::vector<std::int64_t> strides, pads_begin, pads_end, kernel;
        ops::rounding_type rounding_type = ops::rounding_type::floor;
        pad_type auto_pad = pad_type::explicit_;
        static constexpr std::array<std::string_view, 6> ir_names{"strides", "pads_begin",    "pads_end",
                                                                  "kernel",  "rounding_type", "auto_pad"};
        /// Attributes an IR layer must give (OpenVINO's opset1 specification).
        static constexpr std::array<std::string_view, 4> ir_required{"strides", "pads_begin", "pads_end", "kernel"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        return detail::infer_pool(a.kernel, a.strides, a.pads_begin, a.pads_end, a.rounding_type, a.auto_pad, in);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MAX_POOL_HPP
