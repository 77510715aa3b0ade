#ifndef MOIR_OPS_ATAN_HPP
#define MOIR_OPS_ATAN_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // atan
#include <string_view>  // string_view

namespace moir::ops {

/// atan: y = arctan(x), element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct atan : detail::unary_elementwise {
    static constexpr std::string_view name = "atan", ir_name = "Atan", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::atan(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ATAN_HPP
