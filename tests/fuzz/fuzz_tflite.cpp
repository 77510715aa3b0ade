// libFuzzer target: .tflite bytes -> moir::tflite::read_model (the bounds-checked flatbuffer reader)
// and, for what decodes, moir::tflite::convert (every subgraph, the op table, shape inference). Any
// exception other than moir::error, or any sanitizer report, is a finding.

#include <moir/frontends/tflite/tflite.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t
#include <vector>   // vector

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const moir::tflite::model_file f = moir::tflite::read_model(std::vector<std::uint8_t>(data, data + size), "fuzz.tflite");
        const moir::model m = moir::tflite::convert(f);
        (void)m;
    } catch (const moir::error&) {
    }
    return 0;
}
