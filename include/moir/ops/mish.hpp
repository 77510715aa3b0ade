#ifndef MOIR_OPS_MISH_HPP
#define MOIR_OPS_MISH_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // exp, fabs, log1p, tanh
#include <string_view>  // string_view

namespace moir::ops {

/// mish: y = x * tanh(ln(1 + e^x)), element-wise (the softplus computed stably).
/// requires: a floating-point input. ensures: output type and shape == input's.
struct mish : detail::unary_elementwise {
    static constexpr std::string_view name = "mish", ir_name = "Mish", ir_opset = "opset4";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) {
        const double v = static_cast<double>(x);
        const double sp = (v > 0 ? v : 0.0) + std::log1p(std::exp(-std::fabs(v)));
        return static_cast<T>(v * std::tanh(sp));
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MISH_HPP
