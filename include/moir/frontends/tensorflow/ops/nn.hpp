#ifndef MOIR_FRONTENDS_TENSORFLOW_OPS_NN_HPP
#define MOIR_FRONTENDS_TENSORFLOW_OPS_NN_HPP

// TF's layers: Conv2D, DepthwiseConv2dNative, Conv2DBackpropInput, grappler's fused forms
// (_FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul with BiasAdd / activations /
// FusedBatchNorm), MatMul, BatchMatMul, MaxPool, AvgPool, FusedBatchNorm, BiasAdd.
// NHWC data goes through Transposes to moir's NCHW convolutions and pools; constant HWIO filters are
// permuted once at conversion.

#include <moir/frontends/tensorflow/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/batch_norm_inference.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/elu.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/max_pool.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/tanh.hpp>

#include <cstdint>  // int64_t
#include <cstring>  // memcpy
#include <string>   // string
#include <vector>   // vector

namespace moir::tensorflow {

namespace detail {
/// t with its axes permuted (out dim i = in dim perm[i]), a copy.
inline tensor permuted(const tensor& t, const std::vector<std::int64_t>& perm) {
    const shape& in = t.dims();
    const std::size_t r = in.size();
    shape out(r);
    for (std::size_t i = 0; i < r; ++i) out[i] = in[static_cast<std::size_t>(perm[i])];
    tensor o(t.type(), out);
    const std::size_t es = size_of(t.type());
    std::vector<std::size_t> in_stride(r, 1);
    for (std::size_t i = r; i-- > 1;) in_stride[i - 1] = in_stride[i] * static_cast<std::size_t>(in[i]);
    std::vector<std::size_t> idx(r, 0);
    const auto* src = static_cast<const unsigned char*>(t.raw());
    auto* dst = static_cast<unsigned char*>(o.raw());
    for (std::size_t k = 0, n = o.numel(); k < n; ++k) {
        std::size_t off = 0;
        for (std::size_t i = 0; i < r; ++i) off += idx[i] * in_stride[static_cast<std::size_t>(perm[i])];
        std::memcpy(dst + k * es, src + off * es, es);
        for (std::size_t i = r; i-- > 0;) {
            if (++idx[i] < static_cast<std::size_t>(out[i])) break;
            idx[i] = 0;
        }
    }
    return o;
}

/// The H and W (and D) entries of a 4- or 5-entry NHWC/NCHW list attribute (strides, dilations, ksize).
inline std::vector<std::int64_t> spatial_of(context& c, const std::string& key, std::size_t rank, bool nhwc) {
    std::vector<std::int64_t> v = c.attr<std::vector<std::int64_t>>(key, {});
    if (v.empty()) return std::vector<std::int64_t>(rank - 2, 1);
    MOIR_CHECK(v.size() == rank, error, "attribute '" + key + "' has " + std::to_string(v.size()) + " values, expected " +
                                            std::to_string(rank));
    return nhwc ? std::vector<std::int64_t>(v.begin() + 1, v.end() - 1) : std::vector<std::int64_t>(v.begin() + 2, v.end());
}

/// padding SAME / VALID / EXPLICIT (explicit_paddings: a (begin, end) pair per NHWC/NCHW axis).
struct padding_spec {
    ops::pad_type type = ops::pad_type::explicit_;
    std::vector<std::int64_t> begin, end;
};
inline padding_spec padding_of(context& c, std::size_t rank, bool nhwc) {
    const std::string p = c.require_attr<std::string>("padding");
    padding_spec s;
    const std::size_t n = rank - 2;
    s.begin.assign(n, 0);
    s.end.assign(n, 0);
    if (p == "SAME") {
        s.type = ops::pad_type::same_upper;
    } else if (p == "VALID") {
        s.type = ops::pad_type::valid;
    } else if (p == "EXPLICIT") {
        const auto e = c.attr<std::vector<std::int64_t>>("explicit_paddings", {});
        MOIR_CHECK(e.size() == 2 * rank, error, "explicit_paddings must have " + std::to_string(2 * rank) + " values");
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t ax = nhwc ? i + 1 : i + 2;
            s.begin[i] = e[2 * ax];
            s.end[i] = e[2 * ax + 1];
        }
    } else {
        throw unsupported_error("padding '" + p + "' is not supported");
    }
    return s;
}

/// The rank of input 0 (4 when unknown).
inline std::size_t data_rank(context& c) {
    const auto& s = c.input_port(0).shape;
    return s.rank_dynamic ? 4 : s.rank();
}

/// Adds bias (1-D, per channel) to an NCHW tensor.
inline output_ref add_channel_bias(context& c, output_ref y, output_ref bias, std::size_t rank, const std::string& sfx) {
    std::vector<std::int64_t> bshape{-1};
    for (std::size_t i = 2; i < rank; ++i) bshape.push_back(1);
    auto b = c.add<ops::reshape>({false}, {bias, c.constant_i64(bshape, sfx + "/bias_shape")}, sfx + "/bias_reshape");
    return c.add<ops::add>({}, {y, b}, sfx);
}

/// Applies grappler's fused_ops after a convolution or MatMul. `y` is NCHW when `channel_first`
/// (convolutions), else channels last (MatMul). args: the node's inputs from `first_arg` on.
inline output_ref apply_fused(context& c, output_ref y, std::size_t first_arg, bool channel_first, std::size_t rank) {
    const auto fused = c.attr<std::vector<std::string>>("fused_ops", {});
    const auto per_channel = [&](output_ref v, const std::string& sfx) -> output_ref {
        if (!channel_first) return c.add<ops::add>({}, {y, v}, sfx);
        return add_channel_bias(c, y, v, rank, sfx);
    };
    const auto reshape_cf = [&](output_ref v, const std::string& sfx) -> output_ref {
        if (!channel_first) return v;
        std::vector<std::int64_t> s{-1};
        for (std::size_t i = 2; i < rank; ++i) s.push_back(1);
        return c.add<ops::reshape>({false}, {v, c.constant_i64(s, sfx + "/shape")}, sfx);
    };
    std::size_t arg = first_arg;
    for (const auto& op : fused) {
        if (op == "BiasAdd") {
            y = per_channel(c.input(arg++), "/bias");
        } else if (op == "FusedBatchNorm" || op == "FusedBatchNormV3") {
            // scale, offset, mean, variance: (y - mean) * scale / sqrt(var + eps) + offset
            const auto scale = c.require_const(arg, "FusedBatchNorm scale").converted(element_type::f32).to_vector<float>();
            const auto offset = c.require_const(arg + 1, "FusedBatchNorm offset").converted(element_type::f32).to_vector<float>();
            const auto mean = c.require_const(arg + 2, "FusedBatchNorm mean").converted(element_type::f32).to_vector<float>();
            const auto var = c.require_const(arg + 3, "FusedBatchNorm variance").converted(element_type::f32).to_vector<float>();
            arg += 4;
            const float eps = c.attr<float>("epsilon", 1e-4f);
            std::vector<float> mul(scale.size()), add(scale.size());
            for (std::size_t i = 0; i < scale.size(); ++i) {
                mul[i] = scale[i] / std::sqrt(var.at(i) + eps);
                add[i] = offset.at(i) - mean.at(i) * mul[i];
            }
            auto m = reshape_cf(c.constant(tensor::from_vector(mul), "/bn_scale"), "/bn_scale_r");
            auto a = reshape_cf(c.constant(tensor::from_vector(add), "/bn_shift"), "/bn_shift_r");
            y = c.add<ops::multiply>({}, {y, m}, "/bn_mul");
            y = c.add<ops::add>({}, {y, a}, "/bn_add");
        } else if (op == "Relu") {
            y = c.add<ops::relu>({}, {y}, "/relu");
        } else if (op == "Relu6") {
            y = c.add<ops::clamp>({0.0, 6.0}, {y}, "/relu6");
        } else if (op == "Elu") {
            y = c.add<ops::elu>({1.0}, {y}, "/elu");
        } else if (op == "Sigmoid") {
            y = c.add<ops::sigmoid>({}, {y}, "/sigmoid");
        } else if (op == "Tanh") {
            y = c.add<ops::tanh>({}, {y}, "/tanh");
        } else if (op == "LeakyRelu") {
            const float alpha = c.attr<float>("leakyrelu_alpha", 0.2f);
            y = c.add<ops::prelu>({}, {y, c.constant(tensor::from_vector(std::vector<float>{alpha}), "/alpha")}, "/leaky_relu");
        } else if (op == "Prelu") {
            auto alpha = reshape_cf(c.input(arg++), "/alpha_r");
            y = c.add<ops::prelu>({}, {y, alpha}, "/prelu");
        } else {
            throw unsupported_error("fused op '" + op + "' is not supported");
        }
    }
    return y;
}

enum class conv_kind { plain, depthwise };

/// Conv2D / Conv3D / DepthwiseConv2dNative and their fused forms.
inline void convert_conv(context& c, conv_kind kind, bool fused) {
    const std::size_t rank = data_rank(c);
    const bool nhwc = c.nhwc();
    output_ref x = c.input(0);
    if (nhwc) x = c.to_nchw(x, rank);
    const tensor f = c.require_const(1, "the filter");
    MOIR_CHECK(f.rank() == rank, error, "the filter has rank " + std::to_string(f.rank()) + ", expected " + std::to_string(rank));
    ops::detail::convolution_attrs a;
    a.strides = spatial_of(c, "strides", rank, nhwc);
    a.dilations = spatial_of(c, "dilations", rank, nhwc);
    const padding_spec p = padding_of(c, rank, nhwc);
    a.auto_pad = p.type;
    a.pads_begin = p.begin;
    a.pads_end = p.end;
    output_ref y;
    if (kind == conv_kind::plain) {
        // HWIO -> OIHW (DHWIO -> OIDHW)
        std::vector<std::int64_t> perm{static_cast<std::int64_t>(rank - 1), static_cast<std::int64_t>(rank - 2)};
        for (std::size_t i = 0; i + 2 < rank; ++i) perm.push_back(static_cast<std::int64_t>(i));
        tensor w = permuted(f, perm);
        const auto& xs = c.model().port(x).shape;
        const std::int64_t cin = xs.rank_dynamic ? -1 : xs.dims[1];
        if (cin > 0 && cin != w.dims()[1]) {  // a grouped convolution: C = groups * filter's I
            MOIR_CHECK(cin % w.dims()[1] == 0, error, "input channels do not divide into the filter's");
            const std::int64_t g = cin / w.dims()[1];
            shape gs{g, w.dims()[0] / g};
            for (std::size_t i = 1; i < w.rank(); ++i) gs.push_back(w.dims()[i]);
            y = c.add<ops::group_convolution>(a, {x, c.constant(w.reshaped(gs), "/weights")}, "/conv");
        } else {
            y = c.add<ops::convolution>(a, {x, c.constant(w, "/weights")}, "/conv");
        }
    } else {
        // [kh, kw, C, M] -> [C, M, 1, kh, kw]
        tensor w = permuted(f, {2, 3, 0, 1});
        const shape d = w.dims();
        w = w.reshaped({d[0], d[1], 1, d[2], d[3]});
        y = c.add<ops::group_convolution>(a, {x, c.constant(w, "/weights")}, "/conv");
    }
    if (fused) y = apply_fused(c, y, 2, true, rank);
    if (nhwc) y = c.to_nhwc(y, rank);
    c.set_output(0, y);
}

/// Conv2DBackpropInput(input_sizes, filter [kh, kw, out_C, in_C], out_backprop).
inline void convert_conv_backprop(context& c) {
    const bool nhwc = c.nhwc();
    const std::size_t rank = 4;
    output_ref x = c.input(2);
    const partial_shape xs = c.input_port(2).shape;
    if (nhwc) x = c.to_nchw(x, rank);
    const tensor f = c.require_const(1, "the filter");
    const tensor w = permuted(f, {3, 2, 0, 1});
    ops::detail::convolution_backprop_attrs a;
    a.strides = spatial_of(c, "strides", rank, nhwc);
    a.dilations = spatial_of(c, "dilations", rank, nhwc);
    const padding_spec p = padding_of(c, rank, nhwc);
    a.auto_pad = p.type;
    a.pads_begin = p.begin;
    a.pads_end = p.end;
    std::vector<std::int64_t> spatial;
    if (const auto sizes_t = c.const_input(0)) {
        const auto sizes = sizes_t->to_vector<std::int64_t>();
        MOIR_CHECK(sizes.size() == rank, error, "input_sizes must have 4 values");
        spatial = nhwc ? std::vector<std::int64_t>{sizes[1], sizes[2]} : std::vector<std::int64_t>{sizes[2], sizes[3]};
    } else {
        // input_sizes computed in the graph (Shape -> StridedSlice -> Pack): the size TF's padding
        // gives for the static data shape (SAME: in * stride; VALID: (in - 1) * stride + window)
        MOIR_CHECK(xs.is_static() && p.type != ops::pad_type::explicit_, unsupported_error,
                   "input_sizes must be a constant (or the data shape static with SAME/VALID padding)");
        for (std::size_t i = 0; i < 2; ++i) {
            const std::int64_t in = xs.dims[nhwc ? i + 1 : i + 2];
            const std::int64_t k = (f.dims()[i] - 1) * a.dilations[i] + 1;
            spatial.push_back(p.type == ops::pad_type::same_upper ? in * a.strides[i] : (in - 1) * a.strides[i] + k);
        }
    }
    output_ref y;
    if (p.type == ops::pad_type::explicit_) {
        y = c.add<ops::convolution_backprop_data>(a, {x, c.constant(w, "/weights")}, "/deconv");
    } else {
        y = c.add<ops::convolution_backprop_data>(a, {x, c.constant(w, "/weights"), c.constant_i64(spatial, "/output_shape")},
                                                  "/deconv");
    }
    if (nhwc) y = c.to_nhwc(y, rank);
    c.set_output(0, y);
}

/// MaxPool / AvgPool (ksize and strides as attributes).
template <class Pool>
void convert_pool(context& c) {
    const std::size_t rank = data_rank(c);
    const bool nhwc = c.nhwc();
    output_ref x = c.input(0);
    if (nhwc) x = c.to_nchw(x, rank);
    typename Pool::attrs a;
    a.kernel = spatial_of(c, "ksize", rank, nhwc);
    a.strides = spatial_of(c, "strides", rank, nhwc);
    const padding_spec p = padding_of(c, rank, nhwc);
    a.auto_pad = p.type;
    a.pads_begin = p.begin;
    a.pads_end = p.end;
    if constexpr (std::is_same_v<Pool, ops::avg_pool>) a.exclude_pad = true;  // TF averages the valid cells
    output_ref y = c.add<Pool>(a, {x}, "/pool");
    if (nhwc) y = c.to_nhwc(y, rank);
    c.set_output(0, y);
}

/// MatMul / _FusedMatMul / BatchMatMul(V2,V3).
inline void convert_matmul(context& c, bool fused, bool batch) {
    ops::matmul::attrs a;
    a.transpose_a = c.attr<bool>(batch ? "adj_x" : "transpose_a", false);
    a.transpose_b = c.attr<bool>(batch ? "adj_y" : "transpose_b", false);
    output_ref y = c.add<ops::matmul>(a, {c.input(0), c.input(1)}, fused ? "/matmul" : "");
    if (fused) y = apply_fused(c, y, 2, false, 2);
    c.set_output(0, y);
}

/// FusedBatchNorm(V2,V3)(x, scale, offset, mean, variance), inference only.
inline void convert_batch_norm(context& c) {
    MOIR_CHECK(!c.attr<bool>("is_training", false), unsupported_error, "FusedBatchNorm with is_training is not supported");
    const std::size_t rank = data_rank(c);
    const bool nhwc = c.nhwc();
    output_ref x = c.input(0);
    if (nhwc) x = c.to_nchw(x, rank);
    output_ref y = c.add<ops::batch_norm_inference>(
        {c.attr<float>("epsilon", 1e-4f)}, {x, c.input(1), c.input(2), c.input(3), c.input(4)}, "/bn");
    if (nhwc) y = c.to_nhwc(y, rank);
    c.set_output(0, y);
}
}  // namespace detail

/// Registers the layer converters.
template <class = void>  // compiled only where a table is built
void register_nn(op_table& t) {
    t.add("Conv2D", [](context& c) { detail::convert_conv(c, detail::conv_kind::plain, false); });
    t.add("Conv3D", [](context& c) { detail::convert_conv(c, detail::conv_kind::plain, false); });
    t.add("_FusedConv2D", [](context& c) { detail::convert_conv(c, detail::conv_kind::plain, true); });
    t.add("DepthwiseConv2dNative", [](context& c) { detail::convert_conv(c, detail::conv_kind::depthwise, false); });
    t.add("FusedDepthwiseConv2dNative", [](context& c) { detail::convert_conv(c, detail::conv_kind::depthwise, true); });
    t.add("Conv2DBackpropInput", detail::convert_conv_backprop);
    t.add("MaxPool", detail::convert_pool<ops::max_pool>);
    t.add("AvgPool", detail::convert_pool<ops::avg_pool>);
    t.add("MatMul", [](context& c) { detail::convert_matmul(c, false, false); });
    t.add("_FusedMatMul", [](context& c) { detail::convert_matmul(c, true, false); });
    t.add("BatchMatMul", [](context& c) { detail::convert_matmul(c, false, true); });
    t.add("BatchMatMulV2", [](context& c) { detail::convert_matmul(c, false, true); });
    t.add("BatchMatMulV3", [](context& c) { detail::convert_matmul(c, false, true); });
    t.add("FusedBatchNorm", detail::convert_batch_norm);
    t.add("FusedBatchNormV2", detail::convert_batch_norm);
    t.add("FusedBatchNormV3", detail::convert_batch_norm);
    t.add("BiasAdd", [](context& c) {
        if (c.nhwc()) {
            c.set_output(0, c.add<ops::add>({}, {c.input(0), c.input(1)}));
        } else {
            const std::size_t rank = detail::data_rank(c);
            c.set_output(0, detail::add_channel_bias(c, c.input(0), c.input(1), rank, ""));
        }
    });
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_OPS_NN_HPP
