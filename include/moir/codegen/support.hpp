#ifndef MOIR_CODEGEN_SUPPORT_HPP
#define MOIR_CODEGEN_SUPPORT_HPP

// What a model header written by `moir codegen` (src/cli/codegen.cpp, docs/embedded.md) calls
// besides the fast kernels (kernels/simd/): views that wrap the header's constant, already packed
// weights in the kernels' packed_* structs (no allocation, no copy), and the plain loops of the
// compiled plan's streaming steps (runtime/steps/: pooling, element-wise) at one thread. Every loop
// here computes what its step computes at one thread, in the same order, so a generated model's
// outputs are bit-identical to the plan's (tests/unit/codegen checks it against `moir run`).
//
// Compiles without exceptions and RTTI; allocates nothing; includes no IR, op, pass or runtime
// header.

#include <moir/kernels/simd/packing.hpp>
#include <moir/kernels/simd/pooling.hpp>

#include <algorithm>  // max, min
#include <cstddef>    // size_t, ptrdiff_t
#include <cstdint>    // int32_t, int64_t
#include <cstring>    // memcpy, memset
#include <limits>     // numeric_limits

namespace moir::codegen {

namespace simd = kernels::simd;

/// A packed_a over `groups` matrices already packed (simd::pack_a's layout) at `data`.
inline simd::packed_a view_a(const simd::gemm_blocking& bl, const float* data, std::size_t m, std::size_t k,
                             std::size_t groups, std::size_t group_stride) {
    simd::packed_a p;
    p.blocking = bl, p.m = m, p.k = k, p.groups = groups, p.group_stride = group_stride, p.data = data;
    return p;
}

/// A packed_b over B[K, N] already packed (simd::pack_b's layout) at `data`.
inline simd::packed_b view_b(const simd::gemm_blocking& bl, const float* data, std::size_t k, std::size_t n) {
    simd::packed_b p;
    p.blocking = bl, p.k = k, p.n = n, p.data = data;
    return p;
}

/// A packed_conv over weights packed by simd::pack_conv (or pack_conv_direct: then `offsets` holds
/// its direct_offsets, span * in_c*kh*kw values, and span, width its ring; or pack_conv_plane: its
/// offsets, span, width and `plane_rows`, the rows of a block; else nullptr, 0, 0, 0).
inline simd::packed_conv view_conv(const simd::gemm_blocking& bl, const simd::conv_geometry& g, const float* data,
                                   std::size_t group_stride, const std::int32_t* offsets = nullptr,
                                   std::size_t span = 0, std::size_t width = 0, std::size_t plane_rows = 0) {
    simd::packed_conv p;
    p.geometry = g;
    p.weights = view_a(bl, data, g.out_c, g.in_c * g.kh * g.kw, g.groups, group_stride);
    p.direct_span = span, p.direct_width = width, p.direct_offsets_data = offsets, p.plane_rows = plane_rows;
    return p;
}

/// A packed_depthwise over weights [C, kh, kw] at `data`.
inline simd::packed_depthwise view_depthwise(const simd::conv_geometry& g, const float* data) {
    simd::packed_depthwise p;
    p.geometry = g, p.data = data;
    return p;
}

/// The geometry of a pooling window (runtime/steps/pooling.hpp's pool_step fields).
using pool_geometry = simd::pool_geometry;

/// MaxPool / AvgPool over [planes, H, W], as steps::pool_step on Arch (the same kernel).
template <class Arch>
void pool(const pool_geometry& p, bool is_max, bool exclude_pad, const float* x, float* y) {
    simd::pool_planes<Arch>(p, is_max, exclude_pad, x, y, 0, p.planes);
}

/// MaxPool of `batch` NHWC images of `channels` channels, as steps::pool_nhwc_step on Arch (the same kernel).
template <class Arch>
void max_pool_nhwc(const pool_geometry& p, std::int64_t batch, std::int64_t channels, const float* x, float* y) {
    for (std::int64_t n = 0; n < batch; ++n)
        simd::max_pool_nhwc<Arch>(p, channels, x + n * p.ih * p.iw * channels, y + n * p.oh * p.ow * channels, 0, p.oh);
}

/// The mean of each of `planes` planes of `size` floats, as steps::global_mean_step.
inline void global_mean(const float* x, float* y, std::size_t planes, std::size_t size) {
    for (std::size_t c = 0; c < planes; ++c) {
        const float* xc = x + c * size;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
        const std::size_t body = size / 4 * 4;
        for (std::size_t i = 0; i < body; i += 4) s0 += xc[i], s1 += xc[i + 1], s2 += xc[i + 2], s3 += xc[i + 3];
        for (std::size_t i = body; i < size; ++i) s0 += xc[i];
        y[c] = static_cast<float>((s0 + s1 + s2 + s3) / static_cast<double>(size));
    }
}

/// y[i] = f(x[i]), as steps::unary_step.
template <class F>
void unary(const float* x, float* y, std::size_t n, F f) {
    for (std::size_t i = 0; i < n; ++i) y[i] = f(x[i]);
}

/// Clamp: y = min(max(x, lo), hi), as steps::affine_clamp_step.
inline void clamp(const float* x, float* y, std::size_t n, float lo, float hi) {
    for (std::size_t i = 0; i < n; ++i) y[i] = std::min(std::max(x[i], lo), hi);
}

/// HardSigmoid: y = min(max(alpha * x + beta, 0), 1) in double, as steps::affine_clamp_step (the
/// product is kept apart from the sum, so no FMA contraction changes its rounding).
inline void hard_sigmoid(const float* x, float* y, std::size_t n, float alpha, float beta) {
    const double a = alpha, c = beta;
    for (std::size_t i = 0; i < n; ++i) {
        double t = a * static_cast<double>(x[i]);
#if defined(__GNUC__) || defined(__clang__)
        __asm__("" : "+x"(t));
#endif
        y[i] = static_cast<float>(std::max(0.0, std::min(1.0, t + c)));
    }
}

/// y = f(big, small) with small broadcast: index i reads small[(i / inner) % period] (period 0:
/// small[i / inner]; inner 0: equal shapes), the operands swapped when `swapped`; as
/// steps::binary_step.
template <class F>
void binary(const float* big, const float* small, float* y, std::size_t n, std::size_t inner, std::size_t period,
            bool swapped, F f) {
    if (inner == 0) {
        for (std::size_t i = 0; i < n; ++i) y[i] = f(big[i], small[i]);
        return;
    }
    if (inner == 1 && period > 0) {
        for (std::size_t i = 0; i < n;) {
            const std::size_t row = i / period * period, row_end = std::min(n, row + period);
            const float* s = small - row;
            if (swapped)
                for (; i < row_end; ++i) y[i] = f(s[i], big[i]);
            else
                for (; i < row_end; ++i) y[i] = f(big[i], s[i]);
        }
        return;
    }
    for (std::size_t i = 0; i < n;) {
        const std::size_t run_end = std::min(n, (i / inner + 1) * inner);
        const std::size_t j = period ? (i / inner) % period : i / inner;
        const float s = small[j];
        if (swapped)
            for (; i < run_end; ++i) y[i] = f(s, big[i]);
        else
            for (; i < run_end; ++i) y[i] = f(big[i], s);
    }
}

/// One copy of a Concat: `bytes` from byte `from` of input `input` to byte `to` of the output.
struct copy_piece {
    std::size_t input, from, to, bytes;
};

/// Concat as a list of copies into y, as steps::concat_step.
inline void copies(const void* const* in, void* y, const copy_piece* pieces, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const copy_piece& p = pieces[i];
        std::memcpy(static_cast<unsigned char*>(y) + p.to, static_cast<const unsigned char*>(in[p.input]) + p.from,
                    p.bytes);
    }
}

/// Pad (constant mode): y (out_bytes) filled with the `value_bytes` bytes at `value` (all zero:
/// memset), then input block k (`block` bytes) copied to byte to[k], as steps::pad_step.
inline void pad(const void* x, void* y, std::size_t out_bytes, const unsigned char* value, std::size_t value_bytes,
                bool zero, const std::size_t* to, std::size_t blocks, std::size_t block) {
    auto* yb = static_cast<unsigned char*>(y);
    if (zero)
        std::memset(yb, 0, out_bytes);
    else
        for (std::size_t i = 0; i + value_bytes <= out_bytes; i += value_bytes) std::memcpy(yb + i, value, value_bytes);
    for (std::size_t k = 0; k < blocks; ++k) std::memcpy(yb + to[k], static_cast<const unsigned char*>(x) + k * block, block);
}

/// Transpose as a strided copy of elements of type T (rank r merged axes `dims`, input strides in
/// elements), as steps::transpose_step.
template <class T>
void transpose(const void* x, void* y, const std::size_t* dims, const std::size_t* in_strides, std::size_t r,
               std::size_t rows) {
    const std::size_t len = dims[r - 1], step_in = in_strides[r - 1];
    for (std::size_t row = 0; row < rows; ++row) {
        std::size_t off = 0, rest = row;
        for (std::size_t a = r - 1; a-- > 0;) {
            off += rest % dims[a] * in_strides[a];
            rest /= dims[a];
        }
        const T* src = static_cast<const T*>(x) + off;
        T* dst = static_cast<T*>(y) + row * len;
        if (step_in == 1) {
            std::memcpy(dst, src, len * sizeof(T));
        } else {
            for (std::size_t i = 0; i < len; ++i) dst[i] = src[i * step_in];
        }
    }
}

/// A strided copy of elements of type T: output element (i_0, ..., i_{r-1}) (row-major over `dims`)
/// reads input element base + sum_a i_a * strides[a] (Slice, with any steps).
template <class T>
void strided_copy(const void* x, void* y, std::ptrdiff_t base, const std::size_t* dims, const std::ptrdiff_t* strides,
                  std::size_t r) {
    std::size_t rows = 1;
    for (std::size_t a = 0; a + 1 < r; ++a) rows *= dims[a];
    const std::size_t len = dims[r - 1];
    const std::ptrdiff_t step = strides[r - 1];
    const T* src = static_cast<const T*>(x);
    T* dst = static_cast<T*>(y);
    for (std::size_t row = 0; row < rows; ++row) {
        std::ptrdiff_t off = base;
        std::size_t rest = row;
        for (std::size_t a = r - 1; a-- > 0;) {
            off += static_cast<std::ptrdiff_t>(rest % dims[a]) * strides[a];
            rest /= dims[a];
        }
        for (std::size_t i = 0; i < len; ++i) dst[row * len + i] = src[off + static_cast<std::ptrdiff_t>(i) * step];
    }
}

/// v, opaque to the optimizer: a product kept apart from the sum it feeds, so that no FMA
/// contraction (-mfma) changes its rounding; the plan's streaming steps compute it that way.
inline float apart(float v) {
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __asm__("" : "+x"(v));
#endif
    return v;
}

/// y[i] = x[i] + x[i] * s[(i / inner) % period] (period 0: s[i / inner]), as steps::scaled_residual_step.
inline void scaled_residual(const float* x, const float* s, float* y, std::size_t n, std::size_t inner,
                            std::size_t period) {
    for (std::size_t i = 0; i < n;) {
        const std::size_t run_end = std::min(n, (i / inner + 1) * inner);
        const float f = s[period ? (i / inner) % period : i / inner];
        for (; i < run_end; ++i) y[i] = x[i] + apart(x[i] * f);
    }
}

/// Nearest resampling by tables of elements of type T, as steps::nearest_step: output row r (of
/// `width` elements) reads input row row_src[r] (an element offset; -1: zeros), cell c of it cell
/// col_src[c] (-1: zero; col_src unused when identity_cols).
template <class T>
void nearest(const void* x, void* y, std::size_t rows, std::size_t width, const std::int64_t* row_src,
             const std::int64_t* col_src, bool identity_cols) {
    const T* xs = static_cast<const T*>(x);
    T* ys = static_cast<T*>(y);
    for (std::size_t r = 0; r < rows; ++r) {
        T* dst = ys + r * width;
        const std::int64_t src = row_src[r];
        if (src < 0) {
            std::memset(dst, 0, width * sizeof(T));
        } else if (r > 0 && src == row_src[r - 1]) {
            std::memcpy(dst, dst - width, width * sizeof(T));
        } else if (identity_cols) {
            std::memcpy(dst, xs + src, width * sizeof(T));
        } else {
            const T* s = xs + src;
            for (std::size_t c = 0; c < width; ++c) dst[c] = col_src[c] < 0 ? T{0} : s[col_src[c]];
        }
    }
}

/// The geometry of a separable resampling (steps::separable_step's fields).
struct separable_geometry {
    std::size_t planes = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0, inner = 1, th = 0, tw = 0;
};

/// Separable resampling of two consecutive axes through flat tap tables (th taps per output row,
/// tw per output column), as steps::separable_step.
inline void separable(const separable_geometry& g, const float* x, float* y, const std::uint32_t* row_idx,
                      const float* row_w, const std::uint32_t* col_idx, const float* col_w) {
    const std::size_t rows = g.planes * g.out_h, row_len = g.out_w * g.inner, in_row = g.in_w * g.inner;
    for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t p = r / g.out_h, oy = r % g.out_h;
        const float* xp = x + p * g.in_h * in_row;
        float* dst = y + r * row_len;
        for (std::size_t i = 0; i < row_len; ++i) dst[i] = 0.0f;
        for (std::size_t t = 0; t < g.th; ++t) {
            const float wy = row_w[oy * g.th + t];
            if (wy == 0.0f) continue;
            const float* src = xp + static_cast<std::size_t>(row_idx[oy * g.th + t]) * in_row;
            if (g.inner == 1) {
                for (std::size_t ox = 0; ox < g.out_w; ++ox) {
                    float acc = 0.0f;
                    for (std::size_t k = 0; k < g.tw; ++k) acc += apart(col_w[ox * g.tw + k] * src[col_idx[ox * g.tw + k]]);
                    dst[ox] += apart(wy * acc);
                }
                continue;
            }
            for (std::size_t ox = 0; ox < g.out_w; ++ox) {
                float* d = dst + ox * g.inner;
                for (std::size_t k = 0; k < g.tw; ++k) {
                    const float w = wy * col_w[ox * g.tw + k];
                    if (w == 0.0f) continue;
                    const float* sc = src + static_cast<std::size_t>(col_idx[ox * g.tw + k]) * g.inner;
                    for (std::size_t c = 0; c < g.inner; ++c) d[c] += apart(w * sc[c]);
                }
            }
        }
    }
}

/// ReduceSum / ReduceMean over the middle axis of x seen as [outer][len][inner]: each output column
/// folded alone over the len rows, in row order, in double, as steps::reduce_middle_step (an NHWC
/// global pooling) and, with inner 1, steps::reduce_step.
inline void reduce_sum_columns(const float* x, float* y, std::size_t outer, std::size_t len, std::size_t inner,
                               bool mean) {
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t j = 0; j < inner; ++j) {
            const float* xc = x + o * len * inner + j;
            double acc = 0.0;
            for (std::size_t r = 0; r < len; ++r) acc = acc + static_cast<double>(xc[r * inner]);
            y[o * inner + j] = static_cast<float>(mean ? acc / static_cast<double>(len) : acc);
        }
}

/// ReduceMax / ReduceMin over the middle axis (a NaN wins), as reduce_sum_columns.
inline void reduce_max_columns(const float* x, float* y, std::size_t outer, std::size_t len, std::size_t inner,
                               bool is_max) {
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t j = 0; j < inner; ++j) {
            const float* xc = x + o * len * inner + j;
            double acc = is_max ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
            for (std::size_t r = 0; r < len; ++r) {
                const double v = static_cast<double>(xc[r * inner]);
                acc = (is_max ? v > acc : v < acc) || v != v ? v : acc;
            }
            y[o * inner + j] = static_cast<float>(acc);
        }
}

/// ReduceSum / ReduceMean of each row of `len` floats, as steps::reduce_step.
inline void reduce_sum_rows(const float* x, float* y, std::size_t rows, std::size_t len, bool mean) {
    reduce_sum_columns(x, y, rows, len, 1, mean);
}

/// ReduceMax / ReduceMin of each row of `len` floats (a NaN wins), as steps::reduce_step.
inline void reduce_max_rows(const float* x, float* y, std::size_t rows, std::size_t len, bool is_max) {
    reduce_max_columns(x, y, rows, len, 1, is_max);
}

/// Split / VariadicSplit as steps::split_step: x seen as [outer][row_bytes]; output k holds, for
/// each of the outer rows, the run_bytes[k] bytes at byte from_bytes[k] of the row.
inline void split(const void* x, void* const* ys, std::size_t parts, std::size_t outer, std::size_t row_bytes,
                  const std::size_t* from_bytes, const std::size_t* run_bytes) {
    const auto* xb = static_cast<const unsigned char*>(x);
    for (std::size_t k = 0; k < parts; ++k)
        for (std::size_t o = 0; o < outer; ++o)
            std::memcpy(static_cast<unsigned char*>(ys[k]) + o * run_bytes[k], xb + o * row_bytes + from_bytes[k],
                        run_bytes[k]);
}

}  // namespace moir::codegen

#endif  // MOIR_CODEGEN_SUPPORT_HPP
