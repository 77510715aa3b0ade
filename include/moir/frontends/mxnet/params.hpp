#ifndef MOIR_FRONTENDS_MXNET_PARAMS_HPP
#define MOIR_FRONTENDS_MXNET_PARAMS_HPP

// MXNet's NDArray list file (`<prefix>-NNNN.params`, and the `.nd` files of `mx.nd.save`), all
// little-endian:
//   u64 magic 0x112, u64 reserved,
//   u64 array count, then each array:
//     v2 / v3 header (MXNet >= 0.12): u32 magic 0xF993FAC9 (v2) or 0xF993FACA (v3, NumPy shapes),
//       i32 storage type (0 = dense), shape (u32 ndim + i64 dims; ndim 0 = none in v2, -1 in v3),
//       context (i32 device type, i32 device id), i32 dtype, data;
//     v1 header: u32 magic 0xF993FAC8, shape (u32 ndim + i64 dims), context, i32 dtype, data;
//     legacy (no magic): u32 ndim, u32 dims, context, i32 dtype, data;
//   u64 name count (0 or the array count), then each name: u64 length + bytes
//   ("arg:conv0_weight" / "aux:bn0_moving_mean" in checkpoints, bare names in .nd files).
// dtypes (mshadow): 0 f32, 1 f64, 2 f16, 3 u8, 4 i32, 5 i8, 6 i64, 7 bool, 8 i16, 9 u16, 10 u32,
// 11 u64. Every length, count and offset is checked against the file's size; errors name the file
// and the byte offset.

#include <moir/core/errors.hpp>
#include <moir/core/tensor.hpp>

#include <cstdint>   // uint32_t, uint64_t, int32_t, int64_t
#include <cstring>   // memcpy
#include <fstream>   // ifstream
#include <iterator>  // istreambuf_iterator
#include <map>       // map
#include <optional>  // optional
#include <string>    // string, to_string
#include <vector>    // vector

namespace moir::mxnet {

/// The magic numbers of the format.
inline constexpr std::uint64_t ndarray_list_magic = 0x112;
inline constexpr std::uint32_t ndarray_v1_magic = 0xF993FAC8u, ndarray_v2_magic = 0xF993FAC9u,
                               ndarray_v3_magic = 0xF993FACAu;

/// A decoded NDArray list: names (empty when the file stores none) and arrays, in file order.
struct ndarray_list {
    std::string source;
    std::vector<std::string> names;
    std::vector<tensor> arrays;
};

/// The element type of an mshadow dtype code, or nullopt (bfloat16 and unknown codes).
inline std::optional<element_type> element_type_of_mshadow(std::int32_t code) {
    switch (code) {
        case 0: return element_type::f32;
        case 1: return element_type::f64;
        case 2: return element_type::f16;
        case 3: return element_type::u8;
        case 4: return element_type::i32;
        case 5: return element_type::i8;
        case 6: return element_type::i64;
        case 7: return element_type::boolean;
        case 8: return element_type::i16;
        case 9: return element_type::u16;
        case 10: return element_type::u32;
        case 11: return element_type::u64;
        default: return std::nullopt;
    }
}

namespace detail {
/// Little-endian reads over a byte string, each checked against its size.
class byte_cursor {
public:
    byte_cursor(const std::string& bytes, const std::string& source) : b_(&bytes), source_(&source) {}
    std::size_t pos() const { return pos_; }
    std::size_t left() const { return b_->size() - pos_; }
    /// ensures: n bytes are left, else moir::parse_error naming the file, the offset and `what`.
    void need(std::uint64_t n, const std::string& what) const {
        MOIR_CHECK(n <= left(), parse_error,
                   *source_ + ": truncated at byte " + std::to_string(pos_) + ": " + what + " needs " +
                       std::to_string(n) + " bytes, the file has " + std::to_string(left()) + " left (of " +
                       std::to_string(b_->size()) + ")");
    }
    template <class T>
    T read(const std::string& what) {
        need(sizeof(T), what);
        T v;
        std::memcpy(&v, b_->data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    const char* take(std::uint64_t n, const std::string& what) {
        need(n, what);
        const char* p = b_->data() + pos_;
        pos_ += static_cast<std::size_t>(n);
        return p;
    }
    [[noreturn]] void fail(std::size_t at, const std::string& what) const {
        throw parse_error(*source_ + ": byte " + std::to_string(at) + ": " + what);
    }

private:
    const std::string* b_;
    const std::string* source_;
    std::size_t pos_ = 0;
};

/// One array (any header version). `what` names it in errors ("array 3").
inline tensor read_ndarray(byte_cursor& c, const std::string& what) {
    const std::size_t start = c.pos();
    const std::uint32_t head = c.read<std::uint32_t>(what + " header");
    shape dims;
    bool none = false;
    const auto dims64 = [&](std::int64_t ndim) {
        if (ndim < 0 || ndim > 32) c.fail(c.pos() - 4, what + " has rank " + std::to_string(ndim));
        for (std::int64_t i = 0; i < ndim; ++i) {
            const std::int64_t d = c.read<std::int64_t>(what + " dim " + std::to_string(i));
            if (d < 0) c.fail(c.pos() - 8, what + " has dim " + std::to_string(i) + " = " + std::to_string(d));
            dims.push_back(d);
        }
    };
    if (head == ndarray_v2_magic || head == ndarray_v3_magic) {
        const std::int32_t stype = c.read<std::int32_t>(what + " storage type");
        if (stype != 0)
            c.fail(c.pos() - 4, what + " is stored sparse (storage type " + std::to_string(stype) +
                                    "); moir reads dense arrays only");
        const auto ndim = static_cast<std::int64_t>(c.read<std::int32_t>(what + " rank"));
        if (head == ndarray_v3_magic && ndim == -1) none = true;
        else if (head == ndarray_v2_magic && ndim == 0) none = true;
        else dims64(ndim);
    } else if (head == ndarray_v1_magic) {
        const auto ndim = static_cast<std::int64_t>(c.read<std::uint32_t>(what + " rank"));
        if (ndim == 0) none = true;
        else dims64(ndim);
    } else {  // legacy: the first word is the rank, the dims are u32
        if (head > 32) c.fail(start, what + " starts with " + std::to_string(head) + ", neither an NDArray magic nor a rank");
        if (head == 0) none = true;
        for (std::uint32_t i = 0; i < head; ++i) dims.push_back(c.read<std::uint32_t>(what + " dim " + std::to_string(i)));
    }
    if (none) return tensor();
    c.read<std::int32_t>(what + " device type");
    c.read<std::int32_t>(what + " device id");
    const std::size_t type_at = c.pos();
    const std::int32_t code = c.read<std::int32_t>(what + " dtype");
    const auto et = element_type_of_mshadow(code);
    if (!et) c.fail(type_at, what + " has dtype code " + std::to_string(code) + ", which moir does not read");
    // the element count, bounded by what is left so that it cannot overflow
    const std::uint64_t esize = size_of(*et);
    std::uint64_t n = 1;
    bool zero = false;
    for (auto d : dims) zero = zero || d == 0;
    const std::string data_what = what + " data (shape [" + to_string(dims) + "], " + std::string(ir_name(*et)) + ")";
    if (!zero)
        for (auto d : dims) {
            if (static_cast<std::uint64_t>(d) > c.left() / esize / n)
                c.fail(c.pos(), "truncated: " + data_what + " needs more than the " + std::to_string(c.left()) +
                                    " bytes left");
            n *= static_cast<std::uint64_t>(d);
        }
    else
        n = 0;
    const char* data = c.take(n * esize, data_what);
    tensor t(*et, dims);
    if (n) std::memcpy(t.raw(), data, static_cast<std::size_t>(n * esize));
    return t;
}
}  // namespace detail

/// Decodes the bytes of an NDArray list file. ensures: moir::parse_error "<source>: ... byte N ..."
/// for a wrong magic, a truncated file, a count or length beyond the file, a sparse array or an
/// unknown dtype, or names that do not pair with the arrays.
inline ndarray_list parse_ndarray_list(const std::string& bytes, const std::string& source) {
    detail::byte_cursor c(bytes, source);
    ndarray_list l;
    l.source = source;
    const std::uint64_t magic = c.read<std::uint64_t>("the file header");
    if (magic != ndarray_list_magic) c.fail(0, "not an MXNet NDArray list (magic " + std::to_string(magic) + ", expected 0x112)");
    c.read<std::uint64_t>("the reserved header word");
    const std::size_t count_at = c.pos();
    const std::uint64_t count = c.read<std::uint64_t>("the array count");
    // every array takes at least 4 bytes: a larger count cannot be right
    if (count > c.left() / 4) c.fail(count_at, "array count " + std::to_string(count) + " exceeds what the file can hold");
    for (std::uint64_t i = 0; i < count; ++i) l.arrays.push_back(detail::read_ndarray(c, "array " + std::to_string(i)));
    const std::size_t names_at = c.pos();
    const std::uint64_t nnames = c.read<std::uint64_t>("the name count");
    if (nnames != 0 && nnames != count)
        c.fail(names_at, std::to_string(nnames) + " names for " + std::to_string(count) + " arrays");
    for (std::uint64_t i = 0; i < nnames; ++i) {
        const std::string what = "name " + std::to_string(i);
        const std::uint64_t len = c.read<std::uint64_t>(what + " length");
        const char* p = c.take(len, what);
        l.names.emplace_back(p, static_cast<std::size_t>(len));
    }
    if (c.left() != 0) c.fail(c.pos(), std::to_string(c.left()) + " bytes after the last name");
    return l;
}

/// Reads an NDArray list file. ensures: as parse_ndarray_list; moir::error when it cannot be read.
inline ndarray_list read_ndarray_list(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, "cannot open " + path);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return parse_ndarray_list(bytes, path);
}

/// A model's weights by variable name: `arg` (learned parameters) and `aux` (BatchNorm's moving
/// statistics), with the "arg:" / "aux:" prefixes taken off.
struct param_set {
    std::map<std::string, tensor> arg, aux;
    /// The weight called `name` (arg first, then aux), or nullptr.
    const tensor* find(const std::string& name) const {
        auto it = arg.find(name);
        if (it != arg.end()) return &it->second;
        it = aux.find(name);
        return it == aux.end() ? nullptr : &it->second;
    }
};

/// Adds a list's arrays to `p`: a name with "arg:" or "aux:" goes there; a bare name goes to aux
/// when `bare_is_aux`, else to arg. Later lists replace earlier entries. requires: named arrays.
inline void add_params(param_set& p, const ndarray_list& l, bool bare_is_aux = false) {
    MOIR_CHECK(l.names.size() == l.arrays.size() || l.arrays.empty(), parse_error,
               l.source + ": the arrays have no names; moir needs named parameters");
    for (std::size_t i = 0; i < l.names.size(); ++i) {
        const std::string& n = l.names[i];
        if (n.rfind("arg:", 0) == 0) p.arg[n.substr(4)] = l.arrays[i];
        else if (n.rfind("aux:", 0) == 0) p.aux[n.substr(4)] = l.arrays[i];
        else (bare_is_aux ? p.aux : p.arg)[n] = l.arrays[i];
    }
}

}  // namespace moir::mxnet

#endif  // MOIR_FRONTENDS_MXNET_PARAMS_HPP
