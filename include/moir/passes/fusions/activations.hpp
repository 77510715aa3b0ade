#ifndef MOIR_PASSES_FUSIONS_ACTIVATIONS_HPP
#define MOIR_PASSES_FUSIONS_ACTIVATIONS_HPP

// Swish, Gelu (erf and tanh forms), SoftPlus and Mish recognised from their decomposed forms, as
// OpenVINO's swish_fusion, gelu_fusion, softplus_fusion and mish_fusion do. Constants match within
// 1e-6 relative; every intermediate must have a single consumer; floating types only.

#include <moir/ops/add.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/erf.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/gelu.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/mish.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/soft_plus.hpp>
#include <moir/ops/swish.hpp>
#include <moir/ops/tanh.hpp>
#include <moir/passes/fusions/common.hpp>
#include <moir/passes/fusions/hswish.hpp>  // fusion::replace_with_unary
#include <moir/passes/pass_concept.hpp>

#include <cmath>        // sqrt, acos
#include <optional>     // optional, nullopt
#include <string_view>  // string_view

namespace moir::passes {

namespace fusion {
/// The inputs (a, b) of r when r is output 0 of an Op node used once (or without the use check).
template <class Op>
bool binary_inputs(const model& m, output_ref r, output_ref& a, output_ref& b, bool need_single_use = true) {
    const node& n = m.nodes[r.node];
    if (!n.is<Op>() || r.port != 0 || n.inputs.size() != 2) return false;
    if (need_single_use && !single_use(m, r)) return false;
    a = n.inputs[0];
    b = n.inputs[1];
    return true;
}

/// The non-constant input of r when r is Multiply(v, c) (either order) used once with c near k.
inline std::optional<output_ref> times_const(const model& m, output_ref r, double k) {
    output_ref a, b;
    if (!binary_inputs<ops::multiply>(m, r, a, b)) return std::nullopt;
    if (const_near(m, b, k)) return a;
    if (const_near(m, a, k)) return b;
    return std::nullopt;
}

/// The non-constant input of r when r is Add(v, c) (either order) used once with c near k.
inline std::optional<output_ref> plus_const(const model& m, output_ref r, double k) {
    output_ref a, b;
    if (!binary_inputs<ops::add>(m, r, a, b)) return std::nullopt;
    if (const_near(m, b, k)) return a;
    if (const_near(m, a, k)) return b;
    return std::nullopt;
}

/// x when r is Divide(x, sqrt 2) or Multiply(x, 1/sqrt 2), used once.
inline std::optional<output_ref> over_sqrt2(const model& m, output_ref r) {
    output_ref a, b;
    if (binary_inputs<ops::divide>(m, r, a, b) && const_near(m, b, std::sqrt(2.0))) return a;
    return times_const(m, r, 1.0 / std::sqrt(2.0));
}

/// x when r is Erf(x / sqrt 2) used once (erf form) or Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)) used
/// once (tanh form, x^3 as Power(x, 3) or Multiply(Multiply(x, x), x)); sets `tanh` accordingly.
inline std::optional<output_ref> gelu_core(const model& m, output_ref r, bool& tanh) {
    const node& n = m.nodes[r.node];
    if (r.port != 0 || !single_use(m, r)) return std::nullopt;
    if (n.is<ops::erf>()) {
        tanh = false;
        return over_sqrt2(m, n.inputs[0]);
    }
    if (!n.is<ops::tanh>()) return std::nullopt;
    tanh = true;
    const auto inner = times_const(m, n.inputs[0], std::sqrt(2.0 / std::acos(-1.0)));  // x + 0.044715 x^3
    output_ref a, b;
    if (!inner || !binary_inputs<ops::add>(m, *inner, a, b)) return std::nullopt;
    for (int swap = 0; swap < 2; ++swap, std::swap(a, b)) {
        const auto cube = times_const(m, b, 0.044715);  // x^3
        if (!cube) continue;
        output_ref p, q;
        if (binary_inputs<ops::power>(m, *cube, p, q) && p == a && const_near(m, q, 3.0)) return a;
        if (binary_inputs<ops::multiply>(m, *cube, p, q)) {
            output_ref s, t;
            // (x * x) * x or x * (x * x)
            if (q == a && binary_inputs<ops::multiply>(m, p, s, t) && s == a && t == a) return a;
            if (p == a && binary_inputs<ops::multiply>(m, q, s, t) && s == a && t == a) return a;
        }
    }
    return std::nullopt;
}

/// x when r is Add(core(x), 1) used once; see gelu_core.
inline std::optional<output_ref> gelu_one_plus(const model& m, output_ref r, bool& tanh) {
    const auto c = plus_const(m, r, 1.0);
    if (!c) return std::nullopt;
    return gelu_core(m, *c, tanh);
}
}  // namespace fusion

/// Search pattern => Multiply(x, Sigmoid(x)) or Multiply(x, Sigmoid(Multiply(x, beta))), beta a
///                   single-valued constant, the Sigmoid (and its Multiply) used once
/// Rewrite        => Swish(x) or Swish(x, beta)
struct fuse_swish {
    static constexpr std::string_view name = "fuse_swish";
    using pattern = pat::commutative<ops::multiply, pat::any, pat::where<pat::op<ops::sigmoid, pat::any>, pat::single_use>>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 mul, 1 x, 2 sigmoid, 3 sigmoid input
        const output_ref x = r[1];
        if (!fusion::is_float_port(m, x) || !fusion::same_shape(m, r[0], x)) return false;
        if (r[3] == x) return fusion::replace_with_unary<ops::swish>(m, r[0], x);
        output_ref a, b;
        if (!fusion::binary_inputs<ops::multiply>(m, r[3], a, b)) return false;
        if (a != x) std::swap(a, b);
        const tensor* beta = fusion::const_value(m, b);
        if (a != x || !beta || beta->numel() != 1 || beta->type() != m.port(x).type) return false;
        const output_ref bc = fusion::add_const(m, beta->reshaped({}), m.nodes[b.node].name);
        const node_id y = fusion::add_inferred<ops::swish>(m, {}, {x, bc}, m.nodes[r.node(0)].name);
        fusion::replace_output(m, r[0], {y, 0});
        return true;
    }
};

/// Search pattern => 0.5 * x * (1 + Erf(x / sqrt 2)) in the orderings exporters write:
///                   Multiply(Multiply(x, 0.5), Add(Erf(.), 1)), Multiply(Multiply(x, Add(Erf(.), 1)), 0.5),
///                   Multiply(x, Multiply(Add(Erf(.), 1), 0.5)), Multiply(x, Add(Multiply(Erf(.), 0.5), 0.5)),
///                   x / sqrt 2 as Divide(x, sqrt 2) or Multiply(x, 1/sqrt 2); and the same with
///                   Tanh(sqrt(2/pi) * (x + 0.044715 * x^3)) in place of Erf(x / sqrt 2).
///                   Every intermediate used once.
/// Rewrite        => Gelu(x, ERF) or Gelu(x, TANH)
struct fuse_gelu {
    static constexpr std::string_view name = "fuse_gelu";
    using pattern = pat::op<ops::multiply, pat::any, pat::any>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 mul, 1 a, 2 b
        bool tanh = false;
        for (int swap = 0; swap < 2; ++swap) {
            const output_ref a = swap ? r[2] : r[1], b = swap ? r[1] : r[2];
            const auto found = [&](output_ref x) {
                return fusion::is_float_port(m, x) && fusion::same_shape(m, r[0], x) &&
                       replace(m, r[0], x, tanh);
            };
            // (x * 0.5) * (1 + core(x))
            if (const auto x = fusion::times_const(m, a, 0.5)) {
                const auto y = fusion::gelu_one_plus(m, b, tanh);
                if (y && *y == *x) return found(*x);
            }
            // (x * (1 + core(x))) * 0.5
            if (fusion::const_near(m, a, 0.5)) {
                output_ref p, q;
                if (fusion::binary_inputs<ops::multiply>(m, b, p, q))
                    for (int s = 0; s < 2; ++s, std::swap(p, q)) {
                        const auto y = fusion::gelu_one_plus(m, q, tanh);
                        if (y && *y == p) return found(p);
                    }
            }
            // x * ((1 + core(x)) * 0.5)
            if (const auto half = fusion::times_const(m, b, 0.5)) {
                const auto y = fusion::gelu_one_plus(m, *half, tanh);
                if (y && *y == a) return found(a);
            }
            // x * (core(x) * 0.5 + 0.5)
            if (const auto sum = fusion::plus_const(m, b, 0.5)) {
                if (const auto core = fusion::times_const(m, *sum, 0.5)) {
                    const auto y = fusion::gelu_core(m, *core, tanh);
                    if (y && *y == a) return found(a);
                }
            }
        }
        return false;
    }
    static bool replace(model& m, output_ref root, output_ref x, bool tanh) {
        ops::gelu::attrs a;
        a.approximation_mode = tanh ? ops::gelu_approximation::tanh : ops::gelu_approximation::erf;
        const node_id y = fusion::add_inferred<ops::gelu>(m, a, {x}, m.nodes[root.node].name);
        fusion::replace_output(m, root, {y, 0});
        return true;
    }
};

/// Search pattern => Log(Add(Exp(x), 1)), the Add and the Exp used once
/// Rewrite        => SoftPlus(x)
struct fuse_soft_plus {
    static constexpr std::string_view name = "fuse_soft_plus";
    using pattern = pat::op<ops::log, pat::where<pat::commutative<ops::add, pat::where<pat::op<ops::exp, pat::any>, pat::single_use>,
                                                                  pat::constant>,
                                                 pat::single_use>>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 log, 1 add, 2 exp, 3 x, 4 one
        if (!fusion::const_near(m, r[4], 1.0) || !fusion::same_shape(m, r[1], r[2])) return false;
        return fusion::replace_with_unary<ops::soft_plus>(m, r[0], r[3]);
    }
};

/// Search pattern => Multiply(x, Tanh(SoftPlus(x))), the Tanh and the SoftPlus used once
/// Rewrite        => Mish(x)
struct fuse_mish {
    static constexpr std::string_view name = "fuse_mish";
    using pattern = pat::commutative<ops::multiply, pat::any,
                                     pat::where<pat::op<ops::tanh, pat::where<pat::op<ops::soft_plus, pat::any>, pat::single_use>>,
                                                pat::single_use>>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 mul, 1 x, 2 tanh, 3 softplus, 4 softplus input
        if (r[1] != r[4]) return false;
        return fusion::replace_with_unary<ops::mish>(m, r[0], r[1]);
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_ACTIVATIONS_HPP
