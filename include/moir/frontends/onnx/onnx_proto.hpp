#ifndef MOIR_FRONTENDS_ONNX_ONNX_PROTO_HPP
#define MOIR_FRONTENDS_ONNX_ONNX_PROTO_HPP

// moir::onnx::proto: plain structs mirroring the onnx.proto messages moir reads, their decoders
// (on moir::protobuf::reader, no protoc), and the TensorProto -> moir::tensor conversion.
// Field numbers from onnx.proto are noted beside each member; fields not listed are skipped.

#include <moir/core/element_type.hpp>
#include <moir/core/errors.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/common/protobuf_wire.hpp>
#include <moir/io/files.hpp>
#include <moir/io/paths.hpp>
#include <moir/precision/half.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
#include <cstring>      // memcpy
#include <limits>       // numeric_limits
#include <memory>       // shared_ptr, make_shared
#include <optional>     // optional
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <type_traits>  // is_same_v
#include <utility>      // swap
#include <vector>       // vector

namespace moir::onnx::proto {

/// TensorProto.DataType codes.
enum class tensor_data_type : std::int32_t {
    undefined = 0, float32 = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7,
    string = 8, boolean = 9, float16 = 10, float64 = 11, uint32 = 12, uint64 = 13, complex64 = 14,
    complex128 = 15, bfloat16 = 16, float8e4m3fn = 17, float8e4m3fnuz = 18, float8e5m2 = 19,
    float8e5m2fnuz = 20, uint4 = 21, int4 = 22, float4e2m1 = 23
};

/// The ONNX spelling of a data type code ("FLOAT", "BFLOAT16", ...; "code <n>" when unknown).
inline std::string data_type_name(int onnx_code) {
    static constexpr std::string_view names[] = {
        "UNDEFINED", "FLOAT", "UINT8", "INT8", "UINT16", "INT16", "INT32", "INT64", "STRING", "BOOL",
        "FLOAT16", "DOUBLE", "UINT32", "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN",
        "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4", "FLOAT4E2M1"};
    if (onnx_code >= 0 && onnx_code < static_cast<int>(std::size(names))) return std::string(names[onnx_code]);
    return "code " + std::to_string(onnx_code);
}

/// The moir element type of an ONNX data type code; nullopt for types moir cannot hold
/// (undefined, string, complex, bfloat16, float8, 4-bit, unknown codes).
inline std::optional<element_type> to_element_type(int onnx_code) {
    switch (static_cast<tensor_data_type>(onnx_code)) {
        case tensor_data_type::float32: return element_type::f32;
        case tensor_data_type::uint8: return element_type::u8;
        case tensor_data_type::int8: return element_type::i8;
        case tensor_data_type::uint16: return element_type::u16;
        case tensor_data_type::int16: return element_type::i16;
        case tensor_data_type::int32: return element_type::i32;
        case tensor_data_type::int64: return element_type::i64;
        case tensor_data_type::boolean: return element_type::boolean;
        case tensor_data_type::float16: return element_type::f16;
        case tensor_data_type::float64: return element_type::f64;
        case tensor_data_type::uint32: return element_type::u32;
        case tensor_data_type::uint64: return element_type::u64;
        default: return std::nullopt;
    }
}

/// StringStringEntryProto (external_data, metadata_props).
struct string_string_entry {
    std::string key;    // 1
    std::string value;  // 2
};

/// TensorProto. Exactly one storage is normally used: raw_data, a typed field, or external data.
struct tensor {
    std::vector<std::int64_t> dims;                   // 1
    std::int32_t data_type = 0;                       // 2 (tensor_data_type); segment = 3 is skipped
    std::vector<float> float_data;                    // 4, packed
    std::vector<std::int32_t> int32_data;             // 5, also int8/int16/uint8/uint16/bool/float16 bits
    std::vector<std::string> string_data;             // 6
    std::vector<std::int64_t> int64_data;             // 7
    std::string name;                                 // 8
    std::string raw_data;                             // 9, little-endian bytes
    std::vector<double> double_data;                  // 10
    std::vector<std::uint64_t> uint64_data;           // 11, also uint32
    std::string doc_string;                           // 12
    std::vector<string_string_entry> external_data;   // 13: location, offset, length, checksum
    std::int32_t data_location = 0;                   // 14: 0 DEFAULT, 1 EXTERNAL
};

/// TypeProto's alternatives; callers reject everything but `tensor` with a clear message.
enum class type_kind { none, tensor, sequence, map, sparse_tensor, optional };

/// TensorShapeProto.Dimension: a known extent, a symbolic name, or neither (unknown).
struct dimension {
    bool has_value = false;
    std::int64_t value = 0;  // 1 dim_value
    std::string param;       // 2 dim_param
};

/// TypeProto, tensor part decoded (tensor_type = 1, sparse_tensor_type = 8); sequence_type = 4,
/// map_type = 5 and optional_type = 9 only set `kind`.
struct type_proto {
    type_kind kind = type_kind::none;
    std::int32_t elem_type = 0;     // Tensor.elem_type = 1
    bool has_shape = false;         // Tensor.shape = 2; absent means unknown rank
    std::vector<dimension> shape;   // TensorShapeProto.dim = 1
    std::string denotation;         // 6
};

/// ValueInfoProto.
struct value_info {
    std::string name;        // 1
    type_proto type;         // 2
    std::string doc_string;  // 3
};

struct graph;

/// AttributeProto.AttributeType.
enum class attribute_type : std::int32_t {
    undefined = 0, f = 1, i = 2, s = 3, t = 4, g = 5, floats = 6, ints = 7, strings = 8, tensors = 9,
    graphs = 10, sparse_tensor = 11, sparse_tensors = 12, type_proto = 13, type_protos = 14
};

/// AttributeProto (sparse_tensor = 22, sparse_tensors = 23, tp = 14, type_protos = 15 are skipped;
/// `type` still says so).
struct attribute {
    std::string name;                              // 1
    std::string ref_attr_name;                     // 21 (inside functions)
    std::string doc_string;                        // 13
    attribute_type type = attribute_type::undefined;  // 20
    float f = 0;                                   // 2
    std::int64_t i = 0;                            // 3
    std::string s;                                 // 4, bytes
    std::optional<proto::tensor> t;                // 5
    std::shared_ptr<proto::graph> g;               // 6
    std::vector<float> floats;                     // 7
    std::vector<std::int64_t> ints;                // 8
    std::vector<std::string> strings;              // 9
    std::vector<proto::tensor> tensors;            // 10
    std::vector<std::shared_ptr<proto::graph>> graphs;  // 11
};

/// NodeProto.
struct node {
    std::vector<std::string> input;               // 1
    std::vector<std::string> output;              // 2
    std::string name;                             // 3
    std::string op_type;                          // 4
    std::vector<proto::attribute> attribute;      // 5
    std::string doc_string;                       // 6
    std::string domain;                           // 7
};

/// GraphProto. Sparse initializers are only counted: frontends must reject them.
struct graph {
    std::vector<proto::node> node;                // 1
    std::string name;                             // 2
    std::vector<proto::tensor> initializer;       // 5
    std::string doc_string;                       // 10
    std::vector<proto::value_info> input;         // 11
    std::vector<proto::value_info> output;        // 12
    std::vector<proto::value_info> value_info;    // 13
    std::size_t sparse_initializer_count = 0;     // 15
};

/// OperatorSetIdProto.
struct opset_id {
    std::string domain;         // 1 ("" and "ai.onnx" are the default domain)
    std::int64_t version = 0;   // 2
};

/// FunctionProto (a model-local function).
struct function {
    std::string name;                             // 1
    std::vector<std::string> input;               // 4
    std::vector<std::string> output;              // 5
    std::vector<std::string> attribute;           // 6
    std::vector<proto::node> node;                // 7
    std::string doc_string;                       // 8
    std::vector<opset_id> opset_import;           // 9
    std::string domain;                           // 10
    std::vector<proto::attribute> attribute_proto;  // 11
};

/// ModelProto.
struct model {
    std::int64_t ir_version = 0;                  // 1
    std::string producer_name;                    // 2
    std::string producer_version;                 // 3
    std::string domain;                           // 4
    std::int64_t model_version = 0;               // 5
    std::string doc_string;                       // 6
    bool has_graph = false;
    proto::graph graph;                           // 7
    std::vector<opset_id> opset_import;           // 8
    std::vector<string_string_entry> metadata_props;  // 14
    std::vector<proto::function> functions;       // 25
};

namespace detail {

using protobuf::reader;
using protobuf::tag;

inline void decode(reader& r, string_string_entry& m);
inline void decode(reader& r, tensor& m);
inline void decode(reader& r, type_proto& m);
inline void decode(reader& r, value_info& m);
inline void decode(reader& r, attribute& m);
inline void decode(reader& r, node& m);
inline void decode(reader& r, graph& m);
inline void decode(reader& r, opset_id& m);
inline void decode(reader& r, function& m);
inline void decode(reader& r, model& m);

/// Decodes the embedded message of field `t` as an M.
template <class M>
M read(reader& r, const tag& t) {
    reader sub = r.read_message(t);
    M m;
    decode(sub, m);
    return m;
}

inline void decode(reader& r, string_string_entry& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: m.key = r.read_string(t); break;
            case 2: m.value = r.read_string(t); break;
            default: r.skip(t);
        }
    }
}

inline void decode(reader& r, tensor& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: r.read_repeated_varint(t, m.dims); break;
            case 2: m.data_type = r.read_int32(t); break;
            case 4: r.read_repeated_fixed(t, m.float_data); break;
            case 5: r.read_repeated_varint(t, m.int32_data); break;
            case 6: m.string_data.push_back(r.read_string(t)); break;
            case 7: r.read_repeated_varint(t, m.int64_data); break;
            case 8: m.name = r.read_string(t); break;
            case 9: m.raw_data = r.read_string(t); break;
            case 10: r.read_repeated_fixed(t, m.double_data); break;
            case 11: r.read_repeated_varint(t, m.uint64_data); break;
            case 12: m.doc_string = r.read_string(t); break;
            case 13: m.external_data.push_back(read<string_string_entry>(r, t)); break;
            case 14: m.data_location = r.read_int32(t); break;
            default: r.skip(t);
        }
    }
}

inline void decode_dimension(reader& r, dimension& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1:
                m.value = r.read_int64(t);
                m.has_value = true;
                break;
            case 2: m.param = r.read_string(t); break;
            default: r.skip(t);
        }
    }
}

/// TypeProto.Tensor and TypeProto.SparseTensor share the layout elem_type = 1, shape = 2.
inline void decode_tensor_type(reader& r, type_proto& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: m.elem_type = r.read_int32(t); break;
            case 2: {
                m.has_shape = true;
                m.shape.clear();
                reader shape = r.read_message(t);
                for (tag d; shape.next(d);) {
                    if (d.field != 1) {
                        shape.skip(d);
                        continue;
                    }
                    reader dim = shape.read_message(d);
                    decode_dimension(dim, m.shape.emplace_back());
                }
                break;
            }
            default: r.skip(t);
        }
    }
}

inline void decode(reader& r, type_proto& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1:
            case 8: {
                m.kind = t.field == 1 ? type_kind::tensor : type_kind::sparse_tensor;
                reader sub = r.read_message(t);
                decode_tensor_type(sub, m);
                break;
            }
            case 4:
            case 5:
            case 9:  // element types of sequence/map/optional are not needed: callers reject the kind
                r.read_message(t);
                m.kind = t.field == 4 ? type_kind::sequence : t.field == 5 ? type_kind::map : type_kind::optional;
                break;
            case 6: m.denotation = r.read_string(t); break;
            default: r.skip(t);
        }
    }
}

inline void decode(reader& r, value_info& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: m.name = r.read_string(t); break;
            case 2: m.type = read<type_proto>(r, t); break;
            case 3: m.doc_string = r.read_string(t); break;
            default: r.skip(t);
        }
    }
}

/// Whether an attribute name is an identifier ([A-Za-z_][A-Za-z0-9_]*), as every ONNX attribute is.
inline bool is_attribute_name(std::string_view s) {
    auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
    if (s.empty() || !alpha(s[0])) return false;
    for (char c : s)
        if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
    return true;
}

inline void decode(reader& r, attribute& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: {
                const std::size_t at = r.position();
                m.name = r.read_string(t);
                if (!is_attribute_name(m.name))
                    r.fail("attribute name '" + printable(m.name) + "' is not an identifier (a corrupt file?)", at);
                break;
            }
            case 2: m.f = r.read_float(t); break;
            case 3: m.i = r.read_int64(t); break;
            case 4: m.s = r.read_string(t); break;
            case 5: m.t = read<tensor>(r, t); break;
            case 6: m.g = std::make_shared<graph>(read<graph>(r, t)); break;
            case 7: r.read_repeated_fixed(t, m.floats); break;
            case 8: r.read_repeated_varint(t, m.ints); break;
            case 9: m.strings.push_back(r.read_string(t)); break;
            case 10: m.tensors.push_back(read<tensor>(r, t)); break;
            case 11: m.graphs.push_back(std::make_shared<graph>(read<graph>(r, t))); break;
            case 13: m.doc_string = r.read_string(t); break;
            case 20: m.type = static_cast<attribute_type>(r.read_int32(t)); break;
            case 21: m.ref_attr_name = r.read_string(t); break;
            default: r.skip(t);
        }
    }
}

inline void decode(reader& r, node& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: m.input.push_back(r.read_string(t)); break;
            case 2: m.output.push_back(r.read_string(t)); break;
            case 3: m.name = r.read_string(t); break;
            case 4: m.op_type = r.read_string(t); break;
            case 5: m.attribute.push_back(read<attribute>(r, t)); break;
            case 6: m.doc_string = r.read_string(t); break;
            case 7: m.domain = r.read_string(t); break;
            default: r.skip(t);
        }
    }
}

inline void decode(reader& r, graph& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: m.node.push_back(read<node>(r, t)); break;
            case 2: m.name = r.read_string(t); break;
            case 5: m.initializer.push_back(read<tensor>(r, t)); break;
            case 10: m.doc_string = r.read_string(t); break;
            case 11: m.input.push_back(read<value_info>(r, t)); break;
            case 12: m.output.push_back(read<value_info>(r, t)); break;
            case 13: m.value_info.push_back(read<value_info>(r, t)); break;
            case 15:
                r.read_message(t);
                ++m.sparse_initializer_count;
                break;
            default: r.skip(t);
        }
    }
}

inline void decode(reader& r, opset_id& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: m.domain = r.read_string(t); break;
            case 2: m.version = r.read_int64(t); break;
            default: r.skip(t);
        }
    }
}

inline void decode(reader& r, function& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: m.name = r.read_string(t); break;
            case 4: m.input.push_back(r.read_string(t)); break;
            case 5: m.output.push_back(r.read_string(t)); break;
            case 6: m.attribute.push_back(r.read_string(t)); break;
            case 7: m.node.push_back(read<node>(r, t)); break;
            case 8: m.doc_string = r.read_string(t); break;
            case 9: m.opset_import.push_back(read<opset_id>(r, t)); break;
            case 10: m.domain = r.read_string(t); break;
            case 11: m.attribute_proto.push_back(read<attribute>(r, t)); break;
            default: r.skip(t);
        }
    }
}

inline void decode(reader& r, model& m) {
    for (tag t; r.next(t);) {
        switch (t.field) {
            case 1: m.ir_version = r.read_int64(t); break;
            case 2: m.producer_name = r.read_string(t); break;
            case 3: m.producer_version = r.read_string(t); break;
            case 4: m.domain = r.read_string(t); break;
            case 5: m.model_version = r.read_int64(t); break;
            case 6: m.doc_string = r.read_string(t); break;
            case 7:
                m.graph = read<graph>(r, t);
                m.has_graph = true;
                break;
            case 8: m.opset_import.push_back(read<opset_id>(r, t)); break;
            case 14: m.metadata_props.push_back(read<string_string_entry>(r, t)); break;
            case 25: m.functions.push_back(read<function>(r, t)); break;
            default: r.skip(t);
        }
    }
}

/// The whole file as bytes. ensures: throws moir::error naming the path when it is missing, not a
/// regular file, larger than io::default_max_file_bytes or unreadable.
inline std::string read_file(const std::string& path) { return io::read_file(path); }

inline std::string dims_string(const std::vector<std::int64_t>& dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? "," : "") + std::to_string(dims[i]);
    return s + "]";
}

/// A non-negative decimal integer (external data offset/length).
inline std::uint64_t parse_u64(const std::string& text, const std::string& what) {
    MOIR_CHECK(!text.empty(), parse_error, what + " is empty");
    std::uint64_t v = 0;
    for (char c : text) {
        MOIR_CHECK(c >= '0' && c <= '9', parse_error, what + " '" + printable(text) + "' is not a non-negative integer");
        const auto digit = static_cast<std::uint64_t>(c - '0');
        MOIR_CHECK(v <= (std::numeric_limits<std::uint64_t>::max() - digit) / 10, parse_error,
                   what + " '" + printable(text) + "' is too large");
        v = v * 10 + digit;
    }
    return v;
}

/// base_dir/location. ensures: throws parse_error for absolute locations and `..` components.
inline std::string external_path(const std::string& base_dir, const std::string& location, const std::string& what) {
    MOIR_CHECK(!location.empty(), parse_error, what + ": external data has no location");
    const bool absolute = location[0] == '/' || location[0] == '\\' || (location.size() > 1 && location[1] == ':');
    MOIR_CHECK(!absolute, parse_error, what + ": external data location '" + printable(location) + "' is absolute");
    MOIR_CHECK(location.find('\0') == std::string::npos, parse_error, what + ": external data location has a NUL byte");
    for (std::size_t begin = 0; begin <= location.size();) {
        std::size_t end = location.find_first_of("/\\", begin);
        if (end == std::string::npos) end = location.size();
        MOIR_CHECK(location.compare(begin, end - begin, "..") != 0, parse_error,
                   what + ": external data location '" + printable(location) + "' leaves the model directory");
        begin = end + 1;
    }
    return base_dir.empty() ? location : base_dir + "/" + location;
}

inline bool host_is_little_endian() {
    const std::uint16_t one = 1;
    std::uint8_t first;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

/// Copies t.bytes() little-endian bytes into t's storage: byte order fixed, bools normalized to 0/1.
inline void store_little_endian(moir::tensor& t, const char* bytes) {
    if (t.bytes() == 0) return;
    std::memcpy(t.raw(), bytes, t.bytes());
    auto* p = static_cast<std::uint8_t*>(t.raw());
    const std::size_t esize = size_of(t.type());
    if (t.type() == element_type::boolean) {
        for (std::size_t i = 0; i < t.bytes(); ++i) p[i] = p[i] != 0;
    } else if (esize > 1 && !host_is_little_endian()) {
        for (std::size_t i = 0; i < t.bytes(); i += esize) {
            for (std::size_t a = i, b = i + esize - 1; a < b; ++a, --b) std::swap(p[a], p[b]);
        }
    }
}

/// A typed-field element as T: float16 from its bit pattern, bool from non-zero, others cast.
template <class T, class Src>
T typed_value(Src v) {
    if constexpr (std::is_same_v<T, half>) return half::from_bits(static_cast<std::uint16_t>(v));
    else if constexpr (std::is_same_v<T, bool>) return v != 0;
    else return static_cast<T>(v);
}

template <class T, class Src>
moir::tensor from_typed(const tensor& p, element_type type, std::size_t n, const std::vector<Src>& src,
                        const char* field, const std::string& what) {
    MOIR_CHECK(src.size() == n, parse_error,
               what + ": " + field + " has " + std::to_string(src.size()) + " values, expected " +
                   std::to_string(n) + " for " + data_type_name(p.data_type) + " " + dims_string(p.dims));
    moir::tensor t(type, p.dims);
    T* d = t.data<T>();
    for (std::size_t i = 0; i < n; ++i) d[i] = typed_value<T>(src[i]);
    return t;
}

inline moir::tensor from_external(const tensor& p, element_type type, std::size_t nbytes, const std::string& base_dir,
                                  const std::string& what) {
    std::string location;
    std::uint64_t offset = 0;
    std::optional<std::uint64_t> length;
    for (const auto& e : p.external_data) {
        if (e.key == "location") location = e.value;
        else if (e.key == "offset") offset = parse_u64(e.value, what + ": external data offset");
        else if (e.key == "length") length = parse_u64(e.value, what + ": external data length");
    }
    const std::string path = external_path(base_dir, location, what);
    MOIR_CHECK(!length || *length == nbytes, parse_error,
               what + ": external data length " + std::to_string(*length) + " does not match the " +
                   std::to_string(nbytes) + " bytes of " + data_type_name(p.data_type) + " " + dims_string(p.dims));
    // only a regular file that lies inside the model's folder once symlinks are resolved
    const std::string where = what + ": external data: ";
    io::regular_file_size(path, ~std::uint64_t{0}, where);
    MOIR_CHECK(io::resolves_inside(base_dir, path), parse_error,
               where + "'" + path + "' resolves (through a symlink) outside the model's folder");
    const std::string bytes = io::read_file_range(path, offset, nbytes, where);
    moir::tensor t(type, p.dims);
    store_little_endian(t, bytes.data());
    return t;
}

}  // namespace detail

/// Decodes a serialized ModelProto. `source` names the bytes in errors.
/// ensures: malformed input throws moir::parse_error; never reads outside [data, data + size).
inline model parse_model(const std::uint8_t* data, std::size_t size, const std::string& source) {
    protobuf::reader r(data, size, source);
    model m;
    detail::decode(r, m);
    return m;
}

/// Decodes a serialized TensorProto (e.g. the backend test data input_0.pb).
inline tensor parse_tensor(const std::uint8_t* data, std::size_t size, const std::string& source) {
    protobuf::reader r(data, size, source);
    tensor t;
    detail::decode(r, t);
    return t;
}

/// Reads and decodes a .onnx file. ensures: throws moir::error("cannot open <path>") when missing.
inline model load_model_file(const std::string& path) {
    const std::string bytes = detail::read_file(path);
    return parse_model(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path);
}

/// Reads and decodes a file holding one serialized TensorProto.
inline tensor load_tensor_file(const std::string& path) {
    const std::string bytes = detail::read_file(path);
    return parse_tensor(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path);
}

/// Converts a TensorProto to a moir::tensor, from raw_data, the typed fields, or external data
/// (a file relative to base_dir; absolute paths and `..` are rejected).
/// ensures: throws moir::unsupported_error naming the tensor and type for string, complex,
/// bfloat16, float8 and 4-bit types; moir::parse_error for negative dims, an overflowing element
/// count, or a data size that does not match the shape.
inline moir::tensor to_moir_tensor(const tensor& p, const std::string& base_dir) {
    const std::string what = "ONNX tensor '" + p.name + "'";
    const std::optional<element_type> type = to_element_type(p.data_type);
    MOIR_CHECK(type, unsupported_error, what + ": data type " + data_type_name(p.data_type) + " is not supported");
    const std::size_t esize = size_of(*type);
    const std::size_t max = std::numeric_limits<std::size_t>::max() / esize;
    std::size_t n = 1;
    for (const std::int64_t d : p.dims) {
        MOIR_CHECK(d >= 0, parse_error, what + " has a negative dim in " + detail::dims_string(p.dims));
        const auto ud = static_cast<std::uint64_t>(d);
        MOIR_CHECK(ud == 0 || n <= max / ud, parse_error,
                   what + ": the element count of " + detail::dims_string(p.dims) + " overflows");
        n *= static_cast<std::size_t>(ud);
    }
    const std::size_t nbytes = n * esize;
    if (p.data_location == 1) return detail::from_external(p, *type, nbytes, base_dir, what);
    MOIR_CHECK(p.data_location == 0, parse_error, what + ": unknown data_location " + std::to_string(p.data_location));
    if (!p.raw_data.empty()) {
        MOIR_CHECK(p.raw_data.size() == nbytes, parse_error,
                   what + ": raw_data has " + std::to_string(p.raw_data.size()) + " bytes, expected " +
                       std::to_string(nbytes) + " for " + data_type_name(p.data_type) + " " + detail::dims_string(p.dims));
        moir::tensor t(*type, p.dims);
        detail::store_little_endian(t, p.raw_data.data());
        return t;
    }
    using detail::from_typed;
    switch (*type) {
        case element_type::f32: return from_typed<float>(p, *type, n, p.float_data, "float_data", what);
        case element_type::f64: return from_typed<double>(p, *type, n, p.double_data, "double_data", what);
        case element_type::f16: return from_typed<half>(p, *type, n, p.int32_data, "int32_data", what);
        case element_type::i8: return from_typed<std::int8_t>(p, *type, n, p.int32_data, "int32_data", what);
        case element_type::i16: return from_typed<std::int16_t>(p, *type, n, p.int32_data, "int32_data", what);
        case element_type::i32: return from_typed<std::int32_t>(p, *type, n, p.int32_data, "int32_data", what);
        case element_type::u8: return from_typed<std::uint8_t>(p, *type, n, p.int32_data, "int32_data", what);
        case element_type::u16: return from_typed<std::uint16_t>(p, *type, n, p.int32_data, "int32_data", what);
        case element_type::boolean: return from_typed<bool>(p, *type, n, p.int32_data, "int32_data", what);
        case element_type::i64: return from_typed<std::int64_t>(p, *type, n, p.int64_data, "int64_data", what);
        case element_type::u32: return from_typed<std::uint32_t>(p, *type, n, p.uint64_data, "uint64_data", what);
        case element_type::u64: return from_typed<std::uint64_t>(p, *type, n, p.uint64_data, "uint64_data", what);
        default: break;
    }
    throw unsupported_error(what + ": data type " + data_type_name(p.data_type) + " is not supported");
}

}  // namespace moir::onnx::proto

#endif  // MOIR_FRONTENDS_ONNX_ONNX_PROTO_HPP
