// The frontend interface through the CLI: a frontend defined only in the tests (tests/toy_frontend/)
// converts through moir's own subcommands; formats are picked by --framework, by content, then by
// extension; flags take hyphens; --output_dir is created; usage errors exit 2 with a suggestion.

#include <support/env.hpp>
#include <support/protobuf_writer.hpp>

#include <moir/io/npy.hpp>

#include <doctest/doctest.h>

#include <fstream>  // ofstream
#include <string>   // string

namespace {

using namespace moir::test;

std::string toy_exe() { return tool_dir() + "/toy_moir"; }

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

const char* toy_model =
    "# toy model\n"
    "input x 1 5\n"
    "relu r x\n"
    "scale s r 2.5   # s = relu(x) * 2.5\n"
    "add y s x\n"
    "output y\n";

}  // namespace

TEST_CASE("a frontend added by files only converts through the CLI, and its IR runs in moir") {
    const std::string dir = scratch("cli_toy");
    write(dir + "/net.toy", toy_model);
    // --output_dir is created when missing (as the Model Optimizer does), hyphenated flags work
    auto r = run(q(toy_exe()) + " convert --input-model " + q(dir + "/net.toy") + " --output-dir " +
                 q(dir + "/new/ir") + " --model-name net");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("output y: f32[1,5]") != std::string::npos);
    const std::vector<float> x{-2.0f, -0.5f, 0.0f, 1.0f, 3.0f};
    moir::npy::save(dir + "/x.npy", moir::tensor::from_vector(x, {1, 5}));
    r = run(q(moir_exe()) + " run --model " + q(dir + "/new/ir/net.xml") + " --input x=" + q(dir + "/x.npy") +
            " --output_dir " + q(dir + "/out"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const moir::tensor y = moir::npy::load(dir + "/out/y.npy");
    REQUIRE(y.numel() == x.size());
    for (std::size_t i = 0; i < x.size(); ++i) CHECK(y.data<float>()[i] == doctest::Approx((x[i] > 0 ? x[i] : 0) * 2.5f + x[i]));

    // by content: the same text under another extension; by --framework
    write(dir + "/net.txt", toy_model);
    r = run(q(toy_exe()) + " info " + q(dir + "/net.txt"));
    CHECK_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("Multiply: 1") != std::string::npos);
    write(dir + "/bare.model", std::string(toy_model).substr(12));  // no "# toy" line: not recognised
    r = run(q(toy_exe()) + " convert -m " + q(dir + "/bare.model") + " -o " + q(dir));
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.output.find("unknown model format '.model' (moir reads: ir, onnx, ") != std::string::npos, r.output);
    CHECK(r.output.find(", toy); name it with --framework") != std::string::npos);
    r = run(q(toy_exe()) + " convert --framework toy -m " + q(dir + "/bare.model") + " -o " + q(dir));
    CHECK_MESSAGE(r.status == 0, r.output);

    // the shared machinery: every unsupported op at once, with counts; --input_shape overrides
    write(dir + "/bad.toy", "# toy\ninput x 1 5\nfrob a x\nfrob b a\nwarp c b\noutput c\n");
    r = run(q(toy_exe()) + " convert -m " + q(dir + "/bad.toy") + " -o " + q(dir));
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.output.find("bad.toy: unsupported toy ops: frob (2 nodes), warp (1 node)") != std::string::npos,
                  r.output);
    r = run(q(toy_exe()) + " convert -m " + q(dir + "/net.toy") + " -o " + q(dir) + " --input_shape [1,6]");
    CHECK(r.status == 1);
    CHECK(r.output.find("input 'x': --input_shape [1,6] conflicts with dim 1 = 5") != std::string::npos);
}

TEST_CASE("the CLI's usage errors exit 2 and suggest the closest flag") {
    auto r = run(q(moir_exe()) + " convert --input_modle m.onnx");
    CHECK(r.status == 2);
    CHECK_MESSAGE(r.output.find("unknown flag --input_modle; did you mean --input_model?") != std::string::npos, r.output);
    r = run(q(moir_exe()) + " convert --data-typ FP16 -m m.onnx");
    CHECK(r.status == 2);
    CHECK(r.output.find("unknown flag --data-typ; did you mean --data_type?") != std::string::npos);
    r = run(q(moir_exe()) + " frobnicate");
    CHECK(r.status == 2);
    r = run(q(moir_exe()) + " convert --help");
    CHECK(r.status == 0);
    CHECK(r.output.find("--input_model") != std::string::npos);
    r = run(q(moir_exe()) + " convert -m " + q(binary_dir() + "/no_such.onnx"));
    CHECK(r.status == 1);
    CHECK(r.output.find("no_such.onnx: no such file") != std::string::npos);
}
