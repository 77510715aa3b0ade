#ifndef MOIR_OPS_CONVOLUTION_HPP
#define MOIR_OPS_CONVOLUTION_HPP

// Convolution, and the sliding-window geometry that the convolution and pooling ops share
// (detail::spatial_attr, detail::resolve_window, detail::infer_pool, detail::infer_convolution).

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

namespace detail {
/// ensures: `v` when it has `n` entries, `n` copies of `fill` when it is empty; else shape_error.
inline std::vector<std::int64_t> spatial_attr(const std::vector<std::int64_t>& v, std::size_t n, std::int64_t fill,
                                              const char* what) {
    if (v.empty()) return std::vector<std::int64_t>(n, fill);
    MOIR_CHECK(v.size() == n, shape_error,
               std::string(what) + " has " + std::to_string(v.size()) + " values, expected one per spatial axis (" +
                   std::to_string(n) + ")");
    return v;
}

/// A sliding window over the spatial axes, with every per-axis value resolved (auto_pad applied).
struct window_geometry {
    std::vector<std::int64_t> out, kernel, strides, dilations, pads_begin, pads_end;
};

/// requires: in and kernel have one entry per spatial axis (-1 where unknown).
/// ensures: the output extent of each axis (-1 when in or kernel is unknown) and the effective pads.
inline window_geometry resolve_window(const std::vector<std::int64_t>& in, const std::vector<std::int64_t>& kernel,
                                      const std::vector<std::int64_t>& strides,
                                      const std::vector<std::int64_t>& dilations,
                                      const std::vector<std::int64_t>& pads_begin,
                                      const std::vector<std::int64_t>& pads_end, pad_type pad, bool ceil_mode) {
    const std::size_t n = in.size();
    window_geometry g{std::vector<std::int64_t>(n, -1), kernel, spatial_attr(strides, n, 1, "strides"),
                      spatial_attr(dilations, n, 1, "dilations"), spatial_attr(pads_begin, n, 0, "pads_begin"),
                      spatial_attr(pads_end, n, 0, "pads_end")};
    for (std::size_t i = 0; i < n; ++i) {
        if (kernel[i] < 0) continue;
        g.out[i] = window_output(in[i], kernel[i], g.strides[i], g.dilations[i], pad, g.pads_begin[i], g.pads_end[i],
                                 ceil_mode);
    }
    return g;
}

/// The dims of `s` from axis `from` on (all -1 when the rank is dynamic and `n` is given).
inline std::vector<std::int64_t> dims_from(const partial_shape& s, std::size_t from, std::size_t n) {
    if (s.rank_dynamic) return std::vector<std::int64_t>(n, -1);
    return std::vector<std::int64_t>(s.dims.begin() + static_cast<std::ptrdiff_t>(from), s.dims.end());
}

/// The number of spatial axes of a data [N, C, spatial...] / filter [lead..., spatial...] pair; -1 when
/// both ranks are dynamic and `fallback` (an attribute's length) is 0. ensures: shape_error on mismatch.
inline std::int64_t spatial_rank(const partial_shape& data, const partial_shape& filter, std::size_t filter_lead,
                                 std::size_t fallback) {
    const auto data_n = static_cast<std::int64_t>(data.rank()) - 2;
    const auto filter_n = static_cast<std::int64_t>(filter.rank()) - static_cast<std::int64_t>(filter_lead);
    MOIR_CHECK(data.rank_dynamic || filter.rank_dynamic || data_n == filter_n, shape_error,
               "data rank " + std::to_string(data.rank()) + " and weights rank " + std::to_string(filter.rank()) +
                   " do not match (the weights have " + std::to_string(filter_lead) + " leading dims)");
    const std::int64_t n = !data.rank_dynamic     ? data_n
                           : !filter.rank_dynamic ? filter_n
                           : fallback             ? static_cast<std::int64_t>(fallback)
                                                  : -1;
    const bool unknown = data.rank_dynamic && filter.rank_dynamic && !fallback;
    MOIR_CHECK(unknown || (n >= 1 && n <= 3), shape_error,
               "data and weights must have 1, 2 or 3 spatial axes (data rank " + std::to_string(data.rank()) + ")");
    return n;
}

/// Checks that the element types of inputs 0 and 1 agree (undefined agrees with anything).
inline void check_same_type(const port_descs& in, const char* what) {
    MOIR_CHECK(in[0].type == in[1].type || in[0].type == element_type::undefined ||
                   in[1].type == element_type::undefined,
               shape_error, std::string("data and ") + what + " have different element types");
}

/// Shape inference of MaxPool and AvgPool: data [N, C, spatial...] -> [N, C, out...].
inline port_descs infer_pool(const std::vector<std::int64_t>& kernel, const std::vector<std::int64_t>& strides,
                             const std::vector<std::int64_t>& pads_begin, const std::vector<std::int64_t>& pads_end,
                             rounding_type rounding, pad_type auto_pad, const port_descs& in) {
    const partial_shape& x = in[0].shape;
    MOIR_CHECK(kernel.size() >= 1 && kernel.size() <= 3, shape_error, "kernel must have 1, 2 or 3 values");
    for (auto k : kernel) MOIR_CHECK(k > 0, shape_error, "kernel values must be positive");
    MOIR_CHECK(x.rank_dynamic || x.rank() == kernel.size() + 2, shape_error,
               "data rank " + std::to_string(x.rank()) + " does not fit a kernel of " +
                   std::to_string(kernel.size()) + " spatial axes");
    const auto g = resolve_window(dims_from(x, 2, kernel.size()), kernel, strides, {}, pads_begin, pads_end, auto_pad,
                                  rounding == rounding_type::ceil);
    std::vector<std::int64_t> out{x.rank_dynamic ? -1 : x.dims[0], x.rank_dynamic ? -1 : x.dims[1]};
    out.insert(out.end(), g.out.begin(), g.out.end());
    return {port_desc{in[0].type, out, {}}};
}

/// Attributes of Convolution and GroupConvolution (OpenVINO order).
struct convolution_attrs {
    std::vector<std::int64_t> strides, dilations, pads_begin, pads_end;
    pad_type auto_pad = pad_type::explicit_;
    static constexpr std::array<std::string_view, 5> ir_names{"strides", "dilations", "pads_begin", "pads_end",
                                                              "auto_pad"};
    /// Attributes an IR layer must give (OpenVINO's opset1 specification): no defaults are guessed.
    static constexpr std::array<std::string_view, 4> ir_required{"strides", "dilations", "pads_begin", "pads_end"};
};

/// Shape inference of Convolution (weights [O, C, k...], grouped = false) and GroupConvolution
/// (weights [G, O/G, C/G, k...], grouped = true).
inline port_descs infer_convolution(const convolution_attrs& a, const port_descs& in, bool grouped) {
    check_same_type(in, "weights");
    const partial_shape& x = in[0].shape;
    const partial_shape& w = in[1].shape;
    const std::size_t lead = grouped ? 3 : 2;
    const std::int64_t n = spatial_rank(x, w, lead, a.strides.size());
    if (n < 0) return {port_desc{in[0].type, partial_shape::dynamic(), {}}};
    const auto ns = static_cast<std::size_t>(n);
    const std::int64_t batch = x.rank_dynamic ? -1 : x.dims[0];
    const std::int64_t channels = x.rank_dynamic ? -1 : x.dims[1];
    std::int64_t out_channels = -1;
    if (!w.rank_dynamic) {
        const std::int64_t groups = grouped ? w.dims[0] : 1;
        const std::int64_t c_per_group = w.dims[lead - 1];
        if (channels >= 0 && groups >= 0 && c_per_group >= 0)
            MOIR_CHECK(channels == groups * c_per_group, shape_error,
                       "data has " + std::to_string(channels) + " channels, the weights expect " +
                           (grouped ? std::to_string(groups) + " groups x " : std::string()) +
                           std::to_string(c_per_group));
        const std::int64_t per_group = w.dims[lead - 2];
        out_channels = groups >= 0 && per_group >= 0 ? groups * per_group : -1;
    }
    const auto g = resolve_window(dims_from(x, 2, ns), dims_from(w, lead, ns), a.strides, a.dilations, a.pads_begin,
                                  a.pads_end, a.auto_pad, false);
    std::vector<std::int64_t> out{batch, out_channels};
    out.insert(out.end(), g.out.begin(), g.out.end());
    return {port_desc{in[0].type, out, {}}};
}
}  // namespace detail

/// convolution: y[n, o, p...] = sum over c, k... of x[n, c, p*stride - pad_begin + k*dilation] * w[o, c, k...],
/// with zeros outside the input. requires: data [N, C, spatial...] (1 to 3 spatial axes), weights
/// [O, C, k...] of the same element type. ensures: output [N, O, out...], out per axis from the window
/// (auto_pad resolves the pads: valid = none, same_upper/same_lower = ceil(in / stride) outputs).
/// Empty strides/dilations/pads mean 1/1/0 on every axis.
struct convolution {
    static constexpr std::string_view name = "convolution", ir_name = "Convolution", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    static constexpr bool float_only = true;  ///< the reference kernel computes floating types only
    using attrs = detail::convolution_attrs;
    static port_descs infer(const attrs& a, const port_descs& in) { return detail::infer_convolution(a, in, false); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_CONVOLUTION_HPP
