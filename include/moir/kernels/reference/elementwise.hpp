#ifndef MOIR_KERNELS_REFERENCE_ELEMENTWISE_HPP
#define MOIR_KERNELS_REFERENCE_ELEMENTWISE_HPP

// Reference kernels of every element-wise op: the ops that declare is_binary_elementwise or
// is_unary_elementwise and a scalar `apply` (taking the op's attrs first when it needs them). Half
// is computed in float, other types in themselves.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/broadcast.hpp>
#include <moir/ops/detail/elementwise.hpp>

#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // enable_if_t, is_same_v, void_t
#include <vector>       // vector

namespace moir::kernels {

namespace detail {
template <class T> struct compute_type { using type = T; };
template <> struct compute_type<half> { using type = float; };
/// The type reference kernels compute T in: float for half, T otherwise.
template <class T> using compute_t = typename compute_type<T>::type;

template <class Op, class = void> struct is_binary : std::false_type {};
template <class Op> struct is_binary<Op, std::enable_if_t<Op::is_binary_elementwise>> : std::true_type {};
template <class Op, class = void> struct is_unary : std::false_type {};
template <class Op> struct is_unary<Op, std::enable_if_t<Op::is_unary_elementwise>> : std::true_type {};

template <class Op, class = void> struct float_only : std::false_type {};
template <class Op> struct float_only<Op, std::enable_if_t<Op::float_only>> : std::true_type {};
template <class Op, class = void> struct accepts_bool : std::false_type {};
template <class Op> struct accepts_bool<Op, std::enable_if_t<Op::accepts_bool>> : std::true_type {};

/// Whether the reference kernel of Op is instantiated for element type T: for bool only when the op
/// says accepts_bool (comparisons, logical ops); only for floating types when it says float_only.
template <class Op, class T>
inline constexpr bool computes_v = (!std::is_same_v<T, bool> || accepts_bool<Op>::value) &&
                                   (!float_only<Op>::value || std::is_floating_point_v<T> || std::is_same_v<T, half>);

[[noreturn]] inline void unsupported_type(std::string_view op, element_type t) {
    throw unsupported_error(std::string(op) + " does not support element type " + std::string(ir_name(t)));
}

template <class Op, class T, class = void> struct apply_takes_attrs : std::false_type {};
template <class Op, class T>
struct apply_takes_attrs<Op, T, std::void_t<decltype(Op::apply(std::declval<const typename Op::attrs&>(), T{}, T{}))>>
    : std::true_type {};
template <class Op, class T, class = void> struct unary_takes_attrs : std::false_type {};
template <class Op, class T>
struct unary_takes_attrs<Op, T, std::void_t<decltype(Op::apply(std::declval<const typename Op::attrs&>(), T{}))>>
    : std::true_type {};
}  // namespace detail

/// Reference kernel of binary element-wise ops (numpy broadcasting).
template <class Op>
struct kernel<Op, any_precision, arch::reference, std::enable_if_t<detail::is_binary<Op>::value>> {
    static constexpr bool available = true;
    static void run(const typename Op::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<Op, T>) {
                detail::unsupported_type(Op::ir_name, in[0].type());
            } else {
            using C = detail::compute_t<T>;
            const T* x = in[0].data<T>();
            const T* y = in[1].data<T>();
            visit_element_type(out[0].type(), [&](auto otag) {
                using O = typename decltype(otag)::type;
                O* z = out[0].data<O>();
                reference::broadcast_binary(in[0].dims(), in[1].dims(), out[0].dims(),
                                            [&](std::size_t o, std::size_t i, std::size_t j) {
                    const C u = static_cast<C>(x[i]), v = static_cast<C>(y[j]);
                    C r;
                    if constexpr (detail::apply_takes_attrs<Op, C>::value) r = Op::apply(a, u, v);
                    else r = Op::apply(u, v);
                    z[o] = convert_value<O>(r);
                });
            });
            }
        });
    }
};

/// Reference kernel of unary element-wise ops.
template <class Op>
struct kernel<Op, any_precision, arch::reference, std::enable_if_t<detail::is_unary<Op>::value>> {
    static constexpr bool available = true;
    static void run(const typename Op::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<Op, T>) {
                detail::unsupported_type(Op::ir_name, in[0].type());
            } else {
                using C = detail::compute_t<T>;
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                for (std::size_t i = 0, n = in[0].numel(); i < n; ++i) {
                    if constexpr (detail::unary_takes_attrs<Op, C>::value)
                        y[i] = convert_value<T>(Op::apply(a, static_cast<C>(x[i])));
                    else
                        y[i] = convert_value<T>(Op::apply(static_cast<C>(x[i])));
                }
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_ELEMENTWISE_HPP
