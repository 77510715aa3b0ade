// libFuzzer target: ONNX ModelProto bytes -> moir::onnx::proto::parse_model -> moir::onnx::convert
// (the frontend as `moir convert` uses it, external data refused: the model has no folder). Any
// exception other than moir::error, or any sanitizer report, is a finding.

#include <moir/core/limits.hpp>
#include <moir/frontends/onnx/onnx.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const moir::onnx::proto::model pm = moir::onnx::proto::parse_model(data, size, "fuzz.onnx");
        // a folder that does not exist: any external data reference fails cleanly
        const moir::model m = moir::onnx::convert(pm, "/nonexistent-moir-fuzz/fuzz.onnx");
        moir::check_tensor_sizes(m);
    } catch (const moir::error&) {
    }
    return 0;
}
