#ifndef MOIR_KERNELS_SIMD_CONV_PHASED_HPP
#define MOIR_KERNELS_SIMD_CONV_PHASED_HPP

// FP32 strided 2-D convolution of an image with few input channels, NCHW, one image, without an
// im2col matrix: BlazeFace's and MobileNet's first layers (3 channels, 5x5 or 3x3, stride 2), where
// K = in_c*kh*kw is small (27..196) and packing the im2col matrix (K floats per output pixel,
// gathered at stride 2) costs as much as the GEMM on it.
//
// Each padded input row is split into its sw column phases (phase p holds padded columns p, p + sw,
// p + 2*sw, ...: the depthwise kernel's plane rows, kernels/simd/depthwise.hpp), so that output
// column ox of tap kx reads phase kx % sw at index ox + kx / sw: the B row of K row (c, ky, kx) for
// one output row is a contiguous run of a phase, read in place by the micro-kernel (A = the weights packed by pack_conv, broadcast; output pixels across the vector
// lanes). Output rows go in bands: the band's padded rows (every channel) are split once into
// scratch (in_c * ((band-1)*sh + kh) rows of sw phases), so each input value is moved about once
// instead of about kh*kw/sw times, and the tap offsets into a band do not depend on the output row.
//
// The sums are those of the packed-GEMM path (conv_columns): per output element the K products are
// accumulated in K order (c, ky, kx) from 0 with the arch's fma, padding taps included as products
// with 0, then the epilogue on the tile: results are bit-identical to conv_columns on the same arch,
// at any row split.

#include <moir/kernels/simd/convolution.hpp>  // direct_tile
#include <moir/kernels/simd/depthwise.hpp>  // dw_plane, dw_fill_plane: the phase-split rows
#include <moir/kernels/simd/gemm.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstdint>  // int32_t

namespace moir::kernels::simd {

/// The widest kernel window and the most input channels conv_phased takes.
inline constexpr std::size_t phased_max_in_c = 4, phased_max_window = 7;

/// Whether conv_phased can run g with blocking bl: one group, at most 4 input channels, windows up
/// to 7x7 undilated, a horizontal stride of 2 or more (stride 1 is conv_rows'), K within one GEMM
/// K block, non-negative top/left pads.
inline bool phased_conv_fits(const gemm_blocking& bl, const conv_geometry& g) {
    return g.groups == 1 && g.in_c >= 1 && g.in_c <= phased_max_in_c && g.kh <= phased_max_window &&
           g.kw <= phased_max_window && g.dh == 1 && g.dw == 1 && g.sw >= 2 && g.sh >= 1 && g.pt >= 0 && g.pl >= 0 &&
           g.in_c * g.kh * g.kw <= bl.kc;
}

/// The output rows per band of conv_phased for g on an arch of `width`-float vectors: the band's
/// phase-split rows (every channel) within about 96 KiB, at least one.
inline std::size_t phased_band(const conv_geometry& g, std::size_t width) {
    const std::size_t row = g.in_c * detail::dw_plane_of(g, width).row_stride, budget = 24576;
    std::size_t band = 1;
    while (band < g.out_h && (band * g.sh + g.kh) * row <= budget) ++band;
    return band;
}

/// Floats of scratch conv_phased needs for p (packed by pack_conv) on an arch of `width`-float vectors.
inline std::size_t phased_conv_scratch_floats(const packed_conv& p, std::size_t width) {
    const conv_geometry& g = p.geometry;
    return g.in_c * ((phased_band(g, width) - 1) * g.sh + g.kh) * detail::dw_plane_of(g, width).row_stride + width;
}


/// Output rows [r0, r1) of every output channel of y = act(conv(x, W) + bias), one image, on the
/// phase-split path (file comment): workers given disjoint row ranges share the packed weights.
/// requires: phased_conv_fits(blocking_of<Arch>(), p.geometry); p packed by pack_conv with
/// blocking_of<Arch>(); r0 <= r1 <= out_h; x holds in_c*in_h*in_w floats, y out_c*out_h*out_w (not
/// aliasing x; only rows [r0, r1) are written); scratch phased_conv_scratch_floats(p,
/// vec<Arch>::width) floats; e.bias nullptr or out_c values; e.col_bias unused (nullptr); e.residual
/// as for conv_columns.
template <class Arch, class StaticAct = dynamic_activation>
void conv_phased(const packed_conv& p, const float* x, float* y, const epilogue& e, float* scratch, std::size_t r0,
                 std::size_t r1) {
    const conv_geometry& g = p.geometry;
    if (r1 <= r0) return;
    constexpr gemm_blocking bl = blocking_of<Arch>();
    constexpr std::size_t MR = bl.mr, NV = bl.nv, W = vec<Arch>::width;
    const detail::dw_plane d = detail::dw_plane_of(g, W);
    const std::size_t band = phased_band(g, W), rows = (band - 1) * g.sh + g.kh;
    const std::size_t pw = d.phase_len, row = d.row_stride, in_plane = g.in_h * g.in_w;
    const std::size_t k = g.in_c * g.kh * g.kw, m = p.weights.m, out_plane = g.out_h * g.out_w;
    // the tap offsets into a band (row 0 of the output band), K order (c, ky, kx)
    std::int32_t off[phased_max_in_c * phased_max_window * phased_max_window];
    for (std::size_t c = 0, i = 0; c < g.in_c; ++c)
        for (std::size_t ky = 0; ky < g.kh; ++ky)
            for (std::size_t kx = 0; kx < g.kw; ++kx, ++i)
                off[i] = static_cast<std::int32_t>((c * rows + ky) * row + (kx % g.sw) * pw + kx / g.sw);
    // output columns in tiles of whole vectors, as even as nv-vector tiles allow
    const std::size_t vecs = (g.out_w + W - 1) / W, tiles = (vecs + NV - 1) / NV;
    const std::size_t per = vecs / tiles, more = vecs % tiles;
    const auto ldc = static_cast<std::ptrdiff_t>(out_plane);
    with_activation_as<StaticAct>(e.act, [&](auto act) {
        using Act = decltype(act);
        for (std::size_t b0 = r0; b0 < r1; b0 += band) {
            const std::size_t b1 = r1 - b0 < band ? r1 : b0 + band;
            const std::size_t pr0 = b0 * g.sh, pr1 = (b1 - 1) * g.sh + g.kh;  // the padded rows it reads
            for (std::size_t c = 0; c < g.in_c; ++c)
                detail::dw_fill_plane<Arch>(g, d, x + c * in_plane, scratch + c * rows * row, pr0, pr1);
            for (std::size_t oy = b0; oy < b1; ++oy) {
                const float* brow = scratch + (oy - b0) * g.sh * row;
                std::size_t ox = 0;
                for (std::size_t t = 0; t < tiles; ++t) {
                    const std::size_t nv = per + (t < more ? 1 : 0);
                    const std::size_t ncols = g.out_w - ox < nv * W ? g.out_w - ox : nv * W;
                    for (std::size_t ic = 0; ic < m; ic += MR) {
                        const std::size_t mv = m - ic < MR ? m - ic : MR;
                        const float* rb = e.bias ? e.bias + ic : nullptr;
                        detail::direct_tile_n<Arch, Act, MR, NV>(nv, k, p.weights.data + ic * k, off, brow + ox,
                                                                 y + ic * out_plane + oy * g.out_w + ox, ldc, mv, ncols,
                                                                 false, true, e, rb);
                    }
                    ox += nv * W;
                }
            }
        }
    });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_CONV_PHASED_HPP
