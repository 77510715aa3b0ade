#ifndef MOIR_KERNELS_REFERENCE_HARD_SIGMOID_HPP
#define MOIR_KERNELS_REFERENCE_HARD_SIGMOID_HPP

// Reference kernel of HardSigmoid: floating types, computed in double per element.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, unsupported_type
#include <moir/ops/hard_sigmoid.hpp>

#include <algorithm>  // max, min
#include <cstddef>    // size_t
#include <vector>     // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::hard_sigmoid> {
    static constexpr bool available = true;
    /// requires: in = {data, alpha, beta}, alpha and beta holding one value each.
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<ops::hard_sigmoid, T>) {
                detail::unsupported_type(ops::hard_sigmoid::ir_name, in[0].type());
            } else {
                const double alpha = in[1].at_as<double>(0), beta = in[2].at_as<double>(0);
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                for (std::size_t i = 0, n = in[0].numel(); i < n; ++i)
                    y[i] = convert_value<T>(std::max(0.0, std::min(1.0, alpha * convert_value<double>(x[i]) + beta)));
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_HARD_SIGMOID_HPP
