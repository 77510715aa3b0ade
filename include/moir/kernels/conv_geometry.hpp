#ifndef MOIR_KERNELS_CONV_GEOMETRY_HPP
#define MOIR_KERNELS_CONV_GEOMETRY_HPP

// The geometry of one 2-D convolution as the kernels see it, shared by the fast kernels
// (kernels/simd/) and their oracles.

#include <cstddef>  // ptrdiff_t, size_t

namespace moir::kernels {

/// The geometry of a 2-D NCHW convolution of one image (N = 1; run the kernel once per image).
/// groups: G; in_c, out_c: channels per group; pads: top (pt) and left (pl), the bottom/right pads
/// follow from out_h/out_w. Output y = out_h x out_w with
///   y[g, o, oy, ox] = sum_{c, ky, kx} x[g, c, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw] * w[g, o, c, ky, kx]
/// (terms outside the input are 0).
struct conv_geometry {
    std::size_t groups = 1, in_c = 1, out_c = 1;
    std::size_t in_h = 1, in_w = 1, out_h = 1, out_w = 1;
    std::size_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
    std::ptrdiff_t pt = 0, pl = 0;
    /// A 1x1, stride-1, unpadded convolution: a plain GEMM over the input.
    bool pointwise() const {
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && pt == 0 && pl == 0 && out_h == in_h && out_w == in_w;
    }
    /// Depthwise: one input and one output channel per group.
    bool depthwise() const { return in_c == 1 && out_c == 1; }
    std::size_t flops() const { return 2 * groups * out_c * in_c * kh * kw * out_h * out_w; }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_CONV_GEOMETRY_HPP
