#ifndef MOIR_FRONTENDS_CAFFE_OPS_SPATIAL_HPP
#define MOIR_FRONTENDS_CAFFE_OPS_SPATIAL_HPP

// Caffe's Deconvolution (group, pad/stride/kernel/dilation as Convolution), Crop (to the second
// bottom's shape from `axis`, with offsets), SSD's Normalize (L2 over channels, or over channels
// and space with across_spatial; a scale per channel or shared) and DeepLab / PSPNet's Interp
// (bilinear with aligned corners, sized by zoom / shrink factors, height and width, or a second
// bottom; negative pad_beg / pad_end crop first).

#include <moir/frontends/caffe/converter.hpp>
#include <moir/frontends/caffe/ops/nn.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/group_convolution_backprop_data.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/sqrt.hpp>

#include <cstdint>  // int64_t
#include <string>   // string, to_string
#include <vector>   // vector

namespace moir::caffe {

namespace detail {
inline void deconvolution(context& c) {
    const prototext::message& p = c.param("convolution_param");
    const shape x = c.input_dims(0);
    MOIR_CHECK(x.size() == 4, unsupported_error, "only 2-D deconvolutions (NCHW inputs) are supported");
    const std::int64_t out = p.get_int("num_output", 0);
    const std::int64_t group = p.get_int("group", 1);
    MOIR_CHECK(out > 0, error, "convolution_param.num_output must be positive");
    MOIR_CHECK(group >= 1 && x[1] % group == 0 && out % group == 0, error,
               "group " + std::to_string(group) + " does not divide the " + std::to_string(x[1]) + " input and " +
                   std::to_string(out) + " output channels");
    const auto k = spatial_param(p, "kernel_size", 0);
    MOIR_CHECK(k[0] > 0 && k[1] > 0, error, "the kernel size is missing or not positive");
    const bool bias = p.get_bool("bias_term", true);
    c.require_blobs(bias ? 2 : 1, bias ? 2 : 1, bias ? "weights and bias" : "weights");
    tensor w = c.blob_tensor(0, {x[1], out / group, k[0], k[1]}, "weights");  // Caffe: [C_in, C_out / group, k]
    ops::detail::convolution_backprop_attrs a;
    a.strides = spatial_param(p, "stride", 1);
    a.dilations = spatial_param(p, "dilation", 1);
    a.pads_begin = a.pads_end = spatial_param(p, "pad", 0);
    output_ref y;
    if (group == 1) {
        y = c.add<ops::convolution_backprop_data>(a, {c.input(0), c.constant(std::move(w), "/weights")});
    } else {
        w = w.reshaped({group, x[1] / group, out / group, k[0], k[1]});
        y = c.add<ops::group_convolution_backprop_data>(a, {c.input(0), c.constant(std::move(w), "/weights")});
    }
    if (bias) y = c.add<ops::add>({}, {y, c.constant(c.blob_tensor(1, {out}, "bias").reshaped({1, out, 1, 1}), "/bias")}, "/add_bias");
    c.set_output(0, y);
}

inline void crop(context& c) {
    MOIR_CHECK(c.input_count() == 2, error, "Crop takes 2 bottoms (the data and the reference shape)");
    const shape x = c.input_dims(0), ref = c.input_dims(1);
    MOIR_CHECK(x.size() == ref.size(), error, "Crop's bottoms have different ranks");
    const std::size_t axis = axis_of(c.attr<std::int64_t>("crop_param.axis", 2), x.size(), "crop_param.axis");
    const auto offsets = c.attr<std::vector<std::int64_t>>("crop_param.offset", {});
    const std::size_t n = x.size() - axis;
    MOIR_CHECK(offsets.size() <= 1 || offsets.size() == n, error,
               "crop_param.offset has " + std::to_string(offsets.size()) + " values for " + std::to_string(n) + " axes");
    std::vector<std::int64_t> start, stop, step, axes;
    for (std::size_t i = axis; i < x.size(); ++i) {
        const std::int64_t o = offsets.empty() ? 0 : offsets.size() == 1 ? offsets[0] : offsets[i - axis];
        MOIR_CHECK(o >= 0 && o + ref[i] <= x[i], error,
                   "crop of axis " + std::to_string(i) + " (offset " + std::to_string(o) + ", size " +
                       std::to_string(ref[i]) + ") exceeds the data's " + std::to_string(x[i]));
        start.push_back(o), stop.push_back(o + ref[i]), step.push_back(1), axes.push_back(static_cast<std::int64_t>(i));
    }
    c.set_output(0, c.add<ops::slice>({}, {c.input(0), c.constant_i64(start, "/start"), c.constant_i64(stop, "/stop"),
                                           c.constant_i64(step, "/step"), c.constant_i64(axes, "/axes")}));
}

/// Normalize: y = x / sqrt(sum(x^2) + eps) * scale, the sum over channels (per pixel) or over
/// channels and space (across_spatial).
inline void normalize(context& c) {
    const prototext::message& p = c.param("norm_param");
    const shape x = c.input_dims(0);
    MOIR_CHECK(x.size() == 4, unsupported_error, "Normalize needs NCHW data");
    const bool across = p.get_bool("across_spatial", true), shared = p.get_bool("channel_shared", true);
    const float eps = static_cast<float>(p.get_float("eps", 1e-10));
    c.require_blobs(1, 1, "scale");
    const tensor s = c.blob_tensor(0, {shared ? 1 : x[1]}, "scale");
    const output_ref in = c.input(0);
    const output_ref sq = c.add<ops::multiply>({}, {in, in}, "/square");
    const std::vector<std::int64_t> axes = across ? std::vector<std::int64_t>{1, 2, 3} : std::vector<std::int64_t>{1};
    const output_ref sum = c.add<ops::reduce_sum>({true}, {sq, c.constant_i64(axes, "/axes")}, "/sum");
    const output_ref norm = c.add<ops::sqrt>({}, {c.add<ops::add>({}, {sum, c.constant(tensor::scalar(eps), "/eps")}, "/add_eps")}, "/norm");
    const output_ref y = c.add<ops::divide>({}, {in, norm}, "/div");
    c.set_output(0, c.add<ops::multiply>({}, {y, c.constant(shared ? s.reshaped({}) : s.reshaped({1, x[1], 1, 1}), "/scale")}));
}

/// Interp (interp_param): the input, cropped by pad_beg / pad_end (<= 0) on H and W to the
/// effective size Hin_eff = H + pad_beg + pad_end, resized bilinearly with aligned corners to
/// (checked in this order, as Caffe's InterpLayer does) the second bottom's H x W; shrink_factor
/// s alone: (Hin_eff - 1) / s + 1; zoom_factor z alone: Hin_eff + (Hin_eff - 1) * (z - 1);
/// height and width; both factors: shrink, then zoom.
inline void interp(context& c) {
    const prototext::message& p = c.param("interp_param");
    const shape x = c.input_dims(0);
    MOIR_CHECK(x.size() == 4, unsupported_error, "Interp needs NCHW data");
    const std::int64_t pb = p.get_int("pad_beg", 0), pe = p.get_int("pad_end", 0);
    MOIR_CHECK(pb <= 0 && pe <= 0, unsupported_error,
               "interp_param pad_beg / pad_end must be <= 0 (Caffe's Interp only crops)");
    const std::int64_t h_eff = x[2] + pb + pe, w_eff = x[3] + pb + pe;
    MOIR_CHECK(h_eff > 0 && w_eff > 0, error, "pad_beg / pad_end crop away the whole input");
    const bool zoom = p.has("zoom_factor"), shrink = p.has("shrink_factor");
    const std::int64_t z = p.get_int("zoom_factor", 1), s = p.get_int("shrink_factor", 1);
    MOIR_CHECK(z >= 1 && s >= 1, error, "interp_param zoom_factor and shrink_factor must be >= 1");
    std::int64_t h = 0, w = 0;
    if (c.input_count() == 2) {
        const shape ref = c.input_dims(1);
        MOIR_CHECK(ref.size() == 4, error, "Interp's second bottom must be NCHW");
        h = ref[2], w = ref[3];
    } else if (shrink && !zoom) {
        h = (h_eff - 1) / s + 1, w = (w_eff - 1) / s + 1;
    } else if (zoom && !shrink) {
        h = h_eff + (h_eff - 1) * (z - 1), w = w_eff + (w_eff - 1) * (z - 1);
    } else if (p.has("height") && p.has("width")) {
        h = p.get_int("height", 0), w = p.get_int("width", 0);
    } else if (zoom && shrink) {
        h = (h_eff - 1) / s + 1, w = (w_eff - 1) / s + 1;
        h += (h - 1) * (z - 1), w += (w - 1) * (z - 1);
    } else {
        throw error("interp_param gives no output size (zoom_factor, shrink_factor, height and width, or a second bottom)");
    }
    MOIR_CHECK(h > 0 && w > 0, error, "the output size " + std::to_string(h) + " x " + std::to_string(w) + " is not positive");
    output_ref in = c.input(0);
    if (pb < 0 || pe < 0)
        in = c.add<ops::slice>({}, {in, c.constant_i64({-pb, -pb}, "/crop_start"), c.constant_i64({x[2] + pe, x[3] + pe}, "/crop_stop"),
                                    c.constant_i64({1, 1}, "/crop_step"), c.constant_i64({2, 3}, "/crop_axes")},
                               "/crop");
    ops::interpolate::attrs a;
    a.mode = ops::interpolate_mode::linear_onnx;
    a.shape_calculation_mode = ops::shape_calculation_mode::sizes;
    a.coordinate_transformation_mode = ops::coordinate_transformation_mode::align_corners;
    c.set_output(0, c.add<ops::interpolate>(a, {in, c.constant_i64({h, w}, "/sizes"), c.constant_i64({2, 3}, "/axes")}));
}
}  // namespace detail

/// Registers Deconvolution, Crop, Normalize and Interp.
template <class = void>  // compiled only where a table is built
void register_spatial(op_table& t) {
    t.add("Deconvolution", detail::deconvolution);
    t.add("Crop", detail::crop);
    t.add("Normalize", detail::normalize);
    t.add("Interp", detail::interp);
}

}  // namespace moir::caffe

#endif  // MOIR_FRONTENDS_CAFFE_OPS_SPATIAL_HPP
