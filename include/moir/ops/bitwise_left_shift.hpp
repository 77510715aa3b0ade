#ifndef MOIR_OPS_BITWISE_LEFT_SHIFT_HPP
#define MOIR_OPS_BITWISE_LEFT_SHIFT_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/detail/elementwise.hpp>

#include <cstdint>      // uint64_t
#include <string_view>  // string_view
#include <type_traits>  // is_integral_v, is_signed_v, make_unsigned_t

namespace moir::ops {

/// bitwise_left_shift: y = a << b: the bits of a shifted toward the most significant end, zeros
/// shifted in; the bits shifted out are lost (wrap-around). A shift by b < 0 or b >= the bit width
/// gives 0. Element-wise with numpy broadcasting (ONNX BitShift).
/// requires: two inputs of one integer element type.
struct bitwise_left_shift : detail::binary_elementwise<> {
    static constexpr std::string_view name = "bitwise_left_shift", ir_name = "BitwiseLeftShift", ir_opset = "opset15";
    static port_descs infer(const attrs& a, const port_descs& in) {
        for (const auto& p : in)
            MOIR_CHECK(p.type == element_type::undefined || is_integer(p.type), shape_error,
                       "BitwiseLeftShift takes integer inputs");
        return binary_elementwise::infer(a, in);
    }
    template <class T>
    static T apply(T a, T b) {
        if constexpr (!std::is_integral_v<T>) {
            throw unsupported_error("BitwiseLeftShift takes integer inputs");
        } else {
            using U = std::make_unsigned_t<T>;
            bool out_of_range = static_cast<std::uint64_t>(b) >= sizeof(T) * 8;
            if constexpr (std::is_signed_v<T>) out_of_range = out_of_range || b < T(0);
            if (out_of_range) return T(0);
            return static_cast<T>(static_cast<U>(static_cast<U>(a) << b));
        }
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_BITWISE_LEFT_SHIFT_HPP
