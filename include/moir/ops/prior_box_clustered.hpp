#ifndef MOIR_OPS_PRIOR_BOX_CLUSTERED_HPP
#define MOIR_OPS_PRIOR_BOX_CLUSTERED_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>
#include <moir/ops/common.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// prior_box_clustered: for each cell (h, w) of a feature map [H, W] over an image [img_h, img_w],
/// one box per (widths[i], heights[i]) pair centred at ((w + offset) * step_x, (h + offset) *
/// step_y) (step_widths / step_heights, else step, else the image size over the map size),
/// normalized by the image size; clip clamps to [0, 1]; row 1 holds the variances (as PriorBox).
/// IR: PriorBoxClustered of opset1.
/// requires: output_size [2] and image_size [2] integers; widths and heights of one length >= 1.
/// ensures: output f32 [2, 4 * H * W * widths.size()].
struct prior_box_clustered {
    static constexpr std::string_view name = "prior_box_clustered", ir_name = "PriorBoxClustered", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    struct attrs {
        std::vector<float> width, height;
        bool clip = true;
        float step_widths = 0.0f;
        float step_heights = 0.0f;
        float step = 0.0f;
        float offset = 0.5f;
        std::vector<float> variance;
        static constexpr std::array<std::string_view, 8> ir_names{"width", "height", "clip", "step_w", "step_h",
                                                                  "step", "offset", "variance"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "PriorBoxClustered takes 2 inputs (output_size, image_size)");
        MOIR_CHECK(!a.width.empty() && a.width.size() == a.height.size(), shape_error,
                   "PriorBoxClustered needs widths and heights of one length");
        MOIR_CHECK(a.variance.size() == 0 || a.variance.size() == 1 || a.variance.size() == 4, shape_error,
                   "PriorBoxClustered: variance takes 0, 1 or 4 values");
        std::int64_t n = -1;
        if (in[0].has_value()) {
            const auto hw = detail::const_ints(in, 0, "output_size");
            MOIR_CHECK(hw.size() == 2 && hw[0] > 0 && hw[1] > 0, shape_error,
                       "PriorBoxClustered: output_size must be 2 positive values");
            n = 4 * hw[0] * hw[1] * static_cast<std::int64_t>(a.width.size());
        }
        return {port_desc{element_type::f32, std::vector<std::int64_t>{2, n}, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_PRIOR_BOX_CLUSTERED_HPP
