#ifndef MOIR_KERNELS_REFERENCE_BROADCAST_HPP
#define MOIR_KERNELS_REFERENCE_BROADCAST_HPP

// Index helpers of the reference kernels: row-major strides and numpy broadcasting walks.

#include <moir/core/shape.hpp>

#include <cstddef>  // size_t
#include <vector>   // vector

namespace moir::kernels::reference {

/// Row-major element strides of a shape.
inline std::vector<std::size_t> strides_of(const shape& s) {
    std::vector<std::size_t> st(s.size(), 1);
    for (std::size_t i = s.size(); i-- > 1;) st[i - 1] = st[i] * static_cast<std::size_t>(s[i]);
    return st;
}

/// Strides of `in` seen through the broadcast to `out` (0 on broadcast axes), right-aligned.
/// requires: in is numpy-broadcastable to out.
inline std::vector<std::size_t> broadcast_strides(const shape& in, const shape& out) {
    std::vector<std::size_t> st(out.size(), 0);
    const auto own = strides_of(in);
    const std::size_t off = out.size() - in.size();
    for (std::size_t i = 0; i < in.size(); ++i) st[off + i] = in[i] == 1 ? 0 : own[i];
    return st;
}

/// One run of a broadcast walk: the n elements o, o + 1, ... of `out` read `a` at ia, ia + sa, ...
/// and `b` at ib, ib + sb, ...
struct broadcast_row {
    std::size_t o, ia, ib, sa, sb, n;
};
/// What broadcast_rows calls per row, with the caller's context.
using broadcast_row_fn = void (*)(void* context, const broadcast_row& row);

/// Calls row(context, r) for every row of `out` (its last axis; the whole of `out` at once when a
/// and b have its shape), where a and b broadcast to it. The index walk of broadcast_binary, compiled
/// once: a kernel instantiated per op and element type only supplies the loop over one row.
inline void broadcast_rows(const shape& a, const shape& b, const shape& out, void* context, broadcast_row_fn row) {
    const std::size_t n = numel(out);
    if (n == 0) return;
    if (a == out && b == out) {
        row(context, broadcast_row{0, 0, 0, 1, 1, n});
        return;
    }
    const auto sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
    const std::size_t r = out.size();
    if (r == 0) {
        row(context, broadcast_row{0, 0, 0, 0, 0, 1});
        return;
    }
    std::vector<std::size_t> idx(r, 0);
    const std::size_t inner = static_cast<std::size_t>(out[r - 1]);
    std::size_t ia = 0, ib = 0;
    for (std::size_t o = 0; o < n; o += inner) {
        row(context, broadcast_row{o, ia, ib, sa[r - 1], sb[r - 1], inner});
        // advance the odometer over the outer axes
        for (std::size_t ax = r - 1; ax-- > 0;) {
            if (++idx[ax] < static_cast<std::size_t>(out[ax])) {
                ia += sa[ax];
                ib += sb[ax];
                break;
            }
            ia -= sa[ax] * (idx[ax] - 1);
            ib -= sb[ax] * (idx[ax] - 1);
            idx[ax] = 0;
        }
    }
}

/// Calls f(out_index, a_index, b_index) for every element of `out`, where a and b broadcast to it.
template <class F>
void broadcast_binary(const shape& a, const shape& b, const shape& out, F&& f) {
    const std::size_t n = numel(out);
    if (n == 0) return;
    if (a == out && b == out) {
        for (std::size_t i = 0; i < n; ++i) f(i, i, i);
        return;
    }
    const auto sa = broadcast_strides(a, out), sb = broadcast_strides(b, out);
    const std::size_t r = out.size();
    if (r == 0) {
        f(0, 0, 0);
        return;
    }
    std::vector<std::size_t> idx(r, 0);
    const std::size_t inner = static_cast<std::size_t>(out[r - 1]);
    std::size_t ia = 0, ib = 0;
    for (std::size_t o = 0; o < n; o += inner) {
        for (std::size_t k = 0; k < inner; ++k) f(o + k, ia + k * sa[r - 1], ib + k * sb[r - 1]);
        // advance the odometer over the outer axes
        for (std::size_t ax = r - 1; ax-- > 0;) {
            if (++idx[ax] < static_cast<std::size_t>(out[ax])) {
                ia += sa[ax];
                ib += sb[ax];
                break;
            }
            ia -= sa[ax] * (idx[ax] - 1);
            ib -= sb[ax] * (idx[ax] - 1);
            idx[ax] = 0;
        }
    }
}

/// Calls f(out_index, in_index) for every element of `out`, where `in` broadcasts to it.
template <class F>
void broadcast_unary(const shape& in, const shape& out, F&& f) {
    broadcast_binary(in, in, out, [&](std::size_t o, std::size_t i, std::size_t) { f(o, i); });
}

}  // namespace moir::kernels::reference

#endif  // MOIR_KERNELS_REFERENCE_BROADCAST_HPP
