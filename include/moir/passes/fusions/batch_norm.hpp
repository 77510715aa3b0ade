#ifndef MOIR_PASSES_FUSIONS_BATCH_NORM_HPP
#define MOIR_PASSES_FUSIONS_BATCH_NORM_HPP

// BatchNormInference folded into the op before it, beyond Convolution/GroupConvolution (conv_bn.hpp):
// after ConvolutionBackpropData and GroupConvolutionBackpropData (output channel = weight dim 1,
// resp. dims 0 and 2) and after a MatMul with constant weights and an [N, C] output; and, for any
// BatchNormInference left with constant statistics, OpenVINO's BatchNormDecomposition into
// Multiply(x, s) + Add(., beta - mean * s), which the linear-op and convolution fusions then fold
// (e.g. Conv -> Add(bias) -> BatchNorm). s = gamma / sqrt(var + epsilon). Floating types only.

#include <moir/ops/add.hpp>
#include <moir/ops/batch_norm_inference.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/passes/fusions/common.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cmath>        // sqrt
#include <optional>     // optional, nullopt
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

namespace fusion {
/// Scale s and shift b of a BatchNormInference with constant gamma, beta, mean, var (captures
/// gamma_at .. gamma_at + 3), each with `channels` values. nullopt when they are not.
inline std::optional<std::pair<std::vector<double>, std::vector<double>>> bn_scale_shift(const model& m, node_id bn,
                                                                                        std::size_t channels) {
    std::vector<std::vector<double>> v;
    for (std::size_t i = 1; i <= 4; ++i) {
        const tensor* t = const_value(m, m.nodes[bn].inputs.at(i));
        if (!t || !is_float(t->type()) || t->numel() != channels) return std::nullopt;
        v.push_back(t->to_vector<double>());
    }
    const double eps = m.nodes[bn].attrs_as<ops::batch_norm_inference>().epsilon;
    std::vector<double> s(channels), b(channels);
    for (std::size_t c = 0; c < channels; ++c) {
        s[c] = v[0][c] / std::sqrt(v[3][c] + eps);
        b[c] = v[1][c] - v[2][c] * s[c];
    }
    return std::make_pair(std::move(s), std::move(b));
}

/// Search pattern => BatchNormInference(Conv(x, W: constant), gamma, beta, mean, var: constants), the
///                   convolution used once (Conv a transposed convolution)
/// Rewrite        => Add(Conv(x, W * s[o]), beta - mean * s)
template <class Conv>
struct bn_into_conv {
    using L = conv_layout<Conv>;
    using pattern = pat::op<ops::batch_norm_inference, pat::where<pat::op<Conv, pat::any, pat::constant>, pat::single_use>>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 bn, 1 conv, 2 x, 3 W
        const tensor w = *const_value(m, r[3]);
        const auto& out = m.port(r[0]);
        if (!is_float(out.type) || !is_float(w.type()) || w.rank() < 3 || out.shape.rank_dynamic) return false;
        const std::size_t channels = channel_count(w.dims(), L::out_axis, L::grouped);
        const auto sb = bn_scale_shift(m, r.node(0), channels);
        if (!sb) return false;
        const node conv = m.nodes[r.node(1)];
        const std::string bn_name = m.nodes[r.node(0)].name;
        const std::size_t rank = out.shape.rank();
        const element_type t = out.type;
        const output_ref nw = add_const(m, scale_along(w, sb->first, L::out_axis, L::grouped), conv.name + "/weights_bn");
        const node_id nc = add_conv_with_weights<Conv>(m, conv, nw);
        const output_ref nb = add_const(m, tensor::from_vector(sb->second, channel_shape(rank, channels)).converted(t), bn_name + "/bias");
        const node_id add = add_inferred<ops::add>(m, {}, {{nc, 0}, nb}, bn_name);
        replace_output(m, r[0], {add, 0});
        return true;
    }
};
}  // namespace fusion

/// BatchNormInference after a ConvolutionBackpropData.
struct fuse_deconv_bn : fusion::bn_into_conv<ops::convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_deconv_bn";
};
/// BatchNormInference after a GroupConvolutionBackpropData.
struct fuse_group_deconv_bn : fusion::bn_into_conv<ops::group_convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_group_deconv_bn";
};

/// Search pattern => BatchNormInference(MatMul(x, W: constant), gamma, beta, mean, var: constants),
///                   the MatMul used once, its output [N, C] (the channel is the last dim)
/// Rewrite        => Add(MatMul(x, W'), beta - mean * s), W' = W with column c scaled by s[c]
///                   (row c when transpose_b)
struct fuse_matmul_bn {
    static constexpr std::string_view name = "fuse_matmul_bn";
    using pattern = pat::op<ops::batch_norm_inference, pat::where<pat::op<ops::matmul, pat::any, pat::constant>, pat::single_use>>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 bn, 1 matmul, 2 x, 3 W
        const tensor w = *fusion::const_value(m, r[3]);
        const auto& out = m.port(r[0]);
        if (!is_float(out.type) || !is_float(w.type()) || w.rank() != 2) return false;
        if (out.shape.rank_dynamic || out.shape.rank() != 2 || out.shape.dims[1] < 0) return false;
        const node mm = m.nodes[r.node(1)];
        const auto& a = mm.attrs_as<ops::matmul>();
        const std::size_t axis = a.transpose_b ? 0 : 1;
        const auto channels = static_cast<std::size_t>(out.shape.dims[1]);
        if (static_cast<std::size_t>(w.dims()[axis]) != channels) return false;
        const auto sb = fusion::bn_scale_shift(m, r.node(0), channels);
        if (!sb) return false;
        const std::string bn_name = m.nodes[r.node(0)].name;
        const element_type t = out.type;
        const output_ref nw = fusion::add_const(m, fusion::scale_along(w, sb->first, axis, false), mm.name + "/weights_bn");
        const node_id nm = fusion::add_inferred<ops::matmul>(m, a, {mm.inputs[0], nw}, mm.name);
        const output_ref nb = fusion::add_const(m, tensor::from_vector(sb->second, {static_cast<std::int64_t>(channels)}).converted(t),
                                        bn_name + "/bias");
        const node_id add = fusion::add_inferred<ops::add>(m, {}, {{nm, 0}, nb}, bn_name);
        fusion::replace_output(m, r[0], {add, 0});
        return true;
    }
};

/// Search pattern => BatchNormInference(x, gamma, beta, mean, var: constants), x of rank >= 2 with a
///                   known channel count (dim 1)
/// Rewrite        => Add(Multiply(x, s), beta - mean * s), both constants shaped [1, C, 1, ...]
struct decompose_batch_norm {
    static constexpr std::string_view name = "decompose_batch_norm";
    using pattern = pat::op<ops::batch_norm_inference, pat::any>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        const auto& out = m.port(r[0]);
        if (!is_float(out.type) || out.shape.rank_dynamic || out.shape.rank() < 2 || out.shape.dims[1] < 0) return false;
        const auto channels = static_cast<std::size_t>(out.shape.dims[1]);
        const auto sb = fusion::bn_scale_shift(m, r.node(0), channels);
        if (!sb) return false;
        const std::string bn_name = m.nodes[r.node(0)].name;
        const shape cs = fusion::channel_shape(out.shape.rank(), channels);
        const element_type t = out.type;
        const output_ref sc = fusion::add_const(m, tensor::from_vector(sb->first, cs).converted(t), bn_name + "/scale");
        const node_id mul = fusion::add_inferred<ops::multiply>(m, {}, {r[1], sc}, bn_name + "/mul");
        const output_ref sh = fusion::add_const(m, tensor::from_vector(sb->second, cs).converted(t), bn_name + "/shift");
        const node_id add = fusion::add_inferred<ops::add>(m, {}, {{mul, 0}, sh}, bn_name);
        fusion::replace_output(m, r[0], {add, 0});
        return true;
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_BATCH_NORM_HPP
