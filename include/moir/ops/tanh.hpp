#ifndef MOIR_OPS_TANH_HPP
#define MOIR_OPS_TANH_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

#include <cmath>  // tanh
namespace moir::ops {

/// tanh: y = tanh(x), element-wise. ensures: output type and shape == input's.
struct tanh : detail::unary_elementwise {
    static constexpr std::string_view name = "tanh", ir_name = "Tanh", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::tanh(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_TANH_HPP
