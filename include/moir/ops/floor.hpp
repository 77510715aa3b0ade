#ifndef MOIR_OPS_FLOOR_HPP
#define MOIR_OPS_FLOOR_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // floor
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v

namespace moir::ops {

/// floor: y = the largest integer value <= x, element-wise; integers are unchanged.
/// ensures: output type and shape == input's.
struct floor : detail::unary_elementwise {
    static constexpr std::string_view name = "floor", ir_name = "Floor", ir_opset = "opset1";
    template <class T>
    static T apply(T x) {
        if constexpr (std::is_floating_point_v<T>) return std::floor(x);
        else return x;
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_FLOOR_HPP
