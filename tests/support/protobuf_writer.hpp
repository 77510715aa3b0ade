#ifndef MOIR_TESTS_SUPPORT_PROTOBUF_WRITER_HPP
#define MOIR_TESTS_SUPPORT_PROTOBUF_WRITER_HPP

// Test support: a minimal protobuf wire-format writer and an ONNX model builder on top of it, so
// tests can make models (and malformed bytes) without protoc or python.
//
//     onnx_builder b;
//     b.add_input("x", 1, {"N", 3}).add_output("y", 1, {"N", 3});
//     b.add_node("Relu", {"x"}, {"y"});
//     const std::string bytes = b.bytes();  // or b.save(path)

#include <moir/precision/half.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint8_t, uint32_t, uint64_t
#include <cstring>      // memcpy
#include <fstream>      // ofstream
#include <stdexcept>    // runtime_error
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // conditional_t, is_floating_point_v, is_same_v
#include <utility>      // move
#include <vector>       // vector

namespace moir::test {

/// Appends protobuf fields to a byte string. Methods return *this for chaining; str() is the message.
class proto_writer {
public:
    /// Wire types: varint 0, fixed64 1, length-delimited 2, groups 3/4, fixed32 5.
    proto_writer& key(std::uint32_t field, unsigned wire) {
        put_varint((static_cast<std::uint64_t>(field) << 3) | wire);
        return *this;
    }
    proto_writer& varint(std::uint32_t field, std::uint64_t v) {
        key(field, 0).put_varint(v);
        return *this;
    }
    /// int32/int64/enum: negative values become 10-byte varints, as protobuf writes them.
    proto_writer& int64(std::uint32_t field, std::int64_t v) { return varint(field, static_cast<std::uint64_t>(v)); }
    proto_writer& sint64(std::uint32_t field, std::int64_t v) {
        return varint(field, (static_cast<std::uint64_t>(v) << 1) ^ (v < 0 ? ~std::uint64_t{0} : 0));
    }
    proto_writer& fixed32(std::uint32_t field, std::uint32_t v) {
        key(field, 5).put_le(v, 4);
        return *this;
    }
    proto_writer& fixed64(std::uint32_t field, std::uint64_t v) {
        key(field, 1).put_le(v, 8);
        return *this;
    }
    proto_writer& float32(std::uint32_t field, float v) { return fixed32(field, bits<std::uint32_t>(v)); }
    proto_writer& float64(std::uint32_t field, double v) { return fixed64(field, bits<std::uint64_t>(v)); }
    /// A string, bytes or embedded-message field.
    proto_writer& bytes(std::uint32_t field, std::string_view s) {
        key(field, 2).put_varint(s.size());
        buf_.append(s.data(), s.size());
        return *this;
    }
    proto_writer& message(std::uint32_t field, const proto_writer& m) { return bytes(field, m.str()); }

    /// Packed repeated integers (int32/int64/uint64/bool) as one length-delimited field.
    template <class T>
    proto_writer& packed_varint(std::uint32_t field, const std::vector<T>& values) {
        proto_writer body;
        for (const T v : values) body.put_varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(v)));
        return bytes(field, body.str());
    }
    /// Packed repeated float/double (or 4/8-byte integers) as one length-delimited field.
    template <class T>
    proto_writer& packed_fixed(std::uint32_t field, const std::vector<T>& values) {
        static_assert(sizeof(T) == 4 || sizeof(T) == 8, "fixed elements are 4 or 8 bytes");
        proto_writer body;
        for (const T v : values) body.put_le(bits<std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>>(v), sizeof(T));
        return bytes(field, body.str());
    }
    /// Appends bytes verbatim (to forge malformed input).
    proto_writer& raw(std::string_view s) {
        buf_.append(s.data(), s.size());
        return *this;
    }
    /// The bare varint encoding of v.
    static std::string varint_bytes(std::uint64_t v) {
        proto_writer w;
        w.put_varint(v);
        return w.str();
    }

    const std::string& str() const { return buf_; }
    const std::uint8_t* data() const { return reinterpret_cast<const std::uint8_t*>(buf_.data()); }
    std::size_t size() const { return buf_.size(); }

private:
    template <class To, class From>
    static To bits(From v) {
        static_assert(sizeof(To) == sizeof(From), "same width");
        To r;
        std::memcpy(&r, &v, sizeof r);
        return r;
    }
    proto_writer& put_varint(std::uint64_t v) {
        for (; v >= 0x80; v >>= 7) buf_ += static_cast<char>((v & 0x7f) | 0x80);
        buf_ += static_cast<char>(v);
        return *this;
    }
    proto_writer& put_le(std::uint64_t v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) buf_ += static_cast<char>((v >> (8 * i)) & 0xff);
        return *this;
    }

    std::string buf_;
};

/// How tensor_proto stores values: raw_data bytes, or the typed field packed or unpacked.
enum class tensor_encoding { raw, packed, unpacked };

/// The ONNX data type code of a C++ element type.
template <class T>
constexpr int onnx_code_of() {
    if constexpr (std::is_same_v<T, float>) return 1;
    else if constexpr (std::is_same_v<T, std::uint8_t>) return 2;
    else if constexpr (std::is_same_v<T, std::int8_t>) return 3;
    else if constexpr (std::is_same_v<T, std::uint16_t>) return 4;
    else if constexpr (std::is_same_v<T, std::int16_t>) return 5;
    else if constexpr (std::is_same_v<T, std::int32_t>) return 6;
    else if constexpr (std::is_same_v<T, std::int64_t>) return 7;
    else if constexpr (std::is_same_v<T, bool>) return 9;
    else if constexpr (std::is_same_v<T, half>) return 10;
    else if constexpr (std::is_same_v<T, double>) return 11;
    else if constexpr (std::is_same_v<T, std::uint32_t>) return 12;
    else if constexpr (std::is_same_v<T, std::uint64_t>) return 13;
    else static_assert(sizeof(T) == 0, "no ONNX code for this type");
}

/// A TensorProto holding `values` with `dims`, stored as `enc` says (typed fields follow ONNX:
/// float_data, double_data, int64_data, uint64_data for uint32/uint64, int32_data for the rest,
/// float16 as bit patterns).
template <class T>
proto_writer tensor_proto(const std::string& name, const std::vector<T>& values, const std::vector<std::int64_t>& dims,
                          tensor_encoding enc = tensor_encoding::raw) {
    proto_writer w;
    w.packed_varint(1, dims).int64(2, onnx_code_of<T>());
    if (enc == tensor_encoding::raw) {
        std::string raw;
        for (const T v : values) {  // little-endian on the hosts moir tests run on
            char b[sizeof(T)];
            std::memcpy(b, &v, sizeof(T));
            raw.append(b, sizeof(T));
        }
        return w.bytes(8, name).bytes(9, raw);
    }
    const bool packed = enc == tensor_encoding::packed;
    if constexpr (std::is_floating_point_v<T>) {
        const std::uint32_t field = std::is_same_v<T, float> ? 4 : 10;
        if (packed) {
            w.packed_fixed(field, values);
        } else {
            for (const T v : values) {
                if constexpr (std::is_same_v<T, float>) w.float32(field, v);
                else w.float64(field, v);
            }
        }
    } else {
        std::vector<std::int64_t> ints;
        for (const T v : values) {
            if constexpr (std::is_same_v<T, half>) ints.push_back(v.bits);
            else ints.push_back(static_cast<std::int64_t>(v));
        }
        const std::uint32_t field = std::is_same_v<T, std::int64_t> ? 7
                                    : std::is_same_v<T, std::uint32_t> || std::is_same_v<T, std::uint64_t> ? 11
                                                                                                         : 5;
        if (packed) {
            w.packed_varint(field, ints);
        } else {
            for (const auto x : ints) w.int64(field, x);
        }
    }
    return w.bytes(8, name);
}

/// One dim of a value_info shape: a value, a symbolic name, or -1 for an unknown dim.
struct dim {
    std::int64_t value = -1;
    std::string param;
    dim(std::int64_t v) : value(v) {}                       // NOLINT: implicit on purpose
    dim(int v) : value(v) {}                                // NOLINT
    dim(const char* p) : param(p) {}                        // NOLINT
    dim(std::string p) : param(std::move(p)) {}             // NOLINT
};

/// A ValueInfoProto with a tensor type.
inline proto_writer value_info_proto(const std::string& name, int elem_type, const std::vector<dim>& dims) {
    proto_writer shape;
    for (const dim& d : dims) {
        proto_writer dm;
        if (!d.param.empty()) dm.bytes(2, d.param);
        else if (d.value >= 0) dm.int64(1, d.value);
        shape.message(1, dm);
    }
    proto_writer tensor_type;
    tensor_type.int64(1, elem_type).message(2, shape);
    proto_writer type;
    type.message(1, tensor_type);
    proto_writer vi;
    vi.bytes(1, name).message(2, type);
    return vi;
}

/// AttributeProto factories; each sets `type` (field 20) as ONNX writers do.
struct attr {
    proto_writer proto;

    static attr i(const std::string& name, std::int64_t v) { return make(name, 2, [&](auto& w) { w.int64(3, v); }); }
    static attr f(const std::string& name, float v) { return make(name, 1, [&](auto& w) { w.float32(2, v); }); }
    static attr s(const std::string& name, const std::string& v) { return make(name, 3, [&](auto& w) { w.bytes(4, v); }); }
    static attr t(const std::string& name, const proto_writer& tensor) {
        return make(name, 4, [&](auto& w) { w.message(5, tensor); });
    }
    static attr g(const std::string& name, const proto_writer& graph) {
        return make(name, 5, [&](auto& w) { w.message(6, graph); });
    }
    static attr floats(const std::string& name, const std::vector<float>& v) {
        return make(name, 6, [&](auto& w) { w.packed_fixed(7, v); });
    }
    static attr ints(const std::string& name, const std::vector<std::int64_t>& v) {
        return make(name, 7, [&](auto& w) { w.packed_varint(8, v); });
    }
    static attr strings(const std::string& name, const std::vector<std::string>& v) {
        return make(name, 8, [&](auto& w) { for (const auto& x : v) w.bytes(9, x); });
    }

private:
    template <class F>
    static attr make(const std::string& name, int type, F fill) {
        attr a;
        a.proto.bytes(1, name).int64(20, type);
        fill(a.proto);
        return a;
    }
};

/// Builds a ModelProto with one graph. Defaults: ir_version 8, opset 17 of the default domain.
class onnx_builder {
public:
    onnx_builder& ir_version(std::int64_t v) { ir_version_ = v; return *this; }
    onnx_builder& opset(std::int64_t version, const std::string& domain = "") {
        proto_writer o;
        if (!domain.empty()) o.bytes(1, domain);
        o.int64(2, version);
        opsets_.push_back(o);
        return *this;
    }
    onnx_builder& producer(const std::string& name) { producer_ = name; return *this; }
    onnx_builder& graph_name(const std::string& name) { graph_name_ = name; return *this; }

    onnx_builder& add_input(const std::string& name, int elem_type, const std::vector<dim>& dims) {
        inputs_.push_back(value_info_proto(name, elem_type, dims));
        return *this;
    }
    onnx_builder& add_output(const std::string& name, int elem_type, const std::vector<dim>& dims) {
        outputs_.push_back(value_info_proto(name, elem_type, dims));
        return *this;
    }
    onnx_builder& add_value_info(const std::string& name, int elem_type, const std::vector<dim>& dims) {
        value_infos_.push_back(value_info_proto(name, elem_type, dims));
        return *this;
    }
    template <class T>
    onnx_builder& add_initializer(const std::string& name, const std::vector<T>& values, const std::vector<std::int64_t>& dims,
                                  tensor_encoding enc = tensor_encoding::raw) {
        return add_initializer(tensor_proto(name, values, dims, enc));
    }
    onnx_builder& add_initializer(const proto_writer& tensor) {
        initializers_.push_back(tensor);
        return *this;
    }
    onnx_builder& add_node(const std::string& op_type, const std::vector<std::string>& inputs,
                           const std::vector<std::string>& outputs, const std::vector<attr>& attrs = {},
                           const std::string& name = "", const std::string& domain = "") {
        proto_writer n;
        for (const auto& i : inputs) n.bytes(1, i);
        for (const auto& o : outputs) n.bytes(2, o);
        if (!name.empty()) n.bytes(3, name);
        n.bytes(4, op_type);
        for (const auto& a : attrs) n.message(5, a.proto);
        if (!domain.empty()) n.bytes(7, domain);
        nodes_.push_back(n);
        return *this;
    }

    /// The GraphProto (also usable as a subgraph attribute via attr::g).
    proto_writer graph() const {
        proto_writer g;
        for (const auto& n : nodes_) g.message(1, n);
        g.bytes(2, graph_name_);
        for (const auto& t : initializers_) g.message(5, t);
        for (const auto& v : inputs_) g.message(11, v);
        for (const auto& v : outputs_) g.message(12, v);
        for (const auto& v : value_infos_) g.message(13, v);
        return g;
    }
    /// The serialized ModelProto.
    std::string bytes() const {
        proto_writer m;
        m.int64(1, ir_version_).bytes(2, producer_).message(7, graph());
        if (opsets_.empty()) m.message(8, proto_writer().int64(2, 17));
        for (const auto& o : opsets_) m.message(8, o);
        return m.str();
    }
    /// Writes bytes() to a file. ensures: throws std::runtime_error when it cannot.
    void save(const std::string& path) const {
        std::ofstream f(path, std::ios::binary);
        const std::string b = bytes();
        f.write(b.data(), static_cast<std::streamsize>(b.size()));
        if (!f) throw std::runtime_error("cannot write " + path);
    }

private:
    std::int64_t ir_version_ = 8;
    std::string producer_ = "moir-tests";
    std::string graph_name_ = "test_graph";
    std::vector<proto_writer> opsets_, inputs_, outputs_, value_infos_, initializers_, nodes_;
};

}  // namespace moir::test

#endif  // MOIR_TESTS_SUPPORT_PROTOBUF_WRITER_HPP
