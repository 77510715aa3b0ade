#ifndef MOIR_KERNELS_SIMD_UNARY_HPP
#define MOIR_KERNELS_SIMD_UNARY_HPP

// FP32 element-wise transcendental functions on the arch's vectors (xsimd's exp, log, sqrt, tanh,
// erf): Sigmoid, Tanh, Erf, Exp, Log, Sqrt and Gelu (erf or tanh form). Within a few ulp of the
// reference kernels, which compute each value in double; a loop of std:: calls (what the
// element-wise step ran) took 5 to 22 ns per float.

#include <moir/kernels/simd/vec.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // uint8_t

namespace moir::kernels::simd {

/// The functions unary_map computes.
enum class unary_fn : std::uint8_t { sigmoid, tanh, erf, exp, log, sqrt, gelu_erf, gelu_tanh };

namespace detail {
/// y[i] = f(x[i]) for i < n, whole vectors then one partial one.
template <class Arch, class F>
void map_floats(const float* x, float* y, std::size_t n, F f) {
    using V = vec<Arch>;
    constexpr std::size_t W = V::width;
    std::size_t i = 0;
    for (; i + W <= n; i += W) V::store(y + i, f(V::load(x + i)));
    if (i < n) V::store_partial(y + i, f(V::load_partial(x + i, n - i)), n - i);
}
}  // namespace detail

/// y[i] = fn(x[i]) for i < n. requires: x and y hold n floats (y may alias x exactly).
template <class Arch>
void unary_map(unary_fn fn, const float* x, float* y, std::size_t n) {
    using V = vec<Arch>;
    using R = typename V::reg;
    const R one = V::set1(1.0f), half = V::set1(0.5f);
    switch (fn) {
        case unary_fn::sigmoid:
            return detail::map_floats<Arch>(x, y, n, [&](const R& v) { return one / (one + V::exp(V::zero() - v)); });
        case unary_fn::tanh: return detail::map_floats<Arch>(x, y, n, [](const R& v) { return V::tanh(v); });
        case unary_fn::erf: return detail::map_floats<Arch>(x, y, n, [](const R& v) { return V::erf(v); });
        case unary_fn::exp: return detail::map_floats<Arch>(x, y, n, [](const R& v) { return V::exp(v); });
        case unary_fn::log: return detail::map_floats<Arch>(x, y, n, [](const R& v) { return V::log(v); });
        case unary_fn::sqrt: return detail::map_floats<Arch>(x, y, n, [](const R& v) { return V::sqrt(v); });
        case unary_fn::gelu_erf: {
            const R r = V::set1(0.70710678118654752f);  // 1 / sqrt(2)
            return detail::map_floats<Arch>(x, y, n, [&](const R& v) { return half * v * (one + V::erf(v * r)); });
        }
        case unary_fn::gelu_tanh: {
            const R k = V::set1(0.79788456080286536f), c = V::set1(0.044715f);  // sqrt(2 / pi)
            return detail::map_floats<Arch>(x, y, n, [&](const R& v) {
                return half * v * (one + V::tanh(k * V::fma(c * v * v, v, v)));
            });
        }
    }
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_UNARY_HPP
