#ifndef MOIR_FRONTENDS_ONNX_ONNX_HPP
#define MOIR_FRONTENDS_ONNX_ONNX_HPP

// The ONNX frontend: moir::onnx::load(path) reads an .onnx file (ir_version 3+, default-domain
// opsets 1 to 21, initializers, Constant nodes, raw and typed data, external data next to the
// model) and returns a moir::model; moir::onnx::frontend is its entry in the frontend list
// (frontends/frontends.hpp).

#include <moir/core/extensions.hpp>
#include <moir/core/model.hpp>
#include <moir/frontends/onnx/converter.hpp>
#include <moir/frontends/onnx/fallback.hpp>
#include <moir/frontends/onnx/onnx_decl.hpp>
#include <moir/frontends/onnx/onnx_proto.hpp>
#include <moir/frontends/onnx/ops/control_flow.hpp>
#include <moir/frontends/onnx/ops/activations.hpp>
#include <moir/frontends/onnx/ops/elementwise.hpp>
#include <moir/frontends/onnx/ops/nn.hpp>
#include <moir/frontends/onnx/ops/resize.hpp>
#include <moir/frontends/onnx/ops/tensor.hpp>
// group C frontend includes
#include <moir/frontends/onnx/ops/logic.hpp>
#include <moir/frontends/onnx/ops/math.hpp>
#include <moir/frontends/onnx/ops/nonlinear.hpp>
// group C frontend includes end
// group D frontend includes
#include <moir/frontends/onnx/ops/indexing.hpp>
#include <moir/frontends/onnx/ops/shaping.hpp>
// group D frontend includes end
// group E frontend includes
#include <moir/frontends/onnx/ops/linalg.hpp>
#include <moir/frontends/onnx/ops/losses.hpp>
#include <moir/frontends/onnx/ops/normalization.hpp>
#include <moir/frontends/onnx/ops/pooling_extra.hpp>
#include <moir/frontends/onnx/ops/quantization.hpp>
#include <moir/frontends/onnx/ops/reduce_extra.hpp>
#include <moir/frontends/onnx/ops/sampling.hpp>
#include <moir/frontends/onnx/ops/signal.hpp>
// group E frontend includes end
// group F frontend includes
#include <moir/frontends/onnx/ops/recurrent.hpp>
// group F frontend includes end
#include <moir/frontends/registry.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

#include <array>          // array
#include <map>            // map
#include <memory>         // make_shared
#include <optional>       // optional
#include <set>            // set
#include <string>         // string
#include <string_view>    // string_view
#include <unordered_map>  // unordered_map
#include <utility>        // pair
#include <vector>         // vector

namespace moir::onnx {

namespace detail {
/// The body of default_table(), a template only so that moir/frontends/onnx/extern_templates.hpp
/// can compile it once for a whole program (the converters are most of the frontend's code).
template <class = void>
const op_table& default_table_impl() {
    static const op_table table = [] {
        op_table t;
        register_elementwise(t);
        register_activations(t);
        register_nn(t);
        register_resize(t);
        register_tensor(t);
        // group C registrations
        register_math(t);
        register_logic(t);
        register_nonlinear(t);
        // group C registrations end
        // group D registrations
        register_indexing(t);
        register_shaping(t);
        // group D registrations end
        // group E registrations
        register_linalg(t);
        register_losses(t);
        register_normalization(t);
        register_pooling_extra(t);
        register_quantization(t);
        register_reduce_extra(t);
        register_sampling(t);
        register_signal(t);
        // group E registrations end
        // group F registrations
        register_recurrent(t);
        // group F registrations end
        register_control_flow(t);
        return t;
    }();
    return table;
}
}  // namespace detail

/// Every converter moir ships, family by family. Add a family: a file in ops/ and a line in
/// detail::default_table_impl above.
template <class = void>
const op_table& default_table() { return detail::default_table_impl<>(); }

// load_options: frontends/onnx/onnx_decl.hpp.

namespace detail {
inline std::string dir_of(const std::string& path) {
    const auto p = path.find_last_of('/');
    return p == std::string::npos ? std::string(".") : path.substr(0, p);
}
inline std::string stem_of(const std::string& path) {
    auto p = path.find_last_of('/');
    std::string f = p == std::string::npos ? path : path.substr(p + 1);
    const auto d = f.find_last_of('.');
    return d == std::string::npos || d == 0 ? f : f.substr(0, d);
}
/// The version of `domain` the model imports (the default domain's opset for "").
inline std::int64_t version_of(const std::string& domain, std::int64_t opset,
                               const std::map<std::string, std::int64_t>& domain_opsets) {
    if (domain.empty()) return opset;
    const auto it = domain_opsets.find(domain);
    return it == domain_opsets.end() ? 1 : it->second;
}
}  // namespace detail

namespace detail {
/// The name a path gives a node: its name, else its first output, else its op type.
inline std::string node_label(const proto::node& n) {
    if (!n.name.empty()) return n.name;
    if (!n.output.empty() && !n.output[0].empty()) return n.output[0];
    return n.op_type;
}
inline void collect_unsupported(const proto::graph& g, std::int64_t opset, const op_table& table,
                                const std::map<std::string, std::int64_t>& domain_opsets, const std::string& path,
                                frontends::unsupported_ops& missing) {
    for (const auto& n : g.node) {
        const std::string dom = normalize_domain(n.domain);
        if (!table.find(dom, n.op_type, version_of(dom, opset, domain_opsets)))
            missing.add(path + (dom.empty() ? "" : dom + "::") + n.op_type);
        for (const auto& a : n.attribute) {
            const std::string here = path + n.op_type + " '" + node_label(n) + "' " + a.name + ": ";
            if (a.g) collect_unsupported(*a.g, opset, table, domain_opsets, here, missing);
            for (const auto& sub : a.graphs)
                if (sub) collect_unsupported(*sub, opset, table, domain_opsets, here, missing);
        }
    }
}
}  // namespace detail

/// Lists every (domain::)op type of the graph that `table` cannot convert, with counts, sub-graphs
/// included: an op inside a body is listed with its path, e.g. "If 'n1' then_branch: Foo".
inline frontends::unsupported_ops unsupported_ops(const proto::graph& g, std::int64_t opset, const op_table& table,
                                                  const std::map<std::string, std::int64_t>& domain_opsets) {
    frontends::unsupported_ops missing;
    detail::collect_unsupported(g, opset, table, domain_opsets, "", missing);
    return missing;
}

namespace detail {
/// The declared type and shape of a graph input or output. ensures: moir::unsupported_error naming
/// `where` when it is not a tensor of a type moir has.
inline std::pair<element_type, partial_shape> declared_type(const proto::value_info& vi, const std::string& where) {
    MOIR_CHECK(vi.type.kind == proto::type_kind::tensor, unsupported_error, where + " is not a tensor");
    const auto et = proto::to_element_type(vi.type.elem_type);
    MOIR_CHECK(et, unsupported_error, where + " has unsupported type " + proto::data_type_name(vi.type.elem_type));
    partial_shape shp = partial_shape::dynamic();
    if (vi.type.has_shape) {
        shp = partial_shape(std::vector<std::int64_t>{});
        for (const auto& d : vi.type.shape) shp.dims.push_back(d.has_value ? d.value : dynamic_dim);
    }
    return {*et, shp};
}

/// Converts the nodes of g into b, each with its converter from `table`.
template <class = void>
void convert_graph_nodes(const proto::graph& g, frontends::graph_builder& b, const graph_info& info,
                                const op_table& table, std::int64_t opset,
                                const std::map<std::string, std::int64_t>& domain_opsets) {
    std::vector<node_view> views;
    views.reserve(g.node.size());
    for (const auto& n : g.node) views.emplace_back(n);
    frontends::convert_nodes<context>(
        b, views, [&](const node_view& v) { return context(b, v, info); },
        [&](context& ctx) {
            const std::string dom = normalize_domain(ctx.onnx_node().domain);
            (*table.find(dom, ctx.op_type(), version_of(dom, opset, domain_opsets)))(ctx);
        });
}

/// Converts sub-graph g of a node of the graph that `outer` builds: its initializers become
/// Constants of the body, its inputs the first Parameters, and every outer-scope tensor it reads a
/// further Parameter (body_graph::captured). ensures: errors name `where`.
template <class = void>
body_graph convert_body(const proto::graph& g, frontends::graph_builder& outer, const graph_info& info,
                               const op_table& table, std::int64_t opset,
                               const std::map<std::string, std::int64_t>& domain_opsets, const std::string& where) {
    MOIR_CHECK(g.sparse_initializer_count == 0, unsupported_error, where + ": sparse initializers are not supported");
    body_graph out;
    out.body = std::make_shared<model>();
    model& body = *out.body;
    body.name = where;
    static const frontends::load_options no_options;
    frontends::graph_builder b(body, where, no_options);
    std::unordered_map<std::string, const proto::tensor*> initializers;
    for (const auto& t : g.initializer) initializers[t.name] = &t;
    b.set_lazy_source([&](const std::string& name) -> std::optional<output_ref> {
        const auto it = initializers.find(name);
        if (it != initializers.end()) {
            const node_id id = body.add<moir::ops::constant>({proto::to_moir_tensor(*it->second, info.base_dir)}, {}, name);
            body.infer_node(id);
            return output_ref{id, 0};
        }
        std::optional<output_ref> r;  // an outer-scope tensor: a Parameter fed by the node
        try {
            r = outer.value(name);
        } catch (const parse_error&) {
            return std::nullopt;
        }
        const output_port& p = outer.graph().port(*r);
        const node_id id = body.add<moir::ops::parameter>({p.type, p.shape}, {}, name);
        body.infer_node(id);
        body.parameters.push_back(id);
        out.captured.push_back(name);
        return output_ref{id, 0};
    });
    for (const auto& vi : g.input) {
        if (initializers.count(vi.name)) continue;
        const auto [et, shp] = declared_type(vi, where + ": input '" + vi.name + "'");
        b.add_parameter(vi.name, et, shp);
        ++out.declared_inputs;
    }
    graph_info inner = info;
    convert_graph_nodes(g, b, inner, table, opset, domain_opsets);
    for (const auto& vi : g.output) b.add_result(vi.name);
    b.finish();
    return out;
}
}  // namespace detail

namespace detail {
/// Converts the main graph's nodes in fallback mode: the units of fallback::emission_order, each
/// node with its converter, each part as one OnnxFallback node. ensures: throws fallback::retry for
/// a node whose converter throws moir::unsupported_error (it joins a part on the next try).
template <class = void>
void convert_with_fallback(const proto::model& pm, frontends::graph_builder& b, const graph_info& info,
                                  const op_table& table, std::int64_t opset,
                                  const std::map<std::string, std::int64_t>& domain_opsets,
                                  const std::set<std::size_t>& offload) {
    const proto::graph& g = pm.graph;
    std::vector<node_view> views;
    views.reserve(g.node.size());
    for (const auto& n : g.node) views.emplace_back(n);
    std::size_t parts = 0;
    for (const auto& u : fallback::emission_order(g, fallback::partition(g, offload))) {
        if (u.is_part) {
            fallback::add_part(pm, u.nodes, parts++, b, info.base_dir);
            continue;
        }
        try {
            frontends::convert_nodes<context>(
                b, std::vector<node_view>{views[u.node]}, [&](const node_view& v) { return context(b, v, info); },
                [&](context& ctx) {
                    const std::string dom = normalize_domain(ctx.onnx_node().domain);
                    (*table.find(dom, ctx.op_type(), version_of(dom, opset, domain_opsets)))(ctx);
                });
        } catch (const unsupported_error&) {
            throw fallback::retry{u.node};
        }
    }
}

/// One conversion of the main graph; `offload` non-null: fallback mode with these nodes in parts.
template <class = void>
model convert_once(const proto::model& pm, const std::string& source, const load_options& opt,
                          const op_table& table, std::int64_t opset,
                          const std::map<std::string, std::int64_t>& domain_opsets,
                          const std::set<std::size_t>* offload) {
    const proto::graph& g = pm.graph;
    model m;
    m.name = detail::stem_of(source);
    frontends::graph_builder b(m, source, opt);
    graph_info info{detail::dir_of(source), opset, {}};
    // sub-graphs (If, Loop, Scan bodies) are converted with the same table, recursively
    info.convert_body = [&](const proto::graph& sub, frontends::graph_builder& outer, const std::string& where) {
        return detail::convert_body(sub, outer, info, table, opset, domain_opsets, where);
    };
    // initializers become Constants on first use
    std::unordered_map<std::string, const proto::tensor*> initializers;
    for (const auto& t : g.initializer) initializers[t.name] = &t;
    b.set_lazy_source([&](const std::string& name) -> std::optional<output_ref> {
        const auto it = initializers.find(name);
        if (it == initializers.end()) return std::nullopt;
        const node_id id = m.add<moir::ops::constant>({proto::to_moir_tensor(*it->second, info.base_dir)}, {}, name);
        m.infer_node(id);
        return output_ref{id, 0};
    });

    // Inputs: graph inputs that are not initializers.
    for (const auto& vi : g.input) {
        if (initializers.count(vi.name)) continue;
        const auto [et, shp] = detail::declared_type(vi, source + ": input '" + vi.name + "'");
        b.add_parameter(vi.name, et, shp);
    }
    b.finish_parameters();

    if (offload) convert_with_fallback(pm, b, info, table, opset, domain_opsets, *offload);
    else detail::convert_graph_nodes(g, b, info, table, opset, domain_opsets);
    for (const auto& vi : g.output) b.add_result(vi.name);
    b.finish();
    return m;
}
}  // namespace detail

/// Converts a parsed ONNX model. `source` names the file in errors.
/// ensures: a validated model whose outputs carry the graph's output names; throws
/// moir::unsupported_error listing every unsupported op type with its node count, or moir::error
/// "<source>: node 'N' (OpType): reason" for the first node that fails.
/// With the framework option fallback=onnxruntime (`--fallback onnxruntime`), unsupported nodes are
/// kept in OnnxFallback nodes instead (frontends/onnx/fallback.hpp); fallback_library gives the
/// onnxruntime library's path (runtime/onnxruntime.hpp says where it is looked for otherwise).
template <class = void>
model convert(const proto::model& pm, const std::string& source, const load_options& opt = {}) {
    MOIR_CHECK(pm.has_graph, parse_error, source + ": the ONNX model has no graph");
    MOIR_CHECK(pm.ir_version >= 3, unsupported_error,
               source + ": ONNX ir_version " + std::to_string(pm.ir_version) + " is too old (moir reads 3 and later)");
    std::int64_t opset = 0;
    std::map<std::string, std::int64_t> domain_opsets;
    for (const auto& o : pm.opset_import) {
        const std::string dom = normalize_domain(o.domain);
        domain_opsets[dom] = o.version;
        if (dom.empty()) opset = o.version;
    }
    MOIR_CHECK(opset >= 1 && opset <= 21, unsupported_error,
               source + ": default-domain opset " + std::to_string(opset) + " is not supported (moir reads opsets 1 to 21)");
    const op_table& table = opt.table ? *opt.table : with_extensions("onnx", default_table());
    const proto::graph& g = pm.graph;
    const std::string fallback = opt.option("fallback");
    MOIR_CHECK(fallback.empty() || fallback == "onnxruntime", error,
               "--fallback '" + fallback + "': the one fallback framework is onnxruntime");
    if (fallback.empty()) unsupported_ops(g, opset, table, domain_opsets).check(source, "ONNX");
    MOIR_CHECK(g.sparse_initializer_count == 0, unsupported_error, source + ": sparse initializers are not supported");
    if (fallback.empty()) {
        return detail::convert_once(pm, source, opt, table, opset, domain_opsets, nullptr);
    }
    if (const std::string lib = opt.option("fallback_library"); !lib.empty()) moir::onnxruntime::set_library(lib);
    std::set<std::size_t> offload = fallback::initial_offload(g, [&](const proto::node& n) {
        const std::string dom = normalize_domain(n.domain);
        return table.find(dom, n.op_type, detail::version_of(dom, opset, domain_opsets)) != nullptr;
    });
    for (std::size_t tries = 0;; ++tries) {
        try {
            return detail::convert_once(pm, source, opt, table, opset, domain_opsets, &offload);
        } catch (const fallback::retry& r) {
            MOIR_CHECK(offload.insert(r.node).second && tries <= g.node.size(), error,
                       source + ": the fallback partition did not settle");
        }
    }
}

/// Reads and converts an .onnx file (declared in frontends/onnx/onnx_decl.hpp). ensures: as
/// convert(); parse errors name the file.
template <class>
model load(const std::string& path, const load_options& opt) {
    return convert(proto::load_model_file(path), path, opt);
}

/// The ONNX frontend (frontends/registry.hpp's concept): `--framework onnx`, .onnx files.
struct frontend {
    static constexpr const char* name = "onnx";
    static constexpr std::array<const char*, 1> extensions{".onnx"};
    /// An .onnx file (ONNX files have no magic number: a ModelProto opens with field 1, ir_version).
    static bool recognizes(const std::string& path, std::string_view) { return frontends::extension_of(path) == ".onnx"; }
    template <class = void>  // a template so that moir::compiled can compile it once
    static model load(const frontends::load_request& r) {
        load_options o;
        static_cast<frontends::load_options&>(o) = r.options;
        return onnx::load(r.input_model, o);
    }
};

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_ONNX_HPP
