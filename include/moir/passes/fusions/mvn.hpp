#ifndef MOIR_PASSES_FUSIONS_MVN_HPP
#define MOIR_PASSES_FUSIONS_MVN_HPP

// Mean-variance normalization recognised from its decomposed form, as OpenVINO's MVNFusion does:
// the LayerNorm that PaddlePaddle, PyTorch before opset 17 and Keras export as nine element-wise and
// reduction nodes becomes one MVN (runtime/steps/mvn.hpp runs it, with the Multiply and Add of the
// LayerNorm's scale and shift, as one step). Floating types only; both means keep their dims and
// reduce the same constant axes; the chain from the second mean to the root used once.

#include <moir/ops/add.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/mvn.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/passes/fusions/common.hpp>
#include <moir/passes/pass_concept.hpp>

#include <algorithm>    // sort
#include <cstdint>      // int64_t
#include <optional>     // optional, nullopt
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

namespace fusion {
/// A ReduceMean's input and its axes (normalized, sorted).
struct mean_of {
    output_ref x;
    std::vector<std::int64_t> axes;
};

/// What r means when r is ReduceMean(x, constant non-empty axes, keep_dims) of a statically ranked x.
inline std::optional<mean_of> reduce_mean_input(const model& m, output_ref r) {
    const node& n = m.nodes[r.node];
    if (!n.is<ops::reduce_mean>() || r.port != 0 || !n.attrs_as<ops::reduce_mean>().keep_dims) return std::nullopt;
    const tensor* axes = const_value(m, n.inputs[1]);
    const partial_shape& s = m.port(n.inputs[0]).shape;
    if (!axes || axes->numel() == 0 || !is_integer(axes->type()) || s.rank_dynamic) return std::nullopt;
    mean_of out{n.inputs[0], {}};
    for (std::size_t i = 0; i < axes->numel(); ++i) {
        const auto a = axes->at_as<std::int64_t>(i);
        const auto rank = static_cast<std::int64_t>(s.rank());
        if (a < -rank || a >= rank) return std::nullopt;
        out.axes.push_back(a < 0 ? a + rank : a);
    }
    std::sort(out.axes.begin(), out.axes.end());
    return out;
}

/// The value every element of constant r holds (r a non-empty floating-point constant whose
/// elements are all equal), else nullopt.
inline std::optional<double> const_uniform(const model& m, output_ref r) {
    const tensor* t = const_value(m, r);
    if (!t || t->numel() == 0 || !is_float(t->type())) return std::nullopt;
    const double v = t->at_as<double>(0);
    for (std::size_t i = 1; i < t->numel(); ++i)
        if (t->at_as<double>(i) != v) return std::nullopt;
    return v;
}

/// The other input of binary node n when one of its inputs is a uniform constant equal to `v`
/// (within 1e-6 relative), else nullopt. commutative: either order; else the constant second.
inline std::optional<output_ref> other_of_const(const model& m, const node& n, double v, bool commutative) {
    for (std::size_t i = commutative ? 0 : 1; i < 2; ++i) {
        const auto c = const_uniform(m, n.inputs[i]);
        if (c && near_value(*c, v)) return n.inputs[1 - i];
    }
    return std::nullopt;
}

/// d when r (used once) is d * d or Power(d, 2).
inline std::optional<output_ref> square_input(const model& m, output_ref r) {
    const node& n = m.nodes[r.node];
    if (r.port != 0 || !single_use(m, r)) return std::nullopt;
    if (n.is<ops::multiply>() && n.inputs[0] == n.inputs[1]) return n.inputs[0];
    if (n.is<ops::power>()) return other_of_const(m, n, 2.0, false);
    return std::nullopt;
}

/// The variance term under the root: r (used once) is ReduceMean(square(d)); the mean's input and axes.
inline std::optional<std::pair<output_ref, mean_of>> variance_of(const model& m, output_ref r) {
    if (!single_use(m, r)) return std::nullopt;
    const auto mean = reduce_mean_input(m, r);
    if (!mean) return std::nullopt;
    const auto d = square_input(m, mean->x);
    if (!d) return std::nullopt;
    return std::make_pair(*d, *mean);
}

/// A recognised denominator: the centred input d, the axes, eps and where it goes.
struct mvn_parts {
    output_ref d;
    std::vector<std::int64_t> axes;
    float eps = 0.0f;
    ops::mvn_eps_mode mode = ops::mvn_eps_mode::inside_sqrt;
};

/// v + eps (used once, eps a uniform constant >= 0): v and eps; v alone (eps 0) when r is not an Add.
inline std::pair<output_ref, double> plus_eps(const model& m, output_ref r) {
    const node& n = m.nodes[r.node];
    if (n.is<ops::add>() && r.port == 0 && single_use(m, r))
        for (std::size_t i = 0; i < 2; ++i) {
            const auto c = const_uniform(m, n.inputs[i]);
            if (c && *c >= 0.0) return {n.inputs[1 - i], *c};
        }
    return {r, 0.0};
}

/// When r (used once) is sqrt(var + eps) (Sqrt or Power 0.5) or sqrt(var) + eps: its parts (d unset
/// until the caller checks it), else nullopt.
inline std::optional<mvn_parts> root_of_variance(const model& m, output_ref r, double power) {
    if (r.port != 0 || !single_use(m, r)) return std::nullopt;
    const node& n = m.nodes[r.node];
    auto from = [&](output_ref under, double eps, ops::mvn_eps_mode mode) -> std::optional<mvn_parts> {
        const auto v = variance_of(m, under);
        if (!v) return std::nullopt;
        return mvn_parts{v->first, v->second.axes, static_cast<float>(eps), mode};
    };
    if (power == 0.5 && n.is<ops::sqrt>()) {
        const auto [v, eps] = plus_eps(m, n.inputs[0]);
        return from(v, eps, ops::mvn_eps_mode::inside_sqrt);
    }
    if (n.is<ops::power>()) {
        const auto base = other_of_const(m, n, power, false);
        if (!base) return std::nullopt;
        const auto [v, eps] = plus_eps(m, *base);
        return from(v, eps, ops::mvn_eps_mode::inside_sqrt);
    }
    if (power == 0.5 && n.is<ops::add>()) {  // sqrt(var) + eps
        const auto [s, eps] = plus_eps(m, r);
        if (s == r || eps == 0.0 || !m.nodes[s.node].is<ops::sqrt>() || s.port != 0 || !single_use(m, s))
            return std::nullopt;
        return from(m.nodes[s.node].inputs[0], eps, ops::mvn_eps_mode::outside_sqrt);
    }
    return std::nullopt;
}
}  // namespace fusion

/// Search pattern => Divide(d, sqrt(ReduceMean(d^2, A) + eps)), Divide(d, sqrt(ReduceMean(d^2, A)) + eps)
///                   or Multiply(d, Power(ReduceMean(d^2, A) + eps, -0.5)), where d = Subtract(x,
///                   ReduceMean(x, A)), sqrt is Sqrt or Power(., 0.5), d^2 is Power(d, 2) or d * d,
///                   both means keep dims over the same constant axes A, eps a uniform constant >= 0
///                   (or absent: 0); every node from d^2 to the root used once
/// Rewrite        => MVN(x, A, normalize_variance, eps, inside_sqrt or outside_sqrt)
struct fuse_mvn {
    static constexpr std::string_view name = "fuse_mvn";
    using pattern = pat::any;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        const output_ref root = r[0];
        const node& n = m.nodes[root.node];
        if (root.port != 0) return false;
        std::optional<fusion::mvn_parts> parts;
        output_ref d;
        if (n.is<ops::divide>()) {
            d = n.inputs[0];
            parts = fusion::root_of_variance(m, n.inputs[1], 0.5);
        } else if (n.is<ops::multiply>()) {
            for (std::size_t i = 0; i < 2 && !parts; ++i) {
                d = n.inputs[i];
                parts = fusion::root_of_variance(m, n.inputs[1 - i], -0.5);
            }
        }
        if (!parts || !(parts->d == d)) return false;
        const node& sub = m.nodes[d.node];
        if (!sub.is<ops::subtract>() || d.port != 0) return false;
        const auto mean = fusion::reduce_mean_input(m, sub.inputs[1]);
        if (!mean || !(mean->x == sub.inputs[0]) || mean->axes != parts->axes) return false;
        const output_ref x = sub.inputs[0];
        if (!fusion::is_float_port(m, x) || !fusion::is_float_port(m, root) || !fusion::same_shape(m, root, x) ||
            m.port(root).type != m.port(x).type)
            return false;
        const output_ref axes = fusion::add_const(m, tensor::from_vector(parts->axes), n.name + "/mvn_axes");
        const node_id y = fusion::add_inferred<ops::mvn>(m, {true, parts->eps, parts->mode}, {x, axes}, n.name);
        fusion::replace_output(m, root, {y, 0});
        return true;
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_MVN_HPP
