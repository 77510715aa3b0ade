#ifndef MOIR_TESTS_UNIT_KERNELS_SUPPORT_HPP
#define MOIR_TESTS_UNIT_KERNELS_SUPPORT_HPP

// Shared helpers of the fast-kernel tests: the arches to run (every one this program has that the
// CPU can run; the others are reported as skipped), deterministic data, the epilogue oracle, and a
// comparison with a tolerance of 1e-5 relative.

#include <moir/runtime/dispatch.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // max
#include <cmath>      // exp, fabs
#include <cstdint>    // uint32_t
#include <string>     // string
#include <utility>    // pair
#include <vector>     // vector

namespace moir::test {

using kernels::simd::activation;
using kernels::simd::fp32_kernel_table;

/// The (name, table) of each fast arch that is compiled in and available; prints the skipped ones once.
inline std::vector<std::pair<std::string, const fp32_kernel_table*>> usable_arches() {
    std::vector<std::pair<std::string, const fp32_kernel_table*>> r;
    static bool reported = false;
    for_each_type(arch::fast_arches{}, [&](auto tag) {
        using Arch = typename decltype(tag)::type;
        if (const auto* t = runtime::fp32_table_if_usable<Arch>()) {
            r.emplace_back(std::string(Arch::name), t);
        } else if (!reported) {
            const std::string why = runtime::compiled_in<Arch>() ? "not available on this CPU" : "not compiled in";
            MESSAGE("arch " << std::string(Arch::name) << " skipped: " << why);
        }
    });
    if (!reported) {
        std::string names;
        for (const auto& a : r) names += " " + a.first;
        MESSAGE("arches tested:" << names);
    }
    reported = true;
    return r;
}

/// n values in [-1, 1] from a fixed seed.
inline std::vector<float> random_floats(std::size_t n, std::uint32_t seed) {
    std::vector<float> v(n);
    std::uint32_t s = seed * 2654435761u + 12345u;
    for (auto& x : v) {
        s = s * 1664525u + 1013904223u;
        x = static_cast<float>(static_cast<double>(s >> 8) / double(1u << 24) * 2.0 - 1.0);
    }
    return v;
}

inline constexpr activation all_activations[] = {activation::none,     activation::relu,     activation::clamp,
                                                 activation::hswish,   activation::hsigmoid, activation::sigmoid,
                                                 activation::swish,    activation::leaky};
// (the size-varied cases take all_activations[i % 6], as they did before swish joined; every
// activation, swish included, has its own cases in the loops over all_activations)

inline const char* name_of(activation a) {
    switch (a) {
        case activation::none: return "none";
        case activation::relu: return "relu";
        case activation::clamp: return "clamp";
        case activation::hswish: return "hswish";
        case activation::hsigmoid: return "hsigmoid";
        case activation::sigmoid: return "sigmoid";
        case activation::swish: return "swish";
        case activation::leaky: return "leaky";
        case activation::scaled_hswish: return "scaled_hswish";
    }
    return "?";
}

/// The epilogue oracle: act(x) in double (scale, shift: scaled_hswish's act_scale, act_shift).
inline double apply_activation(activation a, double x, double lo, double hi, double scale = 1.0, double shift = 0.0) {
    switch (a) {
        case activation::none: return x;
        case activation::relu: return std::max(x, 0.0);
        case activation::clamp: return std::min(std::max(x, lo), hi);
        case activation::hswish: return x * std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
        case activation::hsigmoid: return std::min(std::max(x + 3.0, 0.0), 6.0) / 6.0;
        case activation::sigmoid: return 1.0 / (1.0 + std::exp(-x));
        case activation::swish: return x / (1.0 + std::exp(-x));
        case activation::leaky: return std::max(x >= 0.0 ? x : lo * x, hi);
        case activation::scaled_hswish: return x * scale * std::min(std::max(x + shift, lo), hi);
    }
    return x;
}

/// The number of elements of `got` farther than 1e-5 * max(1, |want|) from `want` (the first one
/// is reported with `what`).
inline std::size_t count_mismatches(const float* got, const std::vector<double>& want, const std::string& what) {
    std::size_t bad = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const double tol = 1e-5 * std::max(1.0, std::fabs(want[i]));
        if (!(std::fabs(static_cast<double>(got[i]) - want[i]) <= tol)) {
            if (bad == 0) MESSAGE(what << ": element " << i << " is " << got[i] << ", expected " << want[i]);
            ++bad;
        }
    }
    return bad;
}

}  // namespace moir::test

#endif  // MOIR_TESTS_UNIT_KERNELS_SUPPORT_HPP
