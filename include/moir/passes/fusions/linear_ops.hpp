#ifndef MOIR_PASSES_FUSIONS_LINEAR_OPS_HPP
#define MOIR_PASSES_FUSIONS_LINEAR_OPS_HPP

// Chains of element-wise linear ops by constants, as OpenVINO's LinOpSequenceFusion and the
// Subtract/Divide canonicalisation do: Subtract and Divide by a constant become Add and Multiply,
// consecutive Adds and consecutive Multiplies merge, and a Multiply moves in front of an Add, so
// that what is left is one Multiply then one Add, ready for the convolution and MatMul fusions.
// Constants are folded on the spot (in double, stored in the data's type). Floating types only;
// a rewrite never changes the shape of the value it replaces (no constant may widen it).

#include <moir/ops/add.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/passes/fusions/common.hpp>
#include <moir/passes/pass_concept.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>

#include <string_view>  // string_view

namespace moir::passes {

namespace fusion {
/// Adds Op(x, c) named like root and redirects root's consumers to it, when its shape is root's.
template <class Op>
bool replace_with_binary(model& m, output_ref root, output_ref x, tensor c, const std::string& const_name) {
    const auto s = try_broadcast(m.port(x).shape, partial_shape(c.dims()));
    if (!s || *s != m.port(root).shape) return false;
    const output_ref cn = add_const(m, std::move(c), const_name);
    const node_id y = add_inferred<Op>(m, {}, {x, cn}, m.nodes[root.node].name);
    replace_output(m, root, {y, 0});
    return true;
}

/// Whether x, the constant c and the result root are of one floating type.
inline bool float_operands(const model& m, output_ref root, output_ref x, const tensor& c) {
    return is_float_port(m, root) && is_float_port(m, x) && c.type() == m.port(x).type;
}
}  // namespace fusion

/// Search pattern => Subtract(x, c: constant), x not a decompression Convert (the zero point of
///                   compressed weights, Convert(Const u8) - zero point, stays: the INT8 kernels
///                   take that form, runtime/steps/int8_convolution.hpp)
/// Rewrite        => Add(x, -c)
struct canonicalize_subtract {
    static constexpr std::string_view name = "canonicalize_subtract";
    using pattern = pat::op<ops::subtract, pat::any, pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        const tensor& c = *fusion::const_value(m, r[2]);
        if (!fusion::float_operands(m, r[0], r[1], c) || is_decompression(m.nodes[r[1].node])) return false;
        return fusion::replace_with_binary<ops::add>(m, r[0], r[1], fusion::map_values(c, [](double v) { return -v; }),
                                                     m.nodes[r.node(2)].name + "/neg");
    }
};

/// Search pattern => Divide(x, c: constant), c without zeros
/// Rewrite        => Multiply(x, 1 / c)
struct canonicalize_divide {
    static constexpr std::string_view name = "canonicalize_divide";
    using pattern = pat::op<ops::divide, pat::any, pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        const tensor& c = *fusion::const_value(m, r[2]);
        if (!fusion::float_operands(m, r[0], r[1], c)) return false;
        for (std::size_t i = 0; i < c.numel(); ++i)
            if (c.at_as<double>(i) == 0.0) return false;
        return fusion::replace_with_binary<ops::multiply>(m, r[0], r[1],
                                                          fusion::map_values(c, [](double v) { return 1.0 / v; }),
                                                          m.nodes[r.node(2)].name + "/reciprocal");
    }
};

/// Search pattern => Add(Add(x, c1: constant), c2: constant) (either input order), the inner Add used once
/// Rewrite        => Add(x, c1 + c2)
struct merge_add_add {
    static constexpr std::string_view name = "merge_add_add";
    using pattern = pat::commutative<ops::add, pat::where<pat::commutative<ops::add, pat::any, pat::constant>, pat::single_use>,
                                     pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 outer, 1 inner, 2 x, 3 c1, 4 c2
        const tensor &c1 = *fusion::const_value(m, r[3]), &c2 = *fusion::const_value(m, r[4]);
        if (!fusion::float_operands(m, r[0], r[2], c1) || c2.type() != c1.type()) return false;
        if (!fusion::try_broadcast(partial_shape(c1.dims()), partial_shape(c2.dims()))) return false;
        return fusion::replace_with_binary<ops::add>(m, r[0], r[2],
                                                     fusion::fold_binary(c1, c2, [](double a, double b) { return a + b; }),
                                                     m.nodes[r.node(4)].name + "/merged");
    }
};

/// Search pattern => Multiply(Multiply(x, c1: constant), c2: constant) (either input order), the inner
///                   Multiply used once
/// Rewrite        => Multiply(x, c1 * c2)
struct merge_mul_mul {
    static constexpr std::string_view name = "merge_mul_mul";
    using pattern = pat::commutative<ops::multiply,
                                     pat::where<pat::commutative<ops::multiply, pat::any, pat::constant>, pat::single_use>,
                                     pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        const tensor &c1 = *fusion::const_value(m, r[3]), &c2 = *fusion::const_value(m, r[4]);
        if (!fusion::float_operands(m, r[0], r[2], c1) || c2.type() != c1.type()) return false;
        if (!fusion::try_broadcast(partial_shape(c1.dims()), partial_shape(c2.dims()))) return false;
        return fusion::replace_with_binary<ops::multiply>(
            m, r[0], r[2], fusion::fold_binary(c1, c2, [](double a, double b) { return a * b; }),
            m.nodes[r.node(4)].name + "/merged");
    }
};

/// Search pattern => Multiply(Add(x, c1: constant), c2: constant) (either input order), the Add used
///                   once, neither constant widening x
/// Rewrite        => Add(Multiply(x, c2), c1 * c2)
struct swap_mul_add {
    static constexpr std::string_view name = "swap_mul_add";
    using pattern = pat::commutative<ops::multiply, pat::where<pat::commutative<ops::add, pat::any, pat::constant>, pat::single_use>,
                                     pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 mul, 1 add, 2 x, 3 c1, 4 c2
        const tensor &c1 = *fusion::const_value(m, r[3]), &c2 = *fusion::const_value(m, r[4]);
        if (!fusion::float_operands(m, r[0], r[2], c1) || c2.type() != c1.type()) return false;
        if (!fusion::same_shape(m, r[1], r[2]) || !fusion::same_shape(m, r[0], r[2])) return false;
        const auto x_c2 = fusion::try_broadcast(m.port(r[2]).shape, partial_shape(c2.dims()));
        if (!x_c2 || *x_c2 != m.port(r[2]).shape) return false;
        if (!fusion::try_broadcast(partial_shape(c1.dims()), partial_shape(c2.dims()))) return false;
        tensor shift = fusion::fold_binary(c1, c2, [](double a, double b) { return a * b; });
        const auto out = fusion::try_broadcast(m.port(r[2]).shape, partial_shape(shift.dims()));
        if (!out || *out != m.port(r[0]).shape) return false;
        // copies: adding nodes invalidates references into m.nodes
        const tensor scale_value = c2;
        const std::string mul_name = m.nodes[r.node(0)].name, shift_name = m.nodes[r.node(3)].name + "/scaled";
        const output_ref scale = fusion::add_const(m, scale_value, m.nodes[r.node(4)].name);
        const node_id scaled = fusion::add_inferred<ops::multiply>(m, {}, {r[2], scale}, mul_name + "/scale");
        return fusion::replace_with_binary<ops::add>(m, r[0], {scaled, 0}, std::move(shift), shift_name);
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_LINEAR_OPS_HPP
