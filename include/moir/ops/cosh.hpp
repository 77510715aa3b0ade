#ifndef MOIR_OPS_COSH_HPP
#define MOIR_OPS_COSH_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // cosh
#include <string_view>  // string_view

namespace moir::ops {

/// cosh: y = cosh(x), element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct cosh : detail::unary_elementwise {
    static constexpr std::string_view name = "cosh", ir_name = "Cosh", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::cosh(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_COSH_HPP
