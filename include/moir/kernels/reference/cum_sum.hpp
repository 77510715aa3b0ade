#ifndef MOIR_KERNELS_REFERENCE_CUM_SUM_HPP
#define MOIR_KERNELS_REFERENCE_CUM_SUM_HPP

// Reference kernel of CumSum: floating types accumulate in double, signed integers in int64,
// unsigned ones in uint64 (wrapping like the element type when stored back).

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/data_movement.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/ops/cum_sum.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint64_t
#include <type_traits>  // conditional_t, is_same_v, is_signed_v
#include <vector>       // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::cum_sum> {
    static constexpr bool available = true;
    static void run(const ops::cum_sum::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const std::size_t axis = normalize_axis(in.size() == 2 ? in[1].at_as<std::int64_t>(0) : 0, s.size());
        const auto n = static_cast<std::size_t>(s[axis]);
        const std::size_t outer = detail::dims_product(s, 0, axis), inner = detail::dims_product(s, axis + 1, s.size());
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type("CumSum", in[0].type());
            } else {
                using A = std::conditional_t<std::is_integral_v<T>,
                                             std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>, double>;
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                for (std::size_t o = 0; o < outer; ++o)
                    for (std::size_t i = 0; i < inner; ++i) {
                        A acc = 0;
                        for (std::size_t step = 0; step < n; ++step) {
                            const std::size_t j = a.reverse ? n - 1 - step : step;
                            const std::size_t at = (o * n + j) * inner + i;
                            const A v = static_cast<A>(convert_value<detail::compute_t<T>>(x[at]));
                            if (!a.exclusive) acc += v;
                            y[at] = convert_value<T>(acc);
                            if (a.exclusive) acc += v;
                        }
                    }
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_CUM_SUM_HPP
