#ifndef MOIR_FRONTENDS_ONNX_OPS_QUANTIZATION_HPP
#define MOIR_FRONTENDS_ONNX_OPS_QUANTIZATION_HPP

// ONNX quantization ops -> moir ops, decomposed into element-wise math (OpenVINO's FakeQuantize
// form is not needed for exact results):
//   QuantizeLinear: y = Convert(Clamp(Round(x / scale) + zero_point, qmin, qmax)) (Round halves to
//     even); DequantizeLinear: y = (Convert(x) - Convert(zero_point)) * scale. Per-axis scales and
//     zero points (1-D, along `axis`) are reshaped to broadcast; blocked quantization is not supported.
//   DynamicQuantizeLinear: scale = (max(0, max(x)) - min(0, min(x))) / 255 (1 when that range is 0),
//     zero_point = Round(Clamp(-min(0, min(x)) / scale, 0, 255)), then y as QuantizeLinear (u8).
//   ConvInteger / QLinearConv: the integer convolution of (x - x_zero_point) and (w - w_zero_point)
//     computed exactly in f64 (Convolution or GroupConvolution); QLinearConv adds the i32 bias and
//     requantizes with x_scale * w_scale / y_scale (f32).
//   MatMulInteger / QLinearMatMul: MatMul on i32 (a - a_zero_point) and (b - b_zero_point);
//     QLinearMatMul requantizes with a_scale * b_scale / y_scale (f32).

#include <moir/frontends/onnx/converter.hpp>
#include <moir/frontends/onnx/ops/nn.hpp>  // detail::onnx_window, spatial_rank
#include <moir/ops/add.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/round.hpp>
#include <moir/ops/select.hpp>
#include <moir/ops/subtract.hpp>

#include <cstdint>   // int64_t
#include <optional>  // optional
#include <string>    // string, to_string
#include <utility>   // pair
#include <vector>    // vector

namespace moir::onnx {

namespace detail {
/// [qmin, qmax] of an integer element type.
inline std::pair<double, double> quant_range(element_type t) {
    switch (t) {
        case element_type::u8: return {0.0, 255.0};
        case element_type::i8: return {-128.0, 127.0};
        case element_type::u16: return {0.0, 65535.0};
        case element_type::i16: return {-32768.0, 32767.0};
        case element_type::i32: return {-2147483648.0, 2147483647.0};
        case element_type::u32: return {0.0, 4294967295.0};
        default: break;
    }
    throw unsupported_error("quantization to " + std::string(ir_name(t)) + " is not supported");
}

/// r converted to t (no node when it already is).
inline output_ref quant_convert(context& c, output_ref r, element_type t, const std::string& suffix) {
    if (c.model().port(r).type == t) return r;
    return c.add<moir::ops::convert>({t}, {r}, suffix);
}

/// A scale or zero point that broadcasts against data of rank `rank`: scalars and 1-element 1-D
/// tensors as they are; a 1-D tensor of n elements reshaped to [n, 1...] so that it runs along
/// `axis` (negative counts from the end).
inline output_ref quant_param(context& c, output_ref p, std::size_t rank, std::int64_t axis, const std::string& suffix) {
    const auto& s = c.model().port(p).shape;
    MOIR_CHECK(!s.rank_dynamic && s.rank() <= 1, unsupported_error,
               "scales and zero points must be scalars or 1-D (blocked quantization is not supported)");
    if (s.rank() == 0 || s.dims[0] == 1) return p;
    const std::size_t ax = normalize_axis(axis, rank);
    std::vector<std::int64_t> dims(rank - ax, 1);
    dims[0] = -1;
    return c.add<moir::ops::reshape>({false}, {p, c.constant(tensor::from_vector(dims), suffix + "/shape")}, suffix);
}

/// Clamp(Round(v) + zero_point, qmin, qmax) converted to `out`; v and zero_point (or none) of v's type.
inline output_ref quant_saturate(context& c, output_ref v, std::optional<output_ref> zp, element_type out,
                                 const std::string& suffix) {
    output_ref q = c.add<moir::ops::round>({moir::ops::round_mode::half_to_even}, {v}, suffix + "/round");
    if (zp) q = c.add<moir::ops::add>({}, {q, *zp}, suffix + "/shifted");
    const auto [lo, hi] = quant_range(out);
    q = c.add<moir::ops::clamp>({lo, hi}, {q}, suffix + "/clamped");
    return c.add<moir::ops::convert>({out}, {q}, suffix);
}

inline void quantize_linear(context& c) {
    MOIR_CHECK(c.attr_int("block_size", 0) == 0, unsupported_error, "blocked quantization is not supported");
    element_type out = element_type::u8;
    if (c.has_input(2)) out = c.input_port(2).type;
    else if (c.has_attr("output_dtype")) out = proto::to_element_type(static_cast<int>(c.attr_int("output_dtype", 2))).value_or(element_type::undefined);
    quant_range(out);
    const auto& xs = c.input_port(0).shape;
    const std::int64_t axis = c.attr_int("axis", 1);
    const std::size_t rank = xs.rank_dynamic ? 0 : xs.rank();
    const element_type ft = element_type::f32;
    const output_ref x = quant_convert(c, c.input(0), ft, "/x");
    const output_ref scale = quant_convert(c, quant_param(c, c.input(1), rank, axis, "/scale"), ft, "/scale_f");
    std::optional<output_ref> zp;
    if (c.has_input(2)) zp = quant_convert(c, quant_param(c, c.input(2), rank, axis, "/zero_point"), ft, "/zero_point_f");
    c.set_output(0, quant_saturate(c, c.add<moir::ops::divide>({}, {x, scale}, "/scaled"), zp, out, ""));
}

inline void dequantize_linear(context& c) {
    MOIR_CHECK(c.attr_int("block_size", 0) == 0, unsupported_error, "blocked quantization is not supported");
    const auto& xs = c.input_port(0).shape;
    const std::int64_t axis = c.attr_int("axis", 1);
    const std::size_t rank = xs.rank_dynamic ? 0 : xs.rank();
    const element_type ft = c.input_port(1).type;
    output_ref x = quant_convert(c, c.input(0), ft, "/x");
    if (c.has_input(2)) {
        const output_ref zp = quant_convert(c, quant_param(c, c.input(2), rank, axis, "/zero_point"), ft, "/zero_point_f");
        x = c.add<moir::ops::subtract>({}, {x, zp}, "/centered");
    }
    c.set_output(0, c.add<moir::ops::multiply>({}, {x, quant_param(c, c.input(1), rank, axis, "/scale")}));
}

inline void dynamic_quantize_linear(context& c) {
    const auto& xs = c.input_port(0).shape;
    MOIR_CHECK(!xs.rank_dynamic, unsupported_error, "DynamicQuantizeLinear needs an input of known rank");
    std::vector<std::int64_t> all;
    for (std::size_t i = 0; i < xs.rank(); ++i) all.push_back(static_cast<std::int64_t>(i));
    const element_type ft = element_type::f32;
    const output_ref x = quant_convert(c, c.input(0), ft, "/x");
    const output_ref axes = c.constant(tensor::from_vector(all), "/axes");
    const output_ref zero = c.constant(tensor::scalar(0.0f), "/zero");
    const output_ref lo = c.add<moir::ops::minimum>({}, {c.add<moir::ops::reduce_min>({false}, {x, axes}, "/min_x"), zero}, "/min");
    const output_ref hi = c.add<moir::ops::maximum>({}, {c.add<moir::ops::reduce_max>({false}, {x, axes}, "/max_x"), zero}, "/max");
    output_ref range = c.add<moir::ops::subtract>({}, {hi, lo}, "/range");
    range = c.add<moir::ops::select>({}, {c.add<moir::ops::equal>({}, {range, zero}, "/flat"),
                                          c.constant(tensor::scalar(1.0f), "/one"), range},
                                     "/range_nz");
    const output_ref scale = c.add<moir::ops::divide>({}, {range, c.constant(tensor::scalar(255.0f), "/levels")}, "/scale");
    c.set_output(1, scale);
    output_ref zp = c.add<moir::ops::divide>({}, {c.add<moir::ops::subtract>({}, {zero, lo}, "/neg_min"), scale}, "/zp_raw");
    zp = c.add<moir::ops::round>({moir::ops::round_mode::half_to_even},
                                 {c.add<moir::ops::clamp>({0.0, 255.0}, {zp}, "/zp_clamped")}, "/zp_f");
    c.set_output(2, c.add<moir::ops::convert>({element_type::u8}, {zp}, "/zero_point"));
    c.set_output(0, quant_saturate(c, c.add<moir::ops::divide>({}, {x, scale}, "/scaled"), zp, element_type::u8, ""));
}

/// (Convert(v) - Convert(zero point)) in type t; `zp_input` absent: Convert(v) only. A 1-D zero point
/// runs along `axis` of v's rank.
inline output_ref quant_centered(context& c, std::size_t v_input, std::size_t zp_input, element_type t,
                                 std::int64_t axis, const std::string& suffix) {
    const output_ref v = quant_convert(c, c.input(v_input), t, suffix + "_f");
    if (!c.has_input(zp_input)) return v;
    const auto& vs = c.input_port(v_input).shape;
    const std::size_t rank = vs.rank_dynamic ? 0 : vs.rank();
    const output_ref zp = quant_convert(c, quant_param(c, c.input(zp_input), rank, axis, suffix + "/zero_point"), t,
                                        suffix + "/zero_point_f");
    return c.add<moir::ops::subtract>({}, {v, zp}, suffix + "_centered");
}

/// The exact integer convolution (in f64) of x and w as Conv's attributes say.
inline output_ref quant_conv(context& c, output_ref x, output_ref w, std::size_t weights_input, const std::string& suffix) {
    const std::size_t k = spatial_rank(c, weights_input);
    const window win = onnx_window(c, k);
    const std::int64_t group = c.attr_int("group", 1);
    moir::ops::detail::convolution_attrs a;
    a.strides = win.strides;
    a.pads_begin = win.pads_begin;
    a.pads_end = win.pads_end;
    a.dilations = win.dilations;
    a.auto_pad = win.auto_pad;
    if (group == 1) return c.add<moir::ops::convolution>(a, {x, w}, suffix);
    const auto& ws = c.input_port(weights_input).shape.dims;
    MOIR_CHECK(group > 1 && ws[0] >= 0 && ws[0] % group == 0, shape_error,
               "the weights' output channels are not divisible by group " + std::to_string(group));
    std::vector<std::int64_t> gdims{group, ws[0] / group};
    gdims.insert(gdims.end(), ws.begin() + 1, ws.end());
    const output_ref gw =
        c.add<moir::ops::reshape>({false}, {w, c.constant(tensor::from_vector(gdims), suffix + "/wshape")}, suffix + "/w");
    return c.add<moir::ops::group_convolution>(a, {x, gw}, suffix);
}

inline void conv_integer(context& c) {
    const element_type t = element_type::f64;
    const output_ref x = quant_centered(c, 0, 2, t, 1, "/x");
    const output_ref w = quant_centered(c, 1, 3, t, 0, "/w");
    c.set_output(0, c.add<moir::ops::convert>({element_type::i32}, {quant_conv(c, x, w, 1, "/conv")}));
}

/// Requantizes an exact accumulator: Round(acc * a_scale * b_scale / y_scale) + y_zero_point, saturated.
inline output_ref quant_requantize(context& c, output_ref acc, output_ref a_scale, output_ref b_scale, std::size_t y_scale,
                                   std::size_t y_zp, std::size_t rank, std::int64_t b_axis) {
    const element_type ft = element_type::f32;
    const output_ref ys = quant_convert(c, c.input(y_scale), ft, "/y_scale");
    output_ref m = c.add<moir::ops::multiply>({}, {quant_convert(c, a_scale, ft, "/a_scale"),
                                                   quant_convert(c, quant_param(c, b_scale, rank, b_axis, "/b_scale"), ft,
                                                                 "/b_scale_f")},
                                              "/scale_ab");
    m = c.add<moir::ops::divide>({}, {m, ys}, "/multiplier");
    const output_ref v = c.add<moir::ops::multiply>({}, {quant_convert(c, acc, ft, "/acc_f"), m}, "/scaled");
    const element_type out = c.has_input(y_zp) ? c.input_port(y_zp).type : element_type::u8;
    std::optional<output_ref> zp;
    if (c.has_input(y_zp)) zp = quant_convert(c, c.input(y_zp), ft, "/y_zero_point");
    return quant_saturate(c, v, zp, out, "");
}

inline void qlinear_conv(context& c) {
    const element_type t = element_type::f64;
    const output_ref x = quant_centered(c, 0, 2, t, 1, "/x");
    const output_ref w = quant_centered(c, 3, 5, t, 0, "/w");
    output_ref acc = quant_conv(c, x, w, 3, "/conv");
    const std::size_t rank = spatial_rank(c, 3) + 2;
    if (c.has_input(8)) {
        std::vector<std::int64_t> dims(rank, 1);
        dims[1] = -1;
        const output_ref b = quant_convert(c, c.input(8), t, "/bias_f");
        acc = c.add<moir::ops::add>(
            {}, {acc, c.add<moir::ops::reshape>({false}, {b, c.constant(tensor::from_vector(dims), "/bias_shape")}, "/bias")},
            "/biased");
    }
    // a per-channel w_scale runs along the output channels (axis 1 of the result)
    c.set_output(0, quant_requantize(c, acc, c.input(1), c.input(4), 6, 7, rank, 1));
}

inline void matmul_integer(context& c) {
    const element_type t = element_type::i32;
    const output_ref a = quant_centered(c, 0, 2, t, -2, "/a");
    const output_ref b = quant_centered(c, 1, 3, t, -1, "/b");
    c.set_output(0, c.add<moir::ops::matmul>({}, {a, b}));
}

inline void qlinear_matmul(context& c) {
    const element_type t = element_type::i32;
    const output_ref a = quant_centered(c, 0, 2, t, -2, "/a");
    const output_ref b = quant_centered(c, 3, 5, t, -1, "/b");
    const output_ref acc = c.add<moir::ops::matmul>({}, {a, b}, "/matmul");
    const auto& as = c.input_port(0).shape;
    MOIR_CHECK(!as.rank_dynamic, unsupported_error, "QLinearMatMul needs inputs of known rank");
    const output_ref a_scale = quant_param(c, c.input(1), as.rank(), -2, "/a_scale");
    c.set_output(0, quant_requantize(c, acc, a_scale, c.input(4), 6, 7, as.rank(), -1));
}
}  // namespace detail

/// Registers QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, ConvInteger, QLinearConv,
/// MatMulInteger and QLinearMatMul.
template <class = void>  // compiled only where a table is built
void register_quantization(op_table& t) {
    t.add("QuantizeLinear", detail::quantize_linear, 10);
    t.add("DequantizeLinear", detail::dequantize_linear, 10);
    t.add("DynamicQuantizeLinear", detail::dynamic_quantize_linear, 11);
    t.add("ConvInteger", detail::conv_integer, 10);
    t.add("QLinearConv", detail::qlinear_conv, 10);
    t.add("MatMulInteger", detail::matmul_integer, 10);
    t.add("QLinearMatMul", detail::qlinear_matmul, 10);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_QUANTIZATION_HPP
