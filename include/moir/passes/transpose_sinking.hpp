#ifndef MOIR_PASSES_TRANSPOSE_SINKING_HPP
#define MOIR_PASSES_TRANSPOSE_SINKING_HPP

// Removes layout Transposes between layers (OpenVINO's TransposeSinking, in three small passes).
// A frontend of a channels-last framework (TensorFlow, TFLite) wraps every NCHW convolution and
// pool in NHWC->NCHW and NCHW->NHWC Transposes; between two layers an NCHW->NHWC Transpose meets,
// after element-wise ops, an NHWC->NCHW one.
// - sink_transposes moves a Transpose (used once, constant order) below the layout-free op reading
//   it: a unary element-wise op; a binary one whose other input is the same Transpose order or a
//   constant (permuted here to match); a PRelu with a constant numpy-broadcast slope (permuted); a Pad with constant pads (permuted); a Concat of Transposes
//   with one order (the axis permuted).
// - merge_transposes turns Transpose(Transpose(x, p), q) into one Transpose by p[q[i]] (dropped
//   by eliminate_noops when that is the identity).
// - sink_transpose_regions removes a Transpose read by several ops (hard-swish's x * relu6(x + 3),
//   a residual sum, a squeeze-excite input): the whole region of layout-free ops it reaches (also
//   keep_dims reductions) moves before it at once, when that moves fewer elements through Transposes.
// Run to a fixed point, the Transposes end up at the model's boundaries and before the ops that
// depend on layout (Reshape, reductions without keep_dims), never more transposed elements than
// before.

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
#include <moir/ops/equal.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/floor.hpp>
#include <moir/ops/greater.hpp>
#include <moir/ops/greater_equal.hpp>
#include <moir/ops/hsigmoid.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/less.hpp>
#include <moir/ops/less_equal.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/logical_and.hpp>
#include <moir/ops/logical_not.hpp>
#include <moir/ops/logical_or.hpp>
#include <moir/ops/logical_xor.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/reduce_l1.hpp>
#include <moir/ops/reduce_l2.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reduce_prod.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/squared_difference.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/tanh.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/passes/pass_concept.hpp>

#include <algorithm>    // sort
#include <any>          // any_cast
#include <cstdint>      // int64_t, uint64_t
#include <cstring>      // memcpy
#include <optional>     // optional
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

namespace detail {
/// Element-wise ops of one input that a Transpose may cross.
using sinkable_unary = type_list<ops::relu, ops::clamp, ops::sigmoid, ops::tanh, ops::elu, ops::exp, ops::log, ops::sqrt,
                                 ops::abs, ops::negative, ops::floor, ops::ceiling, ops::hswish, ops::hsigmoid, ops::convert,
                                 ops::logical_not>;
/// Element-wise ops of two inputs (numpy broadcasting) that a Transpose may cross.
using sinkable_binary = type_list<ops::add, ops::subtract, ops::multiply, ops::divide, ops::maximum, ops::minimum,
                                  ops::squared_difference, ops::power, ops::equal, ops::greater, ops::greater_equal,
                                  ops::less, ops::less_equal, ops::logical_and, ops::logical_or, ops::logical_xor>;

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

namespace detail {
/// Reductions a Transpose may cross when they keep their dims (the axes permuted).
using sinkable_reduction = type_list<ops::reduce_mean, ops::reduce_sum, ops::reduce_max, ops::reduce_min,
                                     ops::reduce_prod, ops::reduce_l1, ops::reduce_l2>;

/// Elements a Transpose of port r moves (a dynamic dim counts as 1, so that the count stays a
/// function of the graph and the region pass below terminates).
inline std::uint64_t moved_elements(const model& m, output_ref r) {
    std::uint64_t n = 1;
    for (auto d : m.port(r).shape.dims) n *= d > 0 ? static_cast<std::uint64_t>(d) : 1u;
    return n;
}

/// Whether node n can compute in the layout before a Transpose of order p (rank p.size()) when the
/// inputs for which inside(input) holds carry that layout and the others keep theirs: its one output
/// has rank p.size(); a unary element-wise op, Pad (constant pads), a reduction with keep_dims
/// (constant axes) read an inside input 0; a binary element-wise op or PRelu read inside inputs and
/// constants (PRelu: an inside data, a constant slope that is not per-channel); a Concat reads only
/// inside inputs; an Interpolate reads an inside data and constant sizes or scales (one per axis, or
/// with constant axes).
template <class Inside>
bool takes_layout(const model& m, const node& n, std::size_t rank, Inside inside) {
    if (n.outputs.size() != 1 || n.inputs.empty()) return false;
    const partial_shape& os = n.outputs[0].shape;
    if (os.rank_dynamic || os.rank() != rank) return false;
    const auto is_const = [&](output_ref r) { return m.at(r.node).is<ops::constant>(); };
    if (is_one_of<sinkable_unary>(n)) return inside(n.inputs[0]);
    if (n.is<ops::prelu>())
        return n.inputs.size() == 2 && inside(n.inputs[0]) && is_const(n.inputs[1]) &&
               !ops::prelu::per_channel(m.port(n.inputs[0]).shape, m.port(n.inputs[1]).shape) &&
               m.port(n.inputs[1]).shape.rank() <= rank;
    if (is_one_of<sinkable_binary>(n)) {
        for (const auto& in : n.inputs)
            if (!inside(in) && !(is_const(in) && m.port(in).shape.rank() <= rank)) return false;
        return true;
    }
    if (n.is<ops::concat>()) {
        for (const auto& in : n.inputs)
            if (!inside(in)) return false;
        return true;
    }
    if (n.is<ops::pad>()) {
        if (!inside(n.inputs[0]) || !is_const(n.inputs[1]) || !is_const(n.inputs[2])) return false;
        if (n.inputs.size() > 3 && inside(n.inputs[3])) return false;
        return m.port(n.inputs[1]).shape.dims == std::vector<std::int64_t>{static_cast<std::int64_t>(rank)} &&
               m.port(n.inputs[2]).shape.dims == std::vector<std::int64_t>{static_cast<std::int64_t>(rank)};
    }
    if (n.is<ops::interpolate>()) {  // constant sizes or scales (and axes)
        if (!inside(n.inputs[0]) || !is_const(n.inputs[1]) || (n.inputs.size() > 2 && !is_const(n.inputs[2])))
            return false;
        return n.inputs.size() > 2 || m.port(n.inputs[1]).shape.dims == std::vector<std::int64_t>{static_cast<std::int64_t>(rank)};
    }
    if (is_one_of<sinkable_reduction>(n)) {
        const auto* a = std::any_cast<ops::detail::reduce_attrs>(&n.attrs);  // every reduction's attrs
        return a && a->keep_dims && inside(n.inputs[0]) && !inside(n.inputs[1]) && is_const(n.inputs[1]);
    }
    return false;
}

/// A copy of node `id` (takes_layout holds) computing in the layout before the Transpose of order p:
/// inside inputs read map(input); constant operands of element-wise ops are permuted by p's inverse
/// (a one-element constant stays); Pad's pads, a reduction's axes, Concat's axis, Interpolate's axes
/// (or its per-axis sizes or scales) and pads follow p.
template <class Inside, class Map>
node_id layout_clone(model& m, node_id id, const std::vector<std::int64_t>& p, Inside inside, Map map) {
    const node n = m.at(id);  // a copy: adding nodes moves m.nodes
    const std::size_t rank = p.size();
    const std::vector<std::int64_t> inv = inverse(p);
    std::vector<output_ref> in = n.inputs;
    const bool elementwise = is_one_of<sinkable_binary>(n) || n.is<ops::prelu>();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (inside(n.inputs[i])) {
            in[i] = map(n.inputs[i]);
            continue;
        }
        const node& c = m.at(n.inputs[i].node);
        if (!c.is<ops::constant>()) continue;
        const tensor v = c.attrs_as<ops::constant>().value;
        const std::string cname = c.name + "/sunk";
        if (elementwise) {
            if (v.numel() == 1) continue;  // broadcasts the same in either layout
            shape full(rank - v.rank(), 1);
            for (auto d : v.dims()) full.push_back(d);
            in[i] = add_const(m, permute_tensor(v.reshaped(full), inv), cname);
        } else if (n.is<ops::pad>() && (i == 1 || i == 2)) {
            const auto pv = v.to_vector<std::int64_t>();
            std::vector<std::int64_t> np(rank);
            for (std::size_t k = 0; k < rank; ++k) np[static_cast<std::size_t>(p[k])] = pv[k];
            in[i] = add_const(m, tensor::from_vector(np), cname);
        } else if (n.is<ops::interpolate>() && i == 1 && n.inputs.size() == 2) {  // one value per axis
            tensor nv(v.type(), v.dims());
            const std::size_t es = size_of(v.type());
            for (std::size_t k = 0; k < rank; ++k)
                std::memcpy(static_cast<unsigned char*>(nv.raw()) + static_cast<std::size_t>(p[k]) * es,
                            static_cast<const unsigned char*>(v.raw()) + k * es, es);
            in[i] = add_const(m, nv, cname);
        } else if ((i == 1 && is_one_of<sinkable_reduction>(n)) || (i == 2 && n.is<ops::interpolate>())) {
            auto axes = v.to_vector<std::int64_t>();
            for (auto& a : axes) a = p[normalize_axis(a, rank)];
            in[i] = add_const(m, v.rank() == 0 ? tensor::from_vector(std::vector<std::int64_t>{axes[0]}, shape{})
                                               : tensor::from_vector(axes),
                              cname);
        }
    }
    return clone_with_inputs(m, id, std::move(in), [&](node& c) {
        if (c.is<ops::concat>()) {
            auto& a = c.attrs_as<ops::concat>();
            a.axis = p[normalize_axis(a.axis, rank)];
        } else if (c.is<ops::interpolate>()) {  // per-axis pads follow their axes
            auto& a = c.attrs_as<ops::interpolate>();
            for (auto* pads : {&a.pads_begin, &a.pads_end}) {
                if (pads->empty()) continue;
                const auto old = ops::interpolate::pads(*pads, rank, "pads");
                pads->assign(rank, 0);
                for (std::size_t k = 0; k < rank; ++k) (*pads)[static_cast<std::size_t>(p[k])] = old[k];
            }
        }
    });
}
}  // namespace detail

/// Removes a layout Transpose read by several ops: from a Transpose T of constant order p it grows
/// the region of ops that takes_layout can move before T (reading T, region ops, constants, or other
/// Transposes of order p, which join T as seeds), and rewrites the region in T's input layout when
/// that moves fewer elements through Transposes: seeds whose readers all joined (or are Transposes,
/// which merge_transposes then composes) disappear, a region op read by a Transpose of order p's
/// inverse feeds its reader directly, and a region op read by any other op (a Result included) gets
/// one Transpose of order p on its output. Hard-swish (x * relu6(x + 3)), residual Adds, the
/// squeeze-excite scale and its keep_dims ReduceMean between two convolutions of a channels-last
/// model so lose both of their Transposes.
/// ensures: outputs unchanged; the elements moved by Transposes (static dims) strictly decrease with
/// each rewrite.
struct sink_transpose_regions {
    static constexpr std::string_view name = "sink_transpose_regions";

    static std::size_t run(model& m, pass_context&) {
        std::size_t changes = 0;
        // each rewrite moves fewer elements; the bound only guards against a miscount
        for (std::size_t cap = m.nodes.size(); changes < cap && rewrite_one(m);) {
            m.remove_dead();
            ++changes;
        }
        return changes;
    }

private:
    /// Finds the first profitable region (in topological order of its first seed) and rewrites it.
    static bool rewrite_one(model& m) {
        const auto order = m.topo_order();
        std::vector<std::vector<node_id>> users(m.nodes.size());
        std::vector<std::size_t> pos(m.nodes.size(), 0);
        for (std::size_t k = 0; k < order.size(); ++k) {
            const node_id id = order[k];
            pos[id] = k;
            for (const auto& in : m.at(id).inputs) {
                auto& u = users[in.node];
                if (u.empty() || u.back() != id) u.push_back(id);
            }
        }
        for (node_id t : order) {
            const auto p = detail::transpose_order(m, m.at(t));
            if (!p || m.at(t).outputs.size() != 1 || m.at(t).outputs[0].shape.rank_dynamic ||
                m.at(t).outputs[0].shape.rank() != p->size())
                continue;
            if (try_region(m, t, *p, pos, users)) return true;
        }
        return false;
    }

    /// Grows the region of Transpose t (order p) and rewrites it when that moves fewer elements.
    static bool try_region(model& m, node_id t, const std::vector<std::int64_t>& p, const std::vector<std::size_t>& pos,
                           const std::vector<std::vector<node_id>>& users) {
        const std::size_t rank = p.size();
        std::vector<char> seed(m.nodes.size(), 0), region(m.nodes.size(), 0);
        std::vector<node_id> seeds{t}, members;
        const auto is_seed_candidate = [&](output_ref r) {
            if (r.port != 0) return false;
            const auto q = detail::transpose_order(m, m.at(r.node));
            return q && *q == p;
        };
        const auto inside = [&](output_ref r) { return r.port == 0 && (seed[r.node] || region[r.node]); };
        const auto inside_or_seed = [&](output_ref r) { return inside(r) || is_seed_candidate(r); };
        seed[t] = 1;
        // grow: an op joins once all its layout inputs are inside; it is looked at again whenever
        // one of its inputs joins
        std::vector<node_id> work(users[t].begin(), users[t].end());
        while (!work.empty()) {
            const node_id id = work.back();
            work.pop_back();
            if (seed[id] || region[id] || !detail::takes_layout(m, m.at(id), rank, inside_or_seed)) continue;
            region[id] = 1;
            members.push_back(id);
            work.insert(work.end(), users[id].begin(), users[id].end());
            for (const auto& in : m.at(id).inputs)
                if (!inside(in) && is_seed_candidate(in)) {
                    seed[in.node] = 1;
                    seeds.push_back(in.node);
                    work.insert(work.end(), users[in.node].begin(), users[in.node].end());
                }
        }
        if (members.empty()) return false;
        std::sort(members.begin(), members.end(), [&](node_id a, node_id b) { return pos[a] < pos[b]; });
        // the elements moved by Transposes before and after
        const std::vector<std::int64_t> inv = detail::inverse(p);
        std::uint64_t saved = 0, added = 0;
        for (node_id s : seeds) {
            bool gone = true;
            for (node_id u : users[s]) gone = gone && (region[u] || detail::transpose_order(m, m.at(u)).has_value());
            if (gone) saved += detail::moved_elements(m, {s, 0});
        }
        std::vector<char> needs_transpose(m.nodes.size(), 0);
        for (node_id id : members) {
            for (node_id u : users[id]) {
                if (region[u]) continue;
                const auto q = detail::transpose_order(m, m.at(u));
                if (q && *q == inv) saved += detail::moved_elements(m, {u, 0});
                else if (!q || q->size() != rank) needs_transpose[id] = 1;  // another order: composed, as many
            }
            if (needs_transpose[id]) added += detail::moved_elements(m, {id, 0});
        }
        if (added >= saved) return false;
        // rewrite the region in order; clone_of maps a seed or region op to its untransposed value
        std::vector<output_ref> clone_of(m.nodes.size());
        for (node_id s : seeds) clone_of[s] = m.at(s).inputs[0];
        const auto map = [&](output_ref r) { return clone_of[r.node]; };
        for (node_id id : members) {
            const output_ref c{detail::layout_clone(m, id, p, inside, map), 0};
            clone_of[id] = c;
            seed.resize(m.nodes.size(), 0);
            region.resize(m.nodes.size(), 0);
        }
        for (node_id id : members) {
            for (node_id u : users[id]) {
                if (region[u]) continue;
                const auto q = detail::transpose_order(m, m.at(u));
                if (!q || q->size() != rank) continue;
                std::vector<std::int64_t> r(rank);
                for (std::size_t i = 0; i < rank; ++i) r[i] = p[static_cast<std::size_t>((*q)[i])];
                detail::replace_output(m, u, *q == inv ? clone_of[id]
                                                       : detail::add_transpose(m, clone_of[id], r,
                                                                               m.at(u).name + "/merged"));
            }
            if (!needs_transpose[id]) continue;
            const output_ref back = detail::add_transpose(m, clone_of[id], p, m.at(id).name + "/transpose_sunk");
            // only the readers outside the region, Transposes excepted (they now read the clone)
            for (node_id u : users[id]) {
                const auto q = detail::transpose_order(m, m.at(u));
                if (region[u] || (q && q->size() == rank)) continue;
                for (auto& in : m.at(u).inputs)
                    if (in == output_ref{id, 0}) in = back;
            }
            auto& names = m.at(back.node).outputs[0].names;
            for (const auto& s : m.at(id).outputs[0].names) names.push_back(s);
            m.at(id).outputs[0].names.clear();
        }
        return true;
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_TRANSPOSE_SINKING_HPP
