#ifndef MOIR_PASSES_FUSIONS_MATMUL_HPP
#define MOIR_PASSES_FUSIONS_MATMUL_HPP

// MatMul with constant weights: a Multiply by a per-column constant folded into the weights
// (OpenVINO's MatMulMultiplyFusion), and transpose_b on constant weights applied once to the
// constant, so the runtime gets canonical [K, N] weights. (MatMul -> Add(c1) -> Add(c2) is
// merged by linear_ops.hpp's merge_add_add; a Transpose of a constant is folded by fold_constants.)

#include <moir/ops/matmul.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/passes/fusions/common.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cstddef>      // size_t
#include <cstring>      // memcpy
#include <string_view>  // string_view
#include <utility>      // swap

namespace moir::passes {

/// Search pattern => Multiply(MatMul(x, W: constant of rank >= 2), s: constant per output column)
///                   (either order), the MatMul used once
/// Rewrite        => MatMul(x, W * s[n]) (column n of W, or row n when transpose_b)
struct fuse_matmul_multiply {
    static constexpr std::string_view name = "fuse_matmul_multiply";
    using pattern = pat::commutative<ops::multiply, pat::where<pat::op<ops::matmul, pat::any, pat::constant>, pat::single_use>,
                                     pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 mul, 1 matmul, 2 x, 3 W, 4 s
        const tensor w = *fusion::const_value(m, r[3]);
        const auto& out = m.port(r[1]).shape;
        if (!fusion::is_float_port(m, r[0]) || !is_float(w.type()) || w.rank() < 2 || out.rank_dynamic || out.rank() < 1)
            return false;
        if (!fusion::same_shape(m, r[0], r[1])) return false;
        const auto s = fusion::per_channel(*fusion::const_value(m, r[4]), out, out.rank() - 1);
        const node mm = m.nodes[r.node(1)];
        const auto& a = mm.attrs_as<ops::matmul>();
        const std::size_t axis = a.transpose_b ? w.rank() - 2 : w.rank() - 1;
        if (!s || s->size() != static_cast<std::size_t>(w.dims()[axis])) return false;
        // scale along `axis` of every batch of W: the channel of flat element f is (f / inner) % N
        auto v = w.to_vector<double>();
        std::size_t inner = 1;
        for (std::size_t k = axis + 1; k < w.rank(); ++k) inner *= static_cast<std::size_t>(w.dims()[k]);
        for (std::size_t f = 0; f < v.size(); ++f) v[f] *= (*s)[(f / inner) % s->size()];
        const output_ref nw = fusion::add_const(m, tensor::from_vector(v, w.dims()).converted(w.type()), mm.name + "/weights_scaled");
        const node_id nm = fusion::add_inferred<ops::matmul>(m, a, {mm.inputs[0], nw}, mm.name);
        fusion::replace_output(m, r[0], {nm, 0});
        return true;
    }
};

/// Search pattern => MatMul(x, W: constant of rank >= 2, used once) with transpose_b
/// Rewrite        => MatMul(x, W^T) without transpose_b (the two innermost dims of W swapped)
struct pretranspose_matmul_weights {
    static constexpr std::string_view name = "pretranspose_matmul_weights";
    using pattern = pat::op<ops::matmul, pat::any, pat::where<pat::constant, pat::single_use>>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 matmul, 1 x, 2 W
        const node mm = m.nodes[r.node(0)];
        auto a = mm.attrs_as<ops::matmul>();
        const tensor w = *fusion::const_value(m, r[2]);
        if (!a.transpose_b || w.rank() < 2) return false;
        const std::size_t rank = w.rank();
        shape td = w.dims();
        std::swap(td[rank - 1], td[rank - 2]);
        const auto rows = static_cast<std::size_t>(w.dims()[rank - 2]), cols = static_cast<std::size_t>(w.dims()[rank - 1]);
        tensor t(w.type(), td);
        const std::size_t es = size_of(w.type()), mat = rows * cols;
        const auto* src = static_cast<const unsigned char*>(w.raw());
        auto* dst = static_cast<unsigned char*>(t.raw());
        for (std::size_t b = 0, batches = w.numel() / (mat ? mat : 1); mat && b < batches; ++b)
            for (std::size_t i = 0; i < rows; ++i)
                for (std::size_t j = 0; j < cols; ++j)
                    std::memcpy(dst + (b * mat + j * rows + i) * es, src + (b * mat + i * cols + j) * es, es);
        a.transpose_b = false;
        const output_ref nw = fusion::add_const(m, t, m.nodes[r.node(2)].name + "/transposed");
        const node_id nm = fusion::add_inferred<ops::matmul>(m, a, {r[1], nw}, mm.name);
        fusion::replace_output(m, r[0], {nm, 0});
        return true;
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_MATMUL_HPP
