#ifndef MOIR_KERNELS_SIMD_SOFTMAX_HPP
#define MOIR_KERNELS_SIMD_SOFTMAX_HPP

// FP32 Softmax along contiguous rows: per row, subtract the row's max, exponentiate (the arch's
// vector exp), divide by the sum. Within a few ulp of the reference kernel (which works in double):
// the exponentials and their sum are f32 here.
// softmax_columns: the same along a strided axis (a Softmax over the channels of NCHW data: the
// values of one column `inner` floats apart), vectors across the columns, tiles of up to four
// vectors of columns read three times while they are in L1.

#include <moir/kernels/simd/vec.hpp>

#include <cmath>    // exp
#include <cstddef>  // size_t

namespace moir::kernels::simd {

/// y[r, j] = exp(x[r, j] - max_j x[r, j]) / sum_j exp(x[r, j] - max_j x[r, j]) for r < rows, j < len.
/// requires: x and y hold rows*len floats (y may alias x exactly); len >= 1.
template <class Arch>
void softmax_rows(const float* x, float* y, std::size_t rows, std::size_t len) {
    using V = vec<Arch>;
    using R = typename V::reg;
    constexpr std::size_t W = V::width;
    const std::size_t body = len / W * W;
    for (std::size_t r = 0; r < rows; ++r, x += len, y += len) {
        float mx = x[0];
        if (body) {
            R m = V::load(x);
            for (std::size_t j = W; j < body; j += W) m = V::max(m, V::load(x + j));
            float lanes[W];
            V::store(lanes, m);
            for (std::size_t l = 0; l < W; ++l) mx = lanes[l] > mx ? lanes[l] : mx;
        }
        for (std::size_t j = body; j < len; ++j) mx = x[j] > mx ? x[j] : mx;
        const R vm = V::set1(mx);
        R acc = V::zero();
        for (std::size_t j = 0; j < body; j += W) {
            const R e = V::exp(V::load(x + j) - vm);
            V::store(y + j, e);
            acc = acc + e;
        }
        float sum = 0.0f;
        {
            float lanes[W];
            V::store(lanes, acc);
            for (std::size_t l = 0; l < W; ++l) sum += lanes[l];
        }
        for (std::size_t j = body; j < len; ++j) {
            y[j] = std::exp(x[j] - mx);
            sum += y[j];
        }
        const float inv = 1.0f / sum;
        const R vi = V::set1(inv);
        for (std::size_t j = 0; j < body; j += W) V::store(y + j, V::load(y + j) * vi);
        for (std::size_t j = body; j < len; ++j) y[j] *= inv;
    }
}

namespace detail {
/// softmax_columns on tile t's vectors of columns (each column len values `inner` floats apart).
template <class Arch, std::size_t NV>
void softmax_column_tile(const column_tile<Arch, NV>& t, const float* x, float* y, std::size_t len, std::size_t inner) {
    using V = vec<Arch>;
    using R = typename V::reg;
    R mx[NV], sum[NV];
    for (std::size_t v = 0; v < NV; ++v) mx[v] = t.load(x, v), sum[v] = V::zero();
    for (std::size_t j = 1; j < len; ++j)
        for (std::size_t v = 0; v < NV; ++v) mx[v] = V::max(mx[v], t.load(x + j * inner, v));
    for (std::size_t j = 0; j < len; ++j)
        for (std::size_t v = 0; v < NV; ++v) {
            const R e = V::exp(t.load(x + j * inner, v) - mx[v]);
            t.store(y + j * inner, v, e);
            sum[v] = sum[v] + e;
        }
    for (std::size_t v = 0; v < NV; ++v) sum[v] = V::set1(1.0f) / sum[v];
    for (std::size_t j = 0; j < len; ++j)
        for (std::size_t v = 0; v < NV; ++v) t.store(y + j * inner, v, t.load(y + j * inner, v) * sum[v]);
}
}  // namespace detail

/// y[j * inner + c] = exp(x[j * inner + c] - max_c) / sum_c for j < len and the columns c in
/// [c0, c1): x and y viewed as [len][inner], each column's Softmax over its len values.
/// requires: x and y hold len*inner floats (y may alias x exactly); len >= 1; c0 <= c1 <= inner.
template <class Arch>
void softmax_columns(const float* x, float* y, std::size_t len, std::size_t inner, std::size_t c0, std::size_t c1) {
    for_column_tiles<Arch>(c0, c1, [&](std::size_t c, const auto& t) { detail::softmax_column_tile(t, x + c, y + c, len, inner); });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_SOFTMAX_HPP
