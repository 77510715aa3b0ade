#ifndef MOIR_IO_NPY_HPP
#define MOIR_IO_NPY_HPP

// Reading and writing NumPy .npy files (format 1.0, 2.0 and 3.0; C order; little-endian or
// byte-order-free dtypes) as moir::tensor.

#include <moir/core/errors.hpp>
#include <moir/core/tensor.hpp>
#include <moir/io/files.hpp>

#include <algorithm>  // min
#include <cstdint>    // uint8_t, uint64_t
#include <cstring>    // memcpy
#include <fstream>    // ifstream
#include <map>        // map
#include <string>     // string
#include <vector>     // vector

namespace moir::npy {

/// Limits on what a .npy file may declare, checked before anything is allocated.
struct limits {
    std::size_t max_header_bytes = 64 * 1024;             ///< the header dict (numpy writes < 4 KiB)
    std::uint64_t max_data_bytes = io::default_max_file_bytes;  ///< the array data
};

namespace detail {
/// The key -> value text of a .npy header, a Python dict literal such as
/// {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }. A repeated key keeps its last
/// value, as Python (and so numpy) does. ensures: parse_error quoting at most 100 bytes of it.
inline std::map<std::string, std::string> header_dict(const std::string& h, const std::string& path) {
    const auto bad = [&](const std::string& why) {
        return parse_error(path + ": malformed .npy header (" + why + "): " + printable(h));
    };
    std::map<std::string, std::string> d;
    std::size_t p = 0;
    const auto skip = [&] {
        while (p < h.size() && (h[p] == ' ' || h[p] == '\t' || h[p] == '\n' || h[p] == '\r')) ++p;
    };
    skip();
    if (p >= h.size() || h[p] != '{') throw bad("no '{'");
    ++p;
    for (;;) {
        skip();
        if (p < h.size() && h[p] == '}') break;
        if (p >= h.size() || (h[p] != '\'' && h[p] != '"')) throw bad("a key is not a quoted string");
        const auto ke = h.find(h[p], p + 1);
        if (ke == std::string::npos) throw bad("an unterminated key");
        std::string key = h.substr(p + 1, ke - p - 1);
        p = ke + 1;
        skip();
        if (p >= h.size() || h[p] != ':') throw bad("no ':' after key '" + printable(key) + "'");
        ++p;
        skip();
        std::size_t e = p;
        if (p < h.size() && (h[p] == '\'' || h[p] == '"')) {
            e = h.find(h[p], p + 1);
            if (e == std::string::npos) throw bad("an unterminated string");
            d[key] = h.substr(p + 1, e - p - 1);
            p = e + 1;
        } else if (p < h.size() && h[p] == '(') {
            e = h.find(')', p);
            if (e == std::string::npos) throw bad("an unterminated tuple");
            d[key] = h.substr(p + 1, e - p - 1);
            p = e + 1;
        } else {
            while (e < h.size() && h[e] != ',' && h[e] != '}') ++e;
            std::string v = h.substr(p, e - p);
            while (!v.empty() && v.back() == ' ') v.pop_back();
            d[key] = v;
            p = e;
        }
        skip();
        if (p < h.size() && h[p] == ',') {
            ++p;
            continue;
        }
        if (p < h.size() && h[p] == '}') break;
        throw bad("no ',' or '}' after the value of '" + printable(key) + "'");
    }
    return d;
}

/// The value of `key`. ensures: parse_error naming the key when absent.
inline const std::string& header_value(const std::map<std::string, std::string>& d, const std::string& key,
                                       const std::string& path) {
    const auto it = d.find(key);
    MOIR_CHECK(it != d.end(), parse_error, path + ": .npy header has no '" + key + "'");
    return it->second;
}

/// What the fixed-size preamble says: where the data starts and how long the header is.
struct preamble {
    std::size_t header_len = 0, start = 0;
};

/// Reads the magic, version and header length from the first bytes (at least 10; 12 for v2/v3).
inline preamble read_preamble(const std::string& bytes, const std::string& path, const limits& lim) {
    const auto u = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
    MOIR_CHECK(bytes.size() >= 10 && bytes.compare(0, 6, "\x93NUMPY") == 0, parse_error,
               path + ": not a .npy file (bad magic)");
    const int major = u(6);
    preamble p;
    if (major == 1) {
        p.header_len = u(8) | (u(9) << 8);
        p.start = 10;
    } else if (major == 2 || major == 3) {
        MOIR_CHECK(bytes.size() >= 12, parse_error, path + ": truncated .npy header");
        p.header_len = static_cast<std::size_t>(u(8)) | (static_cast<std::size_t>(u(9)) << 8) |
                       (static_cast<std::size_t>(u(10)) << 16) | (static_cast<std::size_t>(u(11)) << 24);
        p.start = 12;
    } else {
        throw parse_error(path + ": unsupported .npy format version " + std::to_string(major));
    }
    MOIR_CHECK(p.header_len <= lim.max_header_bytes, parse_error,
               path + ": the .npy header declares " + std::to_string(p.header_len) + " bytes, more than the limit of " +
                   std::to_string(lim.max_header_bytes));
    return p;
}

/// The dtype, shape and data size a header declares.
struct layout {
    element_type type = element_type::undefined;
    shape dims;
    std::size_t count = 0;  ///< elements
    std::uint64_t data_bytes = 0;
    std::string descr, shape_text;
};

inline layout read_header(const std::string& h, const std::string& path, const limits& lim) {
    const auto dict = header_dict(h, path);
    layout L;
    std::string descr = header_value(dict, "descr", path);
    const std::string& fortran = header_value(dict, "fortran_order", path);
    MOIR_CHECK(fortran == "False", parse_error,
               fortran == "True" ? path + ": Fortran-ordered arrays are not supported (save with np.ascontiguousarray)"
                                 : path + ": fortran_order is '" + printable(fortran) + "', not True or False");
    MOIR_CHECK(!descr.empty(), parse_error, path + ": empty dtype");
    L.descr = printable(descr);
    const char order = descr[0];
    MOIR_CHECK(order != '>' || descr.substr(1) == "i1" || descr.substr(1) == "u1" || descr.substr(1) == "b1",
               parse_error, path + ": big-endian dtype '" + L.descr + "' is not supported");
    if (order == '<' || order == '|' || order == '=' || order == '>') descr = descr.substr(1);
    for (const auto& r : moir::detail::element_type_table)
        if (r.type != element_type::undefined && descr == r.npy) L.type = r.type;
    if (descr == "?") L.type = element_type::boolean;
    MOIR_CHECK(L.type != element_type::undefined, parse_error, path + ": unsupported dtype '" + L.descr + "'");
    const std::string& sh = header_value(dict, "shape", path);
    L.shape_text = printable(sh);
    std::size_t i = 0;
    while (i < sh.size()) {
        while (i < sh.size() && (sh[i] == ' ' || sh[i] == ',')) ++i;
        if (i >= sh.size()) break;
        std::size_t j = i;
        while (j < sh.size() && sh[j] >= '0' && sh[j] <= '9') ++j;
        if (j < sh.size() && sh[j] == 'L') ++j;  // Python 2 longs
        MOIR_CHECK(j > i && j - i < 19 && sh[i] != 'L', parse_error, path + ": malformed shape '(" + L.shape_text + ")'");
        L.dims.push_back(std::stoll(sh.substr(i, j - i)));
        MOIR_CHECK(L.dims.size() <= 32, parse_error, path + ": shape '(" + L.shape_text + ")' has more than 32 axes");
        i = j;
    }
    // the element count and byte size, overflow-checked, against the limit
    const std::uint64_t esize = size_of(L.type);
    std::uint64_t n = 1;
    bool zero = false;
    for (auto d : L.dims) zero = zero || d == 0;
    for (auto d : L.dims) {
        if (zero) break;
        const auto ud = static_cast<std::uint64_t>(d);
        MOIR_CHECK(n <= lim.max_data_bytes / esize / ud, parse_error,
                   path + ": shape (" + L.shape_text + ") of " + L.descr + " declares more than the limit of " +
                       std::to_string(lim.max_data_bytes) + " bytes");
        n *= ud;
    }
    L.count = zero ? 0 : static_cast<std::size_t>(n);
    L.data_bytes = L.count * esize;
    return L;
}

/// Builds the tensor from its data bytes. requires: `data` holds L.data_bytes bytes.
inline tensor make_tensor(const layout& L, const char* data) {
    tensor t(L.type, L.dims);
    if (t.bytes()) std::memcpy(t.raw(), data, t.bytes());
    if (L.type == element_type::boolean) {
        auto* b = static_cast<std::uint8_t*>(t.raw());
        for (std::size_t k = 0; k < L.count; ++k) b[k] = b[k] ? 1 : 0;
    }
    return t;
}
}  // namespace detail

/// Decodes .npy bytes. `path` only names the source in errors.
/// ensures: a tensor of the file's dtype and shape; throws moir::parse_error on anything malformed,
/// truncated, Fortran-ordered, big-endian, of an unsupported dtype or beyond `lim`. Messages quote
/// at most 100 bytes of the header, non-ASCII bytes escaped.
inline tensor decode(const std::string& bytes, const std::string& path, const limits& lim = {}) {
    const detail::preamble p = detail::read_preamble(bytes, path, lim);
    MOIR_CHECK(p.header_len <= bytes.size() - p.start, parse_error, path + ": truncated .npy header");
    const detail::layout L = detail::read_header(bytes.substr(p.start, p.header_len), path, lim);
    const std::size_t data_start = p.start + p.header_len;
    MOIR_CHECK(bytes.size() - data_start == L.data_bytes, parse_error,
               path + ": data holds " + std::to_string(bytes.size() - data_start) + " bytes, shape (" + L.shape_text +
                   ") of " + L.descr + " needs " + std::to_string(L.data_bytes));
    return detail::make_tensor(L, bytes.data() + data_start);
}

/// Reads a .npy file: the magic and header first, the data only once its declared size is known
/// to fit `lim` and to match the file's size.
/// ensures: throws moir::error naming the path when it is missing, a folder, a FIFO, a device or
/// otherwise not a regular file (so /dev/zero or a pipe never blocks or reads without end);
/// moir::parse_error as decode().
inline tensor load(const std::string& path, const limits& lim = {}) {
    const std::uint64_t file_size = io::regular_file_size(path, ~std::uint64_t{0});
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, "cannot open '" + path + "'");
    std::string head(static_cast<std::size_t>(std::min<std::uint64_t>(file_size, 12)), '\0');
    f.read(head.data(), static_cast<std::streamsize>(head.size()));
    MOIR_CHECK(static_cast<std::size_t>(f.gcount()) == head.size(), error, "cannot read '" + path + "'");
    const detail::preamble p = detail::read_preamble(head, path, lim);
    MOIR_CHECK(p.start + p.header_len <= file_size, parse_error, path + ": truncated .npy header");
    std::string h(p.header_len, '\0');
    f.seekg(static_cast<std::streamoff>(p.start));
    f.read(h.data(), static_cast<std::streamsize>(h.size()));
    MOIR_CHECK(static_cast<std::size_t>(f.gcount()) == h.size(), error, "cannot read '" + path + "'");
    const detail::layout L = detail::read_header(h, path, lim);
    const std::uint64_t have = file_size - (p.start + p.header_len);
    MOIR_CHECK(have == L.data_bytes, parse_error,
               path + ": data holds " + std::to_string(have) + " bytes, shape (" + L.shape_text + ") of " + L.descr +
                   " needs " + std::to_string(L.data_bytes));
    std::string data(static_cast<std::size_t>(L.data_bytes), '\0');
    if (!data.empty()) f.read(data.data(), static_cast<std::streamsize>(data.size()));
    MOIR_CHECK(static_cast<std::uint64_t>(f.gcount()) == L.data_bytes || data.empty(), error,
               "cannot read '" + path + "': the file changed while it was read");
    return detail::make_tensor(L, data.data());
}

/// `t` (read from `file`) as an input of element type `want` of the model input `input`.
/// ensures: `t` itself when the types agree; for an f32 input, a numeric (integer or floating)
/// array converted to f32, with a sentence saying so appended to `notes`; otherwise throws
/// moir::error naming the file, both types and the dtype to save instead.
inline tensor as_input(const tensor& t, element_type want, const std::string& file, const std::string& input,
                       std::vector<std::string>& notes) {
    if (t.type() == want) return t;
    const std::string have_name(ir_name(t.type())), want_name(ir_name(want));
    MOIR_CHECK(want == element_type::f32 && t.type() != element_type::boolean, error,
               file + " holds " + have_name + " (" + std::string(npy_descr(t.type())) + "), model input '" + input +
                   "' is " + want_name + ": save the array as " + std::string(npy_descr(want)) +
                   " (moir converts only numeric arrays to an f32 input)");
    notes.push_back(file + ": " + have_name + " values converted to f32 for model input '" + input + "'");
    return t.converted(want);
}

/// Encodes a tensor as .npy (format 1.0) bytes.
inline std::string encode(const tensor& t) {
    const char order = size_of(t.type()) == 1 ? '|' : '<';
    std::string shp;
    for (std::size_t i = 0; i < t.rank(); ++i) shp += (i ? ", " : "") + std::to_string(t.dims()[i]);
    if (t.rank() == 1) shp += ',';
    std::string header = "{'descr': '" + std::string(1, order) + std::string(npy_descr(t.type())) +
                         "', 'fortran_order': False, 'shape': (" + shp + "), }";
    std::size_t total = 10 + header.size() + 1;
    header.append((64 - total % 64) % 64, ' ');
    header += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>((header.size() >> 8) & 0xff);
    out += header;
    out.append(static_cast<const char*>(t.raw()), t.bytes());
    return out;
}

/// Writes a .npy file through a temporary file renamed into place.
/// ensures: every write and the close are checked (a full disk is an error); on failure `path` is
/// untouched and no temporary file remains; throws moir::error naming the path.
inline void save(const std::string& path, const tensor& t) {
    const std::string bytes = encode(t);
    io::replace_files({{path, bytes}});
}

}  // namespace moir::npy

#endif  // MOIR_IO_NPY_HPP
