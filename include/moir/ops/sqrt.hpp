#ifndef MOIR_OPS_SQRT_HPP
#define MOIR_OPS_SQRT_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

#include <cmath>  // sqrt
namespace moir::ops {

/// sqrt: y = sqrt(x), element-wise. ensures: output type and shape == input's.
struct sqrt : detail::unary_elementwise {
    static constexpr std::string_view name = "sqrt", ir_name = "Sqrt", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::sqrt(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SQRT_HPP
