#ifndef MOIR_CODEGEN_DECONVOLUTION_HPP
#define MOIR_CODEGEN_DECONVOLUTION_HPP

// What a model header written by `moir codegen` (docs/embedded.md) calls for a transposed
// convolution (ConvolutionBackpropData) after its GEMM: the col2im scatter of one image with the
// bias and activation, as runtime/steps/deconvolution.hpp's deconv_step runs it at one thread.
//
// Compiles without exceptions and RTTI; allocates nothing.

#include <moir/codegen/support.hpp>
#include <moir/kernels/simd/bias_activation.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // int64_t

namespace moir::codegen {

/// The geometry of a transposed convolution (deconv_step's fields).
struct deconv_geometry {
    std::size_t cout = 0, ih = 0, iw = 0, oh = 0, ow = 0, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1;
    std::int64_t pt = 0, pl = 0;
    bool disjoint = false;  ///< stride = kernel, dilation 1, no padding: taps never overlap
};

/// y (one image, [cout, oh, ow]) = act(col2im(col) + bias[o]), col = [cout*kh*kw, ih*iw] (the GEMM's
/// output); bias: cout values or nullptr; e: the activation (no bias).
template <class Arch>
void deconv_col2im(const deconv_geometry& d, const float* col, float* y, const float* bias,
                   const simd::epilogue& e) {
    const std::size_t n = d.ih * d.iw, out_plane = d.oh * d.ow;
    for (std::size_t o = 0; o < d.cout; ++o) {
        float* yo = y + o * out_plane;
        const float b = bias ? bias[o] : 0.0f;
        for (std::size_t oy = 0; oy < d.oh; ++oy) {
            float* yr = yo + oy * d.ow;
            if (d.disjoint) {
                const std::size_t iy = oy / d.kh, ky = oy % d.kh;
                const float* c0 = col + ((o * d.kh + ky) * d.kw) * n + iy * d.iw;
                if (d.kw == 2) {
                    const float* c1 = c0 + n;
                    for (std::size_t ix = 0; ix < d.iw; ++ix) yr[2 * ix] = c0[ix], yr[2 * ix + 1] = c1[ix];
                } else {
                    for (std::size_t kx = 0; kx < d.kw; ++kx)
                        for (std::size_t ix = 0; ix < d.iw; ++ix) yr[ix * d.kw + kx] = c0[kx * n + ix];
                }
                simd::bias_activation<Arch>(yr, d.ow, b, e);
                continue;
            }
            for (std::size_t i = 0; i < d.ow; ++i) yr[i] = 0.0f;
            for (std::size_t ky = 0; ky < d.kh; ++ky) {
                const std::int64_t ty = static_cast<std::int64_t>(oy) + d.pt - static_cast<std::int64_t>(ky * d.dh);
                if (ty < 0 || ty % static_cast<std::int64_t>(d.sh) != 0) continue;
                const auto iy = static_cast<std::size_t>(ty / static_cast<std::int64_t>(d.sh));
                if (iy >= d.ih) continue;
                for (std::size_t kx = 0; kx < d.kw; ++kx) {
                    const float* c = col + ((o * d.kh + ky) * d.kw + kx) * n + iy * d.iw;
                    for (std::size_t ix = 0; ix < d.iw; ++ix) {
                        const std::int64_t ox = static_cast<std::int64_t>(ix * d.sw + kx * d.dw) - d.pl;
                        if (ox >= 0 && ox < static_cast<std::int64_t>(d.ow)) yr[ox] += c[ix];
                    }
                }
            }
            simd::bias_activation<Arch>(yr, d.ow, b, e);
        }
    }
}

}  // namespace moir::codegen

#endif  // MOIR_CODEGEN_DECONVOLUTION_HPP
