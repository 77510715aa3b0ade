#ifndef MOIR_KERNELS_REFERENCE_REDUCE_HPP
#define MOIR_KERNELS_REFERENCE_REDUCE_HPP

// Reference kernels of every reduction: the ops deriving from ops::detail::reduction. One pass
// over the input folds each element into its output's accumulator (double for floating types,
// 64-bit for integers) with the op's init/combine/finish hooks.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/ops/detail/reduce.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint64_t
#include <type_traits>  // conditional_t, enable_if_t, false_type, true_type, is_same_v, is_signed_v, is_floating_point_v
#include <vector>       // vector

namespace moir::kernels {

namespace detail {
template <class Op, class = void> struct is_reduction : std::false_type {};
template <class Op> struct is_reduction<Op, std::enable_if_t<Op::is_reduction>> : std::true_type {};

/// The accumulator of the reference reductions for element type T.
template <class T>
using reduce_acc_t = std::conditional_t<std::is_floating_point_v<T> || std::is_same_v<T, half>, double,
                                        std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>>;
}  // namespace detail

namespace detail {
/// The reduction proper, on the input already read as accumulator values (A: double, int64 or
/// uint64): instantiated per op and accumulator type, not per element type. ostride[i] is the
/// output offset step of input axis i (0 on reduced axes); count the elements per output.
/// ensures: returns each output's finished value.
template <class Op, class A>
std::vector<A> reduce_values(const std::vector<A>& x, const shape& s, const std::vector<std::size_t>& ostride,
                             std::size_t outputs, std::size_t count) {
    std::vector<A> acc(outputs, Op::template init<A>());
    std::vector<std::int64_t> idx(s.size(), 0);
    std::size_t o = 0;
    for (std::size_t i = 0, n = x.size(); i < n; ++i) {
        acc[o] = Op::template combine<A>(acc[o], x[i]);
        for (std::size_t ax = s.size(); ax-- > 0;) {  // odometer
            o += ostride[ax];
            if (++idx[ax] < s[ax]) break;
            o -= ostride[ax] * static_cast<std::size_t>(s[ax]);
            idx[ax] = 0;
        }
    }
    for (auto& a : acc) a = Op::template finish<A>(a, count);
    return acc;
}
}  // namespace detail

/// Reference kernel of the Reduce* ops.
template <class Op>
struct reference_kernel<Op, std::enable_if_t<detail::is_reduction<Op>::value>> {
    static constexpr bool available = true;
    static void run(const typename Op::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const auto mask = ops::detail::reduced_axes_mask(in[1].to_vector<std::int64_t>(), s.size());
        // the output offset step of each input axis (0 on reduced axes), and the elements per output
        std::vector<std::size_t> ostride(s.size(), 0);
        std::size_t step = 1, count = 1;
        for (std::size_t i = s.size(); i-- > 0;) {
            if (mask[i]) {
                count *= static_cast<std::size_t>(s[i]);
            } else {
                ostride[i] = step;
                step *= static_cast<std::size_t>(s[i]);
            }
        }
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type(Op::ir_name, in[0].type());
            } else {
                using A = detail::reduce_acc_t<T>;
                const T* x = in[0].data<T>();
                std::vector<A> xa(in[0].numel());
                for (std::size_t i = 0; i < xa.size(); ++i) xa[i] = convert_value<A>(x[i]);
                const auto r = detail::reduce_values<Op, A>(xa, s, ostride, out[0].numel(), count);
                T* y = out[0].data<T>();
                for (std::size_t j = 0; j < r.size(); ++j) y[j] = convert_value<T>(r[j]);
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_REDUCE_HPP
