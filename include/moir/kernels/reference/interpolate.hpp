#ifndef MOIR_KERNELS_REFERENCE_INTERPOLATE_HPP
#define MOIR_KERNELS_REFERENCE_INTERPOLATE_HPP

// Reference kernel of Interpolate (opset11): modes nearest, linear_onnx and cubic, every coordinate
// transformation and nearest mode, pads, any subset of axes. Each output coordinate of each axis gets
// a list of taps (input index, weight): one for nearest and for axes not resampled, two for
// linear_onnx, four for cubic; an output cell is the weighted sum over the product of its axes' taps.
// Coordinates are mapped in float (as OpenVINO and onnxruntime do); sums are accumulated in double.
// nearest copies cells of any non-bool type; linear_onnx and cubic take floating types.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::unsupported_type
#include <moir/ops/interpolate.hpp>

#include <algorithm>    // clamp, min
#include <cmath>        // abs, ceil, floor, round
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string
#include <type_traits>  // is_floating_point_v, is_same_v
#include <vector>       // vector

namespace moir::kernels {

namespace reference {
/// One input index of an axis (-1: a padded cell, which reads 0) and its weight.
struct tap {
    std::int64_t index;
    double weight;
};

/// The input coordinate of output coordinate x on an axis of in_len (padded) -> out_len cells.
/// `resized` is the resized length align_corners divides by: out_len, or in_len * scale in mode
/// scales (ONNX's definition; it differs from out_len when in_len * scale is not whole).
inline float original_coordinate(ops::coordinate_transformation_mode m, float x, float scale, std::int64_t in_len,
                                 std::int64_t out_len, float resized) {
    using ops::coordinate_transformation_mode;
    switch (m) {
        case coordinate_transformation_mode::half_pixel: return (x + 0.5f) / scale - 0.5f;
        case coordinate_transformation_mode::pytorch_half_pixel: return out_len > 1 ? (x + 0.5f) / scale - 0.5f : 0.0f;
        case coordinate_transformation_mode::asymmetric: return x / scale;
        case coordinate_transformation_mode::tf_half_pixel_for_nn: return (x + 0.5f) / scale;
        case coordinate_transformation_mode::align_corners:
            return out_len == 1 ? 0.0f : x * static_cast<float>(in_len - 1) / (resized - 1.0f);
    }
    return x;
}

/// The index mode nearest picks for input coordinate x (before clamping to the axis).
inline std::int64_t nearest_index(ops::nearest_mode m, float x, float scale) {
    const float f = std::floor(x);
    const bool half = x - f == 0.5f;
    switch (m) {
        case ops::nearest_mode::round_prefer_floor: return static_cast<std::int64_t>(half ? f : std::round(x));
        case ops::nearest_mode::round_prefer_ceil: return static_cast<std::int64_t>(half ? f + 1.0f : std::round(x));
        case ops::nearest_mode::floor: return static_cast<std::int64_t>(f);
        case ops::nearest_mode::ceil: return static_cast<std::int64_t>(std::ceil(x));
        case ops::nearest_mode::simple:
            return scale < 1.0f ? static_cast<std::int64_t>(std::ceil(x)) : static_cast<std::int64_t>(x);
    }
    return static_cast<std::int64_t>(f);
}

/// The Keys cubic convolution kernel with coefficient a at distance t.
inline double cubic_weight(double t, double a) {
    t = std::abs(t);
    if (t <= 1.0) return ((a + 2.0) * t - (a + 3.0)) * t * t + 1.0;
    if (t < 2.0) return ((a * t - 5.0 * a) * t + 8.0 * a) * t - 4.0 * a;
    return 0.0;
}

/// The taps of each output coordinate of one resampled axis. `pad` is the axis's begin padding and
/// `in` its unpadded extent: padded indices outside [pad, pad + in) become -1. `resized` as
/// original_coordinate says.
inline std::vector<std::vector<tap>> axis_taps(const ops::interpolate::attrs& a, std::int64_t in, std::int64_t pad,
                                               std::int64_t in_len, std::int64_t out_len, float scale, float resized) {
    std::vector<std::vector<tap>> taps(static_cast<std::size_t>(out_len));
    auto source = [&](std::int64_t padded) {
        const std::int64_t i = std::clamp<std::int64_t>(padded, 0, in_len - 1) - pad;
        return i >= 0 && i < in ? i : std::int64_t(-1);
    };
    for (std::int64_t o = 0; o < out_len; ++o) {
        const float x = original_coordinate(a.coordinate_transformation_mode, static_cast<float>(o), scale, in_len,
                                            out_len, resized);
        auto& t = taps[static_cast<std::size_t>(o)];
        if (a.mode == ops::interpolate_mode::nearest) {
            t.push_back({source(nearest_index(a.nearest_mode, x, scale)), 1.0});
        } else if (a.mode == ops::interpolate_mode::linear_onnx) {
            const float c = std::clamp(x, 0.0f, static_cast<float>(in_len - 1));
            const auto i0 = static_cast<std::int64_t>(std::floor(c));
            const std::int64_t i1 = std::min(i0 + 1, in_len - 1);
            const double w1 = static_cast<double>(c) - static_cast<double>(i0);
            t.push_back({source(i0), 1.0 - w1});
            t.push_back({source(i1), w1});
        } else {  // cubic: neighbours -1..2 of floor(x), edge-replicated
            const float f = std::floor(x);
            const double frac = static_cast<double>(x) - static_cast<double>(f);
            for (std::int64_t k = -1; k <= 2; ++k)
                t.push_back({source(static_cast<std::int64_t>(f) + k),
                             cubic_weight(frac - static_cast<double>(k), a.cube_coeff)});
        }
    }
    return taps;
}
/// The taps of every output coordinate of every axis of an Interpolate from data of shape xs to
/// output shape ys: identity (shifted by pads_begin) on axes not resampled, axis_taps on the others.
/// `scales_or_sizes` is the op's 2nd input, `axes` its 3rd (null: every axis). The fast step of
/// runtime/steps/interpolate.hpp uses the same taps, so both pick the same cells.
inline std::vector<std::vector<std::vector<tap>>> interpolate_taps(const ops::interpolate::attrs& a, const shape& xs,
                                                                   const shape& ys, const tensor& scales_or_sizes,
                                                                   const std::vector<std::int64_t>* axes_values) {
    const std::size_t r = xs.size();
    const auto pb = ops::interpolate::pads(a.pads_begin, r, "pads_begin");
    const auto pe = ops::interpolate::pads(a.pads_end, r, "pads_end");
    const auto axes = ops::interpolate::resolve_axes(axes_values, r);
    const bool scales = a.shape_calculation_mode == ops::shape_calculation_mode::scales;
    std::vector<std::vector<std::vector<tap>>> taps(r);
    for (std::size_t ax = 0; ax < r; ++ax)
        for (std::int64_t o = 0; o < ys[ax]; ++o) {
            const std::int64_t i = o - pb[ax];
            taps[ax].push_back({{i >= 0 && i < xs[ax] ? i : -1, 1.0}});
        }
    for (std::size_t k = 0; k < axes.size(); ++k) {
        const std::size_t ax = axes[k];
        const std::int64_t in_len = xs[ax] + pb[ax] + pe[ax];
        const float scale = scales ? scales_or_sizes.at_as<float>(k)
                                   : static_cast<float>(ys[ax]) / static_cast<float>(in_len);
        const float resized = scales ? static_cast<float>(in_len) * scale : static_cast<float>(ys[ax]);
        taps[ax] = axis_taps(a, xs[ax], pb[ax], in_len, ys[ax], scale, resized);
    }
    return taps;
}
}  // namespace reference

template <>
struct reference_kernel<ops::interpolate> {
    static constexpr bool available = true;
    /// requires: in = {data, scales_or_sizes[, axes]}, out[0] allocated by interpolate::infer.
    static void run(const ops::interpolate::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        using ops::interpolate_mode;
        const bool supported = a.mode == interpolate_mode::nearest || a.mode == interpolate_mode::linear_onnx ||
                               a.mode == interpolate_mode::cubic;
        MOIR_CHECK(supported && !a.antialias, unsupported_error,
                   "Interpolate: mode " + std::string(ir_enum_names(a.mode)[static_cast<std::size_t>(a.mode)]) +
                       (a.antialias ? " with antialias" : "") + " is not supported (nearest, linear_onnx, cubic are)");
        const shape& xs = in[0].dims();
        const shape& ys = out[0].dims();
        std::vector<std::int64_t> axes_values;
        if (in.size() > 2) axes_values = in[2].to_vector<std::int64_t>();
        const auto taps = reference::interpolate_taps(a, xs, ys, in[1], in.size() > 2 ? &axes_values : nullptr);
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            constexpr bool floating = std::is_floating_point_v<T> || std::is_same_v<T, half>;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type(ops::interpolate::ir_name, in[0].type());
            } else {
                if (!floating && a.mode != interpolate_mode::nearest)
                    detail::unsupported_type(ops::interpolate::ir_name, in[0].type());
                run_typed<T>(in[0].data<T>(), xs, out[0].data<T>(), ys, taps);
            }
        });
    }

private:
    /// y[p] = sum over the product of the taps of p's coordinates of the weights' product * x[index].
    template <class T>
    static void run_typed(const T* x, const shape& xs, T* y, const shape& ys,
                          const std::vector<std::vector<std::vector<reference::tap>>>& taps) {
        const std::size_t r = xs.size();
        std::vector<std::int64_t> stride(r, 1);
        for (std::size_t i = r; i-- > 1;) stride[i - 1] = stride[i] * xs[i];
        std::vector<std::int64_t> pos(r, 0);
        std::vector<std::size_t> pick(r, 0);
        for (std::size_t o = 0, n = numel(ys); o < n; ++o) {
            auto taps_of = [&](std::size_t ax) -> const std::vector<reference::tap>& {
                return taps[ax][static_cast<std::size_t>(pos[ax])];
            };
            // the input offset of one tap per axis (-1 when any is a padded cell), and its weight
            auto gather = [&](double& w) {
                std::int64_t at = 0;
                w = 1.0;
                for (std::size_t ax = 0; ax < r; ++ax) {
                    const auto& t = taps_of(ax)[pick[ax]];
                    w *= t.weight;
                    if (t.index < 0 || at < 0) at = -1;
                    else at += t.index * stride[ax];
                }
                return at;
            };
            std::fill(pick.begin(), pick.end(), 0);
            bool one_tap = true;
            for (std::size_t ax = 0; ax < r; ++ax) one_tap = one_tap && taps_of(ax).size() == 1;
            if (one_tap) {  // nearest: copy the cell itself (exact for every type)
                double w;
                const std::int64_t at = gather(w);
                y[o] = at < 0 ? T{} : x[at];
            } else {  // every combination of this cell's taps: an odometer over `pick`
                double acc = 0.0;
                for (bool more = true; more;) {
                    double w;
                    const std::int64_t at = gather(w);
                    if (at >= 0) acc += w * convert_value<double>(x[at]);
                    more = false;
                    for (std::size_t ax = r; ax-- > 0;) {
                        if (++pick[ax] < taps_of(ax).size()) {
                            more = true;
                            break;
                        }
                        pick[ax] = 0;
                    }
                }
                y[o] = convert_value<T>(acc);
            }
            for (std::size_t ax = r; ax-- > 0;) {  // next output coordinate
                if (++pos[ax] < ys[ax]) break;
                pos[ax] = 0;
            }
        }
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_INTERPOLATE_HPP
