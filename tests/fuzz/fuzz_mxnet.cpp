// libFuzzer target: MXNet's NDArray-list .params (moir::mxnet::parse_ndarray_list), symbol JSON
// (moir::mxnet::parse_symbol) and a transformations config (JSON, --transformations_config:
// moir::transformations::parse_config), the same bytes read three ways. Any exception other than moir::error,
// or any sanitizer report, is a finding.

#include <moir/frontends/common/transformations/config.hpp>
#include <moir/frontends/mxnet/params.hpp>
#include <moir/frontends/mxnet/symbol.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t
#include <string>   // string

// one program per target; fuzz_all.cpp defines this to gather the header-only targets in one
#ifndef MOIR_FUZZ_TARGET
#define MOIR_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput
#endif

MOIR_FUZZ_TARGET(fuzz_mxnet)(const std::uint8_t* data, std::size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        (void)moir::mxnet::parse_ndarray_list(bytes, "fuzz.params");
    } catch (const moir::error&) {
    }
    try {
        (void)moir::mxnet::parse_symbol(bytes, "fuzz-symbol.json");
    } catch (const moir::error&) {
    }
    try {
        (void)moir::transformations::parse_config(bytes, "fuzz_config.json");
    } catch (const moir::error&) {
    }
    return 0;
}
