#ifndef MOIR_OPS_SOFT_SIGN_HPP
#define MOIR_OPS_SOFT_SIGN_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // fabs
#include <string_view>  // string_view

namespace moir::ops {

/// soft_sign: y = x / (1 + |x|), element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct soft_sign : detail::unary_elementwise {
    static constexpr std::string_view name = "soft_sign", ir_name = "SoftSign", ir_opset = "opset9";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) {
        const double v = static_cast<double>(x);
        return static_cast<T>(v / (1.0 + std::fabs(v)));
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SOFT_SIGN_HPP
