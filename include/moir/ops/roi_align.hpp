#ifndef MOIR_OPS_ROI_ALIGN_HPP
#define MOIR_OPS_ROI_ALIGN_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// ROIAlign `mode`: how the samples of a bin combine.
enum class roi_align_mode { avg, max };
constexpr std::array<std::string_view, 2> ir_enum_names(roi_align_mode) { return {"avg", "max"}; }
/// ROIAlign `aligned_mode`: how box coordinates map to the data. asymmetric (ONNX output_half_pixel)
/// scales them and makes boxes at least 1x1; half_pixel scales them and shifts by -0.5.
enum class roi_aligned_mode { asymmetric, half_pixel_for_nn, half_pixel };
constexpr std::array<std::string_view, 3> ir_enum_names(roi_aligned_mode) {
    return {"asymmetric", "half_pixel_for_nn", "half_pixel"};
}

/// roi_align: for each box r (rois [R, 4] = x1, y1, x2, y2 in data coordinates times spatial_scale)
/// of image batch_indices[r], the [C, pooled_h, pooled_w] grid of bins of the box; each bin is the
/// average (or maximum) of sampling_ratio x sampling_ratio bilinear samples (0: ceil(box extent /
/// pooled extent) per axis) at the centres of its sub-cells. Samples more than one cell outside the
/// data read 0; others clamp to the data. Mode max takes the largest interpolated sample (OpenVINO's
/// definition; onnxruntime instead maximizes the weighted corner terms). IR: ROIAlign of opset9 (half_pixel_for_nn is not
/// supported by the reference kernel).
/// requires: floating data [N, C, H, W]; rois [R, 4] of the data's type; integer batch_indices [R]
/// in [0, N); pooled_h, pooled_w >= 1; sampling_ratio >= 0.
/// ensures: output [R, C, pooled_h, pooled_w] of the data's type.
struct roi_align {
    static constexpr std::string_view name = "roi_align", ir_name = "ROIAlign", ir_opset = "opset9";
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    static constexpr bool float_only = true;
    struct attrs {
        std::int64_t pooled_h = 1;
        std::int64_t pooled_w = 1;
        std::int64_t sampling_ratio = 0;
        float spatial_scale = 1.0f;
        roi_align_mode mode = roi_align_mode::avg;
        roi_aligned_mode aligned_mode = roi_aligned_mode::asymmetric;
        static constexpr std::array<std::string_view, 6> ir_names{"pooled_h",      "pooled_w", "sampling_ratio",
                                                                  "spatial_scale", "mode",     "aligned_mode"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 3, shape_error, "ROIAlign takes 3 inputs (data, rois, batch_indices)");
        MOIR_CHECK(a.pooled_h >= 1 && a.pooled_w >= 1, shape_error, "pooled_h and pooled_w must be >= 1");
        MOIR_CHECK(a.sampling_ratio >= 0, shape_error, "sampling_ratio must be >= 0");
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "ROIAlign needs floating-point data");
        MOIR_CHECK(in[2].type == element_type::undefined || is_integer(in[2].type), shape_error,
                   "batch_indices must be integers");
        const partial_shape& x = in[0].shape;
        const partial_shape& r = in[1].shape;
        const partial_shape& b = in[2].shape;
        MOIR_CHECK(x.rank_dynamic || x.rank() == 4, shape_error, "ROIAlign needs data [N, C, H, W]");
        MOIR_CHECK(r.rank_dynamic || (r.rank() == 2 && (r.dims[1] < 0 || r.dims[1] == 4)), shape_error,
                   "ROIAlign needs rois [R, 4]");
        MOIR_CHECK(b.rank_dynamic || b.rank() == 1, shape_error, "ROIAlign needs batch_indices [R]");
        std::int64_t n = r.rank_dynamic ? -1 : r.dims[0];
        if (!b.rank_dynamic) {
            MOIR_CHECK(n < 0 || b.dims[0] < 0 || n == b.dims[0], shape_error,
                       "rois and batch_indices have different counts");
            if (n < 0) n = b.dims[0];
        }
        return {port_desc{in[0].type,
                          std::vector<std::int64_t>{n, x.rank_dynamic ? -1 : x.dims[1], a.pooled_h, a.pooled_w},
                          {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ROI_ALIGN_HPP
