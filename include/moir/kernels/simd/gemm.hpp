#ifndef MOIR_KERNELS_SIMD_GEMM_HPP
#define MOIR_KERNELS_SIMD_GEMM_HPP

// FP32 GEMM, C[M, N] = act(A[M, K] * B[K, N] + bias), one body for every arch (vec<Arch>).
//
// Two forms, by which operand is constant and packed once (kernels/simd/packing.hpp):
//   gemm_a<Arch>  A packed (conv weights on the left: out[Cout, HW] = W[Cout, Cin] * x[Cin, HW]);
//                 B streams from memory and is packed into caller scratch, kc x nc at a time.
//   gemm_b<Arch>  B packed (MatMul with constant weights on the right); A streams, read in place.
// Both run the same register-blocked micro-kernel: an mr x (nv vectors) tile of C accumulated in
// registers over a K block, A values broadcast, B vectors loaded (avx512: 8 x 48, avx2: 6 x 16,
// reference: 4 x 4 scalars). When K fits one block (K <= kc, 512 on x86) the epilogue (bias, then
// activation) is applied to the tile in registers and C is written once; a longer K accumulates
// through C and the last block applies the epilogue. Any M, N, K >= 1: edge tiles use zero-padded
// packed panels and partial (masked) stores.
//
// Threads: calls on disjoint column ranges of C are independent (offset b/c by the first column, give
// each its own scratch); the kernels themselves are single-threaded and allocate nothing.

#include <moir/kernels/arch.hpp>
#include <moir/kernels/simd/epilogue.hpp>
#include <moir/kernels/simd/packing.hpp>
#include <moir/kernels/simd/vec.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstring>  // memcpy, memset
#include <type_traits>  // is_same_v

namespace moir::kernels::simd {

/// The GEMM blocking of each arch (register tile mr x nv vectors, K block kc).
template <class Arch>
constexpr gemm_blocking blocking_of() {
    if constexpr (std::is_same_v<Arch, arch::avx512>) {
        return gemm_blocking{8, 3, 16, 512, arch::avx512::name};
    } else if constexpr (std::is_same_v<Arch, arch::avx2>) {
        return gemm_blocking{6, 2, 8, 512, arch::avx2::name};
    } else {
        return gemm_blocking{4, 4, 1, 256, arch::reference::name};
    }
}

/// Columns of B packed per step: a kc x nc block of about 256 KiB (it stays in L2 while every
/// row panel of A passes over it).
inline std::size_t gemm_nc(const gemm_blocking& bl, std::size_t k, std::size_t n) {
    const std::size_t kb = k < bl.kc ? k : bl.kc, nr = bl.nr();
    std::size_t nc = (65536 / kb) / nr * nr;
    if (nc < nr) nc = nr;
    const std::size_t npad = detail::round_up(n, nr);
    return nc < npad ? nc : npad;
}

/// Floats of scratch gemm_a needs for N columns (the packed kc x nc block of B).
inline std::size_t gemm_a_scratch_floats(const gemm_blocking& bl, std::size_t k, std::size_t n) {
    return gemm_nc(bl, k, n) * (k < bl.kc ? k : bl.kc);
}

/// B sources of gemm_a: they pack the block B[pc, pc + kb) x [jc, jc + ncb) into nr-column panels
/// dst[p][k][nr] (zero-padded to a whole panel).
/// A strided matrix: element (k, n) at p[k*rs + n*cs].
struct matrix_source {
    const float* p;
    std::ptrdiff_t rs, cs;
    template <std::size_t NR>
    void pack(std::size_t pc, std::size_t kb, std::size_t jc, std::size_t ncb, float* dst) const {
        const std::size_t full = ncb / NR, rest = ncb % NR;
        for (std::size_t k = 0; k < kb; ++k) {
            const float* s = p + static_cast<std::ptrdiff_t>(pc + k) * rs + static_cast<std::ptrdiff_t>(jc) * cs;
            float* d = dst + k * NR;
            if (cs == 1) {
                for (std::size_t j = 0; j < full; ++j) std::memcpy(d + j * kb * NR, s + j * NR, NR * sizeof(float));
                if (rest) {
                    float* dr = d + full * kb * NR;
                    std::memcpy(dr, s + full * NR, rest * sizeof(float));
                    std::memset(dr + rest, 0, (NR - rest) * sizeof(float));
                }
            } else {
                for (std::size_t j = 0; j < ncb; ++j)
                    d[(j / NR) * kb * NR + j % NR] = s[static_cast<std::ptrdiff_t>(j) * cs];
                if (rest)
                    for (std::size_t j = rest; j < NR; ++j) d[full * kb * NR + j] = 0.0f;
            }
        }
    }
};

/// The im2col matrix of one group of a convolution: row k = (c, ky, kx), column n = (oy, ox),
/// element x[c, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw] (0 outside). Never materialized whole.
/// col0: the first column of the matrix this source stands for (a worker's share of the output
/// pixels starts there; its column j is the convolution's column col0 + j).
struct im2col_source {
    const float* x;  // [in_c, in_h, in_w] of this group
    const conv_geometry* g;
    std::size_t col0 = 0;
    template <std::size_t NR>
    void pack(std::size_t pc, std::size_t kb, std::size_t jc, std::size_t ncb, float* dst) const {
        const conv_geometry& G = *g;
        const std::size_t taps = G.kh * G.kw;
        const auto ih = static_cast<std::ptrdiff_t>(G.in_h), iw = static_cast<std::ptrdiff_t>(G.in_w);
        const auto sw = static_cast<std::ptrdiff_t>(G.sw);
        for (std::size_t k = 0; k < kb; ++k) {
            const std::size_t kk = pc + k, c = kk / taps, t = kk % taps;
            const auto ky = static_cast<std::ptrdiff_t>(t / G.kw), kx = static_cast<std::ptrdiff_t>(t % G.kw);
            const float* xc = x + c * G.in_h * G.in_w;
            float* d = dst + k * NR;
            // runs of columns [j, j + cnt), split where they cross a panel boundary; f(dst, done, n)
            auto emit = [&](std::size_t j, std::size_t cnt, auto&& f) {
                std::size_t done = 0;
                while (done < cnt) {
                    const std::size_t pos = (j + done) % NR, n = NR - pos < cnt - done ? NR - pos : cnt - done;
                    f(d + ((j + done) / NR) * kb * NR + pos, done, n);
                    done += n;
                }
            };
            auto zeros = [&](std::size_t j, std::size_t cnt) {
                emit(j, cnt, [](float* o, std::size_t, std::size_t n) {
                    for (std::size_t i = 0; i < n; ++i) o[i] = 0.0f;
                });
            };
            std::size_t oy = (col0 + jc) / G.out_w, ox = (col0 + jc) % G.out_w, j = 0;
            while (j < ncb) {
                // one output row segment: columns [j, j + seg) are (oy, ox + s)
                const std::size_t seg = G.out_w - ox < ncb - j ? G.out_w - ox : ncb - j;
                const std::ptrdiff_t iy =
                    static_cast<std::ptrdiff_t>(oy * G.sh) - G.pt + ky * static_cast<std::ptrdiff_t>(G.dh);
                if (iy < 0 || iy >= ih) {
                    zeros(j, seg);
                } else {
                    const std::ptrdiff_t ix0 =
                        static_cast<std::ptrdiff_t>(ox * G.sw) - G.pl + kx * static_cast<std::ptrdiff_t>(G.dw);
                    // s in [lo, hi) reads inside the row: 0 <= ix0 + s*sw < iw
                    const auto sseg = static_cast<std::ptrdiff_t>(seg);
                    std::ptrdiff_t lo = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
                    std::ptrdiff_t hi = iw - ix0 <= 0 ? 0 : (iw - ix0 + sw - 1) / sw;
                    if (lo > sseg) lo = sseg;
                    if (hi > sseg) hi = sseg;
                    if (hi < lo) hi = lo;
                    const float* src = xc + iy * iw + ix0;
                    zeros(j, static_cast<std::size_t>(lo));
                    if (sw == 1) {
                        emit(j + static_cast<std::size_t>(lo), static_cast<std::size_t>(hi - lo),
                             [&](float* o, std::size_t done, std::size_t n) {
                                 const float* s0 = src + lo + static_cast<std::ptrdiff_t>(done);
                                 for (std::size_t i = 0; i < n; ++i) o[i] = s0[i];
                             });
                    } else if (sw == 2) {  // the stride as a constant: the vectorizer's even-lane gather
                        emit(j + static_cast<std::size_t>(lo), static_cast<std::size_t>(hi - lo),
                             [&](float* o, std::size_t done, std::size_t n) {
                                 const float* s0 = src + (lo + static_cast<std::ptrdiff_t>(done)) * 2;
                                 for (std::size_t i = 0; i < n; ++i) o[i] = s0[2 * i];
                             });
                    } else {
                        emit(j + static_cast<std::size_t>(lo), static_cast<std::size_t>(hi - lo),
                             [&](float* o, std::size_t done, std::size_t n) {
                                 const float* s0 = src + (lo + static_cast<std::ptrdiff_t>(done)) * sw;
                                 for (std::size_t i = 0; i < n; ++i) o[i] = s0[static_cast<std::ptrdiff_t>(i) * sw];
                             });
                    }
                    zeros(j + static_cast<std::size_t>(hi), seg - static_cast<std::size_t>(hi));
                }
                j += seg;
                ox += seg;
                if (ox == G.out_w) ox = 0, ++oy;
            }
            if (ncb % NR) zeros(ncb, NR - ncb % NR);
        }
    }
};

namespace detail {

/// Stores an MT x (NV vectors) tile of accumulators to C (row stride ldc): its first mv rows and
/// ncols columns, after adding C (load_c) and, when `last`, the row bias, the column bias and the
/// activation (with its post-activation affine and per-column affine). Shared by every FP32 micro-kernel, inlined into
/// each (MOIR_ALWAYS_INLINE: its accumulators stay in registers).
template <class Arch, class Act, std::size_t MT, class R, std::size_t NV>
MOIR_ALWAYS_INLINE void store_tile(R (&acc)[MT][NV], float* c, std::ptrdiff_t ldc, std::size_t mv, std::size_t ncols, bool load_c,
                bool last, const epilogue& e, const float* rbias, const float* cbias) {
    using V = vec<Arch>;
    constexpr std::size_t W = V::width, NR = NV * W;
    // the per-column affine after the activation (e.col_scale: set only with col_bias, so that the
    // tile's first column is cbias - e.col_bias)
    const float* csc = e.col_scale && cbias ? e.col_scale + (cbias - e.col_bias) : nullptr;
    const float* csh = csc ? e.col_shift + (cbias - e.col_bias) : nullptr;
    // leaky's slopes per row or per column (e.slope with bias, e.col_slope with col_bias, located as
    // the column affine is); otherwise e.lo
    constexpr bool sloped = std::is_same_v<Act, act::leaky>;
    const float* rsl = sloped && e.slope && rbias ? e.slope + (rbias - e.bias) : nullptr;
    const float* csl = sloped && e.col_slope && cbias ? e.col_slope + (cbias - e.col_bias) : nullptr;
    if (mv == MT && ncols == NR) {
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MT; ++i) {
            float* cr = c + static_cast<std::ptrdiff_t>(i) * ldc;
            R row_slope = V::zero();
            if constexpr (sloped) row_slope = V::set1(rsl ? rsl[i] : e.lo);
#pragma GCC unroll 8
            for (std::size_t v = 0; v < NV; ++v) {
                R x = acc[i][v];
                if (load_c) x = x + V::load(cr + v * W);
                if (last) {
                    if (rbias) x = x + V::set1(rbias[i]);
                    if (cbias) x = x + V::load(cbias + v * W);
                    if (e.residual) x = x + V::load(e.residual + (cr + v * W - e.residual_origin));
                    x = activate_sloped<Act, V>(x, e, csl ? V::load(csl + v * W) : row_slope);
                    if (csc) x = V::fma(x, V::load(csc + v * W), V::load(csh + v * W));
                }
                V::store(cr + v * W, x);
            }
        }
        return;
    }
    for (std::size_t i = 0; i < mv; ++i) {
        float* cr = c + static_cast<std::ptrdiff_t>(i) * ldc;
        R row_slope = V::zero();
        if constexpr (sloped) row_slope = V::set1(rsl ? rsl[i] : e.lo);
        for (std::size_t v = 0; v < NV && v * W < ncols; ++v) {
            const std::size_t n = ncols - v * W < W ? ncols - v * W : W;
            R x = acc[i][v];
            if (load_c) x = x + (n == W ? V::load(cr + v * W) : V::load_partial(cr + v * W, n));
            if (last) {
                if (rbias) x = x + V::set1(rbias[i]);
                if (cbias) x = x + (n == W ? V::load(cbias + v * W) : V::load_partial(cbias + v * W, n));
                if (e.residual) {
                    const float* r = e.residual + (cr + v * W - e.residual_origin);
                    x = x + (n == W ? V::load(r) : V::load_partial(r, n));
                }
                const R slope = csl ? (n == W ? V::load(csl + v * W) : V::load_partial(csl + v * W, n)) : row_slope;
                x = activate_sloped<Act, V>(x, e, slope);
                if (csc) {
                    const float* sc = csc + v * W;
                    const float* sh = csh + v * W;
                    x = V::fma(x, n == W ? V::load(sc) : V::load_partial(sc, n), n == W ? V::load(sh) : V::load_partial(sh, n));
                }
            }
            if (n == W)
                V::store(cr + v * W, x);
            else
                V::store_partial(cr + v * W, x, n);
        }
    }
}

/// The micro-kernel: C tile [mv <= MR rows, ncols <= NR columns] at c (row stride ldc) =
/// (load_c ? C : 0) + sum_{k < kb} A(i, k) * b[k*NR + j], then, when `last`, the epilogue.
/// A(i, k) = a[k*MR + i] when APacked, else a[min(i, mv-1)*lda + k]. MT <= MR: the rows computed
/// (edge tiles with few rows use a smaller MT, so M = 1 does not pay for MR rows).
template <class Arch, class Act, bool APacked, std::size_t MT = blocking_of<Arch>().mr>
struct micro_kernel {
    using V = vec<Arch>;
    using R = typename V::reg;
    static constexpr gemm_blocking bl = blocking_of<Arch>();
    static constexpr std::size_t MR = bl.mr, NV = bl.nv, W = V::width, NR = NV * W;

    static void run(std::size_t kb, const float* a, std::ptrdiff_t lda, const float* b, float* c, std::ptrdiff_t ldc,
                    std::size_t mv, std::size_t ncols, bool load_c, bool last, const epilogue& e, const float* rbias,
                    const float* cbias) {
        R acc[MT][NV];
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MT; ++i)
#pragma GCC unroll 8
            for (std::size_t v = 0; v < NV; ++v) acc[i][v] = V::zero();
        if constexpr (APacked) {
            for (std::size_t k = 0; k < kb; ++k, a += MR, b += NR) {
                R bv[NV];
#pragma GCC unroll 8
                for (std::size_t v = 0; v < NV; ++v) bv[v] = V::load(b + v * W);
#pragma GCC unroll 16
                for (std::size_t i = 0; i < MT; ++i) {
                    const R ai = V::set1(a[i]);
#pragma GCC unroll 8
                    for (std::size_t v = 0; v < NV; ++v) acc[i][v] = V::fma(ai, bv[v], acc[i][v]);
                }
            }
        } else {
            const float* ar[MT];
#pragma GCC unroll 16
            for (std::size_t i = 0; i < MT; ++i) ar[i] = a + static_cast<std::ptrdiff_t>(i < mv ? i : mv - 1) * lda;
            for (std::size_t k = 0; k < kb; ++k, b += NR) {
                R bv[NV];
#pragma GCC unroll 8
                for (std::size_t v = 0; v < NV; ++v) bv[v] = V::load(b + v * W);
#pragma GCC unroll 16
                for (std::size_t i = 0; i < MT; ++i) {
                    const R ai = V::set1(ar[i][k]);
#pragma GCC unroll 8
                    for (std::size_t v = 0; v < NV; ++v) acc[i][v] = V::fma(ai, bv[v], acc[i][v]);
                }
            }
        }
        store_tile<Arch, Act, MT>(acc, c, ldc, mv, ncols, load_c, last, e, rbias, cbias);
    }
};

/// One tile of mv rows: the micro-kernel with the fewest computed rows that covers mv.
template <class Arch, class Act, bool APacked, class... Args>
void run_tile(std::size_t mv, const Args&... args) {
    constexpr std::size_t MR = blocking_of<Arch>().mr;
    if (mv == MR || MR <= 2)
        micro_kernel<Arch, Act, APacked, MR>::run(args...);
    else if (mv == 1)
        micro_kernel<Arch, Act, APacked, 1>::run(args...);
    else if (mv == 2)
        micro_kernel<Arch, Act, APacked, 2>::run(args...);
    else if (mv <= 4 && MR > 4)
        micro_kernel<Arch, Act, APacked, 4>::run(args...);
    else
        micro_kernel<Arch, Act, APacked, MR>::run(args...);
}

/// gemm_a's driver over one group: C[M, N] = act(A * B + bias) with A = the group's packed panels.
template <class Arch, class Act, class Source>
void gemm_a_run(const packed_a& pa, const float* a_data, const Source& src, std::size_t n, float* c, std::ptrdiff_t ldc,
                const epilogue& e, float* scratch) {
    using mk = micro_kernel<Arch, Act, true>;
    constexpr std::size_t MR = mk::MR, NR = mk::NR, KC = mk::bl.kc;
    const std::size_t m = pa.m, k = pa.k, mpad = round_up(m, MR);
    const std::size_t nc = gemm_nc(mk::bl, k, n);
    for (std::size_t jc = 0; jc < n; jc += nc) {
        const std::size_t ncb = n - jc < nc ? n - jc : nc;
        for (std::size_t pc = 0; pc < k; pc += KC) {
            const std::size_t kb = k - pc < KC ? k - pc : KC;
            src.template pack<NR>(pc, kb, jc, ncb, scratch);
            const float* block = a_data + pc * mpad;
            for (std::size_t ic = 0; ic < m; ic += MR) {
                const std::size_t mv = m - ic < MR ? m - ic : MR;
                const float* ap = block + ic * kb;
                float* crow = c + static_cast<std::ptrdiff_t>(ic) * ldc + static_cast<std::ptrdiff_t>(jc);
                for (std::size_t jr = 0; jr < ncb; jr += NR)
                    run_tile<Arch, Act, true>(mv, kb, ap, 0, scratch + jr * kb, crow + jr, ldc, mv,
                                              ncb - jr < NR ? ncb - jr : NR, pc > 0, pc + kb == k, e,
                                              e.bias ? e.bias + ic : nullptr,
                                              e.col_bias ? e.col_bias + jc + jr : nullptr);
            }
        }
    }
}

}  // namespace detail

/// C[M, N] = act(A * B + bias), A packed by pack_a with blocking_of<Arch>() (group 0 when A has groups).
/// requires: b is B[K, N] with row stride ldb (unit column stride); c has M rows of stride ldc >= N;
/// scratch holds gemm_a_scratch_floats(blocking, K, N) floats (64-byte aligned is best), not aliasing
/// b or c. e.bias: nullptr or M values (per row); e.col_bias: nullptr or N values.
template <class Arch, class StaticAct = dynamic_activation>
void gemm_a(const packed_a& a, const float* b, std::ptrdiff_t ldb, std::size_t n, float* c, std::ptrdiff_t ldc,
            const epilogue& e, float* scratch) {
    if (n == 0) return;
    with_activation_as<StaticAct>(e.act, [&](auto act) {
        detail::gemm_a_run<Arch, decltype(act)>(a, a.data, matrix_source{b, ldb, 1}, n, c, ldc, e, scratch);
    });
}

/// C[M, N] = act(A * B + bias), B packed by pack_b with blocking_of<Arch>().
/// requires: a is A[M, K] with row stride lda (unit column stride); c has M rows of stride ldc >= N.
/// No scratch. e.bias: nullptr or M values; e.col_bias: nullptr or N values (MatMul + Add of a [N] bias).
template <class Arch, class StaticAct = dynamic_activation>
void gemm_b(const packed_b& pb, const float* a, std::ptrdiff_t lda, std::size_t m, float* c, std::ptrdiff_t ldc,
            const epilogue& e) {
    if (m == 0) return;
    with_activation_as<StaticAct>(e.act, [&](auto act) {
        using mk = detail::micro_kernel<Arch, decltype(act), false>;
        constexpr std::size_t MR = mk::MR, NR = mk::NR, KC = mk::bl.kc;
        const std::size_t k = pb.k, n = pb.n, npad = detail::round_up(n, NR);
        // columns in blocks of gemm_nc (a kc x nc block of B, about 256 KiB, stays in L2 while every
        // row panel of A passes over it, instead of all of B's K block streaming from L3 per panel)
        const std::size_t nc = gemm_nc(mk::bl, k, n);
        for (std::size_t pc = 0; pc < k; pc += KC) {
            const std::size_t kb = k - pc < KC ? k - pc : KC;
            const float* block = pb.data + pc * npad;
            for (std::size_t jc = 0; jc < n; jc += nc) {
                const std::size_t jend = n - jc < nc ? n : jc + nc;
                for (std::size_t ic = 0; ic < m; ic += MR) {
                    const std::size_t mv = m - ic < MR ? m - ic : MR;
                    const float* ap = a + static_cast<std::ptrdiff_t>(ic) * lda + static_cast<std::ptrdiff_t>(pc);
                    float* crow = c + static_cast<std::ptrdiff_t>(ic) * ldc;
                    for (std::size_t jr = jc; jr < jend; jr += NR)
                        detail::run_tile<Arch, decltype(act), false>(
                            mv, kb, ap, lda, block + jr * kb, crow + jr, ldc, mv, n - jr < NR ? n - jr : NR, pc > 0,
                            pc + kb == k, e, e.bias ? e.bias + ic : nullptr, e.col_bias ? e.col_bias + jr : nullptr);
                }
            }
        }
    });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_GEMM_HPP
