#ifndef MOIR_PASSES_FUSIONS_PAD_CONV_HPP
#define MOIR_PASSES_FUSIONS_PAD_CONV_HPP

// Pad folded into the convolution after it (OpenVINO's PadFusion): a Pad in constant mode with a
// zero value (or none), constant non-negative pads on the spatial axes only, read by a Convolution
// or GroupConvolution with explicit or valid padding, becomes that convolution's own padding (its
// pads_begin / pads_end grow by the Pad's). Exact: the convolution pads with zeros too. Keras'
// ZeroPadding2D before a "valid" strided convolution (MediaPipe BlazePose, NanoDet) wrote the padded
// map to memory and read it back. The Pad stays while something else reads it.

#include <moir/ops/pad.hpp>
#include <moir/passes/fusions/common.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

namespace fusion {
/// Search pattern => Conv(Pad(x, begin: constant, end: constant[, value: constant 0], mode constant),
///                   W: constant), begin and end >= 0 and 0 on the batch and channel axes, the
///                   convolution's auto_pad explicit or valid
/// Rewrite        => Conv(x, W) with pads_begin + begin[2:], pads_end + end[2:], auto_pad explicit
template <class Conv>
struct pad_conv {
    using pattern = pat::op<Conv, pat::op<ops::pad, pat::any, pat::constant, pat::constant>, pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 conv, 1 pad, 2 x, 3 begin, 4 end, 5 W
        const node& pad = m.nodes[r.node(1)];
        if (pad.attrs_as<ops::pad>().pad_mode != ops::pad_mode::constant) return false;
        if (pad.inputs.size() > 3) {  // a pad value: a constant zero only
            const tensor* v = const_value(m, pad.inputs[3]);
            if (!v || v->numel() != 1 || v->at_as<double>(0) != 0.0) return false;
        }
        const tensor& begin = *const_value(m, r[3]);
        const tensor& end = *const_value(m, r[4]);
        const partial_shape& xs = m.port(r[2]).shape;
        if (xs.rank_dynamic || xs.rank() < 3 || !is_integer(begin.type()) || !is_integer(end.type()) ||
            begin.numel() != xs.rank() || end.numel() != xs.rank())
            return false;
        const std::size_t spatial = xs.rank() - 2;
        const node conv = m.nodes[r.node(0)];
        auto a = conv.attrs_as<Conv>();
        if (a.auto_pad != ops::pad_type::explicit_ && a.auto_pad != ops::pad_type::valid) return false;
        if (a.auto_pad == ops::pad_type::valid) a.pads_begin.assign(spatial, 0), a.pads_end.assign(spatial, 0);
        if (a.pads_begin.size() != spatial || a.pads_end.size() != spatial) return false;
        for (std::size_t d = 0; d < xs.rank(); ++d) {
            const auto b = begin.at_as<std::int64_t>(d), e = end.at_as<std::int64_t>(d);
            if (b < 0 || e < 0 || (d < 2 && (b != 0 || e != 0))) return false;
            if (d >= 2) a.pads_begin[d - 2] += b, a.pads_end[d - 2] += e;
        }
        a.auto_pad = ops::pad_type::explicit_;
        std::vector<output_ref> in = conv.inputs;
        in.at(0) = r[2];
        const node_id nc = add_inferred<Conv>(m, a, std::move(in), conv.name);
        if (m.port({nc, 0}).shape != m.port(r[0]).shape) return false;  // (never: the same window)
        replace_output(m, r[0], {nc, 0});
        return true;
    }
};
}  // namespace fusion

/// Pad into the Convolution after it.
struct fuse_pad_conv : fusion::pad_conv<ops::convolution> {
    static constexpr std::string_view name = "fuse_pad_conv";
};
/// ... into the GroupConvolution after it (a padded depthwise convolution).
struct fuse_pad_group_conv : fusion::pad_conv<ops::group_convolution> {
    static constexpr std::string_view name = "fuse_pad_group_conv";
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_PAD_CONV_HPP
