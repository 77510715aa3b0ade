#ifndef MOIR_KERNELS_SIMD_BIAS_ACTIVATION_HPP
#define MOIR_KERNELS_SIMD_BIAS_ACTIVATION_HPP

// The fused epilogue as a pass over memory: y = act(y + bias) on a row of floats, for steps that
// cannot apply it while the values are in registers (a transposed convolution's col2im scatter).
// The same formulas as the GEMM epilogue (kernels/simd/epilogue.hpp).

#include <moir/kernels/simd/epilogue.hpp>
#include <moir/kernels/simd/vec.hpp>

#include <cstddef>  // size_t

namespace moir::kernels::simd {

/// y[i] = act(y[i] + bias) for i < n, act = e.act (with e.lo, e.hi for clamp; e.bias unused).
template <class Arch>
void bias_activation(float* y, std::size_t n, float bias, const epilogue& e) {
    using V = vec<Arch>;
    constexpr std::size_t W = V::width;
    with_activation(e.act, [&](auto act) {
        using Act = decltype(act);
        const auto b = V::set1(bias);
        std::size_t i = 0;
        for (; i + W <= n; i += W) V::store(y + i, activate<Act, V>(V::load(y + i) + b, e));
        if constexpr (W > 1) {
            if (i < n) V::store_partial(y + i, activate<Act, V>(V::load_partial(y + i, n - i) + b, e), n - i);
        }
    });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_BIAS_ACTIVATION_HPP
