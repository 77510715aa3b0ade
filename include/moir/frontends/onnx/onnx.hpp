#ifndef MOIR_FRONTENDS_ONNX_ONNX_HPP
#define MOIR_FRONTENDS_ONNX_ONNX_HPP

// The ONNX frontend: moir::onnx::load(path) reads an .onnx file (ir_version 3+, default-domain
// opsets 7 to 18, initializers, Constant nodes, raw and typed data, external data next to the
// model) and returns a moir::model. Opt-in: not included by <moir/moir.hpp>.

#include <moir/core/model.hpp>
#include <moir/frontends/onnx/converter.hpp>
#include <moir/frontends/onnx/onnx_proto.hpp>
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
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

#include <algorithm>  // sort
#include <map>        // map
#include <optional>   // optional
#include <set>        // set
#include <string>     // string
#include <vector>     // vector

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
        return t;
    }();
    return table;
}
}  // namespace detail

/// Every converter moir ships, family by family. Add a family: a file in ops/ and a line in
/// detail::default_table_impl above.
inline const op_table& default_table() { return detail::default_table_impl<>(); }

/// How to read a model.
struct load_options {
    /// Input shapes by input name; override the shapes the file declares.
    std::map<std::string, partial_shape> input_shapes;
    /// Input shapes by position (used for inputs not named in input_shapes).
    std::vector<partial_shape> input_shapes_by_position;
    /// The converters to use; default_table() when null. Users extend a copy with their own ops.
    const op_table* table = nullptr;
};

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
inline std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}
}  // namespace detail

/// Lists every (domain::)op type of the graph that `table` cannot convert, with counts, or "".
inline std::string unsupported_ops(const proto::graph& g, std::int64_t opset, const op_table& table,
                                   const std::map<std::string, std::int64_t>& domain_opsets) {
    std::map<std::string, std::size_t> missing;
    for (const auto& n : g.node) {
        const std::string dom = n.domain == "ai.onnx" ? "" : n.domain;
        const auto it = domain_opsets.find(dom);
        const std::int64_t v = dom.empty() ? opset : (it == domain_opsets.end() ? 1 : it->second);
        if (!table.find(dom, n.op_type, v)) missing[(dom.empty() ? "" : dom + "::") + n.op_type]++;
    }
    std::string s;
    for (const auto& [op, count] : missing) s += (s.empty() ? "" : ", ") + op + " (" + detail::plural(count, "node") + ")";
    return s;
}

/// Converts a parsed ONNX model. `source` names the file in errors.
/// ensures: a validated model; throws moir::unsupported_error listing every unsupported op type with
/// its node count, or moir::error "<source>: node 'N' (OpType): reason" for the first node that fails.
inline model convert(const proto::model& pm, const std::string& source, const load_options& opt = {}) {
    MOIR_CHECK(pm.has_graph, parse_error, source + ": the ONNX model has no graph");
    MOIR_CHECK(pm.ir_version >= 3, unsupported_error,
               source + ": ONNX ir_version " + std::to_string(pm.ir_version) + " is too old (moir reads 3 and later)");
    std::int64_t opset = 0;
    std::map<std::string, std::int64_t> domain_opsets;
    for (const auto& o : pm.opset_import) {
        const std::string dom = o.domain == "ai.onnx" ? "" : o.domain;
        domain_opsets[dom] = o.version;
        if (dom.empty()) opset = o.version;
    }
    MOIR_CHECK(opset >= 1 && opset <= 21, unsupported_error,
               source + ": default-domain opset " + std::to_string(opset) + " is not supported (moir reads opsets 1 to 21)");
    const op_table& table = opt.table ? *opt.table : default_table();
    const proto::graph& g = pm.graph;
    const std::string missing = unsupported_ops(g, opset, table, domain_opsets);
    MOIR_CHECK(missing.empty(), unsupported_error, source + ": unsupported ONNX ops: " + missing);
    MOIR_CHECK(g.sparse_initializer_count == 0, unsupported_error, source + ": sparse initializers are not supported");

    model m;
    m.name = detail::stem_of(source);
    graph_state st;
    st.m = &m;
    st.source = source;
    st.base_dir = detail::dir_of(source);
    st.opset = opset;
    for (const auto& t : g.initializer) st.initializers[t.name] = &t;

    // Inputs: graph inputs that are not initializers.
    std::size_t position = 0;
    for (const auto& vi : g.input) {
        if (st.initializers.count(vi.name)) continue;
        const std::string where = source + ": input '" + vi.name + "'";
        MOIR_CHECK(vi.type.kind == proto::type_kind::tensor, unsupported_error, where + " is not a tensor");
        const auto et = proto::to_element_type(vi.type.elem_type);
        MOIR_CHECK(et, unsupported_error, where + " has unsupported type " + proto::data_type_name(vi.type.elem_type));
        partial_shape shp = partial_shape::dynamic();
        if (vi.type.has_shape) {
            shp = partial_shape(std::vector<std::int64_t>{});
            for (const auto& d : vi.type.shape) shp.dims.push_back(d.has_value ? d.value : dynamic_dim);
        }
        const auto named = opt.input_shapes.find(vi.name);
        if (named != opt.input_shapes.end()) {
            shp = named->second;
        } else if (position < opt.input_shapes_by_position.size()) {
            shp = opt.input_shapes_by_position[position];
        }
        if (named != opt.input_shapes.end() || position < opt.input_shapes_by_position.size()) {
            // an override must agree with what the file fixes
            if (vi.type.has_shape && !shp.rank_dynamic) {
                MOIR_CHECK(shp.rank() == vi.type.shape.size(), shape_error,
                           where + ": --input_shape " + shp.str() + " has rank " + std::to_string(shp.rank()) +
                               ", the model's input has rank " + std::to_string(vi.type.shape.size()));
                for (std::size_t i = 0; i < shp.rank(); ++i)
                    MOIR_CHECK(!vi.type.shape[i].has_value || shp.dims[i] < 0 || vi.type.shape[i].value == shp.dims[i],
                               shape_error, where + ": --input_shape " + shp.str() + " conflicts with dim " +
                                                std::to_string(i) + " = " + std::to_string(vi.type.shape[i].value));
            }
        }
        ++position;
        const node_id id = m.add<moir::ops::parameter>({*et, shp}, {}, vi.name);
        m.infer_node(id);
        m.at(id).outputs[0].names.push_back(vi.name);
        m.parameters.push_back(id);
        st.values[vi.name] = {id, 0};
    }
    MOIR_CHECK(opt.input_shapes_by_position.size() <= position, error,
               source + ": " + std::to_string(opt.input_shapes_by_position.size()) + " input shapes given, the model has " +
                   std::to_string(position) + " inputs");
    for (const auto& [name, s] : opt.input_shapes) {
        bool found = false;
        for (auto p : m.parameters) found = found || m.at(p).name == name;
        MOIR_CHECK(found, error, source + ": --input_shape names '" + name + "', which is not an input of the model");
    }

    for (const auto& n : g.node) {
        const std::string dom = n.domain == "ai.onnx" ? "" : n.domain;
        const auto dit = domain_opsets.find(dom);
        const converter* fn = table.find(dom, n.op_type, dom.empty() ? opset : (dit == domain_opsets.end() ? 1 : dit->second));
        context ctx(st, n);
        try {
            (*fn)(ctx);
        } catch (const std::exception& e) {
            throw error(source + ": node '" + ctx.name() + "' (" + n.op_type + "): " + e.what());
        }
        for (std::size_t i = 0; i < n.output.size(); ++i)
            MOIR_CHECK(n.output[i].empty() || st.values.count(n.output[i]), error,
                       source + ": node '" + ctx.name() + "' (" + n.op_type + "): output '" + n.output[i] +
                           "' was not produced");
    }

    for (const auto& vi : g.output) {
        output_ref src;
        auto it = st.values.find(vi.name);
        if (it == st.values.end()) {
            MOIR_CHECK(st.initializers.count(vi.name), parse_error,
                       source + ": output '" + vi.name + "' is produced by no node");
            proto::node dummy;
            context ctx(st, dummy);
            src = ctx.value(vi.name);
        } else {
            src = it->second;
        }
        const node_id r = m.add<moir::ops::result>({}, {src}, vi.name);
        m.results.push_back(r);
    }
    try {
        m.validate();
    } catch (const std::exception& e) {
        throw error(source + ": " + e.what());
    }
    m.remove_dead();
    return m;
}

/// Reads and converts an .onnx file. ensures: as convert(); parse errors name the file.
inline model load(const std::string& path, const load_options& opt = {}) {
    return convert(proto::load_model_file(path), path, opt);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_ONNX_HPP
