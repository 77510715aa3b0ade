#ifndef MOIR_OPS_HSWISH_HPP
#define MOIR_OPS_HSWISH_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

#include <algorithm>  // min, max
namespace moir::ops {

/// hswish: y = x * min(max(x + 3, 0), 6) / 6, element-wise. ensures: output type and shape == input's.
struct hswish : detail::unary_elementwise {
    static constexpr std::string_view name = "hswish", ir_name = "HSwish", ir_opset = "opset4";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(x * std::min(std::max(x + T(3), T(0)), T(6)) / T(6)); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_HSWISH_HPP
