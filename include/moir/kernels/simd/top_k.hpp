#ifndef MOIR_KERNELS_SIMD_TOP_K_HPP
#define MOIR_KERNELS_SIMD_TOP_K_HPP

// TopK of one line by partial selection: the line is scanned once, candidates go to a buffer of a
// few times k entries, and each time it fills, std::nth_element keeps its k best and their worst
// becomes a threshold; from then on an element enters the buffer only when it is strictly better
// than the threshold (it comes after every kept element, so an equal value loses the tie). On a
// heatmap of a million scores with k = 100 nearly every element costs one comparison, where the
// reference kernel (kernels/reference/sorting.hpp) builds and partitions a pair per element.
//
// The order is the reference's exactly: (value, index) with the value compared by
// ops::unique::value_less (NaN above every number), better = larger (mode max) or smaller (min),
// ties to the lower index; the k kept are sorted by value, or by index for sort = index. The same
// k elements in the same order, so values and indices equal the reference's bit for bit.

#include <moir/kernels/reference/sorting.hpp>
#include <moir/ops/top_k.hpp>
#include <moir/ops/unique.hpp>

#include <algorithm>  // max, nth_element, sort
#include <cstddef>    // ptrdiff_t, size_t
#include <type_traits>  // is_same_v
#include <utility>    // pair
#include <vector>     // vector

namespace moir::kernels::simd {

/// The sort key TopK compares values of type T as (the reference's: float, double, int64 or uint64).
template <class T>
using top_k_key_t = kernels::detail::sorting::sort_key_t<T>;

/// The entries of top_k_line's buffer for a line of n elements and k kept (its reserve).
inline std::size_t top_k_buffer(std::size_t n, std::size_t k) {
    return k * 4 >= n ? n : std::max(2 * k, k + 256);
}

/// TopK's order of (key, index) entries: better first (the larger value for mode max, the smaller
/// for min, by ops::unique::value_less: NaN above every number), ties to the lower index. A strict
/// total order over entries of distinct indices.
template <class K>
struct top_k_order {
    bool largest = true;
    bool operator()(const std::pair<K, std::size_t>& p, const std::pair<K, std::size_t>& q) const {
        const bool pq = largest ? ops::unique::value_less(q.first, p.first) : ops::unique::value_less(p.first, q.first);
        if (pq) return true;
        const bool qp = largest ? ops::unique::value_less(p.first, q.first) : ops::unique::value_less(q.first, p.first);
        if (qp) return false;
        return p.second < q.second;
    }
};

/// Keeps the k best entries of `buf` (candidates of distinct indices) in TopK's output order: by
/// top_k_order, or by index for sort = index. requires: k <= buf.size().
template <class K>
void top_k_finish(std::vector<std::pair<K, std::size_t>>& buf, std::size_t k, ops::top_k_mode mode,
                  ops::top_k_sort sort) {
    using entry = std::pair<K, std::size_t>;
    const top_k_order<K> order{mode == ops::top_k_mode::max};
    const auto kth = buf.begin() + static_cast<std::ptrdiff_t>(k);
    if (k < buf.size()) std::nth_element(buf.begin(), kth, buf.end(), order);
    buf.resize(k);
    std::sort(buf.begin(), buf.end(), order);
    if (sort == ops::top_k_sort::index)
        std::sort(buf.begin(), buf.end(), [](const entry& p, const entry& q) { return p.second < q.second; });
}

/// Selects the k best of the line x[0], x[stride], ..., x[(n-1)*stride] and leaves them in `buf`
/// (exactly k entries of (key, index)) in TopK's output order.
/// requires: k <= n; buf has top_k_buffer(n, k) entries of capacity (else it allocates).
template <class T>
void top_k_line(const T* x, std::size_t n, std::size_t stride, std::size_t k, ops::top_k_mode mode,
                ops::top_k_sort sort, std::vector<std::pair<top_k_key_t<T>, std::size_t>>& buf) {
    using K = top_k_key_t<T>;
    buf.clear();
    if (k == 0) return;
    const bool largest = mode == ops::top_k_mode::max;
    const auto key = [&](std::size_t j) {
        return static_cast<K>(static_cast<kernels::detail::compute_t<T>>(x[j * stride]));
    };
    const top_k_order<K> order{largest};
    const std::size_t cap = top_k_buffer(n, k);
    if (cap >= n) {
        for (std::size_t j = 0; j < n; ++j) buf.emplace_back(key(j), j);
    } else {
        std::size_t j = 0;
        for (; j < n && buf.size() < cap; ++j) buf.emplace_back(key(j), j);
        const auto keep_best = [&] {
            std::nth_element(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(k - 1), buf.end(), order);
            buf.resize(k);
        };
        keep_best();
        // buf[k - 1] is the worst kept; only a strictly better value can still enter the top k
        K worst = buf[k - 1].first;
        if constexpr (std::is_same_v<T, float>) {
            // contiguous floats: a block of 16 that holds nothing better (a test the compiler
            // vectorizes) is skipped whole; NaN counts as better in mode max, the worst NaN in mode
            // min (everything better) goes element by element
            constexpr std::size_t B = 16;
            if (stride == 1 && (largest || worst == worst)) {
                while (j + B <= n) {
                    const float* xb = x + j;
                    const float w = worst;
                    unsigned any = 0;
                    if (largest)
                        for (std::size_t i = 0; i < B; ++i) any |= (xb[i] > w) | (xb[i] != xb[i]);
                    else
                        for (std::size_t i = 0; i < B; ++i) any |= xb[i] < w;
                    if (!any) {
                        j += B;
                        continue;
                    }
                    for (const std::size_t end = j + B; j < end; ++j) {
                        const K v = key(j);
                        if (largest ? !ops::unique::value_less(worst, v) : !ops::unique::value_less(v, worst)) continue;
                        buf.emplace_back(v, j);
                        if (buf.size() == cap) keep_best(), worst = buf[k - 1].first;
                    }
                    if (!largest && worst != worst) break;
                }
            }
        }
        if (largest) {
            for (; j < n; ++j) {
                const K v = key(j);
                if (!ops::unique::value_less(worst, v)) continue;
                buf.emplace_back(v, j);
                if (buf.size() == cap) keep_best(), worst = buf[k - 1].first;
            }
        } else {
            for (; j < n; ++j) {
                const K v = key(j);
                if (!ops::unique::value_less(v, worst)) continue;
                buf.emplace_back(v, j);
                if (buf.size() == cap) keep_best(), worst = buf[k - 1].first;
            }
        }
    }
    top_k_finish(buf, k, mode, sort);
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_TOP_K_HPP
