#ifndef MOIR_OPS_ABS_HPP
#define MOIR_OPS_ABS_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // fabs
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v, is_signed_v, make_unsigned_t

namespace moir::ops {

/// abs: y = |x|, element-wise. Unsigned values are unchanged; the most negative signed integer maps
/// to itself (wraps). ensures: output type and shape == input's.
struct abs : detail::unary_elementwise {
    static constexpr std::string_view name = "abs", ir_name = "Abs", ir_opset = "opset1";
    template <class T>
    static T apply(T x) {
        if constexpr (std::is_floating_point_v<T>) {
            return std::fabs(x);
        } else if constexpr (std::is_signed_v<T>) {
            using U = std::make_unsigned_t<T>;
            return x < 0 ? static_cast<T>(static_cast<U>(U(0) - static_cast<U>(x))) : x;
        } else {
            return x;
        }
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ABS_HPP
