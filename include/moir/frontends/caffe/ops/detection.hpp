#ifndef MOIR_FRONTENDS_CAFFE_OPS_DETECTION_HPP
#define MOIR_FRONTENDS_CAFFE_OPS_DETECTION_HPP

// SSD's layers: PriorBox (prior_box_param; with OpenCV's explicit `width` / `height` lists it is
// PriorBoxClustered) and DetectionOutput (detection_output_param with nms_param). The feature map
// and image sizes PriorBox reads from its two bottoms are static here and become constants; its
// [2, N] output is given Caffe's [1, 2, N] shape.

#include <moir/frontends/caffe/converter.hpp>
#include <moir/frontends/caffe/ops/nn.hpp>
#include <moir/ops/detection_output.hpp>
#include <moir/ops/prior_box.hpp>
#include <moir/ops/prior_box_clustered.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstdint>  // int64_t
#include <string>   // string
#include <vector>   // vector

namespace moir::caffe {

namespace detail {
inline std::vector<float> floats_of(const prototext::message& p, const char* key) {
    std::vector<float> r;
    for (double d : p.get_floats(key)) r.push_back(static_cast<float>(d));
    return r;
}

inline void prior_box(context& c) {
    const prototext::message& p = c.param("prior_box_param");
    MOIR_CHECK(c.input_count() == 2, error, "PriorBox takes 2 bottoms (the feature map and the image)");
    const shape f = c.input_dims(0), img = c.input_dims(1);
    MOIR_CHECK(f.size() == 4 && img.size() == 4, error, "PriorBox's bottoms must be NCHW");
    const output_ref out_size = c.constant_i64({f[2], f[3]}, "/output_size");
    const output_ref img_size = c.constant_i64({img[2], img[3]}, "/image_size");
    float step = static_cast<float>(p.get_float("step", 0.0));
    if (p.has("step_h") || p.has("step_w")) {
        MOIR_CHECK(p.get_float("step_h", 0.0) == p.get_float("step_w", 0.0), unsupported_error,
                   "PriorBox with step_h != step_w is not supported");
        step = static_cast<float>(p.get_float("step_h", 0.0));
    }
    MOIR_CHECK(!p.has("img_size") && !p.has("img_h") && !p.has("img_w"), unsupported_error,
               "PriorBox with an explicit img_size is not supported (the image bottom gives it)");
    output_ref boxes;
    if (p.has("width") || p.has("height")) {  // OpenCV's explicit box sizes: PriorBoxClustered
        ops::prior_box_clustered::attrs a;
        a.width = floats_of(p, "width");
        a.height = floats_of(p, "height");
        a.clip = p.get_bool("clip", false);
        a.step = step;
        a.offset = static_cast<float>(p.get_float("offset", 0.5));
        a.variance = floats_of(p, "variance");
        boxes = c.add<ops::prior_box_clustered>(a, {out_size, img_size}, "/boxes");
    } else {
        ops::prior_box::attrs a;
        a.min_size = floats_of(p, "min_size");
        a.max_size = floats_of(p, "max_size");
        a.aspect_ratio = floats_of(p, "aspect_ratio");
        a.flip = p.get_bool("flip", true);
        a.clip = p.get_bool("clip", false);
        a.step = step;
        a.offset = static_cast<float>(p.get_float("offset", 0.5));
        a.variance = floats_of(p, "variance");
        a.min_max_aspect_ratios_order = true;  // Caffe: min box, max box, then the ratios
        boxes = c.add<ops::prior_box>(a, {out_size, img_size}, "/boxes");
    }
    c.set_output(0, c.add<ops::unsqueeze>({}, {boxes, c.constant_i64({0}, "/axis")}));
}

inline void detection_output(context& c) {
    const prototext::message& p = c.param("detection_output_param");
    MOIR_CHECK(c.input_count() == 3, unsupported_error, "DetectionOutput takes 3 bottoms (locations, confidences, priors)");
    ops::detection_output::attrs a;
    a.num_classes = p.get_int("num_classes", 0);
    MOIR_CHECK(a.num_classes > 0, error, "detection_output_param.num_classes is required");
    a.share_location = p.get_bool("share_location", true);
    a.background_label_id = p.get_int("background_label_id", 0);
    const prototext::message& nms = p.get_message("nms_param");
    a.nms_threshold = static_cast<float>(nms.get_float("nms_threshold", 0.3));
    a.top_k = nms.get_int("top_k", -1);
    MOIR_CHECK(nms.get_float("eta", 1.0) == 1.0, unsupported_error, "adaptive NMS (eta != 1) is not supported");
    const std::string code = p.get_enum("code_type", "CORNER");
    MOIR_CHECK(code == "CORNER" || code == "CENTER_SIZE", unsupported_error, "code_type " + code + " is not supported");
    a.code_type = "caffe.PriorBoxParameter." + code;
    a.variance_encoded_in_target = p.get_bool("variance_encoded_in_target", false);
    a.keep_top_k = {p.get_int("keep_top_k", -1)};
    a.confidence_threshold = static_cast<float>(p.get_float("confidence_threshold", -1e30));
    a.normalized = true;
    a.clip_before_nms = p.get_bool("clip", false);
    const output_ref loc = c.input(0), conf = c.input(1), priors = c.input(2);
    c.set_output(0, c.add<ops::detection_output>(a, {loc, conf, priors}));
}
}  // namespace detail

/// Registers PriorBox and DetectionOutput.
template <class = void>  // compiled only where a table is built
void register_detection(op_table& t) {
    t.add("PriorBox", detail::prior_box);
    t.add("DetectionOutput", detail::detection_output);
}

}  // namespace moir::caffe

#endif  // MOIR_FRONTENDS_CAFFE_OPS_DETECTION_HPP
