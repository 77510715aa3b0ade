#ifndef MOIR_KERNELS_ARCH_HPP
#define MOIR_KERNELS_ARCH_HPP

// Architecture tags of the fast kernels. An arch is an empty struct with the xsimd-style concept:
//
//   name                  the arch's spelling ("avx2", "avx512", "reference")
//   supported()           constexpr: this translation unit is compiled with the ISA flags the arch needs,
//                         so its kernels can be instantiated here (from __AVX2__, __AVX512F__, ... macros)
//   available()           run time: the CPU (and OS) running the program has the ISA (CPUID through
//                         __builtin_cpu_supports; moir checks this itself, never through xsimd::dispatch,
//                         which in xsimd 8.1, Debian 12's, can pick arches the CPU lacks)
//   alignment()           the vector size in bytes
//
// arch::reference (kernels/kernel.hpp) is the portable scalar arch. This header does not include xsimd:
// the mapping from a moir arch to an xsimd arch lives in kernels/simd/vec.hpp.
//
// The ordered candidate list (best first) is `fast_arches`; runtime/dispatch.hpp walks it.

#include <moir/core/type_list.hpp>
#include <moir/kernels/kernel.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view

/// Keeps a function out of its callers: a micro-kernel that must get the whole register file to
/// itself (GCC at -O3 otherwise inlines every tile size and activation of a driver into one body
/// and spills accumulators: the direct INT8 convolution with ReLU ran 1.35x slower so).
#if defined(__GNUC__) || defined(__clang__)
#define MOIR_NOINLINE __attribute__((noinline))
#elif defined(_MSC_VER)
#define MOIR_NOINLINE __declspec(noinline)
#else
#define MOIR_NOINLINE
#endif

/// Puts a function into every caller: the FP32 GEMM's tile store (gemm.hpp, store_tile), which GCC
/// otherwise kept out of line, so each micro-kernel wrote its accumulators to the stack for it and
/// read them back (BlazeFace back: 11-13% of the model's time in the store).
#if defined(__GNUC__) || defined(__clang__)
#define MOIR_ALWAYS_INLINE inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define MOIR_ALWAYS_INLINE __forceinline
#else
#define MOIR_ALWAYS_INLINE inline
#endif

/// Pins the vector value v to a register at this point of the code (an empty asm statement that
/// reads and writes it), so that GCC neither hoists loop-invariant vectors out of a micro-kernel's
/// loop (it kept all 15 weight vectors of the INT8 5x5 depthwise body live and spilled the
/// products instead) nor reassociates a chain of adds into a tree of spilled partial sums.
/// No code; a no-op for compilers without GNU asm.
/// MOIR_OPAQUE(p): the same for a pointer (in a general register): the compiler cannot tell what it
/// points at from here on, so loads through it stay where they are written.
#if defined(__GNUC__) || defined(__clang__)
#define MOIR_PIN_VECTOR(v) __asm__("" : "+x"(v))
#define MOIR_OPAQUE(p) __asm__("" : "+r"(p))
#else
#define MOIR_PIN_VECTOR(v) ((void)0)
#define MOIR_OPAQUE(p) ((void)0)
#endif

namespace moir::arch {

/// x86-64 with AVX2 and FMA3 (Haswell, Zen 1 and later). Compile flags: -mavx2 -mfma.
struct avx2 {
    static constexpr std::string_view name = "avx2";
    static constexpr bool supported() {
#if defined(__AVX2__) && defined(__FMA__)
        return true;
#else
        return false;
#endif
    }
    static bool available() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
        return false;
#endif
    }
    static constexpr std::size_t alignment() { return 32; }
};

/// x86-64 with AVX-512 F, BW, VL, DQ and FMA3 (Skylake-X, Ice Lake, Zen 4 and later).
/// Compile flags: -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma.
struct avx512 {
    static constexpr std::string_view name = "avx512";
    static constexpr bool supported() {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && \
    defined(__FMA__)
        return true;
#else
        return false;
#endif
    }
    static bool available() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
               __builtin_cpu_supports("fma");
#else
        return false;
#endif
    }
    static constexpr std::size_t alignment() { return 64; }
};

/// x86-64 with AVX-512 F, BW, VL, DQ, FMA3 and VNNI (vpdpbusd: u8 x s8 dot products of 4 into s32;
/// Cascade Lake, Ice Lake, Zen 4 and later). Only the INT8 kernels (kernels/simd/int8_*.hpp) use it;
/// xsimd 8.1 has no such arch, so they are written with intrinsics. Compile flags: those of avx512
/// plus -mavx512vnni.
struct avx512vnni {
    static constexpr std::string_view name = "avx512vnni";
    static constexpr bool supported() {
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__) && \
    defined(__FMA__) && defined(__AVX512VNNI__)
        return true;
#else
        return false;
#endif
    }
    static bool available() {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_cpu_init();
        return avx512::available() && __builtin_cpu_supports("avx512vnni");
#else
        return false;
#endif
    }
    static constexpr std::size_t alignment() { return 64; }
};

/// The arches the fast FP32 kernels exist for, best first; `reference` is last and always usable.
using fast_arches = type_list<avx512, avx2, reference>;

/// The arches the INT8 kernels exist for, best first (runtime/dispatch.hpp walks it).
using int8_arches = type_list<avx512vnni, avx2, reference>;

}  // namespace moir::arch

#endif  // MOIR_KERNELS_ARCH_HPP
