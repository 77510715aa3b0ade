// libFuzzer target: an IR pair (model.xml + model.bin) -> moir::ir::deserialize, and for models that
// load with small static input shapes, one run of the reference executor on zero inputs. The input
// is split as [4-byte little-endian .xml length][.xml][.bin] (a shorter input is all .xml). Any
// exception other than moir::error, any sanitizer report, is a finding.

#include <moir/core/limits.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint8_t, uint32_t
#include <string_view>  // string_view
#include <vector>       // vector

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view all(reinterpret_cast<const char*>(data), size), xml = all, bin;
    if (size >= 4) {
        const std::uint32_t n = data[0] | (data[1] << 8) | (data[2] << 16) | (static_cast<std::uint32_t>(data[3]) << 24);
        const std::string_view rest = all.substr(4);
        xml = rest.substr(0, n);
        bin = n < rest.size() ? rest.substr(n) : std::string_view();
    }
    try {
        const moir::model m = moir::ir::deserialize<>(xml, bin, "fuzz.xml", "fuzz.bin");
        constexpr std::uint64_t max_elements = 1 << 12;  // runs stay fast
        moir::check_tensor_sizes(m, max_elements);
        std::vector<moir::tensor> inputs;
        for (const auto p : m.parameters) {
            const auto& a = m.at(p).attrs_as<moir::ops::parameter>();
            if (!a.shape.is_static()) return 0;
            inputs.emplace_back(a.element_type, a.shape.dims);
        }
        moir::reference_executor<>(m, max_elements).run(inputs);
    } catch (const moir::error&) {
    }
    return 0;
}
