// libFuzzer target: the protobuf text format (Caffe's .prototxt, TensorFlow's .pbtxt) through
// moir::prototext::parse and moir::tensorflow::parse_graph_def_text, and a binary TensorFlow
// GraphDef through moir::tensorflow::parse_graph_def (the same bytes, read both ways). Any exception
// other than moir::error, or any sanitizer report, is a finding.

#include <moir/frontends/common/prototext.hpp>
#include <moir/frontends/tensorflow/graph_def.hpp>
#include <moir/frontends/tensorflow/graph_def_text.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint8_t
#include <string_view>  // string_view

// one program per target; fuzz_all.cpp defines this to gather the header-only targets in one
#ifndef MOIR_FUZZ_TARGET
#define MOIR_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput
#endif

MOIR_FUZZ_TARGET(fuzz_text_formats)(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)moir::prototext::parse(text, "fuzz.prototxt");
    } catch (const moir::error&) {
    }
    try {
        (void)moir::tensorflow::parse_graph_def_text(text, "fuzz.pbtxt");
    } catch (const moir::error&) {
    }
    try {
        (void)moir::tensorflow::parse_graph_def(data, size, "fuzz.pb");
    } catch (const moir::error&) {
    }
    return 0;
}
