#ifndef MOIR_FRONTENDS_COMMON_FLATBUFFER_HPP
#define MOIR_FRONTENDS_COMMON_FLATBUFFER_HPP

// moir::flatbuffers: a hand-written, bounds-checked reader of the FlatBuffers binary format (no
// flatc, no libflatbuffers). A `buffer` holds the file's bytes; a `table` is one table of it, read
// field by field (by the field's id in the schema, 0-based) with a default for absent fields.
// Every offset, vtable, vector length and string is checked against the buffer before it is read:
// a malformed file throws moir::parse_error("<source>: <what> at byte N"), N the absolute offset,
// never reads out of bounds. Scalars are read with memcpy (no alignment assumed), little-endian.
//
//     flatbuffers::buffer b(bytes, "model.tflite");
//     flatbuffers::table root = b.root();
//     std::uint32_t version = root.scalar<std::uint32_t>(0, 0);
//     for (std::size_t i = 0, n = root.table_count(2); i < n; ++i) flatbuffers::table sg = root.table_at(2, i);

#include <moir/core/errors.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint8_t, uint16_t, uint32_t, int32_t, uint64_t
#include <cstring>      // memcpy
#include <optional>     // optional
#include <string>       // string, to_string
#include <type_traits>  // is_arithmetic_v
#include <utility>      // move
#include <vector>       // vector

namespace moir::flatbuffers {

/// The bytes of one FlatBuffers file and its name (for errors). Not copied by tables: a buffer must
/// outlive every table read from it (tables hold a pointer to it).
class buffer {
public:
    buffer(std::vector<std::uint8_t> bytes, std::string source) : bytes_(std::move(bytes)), source_(std::move(source)) {}
    buffer(const buffer&) = delete;
    buffer& operator=(const buffer&) = delete;

    std::size_t size() const { return bytes_.size(); }
    const std::uint8_t* data() const { return bytes_.data(); }
    const std::string& source() const { return source_; }

    /// Throws parse_error "<source>: <what> at byte <offset>".
    [[noreturn]] void fail(std::size_t offset, const std::string& what) const {
        throw parse_error(source_ + ": " + what + " at byte " + std::to_string(offset));
    }
    /// Checks that [offset, offset + n) lies inside the buffer.
    void check(std::uint64_t offset, std::uint64_t n, const char* what) const {
        if (offset > bytes_.size() || n > bytes_.size() - offset)
            fail(static_cast<std::size_t>(offset), std::string(what) + " (" + std::to_string(n) +
                                                         " bytes) runs past the end of the file (" +
                                                         std::to_string(bytes_.size()) + " bytes)");
    }
    /// A little-endian scalar at offset. requires nothing: checked.
    template <class T>
    T read(std::uint64_t offset, const char* what) const {
        static_assert(std::is_arithmetic_v<T>, "moir: flatbuffers::buffer::read reads scalars only");
        check(offset, sizeof(T), what);
        T v;
        std::memcpy(&v, bytes_.data() + offset, sizeof(T));
        return v;
    }
    /// The file identifier (bytes 4..7), or "" when the file is shorter than 8 bytes.
    std::string identifier() const {
        return bytes_.size() >= 8 ? std::string(reinterpret_cast<const char*>(bytes_.data()) + 4, 4) : std::string();
    }

    class table root() const;

private:
    std::vector<std::uint8_t> bytes_;
    std::string source_;
};

/// A vector field: `count` elements of `stride` bytes from `data` (absolute offsets, checked).
struct vector_ref {
    std::size_t data = 0;
    std::size_t count = 0;
    std::size_t offset = 0;  ///< where the length prefix sits (for errors)
};

/// One table of a buffer. Field ids are 0-based, in schema order (a union takes two ids: its type,
/// then its value).
class table {
public:
    /// The table at absolute offset pos. throws parse_error when its vtable is out of bounds.
    table(const buffer& b, std::size_t pos, const char* what) : b_(&b), pos_(pos) {
        const std::int32_t so = b.read<std::int32_t>(pos, what);
        const std::int64_t vt = static_cast<std::int64_t>(pos) - so;
        if (vt < 0 || static_cast<std::uint64_t>(vt) >= b.size())
            b.fail(pos, std::string(what) + ": vtable offset " + std::to_string(so) + " points outside the file");
        vtable_ = static_cast<std::size_t>(vt);
        vt_size_ = b.read<std::uint16_t>(vtable_, "vtable size");
        tbl_size_ = b.read<std::uint16_t>(vtable_ + 2, "table size");
        if (vt_size_ < 4 || vt_size_ % 2 != 0)
            b.fail(vtable_, std::string(what) + ": bad vtable size " + std::to_string(vt_size_));
        if (tbl_size_ < 4) b.fail(vtable_, std::string(what) + ": bad table size " + std::to_string(tbl_size_));
        b.check(vtable_, vt_size_, "vtable");
        b.check(pos_, tbl_size_, "table");
    }

    const buffer& buf() const { return *b_; }
    std::size_t offset() const { return pos_; }

    /// Whether field id is present.
    bool has(int id) const { return field_offset(id, 0) != 0; }

    /// A scalar field (bool, integers, float, double) or `def` when absent.
    template <class T>
    T scalar(int id, T def) const {
        const std::size_t o = field_offset(id, sizeof(T));
        if (!o) return def;
        if constexpr (std::is_same_v<T, bool>) {
            return b_->read<std::uint8_t>(pos_ + o, "bool field") != 0;
        } else {
            return b_->read<T>(pos_ + o, "scalar field");
        }
    }

    /// A sub-table field, or nullopt when absent.
    std::optional<table> sub_table(int id, const char* what) const {
        const std::size_t at = ref(id);
        if (!at) return std::nullopt;
        return table(*b_, target(at, what), what);
    }

    /// A string field, or `def` when absent. Strings are length-prefixed; the terminating 0 is not required.
    std::string string(int id, const std::string& def = {}) const {
        const std::size_t at = ref(id);
        if (!at) return def;
        const vector_ref v = vec_at(target(at, "string"), 1, "string");
        return std::string(reinterpret_cast<const char*>(b_->data()) + v.data, v.count);
    }

    /// A vector field of `elem_size`-byte elements (count 0, data 0 when absent).
    vector_ref vector(int id, std::size_t elem_size, const char* what) const {
        const std::size_t at = ref(id);
        if (!at) return {};
        return vec_at(target(at, what), elem_size, what);
    }

    /// A vector of scalars, converted to T (each element read as S).
    template <class S, class T = S>
    std::vector<T> scalars(int id, const char* what) const {
        const vector_ref v = vector(id, sizeof(S), what);
        std::vector<T> out(v.count);
        for (std::size_t i = 0; i < v.count; ++i) {
            S s;
            std::memcpy(&s, b_->data() + v.data + i * sizeof(S), sizeof(S));
            out[i] = static_cast<T>(s);
        }
        return out;
    }

    /// Number of tables in a vector-of-tables field (0 when absent).
    std::size_t table_count(int id, const char* what) const { return vector(id, 4, what).count; }
    /// Table i of a vector-of-tables field. requires: i < table_count(id) (checked).
    table table_at(int id, std::size_t i, const char* what) const {
        const vector_ref v = vector(id, 4, what);
        if (i >= v.count) b_->fail(v.offset, std::string(what) + ": index " + std::to_string(i) + " out of range");
        const std::size_t at = v.data + i * 4;
        return table(*b_, target(at, what), what);
    }

private:
    /// The field's offset inside the table (0 when absent); checks a present field's `size` bytes fit the table.
    std::size_t field_offset(int id, std::size_t size) const {
        const std::size_t entry = 4 + 2 * static_cast<std::size_t>(id);
        if (id < 0 || entry + 2 > vt_size_) return 0;
        const std::uint16_t o = b_->read<std::uint16_t>(vtable_ + entry, "vtable entry");
        if (o == 0) return 0;
        if (o < 4 || static_cast<std::size_t>(o) + (size ? size : 1) > tbl_size_)
            b_->fail(vtable_ + entry, "field " + std::to_string(id) + " offset " + std::to_string(o) +
                                          " lies outside its table of " + std::to_string(tbl_size_) + " bytes");
        return o;
    }
    /// The absolute position of an offset field (0 when absent).
    std::size_t ref(int id) const {
        const std::size_t o = field_offset(id, 4);
        return o ? pos_ + o : 0;
    }
    /// Follows the uoffset stored at `at`.
    std::size_t target(std::size_t at, const char* what) const {
        const std::uint32_t off = b_->read<std::uint32_t>(at, what);
        const std::uint64_t t = static_cast<std::uint64_t>(at) + off;
        if (off == 0 || t >= b_->size())
            b_->fail(at, std::string(what) + ": offset " + std::to_string(off) + " points outside the file");
        return static_cast<std::size_t>(t);
    }
    vector_ref vec_at(std::size_t pos, std::size_t elem_size, const char* what) const {
        const std::uint32_t n = b_->read<std::uint32_t>(pos, what);
        const std::uint64_t bytes = static_cast<std::uint64_t>(n) * elem_size;
        b_->check(static_cast<std::uint64_t>(pos) + 4, bytes, what);
        return {pos + 4, n, pos};
    }

    const buffer* b_;
    std::size_t pos_;
    std::size_t vtable_ = 0;
    std::uint16_t vt_size_ = 0;
    std::uint16_t tbl_size_ = 0;
};

/// The root table (its uoffset is the file's first 4 bytes).
inline table buffer::root() const {
    const std::uint32_t off = read<std::uint32_t>(0, "root offset");
    if (off < 4 || off >= size()) fail(0, "root table offset " + std::to_string(off) + " points outside the file");
    return table(*this, off, "root table");
}

}  // namespace moir::flatbuffers

#endif  // MOIR_FRONTENDS_COMMON_FLATBUFFER_HPP
