#ifndef MOIR_FRONTENDS_TENSORFLOW_GRAPH_DEF_HPP
#define MOIR_FRONTENDS_TENSORFLOW_GRAPH_DEF_HPP

// TensorFlow's GraphDef as plain structs: what every TF format moir reads comes down to (a frozen
// .pb, a TF.js model.json's modelTopology). One struct, filled by two readers: the binary protobuf
// reader below (moir::protobuf wire reader, tensorflow/core/framework/{graph,node_def,attr_value,
// tensor,tensor_shape,types}.proto field numbers) and the JSON reader of frontends/tensorflow/tfjs.hpp.

#include <moir/core/element_type.hpp>
#include <moir/core/errors.hpp>
#include <moir/core/limits.hpp>
#include <moir/core/shape.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/common/protobuf_wire.hpp>

#include <cstdint>   // int64_t, int32_t, uint8_t
#include <cstring>   // memcpy
#include <fstream>   // ifstream
#include <iterator>  // istreambuf_iterator
#include <map>       // map
#include <optional>  // optional
#include <string>    // string
#include <vector>    // vector

namespace moir::tensorflow {

/// TensorFlow's DataType enum (types.proto), the values moir meets.
enum class data_type : std::int32_t {
    invalid = 0, float_ = 1, double_ = 2, int32 = 3, uint8 = 4, int16 = 5, int8 = 6, string = 7, complex64 = 8,
    int64 = 9, bool_ = 10, qint8 = 11, quint8 = 12, qint32 = 13, bfloat16 = 14, qint16 = 15, quint16 = 16,
    uint16 = 17, complex128 = 18, half = 19, resource = 20, variant = 21, uint32 = 22, uint64 = 23
};

/// "DT_FLOAT" <-> data_type. ensures: data_type::invalid for an unknown name.
inline data_type data_type_from_name(const std::string& s) {
    static const std::map<std::string, data_type> names{
        {"DT_FLOAT", data_type::float_},   {"DT_DOUBLE", data_type::double_}, {"DT_INT32", data_type::int32},
        {"DT_UINT8", data_type::uint8},    {"DT_INT16", data_type::int16},    {"DT_INT8", data_type::int8},
        {"DT_STRING", data_type::string},  {"DT_COMPLEX64", data_type::complex64}, {"DT_INT64", data_type::int64},
        {"DT_BOOL", data_type::bool_},     {"DT_QINT8", data_type::qint8},    {"DT_QUINT8", data_type::quint8},
        {"DT_QINT32", data_type::qint32},  {"DT_BFLOAT16", data_type::bfloat16}, {"DT_QINT16", data_type::qint16},
        {"DT_QUINT16", data_type::quint16}, {"DT_UINT16", data_type::uint16}, {"DT_COMPLEX128", data_type::complex128},
        {"DT_HALF", data_type::half},      {"DT_RESOURCE", data_type::resource}, {"DT_VARIANT", data_type::variant},
        {"DT_UINT32", data_type::uint32},  {"DT_UINT64", data_type::uint64}};
    const auto it = names.find(s);
    return it == names.end() ? data_type::invalid : it->second;
}
inline std::string data_type_name(data_type t) {
    static const char* const names[] = {"DT_INVALID", "DT_FLOAT",  "DT_DOUBLE",  "DT_INT32",    "DT_UINT8",
                                        "DT_INT16",   "DT_INT8",   "DT_STRING",  "DT_COMPLEX64", "DT_INT64",
                                        "DT_BOOL",    "DT_QINT8",  "DT_QUINT8",  "DT_QINT32",   "DT_BFLOAT16",
                                        "DT_QINT16",  "DT_QUINT16", "DT_UINT16", "DT_COMPLEX128", "DT_HALF",
                                        "DT_RESOURCE", "DT_VARIANT", "DT_UINT32", "DT_UINT64"};
    const auto i = static_cast<std::int32_t>(t);
    return i >= 0 && i < 24 ? names[i] : "DT_" + std::to_string(i);
}
/// The moir element type of a TF data type, or nullopt (strings, complex, resources, quantized).
inline std::optional<element_type> to_element_type(data_type t) {
    switch (t) {
        case data_type::float_: return element_type::f32;
        case data_type::double_: return element_type::f64;
        case data_type::half: return element_type::f16;
        case data_type::int32: return element_type::i32;
        case data_type::int64: return element_type::i64;
        case data_type::int16: return element_type::i16;
        case data_type::int8: return element_type::i8;
        case data_type::uint8: return element_type::u8;
        case data_type::uint16: return element_type::u16;
        case data_type::uint32: return element_type::u32;
        case data_type::uint64: return element_type::u64;
        case data_type::bool_: return element_type::boolean;
        default: return std::nullopt;
    }
}

/// TensorShapeProto. invariant: dims hold -1 where a dim is unknown; unknown_rank => dims empty.
struct tensor_shape {
    bool unknown_rank = false;
    std::vector<std::int64_t> dims;

    partial_shape to_partial() const {
        if (unknown_rank) return partial_shape::dynamic();
        std::vector<std::int64_t> d;
        for (auto x : dims) d.push_back(x < 0 ? dynamic_dim : x);
        return partial_shape(d);
    }
};

/// TensorProto: the value of a Const (or of a tensor attribute). Either `content` holds the raw
/// little-endian bytes, or one of the typed value lists holds the values (fewer than the element
/// count: the last one repeats, as TensorFlow reads it).
struct tensor_value {
    data_type dtype = data_type::invalid;
    tensor_shape shape;
    std::string content;
    std::vector<float> float_val;
    std::vector<double> double_val;
    std::vector<std::int32_t> int_val;  // int32, int16, int8, uint8, uint16, and half bits (half_val)
    std::vector<std::int64_t> int64_val;
    std::vector<bool> bool_val;
    std::vector<std::string> string_val;
    bool has_half_val = false;
};

struct attr_value;
/// AttrValue.ListValue.
struct attr_list {
    std::vector<std::string> s;
    std::vector<std::int64_t> i;
    std::vector<float> f;
    std::vector<bool> b;
    std::vector<data_type> type;
    std::vector<tensor_shape> shape;
    std::vector<tensor_value> tensor;
};

/// AttrValue: one of its fields, named by `kind`.
struct attr_value {
    enum class kind { none, s, i, f, b, type, shape, tensor, list, func, placeholder };
    kind k = kind::none;
    std::string s;  // bytes for s; the function name for func; the name for placeholder
    std::int64_t i = 0;
    float f = 0;
    bool b = false;
    data_type type = data_type::invalid;
    tensor_shape shape;
    tensor_value tensor;
    attr_list list;
};

/// NodeDef. `input` keeps TF's spellings: "node", "node:port", "^control".
struct node_def {
    std::string name, op, device;
    std::vector<std::string> input;
    std::map<std::string, attr_value> attr;

    const attr_value* find_attr(const std::string& key) const {
        const auto it = attr.find(key);
        return it == attr.end() ? nullptr : &it->second;
    }
};

/// GraphDef: the nodes, whether the graph has a function library (TF2 control flow bodies), and
/// weights the format keeps outside the nodes (TF.js's shards), by Const node name.
struct graph_def {
    std::vector<node_def> node;
    std::int32_t producer = 0;
    std::size_t library_functions = 0;
    std::map<std::string, moir::tensor> weights;
};

/// A moir tensor of a TensorProto. `where` names the Const in errors.
/// ensures: moir::unsupported_error for types moir has no element type for, parse_error when the
/// content does not fit the shape.
inline moir::tensor to_moir_tensor(const tensor_value& v, const std::string& where) {
    const auto et = to_element_type(v.dtype);
    MOIR_CHECK(et, unsupported_error, where + ": tensors of type " + data_type_name(v.dtype) + " are not supported");
    MOIR_CHECK(!v.shape.unknown_rank, parse_error, where + ": a constant tensor has an unknown rank");
    shape dims;
    for (auto d : v.shape.dims) {
        MOIR_CHECK(d >= 0, parse_error, where + ": a constant tensor has an unknown dim");
        dims.push_back(d);
    }
    // the declared shape is checked before anything is allocated: against the content's size, or
    // (a value list repeated to fill the shape) against the limit on one tensor
    const std::uint64_t width = size_of(*et), count = capped_element_count(dims, v.content.size());
    if (!v.content.empty()) {
        MOIR_CHECK(count * width == v.content.size(), parse_error,
                   where + ": tensor content has " + std::to_string(v.content.size()) + " bytes, shape [" +
                       to_string(dims) + "] of " + data_type_name(v.dtype) + " needs " +
                       (count > v.content.size() ? std::string("more") : std::to_string(count * width)));
    } else {
        check_element_count(dims, default_max_elements, where);
    }
    moir::tensor t(*et, dims);
    const std::size_t n = t.numel();
    if (!v.content.empty()) {
        if (n) std::memcpy(t.raw(), v.content.data(), t.bytes());
        return t;
    }
    auto fill = [&](const auto& vals, auto put) {
        if (n == 0) return;
        if (vals.empty()) return;  // zeros
        MOIR_CHECK(vals.size() <= n, parse_error,
                   where + ": tensor has " + std::to_string(vals.size()) + " values for " + std::to_string(n) + " elements");
        for (std::size_t i = 0; i < n; ++i) put(i, vals[i < vals.size() ? i : vals.size() - 1]);
    };
    visit_element_type(*et, [&](auto tag) {
        using T = typename decltype(tag)::type;
        T* d = static_cast<T*>(t.raw());
        auto put = [&](std::size_t i, auto x) { d[i] = convert_value<T>(x); };
        switch (v.dtype) {
            case data_type::float_: fill(v.float_val, put); break;
            case data_type::double_: fill(v.double_val, put); break;
            case data_type::int64: fill(v.int64_val, put); break;
            case data_type::bool_: fill(v.bool_val, [&](std::size_t i, bool x) { d[i] = convert_value<T>(x ? 1 : 0); }); break;
            case data_type::half:
                fill(v.int_val, [&](std::size_t i, std::int32_t bits) {
                    half h;
                    h.bits = static_cast<std::uint16_t>(bits);
                    if constexpr (std::is_same_v<T, half>) d[i] = h;
                });
                break;
            default: fill(v.int_val, put); break;
        }
    });
    return t;
}

// ---- the binary reader ----------------------------------------------------------------------

namespace detail {
inline tensor_shape read_shape(protobuf::reader r) {
    tensor_shape s;
    protobuf::tag t;
    while (r.next(t)) {
        if (t.field == 2) {  // Dim { int64 size = 1; string name = 2; }
            auto d = r.read_message(t);
            std::int64_t size = 0;
            protobuf::tag u;
            while (d.next(u)) {
                if (u.field == 1) size = d.read_int64(u);
                else d.skip(u);
            }
            s.dims.push_back(size);
        } else if (t.field == 3) {
            s.unknown_rank = r.read_bool(t);
        } else {
            r.skip(t);
        }
    }
    return s;
}
inline tensor_value read_tensor(protobuf::reader r) {
    tensor_value v;
    protobuf::tag t;
    std::vector<std::uint8_t> bools;
    while (r.next(t)) {
        switch (t.field) {
            case 1: v.dtype = static_cast<data_type>(r.read_int32(t)); break;
            case 2: v.shape = read_shape(r.read_message(t)); break;
            case 4: v.content = r.read_string(t); break;
            case 5: r.read_repeated_fixed(t, v.float_val); break;
            case 6: r.read_repeated_fixed(t, v.double_val); break;
            case 7: r.read_repeated_varint(t, v.int_val); break;
            case 8: v.string_val.push_back(r.read_string(t)); break;
            case 10: r.read_repeated_varint(t, v.int64_val); break;
            case 11: r.read_repeated_varint(t, bools); break;
            case 13: r.read_repeated_varint(t, v.int_val); v.has_half_val = true; break;
            default: r.skip(t);
        }
    }
    for (auto b : bools) v.bool_val.push_back(b != 0);
    return v;
}
inline attr_list read_list(protobuf::reader r) {
    attr_list l;
    protobuf::tag t;
    std::vector<std::uint8_t> bools;
    std::vector<std::int32_t> types;
    while (r.next(t)) {
        switch (t.field) {
            case 2: l.s.push_back(r.read_string(t)); break;
            case 3: r.read_repeated_varint(t, l.i); break;
            case 4: r.read_repeated_fixed(t, l.f); break;
            case 5: r.read_repeated_varint(t, bools); break;
            case 6: r.read_repeated_varint(t, types); break;
            case 7: l.shape.push_back(read_shape(r.read_message(t))); break;
            case 8: l.tensor.push_back(read_tensor(r.read_message(t))); break;
            default: r.skip(t);
        }
    }
    for (auto b : bools) l.b.push_back(b != 0);
    for (auto x : types) l.type.push_back(static_cast<data_type>(x));
    return l;
}
inline attr_value read_attr(protobuf::reader r) {
    attr_value a;
    protobuf::tag t;
    while (r.next(t)) {
        switch (t.field) {
            case 1: a.k = attr_value::kind::list; a.list = read_list(r.read_message(t)); break;
            case 2: a.k = attr_value::kind::s; a.s = r.read_string(t); break;
            case 3: a.k = attr_value::kind::i; a.i = r.read_int64(t); break;
            case 4: a.k = attr_value::kind::f; a.f = r.read_float(t); break;
            case 5: a.k = attr_value::kind::b; a.b = r.read_bool(t); break;
            case 6: a.k = attr_value::kind::type; a.type = static_cast<data_type>(r.read_int32(t)); break;
            case 7: a.k = attr_value::kind::shape; a.shape = read_shape(r.read_message(t)); break;
            case 8: a.k = attr_value::kind::tensor; a.tensor = read_tensor(r.read_message(t)); break;
            case 9: a.k = attr_value::kind::placeholder; a.s = r.read_string(t); break;
            case 10: {  // NameAttrList { string name = 1; ... }
                a.k = attr_value::kind::func;
                auto f = r.read_message(t);
                protobuf::tag u;
                while (f.next(u)) {
                    if (u.field == 1) a.s = f.read_string(u);
                    else f.skip(u);
                }
                break;
            }
            default: r.skip(t);
        }
    }
    return a;
}
inline node_def read_node(protobuf::reader r) {
    node_def n;
    protobuf::tag t;
    while (r.next(t)) {
        switch (t.field) {
            case 1: n.name = r.read_string(t); break;
            case 2: n.op = r.read_string(t); break;
            case 3: n.input.push_back(r.read_string(t)); break;
            case 4: n.device = r.read_string(t); break;
            case 5: {  // map<string, AttrValue>: entries { key = 1; value = 2; }
                auto e = r.read_message(t);
                std::string key;
                attr_value val;
                protobuf::tag u;
                while (e.next(u)) {
                    if (u.field == 1) key = e.read_string(u);
                    else if (u.field == 2) val = read_attr(e.read_message(u));
                    else e.skip(u);
                }
                n.attr[key] = std::move(val);
                break;
            }
            default: r.skip(t);
        }
    }
    return n;
}
}  // namespace detail

/// Decodes a binary GraphDef. `source` names the bytes in errors.
/// ensures: moir::parse_error "<source>: <what> at byte N" on malformed input.
inline graph_def parse_graph_def(const std::uint8_t* data, std::size_t size, const std::string& source) {
    graph_def g;
    protobuf::reader r(data, size, source);
    protobuf::tag t;
    while (r.next(t)) {
        switch (t.field) {
            case 1: g.node.push_back(detail::read_node(r.read_message(t))); break;
            case 2: r.skip(t); break;  // library: FunctionDefLibrary
            case 4: {                  // versions: VersionDef { int32 producer = 1; }
                auto v = r.read_message(t);
                protobuf::tag u;
                while (v.next(u)) {
                    if (u.field == 1) g.producer = v.read_int32(u);
                    else v.skip(u);
                }
                break;
            }
            default: r.skip(t);
        }
    }
    for (const auto& n : g.node)
        MOIR_CHECK(!n.name.empty() && !n.op.empty(), parse_error,
                   source + ": not a GraphDef (a node without a name or op)");
    return g;
}

/// Reads a binary GraphDef file (a frozen .pb). ensures: errors name the file.
inline graph_def load_graph_def_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, "cannot open " + path);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    MOIR_CHECK(!bytes.empty(), parse_error, path + ": the file is empty");
    return parse_graph_def(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path);
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_GRAPH_DEF_HPP
