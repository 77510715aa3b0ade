#ifndef MOIR_FRONTENDS_TENSORFLOW_REPLACEMENTS_SSD_POSTPROCESSOR_HPP
#define MOIR_FRONTENDS_TENSORFLOW_REPLACEMENTS_SSD_POSTPROCESSOR_HPP

// ObjectDetectionAPISSDPostprocessorReplacement: the TF Object Detection API's SSD post-processing
// (the `Postprocessor` scope: box decoding with the anchors, the score converter, and
// BatchMultiClassNonMaxSuppression with its while loops) replaced by one DetectionOutput (opset1)
// fed by
//   - the box-encoding head [N, P, 4] (ty, tx, th, tw), reordered to (tx, ty, tw, th) and flattened;
//   - the class head [N, P, C], through the score converter (Sigmoid or Softmax, as the graph's
//     own or custom_attributes "score_converter": SIGMOID, SOFTMAX, IDENTITY), flattened;
//   - priors [1, 2, P * 4]: the anchors (the graph's center/size tensors under the decoder's
//     "get_center_coordinates_and_sizes/" scope, converted and left to constant folding) as
//     corners, and variances 1 / scale_factors (custom_attributes "scale_factors": y, x, h, w;
//     default 10, 10, 5, 5), so that DetectionOutput's CENTER_SIZE decoding is the box coder's.
// NMS parameters: custom_attributes "iou_threshold", "score_threshold" (default: the graph's
// NonMaxSuppression inputs, else 0.6 and 1e-8), "max_total_detections" (DetectionOutput's keep_top_k,
// default 100), "top_k" (per class before NMS, default -1: all), "background_label_id" (default 0),
// "clip_before_nms" (default false) and "clip_after_nms" (default true): the OD API's NMS compares the
// decoded boxes unclipped and outputs them clipped to the image window. The output, named
// custom_attributes "output_name" (default "detection_output"), is [1, 1, keep_top_k, 7] rows
// (image, label, score, xmin, ymin, xmax, ymax), normalized; the graph's own outputs computed from
// the Postprocessor are dropped. The boxes are those of an image of the network's input size (the
// OD API's clip window of the true image shape is not applied).

#include <moir/frontends/common/transformations/replacement.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/detection_output.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstddef>   // size_t
#include <cstdint>   // int64_t
#include <optional>  // optional
#include <string>    // string
#include <vector>    // vector

namespace moir::tensorflow::replacements {

/// The OD API's SSD post-processing as a DetectionOutput.
struct ssd_postprocessor {
    static constexpr const char* id = "ObjectDetectionAPISSDPostprocessorReplacement";
    static constexpr const char* doc =
        "the TF Object Detection API's SSD post-processing (Postprocessor scope) as an IR DetectionOutput";

    /// Every node under a "Postprocessor/" scope.
    static transformations::sub_graph find(const transformations::graph_view& g, const transformations::replacement_spec& s) {
        return transformations::match_scope(g, {"(.*/)?Postprocessor/"}, s.where);
    }

    static void apply(transformations::replacement_context& c) {
        const auto& g = c.graph();
        const auto& m = c.match();
        // the class head: an outside tensor a Sigmoid / Softmax of the sub-graph reads (or custom_attributes)
        std::optional<transformations::edge> cls_e;
        std::string converter = c.attr<std::string>("score_converter", "");
        std::string graph_converter;
        for (auto n : m.nodes) {
            const auto& node = g.nodes[n];
            if (node.op != "Sigmoid" && node.op != "Softmax") continue;
            for (const auto& e : node.inputs)
                if (!m.has(e.node) && !cls_e) {
                    cls_e = e;
                    graph_converter = node.op == "Sigmoid" ? "SIGMOID" : "SOFTMAX";
                }
        }
        if (converter.empty()) converter = graph_converter.empty() ? "SIGMOID" : graph_converter;
        if (c.spec().custom_attributes.contains("class_predictions")) {
            cls_e.reset();
            const output_ref cls = c.value(c.attr<std::string>("class_predictions", ""));
            finish(c, cls, box_of(c, cls_e), converter);
            return;
        }
        if (!cls_e)
            c.fail("cannot find the class predictions: no Sigmoid or Softmax in the sub-graph reads a tensor from outside it "
                   "(name it with custom_attributes \"class_predictions\")");
        finish(c, c.value(*cls_e), box_of(c, cls_e), converter);
    }

private:
    /// The box encodings: custom_attributes "box_encodings", else the one outside tensor of rank 3
    /// with last dim 4 that the sub-graph reads (besides the class head).
    static output_ref box_of(transformations::replacement_context& c, const std::optional<transformations::edge>& cls) {
        if (c.spec().custom_attributes.contains("box_encodings")) return c.value(c.attr<std::string>("box_encodings", ""));
        const auto& g = c.graph();
        std::vector<output_ref> found;
        std::vector<std::string> names;
        for (const auto& e : c.match().inputs) {
            if (cls && e == *cls) continue;
            const std::string& op = g.nodes[e.node].op;
            if (op == "Const" || op.rfind("TensorList", 0) == 0 || op == "Exit" || op == "Merge" || op == "Switch" ||
                op == "Enter" || op == "NextIteration")
                continue;
            const output_ref r = c.value(e);
            const partial_shape& s = c.port(r).shape;
            if (!s.rank_dynamic && s.rank() == 3 && s.dims[2] == 4) {
                found.push_back(r);
                names.push_back(c.tensor_name(e));
            }
        }
        if (found.size() != 1) {
            std::string list;
            for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
            c.fail("cannot find the box encodings: " + std::to_string(found.size()) +
                   " tensors of shape [N, P, 4] enter the sub-graph" + (list.empty() ? "" : " (" + list + ")") +
                   "; name it with custom_attributes \"box_encodings\"");
        }
        return found[0];
    }

    /// The node of the match whose name ends with `suffix`, as a tensor name.
    static std::string tensor_ending(transformations::replacement_context& c, const std::string& suffix) {
        for (auto n : c.match().nodes) {
            const std::string& name = c.graph().nodes[n].name;
            if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                (name.size() == suffix.size() || name[name.size() - suffix.size() - 1] == '/'))
                return name;
        }
        c.fail("cannot find the anchors: no node of the sub-graph is named '.../" + suffix + "'");
    }

    /// A scalar f32 constant of the graph's NMS input `k` (iou 3, score 4) when it has one.
    static std::optional<double> nms_input(transformations::replacement_context& c, std::size_t k) {
        for (const char* op : {"NonMaxSuppressionV5", "NonMaxSuppressionV4", "NonMaxSuppressionV3"})
            for (auto n : c.match().of_op(c.graph(), op)) {
                const auto& node = c.graph().nodes[n];
                if (node.inputs.size() <= k || c.graph().nodes[node.inputs[k].node].op != "Const") continue;
                if (auto t = c.constant_value(c.value(node.inputs[k])); t && t->numel() == 1) return t->to_vector<double>()[0];
            }
        return std::nullopt;
    }

    static void finish(transformations::replacement_context& c, output_ref cls, output_ref box, const std::string& converter) {
        const std::string out_name = c.attr<std::string>("output_name", "detection_output");
        const std::string base = out_name + "/";
        const partial_shape& cs = c.port(cls).shape;
        const partial_shape& bs = c.port(box).shape;
        if (cs.rank_dynamic || cs.rank() != 3 || cs.dims[1] < 0 || cs.dims[2] < 0)
            c.fail("the class predictions must be [N, P, C] with P and C known, not " + cs.str());
        if (bs.rank_dynamic || bs.rank() != 3 || bs.dims[1] != cs.dims[1])
            c.fail("the box encodings " + bs.str() + " do not match the class predictions " + cs.str());
        const std::int64_t p = cs.dims[1], classes = cs.dims[2];

        // scores
        output_ref scores = cls;
        if (converter == "SIGMOID") scores = c.add<ops::sigmoid>({}, {cls}, base + "scores");
        else if (converter == "SOFTMAX") scores = c.add<ops::softmax>({2}, {cls}, base + "scores");
        else if (converter != "IDENTITY") c.fail("score_converter '" + converter + "': use SIGMOID, SOFTMAX or IDENTITY");
        const output_ref conf = c.add<ops::reshape>({}, {scores, c.constant_i64({-1, p * classes}, base + "conf/shape")}, base + "conf");
        // boxes: (ty, tx, th, tw) -> (tx, ty, tw, th)
        const output_ref order = c.constant_i64({1, 0, 3, 2}, base + "loc/order");
        const output_ref axis = c.constant(tensor::scalar(std::int64_t{2}), base + "loc/axis");
        const output_ref swapped = c.add<ops::gather>({}, {box, order, axis}, base + "loc/swap");
        const output_ref loc = c.add<ops::reshape>({}, {swapped, c.constant_i64({-1, p * 4}, base + "loc/shape")}, base + "loc");

        // priors: corners of the anchors, then the variances
        const std::string scope = c.attr<std::string>("anchors_scope", "Decode/get_center_coordinates_and_sizes/");
        const output_ref yc = c.value(tensor_ending(c, scope + "add"));
        const output_ref xc = c.value(tensor_ending(c, scope + "add_1"));
        const output_ref h = c.value(tensor_ending(c, scope + "sub_1"));
        const output_ref w = c.value(tensor_ending(c, scope + "sub"));
        for (output_ref r : {yc, xc, h, w}) {
            const partial_shape& s = c.port(r).shape;
            if (s.rank_dynamic || s.rank() != 1 || s.dims[0] != p)
                c.fail("the anchors' center/size tensors must be [" + std::to_string(p) + "], one is " + s.str());
        }
        const output_ref half = c.constant(tensor::scalar(0.5f), base + "priors/half");
        const output_ref hh = c.add<ops::multiply>({}, {h, half}, base + "priors/half_h");
        const output_ref hw = c.add<ops::multiply>({}, {w, half}, base + "priors/half_w");
        const output_ref col = c.constant_i64({1}, base + "priors/col");
        const auto corner = [&](output_ref center, output_ref d, bool minus, const char* name) {
            const output_ref v = minus ? c.add<ops::subtract>({}, {center, d}, base + "priors/" + name)
                                       : c.add<ops::add>({}, {center, d}, base + "priors/" + name);
            return c.add<ops::unsqueeze>({}, {v, col}, base + "priors/" + name + "/col");
        };
        const output_ref corners = c.add<ops::concat>(
            {1}, {corner(xc, hw, true, "xmin"), corner(yc, hh, true, "ymin"), corner(xc, hw, false, "xmax"), corner(yc, hh, false, "ymax")},
            base + "priors/corners");
        const output_ref row = c.add<ops::reshape>({}, {corners, c.constant_i64({1, 1, p * 4}, base + "priors/row/shape")}, base + "priors/row");
        const auto sf = c.attr<std::vector<double>>("scale_factors", {10.0, 10.0, 5.0, 5.0});
        if (sf.size() != 4 || sf[0] <= 0 || sf[1] <= 0 || sf[2] <= 0 || sf[3] <= 0)
            c.fail("custom_attributes 'scale_factors' must be 4 positive numbers (y, x, h, w)");
        std::vector<float> var(static_cast<std::size_t>(p * 4));
        for (std::size_t i = 0; i < var.size(); i += 4) {
            var[i] = static_cast<float>(1.0 / sf[1]);
            var[i + 1] = static_cast<float>(1.0 / sf[0]);
            var[i + 2] = static_cast<float>(1.0 / sf[3]);
            var[i + 3] = static_cast<float>(1.0 / sf[2]);
        }
        const output_ref variances = c.constant(tensor::from_vector(var, {1, 1, p * 4}), base + "priors/variances");
        const output_ref priors = c.add<ops::concat>({1}, {row, variances}, base + "priors");

        ops::detection_output::attrs a;
        a.num_classes = classes;
        a.background_label_id = c.attr<std::int64_t>("background_label_id", 0);
        a.top_k = c.attr<std::int64_t>("top_k", -1);
        a.keep_top_k = {c.attr<std::int64_t>("max_total_detections", 100)};
        a.code_type = "caffe.PriorBoxParameter.CENTER_SIZE";
        a.share_location = true;
        a.variance_encoded_in_target = false;
        a.nms_threshold = static_cast<float>(c.attr<double>("iou_threshold", nms_input(c, 3).value_or(0.6)));
        a.confidence_threshold = static_cast<float>(c.attr<double>("score_threshold", nms_input(c, 4).value_or(1e-8)));
        a.clip_before_nms = c.attr<bool>("clip_before_nms", false);  // the OD API's NMS sees unclipped boxes
        a.clip_after_nms = c.attr<bool>("clip_after_nms", true);    // and its outputs are clipped
        a.normalized = true;
        c.add_output(out_name, c.add<ops::detection_output>(a, {loc, conf, priors}, out_name));
    }
};

}  // namespace moir::tensorflow::replacements

#endif  // MOIR_FRONTENDS_TENSORFLOW_REPLACEMENTS_SSD_POSTPROCESSOR_HPP
