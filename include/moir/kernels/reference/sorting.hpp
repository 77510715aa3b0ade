#ifndef MOIR_KERNELS_REFERENCE_SORTING_HPP
#define MOIR_KERNELS_REFERENCE_SORTING_HPP

// Reference kernels of the ops that order or select elements by value: TopK, Unique, NonZero.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/data_movement.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/ops/non_zero.hpp>
#include <moir/ops/top_k.hpp>
#include <moir/ops/unique.hpp>

#include <algorithm>    // nth_element, sort
#include <cstddef>      // byte, size_t
#include <cstdint>      // int32_t, int64_t
#include <cstring>      // memcpy
#include <type_traits>  // conditional_t, is_same_v, is_signed_v
#include <utility>      // pair
#include <vector>       // vector

namespace moir::kernels {

namespace detail::sorting {
/// Writes integer i of an i32 or i64 tensor.
inline void store_index(tensor& t, std::size_t i, std::int64_t v) {
    if (t.type() == element_type::i32) t.data<std::int32_t>()[i] = static_cast<std::int32_t>(v);
    else t.data<std::int64_t>()[i] = v;
}

/// The type TopK sorts values of type T as: float (half, float), double, int64 (signed) or uint64
/// (unsigned). Each holds every value of T exactly and in the same order, so that the sort is
/// instantiated for four types instead of eleven.
template <class T>
using sort_key_t = std::conditional_t<
    std::is_same_v<compute_t<T>, float> || std::is_same_v<compute_t<T>, double>, compute_t<T>,
    std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>>;

/// Orders one line of (value, index) pairs as TopK does and leaves its first k in output order.
template <class K>
void top_k_line(std::vector<std::pair<K, std::size_t>>& line, std::size_t k, const ops::top_k::attrs& a) {
    const auto better = [&](const std::pair<K, std::size_t>& p, const std::pair<K, std::size_t>& q) {
        return a.mode == ops::top_k_mode::max ? ops::unique::value_less(q.first, p.first)
                                              : ops::unique::value_less(p.first, q.first);
    };
    // ties keep index order: (value, index) is a strict total order, so selecting the first k
    // (nth_element, O(n)) and sorting only them gives what a stable sort of the whole line would
    const auto order = [&](const std::pair<K, std::size_t>& p, const std::pair<K, std::size_t>& q) {
        if (better(p, q)) return true;
        if (better(q, p)) return false;
        return p.second < q.second;
    };
    const auto kth = line.begin() + static_cast<std::ptrdiff_t>(k);
    if (k < line.size()) std::nth_element(line.begin(), kth, line.end(), order);
    std::sort(line.begin(), kth, order);
    if (a.sort == ops::top_k_sort::index)
        std::sort(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(k),
                  [](const auto& p, const auto& q) { return p.second < q.second; });
}
}  // namespace detail::sorting

template <>
struct reference_kernel<ops::top_k> {
    static constexpr bool available = true;
    static void run(const ops::top_k::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const std::size_t axis = normalize_axis(a.axis, s.size());
        const auto n = static_cast<std::size_t>(s[axis]);
        const auto k = static_cast<std::size_t>(out[0].dims()[axis]);
        const std::size_t outer = detail::dims_product(s, 0, axis), inner = detail::dims_product(s, axis + 1, s.size());
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type("TopK", in[0].type());
            } else {
                using K = detail::sorting::sort_key_t<T>;
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                std::vector<std::pair<K, std::size_t>> line(n);
                for (std::size_t o = 0; o < outer; ++o)
                    for (std::size_t i = 0; i < inner; ++i) {
                        for (std::size_t j = 0; j < n; ++j)
                            line[j] = {static_cast<K>(static_cast<detail::compute_t<T>>(x[(o * n + j) * inner + i])), j};
                        detail::sorting::top_k_line(line, k, a);
                        for (std::size_t j = 0; j < k; ++j) {
                            const std::size_t at = (o * k + j) * inner + i;
                            y[at] = convert_value<T>(line[j].first);
                            detail::sorting::store_index(out[1], at, static_cast<std::int64_t>(line[j].second));
                        }
                    }
            }
        });
    }
};

template <>
struct reference_kernel<ops::unique> {
    static constexpr bool available = true;
    static void run(const ops::unique::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const bool has_axis = in.size() == 2;
        const std::size_t axis = has_axis ? normalize_axis(in[1].at_as<std::int64_t>(0), in[0].rank()) : 0;
        const auto l = ops::unique::layout_of(in[0].dims(), has_axis, axis);
        const auto p = ops::unique::make_plan(in[0], l, a.sorted);
        const std::size_t u = p.first.size();
        const std::size_t row = l.inner * size_of(in[0].type());
        const std::byte* x = detail::bytes_of(in[0]);
        std::byte* y = detail::bytes_of(out[0]);
        for (std::size_t o = 0; o < l.outer && row; ++o)
            for (std::size_t j = 0; j < u; ++j)
                std::memcpy(y + (o * u + j) * row, x + (o * l.count + p.first[j]) * row, row);
        for (std::size_t j = 0; j < u; ++j) {
            detail::sorting::store_index(out[1], j, static_cast<std::int64_t>(p.first[j]));
            detail::sorting::store_index(out[3], j, p.counts[j]);
        }
        for (std::size_t j = 0; j < p.inverse.size(); ++j) detail::sorting::store_index(out[2], j, p.inverse[j]);
    }
};

template <>
struct reference_kernel<ops::non_zero> {
    static constexpr bool available = true;
    static void run(const ops::non_zero::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const auto n = static_cast<std::size_t>(out[0].dims()[1]);
        std::size_t j = 0;
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            const T* x = in[0].data<T>();
            detail::for_each_index(in[0].dims(), [&](std::size_t o, const std::vector<std::int64_t>& c) {
                if (convert_value<double>(x[o]) == 0.0) return;
                for (std::size_t ax = 0; ax < c.size(); ++ax) detail::sorting::store_index(out[0], ax * n + j, c[ax]);
                ++j;
            });
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_SORTING_HPP
