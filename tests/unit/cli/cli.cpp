// The moir command-line tool, run as a user runs it: convert, run, info, --help, and its errors
// (clear message naming the file/node, non-zero exit, no partial output files).

#include <support/env.hpp>
#include <support/protobuf_writer.hpp>

#include <moir/io/npy.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

using namespace moir::test;

/// y = Relu(x * w + b) with x [?,3] (dynamic batch) and a second output "out/sum:0" = x + x.
std::string tiny_model(const std::string& dir) {
    onnx_builder b;
    b.opset(13);
    b.add_input("x", 1, {"batch", 3});
    b.add_initializer<float>("w", {1.0f, -2.0f, 0.5f}, {3});
    b.add_initializer<float>("b", {0.5f, 0.5f, -1.0f}, {3});
    b.add_node("Mul", {"x", "w"}, {"xw"}, {}, "mul");
    b.add_node("Add", {"xw", "b"}, {"xwb"}, {}, "add");
    b.add_node("Relu", {"xwb"}, {"y"}, {}, "relu");
    b.add_node("Add", {"x", "x"}, {"out/sum:0"}, {}, "twice");
    b.add_output("y", 1, {"batch", 3});
    b.add_output("out/sum:0", 1, {"batch", 3});
    const std::string path = dir + "/tiny.onnx";
    b.save(path);
    return path;
}

std::size_t count_files(const std::string& dir) {
    std::size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file() ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("moir --help and every command's --help") {
    auto r = run(q(moir_exe()) + " --help");
    CHECK(r.status == 0);
    CHECK(r.output.find("convert") != std::string::npos);
    for (const char* cmd : {"convert", "run", "info"}) {
        r = run(q(moir_exe()) + " " + cmd + " --help");
        CHECK_MESSAGE(r.status == 0, cmd);
        CHECK(r.output.find("--") != std::string::npos);
    }
    r = run(q(moir_exe()) + " frobnicate");
    CHECK(r.status != 0);
}

TEST_CASE("moir convert writes N.xml and N.bin; run executes them; info describes them") {
    const std::string dir = scratch("cli_convert");
    const std::string onnx = tiny_model(dir);
    fs::create_directories(dir + "/ir");
    auto r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir + "/ir"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(fs::exists(dir + "/ir/tiny.xml"));
    CHECK(fs::exists(dir + "/ir/tiny.bin"));
    CHECK(fs::file_size(dir + "/ir/tiny.bin") == 24);  // two [3] float constants
    CHECK(r.output.find("tiny.xml") != std::string::npos);

    r = run(q(moir_exe()) + " convert -m " + q(onnx) + " -o " + q(dir + "/ir") + " --model_name fixed --input_shape [2,3]");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(fs::exists(dir + "/ir/fixed.xml"));

    moir::npy::save(dir + "/x.npy", moir::tensor::from_vector<float>({1, 2, 3, -4, 5, 6}, {2, 3}));
    for (const std::string& model : std::vector<std::string>{dir + "/ir/tiny.xml", onnx}) {
        const std::string out = dir + "/out_" + fs::path(model).extension().string().substr(1);
        fs::create_directories(out);
        r = run(q(moir_exe()) + " run --model " + q(model) + " --input x=" + q(dir + "/x.npy") + " --output_dir " + q(out));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        const auto y = moir::npy::load(out + "/y.npy");
        const std::vector<float> expect{1.5f, 0.0f, 0.5f, 0.0f, 0.0f, 2.0f};
        REQUIRE(y.dims() == moir::shape{2, 3});
        for (std::size_t i = 0; i < 6; ++i) CHECK(y.data<float>()[i] == doctest::Approx(expect[i]));
        CHECK(fs::exists(out + "/out_sum_0.npy"));  // '/' and ':' replaced by '_'
    }

    // a single-input model takes a bare file, and float64 .npy is converted to the model's f32
    moir::npy::save(dir + "/x64.npy", moir::tensor::from_vector<double>({1, 1, 1}, {1, 3}));
    r = run(q(moir_exe()) + " run -m " + q(dir + "/ir/tiny.xml") + " --input " + q(dir + "/x64.npy") + " -o " + q(dir));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(moir::npy::load(dir + "/y.npy").dims() == moir::shape{1, 3});
    CHECK_MESSAGE(r.output.find("f64 values converted to f32") != std::string::npos, r.output);  // said, not silent

    r = run(q(moir_exe()) + " info " + q(dir + "/ir/tiny.xml"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("x: f32 [?,3]") != std::string::npos);
    CHECK(r.output.find("Multiply: 1") != std::string::npos);
    CHECK(r.output.find("parameters: 6") != std::string::npos);
}

TEST_CASE("moir run --input NAME=DIR runs once per .npy file") {
    const std::string dir = scratch("cli_dir");
    const std::string onnx = tiny_model(dir);
    fs::create_directories(dir + "/in");
    moir::npy::save(dir + "/in/b.npy", moir::tensor::from_vector<float>({1, 1, 1}, {1, 3}));
    moir::npy::save(dir + "/in/a.npy", moir::tensor::from_vector<float>({2, 2, 2, 3, 3, 3}, {2, 3}));
    fs::create_directories(dir + "/out");
    const auto r = run(q(moir_exe()) + " run -m " + q(onnx) + " --input x=" + q(dir + "/in") + " -o " + q(dir + "/out"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(moir::npy::load(dir + "/out/a/y.npy").dims() == moir::shape{2, 3});
    CHECK(moir::npy::load(dir + "/out/b/y.npy").dims() == moir::shape{1, 3});
    CHECK(fs::exists(dir + "/out/a/out_sum_0.npy"));
}

TEST_CASE("moir convert lists every unsupported op at once and writes nothing") {
    const std::string dir = scratch("cli_unsupported");
    onnx_builder b;
    b.opset(13);
    b.add_input("x", 1, {1, 4});
    b.add_node("Frobnicate", {"x"}, {"a"});
    b.add_node("Relu", {"a"}, {"b"});
    b.add_node("Frobnicate", {"b"}, {"c"});
    b.add_node("Mystery", {"c"}, {"y"});
    b.add_output("y", 1, {1, 4});
    b.save(dir + "/bad.onnx");
    fs::create_directories(dir + "/out");
    const auto r = run(q(moir_exe()) + " convert --input_model " + q(dir + "/bad.onnx") + " --output_dir " + q(dir + "/out"));
    CHECK(r.status != 0);
    CHECK(r.output.find("bad.onnx") != std::string::npos);
    CHECK(r.output.find("Frobnicate (2 nodes)") != std::string::npos);
    CHECK(r.output.find("Mystery (1 node)") != std::string::npos);
    CHECK(count_files(dir + "/out") == 0);
}

TEST_CASE("moir reports bad input clearly, exits non-zero and leaves no partial output") {
    const std::string dir = scratch("cli_errors");
    const std::string onnx = tiny_model(dir);
    fs::create_directories(dir + "/out");

    SUBCASE("missing model file") {
        const auto r = run(q(moir_exe()) + " convert --input_model " + q(dir + "/nope.onnx") + " -o " + q(dir + "/out"));
        CHECK(r.status != 0);
        CHECK(r.output.find("nope.onnx") != std::string::npos);
    }
    SUBCASE("truncated model file") {
        std::string bytes;
        {
            std::ifstream f(onnx, std::ios::binary);
            bytes.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        }
        std::ofstream(dir + "/cut.onnx", std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
        const auto r = run(q(moir_exe()) + " convert --input_model " + q(dir + "/cut.onnx") + " -o " + q(dir + "/out"));
        CHECK(r.status != 0);
        CHECK(r.output.find("cut.onnx") != std::string::npos);
    }
    SUBCASE("an --input_shape that contradicts the model") {
        const auto r = run(q(moir_exe()) + " convert -m " + q(onnx) + " -o " + q(dir + "/out") + " --input_shape [2,4]");
        CHECK(r.status != 0);
        CHECK(r.output.find("input_shape") != std::string::npos);
    }
    SUBCASE("a malformed --input_shape") {
        const auto r = run(q(moir_exe()) + " convert -m " + q(onnx) + " -o " + q(dir + "/out") + " --input_shape [2,x]");
        CHECK(r.status != 0);
        CHECK(r.output.find("[2,x]") != std::string::npos);
    }
    SUBCASE("an input of the wrong shape") {
        moir::npy::save(dir + "/bad.npy", moir::tensor::from_vector<float>({1, 2}, {1, 2}));
        const auto r = run(q(moir_exe()) + " run -m " + q(onnx) + " --input x=" + q(dir + "/bad.npy") + " -o " + q(dir + "/out"));
        CHECK(r.status != 0);
        CHECK(r.output.find("input 'x'") != std::string::npos);
    }
    SUBCASE("an input name the model does not have") {
        moir::npy::save(dir + "/x.npy", moir::tensor::from_vector<float>({1, 2, 3}, {1, 3}));
        const auto r = run(q(moir_exe()) + " run -m " + q(onnx) + " --input nope=" + q(dir + "/x.npy") + " -o " + q(dir + "/out"));
        CHECK(r.status != 0);
        CHECK(r.output.find("no input 'nope'") != std::string::npos);
    }
    SUBCASE("a corrupt .npy") {
        std::ofstream(dir + "/junk.npy") << "not numpy";
        const auto r = run(q(moir_exe()) + " run -m " + q(onnx) + " --input x=" + q(dir + "/junk.npy") + " -o " + q(dir + "/out"));
        CHECK(r.status != 0);
        CHECK(r.output.find("junk.npy") != std::string::npos);
    }
    SUBCASE("an IR whose .bin is too short") {
        fs::create_directories(dir + "/ir");
        REQUIRE(run(q(moir_exe()) + " convert -m " + q(onnx) + " -o " + q(dir + "/ir")).status == 0);
        fs::resize_file(dir + "/ir/tiny.bin", 10);
        const auto r = run(q(moir_exe()) + " info " + q(dir + "/ir/tiny.xml"));
        CHECK(r.status != 0);
        CHECK(r.output.find("tiny") != std::string::npos);
    }
    CHECK(count_files(dir + "/out") == 0);
}

TEST_CASE("moir convert rejects bad --input/--output/preprocessing specs: exit 1, a clear message, no files") {
    const std::string dir = scratch("cli_cut_errors");
    const std::string onnx = tiny_model(dir);
    fs::create_directories(dir + "/out");
    const std::string base = q(moir_exe()) + " convert -m " + q(onnx) + " -o " + q(dir + "/out") + " ";
    const std::vector<std::pair<std::string, std::string>> cases{
        {"--input nope", "--input 'nope': the model has no node or tensor named 'nope'"},
        {"--input relux", "did you mean 'relu'"},
        {"--input 'x{f99}'", "unknown type {f99}"},
        {"--input 'x[1,3'", "unclosed '['"},
        {"--input 'x[1,3],,y'", "empty entry"},
        {"--input 7:add", "input port 7 is out of range: node 'add' (Add) has 2 input(s)"},
        {"--input 'twice[1,3]'", "has more than 1 input"},
        {"--input mul:4", "output port 4 is out of range"},
        {"--output nope", "--output 'nope': the model has no node or tensor named 'nope'"},
        {"--input_shape [1,3] --mean_values [1,2]", "input 'x': 2 mean values for 3 channels"},
        {"--mean_values 'img[1,2,3]'", "'img', which is not an input of the model (inputs: x)"},
        {"--scale 2 --scale_values [1,1,1]", "--scale and --scale_values"},
        {"--scale abc", "--scale 'abc' is not a number"},
        {"--layout nhw", "layout 'nhw' has 3 dims"},
    };
    for (const auto& [flags, message] : cases) {
        CAPTURE(flags);
        const auto r = run(base + flags);
        CHECK(r.status == 1);
        CHECK_MESSAGE(r.output.find(message) != std::string::npos, r.output);
        CHECK(count_files(dir + "/out") == 0);
    }
}

TEST_CASE("moir convert --input/--output cut the model; --mean_values/--scale_values/--reverse_input_channels preprocess it") {
    const std::string dir = scratch("cli_cut_preprocess");
    const std::string onnx = tiny_model(dir);
    fs::create_directories(dir + "/ir");

    // the sub-graph from tensor xw (= x * w) to y
    auto r = run(q(moir_exe()) + " convert -m " + q(onnx) + " -o " + q(dir + "/ir") + " -n cut --input 'xw[1,3]' --output y");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("input  xw: f32[1,3]") != std::string::npos);
    moir::npy::save(dir + "/xw.npy", moir::tensor::from_vector<float>({1, 2, 3}, {1, 3}));
    fs::create_directories(dir + "/out_cut");
    r = run(q(moir_exe()) + " run -m " + q(dir + "/ir/cut.xml") + " --input xw=" + q(dir + "/xw.npy") + " -o " + q(dir + "/out_cut"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    auto y = moir::npy::load(dir + "/out_cut/y.npy");
    REQUIRE(y.numel() == 3);
    CHECK(y.data<float>()[0] == doctest::Approx(1.5));
    CHECK(y.data<float>()[1] == doctest::Approx(2.5));
    CHECK(y.data<float>()[2] == doctest::Approx(2.0));
    CHECK(!fs::exists(dir + "/out_cut/out_sum_0.npy"));  // not an output any more

    // raw x -> reverse -> - [1,2,3] -> / 2 -> the model
    r = run(q(moir_exe()) + " convert -m " + q(onnx) + " -o " + q(dir + "/ir") +
            " -n pre --input_shape [1,3] --mean_values [1,2,3] --scale_values [2,2,2] --reverse_input_channels");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    moir::npy::save(dir + "/x.npy", moir::tensor::from_vector<float>({1, 2, 3}, {1, 3}));
    fs::create_directories(dir + "/out_pre");
    r = run(q(moir_exe()) + " run -m " + q(dir + "/ir/pre.xml") + " --input x=" + q(dir + "/x.npy") + " -o " + q(dir + "/out_pre"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    y = moir::npy::load(dir + "/out_pre/y.npy");
    const std::vector<float> expect{1.5f, 0.5f, 0.0f};  // relu((rev(x) - mean) / 2 * w + b)
    REQUIRE(y.numel() == 3);
    for (std::size_t i = 0; i < 3; ++i) CHECK(y.data<float>()[i] == doctest::Approx(expect[i]));
    std::ifstream xml(dir + "/ir/pre.xml");
    const std::string text((std::istreambuf_iterator<char>(xml)), std::istreambuf_iterator<char>());
    CHECK(text.find("<mean_values value=\"[1,2,3]\"") != std::string::npos);
    CHECK(text.find("<reverse_input_channels value=\"True\"") != std::string::npos);

    // --input naming the original input keeps it; a 2-D layout is accepted
    r = run(q(moir_exe()) + " convert -m " + q(onnx) + " -o " + q(dir + "/ir") + " -n ric --input 'x[1,3]' --output y "
            "--reverse_input_channels --layout '[n,c]'");
    REQUIRE_MESSAGE(r.status == 0, r.output);
}
