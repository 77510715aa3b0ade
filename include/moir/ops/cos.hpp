#ifndef MOIR_OPS_COS_HPP
#define MOIR_OPS_COS_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // cos
#include <string_view>  // string_view

namespace moir::ops {

/// cos: y = cos(x) (radians), element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct cos : detail::unary_elementwise {
    static constexpr std::string_view name = "cos", ir_name = "Cos", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::cos(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_COS_HPP
