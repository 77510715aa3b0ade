// libFuzzer target: .tflite bytes -> moir::tflite::read_model (the bounds-checked flatbuffer reader)
// and, for what decodes, moir::tflite::convert (every subgraph, the op table, shape inference). Any
// exception other than moir::error, or any sanitizer report, is a finding.

#include <moir/frontends/tflite/tflite.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t
#include <vector>   // vector

// one program per target; fuzz_all.cpp defines this to gather the header-only targets in one
#ifndef MOIR_FUZZ_TARGET
#define MOIR_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput
#endif

MOIR_FUZZ_TARGET(fuzz_tflite)(const std::uint8_t* data, std::size_t size) {
    try {
        const moir::tflite::model_file f = moir::tflite::read_model(std::vector<std::uint8_t>(data, data + size), "fuzz.tflite");
        const moir::model m = moir::tflite::convert(f);
        (void)m;
    } catch (const moir::error&) {
    }
    return 0;
}
