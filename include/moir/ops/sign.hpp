#ifndef MOIR_OPS_SIGN_HPP
#define MOIR_OPS_SIGN_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v, is_signed_v

namespace moir::ops {

/// sign: y = -1, 0 or 1 as x is negative, zero or positive, element-wise; NaN stays NaN.
/// ensures: output type and shape == input's.
struct sign : detail::unary_elementwise {
    static constexpr std::string_view name = "sign", ir_name = "Sign", ir_opset = "opset1";
    template <class T>
    static T apply(T x) {
        if constexpr (std::is_floating_point_v<T>) {
            if (x != x) return x;  // NaN
        }
        if constexpr (std::is_signed_v<T>) {
            if (x < T(0)) return T(-1);
        }
        return x > T(0) ? T(1) : T(0);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SIGN_HPP
