#ifndef MOIR_FRONTENDS_MXNET_OPS_NN_HPP
#define MOIR_FRONTENDS_MXNET_OPS_NN_HPP

// MXNet's layers: Convolution (num_group, dilate, no_bias), Deconvolution (adj, target_shape),
// BatchNorm (inference: the moving statistics; fix_gamma), Pooling (max / avg / sum, global,
// pooling_convention valid / full / same, count_include_pad), FullyConnected (flatten), UpSampling
// (nearest, bilinear), Dropout (removed), and the softmax family (softmax, log_softmax,
// SoftmaxOutput, SoftmaxActivation, and the regression outputs, which are identities or a sigmoid
// at inference). Data is NCHW, as moir's ops: weights are used as MXNet stores them (OIHW).

#include <moir/frontends/mxnet/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/batch_norm_inference.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/group_convolution_backprop_data.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/log_softmax.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/max_pool.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/softmax.hpp>

#include <cstdint>  // int64_t
#include <string>   // string
#include <vector>   // vector

namespace moir::mxnet {

namespace detail {

/// requires: data layout NCHW-like (MXNet's default); anything else is refused.
inline void check_layout(const context& c) {
    const std::string layout = c.attr<std::string>("layout", "");
    MOIR_CHECK(layout.empty() || layout == "NCW" || layout == "NCHW" || layout == "NCDHW", unsupported_error,
               "layout '" + layout + "' is not supported (moir reads channel-first MXNet layers)");
}

/// y + bias as [1, C, 1, ...] (bias [C]) over a rank-`rank` output.
inline output_ref add_channel_bias(context& c, output_ref y, const tensor& b, std::size_t rank) {
    shape dims(rank, 1);
    dims[1] = static_cast<std::int64_t>(b.numel());
    return c.add<ops::add>({}, {y, c.constant(b.reshaped(dims), "/bias")}, "/add_bias");
}

inline void convert_convolution(context& c) {
    check_layout(c);
    const std::vector<std::int64_t> kernel = c.ints("kernel");
    MOIR_CHECK(!kernel.empty(), error, "attribute 'kernel' is required");
    const std::size_t n = kernel.size();
    const std::int64_t groups = c.attr<std::int64_t>("num_group", 1);
    const bool no_bias = c.attr<bool>("no_bias", false);
    MOIR_CHECK(groups >= 1, error, "num_group must be >= 1");
    ops::detail::convolution_attrs a;
    a.strides = c.per_axis("stride", n, 1);
    a.dilations = c.per_axis("dilate", n, 1);
    a.pads_begin = c.per_axis("pad", n, 0);
    a.pads_end = a.pads_begin;
    const tensor w = c.weight(1, "weight");
    MOIR_CHECK(w.rank() == n + 2, shape_error,
               "weight has shape [" + to_string(w.dims()) + "], expected rank " + std::to_string(n + 2));
    output_ref y;
    if (groups == 1) {
        y = c.add<ops::convolution>(a, {c.input(0), c.input(1)});
    } else {
        const std::int64_t o = w.dims()[0];
        MOIR_CHECK(o % groups == 0, shape_error,
                   std::to_string(o) + " filters do not split into " + std::to_string(groups) + " groups");
        shape gs{groups, o / groups};
        gs.insert(gs.end(), w.dims().begin() + 1, w.dims().end());
        y = c.add<ops::group_convolution>(a, {c.input(0), c.constant(w.reshaped(gs), "/weights")});
    }
    if (!no_bias && c.has_input(2)) y = add_channel_bias(c, y, c.weight(2, "bias"), n + 2);
    c.set_output(0, y);
}

inline void convert_deconvolution(context& c) {
    check_layout(c);
    const std::vector<std::int64_t> kernel = c.ints("kernel");
    MOIR_CHECK(!kernel.empty(), error, "attribute 'kernel' is required");
    const std::size_t n = kernel.size();
    const std::int64_t groups = c.attr<std::int64_t>("num_group", 1);
    const bool no_bias = c.attr<bool>("no_bias", true);  // MXNet's default for Deconvolution
    MOIR_CHECK(groups >= 1, error, "num_group must be >= 1");
    ops::detail::convolution_backprop_attrs a;
    a.strides = c.per_axis("stride", n, 1);
    a.dilations = c.per_axis("dilate", n, 1);
    std::vector<std::int64_t> pad = c.per_axis("pad", n, 0);
    std::vector<std::int64_t> adj = c.per_axis("adj", n, 0);
    const std::vector<std::int64_t> target = c.ints("target_shape");
    bool use_target = false;
    for (auto t : target) use_target = use_target || t != 0;
    if (use_target) {  // MXNet derives pad and adj from the target: out = s*(in-1) + dk - 2*pad + adj
        MOIR_CHECK(target.size() == n, error, "target_shape has " + std::to_string(target.size()) + " values, the kernel has " + std::to_string(n));
        const shape in = c.static_shape(0, "target_shape");
        MOIR_CHECK(in.size() == n + 2, shape_error, "the data has rank " + std::to_string(in.size()) + ", the kernel needs " + std::to_string(n + 2));
        for (std::size_t i = 0; i < n; ++i) {
            const std::int64_t full = a.strides[i] * (in[2 + i] - 1) + a.dilations[i] * (kernel[i] - 1) + 1;
            MOIR_CHECK(full >= target[i], shape_error,
                       "target_shape " + std::to_string(target[i]) + " exceeds the largest output " + std::to_string(full));
            const std::int64_t total = full - target[i];
            adj[i] = total % 2;
            pad[i] = (total + 1) / 2;
        }
    }
    a.pads_begin = pad;
    a.pads_end = pad;
    a.output_padding = adj;
    const tensor w = c.weight(1, "weight");  // [C_in, O / groups, k...]
    MOIR_CHECK(w.rank() == n + 2, shape_error,
               "weight has shape [" + to_string(w.dims()) + "], expected rank " + std::to_string(n + 2));
    output_ref y;
    if (groups == 1) {
        y = c.add<ops::convolution_backprop_data>(a, {c.input(0), c.input(1)});
    } else {
        const std::int64_t ci = w.dims()[0];
        MOIR_CHECK(ci % groups == 0, shape_error,
                   std::to_string(ci) + " input channels do not split into " + std::to_string(groups) + " groups");
        shape gs{groups, ci / groups};
        gs.insert(gs.end(), w.dims().begin() + 1, w.dims().end());
        y = c.add<ops::group_convolution_backprop_data>(a, {c.input(0), c.constant(w.reshaped(gs), "/weights")});
    }
    if (!no_bias && c.has_input(2)) y = add_channel_bias(c, y, c.weight(2, "bias"), n + 2);
    c.set_output(0, y);
}

inline void convert_batch_norm(context& c) {
    const std::int64_t axis = c.attr<std::int64_t>("axis", 1);
    MOIR_CHECK(axis == 1, unsupported_error, "axis " + std::to_string(axis) + " is not supported (channel axis 1 only)");
    MOIR_CHECK(!c.output_used(1) && !c.output_used(2), unsupported_error,
               "the batch mean and variance outputs (training) are read; moir converts inference graphs");
    const double eps = c.attr<double>("eps", 1e-3);
    const bool fix_gamma = c.attr<bool>("fix_gamma", true);  // MXNet's default: gamma is 1
    const tensor beta = c.weight(2, "beta");
    output_ref gamma = c.input(1);
    if (fix_gamma) {
        tensor ones(element_type::f32, beta.dims());
        for (std::size_t i = 0; i < ones.numel(); ++i) ones.data<float>()[i] = 1.0f;
        gamma = c.constant(ones, "/gamma_fixed");
    }
    c.set_output(0, c.add<ops::batch_norm_inference>({eps}, {c.input(0), gamma, c.input(2), c.input(3), c.input(4)}));
}

inline void convert_pooling(context& c) {
    check_layout(c);
    const std::string type = c.attr<std::string>("pool_type", "max");
    MOIR_CHECK(type == "max" || type == "avg" || type == "sum", unsupported_error,
               "pool_type '" + type + "' is not supported (max, avg, sum)");
    const output_ref x = c.input(0);
    if (c.attr<bool>("global_pool", false)) {
        const std::size_t r = c.rank(0, "a global pool");
        std::vector<std::int64_t> axes;
        for (std::size_t i = 2; i < r; ++i) axes.push_back(static_cast<std::int64_t>(i));
        const output_ref ax = c.constant_i64(axes, "/axes");
        if (type == "max") c.set_output(0, c.add<ops::reduce_max>({true}, {x, ax}));
        else if (type == "avg") c.set_output(0, c.add<ops::reduce_mean>({true}, {x, ax}));
        else c.set_output(0, c.add<ops::reduce_sum>({true}, {x, ax}));
        return;
    }
    const std::vector<std::int64_t> kernel = c.ints("kernel");
    MOIR_CHECK(!kernel.empty(), error, "attribute 'kernel' is required (or global_pool)");
    const std::size_t n = kernel.size();
    const std::string conv = c.attr<std::string>("pooling_convention", "valid");
    MOIR_CHECK(conv == "valid" || conv == "full" || conv == "same", unsupported_error,
               "pooling_convention '" + conv + "' is not supported (valid, full, same)");
    std::vector<std::int64_t> strides = c.per_axis("stride", n, 1);
    std::vector<std::int64_t> pads = c.per_axis("pad", n, 0);
    const auto rounding = conv == "full" ? ops::rounding_type::ceil : ops::rounding_type::floor;
    const auto auto_pad = conv == "same" ? ops::pad_type::same_upper : ops::pad_type::explicit_;
    if (type == "max") {
        c.set_output(0, c.add<ops::max_pool>({strides, pads, pads, kernel, rounding, auto_pad}, {x}));
        return;
    }
    const bool include_pad = c.attr<bool>("count_include_pad", true);
    output_ref y = c.add<ops::avg_pool>({strides, pads, pads, kernel, !include_pad, rounding, auto_pad}, {x}, type == "sum" ? "/avg" : "");
    if (type == "sum") {
        std::int64_t area = 1;
        for (auto k : kernel) area *= k;
        y = c.add<ops::multiply>({}, {y, c.scalar_like(y, static_cast<double>(area), "/area")});
    }
    c.set_output(0, y);
}

inline void convert_fully_connected(context& c) {
    output_ref x = c.input(0);
    if (c.attr<bool>("flatten", true) && c.rank(0, "FullyConnected") != 2) x = c.reshape(x, {0, -1}, "/flatten");
    output_ref y = c.add<ops::matmul>({false, true}, {x, c.input(1)}, c.attr<bool>("no_bias", false) ? "" : "/matmul");
    if (!c.attr<bool>("no_bias", false) && c.has_input(2)) y = c.add<ops::add>({}, {y, c.input(2)});
    c.set_output(0, y);
}

inline void convert_upsampling(context& c) {
    const std::int64_t scale = c.require_attr<std::int64_t>("scale");
    MOIR_CHECK(scale >= 1, error, "scale must be >= 1");
    const std::string type = c.attr<std::string>("sample_type", "nearest");
    if (type == "bilinear") {  // a fixed depthwise deconvolution with the weight of input 1
        const tensor w = c.weight(1, "weight");  // [C, 1, k, k]
        MOIR_CHECK(w.rank() == 4 && w.dims()[1] == 1, shape_error, "bilinear weight has shape [" + to_string(w.dims()) + "], expected [C, 1, k, k]");
        const std::int64_t k = 2 * scale - scale % 2, p = (scale - 1 + 1) / 2;
        MOIR_CHECK(w.dims()[2] == k && w.dims()[3] == k, shape_error,
                   "bilinear weight has kernel " + std::to_string(w.dims()[2]) + ", scale " + std::to_string(scale) + " needs " + std::to_string(k));
        ops::detail::convolution_backprop_attrs a;
        a.strides = {scale, scale};
        a.dilations = {1, 1};
        a.pads_begin = {p, p};
        a.pads_end = {p, p};
        a.output_padding = {0, 0};
        const std::int64_t ch = w.dims()[0];
        c.set_output(0, c.add<ops::group_convolution_backprop_data>(
                            a, {c.input(0), c.constant(w.reshaped({ch, 1, 1, k, k}), "/weights")}));
        return;
    }
    MOIR_CHECK(type == "nearest", unsupported_error, "sample_type '" + type + "' is not supported (nearest, bilinear)");
    std::vector<output_ref> ups;
    std::int64_t out_h = -1, out_w = -1;
    for (std::size_t i = 0; i < c.input_count(); ++i) {
        ops::interpolate::attrs a;
        a.mode = ops::interpolate_mode::nearest;
        a.coordinate_transformation_mode = ops::coordinate_transformation_mode::asymmetric;
        a.nearest_mode = ops::nearest_mode::floor;
        float sh = static_cast<float>(scale), sw = sh;
        if (c.input_count() > 1) {  // every input is scaled to the first one's size * scale
            const shape s = c.static_shape(i, "UpSampling of several inputs");
            MOIR_CHECK(s.size() == 4 && s[2] > 0 && s[3] > 0, shape_error, "input " + std::to_string(i) + " is not non-empty NCHW");
            if (i == 0) out_h = s[2] * scale, out_w = s[3] * scale;
            MOIR_CHECK(out_h % s[2] == 0 && out_w % s[3] == 0, shape_error,
                       "input " + std::to_string(i) + " does not scale to the output size by a whole factor");
            sh = static_cast<float>(out_h / s[2]);
            sw = static_cast<float>(out_w / s[3]);
        }
        a.shape_calculation_mode = ops::shape_calculation_mode::scales;
        const std::string sfx = "/up" + std::to_string(i);
        ups.push_back(c.add<ops::interpolate>(a, {c.input(i), c.constant(tensor::from_vector(std::vector<float>{sh, sw}), sfx + "/scales"),
                                                  c.constant_i64({2, 3}, sfx + "/axes")},
                                              c.input_count() > 1 ? sfx : ""));
    }
    if (ups.size() == 1) {
        c.set_output(0, ups[0]);
        return;
    }
    if (c.attr<std::string>("multi_input_mode", "concat") == "sum") {
        output_ref y = ups[0];
        for (std::size_t i = 1; i < ups.size(); ++i) y = c.add<ops::add>({}, {y, ups[i]}, i + 1 == ups.size() ? "" : "/sum" + std::to_string(i));
        c.set_output(0, y);
    } else {
        c.set_output(0, c.add<ops::concat>({1}, ups));
    }
}

/// Softmax over axis 1 of x flattened to [N, -1] (MXNet's "instance" softmax), in x's shape.
inline output_ref instance_softmax(context& c, output_ref x) {
    const partial_shape& p = c.model().port(x).shape;
    if (!p.rank_dynamic && p.rank() == 2) return c.add<ops::softmax>({1}, {x});
    const shape s = c.static_shape(0, "a softmax over the flattened input");
    const output_ref f = c.reshape(x, {0, -1}, "/flatten");
    const output_ref y = c.add<ops::softmax>({1}, {f}, "/softmax");
    return c.reshape(y, std::vector<std::int64_t>(s.begin(), s.end()), "");
}

inline void convert_softmax_output(context& c) {
    const output_ref x = c.input(0);
    if (c.attr<bool>("multi_output", false)) c.set_output(0, c.add<ops::softmax>({1}, {x}));
    else if (c.attr<bool>("preserve_shape", false)) c.set_output(0, c.add<ops::softmax>({-1}, {x}));
    else c.set_output(0, instance_softmax(c, x));
}

inline void convert_softmax_activation(context& c) {
    if (c.attr<std::string>("mode", "instance") == "channel") c.set_output(0, c.add<ops::softmax>({1}, {c.input(0)}));
    else c.set_output(0, instance_softmax(c, c.input(0)));
}

template <class Op>
void convert_softmax(context& c) {
    output_ref x = c.input(0);
    MOIR_CHECK(!c.has_input(1) && !c.attr<bool>("use_length", false), unsupported_error, "use_length is not supported");
    const double t = c.attr<double>("temperature", 1.0);
    if (t != 1.0) x = c.add<ops::divide>({}, {x, c.scalar_like(x, t, "/temperature")}, "/scaled");
    c.set_output(0, c.add<Op>({c.attr<std::int64_t>("axis", -1)}, {x}));
}

/// Dropout and the ops that are identities at inference.
inline void convert_identity(context& c) {
    for (std::size_t k = 1; k < c.output_count(); ++k)
        MOIR_CHECK(!c.output_used(k), unsupported_error, "output " + std::to_string(k) + " (training only) is read");
    c.set_output(0, c.input(0));
}

}  // namespace detail

/// Registers the layer converters.
template <class = void>  // compiled only where a table is built
void register_nn(op_table& t) {
    t.add("Convolution", detail::convert_convolution);
    t.add("Deconvolution", detail::convert_deconvolution);
    t.add("BatchNorm", detail::convert_batch_norm);
    t.add("Pooling", detail::convert_pooling);
    t.add("FullyConnected", detail::convert_fully_connected);
    t.add("UpSampling", detail::convert_upsampling);
    t.add("softmax", detail::convert_softmax<ops::softmax>);
    t.add("log_softmax", detail::convert_softmax<ops::log_softmax>);
    t.add("SoftmaxOutput", detail::convert_softmax_output);
    t.add("Softmax", detail::convert_softmax_output);
    t.add("SoftmaxActivation", detail::convert_softmax_activation);
    for (const char* op : {"Dropout", "LinearRegressionOutput", "MAERegressionOutput", "BlockGrad", "stop_gradient",
                           "identity", "_copy", "make_loss", "MakeLoss"})
        t.add(op, detail::convert_identity);
    t.add("LogisticRegressionOutput", [](context& c) { c.set_output(0, c.add<ops::sigmoid>({}, {c.input(0)})); });
}

}  // namespace moir::mxnet

#endif  // MOIR_FRONTENDS_MXNET_OPS_NN_HPP
