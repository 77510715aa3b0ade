#ifndef MOIR_KERNELS_SIMD_INT8_DIRECT_HPP
#define MOIR_KERNELS_SIMD_INT8_DIRECT_HPP

// INT8 convolution with no im2col and no packing of the activations, for the INT8 flavours whose
// packed B column holds G = 4 u8 values per s32 lane (avx2_pairs, kernels/simd/int8_gemm.hpp). The
// input is quantized straight into the "4c" layout: channels in groups of 4, interleaved, and the
// image padded with the zero point:
//
//   x4[cg][py][px][t] = code of x[4*cg + t][py - pt][px - pl]   (zp outside the image; 0 for the
//                                                               channels past C, whose weights are 0)
//
// For the K-group q = (ky, kx, cg) of the weights, ordered (ky, kx, c) (int8_direct_order), the 4
// values of output column (oy, ox) lie together at x4 + cg * plane + ((oy + ky*dh) * Wp + ox + kx*dw)
// * 4: the columns of one output row are consecutive 4-byte groups, which is the packed column layout
// the micro-kernel loads. So it reads B straight from x4 at an offset per k-group (off[q]) and the
// per-call packing of the GEMM path (int8_pack_b: im2col rows, then interleaving; about half the
// time of det's 3x3 INT8 convolutions) disappears. Stride 1 only; any kernel size, dilation and
// padding. Measured on Zen 3, one thread, quantization included: det's 96 -> 24 3x3 convolutions at
// 160x160 and 80x80 take 0.45x and 0.50x the FP32 direct kernel's time (the GEMM path: 0.77x,
// 0.96x). A 1x1 convolution gains nothing here over the GEMM path (its packing is cheap) and loses
// with many input channels over a large image (96 -> 96 at 160x160: 0.94x against 0.67x: one
// stream per channel group), so the plan keeps pointwise convolutions on the GEMM.
//
// Work split: int8_conv_direct computes output rows [begin, end), all channels, so calls on
// disjoint ranges are independent; quantize_u8_4c fills channel groups [cg0, cg1).

#include <moir/kernels/simd/int8_gemm.hpp>
#include <moir/kernels/simd/int8_quantize.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstdint>  // int8_t, int32_t, uint8_t
#include <cstring>  // memset
#include <vector>   // vector

namespace moir::kernels::simd {

/// Whether the direct path takes convolution g: one group, stride 1, no negative padding.
inline bool int8_direct_fits(const conv_geometry& g) {
    return g.groups == 1 && g.sh == 1 && g.sw == 1 && g.pt >= 0 && g.pl >= 0 && g.out_h >= 1 && g.out_w >= 1;
}

/// Weights and geometry of a direct INT8 convolution.
struct packed_int8_direct {
    conv_geometry geometry;
    std::size_t cg = 0;        ///< channel groups of 4: ceil(in_c / 4)
    std::size_t hp = 0, wp = 0;  ///< the padded image
    packed_int8_a a;           ///< [out_c, kh*kw*cg*4], K ordered (ky, kx, c)
    std::vector<std::ptrdiff_t> off;  ///< per k-group q: its byte offset from a tile's first column
    /// Bytes of one channel group's padded plane.
    std::size_t plane_bytes() const { return hp * wp * 4; }
    /// Bytes of the 4c input buffer, with the slack a last partial tile reads past its end.
    std::size_t input_bytes() const { return cg * plane_bytes() + 4 * a.blocking.nr() + 64; }
};

/// w [out_c, in_c, kh, kw] (OIHW) with K reordered to (ky, kx, c) and C padded to a multiple of 4
/// with zero weights: the matrix pack_int8_direct packs (and int8_blocking_for should judge).
inline std::vector<std::int8_t> int8_direct_order(const std::int8_t* w, const conv_geometry& g) {
    const std::size_t cg = (g.in_c + 3) / 4, taps = g.kh * g.kw, k = taps * cg * 4, kin = g.in_c * taps;
    std::vector<std::int8_t> r(g.out_c * k, 0);
    for (std::size_t m = 0; m < g.out_c; ++m)
        for (std::size_t c = 0; c < g.in_c; ++c)
            for (std::size_t t = 0; t < taps; ++t) r[m * k + t * cg * 4 + c] = w[m * kin + c * taps + t];
    return r;
}

/// Packs reordered weights (int8_direct_order of g's) for the direct path with blocking bl (a G = 4
/// u8 flavour, e.g. int8_blocking_of<avx2_pairs>()). requires: int8_direct_fits(g); zp as pack_int8_a.
inline packed_int8_direct pack_int8_direct(const int8_blocking& bl, const std::vector<std::int8_t>& reordered,
                                           const conv_geometry& g, std::int32_t zp) {
    MOIR_CHECK(int8_direct_fits(g), error, "pack_int8_direct: not a stride-1, one-group convolution");
    MOIR_CHECK(bl.kgroup == 4 && bl.b_bytes == 1, error, "pack_int8_direct: needs a blocking of 4 u8 per lane");
    packed_int8_direct p;
    p.geometry = g;
    p.cg = (g.in_c + 3) / 4;
    const std::size_t taps = g.kh * g.kw, k = taps * p.cg * 4;
    MOIR_CHECK(reordered.size() == g.out_c * k, error, "pack_int8_direct: weights of another shape");
    const auto pt = static_cast<std::size_t>(g.pt), pl = static_cast<std::size_t>(g.pl);
    const std::size_t need_h = g.out_h - 1 + (g.kh - 1) * g.dh + 1, need_w = g.out_w - 1 + (g.kw - 1) * g.dw + 1;
    p.hp = need_h > g.in_h + pt ? need_h : g.in_h + pt;
    p.wp = need_w > g.in_w + pl ? need_w : g.in_w + pl;
    p.a = pack_int8_a(bl, reordered.data(), g.out_c, k, static_cast<std::ptrdiff_t>(k), zp);
    p.off.resize(taps * p.cg);
    for (std::size_t t = 0; t < taps; ++t) {
        const std::size_t ky = t / g.kw, kx = t % g.kw;
        for (std::size_t c = 0; c < p.cg; ++c)
            p.off[t * p.cg + c] =
                static_cast<std::ptrdiff_t>(c * p.plane_bytes() + ((ky * g.dh) * p.wp + kx * g.dw) * 4);
    }
    return p;
}

/// x4 channel groups [cg0, cg1) = the codes of x [in_c, in_h, in_w] for FakeQuantize(il, ih, 256) in
/// p's 4c layout, padding zp. tmp: 4 * in_w bytes of scratch.
template <class Arch>
void quantize_u8_4c(const float* x, const packed_int8_direct& p, std::uint8_t* x4, float il, float ih, std::int32_t zp,
                    std::size_t cg0, std::size_t cg1, std::uint8_t* tmp) {
    const conv_geometry& g = p.geometry;
    const std::size_t w = g.in_w, row = p.wp * 4;
    const auto pt = static_cast<std::size_t>(g.pt), pl = static_cast<std::size_t>(g.pl);
    const auto z = static_cast<std::uint8_t>(zp);
    for (std::size_t c4 = cg0; c4 < cg1; ++c4) {
        std::uint8_t* plane = x4 + c4 * p.plane_bytes();
        std::memset(plane, z, pt * row);
        std::memset(plane + (pt + g.in_h) * row, z, (p.hp - pt - g.in_h) * row);
        for (std::size_t iy = 0; iy < g.in_h; ++iy) {
            const std::uint8_t* rows[4];
            for (std::size_t t = 0; t < 4; ++t) {
                const std::size_t c = c4 * 4 + t;
                if (c < g.in_c)
                    quantize_u8<Arch>(x + (c * g.in_h + iy) * w, tmp + t * w, w, il, ih);
                else
                    std::memset(tmp + t * w, 0, w);
                rows[t] = tmp + t * w;
            }
            std::uint8_t* d = plane + (pt + iy) * row;
            std::memset(d, z, pl * 4);
            std::uint8_t* o = d + pl * 4;
            detail::interleave4_u8<Arch, 0>(rows, w, o);  // NR = 0: the w groups, no padding after
            std::memset(o + 4 * w, z, (p.wp - pl - w) * 4);
        }
    }
}

namespace detail {
/// B of the direct path: k-group q of a tile at base + off[q].
struct int8_direct_rows {
    const std::uint8_t* base;
    const std::ptrdiff_t* off;
    const std::uint8_t* operator()(std::size_t q) const { return base + off[q]; }
};
}  // namespace detail

/// y rows [begin, end) of the convolution = epilogue(Wq * x4), all out_c channels;
/// y is [out_c, out_h, out_w]. Flavour: the G = 4 u8 flavour p was packed for (Arch's pairs one).
/// requires: x4 filled by quantize_u8_4c for p (input_bytes() bytes); e as int8_conv.
template <class Arch>
void int8_conv_direct(const packed_int8_direct& p, const std::uint8_t* x4, float* y, const int8_epilogue& e,
                      std::size_t begin, std::size_t end) {
    using F = typename int8_pairs_flavour<Arch>::type;
    if constexpr (!std::is_void_v<F>) {
        constexpr int8_blocking bl = int8_blocking_of<F>();
        constexpr std::size_t MR = bl.mr, NR = bl.nr();
        MOIR_CHECK(p.a.blocking.pairs, error, "int8_conv_direct: weights not packed for the pairs flavour");
        const conv_geometry& g = p.geometry;
        const std::size_t m = g.out_c, kp = p.a.kp, kq = kp / 4, n = g.out_h * g.out_w;
        const auto* a = static_cast<const std::int8_t*>(p.a.data);
        const auto ldc = static_cast<std::ptrdiff_t>(n);
        with_activation(e.act.act, [&](auto act) {
            using Act = decltype(act);
            for (std::size_t oy = begin; oy < end; ++oy) {
                const std::uint8_t* base = x4 + oy * p.wp * 4;  // the row's first column, tap (0, 0)
                const std::size_t c0 = oy * g.out_w;
                for (std::size_t j = 0; j < g.out_w; j += NR) {
                    const std::size_t ncols = g.out_w - j < NR ? g.out_w - j : NR;
                    const detail::int8_direct_rows rows{base + 4 * j, p.off.data()};
                    for (std::size_t ic = 0; ic < m; ic += MR) {
                        const std::size_t mv = m - ic < MR ? m - ic : MR;
                        detail::int8_with_tile<F, Act>(mv, [&](auto k) {
                            decltype(k)::run_rows_apart(kq, a + ic * kp, rows, y + ic * n + c0 + j, ldc, mv, ncols, e,
                                                  p.a.comp.data() + ic, e.scale + ic, e.shift ? e.shift + ic : nullptr);
                        });
                    }
                }
            }
        });
    } else {
        (void)p, (void)x4, (void)y, (void)e, (void)begin, (void)end;
        MOIR_CHECK(false, error, "int8_conv_direct: this arch has no direct INT8 path");
    }
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_INT8_DIRECT_HPP
