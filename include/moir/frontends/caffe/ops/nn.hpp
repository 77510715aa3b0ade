#ifndef MOIR_FRONTENDS_CAFFE_OPS_NN_HPP
#define MOIR_FRONTENDS_CAFFE_OPS_NN_HPP

// Caffe's layers with trained blobs and windows: Convolution (group, dilation, pad/stride/kernel as
// repeated values or _h/_w), Pooling (MAX / AVE, global, Caffe's ceil rounding of the pooled size),
// InnerProduct (axis, transpose), BatchNorm (global statistics with the moving-average scale blob),
// Scale and Bias (blob operands, bias_term, axis), PReLU (channel_shared), LRN. BatchNorm becomes
// BatchNormInference with unit gamma and zero beta; the optimizer folds it with the Scale that
// follows into the convolution before them.

#include <moir/frontends/caffe/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/batch_norm_inference.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/lrn.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/max_pool.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/reshape.hpp>

#include <cmath>    // sqrt
#include <cstdint>  // int64_t
#include <string>   // string
#include <vector>   // vector

namespace moir::caffe {

namespace detail {
/// A window parameter for H and W: `key` (repeated: one value for both, or one each), else
/// key_h / key_w, else `def`. ensures: errors for more values than spatial axes.
inline std::vector<std::int64_t> spatial_param(const prototext::message& p, const std::string& key, std::int64_t def) {
    std::vector<std::int64_t> v = p.get_ints(key);
    if (v.empty()) {
        if (p.has(key + "_h") || p.has(key + "_w")) return {p.get_int(key + "_h", def), p.get_int(key + "_w", def)};
        return {def, def};
    }
    MOIR_CHECK(v.size() <= 2, error, key + " has " + std::to_string(v.size()) + " values; 2-D windows take 1 or 2");
    if (v.size() == 1) v.push_back(v[0]);
    return v;
}

/// A per-channel operand of shape [C] reshaped to broadcast over data of rank `rank` from `axis`:
/// [1, C, 1, 1] for NCHW data and axis 1.
inline shape channel_shape(const std::vector<std::int64_t>& dims, std::size_t axis, std::size_t rank) {
    shape s(axis, 1);
    s.insert(s.end(), dims.begin(), dims.end());
    while (s.size() < rank) s.push_back(1);
    return s;
}

/// A negative axis counts from the end. ensures: 0 <= axis < rank, else an error naming `what`.
inline std::size_t axis_of(std::int64_t a, std::size_t rank, const char* what) {
    const std::int64_t r = static_cast<std::int64_t>(rank);
    if (a < 0) a += r;
    MOIR_CHECK(a >= 0 && a < r, error, std::string(what) + " is out of range for rank " + std::to_string(rank));
    return static_cast<std::size_t>(a);
}

inline void convolution(context& c) {
    const prototext::message& p = c.param("convolution_param");
    const shape x = c.input_dims(0);
    MOIR_CHECK(x.size() == 4, unsupported_error, "only 2-D convolutions (NCHW inputs) are supported");
    MOIR_CHECK(p.get_int("axis", 1) == 1, unsupported_error, "convolution_param.axis other than 1 is not supported");
    const std::int64_t out = p.get_int("num_output", 0);
    const std::int64_t group = p.get_int("group", 1);
    MOIR_CHECK(out > 0, error, "convolution_param.num_output must be positive");
    MOIR_CHECK(group >= 1 && x[1] % group == 0 && out % group == 0, error,
               "group " + std::to_string(group) + " does not divide the " + std::to_string(x[1]) + " input and " +
                   std::to_string(out) + " output channels");
    const auto k = spatial_param(p, "kernel_size", 0);
    MOIR_CHECK(k[0] > 0 && k[1] > 0, error, "the kernel size is missing or not positive");
    const auto pad = spatial_param(p, "pad", 0);
    const auto stride = spatial_param(p, "stride", 1);
    const auto dil = spatial_param(p, "dilation", 1);
    const bool bias = p.get_bool("bias_term", true);
    c.require_blobs(bias ? 2 : 1, bias ? 2 : 1, bias ? "weights and bias" : "weights");
    const shape wshape{out, x[1] / group, k[0], k[1]};
    tensor w = c.blob_tensor(0, wshape, "weights");
    ops::detail::convolution_attrs a;
    a.strides = stride;
    a.dilations = dil;
    a.pads_begin = pad;
    a.pads_end = pad;
    output_ref y;
    if (group == 1) {
        y = c.add<ops::convolution>(a, {c.input(0), c.constant(std::move(w), "/weights")});
    } else {
        w = w.reshaped({group, out / group, x[1] / group, k[0], k[1]});
        y = c.add<ops::group_convolution>(a, {c.input(0), c.constant(std::move(w), "/weights")});
    }
    if (bias) {
        const output_ref b = c.constant(c.blob_tensor(1, {out}, "bias").reshaped({1, out, 1, 1}), "/bias");
        y = c.add<ops::add>({}, {y, b}, "/add_bias");
    }
    c.set_output(0, y);
}

inline void pooling(context& c) {
    const prototext::message& p = c.param("pooling_param");
    const shape x = c.input_dims(0);
    MOIR_CHECK(x.size() == 4, unsupported_error, "only 2-D pooling (NCHW inputs) is supported");
    const std::string method = p.get_enum("pool", "MAX");
    const bool global = p.get_bool("global_pooling", false);
    std::vector<std::int64_t> k = spatial_param(p, "kernel_size", 0), pad = spatial_param(p, "pad", 0),
                              stride = spatial_param(p, "stride", 1);
    if (global) {
        k = {x[2], x[3]};
        pad = {0, 0};
        stride = {1, 1};
    }
    MOIR_CHECK(k[0] > 0 && k[1] > 0, error, "the kernel size is missing or not positive");
    // Caffe rounds the pooled size up (round_mode CEIL, the default) and drops a last window that
    // would start in the end padding: OpenVINO's ceil rounding
    const std::string round = p.get_enum("round_mode", "CEIL");
    const auto rounding = round == "FLOOR" ? ops::rounding_type::floor : ops::rounding_type::ceil;
    output_ref y;
    if (method == "MAX") {
        ops::max_pool::attrs a;
        a.strides = stride, a.pads_begin = pad, a.pads_end = pad, a.kernel = k, a.rounding_type = rounding;
        y = c.add<ops::max_pool>(a, {c.input(0)});
    } else if (method == "AVE") {
        ops::avg_pool::attrs a;
        a.strides = stride, a.pads_begin = pad, a.pads_end = pad, a.kernel = k, a.rounding_type = rounding;
        a.exclude_pad = false;  // Caffe divides by the window clipped to the padded input
        y = c.add<ops::avg_pool>(a, {c.input(0)});
    } else {
        throw unsupported_error("pooling method " + method + " is not supported (MAX and AVE are)");
    }
    c.set_output(0, y);
}

inline void inner_product(context& c) {
    const prototext::message& p = c.param("inner_product_param");
    const shape x = c.input_dims(0);
    const std::size_t axis = axis_of(p.get_int("axis", 1), x.size(), "inner_product_param.axis");
    const std::int64_t out = p.get_int("num_output", 0);
    MOIR_CHECK(out > 0, error, "inner_product_param.num_output must be positive");
    const bool bias = p.get_bool("bias_term", true);
    const bool transposed = p.get_bool("transpose", false);
    c.require_blobs(bias ? 2 : 1, bias ? 2 : 1, bias ? "weights and bias" : "weights");
    std::int64_t inner = 1;
    for (std::size_t i = axis; i < x.size(); ++i) inner *= x[i];
    shape rows(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(axis));
    shape flat = rows;
    flat.push_back(inner);
    output_ref in = c.input(0);
    if (flat != x) in = c.add<ops::reshape>({false}, {in, c.constant_i64(flat, "/flat_shape")}, "/flatten");
    const tensor w = c.blob_tensor(0, transposed ? shape{inner, out} : shape{out, inner}, "weights");
    ops::matmul::attrs m;
    m.transpose_b = !transposed;
    output_ref y = c.add<ops::matmul>(m, {in, c.constant(w, "/weights")});
    if (bias) y = c.add<ops::add>({}, {y, c.constant(c.blob_tensor(1, {out}, "bias"), "/bias")}, "/add_bias");
    c.set_output(0, y);
}

inline void batch_norm(context& c) {
    const prototext::message& p = c.param("batch_norm_param");
    MOIR_CHECK(p.get_bool("use_global_stats", true), unsupported_error,
               "use_global_stats: false normalizes with the batch's statistics (training); deploy files use the stored ones");
    const shape x = c.input_dims(0);
    MOIR_CHECK(x.size() >= 2, error, "BatchNorm needs data of rank >= 2");
    const std::int64_t ch = x[1];
    c.require_blobs(3, 3, "mean, variance, moving-average factor");
    tensor mean = c.blob_tensor(0, {ch}, "mean"), var = c.blob_tensor(1, {ch}, "variance");
    const tensor f = c.blob_tensor(2, {1}, "moving-average factor");
    const float factor = f.data<float>()[0];
    const float s = factor == 0.0f ? 0.0f : 1.0f / factor;  // Caffe: a zero factor means zero statistics
    for (std::int64_t i = 0; i < ch; ++i) mean.data<float>()[i] *= s, var.data<float>()[i] *= s;
    const double eps = p.get_float("eps", 1e-5);
    const output_ref gamma = c.constant(tensor::from_vector(std::vector<float>(static_cast<std::size_t>(ch), 1.0f)), "/gamma");
    const output_ref beta = c.constant(tensor::from_vector(std::vector<float>(static_cast<std::size_t>(ch), 0.0f)), "/beta");
    c.set_output(0, c.add<ops::batch_norm_inference>({eps}, {c.input(0), gamma, beta, c.constant(mean, "/mean"),
                                                              c.constant(var, "/variance")}));
}

/// Scale (blob or second bottom times the data, plus an optional bias) and Bias.
inline void scale_or_bias(context& c, bool is_scale) {
    const prototext::message& p = c.param(is_scale ? "scale_param" : "bias_param");
    const shape x = c.input_dims(0);
    const std::size_t axis = axis_of(p.get_int("axis", 1), x.size(), "axis");
    // the operand's dims: the second bottom's (Caffe: its rank is num_axes), else num_axes from axis
    const bool two = c.input_count() > 1;
    const std::int64_t num_axes = two ? static_cast<std::int64_t>(c.input_dims(1).size()) : p.get_int("num_axes", 1);
    MOIR_CHECK(num_axes >= -1, error, "num_axes must be >= -1");
    const std::size_t end = num_axes < 0 ? x.size() : axis + static_cast<std::size_t>(num_axes);
    MOIR_CHECK(end <= x.size(), error, "axis + num_axes exceeds the data's rank");
    const std::vector<std::int64_t> dims(x.begin() + static_cast<std::ptrdiff_t>(axis), x.begin() + static_cast<std::ptrdiff_t>(end));
    const shape bshape = channel_shape(dims, axis, x.size());
    output_ref y = c.input(0);
    std::size_t next_blob = 0;
    if (c.input_count() > 1) {  // the operand is the second bottom
        MOIR_CHECK(c.input_dims(1) == shape(dims.begin(), dims.end()), error,
                   "the second bottom's dims must be the data's dims from axis on");
        output_ref o = c.input(1);
        if (shape(dims.begin(), dims.end()) != bshape)
            o = c.add<ops::reshape>({false}, {o, c.constant_i64(bshape, "/operand_shape")}, "/operand");
        y = is_scale ? c.add<ops::multiply>({}, {y, o}, "/mul") : c.add<ops::add>({}, {y, o}, "/add");
    } else {
        const bool bias_after = is_scale && p.get_bool("bias_term", false);
        c.require_blobs(bias_after ? 2 : 1, bias_after ? 2 : 1, bias_after ? "scale and bias" : is_scale ? "scale" : "bias");
        const tensor b = c.blob_tensor(0, shape(dims.begin(), dims.end()), is_scale ? "scale" : "bias").reshaped(bshape);
        y = is_scale ? c.add<ops::multiply>({}, {y, c.constant(b, "/scale")}, "/mul")
                     : c.add<ops::add>({}, {y, c.constant(b, "/bias")}, "/add");
        next_blob = 1;
    }
    if (is_scale && p.get_bool("bias_term", false)) {
        const std::size_t bi = c.input_count() > 1 ? 0 : next_blob;
        c.require_blobs(bi + 1, bi + 1, "bias");
        const tensor b = c.blob_tensor(bi, shape(dims.begin(), dims.end()), "bias").reshaped(bshape);
        y = c.add<ops::add>({}, {y, c.constant(b, "/bias")}, "/add_bias");
    }
    c.set_output(0, y);
}

inline void prelu(context& c) {
    const shape x = c.input_dims(0);
    MOIR_CHECK(x.size() >= 2, error, "PReLU needs data of rank >= 2");
    const bool shared = c.attr<bool>("prelu_param.channel_shared", false);
    c.require_blobs(1, 1, "slopes");
    const tensor s = c.blob_tensor(0, {shared ? 1 : x[1]}, "slopes");
    c.set_output(0, c.add<ops::prelu>({}, {c.input(0), c.constant(s, "/slope")}));
}

inline void lrn(context& c) {
    const prototext::message& p = c.param("lrn_param");
    ops::lrn::attrs a;
    a.size = p.get_int("local_size", 5);
    a.alpha = p.get_float("alpha", 1.0);
    a.beta = p.get_float("beta", 0.75);
    a.bias = p.get_float("k", 1.0);
    const std::string region = p.get_enum("norm_region", "ACROSS_CHANNELS");
    MOIR_CHECK(region == "ACROSS_CHANNELS" || region == "WITHIN_CHANNEL", error, "unknown norm_region " + region);
    const std::vector<std::int64_t> axes = region == "ACROSS_CHANNELS" ? std::vector<std::int64_t>{1} : std::vector<std::int64_t>{2, 3};
    c.set_output(0, c.add<ops::lrn>(a, {c.input(0), c.constant_i64(axes, "/axes")}));
}
}  // namespace detail

/// Registers Convolution, Pooling, InnerProduct, BatchNorm, Scale, Bias, PReLU, LRN.
template <class = void>  // compiled only where a table is built
void register_nn(op_table& t) {
    t.add("Convolution", detail::convolution);
    t.add("Pooling", detail::pooling);
    t.add("InnerProduct", detail::inner_product);
    t.add("BatchNorm", detail::batch_norm);
    t.add("Scale", [](context& c) { detail::scale_or_bias(c, true); });
    t.add("Bias", [](context& c) { detail::scale_or_bias(c, false); });
    t.add("PReLU", detail::prelu);
    t.add("LRN", detail::lrn);
}

}  // namespace moir::caffe

#endif  // MOIR_FRONTENDS_CAFFE_OPS_NN_HPP
