#ifndef MOIR_KERNELS_REFERENCE_FLOAT_CLASS_HPP
#define MOIR_KERNELS_REFERENCE_FLOAT_CLASS_HPP

// Reference kernels of the floating-point class tests IsInf and IsNaN: a boolean per element.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::unsupported_type
#include <moir/ops/is_inf.hpp>
#include <moir/ops/is_nan.hpp>

#include <cmath>        // isinf, isnan
#include <cstddef>      // size_t
#include <type_traits>  // is_floating_point_v, is_same_v
#include <vector>       // vector

namespace moir::kernels {

namespace detail {
/// Writes pred(x) as a boolean for every element of a floating-point tensor `x` into `y`.
template <class Op, class Pred>
void classify_floats(const tensor& x, tensor& y, Pred pred) {
    visit_element_type(x.type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        if constexpr (!std::is_floating_point_v<T> && !std::is_same_v<T, half>) {
            unsupported_type(Op::ir_name, x.type());
        } else {
            const T* in = x.data<T>();
            bool* out = y.data<bool>();
            for (std::size_t i = 0, n = x.numel(); i < n; ++i) out[i] = pred(convert_value<double>(in[i]));
        }
    });
}
}  // namespace detail

template <>
struct reference_kernel<ops::is_inf> {
    static constexpr bool available = true;
    static void run(const ops::is_inf::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::classify_floats<ops::is_inf>(in[0], out[0], [&](double v) {
            return std::isinf(v) && (v > 0 ? a.detect_positive : a.detect_negative);
        });
    }
};

template <>
struct reference_kernel<ops::is_nan> {
    static constexpr bool available = true;
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::classify_floats<ops::is_nan>(in[0], out[0], [](double v) { return std::isnan(v); });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_FLOAT_CLASS_HPP
