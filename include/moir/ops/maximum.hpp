#ifndef MOIR_OPS_MAXIMUM_HPP
#define MOIR_OPS_MAXIMUM_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// maximum: y = max(a, b), element-wise with numpy broadcasting. requires: two inputs of one element type.
struct maximum : detail::binary_elementwise<> {
    static constexpr std::string_view name = "maximum", ir_name = "Maximum", ir_opset = "opset1";
    template <class T>
    static T apply(T a, T b) { return a < b ? b : a; }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MAXIMUM_HPP
