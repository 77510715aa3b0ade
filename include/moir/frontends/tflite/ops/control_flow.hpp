#ifndef MOIR_FRONTENDS_TFLITE_OPS_CONTROL_FLOW_HPP
#define MOIR_FRONTENDS_TFLITE_OPS_CONTROL_FLOW_HPP

// TFLite control flow -> moir (docs/control-flow.md):
//   - IF (IfOptions: then_subgraph_index, else_subgraph_index) becomes an If (opset8) whose bodies are
//     the two subgraphs, converted with the same table; input 0 is the condition and inputs 1..n feed
//     both subgraphs' inputs in order;
//   - WHILE (WhileOptions: cond_subgraph_index, body_subgraph_index; n loop variables in, n out)
//     becomes a Loop (opset5) with no trip count. TFLite tests the condition before each iteration,
//     OpenVINO's Loop after: the cond subgraph is inlined into the outer graph on the initial values
//     (the Loop's execution condition, so that a loop that runs zero times does so in moir too) and
//     into the body on the body's outputs (the body's condition Result). Every loop variable is a
//     body Parameter with a back edge from the body Result of the same position;
//   - CALL_ONCE (CallOnceOptions: init_subgraph_index) becomes nothing: TFLite runs its init
//     subgraph once before the first inference (the converter's session initializer), and the
//     subgraph takes and gives no tensors. It is converted (its errors surface) and dropped: every op
//     moir converts is free of side effects, and the stateful ones an initializer holds (variables,
//     hash tables) have no converter, so load() lists them as unsupported instead.

#include <moir/core/bodies.hpp>
#include <moir/frontends/tflite/converter.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/if.hpp>
#include <moir/ops/loop.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

#include <cstdint>  // int32_t, int64_t
#include <memory>   // shared_ptr
#include <optional> // optional
#include <string>   // string, to_string
#include <utility>  // move
#include <vector>   // vector

namespace moir::tflite {

namespace detail {
/// Builtin codes of the control-flow family.
enum : std::int32_t { op_if = 118, op_while = 119, op_call_once = 129 };

/// Copies the nodes of `src` but its Parameters and Results into `dst` (in topological order, named
/// prefix + name, their tensor names dropped), reading feeds[j] where src reads its Parameter j, and
/// infers them there. Returns, in dst, what each Result of src reads. Nodes with bodies share them.
/// requires: feeds.size() == src.parameters.size().
inline std::vector<output_ref> inline_body(moir::model& dst, const moir::model& src, const std::vector<output_ref>& feeds,
                                           const std::string& prefix) {
    std::vector<std::optional<output_ref>> fed(src.nodes.size());
    std::vector<node_id> remap(src.nodes.size(), static_cast<node_id>(-1));
    for (std::size_t j = 0; j < src.parameters.size(); ++j) fed[src.parameters[j]] = feeds.at(j);
    const auto outer = [&](output_ref r) -> output_ref {
        if (fed.at(r.node)) return *fed[r.node];
        MOIR_CHECK(remap.at(r.node) != static_cast<node_id>(-1), error, "an inlined subgraph reads a node it does not run");
        return {remap[r.node], r.port};
    };
    for (node_id id : src.topo_order()) {
        const node& n = src.nodes[id];
        if (n.is<moir::ops::parameter>() || n.is<moir::ops::result>()) continue;
        node copy = n;
        copy.name = prefix + n.name;
        for (auto& in : copy.inputs) in = outer(in);
        for (auto& o : copy.outputs) o.names.clear();
        remap[id] = dst.add_node(std::move(copy));
        dst.infer_node(remap[id]);
    }
    std::vector<output_ref> out;
    for (std::size_t i = 0; i < src.results.size(); ++i) out.push_back(outer(src.output(i)));
    return out;
}

/// WHILE -> Loop (see the file comment).
inline void convert_while(context& c) {
    const std::int32_t cond_i = field<std::int32_t>(c.op(), 0, -1), body_i = field<std::int32_t>(c.op(), 1, -1);
    const std::size_t n = c.input_count();
    MOIR_CHECK(c.output_count() == n, parse_error,
               "WHILE has " + std::to_string(n) + " inputs and " + std::to_string(c.output_count()) + " outputs");
    const std::shared_ptr<moir::model> cond = c.body(cond_i);
    const std::shared_ptr<moir::model> body = c.body(body_i);
    MOIR_CHECK(cond->parameters.size() == n && cond->results.size() == 1, parse_error,
               "the cond subgraph takes " + std::to_string(cond->parameters.size()) + " inputs and gives " +
                   std::to_string(cond->results.size()) + " outputs; WHILE passes " + std::to_string(n) + " and needs 1");
    MOIR_CHECK(body->parameters.size() == n && body->results.size() == n, parse_error,
               "the body subgraph takes " + std::to_string(body->parameters.size()) + " inputs and gives " +
                   std::to_string(body->results.size()) + " outputs; WHILE has " + std::to_string(n) + " loop variables");
    std::vector<output_ref> init;
    for (std::size_t j = 0; j < n; ++j) {
        MOIR_CHECK(c.has_input(j), parse_error, "loop variable " + std::to_string(j) + " has no input");
        init.push_back(c.input(j));
    }
    moir::model& m = c.model();
    const auto check_types = [&](const moir::model& g, const std::vector<output_ref>& feeds, const moir::model& feeds_in,
                                 const char* what) {
        for (std::size_t j = 0; j < n; ++j) {
            const element_type want = g.at(g.parameters[j]).attrs_as<moir::ops::parameter>().element_type;
            const element_type got = feeds_in.port(feeds[j]).type;
            MOIR_CHECK(want == got, parse_error,
                       std::string(what) + " input " + std::to_string(j) + " is " + std::string(ir_name(want)) +
                           ", the loop variable is " + std::string(ir_name(got)));
        }
    };
    // the condition on the initial values, in the outer graph
    check_types(*cond, init, m, "the cond subgraph's");
    const output_ref first = inline_body(m, *cond, init, c.name() + "/cond/").at(0);
    MOIR_CHECK(m.port(first).type == element_type::boolean, parse_error, "the cond subgraph's output is not BOOL");
    // the body, then the condition on its outputs (the body's Result n)
    std::vector<output_ref> next;
    for (std::size_t k = 0; k < n; ++k) next.push_back(body->output(k));
    check_types(*cond, next, *body, "the cond subgraph's");
    for (std::size_t j = 0; j < n; ++j) {
        const element_type in = body->port({body->parameters[j], 0}).type, out = body->port(next[j]).type;
        MOIR_CHECK(in == out, parse_error,
                   "loop variable " + std::to_string(j) + " enters the body as " + std::string(ir_name(in)) +
                       " and leaves it as " + std::string(ir_name(out)));
    }
    const output_ref again = inline_body(*body, *cond, next, "cond/").at(0);
    const node_id r = body->add<moir::ops::result>({}, {again}, "cond");
    body->results.push_back(r);
    body->infer_node(r);

    moir::ops::loop_ports a;
    for (std::size_t j = 0; j < n; ++j) {
        a.input_external.push_back(static_cast<std::int64_t>(j + 2));
        a.input_axis.push_back(-1);
        a.input_stride.push_back(1);
        a.input_back_edge.push_back(static_cast<std::int64_t>(j));
        a.output_result.push_back(static_cast<std::int64_t>(j));
        a.output_axis.push_back(-1);
        a.output_stride.push_back(1);
    }
    a.condition = static_cast<std::int64_t>(n);
    // no trip count (-1): the conditions alone decide
    std::vector<output_ref> inputs{c.constant(tensor::scalar(-1.0).converted(element_type::i64), "/trip_count"), first};
    inputs.insert(inputs.end(), init.begin(), init.end());
    moir::node nd;
    nd.op = &info_of<moir::ops::loop>();
    nd.attrs = std::move(a);
    nd.name = c.name();
    nd.inputs = std::move(inputs);
    nd.bodies = {body};
    const node_id id = m.add_node(std::move(nd));
    m.infer_node(id);
    for (std::size_t i = 0; i < n; ++i) c.set_output(i, {id, i});
}

/// CALL_ONCE -> nothing (see the file comment).
inline void convert_call_once(context& c) {
    MOIR_CHECK(c.input_count() == 0 && c.output_count() == 0, parse_error,
               "CALL_ONCE has " + std::to_string(c.input_count()) + " inputs and " + std::to_string(c.output_count()) +
                   " outputs (none expected)");
    const std::shared_ptr<moir::model> init = c.body(field<std::int32_t>(c.op(), 0, -1));
    MOIR_CHECK(init->parameters.empty() && init->results.empty(), parse_error,
               "the init subgraph takes " + std::to_string(init->parameters.size()) + " inputs and gives " +
                   std::to_string(init->results.size()) + " outputs; CALL_ONCE passes and reads none");
}

inline void convert_if(context& c) {
    MOIR_CHECK(c.input_count() >= 1 && c.has_input(0), parse_error, "IF needs a condition input");
    const std::int32_t then_i = field<std::int32_t>(c.op(), 0, -1), else_i = field<std::int32_t>(c.op(), 1, -1);
    body_list bodies{c.body(then_i), c.body(else_i)};
    const std::size_t n = c.input_count() - 1;
    const char* which[] = {"then", "else"};
    for (std::size_t k = 0; k < 2; ++k) {
        MOIR_CHECK(bodies[k]->parameters.size() == n, parse_error,
                   std::string(which[k]) + " subgraph takes " + std::to_string(bodies[k]->parameters.size()) +
                       " inputs, IF passes " + std::to_string(n));
        MOIR_CHECK(bodies[k]->results.size() == c.output_count(), parse_error,
                   std::string(which[k]) + " subgraph gives " + std::to_string(bodies[k]->results.size()) +
                       " outputs, IF has " + std::to_string(c.output_count()));
    }
    std::vector<output_ref> inputs{c.input(0)};
    moir::ops::if_op::attrs a;
    for (std::size_t i = 1; i <= n; ++i) {
        inputs.push_back(c.input(i));
        a.then_inputs.push_back(static_cast<std::int64_t>(i));
        a.else_inputs.push_back(static_cast<std::int64_t>(i));
    }
    moir::node nd;
    nd.op = &info_of<moir::ops::if_op>();
    nd.attrs = std::move(a);
    nd.name = c.name();
    nd.inputs = std::move(inputs);
    nd.bodies = std::move(bodies);
    const node_id id = c.model().add_node(std::move(nd));
    c.model().infer_node(id);
    for (std::size_t i = 0; i < c.output_count(); ++i) c.set_output(i, {id, i});
}
}  // namespace detail

/// Registers the control-flow family.
template <class = void>  // compiled only where a table is built
void register_control_flow(op_table& t) {
    t.add(detail::op_if, detail::convert_if);
    t.add(detail::op_while, detail::convert_while);
    t.add(detail::op_call_once, detail::convert_call_once);
}

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_OPS_CONTROL_FLOW_HPP
