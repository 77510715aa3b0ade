// libFuzzer target: a TF.js graph model (model.json: the GraphDef as protobuf JSON, the
// weightsManifest, the signature) and its weight shards through moir::tensorflow::parse_tfjs. The
// input is split as [4-byte little-endian model.json length][model.json][the shards' bytes] (a
// shorter input is all model.json); the first shard named holds those bytes, any other is empty.
// Any exception other than moir::error, or any sanitizer report, is a finding.

#include <moir/frontends/tensorflow/tfjs.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t, uint32_t
#include <string>   // string

// one program per target; fuzz_all.cpp defines this to gather the header-only targets in one
#ifndef MOIR_FUZZ_TARGET
#define MOIR_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput
#endif

MOIR_FUZZ_TARGET(fuzz_tfjs)(const std::uint8_t* data, std::size_t size) {
    std::string all(reinterpret_cast<const char*>(data), size), json = all, shards;
    if (size >= 4) {
        const std::uint32_t n = data[0] | (data[1] << 8) | (data[2] << 16) | (static_cast<std::uint32_t>(data[3]) << 24);
        json = all.substr(4, n);
        shards = n < size - 4 ? all.substr(4 + static_cast<std::size_t>(n)) : std::string();
    }
    bool first = true;
    try {
        (void)moir::tensorflow::parse_tfjs(json, "fuzz/model.json", [&](const std::string&) {
            std::string s = first ? shards : std::string();
            first = false;
            return s;
        });
    } catch (const moir::error&) {
    }
    return 0;
}
