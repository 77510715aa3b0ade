// The machine's single-core FP32 FMA peak, measured: independent FMA chains with no memory
// traffic, compiled for AVX-512 and for AVX2 through GCC target attributes (x86-64 GCC/Clang only).
// The kernel benchmarks are reported against these numbers.

#include <cstddef>  // size_t

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

namespace moir::bench {

/// iters x 24 FMAs on 16 floats; returns a value that depends on all of them.
__attribute__((target("avx512f,fma"))) float fma_peak_avx512(std::size_t iters) {
    __m512 acc[24];
    for (int i = 0; i < 24; ++i) acc[i] = _mm512_set1_ps(0.001f * float(i));
    const __m512 a = _mm512_set1_ps(0.9999f), b = _mm512_set1_ps(1e-4f);
    for (std::size_t it = 0; it < iters; ++it)
#pragma GCC unroll 24
        for (int i = 0; i < 24; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    __m512 s = acc[0];
    for (int i = 1; i < 24; ++i) s = _mm512_add_ps(s, acc[i]);
    alignas(64) float v[16];
    _mm512_store_ps(v, s);
    float r = 0.0f;
    for (float x : v) r += x;
    return r;
}

/// iters x 12 FMAs on 8 floats.
__attribute__((target("avx2,fma"))) float fma_peak_avx2(std::size_t iters) {
    __m256 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * float(i));
    const __m256 a = _mm256_set1_ps(0.9999f), b = _mm256_set1_ps(1e-4f);
    for (std::size_t it = 0; it < iters; ++it)
#pragma GCC unroll 12
        for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    __m256 s = acc[0];
    for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
    alignas(32) float v[8];
    _mm256_store_ps(v, s);
    return v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
}

}  // namespace moir::bench
#endif
