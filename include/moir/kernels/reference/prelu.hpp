#ifndef MOIR_KERNELS_REFERENCE_PRELU_HPP
#define MOIR_KERNELS_REFERENCE_PRELU_HPP

// Reference kernel of PRelu: the slope broadcast to the data (a per-channel slope is first seen as
// [C, 1, ..., 1]), computed in double per element.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/broadcast.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::unsupported_type
#include <moir/ops/prelu.hpp>

#include <cstddef>      // size_t
#include <type_traits>  // is_floating_point_v, is_same_v
#include <vector>       // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::prelu> {
    static constexpr bool available = true;
    /// requires: in = {data, slope}, the slope per channel or broadcastable to the data.
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& ds = in[0].dims();
        shape ss = in[1].dims();
        if (ops::prelu::per_channel(ds, ss)) {
            ss.assign(ds.size() - 1, 1);
            ss[0] = ds[1];
        }
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!std::is_floating_point_v<T> && !std::is_same_v<T, half>) {
                detail::unsupported_type(ops::prelu::ir_name, in[0].type());
            } else {
                const T* x = in[0].data<T>();
                const T* slope = in[1].data<T>();
                T* y = out[0].data<T>();
                reference::broadcast_unary(ss, ds, [&](std::size_t o, std::size_t i) {
                    const double v = convert_value<double>(x[o]);
                    y[o] = convert_value<T>(v < 0 ? convert_value<double>(slope[i]) * v : v);
                });
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_PRELU_HPP
