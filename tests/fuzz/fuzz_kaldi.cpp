// libFuzzer target: a Kaldi nnet1 or nnet3 network, text or binary (moir::kaldi::read_nnet1 /
// read_nnet3: the byte reader, components, the nnet3 config lines and descriptors), and for what
// decodes, moir::kaldi::convert over 8 frames (the dims the file declares); the same bytes also as
// a counts vector (byte_reader::read_array, what --counts reads). Any exception other than
// moir::error, or any sanitizer report, is a finding.

#include <moir/core/limits.hpp>
#include <moir/frontends/kaldi/kaldi.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t, int64_t
#include <string>   // string

// one program per target; fuzz_all.cpp defines this to gather the header-only targets in one
#ifndef MOIR_FUZZ_TARGET
#define MOIR_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput
#endif

namespace {
constexpr std::int64_t frames = 8, max_dim = 1 << 16;  // conversions stay fast
}

MOIR_FUZZ_TARGET(fuzz_kaldi)(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        moir::kaldi::byte_reader r(bytes, "fuzz.counts");
        (void)r.read_array(false);
    } catch (const moir::error&) {
    }
    try {
        moir::kaldi::load_options o;
        if (moir::kaldi::kind_of(std::string_view(bytes).substr(0, 64)) == "nnet3") {
            const moir::kaldi::nnet3_file f = moir::kaldi::read_nnet3(bytes, "fuzz.raw");
            for (const auto& n : f.nodes) {
                if (n.kind != "input-node") continue;
                if (n.dim < 1 || n.dim > max_dim) return 0;
                o.input_shapes[n.name] = moir::partial_shape({frames, n.dim});
            }
            moir::check_tensor_sizes(moir::kaldi::convert(f, o), 1 << 24);
        } else {
            const moir::kaldi::nnet1_file f = moir::kaldi::read_nnet1(bytes, "fuzz.nnet");
            if (f.components.empty()) return 0;
            const std::int64_t dim = f.components.front().input_dim;
            if (dim < 1 || dim > max_dim) return 0;
            o.input_shapes_by_position = {moir::partial_shape({frames, dim})};
            moir::check_tensor_sizes(moir::kaldi::convert(f, o), 1 << 24);
        }
    } catch (const moir::error&) {
    }
    return 0;
}
