#ifndef MOIR_KERNELS_REFERENCE_EINSUM_HPP
#define MOIR_KERNELS_REFERENCE_EINSUM_HPP

// Reference kernel of Einsum: a direct walk over every combination of label values (output labels,
// then summed ones), multiplying the inputs' elements. Floats accumulate in double, signed
// integers in int64, unsigned ones in uint64.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/data_movement.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/ops/einsum.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint64_t
#include <cstring>      // memset
#include <type_traits>  // conditional_t, is_integral_v, is_same_v, is_signed_v
#include <vector>       // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::einsum> {
    static constexpr bool available = true;
    static void run(const ops::einsum::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        std::vector<partial_shape> shapes;
        for (const auto& t : in) shapes.push_back(t.dims());
        const auto p = ops::einsum::make_plan(a.equation, shapes);
        const std::size_t labels = p.extent.size();
        // walk order: output labels, then the summed ones
        std::vector<std::size_t> order = p.output;
        std::vector<bool> in_output(labels, false);
        for (auto l : p.output) in_output[l] = true;
        std::size_t summed = 1;
        for (std::size_t l = 0; l < labels; ++l)
            if (!in_output[l]) {
                order.push_back(l);
                summed *= static_cast<std::size_t>(p.extent[l]);
            }
        // per input and walked label: the element stride (0 where a size-1 axis broadcasts)
        std::vector<std::vector<std::int64_t>> stride(in.size(), std::vector<std::int64_t>(order.size(), 0));
        for (std::size_t i = 0; i < in.size(); ++i) {
            const auto st = detail::signed_strides(in[i].dims());
            for (std::size_t ax = 0; ax < p.inputs[i].size(); ++ax)
                for (std::size_t w = 0; w < order.size(); ++w)
                    if (order[w] == p.inputs[i][ax] && in[i].dims()[ax] != 1) stride[i][w] += st[ax];
        }
        if (summed == 0) {  // an empty sum: zeros
            if (out[0].bytes()) std::memset(out[0].raw(), 0, out[0].bytes());
            return;
        }
        shape walk;
        for (auto l : order) walk.push_back(p.extent[l]);
        visit_element_type(out[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type("Einsum", out[0].type());
            } else {
                using A = std::conditional_t<std::is_integral_v<T>,
                                             std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>, double>;
                std::vector<const T*> x;
                for (const auto& t : in) x.push_back(t.data<T>());
                T* y = out[0].data<T>();
                A acc = 0;
                detail::for_each_index(walk, [&](std::size_t o, const std::vector<std::int64_t>& c) {
                    A prod = 1;
                    for (std::size_t i = 0; i < in.size(); ++i) {
                        std::int64_t at = 0;
                        for (std::size_t w = 0; w < c.size(); ++w) at += c[w] * stride[i][w];
                        prod *= static_cast<A>(convert_value<detail::compute_t<T>>(x[i][at]));
                    }
                    acc += prod;
                    if ((o + 1) % summed == 0) {  // the last summed combination of this output element
                        y[o / summed] = convert_value<T>(acc);
                        acc = 0;
                    }
                });
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_EINSUM_HPP
