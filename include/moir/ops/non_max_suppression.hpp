#ifndef MOIR_OPS_NON_MAX_SUPPRESSION_HPP
#define MOIR_OPS_NON_MAX_SUPPRESSION_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>
#include <moir/core/tensor.hpp>

#include <algorithm>    // lower_bound, max, min, stable_sort
#include <array>        // array
#include <cmath>        // exp
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// How NonMaxSuppression reads a box: `corner` [y1, x1, y2, x2], any two diagonal corners (TF,
/// ONNX's default); `center` [x_center, y_center, width, height] (ONNX center_point_box 1).
enum class box_encoding { corner, center };
constexpr std::array<std::string_view, 2> ir_enum_names(box_encoding) { return {"corner", "center"}; }

/// non_max_suppression: greedy non-maximum suppression of boxes [B, N, 4] with scores [B, C, N],
/// for each batch b and class c on its own (OpenVINO's NonMaxSuppression-5/9). Optional inputs,
/// each a scalar or a 1-element tensor: max_output_boxes_per_class (integer, default 0: no box),
/// iou_threshold (default 0), score_threshold (default 0), soft_nms_sigma (default 0: hard NMS).
/// Per (b, c): the boxes whose score > score_threshold are candidates; the best one (highest
/// score, the lower box index on a tie) is taken; a candidate whose IoU with a box taken since
/// it was last checked is > iou_threshold is dropped, otherwise its score is multiplied by
/// exp(-0.5 * IoU^2 / soft_nms_sigma) for each such box (soft NMS; factor 1 when sigma is 0) and
/// it goes back into the candidates while its score stays > score_threshold; at most
/// max_output_boxes_per_class boxes are taken, in the order taken. A box of zero area has IoU 0
/// with every box. Outputs: selected_indices [M, 3] of output_type (batch, class, box), in
/// (batch, class, order taken) order, or by descending score across batches and classes when
/// sort_result_descending (stable); selected_scores [M, 3] of the scores' type (batch, class,
/// score); valid_outputs [1] = M. IR: NonMaxSuppression of opset9 (opset5's reads the same).
/// requires: boxes and scores floating point, B and N agreeing; output_type i32 or i64.
/// ensures: M is dynamic until every input's value is known (then computed, as the kernel does).
struct non_max_suppression {
    static constexpr std::string_view name = "non_max_suppression", ir_name = "NonMaxSuppression",
                                      ir_opset = "opset9";
    static constexpr std::size_t min_inputs = 2, max_inputs = 6;
    struct attrs {
        ops::box_encoding box_encoding = ops::box_encoding::corner;
        bool sort_result_descending = true;
        element_type output_type = element_type::i64;
        static constexpr std::array<std::string_view, 3> ir_names{"box_encoding", "sort_result_descending",
                                                                  "output_type"};
    };
    static std::size_t outputs(const attrs&) { return 3; }

    /// One selected box.
    struct selected {
        std::int64_t batch, cls, box;
        float score;
    };
    /// The optional inputs' values (their defaults when absent).
    struct thresholds {
        std::int64_t max_per_class = 0;
        float iou = 0.0f, score = 0.0f, sigma = 0.0f;
    };
    static thresholds thresholds_of(const std::vector<const tensor*>& optional) {
        thresholds t;
        const auto one = [&](std::size_t i, const char* what) -> const tensor* {
            if (i >= optional.size() || optional[i] == nullptr) return nullptr;
            MOIR_CHECK(optional[i]->numel() == 1, shape_error,
                       std::string("NonMaxSuppression's ") + what + " must hold one value, it has " +
                           std::to_string(optional[i]->numel()));
            return optional[i];
        };
        if (const tensor* v = one(0, "max_output_boxes_per_class")) t.max_per_class = v->at_as<std::int64_t>(0);
        if (const tensor* v = one(1, "iou_threshold")) t.iou = v->at_as<float>(0);
        if (const tensor* v = one(2, "score_threshold")) t.score = v->at_as<float>(0);
        if (const tensor* v = one(3, "soft_nms_sigma")) t.sigma = v->at_as<float>(0);
        return t;
    }

    /// Corners (ymin, xmin, ymax, xmax) of box i of `b` (4 floats per box).
    static std::array<float, 4> corners(const float* b, box_encoding e) {
        if (e == box_encoding::center) {
            const float hw = b[2] / 2, hh = b[3] / 2;
            return {b[1] - hh, b[0] - hw, b[1] + hh, b[0] + hw};
        }
        return {std::min(b[0], b[2]), std::min(b[1], b[3]), std::max(b[0], b[2]), std::max(b[1], b[3])};
    }
    /// Intersection over union of two boxes' corners, in double (as tfjs and TensorFlow's CPU kernel).
    static double iou(const std::array<float, 4>& a, const std::array<float, 4>& b) {
        const double area_a = (double(a[2]) - a[0]) * (double(a[3]) - a[1]);
        const double area_b = (double(b[2]) - b[0]) * (double(b[3]) - b[1]);
        if (area_a <= 0 || area_b <= 0) return 0.0;
        const double h = std::max(double(std::min(a[2], b[2])) - std::max(a[0], b[0]), 0.0);
        const double w = std::max(double(std::min(a[3], b[3])) - std::max(a[1], b[1]), 0.0);
        const double inter = h * w;
        return inter / (area_a + area_b - inter);
    }

    /// The boxes NMS selects (the algorithm above), in output order.
    /// requires: boxes f32 [B, N, 4], scores f32 [B, C, N].
    static std::vector<selected> select(const attrs& a, const tensor& boxes, const tensor& scores, const thresholds& t) {
        const auto batches = boxes.dims()[0], n = boxes.dims()[1], classes = scores.dims()[1];
        const double scale = t.sigma > 0 ? -0.5 / t.sigma : 0.0;
        struct candidate {
            double score;
            std::int64_t box;
            std::size_t checked;  // boxes taken before this index have been applied to its score
        };
        // candidates ascending (the best last): lower score first, on a tie the higher box index first
        const auto before = [](const candidate& x, const candidate& y) {
            return x.score < y.score || (x.score == y.score && x.box > y.box);
        };
        std::vector<selected> out;
        std::vector<std::array<float, 4>> c(static_cast<std::size_t>(n));
        for (std::int64_t b = 0; b < batches; ++b) {
            const float* bx = boxes.data<float>() + b * n * 4;
            for (std::int64_t i = 0; i < n; ++i) c[static_cast<std::size_t>(i)] = corners(bx + i * 4, a.box_encoding);
            for (std::int64_t k = 0; k < classes; ++k) {
                const float* s = scores.data<float>() + (b * classes + k) * n;
                std::vector<candidate> queue;
                for (std::int64_t i = 0; i < n; ++i)
                    if (s[i] > t.score) queue.push_back({s[i], i, 0});
                std::stable_sort(queue.begin(), queue.end(), before);
                std::vector<std::int64_t> taken;
                std::vector<double> taken_scores;
                while (static_cast<std::int64_t>(taken.size()) < t.max_per_class && !queue.empty()) {
                    candidate next = queue.back();
                    queue.pop_back();
                    const double original = next.score;
                    bool dropped = false;
                    for (std::size_t j = taken.size(); j-- > next.checked;) {
                        const double overlap = iou(c[static_cast<std::size_t>(next.box)], c[static_cast<std::size_t>(taken[j])]);
                        if (overlap > t.iou) {
                            dropped = true;
                            break;
                        }
                        if (scale != 0.0) next.score *= std::exp(scale * overlap * overlap);
                        if (next.score <= t.score) break;
                    }
                    next.checked = taken.size();
                    if (dropped) continue;
                    if (next.score == original) {
                        taken.push_back(next.box);
                        taken_scores.push_back(next.score);
                    } else if (next.score > t.score) {
                        queue.insert(std::lower_bound(queue.begin(), queue.end(), next, before), next);
                    }
                }
                for (std::size_t j = 0; j < taken.size(); ++j)
                    out.push_back({b, k, taken[j], static_cast<float>(taken_scores[j])});
            }
        }
        if (a.sort_result_descending)
            std::stable_sort(out.begin(), out.end(), [](const selected& x, const selected& y) { return x.score > y.score; });
        return out;
    }

    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() >= 2 && in.size() <= 6, shape_error, "NonMaxSuppression takes 2 to 6 inputs");
        MOIR_CHECK(a.output_type == element_type::i32 || a.output_type == element_type::i64, shape_error,
                   "NonMaxSuppression output_type must be i32 or i64, it is " + std::string(moir::ir_name(a.output_type)));
        MOIR_CHECK(is_float(in[0].type) && is_float(in[1].type), shape_error,
                   "NonMaxSuppression's boxes and scores must be floating point");
        const partial_shape& bs = in[0].shape;
        const partial_shape& ss = in[1].shape;
        if (!bs.rank_dynamic) {
            MOIR_CHECK(bs.rank() == 3 && (bs.dims[2] < 0 || bs.dims[2] == 4), shape_error,
                       "NonMaxSuppression's boxes must be [batches, boxes, 4], they are " + bs.str());
        }
        if (!ss.rank_dynamic) {
            MOIR_CHECK(ss.rank() == 3, shape_error,
                       "NonMaxSuppression's scores must be [batches, classes, boxes], they are " + ss.str());
        }
        if (!bs.rank_dynamic && !ss.rank_dynamic) {
            const auto agree = [](std::int64_t x, std::int64_t y) { return x < 0 || y < 0 || x == y; };
            MOIR_CHECK(agree(bs.dims[0], ss.dims[0]) && agree(bs.dims[1], ss.dims[2]), shape_error,
                       "NonMaxSuppression's boxes " + bs.str() + " and scores " + ss.str() + " do not agree");
        }
        for (std::size_t i = 2; i < in.size(); ++i)
            MOIR_CHECK(in[i].shape.rank_dynamic || in[i].shape.rank() <= 1, shape_error,
                       "NonMaxSuppression's input " + std::to_string(i) + " must be a scalar or hold one value");
        std::int64_t m = dynamic_dim;
        bool known = true;
        for (const auto& d : in) known = known && d.has_value();
        if (known) {
            std::vector<const tensor*> optional;
            for (std::size_t i = 2; i < in.size(); ++i) optional.push_back(&in[i].value);
            m = static_cast<std::int64_t>(
                select(a, in[0].value.converted(element_type::f32), in[1].value.converted(element_type::f32),
                       thresholds_of(optional))
                    .size());
        }
        return {port_desc{a.output_type, std::vector<std::int64_t>{m, 3}, {}},
                port_desc{in[1].type, std::vector<std::int64_t>{m, 3}, {}},
                port_desc{a.output_type, std::vector<std::int64_t>{1}, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_NON_MAX_SUPPRESSION_HPP
