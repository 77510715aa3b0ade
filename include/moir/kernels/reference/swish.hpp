#ifndef MOIR_KERNELS_REFERENCE_SWISH_HPP
#define MOIR_KERNELS_REFERENCE_SWISH_HPP

// Reference kernel of Swish: floating types, computed in double per element.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, unsupported_type
#include <moir/ops/swish.hpp>

#include <cmath>    // exp
#include <cstddef>  // size_t
#include <vector>   // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::swish> {
    static constexpr bool available = true;
    /// requires: in = {data} or {data, beta}, beta holding one value.
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<ops::swish, T>) {
                detail::unsupported_type(ops::swish::ir_name, in[0].type());
            } else {
                const double beta = in.size() > 1 ? in[1].at_as<double>(0) : 1.0;
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                for (std::size_t i = 0, n = in[0].numel(); i < n; ++i) {
                    const double v = convert_value<double>(x[i]);
                    y[i] = convert_value<T>(v / (1.0 + std::exp(-beta * v)));
                }
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_SWISH_HPP
