#ifndef MOIR_KERNELS_REFERENCE_CLAMP_HPP
#define MOIR_KERNELS_REFERENCE_CLAMP_HPP

// Reference kernel of Clamp: floating types compare in double; integer types clamp to ceil(min) and
// floor(max) limited to the type's range, so the comparison stays exact in the type itself.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::unsupported_type
#include <moir/ops/clamp.hpp>

#include <cmath>        // ceil, floor
#include <cstddef>      // size_t
#include <limits>       // numeric_limits
#include <type_traits>  // is_integral_v, is_same_v
#include <vector>       // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::clamp> {
    static constexpr bool available = true;
    static void run(const ops::clamp::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            const T* x = in[0].data<T>();
            T* y = out[0].data<T>();
            const std::size_t n = in[0].numel();
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type(ops::clamp::ir_name, in[0].type());
            } else if constexpr (std::is_integral_v<T>) {
                const T lo = bound<T>(std::ceil(a.min)), hi = bound<T>(std::floor(a.max));
                for (std::size_t i = 0; i < n; ++i) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
            } else {
                for (std::size_t i = 0; i < n; ++i) {
                    const double v = convert_value<double>(x[i]);
                    y[i] = convert_value<T>(v < a.min ? a.min : (v > a.max ? a.max : v));  // NaN stays NaN
                }
            }
        });
    }

private:
    /// v limited to the range of the integer type T.
    template <class T>
    static T bound(double v) {
        if (v <= static_cast<double>(std::numeric_limits<T>::lowest())) return std::numeric_limits<T>::lowest();
        if (v >= static_cast<double>(std::numeric_limits<T>::max())) return std::numeric_limits<T>::max();
        return static_cast<T>(v);
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_CLAMP_HPP
