#ifndef MOIR_KERNELS_SIMD_INT8_QUANTIZE_HPP
#define MOIR_KERNELS_SIMD_INT8_QUANTIZE_HPP

// The borders of an INT8 region: per-tensor FakeQuantize as the u8 codes the INT8 kernels read, and
// per-tensor FakeQuantize in FP32 (for FakeQuantize nodes whose consumers stay in FP32). Both use
// FakeQuantize's own formula (OpenVINO's), in float, in its order of operations, so the codes are
// the ones the reference kernel rounds to:
//   q = x <= il ? 0 : x > ih ? L : nearbyint((x - il) / (ih - il) * L)       (L = levels - 1)
//   y = x <= il ? ol : x > ih ? oh : q / L * (oh - ol) + ol
// (nearbyint: round half to even, the default rounding mode; the vector paths use the same mode).
// requires: il < ih (the callers check), L = 255 for quantize_u8.

#include <moir/kernels/arch.hpp>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <cmath>        // fpclassify, nearbyint
#include <cstddef>      // size_t
#include <cstdint>      // uint8_t
#include <type_traits>  // is_same_v

namespace moir::kernels::simd {

namespace detail {
template <class Arch>  // one copy per arch's TU
float fq_code(float x, float il, float ih, float levels_1) {
    if (x <= il) return 0.0f;
    if (x > ih) return levels_1;
    return std::nearbyint((x - il) / (ih - il) * levels_1);
}
}  // namespace detail

/// q[i] = the u8 code of x[i] for FakeQuantize(il, ih, levels = 256), i < n.
///
/// The vector paths divide without a division (vdivps was the bound: about 0.42 cycles per code on
/// Zen 3): x is first clamped to [il, ih] (x <= il then gives (x - il) = 0, code 0; x > ih gives
/// (x - il) = r = ih - il, r / r = 1, code 255; NaN takes il), then the quotient d = (x - il) / r is
/// formed from the correctly rounded reciprocal y = 1 / r with one correction step,
///   q = a * y;  e = a - q * r (exact, by FMA);  d = q + e * y,
/// which gives the correctly rounded quotient whenever y is 1 / r correctly rounded and q is
/// within one ulp of a / r (Markstein's theorem; no overflow or underflow: y must be a normal
/// float, else the division stays, and a quotient small enough to lose bits is far below the
/// first half-way point, 1 / 510). So d, and then d * 255 and its rounding, are the reference's.
/// Checked exhaustively here over every float for 9 ranges (no difference in 3.85e10 codes).
template <class Arch>
void quantize_u8(const float* x, std::uint8_t* q, std::size_t n, float il, float ih) {
    std::size_t i = 0;
    const float r = ih - il, y = 1.0f / r;
    const bool reciprocal = std::fpclassify(y) == FP_NORMAL;
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<Arch, arch::avx512vnni> || std::is_same_v<Arch, arch::avx512>) {
        const __m512 vil = _mm512_set1_ps(il), vih = _mm512_set1_ps(ih), vr = _mm512_set1_ps(r), vy = _mm512_set1_ps(y);
        const __m512 vl = _mm512_set1_ps(255.0f), zero = _mm512_setzero_ps();
        if (reciprocal) {
            for (; i + 16 <= n; i += 16) {
                const __m512 a = _mm512_sub_ps(_mm512_min_ps(_mm512_max_ps(_mm512_loadu_ps(x + i), vil), vih), vil);
                const __m512 d0 = _mm512_mul_ps(a, vy);
                const __m512 d = _mm512_fmadd_ps(_mm512_fnmadd_ps(d0, vr, a), vy, d0);
                // d * 255 in [0, 255]: the conversion rounds to nearest even, as nearbyint
                _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtusepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(d, vl))));
            }
        }
        for (; i + 16 <= n; i += 16) {
            __m512 t = _mm512_mul_ps(_mm512_div_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vil), vr), vl);
            t = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            t = _mm512_min_ps(_mm512_max_ps(t, zero), vl);
            _mm_storeu_si128(reinterpret_cast<__m128i*>(q + i), _mm512_cvtusepi32_epi8(_mm512_cvtps_epi32(t)));
        }
    }
#endif
#if defined(__AVX2__)
    if constexpr (std::is_same_v<Arch, arch::avx2>) {
        const __m256 vil = _mm256_set1_ps(il), vih = _mm256_set1_ps(ih), vr = _mm256_set1_ps(r), vy = _mm256_set1_ps(y);
        const __m256 vl = _mm256_set1_ps(255.0f);
        // the s32 codes of 8 values, converted in the default rounding mode (nearest even:
        // nearbyint's). By reciprocal (above): clamped first. By division: t = (x - il) / r * 255 as
        // in fq_code, capped at 255 (x > ih gives t >= 255); no floor at 0 is needed: x <= il gives
        // t <= 0, and the signed then unsigned saturating packs take any negative s32 (-inf's
        // INT_MIN included) to code 0.
        auto codes = [&](const float* p) {
            if (reciprocal) {
                const __m256 a = _mm256_sub_ps(_mm256_min_ps(_mm256_max_ps(_mm256_loadu_ps(p), vil), vih), vil);
                const __m256 d0 = _mm256_mul_ps(a, vy);
                const __m256 d = _mm256_fmadd_ps(_mm256_fnmadd_ps(d0, vr, a), vy, d0);
                return _mm256_cvtps_epi32(_mm256_mul_ps(d, vl));
            }
            return _mm256_cvtps_epi32(_mm256_min_ps(_mm256_mul_ps(_mm256_div_ps(_mm256_sub_ps(_mm256_loadu_ps(p), vil), vr), vl), vl));
        };
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        for (; i + 32 <= n; i += 32) {
            const __m256i ab = _mm256_packs_epi32(codes(x + i), codes(x + i + 8));
            const __m256i cd = _mm256_packs_epi32(codes(x + i + 16), codes(x + i + 24));
            // bytes in 4-byte runs a0-3 b0-3 c0-3 d0-3 | a4-7 b4-7 c4-7 d4-7: put back in order
            const __m256i v = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd), order);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), v);
        }
        for (; i + 8 <= n; i += 8) {
            const __m256i v = codes(x + i);
            const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
            _mm_storel_epi64(reinterpret_cast<__m128i*>(q + i), _mm_packus_epi16(w, w));
        }
    }
#endif
    (void)reciprocal;
    for (; i < n; ++i) q[i] = static_cast<std::uint8_t>(detail::fq_code<Arch>(x[i], il, ih, 255.0f));
}

/// y[i] = FakeQuantize(x[i]; il, ih, ol, oh, levels) in FP32, i < n (y may equal x).
template <class Arch>
void fake_quantize_f32(const float* x, float* y, std::size_t n, float il, float ih, float ol, float oh,
                       std::size_t levels) {
    const auto l1 = static_cast<float>(levels - 1);
    std::size_t i = 0;
#if defined(__AVX512F__)
    if constexpr (std::is_same_v<Arch, arch::avx512vnni> || std::is_same_v<Arch, arch::avx512>) {
        const __m512 vil = _mm512_set1_ps(il), vr = _mm512_set1_ps(ih - il), vl = _mm512_set1_ps(l1);
        const __m512 vih = _mm512_set1_ps(ih), vol = _mm512_set1_ps(ol), voh = _mm512_set1_ps(oh),
                     vor = _mm512_set1_ps(oh - ol);
        for (; i + 16 <= n; i += 16) {
            const __m512 xv = _mm512_loadu_ps(x + i);
            __m512 t = _mm512_mul_ps(_mm512_div_ps(_mm512_sub_ps(xv, vil), vr), vl);
            t = _mm512_roundscale_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            __m512 r = _mm512_add_ps(_mm512_mul_ps(_mm512_div_ps(t, vl), vor), vol);
            r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(xv, vil, _CMP_LE_OQ), r, vol);
            r = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(xv, vih, _CMP_GT_OQ), r, voh);
            _mm512_storeu_ps(y + i, r);
        }
    }
#endif
#if defined(__AVX2__)
    if constexpr (std::is_same_v<Arch, arch::avx2>) {
        const __m256 vil = _mm256_set1_ps(il), vr = _mm256_set1_ps(ih - il), vl = _mm256_set1_ps(l1);
        const __m256 vih = _mm256_set1_ps(ih), vol = _mm256_set1_ps(ol), voh = _mm256_set1_ps(oh),
                     vor = _mm256_set1_ps(oh - ol);
        for (; i + 8 <= n; i += 8) {
            const __m256 xv = _mm256_loadu_ps(x + i);
            __m256 t = _mm256_mul_ps(_mm256_div_ps(_mm256_sub_ps(xv, vil), vr), vl);
            t = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
            __m256 r = _mm256_add_ps(_mm256_mul_ps(_mm256_div_ps(t, vl), vor), vol);
            r = _mm256_blendv_ps(r, vol, _mm256_cmp_ps(xv, vil, _CMP_LE_OQ));
            r = _mm256_blendv_ps(r, voh, _mm256_cmp_ps(xv, vih, _CMP_GT_OQ));
            _mm256_storeu_ps(y + i, r);
        }
    }
#endif
    for (; i < n; ++i) {
        const float xv = x[i];
        y[i] = xv <= il ? ol : xv > ih ? oh : detail::fq_code<Arch>(xv, il, ih, l1) / l1 * (oh - ol) + ol;
    }
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_INT8_QUANTIZE_HPP
