#ifndef MOIR_OPS_COMMON_HPP
#define MOIR_OPS_COMMON_HPP

// Attribute vocabulary shared by several ops: enums with their IR spellings, and the helpers ops
// use in shape inference. An enum attribute type E provides an ADL function
// `ir_enum_names(E) -> std::array<std::string_view, N>` listing the IR spelling of each enumerator
// in declaration order; the IR codec uses it to write and read the attribute.

#include <moir/core/errors.hpp>
#include <moir/core/shape.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// How binary element-wise ops broadcast: OpenVINO `auto_broadcast`.
enum class auto_broadcast { none, numpy, pdpd };
constexpr std::array<std::string_view, 3> ir_enum_names(auto_broadcast) { return {"none", "numpy", "pdpd"}; }

/// Padding mode of convolutions and pooling: OpenVINO `auto_pad`.
enum class pad_type { explicit_, same_upper, same_lower, valid, notset };
constexpr std::array<std::string_view, 5> ir_enum_names(pad_type) {
    return {"explicit", "same_upper", "same_lower", "valid", "notset"};
}

/// Output size rounding of pooling: OpenVINO `rounding_type`.
enum class rounding_type { floor, ceil };
constexpr std::array<std::string_view, 2> ir_enum_names(rounding_type) { return {"floor", "ceil"}; }

namespace detail {
/// requires: the input `i` exists and has a known value. ensures: its values as int64.
inline std::vector<std::int64_t> const_ints(const port_descs& in, std::size_t i, const char* what) {
    MOIR_CHECK(i < in.size() && in[i].has_value(), shape_error, std::string(what) + " must be a constant");
    return in[i].value.to_vector<std::int64_t>();
}

/// Computes the spatial output size and the padding of a sliding window over one axis, resolving
/// auto_pad. `pb`/`pe` are in/out: explicit pads on input, effective pads on output.
/// Dynamic inputs (-1) give -1.
inline std::int64_t window_output(std::int64_t in, std::int64_t kernel, std::int64_t stride, std::int64_t dilation,
                                  pad_type pad, std::int64_t& pb, std::int64_t& pe, bool ceil_mode = false) {
    MOIR_CHECK(stride > 0 && dilation > 0 && kernel > 0, shape_error, "kernel, strides and dilations must be positive");
    if (in < 0) return -1;
    const std::int64_t eff = (kernel - 1) * dilation + 1;
    if (pad == pad_type::valid) {
        pb = pe = 0;
    } else if (pad == pad_type::same_upper || pad == pad_type::same_lower) {
        const std::int64_t out = (in + stride - 1) / stride;
        const std::int64_t total = std::max<std::int64_t>(0, (out - 1) * stride + eff - in);
        pb = pad == pad_type::same_upper ? total / 2 : total - total / 2;
        pe = total - pb;
        return out;
    }
    const std::int64_t span = in + pb + pe - eff;
    MOIR_CHECK(span >= 0, shape_error, "the window (" + std::to_string(eff) + ") is larger than the padded input (" +
                                           std::to_string(in + pb + pe) + ")");
    std::int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
    // ceil mode: the last window must start inside the input or the begin padding
    if (ceil_mode && (out - 1) * stride >= in + pb) --out;
    return out;
}
}  // namespace detail

}  // namespace moir::ops

#endif  // MOIR_OPS_COMMON_HPP
