#ifndef MOIR_OPS_FLOOR_MOD_HPP
#define MOIR_OPS_FLOOR_MOD_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // fmod
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v, is_signed_v

namespace moir::ops {

/// floor_mod: y = a - floor(a / b) * b, element-wise with numpy broadcasting: the remainder takes the
/// sign of the divisor (Python's %, ONNX Mod with fmod = 0). Integer x mod 0 gives 0.
/// requires: two inputs of one numeric element type.
struct floor_mod : detail::binary_elementwise<> {
    static constexpr std::string_view name = "floor_mod", ir_name = "FloorMod", ir_opset = "opset1";
    template <class T>
    static T apply(T a, T b) {
        if constexpr (std::is_floating_point_v<T>) {
            T r = std::fmod(a, b);
            if (r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
            return r;
        } else if constexpr (std::is_signed_v<T>) {
            if (b == 0 || b == -1) return T(0);  // no division by zero, no INT_MIN % -1 overflow
            T r = static_cast<T>(a % b);
            if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
            return r;
        } else {
            return b == 0 ? T(0) : static_cast<T>(a % b);
        }
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_FLOOR_MOD_HPP
