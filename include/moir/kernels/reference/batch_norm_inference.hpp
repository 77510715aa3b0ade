#ifndef MOIR_KERNELS_REFERENCE_BATCH_NORM_INFERENCE_HPP
#define MOIR_KERNELS_REFERENCE_BATCH_NORM_INFERENCE_HPP

// Reference kernel of BatchNormInference: floating types, computed in double per element.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, unsupported_type
#include <moir/ops/batch_norm_inference.hpp>

#include <cmath>    // sqrt
#include <cstddef>  // size_t
#include <vector>   // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::batch_norm_inference> {
    static constexpr bool available = true;
    /// requires: in = {data [N, C, ...], gamma, beta, mean, variance [C]}, out[0] allocated.
    static void run(const ops::batch_norm_inference::attrs& a, const std::vector<tensor>& in,
                    std::vector<tensor>& out) {
        const shape& xs = in[0].dims();
        const std::size_t batch = static_cast<std::size_t>(xs[0]), channels = static_cast<std::size_t>(xs[1]);
        const std::size_t inner = batch != 0 && channels != 0 ? in[0].numel() / (batch * channels) : 0;  // a zero batch: no work
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<ops::batch_norm_inference, T>) {
                detail::unsupported_type(ops::batch_norm_inference::ir_name, in[0].type());
            } else {
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                for (std::size_t c = 0; c < channels; ++c) {
                    auto at = [&](std::size_t i) { return convert_value<double>(in[i].data<T>()[c]); };
                    // y = x * scale + shift
                    const double scale = at(1) / std::sqrt(at(4) + a.epsilon);
                    const double shift = at(2) - at(3) * scale;
                    for (std::size_t n = 0; n < batch; ++n) {
                        const std::size_t base = (n * channels + c) * inner;
                        for (std::size_t i = 0; i < inner; ++i)
                            y[base + i] = convert_value<T>(convert_value<double>(x[base + i]) * scale + shift);
                    }
                }
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_BATCH_NORM_INFERENCE_HPP
