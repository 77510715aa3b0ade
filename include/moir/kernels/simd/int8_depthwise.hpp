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

#include <moir/kernels/simd/depthwise.hpp>
#include <moir/kernels/simd/int8_gemm.hpp>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <cstddef>      // ptrdiff_t, size_t
#include <cstdint>      // int32_t, uint8_t
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
    const std::ptrdiff_t j0 = g.pl > 0 ? g.pl : 0, j1 = g.pl + iw;  // padded columns [j0, j1) read the input
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
            auto first_at_least = [&](std::ptrdiff_t j) {  // smallest idx with idx*sw + p >= j
                const std::ptrdiff_t t = j - p;
                return t <= 0 ? std::ptrdiff_t(0) : (t + sw - 1) / sw;
            };
            std::ptrdiff_t i0 = first_at_least(j0), i1 = first_at_least(j1);
            if (i0 > plen) i0 = plen;
            if (i1 > plen) i1 = plen;
            if (i1 < i0) i1 = i0;
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

/// Floats of scratch int8_depthwise needs on Arch (int8_blocking_of<Arch>().width).
inline std::size_t int8_depthwise_scratch_floats(const conv_geometry& g, std::size_t width) {
    return depthwise_scratch_floats(g, width);
}

/// y[c] = act(sum_taps (q - zp) * wq * scale[c] + bias[c]) for channels c in [c0, c1) of one image.
/// requires: p packed by pack_int8_depthwise; x holds channels*in_h*in_w u8 values; y the output
/// planes of channels [c0, c1) (channel c's at y + (c - c0)*out_h*out_w); scratch int8_depthwise_scratch_floats(p.geometry, width) floats;
/// e.bias nullptr or `channels` values (the shift); c0 <= c1 <= channels. Disjoint channel ranges
/// (each with its own scratch) are independent.
template <class Arch>
void int8_depthwise(const packed_int8_depthwise& p, const std::uint8_t* x, float* y, const epilogue& e,
                    float* scratch, std::size_t c0, std::size_t c1) {
    using FA = typename int8_ops<Arch>::farch;
    const conv_geometry& g = p.geometry;
    const detail::dw_plane d = detail::dw_plane_of(g, vec<FA>::width);
    const std::size_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w, taps = g.kh * g.kw;
    with_activation(e.act, [&](auto act) {
        using Act = decltype(act);
        for (std::size_t c = c0; c < c1; ++c) {
            detail::int8_dw_fill_plane<Arch>(g, d, x + c * in_plane, p.zero_point, scratch);
            const float* w = p.w.data + c * taps;
            const float b = e.bias ? e.bias[c] : 0.0f;
            float* yc = y + (c - c0) * out_plane;
            const bool plain = g.dh == 1 && g.dw == 1 && g.sh == g.sw && g.kh == g.kw && g.sh <= 2;
            if (plain && g.kh == 3 && g.sh == 1)
                detail::dw_channel_fixed<FA, Act, 3, 1>(g, d, scratch, w, b, yc, e);
            else if (plain && g.kh == 3 && g.sh == 2)
                detail::dw_channel_fixed<FA, Act, 3, 2>(g, d, scratch, w, b, yc, e);
            else if (plain && g.kh == 5 && g.sh == 1)
                detail::dw_channel_fixed<FA, Act, 5, 1>(g, d, scratch, w, b, yc, e);
            else if (plain && g.kh == 5 && g.sh == 2)
                detail::dw_channel_fixed<FA, Act, 5, 2>(g, d, scratch, w, b, yc, e);
            else
                detail::dw_channel<FA, Act>(g, d, scratch, w, b, yc, e);
        }
    });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_INT8_DEPTHWISE_HPP
