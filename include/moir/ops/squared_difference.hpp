#ifndef MOIR_OPS_SQUARED_DIFFERENCE_HPP
#define MOIR_OPS_SQUARED_DIFFERENCE_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// squared_difference: y = (a - b)^2, element-wise with numpy broadcasting. requires: two inputs of one element type.
struct squared_difference : detail::binary_elementwise<> {
    static constexpr std::string_view name = "squared_difference", ir_name = "SquaredDifference", ir_opset = "opset1";
    template <class T>
    static T apply(T a, T b) { return static_cast<T>((a - b) * (a - b)); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SQUARED_DIFFERENCE_HPP
