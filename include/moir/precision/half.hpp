#ifndef MOIR_PRECISION_HALF_HPP
#define MOIR_PRECISION_HALF_HPP

// moir::half: an IEEE 754 binary16 value stored as 16 bits, with exact conversions to and from
// float (round to nearest even). xsimd 8.1 has no FP16 batch, so this is moir's own type.

#include <cstdint>  // uint16_t, uint32_t
#include <cstring>  // memcpy

namespace moir {

/// requires: nothing. ensures: float(half(x)) is x rounded to nearest-even binary16 (inf on overflow,
/// NaN stays NaN, subnormals kept).
struct half {
    std::uint16_t bits = 0;

    half() = default;
    /// Converts from float, rounding to nearest even.
    explicit half(float f) : bits(from_float(f)) {}
    explicit operator float() const { return to_float(bits); }

    static half from_bits(std::uint16_t b) {
        half h;
        h.bits = b;
        return h;
    }

    static std::uint16_t from_float(float f) {
        std::uint32_t x;
        std::memcpy(&x, &f, 4);
        const std::uint32_t sign = (x >> 16) & 0x8000u;
        const std::uint32_t absx = x & 0x7fffffffu;
        if (absx >= 0x7f800000u) {  // inf or nan
            return static_cast<std::uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
        }
        if (absx >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // rounds to inf
        if (absx < 0x38800000u) {  // subnormal half or zero
            if (absx < 0x33000000u) return static_cast<std::uint16_t>(sign);  // < half of min subnormal
            const std::uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
            const unsigned shift = 126u - (absx >> 23);  // half subnormal unit is 2^-24; 13 <= shift <= 24
            std::uint32_t r = mant >> shift;
            const std::uint32_t dropped = mant & ((1u << shift) - 1u);
            const std::uint32_t halfway = 1u << (shift - 1u);
            if (dropped > halfway || (dropped == halfway && (r & 1u))) ++r;
            return static_cast<std::uint16_t>(sign | r);
        }
        std::uint32_t r = ((absx - 0x38000000u) >> 13);  // rebias exponent 127 -> 15
        const std::uint32_t dropped = absx & 0x1fffu;
        if (dropped > 0x1000u || (dropped == 0x1000u && (r & 1u))) ++r;
        return static_cast<std::uint16_t>(sign | r);
    }

    static float to_float(std::uint16_t h) {
        const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
        std::uint32_t exp = (h >> 10) & 0x1fu;
        std::uint32_t mant = h & 0x3ffu;
        std::uint32_t x;
        if (exp == 0x1fu) {
            x = sign | 0x7f800000u | (mant << 13);
        } else if (exp != 0) {
            x = sign | ((exp + 112u) << 23) | (mant << 13);
        } else if (mant == 0) {
            x = sign;
        } else {  // subnormal: normalize
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while ((mant & 0x400u) == 0);
            x = sign | (static_cast<std::uint32_t>(112 - e) << 23) | ((mant & 0x3ffu) << 13);
        }
        float f;
        std::memcpy(&f, &x, 4);
        return f;
    }
};

}  // namespace moir

#endif  // MOIR_PRECISION_HALF_HPP
