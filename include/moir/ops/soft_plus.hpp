#ifndef MOIR_OPS_SOFT_PLUS_HPP
#define MOIR_OPS_SOFT_PLUS_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // exp, fabs, log1p
#include <string_view>  // string_view

namespace moir::ops {

/// soft_plus: y = ln(1 + e^x), element-wise, computed stably as max(x, 0) + ln(1 + e^-|x|).
/// requires: a floating-point input. ensures: output type and shape == input's.
struct soft_plus : detail::unary_elementwise {
    static constexpr std::string_view name = "soft_plus", ir_name = "SoftPlus", ir_opset = "opset4";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) {
        const double v = static_cast<double>(x);
        return static_cast<T>((v > 0 ? v : 0.0) + std::log1p(std::exp(-std::fabs(v))));
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SOFT_PLUS_HPP
