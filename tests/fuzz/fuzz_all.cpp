// The header-only fuzz targets in one program and one translation unit (CI builds this one: the
// headers they share are compiled once). MOIR_FUZZ_TARGET=<target> in the environment picks the
// target, e.g. `MOIR_FUZZ_TARGET=fuzz_kaldi fuzz_all -max_total_time=10 corpus/ seeds/fuzz_kaldi`.
// fuzz_onnx and fuzz_ir link moir::compiled and stay programs of their own.

#define MOIR_FUZZ_TARGET(name) static int name

#include "fuzz_caffemodel.cpp"
#include "fuzz_kaldi.cpp"
#include "fuzz_mxnet.cpp"
#include "fuzz_npy.cpp"
#include "fuzz_text_formats.cpp"
#include "fuzz_tf_bundle.cpp"
#include "fuzz_tfjs.cpp"
#include "fuzz_tflite.cpp"

#include <cstdio>   // fprintf
#include <cstdlib>  // getenv, exit
#include <cstring>  // strcmp

namespace {
using fuzz_fn = int (*)(const std::uint8_t*, std::size_t);
struct named_target {
    const char* name;
    fuzz_fn fn;
};
constexpr named_target targets[] = {
    {"fuzz_caffemodel", fuzz_caffemodel}, {"fuzz_kaldi", fuzz_kaldi},         {"fuzz_mxnet", fuzz_mxnet},
    {"fuzz_npy", fuzz_npy},               {"fuzz_text_formats", fuzz_text_formats}, {"fuzz_tf_bundle", fuzz_tf_bundle},
    {"fuzz_tfjs", fuzz_tfjs},             {"fuzz_tflite", fuzz_tflite},
};

fuzz_fn chosen = nullptr;
}  // namespace

/// Before any input: the target MOIR_FUZZ_TARGET names, else a usage message and exit status 2.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* want = std::getenv("MOIR_FUZZ_TARGET");
    for (const auto& t : targets)
        if (want && std::strcmp(want, t.name) == 0) chosen = t.fn;
    if (chosen) return 0;
    std::fprintf(stderr, "fuzz_all: set MOIR_FUZZ_TARGET to one of:");
    for (const auto& t : targets) std::fprintf(stderr, " %s", t.name);
    std::fprintf(stderr, "\n");
    std::exit(2);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { return chosen(data, size); }
