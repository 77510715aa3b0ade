#ifndef MOIR_FRONTENDS_TENSORFLOW_OPS_DETECTION_HPP
#define MOIR_FRONTENDS_TENSORFLOW_OPS_DETECTION_HPP

// TF's non-maximum suppression: NonMaxSuppressionV2 / V3 / V4 / V5 (boxes [N, 4] as [y1, x1, y2,
// x2], scores [N]) as one NonMaxSuppression (ops/non_max_suppression.hpp) over one batch and one
// class: boxes -> [1, N, 4], scores -> [1, 1, N]; the box column of its [M, 3] selected indices
// is TF's selected_indices (int32), the score column of its selected scores V5's selected_scores,
// its valid_outputs V4's and V5's. pad_to_max_output_size pads both to max_output_size with 0s.
// One difference from TensorFlow at a measure-zero boundary: a candidate whose IoU with a taken
// box equals iou_threshold exactly is kept (OpenVINO's and ONNX's rule), TF drops it.

#include <moir/frontends/tensorflow/converter.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/non_max_suppression.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstdint>  // int64_t
#include <limits>   // numeric_limits
#include <string>   // string
#include <vector>   // vector

namespace moir::tensorflow {

namespace detail {
/// NonMaxSuppressionV<version>(boxes, scores, max_output_size, iou_threshold[, score_threshold
/// [, soft_nms_sigma]]).
inline void convert_nms(context& c, int version) {
    const output_ref boxes = c.add<ops::unsqueeze>({}, {c.input(0), c.constant_i64({0}, "/batch_axis")}, "/boxes");
    const output_ref scores =
        c.add<ops::unsqueeze>({}, {c.input(1), c.constant_i64({0, 1}, "/class_axes")}, "/scores");
    std::vector<output_ref> in{boxes, scores, c.input(2), c.input(3)};
    // V2 has no score threshold: every box is a candidate
    in.push_back(version >= 3 ? c.input(4)
                              : c.constant(tensor::scalar<float>(-std::numeric_limits<float>::infinity()), "/no_threshold"));
    if (version == 5) in.push_back(c.input(5));
    ops::non_max_suppression::attrs a;
    a.sort_result_descending = false;  // one class: the order taken
    a.output_type = element_type::i32;
    const node_id nms = c.add_node<ops::non_max_suppression>(a, in, "/nms");
    const output_ref column = c.constant(tensor::scalar<std::int64_t>(2), "/column");
    const output_ref axis1 = c.constant(tensor::scalar<std::int64_t>(1), "/axis1");
    output_ref indices = c.add<ops::gather>({0}, {{nms, 0}, column, axis1}, "/indices");
    output_ref selected_scores = c.add<ops::gather>({0}, {{nms, 1}, column, axis1}, "/selected_scores");
    const output_ref valid = c.add<ops::squeeze>({}, {{nms, 2}, c.constant_i64({0}, "/valid_axis")}, "/valid");
    if (version >= 4 && c.attr<bool>("pad_to_max_output_size", false)) {
        // pads_end = max_output_size - valid_outputs, as [1] i64
        const output_ref max_n = c.add<ops::reshape>(
            {false}, {c.add<ops::convert>({element_type::i64}, {c.input(2)}, "/max_i64"), c.constant_i64({1}, "/one")},
            "/max_1d");
        const output_ref valid_n = c.add<ops::convert>({element_type::i64}, {{nms, 2}}, "/valid_i64");
        const output_ref pads_end = c.add<ops::subtract>({}, {max_n, valid_n}, "/pads_end");
        const output_ref pads_begin = c.constant_i64({0}, "/pads_begin");
        indices = c.add<ops::pad>({ops::pad_mode::constant}, {indices, pads_begin, pads_end}, "/indices_padded");
        selected_scores =
            c.add<ops::pad>({ops::pad_mode::constant}, {selected_scores, pads_begin, pads_end}, "/scores_padded");
    }
    c.set_output(0, indices);
    if (version == 4) c.set_output(1, valid);
    if (version == 5) {
        c.set_output(1, selected_scores);
        c.set_output(2, valid);
    }
}
}  // namespace detail

/// Registers the non-maximum suppression converters.
template <class = void>  // compiled only where a table is built
void register_detection(op_table& t) {
    t.add("NonMaxSuppressionV2", [](context& c) { detail::convert_nms(c, 2); });
    t.add("NonMaxSuppressionV3", [](context& c) { detail::convert_nms(c, 3); });
    t.add("NonMaxSuppressionV4", [](context& c) { detail::convert_nms(c, 4); });
    t.add("NonMaxSuppressionV5", [](context& c) { detail::convert_nms(c, 5); });
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_OPS_DETECTION_HPP
