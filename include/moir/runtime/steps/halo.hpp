#ifndef MOIR_RUNTIME_STEPS_HALO_HPP
#define MOIR_RUNTIME_STEPS_HALO_HPP

// Pulling a worker's halo rows into its core's cache before a kernel needs them.
//
// Steps that split a convolution's output rows between workers (the fused depthwise -> pointwise
// steps, the plane, direct and phased paths: steps/convolution.hpp) read, beyond the input rows in
// proportion to their output rows, the rows of the window's reach above and below them. The step
// before split its own output rows the same way, so those halo rows were written by a neighbouring
// worker and lie modified in another core's cache. The kernels read them channel by channel, a few
// hundred bytes at a time, too few for the hardware prefetchers: each cache line came over from the
// other core while the kernel waited (PaddleOCR rec's 5x5 depthwise convolutions on 240 channels of
// 12x80 at two threads: 180 us per worker for what took 120 at one thread; about 145 after pulling).
// pull_halo loads one float per cache line of those rows first, many lines in flight at once. A
// worker whose range is the whole image (one thread, or one chunk) pulls nothing. Software prefetch
// instructions in place of the loads did not help on the Intel host where this was measured.

#include <moir/kernels/conv_geometry.hpp>

#include <algorithm>  // max, min
#include <cstddef>    // ptrdiff_t, size_t
#include <cstdint>    // uint32_t
#include <cstring>    // memcpy

namespace moir::runtime::steps {

namespace detail {
/// Keeps `v` alive for the optimizer (the loads that made it are the point, not the value).
inline void keep_value(std::uint32_t v) {
#if defined(__GNUC__) || defined(__clang__)
    asm volatile("" : : "r"(v));
#else
    static volatile std::uint32_t sink;
    sink = v;
#endif
}

/// Loads one float of each cache line of rows [r0, r1) of `channels` planes of in_h x in_w floats
/// at x; ORs their bits into acc.
inline void load_rows(const float* x, std::size_t channels, std::size_t in_h, std::size_t in_w, std::size_t r0,
                      std::size_t r1, std::uint32_t& acc) {
    if (r0 >= r1) return;
    constexpr std::size_t line = 64 / sizeof(float);
    const std::size_t n = (r1 - r0) * in_w;
    for (std::size_t c = 0; c < channels; ++c) {
        const float* p = x + c * in_h * in_w + r0 * in_w;
        std::uint32_t v;
        for (std::size_t i = 0; i < n; i += line) {
            std::memcpy(&v, p + i, sizeof v);
            acc |= v;
        }
        std::memcpy(&v, p + n - 1, sizeof v);  // the last line, when p starts within one
        acc |= v;
    }
}
}  // namespace detail

/// The input rows [first, second) that output rows [oy0, oy1) of a convolution of geometry g read,
/// clamped to the image (first == second: none).
struct row_span {
    std::size_t first = 0, second = 0;
};
inline row_span input_window(const kernels::conv_geometry& g, std::size_t oy0, std::size_t oy1) {
    if (oy0 >= oy1) return {};
    const std::ptrdiff_t lo = static_cast<std::ptrdiff_t>(oy0 * g.sh) - g.pt;
    const std::ptrdiff_t hi = static_cast<std::ptrdiff_t>((oy1 - 1) * g.sh + (g.kh - 1) * g.dh + 1) - g.pt;
    const auto h = static_cast<std::ptrdiff_t>(g.in_h);
    const std::ptrdiff_t a = std::min(std::max<std::ptrdiff_t>(lo, 0), h), z = std::min(std::max(hi, a), h);
    return {static_cast<std::size_t>(a), static_cast<std::size_t>(z)};
}

/// Loads (file comment) the rows of `channels` input planes (in_h x in_w each, at x) that output
/// rows [oy0, oy1) of a convolution of geometry g read outside the rows in proportion to them,
/// [oy0 * in_h / out_h, oy1 * in_h / out_h): the rows a neighbouring worker of the step before
/// wrote. Nothing when [oy0, oy1) is every output row. Changes no value; reads only the input.
inline void pull_halo(const float* x, std::size_t channels, const kernels::conv_geometry& g, std::size_t oy0,
                      std::size_t oy1) {
    if (oy0 >= oy1 || (oy0 == 0 && oy1 >= g.out_h) || g.out_h == 0) return;
    const row_span win = input_window(g, oy0, oy1);
    const std::size_t own0 = oy0 * g.in_h / g.out_h, own1 = std::min(g.in_h, oy1 * g.in_h / g.out_h);
    std::uint32_t acc = 0;
    detail::load_rows(x, channels, g.in_h, g.in_w, win.first, std::min(win.second, own0), acc);
    detail::load_rows(x, channels, g.in_h, g.in_w, std::max(win.first, own1), win.second, acc);
    detail::keep_value(acc);
}

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_HALO_HPP
