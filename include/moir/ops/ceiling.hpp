#ifndef MOIR_OPS_CEILING_HPP
#define MOIR_OPS_CEILING_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // ceil
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v

namespace moir::ops {

/// ceiling: y = the smallest integer value >= x, element-wise (ONNX Ceil); integers are unchanged.
/// ensures: output type and shape == input's.
struct ceiling : detail::unary_elementwise {
    static constexpr std::string_view name = "ceiling", ir_name = "Ceiling", ir_opset = "opset1";
    template <class T>
    static T apply(T x) {
        if constexpr (std::is_floating_point_v<T>) return std::ceil(x);
        else return x;
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_CEILING_HPP
