#ifndef MOIR_KERNELS_SIMD_INT8_PACKING_HPP
#define MOIR_KERNELS_SIMD_INT8_PACKING_HPP

// Packed weights of the INT8 kernels (kernels/simd/int8_gemm.hpp), prepared once at load time.
//
// THE QUANTIZATION ARITHMETIC of every INT8 kernel:
//   activations  x ~ il + sx * q, q = round((x - il) / sx) in [0, 255] (u8), sx = (ih - il) / 255: a
//                per-tensor FakeQuantize with levels = 256. The zero point zp = round(-il / sx) is the
//                u8 code of 0.0 (0 for a non-negative tensor, il = 0; about 128 for a symmetric one);
//                padding reads zp, so padded taps contribute exactly 0 when -il / sx is an integer.
//   weights      w[m, k] = sw[m] * wq[m, k], wq in [-127, 127] (s8), symmetric per output row.
//   product      acc[m, n] = sum_k wq[m, k] * q[k, n], exact in s32 (|acc| < 255 * 127 * K, K <= 65536).
//   epilogue     y[m, n] = act(float(acc[m, n] - comp[m]) * scale[m] + shift[m]) with
//                comp[m] = zp * sum_k wq[m, k] (integer, computed at pack time: the zero-point
//                compensation), scale[m] = sx * sw[m], shift[m] = bias[m] + sw[m] * (il + sx * zp) *
//                sum_k wq[m, k] (the last term is 0 when zp is exact; the caller computes scale and shift).
//   weights with zero points (asymmetric, e.g. TFLite's uint8 weights: w[m, k] = sw[m] * (u[m, k] -
//                zw[m]), u - zw up to 255 in magnitude, which no s8 holds): the packed A holds s8
//                values a[m, k] with a - z[m] = u - zw (a = u - 128, z = zw - 128 for u8 codes) and
//                the kernel subtracts z[m] * colsum[n] (colsum[n] = sum_k q[k, n], made while B is
//                packed) from acc: exactly sum_k (u - zw) * q. row_sum, and so comp, are of a - z.
//                Weights without zero points (weight_zero_data nullptr) pay nothing for this.
//
// Layout of a packed left operand A[M, K] (weights, row m = output channel): K is padded with zero
// weights to Kp, a multiple of the arch's k-group G; rows are cut into panels of mr (padded with zero
// rows); within a panel, k-group q holds mr x G values, row-major:
//   element (m, k) at data[(m / mr) * mr * Kp + (k / G) * mr * G + (m % mr) * G + k % G]
// stored as s16 (a_bytes = 2: AVX2's vpmaddwd, the reference arch) or s8 (a_bytes = 1: VNNI's vpdpbusd).
// The activations are packed per call by the kernel (int8_gemm.hpp) in the matching column layout.

#include <moir/core/errors.hpp>
#include <moir/kernels/simd/packing.hpp>

#include <cstddef>      // ptrdiff_t, size_t
#include <cstdint>      // int8_t, int16_t, int32_t
#include <cstdlib>      // aligned_alloc, free
#include <cstring>      // memset
#include <memory>       // unique_ptr
#include <new>          // bad_alloc
#include <string_view>  // string_view
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace moir::kernels::simd {

/// The register blocking of an arch's INT8 GEMM: micro-tile mr rows x nv vectors of `width` s32
/// lanes; K consumed in groups of `kgroup` (2 for vpmaddwd, 4 for vpdpbusd, 1 scalar); the bytes of a
/// packed weight (a_bytes) and of a packed activation (b_bytes).
/// `pairs`: the kernel sums u8 x s8 products two at a time in s16 before widening them to s32
/// (AVX2's vpmaddubsw), which is exact only for weights whose pairs fit (int8_pairs_fit); packers
/// choose such a blocking per layer (int8_blocking_for, kernels/simd/int8_table.hpp).
struct int8_blocking {
    std::size_t mr = 4, nv = 1, width = 1, kgroup = 1, a_bytes = 2, b_bytes = 2;
    std::string_view arch = "reference";
    bool pairs = false;
    constexpr std::size_t nr() const { return nv * width; }
    constexpr std::size_t kpad(std::size_t k) const { return (k + kgroup - 1) / kgroup * kgroup; }
};

namespace detail {
struct free_bytes_deleter {
    void operator()(void* p) const { std::free(p); }
};
/// A zero-filled, 64-byte aligned buffer of n bytes plus 64 bytes of slack.
inline std::unique_ptr<void, free_bytes_deleter> aligned_zero_bytes(std::size_t n) {
    const std::size_t bytes = (n + 63) / 64 * 64 + 64;
    void* p = std::aligned_alloc(64, bytes);
    if (!p) MOIR_THROW(std::bad_alloc());
    std::memset(p, 0, bytes);
    return std::unique_ptr<void, free_bytes_deleter>(p);
}
}  // namespace detail

/// Whether the s16 pair sums of a pairs kernel are exact for weights wq[M, K] (element (m, k) at
/// w[m*rs + k]) on any u8 activations: for each row and each even k, the pair (k, k + 1) (k + 1 past
/// K reads 0) has positive and negative parts of at most 128 in magnitude, so |q0*w0 + q1*w1| <=
/// 255 * 128 = 32640 < 32768. Weights in [-64, 64] always fit; 8-bit weights usually do not.
inline bool int8_pairs_fit(const std::int8_t* w, std::size_t m, std::size_t k, std::ptrdiff_t rs) {
    for (std::size_t mi = 0; mi < m; ++mi) {
        const std::int8_t* row = w + static_cast<std::ptrdiff_t>(mi) * rs;
        for (std::size_t ki = 0; ki < k; ki += 2) {
            const int w0 = row[ki], w1 = ki + 1 < k ? row[ki + 1] : 0;
            const int pos = (w0 > 0 ? w0 : 0) + (w1 > 0 ? w1 : 0), neg = (w0 < 0 ? -w0 : 0) + (w1 < 0 ? -w1 : 0);
            if (pos > 128 || neg > 128) return false;
        }
    }
    return true;
}

/// Quantized weights A[M, K] packed for one arch (layout above), with the zero-point compensation.
struct packed_int8_a {
    int8_blocking blocking;
    std::size_t m = 0, k = 0, kp = 0;
    std::int32_t zero_point = 0;       ///< the activations' u8 zero point the compensation is for
    std::vector<std::int32_t> row_sum;  ///< sum_k (wq[m, k] - weight_zero[m])
    std::vector<std::int32_t> comp;     ///< zero_point * row_sum[m]
    const std::int32_t* comp_data = nullptr;  ///< what the kernels read: comp's m values (or constant data: codegen)
    /// The weights' own per-row zero points z[m] (the weights are wq[m, k] - z[m]; file comment), or
    /// empty; weight_zero_data: what the kernels read (nullptr: no zero points, no correction).
    std::vector<std::int32_t> weight_zero;
    const std::int32_t* weight_zero_data = nullptr;
    const void* data = nullptr;
    std::unique_ptr<void, detail::free_bytes_deleter> storage;
};

/// Packs wq[M, K] (element (m, k) at w[m*rs + k]) for activations of zero point zp; wzero: nullptr
/// (symmetric weights) or M zero points z[m] in [-128, 127], the weights then being wq[m, k] - z[m].
/// requires: m, k >= 1, k <= 65536 (s32 accumulators cannot overflow), values in [-128, 127].
/// requires (checked): a pairs blocking only for weights that fit it (int8_pairs_fit).
inline packed_int8_a pack_int8_a(const int8_blocking& bl, const std::int8_t* w, std::size_t m, std::size_t k,
                                 std::ptrdiff_t rs, std::int32_t zp, const std::int32_t* wzero = nullptr) {
    MOIR_CHECK(m >= 1 && k >= 1, error, "pack_int8_a: empty matrix");
    MOIR_CHECK(k <= 65536, error, "pack_int8_a: K > 65536 could overflow the s32 accumulators");
    MOIR_CHECK(!bl.pairs || int8_pairs_fit(w, m, k, rs), error,
               "pack_int8_a: weights whose pairs overflow s16 given to a pairs kernel");
    packed_int8_a p;
    p.blocking = bl, p.m = m, p.k = k, p.kp = bl.kpad(k), p.zero_point = zp;
    const std::size_t mr = bl.mr, g = bl.kgroup, mpad = detail::round_up(m, mr);
    p.storage = detail::aligned_zero_bytes(mpad * p.kp * bl.a_bytes);
    p.row_sum.assign(m, 0);
    p.comp.assign(m, 0);
    for (std::size_t mi = 0; mi < m; ++mi) {
        const std::int8_t* row = w + static_cast<std::ptrdiff_t>(mi) * rs;
        for (std::size_t ki = 0; ki < k; ++ki) {
            const std::size_t at = (mi / mr) * mr * p.kp + (ki / g) * mr * g + (mi % mr) * g + ki % g;
            if (bl.a_bytes == 1)
                static_cast<std::int8_t*>(p.storage.get())[at] = row[ki];
            else
                static_cast<std::int16_t*>(p.storage.get())[at] = row[ki];
            p.row_sum[mi] += row[ki];
        }
        if (wzero) p.row_sum[mi] -= static_cast<std::int32_t>(k) * wzero[mi];
        p.comp[mi] = zp * p.row_sum[mi];
    }
    if (wzero) {
        for (std::size_t mi = 0; mi < m; ++mi)
            MOIR_CHECK(wzero[mi] >= -128 && wzero[mi] <= 127, error, "pack_int8_a: a weight zero point outside [-128, 127]");
        p.weight_zero.assign(wzero, wzero + m);
        p.weight_zero_data = p.weight_zero.data();
    }
    p.comp_data = p.comp.data();
    p.data = p.storage.get();
    return p;
}

/// INT8 convolution weights [G*out_c, in_c, kh, kw] as G packed operands [out_c, in_c*kh*kw].
struct packed_int8_conv {
    conv_geometry geometry;
    std::vector<packed_int8_a> weights;  ///< one per group
};

/// requires: w holds groups*out_c*in_c*kh*kw s8 values in OIHW (GOIHW) order; zp as pack_int8_a;
/// wzero nullptr or groups*out_c weight zero points (pack_int8_a).
inline packed_int8_conv pack_int8_conv(const int8_blocking& bl, const std::int8_t* w, const conv_geometry& g,
                                       std::int32_t zp, const std::int32_t* wzero = nullptr) {
    packed_int8_conv p;
    p.geometry = g;
    const std::size_t k = g.in_c * g.kh * g.kw;
    for (std::size_t gi = 0; gi < g.groups; ++gi)
        p.weights.push_back(pack_int8_a(bl, w + gi * g.out_c * k, g.out_c, k, static_cast<std::ptrdiff_t>(k), zp,
                                        wzero ? wzero + gi * g.out_c : nullptr));
    return p;
}

/// INT8 depthwise weights [C, kh, kw]: held as floats wq * scale[c] (the depthwise kernel sums in
/// fp32, exact for integer values; see kernels/simd/int8_depthwise.hpp) plus the u8 zero point.
struct packed_int8_depthwise {
    conv_geometry geometry;  // depthwise()
    std::int32_t zero_point = 0;
    packed_depthwise w;      ///< float weights wq[c] * scale[c]
    /// The integer kernel's weights (int8_depthwise.hpp): per channel, for each pair of kernel rows
    /// (2p, 2p + 1; the row past an odd kh is 0) and each column kx, the two s8 weights as int16
    /// halves of one int32 (row 2p low); ceil(kh / 2) * kw per channel.
    std::vector<std::int32_t> row_pairs;
    /// The VNNI kernel's weights: per channel, for each group of four kernel rows (4p .. 4p + 3; rows
    /// past kh are 0) and each column kx, the four s8 weights as the bytes of one int32 (row 4p
    /// lowest); ceil(kh / 4) * kw per channel.
    std::vector<std::int32_t> row_quads;
    /// Per channel, zp * (the sum of its weights): what padding with the zero point adds to the
    /// VNNI kernel's sums of u8 codes times weights.
    std::vector<std::int32_t> quad_comp;
    std::vector<float> scale;  ///< per channel, the scale of the s32 sum
    /// What the kernel reads (set by pack_int8_depthwise to the vectors above; a generated model
    /// header, codegen/int8.hpp, points them at constant data): row_pairs, row_quads (nullptr: that
    /// kernel is not used), quad_comp, scale.
    const std::int32_t* row_pairs_data = nullptr;
    const std::int32_t* row_quads_data = nullptr;
    const std::int32_t* quad_comp_data = nullptr;
    const float* scale_data = nullptr;
};

/// requires: g.depthwise(); w holds g.groups*kh*kw integer weights, s8 (W = int8_t) or, for weights
/// with zero points already subtracted (u - zw, in [-255, 255]), s16 (W = int16_t): the float and the
/// row-pair kernels take those exactly (|q - zp| * |w| * taps stays below 2^24 for up to 7x7 taps,
/// and in s32), the VNNI quads do not (row_quads_data is then nullptr: the float kernel runs);
/// scale g.groups values (sx * sw[c]).
template <class W>
packed_int8_depthwise pack_int8_depthwise(const W* w, const float* scale, const conv_geometry& g, std::int32_t zp) {
    static_assert(std::is_same_v<W, std::int8_t> || std::is_same_v<W, std::int16_t>,
                  "moir: INT8 depthwise weights are s8 or s16 (zero points subtracted)");
    const std::size_t taps = g.kh * g.kw;
    std::vector<float> f(g.groups * taps);
    for (std::size_t c = 0; c < g.groups; ++c)
        for (std::size_t t = 0; t < taps; ++t) f[c * taps + t] = static_cast<float>(w[c * taps + t]) * scale[c];
    packed_int8_depthwise p;
    p.geometry = g;
    p.zero_point = zp;
    p.w = pack_depthwise(f.data(), g);
    const std::size_t pairs = (g.kh + 1) / 2;
    p.row_pairs.resize(g.groups * pairs * g.kw);
    p.scale.assign(scale, scale + g.groups);
    for (std::size_t c = 0; c < g.groups; ++c)
        for (std::size_t r = 0; r < pairs; ++r)
            for (std::size_t kx = 0; kx < g.kw; ++kx) {
                const auto lo = static_cast<std::uint16_t>(static_cast<std::int16_t>(w[c * taps + 2 * r * g.kw + kx]));
                const auto hi = 2 * r + 1 < g.kh
                                    ? static_cast<std::uint16_t>(static_cast<std::int16_t>(w[c * taps + (2 * r + 1) * g.kw + kx]))
                                    : std::uint16_t(0);
                p.row_pairs[(c * pairs + r) * g.kw + kx] =
                    static_cast<std::int32_t>(static_cast<std::uint32_t>(lo) | (static_cast<std::uint32_t>(hi) << 16));
            }
    const std::size_t quads = (g.kh + 3) / 4;
    p.row_quads.resize(g.groups * quads * g.kw);
    p.quad_comp.resize(g.groups);
    for (std::size_t c = 0; c < g.groups; ++c) {
        std::int32_t sum = 0;
        for (std::size_t t = 0; t < taps; ++t) sum += w[c * taps + t];
        p.quad_comp[c] = zp * sum;
        for (std::size_t r = 0; r < quads; ++r)
            for (std::size_t kx = 0; kx < g.kw; ++kx) {
                std::uint32_t v = 0;
                for (std::size_t t = 0; t < 4 && 4 * r + t < g.kh; ++t)
                    v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(w[c * taps + (4 * r + t) * g.kw + kx])) << (8 * t);
                p.row_quads[(c * quads + r) * g.kw + kx] = static_cast<std::int32_t>(v);
            }
    }
    bool quads_fit = true;
    for (std::size_t i = 0; i < g.groups * taps; ++i) quads_fit = quads_fit && w[i] >= -128 && w[i] <= 127;
    if (!quads_fit) p.row_quads.clear();
    p.row_pairs_data = p.row_pairs.data(), p.row_quads_data = quads_fit ? p.row_quads.data() : nullptr;
    p.quad_comp_data = p.quad_comp.data(), p.scale_data = p.scale.data();
    return p;
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_INT8_PACKING_HPP
