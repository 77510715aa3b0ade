#ifndef MOIR_KERNELS_REFERENCE_GATHER_SCATTER_HPP
#define MOIR_KERNELS_REFERENCE_GATHER_SCATTER_HPP

// Reference kernels of the index-addressed ops: GatherElements, GatherND, ScatterElementsUpdate,
// ScatterNDUpdate, OneHot. Gathers and plain scatters copy bytes (every element type); scatter
// reductions compute in the element type (half in float) and reject boolean data. Out-of-range
// indices throw moir::error.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/data_movement.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/ops/gather_elements.hpp>
#include <moir/ops/gather_nd.hpp>
#include <moir/ops/one_hot.hpp>
#include <moir/ops/scatter_elements_update.hpp>
#include <moir/ops/scatter_nd_update.hpp>

#include <cstddef>      // byte, size_t
#include <cstdint>      // int64_t
#include <cstring>      // memcpy
#include <string>       // string, to_string
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace moir::kernels {

namespace detail::gather_scatter {
/// An index on an axis of extent `dim`, negative ones counted from the end.
/// ensures: in [0, dim); throws moir::error naming `what` otherwise.
inline std::int64_t resolve_index(std::int64_t k, std::int64_t dim, const char* what) {
    const std::int64_t r = k < 0 ? k + dim : k;
    MOIR_CHECK(r >= 0 && r < dim, error,
               std::string(what) + ": index " + std::to_string(k) + " is out of range for a dim of " + std::to_string(dim));
    return r;
}

/// The element offset in `data` that each element of the indices tensor addresses along `axis`
/// (GatherElements / ScatterElementsUpdate).
inline std::vector<std::size_t> element_targets(const shape& data, const tensor& indices, std::size_t axis,
                                                const char* what) {
    const auto st = signed_strides(data);
    const auto idx = indices.to_vector<std::int64_t>();
    std::vector<std::size_t> off(idx.size());
    for_each_index(indices.dims(), [&](std::size_t o, const std::vector<std::int64_t>& c) {
        std::int64_t at = 0;
        for (std::size_t a = 0; a < c.size(); ++a)
            at += (a == axis ? resolve_index(idx[o], data[axis], what) : c[a]) * st[a];
        off[o] = static_cast<std::size_t>(at);
    });
    return off;
}

/// The element offset in `data` of the slice each index tuple addresses (GatherND after
/// `batch_dims` batch dims, ScatterNDUpdate with none), one per tuple.
inline std::vector<std::size_t> tuple_targets(const shape& data, const tensor& indices, std::size_t batch_dims,
                                              const char* what) {
    const shape& is = indices.dims();
    const auto k = static_cast<std::size_t>(is.back());
    const auto idx = indices.to_vector<std::int64_t>();
    const std::size_t tuples = k ? idx.size() / k : numel(shape(is.begin(), is.end() - 1));
    const std::size_t per_batch = dims_product(is, batch_dims, is.size() - 1);
    const std::size_t batch_stride = dims_product(data, batch_dims, data.size());
    const auto st = signed_strides(data);
    std::vector<std::size_t> off(tuples);
    for (std::size_t t = 0; t < tuples; ++t) {
        std::int64_t at = static_cast<std::int64_t>(per_batch ? (t / per_batch) * batch_stride : 0);
        for (std::size_t j = 0; j < k; ++j)
            at += resolve_index(idx[t * k + j], data[batch_dims + j], what) * st[batch_dims + j];
        off[t] = static_cast<std::size_t>(at);
    }
    return off;
}

/// Combines `u` into `a` by a reduction, in the compute type of T.
template <class T, class R>
T combine(R r, T a, T u) {
    using C = compute_t<T>;
    const C x = static_cast<C>(a), y = static_cast<C>(u);
    C z = y;
    if constexpr (std::is_same_v<R, ops::scatter_nd_reduction>) {
        switch (r) {
            case R::none: z = y; break;
            case R::sum: z = x + y; break;
            case R::sub: z = x - y; break;
            case R::prod: z = x * y; break;
            case R::min: z = y < x ? y : x; break;
            case R::max: z = y > x ? y : x; break;
        }
    } else {
        switch (r) {
            case R::none: z = y; break;
            case R::sum:
            case R::mean: z = x + y; break;
            case R::prod: z = x * y; break;
            case R::min: z = y < x ? y : x; break;
            case R::max: z = y > x ? y : x; break;
        }
    }
    return convert_value<T>(z);
}
}  // namespace detail::gather_scatter

template <>
struct reference_kernel<ops::gather_elements> {
    static constexpr bool available = true;
    static void run(const ops::gather_elements::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const std::size_t axis = normalize_axis(a.axis, in[0].rank());
        const auto off = detail::gather_scatter::element_targets(in[0].dims(), in[1], axis, "GatherElements");
        const std::size_t es = size_of(in[0].type());
        const std::byte* src = detail::bytes_of(in[0]);
        std::byte* dst = detail::bytes_of(out[0]);
        for (std::size_t o = 0; o < off.size(); ++o) std::memcpy(dst + o * es, src + off[o] * es, es);
    }
};

template <>
struct reference_kernel<ops::gather_nd> {
    static constexpr bool available = true;
    static void run(const ops::gather_nd::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& ds = in[0].dims();
        const auto b = static_cast<std::size_t>(a.batch_dims);
        const auto k = static_cast<std::size_t>(in[1].dims().back());
        const auto off = detail::gather_scatter::tuple_targets(ds, in[1], b, "GatherND");
        const std::size_t slice = detail::dims_product(ds, b + k, ds.size()) * size_of(in[0].type());
        const std::byte* src = detail::bytes_of(in[0]);
        std::byte* dst = detail::bytes_of(out[0]);
        const std::size_t es = size_of(in[0].type());
        for (std::size_t t = 0; t < off.size() && slice; ++t) std::memcpy(dst + t * slice, src + off[t] * es, slice);
    }
};

template <>
struct reference_kernel<ops::scatter_elements_update> {
    static constexpr bool available = true;
    static void run(const ops::scatter_elements_update::attrs& a, const std::vector<tensor>& in,
                    std::vector<tensor>& out) {
        using red = ops::scatter_elements_reduction;
        const std::size_t axis = normalize_axis(in[3].at_as<std::int64_t>(0), in[0].rank());
        const auto off = detail::gather_scatter::element_targets(in[0].dims(), in[1], axis, "ScatterElementsUpdate");
        const std::size_t es = size_of(in[0].type());
        if (in[0].bytes()) std::memcpy(out[0].raw(), in[0].raw(), in[0].bytes());
        if (a.reduction == red::none) {
            const std::byte* u = detail::bytes_of(in[2]);
            std::byte* y = detail::bytes_of(out[0]);
            for (std::size_t o = 0; o < off.size(); ++o) std::memcpy(y + off[o] * es, u + o * es, es);
            return;
        }
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type("ScatterElementsUpdate with a reduction", in[0].type());
            } else {
                const T* u = in[2].data<T>();
                T* y = out[0].data<T>();
                // per touched element: how many values its reduction saw (for mean)
                std::vector<std::int64_t> seen(out[0].numel(), a.use_init_val ? 1 : 0);
                for (std::size_t o = 0; o < off.size(); ++o) {
                    const std::size_t t = off[o];
                    y[t] = seen[t] == 0 ? u[o] : detail::gather_scatter::combine(a.reduction, y[t], u[o]);
                    ++seen[t];
                }
                if (a.reduction == red::mean)
                    for (std::size_t t = 0; t < seen.size(); ++t)
                        if (seen[t] > 1) {
                            using C = detail::compute_t<T>;
                            y[t] = convert_value<T>(static_cast<C>(static_cast<C>(y[t]) / static_cast<C>(seen[t])));
                        }
            }
        });
    }
};

template <>
struct reference_kernel<ops::scatter_nd_update> {
    static constexpr bool available = true;
    static void run(const ops::scatter_nd_update::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& ds = in[0].dims();
        const auto k = static_cast<std::size_t>(in[1].dims().back());
        const auto off = detail::gather_scatter::tuple_targets(ds, in[1], 0, "ScatterNDUpdate");
        const std::size_t slice = detail::dims_product(ds, k, ds.size());
        const std::size_t es = size_of(in[0].type());
        if (in[0].bytes()) std::memcpy(out[0].raw(), in[0].raw(), in[0].bytes());
        if (a.reduction == ops::scatter_nd_reduction::none) {
            const std::byte* u = detail::bytes_of(in[2]);
            std::byte* y = detail::bytes_of(out[0]);
            for (std::size_t t = 0; t < off.size() && slice; ++t)
                std::memcpy(y + off[t] * es, u + t * slice * es, slice * es);
            return;
        }
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type("ScatterNDUpdate with a reduction", in[0].type());
            } else {
                const T* u = in[2].data<T>();
                T* y = out[0].data<T>();
                for (std::size_t t = 0; t < off.size(); ++t)
                    for (std::size_t s = 0; s < slice; ++s)
                        y[off[t] + s] = detail::gather_scatter::combine(a.reduction, y[off[t] + s], u[t * slice + s]);
            }
        });
    }
};

template <>
struct reference_kernel<ops::one_hot> {
    static constexpr bool available = true;
    static void run(const ops::one_hot::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& is = in[0].dims();
        const std::size_t axis = normalize_axis(a.axis, is.size() + 1);
        const std::int64_t depth = in[1].at_as<std::int64_t>(0);
        const std::size_t outer = detail::dims_product(is, 0, axis), inner = detail::dims_product(is, axis, is.size());
        const auto idx = in[0].to_vector<std::int64_t>();
        const std::size_t es = size_of(out[0].type());
        const std::byte* on = detail::bytes_of(in[2]);
        const std::byte* off = detail::bytes_of(in[3]);
        std::byte* y = detail::bytes_of(out[0]);
        for (std::size_t o = 0; o < outer; ++o)
            for (std::int64_t d = 0; d < depth; ++d)
                for (std::size_t i = 0; i < inner; ++i) {
                    std::int64_t k = idx[o * inner + i];
                    if (k < 0 && a.negative_indices_mode == ops::one_hot_negative_mode::normalize) k += depth;
                    std::memcpy(y, k == d ? on : off, es);
                    y += es;
                }
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_GATHER_SCATTER_HPP
