#ifndef MOIR_FRONTENDS_ONNX_ONNX_WRITER_HPP
#define MOIR_FRONTENDS_ONNX_ONNX_WRITER_HPP

// moir::onnx::proto::write: the decoded ONNX messages of onnx_proto.hpp serialized back to the
// protobuf wire format (what `--fallback onnxruntime` needs to keep a part of a model as an ONNX model
// of its own: frontends/onnx/fallback.hpp). Only the fields onnx_proto.hpp decodes are written;
// attributes of the kinds it skips (sparse tensors, type protos) cannot be written.

#include <moir/core/errors.hpp>
#include <moir/frontends/onnx/onnx_proto.hpp>

#include <cstdint>  // int64_t, uint32_t, uint64_t
#include <cstring>  // memcpy
#include <string>   // string
#include <vector>   // vector

namespace moir::onnx::proto {

namespace detail {
/// Appends protobuf fields to a byte string.
class wire_writer {
public:
    void varint_field(std::uint32_t field, std::uint64_t v) {
        key(field, 0);
        put_varint(v);
    }
    void int_field(std::uint32_t field, std::int64_t v) { varint_field(field, static_cast<std::uint64_t>(v)); }
    void float_field(std::uint32_t field, float v) {
        key(field, 5);
        std::uint32_t b;
        std::memcpy(&b, &v, 4);
        put_le(b, 4);
    }
    void bytes_field(std::uint32_t field, const std::string& s) {
        key(field, 2);
        put_varint(s.size());
        buf_ += s;
    }
    template <class T>
    void packed_varints(std::uint32_t field, const std::vector<T>& v) {
        if (v.empty()) return;
        wire_writer body;
        for (const T x : v) body.put_varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(x)));
        bytes_field(field, body.buf_);
    }
    void packed_unsigned(std::uint32_t field, const std::vector<std::uint64_t>& v) {
        if (v.empty()) return;
        wire_writer body;
        for (const auto x : v) body.put_varint(x);
        bytes_field(field, body.buf_);
    }
    template <class T>
    void packed_fixed(std::uint32_t field, const std::vector<T>& v) {
        if (v.empty()) return;
        wire_writer body;
        for (const T x : v) {
            if constexpr (sizeof(T) == 4) {
                std::uint32_t b;
                std::memcpy(&b, &x, 4);
                body.put_le(b, 4);
            } else {
                std::uint64_t b;
                std::memcpy(&b, &x, 8);
                body.put_le(b, 8);
            }
        }
        bytes_field(field, body.buf_);
    }
    const std::string& str() const { return buf_; }

private:
    void key(std::uint32_t field, unsigned wire) { put_varint((static_cast<std::uint64_t>(field) << 3) | wire); }
    void put_varint(std::uint64_t v) {
        while (v >= 0x80) {
            buf_ += static_cast<char>((v & 0x7F) | 0x80);
            v >>= 7;
        }
        buf_ += static_cast<char>(v);
    }
    void put_le(std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i) buf_ += static_cast<char>((v >> (8 * i)) & 0xFF);
    }
    std::string buf_;
};
}  // namespace detail

inline std::string write(const graph& g, const std::string& base_dir);

/// TensorProto. External data is read (from base_dir) and written as raw_data, so the bytes stand alone.
inline std::string write(const tensor& t, const std::string& base_dir) {
    detail::wire_writer w;
    if (t.data_location == 1) {
        const moir::tensor v = to_moir_tensor(t, base_dir);
        w.packed_varints(1, t.dims);
        w.int_field(2, t.data_type);
        w.bytes_field(8, t.name);
        w.bytes_field(9, std::string(static_cast<const char*>(v.raw()), v.bytes()));
        return w.str();
    }
    w.packed_varints(1, t.dims);
    w.int_field(2, t.data_type);
    w.packed_fixed(4, t.float_data);
    w.packed_varints(5, t.int32_data);
    for (const auto& s : t.string_data) w.bytes_field(6, s);
    w.packed_varints(7, t.int64_data);
    if (!t.name.empty()) w.bytes_field(8, t.name);
    if (!t.raw_data.empty()) w.bytes_field(9, t.raw_data);
    w.packed_fixed(10, t.double_data);
    w.packed_unsigned(11, t.uint64_data);
    return w.str();
}

/// A TypeProto of a tensor (elem_type; the shape when `with_shape`: a dim < 0 is written unknown).
inline std::string write_tensor_type(std::int32_t elem_type, const std::vector<dimension>* shape) {
    detail::wire_writer tt;
    if (elem_type) tt.int_field(1, elem_type);
    if (shape) {
        detail::wire_writer s;
        for (const auto& d : *shape) {
            detail::wire_writer dm;
            if (d.has_value) dm.int_field(1, d.value);
            else if (!d.param.empty()) dm.bytes_field(2, d.param);
            s.bytes_field(1, dm.str());
        }
        tt.bytes_field(2, s.str());
    }
    detail::wire_writer t;
    t.bytes_field(1, tt.str());
    return t.str();
}

/// ValueInfoProto: the name, and the type when it is a tensor type (other kinds are left untyped).
inline std::string write(const value_info& v) {
    detail::wire_writer w;
    w.bytes_field(1, v.name);
    if (v.type.kind == type_kind::tensor)
        w.bytes_field(2, write_tensor_type(v.type.elem_type, v.type.has_shape ? &v.type.shape : nullptr));
    return w.str();
}

/// AttributeProto. ensures: throws moir::unsupported_error for kinds onnx_proto.hpp does not keep.
inline std::string write(const attribute& a, const std::string& base_dir) {
    MOIR_CHECK(a.type != attribute_type::sparse_tensor && a.type != attribute_type::sparse_tensors &&
                   a.type != attribute_type::type_proto && a.type != attribute_type::type_protos,
               unsupported_error, "attribute '" + a.name + "' is of a kind moir cannot write back to ONNX");
    detail::wire_writer w;
    w.bytes_field(1, a.name);
    const bool any = a.type == attribute_type::undefined;
    if (any ? a.f != 0 : a.type == attribute_type::f) w.float_field(2, a.f);
    if (any ? a.i != 0 : a.type == attribute_type::i) w.int_field(3, a.i);
    if (any ? !a.s.empty() : a.type == attribute_type::s) w.bytes_field(4, a.s);
    if (a.t) w.bytes_field(5, write(*a.t, base_dir));
    if (a.g) w.bytes_field(6, write(*a.g, base_dir));
    w.packed_fixed(7, a.floats);
    w.packed_varints(8, a.ints);
    for (const auto& s : a.strings) w.bytes_field(9, s);
    for (const auto& t : a.tensors) w.bytes_field(10, write(t, base_dir));
    for (const auto& g : a.graphs)
        if (g) w.bytes_field(11, write(*g, base_dir));
    if (!a.doc_string.empty()) w.bytes_field(13, a.doc_string);
    if (a.type != attribute_type::undefined) w.int_field(20, static_cast<std::int32_t>(a.type));
    if (!a.ref_attr_name.empty()) w.bytes_field(21, a.ref_attr_name);
    return w.str();
}

/// NodeProto.
inline std::string write(const node& n, const std::string& base_dir) {
    detail::wire_writer w;
    for (const auto& s : n.input) w.bytes_field(1, s);
    for (const auto& s : n.output) w.bytes_field(2, s);
    if (!n.name.empty()) w.bytes_field(3, n.name);
    w.bytes_field(4, n.op_type);
    for (const auto& a : n.attribute) w.bytes_field(5, write(a, base_dir));
    if (!n.domain.empty()) w.bytes_field(7, n.domain);
    return w.str();
}

/// GraphProto. ensures: throws moir::unsupported_error for sparse initializers (not kept).
inline std::string write(const graph& g, const std::string& base_dir) {
    MOIR_CHECK(g.sparse_initializer_count == 0, unsupported_error,
               "graph '" + g.name + "' has sparse initializers, which moir cannot write back to ONNX");
    detail::wire_writer w;
    for (const auto& n : g.node) w.bytes_field(1, write(n, base_dir));
    w.bytes_field(2, g.name);
    for (const auto& t : g.initializer) w.bytes_field(5, write(t, base_dir));
    for (const auto& v : g.input) w.bytes_field(11, write(v));
    for (const auto& v : g.output) w.bytes_field(12, write(v));
    for (const auto& v : g.value_info) w.bytes_field(13, write(v));
    return w.str();
}

/// OperatorSetIdProto.
inline std::string write(const opset_id& o) {
    detail::wire_writer w;
    if (!o.domain.empty()) w.bytes_field(1, o.domain);
    w.int_field(2, o.version);
    return w.str();
}

/// FunctionProto.
inline std::string write(const function& f, const std::string& base_dir) {
    detail::wire_writer w;
    w.bytes_field(1, f.name);
    for (const auto& s : f.input) w.bytes_field(4, s);
    for (const auto& s : f.output) w.bytes_field(5, s);
    for (const auto& s : f.attribute) w.bytes_field(6, s);
    for (const auto& n : f.node) w.bytes_field(7, write(n, base_dir));
    for (const auto& o : f.opset_import) w.bytes_field(9, write(o));
    if (!f.domain.empty()) w.bytes_field(10, f.domain);
    for (const auto& a : f.attribute_proto) w.bytes_field(11, write(a, base_dir));
    return w.str();
}

/// ModelProto: ir_version, producer, the graph, the opset imports and the model-local functions.
inline std::string write(const model& m, const std::string& base_dir) {
    detail::wire_writer w;
    w.int_field(1, m.ir_version);
    if (!m.producer_name.empty()) w.bytes_field(2, m.producer_name);
    if (!m.producer_version.empty()) w.bytes_field(3, m.producer_version);
    w.bytes_field(7, write(m.graph, base_dir));
    for (const auto& o : m.opset_import) w.bytes_field(8, write(o));
    for (const auto& f : m.functions) w.bytes_field(25, write(f, base_dir));
    return w.str();
}

}  // namespace moir::onnx::proto

#endif  // MOIR_FRONTENDS_ONNX_ONNX_WRITER_HPP
