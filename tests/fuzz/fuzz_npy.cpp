// libFuzzer target: .npy bytes -> moir::npy::decode (and, for what decodes, encode -> decode
// round trip). Any exception other than moir::error, any sanitizer report or a differing round
// trip is a finding.

#include <moir/io/npy.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t
#include <cstdlib>  // abort
#include <cstring>  // memcmp
#include <string>   // string

// one program per target; fuzz_all.cpp defines this to gather the header-only targets in one
#ifndef MOIR_FUZZ_TARGET
#define MOIR_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput
#endif

MOIR_FUZZ_TARGET(fuzz_npy)(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    moir::npy::limits lim;
    lim.max_data_bytes = 1 << 24;  // a fuzz input is small; keep a declared size from allocating much
    try {
        const moir::tensor t = moir::npy::decode(bytes, "fuzz.npy", lim);
        const moir::tensor u = moir::npy::decode(moir::npy::encode(t), "roundtrip.npy", lim);
        if (u.type() != t.type() || u.dims() != t.dims() || u.bytes() != t.bytes() ||
            (t.bytes() && std::memcmp(u.raw(), t.raw(), t.bytes()) != 0))
            std::abort();
    } catch (const moir::error&) {
    }
    return 0;
}
