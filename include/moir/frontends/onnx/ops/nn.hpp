#ifndef MOIR_FRONTENDS_ONNX_OPS_NN_HPP
#define MOIR_FRONTENDS_ONNX_OPS_NN_HPP

// ONNX neural-network ops -> moir ops: Conv, ConvTranspose, BatchNormalization, MaxPool,
// AveragePool, GlobalAveragePool, GlobalMaxPool, Resize, Upsample, Gemm, MatMul.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/batch_norm_inference.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/group_convolution_backprop_data.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/max_pool.hpp>
#include <moir/ops/max_pool_v8.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/subtract.hpp>

#include <cstdint>  // int64_t
#include <string>   // string, to_string
#include <type_traits>  // is_same_v
#include <vector>   // vector

namespace moir::onnx {

namespace detail {
inline moir::ops::pad_type onnx_auto_pad(const context& c) {
    const std::string p = c.attr_string("auto_pad", "NOTSET");
    if (p == "NOTSET" || p.empty()) return moir::ops::pad_type::explicit_;
    if (p == "SAME_UPPER") return moir::ops::pad_type::same_upper;
    if (p == "SAME_LOWER") return moir::ops::pad_type::same_lower;
    if (p == "VALID") return moir::ops::pad_type::valid;
    throw parse_error("unknown auto_pad '" + p + "'");
}

/// The sliding-window attributes every conv/pool node shares, for `k` spatial axes.
struct window {
    std::vector<std::int64_t> strides, dilations, pads_begin, pads_end;
    moir::ops::pad_type auto_pad;
};
inline window onnx_window(const context& c, std::size_t k) {
    window w;
    w.strides = c.attr_ints("strides", std::vector<std::int64_t>(k, 1));
    w.dilations = c.attr_ints("dilations", std::vector<std::int64_t>(k, 1));
    const auto pads = c.attr_ints("pads", std::vector<std::int64_t>(2 * k, 0));
    MOIR_CHECK(w.strides.size() == k && w.dilations.size() == k && pads.size() == 2 * k, parse_error,
               "strides/dilations/pads do not match the " + std::to_string(k) + " spatial axes");
    w.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(k));
    w.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(k), pads.end());
    w.auto_pad = onnx_auto_pad(c);
    return w;
}

/// A weight reshaped to `dims`: folded when constant, a Reshape node otherwise.
inline output_ref reshaped(context& c, std::size_t input, std::vector<std::int64_t> dims, const std::string& suffix) {
    if (auto v = c.const_input(input)) {
        // resolve one -1 from the constant's element count, as Reshape would
        std::int64_t known = 1;
        for (auto d : dims) known *= d < 0 ? 1 : d;
        for (auto& d : dims)
            if (d < 0 && known > 0) d = static_cast<std::int64_t>(v->numel()) / known;
        return c.constant(v->reshaped(dims), suffix);
    }
    return c.add<moir::ops::reshape>({true}, {c.input(input), c.constant(tensor::from_vector(dims), suffix + "/shape")},
                                     suffix);
}

/// y + bias where bias [C] broadcasts over axis 1 of a rank-`rank` tensor.
inline output_ref add_channel_bias(context& c, output_ref y, std::size_t bias_input, std::size_t rank) {
    std::vector<std::int64_t> dims(rank, 1);
    dims[1] = -1;
    if (auto v = c.const_input(bias_input)) dims[1] = static_cast<std::int64_t>(v->numel());
    return c.add<moir::ops::add>({}, {y, reshaped(c, bias_input, dims, "/bias")});
}

inline std::size_t spatial_rank(context& c, std::size_t weights_input) {
    const auto& w = c.input_port(weights_input).shape;
    MOIR_CHECK(!w.rank_dynamic && w.rank() >= 3, unsupported_error, "the weights must have a known rank >= 3");
    return w.rank() - 2;
}

inline void conv(context& c) {
    const std::size_t k = spatial_rank(c, 1);
    const window w = onnx_window(c, k);
    const std::int64_t group = c.attr_int("group", 1);
    MOIR_CHECK(group >= 1, parse_error, "group must be >= 1");
    output_ref y;
    if (group == 1) {
        moir::ops::convolution::attrs a;
        a.strides = w.strides;
        a.pads_begin = w.pads_begin;
        a.pads_end = w.pads_end;
        a.dilations = w.dilations;
        a.auto_pad = w.auto_pad;
        y = c.add<moir::ops::convolution>(a, {c.input(0), c.input(1)}, c.has_input(2) ? "/conv" : "");
    } else {
        const auto& ws = c.input_port(1).shape.dims;
        MOIR_CHECK(ws[0] >= 0 && ws[0] % group == 0, shape_error,
                   "the weights' output channels (" + std::to_string(ws[0]) + ") are not divisible by group " +
                       std::to_string(group));
        std::vector<std::int64_t> gdims{group, ws[0] / group};
        gdims.insert(gdims.end(), ws.begin() + 1, ws.end());
        moir::ops::group_convolution::attrs a;
        a.strides = w.strides;
        a.pads_begin = w.pads_begin;
        a.pads_end = w.pads_end;
        a.dilations = w.dilations;
        a.auto_pad = w.auto_pad;
        y = c.add<moir::ops::group_convolution>(a, {c.input(0), reshaped(c, 1, gdims, "/weights")},
                                                c.has_input(2) ? "/conv" : "");
    }
    if (c.has_input(2)) y = add_channel_bias(c, y, 2, k + 2);
    c.set_output(0, y);
}

inline void conv_transpose(context& c) {
    const std::size_t k = spatial_rank(c, 1);
    window w = onnx_window(c, k);
    const std::int64_t group = c.attr_int("group", 1);
    auto output_padding = c.attr_ints("output_padding", std::vector<std::int64_t>(k, 0));
    const auto output_shape = c.attr_ints("output_shape");
    const auto& xs = c.input_port(0).shape;
    const auto& ws = c.input_port(1).shape.dims;
    MOIR_CHECK(output_padding.size() == k, parse_error, "output_padding does not match the spatial axes");
    if (!output_shape.empty() || w.auto_pad == moir::ops::pad_type::same_upper ||
        w.auto_pad == moir::ops::pad_type::same_lower) {
        // ONNX derives the pads from the requested output size
        const std::size_t off = output_shape.size() > k ? output_shape.size() - k : 0;
        // ranks checked before any dim is read (a corrupt file may give fewer)
        MOIR_CHECK(output_shape.empty() || output_shape.size() >= k, parse_error,
                   "output_shape has " + std::to_string(output_shape.size()) + " values for " + std::to_string(k) +
                       " spatial axes");
        MOIR_CHECK((xs.rank_dynamic || xs.dims.size() == k + 2) && ws.size() == k + 2, unsupported_error,
                   "ConvTranspose with output_shape or SAME padding needs data and weights of rank " +
                       std::to_string(k + 2) + " with static spatial dims");
        for (std::size_t i = 0; i < k; ++i) {
            const std::int64_t in = xs.rank_dynamic ? -1 : xs.dims[i + 2];
            MOIR_CHECK(in >= 0 && ws[i + 2] >= 0, unsupported_error,
                       "ConvTranspose with output_shape or SAME padding needs static spatial dims");
            const std::int64_t out = output_shape.empty() ? in * w.strides[i] : output_shape[off + i];
            const std::int64_t total =
                w.strides[i] * (in - 1) + output_padding[i] + (ws[i + 2] - 1) * w.dilations[i] + 1 - out;
            if (total < 0) {  // the output is larger than the full transpose: extend with output_padding
                output_padding[i] -= total;
                w.pads_begin[i] = w.pads_end[i] = 0;
                continue;
            }
            const bool upper = w.auto_pad == moir::ops::pad_type::same_upper;
            w.pads_begin[i] = upper ? total / 2 : total - total / 2;
            w.pads_end[i] = total - w.pads_begin[i];
        }
        w.auto_pad = moir::ops::pad_type::explicit_;
    }
    output_ref y;
    const std::string suffix = c.has_input(2) ? "/deconv" : "";
    if (group == 1) {
        moir::ops::convolution_backprop_data::attrs a;
        a.strides = w.strides;
        a.pads_begin = w.pads_begin;
        a.pads_end = w.pads_end;
        a.dilations = w.dilations;
        a.auto_pad = w.auto_pad;
        a.output_padding = output_padding;
        y = c.add<moir::ops::convolution_backprop_data>(a, {c.input(0), c.input(1)}, suffix);
    } else {
        MOIR_CHECK(ws[0] >= 0 && ws[0] % group == 0, shape_error, "input channels are not divisible by group");
        std::vector<std::int64_t> gdims{group, ws[0] / group};
        gdims.insert(gdims.end(), ws.begin() + 1, ws.end());
        moir::ops::group_convolution_backprop_data::attrs a;
        a.strides = w.strides;
        a.pads_begin = w.pads_begin;
        a.pads_end = w.pads_end;
        a.dilations = w.dilations;
        a.auto_pad = w.auto_pad;
        a.output_padding = output_padding;
        y = c.add<moir::ops::group_convolution_backprop_data>(a, {c.input(0), reshaped(c, 1, gdims, "/weights")}, suffix);
    }
    if (c.has_input(2)) y = add_channel_bias(c, y, 2, k + 2);
    c.set_output(0, y);
}

/// BatchNormalization with training_mode=1: normalizes with the batch statistics (mean and population
/// variance over every axis but 1) and outputs running_mean/var = input * momentum + batch * (1 - momentum).
inline void batch_norm_training(context& c) {
    const auto& xs = c.input_port(0).shape;
    MOIR_CHECK(!xs.rank_dynamic && xs.rank() >= 2, unsupported_error, "training-mode BatchNormalization needs a known rank >= 2");
    const element_type et = c.input_port(0).type;
    std::vector<std::int64_t> axes{0};
    for (std::size_t i = 2; i < xs.rank(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    const output_ref ax = c.constant(tensor::from_vector(axes), "/axes");
    auto scalar = [&](float v, const std::string& s) { return c.constant(tensor::scalar(v).converted(et), s); };
    const output_ref x = c.input(0);
    const output_ref mean = c.add<moir::ops::reduce_mean>({true}, {x, ax}, "/mean");
    const output_ref d = c.add<moir::ops::subtract>({}, {x, mean}, "/centered");
    const output_ref var = c.add<moir::ops::reduce_mean>({true}, {c.add<moir::ops::multiply>({}, {d, d}, "/sq"), ax}, "/var");
    const output_ref std_dev = c.add<moir::ops::sqrt>(
        {}, {c.add<moir::ops::add>({}, {var, scalar(c.attr_float("epsilon", 1e-5f), "/eps")}, "/var_eps")}, "/std");
    std::vector<std::int64_t> cdims(xs.rank(), 1);
    cdims[1] = -1;
    const output_ref scale = reshaped(c, 1, cdims, "/scale");
    const output_ref bias = reshaped(c, 2, cdims, "/bias");
    output_ref y = c.add<moir::ops::divide>({}, {d, std_dev}, "/normalized");
    y = c.add<moir::ops::add>({}, {c.add<moir::ops::multiply>({}, {y, scale}, "/scaled"), bias});
    c.set_output(0, y);
    const float momentum = c.attr_float("momentum", 0.9f);
    const output_ref vector_shape = c.constant(tensor::from_vector(std::vector<std::int64_t>{-1}), "/vector");
    auto running = [&](std::size_t input, output_ref batch, const std::string& s) {
        const output_ref b = c.add<moir::ops::reshape>({false}, {batch, vector_shape}, s + "/batch");
        return c.add<moir::ops::add>(
            {}, {c.add<moir::ops::multiply>({}, {c.input(input), scalar(momentum, s + "/momentum")}, s + "/old"),
                 c.add<moir::ops::multiply>({}, {b, scalar(1.0f - momentum, s + "/rate")}, s + "/new")}, s);
    };
    if (c.output_used(1)) c.set_output(1, running(3, mean, "/running_mean"));
    if (c.output_used(2)) c.set_output(2, running(4, var, "/running_var"));
}

inline void batch_norm(context& c) {
    if (c.attr_int("training_mode", 0) != 0) return batch_norm_training(c);
    for (std::size_t i = 1; i < c.output_count(); ++i)
        MOIR_CHECK(!c.output_used(i), unsupported_error, "the running mean/var outputs (training) are not supported");
    moir::ops::batch_norm_inference::attrs a;
    a.epsilon = c.attr_float("epsilon", 1e-5f);
    c.set_output(0, c.add<moir::ops::batch_norm_inference>(a, {c.input(0), c.input(1), c.input(2), c.input(3), c.input(4)}));
}

/// MaxPool with dilations or the Indices output: MaxPool-8 (its indices count over the whole
/// tensor, ONNX's storage_order 0; storage_order 1 re-linearizes the spatial position column-major).
inline void max_pool_with_indices(context& c, const std::vector<std::int64_t>& kernel, const window& w) {
    moir::ops::max_pool_v8::attrs a;
    a.strides = w.strides;
    a.dilations = w.dilations;
    a.pads_begin = w.pads_begin;
    a.pads_end = w.pads_end;
    a.kernel = kernel;
    a.auto_pad = w.auto_pad;
    a.rounding_type = c.attr_int("ceil_mode", 0) ? moir::ops::rounding_type::ceil : moir::ops::rounding_type::floor;
    a.index_element_type = element_type::i64;
    a.axis = 0;
    const node_id id = c.add_node<moir::ops::max_pool_v8>(a, {c.input(0)});
    c.set_output(0, {id, 0});
    if (!c.output_used(1)) return;
    output_ref idx{id, 1};
    if (c.attr_int("storage_order", 0) != 0 && kernel.size() > 1) {
        // idx = plane * P + row-major(spatial); make it plane * P + column-major(spatial)
        const auto& xs = c.input_port(0).shape;
        MOIR_CHECK(!xs.rank_dynamic && xs.is_static(), unsupported_error,
                   "MaxPool with storage_order=1 needs a static input shape");
        std::int64_t plane = 1;
        for (std::size_t i = 2; i < xs.rank(); ++i) plane *= xs.dims[i];
        auto k = [&](std::int64_t v, const std::string& s) { return c.constant(tensor::scalar<std::int64_t>(v), s); };
        auto div = [&](output_ref x, output_ref y, const std::string& s) {
            return c.add<moir::ops::divide>({moir::ops::auto_broadcast::numpy, true}, {x, y}, s);
        };
        const output_ref plane_c = k(plane, "/indices/plane");
        const output_ref base = c.add<moir::ops::multiply>({}, {div(idx, plane_c, "/indices/n"), plane_c}, "/indices/base");
        output_ref rest = c.add<moir::ops::subtract>({}, {idx, base}, "/indices/rest");
        output_ref col = base;
        std::int64_t col_stride = 1;  // column-major stride of axis i
        std::vector<std::int64_t> row_stride(xs.rank(), 1);
        for (std::size_t i = xs.rank() - 1; i-- > 2;) row_stride[i] = row_stride[i + 1] * xs.dims[i + 1];
        for (std::size_t i = 2; i < xs.rank(); ++i) {
            const std::string s = "/indices/axis" + std::to_string(i);
            const output_ref rs = k(row_stride[i], s + "/row");
            const output_ref coord = div(rest, rs, s + "/coord");
            rest = c.add<moir::ops::subtract>({}, {rest, c.add<moir::ops::multiply>({}, {coord, rs}, s + "/used")}, s + "/rest");
            col = c.add<moir::ops::add>({}, {col, c.add<moir::ops::multiply>({}, {coord, k(col_stride, s + "/col")}, s + "/term")}, s);
            col_stride *= xs.dims[i];
        }
        idx = col;
    }
    c.set_output(1, idx);
}

template <class Pool>
void pool(context& c) {
    const auto kernel = c.attr_ints("kernel_shape");
    MOIR_CHECK(!kernel.empty(), parse_error, "kernel_shape is required");
    const window w = onnx_window(c, kernel.size());
    bool dilated = false;
    for (auto d : w.dilations) dilated = dilated || d != 1;
    if constexpr (std::is_same_v<Pool, moir::ops::max_pool>) {
        if (dilated || c.output_used(1)) return max_pool_with_indices(c, kernel, w);
    }
    MOIR_CHECK(!dilated, unsupported_error, "AveragePool with dilations is not supported");
    typename Pool::attrs a;
    a.strides = w.strides;
    a.pads_begin = w.pads_begin;
    a.pads_end = w.pads_end;
    a.kernel = kernel;
    a.auto_pad = w.auto_pad;
    a.rounding_type = c.attr_int("ceil_mode", 0) ? moir::ops::rounding_type::ceil : moir::ops::rounding_type::floor;
    if constexpr (std::is_same_v<Pool, moir::ops::avg_pool>) a.exclude_pad = c.attr_int("count_include_pad", 0) == 0;
    c.set_output(0, c.add<Pool>(a, {c.input(0)}));
}

template <class Reduce>
void global_pool(context& c) {
    const auto& s = c.input_port(0).shape;
    MOIR_CHECK(!s.rank_dynamic && s.rank() >= 3, unsupported_error, "global pooling needs an input of known rank >= 3");
    std::vector<std::int64_t> axes;
    for (std::size_t i = 2; i < s.rank(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    c.set_output(0, c.add<Reduce>({true}, {c.input(0), c.constant(tensor::from_vector(axes), "/axes")}));
}

inline void gemm(context& c) {
    moir::ops::matmul::attrs a;
    a.transpose_a = c.attr_int("transA", 0) != 0;
    a.transpose_b = c.attr_int("transB", 0) != 0;
    const float alpha = c.attr_float("alpha", 1.0f), beta = c.attr_float("beta", 1.0f);
    const element_type et = c.input_port(0).type;
    output_ref y = c.add<moir::ops::matmul>(a, {c.input(0), c.input(1)}, "/matmul");
    if (alpha != 1.0f) y = c.add<moir::ops::multiply>({}, {y, c.constant(tensor::scalar(alpha).converted(et), "/alpha")}, "/scaled");
    if (c.has_input(2) && beta != 0.0f) {
        output_ref bias = c.input(2);
        if (beta != 1.0f) bias = c.add<moir::ops::multiply>({}, {bias, c.constant(tensor::scalar(beta).converted(et), "/beta")}, "/beta_c");
        y = c.add<moir::ops::add>({}, {y, bias});
    }
    c.set_output(0, y);
}
}  // namespace detail

/// Registers Conv, ConvTranspose, BatchNormalization, MaxPool, AveragePool, GlobalAveragePool,
/// GlobalMaxPool, Gemm, MatMul (Resize and Upsample are in ops/resize.hpp).
template <class = void>  // compiled only where a table is built
void register_nn(op_table& t) {
    t.add("Conv", detail::conv);
    t.add("ConvTranspose", detail::conv_transpose);
    t.add("BatchNormalization", detail::batch_norm);
    t.add("MaxPool", detail::pool<moir::ops::max_pool>);
    t.add("AveragePool", detail::pool<moir::ops::avg_pool>);
    t.add("GlobalAveragePool", detail::global_pool<moir::ops::reduce_mean>);
    t.add("GlobalMaxPool", detail::global_pool<moir::ops::reduce_max>);
    t.add("Gemm", detail::gemm);
    t.add("MatMul", [](context& c) { c.set_output(0, c.add<moir::ops::matmul>({}, {c.input(0), c.input(1)})); });
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_NN_HPP
