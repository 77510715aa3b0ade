#ifndef MOIR_OPS_ACOSH_HPP
#define MOIR_OPS_ACOSH_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // acosh
#include <string_view>  // string_view

namespace moir::ops {

/// acosh: y = arcosh(x), element-wise (x < 1 gives NaN).
/// requires: a floating-point input. ensures: output type and shape == input's.
struct acosh : detail::unary_elementwise {
    static constexpr std::string_view name = "acosh", ir_name = "Acosh", ir_opset = "opset4";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::acosh(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ACOSH_HPP
