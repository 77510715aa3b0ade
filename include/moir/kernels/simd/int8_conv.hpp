#ifndef MOIR_KERNELS_SIMD_INT8_CONV_HPP
#define MOIR_KERNELS_SIMD_INT8_CONV_HPP

// INT8 2-D convolution, NCHW, one image, on the INT8 GEMM (kernels/simd/int8_gemm.hpp): per group,
// out[out_c, oh*ow] = epilogue(Wq[out_c, in_c*kh*kw] * im2col(q)[in_c*kh*kw, oh*ow]) with q the u8
// input. A 1x1, stride-1, unpadded convolution packs straight from the input (the plain GEMM);
// the others build the im2col rows on the fly (taps outside the image read the zero point, i.e.
// the quantized 0.0). Any groups, strides, dilations and paddings. Depthwise convolutions have
// their own kernel (kernels/simd/int8_depthwise.hpp).

#include <moir/kernels/simd/int8_gemm.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstdint>  // uint8_t

namespace moir::kernels::simd {

/// Bytes of scratch int8_conv needs.
inline std::size_t int8_conv_scratch_bytes(const packed_int8_conv& p) {
    const conv_geometry& g = p.geometry;
    return int8_gemm_scratch_bytes(p.weights.at(0).blocking, g.in_c * g.kh * g.kw, g.out_h * g.out_w);
}

/// y = epilogue(conv(q, Wq)) for one image (int8_packing.hpp states the arithmetic).
/// requires: p packed by pack_int8_conv with int8_blocking_of<Arch>(); x holds groups*in_c*in_h*in_w
/// u8 values (CHW), y groups*out_c*out_h*out_w floats; scratch int8_conv_scratch_bytes(p) bytes,
/// 64-byte aligned; e.scale (and e.shift unless nullptr) groups*out_c values, per output channel.
/// StaticAct: as int8_gemm's.
template <class Arch, class StaticAct = dynamic_activation>
void int8_conv(const packed_int8_conv& p, const std::uint8_t* x, float* y, const int8_epilogue& e, void* scratch) {
    const conv_geometry& g = p.geometry;
    const std::size_t n = g.out_h * g.out_w, in_plane = g.in_h * g.in_w;
    with_activation_as<StaticAct>(e.act.act, [&](auto act) {
        using Act = decltype(act);
        for (std::size_t gi = 0; gi < g.groups; ++gi) {
            int8_epilogue eg = e;
            eg.scale = e.scale + gi * g.out_c;
            if (e.shift) eg.shift = e.shift + gi * g.out_c;
            const packed_int8_a& w = p.weights[gi];
            const std::uint8_t* xg = x + gi * g.in_c * in_plane;
            float* yg = y + gi * g.out_c * n;
            if (g.pointwise()) {
                detail::int8_gemm_flavour<Arch, Act>(w, u8_matrix_source{xg, static_cast<std::ptrdiff_t>(in_plane)}, n, yg,
                                                 static_cast<std::ptrdiff_t>(n), eg, scratch);
            } else {
                const u8_im2col_source src{xg, &g, static_cast<std::uint8_t>(w.zero_point)};
                detail::int8_gemm_flavour<Arch, Act>(w, src, n, yg, static_cast<std::ptrdiff_t>(n), eg, scratch);
            }
        }
    });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_INT8_CONV_HPP
