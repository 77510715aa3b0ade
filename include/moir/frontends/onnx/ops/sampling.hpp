#ifndef MOIR_FRONTENDS_ONNX_OPS_SAMPLING_HPP
#define MOIR_FRONTENDS_ONNX_OPS_SAMPLING_HPP

// ONNX ops that sample data at fractional positions -> moir ops: GridSample (GridSample-9; 4-D
// data only) and RoiAlign (ROIAlign-9; coordinate_transformation_mode half_pixel -> aligned_mode
// half_pixel, output_half_pixel (and RoiAlign-10, which has no such attribute) -> asymmetric).

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/grid_sample.hpp>
#include <moir/ops/roi_align.hpp>

#include <string>  // string

namespace moir::onnx {

namespace detail {
inline void grid_sample(context& c) {
    moir::ops::grid_sample::attrs a;
    a.align_corners = c.attr_int("align_corners", 0) != 0;
    const std::string mode = c.attr_string("mode", c.opset() >= 20 ? "linear" : "bilinear");
    if (mode == "bilinear" || mode == "linear") a.mode = moir::ops::grid_sample_mode::bilinear;
    else if (mode == "bicubic" || mode == "cubic") a.mode = moir::ops::grid_sample_mode::bicubic;
    else if (mode == "nearest") a.mode = moir::ops::grid_sample_mode::nearest;
    else throw unsupported_error("GridSample mode '" + mode + "' is not supported");
    const std::string pad = c.attr_string("padding_mode", "zeros");
    if (pad == "zeros") a.padding_mode = moir::ops::grid_sample_padding::zeros;
    else if (pad == "border") a.padding_mode = moir::ops::grid_sample_padding::border;
    else if (pad == "reflection") a.padding_mode = moir::ops::grid_sample_padding::reflection;
    else throw unsupported_error("GridSample padding_mode '" + pad + "' is not supported");
    const auto& xs = c.input_port(0).shape;
    MOIR_CHECK(xs.rank_dynamic || xs.rank() == 4, unsupported_error, "GridSample supports 4-D data only");
    c.set_output(0, c.add<moir::ops::grid_sample>(a, {c.input(0), c.input(1)}));
}

inline void roi_align(context& c) {
    moir::ops::roi_align::attrs a;
    a.pooled_h = c.attr_int("output_height", 1);
    a.pooled_w = c.attr_int("output_width", 1);
    a.sampling_ratio = c.attr_int("sampling_ratio", 0);
    a.spatial_scale = c.attr_float("spatial_scale", 1.0f);
    const std::string mode = c.attr_string("mode", "avg");
    MOIR_CHECK(mode == "avg" || mode == "max", unsupported_error, "RoiAlign mode '" + mode + "' is not supported");
    a.mode = mode == "avg" ? moir::ops::roi_align_mode::avg : moir::ops::roi_align_mode::max;
    const std::string ctm = c.attr_string("coordinate_transformation_mode", c.opset() >= 16 ? "half_pixel" : "output_half_pixel");
    if (ctm == "half_pixel") a.aligned_mode = moir::ops::roi_aligned_mode::half_pixel;
    else if (ctm == "output_half_pixel") a.aligned_mode = moir::ops::roi_aligned_mode::asymmetric;
    else throw unsupported_error("RoiAlign coordinate_transformation_mode '" + ctm + "' is not supported");
    c.set_output(0, c.add<moir::ops::roi_align>(a, {c.input(0), c.input(1), c.input(2)}));
}
}  // namespace detail

/// Registers GridSample and RoiAlign.
template <class = void>  // compiled only where a table is built
void register_sampling(op_table& t) {
    t.add("GridSample", detail::grid_sample, 16);
    t.add("RoiAlign", detail::roi_align, 10);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_SAMPLING_HPP
