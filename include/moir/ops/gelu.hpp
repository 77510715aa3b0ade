#ifndef MOIR_OPS_GELU_HPP
#define MOIR_OPS_GELU_HPP

#include <moir/ops/common.hpp>
#include <moir/ops/detail/elementwise.hpp>

#include <array>        // array
#include <cmath>        // erf, sqrt, tanh
#include <string_view>  // string_view

namespace moir::ops {

/// How Gelu computes the Gaussian CDF: exactly (erf) or with the tanh approximation.
enum class gelu_approximation { erf, tanh };
constexpr std::array<std::string_view, 2> ir_enum_names(gelu_approximation) { return {"ERF", "TANH"}; }

/// gelu: y = 0.5 * x * (1 + erf(x / sqrt(2))) (ERF), or
/// y = 0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))) (TANH), element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct gelu : detail::unary_elementwise {
    static constexpr std::string_view name = "gelu", ir_name = "Gelu", ir_opset = "opset7";
    static constexpr bool float_only = true;
    struct attrs {
        gelu_approximation approximation_mode = gelu_approximation::erf;
        static constexpr std::array<std::string_view, 1> ir_names{"approximation_mode"};
    };
    static port_descs infer(const attrs&, const port_descs& in) { return unary_elementwise::infer({}, in); }
    template <class T>
    static T apply(const attrs& a, T x) {
        const double v = static_cast<double>(x);
        if (a.approximation_mode == gelu_approximation::tanh) {
            const double k = 0.7978845608028654;  // sqrt(2 / pi)
            return static_cast<T>(0.5 * v * (1.0 + std::tanh(k * (v + 0.044715 * v * v * v))));
        }
        return static_cast<T>(0.5 * v * (1.0 + std::erf(v * 0.7071067811865476)));
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_GELU_HPP
