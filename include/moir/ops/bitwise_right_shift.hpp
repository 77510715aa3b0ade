#ifndef MOIR_OPS_BITWISE_RIGHT_SHIFT_HPP
#define MOIR_OPS_BITWISE_RIGHT_SHIFT_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/detail/elementwise.hpp>

#include <cstdint>      // uint64_t
#include <string_view>  // string_view
#include <type_traits>  // is_integral_v, is_signed_v

namespace moir::ops {

/// bitwise_right_shift: y = a >> b: the bits of a shifted toward the least significant end
/// (arithmetic for signed types: the sign bit is copied in). A shift by b < 0 or b >= the bit width
/// gives 0, or -1 for a negative signed a. Element-wise with numpy broadcasting (ONNX BitShift).
/// requires: two inputs of one integer element type.
struct bitwise_right_shift : detail::binary_elementwise<> {
    static constexpr std::string_view name = "bitwise_right_shift", ir_name = "BitwiseRightShift", ir_opset = "opset15";
    static port_descs infer(const attrs& a, const port_descs& in) {
        for (const auto& p : in)
            MOIR_CHECK(p.type == element_type::undefined || is_integer(p.type), shape_error,
                       "BitwiseRightShift takes integer inputs");
        return binary_elementwise::infer(a, in);
    }
    template <class T>
    static T apply(T a, T b) {
        if constexpr (!std::is_integral_v<T>) {
            throw unsupported_error("BitwiseRightShift takes integer inputs");
        } else {
            if constexpr (std::is_signed_v<T>) {
                if (b < T(0) || static_cast<std::uint64_t>(b) >= sizeof(T) * 8) return a < T(0) ? T(-1) : T(0);
            } else {
                if (static_cast<std::uint64_t>(b) >= sizeof(T) * 8) return T(0);
            }
            return static_cast<T>(a >> b);
        }
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_BITWISE_RIGHT_SHIFT_HPP
