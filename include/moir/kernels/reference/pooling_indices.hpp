#ifndef MOIR_KERNELS_REFERENCE_POOLING_INDICES_HPP
#define MOIR_KERNELS_REFERENCE_POOLING_INDICES_HPP

// Reference kernels of the pooling ops that work with indices: MaxPool-8 (dilations, an indices
// output) and MaxUnpool. Any number of spatial axes; every non-bool element type.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::compute_t, unsupported_type
#include <moir/kernels/reference/pooling.hpp>      // reference::lowest_value
#include <moir/ops/max_pool_v8.hpp>
#include <moir/ops/max_unpool.hpp>

#include <algorithm>    // fill, max
#include <cstddef>      // size_t
#include <cstdint>      // int32_t, int64_t
#include <cstring>      // memcpy
#include <string>       // string, to_string
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace moir::kernels {

/// MaxPool-8: each window's first maximum (strict >, row-major window order) and its flat index.
template <>
struct reference_kernel<ops::max_pool_v8> {
    static constexpr bool available = true;
    static void run(const ops::max_pool_v8::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& xs = in[0].dims();
        const shape& ys = out[0].dims();
        const std::size_t k = xs.size() - 2;
        const std::vector<std::int64_t> in_sp(xs.begin() + 2, xs.end());
        const auto g = ops::detail::resolve_window(in_sp, a.kernel, a.strides, a.dilations, a.pads_begin, a.pads_end,
                                                   a.auto_pad, a.rounding_type == ops::rounding_type::ceil);
        std::int64_t in_plane = 1, out_plane = 1;
        for (std::size_t i = 0; i < k; ++i) {
            in_plane *= xs[i + 2];
            out_plane *= ys[i + 2];
        }
        // indices count from `axis`: the flat index modulo the extent of the trailing axes
        std::int64_t tail = 1;
        for (std::size_t i = normalize_axis(a.axis, xs.size()); i < xs.size(); ++i) tail *= xs[i];
        const std::int64_t planes = xs[0] * xs[1];
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type(ops::max_pool_v8::ir_name, in[0].type());
            } else {
                using C = detail::compute_t<T>;
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                std::vector<std::int64_t> o(k, 0), w(k, 0);
                for (std::int64_t p = 0; p < planes; ++p) {
                    for (std::int64_t oi = 0; oi < out_plane; ++oi) {
                        // the output coordinate o of flat oi
                        for (std::size_t i = k, rest = static_cast<std::size_t>(oi); i-- > 0;) {
                            o[i] = static_cast<std::int64_t>(rest % static_cast<std::size_t>(ys[i + 2]));
                            rest /= static_cast<std::size_t>(ys[i + 2]);
                        }
                        C best = reference::lowest_value<C>();
                        std::int64_t best_at = -1;
                        std::fill(w.begin(), w.end(), 0);
                        for (bool more = true; more;) {
                            std::int64_t at = 0;
                            bool inside = true;
                            for (std::size_t i = 0; i < k; ++i) {
                                const std::int64_t c = o[i] * g.strides[i] - g.pads_begin[i] + w[i] * g.dilations[i];
                                inside = inside && c >= 0 && c < in_sp[i];
                                at = at * in_sp[i] + c;
                            }
                            if (inside) {
                                const C v = static_cast<C>(x[p * in_plane + at]);
                                if (best_at < 0 || v > best) {
                                    best = v;
                                    best_at = at;
                                }
                            }
                            more = false;
                            for (std::size_t i = k; i-- > 0;) {
                                if (++w[i] < a.kernel[i]) {
                                    more = true;
                                    break;
                                }
                                w[i] = 0;
                            }
                        }
                        const std::size_t yo = static_cast<std::size_t>(p * out_plane + oi);
                        y[yo] = convert_value<T>(best);
                        const std::int64_t index = best_at < 0 ? 0 : (p * in_plane + best_at) % tail;
                        if (out[1].type() == element_type::i32) out[1].data<std::int32_t>()[yo] = static_cast<std::int32_t>(index);
                        else out[1].data<std::int64_t>()[yo] = index;
                    }
                }
            }
        });
    }
};

/// MaxUnpool: zeros, then each input value stored at the position its index names in the default
/// unpooled shape, re-linearized in the output's shape.
template <>
struct reference_kernel<ops::max_unpool> {
    static constexpr bool available = true;
    static void run(const ops::max_unpool::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const auto idx = in[1].to_vector<std::int64_t>();
        MOIR_CHECK(idx.size() == in[0].numel(), shape_error, "MaxUnpool: the indices must have the shape of the data");
        const shape def = ops::max_unpool::default_shape(a, partial_shape(in[0].dims()));
        const shape& ys = out[0].dims();
        const std::size_t r = def.size();
        MOIR_CHECK(ys.size() == r, shape_error, "MaxUnpool: output_shape must have the data's rank");
        for (std::size_t i = 2; i < r; ++i)
            MOIR_CHECK(ys[i] >= def[i], shape_error, "MaxUnpool: output_shape is smaller than the unpooled shape");
        std::int64_t def_plane = 1, out_plane = 1;
        for (std::size_t i = 2; i < r; ++i) {
            def_plane *= def[i];
            out_plane *= ys[i];
        }
        const auto planes = static_cast<std::int64_t>(out[0].numel()) / std::max<std::int64_t>(out_plane, 1);
        const std::size_t bytes = size_of(in[0].type());
        const auto* x = static_cast<const unsigned char*>(in[0].raw());
        auto* y = static_cast<unsigned char*>(out[0].raw());
        for (std::size_t i = 0; i < idx.size(); ++i) {
            const std::int64_t plane = def_plane ? idx[i] / def_plane : 0;
            MOIR_CHECK(idx[i] >= 0 && plane < planes, shape_error,
                       "MaxUnpool: index " + std::to_string(idx[i]) + " is outside the unpooled shape");
            // the spatial coordinates in the default shape, re-linearized in the output's
            std::int64_t rest = idx[i] - plane * def_plane, at = 0, stride = 1;
            for (std::size_t ax = r; ax-- > 2;) {
                at += (rest % def[ax]) * stride;
                rest /= def[ax];
                stride *= ys[ax];
            }
            const auto o = static_cast<std::size_t>(plane * out_plane + at);
            std::memcpy(y + o * bytes, x + i * bytes, bytes);
        }
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_POOLING_INDICES_HPP
