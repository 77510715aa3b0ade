#ifndef MOIR_KERNELS_SIMD_INT8_DIRECT_HPP
#define MOIR_KERNELS_SIMD_INT8_DIRECT_HPP

// INT8 convolution with no im2col and no packing of the activations, for the INT8 flavours whose
// packed B column holds G = 4 u8 values per s32 lane (int8_direct_flavour: avx2_pairs and
// avx512vnni, kernels/simd/int8_gemm.hpp). The input is quantized straight into the "4c" layout:
// channels in groups of 4, interleaved, and the image padded with the zero point:
//
//   x4[cg][py][px][t] = code of x[4*cg + t][py - pt][px - pl]   (zp outside the image; 0 for the
//                                                               channels past C, whose weights are 0)
//
// For the K-group q = (ky, kx, cg) of the weights, ordered (ky, kx, c) (int8_direct_order), the 4
// values of output column (oy, ox) lie together at x4 + cg * plane + ((oy + ky*dh) * Wp + ox + kx*dw)
// * 4: the columns of one output row are consecutive 4-byte groups, which is the packed column layout
// the micro-kernel loads. So it reads B straight from x4 at an offset per k-group (off[q]) and the
// per-call packing of the GEMM path (int8_pack_b: im2col rows, then interleaving; about half the
// time of det's 3x3 INT8 convolutions) disappears. Stride 1: any kernel size, dilation and padding.
//
// Stride 2 (both axes, undilated) runs as a stride-1 convolution by space-to-depth: the padded
// image P splits into its 4 phases, which become the 4 values of each group,
//
//   x4[c][Y][X][2*sy + sx] = code of P[c][2Y + sy][2X + sx]     (one channel per group)
//
// and the kh x kw kernel becomes a ceil(kh/2) x ceil(kw/2) one over those 4 * C channels, tap
// (a, b) of phase (sy, sx) holding w[c][2a + sy][2b + sx] (0 past the kernel). A 3x3 stem over RGB
// (det's and rec's first layer) thus reads B straight from the image as a 2x2 convolution with
// K = 48 instead of an im2col of K = 27 gathered byte by byte with stride 2 (det's 3 -> 16 stem at
// 640x640: 1.9 ms against 3.2 on the GEMM path, quantization included; the same s32 sums).
//
// Measured on Zen 3, one thread, quantization included: det's 96 -> 24 3x3 convolutions at
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

/// Whether the direct path takes convolution g: one group, no negative padding, and stride 1, or
/// stride 2 on both axes, undilated, with a kernel of at least 2x2 (space-to-depth, file comment;
/// a 1x1 kernel would use one phase in four).
inline bool int8_direct_fits(const conv_geometry& g) {
    const bool s1 = g.sh == 1 && g.sw == 1,
               s2 = g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1 && g.kh >= 2 && g.kw >= 2;
    return g.groups == 1 && (s1 || s2) && g.pt >= 0 && g.pl >= 0 && g.out_h >= 1 && g.out_w >= 1;
}

namespace detail {
/// The stride-1 convolution the direct path runs for g (int8_direct_fits): g itself, or for stride 2
/// its space-to-depth form (file comment): 4 * in_c channels, ceil(k / 2) taps per axis, no padding
/// (the padding is inside the phases), the same output.
inline conv_geometry int8_direct_inner(const conv_geometry& g) {
    if (g.sh == 1) return g;
    conv_geometry s = g;
    s.in_c = 4 * g.in_c;
    s.kh = (g.kh + 1) / 2, s.kw = (g.kw + 1) / 2;
    s.sh = s.sw = 1;
    s.pt = s.pl = 0;
    s.in_h = g.out_h - 1 + s.kh, s.in_w = g.out_w - 1 + s.kw;
    return s;
}
}  // namespace detail

/// Weights and geometry of a direct INT8 convolution.
struct packed_int8_direct {
    conv_geometry geometry;    ///< the convolution (stride 1 or 2)
    std::size_t phases = 1;    ///< 1, or 2 for stride 2: a group holds the 4 phases of one channel
    std::size_t cg = 0;        ///< channel groups of 4: ceil(in_c / 4), or in_c for stride 2
    std::size_t hp = 0, wp = 0;  ///< the padded image
    packed_int8_a a;           ///< [out_c, kh*kw*cg*4], K ordered (ky, kx, c)
    std::vector<std::ptrdiff_t> off;  ///< per k-group q: its byte offset from a tile's first column
    const std::ptrdiff_t* off_data = nullptr;  ///< what the kernel reads: off's values (or constant data: codegen)
    /// Bytes of one channel group's padded plane.
    std::size_t plane_bytes() const { return hp * wp * 4; }
    /// Bytes of the 4c input buffer, with the slack a last partial tile reads past its end.
    std::size_t input_bytes() const { return cg * plane_bytes() + 4 * a.blocking.nr() + 64; }
    /// Bytes of the scratch quantize_u8_4c needs (its rows of codes).
    std::size_t tmp_bytes() const { return 4 * (phases == 1 ? geometry.in_w : wp) + 64; }
};

/// w [out_c, in_c, kh, kw] (OIHW) with K reordered to (ky, kx, c) and C padded to a multiple of 4
/// with zero weights: the matrix pack_int8_direct packs (and int8_blocking_for should judge).
/// For stride 2: the weights of the space-to-depth form, K ordered (a, b, c, sy, sx).
inline std::vector<std::int8_t> int8_direct_order(const std::int8_t* w, const conv_geometry& g) {
    const conv_geometry s = detail::int8_direct_inner(g);
    const std::size_t taps = g.kh * g.kw, kin = g.in_c * taps, cg = (s.in_c + 3) / 4, k = s.kh * s.kw * cg * 4;
    // the K index of weight (c, ky, kx): tap-major, then the (padded) channel of the inner geometry
    auto at = [&](std::size_t c, std::size_t ky, std::size_t kx) {
        if (g.sh == 1) return (ky * g.kw + kx) * cg * 4 + c;
        return ((ky / 2) * s.kw + kx / 2) * cg * 4 + c * 4 + (ky % 2) * 2 + kx % 2;
    };
    std::vector<std::int8_t> r(g.out_c * k, 0);
    for (std::size_t m = 0; m < g.out_c; ++m)
        for (std::size_t c = 0; c < g.in_c; ++c)
            for (std::size_t ky = 0; ky < g.kh; ++ky)
                for (std::size_t kx = 0; kx < g.kw; ++kx) r[m * k + at(c, ky, kx)] = w[m * kin + c * taps + ky * g.kw + kx];
    return r;
}

/// Packs reordered weights (int8_direct_order of g's) for the direct path with blocking bl (a G = 4
/// u8 flavour, e.g. int8_blocking_of<avx2_pairs>()). requires: int8_direct_fits(g); zp as pack_int8_a.
inline packed_int8_direct pack_int8_direct(const int8_blocking& bl, const std::vector<std::int8_t>& reordered,
                                           const conv_geometry& g, std::int32_t zp) {
    MOIR_CHECK(int8_direct_fits(g), error, "pack_int8_direct: not a stride-1 (or 2), one-group convolution");
    MOIR_CHECK(bl.kgroup == 4 && bl.b_bytes == 1, error, "pack_int8_direct: needs a blocking of 4 u8 per lane");
    packed_int8_direct p;
    p.geometry = g;
    p.phases = g.sh;
    const conv_geometry s = detail::int8_direct_inner(g);  // what the micro-kernel runs
    p.cg = (s.in_c + 3) / 4;
    const std::size_t taps = s.kh * s.kw, k = taps * p.cg * 4;
    MOIR_CHECK(reordered.size() == g.out_c * k, error, "pack_int8_direct: weights of another shape");
    const auto pt = static_cast<std::size_t>(s.pt), pl = static_cast<std::size_t>(s.pl);
    const std::size_t need_h = s.out_h - 1 + (s.kh - 1) * s.dh + 1, need_w = s.out_w - 1 + (s.kw - 1) * s.dw + 1;
    p.hp = need_h > s.in_h + pt ? need_h : s.in_h + pt;
    p.wp = need_w > s.in_w + pl ? need_w : s.in_w + pl;
    p.a = pack_int8_a(bl, reordered.data(), g.out_c, k, static_cast<std::ptrdiff_t>(k), zp);
    p.off.resize(taps * p.cg);
    for (std::size_t t = 0; t < taps; ++t) {
        const std::size_t ky = t / s.kw, kx = t % s.kw;
        for (std::size_t c = 0; c < p.cg; ++c)
            p.off[t * p.cg + c] =
                static_cast<std::ptrdiff_t>(c * p.plane_bytes() + ((ky * s.dh) * p.wp + kx * s.dw) * 4);
    }
    p.off_data = p.off.data();
    return p;
}

namespace detail {
/// Row Y of channel c's phase group (stride 2, file comment): padded rows 2Y and 2Y + 1 of the
/// image, each 2 * wp codes (zp outside it), interleaved two bytes at a time into dst (4 * wp bytes).
/// tmp: 4 * wp bytes.
template <class Arch>
void quantize_phase_row(const float* xc, const packed_int8_direct& p, std::size_t y, std::uint8_t* dst, float il,
                        float ih, std::uint8_t z, std::uint8_t* tmp) {
    const conv_geometry& g = p.geometry;
    const std::size_t len = 2 * p.wp;
    for (std::size_t sy = 0; sy < 2; ++sy) {
        std::uint8_t* r = tmp + sy * len;
        const auto iy = static_cast<std::ptrdiff_t>(2 * y + sy) - g.pt;
        if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(g.in_h)) {
            std::memset(r, z, len);
            continue;
        }
        // padded column j reads input column j - pl; the row is at least pl + in_w long or cut short
        const auto pl = static_cast<std::size_t>(g.pl);
        const std::size_t lead = pl < len ? pl : len, body = len - lead < g.in_w ? len - lead : g.in_w;
        std::memset(r, z, lead);
        quantize_u8<Arch>(xc + static_cast<std::size_t>(iy) * g.in_w, r + lead, body, il, ih);
        std::memset(r + lead + body, z, len - lead - body);
    }
    const auto* a = reinterpret_cast<const std::uint16_t*>(tmp);  // the phases (sy, 0..1) of a column pair
    const auto* b = reinterpret_cast<const std::uint16_t*>(tmp + len);
    std::size_t i = 0;
#if defined(__AVX2__) || defined(__AVX512F__)
    for (; i + 8 <= p.wp; i += 8) {
        const __m128i ra = _mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i));
        const __m128i rb = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 4 * i), _mm_unpacklo_epi16(ra, rb));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 4 * i + 16), _mm_unpackhi_epi16(ra, rb));
    }
#endif
    for (; i < p.wp; ++i) {
        std::memcpy(dst + 4 * i, a + i, 2);
        std::memcpy(dst + 4 * i + 2, b + i, 2);
    }
}
}  // namespace detail

/// x4 channel groups [cg0, cg1) = the codes of x [in_c, in_h, in_w] for FakeQuantize(il, ih, 256) in
/// p's 4c layout (its phase layout for stride 2), padding zp. tmp: p.tmp_bytes() bytes of scratch.
template <class Arch>
void quantize_u8_4c(const float* x, const packed_int8_direct& p, std::uint8_t* x4, float il, float ih, std::int32_t zp,
                    std::size_t cg0, std::size_t cg1, std::uint8_t* tmp) {
    const conv_geometry& g = p.geometry;
    const std::size_t w = g.in_w, row = p.wp * 4;
    const auto pt = static_cast<std::size_t>(g.pt), pl = static_cast<std::size_t>(g.pl);
    const auto z = static_cast<std::uint8_t>(zp);
    if (p.phases == 2) {  // group c: the 4 phases of channel c
        for (std::size_t c = cg0; c < cg1; ++c)
            for (std::size_t y = 0; y < p.hp; ++y)
                detail::quantize_phase_row<Arch>(x + c * g.in_h * w, p, y, x4 + c * p.plane_bytes() + y * row, il, ih, z,
                                                 tmp);
        return;
    }
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
    static constexpr bool by_offset = true;
    const std::uint8_t* base;
    const std::ptrdiff_t* off;
    const std::uint8_t* operator()(std::size_t q) const { return base + off[q]; }
};
}  // namespace detail

/// y rows [begin, end) of the convolution = epilogue(Wq * x4), all out_c channels;
/// y is [out_c, out_h, out_w]. Flavour: int8_direct_flavour<Arch>, which p was packed for.
/// requires: x4 filled by quantize_u8_4c for p (input_bytes() bytes); e as int8_conv.
/// StaticAct: as int8_gemm's.
template <class Arch, class StaticAct = dynamic_activation>
void int8_conv_direct(const packed_int8_direct& p, const std::uint8_t* x4, float* y, const int8_epilogue& e,
                      std::size_t begin, std::size_t end) {
    using F = typename int8_direct_flavour<Arch>::type;
    if constexpr (!std::is_void_v<F>) {
        constexpr int8_blocking bl = int8_blocking_of<F>();
        constexpr std::size_t MR = bl.mr, NR = bl.nr();
        MOIR_CHECK(p.a.blocking.arch == bl.arch && p.a.blocking.mr == MR && p.a.blocking.nr() == NR, error,
                   "int8_conv_direct: weights not packed for this arch's direct flavour");
        const conv_geometry& g = p.geometry;
        const std::size_t m = g.out_c, kp = p.a.kp, kq = kp / 4, n = g.out_h * g.out_w;
        const auto* a = static_cast<const std::int8_t*>(p.a.data);
        const auto ldc = static_cast<std::ptrdiff_t>(n);
        with_activation_as<StaticAct>(e.act.act, [&](auto act) {
            using Act = decltype(act);
            for (std::size_t oy = begin; oy < end; ++oy) {
                const std::uint8_t* base = x4 + oy * p.wp * 4;  // the row's first column, tap (0, 0)
                const std::size_t c0 = oy * g.out_w;
                for (std::size_t j = 0; j < g.out_w; j += NR) {
                    const std::size_t ncols = g.out_w - j < NR ? g.out_w - j : NR;
                    const detail::int8_direct_rows rows{base + 4 * j, p.off_data};
                    for (std::size_t ic = 0; ic < m; ic += MR) {
                        const std::size_t mv = m - ic < MR ? m - ic : MR;
                        detail::int8_with_tile<F, Act>(mv, ncols, [&](auto k) {
                            decltype(k)::run_rows_apart(kq, a + ic * kp, rows, y + ic * n + c0 + j, ldc, mv, ncols, e,
                                                  p.a.comp_data + ic, e.scale + ic, e.shift ? e.shift + ic : nullptr);
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
