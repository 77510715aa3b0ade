#ifndef MOIR_FRONTENDS_TFLITE_TFLITE_HPP
#define MOIR_FRONTENDS_TFLITE_TFLITE_HPP

// The TFLite frontend: moir::tflite::load(path) reads a .tflite file (flatbuffer schema v3) and
// returns a moir::model whose inputs and outputs keep the file's NHWC layout. The main subgraph
// (subgraph 0) is converted; IF operators become If nodes owning their subgraphs as bodies, WHILE
// operators Loops, CALL_ONCE initializers are dropped (ops/control_flow.hpp). Quantized models (int8/uint8 activations, int8
// per-channel weights) become moir's INT8 form: FakeQuantize on activations, i8 weights with scales
// (frontends/tflite/quantized.hpp).

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
#include <moir/ops/add.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/fake_quantize.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/round.hpp>
#include <moir/ops/subtract.hpp>

#include <algorithm>    // remove
#include <array>        // array
#include <cstdint>      // int32_t
#include <memory>       // make_shared
#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // pair
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

/// Lists every op of every subgraph that `table` cannot convert (opcode indices must be valid). An op
/// inside a subgraph that an IF or WHILE runs is named with its path, e.g. "WHILE 'y' body: FOO" (the
/// first operator that reaches the subgraph, from subgraph 0); a subgraph nothing reaches as
/// "subgraph 3: FOO".
inline frontends::unsupported_ops unsupported(const model_file& f, const op_table& table) {
    frontends::unsupported_ops u;
    std::vector<bool> seen(f.subgraphs.size(), false);
    std::vector<std::pair<std::size_t, std::string>> todo;  // (subgraph, path), depth first, no recursion
    const auto visit = [&](std::size_t first, const std::string& root) {
        todo.emplace_back(first, root);
        while (!todo.empty()) {
            const auto [g, path] = todo.back();
            todo.pop_back();
            if (g >= f.subgraphs.size() || seen[g]) continue;
            seen[g] = true;
            const subgraph& sg = f.subgraphs[g];
            for (const auto& op : sg.operators) {
                const operator_code& c = f.operator_codes[op.opcode_index];
                if (!table.find(c)) u.add(path + op_name(c));
                const char* labels[2] = {nullptr, nullptr};
                if (c.builtin == detail::op_if) labels[0] = "then", labels[1] = "else";
                if (c.builtin == detail::op_while) labels[0] = "cond", labels[1] = "body";
                if (!labels[0]) continue;
                std::string name = op_name(c);
                if (!op.outputs.empty() && op.outputs[0] >= 0 && static_cast<std::size_t>(op.outputs[0]) < sg.tensors.size())
                    name = sg.tensors[static_cast<std::size_t>(op.outputs[0])].name;
                for (int k = 1; k >= 0; --k) {  // the first label's subgraph is visited first
                    const auto idx = detail::field<std::int32_t>(op, k, -1);
                    if (idx >= 0) todo.emplace_back(static_cast<std::size_t>(idx), path + op_name(c) + " '" + name + "' " + labels[k] + ": ");
                }
            }
        }
    };
    if (!f.subgraphs.empty()) visit(0, "");
    for (std::size_t g = 1; g < f.subgraphs.size(); ++g)
        if (!seen[g]) visit(g, "subgraph " + std::to_string(g) + ": ");
    return u;
}

namespace detail {
/// A quantized graph output's codes from its real value x: Convert(Clamp(Round(x / scale) +
/// zero_point)) to the tensor's integer type (TFLite rounds half away from zero). The tensor's name
/// moves from x's port to the codes.
inline output_ref requantized(context& ctx, output_ref x, const tensor_info& t) {
    const activation_grid q = grid_of(t);
    auto& names = ctx.model().at(x.node).outputs.at(x.port).names;
    names.erase(std::remove(names.begin(), names.end(), t.name), names.end());
    const auto et = to_element_type(t.type);
    const std::string n = "/" + t.name + "/quantize";
    const output_ref s = ctx.constant(tensor::from_vector(std::vector<float>{q.scale}, shape{1}), n + "/scale");
    const output_ref z = ctx.constant(tensor::from_vector(std::vector<float>{static_cast<float>(q.zero_point)}, shape{1}), n + "/zero_point");
    const output_ref r = ctx.add<moir::ops::round>({moir::ops::round_mode::half_away_from_zero},
                                                   {ctx.add<moir::ops::divide>({}, {x, s}, n + "/scaled")}, n + "/round");
    const output_ref cl = ctx.add<moir::ops::clamp>({q.qmin, q.qmax}, {ctx.add<moir::ops::add>({}, {r, z}, n + "/shifted")}, n + "/clamp");
    return ctx.add<moir::ops::convert>({*et}, {cl}, n);
}

/// Whether input i of node n is read by one of moir's INT8 step families: the data input of a
/// (Group)Convolution, ConvolutionBackpropData or MatMul whose weights are a Multiply (quantized
/// weights: Const i8 -> Convert -> Multiply by the scales).
inline bool int8_consumer(const model& m, node_id n, std::size_t i) {
    const node& c = m.at(n);
    if (i != 0 || c.inputs.size() < 2) return false;
    if (!c.is<moir::ops::convolution>() && !c.is<moir::ops::group_convolution>() &&
        !c.is<moir::ops::convolution_backprop_data>() && !c.is<moir::ops::matmul>())
        return false;
    return m.at(c.inputs[1].node).is<moir::ops::multiply>();
}

/// A FakeQuantize read both by layers with quantized weights and by other ops becomes two: the
/// layers keep it (moir's INT8 families take a FakeQuantize only when every consumer is theirs),
/// the other ops read a copy (computed in f32, the same values).
inline void split_fake_quantizes(model& m) {
    const std::size_t count = m.nodes.size();
    for (node_id id = 0; id < count; ++id) {
        if (!m.at(id).is<moir::ops::fake_quantize>()) continue;
        const auto readers = m.consumers({id, 0});
        std::size_t int8 = 0;
        for (const auto& [n, i] : readers) int8 += int8_consumer(m, n, i) ? 1 : 0;
        if (int8 == 0 || int8 == readers.size()) continue;
        node copy = m.at(id);
        copy.name += "/f32";
        for (auto& o : copy.outputs) o.names.clear();
        const node_id c = m.add_node(std::move(copy));
        m.infer_node(c);
        for (const auto& [n, i] : readers)
            if (!int8_consumer(m, n, i)) m.at(n).inputs[i] = {c, 0};
    }
}

/// A zero Pad of the spatial axes (NCHW, rank 4) feeding a (Group)Convolution's data input only
/// (Keras' ZeroPadding2D before a VALID stride-2 convolution, as MediaPipe's pose and full-range
/// face models have it) becomes the convolution's own explicit padding: the Pad no longer runs.
template <class Op>
void fold_pad_into(model& m, node_id id) {
    node& conv = m.at(id);
    if (!conv.is<Op>() || conv.inputs.size() < 2) return;
    const output_ref x = conv.inputs[0];
    const node& pad = m.at(x.node);
    if (!pad.is<moir::ops::pad>() || pad.attrs_as<moir::ops::pad>().pad_mode != moir::ops::pad_mode::constant) return;
    if (m.consumers(x).size() != 1) return;
    const auto value_of = [&](std::size_t i) -> const tensor* {
        const node& c = m.at(pad.inputs[i].node);
        return c.is<moir::ops::constant>() ? &c.attrs_as<moir::ops::constant>().value : nullptr;
    };
    const tensor* b = value_of(1);
    const tensor* e = value_of(2);
    if (!b || !e || b->numel() != 4 || e->numel() != 4 || m.port(x).shape.rank_dynamic || m.port(x).shape.rank() != 4) return;
    if (pad.inputs.size() > 3) {
        const tensor* v = value_of(3);
        if (!v || v->numel() != 1 || v->at_as<double>(0) != 0.0) return;
    }
    const auto pb = b->to_vector<std::int64_t>(), pe = e->to_vector<std::int64_t>();
    if (pb[0] || pb[1] || pe[0] || pe[1]) return;
    for (std::size_t i = 2; i < 4; ++i)
        if (pb[i] < 0 || pe[i] < 0) return;
    auto& a = conv.attrs_as<Op>();
    if (a.auto_pad != moir::ops::pad_type::valid && a.auto_pad != moir::ops::pad_type::explicit_) return;
    std::vector<std::int64_t> nb(2, 0), ne(2, 0);
    for (std::size_t i = 0; i < 2; ++i) {
        const bool explicit_pads = a.auto_pad == moir::ops::pad_type::explicit_;
        nb[i] = pb[2 + i] + (explicit_pads && i < a.pads_begin.size() ? a.pads_begin[i] : 0);
        ne[i] = pe[2 + i] + (explicit_pads && i < a.pads_end.size() ? a.pads_end[i] : 0);
    }
    a.pads_begin = nb;
    a.pads_end = ne;
    a.auto_pad = moir::ops::pad_type::explicit_;
    conv.inputs[0] = pad.inputs[0];
    m.infer_node(id);
}

inline void fold_pads(model& m) {
    for (node_id id = 0; id < m.nodes.size(); ++id) {
        fold_pad_into<moir::ops::convolution>(m, id);
        fold_pad_into<moir::ops::group_convolution>(m, id);
    }
}

/// Converts subgraph `index` of f into m: its inputs become Parameters (with opt's overrides), its
/// operators nodes, its outputs Results. IF/WHILE operators convert their subgraphs through this
/// same function, one level down (a subgraph reached again through itself is an error).
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
        if (is_quantized(t)) {  // a quantized input: its real value, (Convert(x) - zero_point) * scale, on its grid
            operator_info none;
            none.outputs = {ti};
            context ctx(st, none, "input");
            try {
                const activation_grid q = grid_of(t);
                const output_ref x = ctx.add<moir::ops::convert>({element_type::f32}, {p}, "/dequantize/to_f32");
                const output_ref z = ctx.constant(tensor::from_vector(std::vector<float>{static_cast<float>(q.zero_point)}, shape{1}),
                                                  "/dequantize/zero_point");
                const output_ref s = ctx.constant(tensor::from_vector(std::vector<float>{q.scale}, shape{1}), "/dequantize/scale");
                st.values[static_cast<std::size_t>(ti)] =
                    ctx.add<moir::ops::multiply>({}, {ctx.add<moir::ops::subtract>({}, {x, z}, "/dequantize/centered"), s}, "/dequantize");
                // on the grid (exactly: the codes are its points), so that the INT8 families take the first layers
                ctx.quantize_tensor(ti, false);
            } catch (const std::exception& e) {
                throw error(source + ": input '" + t.name + "': " + e.what());
            }
        }
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
            for (std::size_t i = 0; i < op.outputs.size(); ++i) ctx.quantize_output(i);
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
        const tensor_info& t = sg.tensors[k];
        try {
            src = ctx.value(ti);
            if (is_quantized(t) && !st.consts[k] && m.port(src).type == element_type::f32)
                src = requantized(ctx, src, t);
        } catch (const std::exception& e) {
            throw error(source + ": output '" + t.name + "': " + e.what());
        }
        b.bind(t.name, src);
        b.add_result(t.name);
    }
    b.finish();
    fold_pads(m);
    split_fake_quantizes(m);
    m.remove_dead();
    stack.pop_back();
}
}  // namespace detail

/// Converts a decoded .tflite model: subgraph 0, with the subgraphs its IF and WHILE operators run as bodies.
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
MOIR_DETAIL_FRONTEND_EXTERN template model load<void>(const std::string&, const load_options&);
#endif

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_TFLITE_HPP
