#ifndef MOIR_KERNELS_SIMD_INT8_DEPTHWISE_HPP
#define MOIR_KERNELS_SIMD_INT8_DEPTHWISE_HPP

// INT8 depthwise 2-D convolution, NCHW, one image: u8 input, s8 weights, f32 output. A depthwise
// convolution does 9-25 multiply-adds per output and no reduction over channels, so it is bound by
// memory traffic, not arithmetic: what INT8 buys here is reading the activations as bytes. Each
// channel's u8 plane is copied once into the padded, phase-split float plane of the FP32 depthwise
// kernel (kernels/simd/depthwise.hpp) as q - zp (padding: 0, exactly the quantized 0.0), and that
// kernel's unrolled 3x3 / 5x5, stride 1 / 2 bodies (and its general loop) run on it with the weights
// wq[c] * scale[c]. With scale 1 every product and partial sum is an integer below 2^24
// (25 * 255 * 127), so the result equals the s32 reference exactly; with real scales it differs
// from float(acc) * scale by float rounding only. The epilogue: bias (the step's shift) then act.
// 5x5 layers on AVX2 and on AVX-512 VNNI run integer kernels instead (int8_depthwise, below).

#include <moir/kernels/simd/depthwise.hpp>
#include <moir/kernels/simd/int8_gemm.hpp>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <cstddef>      // ptrdiff_t, size_t
#include <cstdint>      // int32_t, uint8_t
#include <cstring>      // memcpy, memset
#include <type_traits>  // is_same_v

namespace moir::kernels::simd {

namespace detail {
/// The float plane of one u8 channel, values q - zp (layout of dw_fill_plane). A template on the
/// arch so that each arch's TU has its own copy.
template <class Arch>
void int8_dw_fill_plane(const conv_geometry& g, const dw_plane& d, const std::uint8_t* x, std::int32_t zp,
                               float* plane) {
    const auto ih = static_cast<std::ptrdiff_t>(g.in_h), iw = static_cast<std::ptrdiff_t>(g.in_w);
    const auto sw = static_cast<std::ptrdiff_t>(g.sw), plen = static_cast<std::ptrdiff_t>(d.phase_len);
    for (std::size_t r = 0; r < d.rows; ++r) {
        float* pr = plane + r * d.row_stride;
        const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(r) - g.pt;
        if (iy < 0 || iy >= ih) {
            for (std::size_t i = 0; i < d.row_stride; ++i) pr[i] = 0.0f;
            continue;
        }
        const std::uint8_t* xr = x + iy * iw;
        for (std::ptrdiff_t p = 0; p < sw; ++p) {
            float* dst = pr + p * plen;
            const auto [i0, i1] = dw_phase_span(g, d, p);
            for (std::ptrdiff_t i = 0; i < i0; ++i) dst[i] = 0.0f;
            const std::uint8_t* src = xr + (p - g.pl);
            const auto fzp = static_cast<float>(zp);
            std::ptrdiff_t i = i0;
            // 8 (16) codes at a time: widen u8 -> s32 -> f32; stride 2 takes the even bytes of 16
            // (reads stay inside the row: 2i + (p - pl) + 15 < iw)
#if defined(__AVX512F__)
            if constexpr (std::is_same_v<Arch, arch::avx512vnni>) {
                const __m512 vz = _mm512_set1_ps(fzp);
                if (sw == 1)
                    for (; i + 16 <= i1; i += 16)
                        _mm512_storeu_ps(dst + i, _mm512_sub_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(
                                                                    _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)))),
                                                                vz));
            }
#endif
#if defined(__AVX2__)
            if constexpr (std::is_same_v<Arch, arch::avx2> || std::is_same_v<Arch, arch::avx512vnni>) {
                const __m256 vz = _mm256_set1_ps(fzp);
                if (sw == 1) {
                    for (; i + 8 <= i1; i += 8)
                        _mm256_storeu_ps(dst + i, _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
                                                                    _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + i)))),
                                                                vz));
                } else if (sw == 2) {
                    const __m128i even = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
                    for (; i + 8 <= i1 && 2 * i + (p - g.pl) + 15 < iw; i += 8) {
                        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i));
                        _mm256_storeu_ps(dst + i, _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
                                                                    _mm_shuffle_epi8(v, even))),
                                                                vz));
                    }
                }
            }
#endif
            if (sw == 1) {
                for (; i < i1; ++i) dst[i] = static_cast<float>(src[i]) - fzp;
            } else {
                for (; i < i1; ++i) dst[i] = static_cast<float>(src[i * sw]) - fzp;
            }
            for (std::ptrdiff_t i = i1; i < plen; ++i) dst[i] = 0.0f;
        }
    }
}
}  // namespace detail

#if defined(__AVX2__)
namespace detail {
/// Padded row r of one u8 channel, phase-split as the float plane's rows are (dw_plane), as u8
/// codes with zp outside the input (the code of 0.0): d.row_stride bytes.
template <class Arch>  // one copy per arch's TU
void int8_dw_row8(const conv_geometry& g, const dw_plane& d, const std::uint8_t* x, std::uint8_t zp,
                         std::size_t r, std::uint8_t* dst_row) {
    const auto ih = static_cast<std::ptrdiff_t>(g.in_h), iw = static_cast<std::ptrdiff_t>(g.in_w);
    const auto sw = static_cast<std::ptrdiff_t>(g.sw), plen = static_cast<std::ptrdiff_t>(d.phase_len);
    const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(r) - g.pt;
    if (iy < 0 || iy >= ih) {
        std::memset(dst_row, zp, d.row_stride);
        return;
    }
    const std::uint8_t* xr = x + iy * iw;
    for (std::ptrdiff_t p = 0; p < sw; ++p) {
        std::uint8_t* dst = dst_row + p * plen;
        const auto [i0, i1] = dw_phase_span(g, d, p);
        std::memset(dst, zp, static_cast<std::size_t>(i0));
        const std::uint8_t* src = xr + (p - g.pl);
        std::ptrdiff_t i = i0;
        if (sw == 1) {
            std::memcpy(dst + i0, src + i0, static_cast<std::size_t>(i1 - i0));
            i = i1;
        } else if (sw == 2) {  // the even bytes of 16; reads stay inside the row: 2i + (p - pl) + 15 < iw
            const __m128i even = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, -1, -1, -1, -1, -1, -1, -1, -1);
            for (; i + 8 <= i1 && 2 * i + (p - g.pl) + 15 < iw; i += 8)
                _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + i),
                                 _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i)), even));
        }
        for (; i < i1; ++i) dst[i] = src[i * sw];
        std::memset(dst + i1, zp, static_cast<std::size_t>(plen - i1));
    }
}

/// v[i] = the int16 pair (a[i] - zp, b[i] - zp) as one int32, the first in the low half, for i
/// below n rounded up to 16 (a and b readable, v writable that far).
inline void int8_dw_pair_rows(const std::uint8_t* a, const std::uint8_t* b, std::int16_t zp, std::int32_t* v,
                              std::size_t n) {
    const __m256i vz = _mm256_set1_epi16(zp);
    for (std::size_t i = 0; i < n; i += 16) {
        const __m256i x = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i))), vz);
        const __m256i y = _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i))), vz);
        const __m256i lo = _mm256_unpacklo_epi16(x, y), hi = _mm256_unpackhi_epi16(x, y);  // per 128-bit lane
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(v + i), _mm256_permute2x128_si256(lo, hi, 0x20));
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(v + i + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
    }
}

/// Row r of the row-pair plane of one u8 channel for column stride 1, straight from the input: at
/// padded position i, the int16 pair (P[r][i] - zp, P[r + 1][i] - zp) as one int32, P the padded
/// image, whose padding (the zero point) gives 0. d.row_stride values; reads only inside x.
inline void int8_dw_pair_row_s1(const conv_geometry& g, const dw_plane& d, const std::uint8_t* x, std::int16_t zp,
                                std::size_t r, std::int32_t* dst) {
    const auto ih = static_cast<std::ptrdiff_t>(g.in_h), iw = static_cast<std::ptrdiff_t>(g.in_w);
    const std::ptrdiff_t ya = static_cast<std::ptrdiff_t>(r) - g.pt, yb = ya + 1;
    const std::uint8_t* a = ya >= 0 && ya < ih ? x + ya * iw - g.pl : nullptr;  // indexed by padded position
    const std::uint8_t* b = yb >= 0 && yb < ih ? x + yb * iw - g.pl : nullptr;
    const auto [i0, i1] = dw_phase_span(g, d, 0);
    const auto n = static_cast<std::ptrdiff_t>(d.row_stride);
    std::ptrdiff_t i = 0;
    for (; i < i0; ++i) dst[i] = 0;
    if (a || b) {
        const __m256i vz = _mm256_set1_epi16(zp);
        for (; i + 16 <= i1; i += 16) {
            const __m256i va = a ? _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i))), vz)
                                 : _mm256_setzero_si256();
            const __m256i vb = b ? _mm256_sub_epi16(_mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i))), vz)
                                 : _mm256_setzero_si256();
            const __m256i lo = _mm256_unpacklo_epi16(va, vb), hi = _mm256_unpackhi_epi16(va, vb);  // per 128-bit lane
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_permute2x128_si256(lo, hi, 0x20));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
        }
        for (; i < i1; ++i) {
            const auto lo = static_cast<std::uint16_t>(a ? static_cast<std::int16_t>(a[i] - zp) : 0);
            const auto hi = static_cast<std::uint16_t>(b ? static_cast<std::int16_t>(b[i] - zp) : 0);
            dst[i] = static_cast<std::int32_t>(static_cast<std::uint32_t>(lo) | (static_cast<std::uint32_t>(hi) << 16));
        }
    }
    for (; i < n; ++i) dst[i] = 0;
}

/// RB output rows from oy of a KxK depthwise channel of strides SH, SW on the row-pair plane (int8_depthwise):
/// each vpmaddwd takes 8 outputs by two kernel rows at one column, the weights held as row pairs
/// (wb: P * K vectors, each one pair broadcast). Per tap, one weight load serves the RB rows; the
/// weights stay in memory and each accumulator is pinned after its add (MOIR_PIN_VECTOR): GCC 12
/// otherwise kept the 15 weight vectors in registers, computed the 60 products first and spilled
/// them (a channel loop of 0.30 ms instead of 0.22 on 240 channels of 12x80, plane included).
template <class Act, std::size_t K, std::size_t SH, std::size_t SW, std::size_t RB>
void int8_dw_rows(std::size_t oy, const conv_geometry& g, const dw_plane& d, const std::int32_t* plane,
                  const __m256i* wb, float scale, float bias, float* y, const epilogue& e) {
    using V = vec<arch::avx2>;
    constexpr std::size_t P = (K + 1) / 2, W = 8;
    const std::size_t ow = g.out_w, full = ow / W * W, rest = ow - full, plen = d.phase_len;
    const std::int32_t* q[RB * P];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < RB; ++r)
#pragma GCC unroll 4
        for (std::size_t p = 0; p < P; ++p) q[r * P + p] = plane + ((oy + r) * SH + 2 * p) * d.row_stride;
    const __m256 vs = _mm256_set1_ps(scale), vb = _mm256_set1_ps(bias);
    float* yr = y + oy * ow;
    for (std::size_t ox = 0; ox < full + (rest ? W : 0); ox += W) {
        const __m256i* wt = wb;
        MOIR_OPAQUE(wt);  // the weights are read in the loop, not hoisted into registers
        __m256i acc[RB];
#pragma GCC unroll 8
        for (std::size_t r = 0; r < RB; ++r) acc[r] = _mm256_setzero_si256();
#pragma GCC unroll 4
        for (std::size_t p = 0; p < P; ++p)
#pragma GCC unroll 8
            for (std::size_t kx = 0; kx < K; ++kx) {
                const __m256i w = _mm256_load_si256(wt + p * K + kx);
#pragma GCC unroll 8
                for (std::size_t r = 0; r < RB; ++r) {
                    acc[r] = _mm256_add_epi32(
                        acc[r], _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(
                                                      q[r * P + p] + ox + kx / SW + (kx % SW) * plen)),
                                                  w));
                    MOIR_PIN_VECTOR(acc[r]);
                }
            }
#pragma GCC unroll 8
        for (std::size_t r = 0; r < RB; ++r) {
            const typename V::reg out =
                activate<Act, V>(typename V::reg(_mm256_fmadd_ps(_mm256_cvtepi32_ps(acc[r]), vs, vb)), e);
            if (ox < full)
                V::store(yr + r * ow + ox, out);
            else
                V::store_partial(yr + r * ow + ox, out, rest);
        }
    }
}

template <class Act, std::size_t K, std::size_t SH, std::size_t SW>
MOIR_NOINLINE void int8_dw_channel(const conv_geometry& g, const dw_plane& d, const std::int32_t* plane,
                                   const std::int32_t* wp, float scale, float bias, float* y, const epilogue& e) {
    constexpr std::size_t RB = 4, P = (K + 1) / 2;
    __m256i wb[P * K];
    for (std::size_t t = 0; t < P * K; ++t) wb[t] = _mm256_set1_epi32(wp[t]);
    std::size_t oy = 0;
    for (; oy + RB <= g.out_h; oy += RB) int8_dw_rows<Act, K, SH, SW, RB>(oy, g, d, plane, wb, scale, bias, y, e);
    for (; oy < g.out_h; ++oy) int8_dw_rows<Act, K, SH, SW, 1>(oy, g, d, plane, wb, scale, bias, y, e);
}
}  // namespace detail
#endif

#if defined(__AVX512F__) && defined(__AVX512VNNI__)
namespace detail {
/// RB output rows from oy of a KxK depthwise channel of strides SH, SW on the quad plane
/// (int8_depthwise): quad row r holds, at each padded position i, the u8 codes of padded rows r ..
/// r + 3 at i as the 4 bytes of one lane, so one vpdpbusd multiplies 16 outputs by four kernel rows
/// at one column (wb: ceil(K / 4) * K vectors, each one quad of s8 weights broadcast). The sums
/// include the padding's zero point times the weights, removed with comp = zp * sum(w).
template <class Act, std::size_t K, std::size_t SH, std::size_t SW, std::size_t RB>
void int8_dw_rows_vnni(std::size_t oy, const conv_geometry& g, const dw_plane& d, const std::uint8_t* quads,
                       const __m512i* wb, std::int32_t comp, float scale, float bias, float* y, const epilogue& e) {
    using V = vec<arch::avx512>;
    constexpr std::size_t P = (K + 3) / 4, W = 16;
    const std::size_t ow = g.out_w, full = ow / W * W, rest = ow - full, plen = d.phase_len, rs = 4 * d.row_stride;
    const std::uint8_t* q[RB * P];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < RB; ++r)
#pragma GCC unroll 4
        for (std::size_t p = 0; p < P; ++p) q[r * P + p] = quads + ((oy + r) * SH + 4 * p) * rs;
    const __m512 vs = _mm512_set1_ps(scale), vb = _mm512_set1_ps(bias);
    const __m512i vc = _mm512_set1_epi32(comp);
    float* yr = y + oy * ow;
    for (std::size_t ox = 0; ox < full + (rest ? W : 0); ox += W) {
        __m512i acc[RB];
#pragma GCC unroll 8
        for (std::size_t r = 0; r < RB; ++r) acc[r] = _mm512_setzero_si512();
#pragma GCC unroll 4
        for (std::size_t p = 0; p < P; ++p)
#pragma GCC unroll 8
            for (std::size_t kx = 0; kx < K; ++kx) {
                const __m512i w = wb[p * K + kx];
#pragma GCC unroll 8
                for (std::size_t r = 0; r < RB; ++r)
                    acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_loadu_si512(q[r * P + p] + 4 * (ox + kx / SW + (kx % SW) * plen)), w);
            }
#pragma GCC unroll 8
        for (std::size_t r = 0; r < RB; ++r) {
            const typename V::reg out = activate<Act, V>(
                typename V::reg(_mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc[r], vc)), vs, vb)), e);
            if (ox < full)
                V::store(yr + r * ow + ox, out);
            else
                V::store_partial(yr + r * ow + ox, out, rest);
        }
    }
}

template <class Act, std::size_t K, std::size_t SH, std::size_t SW>
MOIR_NOINLINE void int8_dw_channel_vnni(const conv_geometry& g, const dw_plane& d, const std::uint8_t* quads,
                                        const std::int32_t* wq, std::int32_t comp, float scale, float bias, float* y,
                                        const epilogue& e) {
    constexpr std::size_t RB = 4, P = (K + 3) / 4;
    __m512i wb[P * K];
    for (std::size_t t = 0; t < P * K; ++t) wb[t] = _mm512_set1_epi32(wq[t]);
    std::size_t oy = 0;
    for (; oy + RB <= g.out_h; oy += RB)
        int8_dw_rows_vnni<Act, K, SH, SW, RB>(oy, g, d, quads, wb, comp, scale, bias, y, e);
    for (; oy < g.out_h; ++oy) int8_dw_rows_vnni<Act, K, SH, SW, 1>(oy, g, d, quads, wb, comp, scale, bias, y, e);
}
}  // namespace detail
#endif

/// int8_depthwise's default body template argument: the channel body (an unrolled one of kernel 3
/// or 5 and strides 1 or 2, detail::dw_has_fixed_body, or the general loop) is chosen at run time
/// from the geometry, so all of them are compiled in.
struct dynamic_dw_body {};

/// A body named when the caller is compiled (a header written by `moir codegen`: only that body is
/// compiled): the unrolled K x K body of strides SH, SW, or with K = 0 the general loop. It must be
/// the one the geometry would choose at run time (checked).
template <std::size_t K, std::size_t SH, std::size_t SW>
struct dw_body {};

namespace detail {
/// What body B names (dynamic: any).
template <class B>
struct int8_dw_body_of {
    static constexpr bool dynamic = true;
    static constexpr std::size_t k = 0, sh = 0, sw = 0;
};
template <std::size_t K, std::size_t SH, std::size_t SW>
struct int8_dw_body_of<dw_body<K, SH, SW>> {
    static constexpr bool dynamic = false;
    static constexpr std::size_t k = K, sh = SH, sw = SW;
};

/// dw_fixed_dispatch under body B: dynamic, as it; a named unrolled body, f(K, SH, SW) and true; the
/// general loop, false. requires: B is the body dw_fixed_dispatch would choose for g (checked).
template <class B, class F>
bool int8_dw_dispatch(const conv_geometry& g, F&& f) {
    using T = int8_dw_body_of<B>;
    if constexpr (T::dynamic) {
        return dw_fixed_dispatch(g, f);
    } else if constexpr (T::k == 0) {
        MOIR_CHECK(!dw_has_fixed_body(g), error, "int8_depthwise: the general body named for a geometry with an unrolled one");
        return false;
    } else {
        MOIR_CHECK(dw_has_fixed_body(g) && g.kh == T::k && g.sh == T::sh && g.sw == T::sw, error,
                   "int8_depthwise: an unrolled body named for a geometry it does not take");
        f(std::integral_constant<std::size_t, T::k>{}, std::integral_constant<std::size_t, T::sh>{},
          std::integral_constant<std::size_t, T::sw>{});
        return true;
    }
}
}  // namespace detail

/// Floats of scratch int8_depthwise needs on Arch (int8_blocking_of<Arch>().width).
inline std::size_t int8_depthwise_scratch_floats(const conv_geometry& g, std::size_t width) {
    // the float plane, or the row-pair plane (as many int32, rows rounded up to 16) and the padded
    // u8 rows (one more)
    const detail::dw_plane d = detail::dw_plane_of(g, width);
    const std::size_t stride16 = (d.row_stride + 15) / 16 * 16;
    return depthwise_scratch_floats(g, width) + 16 + ((d.rows + 1) * stride16 + 3) / 4 + 16;
}

/// y[c] = act(sum_taps (q - zp) * wq * scale[c] + bias[c]) for channels c in [c0, c1) of one image.
/// requires: p packed by pack_int8_depthwise; x holds channels*in_h*in_w u8 values; y the output
/// planes of channels [c0, c1) (channel c's at y + (c - c0)*out_h*out_w); scratch int8_depthwise_scratch_floats(p.geometry, width) floats;
/// e.bias nullptr or `channels` values (the shift); c0 <= c1 <= channels. Disjoint channel ranges
/// (each with its own scratch) are independent. StaticAct: an act:: tag compiles only that
/// activation (e.act must name it); the default chooses it at run time (epilogue.hpp). Body: a
/// dw_body compiles only that channel body; the default chooses it at run time.
template <class Arch, class StaticAct = dynamic_activation, class Body = dynamic_dw_body>
void int8_depthwise(const packed_int8_depthwise& p, const std::uint8_t* x, float* y, const epilogue& e,
                    float* scratch, std::size_t c0, std::size_t c1) {
    using FA = typename int8_ops<Arch>::farch;
    const conv_geometry& g = p.geometry;
    const detail::dw_plane d = detail::dw_plane_of(g, vec<FA>::width);
    const std::size_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w, taps = g.kh * g.kw;
    using body = detail::int8_dw_body_of<Body>;
    with_activation_as<StaticAct>(e.act, [&](auto act) {
        using Act = decltype(act);
#if defined(__AVX2__)
        // AVX2, 5x5: the integer kernel on the row-pair plane. Row r of it holds, at each position,
        // the int16 values q - zp of padded rows r and r + 1 (one int32), so one vpmaddwd multiplies
        // 8 outputs by two kernel rows: 15 of them per 8 outputs where the float kernel needs 25
        // FMAs. Exact in s32 (|q - zp| <= 255, |w| <= 127); then the scale, the bias and the
        // activation in float. Measured on Zen 3 (one thread, with HSwish): 0.22 against 0.27 ms on
        // 240 channels of 20x20, 0.08 against 0.085 ms on 240 of 3x80 (building the plane costs as
        // much as the products there). 3x3 stays on the float kernel: 9 FMAs per 8 outputs are
        // already cheaper than 6 vpmaddwd, 6 adds and the conversion (0.41 against 0.34 ms on 96
        // channels of 80x80).
        if constexpr (std::is_same_v<FA, arch::avx2> && (body::dynamic || body::k == 5)) {
            if (g.kh == 5 && detail::dw_has_fixed_body(g) && p.row_pairs_data) {
                // the row-pair plane (rows of d.row_stride, the last written up to 16 further), then
                // the padded u8 rows, d.rows + 1 of stride16
                auto* plane = reinterpret_cast<std::int32_t*>(scratch);
                const std::size_t stride16 = (d.row_stride + 15) / 16 * 16;
                auto* rows8 = reinterpret_cast<std::uint8_t*>(plane + d.rows * d.row_stride + 16);
                const std::size_t pairs = (g.kh + 1) / 2 * g.kw;
                const auto zp8 = static_cast<std::uint8_t>(p.zero_point);
                for (std::size_t c = c0; c < c1; ++c) {
                    const std::uint8_t* xc = x + c * in_plane;
                    if (g.sw == 1) {  // straight from the input rows
                        for (std::size_t r = 0; r < d.rows; ++r)
                            detail::int8_dw_pair_row_s1(g, d, xc, static_cast<std::int16_t>(p.zero_point), r,
                                                        plane + r * d.row_stride);
                    } else {  // through padded, phase-split u8 rows
                        for (std::size_t r = 0; r <= d.rows; ++r)
                            detail::int8_dw_row8<Arch>(g, d, xc, zp8, r, rows8 + r * stride16);
                        for (std::size_t r = 0; r < d.rows; ++r)  // in order: row r + 1 overwrites row r's spill
                            detail::int8_dw_pair_rows(rows8 + r * stride16, rows8 + (r + 1) * stride16,
                                                      static_cast<std::int16_t>(p.zero_point), plane + r * d.row_stride,
                                                      d.row_stride);
                    }
                    const std::int32_t* wp = p.row_pairs_data + c * pairs;
                    const float b = e.bias ? e.bias[c] : 0.0f, sc = p.scale_data[c];
                    float* yc = y + (c - c0) * out_plane;
                    detail::int8_dw_dispatch<Body>(g, [&](auto k, auto sh, auto sw) {
                        if constexpr (decltype(k)::value == 5)
                            detail::int8_dw_channel<Act, 5, decltype(sh)::value, decltype(sw)::value>(g, d, plane, wp, sc,
                                                                                                    b, yc, e);
                    });
                }
                return;
            }
        }
#endif
#if defined(__AVX512F__) && defined(__AVX512VNNI__)
        // AVX-512 VNNI, 5x5: the integer kernel on the quad plane (int8_dw_rows_vnni): one vpdpbusd
        // per 16 outputs, four kernel rows and one column, 10 per 16 outputs where the float kernel
        // needs 25 FMAs. Exact in s32; then the scale, the bias and the activation in float, as the
        // GEMM's epilogue. Measured on Zen 4 (one thread, rec's 240 channels of 12x80 with HSwish):
        // 0.22 against 0.245 ms. 3x3 stays on the float kernel: building the quad plane costs more
        // than the 9 FMAs per 16 outputs it saves there (rec's 3x3 layers: 0.06-0.14 ms, 1.0-1.4x).
        if constexpr (std::is_same_v<Arch, arch::avx512vnni> && (body::dynamic || body::k == 5)) {
            if (g.kh == 5 && detail::dw_has_fixed_body(g) && p.row_quads_data) {
                // the quad plane (rows of 4 * d.row_stride bytes), then the padded u8 rows, d.rows of
                // stride16 and one of the zero point (the rows past the image a quad may name)
                auto* quads = reinterpret_cast<std::uint8_t*>(scratch);
                const std::size_t stride16 = (d.row_stride + 15) / 16 * 16;
                auto* rows8 = quads + 4 * (d.rows * d.row_stride + 16);
                const std::size_t per = (g.kh + 3) / 4 * g.kw;
                const auto zp8 = static_cast<std::uint8_t>(p.zero_point);
                std::memset(rows8 + d.rows * stride16, zp8, stride16);
                for (std::size_t c = c0; c < c1; ++c) {
                    const std::uint8_t* xc = x + c * in_plane;
                    for (std::size_t r = 0; r < d.rows; ++r) detail::int8_dw_row8<Arch>(g, d, xc, zp8, r, rows8 + r * stride16);
                    for (std::size_t r = 0; r < d.rows; r += g.sh) {  // the rows an output row starts a quad at
                        const std::uint8_t* rows[4];
                        for (std::size_t t = 0; t < 4; ++t) rows[t] = rows8 + (r + t < d.rows ? r + t : d.rows) * stride16;
                        detail::interleave4_u8<Arch, 0>(rows, d.row_stride, quads + 4 * r * d.row_stride);
                    }
                    const float b = e.bias ? e.bias[c] : 0.0f, sc = p.scale_data[c];
                    float* yc = y + (c - c0) * out_plane;
                    detail::int8_dw_dispatch<Body>(g, [&](auto k, auto sh, auto sw) {
                        if constexpr (decltype(k)::value == 5)
                            detail::int8_dw_channel_vnni<Act, 5, decltype(sh)::value, decltype(sw)::value>(
                                g, d, quads, p.row_quads_data + c * per, p.quad_comp_data[c], sc, b, yc, e);
                    });
                }
                return;
            }
        }
#endif
        for (std::size_t c = c0; c < c1; ++c) {
            detail::int8_dw_fill_plane<Arch>(g, d, x + c * in_plane, p.zero_point, scratch);
            const float* w = p.w.data + c * taps;
            const float b = e.bias ? e.bias[c] : 0.0f;
            float* yc = y + (c - c0) * out_plane;
            const bool fixed = detail::int8_dw_dispatch<Body>(g, [&](auto k, auto sh, auto sw) {
                detail::dw_channel_fixed<FA, Act, decltype(k)::value, decltype(sh)::value, decltype(sw)::value>(
                    g, d, scratch, w, b, yc, e);
            });
            if constexpr (body::dynamic || body::k == 0) {
                if (!fixed) detail::dw_channel<FA, Act>(g, d, scratch, w, b, yc, e);
            }
            (void)fixed;
        }
    });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_INT8_DEPTHWISE_HPP
