#ifndef MOIR_PASSES_FUSIONS_REVERSE_CHANNELS_CONV_HPP
#define MOIR_PASSES_FUSIONS_REVERSE_CHANNELS_CONV_HPP

// Reverse-input-channels folding (OpenVINO's ReverseInputChannelsFusion): a Gather that permutes
// the channels (RGB <-> BGR, indices {2,1,0} on axis 1) is pushed forward through element-wise ops
// with per-channel constants (the mean/scale of preprocessing) and folded into the first
// convolution's weights, by permuting their input-channel axis. Exact: it only moves values.

#include <moir/core/model.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <cstring>      // memcpy
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

namespace detail::ric {

/// `t` with its slices along `axis` reordered: slice k of the result is slice src[k] of t.
/// requires: t.dims()[axis] == src.size().
inline tensor permute_axis(const tensor& t, std::size_t axis, const std::vector<std::size_t>& src) {
    tensor out(t.type(), t.dims());
    std::size_t outer = 1, inner = size_of(t.type());
    for (std::size_t i = 0; i < axis; ++i) outer *= static_cast<std::size_t>(t.dims()[i]);
    for (std::size_t i = axis + 1; i < t.rank(); ++i) inner *= static_cast<std::size_t>(t.dims()[i]);
    const std::size_t c = src.size();
    const auto* in = static_cast<const unsigned char*>(t.raw());
    auto* o = static_cast<unsigned char*>(out.raw());
    for (std::size_t b = 0; b < outer; ++b)
        for (std::size_t k = 0; k < c; ++k)
            if (inner) std::memcpy(o + (b * c + k) * inner, in + (b * c + src[k]) * inner, inner);
    return out;
}

/// The channel permutation of a Gather node: p with gather(x)[c] = x[p[c]] on axis 1 of a
/// rank >= 2 input with a static channel count; empty when the Gather is not one.
inline std::vector<std::size_t> channel_permutation(const model& m, const node& g) {
    if (!g.is<ops::gather>() || g.attrs_as<ops::gather>().batch_dims != 0) return {};
    const node& idx = m.nodes[g.inputs[1].node];
    const node& ax = m.nodes[g.inputs[2].node];
    const partial_shape& xs = m.port(g.inputs[0]).shape;
    if (!idx.is<ops::constant>() || !ax.is<ops::constant>() || xs.rank_dynamic || xs.rank() < 2 || xs.dims[1] < 1)
        return {};
    const tensor& a = ax.attrs_as<ops::constant>().value;
    const tensor& i = idx.attrs_as<ops::constant>().value;
    if (a.numel() != 1 || i.rank() != 1 || !is_integer(i.type())) return {};
    std::int64_t axis = a.at_as<std::int64_t>(0);
    if (axis < 0) axis += static_cast<std::int64_t>(xs.rank());
    const auto channels = static_cast<std::size_t>(xs.dims[1]);
    if (axis != 1 || i.numel() != channels) return {};
    std::vector<std::size_t> p(channels);
    std::vector<bool> seen(channels, false);
    for (std::size_t c = 0; c < channels; ++c) {
        std::int64_t v = i.at_as<std::int64_t>(c);
        if (v < 0) v += static_cast<std::int64_t>(channels);
        if (v < 0 || v >= static_cast<std::int64_t>(channels) || seen[static_cast<std::size_t>(v)]) return {};
        seen[static_cast<std::size_t>(v)] = true;
        p[c] = static_cast<std::size_t>(v);
    }
    return p;
}

/// Whether r has exactly one consumer and no Result reads it.
inline bool used_once(const model& m, output_ref r) {
    const auto c = m.consumers(r);
    return c.size() == 1 && !m.nodes[c[0].first].is<ops::result>();
}

inline bool is_channel_eltwise(const node& n) {
    return n.is<ops::add>() || n.is<ops::subtract>() || n.is<ops::multiply>() || n.is<ops::divide>();
}

}  // namespace detail::ric

/// Search pattern => Gather(x, p: constant channel permutation, axis: constant 1)
///                   -> (Add | Subtract | Multiply | Divide with one constant operand)*
///                   -> Convolution(., W: constant), every link used once, each element-wise op
///                   keeping the data's shape
/// Rewrite        => the same chain on x, each constant permuted along the channel axis by p^-1
///                   (where it has one), and Convolution(., W') with W'[:, k] = W[:, p^-1[k]]
struct fuse_reverse_channels_conv {
    static constexpr std::string_view name = "fuse_reverse_channels_conv";

    /// Folds the Gather node `gather` as above. ensures: true and the Gather unused when it folded;
    /// false and m unchanged otherwise (guards: permutation, single use, constant operands, a
    /// Convolution with constant weights at the end).
    static bool fold(model& m, node_id gather) {
        using namespace detail::ric;
        const std::vector<std::size_t> p = channel_permutation(m, m.nodes[gather]);
        if (p.empty()) return false;
        const std::size_t channels = p.size();
        std::vector<std::size_t> inv(channels);
        for (std::size_t c = 0; c < channels; ++c) inv[p[c]] = c;
        const std::size_t rank = m.port({gather, 0}).shape.rank();

        // walk the chain: (node, index of its constant operand)
        std::vector<std::pair<node_id, std::size_t>> chain;
        output_ref cur{gather, 0};
        node_id conv = 0;
        for (;;) {
            if (!used_once(m, cur)) return false;
            const auto [next, in] = m.consumers(cur)[0];
            const node& n = m.nodes[next];
            if (n.is<ops::convolution>()) {
                if (in != 0 || !m.nodes[n.inputs[1].node].is<ops::constant>()) return false;
                const tensor& w = m.nodes[n.inputs[1].node].attrs_as<ops::constant>().value;
                if (w.rank() < 3 || static_cast<std::size_t>(w.dims()[1]) != channels) return false;
                conv = next;
                break;
            }
            if (!is_channel_eltwise(n) || n.inputs.size() != 2) return false;
            const std::size_t k = 1 - in;  // the other operand
            const node& c = m.nodes[n.inputs[k].node];
            if (!c.is<ops::constant>() || m.port({next, 0}).shape != m.port(cur).shape) return false;
            const tensor& v = c.attrs_as<ops::constant>().value;
            if (v.rank() > rank) return false;
            const std::size_t lead = rank - v.rank();  // numpy aligns the constant to the right
            if (lead <= 1) {
                const auto d = v.dims()[1 - lead];
                if (d != 1 && static_cast<std::size_t>(d) != channels) return false;
            }
            chain.emplace_back(next, k);
            cur = {next, 0};
        }

        // rewire in place: new constants, the first link reads x
        for (const auto& [id, k] : chain) {
            const node& c = m.nodes[m.nodes[id].inputs[k].node];
            const tensor& v = c.attrs_as<ops::constant>().value;
            const std::size_t lead = rank - v.rank();
            if (lead > 1 || v.dims()[1 - lead] == 1) continue;  // the same for every channel
            const std::string cname = c.name + "/ric";
            const node_id nc = m.add<ops::constant>({permute_axis(v, 1 - lead, inv)}, {}, cname);
            m.infer_node(nc);
            m.nodes[id].inputs[k] = {nc, 0};
        }
        const node& wn = m.nodes[m.nodes[conv].inputs[1].node];
        const std::string wname = wn.name + "/ric";
        const node_id nw = m.add<ops::constant>({permute_axis(wn.attrs_as<ops::constant>().value, 1, inv)}, {}, wname);
        m.infer_node(nw);
        m.nodes[conv].inputs[1] = {nw, 0};
        const output_ref x = m.nodes[gather].inputs[0];
        if (chain.empty()) m.nodes[conv].inputs[0] = x;
        else m.nodes[chain.front().first].inputs[1 - chain.front().second] = x;
        return true;
    }

    /// The pass-concept entry: tries every Gather. ensures: returns the number folded.
    static std::size_t run(model& m, pass_context&) {
        std::size_t changes = 0;
        for (node_id id : m.topo_order())
            if (m.nodes[id].is<ops::gather>() && fold(m, id)) ++changes;
        return changes;
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FUSIONS_REVERSE_CHANNELS_CONV_HPP
