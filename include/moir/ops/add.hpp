#ifndef MOIR_OPS_ADD_HPP
#define MOIR_OPS_ADD_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// add: y = a + b, element-wise with numpy broadcasting. requires: two inputs of one element type.
struct add : detail::binary_elementwise<> {
    static constexpr std::string_view name = "add", ir_name = "Add", ir_opset = "opset1";
    template <class T>
    static T apply(T a, T b) { return static_cast<T>(a + b); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ADD_HPP
