// Extra check against real OpenVINO-written IR files, when the build found ../shared
// (MOIR_SHARED_DIR): every file in shared/data/openvino-ir loads, survives a write/read round trip,
// and the ones whose graph is known run with the expected results. Skipped (with a message) when
// the folder is absent: the project's own fixtures in tests/data/ir cover the same features.

#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

#include "ir_test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>   // sort
#include <filesystem>  // directory_iterator, exists
#include <string>      // string
#include <vector>      // vector

namespace {

std::string shared_ir_dir() {
#ifdef MOIR_SHARED_DIR
    return std::string(MOIR_SHARED_DIR) + "/data/openvino-ir";
#else
    return {};
#endif
}

std::vector<moir::tensor> run(const moir::model& m, const std::vector<moir::tensor>& in) {
    return moir::reference_executor<>(m).run(in);
}

}  // namespace

TEST_CASE("shared: real OpenVINO IR files load, round-trip and run") {
    const std::string dir = shared_ir_dir();
    if (dir.empty() || !std::filesystem::exists(dir)) {
        MESSAGE("skipped: no shared OpenVINO IR folder (MOIR_SHARED_DIR not defined or " << dir << " absent)");
        return;
    }
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(dir))
        if (e.path().extension() == ".xml") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    REQUIRE_FALSE(files.empty());
    for (const auto& f : files) {
        INFO(f);
        moir::model m;
        REQUIRE_NOTHROW(m = moir::ir::load(f));
        CHECK_FALSE(m.parameters.empty());
        CHECK_FALSE(m.results.empty());
        const auto ir = moir::ir::serialize(m);
        const moir::model back = moir::ir::deserialize(ir.xml, ir.bin);
        CHECK(moir::ir::serialize(back).xml == ir.xml);
    }

    using moir::tensor;
    const auto path = [&](const char* name) { return dir + "/" + name; };
    if (std::filesystem::exists(path("dummy.xml"))) {  // v10: input + 1 (Const output port id="1")
        const auto m = moir::ir::load(path("dummy.xml"));
        std::vector<float> in(10);
        for (std::size_t i = 0; i < in.size(); ++i) in[i] = static_cast<float>(i) - 3.f;
        const auto y = run(m, {tensor::from_vector(in, {1, 10})});
        const auto out = y.at(0).to_vector<float>();
        for (std::size_t i = 0; i < in.size(); ++i) CHECK(out[i] == in[i] + 1.f);
    }
    if (std::filesystem::exists(path("increment_1x3x4x5.xml"))) {  // broadcast [1,1,1,1] constant
        const auto m = moir::ir::load(path("increment_1x3x4x5.xml"));
        const auto y = run(m, {tensor::from_vector(std::vector<float>(60, 2.f), {1, 3, 4, 5})});
        CHECK(y.at(0).to_vector<float>() == std::vector<float>(60, 3.f));
    }
    if (std::filesystem::exists(path("add_two_inputs_model.xml"))) {
        const auto m = moir::ir::load(path("add_two_inputs_model.xml"));
        const auto y = run(m, {tensor::from_vector(std::vector<float>(10, 1.f), {1, 10}),
                               tensor::from_vector(std::vector<float>(10, 2.f), {1, 10})});
        CHECK(y.at(0).to_vector<float>() == std::vector<float>(10, 3.f));
    }
    if (std::filesystem::exists(path("dummy_fp64.xml"))) {  // f64, "?,10": input + 1
        const auto m = moir::ir::load(path("dummy_fp64.xml"));
        const auto y = run(m, {tensor::from_vector(std::vector<double>(20, 0.5), {2, 10})});
        CHECK(y.at(0).to_vector<double>() == std::vector<double>(20, 1.5));
    }
    if (std::filesystem::exists(path("scalar.xml"))) {  // scalar + 0
        const auto m = moir::ir::load(path("scalar.xml"));
        const auto y = run(m, {tensor::scalar(4.25f)});
        CHECK(y.at(0).rank() == 0);
        CHECK(y.at(0).to_vector<float>() == std::vector<float>{4.25f});
    }
    if (std::filesystem::exists(path("passthrough.xml"))) {  // u8 ?,? + 0
        const auto m = moir::ir::load(path("passthrough.xml"));
        CHECK(m.at(m.parameters[0]).outputs[0].names == std::vector<std::string>{"input", "input:0"});
        const std::vector<std::uint8_t> in{1, 2, 3, 250, 255, 0};
        const auto y = run(m, {tensor::from_vector(in, {3, 2})});
        CHECK(y.at(0).to_vector<std::uint8_t>() == in);
    }
    if (std::filesystem::exists(path("no_name_output.xml"))) {  // i8: two Results, file order
        const auto m = moir::ir::load(path("no_name_output.xml"));
        REQUIRE(m.parameters.size() == 2);
        REQUIRE(m.results.size() == 2);
        CHECK(m.input_name(0) == "input_1");
        CHECK(m.input_name(1) == "input_2");
        const auto y = run(m, {tensor::from_vector(std::vector<std::int8_t>(10, 3), {1, 10}),
                               tensor::from_vector(std::vector<std::int8_t>(10, 4), {1, 10})});
        CHECK(y.at(0).to_vector<int>() == std::vector<int>(10, 12));  // Result_5 <- MULTIPLY
        CHECK(y.at(1).to_vector<int>() == std::vector<int>(10, 7));   // Result_6 <- ADD
    }
}
