#ifndef MOIR_OPS_LOOP_HPP
#define MOIR_OPS_LOOP_HPP

#include <moir/core/bodies.hpp>
#include <moir/core/op.hpp>

#include <algorithm>    // max
#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// How a loop's body (node::bodies[0]) meets the outside: OpenVINO's port_map, back_edges and special
/// body ports, as plain lists. One input entry per body Parameter, one output entry per node output.
/// A sliced input gives the body one slice of size 1 along `axis` per iteration (the axis is kept), in
/// order (stride 1) or from the last (stride -1); a concatenated output joins every iteration's value
/// along `axis` in the same way.
struct loop_ports {
    std::vector<std::int64_t> input_external;   ///< node input feeding the Parameter (-1: none, the iteration number)
    std::vector<std::int64_t> input_axis;       ///< -1: the whole tensor; else sliced along this axis
    std::vector<std::int64_t> input_stride;     ///< 1 or -1 (sliced inputs)
    std::vector<std::int64_t> input_back_edge;  ///< Result feeding the Parameter from iteration 2 on; -1: none
    std::vector<std::int64_t> output_result;    ///< body Result of each node output
    std::vector<std::int64_t> output_axis;      ///< -1: the last iteration's value; else concatenated along this axis
    std::vector<std::int64_t> output_stride;    ///< 1 or -1 (concatenated outputs)
    std::int64_t current_iteration = -1;        ///< body Parameter receiving the iteration number (Loop), -1: none
    std::int64_t condition = -1;                ///< body Result saying whether to go on (Loop), -1: none
    static constexpr std::array<std::string_view, 9> ir_names{
        "input_external", "input_axis",    "input_stride",      "input_back_edge", "output_result",
        "output_axis",    "output_stride", "current_iteration", "condition"};
};

namespace detail {
/// Checks the port lists against the body and the node's input count. ensures: moir::shape_error.
inline void check_loop_ports(const loop_ports& a, const model& body, std::size_t inputs) {
    const std::size_t np = body.parameters.size(), nr = body.results.size();
    MOIR_CHECK(a.input_external.size() == np && a.input_axis.size() == np && a.input_stride.size() == np &&
                   a.input_back_edge.size() == np,
               shape_error, "the port map lists " + std::to_string(a.input_external.size()) + " inputs, the body has " +
                                std::to_string(np) + " parameters");
    MOIR_CHECK(a.output_result.size() == a.output_axis.size() && a.output_result.size() == a.output_stride.size(),
               shape_error, "the output port map lists are not of one length");
    for (std::size_t j = 0; j < np; ++j) {
        const bool special = static_cast<std::int64_t>(j) == a.current_iteration;
        MOIR_CHECK(special || (a.input_external[j] >= 0 && static_cast<std::size_t>(a.input_external[j]) < inputs),
                   shape_error, "body parameter " + std::to_string(j) + " reads no input of the node");
        MOIR_CHECK(a.input_back_edge[j] < static_cast<std::int64_t>(nr), shape_error,
                   "the back edge of body parameter " + std::to_string(j) + " names a missing result");
        MOIR_CHECK(a.input_axis[j] < 0 || a.input_stride[j] == 1 || a.input_stride[j] == -1, shape_error,
                   "a sliced input's stride must be 1 or -1");
    }
    for (auto r : a.output_result)
        MOIR_CHECK(r >= 0 && static_cast<std::size_t>(r) < nr, shape_error, "an output reads a missing body result");
    MOIR_CHECK(a.condition < static_cast<std::int64_t>(nr), shape_error, "the condition names a missing body result");
    MOIR_CHECK(a.current_iteration < static_cast<std::int64_t>(np), shape_error,
               "the iteration number port names a missing body parameter");
}

/// The outputs of a loop over `body` for inputs `in`, with `iterations` (-1: unknown).
inline port_descs infer_loop(const loop_ports& a, const model& body, const port_descs& in, std::int64_t iterations) {
    check_loop_ports(a, body, in.size());
    port_descs params(body.parameters.size());
    for (std::size_t j = 0; j < params.size(); ++j) {
        if (static_cast<std::int64_t>(j) == a.current_iteration) {
            const auto& pa = body.at(body.parameters[j]).attrs_as<ops::parameter>();
            params[j] = port_desc{pa.element_type, pa.shape, {}};
            continue;
        }
        params[j] = in[static_cast<std::size_t>(a.input_external[j])];
        params[j].value = tensor();
        const auto axis = a.input_axis[j];
        if (axis >= 0 && !params[j].shape.rank_dynamic) {
            MOIR_CHECK(static_cast<std::size_t>(axis) < params[j].shape.rank(), shape_error,
                       "body parameter " + std::to_string(j) + " is sliced along axis " + std::to_string(axis) +
                           " of a rank-" + std::to_string(params[j].shape.rank()) + " input");
            params[j].shape.dims[static_cast<std::size_t>(axis)] = 1;
        }
    }
    // a loop-carried value may change shape from one iteration to the next: relax its Parameter to
    // what both the initial value and the body's result fit, until nothing changes
    port_descs res;
    for (int round = 0;; ++round) {
        res = infer_body(body, params, "loop body");
        bool changed = false;
        for (std::size_t j = 0; j < params.size(); ++j) {
            const auto be = a.input_back_edge[j];
            if (be < 0) continue;
            const port_desc& r = res.at(static_cast<std::size_t>(be));
            MOIR_CHECK(r.type == params[j].type, shape_error,
                       "body result " + std::to_string(be) + " is " + std::string(moir::ir_name(r.type)) +
                           ", the parameter it feeds back is " + std::string(moir::ir_name(params[j].type)));
            const partial_shape m = merge_shapes(params[j].shape, r.shape);
            if (!(m == params[j].shape)) {
                params[j].shape = m;
                changed = true;
            }
        }
        if (!changed) break;
        MOIR_CHECK(round < 4, shape_error, "the loop-carried shapes do not settle");
    }
    port_descs out;
    for (std::size_t k = 0; k < a.output_result.size(); ++k) {
        port_desc d = res.at(static_cast<std::size_t>(a.output_result[k]));
        d.value = tensor();
        const auto axis = a.output_axis[k];
        if (axis >= 0 && !d.shape.rank_dynamic) {
            MOIR_CHECK(static_cast<std::size_t>(axis) < d.shape.rank(), shape_error,
                       "output " + std::to_string(k) + " is concatenated along a missing axis");
            auto& dim = d.shape.dims[static_cast<std::size_t>(axis)];
            dim = iterations < 0 || dim < 0 ? dynamic_dim : dim * iterations;
        }
        out.push_back(d);
    }
    return out;
}
}  // namespace detail

/// loop: OpenVINO's Loop (opset5). Input 0 is the trip count (integer scalar; negative: no limit),
/// input 1 the execution condition (bool scalar, checked before the first iteration); the others feed
/// body Parameters as `loop_ports` says. Iterations go on while the count is not reached and the
/// condition (then the body's `condition` Result) holds. ensures: outputs as `loop_ports` says; a
/// concatenated output's length is known only when the trip count is a known constant and the
/// conditions are constant true.
struct loop {
    static constexpr std::string_view name = "loop", ir_name = "Loop", ir_opset = "opset5";
    static constexpr std::size_t min_inputs = 2, max_inputs = 1u << 20;
    using attrs = loop_ports;
    static port_descs infer(const attrs&, const port_descs&) {
        throw shape_error("a Loop needs its body to infer its outputs");
    }
    static port_descs infer_bodies(const attrs& a, const body_list& b, const port_descs& in) {
        MOIR_CHECK(b.size() == 1 && b[0], shape_error, "a Loop needs one body");
        std::int64_t iterations = -1;
        const bool cond_true = in.at(1).has_value() && in[1].value.numel() == 1 && in[1].value.at_as<bool>(0);
        // the body's condition is always true when it is a constant true, or when it only passes on
        // the condition it received (ONNX's cond_out = cond_in) and that starts true
        bool body_true = a.condition < 0;
        if (!body_true && static_cast<std::size_t>(a.condition) < b[0]->results.size()) {
            const model& body = *b[0];
            const node_id src = body.output(static_cast<std::size_t>(a.condition)).node;
            const node& sn = body.at(src);
            body_true = sn.is<ops::constant>() && sn.attrs_as<ops::constant>().value.numel() == 1 &&
                        sn.attrs_as<ops::constant>().value.at_as<bool>(0);
            for (std::size_t j = 0; j < body.parameters.size() && j < a.input_back_edge.size() && !body_true; ++j)
                if (body.parameters[j] == src && a.input_back_edge[j] == a.condition && a.input_external[j] >= 0 &&
                    static_cast<std::size_t>(a.input_external[j]) < in.size()) {
                    const port_desc& init = in[static_cast<std::size_t>(a.input_external[j])];
                    body_true = init.has_value() && init.value.numel() == 1 && init.value.at_as<bool>(0);
                }
        }
        if (in[0].has_value() && in[0].value.numel() == 1 && cond_true && body_true)
            iterations = std::max<std::int64_t>(in[0].value.at_as<std::int64_t>(0), 0);
        if (in[1].has_value() && in[1].value.numel() == 1 && !in[1].value.at_as<bool>(0)) iterations = 0;
        return detail::infer_loop(a, *b[0], in, iterations);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_LOOP_HPP
