#ifndef MOIR_OPS_MOD_HPP
#define MOIR_OPS_MOD_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // fmod
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v, is_signed_v

namespace moir::ops {

/// mod: y = a - trunc(a / b) * b, element-wise with numpy broadcasting: the remainder takes the sign
/// of the dividend (C's fmod and %, ONNX Mod with fmod = 1). Integer x mod 0 gives 0.
/// requires: two inputs of one numeric element type.
struct mod : detail::binary_elementwise<> {
    static constexpr std::string_view name = "mod", ir_name = "Mod", ir_opset = "opset1";
    template <class T>
    static T apply(T a, T b) {
        if constexpr (std::is_floating_point_v<T>) {
            return std::fmod(a, b);
        } else if constexpr (std::is_signed_v<T>) {
            if (b == 0 || b == -1) return T(0);  // no division by zero, no INT_MIN % -1 overflow
            return static_cast<T>(a % b);
        } else {
            return b == 0 ? T(0) : static_cast<T>(a % b);
        }
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MOD_HPP
