#ifndef MOIR_PASSES_FUSIONS_PAD_FUSION_HPP
#define MOIR_PASSES_FUSIONS_PAD_FUSION_HPP

// Pad folded into the op after it (OpenVINO's PadFusion): a Pad in constant mode with a zero value
// (or none), constant non-negative pads on the spatial axes only, read by a Convolution or
// GroupConvolution with explicit or valid padding, becomes that convolution's own padding (its
// pads_begin / pads_end grow by the Pad's); exact: the convolution pads with zeros too. Likewise
// into an AvgPool that counts padded cells (exclude-pad false): its padded cells read 0 and count in
// the divisor as the Pad's cells did; cells past pads_end, which ceil rounding may add, count in
// neither. A MaxPool's padded cells never win, as cells of -inf: a Pad of -inf (TensorFlow's "same"
// max pooling as ONNX writes it, NanoDet) folds into a MaxPool (opset1) with floor rounding, or ceil
// where it rounds as floor (a ceil window that starts in the Pad's end cells would be dropped). Keras'
// ZeroPadding2D before a "valid" strided convolution (MediaPipe BlazePose, NanoDet) wrote the padded map
// to memory and read it back. The Pad stays while something else reads it.

#include <moir/ops/avg_pool.hpp>
#include <moir/ops/max_pool.hpp>
#include <moir/ops/pad.hpp>
#include <moir/passes/fusions/common.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <limits>       // numeric_limits
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

namespace fusion {
/// The attrs `a` of an op reading Pad node `pad` (of x, pads `begin`, `end`) with the Pad's spatial
/// pads added to its own, auto_pad explicit. value: the pad value the op's own padding stands for (0,
/// or -inf for a MaxPool). ensures: false and `a` unspecified when the Pad does not fold (not constant
/// mode, a value other than `value` (none reads as 0), a negative pad or one on the batch or channel
/// axis, an auto_pad other than explicit or valid).
template <class Attrs>
bool add_pad(const model& m, const node& pad, output_ref x, output_ref begin_r, output_ref end_r, Attrs& a,
             double value = 0.0) {
    if (pad.attrs_as<ops::pad>().pad_mode != ops::pad_mode::constant) return false;
    if (pad.inputs.size() > 3) {  // a pad value: a constant `value` only
        const tensor* v = const_value(m, pad.inputs[3]);
        if (!v || v->numel() != 1 || v->at_as<double>(0) != value) return false;
    } else if (value != 0.0) {
        return false;
    }
    const tensor& begin = *const_value(m, begin_r);
    const tensor& end = *const_value(m, end_r);
    const partial_shape& xs = m.port(x).shape;
    if (xs.rank_dynamic || xs.rank() < 3 || !is_integer(begin.type()) || !is_integer(end.type()) ||
        begin.numel() != xs.rank() || end.numel() != xs.rank())
        return false;
    const std::size_t spatial = xs.rank() - 2;
    if (a.auto_pad != ops::pad_type::explicit_ && a.auto_pad != ops::pad_type::valid) return false;
    if (a.auto_pad == ops::pad_type::valid) a.pads_begin.assign(spatial, 0), a.pads_end.assign(spatial, 0);
    if (a.pads_begin.size() != spatial || a.pads_end.size() != spatial) return false;
    for (std::size_t d = 0; d < xs.rank(); ++d) {
        const auto b = begin.at_as<std::int64_t>(d), e = end.at_as<std::int64_t>(d);
        if (b < 0 || e < 0 || (d < 2 && (b != 0 || e != 0))) return false;
        if (d >= 2) a.pads_begin[d - 2] += b, a.pads_end[d - 2] += e;
    }
    a.auto_pad = ops::pad_type::explicit_;
    return true;
}

/// Search pattern => Conv(Pad(x, begin: constant, end: constant[, value: constant 0], mode constant),
///                   W: constant), add_pad's guards
/// Rewrite        => Conv(x, W) with pads_begin + begin[2:], pads_end + end[2:], auto_pad explicit
template <class Conv>
struct pad_conv {
    using pattern = pat::op<Conv, pat::op<ops::pad, pat::any, pat::constant, pat::constant>, pat::constant>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 conv, 1 pad, 2 x, 3 begin, 4 end, 5 W
        const node conv = m.nodes[r.node(0)];
        auto a = conv.attrs_as<Conv>();
        if (!add_pad(m, m.nodes[r.node(1)], r[2], r[3], r[4], a)) return false;
        std::vector<output_ref> in = conv.inputs;
        in.at(0) = r[2];
        replace_output(m, r[0], {add_inferred<Conv>(m, a, std::move(in), conv.name), 0});
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

namespace fusion {
/// Pool(Pad(x)) -> Pool(x) with the Pad's spatial pads added to the pool's (add_pad's guards).
/// Rules (the pass itself, CRTP): value() the pad value the pool's own padding stands for; folds(m,
/// x, a) whether the pool, its pads added, computes what it computed on the padded map.
template <class Pool, class Rules>
struct pad_pool {
    using pattern = pat::op<Pool, pat::op<ops::pad, pat::any, pat::constant, pat::constant>>;
    static bool rewrite(model& m, const pat::match_result<pattern>& r) {
        // captures: 0 pool, 1 pad, 2 x, 3 begin, 4 end
        const node pool = m.nodes[r.node(0)];
        auto a = pool.attrs_as<Pool>();
        if (!add_pad(m, m.nodes[r.node(1)], r[2], r[3], r[4], a, Rules::value()) || !Rules::folds(m, r[2], a)) return false;
        replace_output(m, r[0], {add_inferred<Pool>(m, a, {r[2]}, pool.name), 0});
        return true;
    }
};
}  // namespace fusion

/// Search pattern => AvgPool(Pad(x, begin: constant, end: constant[, value: constant 0], mode
///                   constant)) with exclude-pad false, add_pad's guards
/// Rewrite        => AvgPool(x) with pads_begin + begin[2:], pads_end + end[2:], auto_pad explicit
struct fuse_pad_avg_pool : fusion::pad_pool<ops::avg_pool, fuse_pad_avg_pool> {
    static constexpr std::string_view name = "fuse_pad_avg_pool";
    static double value() { return 0.0; }
    static bool folds(const model&, output_ref, const ops::avg_pool::attrs& a) { return !a.exclude_pad; }
};

/// Search pattern => MaxPool(Pad(x, begin: constant, end: constant, value: constant -inf, mode
///                   constant)), floor rounding (or ceil that rounds as floor), add_pad's guards
/// Rewrite        => MaxPool(x) with pads_begin + begin[2:], pads_end + end[2:], auto_pad explicit
struct fuse_pad_max_pool : fusion::pad_pool<ops::max_pool, fuse_pad_max_pool> {
    static constexpr std::string_view name = "fuse_pad_max_pool";
    static double value() { return -std::numeric_limits<double>::infinity(); }
    static bool folds(const model& m, output_ref x, const ops::max_pool::attrs& a) {
        if (a.rounding_type != ops::rounding_type::ceil) return true;
        // ceil: every axis must divide exactly (a window starting in the Pad's end cells would be dropped)
        const partial_shape& xs = m.port(x).shape;
        if (a.kernel.size() != a.pads_begin.size() || xs.rank() != a.kernel.size() + 2) return false;
        for (std::size_t d = 0; d < a.kernel.size(); ++d) {
            const std::int64_t s = d < a.strides.size() ? a.strides[d] : 1;
            if (xs.dims[d + 2] < 0 || s <= 0 || (xs.dims[d + 2] + a.pads_begin[d] + a.pads_end[d] - a.kernel[d]) % s != 0)
                return false;
        }
        return true;
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_PAD_FUSION_HPP
