#ifndef MOIR_KERNELS_SIMD_CONVOLUTION_HPP
#define MOIR_KERNELS_SIMD_CONVOLUTION_HPP

// FP32 2-D convolution, NCHW, one image, as GEMM: per group, out[out_c, oh*ow] =
// W[out_c, in_c*kh*kw] * im2col(x)[in_c*kh*kw, oh*ow], W packed once by pack_conv. The im2col matrix
// is never materialized: the GEMM's B-packing step reads it from the image a kc x nc block at a time,
// so scratch stays small. A 1x1, stride-1, unpadded convolution (geometry.pointwise()) packs straight
// from the input, i.e. it is the plain GEMM. Any groups, strides, dilations, paddings (asymmetric:
// the bottom/right pad is whatever out_h/out_w imply). For depthwise convolutions prefer
// kernels/simd/depthwise.hpp (this form works, but as G GEMMs with M = K... = 1).

#include <moir/kernels/simd/gemm.hpp>

#include <cstddef>  // ptrdiff_t, size_t

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
template <class Arch>
void conv_columns(const packed_conv& p, const float* x, float* y, const epilogue& e, float* scratch, std::size_t c0,
                  std::size_t c1) {
    const conv_geometry& g = p.geometry;
    const std::size_t n = g.out_h * g.out_w, in_plane = g.in_h * g.in_w;
    if (c1 <= c0) return;
    with_activation(e.act, [&](auto act) {
        using Act = decltype(act);
        for (std::size_t gi = 0; gi < g.groups; ++gi) {
            epilogue eg = e;
            if (e.bias) eg.bias = e.bias + gi * g.out_c;
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

/// y = act(conv(x, W) + bias) for one image: conv_columns over every column.
/// requires: as conv_columns.
template <class Arch>
void conv(const packed_conv& p, const float* x, float* y, const epilogue& e, float* scratch) {
    conv_columns<Arch>(p, x, y, e, scratch, 0, p.geometry.out_h * p.geometry.out_w);
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_CONVOLUTION_HPP
