#ifndef MOIR_KERNELS_SIMD_EPILOGUE_HPP
#define MOIR_KERNELS_SIMD_EPILOGUE_HPP

// The fused epilogue of the fast kernels: y = act(x + bias [+ residual]) [* post_scale + post_shift], applied to
// an output tile while it is still in registers. The optional scalar affine after the activation is
// PP-LCNetV3's "learnable affine block" (a Multiply and an Add of scalars after each activation).
// The activation is a template parameter of every kernel (one of the `act::` tags below);
// `activation` is its run-time spelling, turned into the tag once per kernel call by
// with_activation(). Formulas (OpenVINO's):
//
//   none      x                       relu      max(x, 0)
//   clamp     min(max(x, lo), hi)     hsigmoid  min(max(x + 3, 0), 6) / 6
//   hswish    x * hsigmoid(x)         sigmoid   1 / (1 + exp(-x))
//   swish     x * sigmoid(x)          (Swish with beta 1: SiLU)
//   leaky     max(x >= 0 ? x : lo * x, hi)   (LeakyRelu / PRelu with one slope, lo, or one per output
//                                             channel, epilogue::slope; hi: a following Maximum with a
//                                             scalar, or -inf)
//   scaled_hswish  (x * act_scale) * min(max(x + act_shift, lo), hi)
//             (TF's hard-swish as four element-wise ops, x * c * relu6(x + 3), with c not exactly 1/6:
//             the same float operations in the same order as those ops, so the fused result is
//             bit-identical to theirs, NaNs and signed zeros included, on the x86 and scalar arches)

#include <moir/kernels/simd/vec.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint8_t
#include <type_traits>  // is_same_v
#include <utility>      // forward

namespace moir::kernels::simd {

/// The run-time spelling of an activation.
enum class activation : std::uint8_t { none, relu, clamp, hswish, hsigmoid, sigmoid, swish, leaky, scaled_hswish };

/// What a kernel adds and applies to its output before storing it.
/// bias: nullptr, or one value per output row (GEMM row = conv output channel; see each kernel's
/// contract); col_bias: nullptr or one value per GEMM output column (MatMul + Add). lo, hi: clamp's range
/// (clamp, scaled_hswish); for leaky, the slope and the floor. act_scale, act_shift: scaled_hswish's
/// c and a.
struct epilogue {
    activation act = activation::none;
    const float* bias = nullptr;
    const float* col_bias = nullptr;
    float lo = 0.0f, hi = 0.0f;
    float act_scale = 1.0f, act_shift = 0.0f;
    /// After the activation: y = y * post_scale + post_shift, when post_affine.
    bool post_affine = false;
    float post_scale = 1.0f, post_shift = 0.0f;
    /// After that: y = y * col_scale[j] + col_shift[j] for GEMM output column j (a BatchNorm after a
    /// MatMul's activation: Kaldi's relu-batchnorm layers). nullptr: none (both set or neither; set
    /// only together with col_bias, whose offset locates a tile's columns). Only gemm_a's and gemm_b's
    /// tiles read it, and the MatMul step with constant weights alone sets it.
    const float* col_scale = nullptr;
    const float* col_shift = nullptr;
    /// A residual connection (an Add of another tensor of the output's layout), after the bias and
    /// before the activation: the output element a kernel stores at address p gets
    /// + residual[p - residual_origin]. nullptr: none. Only the GEMM-tile kernels (gemm_a, gemm_b,
    /// conv_columns, conv_rows) read it, and only when they store into the output itself.
    const float* residual = nullptr;
    const float* residual_origin = nullptr;
    /// leaky's slope per output row (PRelu with a slope per output channel), replacing lo: nullptr
    /// (lo for every row), or one value per row, indexed as bias is (set only together with bias,
    /// whose offset locates a tile's rows). col_slope: the same per GEMM output column, with
    /// col_bias. Read by store_tile (every FP32 GEMM-tile kernel) and the depthwise kernels (slope
    /// per channel); the steps that set them (steps/fusion.hpp: channel_slope_ok) run only those.
    const float* slope = nullptr;
    const float* col_slope = nullptr;

    /// This epilogue for the rows from `r` on (a block of output channels): bias and slope moved on
    /// together.
    epilogue rows_from(std::size_t r) const {
        epilogue o = *this;
        if (o.bias) o.bias += r;
        if (o.slope) o.slope += r;
        return o;
    }
    /// This epilogue for the GEMM columns from `c` on: col_bias, col_scale, col_shift and col_slope
    /// moved on together.
    epilogue columns_from(std::size_t c) const {
        epilogue o = *this;
        if (o.col_bias) o.col_bias += c;
        if (o.col_scale) o.col_scale += c, o.col_shift += c;
        if (o.col_slope) o.col_slope += c;
        return o;
    }
};

namespace act {
struct none {
    template <class V, class R>
    static R apply(const R& x, const epilogue&) { return x; }
};
struct relu {
    template <class V, class R>
    static R apply(const R& x, const epilogue&) { return V::max(x, V::zero()); }
};
struct clamp {
    template <class V, class R>
    static R apply(const R& x, const epilogue& e) { return V::min(V::max(x, V::set1(e.lo)), V::set1(e.hi)); }
};
struct hsigmoid {
    template <class V, class R>
    static R apply(const R& x, const epilogue&) {
        return V::min(V::max(x + V::set1(3.0f), V::zero()), V::set1(6.0f)) * V::set1(1.0f / 6.0f);
    }
};
struct hswish {
    template <class V, class R>
    static R apply(const R& x, const epilogue& e) { return x * hsigmoid::apply<V>(x, e); }
};
struct sigmoid {
    template <class V, class R>
    static R apply(const R& x, const epilogue&) {
        return V::set1(1.0f) / (V::set1(1.0f) + V::exp(V::zero() - x));
    }
};
struct swish {
    template <class V, class R>
    static R apply(const R& x, const epilogue&) { return x / (V::set1(1.0f) + V::exp(V::zero() - x)); }
};
struct leaky {
    template <class V, class R>
    static R apply(const R& x, const epilogue& e) { return with_slope<V>(x, V::set1(e.lo), e); }
    /// with the slope of each lane given (per-channel slopes)
    template <class V, class R>
    static R with_slope(const R& x, const R& slope, const epilogue& e) {
        return V::max(V::fma(V::min(x, V::zero()), slope, V::max(x, V::zero())), V::set1(e.hi));
    }
};
struct scaled_hswish {
    // max(lo, t) and min(hi, t) in this operand order are t < lo ? lo : t and hi < t ? hi : t (the x86
    // max/min instructions and the scalar arch's), which is std::min(std::max(t, lo), hi) exactly, as
    // the Clamp step computes it
    template <class V, class R>
    static R apply(const R& x, const epilogue& e) {
        const R t = V::min(V::set1(e.hi), V::max(V::set1(e.lo), x + V::set1(e.act_shift)));
        return (x * V::set1(e.act_scale)) * t;
    }
};
}  // namespace act

/// The activation Act of x, then e's post-activation affine: what every kernel applies last.
template <class Act, class V, class R>
R activate(const R& x, const epilogue& e) {
    const R y = Act::template apply<V>(x, e);
    return e.post_affine ? V::fma(y, V::set1(e.post_scale), V::set1(e.post_shift)) : y;
}

/// activate, with leaky's slope of each lane given (e.slope or e.col_slope's values; unused by the
/// other activations).
template <class Act, class V, class R>
R activate_sloped(const R& x, const epilogue& e, const R& slope) {
    if constexpr (std::is_same_v<Act, act::leaky>) {
        const R y = act::leaky::with_slope<V>(x, slope, e);
        return e.post_affine ? V::fma(y, V::set1(e.post_scale), V::set1(e.post_shift)) : y;
    } else {
        (void)slope;
        return activate<Act, V>(x, e);
    }
}

/// Calls f(act::<tag>{}) for the run-time activation a.
template <class F>
decltype(auto) with_activation(activation a, F&& f) {
    switch (a) {
        case activation::relu: return f(act::relu{});
        case activation::clamp: return f(act::clamp{});
        case activation::hswish: return f(act::hswish{});
        case activation::hsigmoid: return f(act::hsigmoid{});
        case activation::sigmoid: return f(act::sigmoid{});
        case activation::swish: return f(act::swish{});
        case activation::leaky: return f(act::leaky{});
        case activation::scaled_hswish: return f(act::scaled_hswish{});
        case activation::none: break;
    }
    return f(act::none{});
}

/// A kernel's default activation template argument: the activation is read from the epilogue at run
/// time (with_activation), so every activation is compiled in.
struct dynamic_activation {};

/// f(Static{}) when Static is an act:: tag (a caller that knows the activation when it is compiled,
/// e.g. a header written by `moir codegen`: only that activation's code is instantiated; `a` must
/// name it), else with_activation(a, f).
template <class Static, class F>
decltype(auto) with_activation_as(activation a, F&& f) {
    if constexpr (std::is_same_v<Static, dynamic_activation>) {
        return with_activation(a, std::forward<F>(f));
    } else {
        (void)a;
        return f(Static{});
    }
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_EPILOGUE_HPP
