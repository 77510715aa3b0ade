#ifndef MOIR_OPS_GREATER_HPP
#define MOIR_OPS_GREATER_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// greater: y = (a > b), element-wise with numpy broadcasting; a boolean output. Every
/// comparison with a NaN is false.
/// requires: two inputs of one element type (boolean allowed). ensures: a boolean output of the
/// broadcast shape.
struct greater : detail::binary_elementwise<element_type::boolean> {
    static constexpr std::string_view name = "greater", ir_name = "Greater", ir_opset = "opset1";
    static constexpr bool accepts_bool = true;
    template <class T>
    static T apply(T a, T b) { return static_cast<T>(a > b); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_GREATER_HPP
