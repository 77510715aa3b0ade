#ifndef MOIR_OPS_DETECTION_OUTPUT_HPP
#define MOIR_OPS_DETECTION_OUTPUT_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// detection_output (SSD's last layer): decodes box_logits [N, P * 4] against the priors
/// (proposals [1 or N, 2 or 1, P * 4]: boxes, then variances unless variance_encoded_in_target)
/// with code_type "caffe.PriorBoxParameter.CENTER_SIZE" or ".CORNER"; for every class but
/// background_label_id keeps the boxes whose score in class_preds [N, P * num_classes] exceeds
/// confidence_threshold, best top_k of them (-1: all), and suppresses by greedy non-maximum
/// suppression (IoU > nms_threshold); then keeps the keep_top_k[0] best of the image (-1: all).
/// Output rows [image, label, score, xmin, ymin, xmax, ymax], per image by label then score; after
/// the last detection a row starting with -1, the rest zeros. share_location false: box_logits is
/// [N, P * num_classes * 4], a box per prior and class (each class NMS'd on its own boxes). Normalized
/// boxes only; clip_before_nms / clip_after_nms clamp coordinates to [0, 1]. IR: DetectionOutput of opset1.
/// requires: the three inputs floating point; P from proposals (dim 2 / 4) agreeing with the others.
/// ensures: output [1, 1, N * K, 7] of the inputs' type, K = keep_top_k[0] when > 0, else
/// top_k * num_classes when top_k > 0, else P * num_classes.
struct detection_output {
    static constexpr std::string_view name = "detection_output", ir_name = "DetectionOutput", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    static constexpr bool float_only = true;
    struct attrs {
        std::int64_t num_classes = 0;
        std::int64_t background_label_id = 0;
        std::int64_t top_k = -1;
        bool variance_encoded_in_target = false;
        std::vector<std::int64_t> keep_top_k{-1};
        std::string code_type = "caffe.PriorBoxParameter.CORNER";
        bool share_location = true;
        float nms_threshold = 0.0f;
        float confidence_threshold = 0.0f;
        bool clip_after_nms = false;
        bool clip_before_nms = false;
        bool decrease_label_id = false;
        bool normalized = false;
        std::int64_t input_height = 1;
        std::int64_t input_width = 1;
        float objectness_score = 0.0f;
        static constexpr std::array<std::string_view, 16> ir_names{
            "num_classes",     "background_label_id", "top_k",          "variance_encoded_in_target",
            "keep_top_k",      "code_type",           "share_location", "nms_threshold",
            "confidence_threshold", "clip_after_nms", "clip_before_nms", "decrease_label_id",
            "normalized",      "input_height",        "input_width",    "objectness_score"};
        static constexpr std::array<std::string_view, 3> ir_required{"num_classes", "keep_top_k", "nms_threshold"};
    };
    /// Rows per image of the output.
    static std::int64_t rows_per_image(const attrs& a, std::int64_t priors) {
        if (!a.keep_top_k.empty() && a.keep_top_k[0] > 0) return a.keep_top_k[0];
        if (a.top_k > 0) return a.top_k * a.num_classes;
        return priors < 0 ? -1 : priors * a.num_classes;
    }
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 3, shape_error, "DetectionOutput takes 3 inputs (box_logits, class_preds, proposals)");
        MOIR_CHECK(a.num_classes > 0, shape_error, "DetectionOutput: num_classes must be positive");
        MOIR_CHECK(!a.keep_top_k.empty(), shape_error, "DetectionOutput: keep_top_k needs a value");
        MOIR_CHECK(a.code_type == "caffe.PriorBoxParameter.CORNER" || a.code_type == "caffe.PriorBoxParameter.CENTER_SIZE",
                   shape_error, "DetectionOutput: unknown code_type '" + a.code_type + "'");
        for (const auto& p : in)
            MOIR_CHECK(p.type == element_type::undefined || is_float(p.type), shape_error,
                       "DetectionOutput needs floating-point inputs");
        const partial_shape& loc = in[0].shape;
        const partial_shape& conf = in[1].shape;
        const partial_shape& pr = in[2].shape;
        MOIR_CHECK(loc.rank_dynamic || loc.rank() == 2, shape_error, "DetectionOutput: box_logits must be [N, P * 4]");
        MOIR_CHECK(conf.rank_dynamic || conf.rank() == 2, shape_error, "DetectionOutput: class_preds must be [N, P * classes]");
        MOIR_CHECK(pr.rank_dynamic || pr.rank() == 3, shape_error, "DetectionOutput: proposals must be [1, 2, P * 4]");
        std::int64_t priors = -1;
        if (!pr.rank_dynamic && pr.dims[2] >= 0) {
            MOIR_CHECK(pr.dims[2] % 4 == 0, shape_error, "DetectionOutput: proposals' last dim is not a multiple of 4");
            priors = pr.dims[2] / 4;
        }
        const std::int64_t loc_classes = a.share_location ? 1 : a.num_classes;
        if (priors >= 0 && !loc.rank_dynamic && loc.dims[1] >= 0)
            MOIR_CHECK(loc.dims[1] == priors * 4 * loc_classes, shape_error,
                       "DetectionOutput: box_logits has " + std::to_string(loc.dims[1]) + " values per image for " +
                           std::to_string(priors) + " priors" + (a.share_location ? "" : " of " + std::to_string(loc_classes) + " classes"));
        if (priors >= 0 && !conf.rank_dynamic && conf.dims[1] >= 0)
            MOIR_CHECK(conf.dims[1] == priors * a.num_classes, shape_error,
                       "DetectionOutput: class_preds has " + std::to_string(conf.dims[1]) + " values per image for " +
                           std::to_string(priors) + " priors and " + std::to_string(a.num_classes) + " classes");
        const std::int64_t n = loc.rank_dynamic ? -1 : loc.dims[0];
        const std::int64_t k = rows_per_image(a, priors);
        return {port_desc{in[0].type, std::vector<std::int64_t>{1, 1, n < 0 || k < 0 ? -1 : n * k, 7}, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_DETECTION_OUTPUT_HPP
