#ifndef MOIR_CORE_MODEL_HPP
#define MOIR_CORE_MODEL_HPP

// moir::model: the run-time graph every frontend produces, every pass rewrites, the IR writer writes
// and the executors run. Nodes live in a vector and are addressed by index (node_id); an edge is an
// output_ref (producer node, output port). The op vocabulary is compile-time (op types), the graph is
// data: a node points at its op's op_info and holds that op's attrs in a std::any. A node of an op
// with bodies (If, Loop, TensorIterator) also owns sub-graphs: each body is a model of its own, with
// its own Parameters and Results, that reads nothing of the outer graph except through the node's
// inputs (the op's port maps say which input feeds which body Parameter).

#include <moir/core/errors.hpp>
#include <moir/ops/constant.hpp>
#include <moir/core/op.hpp>

#include <algorithm>    // find
#include <any>          // any, any_cast
#include <cstddef>      // size_t
#include <memory>       // shared_ptr
#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // move, pair
#include <vector>       // vector

namespace moir {

using node_id = std::size_t;

/// One output port of one node: the edge source.
struct output_ref {
    node_id node = 0;
    std::size_t port = 0;
    friend bool operator==(const output_ref& a, const output_ref& b) { return a.node == b.node && a.port == b.port; }
    friend bool operator!=(const output_ref& a, const output_ref& b) { return !(a == b); }
    friend bool operator<(const output_ref& a, const output_ref& b) {
        return a.node != b.node ? a.node < b.node : a.port < b.port;
    }
};

/// What a node's output carries: type, shape, and the tensor names (IR `names="a,b"`).
struct output_port {
    element_type type = element_type::undefined;
    partial_shape shape;
    std::vector<std::string> names;
};

/// IR run-time info: <rt_info><attribute name=".." version=".." value=".."/></rt_info>.
struct rt_attribute {
    std::string name;
    std::string version = "0";
    std::string value;
    bool has_value = true;
    friend bool operator==(const rt_attribute& a, const rt_attribute& b) {
        return a.name == b.name && a.version == b.version && a.value == b.value && a.has_value == b.has_value;
    }
};

/// A node of the graph. invariant: attrs holds `Op::attrs` for the Op whose op_info is `op`;
/// bodies is empty unless the op owns bodies (op->infer_bodies), and then holds them in the op's
/// order (If: then, else; Loop and TensorIterator: the body).
struct node {
    const op_info* op = nullptr;
    std::any attrs;
    std::string name;
    std::vector<output_ref> inputs;
    std::vector<output_port> outputs;
    std::vector<rt_attribute> rt_info;
    body_list bodies;  ///< sub-graphs; copies of the node share them

    template <class Op>
    bool is() const { return op == &info_of<Op>(); }
    /// requires: is<Op>() (throws moir::error otherwise).
    template <class Op>
    const typename Op::attrs& attrs_as() const {
        const auto* a = is<Op>() ? std::any_cast<const typename Op::attrs>(&attrs) : nullptr;
        if (!a) not_a(Op::name);
        return *a;
    }
    template <class Op>
    typename Op::attrs& attrs_as() {
        auto* a = is<Op>() ? std::any_cast<typename Op::attrs>(&attrs) : nullptr;
        if (!a) not_a(Op::name);
        return *a;
    }
    const rt_attribute* find_rt(const std::string& key) const {
        for (const auto& r : rt_info) if (r.name == key) return &r;
        return nullptr;
    }

    /// attrs_as's failure: throws moir::error "node 'n' is a X, not a Y". Out of line and cold (one
    /// copy, not one per op type that attrs_as is instantiated for).
    [[noreturn]] MOIR_DETAIL_COLD void not_a(std::string_view wanted) const {
        if (op && op->name != wanted)
            throw error("node '" + name + "' is a " + std::string(op->name) + ", not a " + std::string(wanted));
        throw error("node '" + name + "' does not hold the attrs of a " + std::string(wanted));
    }
};

/// The outputs (types, shapes, known values) of node n for these input descriptions: the op's
/// inference, through n's bodies for ops that own bodies. ensures: throws what the op throws.
inline port_descs infer_outputs(const node& n, const port_descs& in) {
    if (n.op->infer_bodies) return n.op->infer_bodies(n.attrs, n.bodies, in);
    return n.op->infer(n.attrs, in);
}

/// A model: nodes plus the ordered lists of its Parameter (inputs) and Result (outputs) nodes.
/// invariant after validate(): every input ref points at an existing output port; the graph is
/// acyclic; every node's outputs hold the types and shapes its op infers.
class model {
public:
    std::string name = "model";
    std::vector<node> nodes;
    std::vector<node_id> parameters;  ///< Parameter nodes, in input order
    std::vector<node_id> results;     ///< Result nodes, in output order

    /// Appends a node of op Op and returns its id. Outputs are filled by infer_node/validate.
    template <class Op>
    node_id add(typename Op::attrs a, std::vector<output_ref> inputs, std::string node_name = {}) {
        node n;
        n.op = &info_of<Op>();
        n.attrs = std::move(a);
        n.name = std::move(node_name);
        n.inputs = std::move(inputs);
        return add_node(std::move(n));
    }
    node_id add_node(node n) {
        nodes.push_back(std::move(n));
        return nodes.size() - 1;
    }

    const node& at(node_id id) const { return nodes.at(id); }
    node& at(node_id id) { return nodes.at(id); }
    const output_port& port(output_ref r) const { return nodes.at(r.node).outputs.at(r.port); }

    /// The producer of input i of node id.
    output_ref input_of(node_id id, std::size_t i) const { return nodes.at(id).inputs.at(i); }

    /// Every (consumer node, input index) reading output r.
    std::vector<std::pair<node_id, std::size_t>> consumers(output_ref r) const {
        std::vector<std::pair<node_id, std::size_t>> c;
        for (node_id id = 0; id < nodes.size(); ++id)
            for (std::size_t i = 0; i < nodes[id].inputs.size(); ++i)
                if (nodes[id].inputs[i] == r) c.emplace_back(id, i);
        return c;
    }

    /// Makes every consumer of `from` read `to` instead (Result nodes included).
    void replace_uses(output_ref from, output_ref to) {
        for (auto& n : nodes)
            for (auto& in : n.inputs)
                if (in == from) in = to;
    }

    /// Node ids in an order where each node follows its inputs; only nodes reachable from results
    /// (and all parameters) are listed. ensures: throws moir::error naming a node on a cycle.
    std::vector<node_id> topo_order() const {
        return topo_order([this](node_id id, std::size_t i) -> const output_ref& { return nodes[id].inputs[i]; });
    }

    /// topo_order() with the depth-first search visiting node id's inputs in the order
    /// `input_at(id, i)` gives (i = 0 .. inputs.size()-1; each input once), so that a caller can have
    /// one input computed before another (runtime/plan.hpp's plan_order).
    template <class InputAt>
    std::vector<node_id> topo_order(InputAt&& input_at) const {
        std::vector<int> state(nodes.size(), 0);  // 0 new, 1 on stack, 2 done
        std::vector<node_id> order;
        std::vector<std::pair<node_id, std::size_t>> stack;
        auto visit = [&](node_id root) {
            if (state.at(root) == 2) return;
            stack.emplace_back(root, 0);
            state[root] = 1;
            while (!stack.empty()) {
                auto& [id, next] = stack.back();
                const node& n = nodes[id];
                if (next < n.inputs.size()) {
                    const node_id in = input_at(id, next++).node;
                    MOIR_CHECK(in < nodes.size(), error, "node '" + n.name + "' reads a node that does not exist");
                    if (state[in] == 1) throw error("the graph has a cycle through node '" + nodes[in].name + "'");
                    if (state[in] == 0) {
                        state[in] = 1;
                        stack.emplace_back(in, 0);
                    }
                } else {
                    state[id] = 2;
                    order.push_back(id);
                    stack.pop_back();
                }
            }
        };
        for (auto p : parameters) visit(p);
        for (auto r : results) visit(r);
        return order;
    }

    /// Port descriptions of node id's inputs, from the producers' outputs, with the value of every
    /// input that a constant node produces.
    port_descs input_descs(node_id id) const {
        port_descs d;
        for (const auto& r : nodes.at(id).inputs) {
            const auto& p = port(r);
            const node& src = nodes.at(r.node);
            d.push_back(port_desc{p.type, p.shape, {}});
            if (src.is<ops::constant>()) d.back().value = src.attrs_as<ops::constant>().value;
        }
        return d;
    }

    /// Runs the op's shape inference on node id and stores the result in its outputs (keeping names).
    /// `in` overrides the input descriptions (e.g. with known values); default: from the producers.
    /// ensures: throws moir::shape_error "node 'N' (Op): reason" when inference fails.
    void infer_node(node_id id, const port_descs* in = nullptr) {
        node& n = nodes.at(id);
        const port_descs descs = in ? *in : input_descs(id);
        const std::string where = "node '" + n.name + "' (" + std::string(n.op->ir_name) + ")";
        MOIR_CHECK(n.inputs.size() >= n.op->min_inputs && n.inputs.size() <= n.op->max_inputs, shape_error,
                   where + ": has " + std::to_string(n.inputs.size()) + " inputs, expected " +
                       std::to_string(n.op->min_inputs) + ".." + std::to_string(n.op->max_inputs));
        port_descs out;
        try {
            out = infer_outputs(n, descs);
        } catch (const std::exception& e) {
            throw shape_error(where + ": " + e.what() + " (inputs: " + detail::describe_inputs(descs) + ")");
        }
        if (n.outputs.size() < out.size()) n.outputs.resize(out.size());
        n.outputs.resize(out.size());
        for (std::size_t i = 0; i < out.size(); ++i) {
            n.outputs[i].type = out[i].type;
            n.outputs[i].shape = out[i].shape;
        }
    }

    /// Checks the graph and re-infers every reachable node's outputs in topological order.
    void validate() {
        for (auto r : results) MOIR_CHECK(r < nodes.size(), error, "a model output refers to a missing node");
        for (node_id id : topo_order()) {
            for (const auto& in : nodes[id].inputs)
                MOIR_CHECK(in.port < nodes[in.node].outputs.size(), error,
                           "node '" + nodes[id].name + "' reads output " + std::to_string(in.port) + " of node '" +
                               nodes[in.node].name + "', which has only " +
                               std::to_string(nodes[in.node].outputs.size()) + " outputs");
            infer_node(id);
        }
    }

    /// Drops nodes not reachable from the results (parameters are kept) and renumbers the rest.
    void remove_dead() {
        const auto order = topo_order();
        std::vector<node_id> remap(nodes.size(), static_cast<node_id>(-1));
        std::vector<bool> keep(nodes.size(), false);
        for (auto id : order) keep[id] = true;
        std::vector<node> kept;
        for (node_id id = 0; id < nodes.size(); ++id)
            if (keep[id]) {
                remap[id] = kept.size();
                kept.push_back(std::move(nodes[id]));
            }
        for (auto& n : kept)
            for (auto& in : n.inputs) in.node = remap[in.node];
        for (auto& p : parameters) p = remap[p];
        for (auto& r : results) r = remap[r];
        nodes = std::move(kept);
    }

    /// The producer of model output i (the input of Result i).
    output_ref output(std::size_t i) const { return nodes.at(results.at(i)).inputs.at(0); }

    /// The name users know output i by: the Result's name when it is one of the producer port's
    /// tensor names (frontends name each Result after its graph output, and passes keep that name
    /// on whichever port comes to feed it), else the port's first tensor name, else the Result's name.
    std::string output_name(std::size_t i) const {
        const auto& p = port(output(i));
        const std::string& result = nodes.at(results.at(i)).name;
        if (p.names.empty() || std::find(p.names.begin(), p.names.end(), result) != p.names.end()) return result;
        return p.names.front();
    }
    /// The name of input i: the first tensor name of the Parameter's port, else the node name.
    std::string input_name(std::size_t i) const {
        const auto& n = nodes.at(parameters.at(i));
        return n.outputs.empty() || n.outputs[0].names.empty() ? n.name : n.outputs[0].names.front();
    }

    /// Whether any node owns bodies.
    bool has_bodies() const {
        for (const auto& n : nodes)
            if (!n.bodies.empty()) return true;
        return false;
    }
    /// Calls f(const node&) for every node of this model and, depth first, of every body inside it.
    template <class F>
    void for_each_node_deep(F&& f) const {
        for (const auto& n : nodes) {
            f(n);
            for (const auto& b : n.bodies)
                if (b) b->for_each_node_deep(f);
        }
    }
};

}  // namespace moir

#endif  // MOIR_CORE_MODEL_HPP
