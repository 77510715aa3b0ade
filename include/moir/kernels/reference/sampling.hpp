#ifndef MOIR_KERNELS_REFERENCE_SAMPLING_HPP
#define MOIR_KERNELS_REFERENCE_SAMPLING_HPP

// Reference kernels of the ops that sample data at fractional positions: GridSample and ROIAlign.
// Floating types; coordinates and sums in double.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, unsupported_type
#include <moir/kernels/reference/interpolate.hpp>  // reference::cubic_weight
#include <moir/ops/grid_sample.hpp>
#include <moir/ops/roi_align.hpp>

#include <algorithm>  // clamp, max, min
#include <cmath>      // ceil, floor, nearbyint
#include <cstddef>    // size_t
#include <cstdint>    // int64_t
#include <string>     // string, to_string
#include <vector>     // vector

namespace moir::kernels {

namespace reference {
/// x mirrored at lo and hi (repeatedly) until it lies in [lo, hi].
inline double grid_reflect(double x, double lo, double hi) {
    const double range = hi - lo;
    if (range <= 0.0) return lo;
    if (x < lo) {
        const double d = lo - x;
        const auto n = static_cast<std::int64_t>(d / range);
        const double r = d - static_cast<double>(n) * range;
        return n % 2 == 0 ? lo + r : hi - r;
    }
    if (x > hi) {
        const double d = x - hi;
        const auto n = static_cast<std::int64_t>(d / range);
        const double r = d - static_cast<double>(n) * range;
        return n % 2 == 0 ? hi - r : lo + r;
    }
    return x;
}

/// One image plane [h, w] as GridSample reads it: cells outside read per the padding mode.
struct grid_plane {
    const std::vector<double>& data;
    std::size_t offset;
    std::int64_t h, w;
    ops::grid_sample_padding padding;
    bool align_corners;

    double bound_lo(std::int64_t) const { return align_corners ? 0.0 : -0.5; }
    double bound_hi(std::int64_t len) const { return align_corners ? static_cast<double>(len - 1) : static_cast<double>(len) - 0.5; }

    double at(std::int64_t y, std::int64_t x) const {
        if (padding == ops::grid_sample_padding::zeros) {
            if (y < 0 || y >= h || x < 0 || x >= w) return 0.0;
        } else if (padding == ops::grid_sample_padding::reflection) {
            x = static_cast<std::int64_t>(grid_reflect(static_cast<double>(x), bound_lo(w), bound_hi(w)));
            y = static_cast<std::int64_t>(grid_reflect(static_cast<double>(y), bound_lo(h), bound_hi(h)));
        }
        x = std::clamp<std::int64_t>(x, 0, w - 1);
        y = std::clamp<std::int64_t>(y, 0, h - 1);
        return data[offset + static_cast<std::size_t>(y * w + x)];
    }

    /// The sample at grid point (gx, gy) in [-1, 1].
    double sample(const ops::grid_sample::attrs& a, double gx, double gy) const {
        auto denormalize = [&](double v, std::int64_t len) {
            return align_corners ? (v + 1.0) / 2.0 * static_cast<double>(len - 1)
                                 : ((v + 1.0) * static_cast<double>(len) - 1.0) / 2.0;
        };
        double x = denormalize(gx, w), y = denormalize(gy, h);
        if (a.mode == ops::grid_sample_mode::nearest) {
            x = std::nearbyint(x);
            y = std::nearbyint(y);
        }
        const bool outside = x < bound_lo(w) || x > bound_hi(w) || y < bound_lo(h) || y > bound_hi(h);
        if (outside && padding == ops::grid_sample_padding::border) {
            x = std::clamp(x, 0.0, static_cast<double>(w - 1));
            y = std::clamp(y, 0.0, static_cast<double>(h - 1));
        } else if (outside && padding == ops::grid_sample_padding::reflection) {
            x = grid_reflect(x, bound_lo(w), bound_hi(w));
            y = grid_reflect(y, bound_lo(h), bound_hi(h));
        }
        if (a.mode == ops::grid_sample_mode::nearest)
            return at(static_cast<std::int64_t>(std::floor(y + 0.5)), static_cast<std::int64_t>(std::floor(x + 0.5)));
        const double fx = std::floor(x), fy = std::floor(y);
        const auto x0 = static_cast<std::int64_t>(fx), y0 = static_cast<std::int64_t>(fy);
        const double tx = x - fx, ty = y - fy;
        if (a.mode == ops::grid_sample_mode::bilinear)
            return (1.0 - ty) * ((1.0 - tx) * at(y0, x0) + tx * at(y0, x0 + 1)) +
                   ty * ((1.0 - tx) * at(y0 + 1, x0) + tx * at(y0 + 1, x0 + 1));
        double acc = 0.0;  // bicubic: the 4x4 neighbours -1..2 around (y0, x0)
        for (std::int64_t i = -1; i <= 2; ++i) {
            const double wy = cubic_weight(ty - static_cast<double>(i), -0.75);
            for (std::int64_t j = -1; j <= 2; ++j)
                acc += wy * cubic_weight(tx - static_cast<double>(j), -0.75) * at(y0 + i, x0 + j);
        }
        return acc;
    }
};

/// The bilinear sample of plane [h, w] at (y, x) as ROIAlign reads it: 0 more than a cell outside,
/// else clamped to the plane.
inline double roi_bilinear(const std::vector<double>& d, std::size_t off, std::int64_t h, std::int64_t w, double y, double x) {
    if (y < -1.0 || y > static_cast<double>(h) || x < -1.0 || x > static_cast<double>(w)) return 0.0;
    y = std::max(y, 0.0);
    x = std::max(x, 0.0);
    auto y0 = static_cast<std::int64_t>(y), x0 = static_cast<std::int64_t>(x);
    std::int64_t y1 = y0 + 1, x1 = x0 + 1;
    if (y0 >= h - 1) {
        y0 = y1 = h - 1;
        y = static_cast<double>(y0);
    }
    if (x0 >= w - 1) {
        x0 = x1 = w - 1;
        x = static_cast<double>(x0);
    }
    const double ly = y - static_cast<double>(y0), lx = x - static_cast<double>(x0);
    auto v = [&](std::int64_t yy, std::int64_t xx) { return d[off + static_cast<std::size_t>(yy * w + xx)]; };
    return (1.0 - ly) * ((1.0 - lx) * v(y0, x0) + lx * v(y0, x1)) + ly * ((1.0 - lx) * v(y1, x0) + lx * v(y1, x1));
}
}  // namespace reference

template <>
struct reference_kernel<ops::grid_sample> {
    static constexpr bool available = true;
    static void run(const ops::grid_sample::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        if (!is_float(in[0].type())) detail::unsupported_type(ops::grid_sample::ir_name, in[0].type());
        if (!is_float(in[1].type())) detail::unsupported_type(ops::grid_sample::ir_name, in[1].type());
        const shape& xs = in[0].dims();
        const shape& ys = out[0].dims();
        const auto x = in[0].to_vector<double>();
        const auto g = in[1].to_vector<double>();
        const std::int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3], ho = ys[2], wo = ys[3];
        std::vector<double> y(out[0].numel());
        for (std::int64_t b = 0; b < n; ++b)
            for (std::int64_t ch = 0; ch < c; ++ch) {
                const reference::grid_plane plane{x, static_cast<std::size_t>((b * c + ch) * h * w), h, w, a.padding_mode,
                                                  a.align_corners};
                for (std::int64_t i = 0; i < ho * wo; ++i) {
                    const auto gi = static_cast<std::size_t>((b * ho * wo + i) * 2);
                    y[static_cast<std::size_t>((b * c + ch) * ho * wo + i)] = plane.sample(a, g[gi], g[gi + 1]);
                }
            }
        store(y, out[0]);
    }

    static void store(const std::vector<double>& y, tensor& out) {
        visit_element_type(out.type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (detail::computes_v<ops::grid_sample, T>) {
                T* o = out.data<T>();
                for (std::size_t i = 0; i < y.size(); ++i) o[i] = convert_value<T>(y[i]);
            }
        });
    }
};

template <>
struct reference_kernel<ops::roi_align> {
    static constexpr bool available = true;
    static void run(const ops::roi_align::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        if (!is_float(in[0].type())) detail::unsupported_type(ops::roi_align::ir_name, in[0].type());
        MOIR_CHECK(a.aligned_mode != ops::roi_aligned_mode::half_pixel_for_nn, unsupported_error,
                   "ROIAlign: aligned_mode half_pixel_for_nn is not supported");
        const shape& xs = in[0].dims();
        const std::int64_t n = xs[0], c = xs[1], h = xs[2], w = xs[3];
        const auto x = in[0].to_vector<double>();
        const auto rois = in[1].to_vector<double>();
        const auto batch = in[2].to_vector<std::int64_t>();
        const auto count = static_cast<std::int64_t>(batch.size());
        MOIR_CHECK(rois.size() == batch.size() * 4, shape_error, "ROIAlign: rois and batch_indices have different counts");
        const bool half_pixel = a.aligned_mode == ops::roi_aligned_mode::half_pixel;
        const double offset = half_pixel ? 0.5 : 0.0, scale = static_cast<double>(a.spatial_scale);
        const std::int64_t ph = a.pooled_h, pw = a.pooled_w;
        std::vector<double> y(out[0].numel());
        for (std::int64_t r = 0; r < count; ++r) {
            const std::int64_t b = batch[static_cast<std::size_t>(r)];
            MOIR_CHECK(b >= 0 && b < n, shape_error,
                       "ROIAlign: batch index " + std::to_string(b) + " is outside [0, " + std::to_string(n) + ")");
            const double* box = &rois[static_cast<std::size_t>(r * 4)];
            const double x0 = box[0] * scale - offset, y0 = box[1] * scale - offset;
            double rw = box[2] * scale - offset - x0, rh = box[3] * scale - offset - y0;
            if (!half_pixel) {
                rw = std::max(rw, 1.0);
                rh = std::max(rh, 1.0);
            }
            const double bin_h = rh / static_cast<double>(ph), bin_w = rw / static_cast<double>(pw);
            const std::int64_t grid_h = a.sampling_ratio > 0 ? a.sampling_ratio : static_cast<std::int64_t>(std::ceil(rh / static_cast<double>(ph)));
            const std::int64_t grid_w = a.sampling_ratio > 0 ? a.sampling_ratio : static_cast<std::int64_t>(std::ceil(rw / static_cast<double>(pw)));
            const double samples = static_cast<double>(std::max<std::int64_t>(grid_h * grid_w, 1));
            for (std::int64_t ch = 0; ch < c; ++ch) {
                const auto off = static_cast<std::size_t>((b * c + ch) * h * w);
                for (std::int64_t i = 0; i < ph; ++i)
                    for (std::int64_t j = 0; j < pw; ++j) {
                        double acc = 0.0;
                        bool first = true;
                        for (std::int64_t iy = 0; iy < grid_h; ++iy) {
                            const double sy = y0 + static_cast<double>(i) * bin_h +
                                              (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(grid_h);
                            for (std::int64_t ix = 0; ix < grid_w; ++ix) {
                                const double sx = x0 + static_cast<double>(j) * bin_w +
                                                  (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(grid_w);
                                const double v = reference::roi_bilinear(x, off, h, w, sy, sx);
                                if (a.mode == ops::roi_align_mode::avg) acc += v;
                                else acc = first ? v : std::max(acc, v);
                                first = false;
                            }
                        }
                        if (a.mode == ops::roi_align_mode::avg) acc /= samples;
                        y[static_cast<std::size_t>(((r * c + ch) * ph + i) * pw + j)] = acc;
                    }
            }
        }
        visit_element_type(out[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (detail::computes_v<ops::roi_align, T>) {
                T* o = out[0].data<T>();
                for (std::size_t i = 0; i < y.size(); ++i) o[i] = convert_value<T>(y[i]);
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_SAMPLING_HPP
