#ifndef MOIR_KERNELS_REFERENCE_LINALG_HPP
#define MOIR_KERNELS_REFERENCE_LINALG_HPP

// Reference kernel of Det: LU decomposition with partial pivoting in double, floating types.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, unsupported_type
#include <moir/ops/det.hpp>

#include <cmath>    // fabs
#include <cstddef>  // size_t
#include <utility>  // swap
#include <vector>   // vector

namespace moir::kernels {

namespace reference {
/// The determinant of the n x n row-major matrix `m` (destroyed).
inline double determinant(std::vector<double>& m, std::size_t n) {
    double det = 1.0;
    for (std::size_t col = 0; col < n; ++col) {
        std::size_t pivot = col;
        for (std::size_t r = col + 1; r < n; ++r)
            if (std::fabs(m[r * n + col]) > std::fabs(m[pivot * n + col])) pivot = r;
        if (m[pivot * n + col] == 0.0) return 0.0;
        if (pivot != col) {
            for (std::size_t k = 0; k < n; ++k) std::swap(m[pivot * n + k], m[col * n + k]);
            det = -det;
        }
        const double p = m[col * n + col];
        det *= p;
        for (std::size_t r = col + 1; r < n; ++r) {
            const double f = m[r * n + col] / p;
            for (std::size_t k = col; k < n; ++k) m[r * n + k] -= f * m[col * n + k];
        }
    }
    return det;
}
}  // namespace reference

template <>
struct reference_kernel<ops::det> {
    static constexpr bool available = true;
    static void run(const ops::det::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const auto n = static_cast<std::size_t>(s.back());
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<ops::det, T>) {
                detail::unsupported_type(ops::det::ir_name, in[0].type());
            } else {
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                std::vector<double> m(n * n);
                for (std::size_t b = 0, count = out[0].numel(); b < count; ++b) {
                    for (std::size_t i = 0; i < n * n; ++i) m[i] = convert_value<double>(x[b * n * n + i]);
                    y[b] = convert_value<T>(reference::determinant(m, n));
                }
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_LINALG_HPP
