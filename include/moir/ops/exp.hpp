#ifndef MOIR_OPS_EXP_HPP
#define MOIR_OPS_EXP_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

#include <cmath>  // exp
namespace moir::ops {

/// exp: y = e^x, element-wise. ensures: output type and shape == input's.
struct exp : detail::unary_elementwise {
    static constexpr std::string_view name = "exp", ir_name = "Exp", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::exp(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_EXP_HPP
