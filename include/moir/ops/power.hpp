#ifndef MOIR_OPS_POWER_HPP
#define MOIR_OPS_POWER_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

#include <cmath>  // pow
namespace moir::ops {

/// power: y = a ^ b, element-wise with numpy broadcasting. requires: two inputs of one element type.
struct power : detail::binary_elementwise<> {
    static constexpr std::string_view name = "power", ir_name = "Power", ir_opset = "opset1";
    template <class T>
    static T apply(T a, T b) { return static_cast<T>(std::pow(a, b)); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_POWER_HPP
