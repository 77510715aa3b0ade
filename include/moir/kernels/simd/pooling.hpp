#ifndef MOIR_KERNELS_SIMD_POOLING_HPP
#define MOIR_KERNELS_SIMD_POOLING_HPP

// FP32 2-D MaxPool and AvgPool over [planes, H, W] (any kernel, stride, padding, exclude_pad), with
// the reference kernel's window rules (kernels/reference/pooling.hpp): the plan's pool step
// (runtime/steps/pooling.hpp) and a header written by `moir codegen` (codegen/support.hpp) both call
// pool_planes, so their outputs are bit-identical.
//
// pool_planes: plain C++ for the compiler's vectorizer, a template on the arch only so that each arch's kernel
// table (kernels/simd/table.hpp) holds a copy compiled with its flags (AVX-512: 16 lanes, where the
// step code's own baseline build had 4): MaxPool's loops keep each output row as the running maximum
// of its window's input rows, read with the stride as a compile-time constant for strides 1 and 2,
// in the reference's order (rows, then columns, std::max(best, v) from -inf), so a MaxPool result
// equals the reference's bit for bit, NaN and signed zeros included. AvgPool sums in double in the
// reference's order.

#include <moir/kernels/simd/vec.hpp>

#include <algorithm>    // max, min
#include <cstdint>      // int64_t
#include <limits>       // numeric_limits
#include <type_traits>  // integral_constant

namespace moir::kernels::simd {

/// The geometry of a pooling window over [planes, ih, iw] -> [planes, oh, ow]: kernel kh x kw,
/// strides sh, sw, pads top, left, bottom, right (pads >= 0 take the vectorized MaxPool rows;
/// others are still correct).
struct pool_geometry {
    std::int64_t planes = 0, ih = 0, iw = 0, oh = 0, ow = 0, kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0, pb = 0,
                 pr = 0;
};

namespace detail {

/// y[i] = std::max(y[i], r[i * Stride]) for i < n (Stride 0: the run-time stride s).
template <class Arch, int Stride>
inline void max_into(float* __restrict y, const float* __restrict r, std::int64_t n, std::int64_t s) {
    const std::int64_t st = Stride ? Stride : s;
    for (std::int64_t i = 0; i < n; ++i) y[i] = std::max(y[i], r[i * st]);
}

/// One output pixel of a MaxPool or AvgPool, as the reference computes it.
template <class Arch>
inline float pool_pixel(const pool_geometry& p, bool is_max, bool exclude_pad, const float* xc, std::int64_t py,
                        std::int64_t px) {
    const std::int64_t y0 = py * p.sh - p.pt, y1 = std::min(y0 + p.kh, p.ih + p.pb);
    const std::int64_t x0 = px * p.sw - p.pl, x1 = std::min(x0 + p.kw, p.iw + p.pr);
    const std::int64_t cy0 = std::max<std::int64_t>(y0, 0), cy1 = std::min(y1, p.ih);
    const std::int64_t cx0 = std::max<std::int64_t>(x0, 0), cx1 = std::min(x1, p.iw);
    if (is_max) {
        float best = -std::numeric_limits<float>::infinity();
        for (std::int64_t yy = cy0; yy < cy1; ++yy)
            for (std::int64_t xx = cx0; xx < cx1; ++xx) best = std::max(best, xc[yy * p.iw + xx]);
        return best;
    }
    double sum = 0.0;
    for (std::int64_t yy = cy0; yy < cy1; ++yy)
        for (std::int64_t xx = cx0; xx < cx1; ++xx) sum += static_cast<double>(xc[yy * p.iw + xx]);
    const std::int64_t inside = std::max<std::int64_t>(0, cy1 - cy0) * std::max<std::int64_t>(0, cx1 - cx0);
    const std::int64_t count =
        exclude_pad ? inside : std::max<std::int64_t>(0, y1 - y0) * std::max<std::int64_t>(0, x1 - x0);
    return count ? static_cast<float>(sum / static_cast<double>(count)) : 0.0f;
}

/// One output row of a MaxPool: the columns whose window lies inside the image as running maxima
/// over the window's (row, column) pairs in the reference's order, the others pixel by pixel.
/// requires: pads >= 0.
template <class Arch>
inline void max_pool_row(const pool_geometry& p, const float* xc, float* yr, std::int64_t py) {
    // columns px in [lo, hi) have x0 = px * sw - pl >= 0 and x0 + kw <= iw
    const std::int64_t lo = std::min(p.ow, (p.pl + p.sw - 1) / p.sw);
    const std::int64_t hi = std::max(lo, std::min(p.ow, p.iw + p.pl >= p.kw ? (p.iw + p.pl - p.kw) / p.sw + 1 : 0));
    for (std::int64_t px = 0; px < lo; ++px) yr[px] = pool_pixel<Arch>(p, true, false, xc, py, px);
    for (std::int64_t px = hi; px < p.ow; ++px) yr[px] = pool_pixel<Arch>(p, true, false, xc, py, px);
    const std::int64_t n = hi - lo;
    if (n <= 0) return;
    float* y = yr + lo;
    const std::int64_t y0 = py * p.sh - p.pt, y1 = std::min(y0 + p.kh, p.ih + p.pb);
    const std::int64_t cy0 = std::max<std::int64_t>(y0, 0), cy1 = std::min(y1, p.ih);
    if (p.kw == 2 && p.sw == 2) {
        // a window two columns wide at stride 2 (the common 2x2 MaxPool): both columns of `width`
        // outputs from two vectors of each input row, in the same order (row, then column)
        using V = vec<Arch>;
        constexpr auto W = static_cast<std::int64_t>(V::width);
        auto load_n = [](const float* q, std::int64_t c) {  // q[0, c), zeros after
            return c >= W ? V::load(q) : c <= 0 ? V::zero() : V::load_partial(q, static_cast<std::size_t>(c));
        };
        for (std::int64_t i = 0; i < n; i += W) {
            const std::int64_t m = std::min(W, n - i);
            typename V::reg best = V::set1(-std::numeric_limits<float>::infinity()), even, odd;
            for (std::int64_t yy = cy0; yy < cy1; ++yy) {
                const float* r = xc + yy * p.iw + (lo * 2 - p.pl) + 2 * i;
                V::deinterleave(load_n(r, 2 * m), load_n(r + W, 2 * m - W), even, odd);
                best = V::max(odd, V::max(even, best));
            }
            if (m == W)
                V::store(y + i, best);
            else
                V::store_partial(y + i, best, static_cast<std::size_t>(m));
        }
        return;
    }
    for (std::int64_t i = 0; i < n; ++i) y[i] = -std::numeric_limits<float>::infinity();
    for (std::int64_t yy = cy0; yy < cy1; ++yy) {
        const float* r = xc + yy * p.iw + (lo * p.sw - p.pl);
        for (std::int64_t kx = 0; kx < p.kw; ++kx) {
            if (p.sw == 1)
                max_into<Arch, 1>(y, r + kx, n, 1);
            else if (p.sw == 2)
                max_into<Arch, 2>(y, r + kx, n, 2);
            else
                max_into<Arch, 0>(y, r + kx, n, p.sw);
        }
    }
}

}  // namespace detail

/// MaxPool (is_max) or AvgPool of planes [c0, c1) of x [planes, ih, iw] into y [planes, oh, ow], equal
/// to the reference kernel's result bit for bit (on every Arch).
template <class Arch>
void pool_planes(const pool_geometry& p, bool is_max, bool exclude_pad, const float* x, float* y,
                        std::int64_t c0, std::int64_t c1) {
    const bool rows = is_max && p.pt >= 0 && p.pl >= 0 && p.pb >= 0 && p.pr >= 0 && p.sw >= 1;
    for (std::int64_t c = c0; c < c1; ++c) {
        const float* xc = x + c * p.ih * p.iw;
        float* yc = y + c * p.oh * p.ow;
        for (std::int64_t py = 0; py < p.oh; ++py) {
            if (rows) {
                detail::max_pool_row<Arch>(p, xc, yc + py * p.ow, py);
                continue;
            }
            for (std::int64_t px = 0; px < p.ow; ++px)
                yc[py * p.ow + px] = detail::pool_pixel<Arch>(p, is_max, exclude_pad, xc, py, px);
        }
    }
}

/// MaxPool of one NHWC image: output rows [r0, r1) of y [oh, ow, channels] from x [ih, iw, channels]
/// (p.planes unused), each value the reference's (the window's rows inside the image, then its
/// columns, std::max(best, v) from -inf, which is V::max(v, best): x86's max returns its second
/// operand on ties and NaN), so equal bit for bit to pool_planes on the NCHW form. Vectors run along
/// the channels, four at a time: for a TF model's channels-last MaxPool this saves the Transposes to
/// NCHW and back around an NCHW pool.
/// requires: r0 <= r1 <= p.oh; y does not alias x.
template <class Arch>
void max_pool_nhwc(const pool_geometry& p, std::int64_t channels, const float* x, float* y, std::int64_t r0,
                   std::int64_t r1) {
    using V = vec<Arch>;
    using R = typename V::reg;
    constexpr auto W = static_cast<std::int64_t>(V::width);
    const std::int64_t C = channels;
    const R ninf = V::set1(-std::numeric_limits<float>::infinity());
    for (std::int64_t py = r0; py < r1; ++py) {
        const std::int64_t y0 = py * p.sh - p.pt, y1 = std::min(y0 + p.kh, p.ih + p.pb);
        const std::int64_t cy0 = std::max<std::int64_t>(y0, 0), cy1 = std::min(y1, p.ih);
        for (std::int64_t px = 0; px < p.ow; ++px) {
            const std::int64_t x0 = px * p.sw - p.pl, x1 = std::min(x0 + p.kw, p.iw + p.pr);
            const std::int64_t cx0 = std::max<std::int64_t>(x0, 0), cx1 = std::min(x1, p.iw);
            float* yp = y + (py * p.ow + px) * C;
            // NV vectors of channels from c (n: lanes of the last one, W for whole vectors)
            auto block = [&](std::int64_t c, auto nv, std::int64_t n) {
                constexpr std::int64_t NV = decltype(nv)::value;
                R best[NV];
                for (std::int64_t v = 0; v < NV; ++v) best[v] = ninf;
                for (std::int64_t yy = cy0; yy < cy1; ++yy)
                    for (std::int64_t xx = cx0; xx < cx1; ++xx) {
                        const float* xp = x + (yy * p.iw + xx) * C + c;
                        for (std::int64_t v = 0; v < NV; ++v)
                            best[v] = V::max(n == W ? V::load(xp + v * W) : V::load_partial(xp, static_cast<std::size_t>(n)),
                                             best[v]);
                    }
                for (std::int64_t v = 0; v < NV; ++v) {
                    if (n == W)
                        V::store(yp + c + v * W, best[v]);
                    else
                        V::store_partial(yp + c, best[v], static_cast<std::size_t>(n));
                }
            };
            std::int64_t c = 0;
            for (; c + 4 * W <= C; c += 4 * W) block(c, std::integral_constant<std::int64_t, 4>{}, W);
            for (; c + W <= C; c += W) block(c, std::integral_constant<std::int64_t, 1>{}, W);
            if (c < C) block(c, std::integral_constant<std::int64_t, 1>{}, C - c);
        }
    }
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_POOLING_HPP
