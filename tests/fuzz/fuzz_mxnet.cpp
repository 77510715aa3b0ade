// libFuzzer target: MXNet's NDArray-list .params (moir::mxnet::parse_ndarray_list) and symbol JSON
// (moir::mxnet::parse_symbol), the same bytes read both ways. Any exception other than moir::error,
// or any sanitizer report, is a finding.

#include <moir/frontends/mxnet/params.hpp>
#include <moir/frontends/mxnet/symbol.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t
#include <string>   // string

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        (void)moir::mxnet::parse_ndarray_list(bytes, "fuzz.params");
    } catch (const moir::error&) {
    }
    try {
        (void)moir::mxnet::parse_symbol(bytes, "fuzz-symbol.json");
    } catch (const moir::error&) {
    }
    return 0;
}
