#ifndef MOIR_OPS_HSIGMOID_HPP
#define MOIR_OPS_HSIGMOID_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

#include <algorithm>  // min, max
namespace moir::ops {

/// hsigmoid: y = min(max(x + 3, 0), 6) / 6, element-wise. ensures: output type and shape == input's.
struct hsigmoid : detail::unary_elementwise {
    static constexpr std::string_view name = "hsigmoid", ir_name = "HSigmoid", ir_opset = "opset5";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::min(std::max(x + T(3), T(0)), T(6)) / T(6)); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_HSIGMOID_HPP
