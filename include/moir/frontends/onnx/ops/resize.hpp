#ifndef MOIR_FRONTENDS_ONNX_OPS_RESIZE_HPP
#define MOIR_FRONTENDS_ONNX_OPS_RESIZE_HPP

// ONNX Resize (opset 10, 11, 13, 18) and Upsample (opset 7, 9) -> moir interpolate (OpenVINO
// Interpolate-11).

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/interpolate.hpp>

#include <string>  // string
#include <vector>  // vector

namespace moir::onnx {

namespace detail {
inline moir::ops::interpolate_mode onnx_resize_mode(const std::string& m) {
    if (m == "nearest") return moir::ops::interpolate_mode::nearest;
    if (m == "linear" || m == "bilinear") return moir::ops::interpolate_mode::linear_onnx;
    if (m == "cubic") return moir::ops::interpolate_mode::cubic;
    throw unsupported_error("resize mode '" + m + "' is not supported");
}
inline moir::ops::coordinate_transformation_mode onnx_coordinate_mode(const std::string& m) {
    using ctm = moir::ops::coordinate_transformation_mode;
    if (m == "half_pixel") return ctm::half_pixel;
    if (m == "pytorch_half_pixel") return ctm::pytorch_half_pixel;
    if (m == "asymmetric") return ctm::asymmetric;
    if (m == "tf_half_pixel_for_nn") return ctm::tf_half_pixel_for_nn;
    if (m == "align_corners") return ctm::align_corners;
    throw unsupported_error("coordinate_transformation_mode '" + m + "' is not supported");
}
inline moir::ops::nearest_mode onnx_nearest_mode(const std::string& m) {
    using nm = moir::ops::nearest_mode;
    if (m == "round_prefer_floor") return nm::round_prefer_floor;
    if (m == "round_prefer_ceil") return nm::round_prefer_ceil;
    if (m == "floor") return nm::floor;
    if (m == "ceil") return nm::ceil;
    throw unsupported_error("nearest_mode '" + m + "' is not supported");
}

/// A non-empty constant or non-constant input i, or nullopt when absent or an empty constant.
inline std::optional<output_ref> present(context& c, std::size_t i) {
    if (!c.has_input(i)) return std::nullopt;
    if (auto v = c.const_input(i); v && v->numel() == 0) return std::nullopt;
    return c.input(i);
}

inline void resize(context& c) {
    moir::ops::interpolate::attrs a;
    a.mode = onnx_resize_mode(c.attr_string("mode", "nearest"));
    std::optional<output_ref> scales, sizes, axes;
    if (c.opset() < 11) {  // Resize-10: X, scales; asymmetric coordinates, floor for nearest
        a.coordinate_transformation_mode = moir::ops::coordinate_transformation_mode::asymmetric;
        a.nearest_mode = moir::ops::nearest_mode::floor;
        scales = c.input(1);
    } else {
        const std::string ctm = c.attr_string("coordinate_transformation_mode", "half_pixel");
        MOIR_CHECK(ctm != "tf_crop_and_resize", unsupported_error, "tf_crop_and_resize is not supported");
        a.coordinate_transformation_mode = onnx_coordinate_mode(ctm);
        a.nearest_mode = onnx_nearest_mode(c.attr_string("nearest_mode", "round_prefer_floor"));
        a.cube_coeff = c.attr_float("cubic_coeff_a", -0.75f);
        MOIR_CHECK(c.attr_int("exclude_outside", 0) == 0, unsupported_error, "exclude_outside=1 is not supported");
        MOIR_CHECK(c.attr_int("antialias", 0) == 0, unsupported_error, "antialias=1 is not supported");
        MOIR_CHECK(c.attr_string("keep_aspect_ratio_policy", "stretch") == "stretch", unsupported_error,
                   "keep_aspect_ratio_policy other than stretch is not supported");
        scales = present(c, 2);
        sizes = present(c, 3);
        if (c.has_attr("axes")) axes = c.constant(tensor::from_vector(c.attr_ints("axes")), "/axes");
    }
    std::vector<output_ref> in{c.input(0)};
    if (sizes) {
        a.shape_calculation_mode = moir::ops::shape_calculation_mode::sizes;
        in.push_back(*sizes);
    } else {
        MOIR_CHECK(scales, parse_error, "Resize needs scales or sizes");
        a.shape_calculation_mode = moir::ops::shape_calculation_mode::scales;
        in.push_back(*scales);
    }
    if (axes) in.push_back(*axes);
    c.set_output(0, c.add<moir::ops::interpolate>(a, in));
}

inline void upsample(context& c) {
    moir::ops::interpolate::attrs a;
    a.mode = onnx_resize_mode(c.attr_string("mode", "nearest"));
    a.coordinate_transformation_mode = moir::ops::coordinate_transformation_mode::asymmetric;
    a.nearest_mode = moir::ops::nearest_mode::floor;
    a.shape_calculation_mode = moir::ops::shape_calculation_mode::scales;
    const output_ref scales = c.opset() < 9 ? c.constant(tensor::from_vector(c.attr_floats("scales")), "/scales") : c.input(1);
    c.set_output(0, c.add<moir::ops::interpolate>(a, {c.input(0), scales}));
}
}  // namespace detail

/// Registers Resize and Upsample.
template <class = void>  // compiled only where a table is built
void register_resize(op_table& t) {
    t.add("Resize", detail::resize, 10);
    t.add("Upsample", detail::upsample, 7);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_RESIZE_HPP
