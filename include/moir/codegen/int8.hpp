#ifndef MOIR_CODEGEN_INT8_HPP
#define MOIR_CODEGEN_INT8_HPP

// What a model header written by `moir codegen` from an INT8 IR (docs/embedded.md) calls besides
// codegen/support.hpp: views that wrap the header's constant, already packed INT8 weights in the
// INT8 kernels' packed_* structs (kernels/simd/int8_packing.hpp, int8_direct.hpp; no allocation,
// no copy: the kernels read the compensation, the depthwise tables and the direct path's offsets
// through the structs' *_data pointers), one group of the INT8 convolution (kernels/simd/
// int8_conv.hpp's loop body, which the plan's per-group parts call) and the transposition of a
// MatMul's codes, as runtime/steps/int8_convolution.hpp runs them at one thread.
//
// Compiles without exceptions and RTTI; allocates nothing.

#include <moir/codegen/support.hpp>
#include <moir/kernels/simd/int8_conv.hpp>
#include <moir/kernels/simd/int8_depthwise.hpp>
#include <moir/kernels/simd/int8_direct.hpp>
#include <moir/kernels/simd/int8_gemm.hpp>
#include <moir/kernels/simd/int8_quantize.hpp>

#include <cstddef>  // size_t, ptrdiff_t
#include <cstdint>  // int32_t, uint8_t

namespace moir::codegen {

/// Whether blocking b is the one a header was generated for (its fields as numbers).
constexpr bool same_int8_blocking(const simd::int8_blocking& b, std::size_t mr, std::size_t nv, std::size_t width,
                                  std::size_t kgroup, std::size_t a_bytes, std::size_t b_bytes, bool pairs) {
    return b.mr == mr && b.nv == nv && b.width == width && b.kgroup == kgroup && b.a_bytes == a_bytes &&
           b.b_bytes == b_bytes && b.pairs == pairs;
}

/// A packed_int8_a over m x k weights already packed by pack_int8_a with blocking bl at `data`,
/// for activations of zero point zp, with its compensation comp (m values).
inline simd::packed_int8_a view_int8_a(const simd::int8_blocking& bl, std::size_t m, std::size_t k, std::int32_t zp,
                                       const void* data, const std::int32_t* comp) {
    simd::packed_int8_a p;
    p.blocking = bl, p.m = m, p.k = k, p.kp = bl.kpad(k), p.zero_point = zp, p.comp_data = comp, p.data = data;
    return p;
}

/// A packed_int8_depthwise over pack_int8_depthwise's tables at constant data (w: the float
/// weights [C, kh, kw]; row_pairs, row_quads, quad_comp, scale as its fields).
inline simd::packed_int8_depthwise view_int8_depthwise(const simd::conv_geometry& g, std::int32_t zp, const float* w,
                                                       const std::int32_t* row_pairs, const std::int32_t* row_quads,
                                                       const std::int32_t* quad_comp, const float* scale) {
    simd::packed_int8_depthwise p;
    p.geometry = g, p.zero_point = zp;
    p.w = view_depthwise(g, w);
    p.row_pairs_data = row_pairs, p.row_quads_data = row_quads, p.quad_comp_data = quad_comp, p.scale_data = scale;
    return p;
}

/// A packed_int8_direct over pack_int8_direct's weights (a) and tap offsets (off) at constant data.
inline simd::packed_int8_direct view_int8_direct(const simd::conv_geometry& g, std::size_t phases, std::size_t cg,
                                                 std::size_t hp, std::size_t wp, simd::packed_int8_a a,
                                                 const std::ptrdiff_t* off) {
    simd::packed_int8_direct p;
    p.geometry = g, p.phases = phases, p.cg = cg, p.hp = hp, p.wp = wp;
    p.a = static_cast<simd::packed_int8_a&&>(a);
    p.off_data = off;
    return p;
}

/// One group of an INT8 convolution of geometry g (g.groups == 1) with weights w: int8_conv's loop
/// body (kernels/simd/int8_conv.hpp), which the plan runs on each of a layer's parts. StaticAct and
/// Flavour: as simd::int8_gemm's (a header names both: only that activation and flavour are compiled).
template <class Arch, class StaticAct = simd::dynamic_activation, class Flavour = simd::dynamic_flavour>
void int8_conv(const simd::packed_int8_a& w, const simd::conv_geometry& g, const std::uint8_t* x, float* y,
               const simd::int8_epilogue& e, void* scratch) {
    const std::size_t n = g.out_h * g.out_w, in_plane = g.in_h * g.in_w;
    const auto ld = static_cast<std::ptrdiff_t>(n);
    simd::with_activation_as<StaticAct>(e.act.act, [&](auto act) {
        using Act = decltype(act);
        if (g.pointwise()) {
            const simd::u8_matrix_source src{x, static_cast<std::ptrdiff_t>(in_plane)};
            simd::detail::int8_gemm_flavour<Arch, Act, simd::u8_matrix_source, Flavour>(w, src, n, y, ld, e, scratch);
        } else {
            const simd::u8_im2col_source src{x, &g, static_cast<std::uint8_t>(w.zero_point)};
            simd::detail::int8_gemm_flavour<Arch, Act, simd::u8_im2col_source, Flavour>(w, src, n, y, ld, e, scratch);
        }
    });
}

/// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols, in tiles of 16 x 16 (a MatMul's codes
/// [R, K] as [K, R]), as runtime/steps/int8_convolution.hpp's transpose_block.
inline void transpose_codes(const std::uint8_t* src, std::size_t lds, std::uint8_t* dst, std::size_t ldd,
                            std::size_t rows, std::size_t cols) {
    constexpr std::size_t tile = 16;
    for (std::size_t r0 = 0; r0 < rows; r0 += tile)
        for (std::size_t c0 = 0; c0 < cols; c0 += tile) {
            const std::size_t r1 = rows < r0 + tile ? rows : r0 + tile, c1 = cols < c0 + tile ? cols : c0 + tile;
            for (std::size_t c = c0; c < c1; ++c)
                for (std::size_t r = r0; r < r1; ++r) dst[c * ldd + r] = src[r * lds + c];
        }
}

}  // namespace moir::codegen

#endif  // MOIR_CODEGEN_INT8_HPP
