#ifndef MOIR_KERNELS_SIMD_PACKING_HPP
#define MOIR_KERNELS_SIMD_PACKING_HPP

// Packed constant operands of the fast FP32 kernels, prepared once at load time.
//
// The packers here are arch-independent (plain layout code, no vector types): they take the
// `gemm_blocking` of the arch that will run the kernel (fp32_kernel_table::blocking, from
// runtime/dispatch.hpp) and return owning structs whose buffers the compute kernels only read. They
// are deliberately not instantiated in the per-arch translation units (see runtime/instantiate.hpp).
//
// Layouts (all 64-byte aligned, zero-padded):
//   packed_a (left operand A[M, K], e.g. conv weights [Cout, Cin*kh*kw]): K is cut into blocks of
//     kc; within block pb (kb = its size) the rows are cut into panels of mr rows, stored k-major:
//     element (m, k) of block pb, panel p = m / mr is at data[pb*kc*mpad + p*mr*kb + (k - pb*kc)*mr + m % mr],
//     mpad = M rounded up to mr. groups > 1 stores `groups` such matrices one after the other.
//   packed_b (right operand B[K, N], e.g. MatMul weights): the same with columns: panels of nr
//     columns, element (k, n) at data[pb*kc*npad + p*nr*kb + (k - pb*kc)*nr + n % nr].
//   packed_depthwise: the weights [C, kh, kw] as they are, plus the geometry.

#include <moir/core/errors.hpp>
#include <moir/kernels/conv_geometry.hpp>

#include <cstddef>      // ptrdiff_t, size_t
#include <cstdint>      // int32_t
#include <cstdlib>      // aligned_alloc, free
#include <cstring>      // memset
#include <memory>       // unique_ptr
#include <new>          // bad_alloc
#include <string_view>  // string_view
#include <utility>      // move
#include <vector>       // vector

namespace moir::kernels::simd {

using kernels::conv_geometry;

/// The register and cache blocking of an arch's GEMM: micro-tile mr x nr (nr = nv vectors of width
/// floats), K block kc.
struct gemm_blocking {
    std::size_t mr = 4, nv = 4, width = 1, kc = 256;
    std::string_view arch = "reference";
    constexpr std::size_t nr() const { return nv * width; }
};

namespace detail {
struct free_deleter {
    void operator()(float* p) const { std::free(p); }
};
/// A zero-filled, 64-byte aligned float buffer of n (>= 1) floats plus one vector of slack.
inline std::unique_ptr<float, free_deleter> aligned_floats(std::size_t n) {
    const std::size_t bytes = ((n * sizeof(float) + 63) / 64) * 64 + 64;
    void* p = std::aligned_alloc(64, bytes);
    if (!p) MOIR_THROW(std::bad_alloc());
    std::memset(p, 0, bytes);
    return std::unique_ptr<float, free_deleter>(static_cast<float*>(p));
}
inline std::size_t round_up(std::size_t x, std::size_t m) { return (x + m - 1) / m * m; }
}  // namespace detail

/// A left GEMM operand A[M, K] (`groups` of them) packed in mr-row panels (layout above).
struct packed_a {
    gemm_blocking blocking;
    std::size_t m = 0, k = 0, groups = 1;
    std::size_t group_stride = 0;  // floats from one group's matrix to the next
    const float* data = nullptr;   // the packed values (owned by `storage`)
    std::unique_ptr<float, detail::free_deleter> storage;
};

/// A right GEMM operand B[K, N] packed in nr-column panels (layout above).
struct packed_b {
    gemm_blocking blocking;
    std::size_t k = 0, n = 0;
    const float* data = nullptr;
    std::unique_ptr<float, detail::free_deleter> storage;
};

/// Packs A[M, K] (`groups` matrices one after the other, `group_stride` floats apart in the source),
/// element (m, k) read at a[m*rs + k*cs]: rs = K, cs = 1 for a row-major matrix; rs = 1, cs = M for a
/// transposed one. requires: m, k >= 1.
inline packed_a pack_a(const gemm_blocking& bl, const float* a, std::size_t m, std::size_t k, std::ptrdiff_t rs,
                       std::ptrdiff_t cs, std::size_t groups = 1, std::ptrdiff_t src_group_stride = 0) {
    MOIR_CHECK(m >= 1 && k >= 1 && groups >= 1, error, "pack_a: empty matrix");
    packed_a p;
    p.blocking = bl, p.m = m, p.k = k, p.groups = groups;
    const std::size_t mr = bl.mr, mpad = detail::round_up(m, mr);
    p.group_stride = mpad * k;
    p.storage = detail::aligned_floats(p.group_stride * groups);
    float* out = p.storage.get();
    for (std::size_t g = 0; g < groups; ++g) {
        const float* ag = a + static_cast<std::ptrdiff_t>(g) * src_group_stride;
        float* og = out + g * p.group_stride;
        for (std::size_t pc = 0; pc < k; pc += bl.kc) {
            const std::size_t kb = k - pc < bl.kc ? k - pc : bl.kc;
            float* block = og + pc * mpad;
            for (std::size_t mi = 0; mi < m; ++mi) {
                float* panel = block + (mi / mr) * mr * kb + mi % mr;
                for (std::size_t kk = 0; kk < kb; ++kk)
                    panel[kk * mr] =
                        ag[static_cast<std::ptrdiff_t>(mi) * rs + static_cast<std::ptrdiff_t>(pc + kk) * cs];
            }
        }
    }
    p.data = out;
    return p;
}

/// Floats pack_b_into writes for B[K, N].
inline std::size_t packed_b_floats(const gemm_blocking& bl, std::size_t k, std::size_t n) {
    return detail::round_up(n, bl.nr()) * k;
}

/// Packs B[K, N] into out (packed_b_floats(bl, k, n) floats; pad columns set to 0), element (k, n)
/// read at b[k*rs + n*cs], and returns a packed_b that views out (no storage of its own): B changes
/// at every run (a MatMul of two activations) and is packed into a worker's scratch.
/// requires: k, n >= 1.
inline packed_b pack_b_into(const gemm_blocking& bl, const float* b, std::size_t k, std::size_t n, std::ptrdiff_t rs,
                            std::ptrdiff_t cs, float* out) {
    packed_b p;
    p.blocking = bl, p.k = k, p.n = n;
    const std::size_t nr = bl.nr(), npad = detail::round_up(n, nr);
    for (std::size_t pc = 0; pc < k; pc += bl.kc) {
        const std::size_t kb = k - pc < bl.kc ? k - pc : bl.kc;
        float* block = out + pc * npad;
        for (std::size_t kk = 0; kk < kb; ++kk) {
            const float* row = b + static_cast<std::ptrdiff_t>(pc + kk) * rs;
            for (std::size_t ni = 0; ni < npad; ++ni)
                block[(ni / nr) * nr * kb + kk * nr + ni % nr] =
                    ni < n ? row[static_cast<std::ptrdiff_t>(ni) * cs] : 0.0f;
        }
    }
    p.data = out;
    return p;
}

/// Packs B[K, N], element (k, n) read at b[k*rs + n*cs] (rs = N, cs = 1 for row-major; rs = 1, cs = K
/// for a transposed B, e.g. MatMul transpose_b). requires: k, n >= 1.
inline packed_b pack_b(const gemm_blocking& bl, const float* b, std::size_t k, std::size_t n, std::ptrdiff_t rs,
                       std::ptrdiff_t cs) {
    MOIR_CHECK(k >= 1 && n >= 1, error, "pack_b: empty matrix");
    auto storage = detail::aligned_floats(packed_b_floats(bl, k, n));
    packed_b p = pack_b_into(bl, b, k, n, rs, cs, storage.get());
    p.storage = std::move(storage);
    return p;
}


/// Convolution weights [G*out_c, in_c, kh, kw] packed as G left GEMM operands [out_c, in_c*kh*kw].
/// When packed for the direct path (pack_conv_direct; see conv_rows in kernels/simd/convolution.hpp)
/// also: the ring of padded input rows each channel keeps (span = the rows one output row reads,
/// width = a padded row's stride) and, for each phase (output row mod span), the offset of each K row
/// (c, ky, kx) into that ring.
struct packed_conv {
    conv_geometry geometry;
    packed_a weights;
    std::size_t direct_span = 0, direct_width = 0;
    std::vector<std::int32_t> direct_offsets;  // [span][in_c*kh*kw]
    /// When set, the offsets are read here instead of direct_offsets (a generated model's constant
    /// array: docs/embedded.md).
    const std::int32_t* direct_offsets_data = nullptr;
    const std::int32_t* offsets() const { return direct_offsets_data ? direct_offsets_data : direct_offsets.data(); }
    /// When packed by pack_conv_plane (conv_plane in kernels/simd/convolution.hpp): the output rows
    /// of one block (its padded input rows are one contiguous plane per channel, direct_width floats
    /// a row: out_w + (kw-1)*dw, unrounded), and direct_offsets holds in_c*kh*kw offsets into that
    /// block (span = 1 phase). 0 otherwise.
    std::size_t plane_rows = 0;
    /// conv_plane may read the input in place instead of copying a block's rows into planes, for the
    /// blocks whose rows lie inside the image, when the padded rows are the input's own (kw == 1,
    /// pl == 0: direct_width == in_w). Set by a caller whose input is readable 15 floats past its end
    /// (a plan's arena tensor: runtime/plan.hpp) and whose in_c*in_h*in_w fits 30 bits.
    bool plane_inplace = false;
};

/// requires: w holds groups*out_c*in_c*kh*kw floats in OIHW (GOIHW) order.
inline packed_conv pack_conv(const gemm_blocking& bl, const float* w, const conv_geometry& g) {
    packed_conv p;
    p.geometry = g;
    const std::size_t k = g.in_c * g.kh * g.kw;
    p.weights = pack_a(bl, w, g.out_c, k, static_cast<std::ptrdiff_t>(k), 1, g.groups,
                       static_cast<std::ptrdiff_t>(g.out_c * k));
    return p;
}

/// Whether conv_rows (the direct path: no im2col; the GEMM reads rows of a padded copy of the input
/// in place) can run g: one group, stride 1, non-negative top/left pads, not a plain pointwise GEMM,
/// and ring offsets that fit 32 bits.
inline bool direct_conv_fits(const conv_geometry& g) {
    if (g.groups != 1 || g.sh != 1 || g.sw != 1 || g.pt < 0 || g.pl < 0 || g.pointwise()) return false;
    const std::size_t width = g.out_w + (g.kw - 1) * g.dw, span = (g.kh - 1) * g.dh + 1;
    return g.in_c * span * (width + 16) < (std::size_t(1) << 30);
}

/// pack_conv, plus the direct path's ring layout. requires: direct_conv_fits(g).
inline packed_conv pack_conv_direct(const gemm_blocking& bl, const float* w, const conv_geometry& g) {
    MOIR_CHECK(direct_conv_fits(g), error, "pack_conv_direct: the geometry does not fit the direct path");
    packed_conv p = pack_conv(bl, w, g);
    const std::size_t span = (g.kh - 1) * g.dh + 1;
    p.direct_span = span;
    p.direct_width = detail::round_up(g.out_w + (g.kw - 1) * g.dw, 16);  // rows start on cache lines
    p.direct_offsets.reserve(span * g.in_c * g.kh * g.kw);
    for (std::size_t phase = 0; phase < span; ++phase)
        for (std::size_t c = 0; c < g.in_c; ++c)
            for (std::size_t ky = 0; ky < g.kh; ++ky)
                for (std::size_t kx = 0; kx < g.kw; ++kx)
                    p.direct_offsets.push_back(static_cast<std::int32_t>(
                        (c * span + (phase + ky * g.dh) % span) * p.direct_width + kx * g.dw));
    return p;
}

/// The share of a micro-tile's columns that are output pixels on the direct (ring) path and on the
/// plane path (conv_plane), for an arch with nr-column tiles; `rows` is the plane path's block.
struct plane_choice {
    std::size_t rows = 0;       // output rows per block (0: the plane path does not fit)
    double ring_use = 0.0, plane_use = 0.0;
};

/// The plane path's block for g: as many output rows as keep a block's padded input (every channel)
/// within about 192 KiB (it stays in L2 while the weights pass over it), at least one; and how much
/// of each path's tiles is useful work. requires: direct_conv_fits(g).
inline plane_choice plane_rows_for(const gemm_blocking& bl, const conv_geometry& g) {
    plane_choice r;
    const std::size_t nr = bl.nr(), pw = g.out_w + (g.kw - 1) * g.dw, span = (g.kh - 1) * g.dh + 1;
    const std::size_t per_row = g.in_c * pw, budget = 49152;
    std::size_t rows = budget / per_row > span ? budget / per_row - (span - 1) : 1;
    if (rows > g.out_h) rows = g.out_h;
    // offsets and the block must fit 32 bits
    if (g.in_c * (rows + span - 1) * pw + nr + pw >= (std::size_t(1) << 30)) return r;
    r.rows = rows;
    r.ring_use = double(g.out_w) / double(detail::round_up(g.out_w, nr));
    r.plane_use = double(rows * g.out_w) / double(detail::round_up(rows * pw, nr));
    return r;
}

/// pack_conv plus the plane path's block layout (conv_plane): `rows` output rows per block, as
/// plane_rows_for chose. requires: direct_conv_fits(g), rows >= 1.
inline packed_conv pack_conv_plane(const gemm_blocking& bl, const float* w, const conv_geometry& g, std::size_t rows) {
    MOIR_CHECK(direct_conv_fits(g) && rows >= 1, error, "pack_conv_plane: the geometry does not fit the plane path");
    packed_conv p = pack_conv(bl, w, g);
    const std::size_t span = (g.kh - 1) * g.dh + 1, pw = g.out_w + (g.kw - 1) * g.dw;
    p.direct_span = span;
    p.direct_width = pw;
    p.plane_rows = rows;
    const std::size_t channel = (rows + span - 1) * pw;
    p.direct_offsets.reserve(g.in_c * g.kh * g.kw);
    for (std::size_t c = 0; c < g.in_c; ++c)
        for (std::size_t ky = 0; ky < g.kh; ++ky)
            for (std::size_t kx = 0; kx < g.kw; ++kx)
                p.direct_offsets.push_back(static_cast<std::int32_t>(c * channel + ky * g.dh * pw + kx * g.dw));
    return p;
}

/// The pixels path's tile use (conv_step's `pixels`: C[pixels, out_c] = im2col^T * W^T on gemm_b,
/// output channels across the nr columns of a tile): the share of a tile's columns that are output
/// channels. For images so small that the other paths' tiles (output pixels across nr) are mostly
/// padding: a 2x8 map fills a third of a 48-column tile, its 96 output channels all of two.
inline double pixels_use(const gemm_blocking& bl, const conv_geometry& g) {
    return double(g.out_c) / double(detail::round_up(g.out_c, bl.nr()));
}

/// Rows [p0, p1) of g's transposed im2col matrix (one group; x holds in_c*in_h*in_w floats): row
/// p - p0, for output pixel p = oy*out_w + ox, holds in_c*kh*kw floats in (c, ky, kx) order (OIHW's),
/// the input at (oy*sh - pt + ky*dh, ox*sw - pl + kx*dw), 0 outside it. requires: a holds
/// (p1 - p0)*in_c*kh*kw floats; p0 <= p1 <= out_h*out_w.
inline void im2col_rows(const conv_geometry& g, const float* x, std::size_t p0, std::size_t p1, float* a) {
    const auto ih = static_cast<std::ptrdiff_t>(g.in_h), iw = static_cast<std::ptrdiff_t>(g.in_w);
    for (std::size_t p = p0; p < p1; ++p) {
        const std::ptrdiff_t y0 = static_cast<std::ptrdiff_t>(p / g.out_w * g.sh) - g.pt;
        const std::ptrdiff_t x0 = static_cast<std::ptrdiff_t>(p % g.out_w * g.sw) - g.pl;
        for (std::size_t c = 0; c < g.in_c; ++c)
            for (std::size_t ky = 0; ky < g.kh; ++ky) {
                const std::ptrdiff_t iy = y0 + static_cast<std::ptrdiff_t>(ky * g.dh);
                if (iy < 0 || iy >= ih) {
                    for (std::size_t kx = 0; kx < g.kw; ++kx) *a++ = 0.0f;
                    continue;
                }
                const float* row = x + (static_cast<std::ptrdiff_t>(c) * ih + iy) * iw;
                for (std::size_t kx = 0; kx < g.kw; ++kx) {
                    const std::ptrdiff_t ix = x0 + static_cast<std::ptrdiff_t>(kx * g.dw);
                    *a++ = ix >= 0 && ix < iw ? row[ix] : 0.0f;
                }
            }
    }
}

/// Depthwise weights [C, 1, 1, kh, kw] (GroupConvolution's [G, 1, 1, kh, kw] with G = C).
struct packed_depthwise {
    conv_geometry geometry;  // depthwise(): in_c == out_c == 1, groups == channels
    const float* data = nullptr;
    std::unique_ptr<float, detail::free_deleter> storage;
};

/// requires: g.depthwise(); w holds g.groups*kh*kw floats.
inline packed_depthwise pack_depthwise(const float* w, const conv_geometry& g) {
    MOIR_CHECK(g.depthwise(), error, "pack_depthwise: the geometry is not depthwise (one channel per group)");
    packed_depthwise p;
    p.geometry = g;
    const std::size_t n = g.groups * g.kh * g.kw;
    p.storage = detail::aligned_floats(n);
    for (std::size_t i = 0; i < n; ++i) p.storage.get()[i] = w[i];
    p.data = p.storage.get();
    return p;
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_PACKING_HPP
