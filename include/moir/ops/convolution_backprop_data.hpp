#ifndef MOIR_OPS_CONVOLUTION_BACKPROP_DATA_HPP
#define MOIR_OPS_CONVOLUTION_BACKPROP_DATA_HPP

// ConvolutionBackpropData (transposed convolution) and the geometry it shares with
// GroupConvolutionBackpropData.

#include <moir/ops/convolution.hpp>

#include <algorithm>    // max
#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

namespace detail {
/// Attributes of ConvolutionBackpropData and GroupConvolutionBackpropData (OpenVINO order).
struct convolution_backprop_attrs {
    std::vector<std::int64_t> strides, dilations, pads_begin, pads_end;
    pad_type auto_pad = pad_type::explicit_;
    std::vector<std::int64_t> output_padding;
    static constexpr std::array<std::string_view, 6> ir_names{"strides",  "dilations", "pads_begin",
                                                              "pads_end", "auto_pad",  "output_padding"};
    /// Attributes an IR layer must give (OpenVINO's opset1 specification): no defaults are guessed.
    static constexpr std::array<std::string_view, 4> ir_required{"strides", "dilations", "pads_begin", "pads_end"};
};

/// The resolved geometry of a transposed convolution: output extents (-1 when unknown), and the
/// per-axis strides, dilations and effective begin pads (the output crops pads_begin at the start).
struct backprop_geometry {
    std::vector<std::int64_t> out, strides, dilations, pads_begin;
};

/// requires: in and kernel have one entry per spatial axis (-1 where unknown); output_shape holds the
/// 3rd input's values (null when it is absent or unknown; has_output_shape says whether it is present).
/// ensures: explicit uses pads_begin/pads_end, valid none; same_upper/same_lower split the padding that
/// makes the output match output_shape (the larger half first for same_upper, last for same_lower),
/// and pad nothing without output_shape. Without output_shape, per axis:
/// out = stride*(in-1) + (k-1)*dilation + 1 - pads_begin - pads_end + output_padding.
inline backprop_geometry resolve_backprop(const convolution_backprop_attrs& a, const std::vector<std::int64_t>& in,
                                          const std::vector<std::int64_t>& kernel, bool has_output_shape,
                                          const std::vector<std::int64_t>* output_shape) {
    const std::size_t n = in.size();
    backprop_geometry g{std::vector<std::int64_t>(n, -1), spatial_attr(a.strides, n, 1, "strides"),
                        spatial_attr(a.dilations, n, 1, "dilations"), spatial_attr(a.pads_begin, n, 0, "pads_begin")};
    auto pads_end = spatial_attr(a.pads_end, n, 0, "pads_end");
    const auto out_pad = spatial_attr(a.output_padding, n, 0, "output_padding");
    const bool same = a.auto_pad == pad_type::same_upper || a.auto_pad == pad_type::same_lower;
    if (same || a.auto_pad == pad_type::valid) {
        g.pads_begin.assign(n, 0);
        pads_end.assign(n, 0);
    }
    if (output_shape) {
        MOIR_CHECK(output_shape->size() == n, shape_error,
                   "output_shape has " + std::to_string(output_shape->size()) + " values, expected " +
                       std::to_string(n) + " (one per spatial axis)");
    }
    for (std::size_t i = 0; i < n; ++i) {
        MOIR_CHECK(g.strides[i] > 0 && g.dilations[i] > 0, shape_error, "strides and dilations must be positive");
        const bool known = in[i] >= 0 && kernel[i] >= 0;
        const std::int64_t full = known ? g.strides[i] * (in[i] - 1) + (kernel[i] - 1) * g.dilations[i] + 1 : -1;
        if (has_output_shape) {
            if (!output_shape) continue;
            g.out[i] = (*output_shape)[i];
            MOIR_CHECK(g.out[i] > 0, shape_error, "output_shape values must be positive");
            if (same && known) {
                const std::int64_t total = std::max<std::int64_t>(0, full - g.out[i] + out_pad[i]);
                const std::int64_t small = total / 2;
                g.pads_begin[i] = a.auto_pad == pad_type::same_upper ? total - small : small;
            }
        } else if (known) {
            g.out[i] = full - g.pads_begin[i] - pads_end[i] + out_pad[i];
            MOIR_CHECK(g.out[i] > 0, shape_error,
                       "the output extent of spatial axis " + std::to_string(i) + " is " + std::to_string(g.out[i]));
        }
    }
    return g;
}

/// Shape inference of ConvolutionBackpropData (weights [C_in, C_out, k...], grouped = false) and
/// GroupConvolutionBackpropData (weights [G, C_in/G, C_out/G, k...], grouped = true).
inline port_descs infer_convolution_backprop(const convolution_backprop_attrs& a, const port_descs& in, bool grouped) {
    check_same_type(in, "weights");
    const partial_shape& x = in[0].shape;
    const partial_shape& w = in[1].shape;
    const bool has_output_shape = in.size() > 2;
    std::size_t fallback = a.strides.size();
    if (has_output_shape) {
        const partial_shape& os = in[2].shape;
        MOIR_CHECK(os.rank_dynamic || os.rank() == 1, shape_error, "output_shape must be 1-D");
        MOIR_CHECK(in[2].type == element_type::undefined || is_integer(in[2].type), shape_error,
                   "output_shape must be of an integer type");
        if (!os.rank_dynamic && os.dims[0] >= 0) fallback = static_cast<std::size_t>(os.dims[0]);
    }
    const std::size_t lead = grouped ? 3 : 2;
    const std::int64_t n = spatial_rank(x, w, lead, fallback);
    if (n < 0) return {port_desc{in[0].type, partial_shape::dynamic(), {}}};
    const auto ns = static_cast<std::size_t>(n);
    const std::int64_t channels = x.rank_dynamic ? -1 : x.dims[1];
    std::int64_t out_channels = -1;
    if (!w.rank_dynamic) {
        const std::int64_t groups = grouped ? w.dims[0] : 1;
        const std::int64_t c_per_group = w.dims[lead - 2];
        if (channels >= 0 && groups >= 0 && c_per_group >= 0)
            MOIR_CHECK(channels == groups * c_per_group, shape_error,
                       "data has " + std::to_string(channels) + " channels, the weights expect " +
                           (grouped ? std::to_string(groups) + " groups x " : std::string()) +
                           std::to_string(c_per_group));
        const std::int64_t per_group = w.dims[lead - 1];
        out_channels = groups >= 0 && per_group >= 0 ? groups * per_group : -1;
    }
    std::vector<std::int64_t> shape_values;
    if (has_output_shape && in[2].has_value()) shape_values = const_ints(in, 2, "output_shape");
    const auto g = resolve_backprop(a, dims_from(x, 2, ns), dims_from(w, lead, ns), has_output_shape,
                                    has_output_shape && in[2].has_value() ? &shape_values : nullptr);
    std::vector<std::int64_t> out{x.rank_dynamic ? -1 : x.dims[0], out_channels};
    out.insert(out.end(), g.out.begin(), g.out.end());
    return {port_desc{in[0].type, out, {}}};
}
}  // namespace detail

/// convolution_backprop_data: the transposed convolution (gradient of convolution w.r.t. its data).
/// Every x[n, c, i...] spreads x * w[c, o, k...] onto y[n, o, i*stride + k*dilation - pads_begin],
/// cells outside [0, out) are dropped. requires: data [N, C_in, spatial...] (1 to 3 spatial axes),
/// weights [C_in, C_out, k...] of the data's type, optional 3rd input output_shape (integer, one
/// value per spatial axis). ensures: output [N, C_out, out...], see detail::resolve_backprop.
struct convolution_backprop_data {
    static constexpr std::string_view name = "convolution_backprop_data", ir_name = "ConvolutionBackpropData",
                                      ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 3;
    static constexpr bool float_only = true;  ///< the reference kernel computes floating types only
    using attrs = detail::convolution_backprop_attrs;
    static port_descs infer(const attrs& a, const port_descs& in) {
        return detail::infer_convolution_backprop(a, in, false);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_CONVOLUTION_BACKPROP_DATA_HPP
