#ifndef MOIR_KERNELS_SIMD_VEC_HPP
#define MOIR_KERNELS_SIMD_VEC_HPP

// The float vector every fast kernel is written against: vec<Arch> wraps xsimd::batch<float, X> for
// the SIMD arches (X = the xsimd arch of Arch) and a plain float for arch::reference, so one kernel
// body serves every arch. Only the operations the kernels need: broadcast, (partial) load and store,
// fma, min, max, and the activation math.
//
// requires: vec<Arch> for a SIMD arch is only *instantiated* in a translation unit compiled with that
// arch's flags (Arch::supported()); a static_assert says so otherwise. Naming it is always fine.
// xsimd 8.1 and later are both fine: only batch, load_unaligned, store_unaligned, fma, min, max, exp.

#include <moir/kernels/arch.hpp>

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_ps(), which -Wmaybe-uninitialized flags
// wherever they are inlined (GCC PR 105593, fixed in 12.3). Diagnostics follow the location of
// the intrinsic's definition, so ignoring the warning around the first inclusion silences it.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"  // the same, in sanitizer builds
#endif
#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>  // masked loads and stores for partial vectors
#endif

#include <xsimd/xsimd.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include <cmath>    // exp
#include <cstddef>  // size_t
#include <cstring>  // memcpy

namespace moir::kernels::simd {

/// The xsimd arch of a moir arch tag (void for the scalar reference arch).
template <class Arch>
struct xsimd_arch_of {
    using type = void;
};
template <>
struct xsimd_arch_of<arch::avx2> {
    using type = xsimd::fma3<xsimd::avx2>;
};
template <>
struct xsimd_arch_of<arch::avx512> {
    using type = xsimd::avx512bw;
};

/// Vector operations for Arch. width: floats per register.
template <class Arch>
struct vec {
    static_assert(Arch::supported(),
                  "moir: a fast kernel for this arch is instantiated in a translation unit compiled without the "
                  "arch's flags; compile that TU with them (e.g. -mavx2 -mfma, or -mavx512f -mavx512bw -mavx512vl "
                  "-mavx512dq -mfma) or instantiate the kernels with MOIR_INSTANTIATE_KERNELS in one that is");
    using reg = xsimd::batch<float, typename xsimd_arch_of<Arch>::type>;
    static constexpr std::size_t width = reg::size;

    static reg zero() { return reg(0.0f); }
    static reg set1(float v) { return reg(v); }
    static reg load(const float* p) { return reg::load_unaligned(p); }
    static void store(float* p, const reg& v) { v.store_unaligned(p); }
    /// The first n (< width) lanes from p, the others 0; reads only p[0, n).
    static reg load_partial(const float* p, std::size_t n) {
#if defined(__AVX512F__)
        if constexpr (width == 16) {
            return reg(_mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1u), p));
        }
#endif
        alignas(64) float tmp[width] = {};
        std::memcpy(tmp, p, n * sizeof(float));
        return reg::load_aligned(tmp);
    }
    /// Writes the first n (< width) lanes of v to p[0, n).
    static void store_partial(float* p, const reg& v, std::size_t n) {
#if defined(__AVX512F__)
        if constexpr (width == 16) {
            _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << n) - 1u), v);
            return;
        }
#endif
        alignas(64) float tmp[width];
        v.store_aligned(tmp);
        std::memcpy(p, tmp, n * sizeof(float));
    }
    /// The even lanes (even) and the odd lanes (odd) of the 2*width floats a then b: a stride-2
    /// window's first and second column (pooling.hpp's 2x2 stride-2 MaxPool).
    static void deinterleave(const reg& a, const reg& b, reg& even, reg& odd) {
#if defined(__AVX512F__)
        if constexpr (width == 16) {
            const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
            const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
            even = reg(_mm512_permutex2var_ps(a, ie, b));
            odd = reg(_mm512_permutex2var_ps(a, io, b));
            return;
        }
#endif
#if defined(__AVX2__)
        if constexpr (width == 8) {
            // within 128-bit halves: a0 a2 b0 b2 | a4 a6 b4 b6; then the 64-bit pairs in order 0 2 1 3
            const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
            const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
            even = reg(_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
            odd = reg(_mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8)));
            return;
        }
#endif
        alignas(64) float t[2 * width], te[width], to[width];
        a.store_aligned(t);
        b.store_aligned(t + width);
        for (std::size_t i = 0; i < width; ++i) te[i] = t[2 * i], to[i] = t[2 * i + 1];
        even = reg::load_aligned(te);
        odd = reg::load_aligned(to);
    }
    static reg fma(const reg& a, const reg& b, const reg& c) { return xsimd::fma(a, b, c); }
    static reg max(const reg& a, const reg& b) { return xsimd::max(a, b); }
    static reg min(const reg& a, const reg& b) { return xsimd::min(a, b); }
    static reg exp(const reg& a) { return xsimd::exp(a); }
    static reg log(const reg& a) { return xsimd::log(a); }
    static reg sqrt(const reg& a) { return xsimd::sqrt(a); }
    static reg tanh(const reg& a) { return xsimd::tanh(a); }
    static reg erf(const reg& a) { return xsimd::erf(a); }
};

/// The scalar arch: one float per "vector".
template <>
struct vec<arch::reference> {
    using reg = float;
    static constexpr std::size_t width = 1;
    static reg zero() { return 0.0f; }
    static reg set1(float v) { return v; }
    static reg load(const float* p) { return *p; }
    static void store(float* p, reg v) { *p = v; }
    static reg load_partial(const float*, std::size_t) { return 0.0f; }  // n is always 0 here
    static void store_partial(float*, reg, std::size_t) {}
    static void deinterleave(reg a, reg b, reg& even, reg& odd) { even = a, odd = b; }
    static reg fma(reg a, reg b, reg c) { return a * b + c; }
    static reg max(reg a, reg b) { return a > b ? a : b; }
    static reg min(reg a, reg b) { return a < b ? a : b; }
    static reg exp(reg a) { return std::exp(a); }
    static reg log(reg a) { return std::log(a); }
    static reg sqrt(reg a) { return std::sqrt(a); }
    static reg tanh(reg a) { return std::tanh(a); }
    static reg erf(reg a) { return std::erf(a); }
};

/// Vector v (< NV) of a tile of NV vectors of columns whose last vector holds n_last (1 to width)
/// columns: loaded and stored whole but for that last one (kernels that vectorize across the
/// columns of [len][inner] data: mvn_columns, softmax_columns).
template <class Arch, std::size_t NV>
struct column_tile {
    using V = vec<Arch>;
    using reg = typename V::reg;
    std::size_t n_last = V::width;

    bool whole(std::size_t v) const { return v + 1 < NV || n_last == V::width; }
    reg load(const float* p, std::size_t v) const {
        return whole(v) ? V::load(p + v * V::width) : V::load_partial(p + v * V::width, n_last);
    }
    void store(float* p, std::size_t v, const reg& r) const {
        if (whole(v)) V::store(p + v * V::width, r);
        else V::store_partial(p + v * V::width, r, n_last);
    }
};

/// Calls f(c, tile) over the columns [c0, c1): tiles of four whole vectors, then single whole
/// vectors, then one partial vector (tile: a column_tile<Arch, 4 or 1> starting at column c).
template <class Arch, class F>
void for_column_tiles(std::size_t c0, std::size_t c1, F&& f) {
    constexpr std::size_t W = vec<Arch>::width;
    std::size_t c = c0;
    for (; c + 4 * W <= c1; c += 4 * W) f(c, column_tile<Arch, 4>{W});
    for (; c + W <= c1; c += W) f(c, column_tile<Arch, 1>{W});
    if (c < c1) f(c, column_tile<Arch, 1>{c1 - c});
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_VEC_HPP
