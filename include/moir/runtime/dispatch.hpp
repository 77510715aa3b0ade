#ifndef MOIR_RUNTIME_DISPATCH_HPP
#define MOIR_RUNTIME_DISPATCH_HPP

// Run-time choice of the fast-kernel arch: the best arch that is both compiled into the program
// (compiled_in<Arch>) and available on the CPU running it (Arch::available(), CPUID), walking
// arch::fast_arches best first; arch::reference always qualifies. moir does this itself rather than
// through xsimd::dispatch: the xsimd 8.1 that Debian 12 ships can pick an arch the CPU lacks.
//
// compiled_in<Arch>: this TU is compiled with Arch's flags, or MOIR_WITH_<ARCH>_KERNELS is defined
// non-zero and another TU holds MOIR_INSTANTIATE_KERNELS(Arch) (runtime/instantiate.hpp).
//
// The environment variable MOIR_ARCH (reference, avx2, avx512) restricts the choice to that arch
// when it qualifies (for testing and benchmarking).
//
// The INT8 kernels (kernels/simd/int8_table.hpp) are chosen the same way over arch::int8_arches
// (avx512vnni, avx2, reference); avx512vnni is compiled in with MOIR_WITH_AVX512VNNI_KERNELS and
// MOIR_INSTANTIATE_INT8_KERNELS(moir::arch::avx512vnni), the INT8 avx2 kernels come with
// MOIR_WITH_AVX2_KERNELS (its TU holds both instantiation macros, runtime/instantiate.hpp).

#include <moir/kernels/arch.hpp>
#include <moir/kernels/simd/int8_table.hpp>
#include <moir/kernels/simd/table.hpp>

#include <cstdlib>      // getenv
#include <string_view>  // string_view
#include <type_traits>  // is_same_v

#if defined(MOIR_WITH_AVX2_KERNELS) && MOIR_WITH_AVX2_KERNELS
extern template const ::moir::kernels::simd::fp32_kernel_table&
::moir::kernels::simd::fp32_table<::moir::arch::avx2>();
#endif
#if defined(MOIR_WITH_AVX512_KERNELS) && MOIR_WITH_AVX512_KERNELS
extern template const ::moir::kernels::simd::fp32_kernel_table&
::moir::kernels::simd::fp32_table<::moir::arch::avx512>();
#endif
#if defined(MOIR_WITH_AVX2_KERNELS) && MOIR_WITH_AVX2_KERNELS
extern template const ::moir::kernels::simd::int8_kernel_table&
::moir::kernels::simd::int8_table<::moir::arch::avx2>();
#endif
#if defined(MOIR_WITH_AVX512VNNI_KERNELS) && MOIR_WITH_AVX512VNNI_KERNELS
extern template const ::moir::kernels::simd::int8_kernel_table&
::moir::kernels::simd::int8_table<::moir::arch::avx512vnni>();
#endif

namespace moir::runtime {

/// Whether Arch's fast kernels exist in this program (see above).
template <class Arch>
constexpr bool compiled_in() {
    if constexpr (std::is_same_v<Arch, arch::avx2>) {
#if defined(MOIR_WITH_AVX2_KERNELS) && MOIR_WITH_AVX2_KERNELS
        return true;
#else
        return Arch::supported();
#endif
    } else if constexpr (std::is_same_v<Arch, arch::avx512>) {
#if defined(MOIR_WITH_AVX512_KERNELS) && MOIR_WITH_AVX512_KERNELS
        return true;
#else
        return Arch::supported();
#endif
    } else if constexpr (std::is_same_v<Arch, arch::avx512vnni>) {
#if defined(MOIR_WITH_AVX512VNNI_KERNELS) && MOIR_WITH_AVX512VNNI_KERNELS
        return true;
#else
        return Arch::supported();
#endif
    } else {
        return Arch::supported();
    }
}

/// The FP32 table of Arch when it is compiled in and available here, else nullptr.
template <class Arch>
const kernels::simd::fp32_kernel_table* fp32_table_if_usable() {
    if constexpr (compiled_in<Arch>()) {
        if (Arch::available()) return &kernels::simd::fp32_table<Arch>();
    }
    return nullptr;
}

/// The FP32 table of the arch named `name` when it is compiled in and available, else nullptr.
/// (Templates only so that including this header instantiates no kernel.)
template <class Arches = arch::fast_arches>
const kernels::simd::fp32_kernel_table* fp32_table_named(std::string_view name) {
    const kernels::simd::fp32_kernel_table* found = nullptr;
    for_each_type(Arches{}, [&](auto tag) {
        using Arch = typename decltype(tag)::type;
        if (!found && Arch::name == name) found = fp32_table_if_usable<Arch>();
    });
    return found;
}

/// The best usable FP32 table (MOIR_ARCH narrows the choice, see above). Chosen once per process.
template <class Arches = arch::fast_arches>
const kernels::simd::fp32_kernel_table& best_fp32_table() {
    static const kernels::simd::fp32_kernel_table* const best = [] {
        const char* forced = std::getenv("MOIR_ARCH");
        if (forced && *forced) {
            if (const auto* t = fp32_table_named<Arches>(forced)) return t;
        }
        const kernels::simd::fp32_kernel_table* t = nullptr;
        for_each_type(Arches{}, [&](auto tag) {
            if (!t) t = fp32_table_if_usable<typename decltype(tag)::type>();
        });
        return t;
    }();
    return *best;
}

/// The INT8 table of Arch when it is compiled in and available here, else nullptr.
template <class Arch>
const kernels::simd::int8_kernel_table* int8_table_if_usable() {
    if constexpr (compiled_in<Arch>()) {
        if (Arch::available()) return &kernels::simd::int8_table<Arch>();
    }
    return nullptr;
}

/// The INT8 table of the arch named `name` when it is compiled in and available, else nullptr.
template <class Arches = arch::int8_arches>
const kernels::simd::int8_kernel_table* int8_table_named(std::string_view name) {
    const kernels::simd::int8_kernel_table* found = nullptr;
    for_each_type(Arches{}, [&](auto tag) {
        using Arch = typename decltype(tag)::type;
        if (!found && Arch::name == name) found = int8_table_if_usable<Arch>();
    });
    return found;
}

/// The best usable INT8 table. Chosen once per process; MOIR_ARCH=reference forces the scalar one,
/// MOIR_ARCH=avx2 the avx2 one (when usable); other values leave the choice to the CPU.
template <class Arches = arch::int8_arches>
const kernels::simd::int8_kernel_table& best_int8_table() {
    static const kernels::simd::int8_kernel_table* const best = [] {
        const char* forced = std::getenv("MOIR_ARCH");
        if (forced && *forced) {
            if (const auto* t = int8_table_named<Arches>(forced)) return t;
        }
        const kernels::simd::int8_kernel_table* t = nullptr;
        for_each_type(Arches{}, [&](auto tag) {
            if (!t) t = int8_table_if_usable<typename decltype(tag)::type>();
        });
        return t;
    }();
    return *best;
}

/// The INT8 table that goes with the FP32 arch `fp32_arch` of a plan: the same arch when it has
/// INT8 kernels ("avx2", "reference"), else the best usable one (for "avx512": avx512vnni where the
/// CPU has it, else avx2).
template <class Arches = arch::int8_arches>
const kernels::simd::int8_kernel_table& int8_table_for(std::string_view fp32_arch) {
    if (const auto* t = int8_table_named<Arches>(fp32_arch)) return *t;
    if (fp32_arch == "avx512") {
        if (const auto* t = int8_table_named<Arches>("avx512vnni")) return *t;
        if (const auto* t = int8_table_named<Arches>("avx2")) return *t;
    }
    return best_int8_table<Arches>();
}

}  // namespace moir::runtime

#endif  // MOIR_RUNTIME_DISPATCH_HPP
