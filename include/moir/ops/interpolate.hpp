#ifndef MOIR_OPS_INTERPOLATE_HPP
#define MOIR_OPS_INTERPOLATE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cmath>        // floor
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// Interpolate `mode`.
enum class interpolate_mode { nearest, linear, linear_onnx, cubic, bilinear_pillow, bicubic_pillow };
constexpr std::array<std::string_view, 6> ir_enum_names(interpolate_mode) {
    return {"nearest", "linear", "linear_onnx", "cubic", "bilinear_pillow", "bicubic_pillow"};
}
/// Interpolate `shape_calculation_mode`: whether the 2nd input holds output sizes or scales.
enum class shape_calculation_mode { sizes, scales };
constexpr std::array<std::string_view, 2> ir_enum_names(shape_calculation_mode) { return {"sizes", "scales"}; }
/// Interpolate `coordinate_transformation_mode`: output coordinate -> input coordinate.
enum class coordinate_transformation_mode {
    half_pixel, pytorch_half_pixel, asymmetric, tf_half_pixel_for_nn, align_corners
};
constexpr std::array<std::string_view, 5> ir_enum_names(coordinate_transformation_mode) {
    return {"half_pixel", "pytorch_half_pixel", "asymmetric", "tf_half_pixel_for_nn", "align_corners"};
}
/// Interpolate `nearest_mode`: how mode nearest rounds an input coordinate to an index.
enum class nearest_mode { round_prefer_floor, round_prefer_ceil, floor, ceil, simple };
constexpr std::array<std::string_view, 5> ir_enum_names(nearest_mode) {
    return {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil", "simple"};
}

/// interpolate (resize): the data, zero-padded by pads_begin/pads_end, resampled along `axes` (3rd
/// input, default every axis) to the sizes of the 2nd input (shape_calculation_mode sizes, integer)
/// or to floor(padded * scale + 1e-5) (mode scales, floating). Each output coordinate maps to an
/// input coordinate by coordinate_transformation_mode; nearest picks one cell by nearest_mode,
/// linear_onnx blends the 2 neighbours per axis (clamped to the edge), cubic the 4 neighbours with the
/// Keys kernel of cube_coeff (edge-replicated). requires: the 2nd input has one value per axis.
/// ensures: output of the data's type and rank; axes not resampled keep their padded extent.
/// The reference kernel implements nearest, linear_onnx and cubic without antialias (others throw
/// moir::unsupported_error).
struct interpolate {
    static constexpr std::string_view name = "interpolate", ir_name = "Interpolate", ir_opset = "opset11";
    static constexpr std::size_t min_inputs = 2, max_inputs = 3;
    struct attrs {
        interpolate_mode mode = interpolate_mode::nearest;
        ops::shape_calculation_mode shape_calculation_mode = ops::shape_calculation_mode::sizes;
        ops::coordinate_transformation_mode coordinate_transformation_mode =
            ops::coordinate_transformation_mode::half_pixel;
        ops::nearest_mode nearest_mode = ops::nearest_mode::round_prefer_floor;
        bool antialias = false;
        std::vector<std::int64_t> pads_begin, pads_end;
        double cube_coeff = -0.75;
        static constexpr std::array<std::string_view, 8> ir_names{
            "mode",      "shape_calculation_mode", "coordinate_transformation_mode", "nearest_mode",
            "antialias", "pads_begin",             "pads_end",                       "cube_coeff"};
    };

    /// ensures: the pads resized to `rank` (missing values are 0); shape_error when longer.
    static std::vector<std::int64_t> pads(const std::vector<std::int64_t>& p, std::size_t rank, const char* what) {
        MOIR_CHECK(p.size() <= rank, shape_error, std::string(what) + " has more values than the data has axes");
        std::vector<std::int64_t> r(p);
        r.resize(rank, 0);
        for (auto v : r) MOIR_CHECK(v >= 0, shape_error, std::string(what) + " must not be negative");
        return r;
    }
    /// ensures: the axes normalized to [0, rank), or every axis when `axes` is null.
    static std::vector<std::size_t> resolve_axes(const std::vector<std::int64_t>* axes, std::size_t rank) {
        std::vector<std::size_t> r;
        if (!axes) {
            for (std::size_t i = 0; i < rank; ++i) r.push_back(i);
            return r;
        }
        std::vector<bool> seen(rank, false);
        for (auto ax : *axes) {
            const std::size_t a = normalize_axis(ax, rank);
            MOIR_CHECK(!seen[a], shape_error, "axes repeats axis " + std::to_string(a));
            seen[a] = true;
            r.push_back(a);
        }
        return r;
    }
    /// The output extent of a padded axis of `len` cells under `scale` (mode scales).
    static std::int64_t scaled_extent(std::int64_t len, float scale) {
        return static_cast<std::int64_t>(std::floor(static_cast<float>(len) * scale + 1.0e-5f));
    }

    static port_descs infer(const attrs& a, const port_descs& in) {
        const partial_shape& x = in[0].shape;
        if (x.rank_dynamic) return {port_desc{in[0].type, partial_shape::dynamic(), {}}};
        const std::size_t r = x.rank();
        const auto pb = pads(a.pads_begin, r, "pads_begin"), pe = pads(a.pads_end, r, "pads_end");
        std::vector<std::int64_t> out(r, -1);
        for (std::size_t i = 0; i < r; ++i) out[i] = x.dims[i] < 0 ? -1 : x.dims[i] + pb[i] + pe[i];
        const bool scales = a.shape_calculation_mode == shape_calculation_mode::scales;
        MOIR_CHECK(in[1].type == element_type::undefined || (scales ? is_float(in[1].type) : is_integer(in[1].type)),
                   shape_error, scales ? "scales must be of a floating type" : "sizes must be of an integer type");
        MOIR_CHECK(in[1].shape.rank_dynamic || in[1].shape.rank() == 1, shape_error, "scales_or_sizes must be 1-D");
        std::vector<std::int64_t> axes_values;
        if (in.size() > 2) {
            if (!in[2].has_value()) return {port_desc{in[0].type, std::vector<std::int64_t>(r, -1), {}}};
            axes_values = detail::const_ints(in, 2, "axes");
        }
        const auto axes = resolve_axes(in.size() > 2 ? &axes_values : nullptr, r);
        if (!in[1].has_value()) {
            for (auto ax : axes) out[ax] = -1;
            return {port_desc{in[0].type, out, {}}};
        }
        MOIR_CHECK(in[1].value.numel() == axes.size(), shape_error,
                   "scales_or_sizes has " + std::to_string(in[1].value.numel()) + " values for " +
                       std::to_string(axes.size()) + " axes");
        for (std::size_t i = 0; i < axes.size(); ++i) {
            const std::size_t ax = axes[i];
            if (scales) {
                const float s = in[1].value.at_as<float>(i);
                MOIR_CHECK(s > 0.0f, shape_error, "scales must be positive");
                out[ax] = out[ax] < 0 ? -1 : scaled_extent(out[ax], s);
            } else {
                out[ax] = in[1].value.at_as<std::int64_t>(i);
                MOIR_CHECK(out[ax] >= 0, shape_error, "sizes must not be negative");
            }
        }
        return {port_desc{in[0].type, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_INTERPOLATE_HPP
