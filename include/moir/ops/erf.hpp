#ifndef MOIR_OPS_ERF_HPP
#define MOIR_OPS_ERF_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // erf
#include <string_view>  // string_view

namespace moir::ops {

/// erf: y = erf(x), the Gauss error function, element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct erf : detail::unary_elementwise {
    static constexpr std::string_view name = "erf", ir_name = "Erf", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::erf(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ERF_HPP
