#ifndef MOIR_KERNELS_REFERENCE_DATA_MOVEMENT_HPP
#define MOIR_KERNELS_REFERENCE_DATA_MOVEMENT_HPP

// Reference kernels of the ops that move elements without computing on them: Transpose, Concat,
// Split, VariadicSplit, Slice, Gather, Broadcast, Tile, Pad. They copy bytes, so they handle every
// element type.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/broadcast.hpp>
#include <moir/ops/broadcast.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/split.hpp>
#include <moir/ops/tile.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/ops/variadic_split.hpp>

#include <cstddef>  // byte, size_t
#include <cstdint>  // int64_t
#include <cstring>  // memcpy
#include <vector>   // vector

namespace moir::kernels {

namespace detail {
/// Bytes of a tensor, for byte-wise copies.
inline const std::byte* bytes_of(const tensor& t) { return static_cast<const std::byte*>(t.raw()); }
inline std::byte* bytes_of(tensor& t) { return static_cast<std::byte*>(t.raw()); }

/// Calls f(out_index, coords) for every element of a static shape, coords being its index per axis.
template <class F>
void for_each_index(const shape& s, F&& f) {
    const std::size_t n = numel(s);
    std::vector<std::int64_t> idx(s.size(), 0);
    for (std::size_t o = 0; o < n; ++o) {
        f(o, idx);
        for (std::size_t ax = s.size(); ax-- > 0;) {
            if (++idx[ax] < s[ax]) break;
            idx[ax] = 0;
        }
    }
}

/// out[o] = in[base + sum(coord[a] * strides[a])] for every element of `out` (strides in elements,
/// may be negative or 0).
inline void strided_copy(const tensor& in, tensor& out, std::int64_t base, const std::vector<std::int64_t>& strides) {
    const std::size_t es = size_of(out.type());
    const std::byte* src = bytes_of(in);
    std::byte* dst = bytes_of(out);
    for_each_index(out.dims(), [&](std::size_t o, const std::vector<std::int64_t>& idx) {
        std::int64_t off = base;
        for (std::size_t a = 0; a < idx.size(); ++a) off += idx[a] * strides[a];
        std::memcpy(dst + o * es, src + static_cast<std::size_t>(off) * es, es);
    });
}

/// Row-major strides of a shape as signed element counts.
inline std::vector<std::int64_t> signed_strides(const shape& s) {
    const auto st = reference::strides_of(s);
    return std::vector<std::int64_t>(st.begin(), st.end());
}

/// The product of dims [from, to).
inline std::size_t dims_product(const shape& s, std::size_t from, std::size_t to) {
    std::size_t p = 1;
    for (std::size_t i = from; i < to; ++i) p *= static_cast<std::size_t>(s[i]);
    return p;
}

/// Cuts `in` along `axis` into the pre-shaped outputs, in order (Split, VariadicSplit).
inline void split_along(const tensor& in, std::vector<tensor>& out, std::int64_t axis_value) {
    const shape& s = in.dims();
    const std::size_t axis = normalize_axis(axis_value, s.size());
    const std::size_t outer = dims_product(s, 0, axis);
    const std::size_t row = dims_product(s, axis, s.size()) * size_of(in.type());
    const std::size_t es_inner = dims_product(s, axis + 1, s.size()) * size_of(in.type());
    std::size_t offset = 0;
    for (auto& t : out) {
        const std::size_t chunk = static_cast<std::size_t>(t.dims()[axis]) * es_inner;
        for (std::size_t o = 0; o < outer && chunk; ++o)
            std::memcpy(bytes_of(t) + o * chunk, bytes_of(in) + o * row + offset, chunk);
        offset += chunk;
    }
}
}  // namespace detail

template <>
struct reference_kernel<ops::transpose> {
    static constexpr bool available = true;
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const auto perm = ops::transpose::resolve(in[1].to_vector<std::int64_t>(), in[0].rank());
        const auto st = detail::signed_strides(in[0].dims());
        std::vector<std::int64_t> strides(perm.size());
        for (std::size_t i = 0; i < perm.size(); ++i) strides[i] = st[perm[i]];
        detail::strided_copy(in[0], out[0], 0, strides);
    }
};

template <>
struct reference_kernel<ops::concat> {
    static constexpr bool available = true;
    static void run(const ops::concat::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = out[0].dims();
        const std::size_t axis = normalize_axis(a.axis, s.size());
        const std::size_t outer = detail::dims_product(s, 0, axis);
        const std::size_t inner = detail::dims_product(s, axis + 1, s.size()) * size_of(out[0].type());
        std::byte* dst = detail::bytes_of(out[0]);
        for (std::size_t o = 0; o < outer; ++o)
            for (const auto& t : in) {
                const std::size_t chunk = static_cast<std::size_t>(t.dims()[axis]) * inner;
                if (chunk) std::memcpy(dst, detail::bytes_of(t) + o * chunk, chunk);
                dst += chunk;
            }
    }
};

template <>
struct reference_kernel<ops::split> {
    static constexpr bool available = true;
    static void run(const ops::split::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::split_along(in[0], out, in[1].at_as<std::int64_t>(0));
    }
};

template <>
struct reference_kernel<ops::variadic_split> {
    static constexpr bool available = true;
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::split_along(in[0], out, in[1].at_as<std::int64_t>(0));
    }
};

template <>
struct reference_kernel<ops::slice> {
    static constexpr bool available = true;
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const auto start = in[1].to_vector<std::int64_t>();
        std::vector<std::int64_t> axes;
        if (in.size() == 5) {
            axes = in[4].to_vector<std::int64_t>();
        } else {
            for (std::size_t k = 0; k < start.size(); ++k) axes.push_back(static_cast<std::int64_t>(k));
        }
        const auto w =
            ops::slice::walks(s, start, in[2].to_vector<std::int64_t>(), in[3].to_vector<std::int64_t>(), axes);
        const auto st = detail::signed_strides(s);
        std::vector<std::int64_t> strides(s.size());
        std::int64_t base = 0;
        for (std::size_t i = 0; i < s.size(); ++i) {
            base += w[i].start * st[i];
            strides[i] = w[i].step * st[i];
        }
        detail::strided_copy(in[0], out[0], base, strides);
    }
};

template <>
struct reference_kernel<ops::gather> {
    static constexpr bool available = true;
    static void run(const ops::gather::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& ds = in[0].dims();
        const shape& is = in[1].dims();
        const std::size_t axis = normalize_axis(in[2].at_as<std::int64_t>(0), ds.size());
        const std::size_t bd = ops::gather::resolve_batch_dims(a.batch_dims, is.size());
        const std::size_t batch = detail::dims_product(ds, 0, bd);
        const std::size_t outer = detail::dims_product(ds, bd, axis);
        const auto dim = ds[axis];
        const auto udim = static_cast<std::size_t>(dim);
        const std::size_t inner = detail::dims_product(ds, axis + 1, ds.size()) * size_of(in[0].type());
        const std::size_t count = detail::dims_product(is, bd, is.size());  // indices per batch
        const auto indices = in[1].to_vector<std::int64_t>();
        const std::byte* src = detail::bytes_of(in[0]);
        std::byte* dst = detail::bytes_of(out[0]);
        if (!inner) return;
        for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t o = 0; o < outer; ++o)
                for (std::size_t j = 0; j < count; ++j) {
                    std::int64_t k = indices[b * count + j];
                    if (k < 0) k += dim;
                    if (k >= 0 && k < dim) {
                        const std::size_t row = (b * outer + o) * udim + static_cast<std::size_t>(k);
                        std::memcpy(dst, src + row * inner, inner);
                    } else {
                        std::memset(dst, 0, inner);  // out of range: zeros
                    }
                    dst += inner;
                }
    }
};

template <>
struct reference_kernel<ops::broadcast> {
    static constexpr bool available = true;
    static void run(const ops::broadcast::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& os = out[0].dims();
        shape placed;  // the data's dims in the output's rank
        if (a.mode == ops::broadcast_mode::explicit_) {
            placed = ops::broadcast::explicit_shape(in[0].dims(), os.size(), in[2].to_vector<std::int64_t>());
        } else {
            placed.assign(os.size() - in[0].rank(), 1);
            placed.insert(placed.end(), in[0].dims().begin(), in[0].dims().end());
        }
        const auto bs = reference::broadcast_strides(placed, os);
        detail::strided_copy(in[0], out[0], 0, std::vector<std::int64_t>(bs.begin(), bs.end()));
    }
};

template <>
struct reference_kernel<ops::tile> {
    static constexpr bool available = true;
    static void run(const no_attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        shape dims = in[0].dims();
        auto repeats = in[1].to_vector<std::int64_t>();
        ops::tile::align(dims, repeats);
        const auto st = detail::signed_strides(dims);
        const std::size_t es = size_of(in[0].type());
        const std::byte* src = detail::bytes_of(in[0]);
        std::byte* dst = detail::bytes_of(out[0]);
        detail::for_each_index(out[0].dims(), [&](std::size_t o, const std::vector<std::int64_t>& idx) {
            std::int64_t off = 0;
            for (std::size_t i = 0; i < idx.size(); ++i) off += (idx[i] % dims[i]) * st[i];
            std::memcpy(dst + o * es, src + static_cast<std::size_t>(off) * es, es);
        });
    }
};

template <>
struct reference_kernel<ops::pad> {
    static constexpr bool available = true;

    /// The input coordinate that output coordinate `o` reads on an axis of extent `d` padded by
    /// `begin` in front, or -1 for the pad value.
    static std::int64_t source(ops::pad_mode mode, std::int64_t o, std::int64_t begin, std::int64_t d) {
        std::int64_t c = o - begin;
        if (c >= 0 && c < d) return c;
        switch (mode) {
            case ops::pad_mode::constant: return -1;
            case ops::pad_mode::edge: return c < 0 ? 0 : d - 1;
            case ops::pad_mode::reflect:
                if (d == 1) return 0;
                while (c < 0 || c >= d) c = c < 0 ? -c : 2 * (d - 1) - c;
                return c;
            case ops::pad_mode::symmetric:
                while (c < 0 || c >= d) c = c < 0 ? -c - 1 : 2 * d - 1 - c;
                return c;
        }
        return -1;
    }

    static void run(const ops::pad::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const shape& os = out[0].dims();
        const auto begin = in[1].to_vector<std::int64_t>();
        const std::size_t es = size_of(in[0].type());
        tensor value(in[0].type(), shape{});  // zero unless given
        if (in.size() == 4) value = in[3].converted(in[0].type()).reshaped(shape{});
        // per axis and output coordinate: the input coordinate, or -1 for the pad value
        std::vector<std::vector<std::int64_t>> src(s.size());
        for (std::size_t i = 0; i < s.size(); ++i) {
            src[i].resize(static_cast<std::size_t>(os[i]));
            for (std::int64_t o = 0; o < os[i]; ++o)
                src[i][static_cast<std::size_t>(o)] = source(a.pad_mode, o, begin[i], s[i]);
        }
        const auto st = detail::signed_strides(s);
        const std::byte* x = detail::bytes_of(in[0]);
        const std::byte* v = detail::bytes_of(value);
        std::byte* y = detail::bytes_of(out[0]);
        detail::for_each_index(os, [&](std::size_t o, const std::vector<std::int64_t>& idx) {
            std::int64_t off = 0;
            for (std::size_t i = 0; i < idx.size(); ++i) {
                const std::int64_t c = src[i][static_cast<std::size_t>(idx[i])];
                if (c < 0) {
                    std::memcpy(y + o * es, v, es);
                    return;
                }
                off += c * st[i];
            }
            std::memcpy(y + o * es, x + static_cast<std::size_t>(off) * es, es);
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_DATA_MOVEMENT_HPP
