#ifndef MOIR_FRONTENDS_ONNX_OPS_CONTROL_FLOW_HPP
#define MOIR_FRONTENDS_ONNX_OPS_CONTROL_FLOW_HPP

// ONNX control flow: If, Loop (opset 1+) and Scan (opset 9+) become moir's If, Loop and
// TensorIterator (docs/control-flow.md). Their bodies are converted with the same op table
// (context::body); outer-scope tensors a body reads become further inputs of the node. ONNX removes
// the scanned axis from a slice and adds it back to a scan output, OpenVINO keeps it: the bodies get
// a Squeeze after each sliced Parameter and an Unsqueeze before each scanned Result.

#include <moir/core/model.hpp>
#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/if.hpp>
#include <moir/ops/loop.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/tensor_iterator.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <algorithm>  // min
#include <cstddef>  // size_t
#include <cstdint>  // int64_t
#include <map>      // map
#include <memory>   // make_shared
#include <string>   // string, to_string
#include <utility>  // move
#include <vector>   // vector

namespace moir::onnx {

namespace detail {
/// Adds a node of Op owning `bodies`, named after the ONNX node, and infers its outputs.
template <class Op>
node_id add_with_bodies(context& ctx, typename Op::attrs a, std::vector<output_ref> inputs, body_list bodies) {
    moir::node n;
    n.op = &info_of<Op>();
    n.attrs = std::move(a);
    n.name = ctx.name();
    n.inputs = std::move(inputs);
    n.bodies = std::move(bodies);
    const node_id id = ctx.model().add_node(std::move(n));
    ctx.model().infer_node(id);
    return id;
}

/// An i64 Constant [v] in body.
inline output_ref body_axes(model& body, std::int64_t v, const std::string& name) {
    const node_id c = body.add<moir::ops::constant>({tensor::from_vector(std::vector<std::int64_t>{v})}, {}, name);
    body.infer_node(c);
    return {c, 0};
}

/// Body Result i reads its value through an Unsqueeze at `axis`.
inline void unsqueeze_result(model& body, std::size_t i, std::int64_t axis) {
    const node_id r = body.results.at(i);
    const output_ref src = body.at(r).inputs.at(0);
    const std::string name = body.at(r).name + "/unsqueeze";
    const output_ref axes = body_axes(body, axis, name + "/axes");
    const node_id u = body.add<moir::ops::unsqueeze>({}, {src, axes}, name);
    body.infer_node(u);
    body.at(r).inputs[0] = {u, 0};
}

/// Body Parameter j receives its slice with the axis kept: its readers read it through a Squeeze.
inline void squeeze_parameter(model& body, std::size_t j, std::int64_t axis) {
    const node_id p = body.parameters.at(j);
    const auto readers = body.consumers({p, 0});
    auto& pa = body.at(p).attrs_as<moir::ops::parameter>();
    if (!pa.shape.rank_dynamic) {
        MOIR_CHECK(axis >= 0 && static_cast<std::size_t>(axis) <= pa.shape.rank(), error,
                   "scan axis " + std::to_string(axis) + " does not fit the body input of rank " +
                       std::to_string(pa.shape.rank()));
        pa.shape.dims.insert(pa.shape.dims.begin() + axis, 1);
    }
    body.infer_node(p);
    const std::string name = body.at(p).name + "/squeeze";
    const output_ref axes = body_axes(body, axis, name + "/axes");
    const node_id s = body.add<moir::ops::squeeze>({}, {{p, 0}, axes}, name);
    body.infer_node(s);
    for (const auto& [c, k] : readers) body.at(c).inputs[k] = {s, 0};
}

inline std::int64_t normalized_axis(std::int64_t axis, const partial_shape& s, const char* what) {
    MOIR_CHECK(axis >= 0 || !s.rank_dynamic, unsupported_error,
               std::string("a negative ") + what + " needs a known rank");
    const auto r = static_cast<std::int64_t>(s.rank());
    if (axis < 0) axis += r;
    MOIR_CHECK(s.rank_dynamic || (axis >= 0 && axis < r), error,
               std::string(what) + " " + std::to_string(axis) + " is out of range for rank " + std::to_string(r));
    return axis;
}

/// If: condition, then_branch, else_branch (no declared inputs; outer-scope tensors become inputs).
inline void convert_if(context& ctx) {
    body_graph t = ctx.body("then_branch");
    body_graph e = ctx.body("else_branch");
    MOIR_CHECK(t.declared_inputs == 0 && e.declared_inputs == 0, error, "If branches take no inputs");
    MOIR_CHECK(t.body->results.size() == e.body->results.size(), error,
               "then_branch has " + std::to_string(t.body->results.size()) + " outputs, else_branch " +
                   std::to_string(e.body->results.size()));
    std::vector<output_ref> inputs{ctx.input(0)};
    std::map<std::string, std::int64_t> index;
    const auto feed = [&](const std::vector<std::string>& names) {
        std::vector<std::int64_t> v;
        for (const auto& nm : names) {
            auto it = index.find(nm);
            if (it == index.end()) {
                it = index.emplace(nm, static_cast<std::int64_t>(inputs.size())).first;
                inputs.push_back(ctx.value(nm));
            }
            v.push_back(it->second);
        }
        return v;
    };
    moir::ops::if_op::attrs a;
    a.then_inputs = feed(t.captured);
    a.else_inputs = feed(e.captured);
    const node_id id = add_with_bodies<moir::ops::if_op>(ctx, std::move(a), std::move(inputs), {t.body, e.body});
    for (std::size_t i = 0; i < ctx.output_count(); ++i) ctx.set_output(i, {id, i});
}

/// Loop: M (trip count, optional), cond (optional), loop-carried values; body (iter_num, cond_in,
/// values...) -> (cond_out, values..., scan outputs...).
inline void convert_loop(context& ctx) {
    body_graph g = ctx.body("body");
    model& body = *g.body;
    const std::size_t carried = ctx.input_count() > 2 ? ctx.input_count() - 2 : 0;
    MOIR_CHECK(g.declared_inputs == 2 + carried, error,
               "the body has " + std::to_string(g.declared_inputs) + " inputs, a Loop with " +
                   std::to_string(carried) + " loop-carried values needs " + std::to_string(2 + carried));
    MOIR_CHECK(body.results.size() >= 1 + carried, error,
               "the body has " + std::to_string(body.results.size()) + " outputs, fewer than 1 + " +
                   std::to_string(carried) + " loop-carried values");
    const std::size_t scans = body.results.size() - 1 - carried;
    std::vector<output_ref> in;
    in.push_back(ctx.has_input(0) ? ctx.input(0) : ctx.constant(tensor::scalar<std::int64_t>(-1), "/trip_count"));
    in.push_back(ctx.has_input(1) ? ctx.input(1) : ctx.constant(tensor::scalar<bool>(true), "/condition"));
    for (std::size_t k = 0; k < carried; ++k) in.push_back(ctx.input(2 + k));
    for (const auto& nm : g.captured) in.push_back(ctx.value(nm));
    const std::size_t np = body.parameters.size();
    moir::ops::loop_ports a;
    a.input_external.assign(np, -1);
    a.input_axis.assign(np, -1);
    a.input_stride.assign(np, 1);
    a.input_back_edge.assign(np, -1);
    a.current_iteration = 0;
    a.condition = 0;
    a.input_external[1] = 1;
    a.input_back_edge[1] = 0;
    for (std::size_t j = 2; j < np; ++j) a.input_external[j] = static_cast<std::int64_t>(j);
    for (std::size_t k = 0; k < carried; ++k) a.input_back_edge[2 + k] = static_cast<std::int64_t>(1 + k);
    for (std::size_t k = 0; k < carried; ++k) {
        a.output_result.push_back(static_cast<std::int64_t>(1 + k));
        a.output_axis.push_back(-1);
        a.output_stride.push_back(1);
    }
    for (std::size_t s = 0; s < scans; ++s) {
        unsqueeze_result(body, 1 + carried + s, 0);
        a.output_result.push_back(static_cast<std::int64_t>(1 + carried + s));
        a.output_axis.push_back(0);
        a.output_stride.push_back(1);
    }
    body.validate();
    const node_id id = add_with_bodies<moir::ops::loop>(ctx, std::move(a), std::move(in), {g.body});
    for (std::size_t i = 0; i < ctx.output_count(); ++i) ctx.set_output(i, {id, i});
}

/// The TensorIterator of a Scan over body `g`: `in` are the states, the scanned inputs and the
/// captured tensors (in that order); axes and directions as ONNX gives them (axes normalized by the
/// ranks in `in_shapes`). Adds the node to `target` named `name`. ensures: outputs = states, scan outputs.
inline node_id add_scan(model& target, const std::string& name, body_graph& g, const std::vector<output_ref>& in,
                        std::size_t states, std::size_t scans_in, const std::vector<std::int64_t>& in_axes,
                        const std::vector<std::int64_t>& in_dirs, const std::vector<std::int64_t>& out_axes,
                        const std::vector<std::int64_t>& out_dirs) {
    model& body = *g.body;
    MOIR_CHECK(body.results.size() >= states, error, "the body has fewer outputs than the Scan has states");
    const std::size_t scans_out = body.results.size() - states;
    MOIR_CHECK(in_axes.size() == scans_in && in_dirs.size() == scans_in && out_axes.size() == scans_out &&
                   out_dirs.size() == scans_out,
               error, "the scan axis and direction lists do not match the scanned inputs and outputs");
    const std::size_t np = body.parameters.size();
    moir::ops::loop_ports a;
    a.input_axis.assign(np, -1);
    a.input_stride.assign(np, 1);
    a.input_back_edge.assign(np, -1);
    for (std::size_t j = 0; j < np; ++j) a.input_external.push_back(static_cast<std::int64_t>(j));
    for (std::size_t k = 0; k < states; ++k) a.input_back_edge[k] = static_cast<std::int64_t>(k);
    for (std::size_t s = 0; s < scans_in; ++s) {
        const std::size_t j = states + s;
        const std::int64_t axis = normalized_axis(in_axes[s], target.port(in.at(j)).shape, "scan_input_axes");
        a.input_axis[j] = axis;
        a.input_stride[j] = in_dirs[s] ? -1 : 1;
        squeeze_parameter(body, j, axis);
    }
    for (std::size_t k = 0; k < states; ++k) {
        a.output_result.push_back(static_cast<std::int64_t>(k));
        a.output_axis.push_back(-1);
        a.output_stride.push_back(1);
    }
    for (std::size_t s = 0; s < scans_out; ++s) {
        const std::size_t r = states + s;
        partial_shape slice = body.port(body.output(r)).shape;
        if (!slice.rank_dynamic) slice.dims.push_back(1);  // the rank of the scan output
        const std::int64_t axis = normalized_axis(out_axes[s], slice, "scan_output_axes");
        unsqueeze_result(body, r, axis);
        a.output_result.push_back(static_cast<std::int64_t>(r));
        a.output_axis.push_back(axis);
        a.output_stride.push_back(out_dirs[s] ? -1 : 1);
    }
    body.validate();
    moir::node n;
    n.op = &info_of<moir::ops::tensor_iterator>();
    n.attrs = std::move(a);
    n.name = name;
    n.inputs = in;
    n.bodies = {g.body};
    const node_id id = target.add_node(std::move(n));
    target.infer_node(id);
    return id;
}

/// Scan-8: sequence_lens (must be absent), states [B, ...], scanned inputs [B, T, ...]; the body
/// sees one batch element. An outer TensorIterator over the batch runs the Scan of one element.
inline void convert_scan8(context& ctx) {
    MOIR_CHECK(!ctx.has_input(0), unsupported_error, "Scan-8 with sequence_lens is not supported");
    const std::int64_t m = ctx.require_attr<std::int64_t>("num_scan_inputs");
    const std::size_t n_in = ctx.input_count() - 1;
    MOIR_CHECK(m >= 1 && static_cast<std::size_t>(m) <= n_in, error,
               "num_scan_inputs " + std::to_string(m) + " does not fit " + std::to_string(n_in) + " inputs");
    const std::size_t scans_in = static_cast<std::size_t>(m), states = n_in - scans_in;
    body_graph g = ctx.body("body");
    MOIR_CHECK(g.declared_inputs == n_in, error,
               "the body has " + std::to_string(g.declared_inputs) + " inputs, the Scan " + std::to_string(n_in));
    const std::size_t scans_out = g.body->results.size() - std::min(states, g.body->results.size());
    const auto dirs = ctx.attr_ints("directions", std::vector<std::int64_t>(scans_in, 0));
    // the outer body: one batch element of every state and scanned input, the captured tensors whole
    auto outer = std::make_shared<model>();
    outer->name = ctx.name() + "/batch";
    std::vector<output_ref> outer_in, inner_in;
    for (std::size_t k = 0; k < n_in + g.captured.size(); ++k) {
        const output_ref src = k < n_in ? ctx.input(1 + k) : ctx.value(g.captured[k - n_in]);
        outer_in.push_back(src);
        output_port p = ctx.model().port(src);
        const bool sliced = k < n_in;
        if (sliced && !p.shape.rank_dynamic) p.shape.dims.at(0) = 1;
        const node_id param = outer->add<moir::ops::parameter>({p.type, p.shape}, {}, "p" + std::to_string(k));
        outer->infer_node(param);
        outer->parameters.push_back(param);
        output_ref v{param, 0};
        if (sliced) {
            const output_ref axes = body_axes(*outer, 0, "p" + std::to_string(k) + "/squeeze/axes");
            const node_id sq = outer->add<moir::ops::squeeze>({}, {v, axes}, "p" + std::to_string(k) + "/squeeze");
            outer->infer_node(sq);
            v = {sq, 0};
        }
        inner_in.push_back(v);
    }
    const node_id scan = add_scan(*outer, ctx.name() + "/scan", g, inner_in, states, scans_in,
                                  std::vector<std::int64_t>(scans_in, 0), dirs, std::vector<std::int64_t>(scans_out, 0),
                                  std::vector<std::int64_t>(scans_out, 0));
    const std::size_t outs = states + scans_out;
    for (std::size_t i = 0; i < outs; ++i) {
        const output_ref axes = body_axes(*outer, 0, "out" + std::to_string(i) + "/axes");
        const node_id u = outer->add<moir::ops::unsqueeze>({}, {{scan, i}, axes}, "out" + std::to_string(i));
        outer->infer_node(u);
        outer->results.push_back(outer->add<moir::ops::result>({}, {{u, 0}}, "out" + std::to_string(i)));
    }
    outer->validate();
    moir::ops::loop_ports a;
    const std::size_t np = outer->parameters.size();
    for (std::size_t j = 0; j < np; ++j) {
        a.input_external.push_back(static_cast<std::int64_t>(j));
        a.input_axis.push_back(j < n_in ? 0 : -1);
        a.input_stride.push_back(1);
        a.input_back_edge.push_back(-1);
    }
    for (std::size_t i = 0; i < outs; ++i) {
        a.output_result.push_back(static_cast<std::int64_t>(i));
        a.output_axis.push_back(0);
        a.output_stride.push_back(1);
    }
    const node_id id = add_with_bodies<moir::ops::tensor_iterator>(ctx, std::move(a), std::move(outer_in), {outer});
    for (std::size_t i = 0; i < ctx.output_count(); ++i) ctx.set_output(i, {id, i});
}

/// Scan (opset 9+): states then num_scan_inputs scanned inputs; body (states, slices) -> (states,
/// scan output slices).
inline void convert_scan(context& ctx) {
    const std::int64_t m = ctx.require_attr<std::int64_t>("num_scan_inputs");
    const std::size_t n_in = ctx.input_count();
    MOIR_CHECK(m >= 1 && static_cast<std::size_t>(m) <= n_in, error,
               "num_scan_inputs " + std::to_string(m) + " does not fit " + std::to_string(n_in) + " inputs");
    const std::size_t scans_in = static_cast<std::size_t>(m), states = n_in - scans_in;
    body_graph g = ctx.body("body");
    model& body = *g.body;
    MOIR_CHECK(g.declared_inputs == n_in, error,
               "the body has " + std::to_string(g.declared_inputs) + " inputs, the Scan " + std::to_string(n_in));
    MOIR_CHECK(body.results.size() >= states, error, "the body has fewer outputs than the Scan has states");
    const std::size_t scans_out = body.results.size() - states;
    std::vector<output_ref> in;
    for (std::size_t k = 0; k < n_in; ++k) in.push_back(ctx.input(k));
    for (const auto& nm : g.captured) in.push_back(ctx.value(nm));
    const node_id id = add_scan(
        ctx.model(), ctx.name(), g, in, states, scans_in,
        ctx.attr_ints("scan_input_axes", std::vector<std::int64_t>(scans_in, 0)),
        ctx.attr_ints("scan_input_directions", std::vector<std::int64_t>(scans_in, 0)),
        ctx.attr_ints("scan_output_axes", std::vector<std::int64_t>(scans_out, 0)),
        ctx.attr_ints("scan_output_directions", std::vector<std::int64_t>(scans_out, 0)));
    for (std::size_t i = 0; i < ctx.output_count(); ++i) ctx.set_output(i, {id, i});
}
}  // namespace detail

/// If, Loop, Scan (opset 8's batched form without sequence_lens, and 9+).
template <class = void>  // compiled only where a table is built
void register_control_flow(op_table& t) {
    t.add("If", detail::convert_if);
    t.add("Loop", detail::convert_loop);
    t.add("Scan", detail::convert_scan8, 8);
    t.add("Scan", detail::convert_scan, 9);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_CONTROL_FLOW_HPP
