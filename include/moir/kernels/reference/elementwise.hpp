#ifndef MOIR_KERNELS_REFERENCE_ELEMENTWISE_HPP
#define MOIR_KERNELS_REFERENCE_ELEMENTWISE_HPP

// Reference kernels of every element-wise op: the ops that declare is_binary_elementwise or
// is_unary_elementwise and a scalar `apply` (taking the op's attrs first when it needs them). Half
// is computed in float, other types in themselves.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/broadcast.hpp>
#include <moir/ops/detail/elementwise.hpp>

#include <cstring>      // memcpy
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // conditional_t, enable_if_t, is_same_v, void_t
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

namespace detail {
/// The element type a binary element-wise op gives (boolean for comparisons), or undefined when the
/// output has the inputs' type (ops that derive from binary_elementwise<> or declare it themselves).
template <element_type Out>
constexpr element_type binary_out_of(const ops::detail::binary_elementwise<Out>*) { return Out; }
constexpr element_type binary_out_of(const void*) { return element_type::undefined; }

/// The C++ type of Op's output when its inputs are T: bool for comparisons, T otherwise.
template <class Op, class T>
using binary_out_t = std::conditional_t<binary_out_of(static_cast<const Op*>(nullptr)) == element_type::boolean, bool, T>;

/// z = Op(x, y) with numpy broadcasting, computed in C = compute_t<T> and stored as O. The index
/// walk is reference::broadcast_rows (not a template); only the loop over one row is instantiated.
template <class Op, class T, class O>
void binary_into(const typename Op::attrs& a, const std::vector<tensor>& in, tensor& dst) {
    struct operands {
        const typename Op::attrs* a;
        const T* x;
        const T* y;
        O* z;
    } operand_set{&a, in[0].data<T>(), in[1].data<T>(), dst.data<O>()};
    reference::broadcast_rows(in[0].dims(), in[1].dims(), dst.dims(), &operand_set, [](void* p, const reference::broadcast_row& r) {
        using C = compute_t<T>;
        const operands& v = *static_cast<const operands*>(p);
        for (std::size_t k = 0; k < r.n; ++k) {
            const C u = static_cast<C>(v.x[r.ia + k * r.sa]), w = static_cast<C>(v.y[r.ib + k * r.sb]);
            C res;
            if constexpr (apply_takes_attrs<Op, C>::value) res = Op::apply(*v.a, u, w);
            else res = Op::apply(u, w);
            v.z[r.o + k] = convert_value<O>(res);
        }
    });
}
}  // namespace detail

/// Reference kernel of binary element-wise ops (numpy broadcasting). The output type is the one the
/// op infers (the inputs' type, or boolean for comparisons); any other output type asked for gets
/// the result computed in the compute type and converted, as Convert would (instantiated once per
/// input type, not per input x output pair: this table is most of what a program compiles).
template <class Op>
struct reference_kernel<Op, std::enable_if_t<detail::is_binary<Op>::value>> {
    static constexpr bool available = true;
    static void run(const typename Op::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<Op, T>) {
                detail::unsupported_type(Op::ir_name, in[0].type());
            } else {
                using O = detail::binary_out_t<Op, T>;
                using C = detail::compute_t<T>;
                if (out[0].type() == element_type_of_v<O>) {
                    detail::binary_into<Op, T, O>(a, in, out[0]);
                } else {
                    tensor computed(element_type_of_v<C>, out[0].dims());
                    detail::binary_into<Op, T, C>(a, in, computed);
                    const tensor converted = computed.converted(out[0].type());
                    if (converted.bytes()) std::memcpy(out[0].raw(), converted.raw(), converted.bytes());
                }
            }
        });
    }
};

/// Reference kernel of unary element-wise ops.
template <class Op>
struct reference_kernel<Op, std::enable_if_t<detail::is_unary<Op>::value>> {
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
