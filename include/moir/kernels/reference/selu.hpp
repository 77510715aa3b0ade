#ifndef MOIR_KERNELS_REFERENCE_SELU_HPP
#define MOIR_KERNELS_REFERENCE_SELU_HPP

// Reference kernel of Selu: floating types, computed in double per element.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::unsupported_type
#include <moir/ops/selu.hpp>

#include <cmath>        // expm1
#include <cstddef>      // size_t
#include <type_traits>  // is_floating_point_v, is_same_v
#include <vector>       // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::selu> {
    static constexpr bool available = true;
    /// requires: in = {data, alpha, lambda}, alpha and lambda holding one value each.
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!std::is_floating_point_v<T> && !std::is_same_v<T, half>) {
                detail::unsupported_type(ops::selu::ir_name, in[0].type());
            } else {
                const double alpha = in[1].at_as<double>(0), lambda = in[2].at_as<double>(0);
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                for (std::size_t i = 0, n = in[0].numel(); i < n; ++i) {
                    const double v = convert_value<double>(x[i]);
                    y[i] = convert_value<T>(lambda * (v > 0 ? v : alpha * std::expm1(v)));
                }
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_SELU_HPP
