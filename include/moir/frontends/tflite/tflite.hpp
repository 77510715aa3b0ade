#ifndef MOIR_FRONTENDS_TFLITE_TFLITE_HPP
#define MOIR_FRONTENDS_TFLITE_TFLITE_HPP

// The TFLite frontend: moir::tflite::load(path) reads a .tflite file (flatbuffer schema v3) and
// returns a moir::model whose inputs and outputs keep the file's NHWC layout. The main subgraph
// (subgraph 0) is converted; IF operators become If nodes owning their subgraphs as bodies (WHILE
// and CALL_ONCE are reported as unsupported).

#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/tflite/converter.hpp>
#include <moir/frontends/tflite/model_reader.hpp>
#include <moir/frontends/tflite/ops/control_flow.hpp>
#include <moir/frontends/tflite/ops/elementwise.hpp>
#include <moir/frontends/tflite/ops/logic.hpp>
#include <moir/frontends/tflite/ops/nn.hpp>
#include <moir/frontends/tflite/ops/quantization.hpp>
#include <moir/frontends/tflite/ops/tensor.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

#include <array>        // array
#include <cstdint>      // int32_t
#include <memory>       // make_shared
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::tflite {

namespace detail {
template <class = void>
const op_table& default_table_impl() {
    static const op_table table = [] {
        op_table t;
        register_elementwise(t);
        register_nn(t);
        register_tensor(t);
        register_quantization(t);
        register_logic(t);
        register_control_flow(t);
        return t;
    }();
    return table;
}
inline std::string file_stem(const std::string& path) {
    auto p = path.find_last_of('/');
    std::string f = p == std::string::npos ? path : path.substr(p + 1);
    const auto d = f.find_last_of('.');
    return d == std::string::npos || d == 0 ? f : f.substr(0, d);
}
}  // namespace detail

/// Every converter moir ships. Add a family: a file in ops/ and a line in detail::default_table_impl.
template <class = void>
const op_table& default_table() { return detail::default_table_impl<>(); }

/// How to read a model: the common options (--input_shape by name or position) and the table.
struct load_options : frontends::load_options {
    /// The converters to use; default_table() when null. Users extend a copy with their own ops.
    const op_table* table = nullptr;
};

/// Lists every op of every subgraph that `table` cannot convert (opcode indices must be valid).
inline frontends::unsupported_ops unsupported(const model_file& f, const op_table& table) {
    frontends::unsupported_ops u;
    for (const auto& sg : f.subgraphs)
        for (const auto& op : sg.operators) {
            const operator_code& c = f.operator_codes[op.opcode_index];
            if (!table.find(c)) u.add(op_name(c));
        }
    return u;
}

namespace detail {
/// Converts subgraph `index` of f into m: its inputs become Parameters (with opt's overrides), its
/// operators nodes, its outputs Results. IF/WHILE operators convert their subgraphs through this
/// same function, `depth` levels down (a subgraph reached again through itself is an error).
template <class = void>
void convert_subgraph(const model_file& f, std::size_t index, const op_table& table, const load_options& opt,
                             model& m, std::vector<std::size_t>& stack) {
    const std::string& source = f.source();
    for (auto k : stack)
        MOIR_CHECK(k != index, parse_error, source + ": subgraph " + std::to_string(index) + " calls itself");
    stack.push_back(index);
    const subgraph& sg = f.subgraphs[index];
    frontends::graph_builder b(m, source, opt);
    graph_state st;
    st.m = &m;
    st.file = &f;
    st.sg = &sg;
    st.source = source;
    st.values.resize(sg.tensors.size());
    st.nchw.resize(sg.tensors.size());
    st.consts.resize(sg.tensors.size());
    st.body = [&f, &table, &stack, &source](std::int32_t i) {
        MOIR_CHECK(i >= 0 && static_cast<std::size_t>(i) < f.subgraphs.size(), parse_error,
                   "subgraph index " + std::to_string(i) + " out of range (" + std::to_string(f.subgraphs.size()) +
                       " subgraphs)");
        auto body = std::make_shared<model>();
        const subgraph& s = f.subgraphs[static_cast<std::size_t>(i)];
        body->name = s.name.empty() ? "subgraph" + std::to_string(i) : s.name;
        convert_subgraph(f, static_cast<std::size_t>(i), table, load_options{}, *body, stack);
        return body;
    };
    const auto tensor_index = [&](std::int32_t t, const char* what) {
        MOIR_CHECK(t >= 0 && static_cast<std::size_t>(t) < sg.tensors.size(), parse_error,
                   source + ": " + what + " tensor index " + std::to_string(t) + " out of range");
        return static_cast<std::size_t>(t);
    };

    for (std::int32_t ti : sg.inputs) {
        const tensor_info& t = sg.tensors[tensor_index(ti, "input")];
        const auto et = to_element_type(t.type);
        MOIR_CHECK(et, unsupported_error, source + ": input '" + t.name + "' has unsupported type " + type_name(t.type));
        // a dim the signature leaves open (-1) takes the size `shape` gives it, as TFLite does,
        // unless --input_shape sets it
        partial_shape shp(std::vector<std::int64_t>{});
        for (std::size_t i = 0; i < t.shape.size(); ++i) {
            const bool open = i < t.shape_signature.size() && t.shape_signature[i] < 0;
            shp.dims.push_back(open || t.shape[i] < 0 ? dynamic_dim : t.shape[i]);
        }
        const output_ref p = b.add_parameter(t.name, *et, shp);
        auto& pa = m.at(p.node).attrs_as<moir::ops::parameter>();
        if (!pa.shape.rank_dynamic && pa.shape.rank() == t.shape.size()) {
            bool changed = false;
            for (std::size_t i = 0; i < t.shape.size(); ++i)
                if (pa.shape.dims[i] < 0 && t.shape[i] > 0) pa.shape.dims[i] = t.shape[i], changed = true;
            if (changed) m.infer_node(p.node);
        }
        st.values[static_cast<std::size_t>(ti)] = p;
    }
    b.finish_parameters();

    for (const auto& op : sg.operators) {
        const operator_code& code = f.operator_codes[op.opcode_index];
        const std::string oname = op_name(code);
        context ctx(st, op, oname);
        std::string node_name;
        try {
            for (auto t : op.inputs)
                if (t >= 0) tensor_index(t, "operator input");
            for (auto t : op.outputs) tensor_index(t, "operator output");
            node_name = ctx.name();
            (*table.find(code))(ctx);
        } catch (const std::exception& e) {
            const std::string what = e.what();
            // an error inside a subgraph already names the file and its node
            if (what.compare(0, source.size() + 1, source + ":") == 0) throw;
            throw error(source + ": node '" + node_name + "' (" + oname + "): " + what);
        }
        for (auto t : op.outputs)
            MOIR_CHECK(st.values[static_cast<std::size_t>(t)] || st.consts[static_cast<std::size_t>(t)], error,
                       source + ": node '" + node_name + "' (" + oname + "): output '" +
                           sg.tensors[static_cast<std::size_t>(t)].name + "' was not produced");
    }

    for (std::int32_t ti : sg.outputs) {
        const auto k = tensor_index(ti, "output");
        operator_info none;
        context ctx(st, none, "output");
        output_ref src;
        try {
            src = ctx.value(ti);
        } catch (const std::exception& e) {
            throw error(source + ": output '" + sg.tensors[k].name + "': " + e.what());
        }
        b.bind(sg.tensors[k].name, src);
        b.add_result(sg.tensors[k].name);
    }
    b.finish();
    stack.pop_back();
}
}  // namespace detail

/// Converts a decoded .tflite model: subgraph 0, with the subgraphs its IF operators run as bodies.
/// ensures: a validated model with one Parameter per subgraph input and one Result per output (NHWC,
/// as the file); throws moir::unsupported_error listing every unsupported op (of every subgraph) with
/// its count, or moir::error "<source>: node 'N' (OP): reason" for the first operator that fails.
template <class = void>
model convert(const model_file& f, const load_options& opt = {}) {
    const std::string& source = f.source();
    const op_table& table = opt.table ? *opt.table : with_extensions("tflite", default_table());
    for (std::size_t g = 0; g < f.subgraphs.size(); ++g)
        for (std::size_t i = 0; i < f.subgraphs[g].operators.size(); ++i)
            MOIR_CHECK(f.subgraphs[g].operators[i].opcode_index < f.operator_codes.size(), parse_error,
                       source + ": operator " + std::to_string(i) + (g ? " of subgraph " + std::to_string(g) : "") +
                           " has opcode index " + std::to_string(f.subgraphs[g].operators[i].opcode_index) + " of " +
                           std::to_string(f.operator_codes.size()));
    unsupported(f, table).check(source, "TFLite");
    model m;
    m.name = detail::file_stem(source);
    std::vector<std::size_t> stack;
    detail::convert_subgraph(f, 0, table, opt, m, stack);
    return m;
}

/// Reads and converts a .tflite file. ensures: as convert(); parse errors name the file and byte.
template <class = void>
model load(const std::string& path, const load_options& opt = {}) { return convert(read_model_file(path), opt); }

/// The TFLite frontend (frontends/registry.hpp): `moir convert -m model.tflite`.
struct frontend {
    static constexpr const char* name = "tflite";
    static constexpr std::array<const char*, 1> extensions{".tflite"};
    /// A flatbuffer with file identifier "TFL3" (bytes 4..7).
    static bool recognizes(const std::string&, std::string_view head) { return head.size() >= 8 && head.substr(4, 4) == "TFL3"; }
    template <class = void>  // a template so that moir::compiled can compile it once (see below)
    static model load(const frontends::load_request& r) {
        load_options o;
        static_cast<frontends::load_options&>(o) = r.options;
        return tflite::load(r.input_model, o);
    }
};


// Compiled once in moir::compiled, declared extern elsewhere (see MOIR_DETAIL_FRONTEND_EXTERN).
#if defined(MOIR_DETAIL_FRONTEND_EXTERN)
MOIR_DETAIL_FRONTEND_EXTERN template const op_table& detail::default_table_impl<void>();
MOIR_DETAIL_FRONTEND_EXTERN template model frontend::load<void>(const frontends::load_request&);
#endif

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_TFLITE_HPP
