#ifndef MOIR_OPS_EQUAL_HPP
#define MOIR_OPS_EQUAL_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// equal: y = (a == b), element-wise with numpy broadcasting; a boolean output. Every
/// comparison with a NaN is false.
/// requires: two inputs of one element type (boolean allowed). ensures: a boolean output of the
/// broadcast shape.
struct equal : detail::binary_elementwise<element_type::boolean> {
    static constexpr std::string_view name = "equal", ir_name = "Equal", ir_opset = "opset1";
    static constexpr bool accepts_bool = true;
    template <class T>
    static T apply(T a, T b) { return static_cast<T>(a == b); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_EQUAL_HPP
