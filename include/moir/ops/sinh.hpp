#ifndef MOIR_OPS_SINH_HPP
#define MOIR_OPS_SINH_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // sinh
#include <string_view>  // string_view

namespace moir::ops {

/// sinh: y = sinh(x), element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct sinh : detail::unary_elementwise {
    static constexpr std::string_view name = "sinh", ir_name = "Sinh", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::sinh(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SINH_HPP
