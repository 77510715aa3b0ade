#ifndef MOIR_FRONTENDS_ONNX_FALLBACK_HPP
#define MOIR_FRONTENDS_ONNX_FALLBACK_HPP

// `--fallback onnxruntime` (docs/fallback.md): the nodes of an ONNX graph that moir cannot convert
// (no converter in the table, a converter that throws moir::unsupported_error, or a sub-graph that
// holds such a node) are grouped into parts, and each part is kept as an ONNX model of its own inside
// one OnnxFallback node (ops/onnx_fallback.hpp), which onnxruntime runs at inference.
//
// Parts: two unsupported nodes joined by a tensor are in one part, unless merging them would make
// a cycle through a moir node (part -> moir node -> same part): then they stay apart. So each part
// is a maximal connected group of unsupported nodes for which the graph of parts and moir nodes is
// still acyclic. A part's inputs are the tensors its nodes read that other nodes or the graph's
// inputs produce (outer-scope reads of its sub-graphs included); the initializers it reads go into
// its model; its outputs are the tensors it produces that a node outside it or the graph's outputs
// read. The part's model imports the source model's opsets and functions, and its types come from
// moir (inputs) and onnxruntime (outputs), asked once at conversion.

#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/onnx/converter.hpp>
#include <moir/frontends/onnx/onnx_proto.hpp>
#include <moir/frontends/onnx/onnx_writer.hpp>
#include <moir/ops/onnx_fallback.hpp>
#include <moir/runtime/onnxruntime.hpp>

#include <algorithm>      // sort
#include <cstddef>        // size_t
#include <cstdint>        // int64_t
#include <functional>     // function
#include <map>            // map
#include <memory>         // make_shared
#include <queue>          // priority_queue
#include <set>            // set
#include <string>         // string
#include <unordered_map>  // unordered_map
#include <unordered_set>  // unordered_set
#include <vector>         // vector

namespace moir::onnx::fallback {

/// Thrown (and caught by onnx::convert) when node `node` of the main graph turned out unsupported
/// while converting: the conversion starts again with that node in a part. Not a std::exception, so
/// no converter's catch can swallow it.
struct retry {
    std::size_t node;
};

namespace detail {
/// The names a graph reads from the scopes around it: read by its nodes (and their sub-graphs,
/// recursively) and defined neither by its inputs, its initializers nor its nodes' outputs.
inline void outer_reads(const proto::graph& g, std::vector<std::string>& out) {
    std::unordered_set<std::string> defined;
    for (const auto& v : g.input) defined.insert(v.name);
    for (const auto& t : g.initializer) defined.insert(t.name);
    for (const auto& n : g.node)
        for (const auto& o : n.output) defined.insert(o);
    auto add = [&](const std::string& s) {
        if (s.empty() || defined.count(s)) return;
        for (const auto& x : out)
            if (x == s) return;
        out.push_back(s);
    };
    for (const auto& n : g.node) {
        for (const auto& i : n.input) add(i);
        for (const auto& a : n.attribute) {
            std::vector<std::string> sub;
            if (a.g) outer_reads(*a.g, sub);
            for (const auto& sg : a.graphs)
                if (sg) outer_reads(*sg, sub);
            for (const auto& s : sub) add(s);
        }
    }
}
}  // namespace detail

/// The tensors node n reads: its inputs and its sub-graphs' outer-scope reads, without "" (absent).
inline std::vector<std::string> reads_of(const proto::node& n) {
    std::vector<std::string> r;
    auto add = [&](const std::string& s) {
        if (s.empty()) return;
        for (const auto& x : r)
            if (x == s) return;
        r.push_back(s);
    };
    for (const auto& i : n.input) add(i);
    for (const auto& a : n.attribute) {
        std::vector<std::string> sub;
        if (a.g) detail::outer_reads(*a.g, sub);
        for (const auto& g : a.graphs)
            if (g) detail::outer_reads(*g, sub);
        for (const auto& s : sub) add(s);
    }
    return r;
}

/// The parts of graph g for the unsupported nodes `offload` (indices into g.node): each part's
/// node indices, ascending; parts ordered by their first node.
inline std::vector<std::vector<std::size_t>> partition(const proto::graph& g, const std::set<std::size_t>& offload) {
    const std::size_t n = g.node.size();
    std::unordered_map<std::string, std::size_t> producer;
    for (std::size_t i = 0; i < n; ++i)
        for (const auto& o : g.node[i].output)
            if (!o.empty()) producer[o] = i;
    std::vector<std::vector<std::size_t>> succ(n), pred(n);
    for (std::size_t i = 0; i < n; ++i)
        for (const auto& t : reads_of(g.node[i])) {
            const auto it = producer.find(t);
            if (it == producer.end() || it->second == i) continue;
            succ[it->second].push_back(i);
            pred[i].push_back(it->second);
        }
    // union-find over the offloaded nodes
    std::vector<std::size_t> parent(n);
    for (std::size_t i = 0; i < n; ++i) parent[i] = i;
    std::function<std::size_t(std::size_t)> root = [&](std::size_t i) {
        while (parent[i] != i) i = parent[i] = parent[parent[i]];
        return i;
    };
    std::vector<std::vector<std::size_t>> members(n);
    for (std::size_t i = 0; i < n; ++i)
        if (offload.count(i)) members[i] = {i};
    // would merging parts a and b (a feeds b) make a cycle? Yes when a path leaves a, passes a node
    // outside both (a moir node, or another part as a whole), and comes back into b.
    auto cycle_if_merged = [&](std::size_t a, std::size_t b) {
        std::vector<char> seen(n, 0);
        std::vector<std::size_t> stack;
        for (std::size_t m : members[a])
            for (std::size_t s : succ[m])
                if (root(s) != a && root(s) != b) stack.push_back(s);
        while (!stack.empty()) {
            const std::size_t v = stack.back();
            stack.pop_back();
            if (seen[v]) continue;
            const std::size_t r = offload.count(v) ? root(v) : v;
            if (r == b) return true;
            if (r == a) continue;
            const std::vector<std::size_t> group = offload.count(v) ? members[r] : std::vector<std::size_t>{v};
            for (std::size_t x : group) {
                seen[x] = 1;
                for (std::size_t s : succ[x]) {
                    const std::size_t rs = offload.count(s) ? root(s) : s;
                    if (rs == b) return true;
                    if (!seen[s] && rs != a) stack.push_back(s);
                }
            }
        }
        return false;
    };
    for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t v = 0; v < n; ++v) {
            if (!offload.count(v)) continue;
            for (std::size_t p : pred[v]) {
                if (!offload.count(p)) continue;
                const std::size_t a = root(p), b = root(v);
                if (a == b || cycle_if_merged(a, b) || cycle_if_merged(b, a)) continue;
                parent[b] = a;
                members[a].insert(members[a].end(), members[b].begin(), members[b].end());
                members[b].clear();
                changed = true;
            }
        }
    }
    std::vector<std::vector<std::size_t>> parts;
    for (std::size_t i = 0; i < n; ++i)
        if (offload.count(i) && root(i) == i) {
            std::vector<std::size_t> p = members[i];
            std::sort(p.begin(), p.end());
            parts.push_back(std::move(p));
        }
    std::sort(parts.begin(), parts.end());
    return parts;
}

/// One unit to emit: a main-graph node moir converts, or a part.
struct unit {
    bool is_part = false;
    std::size_t node = 0;             ///< !is_part: the node index
    std::vector<std::size_t> nodes;   ///< is_part: the part's node indices
};

/// The units of graph g, in an order where each follows every unit it reads from (Kahn's algorithm,
/// earliest first node first, so moir nodes keep the file's order where they can).
inline std::vector<unit> emission_order(const proto::graph& g, const std::vector<std::vector<std::size_t>>& parts) {
    const std::size_t n = g.node.size();
    std::vector<std::size_t> unit_of(n, static_cast<std::size_t>(-1));
    std::vector<unit> units;
    for (const auto& p : parts) {
        for (std::size_t i : p) unit_of[i] = units.size();
        units.push_back(unit{true, p.front(), p});
    }
    for (std::size_t i = 0; i < n; ++i)
        if (unit_of[i] == static_cast<std::size_t>(-1)) {
            unit_of[i] = units.size();
            units.push_back(unit{false, i, {}});
        }
    std::unordered_map<std::string, std::size_t> producer;
    for (std::size_t i = 0; i < n; ++i)
        for (const auto& o : g.node[i].output)
            if (!o.empty()) producer[o] = i;
    std::vector<std::set<std::size_t>> after(units.size());
    std::vector<std::size_t> indegree(units.size(), 0);
    for (std::size_t i = 0; i < n; ++i)
        for (const auto& t : reads_of(g.node[i])) {
            const auto it = producer.find(t);
            if (it == producer.end()) continue;
            const std::size_t from = unit_of[it->second], to = unit_of[i];
            if (from != to && after[from].insert(to).second) ++indegree[to];
        }
    using item = std::pair<std::size_t, std::size_t>;  // (first node, unit)
    std::priority_queue<item, std::vector<item>, std::greater<item>> ready;
    for (std::size_t u = 0; u < units.size(); ++u)
        if (!indegree[u]) ready.push({units[u].node, u});
    std::vector<unit> order;
    while (!ready.empty()) {
        const std::size_t u = ready.top().second;
        ready.pop();
        order.push_back(units[u]);
        for (std::size_t v : after[u])
            if (--indegree[v] == 0) ready.push({units[v].node, v});
    }
    MOIR_CHECK(order.size() == units.size(), error, "the ONNX graph has a cycle");
    return order;
}

/// The ONNX type proto dims of a moir shape (a dynamic dim is written unknown).
inline std::vector<proto::dimension> dims_of(const partial_shape& s) {
    std::vector<proto::dimension> d;
    for (auto v : s.dims) {
        proto::dimension x;
        x.has_value = v >= 0;
        x.value = v;
        d.push_back(x);
    }
    return d;
}

/// The ONNX code of a moir element type (0 for none).
inline std::int32_t onnx_code(element_type t) { return moir::onnxruntime::detail::to_onnx_code(t); }

/// Adds the OnnxFallback node of part `nodes` of the main graph to the model b builds, and binds
/// the part's outputs. `index` numbers the part (its node is "onnx_fallback_<index>").
/// ensures: throws moir::error naming the part when onnxruntime rejects it or cannot be loaded.
inline void add_part(const proto::model& pm, const std::vector<std::size_t>& nodes, std::size_t index,
                     frontends::graph_builder& b, const std::string& base_dir) {
    const proto::graph& g = pm.graph;
    std::unordered_set<std::string> produced_inside;
    for (std::size_t i : nodes)
        for (const auto& o : g.node[i].output)
            if (!o.empty()) produced_inside.insert(o);
    std::unordered_map<std::string, const proto::tensor*> initializers;
    for (const auto& t : g.initializer) initializers[t.name] = &t;
    std::unordered_map<std::string, const proto::value_info*> declared;
    for (const auto& v : g.value_info) declared[v.name] = &v;
    for (const auto& v : g.output) declared[v.name] = &v;

    // inputs and embedded initializers, in order of first use
    std::vector<std::string> inputs, embedded;
    std::unordered_set<std::string> seen;
    for (std::size_t i : nodes)
        for (const auto& t : reads_of(g.node[i])) {
            if (produced_inside.count(t) || !seen.insert(t).second) continue;
            if (initializers.count(t)) embedded.push_back(t);
            else inputs.push_back(t);
        }
    // outputs: read outside the part, or graph outputs
    std::unordered_set<std::string> read_outside;
    const std::set<std::size_t> in_part(nodes.begin(), nodes.end());
    for (std::size_t i = 0; i < g.node.size(); ++i)
        if (!in_part.count(i))
            for (const auto& t : reads_of(g.node[i])) read_outside.insert(t);
    for (const auto& v : g.output) read_outside.insert(v.name);
    std::vector<std::string> outputs;
    for (std::size_t i : nodes)
        for (const auto& o : g.node[i].output)
            if (!o.empty() && read_outside.count(o)) outputs.push_back(o);

    std::string ops;
    for (std::size_t i : nodes) ops += (ops.empty() ? "" : "+") + g.node[i].op_type;
    const std::string name = "onnx_fallback_" + std::to_string(index);
    const std::string what = b.source() + ": fallback part '" + name + "' (" + ops + ")";

    proto::model part;
    part.ir_version = pm.ir_version;
    part.producer_name = "moir";
    part.opset_import = pm.opset_import;
    part.functions = pm.functions;
    part.has_graph = true;
    part.graph.name = name;
    for (std::size_t i : nodes) part.graph.node.push_back(g.node[i]);
    for (const auto& t : embedded) part.graph.initializer.push_back(*initializers.at(t));
    std::vector<output_ref> refs;
    for (const auto& t : inputs) {
        output_ref r;
        try {
            r = b.value(t);
        } catch (const std::exception& e) {
            throw error(what + ": " + e.what());
        }
        refs.push_back(r);
        const output_port& p = b.graph().port(r);
        proto::value_info vi;
        vi.name = t;
        vi.type.kind = proto::type_kind::tensor;
        vi.type.elem_type = onnx_code(p.type);
        MOIR_CHECK(vi.type.elem_type != 0, error, what + ": input '" + t + "' has a type ONNX cannot take");
        vi.type.has_shape = !p.shape.rank_dynamic;
        vi.type.shape = dims_of(p.shape);
        part.graph.input.push_back(vi);
    }
    for (const auto& t : outputs) {
        proto::value_info vi;
        vi.name = t;
        const auto it = declared.find(t);  // the element type the source declares, if any (ORT infers the rest)
        if (it != declared.end() && it->second->type.kind == proto::type_kind::tensor && it->second->type.elem_type) {
            vi.type.kind = proto::type_kind::tensor;
            vi.type.elem_type = it->second->type.elem_type;
        }
        part.graph.output.push_back(vi);
    }
    std::string bytes;
    try {
        bytes = proto::write(part, base_dir);
    } catch (const std::exception& e) {
        throw error(what + ": " + e.what());
    }
    auto sess = std::make_shared<moir::onnxruntime::session>(bytes, what);
    MOIR_CHECK(sess->outputs().size() == outputs.size(), error, what + ": onnxruntime sees another output count");

    moir::ops::onnx_fallback::attrs a;
    a.model = moir::ops::onnx_part::of(std::move(bytes));
    // Output shapes: onnxruntime's (ONNX shape inference), where it has them. It reports an output
    // without shape inference (ai.onnx.ml ops, say) as rank 0: then the shape the source model
    // declares for the tensor, else the shape a run of the part on zeros gives (when its inputs
    // are static), else an unknown rank.
    std::vector<tensor> probe;
    bool probed = false;
    for (std::size_t j = 0; j < outputs.size(); ++j) {
        const auto& o = sess->outputs()[j];
        a.output_types.push_back(o.type);
        partial_shape shp = o.shape;
        if (!shp.rank_dynamic && shp.rank() == 0) {
            const auto it = declared.find(outputs[j]);
            if (it != declared.end() && it->second->type.kind == proto::type_kind::tensor && it->second->type.has_shape) {
                shp.dims.clear();
                for (const auto& d : it->second->type.shape) shp.dims.push_back(d.has_value ? d.value : dynamic_dim);
            } else {
                if (!probed) {
                    probed = true;
                    std::vector<tensor> zeros;
                    bool all_static = true;
                    for (const auto& r : refs) {
                        const output_port& p = b.graph().port(r);
                        all_static = all_static && p.shape.is_static();
                        if (!all_static) break;
                        zeros.emplace_back(p.type, p.shape.dims);
                    }
                    if (all_static) {
                        try {
                            probe = sess->run(zeros);
                        } catch (const std::exception&) {
                            probe.clear();  // the part refuses zeros: the rank stays unknown
                        }
                    }
                }
                shp = j < probe.size() ? partial_shape(probe[j].dims()) : partial_shape::dynamic();
            }
        }
        a.output_shapes.shapes.push_back(shp);
    }
    {
        std::lock_guard<std::mutex> lock(a.model.payload->lock);
        a.model.payload->session = sess;  // this conversion's runs (--check) reuse it
    }
    model& m = b.graph();
    const node_id id = m.add<moir::ops::onnx_fallback>(std::move(a), refs, name);
    m.infer_node(id);
    for (std::size_t j = 0; j < outputs.size(); ++j) b.bind(outputs[j], output_ref{id, j});
}

/// The unsupported nodes of the main graph known before converting: those whose op (or an op of
/// whose sub-graphs) has no converter in `table`.
template <class Find>
std::set<std::size_t> initial_offload(const proto::graph& g, Find&& has_converter) {
    std::set<std::size_t> s;
    std::function<bool(const proto::graph&)> graph_ok = [&](const proto::graph& sub) {
        for (const auto& n : sub.node) {
            if (!has_converter(n)) return false;
            for (const auto& a : n.attribute) {
                if (a.g && !graph_ok(*a.g)) return false;
                for (const auto& x : a.graphs)
                    if (x && !graph_ok(*x)) return false;
            }
        }
        return true;
    };
    for (std::size_t i = 0; i < g.node.size(); ++i) {
        bool ok = has_converter(g.node[i]);
        for (const auto& a : g.node[i].attribute) {
            if (a.g) ok = ok && graph_ok(*a.g);
            for (const auto& x : a.graphs)
                if (x) ok = ok && graph_ok(*x);
        }
        if (!ok) s.insert(i);
    }
    return s;
}

}  // namespace moir::onnx::fallback

#endif  // MOIR_FRONTENDS_ONNX_FALLBACK_HPP
