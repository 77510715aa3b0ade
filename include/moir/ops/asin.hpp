#ifndef MOIR_OPS_ASIN_HPP
#define MOIR_OPS_ASIN_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <cmath>        // asin
#include <string_view>  // string_view

namespace moir::ops {

/// asin: y = arcsin(x), element-wise (|x| > 1 gives NaN).
/// requires: a floating-point input. ensures: output type and shape == input's.
struct asin : detail::unary_elementwise {
    static constexpr std::string_view name = "asin", ir_name = "Asin", ir_opset = "opset1";
    static constexpr bool float_only = true;
    template <class T>
    static T apply(T x) { return static_cast<T>(std::asin(static_cast<double>(x))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ASIN_HPP
