#ifndef MOIR_OPS_RELU_HPP
#define MOIR_OPS_RELU_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// relu: y = max(x, 0), element-wise. ensures: output type and shape == input's.
struct relu : detail::unary_elementwise {
    static constexpr std::string_view name = "relu", ir_name = "ReLU", ir_opset = "opset1";
    template <class T>
    static T apply(T x) { return x < T(0) ? T(0) : x; }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_RELU_HPP
