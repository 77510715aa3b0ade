#ifndef MOIR_PASSES_TRANSPOSE_SINKING_HPP
#define MOIR_PASSES_TRANSPOSE_SINKING_HPP

// Removes layout Transposes between layers (OpenVINO's TransposeSinking, in two small passes).
// A frontend of a channels-last framework (TensorFlow, TFLite) wraps every NCHW convolution and
// pool in NHWC->NCHW and NCHW->NHWC Transposes; between two layers an NCHW->NHWC Transpose meets,
// after element-wise ops, an NHWC->NCHW one.
// - sink_transposes moves a Transpose (used once, constant order) below the layout-free op reading
//   it: a unary element-wise op; a binary one whose other input is the same Transpose order or a
//   constant (permuted here to match); a PRelu with a constant numpy-broadcast slope (permuted); a Pad with constant pads (permuted); a Concat of Transposes
//   with one order (the axis permuted).
// - merge_transposes turns Transpose(Transpose(x, p), q) into one Transpose by p[q[i]] (dropped
//   by eliminate_noops when that is the identity).
// Run to a fixed point, the Transposes end up at the model's boundaries and before the ops that
// depend on layout (Reshape, reductions), never more of them than before.

#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/ops/abs.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/ceiling.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/elu.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/floor.hpp>
#include <moir/ops/hsigmoid.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/squared_difference.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/tanh.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cstdint>      // int64_t
#include <cstring>      // memcpy
#include <optional>     // optional
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

namespace detail {
/// Element-wise ops of one input that a Transpose may cross.
using sinkable_unary = type_list<ops::relu, ops::clamp, ops::sigmoid, ops::tanh, ops::elu, ops::exp, ops::log, ops::sqrt,
                                 ops::abs, ops::negative, ops::floor, ops::ceiling, ops::hswish, ops::hsigmoid, ops::convert>;
/// Element-wise ops of two inputs (numpy broadcasting) that a Transpose may cross.
using sinkable_binary = type_list<ops::add, ops::subtract, ops::multiply, ops::divide, ops::maximum, ops::minimum,
                                  ops::squared_difference, ops::power>;

template <class List>
bool is_one_of(const node& n) {
    bool yes = false;
    for_each_type(List{}, [&](auto tag) { yes = yes || n.is<typename decltype(tag)::type>(); });
    return yes;
}

/// The constant order of a Transpose node, or nullopt.
inline std::optional<std::vector<std::int64_t>> transpose_order(const model& m, const node& n) {
    if (!n.is<ops::transpose>()) return std::nullopt;
    const node& p = m.at(n.inputs.at(1).node);
    if (!p.is<ops::constant>()) return std::nullopt;
    auto v = p.attrs_as<ops::constant>().value.to_vector<std::int64_t>();
    if (v.empty()) return std::nullopt;
    return v;
}

/// t with its axes permuted (out dim i = in dim perm[i]).
inline tensor permute_tensor(const tensor& t, const std::vector<std::int64_t>& perm) {
    const shape& in = t.dims();
    const std::size_t r = in.size();
    shape out(r);
    for (std::size_t i = 0; i < r; ++i) out[i] = in[static_cast<std::size_t>(perm[i])];
    tensor o(t.type(), out);
    const std::size_t es = size_of(t.type());
    std::vector<std::size_t> stride(r, 1);
    for (std::size_t i = r; i-- > 1;) stride[i - 1] = stride[i] * static_cast<std::size_t>(in[i]);
    std::vector<std::size_t> idx(r, 0);
    const auto* src = static_cast<const unsigned char*>(t.raw());
    auto* dst = static_cast<unsigned char*>(o.raw());
    for (std::size_t k = 0, n = o.numel(); k < n; ++k) {
        std::size_t off = 0;
        for (std::size_t i = 0; i < r; ++i) off += idx[i] * stride[static_cast<std::size_t>(perm[i])];
        std::memcpy(dst + k * es, src + off * es, es);
        for (std::size_t i = r; i-- > 0;) {
            if (++idx[i] < static_cast<std::size_t>(out[i])) break;
            idx[i] = 0;
        }
    }
    return o;
}

inline std::vector<std::int64_t> inverse(const std::vector<std::int64_t>& p) {
    std::vector<std::int64_t> inv(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) inv[static_cast<std::size_t>(p[i])] = static_cast<std::int64_t>(i);
    return inv;
}

/// Adds a node like `proto` (same op and attrs, `edit` applied to the attrs) reading `inputs`, and
/// infers it.
template <class Edit>
node_id clone_with_inputs(model& m, node_id proto, std::vector<output_ref> inputs, Edit edit) {
    node n;
    n.op = m.at(proto).op;
    n.attrs = m.at(proto).attrs;
    n.name = m.at(proto).name;
    n.rt_info = m.at(proto).rt_info;
    n.inputs = std::move(inputs);
    edit(n);
    const node_id id = m.add_node(std::move(n));
    m.infer_node(id);
    return id;
}
inline output_ref add_const(model& m, tensor t, const std::string& name) {
    const node_id id = m.add<ops::constant>({std::move(t)}, {}, name);
    m.infer_node(id);
    return {id, 0};
}
/// Transpose(x, perm) named `name`.
inline output_ref add_transpose(model& m, output_ref x, const std::vector<std::int64_t>& perm, const std::string& name) {
    const output_ref order = add_const(m, tensor::from_vector(perm), name + "/order");
    const node_id id = m.add<ops::transpose>({}, {x, order}, name);
    m.infer_node(id);
    return {id, 0};
}
/// Replaces node `old`'s output 0 by `r`, moving its tensor names.
inline void replace_output(model& m, node_id old, output_ref r) {
    auto& names = m.at(r.node).outputs.at(r.port).names;
    for (const auto& nm : m.at(old).outputs[0].names) names.push_back(nm);
    m.at(old).outputs[0].names.clear();
    m.replace_uses({old, 0}, r);
}
}  // namespace detail

/// Moves single-use Transposes below the layout-free ops that read them (see the file comment).
struct sink_transposes {
    static constexpr std::string_view name = "sink_transposes";

    static std::size_t run(model& m, pass_context&) {
        std::size_t changes = 0;
        std::vector<std::size_t> uses(m.nodes.size(), 0);
        for (const auto& n : m.nodes)
            for (const auto& in : n.inputs) ++uses[in.node];
        const auto order = m.topo_order();
        for (node_id id : order) {
            if (id >= uses.size()) continue;
            if (m.at(id).outputs.size() != 1 || m.at(id).inputs.empty()) continue;
            const node n = m.at(id);  // a copy: adding nodes below may move m.nodes
            // the order of input 0's Transpose, single-use
            const auto t_of = [&](output_ref r) -> std::optional<std::vector<std::int64_t>> {
                if (r.node >= uses.size() || uses[r.node] != 1 || r.port != 0) return std::nullopt;
                return detail::transpose_order(m, m.at(r.node));
            };
            const bool unary = detail::is_one_of<detail::sinkable_unary>(n);
            const bool prelu = n.is<ops::prelu>();  // only with a numpy-broadcast constant slope
            const bool binary = detail::is_one_of<detail::sinkable_binary>(n) || prelu;
            const bool pad = n.is<ops::pad>();
            const bool concat = n.is<ops::concat>();
            if (!unary && !binary && !pad && !concat) continue;
            std::optional<std::vector<std::int64_t>> perm;
            for (std::size_t i = 0; i < (unary || pad ? 1 : n.inputs.size()) && !perm; ++i) perm = t_of(n.inputs[i]);
            if (!perm) continue;
            const std::vector<std::int64_t> p = *perm;
            const std::vector<std::int64_t> inv = detail::inverse(p);
            const std::size_t rank = p.size();
            std::vector<output_ref> new_inputs = n.inputs;
            bool ok = true;
            if (unary) {
                new_inputs[0] = m.at(n.inputs[0].node).inputs[0];
            } else if (binary || concat) {
                for (std::size_t i = 0; i < n.inputs.size() && ok; ++i) {
                    const output_ref in = n.inputs[i];
                    const auto q = t_of(in);
                    if (q && *q == p) {
                        new_inputs[i] = m.at(in.node).inputs[0];
                        continue;
                    }
                    if (prelu && (i == 0 || ops::prelu::per_channel(m.port(n.inputs[0]).shape, m.port(in).shape))) {
                        ok = false;
                        break;
                    }
                    if (binary && m.at(in.node).is<ops::constant>()) {
                        const tensor c = m.at(in.node).attrs_as<ops::constant>().value;
                        const std::string cname = m.at(in.node).name;
                        if (c.rank() > rank) {
                            ok = false;
                            break;
                        }
                        if (c.numel() == 1 && c.rank() <= rank) continue;  // broadcast the same either way
                        shape full(rank - c.rank(), 1);
                        for (auto d : c.dims()) full.push_back(d);
                        new_inputs[i] = detail::add_const(m, detail::permute_tensor(c.reshaped(full), inv),
                                                          cname + "/sunk");
                        continue;
                    }
                    ok = false;
                }
            } else if (pad) {
                const node b = m.at(n.inputs[1].node);
                const node e = m.at(n.inputs[2].node);
                if (!b.is<ops::constant>() || !e.is<ops::constant>()) continue;
                const auto bv = b.attrs_as<ops::constant>().value.to_vector<std::int64_t>();
                const auto ev = e.attrs_as<ops::constant>().value.to_vector<std::int64_t>();
                if (bv.size() != rank || ev.size() != rank) continue;
                std::vector<std::int64_t> nb(rank), ne(rank);
                for (std::size_t i = 0; i < rank; ++i) {
                    nb[static_cast<std::size_t>(p[i])] = bv[i];
                    ne[static_cast<std::size_t>(p[i])] = ev[i];
                }
                new_inputs[0] = m.at(n.inputs[0].node).inputs[0];
                new_inputs[1] = detail::add_const(m, tensor::from_vector(nb), b.name + "/sunk");
                new_inputs[2] = detail::add_const(m, tensor::from_vector(ne), e.name + "/sunk");
            }
            if (!ok) continue;
            const std::string nm = m.at(id).name;
            const node_id moved = detail::clone_with_inputs(m, id, new_inputs, [&](node& c) {
                if (!concat) return;
                auto& a = c.attrs_as<ops::concat>();
                const auto ax = static_cast<std::size_t>(a.axis < 0 ? a.axis + static_cast<std::int64_t>(rank) : a.axis);
                a.axis = p.at(ax);
            });
            const output_ref t = detail::add_transpose(m, {moved, 0}, p, nm + "/transpose_sunk");
            detail::replace_output(m, id, t);
            uses.resize(m.nodes.size(), 0);
            ++changes;
        }
        return changes;
    }
};

/// Transpose(Transpose(x, p), q) -> Transpose(x, p[q[i]]) (see the file comment).
struct merge_transposes {
    static constexpr std::string_view name = "merge_transposes";

    static std::size_t run(model& m, pass_context&) {
        std::size_t changes = 0;
        for (node_id id : m.topo_order()) {
            const auto q = detail::transpose_order(m, m.at(id));
            if (!q) continue;
            const output_ref in = m.at(id).inputs[0];
            const auto p = detail::transpose_order(m, m.at(in.node));
            if (!p || p->size() != q->size()) continue;
            std::vector<std::int64_t> r(q->size());
            bool identity = true;
            for (std::size_t i = 0; i < r.size(); ++i) {
                r[i] = (*p)[static_cast<std::size_t>((*q)[i])];
                identity = identity && r[i] == static_cast<std::int64_t>(i);
            }
            const output_ref x = m.at(in.node).inputs[0];
            const output_ref out = identity ? x : detail::add_transpose(m, x, r, m.at(id).name + "/merged");
            detail::replace_output(m, id, out);
            ++changes;
        }
        return changes;
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_TRANSPOSE_SINKING_HPP
