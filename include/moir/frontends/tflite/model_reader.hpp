#ifndef MOIR_FRONTENDS_TFLITE_MODEL_READER_HPP
#define MOIR_FRONTENDS_TFLITE_MODEL_READER_HPP

// moir::tflite::read_model(bytes, source): the TFLite flatbuffer (schema v3, "TFL3") decoded into
// plain structs: Model, OperatorCode, SubGraph, Tensor (with QuantizationParameters and
// SparsityParameters), Buffer (a checked view of the file's bytes, also beyond the flatbuffer for
// >2 GB models) and Operator (its builtin options kept as a checked flatbuffers::table, read by the
// typed option structs at the end of this file). Every offset is checked (common/flatbuffer.hpp):
// a corrupt file throws moir::parse_error naming the file and the byte.

#include <moir/core/errors.hpp>
#include <moir/frontends/common/flatbuffer.hpp>

#include <algorithm>  // max
#include <cstddef>    // size_t
#include <cstdint>    // int8_t, int32_t, int64_t, uint8_t, uint32_t, uint64_t
#include <fstream>    // ifstream
#include <iterator>   // istreambuf_iterator
#include <memory>     // shared_ptr, make_shared
#include <optional>   // optional
#include <string>     // string, to_string
#include <vector>     // vector

namespace moir::tflite {

/// TensorType of the schema.
enum class tensor_type : std::int8_t {
    float32 = 0, float16 = 1, int32 = 2, uint8 = 3, int64 = 4, string = 5, boolean = 6, int16 = 7, complex64 = 8,
    int8 = 9, float64 = 10, complex128 = 11, uint64 = 12, resource = 13, variant = 14, uint32 = 15, uint16 = 16, int4 = 17
};

/// The schema's name of a tensor type ("FLOAT32", ...), or "type N".
inline std::string type_name(tensor_type t) {
    static const char* names[] = {"FLOAT32", "FLOAT16",  "INT32",      "UINT8",  "INT64",    "STRING",
                                  "BOOL",    "INT16",    "COMPLEX64",  "INT8",   "FLOAT64",  "COMPLEX128",
                                  "UINT64",  "RESOURCE", "VARIANT",    "UINT32", "UINT16",   "INT4"};
    const int i = static_cast<int>(t);
    return i >= 0 && i < 18 ? names[i] : "type " + std::to_string(i);
}

/// Asymmetric linear quantization: real = scale * (q - zero_point), per tensor or per channel of
/// quantized_dimension. has_custom_details: a QuantizationDetails union is set (then moir refuses).
struct quantization_parameters {
    std::vector<float> min, max, scale;
    std::vector<std::int64_t> zero_point;
    std::int32_t quantized_dimension = 0;
    bool has_custom_details = false;
};

/// DimensionMetadata of a sparse tensor: DENSE (dense_size) or SPARSE_CSR (segments + indices).
struct dimension_metadata {
    bool sparse_csr = false;
    std::int32_t dense_size = 0;
    std::vector<std::int32_t> array_segments, array_indices;
};

/// SparsityParameters (TACO-style): traversal order, block map, one metadata per traversed dim.
struct sparsity_parameters {
    std::vector<std::int32_t> traversal_order, block_map;
    std::vector<dimension_metadata> dim_metadata;
};

/// One Tensor of a subgraph.
struct tensor_info {
    std::vector<std::int32_t> shape, shape_signature;
    tensor_type type = tensor_type::float32;
    std::uint32_t buffer = 0;
    std::string name;
    std::optional<quantization_parameters> quantization;
    std::optional<sparsity_parameters> sparsity;
    bool is_variable = false;
};

/// A Buffer: `size` bytes at absolute offset `offset` of the file (size 0: no data).
struct buffer_info {
    std::size_t offset = 0;
    std::size_t size = 0;
};

/// An OperatorCode. builtin is the effective code: max(deprecated_builtin_code, builtin_code), as
/// the schema's 3a revision defines it.
struct operator_code {
    std::int32_t builtin = 0;
    std::int8_t deprecated_builtin_code = 0;
    std::int32_t builtin_code = 0;
    std::string custom_code;
    std::int32_t version = 1;
};

/// An Operator. Inputs -1 are absent optional inputs.
struct operator_info {
    std::uint32_t opcode_index = 0;
    std::vector<std::int32_t> inputs, outputs, intermediates;
    std::uint8_t builtin_options_type = 0;
    std::optional<flatbuffers::table> builtin_options;
    std::uint8_t builtin_options_2_type = 0;
    std::optional<flatbuffers::table> builtin_options_2;
    std::size_t custom_options_offset = 0, custom_options_size = 0;  ///< absolute, in the file
    std::size_t offset = 0;  ///< where the operator's table sits (for errors)
};

/// A SubGraph.
struct subgraph {
    std::vector<tensor_info> tensors;
    std::vector<std::int32_t> inputs, outputs;
    std::vector<operator_info> operators;
    std::string name;
};

/// A decoded .tflite file. Owns its bytes (shared: the operators' option tables point into them).
struct model_file {
    std::shared_ptr<const flatbuffers::buffer> bytes;
    std::uint32_t version = 0;
    std::vector<operator_code> operator_codes;
    std::vector<subgraph> subgraphs;
    std::string description;
    std::vector<buffer_info> buffers;

    const std::string& source() const { return bytes->source(); }
    /// The bytes of buffer b (nullptr, 0 when empty). throws parse_error when b is out of range.
    const std::uint8_t* buffer_data(std::uint32_t b, std::size_t& size) const {
        if (b >= buffers.size())
            throw parse_error(source() + ": buffer index " + std::to_string(b) + " out of range (" +
                              std::to_string(buffers.size()) + " buffers)");
        size = buffers[b].size;
        return size ? bytes->data() + buffers[b].offset : nullptr;
    }
};

namespace detail {

inline std::vector<std::int32_t> sparse_index_vector(const flatbuffers::table& dm, int type_id, int value_id) {
    const auto kind = dm.scalar<std::uint8_t>(type_id, 0);
    const auto t = dm.sub_table(value_id, "sparse index vector");
    if (kind == 0 || !t) return {};
    switch (kind) {
        case 1: return t->scalars<std::int32_t>(0, "Int32Vector values");
        case 2: return t->scalars<std::uint16_t, std::int32_t>(0, "Uint16Vector values");
        case 3: return t->scalars<std::uint8_t, std::int32_t>(0, "Uint8Vector values");
        default: dm.buf().fail(dm.offset(), "unknown SparseIndexVector type " + std::to_string(kind));
    }
}

inline tensor_info read_tensor(const flatbuffers::table& t) {
    tensor_info r;
    r.shape = t.scalars<std::int32_t>(0, "Tensor.shape");
    r.type = static_cast<tensor_type>(t.scalar<std::int8_t>(1, 0));
    r.buffer = t.scalar<std::uint32_t>(2, 0);
    r.name = t.string(3);
    if (auto q = t.sub_table(4, "QuantizationParameters")) {
        quantization_parameters p;
        p.min = q->scalars<float>(0, "QuantizationParameters.min");
        p.max = q->scalars<float>(1, "QuantizationParameters.max");
        p.scale = q->scalars<float>(2, "QuantizationParameters.scale");
        p.zero_point = q->scalars<std::int64_t>(3, "QuantizationParameters.zero_point");
        p.has_custom_details = q->scalar<std::uint8_t>(4, 0) != 0;
        p.quantized_dimension = q->scalar<std::int32_t>(6, 0);
        r.quantization = std::move(p);
    }
    r.is_variable = t.scalar<bool>(5, false);
    if (auto s = t.sub_table(6, "SparsityParameters")) {
        sparsity_parameters p;
        p.traversal_order = s->scalars<std::int32_t>(0, "SparsityParameters.traversal_order");
        p.block_map = s->scalars<std::int32_t>(1, "SparsityParameters.block_map");
        for (std::size_t i = 0, n = s->table_count(2, "SparsityParameters.dim_metadata"); i < n; ++i) {
            const flatbuffers::table dm = s->table_at(2, i, "DimensionMetadata");
            dimension_metadata d;
            d.sparse_csr = dm.scalar<std::int8_t>(0, 0) == 1;
            d.dense_size = dm.scalar<std::int32_t>(1, 0);
            d.array_segments = sparse_index_vector(dm, 2, 3);
            d.array_indices = sparse_index_vector(dm, 4, 5);
            p.dim_metadata.push_back(std::move(d));
        }
        r.sparsity = std::move(p);
    }
    r.shape_signature = t.scalars<std::int32_t>(7, "Tensor.shape_signature");
    return r;
}

inline operator_info read_operator(const flatbuffers::table& t) {
    operator_info r;
    r.offset = t.offset();
    r.opcode_index = t.scalar<std::uint32_t>(0, 0);
    r.inputs = t.scalars<std::int32_t>(1, "Operator.inputs");
    r.outputs = t.scalars<std::int32_t>(2, "Operator.outputs");
    r.builtin_options_type = t.scalar<std::uint8_t>(3, 0);
    if (r.builtin_options_type) r.builtin_options = t.sub_table(4, "builtin_options");
    const flatbuffers::vector_ref co = t.vector(5, 1, "Operator.custom_options");
    r.custom_options_offset = co.data;
    r.custom_options_size = co.count;
    r.intermediates = t.scalars<std::int32_t>(8, "Operator.intermediates");
    const auto large_off = t.scalar<std::uint64_t>(9, 0), large_size = t.scalar<std::uint64_t>(10, 0);
    if (large_off > 1) {
        t.buf().check(large_off, large_size, "large custom options");
        r.custom_options_offset = static_cast<std::size_t>(large_off);
        r.custom_options_size = static_cast<std::size_t>(large_size);
    }
    r.builtin_options_2_type = t.scalar<std::uint8_t>(11, 0);
    if (r.builtin_options_2_type) r.builtin_options_2 = t.sub_table(12, "builtin_options_2");
    return r;
}

}  // namespace detail

/// Decodes a .tflite file's bytes. `source` names the file in errors.
/// ensures: every index the structs hold was read, not yet checked against the other tables
/// (tensor indices, opcode indices and buffer indices are checked by the converter where used).
inline model_file read_model(std::vector<std::uint8_t> bytes, const std::string& source) {
    model_file m;
    auto buf = std::make_shared<const flatbuffers::buffer>(std::move(bytes), source);
    m.bytes = buf;
    const flatbuffers::buffer& b = *buf;
    if (b.size() < 8) b.fail(0, "file too short for a TFLite model (" + std::to_string(b.size()) + " bytes)");
    if (b.identifier() != "TFL3")
        b.fail(4, "not a TFLite model: file identifier '" + b.identifier() + "', expected 'TFL3'");
    const flatbuffers::table root = b.root();
    m.version = root.scalar<std::uint32_t>(0, 0);
    if (m.version != 3) b.fail(root.offset(), "TFLite schema version " + std::to_string(m.version) + " (moir reads 3)");
    for (std::size_t i = 0, n = root.table_count(1, "Model.operator_codes"); i < n; ++i) {
        const flatbuffers::table t = root.table_at(1, i, "OperatorCode");
        operator_code c;
        c.deprecated_builtin_code = t.scalar<std::int8_t>(0, 0);
        c.custom_code = t.string(1);
        c.version = t.scalar<std::int32_t>(2, 1);
        c.builtin_code = t.scalar<std::int32_t>(3, 0);
        c.builtin = std::max<std::int32_t>(c.builtin_code, c.deprecated_builtin_code);
        m.operator_codes.push_back(std::move(c));
    }
    for (std::size_t i = 0, n = root.table_count(2, "Model.subgraphs"); i < n; ++i) {
        const flatbuffers::table t = root.table_at(2, i, "SubGraph");
        subgraph s;
        for (std::size_t k = 0, nt = t.table_count(0, "SubGraph.tensors"); k < nt; ++k)
            s.tensors.push_back(detail::read_tensor(t.table_at(0, k, "Tensor")));
        s.inputs = t.scalars<std::int32_t>(1, "SubGraph.inputs");
        s.outputs = t.scalars<std::int32_t>(2, "SubGraph.outputs");
        for (std::size_t k = 0, no = t.table_count(3, "SubGraph.operators"); k < no; ++k)
            s.operators.push_back(detail::read_operator(t.table_at(3, k, "Operator")));
        s.name = t.string(4);
        m.subgraphs.push_back(std::move(s));
    }
    m.description = root.string(3);
    for (std::size_t i = 0, n = root.table_count(4, "Model.buffers"); i < n; ++i) {
        const flatbuffers::table t = root.table_at(4, i, "Buffer");
        buffer_info bi;
        const flatbuffers::vector_ref v = t.vector(0, 1, "Buffer.data");
        bi.offset = v.data;
        bi.size = v.count;
        const auto off = t.scalar<std::uint64_t>(1, 0), size = t.scalar<std::uint64_t>(2, 0);
        if (off > 1) {  // data beyond the flatbuffer (models over 2 GB)
            b.check(off, size, "Buffer data");
            bi.offset = static_cast<std::size_t>(off);
            bi.size = static_cast<std::size_t>(size);
        }
        m.buffers.push_back(bi);
    }
    if (m.subgraphs.empty()) b.fail(root.offset(), "the model has no subgraph");
    return m;
}

/// Reads and decodes a .tflite file. throws parse_error when it cannot be read or decoded.
inline model_file read_model_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, parse_error, path + ": cannot open the file");
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return read_model(std::move(bytes), path);
}

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

// ---- builtin options: one struct per options table the converter reads (field ids of schema.fbs) ----

/// ActivationFunctionType.
enum class activation : std::int8_t { none = 0, relu = 1, relu_n1_to_1 = 2, relu6 = 3, tanh = 4, sign_bit = 5 };

/// Padding: SAME (0) or VALID (1).
enum class padding : std::int8_t { same = 0, valid = 1 };

namespace detail {
inline const flatbuffers::table* opts(const operator_info& op) { return op.builtin_options ? &*op.builtin_options : nullptr; }
template <class T>
T field(const operator_info& op, int id, T def) {
    const auto* t = opts(op);
    return t ? t->scalar<T>(id, def) : def;
}
}  // namespace detail

/// Conv2DOptions (CONV_2D) and DepthwiseConv2DOptions (DEPTHWISE_CONV_2D, which puts
/// depth_multiplier at id 3 and shifts the rest by one).
struct conv_options {
    padding pad = padding::same;
    std::int32_t stride_w = 1, stride_h = 1, dilation_w = 1, dilation_h = 1, depth_multiplier = 1;
    activation act = activation::none;
    static conv_options read(const operator_info& op, bool depthwise) {
        conv_options o;
        o.pad = static_cast<padding>(detail::field<std::int8_t>(op, 0, 0));
        o.stride_w = detail::field<std::int32_t>(op, 1, 1);
        o.stride_h = detail::field<std::int32_t>(op, 2, 1);
        const int k = depthwise ? 1 : 0;
        if (depthwise) o.depth_multiplier = detail::field<std::int32_t>(op, 3, 1);
        o.act = static_cast<activation>(detail::field<std::int8_t>(op, 3 + k, 0));
        o.dilation_w = detail::field<std::int32_t>(op, 4 + k, 1);
        o.dilation_h = detail::field<std::int32_t>(op, 5 + k, 1);
        return o;
    }
};

/// Pool2DOptions.
struct pool_options {
    padding pad = padding::same;
    std::int32_t stride_w = 1, stride_h = 1, filter_w = 1, filter_h = 1;
    activation act = activation::none;
    static pool_options read(const operator_info& op) {
        pool_options o;
        o.pad = static_cast<padding>(detail::field<std::int8_t>(op, 0, 0));
        o.stride_w = detail::field<std::int32_t>(op, 1, 1);
        o.stride_h = detail::field<std::int32_t>(op, 2, 1);
        o.filter_w = detail::field<std::int32_t>(op, 3, 1);
        o.filter_h = detail::field<std::int32_t>(op, 4, 1);
        o.act = static_cast<activation>(detail::field<std::int8_t>(op, 5, 0));
        return o;
    }
};

/// TransposeConvOptions.
struct transpose_conv_options {
    padding pad = padding::same;
    std::int32_t stride_w = 1, stride_h = 1;
    activation act = activation::none;
    static transpose_conv_options read(const operator_info& op) {
        transpose_conv_options o;
        o.pad = static_cast<padding>(detail::field<std::int8_t>(op, 0, 0));
        o.stride_w = detail::field<std::int32_t>(op, 1, 1);
        o.stride_h = detail::field<std::int32_t>(op, 2, 1);
        o.act = static_cast<activation>(detail::field<std::int8_t>(op, 3, 0));
        return o;
    }
};

/// The fused activation of ADD/SUB/MUL/DIV (field 0) and CONCATENATION (field 1).
inline activation fused_activation(const operator_info& op, int id = 0) {
    return static_cast<activation>(detail::field<std::int8_t>(op, id, 0));
}

/// FullyConnectedOptions.
struct fully_connected_options {
    activation act = activation::none;
    std::int8_t weights_format = 0;
    bool keep_num_dims = false;
    static fully_connected_options read(const operator_info& op) {
        return {static_cast<activation>(detail::field<std::int8_t>(op, 0, 0)), detail::field<std::int8_t>(op, 1, 0),
                detail::field<bool>(op, 2, false)};
    }
};

/// StridedSliceOptions.
struct strided_slice_options {
    std::int32_t begin_mask = 0, end_mask = 0, ellipsis_mask = 0, new_axis_mask = 0, shrink_axis_mask = 0;
    bool offset = false;
    static strided_slice_options read(const operator_info& op) {
        return {detail::field<std::int32_t>(op, 0, 0), detail::field<std::int32_t>(op, 1, 0),
                detail::field<std::int32_t>(op, 2, 0), detail::field<std::int32_t>(op, 3, 0),
                detail::field<std::int32_t>(op, 4, 0), detail::field<bool>(op, 5, false)};
    }
};

/// A vector-of-int field of the options (ReshapeOptions.new_shape, SqueezeOptions.squeeze_dims).
inline std::vector<std::int32_t> option_ints(const operator_info& op, int id) {
    const auto* t = detail::opts(op);
    return t ? t->scalars<std::int32_t>(id, "options vector") : std::vector<std::int32_t>{};
}
/// A scalar field of the options table, `def` when the table or the field is absent.
template <class T>
T option(const operator_info& op, int id, T def) {
    return detail::field<T>(op, id, def);
}

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_MODEL_READER_HPP
