#ifndef MOIR_RUNTIME_STEPS_ELTWISE_HPP
#define MOIR_RUNTIME_STEPS_ELTWISE_HPP

// The element-wise step family: FP32 unary activations and binary arithmetic on the arena, with
// no allocation and split across the workers. Each op's own scalar formula (Op::apply) is used, so
// results equal the reference kernels', except for Sigmoid, Tanh, Erf, Exp, Log, Sqrt and Gelu,
// which run on the arch's vector functions (kernels/simd/unary.hpp; within a few ulp). Binary ops take equal shapes, or one operand broadcast: it
// matches the output on one run of consecutive axes and is 1 (or absent) on every other axis (a
// per-channel [N, C, 1, 1] scale or bias, a LayerNorm's [C] gamma over [N, T, C], a [N, T, 1] mean,
// a scalar; PRelu's per-channel [C] slope); anything else is left to the reference family. Power by a constant scalar 2 is x * x
// (the correctly rounded square; glibc's powf is off by 1 ulp on about 0.04% of floats).
//
// Extending: add the op type to `unary_ops` or `binary_ops` (it needs `static T apply(T)` or
// `static T apply(T, T)`; an op whose formula takes attributes gets a `binary_formula`
// specialization, as Divide has).

#include <moir/core/type_list.hpp>
#include <moir/kernels/simd/table.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/abs.hpp>
#include <moir/ops/erf.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/floor.hpp>
#include <moir/ops/gelu.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/hard_sigmoid.hpp>
#include <moir/ops/hsigmoid.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/tanh.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max, min
#include <memory>     // unique_ptr, make_unique
#include <cstdint>    // int64_t, uint32_t
#include <cstring>    // memcpy
#include <string>     // string
#include <type_traits>  // is_same_v

namespace moir::runtime::steps {

using unary_ops = type_list<ops::relu, ops::hswish, ops::hsigmoid, ops::sigmoid, ops::tanh, ops::exp, ops::sqrt,
                            ops::log, ops::abs, ops::floor, ops::negative, ops::erf>;
using binary_ops = type_list<ops::add, ops::multiply, ops::subtract, ops::divide, ops::power, ops::maximum,
                             ops::minimum, ops::prelu>;

/// The f32 formula of a binary op: Op::apply(a, b).
template <class Op>
struct binary_formula {
    static float apply(float a, float b) { return Op::template apply<float>(a, b); }
};
/// Divide on floating types: a / b (its attribute only matters for integers).
template <>
struct binary_formula<ops::divide> {
    static float apply(float a, float b) { return a / b; }
};

/// PRelu: x for x >= 0, slope * x otherwise (the slope is the second operand, never swapped),
/// written as x times a factor picked by a bit mask (slope where x < 0, else 1: x * 1 is x exactly,
/// -0 and NaN included), which the compiler vectorizes. Written as a choice between x and slope * x
/// (or between two factors) the loop stayed scalar, with a branch that inputs of mixed signs
/// mispredict: MediaPipe's facemesh (a PRelu after each convolution) spent 0.57 ms on 16x96x96
/// floats, 0.08 when all were positive.
template <>
struct binary_formula<ops::prelu> {
    static float apply(float x, float slope) {
        const float one = 1.0f;
        std::uint32_t sb, ob;
        std::memcpy(&sb, &slope, sizeof sb);
        std::memcpy(&ob, &one, sizeof ob);
        const std::uint32_t mask = 0u - static_cast<std::uint32_t>(x < 0.0f);
        const std::uint32_t fb = (sb & mask) | (ob & ~mask);
        float factor;
        std::memcpy(&factor, &fb, sizeof factor);
        return x * factor;
    }
};

/// y = Op::apply(x).
template <class Op>
class unary_step final : public step {
public:
    std::size_t n = 0;
    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, n, chunk_elements, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t i = b; i < e; ++i) y[i] = Op::template apply<float>(x[i]);
        });
    }
};

/// y = fn(x) on the arch's vectors (kernels/simd/unary.hpp): Sigmoid, Tanh, Erf, Exp, Log, Sqrt, Gelu.
class unary_simd_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    kernels::simd::unary_fn fn = kernels::simd::unary_fn::exp;
    std::size_t n = 0;
    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        // a transcendental per float: worth splitting at an eighth of a streaming step's chunk
        ctx.pool->parallel_for(0, n, chunk_elements / 8, [&](std::size_t b, std::size_t e, std::size_t) {
            table->unary_map(fn, x + b, y + b, e - b);
        });
    }
};

/// The vector function of a unary op, if it has one (Sigmoid, Tanh, Erf, Exp, Log, Sqrt, Gelu).
inline bool unary_simd_fn(const node& nd, kernels::simd::unary_fn& fn) {
    using kernels::simd::unary_fn;
    if (nd.is<ops::sigmoid>()) fn = unary_fn::sigmoid;
    else if (nd.is<ops::tanh>()) fn = unary_fn::tanh;
    else if (nd.is<ops::erf>()) fn = unary_fn::erf;
    else if (nd.is<ops::exp>()) fn = unary_fn::exp;
    else if (nd.is<ops::log>()) fn = unary_fn::log;
    else if (nd.is<ops::sqrt>()) fn = unary_fn::sqrt;
    else if (nd.is<ops::gelu>())
        fn = nd.attrs_as<ops::gelu>().approximation_mode == ops::gelu_approximation::tanh ? unary_fn::gelu_tanh
                                                                                          : unary_fn::gelu_erf;
    else return false;
    return true;
}

/// Clamp and HardSigmoid: y = min(max(alpha * x + beta, lo), hi).
class affine_clamp_step final : public step {
public:
    std::size_t n = 0;
    float alpha = 1.0f, beta = 0.0f, lo = 0.0f, hi = 0.0f;
    bool affine = false;  // HardSigmoid: computed in double, as its reference kernel does
    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, n, chunk_elements, [&](std::size_t b, std::size_t e, std::size_t) {
            if (affine) {
                const double a = alpha, c = beta;
                for (std::size_t i = b; i < e; ++i)
                    y[i] = static_cast<float>(std::max(0.0, std::min(1.0, a * static_cast<double>(x[i]) + c)));
            } else {
                for (std::size_t i = b; i < e; ++i) y[i] = std::min(std::max(x[i], lo), hi);
            }
        });
    }
};

/// y = Op(a, b) with b (or a, when `swapped`) broadcast: index i reads small[(i / inner) % period]
/// (period 0: small[i / inner]; inner 0: equal shapes, small[i]).
template <class Op>
class binary_step final : public step {
public:
    std::size_t n = 0, inner = 1, period = 0;
    bool swapped = false;  // the small operand is input 0
    bool square = false;   // Power by a scalar 2, not swapped: x * x

    void run(const run_context& ctx) const override {
        const float* big = ctx.in_f32(reads[swapped ? 1 : 0]);
        const float* small = ctx.in_f32(reads[swapped ? 0 : 1]);
        float* y = ctx.out_f32(writes[0]);
        using F = binary_formula<Op>;
        ctx.pool->parallel_for(0, n, chunk_elements, [&](std::size_t b, std::size_t e, std::size_t) {
            if (square) {
                for (std::size_t i = b; i < e; ++i) y[i] = big[i] * big[i];
                return;
            }
            if (inner == 0) {
                for (std::size_t i = b; i < e; ++i) y[i] = F::apply(big[i], small[i]);
                return;
            }
            if (inner == 1 && period > 0) {  // small repeats along the last axes: rows of `period`
                for (std::size_t i = b; i < e;) {
                    const std::size_t row = i / period * period, row_end = std::min(e, row + period);
                    const float* s = small - row;
                    if (swapped)
                        for (; i < row_end; ++i) y[i] = F::apply(s[i], big[i]);
                    else
                        for (; i < row_end; ++i) y[i] = F::apply(big[i], s[i]);
                }
                return;
            }
            for (std::size_t i = b; i < e;) {
                const std::size_t run_end = std::min(e, (i / inner + 1) * inner);
                const std::size_t j = period ? (i / inner) % period : i / inner;
                const float s = small[j];
                if (swapped)
                    for (; i < run_end; ++i) y[i] = F::apply(s, big[i]);
                else
                    for (; i < run_end; ++i) y[i] = F::apply(big[i], s);
            }
        });
    }
};

/// The family (see the file comment).
struct eltwise {
    static constexpr std::string_view name = "eltwise";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || nd.outputs.size() != 1) return nullptr;
        const slot& y = b.slots[b.output_slot(id)];
        if (y.type != element_type::f32) return nullptr;
        for (std::size_t i = 0; i < nd.inputs.size(); ++i)
            if (b.slots[b.input_slot(id, i)].type != element_type::f32) return nullptr;
        std::unique_ptr<step> s;
        if (kernels::simd::unary_fn fn; nd.inputs.size() == 1 && unary_simd_fn(nd, fn)) {
            auto u = std::make_unique<unary_simd_step>();
            u->table = b.table, u->fn = fn, u->n = numel(y.dims);
            s = std::move(u);
        }
        for_each_type(unary_ops{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            if (s || !nd.is<Op>()) return;
            auto u = std::make_unique<unary_step<Op>>();
            u->n = numel(y.dims);
            s = std::move(u);
        });
        if (!s && (nd.is<ops::clamp>() || nd.is<ops::hard_sigmoid>())) {
            auto c = std::make_unique<affine_clamp_step>();
            c->n = numel(y.dims);
            if (nd.is<ops::clamp>()) {
                const auto& a = nd.attrs_as<ops::clamp>();
                c->lo = static_cast<float>(a.min), c->hi = static_cast<float>(a.max);
            } else {
                const tensor* alpha = b.constant_input(id, 1);
                const tensor* beta = b.constant_input(id, 2);
                if (!alpha || !beta || alpha->numel() != 1 || beta->numel() != 1) return nullptr;
                c->affine = true;
                c->alpha = alpha->at_as<float>(0), c->beta = beta->at_as<float>(0);
            }
            s = std::move(c);
        }
        if (!s) {
            for_each_type(binary_ops{}, [&](auto tag) {
                using Op = typename decltype(tag)::type;
                if (s || !nd.is<Op>()) return;
                const slot& a0 = b.slots[b.input_slot(id, 0)];
                const slot& a1 = b.slots[b.input_slot(id, 1)];
                auto bs = std::make_unique<binary_step<Op>>();
                bs->n = numel(y.dims);
                shape small1 = a1.dims;
                if constexpr (std::is_same_v<Op, ops::prelu>) {
                    // a per-channel slope [C] reads as [C, 1, ..., 1]; the data is never the broadcast one
                    if (ops::prelu::per_channel(partial_shape(a0.dims), partial_shape(a1.dims)))
                        small1.resize(a0.dims.size() - 1, 1);
                    if (a0.dims != y.dims) return;
                }
                if (a0.dims == y.dims && small1 == y.dims) {
                    bs->inner = 0;
                } else if (a0.dims == y.dims && repeats(small1, y.dims, bs->inner, bs->period)) {
                    bs->swapped = false;
                } else if (!std::is_same_v<Op, ops::prelu> && a1.dims == y.dims &&
                           repeats(a0.dims, y.dims, bs->inner, bs->period)) {
                    bs->swapped = true;
                } else {
                    return;
                }
                if constexpr (std::is_same_v<Op, ops::power>) {
                    const tensor* e = b.constant_input(id, 1);
                    bs->square = !bs->swapped && e && e->numel() == 1 && e->at_as<float>(0) == 2.0f;
                }
                s = std::move(bs);
            });
        }
        if (!s) return nullptr;
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = "eltwise";
        for (std::size_t i = 0; i < nd.inputs.size(); ++i) s->reads.push_back(b.input_slot(id, i));
        s->writes = {b.output_slot(id)};
        return s;
    }

    /// Whether `small` broadcast to `out` reads as small[(i / inner) % period] at output index i:
    /// its right-aligned dims equal out's on one run of axes [lo, hi) and are 1 elsewhere. inner =
    /// the product of out's dims after hi; period = the product over [lo, hi), or 0 when no axis
    /// before lo is above 1 (no wrap needed).
    static bool repeats(const shape& small, const shape& out, std::size_t& inner, std::size_t& period) {
        if (small.size() > out.size()) return false;
        const std::size_t lead = out.size() - small.size();
        auto dim = [&](std::size_t d) { return d < lead ? std::int64_t{1} : small[d - lead]; };
        std::size_t hi = out.size();
        while (hi > 0 && dim(hi - 1) == 1) --hi;
        std::size_t lo = hi;
        while (lo > 0 && dim(lo - 1) == out[lo - 1]) --lo;
        std::size_t outer = 1, mid = 1;
        for (std::size_t d = 0; d < lo; ++d) {
            if (dim(d) != 1) return false;
            outer *= static_cast<std::size_t>(out[d]);
        }
        for (std::size_t d = lo; d < hi; ++d) mid *= static_cast<std::size_t>(out[d]);
        inner = 1;
        for (std::size_t d = hi; d < out.size(); ++d) inner *= static_cast<std::size_t>(out[d]);
        period = outer > 1 ? mid : 0;
        return inner > 0 && mid > 0;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_ELTWISE_HPP
