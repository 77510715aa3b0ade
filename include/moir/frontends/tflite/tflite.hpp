#ifndef MOIR_FRONTENDS_TFLITE_TFLITE_HPP
#define MOIR_FRONTENDS_TFLITE_TFLITE_HPP

// The TFLite frontend: moir::tflite::load(path) reads a .tflite file (flatbuffer schema v3) and
// returns a moir::model whose inputs and outputs keep the file's NHWC layout. The main subgraph
// (subgraph 0) is converted; models whose main subgraph uses control flow (IF, WHILE, CALL_ONCE)
// are refused with the list of unsupported ops. Opt-in: not included by <moir/moir.hpp>.

#include <moir/core/model.hpp>
#include <moir/frontends/tflite/converter.hpp>
#include <moir/frontends/tflite/model_reader.hpp>
#include <moir/frontends/tflite/ops/elementwise.hpp>
#include <moir/frontends/tflite/ops/nn.hpp>
#include <moir/frontends/tflite/ops/quantization.hpp>
#include <moir/frontends/tflite/ops/tensor.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

#include <map>      // map
#include <string>   // string
#include <vector>   // vector

namespace moir::tflite {

/// The schema's name of a builtin op code ("CONV_2D"), or "BUILTIN_<n>".
inline std::string builtin_name(std::int32_t code) {
    static const char* const names[] = {
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE",
        "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED", "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D",
        "LOCAL_RESPONSE_NORMALIZATION", "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU",
        "RELU_N1_TO_1", "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF", "TANH",
        "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE", "PAD",
        "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB",
        "DIV", "SQUEEZE", "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
        "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST", "PRELU", "MAXIMUM",
        "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER", "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN",
        "TRANSPOSE_CONV", "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT", "RSQRT",
        "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK", "LOGICAL_OR", "ONE_HOT",
        "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN", "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL",
        "FLOOR_MOD", "RANGE", "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
        "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK", "ELU",
        "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND", "HARD_SWISH", "IF", "WHILE",
        "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5", "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM",
        "BATCH_MATMUL", "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D", "CONV_3D",
        "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND", "HASHTABLE_IMPORT", "HASHTABLE_SIZE",
        "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS",
        "RANDOM_STANDARD_NORMAL", "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
        "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM", "ATAN2",
        "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT"};
    constexpr std::int32_t count = static_cast<std::int32_t>(sizeof(names) / sizeof(names[0]));
    return code >= 0 && code < count ? names[code] : "BUILTIN_" + std::to_string(code);
}

/// An operator code's display name: the builtin's name, or the custom code.
inline std::string op_name(const operator_code& c) {
    return c.builtin == 32 ? c.custom_code + " (custom)" : builtin_name(c.builtin);
}

namespace detail {
template <class = void>
const op_table& default_table_impl() {
    static const op_table table = [] {
        op_table t;
        register_elementwise(t);
        register_nn(t);
        register_tensor(t);
        register_quantization(t);
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
inline const op_table& default_table() { return detail::default_table_impl<>(); }

/// How to read a model.
struct load_options {
    /// Input shapes by input name / by position; override the file's (must agree with its static dims).
    std::map<std::string, partial_shape> input_shapes;
    std::vector<partial_shape> input_shapes_by_position;
    /// The converters to use; default_table() when null.
    const op_table* table = nullptr;
};

/// Lists every op of subgraph 0 that `table` cannot convert, with counts ("IF (1 node), ..."), or "".
inline std::string unsupported_ops(const model_file& f, const op_table& table) {
    std::map<std::string, std::size_t> missing;
    for (const auto& op : f.subgraphs[0].operators) {
        if (op.opcode_index >= f.operator_codes.size()) continue;
        const operator_code& c = f.operator_codes[op.opcode_index];
        if (!table.find(c)) missing[op_name(c)]++;
    }
    std::string s;
    for (const auto& [op, n] : missing)
        s += (s.empty() ? "" : ", ") + op + " (" + std::to_string(n) + (n == 1 ? " node)" : " nodes)");
    return s;
}

/// Converts a decoded .tflite model.
/// ensures: a validated model with one Parameter per subgraph input and one Result per output (NHWC,
/// as the file); throws moir::unsupported_error listing every unsupported op with its count, or
/// moir::error "<source>: node 'N' (OP): reason" for the first operator that fails.
inline model convert(const model_file& f, const load_options& opt = {}) {
    const std::string& source = f.source();
    const op_table& table = opt.table ? *opt.table : default_table();
    const subgraph& sg = f.subgraphs[0];
    for (std::size_t i = 0; i < sg.operators.size(); ++i)
        MOIR_CHECK(sg.operators[i].opcode_index < f.operator_codes.size(), parse_error,
                   source + ": operator " + std::to_string(i) + " has opcode index " +
                       std::to_string(sg.operators[i].opcode_index) + " of " + std::to_string(f.operator_codes.size()));
    const std::string missing = unsupported_ops(f, table);
    MOIR_CHECK(missing.empty(), unsupported_error, source + ": unsupported TFLite ops: " + missing);

    model m;
    m.name = detail::file_stem(source);
    graph_state st;
    st.m = &m;
    st.file = &f;
    st.sg = &sg;
    st.source = source;
    st.values.resize(sg.tensors.size());
    st.nchw.resize(sg.tensors.size());
    st.consts.resize(sg.tensors.size());
    const auto tensor_index = [&](std::int32_t t, const char* what) {
        MOIR_CHECK(t >= 0 && static_cast<std::size_t>(t) < sg.tensors.size(), parse_error,
                   source + ": " + what + " tensor index " + std::to_string(t) + " out of range");
        return static_cast<std::size_t>(t);
    };

    std::size_t position = 0;
    for (std::int32_t ti : sg.inputs) {
        const tensor_info& t = sg.tensors[tensor_index(ti, "input")];
        const std::string where = source + ": input '" + t.name + "'";
        const auto et = to_element_type(t.type);
        MOIR_CHECK(et, unsupported_error, where + " has unsupported type " + type_name(t.type));
        partial_shape shp(std::vector<std::int64_t>{});
        for (std::size_t i = 0; i < t.shape.size(); ++i) {
            const bool dyn = i < t.shape_signature.size() && t.shape_signature[i] < 0;
            shp.dims.push_back(dyn || t.shape[i] < 0 ? dynamic_dim : t.shape[i]);
        }
        const auto named = opt.input_shapes.find(t.name);
        const bool by_pos = named == opt.input_shapes.end() && position < opt.input_shapes_by_position.size();
        if (named != opt.input_shapes.end() || by_pos) {
            const partial_shape& o = named != opt.input_shapes.end() ? named->second : opt.input_shapes_by_position[position];
            if (!o.rank_dynamic) {
                MOIR_CHECK(o.rank() == shp.rank(), shape_error,
                           where + ": --input_shape " + o.str() + " has rank " + std::to_string(o.rank()) +
                               ", the model's input has rank " + std::to_string(shp.rank()));
                for (std::size_t i = 0; i < o.rank(); ++i)
                    MOIR_CHECK(shp.dims[i] < 0 || o.dims[i] < 0 || shp.dims[i] == o.dims[i], shape_error,
                               where + ": --input_shape " + o.str() + " conflicts with dim " + std::to_string(i) + " = " +
                                   std::to_string(shp.dims[i]));
            }
            shp = o;
        } else {
            // a dynamic dim (shape_signature -1) takes the size the file's `shape` gives it, as TFLite does
            for (std::size_t i = 0; i < shp.dims.size(); ++i)
                if (shp.dims[i] < 0 && t.shape[i] > 0) shp.dims[i] = t.shape[i];
        }
        ++position;
        const node_id id = m.add<moir::ops::parameter>({*et, shp}, {}, t.name);
        m.infer_node(id);
        m.at(id).outputs[0].names.push_back(t.name);
        m.parameters.push_back(id);
        st.values[static_cast<std::size_t>(ti)] = output_ref{id, 0};
    }
    MOIR_CHECK(opt.input_shapes_by_position.size() <= position, error,
               source + ": " + std::to_string(opt.input_shapes_by_position.size()) + " input shapes given, the model has " +
                   std::to_string(position) + " inputs");
    for (const auto& [name, s] : opt.input_shapes) {
        bool found = false;
        for (auto p : m.parameters) found = found || m.at(p).name == name;
        MOIR_CHECK(found, error, source + ": --input_shape names '" + name + "', which is not an input of the model");
    }

    for (const auto& op : sg.operators) {
        const operator_code& code = f.operator_codes[op.opcode_index];
        const std::string oname = op_name(code);
        context ctx(st, op, oname);
        std::string node_name;
        try {
            node_name = ctx.name();
            for (auto t : op.inputs) if (t >= 0) tensor_index(t, "operator input");
            for (auto t : op.outputs) tensor_index(t, "operator output");
            (*table.find(code))(ctx);
        } catch (const std::exception& e) {
            throw error(source + ": node '" + node_name + "' (" + oname + "): " + e.what());
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
        const output_ref src = ctx.value(ti);
        const node_id r = m.add<moir::ops::result>({}, {src}, sg.tensors[k].name);
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

/// Reads and converts a .tflite file. ensures: as convert(); parse errors name the file and byte.
inline model load(const std::string& path, const load_options& opt = {}) { return convert(read_model_file(path), opt); }

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_TFLITE_HPP
