#ifndef MOIR_PASSES_FUSIONS_COMMON_HPP
#define MOIR_PASSES_FUSIONS_COMMON_HPP

// What the fusions share: reading constants and comparing them with the values a pattern expects
// (within 1e-6 relative), checking that a constant is per-channel along one axis, folding two
// constants on the spot (numpy broadcasting, computed in double), the weight layouts of the four
// convolutions, scaling weights along one channel axis, and adding nodes with their outputs inferred.

#include <moir/core/model.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/group_convolution_backprop_data.hpp>
#include <moir/patterns/match.hpp>

#include <algorithm>  // all_of
#include <cmath>      // fabs
#include <cstddef>    // size_t
#include <cstdint>    // int64_t
#include <optional>   // optional, nullopt
#include <string>     // string
#include <utility>    // move
#include <vector>     // vector

namespace moir::passes::fusion {

/// The value of the constant producing r, or null when r is not a constant's output.
inline const tensor* const_value(const model& m, output_ref r) {
    const node& n = m.nodes.at(r.node);
    return n.is<ops::constant>() ? &n.attrs_as<ops::constant>().value : nullptr;
}

/// Whether output r carries a floating-point type.
inline bool is_float_port(const model& m, output_ref r) { return is_float(m.port(r).type); }

/// Whether got is within `rel` (relative) of want; absolute `rel` when want is 0.
inline bool near_value(double got, double want, double rel = 1e-6) {
    const double scale = want == 0.0 ? 1.0 : std::fabs(want);
    return std::fabs(got - want) <= rel * scale;
}

/// Whether r is a non-empty floating-point constant whose every element is near v.
inline bool const_near(const model& m, output_ref r, double v) {
    const tensor* t = const_value(m, r);
    if (!t || t->numel() == 0 || !is_float(t->type())) return false;
    for (std::size_t i = 0, n = t->numel(); i < n; ++i)
        if (!near_value(t->at_as<double>(i), v)) return false;
    return true;
}

/// Whether r has exactly one consumer and is not a model output.
inline bool single_use(const model& m, output_ref r) { return pat::detail::check_pred<pat::single_use>(m, r); }

/// Whether output r has the same static-or-partial shape as output s.
inline bool same_shape(const model& m, output_ref r, output_ref s) { return m.port(r).shape == m.port(s).shape; }

/// Appends a node of Op and infers its outputs.
template <class Op>
node_id add_inferred(model& m, typename Op::attrs a, std::vector<output_ref> in, std::string name) {
    const node_id id = m.add<Op>(std::move(a), std::move(in), std::move(name));
    m.infer_node(id);
    return id;
}

/// Appends a constant node holding t.
inline output_ref add_const(model& m, tensor t, std::string name) {
    return {add_inferred<ops::constant>(m, {std::move(t)}, {}, std::move(name)), 0};
}

/// Makes every consumer of `from` read `to`, which takes over from's tensor names.
inline void replace_output(model& m, output_ref from, output_ref to) {
    m.nodes[to.node].outputs[to.port].names = m.nodes[from.node].outputs[from.port].names;
    m.replace_uses(from, to);
}

/// The numpy broadcast shape of a and b, or nullopt when they do not broadcast.
inline std::optional<partial_shape> try_broadcast(const partial_shape& a, const partial_shape& b) {
    try {
        return broadcast_shapes(a, b);
    } catch (const shape_error&) {
        return std::nullopt;
    }
}

/// f(a, b) element-wise with numpy broadcasting, computed in double, in a's element type.
/// requires: a and b broadcast (try_broadcast).
template <class F>
tensor fold_binary(const tensor& a, const tensor& b, F f) {
    const shape out = broadcast_shapes(partial_shape(a.dims()), partial_shape(b.dims())).dims;
    const std::size_t rank = out.size();
    const auto strides = [&](const shape& d) {
        std::vector<std::size_t> s(rank, 0);
        std::size_t st = 1;
        for (std::size_t i = d.size(); i-- > 0;) {
            s[rank - d.size() + i] = d[i] == 1 ? 0 : st;
            st *= static_cast<std::size_t>(d[i]);
        }
        return s;
    };
    const auto sa = strides(a.dims()), sb = strides(b.dims());
    const auto av = a.to_vector<double>(), bv = b.to_vector<double>();
    std::vector<double> r(numel(out));
    for (std::size_t o = 0; o < r.size(); ++o) {
        std::size_t rem = o, ia = 0, ib = 0;
        for (std::size_t k = rank; k-- > 0;) {
            const auto ext = static_cast<std::size_t>(out[k]);
            const std::size_t i = rem % ext;
            rem /= ext;
            ia += i * sa[k];
            ib += i * sb[k];
        }
        r[o] = f(av[ia], bv[ib]);
    }
    return tensor::from_vector(r, out).converted(a.type());
}

/// f(v) for every element of t, computed in double, in t's element type.
template <class F>
tensor map_values(const tensor& t, F f) {
    auto v = t.to_vector<double>();
    for (auto& x : v) x = f(x);
    return tensor::from_vector(v, t.dims()).converted(t.type());
}

/// The values of constant c along `axis` of a value shaped `out`, when c (numpy-broadcast against
/// out) varies along that axis only and does not widen out: c's rank is at most out's and each of
/// its dims (aligned to the right) is 1, except the one on `axis`, which may be out's extent C.
/// ensures: C values (a single-valued c gives C copies), or nullopt.
inline std::optional<std::vector<double>> per_channel(const tensor& c, const partial_shape& out, std::size_t axis) {
    if (out.rank_dynamic || axis >= out.rank() || c.rank() > out.rank() || c.numel() == 0) return std::nullopt;
    const std::int64_t channels = out.dims[axis];
    if (channels <= 0) return std::nullopt;
    const std::size_t offset = out.rank() - c.rank();
    for (std::size_t i = 0; i < c.rank(); ++i) {
        const std::int64_t d = c.dims()[i];
        if (d != 1 && (offset + i != axis || d != channels)) return std::nullopt;
    }
    auto v = c.to_vector<double>();
    if (v.size() == 1) return std::vector<double>(static_cast<std::size_t>(channels), v[0]);
    return v;
}

/// The channel of flat element f of a tensor shaped d along `axis`; when `grouped`, the channels of
/// all groups (axis 0) are numbered one after the other: index0 * d[axis] + index along axis.
inline std::size_t channel_of(const shape& d, std::size_t f, std::size_t axis, bool grouped) {
    std::size_t inner = 1;
    for (std::size_t k = axis + 1; k < d.size(); ++k) inner *= static_cast<std::size_t>(d[k]);
    std::size_t c = (f / inner) % static_cast<std::size_t>(d[axis]);
    if (grouped) {
        std::size_t group_stride = 1;
        for (std::size_t k = 1; k < d.size(); ++k) group_stride *= static_cast<std::size_t>(d[k]);
        c += (f / group_stride) * static_cast<std::size_t>(d[axis]);
    }
    return c;
}

/// Number of channels along `axis` (times the groups when `grouped`).
inline std::size_t channel_count(const shape& d, std::size_t axis, bool grouped) {
    return static_cast<std::size_t>(d.at(axis) * (grouped ? d.at(0) : 1));
}

/// w with each element multiplied by s[its channel along axis] (see channel_of).
/// requires: s.size() == channel_count(w.dims(), axis, grouped).
inline tensor scale_along(const tensor& w, const std::vector<double>& s, std::size_t axis, bool grouped) {
    auto v = w.to_vector<double>();
    for (std::size_t f = 0; f < v.size(); ++f) v[f] *= s[channel_of(w.dims(), f, axis, grouped)];
    return tensor::from_vector(v, w.dims()).converted(w.type());
}

/// The weight layout of a convolution op: which weight axis holds the output and the input channels,
/// and whether axis 0 holds groups. Convolution [O, I, k...], GroupConvolution [G, O/G, I/G, k...],
/// ConvolutionBackpropData [I, O, k...] (the output channel is dim 1), GroupConvolutionBackpropData
/// [G, I/G, O/G, k...].
template <class Conv>
struct conv_layout;
template <>
struct conv_layout<ops::convolution> {
    static constexpr std::size_t out_axis = 0, in_axis = 1;
    static constexpr bool grouped = false, transposed = false;
};
template <>
struct conv_layout<ops::group_convolution> {
    static constexpr std::size_t out_axis = 1, in_axis = 2;
    static constexpr bool grouped = true, transposed = false;
};
template <>
struct conv_layout<ops::convolution_backprop_data> {
    static constexpr std::size_t out_axis = 1, in_axis = 0;
    static constexpr bool grouped = false, transposed = true;
};
template <>
struct conv_layout<ops::group_convolution_backprop_data> {
    static constexpr std::size_t out_axis = 2, in_axis = 1;
    static constexpr bool grouped = true, transposed = true;
};

/// A copy of convolution node `conv` (all its inputs, e.g. BackpropData's output_shape) with the
/// weights input replaced by w, named like the original.
template <class Conv>
node_id add_conv_with_weights(model& m, const node& conv, output_ref w) {
    std::vector<output_ref> in = conv.inputs;
    in.at(1) = w;
    return add_inferred<Conv>(m, conv.attrs_as<Conv>(), std::move(in), conv.name);
}

/// A shape of `rank` ones with `channels` on axis 1: a per-channel constant for an [N, C, ...] value.
inline shape channel_shape(std::size_t rank, std::size_t channels) {
    shape s(rank, 1);
    s.at(1) = static_cast<std::int64_t>(channels);
    return s;
}

}  // namespace moir::passes::fusion

#endif  // MOIR_PASSES_FUSIONS_COMMON_HPP
