#ifndef MOIR_OPS_MINIMUM_HPP
#define MOIR_OPS_MINIMUM_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// minimum: y = min(a, b), element-wise with numpy broadcasting. requires: two inputs of one element type.
struct minimum : detail::binary_elementwise<> {
    static constexpr std::string_view name = "minimum", ir_name = "Minimum", ir_opset = "opset1";
    template <class T>
    static T apply(T a, T b) { return b < a ? b : a; }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MINIMUM_HPP
