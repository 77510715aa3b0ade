#ifndef MOIR_PASSES_FUSIONS_CONV_BN_HPP
#define MOIR_PASSES_FUSIONS_CONV_BN_HPP

// BatchNorm folded into the convolution before it.

#include <moir/ops/add.hpp>
#include <moir/ops/batch_norm_inference.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cmath>        // sqrt
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

namespace detail {
/// W * scale[o] for every output channel o of convolution weights W ([O, C, k...] or, grouped,
/// [G, O/G, C/G, k...]). requires: scale has O values.
inline tensor scale_output_channels(const tensor& w, const std::vector<double>& scale, bool grouped) {
    const tensor wf = w.converted(element_type::f64);
    tensor out(element_type::f64, w.dims());
    const std::size_t channels = grouped ? static_cast<std::size_t>(w.dims()[0] * w.dims()[1])
                                         : static_cast<std::size_t>(w.dims()[0]);
    const std::size_t per = w.numel() / channels;
    for (std::size_t o = 0; o < channels; ++o)
        for (std::size_t i = 0; i < per; ++i)
            out.data<double>()[o * per + i] = wf.data<double>()[o * per + i] * scale[o];
    return out.converted(w.type());
}

/// Search pattern => BatchNormInference(Conv(x, W: constant), gamma, beta, mean, var: constants),
///                   the convolution used once
/// Rewrite        => Add(Conv(x, W * s), beta - mean * s) where s = gamma / sqrt(var + epsilon)
template <class Conv, bool Grouped>
struct fuse_bn_into {
    using pattern = pat::op<ops::batch_norm_inference, pat::where<pat::op<Conv, pat::any, pat::constant>, pat::single_use>,
                            pat::constant, pat::constant, pat::constant, pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 bn, 1 conv, 2 x, 3 W, 4 gamma, 5 beta, 6 mean, 7 var
        const auto value = [&](std::size_t i) { return m.nodes[r.node(i)].template attrs_as<ops::constant>().value; };
        const tensor w = value(3);
        if (!is_float(w.type()) || w.rank() < 3) return false;
        const std::size_t channels = Grouped ? static_cast<std::size_t>(w.dims()[0] * w.dims()[1])
                                             : static_cast<std::size_t>(w.dims()[0]);
        for (std::size_t i = 4; i <= 7; ++i)
            if (value(i).numel() != channels || !is_float(value(i).type())) return false;
        const double eps = m.nodes[r.node(0)].template attrs_as<ops::batch_norm_inference>().epsilon;
        const auto gamma = value(4).template to_vector<double>(), beta = value(5).template to_vector<double>();
        const auto mean = value(6).template to_vector<double>(), var = value(7).template to_vector<double>();
        std::vector<double> s(channels), b(channels);
        for (std::size_t c = 0; c < channels; ++c) {
            s[c] = gamma[c] / std::sqrt(var[c] + eps);
            b[c] = beta[c] - mean[c] * s[c];
        }
        const node conv = m.nodes[r.node(1)];
        const node_id wn = m.add<ops::constant>({scale_output_channels(w, s, Grouped)}, {}, conv.name + "/weights_bn");
        const node_id cn = m.add<Conv>(conv.template attrs_as<Conv>(), {r[2], {wn, 0}}, conv.name);
        shape bdims(m.port(r[0]).shape.rank(), 1);
        bdims.at(1) = static_cast<std::int64_t>(channels);
        const node_id bn = m.add<ops::constant>({tensor::from_vector(b, bdims).converted(m.port(r[0]).type)}, {},
                                                m.nodes[r.node(0)].name + "/bias");
        const node_id add = m.add<ops::add>({}, {{cn, 0}, {bn, 0}}, m.nodes[r.node(0)].name);
        for (node_id id : {wn, cn, bn, add}) m.infer_node(id);
        m.nodes[add].outputs[0].names = m.nodes[r.node(0)].outputs[0].names;
        m.replace_uses(r[0], {add, 0});
        return true;
    }
};
}  // namespace detail

/// BatchNormInference after a Convolution folded into its weights and a bias Add.
struct fuse_conv_bn : detail::fuse_bn_into<ops::convolution, false> {
    static constexpr std::string_view name = "fuse_conv_bn";
};
/// BatchNormInference after a GroupConvolution folded into its weights and a bias Add.
struct fuse_group_conv_bn : detail::fuse_bn_into<ops::group_convolution, true> {
    static constexpr std::string_view name = "fuse_group_conv_bn";
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_CONV_BN_HPP
