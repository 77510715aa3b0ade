#ifndef MOIR_OPS_ASINH_HPP
#define MOIR_OPS_ASINH_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // asinh
#include <string_view>  // string_view

namespace moir::ops {

/// asinh: y = arsinh(x), element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct asinh : detail::unary_elementwise {
    static constexpr std::string_view name = "asinh", ir_name = "Asinh", ir_opset = "opset4";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::asinh(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ASINH_HPP
