#ifndef MOIR_FRONTENDS_TFLITE_OPS_ELEMENTWISE_HPP
#define MOIR_FRONTENDS_TFLITE_OPS_ELEMENTWISE_HPP

// TFLite element-wise ops -> moir ops: ADD, SUB, MUL, DIV (with their fused activations), MAXIMUM,
// MINIMUM, SQUARED_DIFFERENCE, POW; RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU, PRELU, LOGISTIC, TANH,
// HARD_SWISH, ELU, GELU, EXP, LOG, SQRT, RSQRT, ABS, NEG. They run in NCHW when every computed
// input has an NCHW twin (constants are permuted to match), so they do not break a chain of
// convolutions with Transposes.

#include <moir/frontends/tflite/converter.hpp>
#include <moir/ops/abs.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/elu.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/gelu.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/squared_difference.hpp>
#include <moir/ops/subtract.hpp>

#include <cstdint>  // int32_t, int64_t
#include <string>   // string
#include <vector>   // vector

namespace moir::tflite {

namespace detail {

/// Builtin codes of the element-wise family.
enum : std::int32_t {
    op_add = 0, op_logistic = 14, op_mul = 18, op_relu = 19, op_relu_n1_to_1 = 20, op_relu6 = 21, op_tanh = 28,
    op_sub = 41, op_div = 42, op_exp = 47, op_prelu = 54, op_maximum = 55, op_minimum = 57, op_neg = 59,
    op_log = 73, op_sqrt = 75, op_rsqrt = 76, op_pow = 78, op_leaky_relu = 98, op_squared_difference = 99,
    op_abs = 101, op_elu = 111, op_hard_swish = 117, op_gelu = 150
};

/// Whether every input is either an NCHW-twinned rank-4 value or a constant broadcastable to rank 4,
/// with at least one twinned input.
inline bool nchw_able(context& c) {
    bool any = false;
    for (std::size_t i = 0; i < c.input_count(); ++i) {
        if (!c.has_input(i)) return false;  // the file-layout path reports the missing input
        if (c.has_nchw(i)) {
            any = true;
            continue;
        }
        const auto f = c.const_input(i);
        if (!f || f->value.rank() > 4) return false;
    }
    return any && c.output_tensor(0).shape.size() == 4;
}

/// Input i in NCHW: its twin, or a constant expanded to rank 4 and permuted.
inline output_ref nchw_operand(context& c, std::size_t i) {
    if (c.has_nchw(i)) return c.input_nchw(i);
    const folded f = c.require_const(i, "the operand");
    shape d = f.value.dims();
    while (d.size() < 4) d.insert(d.begin(), 1);
    return c.make_const(f.mapped([&](const tensor& t) { return permuted(t.reshaped(d), to_nchw_perm); }),
                        "/" + std::to_string(i) + "/nchw");
}

/// Converts an element-wise op of n inputs with `build(inputs) -> output`, in NCHW when it can.
template <class Build>
void elementwise(context& c, Build build) {
    std::vector<output_ref> in;
    if (nchw_able(c)) {
        for (std::size_t i = 0; i < c.input_count(); ++i) in.push_back(nchw_operand(c, i));
        c.set_output_nchw(0, build(in));
    } else {
        for (std::size_t i = 0; i < c.input_count(); ++i) in.push_back(c.input(i));
        c.set_output(0, build(in));
    }
}

template <class Op>
converter binary(bool fused) {
    return [fused](context& c) {
        MOIR_CHECK(c.input_count() == 2, parse_error, "expects 2 inputs");
        const activation act = fused ? fused_activation(c.op()) : activation::none;
        elementwise(c, [&](const std::vector<output_ref>& in) {
            const output_ref y = c.add<Op>({}, {in[0], in[1]}, act == activation::none ? "" : "/op");
            return c.activate(y, act, "");
        });
    };
}

template <class Op>
converter unary() {
    return [](context& c) {
        elementwise(c, [&](const std::vector<output_ref>& in) { return c.add<Op>({}, {in[0]}); });
    };
}

inline void clamp_op(context& c, double lo, double hi) {
    elementwise(c, [&](const std::vector<output_ref>& in) { return c.add<moir::ops::clamp>({lo, hi}, {in[0]}); });
}

inline output_ref scalar_like(context& c, float v, const std::string& suffix) {
    return c.constant(tensor::from_vector(std::vector<float>{v}, shape{1}), suffix);
}

}  // namespace detail

/// Registers the element-wise family.
template <class = void>  // compiled only where a table is built
void register_elementwise(op_table& t) {
    using namespace detail;
    t.add(op_add, binary<moir::ops::add>(true));
    t.add(op_sub, binary<moir::ops::subtract>(true));
    t.add(op_mul, binary<moir::ops::multiply>(true));
    t.add(op_div, binary<moir::ops::divide>(true));
    t.add(op_maximum, binary<moir::ops::maximum>(false));
    t.add(op_minimum, binary<moir::ops::minimum>(false));
    t.add(op_squared_difference, binary<moir::ops::squared_difference>(false));
    t.add(op_pow, binary<moir::ops::power>(false));
    t.add(op_relu, unary<moir::ops::relu>());
    t.add(op_relu6, [](context& c) { clamp_op(c, 0.0, 6.0); });
    t.add(op_relu_n1_to_1, [](context& c) { clamp_op(c, -1.0, 1.0); });
    t.add(op_logistic, unary<moir::ops::sigmoid>());
    t.add(op_tanh, unary<moir::ops::tanh>());
    t.add(op_hard_swish, unary<moir::ops::hswish>());
    t.add(op_exp, unary<moir::ops::exp>());
    t.add(op_log, unary<moir::ops::log>());
    t.add(op_sqrt, unary<moir::ops::sqrt>());
    t.add(op_abs, unary<moir::ops::abs>());
    t.add(op_neg, unary<moir::ops::negative>());
    t.add(op_rsqrt, [](context& c) {
        elementwise(c, [&](const std::vector<output_ref>& in) {
            const output_ref s = c.add<moir::ops::sqrt>({}, {in[0]}, "/sqrt");
            return c.add<moir::ops::divide>({}, {scalar_like(c, 1.0f, "/one"), s});
        });
    });
    t.add(op_elu, [](context& c) {
        elementwise(c, [&](const std::vector<output_ref>& in) { return c.add<moir::ops::elu>({1.0}, {in[0]}); });
    });
    t.add(op_gelu, [](context& c) {
        moir::ops::gelu::attrs a;
        if (option<bool>(c.op(), 0, false)) a.approximation_mode = moir::ops::gelu_approximation::tanh;
        elementwise(c, [&](const std::vector<output_ref>& in) { return c.add<moir::ops::gelu>(a, {in[0]}); });
    });
    // LEAKY_RELU: x for x > 0, alpha * x otherwise: a PRelu with a scalar slope.
    t.add(op_leaky_relu, [](context& c) {
        const float alpha = option<float>(c.op(), 0, 0.2f);
        elementwise(c, [&](const std::vector<output_ref>& in) {
            return c.add<moir::ops::prelu>({}, {in[0], scalar_like(c, alpha, "/alpha")});
        });
    });
    // PRELU: the slope (alpha) broadcasts NHWC-wise; in NCHW a per-channel slope becomes [C] (axis 1).
    t.add(op_prelu, [](context& c) {
        const auto alpha = c.const_input(1);
        if (alpha && c.has_nchw(0) && c.output_tensor(0).shape.size() == 4) {
            const auto& d = alpha->value.dims();
            std::int64_t ch = d.empty() ? 1 : d.back();
            bool per_channel = true;
            for (std::size_t i = 0; i + 1 < d.size(); ++i) per_channel = per_channel && d[i] == 1;
            if (per_channel) {
                const folded f = alpha->mapped([&](const tensor& t) { return t.reshaped(shape{ch}); });
                c.set_output_nchw(0, c.add<moir::ops::prelu>({}, {c.input_nchw(0), c.make_const(f, "/slope")}));
                return;
            }
        }
        elementwise(c, [&](const std::vector<output_ref>& in) { return c.add<moir::ops::prelu>({}, {in[0], in[1]}); });
    });
}

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_OPS_ELEMENTWISE_HPP
