// Custom layers without editing moir (docs/custom-layers.md, examples/custom_layers): MediaPipe's
// TFLite custom op Convolution2DTransposeBias (the real selfie segmentation model of
// @mediapipe/selfie_segmentation) and Caffe's Log layer (on the emotion backbone written by
// tools/caffe/make_models.py --model custom_log), as user ops with their own opsets ("mediapipe",
// "my_ops"), registered two ways:
//   - at compile time, in this program: my_ops::register_custom_layers(moir::extensions());
//   - at run time, in the moir tool: --extensions build/libmoir_custom_layers.so.
// The TFLite interpreter (tools/tflite_run.js) lacks the custom op, so the selfie model is checked
// against moir's own mapping of it (ConvolutionBackpropData + Add: another kernel, another layout),
// and the op's kernel against the gather form of a transposed convolution computed here. The Caffe
// layer is checked against its formula applied here to the values that feed it.

#include <support/env.hpp>

#include "../../../examples/custom_layers/custom_layers.hpp"

#include <moir/frontends/caffe/caffe.hpp>
#include <moir/frontends/tflite/tflite.hpp>
#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cctype>   // isalnum
#include <cmath>    // log, log2
#include <fstream>  // ifstream
#include <iterator> // istreambuf_iterator
#include <optional> // optional
#include <random>   // mt19937, uniform_real_distribution
#include <string>   // string
#include <vector>   // vector

namespace {

using namespace moir::test;

std::string read_text(const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string selfie() { return npm_dir() + "/@mediapipe/selfie_segmentation/selfie_segmentation.tflite"; }
std::string library() { return binary_dir() + "/libmoir_custom_layers.so"; }

moir::tensor random_tensor(const moir::shape& dims, float lo, float hi, unsigned seed) {
    moir::tensor t(moir::element_type::f32, dims);
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> u(lo, hi);
    for (std::size_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = u(gen);
    return t;
}

template <class Op>
std::size_t count(const moir::model& m) {
    std::size_t n = 0;
    for (const auto& nd : m.nodes) n += nd.is<Op>() ? 1 : 0;
    return n;
}

void check_close(const moir::tensor& out, const moir::tensor& ref, double tol, const char* what) {
    const difference d = compare(out, ref);
    MESSAGE(std::string(what) << ": max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
    CHECK(d.same_shape);
    CHECK(d.max_abs_ref > 0);
    CHECK(d.within(tol));
}

/// The transposed convolution in gather form: y[n, oh, ow, o] = b[o] + sum over (kh, kw, i) of
/// x[n, (oh + pad - kh) / s, ...] * w[o, kh, kw, i] where the division is exact and in range.
moir::tensor transposed_conv_gather(const moir::tensor& x, const moir::tensor& w, const moir::tensor& b, std::int64_t s,
                                    bool same) {
    const auto &xd = x.dims(), &wd = w.dims();
    const std::int64_t n = xd[0], ih = xd[1], iw = xd[2], ci = xd[3], co = wd[0], kh = wd[1], kw = wd[2];
    const std::int64_t oh = same ? ih * s : (ih - 1) * s + kh, ow = same ? iw * s : (iw - 1) * s + kw;
    const std::int64_t pt = ((ih - 1) * s + kh - oh) / 2, pl = ((iw - 1) * s + kw - ow) / 2;
    moir::tensor y(moir::element_type::f32, {n, oh, ow, co});
    for (std::int64_t bn = 0; bn < n; ++bn)
        for (std::int64_t r = 0; r < oh; ++r)
            for (std::int64_t c = 0; c < ow; ++c)
                for (std::int64_t o = 0; o < co; ++o) {
                    double acc = b.data<float>()[o];
                    for (std::int64_t u = 0; u < kh; ++u)
                        for (std::int64_t v = 0; v < kw; ++v) {
                            const std::int64_t tr = r + pt - u, tc = c + pl - v;
                            if (tr < 0 || tc < 0 || tr % s || tc % s || tr / s >= ih || tc / s >= iw) continue;
                            for (std::int64_t i = 0; i < ci; ++i)
                                acc += static_cast<double>(x.data<float>()[((bn * ih + tr / s) * iw + tc / s) * ci + i]) *
                                       w.data<float>()[((o * kh + u) * kw + v) * ci + i];
                        }
                    y.data<float>()[((bn * oh + r) * ow + c) * co + o] = static_cast<float>(acc);
                }
    return y;
}

/// The value of the port named `tensor` (a framework tensor name) when m runs on x.
moir::tensor value_of(const moir::model& m, const std::string& tensor, const moir::tensor& x) {
    std::optional<moir::output_ref> at;
    for (moir::node_id i = 0; i < m.nodes.size(); ++i)
        for (std::size_t p = 0; p < m.nodes[i].outputs.size(); ++p)
            for (const auto& n : m.nodes[i].outputs[p].names)
                if (n == tensor) at = moir::output_ref{i, p};
    REQUIRE_MESSAGE(at, "no tensor named " << tensor);
    moir::tensor v;
    moir::reference_executor<>(m).run({x}, [&](moir::node_id id, const std::vector<moir::tensor>& out) {
        if (id == at->node) v = out.at(at->port).clone();
    });
    return v;
}

/// moir's own mapping of the selfie model keeps the logits in NCHW (its NHWC "segment" Transpose,
/// which nothing reads, is removed): the input of the Sigmoid that makes the output, as NHWC (one
/// channel: the same order).
moir::tensor builtin_logits(const moir::model& m, const moir::tensor& x) {
    moir::output_ref at = m.nodes.at(m.results.at(0)).inputs.at(0);
    while (m.nodes[at.node].is<moir::ops::transpose>()) at = m.nodes[at.node].inputs.at(0);
    REQUIRE(m.nodes[at.node].is<moir::ops::sigmoid>());
    at = m.nodes[at.node].inputs.at(0);
    moir::tensor v;
    moir::reference_executor<>(m).run({x}, [&](moir::node_id id, const std::vector<moir::tensor>& out) {
        if (id == at.node) v = out.at(at.port).clone();
    });
    REQUIRE(v.dims().size() == 4);
    REQUIRE(v.dims()[1] == 1);
    return v.reshaped({v.dims()[0], v.dims()[2], v.dims()[3], 1});
}

/// The selfie model's input: a random image in [0, 1], saved for the tool.
moir::tensor selfie_input(const moir::model& m, const std::string& file) {
    const auto& p = m.port({m.parameters.at(0), 0});
    REQUIRE(p.shape.is_static());
    moir::tensor x = random_tensor(p.shape.dims, 0, 1, 11);
    moir::npy::save(file, x);
    return x;
}

}  // namespace

TEST_CASE("the extension op's kernel is a transposed convolution (gather form computed here)") {
    for (const bool same : {true, false}) {
        moir::model m;
        const moir::tensor x = random_tensor({1, 5, 4, 3}, -1, 1, 1), w = random_tensor({2, 3, 3, 3}, -1, 1, 2),
                           b = random_tensor({2}, -1, 1, 3);
        const auto p = m.add<moir::ops::parameter>({moir::element_type::f32, moir::partial_shape(x.dims())}, {}, "x");
        m.parameters.push_back(p);
        const auto cw = m.add<moir::ops::constant>({w}, {}, "w");
        const auto cb = m.add<moir::ops::constant>({b}, {}, "b");
        my_ops::conv2d_transpose_bias::attrs a;
        a.strides = {2, 2};
        a.padding = same ? "same" : "valid";
        const auto y = m.add<my_ops::conv2d_transpose_bias>(a, {{p, 0}, {cw, 0}, {cb, 0}}, "y");
        m.results.push_back(m.add<moir::ops::result>({}, {{y, 0}}, "out"));
        m.validate();
        // evaluated through the registry (the op is not in opsets::all)
        my_ops::register_custom_layers(moir::extensions());
        const auto out = moir::reference_executor<>(m).run({x});
        check_close(out.at(0), transposed_conv_gather(x, w, b, 2, same), 1e-5, same ? "SAME" : "VALID");
    }
}

TEST_CASE("compile-time registration: the user's TFLite mapping overrides moir's, the IR keeps its opset") {
    REQUIRE_MESSAGE(fs::exists(selfie()), "missing " << selfie() << ": run tools/setup.sh first");
    const std::string dir = scratch("extensions_selfie");
    // moir's own mapping first (a fresh registry: the process's may hold the example already)
    moir::extension_registry saved = moir::extensions();
    moir::extensions() = moir::extension_registry{};
    const moir::model builtin = moir::tflite::load(selfie());
    moir::extensions() = saved;
    CHECK(count<moir::ops::convolution_backprop_data>(builtin) > 0);
    CHECK(count<my_ops::conv2d_transpose_bias>(builtin) == 0);

    my_ops::register_custom_layers(moir::extensions());
    const moir::model m = moir::tflite::load(selfie());
    const std::size_t custom = count<my_ops::conv2d_transpose_bias>(m);
    MESSAGE("Convolution2DTransposeBias nodes: " << custom);
    CHECK(custom > 0);
    CHECK(count<moir::ops::convolution_backprop_data>(m) == 0);

    const moir::tensor x = selfie_input(m, dir + "/x.npy");
    const auto ref = moir::reference_executor<>(builtin).run({x});
    const auto out = moir::reference_executor<>(m).run({x});
    REQUIRE(out.size() == ref.size());
    for (std::size_t i = 0; i < out.size(); ++i) check_close(out[i], ref[i], 1e-4, "extension vs moir's mapping");
    // the op's own output: the mask's logits ("segment"; the sigmoid of the output saturates on a random image)
    check_close(value_of(m, "segment", x), builtin_logits(builtin, x), 1e-4, "'segment' (the op's output)");
    moir::runtime::plan p(m);
    const auto fast = p.run({x});
    for (std::size_t i = 0; i < out.size(); ++i) check_close(fast[i], ref[i], 1e-4, "compiled plan");

    const moir::ir::ir_text ir = moir::ir::serialize<>(m);
    CHECK(ir.xml.find("type=\"Convolution2DTransposeBias\" version=\"mediapipe\"") != std::string::npos);
    const moir::model back = moir::ir::deserialize<>(ir.xml, ir.bin);
    CHECK(count<my_ops::conv2d_transpose_bias>(back) == custom);
    const auto again = moir::reference_executor<>(back).run({x});
    for (std::size_t i = 0; i < out.size(); ++i) check_close(again[i], ref[i], 1e-4, "IR read back");

    // without the registry, the IR names the op, its opset and the flag
    moir::extensions() = moir::extension_registry{};
    std::string e;
    try {
        moir::ir::deserialize<>(ir.xml, ir.bin);
    } catch (const moir::unsupported_error& err) {
        e = err.what();
    }
    moir::extensions() = saved;
    my_ops::register_custom_layers(moir::extensions());
    MESSAGE(e);
    CHECK(e.find("Convolution2DTransposeBias of opset 'mediapipe'") != std::string::npos);
    CHECK(e.find("--extensions") != std::string::npos);
}

TEST_CASE("moir convert/run/bench --extensions: the selfie model as IR with a mediapipe-opset op") {
    REQUIRE_MESSAGE(fs::exists(selfie()), "missing " << selfie() << ": run tools/setup.sh first");
    REQUIRE_MESSAGE(fs::exists(library()), "missing " << library() << ": build the target moir_custom_layers");
    const std::string dir = scratch("extensions_cli");
    moir::extension_registry saved = moir::extensions();
    moir::extensions() = moir::extension_registry{};
    const moir::model builtin = moir::tflite::load(selfie());
    moir::extensions() = saved;
    const moir::tensor x = selfie_input(builtin, dir + "/x.npy");
    const auto ref = moir::reference_executor<>(builtin).run({x});

    auto r = run(q(moir_exe()) + " convert --input_model " + q(selfie()) + " --output_dir " + q(dir + "/ir") +
                 " --extensions " + q(library()));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string xml = read_text(dir + "/ir/selfie_segmentation.xml");
    CHECK(xml.find("type=\"Convolution2DTransposeBias\" version=\"mediapipe\"") != std::string::npos);
    CHECK(xml.find("ConvolutionBackpropData") == std::string::npos);

    for (const char* threads : {"", " --threads 2"}) {
        fs::remove_all(dir + "/out");
        r = run(q(moir_exe()) + " run --model " + q(dir + "/ir/selfie_segmentation.xml") + " --input " + q(dir + "/x.npy") +
                " --output_dir " + q(dir + "/out") + threads + " --extensions=" + q(library()));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        for (std::size_t i = 0; i < builtin.results.size(); ++i) {
            std::string name = builtin.output_name(i);
            for (auto& ch : name)
                if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-')) ch = '_';
            check_close(moir::npy::load(dir + "/out/" + name + ".npy"), ref[i], 1e-4, *threads ? "moir run --threads 2" : "moir run");
        }
    }
    // the op's output as the IR's output (--output segment: MO's cut), compared with moir's mapping
    r = run(q(moir_exe()) + " convert --input_model " + q(selfie()) + " --output segment --output_dir " + q(dir + "/cut") +
            " --extensions " + q(library()));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    r = run(q(moir_exe()) + " run --model " + q(dir + "/cut/selfie_segmentation.xml") + " --input " + q(dir + "/x.npy") +
            " --output_dir " + q(dir + "/out_cut") + " --extensions " + q(library()));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    check_close(moir::npy::load(dir + "/out_cut/segment.npy"), builtin_logits(builtin, x), 1e-4,
                "moir run --extensions, output 'segment'");
    r = run(q(moir_exe()) + " bench --model " + q(dir + "/ir/selfie_segmentation.xml") + " -n 1 --warmup 0 --extensions " +
            q(library()));
    CHECK_MESSAGE(r.status == 0, r.output);

    {  // without the extension: the op, its opset and the flag are named
        r = run(q(moir_exe()) + " run --model " + q(dir + "/ir/selfie_segmentation.xml") + " --input " + q(dir + "/x.npy") +
                " --output_dir " + q(dir + "/out2"));
        MESSAGE(r.output);
        CHECK(r.status == 1);
        CHECK(r.output.find("Convolution2DTransposeBias of opset 'mediapipe'") != std::string::npos);
        CHECK(r.output.find("--extensions") != std::string::npos);
        CHECK(!fs::exists(dir + "/out2"));
    }
    {  // a missing library, a library that is no extension, an extension of another build: exit 1
        r = run(q(moir_exe()) + " run --model " + q(dir + "/ir/selfie_segmentation.xml") + " --input " + q(dir + "/x.npy") +
                " --extensions " + q(library()) + "," + q(dir + "/nowhere/libmissing.so"));
        CHECK(r.status == 1);
        CHECK(r.output.find(dir + "/nowhere/libmissing.so: the extension library does not exist") != std::string::npos);
        r = run(q(moir_exe()) + " convert --input_model " + q(selfie()) + " --output_dir " + q(dir + "/ir3") +
                " --extensions " + q(binary_dir() + "/libtest_not_an_extension.so"));
        MESSAGE(r.output);
        CHECK(r.status == 1);
        CHECK(r.output.find("not a moir extension: it does not export moir_extension_abi") != std::string::npos);
        r = run(q(moir_exe()) + " convert --input_model " + q(selfie()) + " --output_dir " + q(dir + "/ir3") +
                " --extensions " + q(binary_dir() + "/libtest_other_abi_extension.so"));
        MESSAGE(r.output);
        CHECK(r.status == 1);
        CHECK(r.output.find("the extension was built for 'moir 0.0.1; gcc 4.8.5") != std::string::npos);
        CHECK(r.output.find("rebuild the extension") != std::string::npos);
        CHECK(!fs::exists(dir + "/ir3"));
    }
}

TEST_CASE("a Caffe layer moir does not convert (Log), registered one-to-one: IR, run, formula") {
    const std::string dir = scratch("extensions_caffe");
    auto r = run(python() + " " + q(source_dir() + "/tools/caffe/make_models.py") + " --model custom_log --output_dir " + q(dir));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string model = dir + "/custom_log.caffemodel";

    // the tool without the extension: moir lists the layer as unsupported
    r = run(q(moir_exe()) + " convert --input_model " + q(model) + " --output_dir " + q(dir + "/ir0"));
    CHECK(r.status == 1);
    CHECK(r.output.find("unsupported Caffe ops: Log (1 node)") != std::string::npos);

    // in this program (registered at compile time): the values feeding the layer, and the formula
    my_ops::register_custom_layers(moir::extensions());
    const moir::model m = moir::caffe::load(model);
    REQUIRE(count<my_ops::log_affine>(m) == 1);
    moir::node_id log_id = 0;
    for (moir::node_id i = 0; i < m.nodes.size(); ++i)
        if (m.nodes[i].is<my_ops::log_affine>()) log_id = i;
    const auto& la = m.nodes[log_id].attrs_as<my_ops::log_affine>();
    CHECK(la.base == 2.0f);
    CHECK(la.scale == 0.5f);
    CHECK(la.shift == 1.0f);
    const moir::output_ref feed = m.nodes[log_id].inputs.at(0);
    const moir::tensor x = random_tensor({1, 1, 64, 64}, 0, 1, 5);
    moir::npy::save(dir + "/x.npy", x);
    moir::tensor fed;
    const auto out = moir::reference_executor<>(m).run({x}, [&](moir::node_id id, const std::vector<moir::tensor>& v) {
        if (id == feed.node) fed = v.at(feed.port).clone();
    });
    REQUIRE(!fed.empty());
    moir::tensor expected(moir::element_type::f32, fed.dims());
    for (std::size_t i = 0; i < fed.numel(); ++i)
        expected.data<float>()[i] = static_cast<float>(std::log2(1.0 + 0.5 * static_cast<double>(fed.data<float>()[i])));
    check_close(out.at(0), expected, 1e-5, "reference kernel vs log2(1 + x / 2)");
    moir::runtime::plan p(m);
    check_close(p.run({x}).at(0), expected, 1e-5, "fast kernel (compiled plan) vs log2(1 + x / 2)");

    // the tool with the extension library: IR with the my_ops op, run, same values
    r = run(q(moir_exe()) + " convert --input_model " + q(model) + " --output_dir " + q(dir + "/ir") + " --extensions " +
            q(library()));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string xml = read_text(dir + "/ir/custom_log.xml");
    CHECK(xml.find("type=\"LogAffine\" version=\"my_ops\"") != std::string::npos);
    CHECK(xml.find("base=\"2\"") != std::string::npos);
    r = run(q(moir_exe()) + " run --model " + q(dir + "/ir/custom_log.xml") + " --input " + q(dir + "/x.npy") +
            " --output_dir " + q(dir + "/out") + " --extensions " + q(library()));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    check_close(moir::npy::load(dir + "/out/log.npy"), expected, 1e-5, "moir run --extensions vs log2(1 + x / 2)");
    r = run(q(moir_exe()) + " run --model " + q(dir + "/ir/custom_log.xml") + " --input " + q(dir + "/x.npy") +
            " --output_dir " + q(dir + "/out2"));
    CHECK(r.status == 1);
    CHECK(r.output.find("LogAffine of opset 'my_ops'") != std::string::npos);
}
