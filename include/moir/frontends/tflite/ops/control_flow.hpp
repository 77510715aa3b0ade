#ifndef MOIR_FRONTENDS_TFLITE_OPS_CONTROL_FLOW_HPP
#define MOIR_FRONTENDS_TFLITE_OPS_CONTROL_FLOW_HPP

// TFLite control flow -> moir: IF (IfOptions: then_subgraph_index, else_subgraph_index) becomes an
// If (opset8) whose bodies are the two subgraphs, converted with the same table; input 0 is the
// condition and inputs 1..n feed both subgraphs' inputs in order (docs/control-flow.md).

#include <moir/core/bodies.hpp>
#include <moir/frontends/tflite/converter.hpp>
#include <moir/ops/if.hpp>

#include <cstdint>  // int32_t, int64_t
#include <string>   // string, to_string
#include <utility>  // move
#include <vector>   // vector

namespace moir::tflite {

namespace detail {
/// Builtin codes of the control-flow family.
enum : std::int32_t { op_if = 118 };

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
void register_control_flow(op_table& t) { t.add(detail::op_if, detail::convert_if); }

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_OPS_CONTROL_FLOW_HPP
