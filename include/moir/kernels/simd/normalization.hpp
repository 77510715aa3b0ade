#ifndef MOIR_KERNELS_SIMD_NORMALIZATION_HPP
#define MOIR_KERNELS_SIMD_NORMALIZATION_HPP

// FP32 mean-variance normalization (MVN, LayerNorm) along contiguous rows, with the LayerNorm's
// scale and shift per position in the row: per row, the mean (one pass), the population variance
// of the centred values (a second pass: no cancellation of a one-pass sum of squares), then
// y = (x - mean) * scale * gamma + beta. Sums in f32 vectors (several chains) reduced across lanes
// in double; within a few ulp of the reference kernel (which works in double) for rows of up to
// some thousands of values.
// mvn_columns: the same along a strided axis (the normalized values of one column `inner` floats
// apart: a LayerNorm over the channels of NCHW data), vectors across the columns, each lane summing
// its own column in f32; tiles of up to four vectors of columns, read three times while they are in
// L1.

#include <moir/kernels/simd/vec.hpp>

#include <cmath>    // sqrt
#include <cstddef>  // size_t

namespace moir::kernels::simd {

/// What mvn_rows computes besides centring: the variance's division (eps under the root or added
/// after it) unless !normalize_variance, and an optional scale and shift per row position.
struct mvn_params {
    bool normalize_variance = true;
    bool eps_inside_sqrt = true;
    float eps = 0.0f;
    const float* gamma = nullptr;  ///< len values, or nullptr: 1
    const float* beta = nullptr;   ///< len values, or nullptr: 0
};

namespace detail {
/// The sum of the W lanes of v, in double.
template <class V>
double lane_sum(const typename V::reg& v) {
    float lanes[V::width];
    V::store(lanes, v);
    double s = 0.0;
    for (std::size_t l = 0; l < V::width; ++l) s += lanes[l];
    return s;
}
}  // namespace detail

/// y[r, j] = (x[r, j] - mean_r) * s_r * gamma[j] + beta[j] for r < rows, j < len: mean_r and var_r
/// the mean and population variance of row r, s_r = 1 / sqrt(var_r + eps) (eps_inside_sqrt) or
/// 1 / (sqrt(var_r) + eps), or 1 when !normalize_variance.
/// requires: x and y hold rows*len floats (y may alias x exactly); len >= 1.
template <class Arch>
void mvn_rows(const float* x, float* y, std::size_t rows, std::size_t len, const mvn_params& p) {
    using V = vec<Arch>;
    using R = typename V::reg;
    constexpr std::size_t W = V::width;
    const std::size_t body2 = len / (2 * W) * (2 * W), body = len / W * W;
    for (std::size_t r = 0; r < rows; ++r, x += len, y += len) {
        R a0 = V::zero(), a1 = V::zero();
        std::size_t j = 0;
        for (; j < body2; j += 2 * W) a0 = a0 + V::load(x + j), a1 = a1 + V::load(x + j + W);
        for (; j < body; j += W) a0 = a0 + V::load(x + j);
        double sum = detail::lane_sum<V>(a0 + a1);
        for (; j < len; ++j) sum += x[j];
        const float mean = static_cast<float>(sum / static_cast<double>(len));
        const R vm = V::set1(mean);
        float scale = 1.0f;
        if (p.normalize_variance) {
            R q0 = V::zero(), q1 = V::zero();
            for (j = 0; j < body2; j += 2 * W) {
                const R d0 = V::load(x + j) - vm, d1 = V::load(x + j + W) - vm;
                q0 = V::fma(d0, d0, q0), q1 = V::fma(d1, d1, q1);
            }
            for (; j < body; j += W) {
                const R d = V::load(x + j) - vm;
                q0 = V::fma(d, d, q0);
            }
            double ss = detail::lane_sum<V>(q0 + q1);
            for (; j < len; ++j) {
                const double d = static_cast<double>(x[j]) - mean;
                ss += d * d;
            }
            const double var = ss / static_cast<double>(len);
            scale = static_cast<float>(1.0 / (p.eps_inside_sqrt ? std::sqrt(var + p.eps) : std::sqrt(var) + p.eps));
        }
        const R vs = V::set1(scale);
        for (j = 0; j < body; j += W) {
            R v = (V::load(x + j) - vm) * vs;
            if (p.gamma) v = v * V::load(p.gamma + j);
            if (p.beta) v = v + V::load(p.beta + j);
            V::store(y + j, v);
        }
        for (; j < len; ++j) {
            float v = (x[j] - mean) * scale;
            if (p.gamma) v *= p.gamma[j];
            if (p.beta) v += p.beta[j];
            y[j] = v;
        }
    }
}

namespace detail {
/// mvn_columns on tile t's vectors of columns from x / y (each column len values `inner` floats apart).
template <class Arch, std::size_t NV>
void mvn_column_tile(const column_tile<Arch, NV>& t, const float* x, float* y, std::size_t len, std::size_t inner,
                     const mvn_params& p) {
    using V = vec<Arch>;
    using R = typename V::reg;
    constexpr std::size_t W = V::width;
    R sum[NV], mean[NV], scale[NV];
    for (std::size_t v = 0; v < NV; ++v) sum[v] = V::zero();
    for (std::size_t j = 0; j < len; ++j)
        for (std::size_t v = 0; v < NV; ++v) sum[v] = sum[v] + t.load(x + j * inner, v);
    for (std::size_t v = 0; v < NV; ++v) mean[v] = sum[v] / V::set1(static_cast<float>(len)), scale[v] = V::set1(1.0f);
    if (p.normalize_variance) {
        for (std::size_t v = 0; v < NV; ++v) sum[v] = V::zero();
        for (std::size_t j = 0; j < len; ++j)
            for (std::size_t v = 0; v < NV; ++v) {
                const R d = t.load(x + j * inner, v) - mean[v];
                sum[v] = V::fma(d, d, sum[v]);
            }
        for (std::size_t v = 0; v < NV; ++v) {  // 1 / sqrt per lane, in double as mvn_rows
            float lanes[W];
            V::store(lanes, sum[v]);
            for (std::size_t l = 0; l < W; ++l) {
                const double var = static_cast<double>(lanes[l]) / static_cast<double>(len);
                lanes[l] = static_cast<float>(1.0 / (p.eps_inside_sqrt ? std::sqrt(var + p.eps) : std::sqrt(var) + p.eps));
            }
            scale[v] = V::load(lanes);
        }
    }
    for (std::size_t j = 0; j < len; ++j) {
        const R g = V::set1(p.gamma ? p.gamma[j] : 1.0f), b = V::set1(p.beta ? p.beta[j] : 0.0f);
        for (std::size_t v = 0; v < NV; ++v) {
            R o = (t.load(x + j * inner, v) - mean[v]) * scale[v];
            if (p.gamma) o = o * g;
            if (p.beta) o = o + b;
            t.store(y + j * inner, v, o);
        }
    }
}
}  // namespace detail

/// y[j * inner + c] = (x[j * inner + c] - mean_c) * s_c * gamma[j] + beta[j] for j < len and the
/// columns c in [c0, c1): x and y viewed as [len][inner], column c normalized over its len values
/// (mean_c, var_c and s_c as mvn_rows's; gamma and beta per normalized position j).
/// requires: x and y hold len*inner floats (y may alias x exactly); len >= 1; c0 <= c1 <= inner.
template <class Arch>
void mvn_columns(const float* x, float* y, std::size_t len, std::size_t inner, std::size_t c0, std::size_t c1,
                 const mvn_params& p) {
    for_column_tiles<Arch>(c0, c1, [&](std::size_t c, const auto& t) { detail::mvn_column_tile(t, x + c, y + c, len, inner, p); });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_NORMALIZATION_HPP
