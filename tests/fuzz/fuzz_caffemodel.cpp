// libFuzzer target: Caffe's binary .caffemodel (a NetParameter protobuf: V2 `layer` and V1 `layers`,
// their BlobProto shapes and float/double data) through moir::caffe::parse_caffemodel. Any
// exception other than moir::error, or any sanitizer report, is a finding.

#include <moir/frontends/caffe/net_reader.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t
#include <string>   // string

// one program per target; fuzz_all.cpp defines this to gather the header-only targets in one
#ifndef MOIR_FUZZ_TARGET
#define MOIR_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput
#endif

MOIR_FUZZ_TARGET(fuzz_caffemodel)(const std::uint8_t* data, std::size_t size) {
    try {
        (void)moir::caffe::parse_caffemodel(std::string(reinterpret_cast<const char*>(data), size), "fuzz.caffemodel");
    } catch (const moir::error&) {
    }
    return 0;
}
