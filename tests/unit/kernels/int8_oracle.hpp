#ifndef MOIR_TESTS_UNIT_KERNELS_INT8_ORACLE_HPP
#define MOIR_TESTS_UNIT_KERNELS_INT8_ORACLE_HPP

// The tests' scalar oracles of the INT8 fast kernels (kernels/simd/int8_*.hpp): plain loops in s32, in the
// unpacked layouts, with nothing shared with the fast code. The tests compare the fast kernels'
// accumulators with these exactly. Quantization arithmetic: kernels/simd/int8_packing.hpp.

#include <moir/kernels/conv_geometry.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstdint>  // int8_t, int32_t, uint8_t
#include <vector>   // vector

namespace moir::kernels::reference {

/// acc[m, n] = sum_k (w[m, k] * (x[k, n] - zp)), w row-major [M, K] (s8, or wider integers: weights
/// with their zero points subtracted), x row-major [K, N].
template <class W>
std::vector<std::int32_t> int8_gemm(const W* w, const std::uint8_t* x, std::size_t m,
                                           std::size_t k, std::size_t n, std::int32_t zp) {
    std::vector<std::int32_t> acc(m * n, 0);
    for (std::size_t i = 0; i < m; ++i)
        for (std::size_t kk = 0; kk < k; ++kk) {
            const std::int32_t wv = w[i * k + kk];
            for (std::size_t j = 0; j < n; ++j) acc[i * n + j] += wv * (static_cast<std::int32_t>(x[kk * n + j]) - zp);
        }
    return acc;
}

/// The direct convolution in s32 of a u8 image (CHW, G*in_c channels) with s8 weights (GOIHW):
/// acc[g*out_c + o, oy, ox] = sum_{c, ky, kx} w * (x - zp), taps outside the image contributing 0
/// (they read the zero point). W: as int8_gemm's.
template <class W>
std::vector<std::int32_t> int8_conv(const kernels::conv_geometry& g, const W* w,
                                           const std::uint8_t* x, std::int32_t zp) {
    std::vector<std::int32_t> acc(g.groups * g.out_c * g.out_h * g.out_w, 0);
    for (std::size_t gi = 0; gi < g.groups; ++gi)
        for (std::size_t o = 0; o < g.out_c; ++o)
            for (std::size_t oy = 0; oy < g.out_h; ++oy)
                for (std::size_t ox = 0; ox < g.out_w; ++ox) {
                    std::int32_t s = 0;
                    for (std::size_t c = 0; c < g.in_c; ++c)
                        for (std::size_t ky = 0; ky < g.kh; ++ky)
                            for (std::size_t kx = 0; kx < g.kw; ++kx) {
                                const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(oy * g.sh + ky * g.dh) - g.pt;
                                const std::ptrdiff_t ix = static_cast<std::ptrdiff_t>(ox * g.sw + kx * g.dw) - g.pl;
                                if (iy < 0 || ix < 0 || iy >= static_cast<std::ptrdiff_t>(g.in_h) ||
                                    ix >= static_cast<std::ptrdiff_t>(g.in_w))
                                    continue;
                                const std::int32_t xv = x[((gi * g.in_c + c) * g.in_h + static_cast<std::size_t>(iy)) *
                                                              g.in_w + static_cast<std::size_t>(ix)];
                                const std::int32_t wv = w[((gi * g.out_c + o) * g.in_c + c) * g.kh * g.kw + ky * g.kw + kx];
                                s += wv * (xv - zp);
                            }
                    acc[((gi * g.out_c + o) * g.out_h + oy) * g.out_w + ox] = s;
                }
    return acc;
}

}  // namespace moir::kernels::reference

#endif  // MOIR_TESTS_UNIT_KERNELS_INT8_ORACLE_HPP
