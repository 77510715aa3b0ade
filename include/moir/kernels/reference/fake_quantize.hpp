#ifndef MOIR_KERNELS_REFERENCE_FAKE_QUANTIZE_HPP
#define MOIR_KERNELS_REFERENCE_FAKE_QUANTIZE_HPP

// Reference kernel of FakeQuantize-1, OpenVINO's definition exactly: the arithmetic is done in the
// data's type (float for f32 and f16, double for f64) in the order OpenVINO's reference writes it,
// and the level index is rounded with std::nearbyint (round half to even in the default rounding
// mode), so the results agree bit for bit with OpenVINO's reference for f32. The range inputs
// numpy-broadcast to the output; one-element ranges take a flat loop.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/broadcast.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, unsupported_type
#include <moir/ops/fake_quantize.hpp>

#include <algorithm>    // max, min
#include <cmath>        // nearbyint
#include <cstddef>      // size_t
#include <type_traits>  // conditional_t, is_same_v
#include <vector>       // vector

namespace moir::kernels {

namespace detail {
/// One FakeQuantize element in the compute type C. lm1 = levels - 1.
template <class C>
inline C fake_quantize_one(C x, C il, C ih, C ol, C oh, C lm1) {
    if (x <= std::min(il, ih)) return ol;
    if (x > std::max(il, ih)) return oh;
    return std::nearbyint((x - il) / (ih - il) * lm1) / lm1 * (oh - ol) + ol;
}
}  // namespace detail

template <>
struct reference_kernel<ops::fake_quantize> {
    static constexpr bool available = true;
    /// requires: in = {X, input_low, input_high, output_low, output_high} of one floating type, each
    /// numpy-broadcastable to out[0]. ensures: out[0] = FakeQuantize(X) element by element.
    static void run(const ops::fake_quantize::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!moir::kernels::detail::computes_v<ops::fake_quantize, T>) {
                moir::kernels::detail::unsupported_type(ops::fake_quantize::ir_name, in[0].type());
            } else {
                using C = std::conditional_t<std::is_same_v<T, double>, double, float>;
                compute<T, C>(a, in, out[0]);
            }
        });
    }

private:
    template <class T, class C>
    static void compute(const ops::fake_quantize::attrs& a, const std::vector<tensor>& in, tensor& y_t) {
        const C lm1 = static_cast<C>(a.levels - 1);
        const shape& os = y_t.dims();
        const std::size_t n = y_t.numel(), rank = os.size();
        const T* p[5];
        for (std::size_t k = 0; k < 5; ++k) p[k] = in[k].data<T>();
        T* y = y_t.data<T>();
        auto c = [](T v) { return convert_value<C>(v); };
        if (n == 0) return;
        bool flat = in[0].dims() == os;
        for (std::size_t k = 1; k < 5; ++k) flat = flat && in[k].numel() == 1;
        if (flat) {  // per-tensor ranges: the common activation case
            const C il = c(p[1][0]), ih = c(p[2][0]), ol = c(p[3][0]), oh = c(p[4][0]);
            for (std::size_t i = 0; i < n; ++i)
                y[i] = convert_value<T>(moir::kernels::detail::fake_quantize_one<C>(c(p[0][i]), il, ih, ol, oh, lm1));
            return;
        }
        std::vector<std::size_t> st[5];
        for (std::size_t k = 0; k < 5; ++k) st[k] = reference::broadcast_strides(in[k].dims(), os);
        if (rank == 0) {
            y[0] = convert_value<T>(
                moir::kernels::detail::fake_quantize_one<C>(c(p[0][0]), c(p[1][0]), c(p[2][0]), c(p[3][0]), c(p[4][0]), lm1));
            return;
        }
        // walk the output row by row (the last axis inner), an odometer over the outer axes
        const std::size_t inner = static_cast<std::size_t>(os[rank - 1]);
        std::vector<std::size_t> idx(rank, 0);
        std::size_t off[5] = {0, 0, 0, 0, 0};
        for (std::size_t o = 0; o < n; o += inner) {
            for (std::size_t j = 0; j < inner; ++j) {
                std::size_t e[5];
                for (std::size_t k = 0; k < 5; ++k) e[k] = off[k] + j * st[k][rank - 1];
                y[o + j] = convert_value<T>(moir::kernels::detail::fake_quantize_one<C>(
                    c(p[0][e[0]]), c(p[1][e[1]]), c(p[2][e[2]]), c(p[3][e[3]]), c(p[4][e[4]]), lm1));
            }
            for (std::size_t ax = rank - 1; ax-- > 0;) {
                if (++idx[ax] < static_cast<std::size_t>(os[ax])) {
                    for (std::size_t k = 0; k < 5; ++k) off[k] += st[k][ax];
                    break;
                }
                for (std::size_t k = 0; k < 5; ++k) off[k] -= st[k][ax] * (idx[ax] - 1);
                idx[ax] = 0;
            }
        }
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_FAKE_QUANTIZE_HPP
