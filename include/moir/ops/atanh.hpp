#ifndef MOIR_OPS_ATANH_HPP
#define MOIR_OPS_ATANH_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // atanh
#include <string_view>  // string_view

namespace moir::ops {

/// atanh: y = artanh(x), element-wise (|x| > 1 gives NaN, +-1 gives +-inf).
/// requires: a floating-point input. ensures: output type and shape == input's.
struct atanh : detail::unary_elementwise {
    static constexpr std::string_view name = "atanh", ir_name = "Atanh", ir_opset = "opset4";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::atanh(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ATANH_HPP
