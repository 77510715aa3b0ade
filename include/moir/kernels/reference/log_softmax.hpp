#ifndef MOIR_KERNELS_REFERENCE_LOG_SOFTMAX_HPP
#define MOIR_KERNELS_REFERENCE_LOG_SOFTMAX_HPP

// Reference LogSoftmax: per line along the axis, subtract the max, then the log of the sum of the
// exponentials; computed in double for every floating type.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::unsupported_type
#include <moir/ops/log_softmax.hpp>

#include <cmath>        // exp, log, HUGE_VAL
#include <cstddef>      // size_t
#include <type_traits>  // is_floating_point_v, is_same_v
#include <vector>       // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::log_softmax> {
    static constexpr bool available = true;
    static void run(const ops::log_softmax::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const std::size_t axis = normalize_axis(a.axis, s.size());
        std::size_t outer = 1, inner = 1;
        for (std::size_t i = 0; i < axis; ++i) outer *= static_cast<std::size_t>(s[i]);
        for (std::size_t i = axis + 1; i < s.size(); ++i) inner *= static_cast<std::size_t>(s[i]);
        const auto len = static_cast<std::size_t>(s[axis]);
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!std::is_floating_point_v<T> && !std::is_same_v<T, half>) {
                detail::unsupported_type(ops::log_softmax::ir_name, in[0].type());
            } else {
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                for (std::size_t o = 0; o < outer; ++o)
                    for (std::size_t i = 0; i < inner; ++i) {
                        const std::size_t base = o * len * inner + i;
                        double mx = -HUGE_VAL;
                        for (std::size_t j = 0; j < len; ++j) {
                            const double v = convert_value<double>(x[base + j * inner]);
                            if (v > mx || v != v) mx = v;
                        }
                        double sum = 0;
                        for (std::size_t j = 0; j < len; ++j) sum += std::exp(convert_value<double>(x[base + j * inner]) - mx);
                        const double shift = mx + std::log(sum);
                        for (std::size_t j = 0; j < len; ++j)
                            y[base + j * inner] = convert_value<T>(convert_value<double>(x[base + j * inner]) - shift);
                    }
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_LOG_SOFTMAX_HPP
