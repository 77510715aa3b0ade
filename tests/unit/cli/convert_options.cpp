// moir convert's optimizer options, run as a user runs them: --compress_to_fp16, --check N,
// --static_shape, and what --report prints (op counts, parameters, IR size, passes).

#include <support/env.hpp>
#include <support/protobuf_writer.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>

namespace {

using namespace moir::test;

/// x [N,3,8,8] -> Conv(8 out, 3x3, pad 1) -> Shape-driven Reshape to [N, -1] -> Relu.
/// With static_batch the file itself gives x the static shape [1,3,8,8].
std::string conv_model(const std::string& dir, bool static_batch = false) {
    onnx_builder b;
    b.opset(13);
    if (static_batch) b.add_input("x", 1, {1, 3, 8, 8});
    else b.add_input("x", 1, {"N", 3, 8, 8});
    std::vector<float> w(8 * 3 * 3 * 3);
    for (std::size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>((i * 37) % 19) / 19.0f - 0.5f;
    b.add_initializer<float>("w", w, {8, 3, 3, 3});
    b.add_initializer<float>("b", {0.1f, -0.2f, 0.3f, -0.4f, 0.5f, -0.6f, 0.7f, -0.8f}, {8});
    b.add_initializer<std::int64_t>("zero", {0}, {1});
    b.add_initializer<std::int64_t>("minus_one", {-1}, {1});
    b.add_node("Conv", {"x", "w", "b"}, {"c"}, {attr::ints("pads", {1, 1, 1, 1})}, "conv");
    b.add_node("Shape", {"c"}, {"s"}, {}, "shape");
    b.add_node("Gather", {"s", "zero"}, {"n"}, {attr::i("axis", 0)}, "batch");
    b.add_node("Concat", {"n", "minus_one"}, {"target"}, {attr::i("axis", 0)}, "target");
    b.add_node("Reshape", {"c", "target"}, {"flat"}, {}, "flatten");
    b.add_node("Relu", {"flat"}, {"y"}, {}, "relu");
    b.add_output("y", 1, {"N", 512});
    const std::string path = dir + (static_batch ? "/conv1.onnx" : "/conv.onnx");
    b.save(path);
    return path;
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
}

}  // namespace

TEST_CASE("moir convert --compress_to_fp16 halves the weights and --check bounds the difference") {
    const std::string dir = scratch("cli_fp16");
    const std::string onnx = conv_model(dir);
    auto r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
                 " --model_name f32 --input_shape [1,3,8,8] --check 3");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("check: 3 random inputs, largest difference") != std::string::npos);
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name f16 --input_shape [1,3,8,8] --compress_to_fp16 --check 2");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string xml = slurp(dir + "/f16.xml");
    CHECK(count(xml, "<attribute name=\"decompression\" version=\"0\"/>") == 2);
    CHECK(xml.find("element_type=\"f16\"") != std::string::npos);
    CHECK(xml.find("<compress_to_fp16 value=\"True\"/>") != std::string::npos);
    const auto f32_bin = fs::file_size(dir + "/f32.bin"), f16_bin = fs::file_size(dir + "/f16.bin");
    CHECK(f16_bin * 100 <= f32_bin * 52);
    // the compressed IR runs
    r = run(q(moir_exe()) + " info " + q(dir + "/f16.xml"));
    CHECK_MESSAGE(r.status == 0, r.output);

    // --compress_to_fp16=False is the default's spelling, as in OpenVINO
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name off --input_shape [1,3,8,8] --compress_to_fp16=False");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(slurp(dir + "/off.xml").find("decompression") == std::string::npos);

    // a tolerance the FP16 model cannot meet fails the conversion and writes nothing
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name tight --input_shape [1,3,8,8] --compress_to_fp16 --check 1 --check_tolerance 1e-9");
    CHECK(r.status == 1);
    CHECK(r.output.find("above the tolerance") != std::string::npos);
    CHECK(!fs::exists(dir + "/tight.xml"));
    CHECK(!fs::exists(dir + "/tight.bin"));

    // --check needs static shapes
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name dyn --check 1");
    CHECK(r.status == 1);
    CHECK(r.output.find("dynamic shape") != std::string::npos);
    CHECK(!fs::exists(dir + "/dyn.xml"));
}

TEST_CASE("moir convert keeps shape sub-graphs unless shapes are fixed (--input_shape or --static_shape)") {
    const std::string dir = scratch("cli_static_shape");
    const std::string onnx = conv_model(dir);
    auto r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) + " --model_name dyn");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(slurp(dir + "/dyn.xml").find("type=\"ShapeOf\"") != std::string::npos);

    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name fixed --input_shape [2,3,8,8]");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string fixed = slurp(dir + "/fixed.xml");
    CHECK(fixed.find("type=\"ShapeOf\"") == std::string::npos);
    CHECK(fixed.find("type=\"Gather\"") == std::string::npos);

    // static shapes in the file alone keep the shape sub-graph (the IR stays reshape-able) ...
    const std::string onnx1 = conv_model(dir, true);
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx1) + " --output_dir " + q(dir) + " --model_name one");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(slurp(dir + "/one.xml").find("type=\"ShapeOf\"") != std::string::npos);
    // ... and that IR, re-converted with --static_shape, loses it
    r = run(q(moir_exe()) + " convert --input_model " + q(dir + "/one.xml") + " --output_dir " + q(dir) +
            " --model_name static --static_shape --report");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(slurp(dir + "/static.xml").find("type=\"ShapeOf\"") == std::string::npos);
    CHECK(r.output.find("ShapeOf: 1 -> 0") != std::string::npos);
    CHECK(r.output.find("report: IR size") != std::string::npos);
    CHECK(r.output.find("report: parameters") != std::string::npos);
    CHECK(r.output.find("fold_constants (round 1)") != std::string::npos);

    // --input_shape also reshapes an IR input
    r = run(q(moir_exe()) + " convert --input_model " + q(dir + "/dyn.xml") + " --output_dir " + q(dir) +
            " --model_name reshaped --input_shape [4,3,8,8]");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string reshaped = slurp(dir + "/reshaped.xml");
    CHECK(reshaped.find("type=\"ShapeOf\"") == std::string::npos);
    CHECK(reshaped.find("shape=\"4,3,8,8\"") != std::string::npos);
}
