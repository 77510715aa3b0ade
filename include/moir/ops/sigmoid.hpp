#ifndef MOIR_OPS_SIGMOID_HPP
#define MOIR_OPS_SIGMOID_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

#include <cmath>  // exp
namespace moir::ops {

/// sigmoid: y = 1 / (1 + exp(-x)), element-wise. ensures: output type and shape == input's.
struct sigmoid : detail::unary_elementwise {
    static constexpr std::string_view name = "sigmoid", ir_name = "Sigmoid", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(1 / (1 + std::exp(-static_cast<double>(x)))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SIGMOID_HPP
