#ifndef MOIR_OPS_SIN_HPP
#define MOIR_OPS_SIN_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // sin
#include <string_view>  // string_view

namespace moir::ops {

/// sin: y = sin(x) (radians), element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct sin : detail::unary_elementwise {
    static constexpr std::string_view name = "sin", ir_name = "Sin", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::sin(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SIN_HPP
