#ifndef MOIR_FRONTENDS_TFLITE_OPS_NN_HPP
#define MOIR_FRONTENDS_TFLITE_OPS_NN_HPP

// TFLite neural-network ops -> moir ops (NCHW): CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV,
// MediaPipe's custom Convolution2DTransposeBias, MAX_POOL_2D, AVERAGE_POOL_2D, FULLY_CONNECTED,
// RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, DEPTH_TO_SPACE, SPACE_TO_DEPTH. Weights are permuted at
// load (OHWI -> OIHW; depthwise [1, H, W, C*M] -> [C, M, 1, H, W]), keeping f16 weights f16.

#include <moir/frontends/tflite/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/depth_to_space.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/max_pool.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/space_to_depth.hpp>

#include <cstdint>  // int32_t, int64_t
#include <cstring>  // memcpy
#include <string>   // string
#include <vector>   // vector

namespace moir::tflite {

namespace detail {

enum : std::int32_t {
    op_average_pool_2d = 1, op_conv_2d = 3, op_depthwise_conv_2d = 4, op_depth_to_space = 5, op_fully_connected = 9,
    op_max_pool_2d = 17, op_resize_bilinear = 23, op_space_to_depth = 26, op_transpose_conv = 67,
    op_resize_nearest_neighbor = 97
};

/// A constant weight transformed by fn(tensor) -> tensor, keeping its f16 compression or its int8
/// codes and scales (quantized weights).
template <class Fn>
output_ref weight(context& c, std::size_t i, const char* what, Fn fn) {
    const folded f = c.require_const(i, what);
    MOIR_CHECK(is_float(f.value.type()), unsupported_error,
               std::string(what) + " of type " + std::string(ir_name(f.value.type())) + " without quantization parameters");
    return c.make_const(f.mapped(fn), "/weights");
}

inline moir::ops::pad_type auto_pad(padding p) {
    return p == padding::valid ? moir::ops::pad_type::valid : moir::ops::pad_type::same_upper;
}

/// y + bias (input i, [O]) as [1, O, 1, 1] in NCHW.
inline output_ref add_bias(context& c, output_ref y, std::size_t i) {
    if (!c.has_input(i)) return y;
    folded b = c.require_const(i, "the bias");
    b.value = b.value.reshaped(shape{1, static_cast<std::int64_t>(b.value.numel()), 1, 1});
    return c.add<moir::ops::add>({}, {y, c.make_const(b, "/bias")}, "/bias_add");
}

inline void conv2d(context& c) {
    const conv_options o = conv_options::read(c.op(), false);
    const auto wd = c.input_dims(1);
    const auto xd = c.input_dims(0);
    MOIR_CHECK(wd.size() == 4 && xd.size() == 4, shape_error, "CONV_2D needs rank-4 input and weights");
    moir::ops::convolution::attrs a;
    a.strides = {o.stride_h, o.stride_w};
    a.dilations = {o.dilation_h, o.dilation_w};
    a.pads_begin = a.pads_end = {0, 0};
    a.auto_pad = auto_pad(o.pad);
    const output_ref x = c.input_nchw(0);
    const output_ref w = weight(c, 1, "the filter", [](const tensor& t) { return permuted(t, to_nchw_perm); });
    output_ref y;
    if (xd[3] == wd[3]) {
        y = c.add<moir::ops::convolution>(a, {x, w}, "/conv");
    } else {  // grouped: the input has groups * I channels
        MOIR_CHECK(xd[3] > 0 && wd[3] > 0 && xd[3] % wd[3] == 0 && wd[0] % (xd[3] / wd[3]) == 0, shape_error,
                   "the input's channels do not divide into the filter's groups");
        const std::int64_t g = xd[3] / wd[3];
        const folded f = c.require_const(1, "the filter").mapped([&](const tensor& t) {
            return permuted(t, to_nchw_perm).reshaped(shape{g, wd[0] / g, wd[3], wd[1], wd[2]});
        });
        y = c.add<moir::ops::group_convolution>(a, {x, c.make_const(f, "/weights_g")}, "/conv");
    }
    c.set_output_nchw(0, c.activate(add_bias(c, y, 2), o.act));
}

inline void depthwise_conv2d(context& c) {
    const conv_options o = conv_options::read(c.op(), true);
    const auto wd = c.input_dims(1);
    const auto xd = c.input_dims(0);
    MOIR_CHECK(wd.size() == 4 && xd.size() == 4 && wd[0] == 1, shape_error,
               "DEPTHWISE_CONV_2D needs a rank-4 input and [1, H, W, C*M] weights");
    const std::int64_t ch = xd[3];
    MOIR_CHECK(ch > 0 && wd[3] % ch == 0, shape_error, "the filter's channels are not a multiple of the input's");
    const std::int64_t mult = wd[3] / ch;
    moir::ops::group_convolution::attrs a;
    a.strides = {o.stride_h, o.stride_w};
    a.dilations = {o.dilation_h, o.dilation_w};
    a.pads_begin = a.pads_end = {0, 0};
    a.auto_pad = auto_pad(o.pad);
    const output_ref w = weight(c, 1, "the filter", [&](const tensor& t) {
        // [1, H, W, C*M] -> [H, W, C, M] -> [C, M, H, W] -> [C, M, 1, H, W]
        return permuted(t.reshaped(shape{wd[1], wd[2], ch, mult}), {2, 3, 0, 1}).reshaped(shape{ch, mult, 1, wd[1], wd[2]});
    });
    const output_ref y = c.add<moir::ops::group_convolution>(a, {c.input_nchw(0), w}, "/conv");
    c.set_output_nchw(0, c.activate(add_bias(c, y, 2), o.act));
}

/// A transposed convolution of input `x_input` with OHWI filter `w_input`, bias `b_input` (or none),
/// to the output tensor's declared size.
inline void deconv(context& c, std::size_t x_input, std::size_t w_input, std::size_t b_input, padding pad,
                   std::int32_t stride_h, std::int32_t stride_w, activation act) {
    const auto wd = c.input_dims(w_input);
    const auto xd = c.input_dims(x_input);
    const auto& od = c.output_tensor(0).shape;
    MOIR_CHECK(wd.size() == 4 && xd.size() == 4 && od.size() == 4, shape_error, "a transposed convolution needs rank-4 tensors");
    moir::ops::convolution_backprop_data::attrs a;
    a.strides = {stride_h, stride_w};
    a.dilations = {1, 1};
    a.output_padding = {0, 0};
    a.auto_pad = moir::ops::pad_type::explicit_;
    const std::int64_t k[2] = {wd[1], wd[2]}, in[2] = {xd[1], xd[2]}, out[2] = {od[1], od[2]}, s[2] = {stride_h, stride_w};
    for (int i = 0; i < 2; ++i) {
        MOIR_CHECK(in[i] > 0 && out[i] > 0, unsupported_error, "a transposed convolution needs static spatial dims");
        const std::int64_t total = (in[i] - 1) * s[i] + k[i] - out[i];
        if (pad == padding::valid || total <= 0) {  // VALID crops at the end
            a.pads_begin.push_back(0);
            a.pads_end.push_back(total > 0 ? total : 0);
            MOIR_CHECK(-total < s[i], shape_error,
                       "the output size " + std::to_string(out[i]) + " does not fit input " + std::to_string(in[i]) +
                           ", stride " + std::to_string(s[i]) + " and kernel " + std::to_string(k[i]));
            a.output_padding[i] = total < 0 ? -total : 0;
        } else {
            a.pads_begin.push_back(total / 2);
            a.pads_end.push_back(total - total / 2);
        }
    }
    // OHWI -> [C_in = I, C_out = O, H, W]
    const output_ref w = weight(c, w_input, "the filter", [](const tensor& t) { return permuted(t, {3, 0, 1, 2}); });
    const output_ref y = c.add<moir::ops::convolution_backprop_data>(a, {c.input_nchw(x_input), w}, "/deconv");
    c.set_output_nchw(0, c.activate(b_input < c.input_count() ? add_bias(c, y, b_input) : y, act));
}

inline void transpose_conv(context& c) {
    const transpose_conv_options o = transpose_conv_options::read(c.op());
    // inputs: output_shape, weights, input, (bias)
    deconv(c, 2, 1, 3, o.pad, o.stride_h, o.stride_w, o.act);
}

/// MediaPipe's Convolution2DTransposeBias: inputs (input, OHWI weights, bias); its custom options are
/// the raw TfLiteTransposeConvParams {int32 padding (1 SAME, 2 VALID), int32 stride_w, int32 stride_h}.
inline void convolution2d_transpose_bias(context& c) {
    const auto& op = c.op();
    MOIR_CHECK(op.custom_options_size >= 12, parse_error,
               "its custom options hold " + std::to_string(op.custom_options_size) + " bytes, 12 expected");
    std::int32_t p[3];
    std::memcpy(p, c.file().bytes->data() + op.custom_options_offset, sizeof p);
    MOIR_CHECK(p[0] == 1 || p[0] == 2, parse_error, "unknown padding " + std::to_string(p[0]));
    MOIR_CHECK(p[1] >= 1 && p[2] >= 1, parse_error, "strides must be >= 1");
    deconv(c, 0, 1, 2, p[0] == 1 ? padding::same : padding::valid, p[2], p[1], activation::none);
}

template <class Op>
void pool(context& c) {
    const pool_options o = pool_options::read(c.op());
    typename Op::attrs a;
    a.strides = {o.stride_h, o.stride_w};
    a.kernel = {o.filter_h, o.filter_w};
    a.pads_begin = a.pads_end = {0, 0};
    a.auto_pad = auto_pad(o.pad);
    if constexpr (std::is_same_v<Op, moir::ops::avg_pool>) a.exclude_pad = true;  // TFLite averages valid cells only
    c.set_output_nchw(0, c.activate(c.add<Op>(a, {c.input_nchw(0)}, o.act == activation::none ? "" : "/pool"), o.act, ""));
}

inline void fully_connected(context& c) {
    const fully_connected_options o = fully_connected_options::read(c.op());
    MOIR_CHECK(o.weights_format == 0, unsupported_error, "shuffled weights are not supported");
    const auto wd = c.input_dims(1);
    MOIR_CHECK(wd.size() == 2, shape_error, "the weights must be [N, K]");
    const output_ref x2 = c.add<moir::ops::reshape>({false}, {c.input(0), c.constant_i64({-1, wd[1]}, "/flat/shape")}, "/flat");
    output_ref w;
    if (c.const_input(1)) {
        w = weight(c, 1, "the weights", [](const tensor& t) { return permuted(t, {1, 0}); });
    } else {
        w = c.transpose(c.input(1), {1, 0}, "/weights_t");
    }
    output_ref y = c.add<moir::ops::matmul>({false, false}, {x2, w}, "/matmul");
    if (c.has_input(2)) {
        folded b = c.require_const(2, "the bias");
        y = c.add<moir::ops::add>({}, {y, c.make_const(b, "/bias")}, "/bias_add");
    }
    y = c.activate(y, o.act);
    const auto& od = c.output_tensor(0).shape;
    if (od.size() != 2) {
        std::vector<std::int64_t> dims(od.begin(), od.end());
        y = c.add<moir::ops::reshape>({false}, {y, c.constant_i64(dims, "/out/shape")}, "/out");
    }
    c.set_output(0, y);
}

inline void resize(context& c, bool bilinear) {
    const auto size = c.const_ints(1, "the size");
    MOIR_CHECK(size.size() == 2, shape_error, "the size must hold 2 values");
    const bool align = option<bool>(c.op(), bilinear ? 2 : 0, false);
    const bool half = option<bool>(c.op(), bilinear ? 3 : 1, false);
    moir::ops::interpolate::attrs a;
    a.shape_calculation_mode = moir::ops::shape_calculation_mode::sizes;
    using ctm = moir::ops::coordinate_transformation_mode;
    if (bilinear) {
        a.mode = moir::ops::interpolate_mode::linear_onnx;
        a.coordinate_transformation_mode = align ? ctm::align_corners : half ? ctm::half_pixel : ctm::asymmetric;
    } else {
        a.mode = moir::ops::interpolate_mode::nearest;
        a.coordinate_transformation_mode = align ? ctm::align_corners : half ? ctm::tf_half_pixel_for_nn : ctm::asymmetric;
        a.nearest_mode = align ? moir::ops::nearest_mode::round_prefer_ceil : moir::ops::nearest_mode::floor;
    }
    a.pads_begin = a.pads_end = {0, 0, 0, 0};
    const output_ref y = c.add<moir::ops::interpolate>(
        a, {c.input_nchw(0), c.constant_i64(size, "/sizes"), c.constant_i64({2, 3}, "/axes")});
    c.set_output_nchw(0, y);
}

}  // namespace detail

/// Registers the nn family.
template <class = void>  // compiled only where a table is built
void register_nn(op_table& t) {
    using namespace detail;
    t.add(op_conv_2d, conv2d);
    t.add(op_depthwise_conv_2d, depthwise_conv2d);
    t.add(op_transpose_conv, transpose_conv);
    t.add_custom("Convolution2DTransposeBias", convolution2d_transpose_bias);
    t.add(op_max_pool_2d, pool<moir::ops::max_pool>);
    t.add(op_average_pool_2d, pool<moir::ops::avg_pool>);
    t.add(op_fully_connected, fully_connected);
    t.add(op_resize_bilinear, [](context& c) { resize(c, true); });
    t.add(op_resize_nearest_neighbor, [](context& c) { resize(c, false); });
    t.add(op_depth_to_space, [](context& c) {
        const auto bs = option<std::int32_t>(c.op(), 0, 0);
        MOIR_CHECK(bs >= 1, parse_error, "block_size must be >= 1");
        c.set_output_nchw(0, c.add<moir::ops::depth_to_space>({moir::ops::depth_space_mode::blocks_first, bs}, {c.input_nchw(0)}));
    });
    t.add(op_space_to_depth, [](context& c) {
        const auto bs = option<std::int32_t>(c.op(), 0, 0);
        MOIR_CHECK(bs >= 1, parse_error, "block_size must be >= 1");
        moir::ops::space_to_depth::attrs a;
        a.mode = moir::ops::depth_space_mode::blocks_first;
        a.block_size = bs;
        c.set_output_nchw(0, c.add<moir::ops::space_to_depth>(a, {c.input_nchw(0)}));
    });
}

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_OPS_NN_HPP
