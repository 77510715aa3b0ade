#ifndef MOIR_PASSES_FUSIONS_CONV_MUL_HPP
#define MOIR_PASSES_FUSIONS_CONV_MUL_HPP

// Element-wise Multiply and Add by per-channel constants folded into the four convolutions, as
// OpenVINO's ConvolutionMultiplyFusion, MultiplyConvolutionFusion and their Group/BackpropData
// variants do: a Multiply after a convolution scales the weights per output channel; a Multiply
// before one scales them per input channel (exact with padding: 0 * s = 0), also across an Add
// (x * s + b = (x + b / s) * s); an Add before a convolution becomes a bias after it, but only
// when the convolution has no padding at all (a padded border would see the shifted zero).
// Floating types only; the convolution (or the op before it) must have a single consumer and must
// not be a model output.

#include <moir/ops/add.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/passes/fusions/common.hpp>
#include <moir/passes/pass_concept.hpp>

#include <algorithm>    // all_of
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

namespace fusion {
/// Search pattern => Multiply(Conv(x, W: constant), s: constant per output channel) (either order),
///                   the convolution used once
/// Rewrite        => Conv(x, W * s[o])
template <class Conv>
struct conv_multiply {
    using L = conv_layout<Conv>;
    using pattern = pat::commutative<ops::multiply, pat::where<pat::op<Conv, pat::any, pat::constant>, pat::single_use>,
                                     pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 mul, 1 conv, 2 x, 3 W, 4 s
        const tensor w = *const_value(m, r[3]);
        if (!is_float_port(m, r[0]) || !is_float(w.type()) || w.rank() < 3 || !same_shape(m, r[0], r[1])) return false;
        const auto s = per_channel(*const_value(m, r[4]), m.port(r[1]).shape, 1);
        if (!s || s->size() != channel_count(w.dims(), L::out_axis, L::grouped)) return false;
        const node conv = m.nodes[r.node(1)];
        const output_ref nw = add_const(m, scale_along(w, *s, L::out_axis, L::grouped), conv.name + "/weights_scaled");
        replace_output(m, r[0], {add_conv_with_weights<Conv>(m, conv, nw), 0});
        return true;
    }
};

/// Search pattern => Multiply(Add(Conv(x, W: constant), b: constant), s: constant per output channel)
///                   (either order each), the convolution and the Add used once
/// Rewrite        => Add(Conv(x, W * s[o]), b * s)
template <class Conv>
struct conv_add_multiply {
    using L = conv_layout<Conv>;
    using pattern = pat::commutative<
        ops::multiply,
        pat::where<pat::commutative<ops::add, pat::where<pat::op<Conv, pat::any, pat::constant>, pat::single_use>, pat::constant>,
                   pat::single_use>,
        pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 mul, 1 add, 2 conv, 3 x, 4 W, 5 b, 6 s
        const tensor w = *const_value(m, r[4]);
        const tensor b = *const_value(m, r[5]), sc = *const_value(m, r[6]);
        if (!is_float_port(m, r[0]) || !is_float(w.type()) || w.rank() < 3 || b.type() != m.port(r[0]).type) return false;
        if (!same_shape(m, r[0], r[2]) || !same_shape(m, r[1], r[2])) return false;
        const auto s = per_channel(sc, m.port(r[2]).shape, 1);
        if (!s || s->size() != channel_count(w.dims(), L::out_axis, L::grouped)) return false;
        if (!try_broadcast(partial_shape(b.dims()), partial_shape(sc.dims()))) return false;
        tensor bias = fold_binary(b, sc, [](double u, double v) { return u * v; });
        const auto out = try_broadcast(m.port(r[2]).shape, partial_shape(bias.dims()));
        if (!out || *out != m.port(r[0]).shape) return false;
        const node conv = m.nodes[r.node(2)];
        const std::string add_name = m.nodes[r.node(1)].name, bias_name = m.nodes[r.node(5)].name + "/scaled";
        const output_ref nw = add_const(m, scale_along(w, *s, L::out_axis, L::grouped), conv.name + "/weights_scaled");
        const node_id nc = add_conv_with_weights<Conv>(m, conv, nw);
        const output_ref nb = add_const(m, std::move(bias), bias_name);
        const node_id add = add_inferred<ops::add>(m, {}, {{nc, 0}, nb}, add_name);
        replace_output(m, r[0], {add, 0});
        return true;
    }
};

/// Search pattern => Conv(Multiply(x, s: constant per input channel), W: constant) (either order),
///                   the Multiply used once
/// Rewrite        => Conv(x, W * s[i]) (weights scaled along the input-channel axis)
template <class Conv>
struct multiply_conv {
    using L = conv_layout<Conv>;
    using pattern = pat::op<Conv, pat::where<pat::commutative<ops::multiply, pat::any, pat::constant>, pat::single_use>,
                            pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 conv, 1 mul, 2 x, 3 s, 4 W
        const tensor w = *const_value(m, r[4]);
        if (!is_float_port(m, r[0]) || !is_float(w.type()) || w.rank() < 3 || !same_shape(m, r[1], r[2])) return false;
        const auto s = per_channel(*const_value(m, r[3]), m.port(r[1]).shape, 1);
        if (!s || s->size() != channel_count(w.dims(), L::in_axis, L::grouped)) return false;
        node conv = m.nodes[r.node(0)];
        conv.inputs.at(0) = r[2];
        const output_ref nw = add_const(m, scale_along(w, *s, L::in_axis, L::grouped), conv.name + "/weights_scaled");
        replace_output(m, r[0], {add_conv_with_weights<Conv>(m, conv, nw), 0});
        return true;
    }
};

/// Search pattern => Conv(Add(Multiply(x, s: constant per input channel, no zeros), b: constant), W: constant)
///                   (either order each), the Multiply and the Add used once
/// Rewrite        => Conv(Add(x, b / s), W * s[i]): the scale moves into the weights, the shift stays
///                   before the convolution (x * s + b = (x + b / s) * s; exact with padding)
template <class Conv>
struct scale_shift_conv {
    using L = conv_layout<Conv>;
    using pattern = pat::op<
        Conv,
        pat::where<pat::commutative<ops::add, pat::where<pat::commutative<ops::multiply, pat::any, pat::constant>, pat::single_use>,
                                    pat::constant>,
                   pat::single_use>,
        pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 conv, 1 add, 2 mul, 3 x, 4 s, 5 b, 6 W
        const tensor w = *const_value(m, r[6]);
        const tensor sc = *const_value(m, r[4]), b = *const_value(m, r[5]);
        if (!is_float_port(m, r[0]) || !is_float(w.type()) || w.rank() < 3 || b.type() != m.port(r[3]).type) return false;
        if (!same_shape(m, r[1], r[3]) || !same_shape(m, r[2], r[3])) return false;
        const auto s = per_channel(sc, m.port(r[3]).shape, 1);
        if (!s || s->size() != channel_count(w.dims(), L::in_axis, L::grouped)) return false;
        for (double v : *s)
            if (v == 0.0) return false;
        if (!try_broadcast(partial_shape(b.dims()), partial_shape(sc.dims()))) return false;
        tensor shift = fold_binary(b, sc, [](double u, double v) { return u / v; });
        const auto out = try_broadcast(m.port(r[3]).shape, partial_shape(shift.dims()));
        if (!out || *out != m.port(r[3]).shape) return false;
        node conv = m.nodes[r.node(0)];
        const std::string add_name = m.nodes[r.node(1)].name, shift_name = m.nodes[r.node(5)].name + "/unscaled";
        const output_ref nb = add_const(m, std::move(shift), shift_name);
        conv.inputs.at(0) = {add_inferred<ops::add>(m, {}, {r[3], nb}, add_name), 0};
        const output_ref nw = add_const(m, scale_along(w, *s, L::in_axis, L::grouped), conv.name + "/weights_scaled");
        replace_output(m, r[0], {add_conv_with_weights<Conv>(m, conv, nw), 0});
        return true;
    }
};

/// Whether a convolution reads no padding: explicit (or notset) with all pads 0, or valid.
inline bool unpadded(const ops::detail::convolution_attrs& a) {
    const auto zero = [](const std::vector<std::int64_t>& v) {
        return std::all_of(v.begin(), v.end(), [](std::int64_t p) { return p == 0; });
    };
    if (a.auto_pad == ops::pad_type::valid) return true;
    if (a.auto_pad != ops::pad_type::explicit_ && a.auto_pad != ops::pad_type::notset) return false;
    return zero(a.pads_begin) && zero(a.pads_end);
}

/// Search pattern => Conv(Add(x, a: constant per input channel), W: constant) (either order), the Add
///                   used once, the convolution without any padding (never fused forward into a
///                   padded convolution: its border would read the shifted zero)
/// Rewrite        => Add(Conv(x, W), bias), bias[o] = sum over i, k of W[o, i, k] * a[i]
template <class Conv>
struct add_conv {
    using L = conv_layout<Conv>;
    static_assert(!L::transposed, "an Add before a transposed convolution is not uniform at the borders");
    using pattern = pat::op<Conv, pat::where<pat::commutative<ops::add, pat::any, pat::constant>, pat::single_use>,
                            pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 conv, 1 add, 2 x, 3 a, 4 W
        const tensor w = *const_value(m, r[4]);
        if (!is_float_port(m, r[0]) || !is_float(w.type()) || w.rank() < 3 || !same_shape(m, r[1], r[2])) return false;
        if (!unpadded(m.nodes[r.node(0)].template attrs_as<Conv>())) return false;
        const auto a = per_channel(*const_value(m, r[3]), m.port(r[1]).shape, 1);
        if (!a || a->size() != channel_count(w.dims(), L::in_axis, L::grouped)) return false;
        const std::size_t out_channels = channel_count(w.dims(), L::out_axis, L::grouped);
        const auto& out_shape = m.port(r[0]).shape;
        if (out_shape.rank_dynamic) return false;
        std::vector<double> bias(out_channels, 0.0);
        const auto wv = w.to_vector<double>();
        for (std::size_t f = 0; f < wv.size(); ++f)
            bias[channel_of(w.dims(), f, L::out_axis, L::grouped)] += wv[f] * (*a)[channel_of(w.dims(), f, L::in_axis, L::grouped)];
        node conv = m.nodes[r.node(0)];
        conv.inputs.at(0) = r[2];
        const std::string add_name = m.nodes[r.node(1)].name;
        const node_id nc = add_inferred<Conv>(m, conv.attrs_as<Conv>(), conv.inputs, conv.name);
        const output_ref nb = add_const(m, tensor::from_vector(bias, channel_shape(out_shape.rank(), out_channels)).converted(w.type()),
                                        add_name + "/bias");
        const node_id add = add_inferred<ops::add>(m, {}, {{nc, 0}, nb}, conv.name + "/bias_add");
        replace_output(m, r[0], {add, 0});
        return true;
    }
};
}  // namespace fusion

/// Multiply by a per-output-channel constant after a Convolution, into its weights.
struct fuse_conv_multiply : fusion::conv_multiply<ops::convolution> {
    static constexpr std::string_view name = "fuse_conv_multiply";
};
/// ... after a GroupConvolution.
struct fuse_group_conv_multiply : fusion::conv_multiply<ops::group_convolution> {
    static constexpr std::string_view name = "fuse_group_conv_multiply";
};
/// ... after a ConvolutionBackpropData (output channel = weight dim 1).
struct fuse_deconv_multiply : fusion::conv_multiply<ops::convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_deconv_multiply";
};
/// ... after a GroupConvolutionBackpropData (output channel = weight dims 0 and 2).
struct fuse_group_deconv_multiply : fusion::conv_multiply<ops::group_convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_group_deconv_multiply";
};

/// Convolution -> Add(bias) -> Multiply(per-channel): weights and bias scaled.
struct fuse_conv_add_multiply : fusion::conv_add_multiply<ops::convolution> {
    static constexpr std::string_view name = "fuse_conv_add_multiply";
};
struct fuse_group_conv_add_multiply : fusion::conv_add_multiply<ops::group_convolution> {
    static constexpr std::string_view name = "fuse_group_conv_add_multiply";
};
struct fuse_deconv_add_multiply : fusion::conv_add_multiply<ops::convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_deconv_add_multiply";
};
struct fuse_group_deconv_add_multiply : fusion::conv_add_multiply<ops::group_convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_group_deconv_add_multiply";
};

/// Multiply by a per-input-channel constant before a convolution, into its weights.
struct fuse_multiply_conv : fusion::multiply_conv<ops::convolution> {
    static constexpr std::string_view name = "fuse_multiply_conv";
};
struct fuse_multiply_group_conv : fusion::multiply_conv<ops::group_convolution> {
    static constexpr std::string_view name = "fuse_multiply_group_conv";
};
struct fuse_multiply_deconv : fusion::multiply_conv<ops::convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_multiply_deconv";
};
struct fuse_multiply_group_deconv : fusion::multiply_conv<ops::group_convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_multiply_group_deconv";
};

/// Multiply then Add by constants before a convolution: the Multiply into its weights.
struct fuse_scale_shift_conv : fusion::scale_shift_conv<ops::convolution> {
    static constexpr std::string_view name = "fuse_scale_shift_conv";
};
struct fuse_scale_shift_group_conv : fusion::scale_shift_conv<ops::group_convolution> {
    static constexpr std::string_view name = "fuse_scale_shift_group_conv";
};
struct fuse_scale_shift_deconv : fusion::scale_shift_conv<ops::convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_scale_shift_deconv";
};
struct fuse_scale_shift_group_deconv : fusion::scale_shift_conv<ops::group_convolution_backprop_data> {
    static constexpr std::string_view name = "fuse_scale_shift_group_deconv";
};

/// Add of a per-input-channel constant before an unpadded convolution, into a bias after it.
struct fuse_add_conv : fusion::add_conv<ops::convolution> {
    static constexpr std::string_view name = "fuse_add_conv";
};
struct fuse_add_group_conv : fusion::add_conv<ops::group_convolution> {
    static constexpr std::string_view name = "fuse_add_group_conv";
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_CONV_MUL_HPP
