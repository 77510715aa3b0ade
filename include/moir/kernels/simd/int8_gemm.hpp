#ifndef MOIR_KERNELS_SIMD_INT8_GEMM_HPP
#define MOIR_KERNELS_SIMD_INT8_GEMM_HPP

// INT8 GEMM, C[M, N] = act(float(A * B - comp) * scale + shift) with A = s8 weights packed once
// (kernels/simd/int8_packing.hpp, which also states the quantization arithmetic) and B = u8
// activations read from memory (a strided matrix, or the im2col matrix of a convolution, built on
// the fly) and packed into caller scratch, nc columns at a time, in the arch's column layout:
//   element (k, n) at dst[(n / nr) * nr * Kp + (k / G) * nr * G + (n % nr) * G + k % G]
// i.e. each s32 output lane finds the G consecutive K values it needs side by side.
//
// Per arch (int8_ops<Arch>):
//   avx512vnni  G = 4, B as u8, A as s8: one vpdpbusd per 16 lanes x 4 products (exact: the
//               products and their sums of 4 fit s32; no intermediate saturation). Its 8 x 48 k-loop
//               is inline assembly (vnni_8x48_loop). Measured on Zen 4, one thread: PaddleOCR
//               INT8 / FP32 (AVX-512) rec 0.47x, det 0.44x (AVX2 kernels, same CPU: 0.61x, 0.63x).
//   avx2        G = 2, B and A widened to s16: vpmaddwd (s16 x s16, pairs summed into s32) + vpaddd.
//               Exact for any s8 weights.
//   avx2_pairs  (the pairs flavour of avx2, for weights that fit it: int8_pairs_fit) G = 4, B as u8,
//               A as s8, VNNI's layout: vpmaddubsw (u8 x s8 products summed in pairs into s16) then
//               vpmaddwd by 1 (pairs of those into s32) + vpaddd: 32 products per 3 instructions
//               against vpmaddwd's 16 per 2, and half the bytes of packed B. The s16 pair sums
//               saturate for 8-bit weights (2 * 255 * 127 > 32767) but not for pair-fitting ones
//               (7-bit weights always fit), so the kernel stays exact where the packer chooses it.
//               Measured on Zen 3 (1x1 convolutions of PaddleOCR rec's shapes, one thread): the pairs
//               kernel 60-90 G multiply-adds/s, vpmaddwd 41-56, FP32 FMA 34-48 (0.53-0.57x and
//               0.82-0.85x of the FP32 time).
//   reference   G = 1, scalar s32 multiply-adds.
// The whole K is one block (no K blocking: the s32 accumulators stay in registers from the first
// product to the epilogue); the micro-tile is mr x (nv vectors): avx512vnni 8 x 48, avx2 and
// avx2_pairs 4 x 16 (6 x 16 needs 12 accumulators, 2 B vectors, the broadcast A and a product: more
// than AVX2's 16 registers, and the spills made it 1.04x the FP32 time instead of 0.84x).
// Any M, N, K >= 1 (K <= 65536).
//
// Threads: calls on disjoint column ranges are independent (offset b and c, own scratch each).

#include <moir/kernels/arch.hpp>
#include <moir/kernels/simd/epilogue.hpp>
#include <moir/kernels/simd/int8_packing.hpp>
#include <moir/kernels/simd/vec.hpp>

#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <cstddef>      // ptrdiff_t, size_t
#include <cstdint>      // int8_t, int16_t, int32_t, uint8_t
#include <cstring>      // memcpy, memset
#include <string_view>  // string_view
#include <type_traits>  // is_same_v

namespace moir::kernels::simd {

/// What the INT8 kernels apply to each s32 accumulator of output row m (see int8_packing.hpp):
/// y = act(float(acc - comp[m]) * scale[m] + shift[m]). scale: M values (required); shift: M values
/// or nullptr (0); act: the activation and clamp's range (its bias fields are unused).
struct int8_epilogue {
    const float* scale = nullptr;
    const float* shift = nullptr;
    epilogue act;
    /// int8_gemm only (the convolutions leave it false): store C transposed, element (m, n) at
    /// c[n * ldc + m] (a MatMul's Y = X * W, computed as W^T * X^T, written in Y's layout instead of
    /// transposed back afterwards).
    bool transposed = false;
    /// Set by the GEMM driver for weights with zero points (packed_int8_a::weight_zero_data; callers
    /// leave both nullptr): the micro-kernel subtracts row_zero[i] * col_sum[j] from the s32 sum of
    /// its tile's row i, column j, before comp (int8_packing.hpp).
    const std::int32_t* col_sum = nullptr;
    const std::int32_t* row_zero = nullptr;
};

/// The pairs flavour of the AVX2 INT8 kernels (file comment): not an arch of its own (the same ISA
/// flags and translation unit as arch::avx2), a tag for int8_ops and the templates over it.
struct avx2_pairs {
    static constexpr std::string_view name = "avx2.pairs";
};

/// The pairs flavour of an arch's INT8 kernels (avx2: avx2_pairs), or void where it has none.
template <class Arch>
struct int8_pairs_flavour {
    using type = void;
};
template <>
struct int8_pairs_flavour<arch::avx2> {
    using type = avx2_pairs;
};

/// The flavour whose micro-kernel the direct convolution path (int8_direct.hpp) runs on an arch: a
/// G = 4, u8-activation one (avx2: avx2_pairs, for pair-fitting weights; avx512vnni: itself, for any
/// weights), or void where the arch has none.
template <class Arch>
struct int8_direct_flavour {
    using type = void;
};
template <>
struct int8_direct_flavour<arch::avx2> {
    using type = avx2_pairs;
};
template <>
struct int8_direct_flavour<arch::avx512vnni> {
    using type = arch::avx512vnni;
};

/// An INT8 kernel's default flavour template argument: the flavour (the arch's own kernels, or its
/// pairs flavour's) follows the blocking the weights were packed with, read at run time, so both are
/// compiled in. A caller that knows the blocking when it is compiled (a header written by `moir
/// codegen`) names the flavour instead: Arch, or int8_pairs_flavour<Arch>::type.
struct dynamic_flavour {};

/// The INT8 blocking of each arch (and flavour).
template <class Arch>
constexpr int8_blocking int8_blocking_of() {
    if constexpr (std::is_same_v<Arch, arch::avx512vnni>) {
        return int8_blocking{8, 3, 16, 4, 1, 1, arch::avx512vnni::name};
    } else if constexpr (std::is_same_v<Arch, arch::avx2>) {
        return int8_blocking{4, 2, 8, 2, 2, 2, arch::avx2::name};
    } else if constexpr (std::is_same_v<Arch, avx2_pairs>) {
        return int8_blocking{4, 2, 8, 4, 1, 1, avx2_pairs::name, true};
    } else {
        return int8_blocking{4, 4, 1, 1, 2, 2, arch::reference::name};
    }
}

/// Columns of B packed per step: a Kp x nc block of about 192 KiB.
inline std::size_t int8_gemm_nc(const int8_blocking& bl, std::size_t k, std::size_t n) {
    const std::size_t nr = bl.nr(), kp = bl.kpad(k);
    std::size_t nc = (196608 / (kp * bl.b_bytes)) / nr * nr;
    if (nc < nr) nc = nr;
    const std::size_t npad = detail::round_up(n, nr);
    return nc < npad ? nc : npad;
}

/// Bytes of scratch an INT8 GEMM of K x N needs (the packed block, then G + 1 rows of u8 staging,
/// then the block's nc s32 column sums, used for weights with zero points only).
inline std::size_t int8_gemm_scratch_bytes(const int8_blocking& bl, std::size_t k, std::size_t n) {
    const std::size_t nc = int8_gemm_nc(bl, k, n);
    return detail::round_up(nc * bl.kpad(k) * bl.b_bytes, 64) + detail::round_up((bl.kgroup + 1) * nc, 64) + 4 * nc + 64;
}

/// u8 sources of B: row<Arch>(k, jc, n, tmp) returns n values of row k from column jc (a pointer
/// into the matrix, or into tmp, which it may fill). `row` is a template on the arch only so that
/// each arch's translation unit has its own copy (no inline function compiled with wider ISA flags
/// can be shared with the others, runtime/instantiate.hpp).
/// A strided matrix: element (k, n) at p[k*rs + n].
struct u8_matrix_source {
    const std::uint8_t* p;
    std::ptrdiff_t rs;
    template <class Arch>
    const std::uint8_t* row(std::size_t k, std::size_t jc, std::size_t, std::uint8_t*) const {
        return p + static_cast<std::ptrdiff_t>(k) * rs + static_cast<std::ptrdiff_t>(jc);
    }
};

/// The im2col matrix of one group of a convolution over a u8 image: row k = (c, ky, kx), column
/// n = (oy, ox); taps outside the image read `pad` (the zero point).
struct u8_im2col_source {
    const std::uint8_t* x;  // [in_c, in_h, in_w]
    const conv_geometry* g;
    std::uint8_t pad = 0;
    template <class Arch>
    const std::uint8_t* row(std::size_t kk, std::size_t jc, std::size_t n, std::uint8_t* tmp) const {
        const conv_geometry& G = *g;
        const std::size_t taps = G.kh * G.kw, c = kk / taps, t = kk % taps;
        const auto ky = static_cast<std::ptrdiff_t>(t / G.kw), kx = static_cast<std::ptrdiff_t>(t % G.kw);
        const auto ih = static_cast<std::ptrdiff_t>(G.in_h), iw = static_cast<std::ptrdiff_t>(G.in_w);
        const auto sw = static_cast<std::ptrdiff_t>(G.sw);
        const std::uint8_t* xc = x + c * G.in_h * G.in_w;
        std::size_t oy = jc / G.out_w, ox = jc % G.out_w, j = 0;
        while (j < n) {
            const std::size_t seg = G.out_w - ox < n - j ? G.out_w - ox : n - j;
            const std::ptrdiff_t iy =
                static_cast<std::ptrdiff_t>(oy * G.sh) - G.pt + ky * static_cast<std::ptrdiff_t>(G.dh);
            std::uint8_t* d = tmp + j;
            if (iy < 0 || iy >= ih) {
                std::memset(d, pad, seg);
            } else {
                const std::ptrdiff_t ix0 =
                    static_cast<std::ptrdiff_t>(ox * G.sw) - G.pl + kx * static_cast<std::ptrdiff_t>(G.dw);
                const auto sseg = static_cast<std::ptrdiff_t>(seg);
                std::ptrdiff_t lo = ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw;
                std::ptrdiff_t hi = iw - ix0 <= 0 ? 0 : (iw - ix0 + sw - 1) / sw;
                if (lo > sseg) lo = sseg;
                if (hi > sseg) hi = sseg;
                if (hi < lo) hi = lo;
                const std::uint8_t* src = xc + iy * iw + ix0;
                std::memset(d, pad, static_cast<std::size_t>(lo));
                if (sw == 1) {
                    std::memcpy(d + lo, src + lo, static_cast<std::size_t>(hi - lo));
                } else {
                    for (std::ptrdiff_t s = lo; s < hi; ++s) d[s] = src[s * sw];
                }
                std::memset(d + hi, pad, static_cast<std::size_t>(sseg - hi));
            }
            j += seg;
            ox += seg;
            if (ox == G.out_w) ox = 0, ++oy;
        }
        return tmp;
    }
};

/// The INT8 arithmetic of an arch: registers of `width` s32 lanes, the packed element types, the
/// dot product step, the conversion to the float vector of `farch`, and the packing of G rows.
template <class Arch>
struct int8_ops;

template <>
struct int8_ops<arch::reference> {
    using farch = arch::reference;
    using ireg = std::int32_t;
    using a_type = std::int16_t;
    using b_type = std::int16_t;
    static constexpr std::size_t width = 1, G = 1;
    static ireg zero() { return 0; }
    static ireg load_b(const b_type* p) { return *p; }
    static ireg bcast_a(const a_type* p) { return *p; }
    static ireg dot(ireg acc, ireg b, ireg a) { return acc + a * b; }
    static typename vec<farch>::reg to_float(ireg acc, std::int32_t comp) { return static_cast<float>(acc - comp); }
    /// dst[j*G + t] = rows[t][j] for j < cols, 0 for cols <= j < NR.
    template <std::size_t NR>
    static void interleave(const std::uint8_t* const* rows, std::size_t cols, b_type* dst) {
        for (std::size_t j = 0; j < cols; ++j) dst[j] = rows[0][j];
        for (std::size_t j = cols; j < NR; ++j) dst[j] = 0;
    }
};

#if defined(__AVX2__) && defined(__FMA__)
namespace detail {
/// What the two AVX2 flavours share: 8 s32 lanes, B loaded as a 32-byte vector, the 4 bytes of one
/// row's k-group broadcast, the s32 sums made floats less the zero-point compensation.
template <class A, class B>
struct int8_ops_avx2_base {
    using farch = arch::avx2;
    using ireg = __m256i;
    using a_type = A;
    using b_type = B;
    static constexpr std::size_t width = 8;
    static ireg zero() { return _mm256_setzero_si256(); }
    static ireg load_b(const b_type* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
    static ireg bcast_a(const a_type* p) {
        std::int32_t v;
        std::memcpy(&v, p, 4);
        return _mm256_set1_epi32(v);
    }
    static typename vec<farch>::reg to_float(ireg acc, std::int32_t comp) {
        return typename vec<farch>::reg(_mm256_cvtepi32_ps(_mm256_sub_epi32(acc, _mm256_set1_epi32(comp))));
    }
};
}  // namespace detail

template <>
struct int8_ops<arch::avx2> : detail::int8_ops_avx2_base<std::int16_t, std::int16_t> {
    static constexpr std::size_t G = 2;
    static ireg dot(ireg acc, ireg b, ireg a) { return _mm256_add_epi32(acc, _mm256_madd_epi16(b, a)); }
    template <std::size_t NR>
    static void interleave(const std::uint8_t* const* rows, std::size_t cols, b_type* dst) {
        std::size_t j = 0;
        for (; j + 16 <= cols; j += 16) {
            const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[0] + j));
            const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[1] + j));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * j), _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(r0, r1)));
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 2 * j + 16),
                                _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(r0, r1)));
        }
        for (; j < cols; ++j) dst[2 * j] = rows[0][j], dst[2 * j + 1] = rows[1][j];
        for (; j < NR; ++j) dst[2 * j] = 0, dst[2 * j + 1] = 0;
    }
};
#endif

namespace detail {
/// dst[j*4 + t] = rows[t][j] for j < cols, 0 for cols <= j < NR (the u8 column layout of G = 4;
/// also the rows of int8_direct.hpp's 4c layout, with NR = 0).
/// A template on the arch so that each arch's translation unit has its own copy.
template <class Arch, std::size_t NR>
void interleave4_u8(const std::uint8_t* const* rows, std::size_t cols, std::uint8_t* dst) {
    std::size_t j = 0;
#if defined(__AVX512BW__)
    if constexpr (std::is_same_v<Arch, arch::avx512vnni>) {
        // 64 columns at a time: the byte and word unpacks work per 128-bit lane, so u_k holds, in
        // lane L, the groups of columns 16L + 4k .. 16L + 4k + 3; the output's 16 columns 16m ..
        // 16m + 15 are lane m of u_0 .. u_3 (a 4 x 4 transpose of lanes: two rounds of vshufi64x2)
        for (; j + 64 <= cols; j += 64) {
            const __m512i r0 = _mm512_loadu_si512(rows[0] + j), r1 = _mm512_loadu_si512(rows[1] + j);
            const __m512i r2 = _mm512_loadu_si512(rows[2] + j), r3 = _mm512_loadu_si512(rows[3] + j);
            const __m512i a = _mm512_unpacklo_epi8(r0, r1), b = _mm512_unpackhi_epi8(r0, r1);
            const __m512i c = _mm512_unpacklo_epi8(r2, r3), d = _mm512_unpackhi_epi8(r2, r3);
            const __m512i u0 = _mm512_unpacklo_epi16(a, c), u1 = _mm512_unpackhi_epi16(a, c);
            const __m512i u2 = _mm512_unpacklo_epi16(b, d), u3 = _mm512_unpackhi_epi16(b, d);
            const __m512i v0 = _mm512_shuffle_i64x2(u0, u1, 0x44), v1 = _mm512_shuffle_i64x2(u0, u1, 0xEE);
            const __m512i v2 = _mm512_shuffle_i64x2(u2, u3, 0x44), v3 = _mm512_shuffle_i64x2(u2, u3, 0xEE);
            _mm512_storeu_si512(dst + 4 * j, _mm512_shuffle_i64x2(v0, v2, 0x88));
            _mm512_storeu_si512(dst + 4 * j + 64, _mm512_shuffle_i64x2(v0, v2, 0xDD));
            _mm512_storeu_si512(dst + 4 * j + 128, _mm512_shuffle_i64x2(v1, v3, 0x88));
            _mm512_storeu_si512(dst + 4 * j + 192, _mm512_shuffle_i64x2(v1, v3, 0xDD));
        }
    }
#endif
#if defined(__AVX2__) || defined(__AVX512F__)
    for (; j + 16 <= cols; j += 16) {
        const __m128i r0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[0] + j));
        const __m128i r1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[1] + j));
        const __m128i r2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[2] + j));
        const __m128i r3 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[3] + j));
        const __m128i a = _mm_unpacklo_epi8(r0, r1), b = _mm_unpackhi_epi8(r0, r1);
        const __m128i c = _mm_unpacklo_epi8(r2, r3), d = _mm_unpackhi_epi8(r2, r3);
        auto* o = reinterpret_cast<__m128i*>(dst + 4 * j);
        _mm_storeu_si128(o + 0, _mm_unpacklo_epi16(a, c));
        _mm_storeu_si128(o + 1, _mm_unpackhi_epi16(a, c));
        _mm_storeu_si128(o + 2, _mm_unpacklo_epi16(b, d));
        _mm_storeu_si128(o + 3, _mm_unpackhi_epi16(b, d));
    }
#endif
    for (; j < cols; ++j)
        for (std::size_t t = 0; t < 4; ++t) dst[4 * j + t] = rows[t][j];
    for (; j < NR; ++j)
        for (std::size_t t = 0; t < 4; ++t) dst[4 * j + t] = 0;
}
}  // namespace detail

#if defined(__AVX2__) && defined(__FMA__)
template <>
struct int8_ops<avx2_pairs> : detail::int8_ops_avx2_base<std::int8_t, std::uint8_t> {
    static constexpr std::size_t G = 4;
    // vpmaddubsw: u8 (activations, first operand) x s8 (weights) summed in pairs into s16 (exact for
    // pair-fitting weights); vpmaddwd by 1: the two pairs of each s32 lane summed into it
    static ireg dot(ireg acc, ireg b, ireg a) {
        return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(b, a), _mm256_set1_epi16(1)));
    }
    template <std::size_t NR>
    static void interleave(const std::uint8_t* const* rows, std::size_t cols, b_type* dst) {
        detail::interleave4_u8<avx2_pairs, NR>(rows, cols, dst);
    }
};
#endif

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
template <>
struct int8_ops<arch::avx512vnni> {
    using farch = arch::avx512;
    using ireg = __m512i;
    using a_type = std::int8_t;
    using b_type = std::uint8_t;
    static constexpr std::size_t width = 16, G = 4;
    static ireg zero() { return _mm512_setzero_si512(); }
    static ireg load_b(const b_type* p) { return _mm512_loadu_si512(p); }
    static ireg bcast_a(const a_type* p) {
        std::int32_t v;
        std::memcpy(&v, p, 4);
        return _mm512_set1_epi32(v);
    }
    // vpdpbusd: each s32 lane += sum of 4 products u8 (first source: activations) x s8 (weights)
    static ireg dot(ireg acc, ireg b, ireg a) { return _mm512_dpbusd_epi32(acc, b, a); }
    static typename vec<farch>::reg to_float(ireg acc, std::int32_t comp) {
        return typename vec<farch>::reg(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc, _mm512_set1_epi32(comp))));
    }
    template <std::size_t NR>
    static void interleave(const std::uint8_t* const* rows, std::size_t cols, b_type* dst) {
        detail::interleave4_u8<arch::avx512vnni, NR>(rows, cols, dst);
    }
};
#endif

namespace detail {

/// Packs B[k, [jc, jc + ncb)] of `src` into nr-column panels at dst (layout in the file comment).
/// tmp: (G + 1) * ncb bytes of staging (the last ncb stay zero: the rows past K).
template <class Arch, class Source>
void int8_pack_b(const Source& src, std::size_t k, std::size_t jc, std::size_t ncb,
                 typename int8_ops<Arch>::b_type* dst, std::uint8_t* tmp) {
    using O = int8_ops<Arch>;
    constexpr int8_blocking bl = int8_blocking_of<Arch>();
    constexpr std::size_t G = O::G, NR = bl.nr();
    const std::size_t kp = bl.kpad(k);
    std::uint8_t* zeros = tmp + G * ncb;
    std::memset(zeros, 0, ncb);
    for (std::size_t q = 0; q < kp / G; ++q) {
        const std::uint8_t* rows[G];
        for (std::size_t t = 0; t < G; ++t) {
            const std::size_t kk = q * G + t;
            rows[t] = kk < k ? src.template row<Arch>(kk, jc, ncb, tmp + t * ncb) : zeros;
        }
        for (std::size_t j = 0; j < ncb; j += NR) {
            const std::uint8_t* pr[G];
            for (std::size_t t = 0; t < G; ++t) pr[t] = rows[t] + j;
            O::template interleave<NR>(pr, ncb - j < NR ? ncb - j : NR, dst + (j / NR) * NR * kp + q * NR * G);
        }
    }
}

/// B of a micro-kernel call: the packed panel (k-group q at b + q * NR * G).
template <class BType, std::size_t Step>
struct int8_packed_rows {
    static constexpr bool by_offset = false;
    const BType* b;
    const BType* operator()(std::size_t q) const { return b + q * Step; }
};

#if defined(__AVX2__) && (defined(__GNUC__) || defined(__clang__))
#define MOIR_INT8_PAIRS_ASM 1
/// The k-loop of the avx2_pairs 4 x 16 tile in inline assembly: acc[i][v] += sum over kq k-groups
/// of A row i (4 s8 at a + 16q + 4i) times B's columns 8v..8v+7 (4 u8 each), B's k-group q at
/// b + 64q (packed panel) or, with off, at b + off[q] (the direct path). The same instructions as
/// the intrinsics (vpbroadcastd, vpmaddubsw, vpmaddwd by 1, vpaddd), which GCC 12 compiled with 8
/// register copies and 2 stack stores per k-group (44 µops per 16 multiplies; here 34), and worse
/// for the direct path's offset table. Measured on Zen 3, one thread: rec's 1x1 GEMMs 2-4% faster
/// (already near the 2-multiplies-per-cycle ceiling), the direct path 96 -> 24 3x3 at 80x80 2.1
/// against 2.8 ms, det's stride-2 stem 2.2 against 2.6 ms.
inline void pairs_4x16_loop(std::size_t kq, const std::int8_t* a, const std::uint8_t* b, const std::ptrdiff_t* off,
                            __m256i (&acc)[4][2]) {
    if (kq == 0) return;
    __m256i c00 = acc[0][0], c01 = acc[0][1], c10 = acc[1][0], c11 = acc[1][1];
    __m256i c20 = acc[2][0], c21 = acc[2][1], c30 = acc[3][0], c31 = acc[3][1];
    const __m256i ones = _mm256_set1_epi16(1);
#define MOIR_PAIRS_ROW(i, ca, cb)                                   \
    "vpbroadcastd " #i "*4(%[a]), %%ymm14\n\t"                     \
    "vpmaddubsw %%ymm14, %%ymm12, %%ymm15\n\t"                     \
    "vpmaddwd %[ones], %%ymm15, %%ymm15\n\t"                       \
    "vpaddd %%ymm15, %[" #ca "], %[" #ca "]\n\t"                   \
    "vpmaddubsw %%ymm14, %%ymm13, %%ymm15\n\t"                     \
    "vpmaddwd %[ones], %%ymm15, %%ymm15\n\t"                       \
    "vpaddd %%ymm15, %[" #cb "], %[" #cb "]\n\t"
#define MOIR_PAIRS_BODY                                             \
    MOIR_PAIRS_ROW(0, c00, c01) MOIR_PAIRS_ROW(1, c10, c11)         \
    MOIR_PAIRS_ROW(2, c20, c21) MOIR_PAIRS_ROW(3, c30, c31)         \
    "add $16, %[a]\n\t"
    if (!off) {
        __asm__ volatile(
            "1:\n\t"
            "vmovdqu (%[b]), %%ymm12\n\t"
            "vmovdqu 32(%[b]), %%ymm13\n\t"
            MOIR_PAIRS_BODY
            "add $64, %[b]\n\t"
            "dec %[n]\n\t"
            "jnz 1b\n\t"
            : [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21),
              [c30] "+x"(c30), [c31] "+x"(c31), [a] "+r"(a), [b] "+r"(b), [n] "+r"(kq)
            : [ones] "x"(ones)
            : "xmm12", "xmm13", "xmm14", "xmm15", "cc", "memory");
    } else {
        std::ptrdiff_t t;
        __asm__ volatile(
            "1:\n\t"
            "mov (%[off]), %[t]\n\t"
            "vmovdqu (%[b],%[t]), %%ymm12\n\t"
            "vmovdqu 32(%[b],%[t]), %%ymm13\n\t"
            MOIR_PAIRS_BODY
            "add $8, %[off]\n\t"
            "dec %[n]\n\t"
            "jnz 1b\n\t"
            : [c00] "+x"(c00), [c01] "+x"(c01), [c10] "+x"(c10), [c11] "+x"(c11), [c20] "+x"(c20), [c21] "+x"(c21),
              [c30] "+x"(c30), [c31] "+x"(c31), [a] "+r"(a), [off] "+r"(off), [n] "+r"(kq), [t] "=&r"(t)
            : [ones] "x"(ones), [b] "r"(b)
            : "xmm12", "xmm13", "xmm14", "xmm15", "cc", "memory");
    }
#undef MOIR_PAIRS_BODY
#undef MOIR_PAIRS_ROW
    acc[0][0] = c00, acc[0][1] = c01, acc[1][0] = c10, acc[1][1] = c11;
    acc[2][0] = c20, acc[2][1] = c21, acc[3][0] = c30, acc[3][1] = c31;
}
#endif

#if defined(__AVX512F__) && defined(__AVX512VNNI__) && (defined(__GNUC__) || defined(__clang__))
#define MOIR_INT8_VNNI_ASM 1
/// The k-loop of the avx512vnni 8 x 48 tile in inline assembly: acc[i][v] += sum over kq k-groups
/// of A row i (4 s8 at a + 32q + 4i) times B's columns 16v..16v+15 (4 u8 each), B's k-group q at
/// b + 192q (packed panel) or, with off, at b + off[q] (the direct path): 3 loads of B, then per
/// row one vpbroadcastd and 3 vpdpbusd. The 24 accumulators live in zmm0-23 for the whole loop and
/// pass through acc in memory at its ends (as asm operands they would be 48: GCC allows 30).
/// Compiled from the intrinsics, GCC 12 kept them in registers but copied each twice per k-group
/// and stored most of them to the stack (about 75 instructions per 24 vpdpbusd); measured on Zen 4,
/// one thread, that ran PaddleOCR rec's 1x1 GEMMs slower than AVX2's vpmaddubsw kernel.
inline void vnni_8x48_loop(std::size_t kq, const std::int8_t* a, const std::uint8_t* b, const std::ptrdiff_t* off,
                           __m512i (&acc)[8][3]) {
    if (kq == 0) return;
    __m512i* c = &acc[0][0];
    // accumulator r (row r / 3, column vector r % 3) is zmm<r>, stored at c + 64r
#define MOIR_VNNI_EACH_ACC(X)                                                                                  \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13) X(14) X(15) X(16) X(17) X(18) \
    X(19) X(20) X(21) X(22) X(23)
#define MOIR_VNNI_LOAD(r) "vmovdqa64 " #r "*64(%[c]), %%zmm" #r "\n\t"
#define MOIR_VNNI_STORE(r) "vmovdqa64 %%zmm" #r ", " #r "*64(%[c])\n\t"
#define MOIR_VNNI_ROW(i, r0, r1, r2)                  \
    "vpbroadcastd " #i "*4(%[a]), %%zmm27\n\t"       \
    "vpdpbusd %%zmm27, %%zmm24, %%zmm" #r0 "\n\t"    \
    "vpdpbusd %%zmm27, %%zmm25, %%zmm" #r1 "\n\t"    \
    "vpdpbusd %%zmm27, %%zmm26, %%zmm" #r2 "\n\t"
#define MOIR_VNNI_BODY                                                                                         \
    MOIR_VNNI_ROW(0, 0, 1, 2) MOIR_VNNI_ROW(1, 3, 4, 5) MOIR_VNNI_ROW(2, 6, 7, 8) MOIR_VNNI_ROW(3, 9, 10, 11)   \
    MOIR_VNNI_ROW(4, 12, 13, 14) MOIR_VNNI_ROW(5, 15, 16, 17) MOIR_VNNI_ROW(6, 18, 19, 20)                      \
    MOIR_VNNI_ROW(7, 21, 22, 23) "add $32, %[a]\n\t"
#define MOIR_VNNI_CLOBBERS                                                                                     \
    "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",   \
        "xmm13", "xmm14", "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23",      \
        "xmm24", "xmm25", "xmm26", "xmm27", "cc", "memory"
    if (!off) {
        __asm__ volatile(
            MOIR_VNNI_EACH_ACC(MOIR_VNNI_LOAD)
            "1:\n\t"
            "vmovdqu64 (%[b]), %%zmm24\n\t"
            "vmovdqu64 64(%[b]), %%zmm25\n\t"
            "vmovdqu64 128(%[b]), %%zmm26\n\t"
            MOIR_VNNI_BODY
            "add $192, %[b]\n\t"
            "dec %[n]\n\t"
            "jnz 1b\n\t"
            MOIR_VNNI_EACH_ACC(MOIR_VNNI_STORE)
            : [a] "+r"(a), [b] "+r"(b), [n] "+r"(kq)
            : [c] "r"(c)
            : MOIR_VNNI_CLOBBERS);
    } else {
        std::ptrdiff_t t;
        __asm__ volatile(
            MOIR_VNNI_EACH_ACC(MOIR_VNNI_LOAD)
            "1:\n\t"
            "mov (%[off]), %[t]\n\t"
            "vmovdqu64 (%[b],%[t]), %%zmm24\n\t"
            "vmovdqu64 64(%[b],%[t]), %%zmm25\n\t"
            "vmovdqu64 128(%[b],%[t]), %%zmm26\n\t"
            MOIR_VNNI_BODY
            "add $8, %[off]\n\t"
            "dec %[n]\n\t"
            "jnz 1b\n\t"
            MOIR_VNNI_EACH_ACC(MOIR_VNNI_STORE)
            : [a] "+r"(a), [off] "+r"(off), [n] "+r"(kq), [t] "=&r"(t)
            : [b] "r"(b), [c] "r"(c)
            : MOIR_VNNI_CLOBBERS);
    }
#undef MOIR_VNNI_CLOBBERS
#undef MOIR_VNNI_BODY
#undef MOIR_VNNI_ROW
#undef MOIR_VNNI_STORE
#undef MOIR_VNNI_LOAD
#undef MOIR_VNNI_EACH_ACC
}
#endif

/// The INT8 micro-kernel: the tile [mv <= MT rows, ncols <= NC * W columns] of C at c (row stride
/// ldc) from kq k-groups of the packed panel a (MR rows) and of B, whose k-group q (NR columns x G
/// values, the packed column layout) starts at rows(q), through the epilogue; comp, scale, shift
/// point at the tile's first row. B is a packed panel (int8_packed_rows) or, for the direct
/// convolution (int8_direct.hpp), runs of the input itself. NC: the column vectors computed, NV (all
/// of the panel's) or fewer for a short last tile (int8_with_tile).
template <class Arch, class Act, std::size_t MT, std::size_t NC = int8_blocking_of<Arch>().nv>
struct int8_micro_kernel {
    using O = int8_ops<Arch>;
    using V = vec<typename O::farch>;
    using R = typename O::ireg;
    static constexpr int8_blocking bl = int8_blocking_of<Arch>();
    static constexpr std::size_t MR = bl.mr, NV = bl.nv, W = O::width, NR = NV * W, G = O::G;
    static_assert(W == V::width, "moir: the s32 and float vectors of an INT8 arch must have the same lanes");
    static_assert(NC >= 1 && NC <= NV, "moir: an INT8 tile computes 1 to NV column vectors");

    static void run(std::size_t kq, const typename O::a_type* a, const typename O::b_type* b, float* c,
                    std::ptrdiff_t ldc, std::size_t mv, std::size_t ncols, const int8_epilogue& e,
                    const std::int32_t* comp, const float* scale, const float* shift) {
        run_rows(kq, a, int8_packed_rows<typename O::b_type, NR * G>{b}, c, ldc, mv, ncols, e, comp, scale, shift);
    }

    /// run_rows kept out of its caller (MOIR_NOINLINE), for drivers that inline badly: the direct
    /// convolution's row loop at -O3 (GEMM drivers, with their short K, are faster inlined).
    template <class Rows>
    MOIR_NOINLINE static void run_rows_apart(std::size_t kq, const typename O::a_type* a, const Rows& rows, float* c,
                                             std::ptrdiff_t ldc, std::size_t mv, std::size_t ncols,
                                             const int8_epilogue& e, const std::int32_t* comp, const float* scale,
                                             const float* shift) {
        run_rows(kq, a, rows, c, ldc, mv, ncols, e, comp, scale, shift);
    }

    template <class Rows>
    static void run_rows(std::size_t kq, const typename O::a_type* a, const Rows& rows, float* c, std::ptrdiff_t ldc,
                         std::size_t mv, std::size_t ncols, const int8_epilogue& e, const std::int32_t* comp,
                         const float* scale, const float* shift) {
        R acc[MT][NC];
#pragma GCC unroll 16
        for (std::size_t i = 0; i < MT; ++i)
#pragma GCC unroll 8
            for (std::size_t v = 0; v < NC; ++v) acc[i][v] = O::zero();
#if defined(MOIR_INT8_PAIRS_ASM)
        if constexpr (std::is_same_v<Arch, avx2_pairs> && MT == 4 && MR == 4 && NC == 2) {
            if constexpr (Rows::by_offset)
                pairs_4x16_loop(kq, a, rows.base, rows.off, acc);
            else
                pairs_4x16_loop(kq, a, rows.b, nullptr, acc);
            kq = 0;
        }
#endif
#if defined(MOIR_INT8_VNNI_ASM)
        if constexpr (std::is_same_v<Arch, arch::avx512vnni> && MT == 8 && MR == 8 && NC == 3) {
            if constexpr (Rows::by_offset)
                vnni_8x48_loop(kq, a, rows.base, rows.off, acc);
            else
                vnni_8x48_loop(kq, a, rows.b, nullptr, acc);
            kq = 0;
        }
#endif
        for (std::size_t q = 0; q < kq; ++q, a += MR * G) {
            const typename O::b_type* b = rows(q);
            R bv[NC];
#pragma GCC unroll 8
            for (std::size_t v = 0; v < NC; ++v) bv[v] = O::load_b(b + v * W * G);
#pragma GCC unroll 16
            for (std::size_t i = 0; i < MT; ++i) {
                const R ai = O::bcast_a(a + i * G);
#pragma GCC unroll 8
                for (std::size_t v = 0; v < NC; ++v) acc[i][v] = O::dot(acc[i][v], bv[v], ai);
            }
        }
        if (e.row_zero) {  // weights with zero points: acc -= z[i] * colsum (int8_packing.hpp)
            static_assert(sizeof(R) == W * sizeof(std::int32_t), "moir: an INT8 accumulator holds W s32 lanes");
            for (std::size_t i = 0; i < MT && i < mv; ++i)
                for (std::size_t v = 0; v < NC; ++v) {
                    std::int32_t lanes[W];
                    std::memcpy(lanes, &acc[i][v], sizeof lanes);
                    for (std::size_t l = 0; l < W; ++l) lanes[l] -= e.row_zero[i] * e.col_sum[v * W + l];
                    std::memcpy(&acc[i][v], lanes, sizeof lanes);
                }
        }
        // row i of the tile through the epilogue: NC vectors of W columns
        using FR = typename V::reg;
        auto row_values = [&](std::size_t i, FR (&x)[NC]) {
            const auto s = V::set1(scale[i]), h = V::set1(shift ? shift[i] : 0.0f);
            for (std::size_t v = 0; v < NC; ++v) x[v] = activate<Act, V>(V::fma(O::to_float(acc[i][v], comp[i]), s, h), e.act);
        };
        if (e.transposed) {
            FR x[MT][NC];
            for (std::size_t i = 0; i < mv; ++i) row_values(i, x[i]);
#if defined(__AVX2__)
            if constexpr (MT == 4 && W == 8 && std::is_same_v<typename O::farch, arch::avx2>) {
                if (mv == 4) {  // 4 x 8 transposed in registers: each column's 4 values, one 16-byte store
                    const std::size_t full = ncols / W;
                    for (std::size_t v = 0; v < NC; ++v) {
                        const __m256 x0 = x[0][v], x1 = x[1][v], x2 = x[2][v], x3 = x[3][v];
                        const __m256 t0 = _mm256_unpacklo_ps(x0, x1), t1 = _mm256_unpackhi_ps(x0, x1);
                        const __m256 t2 = _mm256_unpacklo_ps(x2, x3), t3 = _mm256_unpackhi_ps(x2, x3);
                        // columns (0, 4), (1, 5), (2, 6), (3, 7) of the 8, low and high halves
                        const __m256 u[4] = {_mm256_shuffle_ps(t0, t2, 0x44), _mm256_shuffle_ps(t0, t2, 0xEE),
                                             _mm256_shuffle_ps(t1, t3, 0x44), _mm256_shuffle_ps(t1, t3, 0xEE)};
                        const std::size_t nv = v < full ? W : v == full ? ncols % W : 0;
                        for (std::size_t l = 0; l < nv; ++l) {
                            const __m128 col = l < 4 ? _mm256_castps256_ps128(u[l]) : _mm256_extractf128_ps(u[l - 4], 1);
                            _mm_storeu_ps(c + static_cast<std::ptrdiff_t>(v * W + l) * ldc, col);
                        }
                    }
                    return;
                }
            }
#endif
            // through a buffer: column n of the tile is mv consecutive floats of C^T's row n
            alignas(64) float buf[MT][NC * W];
            for (std::size_t i = 0; i < mv; ++i)
                for (std::size_t v = 0; v < NC; ++v) V::store(buf[i] + v * W, x[i][v]);
            for (std::size_t n = 0; n < ncols; ++n) {
                float* cr = c + static_cast<std::ptrdiff_t>(n) * ldc;
                for (std::size_t i = 0; i < mv; ++i) cr[i] = buf[i][n];
            }
            return;
        }
        for (std::size_t i = 0; i < mv; ++i) {
            float* cr = c + static_cast<std::ptrdiff_t>(i) * ldc;
            FR x[NC];
            row_values(i, x);
            for (std::size_t v = 0; v < NC && v * W < ncols; ++v) {
                const std::size_t n = ncols - v * W < W ? ncols - v * W : W;
                if (n == W)
                    V::store(cr + v * W, x[v]);
                else
                    V::store_partial(cr + v * W, x[v], n);
            }
        }
    }
};

/// The micro-kernel for a tile of ncols columns and MT rows: on an arch whose tile is 3 vectors wide
/// (avx512vnni's 48 columns), a short last tile computes only the 1 or 2 vectors it covers (det's
/// output rows of 20 and 80 columns as 32 and 48 + 32 instead of 48 and 96).
template <class Arch, class Act, std::size_t MT, class F>
void int8_with_columns(std::size_t ncols, const F& f) {
    constexpr int8_blocking bl = int8_blocking_of<Arch>();
    if constexpr (bl.nv == 3) {
        if (ncols <= bl.width) return f(int8_micro_kernel<Arch, Act, MT, 1>{});
        if (ncols <= 2 * bl.width) return f(int8_micro_kernel<Arch, Act, MT, 2>{});
    }
    f(int8_micro_kernel<Arch, Act, MT>{});
}

/// One tile of mv rows and ncols columns: the micro-kernel with the fewest computed rows that covers
/// mv (MT = MR, 1, 2 or 4) and the fewest column vectors that cover ncols (int8_with_columns),
/// called as K::run_rows (B from a row accessor) or K::run (a packed panel).
template <class Arch, class Act, class F>
void int8_with_tile(std::size_t mv, std::size_t ncols, const F& f) {
    constexpr std::size_t MR = int8_blocking_of<Arch>().mr;
    if (mv == MR || MR <= 2)
        int8_with_columns<Arch, Act, MR>(ncols, f);
    else if (mv == 1)
        int8_with_columns<Arch, Act, 1>(ncols, f);
    else if (mv == 2)
        int8_with_columns<Arch, Act, 2>(ncols, f);
    else if (mv <= 4 && MR > 4)
        int8_with_columns<Arch, Act, 4>(ncols, f);
    else
        int8_with_columns<Arch, Act, MR>(ncols, f);
}

template <class Arch, class Act, class... Args>
void int8_run_tile(std::size_t mv, std::size_t ncols, const Args&... args) {
    int8_with_tile<Arch, Act>(mv, ncols, [&](auto k) { decltype(k)::run(args...); });
}

/// The driver: C[M, N] = epilogue(A * B) with B from src, packed nc columns at a time into scratch.
template <class Arch, class Act, class Source>
void int8_gemm_run(const packed_int8_a& pa, const Source& src, std::size_t n, float* c, std::ptrdiff_t ldc,
                   const int8_epilogue& e, void* scratch) {
    using O = int8_ops<Arch>;
    constexpr int8_blocking bl = int8_blocking_of<Arch>();
    constexpr std::size_t MR = bl.mr, NR = bl.nr(), G = O::G;
    const std::size_t m = pa.m, k = pa.k, kp = bl.kpad(k);
    const std::size_t nc = int8_gemm_nc(bl, k, n);
    auto* bbuf = static_cast<typename O::b_type*>(scratch);
    auto* tmp = static_cast<std::uint8_t*>(scratch) + round_up(nc * kp * bl.b_bytes, 64);
    const auto* a = static_cast<const typename O::a_type*>(pa.data);
    // weights with zero points: the s32 column sums of each packed block (int8_packing.hpp)
    auto* col_sum = reinterpret_cast<std::int32_t*>(tmp + round_up((G + 1) * nc, 64));
    int8_epilogue ez = e;
    for (std::size_t jc = 0; jc < n; jc += nc) {
        const std::size_t ncb = n - jc < nc ? n - jc : nc;
        int8_pack_b<Arch>(src, k, jc, ncb, bbuf, tmp);
        if (pa.weight_zero_data) {
            const std::size_t panels = (ncb + NR - 1) / NR;
            std::memset(col_sum, 0, panels * NR * sizeof(std::int32_t));
            for (std::size_t p = 0; p < panels; ++p) {
                const typename O::b_type* bp = bbuf + p * NR * kp;
                std::int32_t* cs = col_sum + p * NR;
                for (std::size_t q = 0; q < kp / G; ++q, bp += NR * G)
                    for (std::size_t jj = 0; jj < NR; ++jj)
                        for (std::size_t t = 0; t < G; ++t) cs[jj] += bp[jj * G + t];
            }
        }
        for (std::size_t ic = 0; ic < m; ic += MR) {
            const std::size_t mv = m - ic < MR ? m - ic : MR;
            const typename O::a_type* ap = a + ic * kp;
            if (pa.weight_zero_data) ez.row_zero = pa.weight_zero_data + ic;
            for (std::size_t jr = 0; jr < ncb; jr += NR) {
                const std::size_t j = jc + jr;  // the tile's element (ic, j)
                float* ct = e.transposed ? c + static_cast<std::ptrdiff_t>(j) * ldc + static_cast<std::ptrdiff_t>(ic)
                                         : c + static_cast<std::ptrdiff_t>(ic) * ldc + static_cast<std::ptrdiff_t>(j);
                const std::size_t ncols = ncb - jr < NR ? ncb - jr : NR;
                if (pa.weight_zero_data) ez.col_sum = col_sum + jr;
                int8_run_tile<Arch, Act>(mv, ncols, kp / G, ap, bbuf + jr * kp, ct, ldc, mv, ncols, ez, pa.comp_data + ic,
                                         e.scale + ic, e.shift ? e.shift + ic : nullptr);
            }
        }
    }
}

/// int8_gemm_run on Arch, or on its pairs flavour when A was packed with that blocking; with a
/// static Flavour (not dynamic_flavour), on that flavour only.
template <class Arch, class Act, class Source, class Flavour = dynamic_flavour>
void int8_gemm_flavour(const packed_int8_a& pa, const Source& src, std::size_t n, float* c, std::ptrdiff_t ldc,
                       const int8_epilogue& e, void* scratch) {
    if constexpr (!std::is_same_v<Flavour, dynamic_flavour>) {
        static_assert(std::is_same_v<Flavour, Arch> || std::is_same_v<Flavour, typename int8_pairs_flavour<Arch>::type>,
                      "moir: an INT8 flavour is the arch itself or its int8_pairs_flavour");
        MOIR_CHECK(pa.blocking.pairs == int8_blocking_of<Flavour>().pairs, error,
                   "int8_gemm: weights packed for another INT8 flavour than the one named");
        int8_gemm_run<Flavour, Act>(pa, src, n, c, ldc, e, scratch);
    } else {
        using P = typename int8_pairs_flavour<Arch>::type;
        if constexpr (!std::is_void_v<P>) {
            if (pa.blocking.pairs) return int8_gemm_run<P, Act>(pa, src, n, c, ldc, e, scratch);
        }
        MOIR_CHECK(!pa.blocking.pairs, error, "int8_gemm: weights packed for a pairs kernel this arch does not have");
        int8_gemm_run<Arch, Act>(pa, src, n, c, ldc, e, scratch);
    }
}

}  // namespace detail

/// C[M, N] = act(float(A * B - comp) * scale + shift), A packed by pack_int8_a with
/// int8_blocking_of<Arch>(), B[K, N] u8 with row stride ldb (unit column stride).
/// requires: c has M rows of stride ldc >= N (e.transposed: N rows of stride ldc >= M), not
/// aliasing b; scratch holds
/// int8_gemm_scratch_bytes(blocking, K, N) bytes, 64-byte aligned; e.scale M values, e.shift M or nullptr.
/// A packed with the arch's pairs blocking (int8_blocking_for) runs on its pairs flavour.
/// StaticAct: an act:: tag compiles only that activation (e.act.act must name it; epilogue.hpp's
/// with_activation_as); Flavour: Arch or its pairs flavour compiles only that one (a must be packed
/// with its blocking); the defaults choose both at run time.
template <class Arch, class StaticAct = dynamic_activation, class Flavour = dynamic_flavour>
void int8_gemm(const packed_int8_a& a, const std::uint8_t* b, std::ptrdiff_t ldb, std::size_t n, float* c,
               std::ptrdiff_t ldc, const int8_epilogue& e, void* scratch) {
    if (n == 0) return;
    with_activation_as<StaticAct>(e.act.act, [&](auto act) {
        detail::int8_gemm_flavour<Arch, decltype(act), u8_matrix_source, Flavour>(a, u8_matrix_source{b, ldb}, n, c, ldc,
                                                                                  e, scratch);
    });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_INT8_GEMM_HPP
