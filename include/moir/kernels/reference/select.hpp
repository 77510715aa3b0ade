#ifndef MOIR_KERNELS_REFERENCE_SELECT_HPP
#define MOIR_KERNELS_REFERENCE_SELECT_HPP

// Reference kernel of Select: each output element picks then or else by the condition, the three
// inputs numpy-broadcast to the output.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/broadcast.hpp>
#include <moir/ops/select.hpp>

#include <cstddef>  // size_t
#include <vector>   // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::select> {
    static constexpr bool available = true;
    /// requires: in = {cond (boolean), then, else}, broadcastable to out[0].
    static void run(const ops::select::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& os = out[0].dims();
        const std::size_t rank = os.size(), n = out[0].numel();
        std::vector<std::size_t> st[3];
        for (std::size_t k = 0; k < 3; ++k) st[k] = reference::broadcast_strides(in[k].dims(), os);
        const bool* cond = in[0].data<bool>();
        visit_element_type(out[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            const T* a = in[1].data<T>();
            const T* b = in[2].data<T>();
            T* y = out[0].data<T>();
            for (std::size_t o = 0; o < n; ++o) {
                // the input offsets of output element o: its index, axis by axis, times each stride
                std::size_t off[3] = {0, 0, 0};
                for (std::size_t ax = rank, rest = o; ax-- > 0;) {
                    const auto d = static_cast<std::size_t>(os[ax]);
                    const std::size_t i = rest % d;
                    rest /= d;
                    for (std::size_t k = 0; k < 3; ++k) off[k] += i * st[k][ax];
                }
                y[o] = cond[off[0]] ? a[off[1]] : b[off[2]];
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_SELECT_HPP
