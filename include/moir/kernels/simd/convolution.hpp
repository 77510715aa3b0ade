#ifndef MOIR_KERNELS_SIMD_CONVOLUTION_HPP
#define MOIR_KERNELS_SIMD_CONVOLUTION_HPP

// FP32 2-D convolution, NCHW, one image, as GEMM: per group, out[out_c, oh*ow] =
// W[out_c, in_c*kh*kw] * im2col(x)[in_c*kh*kw, oh*ow], W packed once by pack_conv. The im2col matrix
// is never materialized: the GEMM's B-packing step reads it from the image a kc x nc block at a time,
// so scratch stays small. A 1x1, stride-1, unpadded convolution (geometry.pointwise()) packs straight
// from the input, i.e. it is the plain GEMM. Any groups, strides, dilations, paddings (asymmetric:
// the bottom/right pad is whatever out_h/out_w imply). For depthwise convolutions prefer
// kernels/simd/depthwise.hpp (this form works, but as G GEMMs with M = K... = 1).
//
// The direct path (conv_rows, stride 1, one group): each input channel keeps a ring of the
// zero-padded input rows the current output row reads (kh rows for an undilated kernel) in scratch;
// row k = (c, ky, kx) of the im2col matrix, for one output row, is then a contiguous run of that ring
// at an offset fixed per (output row mod ring size), so the micro-kernel loads its B vectors straight
// from it. Nothing is packed per column and each input row is copied once (the ring stays in L2):
// per output pixel in_c floats move instead of in_c*kh*kw, which is what makes small-M convolutions
// (PP-OCR det's 96 -> 24 3x3 head) compute-bound instead of bound by the im2col traffic.

#include <moir/kernels/simd/gemm.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstdint>  // int32_t
#include <cstring>  // memcpy, memset

namespace moir::kernels::simd {

/// Floats of scratch conv needs.
inline std::size_t conv_scratch_floats(const packed_conv& p) {
    const conv_geometry& g = p.geometry;
    return gemm_a_scratch_floats(p.weights.blocking, g.in_c * g.kh * g.kw, g.out_h * g.out_w);
}

/// Output columns (pixels) [c0, c1) of every output channel of y = act(conv(x, W) + bias), one
/// image: workers given disjoint column ranges of one convolution share its packed weights and each
/// packs only its own share of the im2col matrix.
/// requires: p packed by pack_conv with blocking_of<Arch>(); x holds groups*in_c*in_h*in_w floats
/// (CHW), y groups*out_c*out_h*out_w floats (not aliasing x; only the range's cells are written);
/// c0 <= c1 <= out_h*out_w; scratch conv_scratch_floats(p) floats; e.bias nullptr or groups*out_c
/// values (per output channel); e.col_bias unused (must be nullptr).
template <class Arch, class StaticAct = dynamic_activation>
void conv_columns(const packed_conv& p, const float* x, float* y, const epilogue& e, float* scratch, std::size_t c0,
                  std::size_t c1) {
    const conv_geometry& g = p.geometry;
    const std::size_t n = g.out_h * g.out_w, in_plane = g.in_h * g.in_w;
    if (c1 <= c0) return;
    with_activation_as<StaticAct>(e.act, [&](auto act) {
        using Act = decltype(act);
        for (std::size_t gi = 0; gi < g.groups; ++gi) {
            const epilogue eg = e.rows_from(gi * g.out_c);
            const float* wg = p.weights.data + gi * p.weights.group_stride;
            const float* xg = x + gi * g.in_c * in_plane;
            float* yg = y + gi * g.out_c * n + c0;
            if (g.pointwise()) {
                const matrix_source src{xg + c0, static_cast<std::ptrdiff_t>(in_plane), 1};
                detail::gemm_a_run<Arch, Act>(p.weights, wg, src, c1 - c0, yg, static_cast<std::ptrdiff_t>(n), eg,
                                              scratch);
            } else {
                detail::gemm_a_run<Arch, Act>(p.weights, wg, im2col_source{xg, &g, c0}, c1 - c0, yg,
                                              static_cast<std::ptrdiff_t>(n), eg, scratch);
            }
        }
    });
}

/// Floats of scratch conv_rows needs: the rings of padded rows plus a tile of slack.
inline std::size_t conv_rows_scratch_floats(const packed_conv& p) {
    return p.geometry.in_c * p.direct_span * p.direct_width + p.weights.blocking.nr() + 16;
}

namespace detail {

/// d[0, n) = s[0, n), by whole vectors and one partial one: the padded rows of the direct and plane
/// paths are a few dozen floats, where a call to memcpy per row cost more than the copy.
template <class Arch>
inline void copy_floats(float* d, const float* s, std::size_t n) {
    using V = vec<Arch>;
    constexpr std::size_t W = V::width;
    std::size_t i = 0;
    for (; i + W <= n; i += W) V::store(d + i, V::load(s + i));
    if (i < n) V::store_partial(d + i, V::load_partial(s + i, n - i), n - i);
}

/// d[0, n) = 0, as copy_floats.
template <class Arch>
inline void zero_floats(float* d, std::size_t n) {
    using V = vec<Arch>;
    constexpr std::size_t W = V::width;
    std::size_t i = 0;
    for (; i + W <= n; i += W) V::store(d + i, V::zero());
    if (i < n) V::store_partial(d + i, V::zero(), n - i);
}

/// A padded row of `width` floats at d: `left` zeros, `copy` floats from s, zeros to the end.
/// requires: left + copy <= width.
template <class Arch>
inline void padded_row(float* d, const float* s, std::size_t left, std::size_t copy, std::size_t width) {
    zero_floats<Arch>(d, left);
    copy_floats<Arch>(d + left, s, copy);
    zero_floats<Arch>(d + left + copy, width - left - copy);
}

/// The direct micro-kernel: an MT x (NV vectors: NR floats by default) tile of C = (load_c ? C : 0)
/// + A x B over kb values of K, with A packed (a[k*MR + i]) and B's row k the NV vectors at b + off[k];
/// then, when `last`, the epilogue.
template <class Arch, class Act, std::size_t MT, std::size_t NV = blocking_of<Arch>().nv>
void direct_tile(std::size_t kb, const float* a, const std::int32_t* off, const float* b, float* c, std::ptrdiff_t ldc,
                 std::size_t mv, std::size_t ncols, bool load_c, bool last, const epilogue& e, const float* rbias) {
    using V = vec<Arch>;
    using R = typename V::reg;
    constexpr std::size_t MR = blocking_of<Arch>().mr, W = V::width;
    R acc[MT][NV];
#pragma GCC unroll 16
    for (std::size_t i = 0; i < MT; ++i)
#pragma GCC unroll 8
        for (std::size_t v = 0; v < NV; ++v) acc[i][v] = V::zero();
    for (std::size_t kk = 0; kk < kb; ++kk, a += MR) {
        const float* bk = b + off[kk];
        R bv[NV];
#pragma GCC unroll 8
        for (std::size_t v = 0; v < NV; ++v) bv[v] = V::load(bk + v * W);
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MT; ++i) {
            const R ai = V::set1(a[i]);
#pragma GCC unroll 8
            for (std::size_t v = 0; v < NV; ++v) acc[i][v] = V::fma(ai, bv[v], acc[i][v]);
        }
    }
    store_tile<Arch, Act, MT>(acc, c, ldc, mv, ncols, load_c, last, e, rbias, nullptr);
}

/// direct_tile with nv (1 <= nv <= NV) vectors of columns: an edge tile computes (and loads) only
/// the vectors its columns touch.
template <class Arch, class Act, std::size_t MT, std::size_t NV = blocking_of<Arch>().nv>
void direct_tile_n(std::size_t nv, std::size_t kb, const float* a, const std::int32_t* off, const float* b, float* c,
                   std::ptrdiff_t ldc, std::size_t mv, std::size_t ncols, bool load_c, bool last, const epilogue& e,
                   const float* rbias) {
    if constexpr (NV > 1) {
        if (nv < NV) {
            direct_tile_n<Arch, Act, MT, NV - 1>(nv, kb, a, off, b, c, ldc, mv, ncols, load_c, last, e, rbias);
            return;
        }
    }
    direct_tile<Arch, Act, MT, NV>(kb, a, off, b, c, ldc, mv, ncols, load_c, last, e, rbias);
}

/// direct_tile_n (nv vectors of columns) for a block of mv <= MR output channels: the MR-row tile,
/// except that a last block of one or two rows takes the 1- or 2-row tile when MR is wider (less work
/// on padding rows).
template <class Arch, class Act, std::size_t MR>
void direct_tile_rows(std::size_t nv, std::size_t kb, const float* a, const std::int32_t* off, const float* b, float* c,
                      std::ptrdiff_t ldc, std::size_t mv, std::size_t ncols, bool load_c, bool last, const epilogue& e,
                      const float* rbias) {
    if (MR > 2 && mv == 1)
        direct_tile_n<Arch, Act, 1>(nv, kb, a, off, b, c, ldc, mv, ncols, load_c, last, e, rbias);
    else if (MR > 2 && mv == 2)
        direct_tile_n<Arch, Act, 2>(nv, kb, a, off, b, c, ldc, mv, ncols, load_c, last, e, rbias);
    else
        direct_tile_n<Arch, Act, MR>(nv, kb, a, off, b, c, ldc, mv, ncols, load_c, last, e, rbias);
}

}  // namespace detail

/// C[M, N] = act(A * B + bias), bit for bit as gemm_a computes it (the same K blocks, each column's
/// sums in the same order), but with B read where it lies instead of packed: the direct micro-kernel
/// loads row k of a tile at b + k*ldb + j. For a B that is in cache already and read once (the band
/// of depthwise output of depthwise_pointwise_step) this saves gemm_a's copy of B.
/// requires: a packed by pack_a with blocking_of<Arch>() (group 0 when A has groups); b is B[K, N]
/// with row stride ldb >= N (unit column stride), readable up to width - 1 floats past its last
/// element (a row's last vector is loaded whole); c has M rows of stride ldc >= N, not aliasing b.
/// e.bias: nullptr or M values; e.col_bias unused (must be nullptr).
template <class Arch, class StaticAct = dynamic_activation>
void gemm_a_inplace(const packed_a& a, const float* b, std::ptrdiff_t ldb, std::size_t n, float* c, std::ptrdiff_t ldc,
                    const epilogue& e) {
    constexpr gemm_blocking bl = blocking_of<Arch>();
    constexpr std::size_t MR = bl.mr, NR = bl.nr(), W = vec<Arch>::width, KC = bl.kc;
    const std::size_t m = a.m, k = a.k, mpad = detail::round_up(m, MR);
    if (n == 0 || m == 0) return;
    std::int32_t off[KC];
    with_activation_as<StaticAct>(e.act, [&](auto act) {
        using Act = decltype(act);
        for (std::size_t pc = 0; pc < k; pc += KC) {
            const std::size_t kb = k - pc < KC ? k - pc : KC;
            for (std::size_t kk = 0; kk < kb; ++kk) off[kk] = static_cast<std::int32_t>(static_cast<std::ptrdiff_t>(pc + kk) * ldb);
            const float* block = a.data + pc * mpad;
            for (std::size_t jr = 0; jr < n; jr += NR) {
                const std::size_t ncols = n - jr < NR ? n - jr : NR, nv = (ncols + W - 1) / W;
                for (std::size_t ic = 0; ic < m; ic += MR) {
                    const std::size_t mv = m - ic < MR ? m - ic : MR;
                    const float* ap = block + ic * kb;
                    float* ct = c + static_cast<std::ptrdiff_t>(ic) * ldc + static_cast<std::ptrdiff_t>(jr);
                    const float* rb = e.bias ? e.bias + ic : nullptr;
                    const bool load_c = pc > 0, last = pc + kb == k;
                    detail::direct_tile_rows<Arch, Act, MR>(nv, kb, ap, off, b + jr, ct, ldc, mv, ncols, load_c, last, e,
                                                            rb);
                }
            }
        }
    });
}

/// Output rows [r0, r1) of every output channel of y = act(conv(x, W) + bias), one image, on the
/// direct path (see the file comment): workers given disjoint row ranges share the packed weights.
/// requires: p packed by pack_conv_direct with blocking_of<Arch>(); r0 <= r1 <= out_h; x holds
/// in_c*in_h*in_w floats, y out_c*out_h*out_w (not aliasing x; only rows [r0, r1) are written);
/// scratch conv_rows_scratch_floats(p) floats; e.bias nullptr or out_c values; e.col_bias unused.
template <class Arch, class StaticAct = dynamic_activation>
void conv_rows(const packed_conv& p, const float* x, float* y, const epilogue& e, float* scratch, std::size_t r0,
               std::size_t r1) {
    const conv_geometry& g = p.geometry;
    if (r1 <= r0) return;
    const std::size_t pw = p.direct_width, span = p.direct_span, pl = static_cast<std::size_t>(g.pl);
    const std::size_t left = pl < pw ? pl : pw, copy = pl < pw ? (g.in_w < pw - pl ? g.in_w : pw - pl) : 0;
    // padded row r (input row r - pt) of every channel into its ring slot r mod span
    auto fill = [&](std::size_t r) {
        const auto iy = static_cast<std::ptrdiff_t>(r) - g.pt;
        const bool inside = iy >= 0 && iy < static_cast<std::ptrdiff_t>(g.in_h);
        for (std::size_t c = 0; c < g.in_c; ++c) {
            float* d = scratch + (c * span + r % span) * pw;
            if (!inside)
                detail::zero_floats<Arch>(d, pw);
            else
                detail::padded_row<Arch>(d, x + (c * g.in_h + static_cast<std::size_t>(iy)) * g.in_w, left, copy, pw);
        }
    };
    for (std::size_t r = r0; r + 1 < r0 + span; ++r) fill(r);
    // the last tile of the last slot reads up to a tile past the rings
    std::memset(scratch + g.in_c * span * pw, 0, (p.weights.blocking.nr() + 16) * sizeof(float));
    // K in slices whose A panels (every output channel) stay in L1 while a whole output row of
    // tiles passes over them; partial sums go through y
    constexpr gemm_blocking bl = blocking_of<Arch>();
    constexpr std::size_t MR = bl.mr, NR = bl.nr(), KC = bl.kc;
    const std::size_t m = p.weights.m, k = p.weights.k, mpad = detail::round_up(m, MR), out_plane = g.out_h * g.out_w;
    const std::size_t slice = 4096 / mpad > 32 ? 4096 / mpad : 32;
    const auto ldc = static_cast<std::ptrdiff_t>(out_plane);
    with_activation_as<StaticAct>(e.act, [&](auto act) {
        using Act = decltype(act);
        for (std::size_t oy = r0; oy < r1; ++oy) {
            fill(oy + span - 1);
            const float* brow = scratch;
            const std::int32_t* off = p.offsets() + (oy % span) * k;
            for (std::size_t pc = 0; pc < k; pc += KC) {
                const std::size_t kb = k - pc < KC ? k - pc : KC;
                for (std::size_t s0 = 0; s0 < kb; s0 += slice) {
                    const std::size_t ks = kb - s0 < slice ? kb - s0 : slice;
                    const bool load_c = pc + s0 > 0, last = pc + s0 + ks == k;
                    const std::int32_t* o = off + pc + s0;
                    for (std::size_t ox = 0; ox < g.out_w; ox += NR) {
                        const std::size_t ncols = g.out_w - ox < NR ? g.out_w - ox : NR;
                        for (std::size_t ic = 0; ic < m; ic += MR) {
                            const std::size_t mv = m - ic < MR ? m - ic : MR;
                            const float* a = p.weights.data + pc * mpad + ic * kb + s0 * MR;
                            float* c = y + ic * out_plane + oy * g.out_w + ox;
                            const float* rb = e.bias ? e.bias + ic : nullptr;
                            detail::direct_tile_rows<Arch, Act, MR>(bl.nv, ks, a, o, brow + ox, c, ldc, mv, ncols, load_c, last,
                                                                    e, rb);
                        }
                    }
                }
            }
        }
    });
}

/// Floats of scratch conv_plane needs: a block's padded input planes, slack for the last tile's
/// reads, and (when the padded row is wider than the output row) the block's output before it is
/// compacted into y.
inline std::size_t conv_plane_scratch_floats(const packed_conv& p) {
    const conv_geometry& g = p.geometry;
    const std::size_t pw = p.direct_width, rows = p.plane_rows, span = p.direct_span;
    const std::size_t nr = p.weights.blocking.nr(), mpad = detail::round_up(p.weights.m, p.weights.blocking.mr);
    const std::size_t planes = detail::round_up(g.in_c * (rows + span - 1) * pw + nr + pw + 16, 16);
    return planes + (pw != g.out_w ? mpad * detail::round_up(rows * pw, 16) : 0);
}

/// Output rows [r0, r1) of every output channel of y = act(conv(x, W) + bias), one image, on the
/// plane path: for images narrower than a few micro-tiles, where the direct path's tiles (one output
/// row each) would be mostly padding. Blocks of p.plane_rows output rows: their zero-padded input rows
/// are copied into one contiguous plane per channel (rows direct_width = out_w + (kw-1)*dw floats
/// wide), so that output pixel (oy, ox) of the block is column oy*direct_width + ox of a GEMM whose
/// row k = (c, ky, kx) is that plane read at a fixed offset: one micro-tile spans several output rows
/// and the B vectors load straight from the planes. The columns ox >= out_w of each padded row are
/// computed and dropped (when direct_width == out_w there are none and the tiles store into y).
/// requires: p packed by pack_conv_plane with blocking_of<Arch>(); r0 <= r1 <= out_h; x holds
/// in_c*in_h*in_w floats, y out_c*out_h*out_w (not aliasing x; only rows [r0, r1) are written);
/// scratch conv_plane_scratch_floats(p) floats; e.bias nullptr or out_c values; e.col_bias unused.
template <class Arch, class StaticAct = dynamic_activation>
void conv_plane(const packed_conv& p, const float* x, float* y, const epilogue& e, float* scratch, std::size_t r0,
                std::size_t r1) {
    const conv_geometry& g = p.geometry;
    if (r1 <= r0) return;
    constexpr gemm_blocking bl = blocking_of<Arch>();
    constexpr std::size_t MR = bl.mr, NR = bl.nr(), KC = bl.kc, W = vec<Arch>::width;
    const std::size_t pw = p.direct_width, span = p.direct_span, R = p.plane_rows, pl = static_cast<std::size_t>(g.pl);
    const std::size_t left = pl < pw ? pl : pw, copy = pl < pw ? (g.in_w < pw - pl ? g.in_w : pw - pl) : 0;
    const std::size_t channel = (R + span - 1) * pw, planes_end = g.in_c * channel;
    const std::size_t m = p.weights.m, k = p.weights.k, mpad = detail::round_up(m, MR), out_plane = g.out_h * g.out_w;
    const bool compact = pw != g.out_w;
    float* cbuf = scratch + detail::round_up(planes_end + NR + pw + 16, 16);
    const std::size_t cstride = detail::round_up(R * pw, 16);
    // the tiles of a block's last columns read past the planes: keep that slack finite
    std::memset(scratch + planes_end, 0, (NR + pw + 16) * sizeof(float));
    const std::size_t slice = 4096 / mpad > 32 ? 4096 / mpad : 32;
    const std::int32_t* off = p.offsets();
    // reading x in place (p.plane_inplace): K row q = (c, ky, kx) of a block starting at input row iy0
    // is x + iy0*in_w + c*(in_h*in_w) + ky*dh*in_w, i.e. its plane offset moved by c planes' difference
    const bool inplace_ok = p.plane_inplace && g.kw == 1 && g.pl == 0 && pw == g.in_w;
    const std::size_t in_plane = g.in_h * g.in_w, taps = g.kh * g.kw;
    std::int32_t moved[KC];
    with_activation_as<StaticAct>(e.act, [&](auto act) {
        using Act = decltype(act);
        for (std::size_t rb = r0; rb < r1; rb += R) {
            const std::size_t rows = r1 - rb < R ? r1 - rb : R, cols = rows * pw;
            const std::ptrdiff_t iy0 = static_cast<std::ptrdiff_t>(rb) - g.pt;
            const bool inplace = inplace_ok && iy0 >= 0 &&
                                 iy0 + static_cast<std::ptrdiff_t>(rows + span - 1) <= static_cast<std::ptrdiff_t>(g.in_h);
            // else padded rows rb .. rb + R + span - 2 of every channel (those past the block: zeros)
            for (std::size_t c = 0; c < g.in_c && !inplace; ++c) {
                for (std::size_t i = 0; i < R + span - 1; ++i) {
                    float* d = scratch + c * channel + i * pw;
                    const auto iy = static_cast<std::ptrdiff_t>(rb + i) - g.pt;
                    if (i >= rows + span - 1 || iy < 0 || iy >= static_cast<std::ptrdiff_t>(g.in_h))
                        detail::zero_floats<Arch>(d, pw);
                    else
                        detail::padded_row<Arch>(d, x + (c * g.in_h + static_cast<std::size_t>(iy)) * g.in_w, left,
                                                 copy, pw);
                }
            }
            const float* bbase = inplace ? x + iy0 * static_cast<std::ptrdiff_t>(g.in_w) : scratch;
            float* cbase = compact ? cbuf : y + rb * g.out_w;
            const auto ldc = static_cast<std::ptrdiff_t>(compact ? cstride : out_plane);
            for (std::size_t pc = 0; pc < k; pc += KC) {
                const std::size_t kb = k - pc < KC ? k - pc : KC;
                if (inplace)
                    for (std::size_t q = 0; q < kb; ++q)
                        moved[q] = off[pc + q] + static_cast<std::int32_t>((pc + q) / taps * (in_plane - channel));
                for (std::size_t s0 = 0; s0 < kb; s0 += slice) {
                    const std::size_t ks = kb - s0 < slice ? kb - s0 : slice;
                    const bool load_c = pc + s0 > 0, last = pc + s0 + ks == k;
                    const std::int32_t* o = inplace ? moved + s0 : off + pc + s0;
                    for (std::size_t j = 0; j < cols; j += NR) {
                        // an edge tile loads only the vectors its columns touch (in place: at most
                        // width - 1 floats past the block's last row)
                        const std::size_t ncols = cols - j < NR ? cols - j : NR, nv = (ncols + W - 1) / W;
                        for (std::size_t ic = 0; ic < m; ic += MR) {
                            const std::size_t mv = m - ic < MR ? m - ic : MR;
                            const float* a = p.weights.data + pc * mpad + ic * kb + s0 * MR;
                            float* c = cbase + static_cast<std::ptrdiff_t>(ic) * ldc + static_cast<std::ptrdiff_t>(j);
                            const float* rbias = e.bias ? e.bias + ic : nullptr;
                            detail::direct_tile_rows<Arch, Act, MR>(nv, ks, a, o, bbase + j, c, ldc, mv, ncols, load_c,
                                                                    last, e, rbias);
                        }
                    }
                }
            }
            if (compact)
                for (std::size_t oc = 0; oc < m; ++oc)
                    for (std::size_t i = 0; i < rows; ++i)
                        detail::copy_floats<Arch>(y + oc * out_plane + (rb + i) * g.out_w, cbuf + oc * cstride + i * pw,
                                                  g.out_w);
        }
    });
}

/// y = act(conv(x, W) + bias) for one image: conv_columns over every column.
/// requires: as conv_columns.
template <class Arch>
void conv(const packed_conv& p, const float* x, float* y, const epilogue& e, float* scratch) {
    conv_columns<Arch>(p, x, y, e, scratch, 0, p.geometry.out_h * p.geometry.out_w);
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_CONVOLUTION_HPP
