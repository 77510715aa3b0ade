#ifndef MOIR_OPS_ACOS_HPP
#define MOIR_OPS_ACOS_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // acos
#include <string_view>  // string_view

namespace moir::ops {

/// acos: y = arccos(x), element-wise (|x| > 1 gives NaN).
/// requires: a floating-point input. ensures: output type and shape == input's.
struct acos : detail::unary_elementwise {
    static constexpr std::string_view name = "acos", ir_name = "Acos", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::acos(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ACOS_HPP
