#ifndef MOIR_PASSES_FUSIONS_HSWISH_HPP
#define MOIR_PASSES_FUSIONS_HSWISH_HPP

// HSwish and HSigmoid recognised from their decomposed forms, as OpenVINO's hswish_fusion and
// hsigmoid_fusion do. "relu6(x + 3)" below is either Clamp(Add(x, 3), 0, 6) (what ONNX Clip(0, 6)
// becomes) or Minimum(Relu(Add(x, 3)), 6); "/ 6" is Divide(., 6) or Multiply(., 1/6). Constants
// match within 1e-6 relative; every intermediate must have a single consumer; floating types only.

#include <moir/ops/add.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/hard_sigmoid.hpp>
#include <moir/ops/hsigmoid.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/relu.hpp>
#include <moir/passes/fusions/common.hpp>
#include <moir/passes/pass_concept.hpp>

#include <optional>     // optional, nullopt
#include <string_view>  // string_view

namespace moir::passes {

namespace fusion {
/// x when r is Add(x, 3) (either order) used once.
inline std::optional<output_ref> plus_3_input(const model& m, output_ref r) {
    const node& n = m.nodes[r.node];
    if (!n.is<ops::add>() || r.port != 0 || !single_use(m, r)) return std::nullopt;
    for (std::size_t i = 0; i < 2; ++i)
        if (const_near(m, n.inputs[1 - i], 3.0)) return n.inputs[i];
    return std::nullopt;
}

/// x when r is relu6(x + 3) used once: Clamp(Add(x, 3), 0, 6) or Minimum(Relu(Add(x, 3)), 6).
inline std::optional<output_ref> relu6_plus_3_input(const model& m, output_ref r) {
    const node& n = m.nodes[r.node];
    if (r.port != 0 || !single_use(m, r)) return std::nullopt;
    if (n.is<ops::clamp>()) {
        const auto& a = n.attrs_as<ops::clamp>();
        if (!near_value(a.min, 0.0) || !near_value(a.max, 6.0)) return std::nullopt;
        return plus_3_input(m, n.inputs[0]);
    }
    if (n.is<ops::minimum>()) {
        for (std::size_t i = 0; i < 2; ++i) {
            const output_ref relu = n.inputs[i];
            if (!const_near(m, n.inputs[1 - i], 6.0)) continue;
            if (!m.nodes[relu.node].is<ops::relu>() || relu.port != 0 || !single_use(m, relu)) continue;
            return plus_3_input(m, m.nodes[relu.node].inputs[0]);
        }
    }
    return std::nullopt;
}

/// The non-constant input of r when r is "v / 6" (Divide(v, 6) or Multiply(v, 1/6), either order).
inline std::optional<output_ref> div_6_input(const model& m, output_ref r) {
    const node& n = m.nodes[r.node];
    if (r.port != 0) return std::nullopt;
    if (n.is<ops::divide>() && const_near(m, n.inputs[1], 6.0)) return n.inputs[0];
    if (n.is<ops::multiply>())
        for (std::size_t i = 0; i < 2; ++i)
            if (const_near(m, n.inputs[1 - i], 1.0 / 6.0)) return n.inputs[i];
    return std::nullopt;
}

/// Replaces root with Op(x) when x is floating-point and has root's type and shape.
template <class Op>
bool replace_with_unary(model& m, output_ref root, output_ref x) {
    if (!is_float_port(m, x) || !is_float_port(m, root) || !same_shape(m, root, x) ||
        m.port(root).type != m.port(x).type)
        return false;
    const node_id y = add_inferred<Op>(m, {}, {x}, m.nodes[root.node].name);
    replace_output(m, root, {y, 0});
    return true;
}
}  // namespace fusion

/// Search pattern => Divide(Multiply(x, relu6(x + 3)), 6) or Multiply(Multiply(x, relu6(x + 3)), 1/6),
///                   the inner Multiply (and relu6, and x + 3) used once; or Multiply(x / 6, relu6(x + 3))
///                   (TensorFlow's MobileNetV3 hard_swish), x / 6 used once
/// Rewrite        => HSwish(x)
struct fuse_hswish {
    static constexpr std::string_view name = "fuse_hswish";
    using pattern = pat::any;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        const auto prod = fusion::div_6_input(m, r[0]);
        if (!prod) {
            const node& n = m.nodes[r[0].node];
            if (!n.is<ops::multiply>() || r[0].port != 0) return false;
            for (std::size_t i = 0; i < 2; ++i) {
                const auto x = fusion::div_6_input(m, n.inputs[i]);
                if (!x || !fusion::single_use(m, n.inputs[i])) continue;
                const auto inner = fusion::relu6_plus_3_input(m, n.inputs[1 - i]);
                if (inner && *inner == *x) return fusion::replace_with_unary<ops::hswish>(m, r[0], *x);
            }
            return false;
        }
        const node& mul = m.nodes[prod->node];
        if (!mul.is<ops::multiply>() || prod->port != 0 || !fusion::single_use(m, *prod)) return false;
        for (std::size_t i = 0; i < 2; ++i) {
            const output_ref x = mul.inputs[i];
            const auto inner = fusion::relu6_plus_3_input(m, mul.inputs[1 - i]);
            if (inner && *inner == x) return fusion::replace_with_unary<ops::hswish>(m, r[0], x);
        }
        return false;
    }
};

/// Search pattern => Divide(relu6(x + 3), 6) or Multiply(relu6(x + 3), 1/6), relu6 and x + 3 used once
/// Rewrite        => HSigmoid(x)
struct fuse_hsigmoid {
    static constexpr std::string_view name = "fuse_hsigmoid";
    using pattern = pat::any;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        const auto v = fusion::div_6_input(m, r[0]);
        if (!v) return false;
        const auto x = fusion::relu6_plus_3_input(m, *v);
        return x && fusion::replace_with_unary<ops::hsigmoid>(m, r[0], *x);
    }
};

/// Search pattern => HardSigmoid(x, alpha = 1/6, beta = 0.5) (ONNX HardSigmoid, PaddlePaddle hardsigmoid)
/// Rewrite        => HSigmoid(x)
struct fuse_hard_sigmoid_to_hsigmoid {
    static constexpr std::string_view name = "fuse_hard_sigmoid_to_hsigmoid";
    using pattern = pat::op<ops::hard_sigmoid, pat::any, pat::constant, pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        if (!fusion::const_near(m, r[2], 1.0 / 6.0) || !fusion::const_near(m, r[3], 0.5)) return false;
        return fusion::replace_with_unary<ops::hsigmoid>(m, r[0], r[1]);
    }
};

/// Search pattern => Multiply(x, HSigmoid(x)), the HSigmoid used once
/// Rewrite        => HSwish(x)
struct fuse_hsigmoid_mul_to_hswish {
    static constexpr std::string_view name = "fuse_hsigmoid_mul_to_hswish";
    using pattern = pat::commutative<ops::multiply, pat::any, pat::where<pat::op<ops::hsigmoid, pat::any>, pat::single_use>>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 mul, 1 x, 2 hsigmoid, 3 its input
        if (r[1] != r[3]) return false;
        return fusion::replace_with_unary<ops::hswish>(m, r[0], r[1]);
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_HSWISH_HPP
