#ifndef MOIR_FRONTENDS_TENSORFLOW_CONTROL_FLOW_HPP
#define MOIR_FRONTENDS_TENSORFLOW_CONTROL_FLOW_HPP

// TF1 control flow -> moir's If and Loop (docs/control-flow.md). A GraphDef with Enter/Exit/Merge/
// Switch/LoopCond/NextIteration is rewritten before conversion ("lowered" here means: made functional,
// as TensorFlow's own functionalize pass does):
//
// - a while loop (the nodes of one frame: Enter -> Merge -> Switch(LoopCond) -> body -> NextIteration,
//   Switch:0 -> Exit) becomes one `_MoirWhile` node whose body is a GraphDef of its own: a Placeholder
//   per loop variable and per loop invariant (constant Enter), the body's nodes, and the condition
//   computed again on the next values (OpenVINO's Loop decides after each iteration whether to go on;
//   the first decision is the condition on the initial values, a copy of the condition's nodes in the
//   outer graph). Nested frames stay inside the body and are lowered when the body is converted.
// - TensorArrays as tf.map_fn uses them: an array filled by TensorArrayScatterV3 (unstack) and read in
//   the loop becomes a Gather of the scattered tensor; an array written once per iteration at the
//   iteration counter and gathered (stacked) after the loop becomes a concatenated output of the Loop;
//   TensorArraySizeV3 is the array's size. TF2's TensorLists likewise: a TensorListFromTensor list
//   read by TensorListGetItem in the loop is the tensor, read by a Gather; a TensorListReserve list set
//   by TensorListSetItem at the iteration counter and stacked (TensorListStack) after the loop is a
//   concatenated output.
// - a cond (Switch nodes on one predicate, the nodes they feed, Merge nodes joining the two sides)
//   becomes one `_MoirIf` node whose then/else bodies are the two sides as GraphDefs; nested conds stay
//   inside the bodies.
// Anything else (a Switch whose sides never merge, a TensorArray used otherwise) is left as it is and
// listed as unsupported with the path of the body it is in.

#include <moir/core/bodies.hpp>
#include <moir/core/model.hpp>
#include <moir/frontends/tensorflow/converter.hpp>
#include <moir/frontends/tensorflow/graph_def.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/if.hpp>
#include <moir/ops/loop.hpp>

#include <algorithm>      // find, sort
#include <cstdint>        // int64_t
#include <functional>     // function
#include <map>            // map
#include <memory>         // shared_ptr, make_shared
#include <set>            // set
#include <string>         // string
#include <unordered_map>  // unordered_map
#include <utility>        // move, pair
#include <vector>         // vector

namespace moir::tensorflow::control_flow {

struct lowered;

/// One reconstructed If or while loop: its bodies as lowered GraphDefs. A body's Placeholders are its
/// inputs, in order (their dtype and shape are set when the node is converted); `outputs` its results.
struct region {
    bool loop = false;
    std::string path;                        ///< "If 'a/cond' " / "Loop 'a/while' body: " after the enclosing bodies' paths
    std::string own;                         ///< "If 'a/cond' " / "Loop 'a/while' body": this region's part of the path
    std::vector<std::shared_ptr<lowered>> bodies;  ///< If: then, else; Loop: body
    std::size_t carried = 0;                 ///< Loop: node inputs 2.. that are loop variables (the rest: invariants)
    std::size_t scans = 0;                   ///< Loop: outputs after the carried ones, concatenated along axis 0
};

/// A GraphDef with its control flow made functional: `graph` holds `_MoirIf` / `_MoirWhile` nodes
/// described by `regions` (by node name). `outputs`: the graph's outputs (tensor names).
struct lowered {
    graph_def graph;
    std::vector<std::string> outputs;
    std::vector<std::string> placeholders;   ///< a body's inputs, in order (empty for the top graph)
    std::map<std::string, region> regions;
};

/// Whether `op` is one of the nodes this file makes.
inline bool is_region_op(const std::string& op) { return op == "_MoirIf" || op == "_MoirWhile"; }

/// Whether the graph has TF1 control flow to lower.
inline bool present(const graph_def& g) {
    for (const auto& n : g.node)
        if (n.op == "Switch" || n.op == "Merge" || n.op == "Enter" || n.op == "Exit" || n.op == "LoopCond" ||
            n.op == "NextIteration")
            return true;
    return false;
}

namespace detail {

struct ref {
    std::string node;
    std::size_t port = 0;
    bool control = false;
};
inline ref parse_ref(const std::string& s) {
    ref r;
    std::string t = s;
    if (!t.empty() && t[0] == '^') {
        r.control = true;
        t = t.substr(1);
    }
    const auto colon = t.rfind(':');
    if (colon != std::string::npos && colon + 1 < t.size() && t.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
        r.port = std::stoul(t.substr(colon + 1));
        t = t.substr(0, colon);
    }
    r.node = t;
    return r;
}
inline std::string ref_str(const std::string& node, std::size_t port) { return tensor_name(node, port); }
inline std::string ref_str(const ref& r) { return tensor_name(r.node, r.port); }

inline node_def make_node(std::string name, std::string op, std::vector<std::string> inputs) {
    node_def n;
    n.name = std::move(name);
    n.op = std::move(op);
    n.input = std::move(inputs);
    return n;
}
/// A Const node holding the int32 scalar v.
inline node_def const_i32(std::string name, std::int32_t v) {
    node_def n = make_node(std::move(name), "Const", {});
    attr_value a;
    a.k = attr_value::kind::tensor;
    a.tensor.dtype = data_type::int32;
    a.tensor.int_val = {v};
    n.attr["value"] = a;
    attr_value t;
    t.k = attr_value::kind::type;
    t.type = data_type::int32;
    n.attr["dtype"] = t;
    return n;
}

/// The TF data type of a moir element type.
inline data_type from_element_type(element_type t) {
    switch (t) {
        case element_type::f32: return data_type::float_;
        case element_type::f64: return data_type::double_;
        case element_type::f16: return data_type::half;
        case element_type::i32: return data_type::int32;
        case element_type::i64: return data_type::int64;
        case element_type::i16: return data_type::int16;
        case element_type::i8: return data_type::int8;
        case element_type::u8: return data_type::uint8;
        case element_type::u16: return data_type::uint16;
        case element_type::u32: return data_type::uint32;
        case element_type::u64: return data_type::uint64;
        case element_type::boolean: return data_type::bool_;
        default: return data_type::invalid;
    }
}

/// The graph being lowered, with its indexes.
class graph_index {
public:
    explicit graph_index(const graph_def& g) : g_(&g) {
        for (std::size_t i = 0; i < g.node.size(); ++i) index_.emplace(g.node[i].name, i);
        readers_.resize(g.node.size());
        for (std::size_t i = 0; i < g.node.size(); ++i)
            for (const auto& in : g.node[i].input) {
                const ref r = parse_ref(in);
                const auto it = index_.find(r.node);
                auto& rs = it == index_.end() ? none_ : readers_[it->second];
                if (it != index_.end() && (rs.empty() || rs.back() != i)) rs.push_back(i);
            }
    }
    const node_def& at(std::size_t i) const { return g_->node[i]; }
    std::size_t size() const { return g_->node.size(); }
    long find(const std::string& name) const {
        const auto it = index_.find(name);
        return it == index_.end() ? -1 : static_cast<long>(it->second);
    }
    const std::vector<std::size_t>& readers(std::size_t i) const { return readers_[i]; }
    /// The data inputs of node i, parsed.
    std::vector<ref> data_inputs(std::size_t i) const {
        std::vector<ref> out;
        for (const auto& in : g_->node[i].input) {
            ref r = parse_ref(in);
            if (!r.control) out.push_back(std::move(r));
        }
        return out;
    }
    /// Node i's data input k as a tensor name, "" when it has none.
    std::string input(std::size_t i, std::size_t k) const {
        const auto ins = data_inputs(i);
        return k < ins.size() ? tensor_name(ins[k].node, ins[k].port) : std::string();
    }
    /// Node i's data input k's producer index, or -1.
    long producer(std::size_t i, std::size_t k) const {
        const auto ins = data_inputs(i);
        return k < ins.size() ? find(ins[k].node) : -1;
    }

private:
    const graph_def* g_;
    std::unordered_map<std::string, std::size_t> index_;
    std::vector<std::vector<std::size_t>> readers_;
    std::vector<std::size_t> none_;
};

/// The outputs of a graph without explicit ones: every node nothing reads (NoOp, Const, Placeholder aside),
/// as convert() chooses them.
inline std::vector<std::string> default_sinks(const graph_def& g) {
    graph_index gi(g);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < g.node.size(); ++i) {
        const auto& op = g.node[i].op;
        if (gi.readers(i).empty() && op != "NoOp" && op != "Const" && op != "Placeholder") out.push_back(g.node[i].name);
    }
    return out;
}

/// Keeps the nodes the outputs need over data edges (and Placeholders); drops control inputs to removed nodes.
inline graph_def prune(const graph_def& g, const std::vector<std::string>& outputs) {
    graph_index gi(g);
    std::vector<char> keep(g.node.size(), 0);
    std::vector<std::size_t> stack;
    for (const auto& o : outputs) {
        const long i = gi.find(parse_ref(o).node);
        if (i >= 0 && !keep[static_cast<std::size_t>(i)]) {
            keep[static_cast<std::size_t>(i)] = 1;
            stack.push_back(static_cast<std::size_t>(i));
        }
    }
    while (!stack.empty()) {
        const std::size_t i = stack.back();
        stack.pop_back();
        for (const auto& r : gi.data_inputs(i)) {
            const long p = gi.find(r.node);
            if (p >= 0 && !keep[static_cast<std::size_t>(p)]) {
                keep[static_cast<std::size_t>(p)] = 1;
                stack.push_back(static_cast<std::size_t>(p));
            }
        }
    }
    graph_def out;
    out.producer = g.producer;
    out.library_functions = g.library_functions;
    std::set<std::string> kept;
    for (std::size_t i = 0; i < g.node.size(); ++i)
        if (keep[i] || g.node[i].op == "Placeholder") kept.insert(g.node[i].name);
    for (std::size_t i = 0; i < g.node.size(); ++i) {
        if (!kept.count(g.node[i].name)) continue;
        node_def n = g.node[i];
        std::vector<std::string> ins;
        for (const auto& in : n.input) {
            const ref r = parse_ref(in);
            if (!r.control || kept.count(r.node)) ins.push_back(in);
        }
        n.input = std::move(ins);
        if (n.op == "Const") {
            const auto w = g.weights.find(n.name);
            if (w != g.weights.end()) out.weights.emplace(w->first, w->second);
        }
        out.node.push_back(std::move(n));
    }
    return out;
}

/// Builds a body GraphDef: Placeholders `params` in order, then `nodes` (data inputs only; a Const
/// of the outer graph read by a node is copied in with its weight), outputs through Identity nodes
/// "_out/k" (so that two outputs may read one tensor).
inline std::shared_ptr<lowered> make_body(const graph_def& outer, const std::vector<std::string>& params,
                                          std::vector<node_def> nodes, const std::vector<std::string>& outputs) {
    auto b = std::make_shared<lowered>();
    graph_def& g = b->graph;
    g.producer = outer.producer;
    std::set<std::string> names;
    for (const auto& p : params) {
        g.node.push_back(make_node(p, "Placeholder", {}));
        names.insert(p);
    }
    for (const auto& n : nodes) names.insert(n.name);
    graph_index oi(outer);
    std::vector<node_def> consts;
    const auto need = [&](const std::string& tensor) {
        const ref r = parse_ref(tensor);
        if (names.count(r.node)) return;
        const long i = oi.find(r.node);
        MOIR_CHECK(i >= 0 && oi.at(static_cast<std::size_t>(i)).op == "Const", error,
                   "the body reads '" + tensor + "', which is neither computed inside it nor a constant");
        node_def c = oi.at(static_cast<std::size_t>(i));
        c.input.clear();
        names.insert(c.name);
        const auto w = outer.weights.find(c.name);
        if (w != outer.weights.end()) g.weights.emplace(w->first, w->second);
        consts.push_back(std::move(c));
    };
    for (auto& n : nodes) {
        std::vector<std::string> ins;
        for (const auto& in : n.input)
            if (in.empty() || in[0] != '^') {
                need(in);
                ins.push_back(in);
            }
        n.input = std::move(ins);
    }
    for (const auto& o : outputs) need(o);
    for (auto& c : consts) g.node.push_back(std::move(c));
    for (auto& n : nodes) g.node.push_back(std::move(n));
    for (std::size_t k = 0; k < outputs.size(); ++k) {
        g.node.push_back(make_node("_out/" + std::to_string(k), "Identity", {outputs[k]}));
        b->outputs.push_back("_out/" + std::to_string(k));
    }
    b->placeholders = params;
    return b;
}

/// A node name not used in `g`, from `want`.
inline std::string fresh_name(const graph_index& gi, const std::set<std::string>& taken, std::string want,
                              const std::string& suffix) {
    while (gi.find(want) >= 0 || taken.count(want)) want += suffix;
    return want;
}
inline std::string dir_of(const std::string& name) {
    const auto slash = name.rfind('/');
    return slash == std::string::npos ? name : name.substr(0, slash);
}

// ------------------------------------------------------------------------------------ loops --

/// Frame of every node (-1: the root), with each frame's parent; -2 never happens after the call.
struct frames {
    std::vector<long> of;
    std::vector<long> parent;
};
inline frames find_frames(const graph_index& gi) {
    frames f;
    const long unset = -2;
    f.of.assign(gi.size(), unset);
    std::map<std::pair<std::string, long>, long> ids;
    for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t i = 0; i < gi.size(); ++i) {
            if (f.of[i] != unset) continue;
            const node_def& n = gi.at(i);
            const auto ins = gi.data_inputs(i);
            long fr = unset;
            if (n.op == "Enter" || n.op == "Exit") {
                const long p = ins.empty() ? -1 : gi.find(ins[0].node);
                const long pf = p < 0 ? -1 : f.of[static_cast<std::size_t>(p)];
                if (pf == unset) continue;
                if (n.op == "Exit") {
                    fr = pf < 0 ? -1 : f.parent[static_cast<std::size_t>(pf)];
                } else {
                    const attr_value* a = n.find_attr("frame_name");
                    const std::string name = a ? a->s : std::string();
                    const auto key = std::make_pair(name, pf);
                    auto it = ids.find(key);
                    if (it == ids.end()) {
                        it = ids.emplace(key, static_cast<long>(f.parent.size())).first;
                        f.parent.push_back(pf);
                    }
                    fr = it->second;
                }
            } else {
                bool all = true, any = false;
                long deepest = -1;
                for (const auto& r : ins) {
                    const long p = gi.find(r.node);
                    const long pf = p < 0 ? -1 : f.of[static_cast<std::size_t>(p)];
                    if (pf == unset) {
                        all = false;
                        continue;
                    }
                    any = true;
                    if (pf >= 0) {
                        // the deeper of two frames (one must enclose the other)
                        bool inside = false;
                        for (long x = pf; x >= 0; x = f.parent[static_cast<std::size_t>(x)]) inside = inside || x == deepest;
                        if (deepest < 0 || inside) deepest = pf;
                    }
                }
                if (n.op == "Merge" ? !any && !ins.empty() : !all) continue;
                fr = deepest;
            }
            f.of[i] = fr;
            changed = true;
        }
    }
    for (auto& x : f.of)
        if (x == unset) x = -1;
    return f;
}

/// One loop variable of a frame.
struct loop_var {
    long enter = -1, merge = -1, sw = -1, next = -1, exit = -1;
    std::string init, next_value;  // outer initial tensor; the body's next value (outer spelling)
    bool scan = false;             // a TensorArray written once per iteration
    std::string scan_value;        // the value written (body spelling)
};

/// Lowers the top-level frame `fr` of `g` into a `_MoirWhile` node: appends the new root nodes to
/// `added`, marks the frame's nodes in `removed`, replaces Exits and TensorArray reads after the loop
/// in `replaced`. Returns false (and changes nothing) when the frame is not the standard pattern.
inline bool lower_loop(const graph_def& g, const graph_index& gi, const frames& fr, long frame,
                       std::vector<node_def>& added, std::vector<char>& removed, std::map<std::size_t, node_def>& replaced,
                       std::map<std::string, region>& regions, std::set<std::string>& taken, const std::string& path) {
    const auto in_frame = [&](std::size_t i) {
        for (long x = fr.of[i]; x >= 0; x = fr.parent[static_cast<std::size_t>(x)])
            if (x == frame) return true;
        return false;
    };
    std::vector<std::size_t> members;
    for (std::size_t i = 0; i < gi.size(); ++i)
        if (in_frame(i)) members.push_back(i);
    // the frame's own Enters, Merges, Switches, NextIterations, LoopCond
    long loop_cond = -1;
    std::vector<long> invariants;
    std::vector<loop_var> vars;
    std::set<std::size_t> structural;
    for (auto i : members) {
        const node_def& n = gi.at(i);
        if (fr.of[i] != frame) continue;
        if (n.op == "LoopCond") {
            if (loop_cond >= 0) return false;
            loop_cond = static_cast<long>(i);
        }
        if (n.op != "Enter") continue;
        // the Enter's frame is this one when its input is outside; a nested frame's Enter has its own id
        const attr_value* c = n.find_attr("is_constant");
        structural.insert(i);
        if (c && c->b) {
            invariants.push_back(static_cast<long>(i));
            continue;
        }
        loop_var v;
        v.enter = static_cast<long>(i);
        v.init = gi.input(i, 0);
        for (auto r : gi.readers(i))
            if (gi.at(r).op == "Merge") v.merge = static_cast<long>(r);
        if (v.merge < 0) return false;
        for (const auto& in : gi.data_inputs(static_cast<std::size_t>(v.merge))) {
            const long p = gi.find(in.node);
            if (p >= 0 && gi.at(static_cast<std::size_t>(p)).op == "NextIteration") v.next = p;
        }
        for (auto r : gi.readers(static_cast<std::size_t>(v.merge)))
            if (gi.at(r).op == "Switch") v.sw = static_cast<long>(r);
        if (v.next < 0 || v.sw < 0) return false;
        for (auto r : gi.readers(static_cast<std::size_t>(v.sw)))
            if (gi.at(r).op == "Exit") v.exit = static_cast<long>(r);
        v.next_value = gi.input(static_cast<std::size_t>(v.next), 0);
        if (v.init.empty() || v.next_value.empty()) return false;
        for (long x : {v.merge, v.sw, v.next, v.exit})
            if (x >= 0) structural.insert(static_cast<std::size_t>(x));
        vars.push_back(v);
    }
    // Enters of this frame read from a nested frame's point of view are assigned the nested id, so
    // the loop above sees exactly this frame's Enters
    if (loop_cond < 0 || vars.empty()) return false;
    structural.insert(static_cast<std::size_t>(loop_cond));
    for (const auto& v : vars)
        if (gi.producer(static_cast<std::size_t>(v.sw), 1) != loop_cond) return false;
    const std::string cond_tensor = gi.input(static_cast<std::size_t>(loop_cond), 0);
    if (cond_tensor.empty()) return false;

    // body spelling of a tensor: Switch:1 and Merge -> the variable's Placeholder (named after the Merge)
    std::map<std::string, std::string> rename;
    for (const auto& v : vars) {
        const std::string p = gi.at(static_cast<std::size_t>(v.merge)).name;
        rename[ref_str(gi.at(static_cast<std::size_t>(v.sw)).name, 1)] = p;
        rename[p] = p;
    }
    const auto rw = [&](const std::string& t) {
        const auto it = rename.find(canonical_tensor(t));
        return it == rename.end() ? canonical_tensor(t) : it->second;
    };

    // TensorArrays: scattered arrays read in the loop, arrays written per iteration
    std::map<std::string, std::string> scattered;  // TensorArrayV3 node -> scattered value (outer)
    for (std::size_t i = 0; i < gi.size(); ++i) {
        if (gi.at(i).op != "TensorArrayScatterV3" || fr.of[i] >= 0) continue;
        const auto ins = gi.data_inputs(i);
        const long idx = ins.size() == 4 ? gi.find(ins[1].node) : -1;
        if (idx >= 0 && gi.at(static_cast<std::size_t>(idx)).op == "Range")
            scattered[ins[0].node] = ref_str(ins[2]);
    }
    std::map<long, std::string> enter_value;       // invariant Enter -> the outer tensor it brings in
    for (auto e : invariants) {
        enter_value[e] = gi.input(static_cast<std::size_t>(e), 0);
        if (enter_value[e].empty()) return false;
    }
    std::map<std::size_t, node_def> body_replace;  // body node -> its replacement
    std::vector<node_def> body_extra;
    for (auto i : members) {
        const node_def& n = gi.at(i);
        if (fr.of[i] != frame) continue;
        const auto ins = gi.data_inputs(i);
        if (n.op == "TensorArrayReadV3" && ins.size() == 3) {
            const long e = gi.find(ins[0].node);
            if (e < 0 || gi.at(static_cast<std::size_t>(e)).op != "Enter") continue;
            const ref ta = parse_ref(gi.input(static_cast<std::size_t>(e), 0));
            const auto it = scattered.find(ta.node);
            if (it == scattered.end() || ta.port != 0) continue;
            enter_value[e] = it->second;
            node_def r = make_node(n.name, "GatherV2", {gi.at(static_cast<std::size_t>(e)).name, ref_str(ins[1]), n.name + "/_axis"});
            body_extra.push_back(const_i32(n.name + "/_axis", 0));
            body_replace[i] = std::move(r);
        } else if (n.op == "TensorArrayWriteV3" && ins.size() == 4) {
            // written at the iteration counter (a variable from a Const 0, next = Add(it, 1)),
            // its flow a variable only this write updates
            for (auto& v : vars) {
                if (v.next_value != n.name || rw(ref_str(ins[3])) != gi.at(static_cast<std::size_t>(v.merge)).name) continue;
                const std::string index = rw(ref_str(ins[1]));
                bool counter = false;
                for (const auto& u : vars) {
                    if (gi.at(static_cast<std::size_t>(u.merge)).name != index) continue;
                    const long init = gi.find(parse_ref(u.init).node), nx = gi.find(parse_ref(u.next_value).node);
                    counter = init >= 0 && gi.at(static_cast<std::size_t>(init)).op == "Const" && nx >= 0 &&
                              (gi.at(static_cast<std::size_t>(nx)).op == "Add" || gi.at(static_cast<std::size_t>(nx)).op == "AddV2");
                }
                if (!counter) continue;
                // after the loop: only TensorArrayGatherV3 / TensorArraySizeV3 read the Exit
                bool ok = v.exit >= 0;
                if (ok)
                    for (auto r : gi.readers(static_cast<std::size_t>(v.exit)))
                        ok = ok && (gi.at(r).op == "TensorArrayGatherV3" || gi.at(r).op == "TensorArraySizeV3");
                if (!ok || gi.readers(i).size() != 1) continue;
                v.scan = true;
                v.scan_value = rw(ref_str(ins[2]));
                body_replace[i] = node_def();  // dropped
            }
        }
    }

    // TensorLists as TF2's tf.map_fn uses them (the list a loop variable, not a handle and a flow):
    // a list made by TensorListFromTensor and read by TensorListGetItem becomes the tensor itself,
    // read by a Gather; a list made by TensorListReserve, set at the iteration counter once per
    // iteration and stacked after the loop, a concatenated output (as the TensorArrays above)
    const auto skip_identity = [&](std::string t) {  // through the frame's Identity nodes (TF2's Func/.../input)
        for (int hop = 0; hop < 8; ++hop) {
            const long p = gi.find(parse_ref(t).node);
            if (p < 0 || gi.at(static_cast<std::size_t>(p)).op != "Identity" || fr.of[static_cast<std::size_t>(p)] != frame)
                break;
            const std::string in = gi.input(static_cast<std::size_t>(p), 0);
            if (in.empty()) break;
            t = in;
        }
        return t;
    };
    const auto var_of = [&](const std::string& body_name) -> loop_var* {  // the variable a Placeholder stands for
        for (auto& v : vars)
            if (gi.at(static_cast<std::size_t>(v.merge)).name == body_name) return &v;
        return nullptr;
    };
    const auto outer_op = [&](const std::string& t) {
        const long p = gi.find(parse_ref(t).node);
        return p >= 0 && fr.of[static_cast<std::size_t>(p)] < 0 ? gi.at(static_cast<std::size_t>(p)).op : std::string();
    };
    // the tensor a TensorListFromTensor outside every frame made list `t` of; "" for anything else
    const auto listed_tensor = [&](const std::string& t) {
        return outer_op(t) == "TensorListFromTensor" ? gi.input(static_cast<std::size_t>(gi.find(parse_ref(t).node)), 0)
                                                     : std::string();
    };
    // every reader of variable v's value in the body (Switch:1) is a node of `ops`, or its NextIteration
    const auto read_only_by = [&](const loop_var& v, std::initializer_list<const char*> ops) {
        for (auto r : gi.readers(static_cast<std::size_t>(v.sw))) {
            if (static_cast<long>(r) == v.next || static_cast<long>(r) == v.exit) continue;
            bool ok = false;
            for (const char* o : ops) ok = ok || gi.at(r).op == o;
            if (!ok) return false;
        }
        return true;
    };
    for (auto i : members) {
        const node_def& n = gi.at(i);
        if (fr.of[i] != frame || (n.op != "TensorListGetItem" && n.op != "TensorListSetItem")) continue;
        const auto ins = gi.data_inputs(i);
        if (ins.size() != 3) continue;
        if (n.op == "TensorListGetItem") {
            const std::string list = skip_identity(ref_str(ins[0]));
            loop_var* u = var_of(rw(list));
            if (u) {  // a variable passed on unchanged, made by TensorListFromTensor
                if (rw(u->next_value) != gi.at(static_cast<std::size_t>(u->merge)).name || !read_only_by(*u, {"TensorListGetItem"}))
                    continue;
                if (const std::string t = listed_tensor(u->init); !t.empty()) {
                    u->init = t;
                } else if (outer_op(u->init) != "") {
                    continue;  // not a list this loop can read as a tensor
                }
            } else {  // an invariant Enter of TensorListFromTensor's list
                const long e = gi.find(parse_ref(list).node);
                if (e < 0 || gi.at(static_cast<std::size_t>(e)).op != "Enter") continue;
                const std::string t = listed_tensor(gi.input(static_cast<std::size_t>(e), 0));
                if (t.empty()) continue;
                enter_value[e] = t;
            }
            body_replace[i] = make_node(n.name, "GatherV2", {list, ref_str(ins[1]), n.name + "/_axis"});
            body_extra.push_back(const_i32(n.name + "/_axis", 0));
            continue;
        }
        // TensorListSetItem(list, index, item) as the next value of the list's variable
        loop_var* v = var_of(rw(skip_identity(ref_str(ins[0]))));
        if (!v || v->next_value != n.name || gi.readers(i).size() != 1 || outer_op(v->init) != "TensorListReserve" ||
            !read_only_by(*v, {"TensorListSetItem"}))
            continue;
        const loop_var* c = var_of(rw(skip_identity(ref_str(ins[1]))));
        if (!c || outer_op(c->init) != "Const") continue;
        const long nx = gi.find(parse_ref(skip_identity(c->next_value)).node);
        if (nx < 0 || (gi.at(static_cast<std::size_t>(nx)).op != "Add" && gi.at(static_cast<std::size_t>(nx)).op != "AddV2"))
            continue;
        bool ok = v->exit >= 0;
        if (ok)
            for (auto r : gi.readers(static_cast<std::size_t>(v->exit))) ok = ok && gi.at(r).op == "TensorListStack";
        if (!ok) continue;
        v->scan = true;
        v->scan_value = rw(ref_str(ins[2]));
        body_replace[i] = node_def();  // dropped
    }

    // a TensorArray or TensorList used otherwise: the frame stays as it is (its ops listed as unsupported)
    for (auto i : members) {
        const std::string& op = gi.at(i).op;
        if ((op.rfind("TensorArray", 0) == 0 || op.rfind("TensorList", 0) == 0) && !body_replace.count(i)) return false;
    }

    // the condition's nodes: what LoopCond's input needs inside the frame
    std::set<std::size_t> cond_nodes;
    {
        std::vector<std::string> stack{cond_tensor};
        while (!stack.empty()) {
            const ref r = parse_ref(stack.back());
            stack.pop_back();
            const long p = gi.find(r.node);
            if (p < 0 || structural.count(static_cast<std::size_t>(p)) || !in_frame(static_cast<std::size_t>(p)) ||
                cond_nodes.count(static_cast<std::size_t>(p)))
                continue;
            cond_nodes.insert(static_cast<std::size_t>(p));
            for (const auto& in : gi.data_inputs(static_cast<std::size_t>(p))) stack.push_back(ref_str(in));
        }
    }

    const std::string name = fresh_name(gi, taken, dir_of(gi.at(static_cast<std::size_t>(loop_cond)).name), "/while");
    taken.insert(name);
    const std::string my_path = path + "Loop '" + name + "' body: ";

    // the body
    std::vector<std::string> params;
    std::vector<std::string> carried_init;
    for (const auto& v : vars)
        if (!v.scan) {
            params.push_back(gi.at(static_cast<std::size_t>(v.merge)).name);
            carried_init.push_back(v.init);
        }
    std::vector<node_def> nodes;
    std::set<std::string> body_reads;
    for (auto i : members) {
        if (structural.count(i)) continue;
        node_def n = gi.at(i);
        if (auto it = body_replace.find(i); it != body_replace.end()) {
            if (it->second.name.empty()) continue;
            n = it->second;
        }
        std::vector<std::string> ins;
        for (const auto& in : n.input) {
            if (!in.empty() && in[0] == '^') continue;
            ins.push_back(rw(in));
            body_reads.insert(parse_ref(ins.back()).node);
        }
        n.input = std::move(ins);
        nodes.push_back(std::move(n));
    }
    for (auto& e : body_extra) nodes.push_back(std::move(e));
    // the condition again, on the next values
    std::map<std::string, std::string> next_of;
    for (const auto& v : vars)
        if (!v.scan) next_of[gi.at(static_cast<std::size_t>(v.merge)).name] = rw(v.next_value);
    const auto next_spelling = [&](const std::string& t) {
        const std::string b = rw(t);
        if (auto it = next_of.find(b); it != next_of.end()) return it->second;
        const long p = gi.find(parse_ref(t).node);
        if (p >= 0 && cond_nodes.count(static_cast<std::size_t>(p))) return "_next/" + canonical_tensor(t);
        return b;
    };
    for (auto i : cond_nodes) {
        node_def n = gi.at(i);
        n.name = "_next/" + n.name;
        std::vector<std::string> ins;
        for (const auto& in : n.input)
            if (in.empty() || in[0] != '^') {
                ins.push_back(next_spelling(in));
                body_reads.insert(parse_ref(ins.back()).node);
            }
        n.input = std::move(ins);
        nodes.push_back(std::move(n));
    }
    std::vector<std::string> outs;
    for (const auto& v : vars)
        if (!v.scan) {
            outs.push_back(rw(v.next_value));
            body_reads.insert(parse_ref(outs.back()).node);
        }
    for (const auto& v : vars)
        if (v.scan) {
            const std::string e = "_scan/" + gi.at(static_cast<std::size_t>(v.merge)).name;
            nodes.push_back(make_node(e, "ExpandDims", {v.scan_value, e + "/axis"}));
            nodes.push_back(const_i32(e + "/axis", 0));
            body_reads.insert(parse_ref(v.scan_value).node);
            outs.push_back(e);
        }
    outs.push_back(next_spelling(cond_tensor));
    body_reads.insert(parse_ref(outs.back()).node);
    // invariants the body reads (a TensorArray's handle or flow no longer read is left out)
    std::vector<std::string> inv_outer;
    for (auto e : invariants) {
        const std::string en = gi.at(static_cast<std::size_t>(e)).name;
        if (!body_reads.count(en)) continue;
        params.push_back(en);
        inv_outer.push_back(enter_value[e]);
    }
    // a value of the outer graph the body reads directly (computed from constants only, so outside
    // every frame): one more invariant input
    {
        std::set<std::string> known(params.begin(), params.end());
        for (const auto& n : nodes) known.insert(n.name);
        std::map<std::string, std::string> ext;
        const auto external = [&](std::string& t) {
            const ref r = parse_ref(t);
            if (known.count(r.node)) return;
            const long q = gi.find(r.node);
            if (q >= 0 && gi.at(static_cast<std::size_t>(q)).op == "Const") return;
            auto it = ext.find(t);
            if (it == ext.end()) {
                it = ext.emplace(t, "_ext/" + std::to_string(ext.size())).first;
                params.push_back(it->second);
                inv_outer.push_back(t);
            }
            t = it->second;
        };
        for (auto& n : nodes)
            for (auto& in : n.input) external(in);
        for (auto& o : outs) external(o);
    }
    region reg;
    reg.loop = true;
    reg.path = my_path;
    reg.own = "Loop '" + name + "' body";
    reg.carried = carried_init.size();
    for (const auto& v : vars) reg.scans += v.scan ? 1 : 0;
    reg.bodies.push_back(make_body(g, params, std::move(nodes), outs));

    // the first decision, in the outer graph: the condition's nodes on the initial values
    std::map<std::string, std::string> init_of;
    for (const auto& v : vars) init_of[gi.at(static_cast<std::size_t>(v.merge)).name] = v.init;
    for (auto e : invariants) init_of[gi.at(static_cast<std::size_t>(e)).name] = enter_value[e];
    const auto init_spelling = [&](const std::string& t) {
        const std::string b = rw(t);
        if (auto it = init_of.find(b); it != init_of.end()) return it->second;
        const long p = gi.find(parse_ref(t).node);
        if (p >= 0 && cond_nodes.count(static_cast<std::size_t>(p))) return name + "/_init/" + canonical_tensor(t);
        return b;
    };
    for (auto i : cond_nodes) {
        node_def n = gi.at(i);
        n.name = name + "/_init/" + n.name;
        std::vector<std::string> ins;
        for (const auto& in : n.input)
            if (in.empty() || in[0] != '^') ins.push_back(init_spelling(in));
        n.input = std::move(ins);
        added.push_back(std::move(n));
    }
    node_def w = make_node(name, "_MoirWhile", {init_spelling(cond_tensor)});
    for (const auto& t : carried_init) w.input.push_back(t);
    for (const auto& t : inv_outer) w.input.push_back(t);
    added.push_back(std::move(w));

    // after the loop: Exits read the Loop's outputs; stacked TensorArrays its concatenated outputs
    std::size_t k = 0, s = reg.carried;
    for (const auto& v : vars) {
        const std::size_t port = v.scan ? s++ : k++;
        if (v.exit < 0) continue;
        if (!v.scan) {
            replaced[static_cast<std::size_t>(v.exit)] = make_node(gi.at(static_cast<std::size_t>(v.exit)).name, "Identity", {ref_str(name, port)});
            continue;
        }
        for (auto r : gi.readers(static_cast<std::size_t>(v.exit))) {
            const node_def& n = gi.at(r);
            if (n.op == "TensorArrayGatherV3" || n.op == "TensorListStack") {
                replaced[r] = make_node(n.name, "Identity", {ref_str(name, port)});
            } else {  // TensorArraySizeV3: the array's size
                const long ta = gi.producer(r, 0);
                MOIR_CHECK(ta >= 0 && gi.at(static_cast<std::size_t>(ta)).op == "TensorArrayV3" &&
                               !gi.input(static_cast<std::size_t>(ta), 0).empty(),
                           unsupported_error, path + "node '" + n.name + "': the size of a TensorArray not made by TensorArrayV3");
                replaced[r] = make_node(n.name, "Identity", {gi.input(static_cast<std::size_t>(ta), 0)});
            }
        }
    }
    for (auto i : members) removed[i] = 1;
    regions.emplace(name, std::move(reg));
    return true;
}

// ------------------------------------------------------------------------------------- conds --

using guard = std::set<std::pair<std::string, bool>>;  // (predicate tensor, side)

/// Lowers every top-level cond of the (loop-free) graph `g` into `_MoirIf` nodes. Returns the new graph.
inline graph_def lower_conds(const graph_def& g, std::map<std::string, region>& regions, std::set<std::string>& taken,
                             const std::string& path) {
    graph_index gi(g);
    const auto is_cond_switch = [&](std::size_t i) {
        if (gi.at(i).op != "Switch" || gi.data_inputs(i).size() != 2) return false;
        const long p = gi.producer(i, 1);
        return !(p >= 0 && gi.at(static_cast<std::size_t>(p)).op == "LoopCond");
    };
    // topological order over data inputs
    std::vector<std::size_t> pending(gi.size(), 0), order;
    for (std::size_t i = 0; i < gi.size(); ++i)
        for (const auto& r : gi.data_inputs(i))
            if (gi.find(r.node) >= 0) ++pending[i];
    std::vector<std::size_t> ready;
    for (std::size_t i = 0; i < gi.size(); ++i)
        if (!pending[i]) ready.push_back(i);
    while (!ready.empty()) {
        const std::size_t i = ready.back();
        ready.pop_back();
        order.push_back(i);
        for (auto r : gi.readers(i))
            for (const auto& in : gi.data_inputs(r))
                if (in.node == gi.at(i).name && --pending[r] == 0) ready.push_back(r);
    }
    if (order.size() != gi.size()) return g;  // a cycle left: reported as unsupported later
    std::vector<guard> gd(gi.size());
    const auto tensor_guard = [&](const ref& r) {
        const long p = gi.find(r.node);
        if (p < 0) return guard{};
        guard x = gd[static_cast<std::size_t>(p)];
        if (is_cond_switch(static_cast<std::size_t>(p)))
            x.insert({ref_str(gi.data_inputs(static_cast<std::size_t>(p)).at(1)), r.port == 1});
        return x;
    };
    for (auto i : order) {
        guard u;
        for (const auto& r : gi.data_inputs(i))
            for (const auto& e : tensor_guard(r)) u.insert(e);
        if (gi.at(i).op == "Merge") {
            guard v;
            for (const auto& e : u)
                if (!u.count({e.first, !e.second})) v.insert(e);
            u = std::move(v);
        }
        gd[i] = std::move(u);
    }
    // top-level predicates: those of Switches outside every cond, in order of appearance
    std::vector<std::string> preds;
    for (auto i : order)
        if (is_cond_switch(i) && gd[i].empty()) {
            const std::string p = ref_str(gi.data_inputs(i).at(1));
            if (std::find(preds.begin(), preds.end(), p) == preds.end()) preds.push_back(p);
        }
    if (preds.empty()) return g;
    std::vector<char> removed(gi.size(), 0);
    std::map<std::size_t, node_def> replaced;
    std::vector<node_def> added;
    for (const auto& p : preds) {
        std::vector<std::size_t> side[2], merges;
        for (auto i : order) {
            if (gd[i].count({p, true})) side[1].push_back(i);
            if (gd[i].count({p, false})) side[0].push_back(i);
            if (gi.at(i).op != "Merge" || gd[i].count({p, true}) || gd[i].count({p, false})) continue;
            bool t = false, f = false;
            for (const auto& r : gi.data_inputs(i)) {
                const guard x = tensor_guard(r);
                t = t || x.count({p, true});
                f = f || x.count({p, false});
            }
            if (t && f) merges.push_back(i);
        }
        if (merges.empty()) continue;
        bool overlap = false;
        for (int s = 0; s < 2; ++s)
            for (auto i : side[s]) overlap = overlap || removed[i];
        if (overlap) continue;
        // the If's inputs: what the two sides read from outside (a Switch of p: its data input)
        std::vector<std::string> inputs;
        std::map<std::string, std::string> param_of;  // outer tensor -> "_in/j"
        std::set<std::size_t> inside[2];
        for (int s = 0; s < 2; ++s) inside[s].insert(side[s].begin(), side[s].end());
        const auto outer_of = [&](const ref& r) -> std::string {
            const long q = gi.find(r.node);
            if (q >= 0 && is_cond_switch(static_cast<std::size_t>(q)) &&
                ref_str(gi.data_inputs(static_cast<std::size_t>(q)).at(1)) == p)
                return ref_str(gi.data_inputs(static_cast<std::size_t>(q)).at(0));
            return ref_str(r);
        };
        const auto spell = [&](int s, const ref& r) -> std::string {
            const long q = gi.find(r.node);
            if (q >= 0 && inside[s].count(static_cast<std::size_t>(q)) ) return ref_str(r);
            const std::string o = outer_of(r);
            const long oq = gi.find(parse_ref(o).node);
            if (oq >= 0 && gi.at(static_cast<std::size_t>(oq)).op == "Const") return o;  // copied into the body
            auto it = param_of.find(o);
            if (it == param_of.end()) {
                it = param_of.emplace(o, "_in/" + std::to_string(inputs.size())).first;
                inputs.push_back(o);
            }
            return it->second;
        };
        std::vector<node_def> nodes[2];
        for (int s = 0; s < 2; ++s)
            for (auto i : side[s]) {
                node_def n = gi.at(i);
                std::vector<std::string> ins;
                for (const auto& in : n.input) {
                    const ref r = parse_ref(in);
                    if (!r.control) ins.push_back(spell(s, r));
                }
                n.input = std::move(ins);
                nodes[s].push_back(std::move(n));
            }
        std::vector<std::string> outs[2];
        for (auto m : merges)
            for (const auto& r : gi.data_inputs(m)) {
                const guard x = tensor_guard(r);
                const int s = x.count({p, true}) ? 1 : 0;
                outs[s].push_back(spell(s, r));
            }
        bool ok = true;
        for (int s = 0; s < 2; ++s) ok = ok && outs[s].size() == merges.size();
        if (!ok) continue;
        const long pn = gi.find(parse_ref(p).node);
        const std::string name = fresh_name(gi, taken, dir_of(pn >= 0 ? gi.at(static_cast<std::size_t>(pn)).name : p), "/if");
        taken.insert(name);
        std::vector<std::string> params;
        for (std::size_t j = 0; j < inputs.size(); ++j) params.push_back("_in/" + std::to_string(j));
        region reg;
        reg.path = path + "If '" + name + "' ";
        reg.own = "If '" + name + "' ";
        reg.bodies.push_back(make_body(g, params, std::move(nodes[1]), outs[1]));
        reg.bodies.push_back(make_body(g, params, std::move(nodes[0]), outs[0]));
        node_def n = make_node(name, "_MoirIf", {p});
        for (const auto& t : inputs) n.input.push_back(t);
        added.push_back(std::move(n));
        for (std::size_t k = 0; k < merges.size(); ++k)
            replaced[merges[k]] = make_node(gi.at(merges[k]).name, "Identity", {ref_str(name, k)});
        for (int s = 0; s < 2; ++s)
            for (auto i : side[s]) removed[i] = 1;
        regions.emplace(name, std::move(reg));
    }
    graph_def out;
    out.producer = g.producer;
    out.library_functions = g.library_functions;
    out.weights = g.weights;
    for (std::size_t i = 0; i < gi.size(); ++i) {
        if (removed[i]) continue;
        if (auto it = replaced.find(i); it != replaced.end()) out.node.push_back(it->second);
        else out.node.push_back(gi.at(i));
    }
    for (auto& n : added) out.node.push_back(std::move(n));
    return out;
}

}  // namespace detail

/// Lowers g's TF1 control flow (top level; bodies are lowered in turn, recursively). `outputs`:
/// the graph's outputs (empty: the nodes nothing reads). `path` prefixes the bodies' paths.
inline std::shared_ptr<lowered> lower(const graph_def& g, std::vector<std::string> outputs, const std::string& path = "",
                                      std::vector<std::string> placeholders = {});

namespace detail {
inline void lower_bodies(lowered& l) {
    for (auto& [name, reg] : l.regions)
        for (auto& b : reg.bodies) {
            const std::string p = reg.loop ? reg.path : reg.path + (&b == &reg.bodies[0] ? "then: " : "else: ");
            b = control_flow::lower(b->graph, b->outputs, p, b->placeholders);
        }
}
}  // namespace detail

inline std::shared_ptr<lowered> lower(const graph_def& g0, std::vector<std::string> outputs, const std::string& path,
                                      std::vector<std::string> placeholders) {
    auto l = std::make_shared<lowered>();
    l->placeholders = std::move(placeholders);
    if (outputs.empty()) outputs = detail::default_sinks(g0);
    for (auto& o : outputs) o = canonical_tensor(o);
    l->outputs = outputs;
    if (!present(g0)) {
        l->graph = g0;
        return l;
    }
    graph_def g = detail::prune(g0, outputs);
    std::set<std::string> taken;
    // loops, outermost frames first
    {
        detail::graph_index gi(g);
        const detail::frames fr = detail::find_frames(gi);
        std::vector<char> removed(gi.size(), 0);
        std::map<std::size_t, node_def> replaced;
        std::vector<node_def> added;
        std::vector<long> done;
        for (std::size_t i = 0; i < gi.size(); ++i) {
            const long f = fr.of[i];
            if (f < 0 || fr.parent[static_cast<std::size_t>(f)] >= 0) continue;
            if (std::find(done.begin(), done.end(), f) != done.end()) continue;
            done.push_back(f);
            detail::lower_loop(g, gi, fr, f, added, removed, replaced, l->regions, taken, path);
        }
        if (!l->regions.empty()) {
            graph_def out;
            out.producer = g.producer;
            out.library_functions = g.library_functions;
            out.weights = g.weights;
            for (std::size_t i = 0; i < gi.size(); ++i) {
                if (auto it = replaced.find(i); it != replaced.end()) out.node.push_back(it->second);
                else if (!removed[i]) out.node.push_back(gi.at(i));
            }
            for (auto& n : added) out.node.push_back(std::move(n));
            g = detail::prune(out, outputs);
        }
    }
    g = detail::lower_conds(g, l->regions, taken, path);
    l->graph = detail::prune(g, outputs);
    detail::lower_bodies(*l);
    return l;
}

/// Lists, into `missing`, the ops of g and of every body that `has_converter` rejects (control flow
/// left over included), each body's op named with its path ("Loop 'a/while' body: Foo").
template <class HasConverter>
void list_unsupported(const lowered& l, const HasConverter& has_converter, frontends::unsupported_ops& missing,
                      const std::string& path = "") {
    std::set<std::string> params(l.placeholders.begin(), l.placeholders.end());
    for (const auto& n : l.graph.node) {
        if (n.op == "Placeholder" || is_region_op(n.op)) continue;
        if (!has_converter(n.op)) missing.add(path + n.op);
    }
    for (const auto& [name, reg] : l.regions) {
        (void)name;
        for (std::size_t k = 0; k < reg.bodies.size(); ++k) {
            const std::string p = reg.loop ? reg.path : reg.path + (k == 0 ? "then: " : "else: ");
            list_unsupported(*reg.bodies[k], has_converter, missing, p);
        }
    }
}

/// Converts a body: `convert_body(lowered, source)` converts a lowered GraphDef (the frontend's convert).
using body_converter = std::function<model(const lowered&, const std::string&)>;

namespace detail {
/// A copy of body `b` whose Placeholders have the types and shapes of `inputs`.
inline lowered typed_body(const lowered& b, const std::vector<port_desc>& inputs) {
    lowered t = b;
    MOIR_CHECK(t.placeholders.size() == inputs.size(), error, "the body takes " + std::to_string(t.placeholders.size()) +
                                                                  " inputs, the node passes " + std::to_string(inputs.size()));
    for (auto& n : t.graph.node) {
        const auto it = std::find(t.placeholders.begin(), t.placeholders.end(), n.name);
        if (n.op != "Placeholder" || it == t.placeholders.end()) continue;
        const port_desc& d = inputs[static_cast<std::size_t>(it - t.placeholders.begin())];
        attr_value dt;
        dt.k = attr_value::kind::type;
        dt.type = from_element_type(d.type);
        n.attr["dtype"] = dt;
        attr_value sh;
        sh.k = attr_value::kind::shape;
        sh.shape.unknown_rank = d.shape.rank_dynamic;
        if (!d.shape.rank_dynamic)
            for (auto x : d.shape.dims) sh.shape.dims.push_back(x < 0 ? -1 : x);
        n.attr["shape"] = sh;
    }
    return t;
}
}  // namespace detail

/// Converts a `_MoirIf` / `_MoirWhile` node of `l` into an If / Loop.
inline void convert_region(context& c, const lowered& l, const std::string& source, const body_converter& convert_body) {
    const auto it = l.regions.find(c.name());
    MOIR_CHECK(it != l.regions.end(), error, "no control-flow region is named '" + c.name() + "'");
    const region& reg = it->second;
    model& m = c.model();
    std::vector<output_ref> inputs;
    std::vector<port_desc> descs;
    for (std::size_t i = 0; i < c.input_count(); ++i) {
        inputs.push_back(c.input(i));
        const output_port& op = m.port(inputs.back());
        descs.push_back(port_desc{op.type, op.shape, {}});
    }
    node nd;
    if (!reg.loop) {
        std::vector<port_desc> body_in(descs.begin() + 1, descs.end());
        body_list bodies;
        for (std::size_t k = 0; k < reg.bodies.size(); ++k)  // errors name "<file>: If 'a/cond' then: node ..."
            bodies.push_back(std::make_shared<model>(
                convert_body(detail::typed_body(*reg.bodies[k], body_in), source + ": " + reg.own + (k == 0 ? "then" : "else"))));
        ops::if_op::attrs a;
        for (std::size_t j = 1; j < inputs.size(); ++j) {
            a.then_inputs.push_back(static_cast<std::int64_t>(j));
            a.else_inputs.push_back(static_cast<std::int64_t>(j));
        }
        nd.op = &info_of<ops::if_op>();
        nd.attrs = std::move(a);
        nd.inputs = std::move(inputs);
        nd.bodies = std::move(bodies);
    } else {
        // loop variables: first with their initial shapes, relaxed where the body changes them
        std::vector<port_desc> body_in(descs.begin() + 1, descs.end());
        for (auto& d : body_in) d.value = tensor();
        std::shared_ptr<model> body;
        for (int round = 0;; ++round) {
            body = std::make_shared<model>(convert_body(detail::typed_body(*reg.bodies[0], body_in),
                                                        source + ": " + reg.own));
            bool changed = false;
            for (std::size_t k = 0; k < reg.carried; ++k) {
                const output_port& r = body->port(body->output(k));
                MOIR_CHECK(r.type == body_in[k].type, error,
                           reg.path + "loop variable " + std::to_string(k) + " enters as " + std::string(ir_name(body_in[k].type)) +
                               " and leaves the body as " + std::string(ir_name(r.type)));
                const partial_shape s = merge_shapes(body_in[k].shape, r.shape);
                if (!(s == body_in[k].shape)) {
                    body_in[k].shape = s;
                    changed = true;
                }
            }
            if (!changed) break;
            MOIR_CHECK(round < 4, error, reg.path + "the loop variables' shapes do not settle");
        }
        ops::loop_ports a;
        const std::size_t np = body->parameters.size();
        for (std::size_t j = 0; j < np; ++j) {
            a.input_external.push_back(static_cast<std::int64_t>(j + 2));
            a.input_axis.push_back(-1);
            a.input_stride.push_back(1);
            a.input_back_edge.push_back(j < reg.carried ? static_cast<std::int64_t>(j) : -1);
        }
        for (std::size_t k = 0; k < reg.carried + reg.scans; ++k) {
            a.output_result.push_back(static_cast<std::int64_t>(k));
            a.output_axis.push_back(k < reg.carried ? -1 : 0);
            a.output_stride.push_back(1);
        }
        a.condition = static_cast<std::int64_t>(reg.carried + reg.scans);
        // no trip count (a scalar -1); the first decision is the condition on the initial values
        std::vector<output_ref> ins{c.constant(tensor::scalar(-1.0).converted(element_type::i64), "/trip_count"), inputs[0]};
        for (std::size_t j = 1; j < inputs.size(); ++j) ins.push_back(inputs[j]);
        nd.op = &info_of<ops::loop>();
        nd.attrs = std::move(a);
        nd.inputs = std::move(ins);
        nd.bodies = {body};
    }
    nd.name = c.name();
    const node_id id = m.add_node(std::move(nd));
    m.infer_node(id);
    for (std::size_t i = 0; i < c.output_count(); ++i)
        if (!c.node().output_name(i).empty()) c.set_output(i, {id, i});
}

}  // namespace moir::tensorflow::control_flow

#endif  // MOIR_FRONTENDS_TENSORFLOW_CONTROL_FLOW_HPP
