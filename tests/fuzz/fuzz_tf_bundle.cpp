// libFuzzer target: a TensorFlow SavedModel's variables bundle (variables.index: a LevelDB-style
// table of BundleEntryProtos with CRC-32C block trailers; variables.data-00000-of-00001: the shard)
// through moir::tensorflow::tensor_bundle, every tensor read back, and the same bytes as a
// saved_model.pb (moir::tensorflow::parse_saved_model: MetaGraphDefs, signatures, the GraphDef) and
// as a TF1 checkpoint's .meta (moir::tensorflow::parse_meta_graph).
// The input is split as [4-byte little-endian index length][index][shard] (a shorter input is all
// index). Any exception other than moir::error, or any sanitizer report, is a finding.

#include <moir/frontends/tensorflow/saved_model.hpp>
#include <moir/frontends/tensorflow/tensor_bundle.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t, uint32_t
#include <string>   // string

// one program per target; fuzz_all.cpp defines this to gather the header-only targets in one
#ifndef MOIR_FUZZ_TARGET
#define MOIR_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput
#endif

MOIR_FUZZ_TARGET(fuzz_tf_bundle)(const std::uint8_t* data, std::size_t size) {
    const std::string all(reinterpret_cast<const char*>(data), size);
    std::string index = all, shard;
    if (size >= 4) {
        const std::uint32_t n = data[0] | (data[1] << 8) | (data[2] << 16) | (static_cast<std::uint32_t>(data[3]) << 24);
        index = all.substr(4, n);
        shard = n < size - 4 ? all.substr(4 + static_cast<std::size_t>(n)) : std::string();
    }
    try {
        // a prefix in a folder that does not exist: a shard other than 0 fails cleanly
        const moir::tensorflow::tensor_bundle b("/nonexistent-moir-fuzz/variables", index, {{0, shard}});
        for (const auto& [key, entry] : b.entries()) {
            try {
                (void)b.tensor(key);
            } catch (const moir::error&) {
            }
        }
    } catch (const moir::error&) {
    }
    try {
        (void)moir::tensorflow::parse_saved_model(all, "fuzz/saved_model.pb");
    } catch (const moir::error&) {
    }
    try {
        (void)moir::tensorflow::parse_meta_graph(moir::protobuf::reader(data, size, "fuzz.meta"), "fuzz.meta");
    } catch (const moir::error&) {
    }
    return 0;
}
