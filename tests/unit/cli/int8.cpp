// moir convert --data_type INT8 run as a user runs it: calibration from a folder of .npy files
// (also of different widths, and NAME=DIR), the NNCF form in the written IR, --report's INT8 line,
// `moir info` and `moir run` on the result, --data_type FP16, the --help text, and every bad flag
// (INT8 without data, empty folder, wrong rank, wrong type, unknown input, data without INT8):
// exit 1, a message naming the folder or file and the reason, and no file written.

#include <support/env.hpp>
#include <support/protobuf_writer.hpp>

#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ops/constant.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // max
#include <cstdlib>    // abs
#include <fstream>   // ifstream, ofstream
#include <iterator>  // istreambuf_iterator
#include <string>    // string
#include <vector>    // vector

namespace {

using namespace moir::test;

/// x [1,3,8,W] (W dynamic) -> Conv 3x3 (4 out, pad 1) + bias -> Relu -> Conv 1x1 (2 out) -> y
std::string int8_model(const std::string& dir) {
    onnx_builder b;
    b.opset(13);
    b.add_input("x", 1, {1, 3, 8, "W"});
    std::vector<float> w1(4 * 3 * 3 * 3), w2(2 * 4);
    for (std::size_t i = 0; i < w1.size(); ++i) w1[i] = static_cast<float>((i * 37) % 19) / 19.0f - 0.5f;
    for (std::size_t i = 0; i < w2.size(); ++i) w2[i] = static_cast<float>((i * 11) % 7) / 7.0f - 0.4f;
    b.add_initializer<float>("w1", w1, {4, 3, 3, 3});
    b.add_initializer<float>("b1", {0.1f, -0.2f, 0.3f, -0.4f}, {4});
    b.add_initializer<float>("w2", w2, {2, 4, 1, 1});
    b.add_node("Conv", {"x", "w1", "b1"}, {"c1"}, {attr::ints("pads", {1, 1, 1, 1})}, "conv1");
    b.add_node("Relu", {"c1"}, {"r1"}, {}, "relu1");
    b.add_node("Conv", {"r1", "w2"}, {"y"}, {}, "conv2");
    b.add_output("y", 1, {1, 2, 8, "W"});
    const std::string path = dir + "/net.onnx";
    b.save(path);
    return path;
}

/// Writes n calibration inputs [1,3,8,width] into dir.
void write_inputs(const std::string& dir, std::size_t n, std::int64_t width, unsigned seed) {
    fs::create_directories(dir);
    for (std::size_t k = 0; k < n; ++k) {
        std::vector<float> v(static_cast<std::size_t>(3 * 8 * width));
        unsigned s = seed + static_cast<unsigned>(k) * 7919u;
        for (auto& x : v) {
            s = s * 1664525u + 1013904223u;
            x = static_cast<float>(s >> 8) / static_cast<float>(1u << 24) * 4.0f - 2.0f;
        }
        moir::npy::save(dir + "/in_" + std::to_string(width) + "_" + std::to_string(k) + ".npy",
                        moir::tensor::from_vector(v, {1, 3, 8, width}));
    }
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

TEST_CASE("moir convert --data_type INT8: calibration folder of mixed widths, the NNCF form, report, info, run") {
    const std::string dir = scratch("cli_int8");
    const std::string onnx = int8_model(dir);
    write_inputs(dir + "/calib", 4, 16, 1);
    write_inputs(dir + "/calib", 3, 24, 2);  // another width: the plan compiles again
    auto r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
                 " --model_name q --data_type INT8 --calibration_data " + q(dir + "/calib") + " --report");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("calibrating: 7/7") != std::string::npos);
    CHECK(r.output.find("report: INT8 layers 2 of 2 quantizable (2 FakeQuantize, 2 i8 weight constants), calibrated on 7 "
                        "input sets (percentile)") != std::string::npos);
    const std::string xml = slurp(dir + "/q.xml");
    CHECK(count(xml, "type=\"FakeQuantize\" version=\"opset1\"") == 2);
    CHECK(count(xml, "levels=\"256\"") == 2);
    CHECK(count(xml, "element_type=\"i8\"") == 2);
    CHECK(count(xml, "<attribute name=\"decompression\" version=\"0\"/>") == 2);
    CHECK(xml.find("<data_type value=\"INT8\"/>") != std::string::npos);
    // the weights shrink to a quarter (plus the f32 scales, biases and ranges)
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) + " --model_name f");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(fs::file_size(dir + "/q.bin") < fs::file_size(dir + "/f.bin") * 45 / 100);

    r = run(q(moir_exe()) + " info " + q(dir + "/q.xml"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("FakeQuantize: 2") != std::string::npos);
    CHECK(r.output.find("int8: 2 FakeQuantize, 116 i8 parameters") != std::string::npos);  // 108 + 8 weights

    // moir run executes the INT8 IR (reference and compiled plan) close to the FP32 IR
    write_inputs(dir + "/test", 1, 20, 99);
    for (const char* threads : {"", " --threads 1"}) {
        for (const char* model : {"q", "f"}) {
            fs::create_directories(dir + "/out_" + model);
            r = run(q(moir_exe()) + " run --model " + q(dir + "/" + model + ".xml") + " --input x=" +
                    q(dir + "/test/in_20_0.npy") + " --output_dir " + q(dir + "/out_" + model) + threads);
            REQUIRE_MESSAGE(r.status == 0, r.output);
        }
        const auto a = moir::npy::load(dir + "/out_q/y.npy"), b = moir::npy::load(dir + "/out_f/y.npy");
        const difference d = compare(a, b);
        INFO("INT8 vs FP32: max|err| " << d.max_abs_err << " of max|ref| " << d.max_abs_ref);
        CHECK(d.within(0.05));
        CHECK(d.max_abs_err > 0.0);
    }

    // moir bench runs the IR on the INT8 kernels, and with --no_int8 on FP32 FakeQuantize steps
    for (const bool off : {false, true}) {
        r = run(q(moir_exe()) + " bench -m " + q(dir + "/q.xml") + " --shape x=[1,3,8,16] -t 1 -n 2 --warmup 0" +
                " --json --per_layer" + (off ? " --no_int8" : ""));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        CHECK(r.output.find(off ? "\"int8\": false" : "\"int8\": true") != std::string::npos);
        CHECK((r.output.find("quantize_u8.") != std::string::npos) == !off);
        CHECK((r.output.find("fake_quantize.") != std::string::npos) == off);
    }

    // NAME=DIR, minmax, a subset
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name q2 --data_type INT8 --calibration_data x=" + q(dir + "/calib") +
            " --calibration_method minmax --calibration_subset 2");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("calibrating: 2/2") != std::string::npos);
    CHECK(slurp(dir + "/q2.xml").find("<calibration_method value=\"minmax\"/>") != std::string::npos);
    CHECK(slurp(dir + "/q2.xml").find("<quantization_preset value=\"mixed\"/>") != std::string::npos);  // the default
    // mse ranges, symmetric activations
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name q3 --data_type INT8 --calibration_data " + q(dir + "/calib") +
            " --calibration_method mse --quantization_preset performance");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string q3 = slurp(dir + "/q3.xml");
    CHECK(q3.find("<calibration_method value=\"mse\"/>") != std::string::npos);
    CHECK(q3.find("<quantization_preset value=\"performance\"/>") != std::string::npos);
    CHECK(count(q3, "type=\"FakeQuantize\"") == 2);

    // accuracy control: a drop that holds reverts nothing; --keep_fp32 leaves the named layer in FP32
    write_inputs(dir + "/valid", 2, 12, 7);
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name ac --data_type INT8 --calibration_data " + q(dir + "/calib") + " --max_accuracy_drop 1" +
            " --validation_data " + q(dir + "/valid") + " --report");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("accuracy control: top-1 agreement with FP32") != std::string::npos);
    CHECK(r.output.find("with 0 layers back in FP32") != std::string::npos);
    CHECK(count(slurp(dir + "/ac.xml"), "type=\"FakeQuantize\"") == 2);
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name k --data_type INT8 --calibration_data " + q(dir + "/calib") + " --keep_fp32 conv2 --report");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("report: INT8 layers 1 of 2 quantizable") != std::string::npos);
    CHECK(r.output.find("1 kept in FP32 (0 with int8 weights, 0 with fp16)") != std::string::npos);
    const std::string kept = slurp(dir + "/k.xml");
    CHECK(count(kept, "type=\"FakeQuantize\"") == 1);
    CHECK(count(kept, "element_type=\"i8\"") == 1);
    CHECK(kept.find("<keep_fp32 value=\"conv2\"/>") != std::string::npos);
    // --fp32_layer_weights int8: conv2 computes in FP32 on int8-stored weights
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name k8 --data_type INT8 --calibration_data " + q(dir + "/calib") +
            " --keep_fp32 conv2 --fp32_layer_weights int8 --report");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("1 kept in FP32 (1 with int8 weights, 0 with fp16)") != std::string::npos);
    const std::string kept8 = slurp(dir + "/k8.xml");
    CHECK(count(kept8, "type=\"FakeQuantize\"") == 1);
    CHECK(count(kept8, "element_type=\"i8\"") == 2);
    CHECK(kept8.find("<fp32_layers_with_int8_weights value=\"conv2\"/>") != std::string::npos);
    CHECK(fs::file_size(dir + "/k8.bin") < fs::file_size(dir + "/k.bin"));
    fs::create_directories(dir + "/out_k8");
    r = run(q(moir_exe()) + " run --model " + q(dir + "/k8.xml") + " --input x=" + q(dir + "/test/in_20_0.npy") +
            " --output_dir " + q(dir + "/out_k8"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    {
        const difference d = compare(moir::npy::load(dir + "/out_k8/y.npy"), moir::npy::load(dir + "/out_f/y.npy"));
        INFO("INT8 with conv2 in FP32 on int8 weights vs FP32: max|err| " << d.max_abs_err << " of max|ref| "
                                                                          << d.max_abs_ref);
        CHECK(d.within(0.05));
    }
    // both: the accuracy control starts from the user's FP32 layers
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name ack --data_type INT8 --calibration_data " + q(dir + "/calib") +
            " --max_accuracy_drop 1 --keep_fp32 conv2 --report");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("with 0 layers back in FP32") != std::string::npos);
    CHECK(r.output.find("report: INT8 layers 1 of 2 quantizable") != std::string::npos);
    CHECK(slurp(dir + "/ack.xml").find("<keep_fp32 value=\"conv2\"/>") != std::string::npos);

    // --overflow_fix enable: 7-bit convolution weights, recorded in the rt_info, and the run stays close
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name of --data_type INT8 --calibration_data " + q(dir + "/calib") + " --overflow_fix enable");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(slurp(dir + "/of.xml").find("<overflow_fix value=\"enable\"/>") != std::string::npos);
    fs::create_directories(dir + "/out_of");
    r = run(q(moir_exe()) + " run --model " + q(dir + "/of.xml") + " --input x=" + q(dir + "/test/in_20_0.npy") +
            " --output_dir " + q(dir + "/out_of"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    {
        const difference d = compare(moir::npy::load(dir + "/out_of/y.npy"), moir::npy::load(dir + "/out_f/y.npy"));
        INFO("INT8 with 7-bit weights vs FP32: max|err| " << d.max_abs_err << " of max|ref| " << d.max_abs_ref);
        CHECK(d.within(0.08));
        CHECK(d.max_abs_err > 0.0);
    }
    // the weights differ from the 8-bit ones: each i8 constant's largest magnitude is 64
    {
        const moir::model of = moir::ir::load(dir + "/of.xml");
        std::size_t i8 = 0;
        for (const auto& n : of.nodes)
            if (n.is<moir::ops::constant>() && n.attrs_as<moir::ops::constant>().value.type() == moir::element_type::i8) {
                const auto& t = n.attrs_as<moir::ops::constant>().value;
                int top = 0;
                for (std::size_t i = 0; i < t.numel(); ++i) top = std::max(top, std::abs(int(t.data<std::int8_t>()[i])));
                CHECK(top == 64);
                ++i8;
            }
        CHECK(i8 == 2);
    }

    // --smooth_quant: channel smoothing of the activations whose channels spread more than --smooth_ratio
    // (1: all of them here), listed by the report and the rt_info; the run stays close to FP32
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name sq --data_type INT8 --calibration_data " + q(dir + "/calib") +
            " --smooth_quant 0.5 --smooth_ratio 1 --report");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("report: channel smoothing (alpha 0.5) on 2 activations") != std::string::npos);
    CHECK(slurp(dir + "/sq.xml").find("<smoothed_activations value=\"") != std::string::npos);
    fs::create_directories(dir + "/out_sq");
    r = run(q(moir_exe()) + " run --model " + q(dir + "/sq.xml") + " --input x=" + q(dir + "/test/in_20_0.npy") +
            " --output_dir " + q(dir + "/out_sq"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    {
        const difference d = compare(moir::npy::load(dir + "/out_sq/y.npy"), moir::npy::load(dir + "/out_f/y.npy"));
        INFO("INT8 with channel smoothing vs FP32: max|err| " << d.max_abs_err << " of max|ref| " << d.max_abs_ref);
        CHECK(d.within(0.1));  // (random channels of equal spread: smoothing has nothing to win here; 7% seen)
    }

    // --data_type FP16 is --compress_to_fp16
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) + " --model_name h --data_type FP16");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(count(slurp(dir + "/h.xml"), "element_type=\"f16\"") == 3);
}

TEST_CASE("moir convert --data_type INT8: bad calibration flags fail clearly and write nothing") {
    const std::string dir = scratch("cli_int8_errors");
    const std::string onnx = int8_model(dir);
    fs::create_directories(dir + "/empty");
    fs::create_directories(dir + "/rank");
    moir::npy::save(dir + "/rank/a.npy", moir::tensor::from_vector<float>(std::vector<float>(3 * 8 * 4, 1.0f), {3, 8, 4}));
    fs::create_directories(dir + "/type");
    moir::npy::save(dir + "/type/b.npy", moir::tensor::from_vector<bool>({true, false}, {1, 2}));
    fs::create_directories(dir + "/chan");
    moir::npy::save(dir + "/chan/c.npy", moir::tensor::from_vector<float>(std::vector<float>(2 * 8 * 4, 1.0f), {1, 2, 8, 4}));
    write_inputs(dir + "/good", 1, 8, 3);
    const std::string base = q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir + "/out") +
                             " --model_name bad ";
    fs::create_directories(dir + "/out");
    struct bad_case {
        std::string flags;
        std::vector<std::string> needles;
    };
    const std::vector<bad_case> cases{
        {"--data_type INT8", {"--data_type INT8 needs --calibration_data"}},
        {"--data_type INT8 --calibration_data " + q(dir + "/empty"), {dir + "/empty", "holds no .npy file"}},
        {"--data_type INT8 --calibration_data " + q(dir + "/missing"), {dir + "/missing", "no such folder"}},
        {"--data_type INT8 --calibration_data " + q(dir + "/rank"), {dir + "/rank/a.npy", "rank 3", "rank 4"}},
        {"--data_type INT8 --calibration_data " + q(dir + "/type"), {dir + "/type/b.npy", "boolean"}},
        {"--data_type INT8 --calibration_data " + q(dir + "/chan"), {dir + "/chan/c.npy", "does not fit input 'x'"}},
        {"--data_type INT8 --calibration_data nope=" + q(dir + "/good"), {"no input 'nope'", "inputs: x"}},
        {"--calibration_data " + q(dir + "/good"), {"only used with --data_type INT8"}},
        {"--max_accuracy_drop 0.1", {"only used with --data_type INT8"}},
        {"--overflow_fix enable", {"only used with --data_type INT8"}},
        {"--smooth_quant 0.5", {"only used with --data_type INT8"}},
        {"--data_type INT8 --calibration_data " + q(dir + "/good") + " --keep_fp32 conv1,nope", {"--keep_fp32", "no layer 'nope'"}},
        {"--data_type INT8 --calibration_data " + q(dir + "/good") + " --validation_data " + q(dir + "/good"),
         {"--validation_data is only used with --max_accuracy_drop"}},
        {"--data_type INT8 --calibration_data " + q(dir + "/good") + " --max_accuracy_drop 0.1 --validation_data " +
             q(dir + "/rank"),
         {dir + "/rank/a.npy", "rank 3"}},
    };
    for (const auto& c : cases) {
        INFO(c.flags);
        const auto r = run(base + c.flags);
        CHECK(r.status == 1);
        for (const auto& n : c.needles) CHECK_MESSAGE(r.output.find(n) != std::string::npos, "'" << n << "' not in: " << r.output);
        CHECK(r.output.find("moir: error: ") != std::string::npos);
        CHECK(fs::is_empty(dir + "/out"));
    }
    // an unknown --data_type or method is refused by the flag parser
    CHECK(run(base + "--data_type INT4 --calibration_data " + q(dir + "/good")).status != 0);
    CHECK(run(base + "--data_type INT8 --calibration_data " + q(dir + "/good") + " --calibration_method kl").status != 0);
    CHECK(run(base + "--data_type INT8 --calibration_data " + q(dir + "/good") + " --quantization_preset fast").status != 0);
    CHECK(run(base + "--data_type INT8 --calibration_data " + q(dir + "/good") + " --overflow_fix first_layer_only").status != 0);
    CHECK(run(base + "--data_type INT8 --calibration_data " + q(dir + "/good") + " --smooth_quant 1.5").status != 0);
    CHECK(fs::is_empty(dir + "/out"));
}

TEST_CASE("moir convert --help describes the INT8 flags") {
    const auto r = run(q(moir_exe()) + " convert --help");
    REQUIRE(r.status == 0);
    for (const char* flag : {"--data_type", "--calibration_data", "--calibration_method", "--calibration_percentile",
                             "--calibration_subset", "--max_accuracy_drop", "--validation_data", "--keep_fp32",
                             "--quantization_preset", "--accuracy_ranking", "--overflow_fix", "--smooth_quant",
                             "--smooth_ratio"})
        CHECK_MESSAGE(r.output.find(flag) != std::string::npos, flag);
    CHECK(r.output.find("NAME=DIR") != std::string::npos);
}
