#ifndef MOIR_OPS_TAN_HPP
#define MOIR_OPS_TAN_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // tan
#include <string_view>  // string_view

namespace moir::ops {

/// tan: y = tan(x) (radians), element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct tan : detail::unary_elementwise {
    static constexpr std::string_view name = "tan", ir_name = "Tan", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::tan(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_TAN_HPP
