#ifndef MOIR_OPS_LOG_HPP
#define MOIR_OPS_LOG_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // log
#include <string_view>  // string_view

namespace moir::ops {

/// log: y = ln(x), element-wise (x < 0 gives NaN, 0 gives -inf).
/// requires: a floating-point input. ensures: output type and shape == input's.
struct log : detail::unary_elementwise {
    static constexpr std::string_view name = "log", ir_name = "Log", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::log(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_LOG_HPP
