#ifndef MOIR_OPS_ELU_HPP
#define MOIR_OPS_ELU_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <array>        // array
#include <cmath>        // expm1
#include <string_view>  // string_view

namespace moir::ops {

/// elu: y = x for x > 0, alpha * (e^x - 1) otherwise, element-wise.
/// requires: a floating-point input. ensures: output type and shape == input's.
struct elu : detail::unary_elementwise {
    static constexpr std::string_view name = "elu", ir_name = "Elu", ir_opset = "opset1";
    static constexpr bool float_only = true;
    struct attrs {
        double alpha = 1.0;
        static constexpr std::array<std::string_view, 1> ir_names{"alpha"};
    };
    static port_descs infer(const attrs&, const port_descs& in) { return unary_elementwise::infer({}, in); }
    template <class T>
    static T apply(const attrs& a, T x) {
        const double v = static_cast<double>(x);
        return static_cast<T>(v > 0 ? v : a.alpha * std::expm1(v));
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ELU_HPP
