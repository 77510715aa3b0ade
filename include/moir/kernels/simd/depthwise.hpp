#ifndef MOIR_KERNELS_SIMD_DEPTHWISE_HPP
#define MOIR_KERNELS_SIMD_DEPTHWISE_HPP

// FP32 depthwise 2-D convolution (GroupConvolution with one input and one output channel per group),
// NCHW, one image, vectorised along the output width. Per channel the input is copied once into a
// zero-padded plane in scratch whose rows are split into `sw` phases (column j goes to phase j % sw
// at j / sw), so every kernel tap of every stride and dilation is one contiguous vector load and the
// inner loop has no bounds checks. Column stride 1 on the unrolled bodies skips the copy: the taps
// load from the input rows where they lie, a zero row stands for the padding rows, and only the
// vectors at the row ends load lane-masked (dw_rows_inplace; same values, same FMAs). 3x3 and 5x5 have unrolled bodies with the weights held in
// registers. The epilogue (bias per channel, activation) is
// applied before each output vector is stored. Fast paths: 3x3 and 5x5, stride 1 or 2, no dilation
// (the PaddleOCR shapes, each axis its own stride); everything else takes the general loop.
// depthwise_rows computes a band of output rows only (its plane holds just the input rows the band
// reads), with the same arithmetic per output element as depthwise: a fused depthwise -> pointwise
// step (runtime/steps/convolution.hpp) runs the pointwise GEMM on each band while it is in cache.

#include <moir/kernels/simd/epilogue.hpp>
#include <moir/kernels/simd/packing.hpp>
#include <moir/kernels/simd/vec.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstring>  // memcpy, memset
#include <type_traits>  // integral_constant

namespace moir::kernels::simd {

namespace detail {
/// The padded, phase-split plane of a depthwise convolution.
struct dw_plane {
    std::size_t rows, phase_len, row_stride;  // row_stride = sw * phase_len
};
inline dw_plane dw_plane_of(const conv_geometry& g, std::size_t width) {
    const std::size_t owp = round_up(g.out_w, width);
    const std::size_t len = (owp - 1) * g.sw + (g.kw - 1) * g.dw + 1;
    const std::size_t rows = (g.out_h - 1) * g.sh + (g.kh - 1) * g.dh + 1;
    const std::size_t phase_len = (len - 1) / g.sw + 1;
    return {rows, phase_len, g.sw * phase_len};
}
}  // namespace detail

/// Floats of scratch depthwise needs on an arch of vector width `width` (blocking_of<Arch>().width).
inline std::size_t depthwise_scratch_floats(const conv_geometry& g, std::size_t width) {
    const detail::dw_plane d = detail::dw_plane_of(g, width);
    return d.rows * d.row_stride + width;
}

/// Floats of scratch depthwise_rows needs for bands of at most `band` output rows (band >= 1).
inline std::size_t depthwise_rows_scratch_floats(const conv_geometry& g, std::size_t width, std::size_t band) {
    const detail::dw_plane d = detail::dw_plane_of(g, width);
    const std::size_t b = band < g.out_h ? band : g.out_h;
    const std::size_t rows = (b - 1) * g.sh + (g.kh - 1) * g.dh + 1;
    return (rows < d.rows ? rows : d.rows) * d.row_stride + width;
}

/// Where input row iy of a depthwise channel lies among the rows a caller holds: slot(iy) rows after
/// the channel's first. The default holds every row (slot(iy) = iy). A window of `ring` rows kept as
/// a ring (a fused step that computes the input rows band by band: runtime/steps/convolution.hpp)
/// sets `base` to a multiple of ring at or below the lowest row a call reads: slot(iy) = iy - base,
/// less ring when that is ring or more. requires: every row read has base <= iy < base + 2 * ring.
struct dw_window {
    std::size_t base = 0, ring = static_cast<std::size_t>(-1);
    std::size_t slot(std::size_t iy) const {
        const std::size_t s = iy - base;
        return s < ring ? s : s - ring;
    }
    /// Input row iy of the channel whose first held row is at x, rows of in_w floats.
    const float* row(const float* x, std::size_t iy, std::size_t in_w) const {
        return x + static_cast<std::ptrdiff_t>(slot(iy) * in_w);
    }
};

/// The input of depthwise_rows: channel c's row iy at data + c * channel_stride + rows.slot(iy) * in_w.
struct dw_input {
    const float* data = nullptr;
    std::size_t channel_stride = 0;
    dw_window rows;
    /// A whole CHW tensor of geometry g.
    static dw_input tensor(const float* x, const conv_geometry& g) { return {x, g.in_h * g.in_w, {}}; }
};

namespace detail {

/// The positions [i0, i1) of phase p of a padded plane row (dw_plane) that read the input: padded
/// column idx*sw + p reads input column idx*sw + p - pl, inside the input for the padded columns
/// [max(pl, 0), pl + in_w); both ends within the phase's length.
struct dw_span {
    std::ptrdiff_t i0, i1;
};
inline dw_span dw_phase_span(const conv_geometry& g, const dw_plane& d, std::ptrdiff_t p) {
    const auto sw = static_cast<std::ptrdiff_t>(g.sw), plen = static_cast<std::ptrdiff_t>(d.phase_len);
    const std::ptrdiff_t j0 = g.pl > 0 ? g.pl : 0, j1 = g.pl + static_cast<std::ptrdiff_t>(g.in_w);
    auto first_at_least = [&](std::ptrdiff_t j) {  // smallest idx with idx*sw + p >= j
        const std::ptrdiff_t t = j - p;
        if (t <= 0) return std::ptrdiff_t(0);
        // the common strides without a division: the fills call this once per plane row
        return sw == 1 ? t : sw == 2 ? (t + 1) / 2 : (t + sw - 1) / sw;
    };
    std::ptrdiff_t i0 = first_at_least(j0), i1 = first_at_least(j1);
    if (i0 > plen) i0 = plen;
    if (i1 > plen) i1 = plen;
    if (i1 < i0) i1 = i0;
    return {i0, i1};
}

#if defined(__AVX512F__)
/// The 16 lanes [lo, hi) of a mask, both clamped to [0, 16].
inline __mmask16 dw_lanes(std::ptrdiff_t lo, std::ptrdiff_t hi) {
    lo = lo < 0 ? 0 : lo;
    hi = hi > 16 ? 16 : hi;
    return hi > lo ? static_cast<__mmask16>((1u << hi) - (1u << lo)) : __mmask16(0);
}

/// dw_fill_plane for strides 1 and 2 on 16-float vectors: each plane row (each phase) in whole
/// vectors, the padding as the zero lanes of masked loads (no scalar edges, no bounds per element).
/// Stores run up to 15 floats past a row's (a phase's) end: the next row (phase) overwrites them,
/// and the plane's scratch holds `width` floats past its last row (depthwise_rows_scratch_floats).
inline void dw_fill_plane_avx512(const conv_geometry& g, const dw_plane& d, const float* x, float* plane,
                                 std::size_t r0, std::size_t r1, const dw_window& win) {
    const auto ih = static_cast<std::ptrdiff_t>(g.in_h), iw = static_cast<std::ptrdiff_t>(g.in_w);
    const auto plen = static_cast<std::ptrdiff_t>(d.phase_len), sw = static_cast<std::ptrdiff_t>(g.sw);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    for (std::size_t r = r0; r < r1; ++r) {
        float* pr = plane + (r - r0) * d.row_stride;
        const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(r) - g.pt;
        if (iy < 0 || iy >= ih) {
            for (std::size_t j = 0; j < d.row_stride; j += 16) _mm512_storeu_ps(pr + j, _mm512_setzero_ps());
            continue;
        }
        const float* xr = win.row(x, static_cast<std::size_t>(iy), g.in_w);
        for (std::ptrdiff_t p = 0; p < sw; ++p) {
            float* dst = pr + p * plen;
            // phase position i reads input column i*sw + p - pl, zero outside [0, iw)
            const std::ptrdiff_t c0 = p - g.pl;
            if (sw == 1) {
                for (std::ptrdiff_t i = 0; i < plen; i += 16) {
                    const std::ptrdiff_t c = c0 + i;
                    const __mmask16 m = c >= 0 && c + 16 <= iw ? __mmask16(0xFFFF) : dw_lanes(-c, iw - c);
                    _mm512_storeu_ps(dst + i, _mm512_maskz_loadu_ps(m, xr + c));
                }
            } else {
                for (std::ptrdiff_t i = 0; i < plen; i += 16) {
                    const std::ptrdiff_t c = c0 + 2 * i;  // lane l of lo reads column c + l, of hi c + 16 + l
                    __m512 lo, hi;
                    if (c >= 0 && c + 32 <= iw) {
                        lo = _mm512_loadu_ps(xr + c), hi = _mm512_loadu_ps(xr + c + 16);
                    } else {
                        lo = _mm512_maskz_loadu_ps(dw_lanes(-c, iw - c), xr + c);
                        hi = _mm512_maskz_loadu_ps(dw_lanes(-c - 16, iw - c - 16), xr + c + 16);
                    }
                    _mm512_storeu_ps(dst + i, _mm512_permutex2var_ps(lo, even, hi));
                }
            }
        }
    }
}
#endif

/// Fills the padded plane rows [r0, r1) (plane row r at plane + (r - r0) * row_stride) from the
/// channel's input x, whose row iy lies win.slot(iy) rows on (by default: row iy).
template <class Arch>
void dw_fill_plane(const conv_geometry& g, const dw_plane& d, const float* x, float* plane, std::size_t r0,
                   std::size_t r1, const dw_window& win = {}) {
    // (iw: read by the AVX2 and AVX-512 stride-2 paths only)
    [[maybe_unused]] const auto ih = static_cast<std::ptrdiff_t>(g.in_h), iw = static_cast<std::ptrdiff_t>(g.in_w);
    const std::size_t len = d.phase_len * g.sw;
#if defined(__AVX512F__)
    if constexpr (vec<Arch>::width == 16) {
        if (g.sw <= 2) {
            dw_fill_plane_avx512(g, d, x, plane, r0, r1, win);
            return;
        }
    }
#endif
    for (std::size_t r = r0; r < r1; ++r) {
        float* pr = plane + (r - r0) * d.row_stride;
        const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(r) - g.pt;
        if (iy < 0 || iy >= ih) {
            std::memset(pr, 0, d.row_stride * sizeof(float));
            continue;
        }
        const float* xr = win.row(x, static_cast<std::size_t>(iy), g.in_w);
        if (g.sw == 1) {  // one phase: padded column j reads input column j - pl, for j in [j0, j1)
            using V = vec<Arch>;
            constexpr std::size_t W = V::width;
            const auto [j0, j1] = dw_phase_span(g, d, 0);
            for (std::ptrdiff_t j = 0; j < j0; ++j) pr[j] = 0.0f;
            std::ptrdiff_t j = j0;
            const float* src = xr - g.pl;
            for (; j + static_cast<std::ptrdiff_t>(W) <= j1; j += static_cast<std::ptrdiff_t>(W))
                V::store(pr + j, V::load(src + j));
            for (; j < j1; ++j) pr[j] = src[j];
            for (; j < static_cast<std::ptrdiff_t>(len); ++j) pr[j] = 0.0f;
        } else {
            // phase p holds padded columns j = idx*sw + p
            const auto sw = static_cast<std::ptrdiff_t>(g.sw), plen = static_cast<std::ptrdiff_t>(d.phase_len);
            for (std::ptrdiff_t p = 0; p < sw; ++p) {
                float* dst = pr + p * plen;
                const auto [i0, i1] = dw_phase_span(g, d, p);
                for (std::ptrdiff_t i = 0; i < i0; ++i) dst[i] = 0.0f;
                const float* src = xr + (p - g.pl);
                std::ptrdiff_t i = i0;
#if defined(__AVX512F__)
                if constexpr (vec<Arch>::width == 16) {
                    // stride 2: the even lanes of two vectors; reads stay inside the row (ix + 31 < iw)
                    if (sw == 2) {
                        const __m512i even =
                            _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
                        for (; i + 16 <= i1 && 2 * i + (p - g.pl) + 31 < iw; i += 16) {
                            const __m512 lo = _mm512_loadu_ps(src + 2 * i), hi = _mm512_loadu_ps(src + 2 * i + 16);
                            _mm512_storeu_ps(dst + i, _mm512_permutex2var_ps(lo, even, hi));
                        }
                    }
                }
#endif
#if defined(__AVX2__)
                if constexpr (vec<Arch>::width == 8) {
                    // stride 2: the even lanes of two vectors; reads stay inside the row (ix + 15 < iw)
                    if (sw == 2) {
                        for (; i + 8 <= i1 && 2 * i + (p - g.pl) + 15 < iw; i += 8) {
                            const __m256 lo = _mm256_loadu_ps(src + 2 * i), hi = _mm256_loadu_ps(src + 2 * i + 8);
                            // per 128-bit lane: lo0 lo2 hi0 hi2 | lo4 lo6 hi4 hi6; then the 64-bit quarters in order
                            const __m256 e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
                            _mm256_storeu_ps(dst + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e),
                                                                                             _MM_SHUFFLE(3, 1, 2, 0))));
                        }
                    }
                }
#endif
                for (; i < i1; ++i) dst[i] = src[i * sw];
                for (std::ptrdiff_t i = i1; i < plen; ++i) dst[i] = 0.0f;
            }
        }
    }
}

/// RB output rows from oy of a KxK, undilated depthwise channel of strides SH (rows) and SW
/// (columns): RB independent accumulation chains per output vector; the row pointers and the phase
/// length are the only run-time addresses, so every tap is base + index + constant. The plane holds
/// padded rows from oy0 * SH on; y holds output rows from oy0 on.
template <class Arch, class Act, std::size_t K, std::size_t SH, std::size_t SW, std::size_t RB>
void dw_rows(std::size_t oy, std::size_t oy0, const conv_geometry& g, const dw_plane& d, const float* plane,
             const float* w, float bias, float* y, const epilogue& e) {
    using V = vec<Arch>;
    using R = typename V::reg;
    constexpr std::size_t W = V::width, T = (RB - 1) * SH + K;
    const std::size_t ow = g.out_w, full = ow / W * W, rest = ow - full, plen = d.phase_len;
    const R vb = V::set1(bias);
    R wv[K * K];
#pragma GCC unroll 32
    for (std::size_t t = 0; t < K * K; ++t) wv[t] = V::set1(w[t]);
    const float* q[T];
#pragma GCC unroll 16
    for (std::size_t t = 0; t < T; ++t) q[t] = plane + ((oy - oy0) * SH + t) * d.row_stride;
    float* yr = y + (oy - oy0) * ow;
    for (std::size_t ox = 0; ox < full + (rest ? W : 0); ox += W) {
        R acc[RB];
#pragma GCC unroll 8
        for (std::size_t r = 0; r < RB; ++r) acc[r] = vb;
#pragma GCC unroll 8
        for (std::size_t ky = 0; ky < K; ++ky)
#pragma GCC unroll 8
            for (std::size_t kx = 0; kx < K; ++kx)
#pragma GCC unroll 8
                for (std::size_t r = 0; r < RB; ++r)
                    acc[r] = V::fma(wv[ky * K + kx], V::load(q[r * SH + ky] + ox + kx / SW + (kx % SW) * plen), acc[r]);
#pragma GCC unroll 8
        for (std::size_t r = 0; r < RB; ++r) {
            const R out = activate<Act, V>(acc[r], e);
            if (ox < full)
                V::store(yr + r * ow + ox, out);
            else
                V::store_partial(yr + r * ow + ox, out, rest);
        }
    }
}

/// Output rows [oy0, oy1) of one channel (plane and y as dw_rows takes them; by default every row).
template <class Arch, class Act, std::size_t K, std::size_t SH, std::size_t SW>
void dw_channel_fixed(const conv_geometry& g, const dw_plane& d, const float* plane, const float* w, float bias,
                      float* y, const epilogue& e, std::size_t oy0 = 0, std::size_t oy1 = std::size_t(-1)) {
    if (oy1 > g.out_h) oy1 = g.out_h;  // the default: every row
    std::size_t oy = oy0;
    // 3x3: four rows at once (six plane rows' loads feed 36 FMAs in four chains; 5x5's 25 weights
    // leave no registers for it)
    if constexpr (K == 3)
        for (; oy + 4 <= oy1; oy += 4) dw_rows<Arch, Act, K, SH, SW, 4>(oy, oy0, g, d, plane, w, bias, y, e);
    for (; oy + 2 <= oy1; oy += 2) dw_rows<Arch, Act, K, SH, SW, 2>(oy, oy0, g, d, plane, w, bias, y, e);
    if (oy < oy1) dw_rows<Arch, Act, K, SH, SW, 1>(oy, oy0, g, d, plane, w, bias, y, e);
}

/// Columns [col, col + width) of an input row of in_w floats: row[col + l] where 0 <= col + l < in_w,
/// else 0 (the zero padding); reads only inside the row.
template <class Arch>
typename vec<Arch>::reg dw_load_cols(const float* row, std::ptrdiff_t col, std::ptrdiff_t in_w) {
    using V = vec<Arch>;
    constexpr auto W = static_cast<std::ptrdiff_t>(V::width);
#if defined(__AVX512F__)
    if constexpr (W == 16) return typename V::reg(_mm512_maskz_loadu_ps(dw_lanes(-col, in_w - col), row + col));
#endif
    if constexpr (W == 1) {
        return col >= 0 && col < in_w ? row[col] : 0.0f;
    } else {
        alignas(64) float tmp[W] = {};
        const std::ptrdiff_t lo = col < 0 ? -col : 0, hi = in_w - col < W ? in_w - col : W;
        if (hi > lo) std::memcpy(tmp + lo, row + col + lo, static_cast<std::size_t>(hi - lo) * sizeof(float));
        return V::reg::load_aligned(tmp);
    }
}

/// dw_rows for column stride 1, reading the input rows where they lie instead of a padded plane: row
/// pointers to the channel's input rows (to `zero` for the padding rows above and below), and the
/// vectors that reach into the left or right padding loaded lane-masked (dw_load_cols). The same
/// values in the same FMAs as dw_rows on the plane, so the output is bit for bit the same; what goes
/// is dw_fill_plane's copy (a store and an unaligned reload of every input row the band reads).
/// x is the channel's input, row iy win.slot(iy) rows on; `zero` holds in_w zeros; y holds output
/// rows from oy0 on.
template <class Arch, class Act, std::size_t K, std::size_t SH, std::size_t RB>
void dw_rows_inplace(std::size_t oy, std::size_t oy0, const conv_geometry& g, const float* x, const dw_window& win,
                     const float* zero, const float* w, float bias, float* y, const epilogue& e) {
    using V = vec<Arch>;
    using R = typename V::reg;
    constexpr std::size_t W = V::width, T = (RB - 1) * SH + K;
    const std::size_t ow = g.out_w, full = ow / W * W, rest = ow - full;
    const auto iw = static_cast<std::ptrdiff_t>(g.in_w), ih = static_cast<std::ptrdiff_t>(g.in_h);
    const R vb = V::set1(bias);
    R wv[K * K];
#pragma GCC unroll 32
    for (std::size_t t = 0; t < K * K; ++t) wv[t] = V::set1(w[t]);
    const float* q[T];
#pragma GCC unroll 16
    for (std::size_t t = 0; t < T; ++t) {
        const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(oy * SH + t) - g.pt;
        q[t] = iy >= 0 && iy < ih ? win.row(x, static_cast<std::size_t>(iy), g.in_w) : zero;
    }
    float* yr = y + (oy - oy0) * ow;
    auto body = [&](std::size_t ox, auto edge) {
        const std::ptrdiff_t c0 = static_cast<std::ptrdiff_t>(ox) - g.pl;  // the column tap kx = 0 reads
        R acc[RB];
#pragma GCC unroll 8
        for (std::size_t r = 0; r < RB; ++r) acc[r] = vb;
#pragma GCC unroll 8
        for (std::size_t ky = 0; ky < K; ++ky)
#pragma GCC unroll 8
            for (std::size_t kx = 0; kx < K; ++kx)
#pragma GCC unroll 8
                for (std::size_t r = 0; r < RB; ++r) {
                    const float* row = q[r * SH + ky];
                    const std::ptrdiff_t col = c0 + static_cast<std::ptrdiff_t>(kx);
                    R v;
                    if constexpr (decltype(edge)::value)
                        v = dw_load_cols<Arch>(row, col, iw);
                    else
                        v = V::load(row + col);
                    acc[r] = V::fma(wv[ky * K + kx], v, acc[r]);
                }
#pragma GCC unroll 8
        for (std::size_t r = 0; r < RB; ++r) {
            const R out = activate<Act, V>(acc[r], e);
            if (ox < full)
                V::store(yr + r * ow + ox, out);
            else
                V::store_partial(yr + r * ow + ox, out, rest);
        }
    };
    // a vector whose every tap lies inside the row loads plainly; the first and last few, lane-masked
    const std::ptrdiff_t span = static_cast<std::ptrdiff_t>(K - 1 + W);
    for (std::size_t ox = 0; ox < full + (rest ? W : 0); ox += W) {
        const std::ptrdiff_t c0 = static_cast<std::ptrdiff_t>(ox) - g.pl;
        if (c0 >= 0 && c0 + span <= iw)
            body(ox, std::false_type{});
        else
            body(ox, std::true_type{});
    }
}

/// dw_channel_fixed for column stride 1 on dw_rows_inplace (no plane).
template <class Arch, class Act, std::size_t K, std::size_t SH>
void dw_channel_inplace(const conv_geometry& g, const float* x, const dw_window& win, const float* zero, const float* w,
                        float bias, float* y, const epilogue& e, std::size_t oy0, std::size_t oy1) {
    std::size_t oy = oy0;
    if constexpr (K == 3)
        for (; oy + 4 <= oy1; oy += 4) dw_rows_inplace<Arch, Act, K, SH, 4>(oy, oy0, g, x, win, zero, w, bias, y, e);
    for (; oy + 2 <= oy1; oy += 2) dw_rows_inplace<Arch, Act, K, SH, 2>(oy, oy0, g, x, win, zero, w, bias, y, e);
    if (oy < oy1) dw_rows_inplace<Arch, Act, K, SH, 1>(oy, oy0, g, x, win, zero, w, bias, y, e);
}

/// Whether g has an unrolled body: undilated, kh == kw of 3 or 5, each stride 1 or 2 (the PaddleOCR
/// shapes, among them rec's (2, 1) and (1, 2) strides).
/// dw_fixed_dispatch: when it has, calls f(K, SH, SW) with the three as std::integral_constant and
/// returns true; else false.
inline bool dw_has_fixed_body(const conv_geometry& g) {
    return g.dh == 1 && g.dw == 1 && g.kh == g.kw && (g.kh == 3 || g.kh == 5) && g.sh >= 1 && g.sh <= 2 && g.sw >= 1 &&
           g.sw <= 2;
}

template <class F>
bool dw_fixed_dispatch(const conv_geometry& g, F&& f) {
    if (!dw_has_fixed_body(g)) return false;
    using one = std::integral_constant<std::size_t, 1>;
    using two = std::integral_constant<std::size_t, 2>;
    auto with_sw = [&](auto k, auto sh) { g.sw == 1 ? f(k, sh, one{}) : f(k, sh, two{}); };
    auto with_sh = [&](auto k) { g.sh == 1 ? with_sw(k, one{}) : with_sw(k, two{}); };
    if (g.kh == 3)
        with_sh(std::integral_constant<std::size_t, 3>{});
    else
        with_sh(std::integral_constant<std::size_t, 5>{});
    return true;
}

/// Output rows [oy0, oy1) of one channel, any kernel size, strides and dilations (plane and y as
/// dw_rows takes them; by default every row).
template <class Arch, class Act>
void dw_channel(const conv_geometry& g, const dw_plane& d, const float* plane, const float* w, float bias, float* y,
                const epilogue& e, std::size_t oy0 = 0, std::size_t oy1 = std::size_t(-1)) {
    if (oy1 > g.out_h) oy1 = g.out_h;  // the default: every row
    using V = vec<Arch>;
    using R = typename V::reg;
    constexpr std::size_t W = V::width;
    const std::size_t ow = g.out_w, full = ow / W * W, rest = ow - full;
    // offset of tap kx inside a plane row: its phase, then its position in the phase
    auto tap = [&](std::size_t kx) { return ((kx * g.dw) % g.sw) * d.phase_len + (kx * g.dw) / g.sw; };
    const R vb = V::set1(bias);
    for (std::size_t oy = oy0; oy < oy1; ++oy) {
        float* yr = y + (oy - oy0) * ow;
        for (std::size_t ox = 0; ox < full + (rest ? W : 0); ox += W) {
            R acc = vb;
            for (std::size_t ky = 0; ky < g.kh; ++ky) {
                const float* row = plane + ((oy - oy0) * g.sh + ky * g.dh) * d.row_stride + ox;
                for (std::size_t kx = 0; kx < g.kw; ++kx)
                    acc = V::fma(V::set1(w[ky * g.kw + kx]), V::load(row + tap(kx)), acc);
            }
            acc = activate<Act, V>(acc, e);
            if (ox < full)
                V::store(yr + ox, acc);
            else
                V::store_partial(yr + ox, acc, rest);
        }
    }
}

}  // namespace detail

/// The epilogue of channel c: e with leaky's slope that channel's (e.slope), else e.
inline epilogue channel_epilogue(const epilogue& e, std::size_t c) {
    epilogue ec = e;
    if (e.slope) ec.lo = e.slope[c];
    return ec;
}

/// Output rows [oy0, oy1) of channels [c0, c1) of one image: y[c - c0][oy - oy0][ox] =
/// act(depthwise_conv(x[c], w[c]) + bias[c]) at (oy, ox), each channel's band `(oy1 - oy0) * out_w`
/// floats after the previous one's; the same value as depthwise computes there, bit for bit. The
/// input rows are read where x says they lie (dw_input: the CHW tensor, or a window of its rows).
/// requires: as depthwise, with x holding every input row the band reads; oy0 < oy1 <= out_h;
/// scratch depthwise_rows_scratch_floats(p.geometry, blocking_of<Arch>().width, oy1 - oy0) floats.
template <class Arch, class StaticAct = dynamic_activation>
void depthwise_rows(const packed_depthwise& p, const dw_input& x, float* y, const epilogue& e, float* scratch,
                    std::size_t c0, std::size_t c1, std::size_t oy0, std::size_t oy1) {
    const conv_geometry& g = p.geometry;
    const detail::dw_plane d = detail::dw_plane_of(g, vec<Arch>::width);
    const std::size_t in_plane = x.channel_stride, band = (oy1 - oy0) * g.out_w, taps = g.kh * g.kw;
    // the padded plane rows the band reads
    const std::size_t r0 = oy0 * g.sh, r1 = (oy1 - 1) * g.sh + (g.kh - 1) * g.dh + 1;
    // column stride 1 on an unrolled body: the input rows are read in place (dw_rows_inplace)
    const bool inplace = g.sw == 1 && vec<Arch>::width > 1 && detail::dw_has_fixed_body(g);
    if (inplace) std::memset(scratch, 0, g.in_w * sizeof(float));  // the padding rows
    with_activation_as<StaticAct>(e.act, [&](auto act) {
        using Act = decltype(act);
        for (std::size_t c = c0; c < c1 && inplace; ++c) {
            const float* w = p.data + c * taps;
            const float b = e.bias ? e.bias[c] : 0.0f;
            const epilogue ec = channel_epilogue(e, c);
            float* yc = y + (c - c0) * band;
            detail::dw_fixed_dispatch(g, [&](auto k, auto sh, auto) {
                detail::dw_channel_inplace<Arch, Act, decltype(k)::value, decltype(sh)::value>(
                    g, x.data + c * in_plane, x.rows, scratch, w, b, yc, ec, oy0, oy1);
            });
        }
        for (std::size_t c = c0; c < c1 && !inplace; ++c) {
            detail::dw_fill_plane<Arch>(g, d, x.data + c * in_plane, scratch, r0, r1, x.rows);
            const float* w = p.data + c * taps;
            const float b = e.bias ? e.bias[c] : 0.0f;
            const epilogue ec = channel_epilogue(e, c);
            float* yc = y + (c - c0) * band;
            const bool fixed = detail::dw_fixed_dispatch(g, [&](auto k, auto sh, auto sw) {
                detail::dw_channel_fixed<Arch, Act, decltype(k)::value, decltype(sh)::value, decltype(sw)::value>(
                    g, d, scratch, w, b, yc, ec, oy0, oy1);
            });
            if (!fixed) detail::dw_channel<Arch, Act>(g, d, scratch, w, b, yc, ec, oy0, oy1);
        }
    });
}

/// y[c] = act(depthwise_conv(x[c], w[c]) + bias[c]) for channels c in [c0, c1) of one image.
/// requires: p packed by pack_depthwise; x holds channels*in_h*in_w floats (CHW), y channels*out_h*out_w
/// (not aliasing x); scratch depthwise_scratch_floats(p.geometry, blocking_of<Arch>().width) floats;
/// e.bias and e.slope nullptr or `channels` values; c0 <= c1 <= channels (= p.geometry.groups). Calls on disjoint
/// channel ranges (each with its own scratch) are independent.
template <class Arch, class StaticAct = dynamic_activation>
void depthwise(const packed_depthwise& p, const float* x, float* y, const epilogue& e, float* scratch, std::size_t c0,
               std::size_t c1) {
    const conv_geometry& g = p.geometry;
    if (c0 < c1)
        depthwise_rows<Arch, StaticAct>(p, dw_input::tensor(x, g), y + c0 * g.out_h * g.out_w, e, scratch, c0, c1, 0,
                                        g.out_h);
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_DEPTHWISE_HPP
