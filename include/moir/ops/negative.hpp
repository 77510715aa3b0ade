#ifndef MOIR_OPS_NEGATIVE_HPP
#define MOIR_OPS_NEGATIVE_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view
#include <type_traits>  // is_integral_v, make_unsigned_t

namespace moir::ops {

/// negative: y = -x, element-wise. Integers wrap (the most negative value maps to itself; unsigned
/// values to 2^n - x). ensures: output type and shape == input's.
struct negative : detail::unary_elementwise {
    static constexpr std::string_view name = "negative", ir_name = "Negative", ir_opset = "opset1";
    template <class T>
    static T apply(T x) {
        if constexpr (std::is_integral_v<T>) {
            using U = std::make_unsigned_t<T>;
            return static_cast<T>(static_cast<U>(U(0) - static_cast<U>(x)));
        } else {
            return -x;
        }
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_NEGATIVE_HPP
