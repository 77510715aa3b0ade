#ifndef MOIR_KERNELS_REFERENCE_SHAPE_OPS_HPP
#define MOIR_KERNELS_REFERENCE_SHAPE_OPS_HPP

// Reference kernels of the ops that change only a tensor's shape (Reshape, Squeeze, Unsqueeze: a
// byte copy, every element type) or compute shapes (ShapeOf, Range).

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/ops/range.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <cstring>      // memcpy
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace moir::kernels {

namespace detail {
/// Copies the bytes of `in` into `out`. requires: same element type and count.
inline void copy_bytes(const tensor& in, tensor& out) {
    if (in.bytes()) std::memcpy(out.raw(), in.raw(), in.bytes());
}
}  // namespace detail

template <>
struct reference_kernel<ops::reshape> {
    static constexpr bool available = true;
    static void run(const ops::reshape::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::copy_bytes(in[0], out[0]);
    }
};
template <>
struct reference_kernel<ops::squeeze> {
    static constexpr bool available = true;
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::copy_bytes(in[0], out[0]);
    }
};
template <>
struct reference_kernel<ops::unsqueeze> {
    static constexpr bool available = true;
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::copy_bytes(in[0], out[0]);
    }
};

template <>
struct reference_kernel<ops::shape_of> {
    static constexpr bool available = true;
    static void run(const ops::shape_of::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::copy_bytes(ops::shape_of::value_of(in[0].dims(), a.output_type), out[0]);
    }
};

template <>
struct reference_kernel<ops::range> {
    static constexpr bool available = true;
    static void run(const ops::range::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const std::size_t n = out[0].numel();
        visit_element_type(out[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type(ops::range::ir_name, out[0].type());
            } else {
                T* y = out[0].data<T>();
                if (is_integer(out[0].type())) {
                    const auto start = in[0].at_as<std::int64_t>(0), step = in[2].at_as<std::int64_t>(0);
                    for (std::size_t i = 0; i < n; ++i)
                        y[i] = convert_value<T>(start + static_cast<std::int64_t>(i) * step);
                } else {
                    const auto start = in[0].at_as<double>(0), step = in[2].at_as<double>(0);
                    for (std::size_t i = 0; i < n; ++i) y[i] = convert_value<T>(start + static_cast<double>(i) * step);
                }
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_SHAPE_OPS_HPP
