#ifndef MOIR_FRONTENDS_COMMON_PROTOBUF_WIRE_HPP
#define MOIR_FRONTENDS_COMMON_PROTOBUF_WIRE_HPP

// moir::protobuf: a hand-written reader for the protobuf wire format (no protoc, no libprotobuf).
// A reader walks one message's bytes tag by tag; typed reads check the wire type, every read is
// bounds-checked, and every malformed input throws moir::parse_error("<source>: <what> at byte N"),
// where N is the absolute offset in the source. Nesting is limited to max_depth messages.
//
// Typical decode loop:
//     protobuf::tag t;
//     while (r.next(t)) {
//         switch (t.field) {
//             case 1: r.read_repeated_varint(t, msg.dims); break;
//             case 8: msg.name = r.read_string(t); break;
//             default: r.skip(t);
//         }
//     }

#include <moir/core/errors.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint8_t, uint32_t, uint64_t, int32_t, int64_t
#include <cstring>      // memcpy
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <type_traits>  // is_integral_v, is_same_v
#include <vector>       // vector

namespace moir::protobuf {

/// The six wire types of the protobuf encoding (3 and 4 are the deprecated groups).
enum class wire_type : std::uint8_t {
    varint = 0, fixed64 = 1, length_delimited = 2, start_group = 3, end_group = 4, fixed32 = 5
};

/// A decoded field key. invariant: field >= 1; offset is the absolute byte offset of the key.
struct tag {
    std::uint32_t field = 0;
    wire_type type = wire_type::varint;
    std::size_t offset = 0;
};

/// The deepest nesting of sub-messages (and groups) a reader accepts.
inline constexpr int max_depth = 100;

/// Zigzag mapping of sint32/sint64: 0,-1,1,-2,... <-> 0,1,2,3,...
inline std::uint32_t zigzag_encode32(std::int32_t v) {
    return (static_cast<std::uint32_t>(v) << 1) ^ (v < 0 ? ~0u : 0u);
}
inline std::uint64_t zigzag_encode64(std::int64_t v) {
    return (static_cast<std::uint64_t>(v) << 1) ^ (v < 0 ? ~std::uint64_t{0} : std::uint64_t{0});
}
inline std::int32_t zigzag_decode32(std::uint32_t v) {
    return static_cast<std::int32_t>((v >> 1) ^ (~(v & 1u) + 1u));
}
inline std::int64_t zigzag_decode64(std::uint64_t v) {
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1u) + 1u));
}

/// Reads one message (or one length-delimited payload) from a byte range it does not own.
/// requires: [data, data + size) and the `source` text outlive the reader and its sub-readers.
/// ensures: no read goes outside the range; malformed input throws moir::parse_error.
class reader {
public:
    /// A reader over a whole buffer; `source` names it in errors (usually the file path).
    reader(const std::uint8_t* data, std::size_t size, std::string_view source)
        : reader(data, size, source, 0, 0) {}

    bool at_end() const { return pos_ == size_; }
    /// Absolute offset of the next unread byte in the source.
    std::size_t position() const { return base_ + pos_; }
    const std::uint8_t* data() const { return data_; }
    std::size_t size() const { return size_; }
    std::string_view source() const { return source_; }
    /// How many messages enclose this one (0 for the top level).
    int depth() const { return depth_; }

    /// Throws parse_error("<source>: <what> at byte <offset>").
    [[noreturn]] void fail(const std::string& what, std::size_t offset) const {
        throw parse_error(std::string(source_) + ": " + what + " at byte " + std::to_string(offset));
    }

    // ---- raw primitives ------------------------------------------------------------------------

    /// A base-128 varint of at most 10 bytes whose value fits in 64 bits.
    std::uint64_t read_varint() {
        const std::size_t start = position();
        std::uint64_t v = 0;
        for (unsigned shift = 0; shift < 64; shift += 7) {
            if (at_end()) fail("truncated varint", start);
            const std::uint8_t b = data_[pos_++];
            if (shift == 63 && b > 1) fail("varint overflows 64 bits", start);
            v |= static_cast<std::uint64_t>(b & 0x7fu) << shift;
            if ((b & 0x80u) == 0) return v;
        }
        fail("varint longer than 10 bytes", start);  // not reached: the 10th byte is checked above
    }
    std::uint32_t read_fixed32() { return static_cast<std::uint32_t>(read_le(4, "truncated fixed32")); }
    std::uint64_t read_fixed64() { return read_le(8, "truncated fixed64"); }

    /// The next field key. requires: !at_end(). ensures: a valid field number and wire type.
    tag read_tag() {
        tag t;
        t.offset = position();
        const std::uint64_t key = read_varint();
        if (key > 0xffffffffu) fail("field key out of range", t.offset);
        t.field = static_cast<std::uint32_t>(key >> 3);
        if (t.field == 0) fail("invalid field number 0", t.offset);
        const auto w = static_cast<unsigned>(key & 7u);
        if (w > 5) fail("invalid wire type " + std::to_string(w), t.offset);
        t.type = static_cast<wire_type>(w);
        return t;
    }
    /// Reads the next key into `t`; false at the end of the range.
    bool next(tag& t) {
        if (at_end()) return false;
        t = read_tag();
        return true;
    }

    /// The payload of a length-delimited value as a reader at the same depth.
    reader read_length_delimited() {
        const std::size_t start = position();
        const std::uint64_t len = read_varint();
        if (len > size_ - pos_) {
            fail("truncated length-delimited field (" + std::to_string(len) + " bytes declared, " +
                     std::to_string(size_ - pos_) + " left)",
                 start);
        }
        reader sub(data_ + pos_, static_cast<std::size_t>(len), source_, position(), depth_);
        pos_ += static_cast<std::size_t>(len);
        return sub;
    }

    // ---- checked field reads: each verifies the tag's wire type --------------------------------

    /// Throws unless t has wire type w.
    void expect(const tag& t, wire_type w) const {
        if (t.type != w) {
            fail("field " + std::to_string(t.field) + " has wire type " +
                     std::to_string(static_cast<int>(t.type)) + ", expected " + std::to_string(static_cast<int>(w)),
                 t.offset);
        }
    }
    std::uint64_t read_uint64(const tag& t) {
        expect(t, wire_type::varint);
        return read_varint();
    }
    std::int64_t read_int64(const tag& t) { return static_cast<std::int64_t>(read_uint64(t)); }
    /// int32 and enums: the low 32 bits of the varint (negative values come sign-extended).
    std::int32_t read_int32(const tag& t) { return static_cast<std::int32_t>(read_uint64(t) & 0xffffffffu); }
    bool read_bool(const tag& t) { return read_uint64(t) != 0; }
    std::int64_t read_sint64(const tag& t) { return zigzag_decode64(read_uint64(t)); }
    float read_float(const tag& t) {
        expect(t, wire_type::fixed32);
        return bit_cast<float>(read_fixed32());
    }
    double read_double(const tag& t) {
        expect(t, wire_type::fixed64);
        return bit_cast<double>(read_fixed64());
    }
    /// A string or bytes field, copied.
    std::string read_string(const tag& t) {
        expect(t, wire_type::length_delimited);
        const reader s = read_length_delimited();
        return std::string(reinterpret_cast<const char*>(s.data_), s.size_);
    }
    /// An embedded message: a reader one level deeper. ensures: throws beyond max_depth.
    reader read_message(const tag& t) {
        expect(t, wire_type::length_delimited);
        if (depth_ + 1 > max_depth) fail("messages nested deeper than " + std::to_string(max_depth), t.offset);
        reader sub = read_length_delimited();
        ++sub.depth_;
        return sub;
    }

    /// Appends a repeated varint field (int32/int64/uint64/bool/enum), packed or not.
    template <class T>
    void read_repeated_varint(const tag& t, std::vector<T>& out) {
        static_assert(std::is_integral_v<T>, "varint elements are integers or bool");
        if (t.type == wire_type::length_delimited) {
            reader packed = read_length_delimited();
            while (!packed.at_end()) out.push_back(from_varint<T>(packed.read_varint()));
        } else {
            out.push_back(from_varint<T>(read_uint64(t)));
        }
    }
    /// Appends a repeated fixed-width field (float/fixed32/sfixed32 or double/fixed64/sfixed64), packed or not.
    template <class T>
    void read_repeated_fixed(const tag& t, std::vector<T>& out) {
        static_assert(sizeof(T) == 4 || sizeof(T) == 8, "fixed elements are 4 or 8 bytes wide");
        constexpr wire_type element = sizeof(T) == 4 ? wire_type::fixed32 : wire_type::fixed64;
        if (t.type == wire_type::length_delimited) {
            const std::size_t start = position();
            reader packed = read_length_delimited();
            if (packed.size_ % sizeof(T) != 0) {
                fail("packed field " + std::to_string(t.field) + " has " + std::to_string(packed.size_) +
                         " bytes, not a multiple of " + std::to_string(sizeof(T)),
                     start);
            }
            out.reserve(out.size() + packed.size_ / sizeof(T));
            while (!packed.at_end()) out.push_back(bit_cast<T>(packed.read_le(sizeof(T), "truncated packed value")));
        } else {
            expect(t, element);
            out.push_back(bit_cast<T>(read_le(sizeof(T), "truncated fixed value")));
        }
    }

    /// Skips the value of an unknown field of any wire type; groups are skipped up to the matching
    /// end-group key. ensures: throws on a stray end-group key or an unterminated group.
    void skip(const tag& t) {
        switch (t.type) {
            case wire_type::varint: read_varint(); break;
            case wire_type::fixed64: read_fixed64(); break;
            case wire_type::length_delimited: read_length_delimited(); break;
            case wire_type::fixed32: read_fixed32(); break;
            case wire_type::start_group: skip_group(t); break;
            case wire_type::end_group:
                fail("unexpected end-group key for field " + std::to_string(t.field), t.offset);
        }
    }

private:
    reader(const std::uint8_t* data, std::size_t size, std::string_view source, std::size_t base, int depth)
        : data_(data), size_(size), base_(base), depth_(depth), source_(source) {}

    template <class To, class From>
    static To bit_cast(From v) {
        static_assert(sizeof(To) <= sizeof(From), "bit_cast narrows only");
        if constexpr (sizeof(To) == sizeof(From)) {
            To r;
            std::memcpy(&r, &v, sizeof r);
            return r;
        } else {  // the low bytes of a wider integer
            return bit_cast<To>(static_cast<std::uint32_t>(v));
        }
    }
    template <class T>
    static T from_varint(std::uint64_t v) {
        if constexpr (std::is_same_v<T, bool>) return v != 0;
        else return static_cast<T>(v);  // modular: keeps the low bits, as protobuf does
    }
    /// n little-endian bytes (n <= 8), assembled portably.
    std::uint64_t read_le(std::size_t n, const char* what) {
        if (size_ - pos_ < n) fail(what, position());
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(data_[pos_ + i]) << (8 * i);
        pos_ += n;
        return v;
    }
    void skip_group(const tag& start) {
        if (depth_ + 1 > max_depth) fail("groups nested deeper than " + std::to_string(max_depth), start.offset);
        ++depth_;
        tag t;
        for (;;) {
            if (!next(t)) fail("unterminated group for field " + std::to_string(start.field), start.offset);
            if (t.type == wire_type::end_group) break;
            skip(t);
        }
        if (t.field != start.field) fail("end-group key does not match field " + std::to_string(start.field), t.offset);
        --depth_;
    }

    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
    std::size_t base_;  // absolute offset of data_[0] in the source
    int depth_;
    std::string_view source_;
};

}  // namespace moir::protobuf

#endif  // MOIR_FRONTENDS_COMMON_PROTOBUF_WIRE_HPP
