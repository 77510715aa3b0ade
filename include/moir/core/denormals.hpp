#ifndef MOIR_CORE_DENORMALS_HPP
#define MOIR_CORE_DENORMALS_HPP

// Flushing denormal (subnormal) floats to zero on the calling thread.
//
// Why: on Intel cores an arithmetic instruction that reads a denormal operand, or makes a denormal
// result, takes a microcode assist of about a hundred cycles. Trained weights often hold denormals
// (weight decay drives unused weights toward zero): PaddleOCR's v4 recognizer has 31,000 of them,
// most in its squeeze-and-excite layers, which ran 10x slower than with flushing on an Emerald
// Rapids core. With DAZ (denormals are zero: such operands read as 0) and FTZ (flush to zero:
// such results become 0) set, those instructions run at full speed. What changes in the results is
// below 1.2e-38 per operand (the smallest normal float), far below float's rounding on any value a
// network computes. OpenVINO's CPU plugin has the same switch (ov::intel_cpu::denormals_optimization).
//
// x86-64 (MXCSR bits 6 and 15) and AArch64 (FPCR.FZ, bit 24; AArch64 has no DAZ: its FZ flushes
// inputs and outputs); elsewhere the calls do nothing and `supported` is false.

#include <cstdint>  // uint32_t, uint64_t

#if defined(__x86_64__) || defined(_M_X64)
#include <xmmintrin.h>  // _mm_getcsr, _mm_setcsr
#define MOIR_DENORMALS_X86 1
#endif

namespace moir::denormals {

/// Whether this target can flush denormals (x86-64, AArch64).
#if defined(MOIR_DENORMALS_X86) || defined(__aarch64__)
inline constexpr bool supported = true;
#else
inline constexpr bool supported = false;
#endif

/// The calling thread's floating-point control word (MXCSR or FPCR; 0 where unsupported).
inline std::uint64_t control_word() {
#if defined(MOIR_DENORMALS_X86)
    return _mm_getcsr();
#elif defined(__aarch64__)
    std::uint64_t v = 0;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
#else
    return 0;
#endif
}

/// Sets the calling thread's floating-point control word (as control_word() returned it).
inline void set_control_word(std::uint64_t v) {
#if defined(MOIR_DENORMALS_X86)
    _mm_setcsr(static_cast<unsigned>(v));
#elif defined(__aarch64__)
    __asm__ __volatile__("msr fpcr, %0" : : "r"(v));
#else
    (void)v;
#endif
}

/// The bits that flush denormals (DAZ | FTZ on x86, FZ on AArch64; 0 where unsupported).
inline constexpr std::uint64_t flush_bits() {
#if defined(MOIR_DENORMALS_X86)
    return 0x8040u;
#elif defined(__aarch64__)
    return std::uint64_t{1} << 24;
#else
    return 0;
#endif
}

/// Makes the calling thread flush denormals from now on (for threads a pool owns).
inline void flush_on_this_thread() {
    if (flush_bits()) set_control_word(control_word() | flush_bits());
}

/// Whether the calling thread flushes denormals now.
inline bool flushing() { return flush_bits() && (control_word() & flush_bits()) == flush_bits(); }

/// While it lives, the calling thread flushes denormals (when `on`); its destructor puts the
/// thread's control word back as it was, so a library call does not change its caller's arithmetic.
class scope {
public:
    explicit scope(bool on = true) : saved_(control_word()), on_(on && flush_bits()) {
        if (on_) set_control_word(saved_ | flush_bits());
    }
    ~scope() {
        if (on_) set_control_word(saved_);
    }
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

private:
    std::uint64_t saved_;
    bool on_;
};

}  // namespace moir::denormals

#endif  // MOIR_CORE_DENORMALS_HPP
