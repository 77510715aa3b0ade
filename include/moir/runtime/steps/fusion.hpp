#ifndef MOIR_RUNTIME_STEPS_FUSION_HPP
#define MOIR_RUNTIME_STEPS_FUSION_HPP

// What the fast step families fuse after their main node: an Add of a constant bias that varies
// along one axis only (per output channel for a convolution, per column for a MatMul), then one
// activation (Relu, Clamp, HSwish, HSigmoid, Sigmoid, Swish with beta 1, PRelu with one slope (LeakyRelu),
// or, for a family whose kernels read kernels::simd::epilogue::slope (channel_slope_ok), a slope
// per channel along the bias's axis; then a Maximum with a scalar), then a Multiply and/or an Add of a scalar
// constant (PP-LCNetV3's learnable affine block; only after an activation, since before one the
// optimizer folds them into the weights); each fused node must be the only consumer of the one
// before. The result becomes the kernel's epilogue (kernels/simd/epilogue.hpp). A family whose
// kernel reads a residual (residual_ok) also takes, after the bias, an Add of another computed
// tensor of the output's shape (a residual connection: BlazeFace's conv -> Add(block input) -> Relu),
// when that tensor's producer comes before the node: the step then reads its slot as well.
// The activation may also be TF's hard-swish written as four element-wise ops whose constants are not
// exactly HSwish's (tfjs CenterNet's MobileNetV3: c = 0.1666259765625, so passes/fusions keep it apart):
// Multiply(x, scalar c) and Add(x, scalar a) both reading x (their only consumers), Clamp(lo, hi) after
// the Add, and a Multiply of the two; it becomes the scaled_hswish epilogue, which computes each element
// with the same float operations in the same order as those steps.

#include <moir/kernels/simd/epilogue.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/hsigmoid.hpp>
#include <moir/ops/swish.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/runtime/steps/step.hpp>

#include <limits>  // numeric_limits
#include <string>  // string
#include <vector>  // vector

namespace moir::runtime::steps {

/// A matched epilogue: the nodes it takes, the slot the fused step writes, the bias (one value per
/// channel, or empty) and the activation.
struct fused_epilogue {
    std::vector<node_id> nodes;
    std::size_t out_slot = no_slot;
    std::vector<float> bias;
    kernels::simd::activation act = kernels::simd::activation::none;
    float lo = 0.0f, hi = 0.0f;
    float act_scale = 1.0f, act_shift = 0.0f;  ///< scaled_hswish's c and a
    bool post_affine = false;  ///< after the activation: * post_scale + post_shift
    float post_scale = 1.0f, post_shift = 0.0f;
    /// after that, per channel: * col_scale[c] + col_shift[c] (empty: none; only with col_affine_ok,
    /// and then `bias` holds channels values too)
    std::vector<float> col_scale, col_shift;
    /// PRelu's slope per channel (leaky; empty: one slope, lo; only with channel_slope_ok, and then
    /// `bias` holds channels values too)
    std::vector<float> slope;
    std::string ops;  ///< "+Add+HSwish+Multiply+Add"
    std::size_t residual_slot = no_slot;  ///< the slot added before the activation (residual_ok), or none

    kernels::simd::epilogue kernel_epilogue(bool per_column) const {
        kernels::simd::epilogue e;
        e.act = act;
        e.lo = lo, e.hi = hi;
        e.act_scale = act_scale, e.act_shift = act_shift;
        e.post_affine = post_affine, e.post_scale = post_scale, e.post_shift = post_shift;
        (per_column ? e.col_bias : e.bias) = bias.empty() ? nullptr : bias.data();
        (per_column ? e.col_slope : e.slope) = slope.empty() ? nullptr : slope.data();
        if (per_column && !col_scale.empty()) e.col_scale = col_scale.data(), e.col_shift = col_shift.data();
        return e;
    }
    /// ep for one image of a batched step: with residual_slot, its tensor from `offset` floats on, added
    /// where the step writes y (residual_origin); otherwise ep unchanged.
    kernels::simd::epilogue for_image(kernels::simd::epilogue ep, const run_context& ctx, std::size_t offset,
                                      float* y) const {
        if (residual_slot != no_slot) {
            ep.residual = ctx.in_f32(residual_slot) + offset;
            ep.residual_origin = y;
        }
        return ep;
    }
    /// "+hswish" (nothing without an activation), "+hswish+affine" with the post-activation affine.
    std::string act_suffix() const {
        return act_name() + (post_affine ? "+affine" : "") + (col_scale.empty() ? "" : "+channel_affine");
    }
    /// "+hswish" (nothing without an activation).
    std::string act_name() const {
        switch (act) {
            case kernels::simd::activation::relu: return "+relu";
            case kernels::simd::activation::clamp: return "+clamp";
            case kernels::simd::activation::hswish: return "+hswish";
            case kernels::simd::activation::hsigmoid: return "+hsigmoid";
            case kernels::simd::activation::sigmoid: return "+sigmoid";
            case kernels::simd::activation::swish: return "+swish";
            case kernels::simd::activation::leaky: return slope.empty() ? "+leaky" : "+prelu";
            case kernels::simd::activation::scaled_hswish: return "+scaled_hswish";
            case kernels::simd::activation::none: break;
        }
        return {};
    }
};

/// Matches [Add(bias)] [activation [Multiply(scalar)] [Add(scalar)]] after output `out` (f32, shape
/// dims) of a node; `axis` is the axis the bias may vary along (its length = `channels`). Claims the
/// matched nodes. A residual's producer must come before node `step_at` in the plan's order (npos:
/// the node of `out`; a fused step made at an earlier node names that one). With col_affine_ok (a
/// step whose kernel applies kernel_epilogue(true)'s col_scale), an activation may be followed by
/// Multiply(v) [Add(u)] with constants that vary along `axis` only (a BatchNorm after the
/// activation), instead of the scalar affine. With channel_slope_ok (a step whose kernels read
/// kernel_epilogue's slope or col_slope: store_tile's and the depthwise kernels), the activation may
/// be a PRelu whose slope varies along `axis` only.
inline fused_epilogue match_epilogue(plan_builder& b, output_ref out, std::size_t axis, std::size_t channels,
                                     bool residual_ok = false, node_id step_at = plan_builder::npos,
                                     bool col_affine_ok = false, bool channel_slope_ok = false) {
    const node_id main = step_at == plan_builder::npos ? out.node : step_at;
    fused_epilogue f;
    f.out_slot = b.slot_of(out);
    const slot& o = b.slots[f.out_slot];
    if (o.type != element_type::f32) return f;
    const std::size_t rank = o.dims.size();
    // the constant operand of a binary node that reads `out` once, or nullptr
    auto constant_operand = [&](node_id id) -> const tensor* {
        const node& n = b.at(id);
        const std::size_t other = n.inputs[0] == out ? 1 : 0;
        return n.inputs[other] == out ? nullptr : b.constant_input(id, other);
    };
    // takes node id into the epilogue: its output is the new `out`
    auto absorb = [&](node_id id, const char* op) {
        f.nodes.push_back(id);
        f.ops += std::string("+") + op;
        out = output_ref{id, 0};
        f.out_slot = b.slot_of(out);
        b.claim(id);
    };
    // whether node id's output has out's shape, f32
    auto same = [&](node_id id) { return b.slots[b.output_slot(id)].dims == o.dims && b.slots[b.output_slot(id)].type == element_type::f32; };
    // the constant f32 operand of binary node id (of out's shape) as `channels` values, when it varies
    // along `axis` only (or is one value); else empty
    auto along_axis = [&](node_id id) -> std::vector<float> {
        const tensor* t = id == plan_builder::npos || !same(id) ? nullptr : constant_operand(id);
        if (!t || t->type() != element_type::f32 || t->rank() > rank) return {};
        const std::size_t lead = rank - t->rank();
        for (std::size_t d = 0; d < t->rank(); ++d) {
            const auto len = t->dims()[d];
            if (len != 1 && !(d + lead == axis && static_cast<std::size_t>(len) == channels)) return {};
        }
        const float* v = t->data<float>();
        std::vector<float> r(channels, v[0]);
        if (t->numel() == channels) r.assign(v, v + channels);
        return r;
    };
    // Add(x, bias) or Add(bias, x)
    if (const node_id add = b.single_consumer<ops::add>(out); add != plan_builder::npos) {
        if (auto bias = along_axis(add); !bias.empty()) {
            f.bias = std::move(bias);
            absorb(add, "Add");
        }
    }
    // Add(x, r) or Add(r, x): r computed earlier, of x's shape and type
    if (const node_id add = residual_ok ? b.single_consumer<ops::add>(out) : plan_builder::npos;
        add != plan_builder::npos) {
        const node& n = b.at(add);
        const output_ref r = n.inputs[0] == out ? n.inputs[1] : n.inputs[0];
        const std::size_t rs = b.slot_of(r);
        const slot& s = b.slots[rs];
        const bool earlier = b.made_before(r.node, main);
        if (!(n.inputs[0] == out && n.inputs[1] == out) && earlier && s.where != slot::kind::constant &&
            s.type == element_type::f32 && s.dims == o.dims && b.slots[b.output_slot(add)].dims == o.dims) {
            f.residual_slot = rs;
            absorb(add, "Add");
        }
    }
    using kernels::simd::activation;
    auto take = [&](node_id id, activation a, const char* op) {
        f.act = a;
        absorb(id, op);
    };
    // the f32 scalar operand of a binary node (either operand order), or nullptr
    auto scalar_operand = [&](node_id id) -> const float* {
        const tensor* t = id == plan_builder::npos || !same(id) ? nullptr : constant_operand(id);
        return t && t->type() == element_type::f32 && t->numel() == 1 && t->rank() <= rank ? t->data<float>() : nullptr;
    };
    if (node_id id = b.single_consumer<ops::relu>(out); id != plan_builder::npos && same(id)) {
        take(id, activation::relu, "Relu");
    } else if (id = b.single_consumer<ops::clamp>(out); id != plan_builder::npos && same(id)) {
        const auto& a = b.at(id).attrs_as<ops::clamp>();
        f.lo = static_cast<float>(a.min), f.hi = static_cast<float>(a.max);
        take(id, activation::clamp, "Clamp");
    } else if (id = b.single_consumer<ops::hswish>(out); id != plan_builder::npos && same(id)) {
        take(id, activation::hswish, "HSwish");
    } else if (id = b.single_consumer<ops::hsigmoid>(out); id != plan_builder::npos && same(id)) {
        take(id, activation::hsigmoid, "HSigmoid");
    } else if (id = b.single_consumer<ops::sigmoid>(out); id != plan_builder::npos && same(id)) {
        take(id, activation::sigmoid, "Sigmoid");
    } else if (id = b.single_consumer<ops::swish>(out); id != plan_builder::npos && same(id) && b.consumers(out)[0].second == 0) {
        // beta absent or a constant 1 (SiLU, as the frontends write x * sigmoid(x))
        const tensor* beta = b.at(id).inputs.size() > 1 ? b.constant_input(id, 1) : nullptr;
        if (b.at(id).inputs.size() == 1 || (beta && beta->numel() == 1 && beta->at_as<float>(0) == 1.0f))
            take(id, activation::swish, "Swish");
    } else if (id = b.single_consumer<ops::prelu>(out); id != plan_builder::npos && same(id) &&
               b.at(id).inputs[0] == out && b.at(id).inputs[1] != out) {
        // one slope for every element (LeakyRelu), or (channel_slope_ok) one per channel along `axis`,
        // then optionally Maximum(y, c) with a scalar c
        const tensor* slope = b.constant_input(id, 1);
        std::vector<float> slopes;
        if (channel_slope_ok && slope && slope->numel() != 1) {
            // PRelu's own per-channel form (1-D, the data's dim 1) is along axis 1 whatever numpy would say
            if (ops::prelu::per_channel(partial_shape(o.dims), partial_shape(slope->dims())))
                slopes = axis == 1 && slope->numel() == channels && slope->type() == element_type::f32
                             ? std::vector<float>(slope->data<float>(), slope->data<float>() + channels)
                             : std::vector<float>{};
            else
                slopes = along_axis(id);
        }
        if (slope && slope->type() == element_type::f32 && (slope->numel() == 1 || !slopes.empty())) {
            f.lo = slope->at_as<float>(0);
            f.hi = -std::numeric_limits<float>::infinity();
            if (!slopes.empty()) {
                f.slope = std::move(slopes);
                if (f.bias.empty()) f.bias.assign(channels, 0.0f);  // kernels locate a tile's rows by bias
            }
            take(id, activation::leaky, "PRelu");
            if (node_id m = b.single_consumer<ops::maximum>(out); const float* c = scalar_operand(m)) {
                f.hi = *c;
                absorb(m, "Maximum");
            }
        }
    } else if (const auto& cs = b.consumers(out); cs.size() == 2) {
        // TF's hard-swish apart: Multiply(x, c) and Add(x, a) -> Clamp(lo, hi), then Multiply of the two
        node_id mul = plan_builder::npos, add = plan_builder::npos;
        for (const auto& [c, port] : cs) {
            (void)port;
            if (b.claimed(c)) continue;
            if (b.at(c).is<ops::multiply>()) mul = c;
            else if (b.at(c).is<ops::add>()) add = c;
        }
        const float* scale = mul == plan_builder::npos ? nullptr : scalar_operand(mul);
        const float* shift = add == plan_builder::npos ? nullptr : scalar_operand(add);
        const node_id clamp = shift ? b.single_consumer<ops::clamp>(output_ref{add, 0}) : plan_builder::npos;
        const node_id last = clamp != plan_builder::npos && same(clamp)
                                 ? b.single_consumer<ops::multiply>(output_ref{clamp, 0})
                                 : plan_builder::npos;
        // (each of the two read once by `last`: its operands are they, in some order)
        if (scale && last != plan_builder::npos && same(last) &&
            b.single_consumer<ops::multiply>(output_ref{mul, 0}) == last) {
            const auto& a = b.at(clamp).attrs_as<ops::clamp>();
            f.lo = static_cast<float>(a.min), f.hi = static_cast<float>(a.max);
            f.act_scale = *scale, f.act_shift = *shift;
            f.act = activation::scaled_hswish;
            absorb(mul, "Multiply");
            absorb(add, "Add");
            absorb(clamp, "Clamp");
            absorb(last, "Multiply");
        }
    }
    // (no affine after scaled_hswish: its fma would not be bit-identical to the steps it replaces)
    if (f.act == activation::none || f.act == activation::scaled_hswish) return f;
    // [Multiply(scalar)] [Add(scalar)], either operand order
    if (node_id id = b.single_consumer<ops::multiply>(out); const float* v = scalar_operand(id)) {
        f.post_affine = true;
        f.post_scale = *v;
        absorb(id, "Multiply");
    }
    if (node_id id = b.single_consumer<ops::add>(out); const float* v = scalar_operand(id)) {
        f.post_affine = true;
        f.post_shift = *v;
        absorb(id, "Add");
    }
    if (!col_affine_ok || f.post_affine) return f;
    // Multiply(v) [Add(u)], v and u constants of `channels` values along `axis` (or of one value)
    if (node_id id = b.single_consumer<ops::multiply>(out); id != plan_builder::npos) {
        auto scale = along_axis(id);
        if (scale.empty()) return f;
        f.col_scale = std::move(scale);
        f.col_shift.assign(channels, 0.0f);
        absorb(id, "Multiply");
        if (node_id add = b.single_consumer<ops::add>(out); add != plan_builder::npos) {
            auto shift = along_axis(add);
            if (!shift.empty()) {
                f.col_shift = std::move(shift);
                absorb(add, "Add");
            }
        }
        if (f.bias.empty()) f.bias.assign(channels, 0.0f);  // kernels locate a tile's columns by col_bias
    }
    return f;
}

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_FUSION_HPP
