#ifndef MOIR_KERNELS_REFERENCE_POOLING_HPP
#define MOIR_KERNELS_REFERENCE_POOLING_HPP

// Reference kernels of MaxPool and AvgPool over 1 to 3 spatial axes (fewer axes are padded in front
// with extent 1, kernel 1). MaxPool compares in the element type (half in float) and takes every
// non-bool type; AvgPool takes floating types and sums in double.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/convolution.hpp>  // reference::to3, tail
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, compute_t, unsupported_type
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/max_pool.hpp>

#include <algorithm>  // min
#include <array>      // array
#include <cstdint>    // int64_t
#include <limits>     // numeric_limits
#include <vector>     // vector

namespace moir::kernels {

namespace reference {
/// The sizes of a pooling seen as [N*C, 3 spatial axes].
struct pool_dims {
    std::int64_t planes;
    std::array<std::int64_t, 3> in, kernel, out, strides, pads_begin, pads_end;
};

/// requires: `out` allocated by the op's infer for input `x`.
template <class Attrs>
pool_dims pool_geometry(const Attrs& a, const tensor& x, const tensor& out) {
    const shape& xs = x.dims();
    const auto g = ops::detail::resolve_window(tail(xs, 2), a.kernel, a.strides, {}, a.pads_begin, a.pads_end,
                                               a.auto_pad, a.rounding_type == ops::rounding_type::ceil);
    return pool_dims{xs[0] * xs[1],         to3(tail(xs, 2), 1),   to3(a.kernel, 1),      to3(tail(out.dims(), 2), 1),
                     to3(g.strides, 1),     to3(g.pads_begin, 0),  to3(g.pads_end, 0)};
}

/// The value a max starts from: -inf where the type has it, else its lowest value.
template <class C>
constexpr C lowest_value() {
    if constexpr (std::numeric_limits<C>::has_infinity) return -std::numeric_limits<C>::infinity();
    else return std::numeric_limits<C>::lowest();
}

/// Calls f(input offset within the plane, inside) for each cell of the window of output (pz, py, px);
/// `inside` is false for cells in the padding. Cells past pads_end (ceil mode) are not visited.
template <class F>
void for_each_window_cell(const pool_dims& d, std::int64_t pz, std::int64_t py, std::int64_t px, F&& f) {
    const std::array<std::int64_t, 3> p{pz, py, px};
    std::array<std::int64_t, 3> lo{}, hi{};
    for (int a = 0; a < 3; ++a) {
        lo[a] = p[a] * d.strides[a] - d.pads_begin[a];
        hi[a] = std::min(lo[a] + d.kernel[a], d.in[a] + d.pads_end[a]);
    }
    for (std::int64_t z = lo[0]; z < hi[0]; ++z)
        for (std::int64_t y = lo[1]; y < hi[1]; ++y)
            for (std::int64_t x = lo[2]; x < hi[2]; ++x) {
                const bool inside = z >= 0 && z < d.in[0] && y >= 0 && y < d.in[1] && x >= 0 && x < d.in[2];
                f(inside ? (z * d.in[1] + y) * d.in[2] + x : -1, inside);
            }
}

/// Calls f(plane, output offset, pz, py, px) for every output cell.
template <class F>
void for_each_output(const pool_dims& d, F&& f) {
    const std::int64_t out_plane = d.out[0] * d.out[1] * d.out[2];
    for (std::int64_t c = 0; c < d.planes; ++c)
        for (std::int64_t pz = 0; pz < d.out[0]; ++pz)
            for (std::int64_t py = 0; py < d.out[1]; ++py)
                for (std::int64_t px = 0; px < d.out[2]; ++px)
                    f(c, c * out_plane + (pz * d.out[1] + py) * d.out[2] + px, pz, py, px);
}
}  // namespace reference

/// MaxPool: the largest input cell of each window; a window with no input cell gives the lowest value.
template <>
struct reference_kernel<ops::max_pool> {
    static constexpr bool available = true;
    static void run(const ops::max_pool::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const auto d = reference::pool_geometry(a, in[0], out[0]);
        const std::int64_t in_plane = d.in[0] * d.in[1] * d.in[2];
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<ops::max_pool, T>) {
                detail::unsupported_type(ops::max_pool::ir_name, in[0].type());
            } else {
                using C = detail::compute_t<T>;
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                reference::for_each_output(d, [&](std::int64_t c, std::int64_t o, std::int64_t pz, std::int64_t py,
                                                  std::int64_t px) {
                    C best = reference::lowest_value<C>();
                    reference::for_each_window_cell(d, pz, py, px, [&](std::int64_t i, bool inside) {
                        if (!inside) return;
                        const C v = static_cast<C>(x[c * in_plane + i]);
                        if (v > best) best = v;
                    });
                    y[o] = convert_value<T>(best);
                });
            }
        });
    }
};

/// AvgPool: the window sum over the count of input cells (exclude_pad) or of padded-input cells.
template <>
struct reference_kernel<ops::avg_pool> {
    static constexpr bool available = true;
    static void run(const ops::avg_pool::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const auto d = reference::pool_geometry(a, in[0], out[0]);
        const std::int64_t in_plane = d.in[0] * d.in[1] * d.in[2];
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<ops::avg_pool, T>) {
                detail::unsupported_type(ops::avg_pool::ir_name, in[0].type());
            } else {
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                reference::for_each_output(d, [&](std::int64_t c, std::int64_t o, std::int64_t pz, std::int64_t py,
                                                  std::int64_t px) {
                    double sum = 0.0;
                    std::int64_t count = 0;
                    reference::for_each_window_cell(d, pz, py, px, [&](std::int64_t i, bool inside) {
                        if (inside) sum += convert_value<double>(x[c * in_plane + i]);
                        if (inside || !a.exclude_pad) ++count;
                    });
                    y[o] = convert_value<T>(count ? sum / static_cast<double>(count) : 0.0);
                });
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_POOLING_HPP
