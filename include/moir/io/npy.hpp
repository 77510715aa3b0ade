#ifndef MOIR_IO_NPY_HPP
#define MOIR_IO_NPY_HPP

// Reading and writing NumPy .npy files (format 1.0, 2.0 and 3.0; C order; little-endian or
// byte-order-free dtypes) as moir::tensor.

#include <moir/core/errors.hpp>
#include <moir/core/tensor.hpp>

#include <cstdint>   // uint8_t, uint32_t
#include <cstdio>    // remove, rename
#include <cstring>   // memcpy
#include <fstream>   // ifstream, ofstream
#include <iterator>  // istreambuf_iterator
#include <string>    // string

namespace moir::npy {

namespace detail {
inline std::string header_value(const std::string& h, const std::string& key, const std::string& path) {
    const auto k = h.find("'" + key + "'");
    MOIR_CHECK(k != std::string::npos, parse_error, path + ": .npy header has no '" + key + "'");
    auto p = h.find(':', k);
    MOIR_CHECK(p != std::string::npos, parse_error, path + ": malformed .npy header");
    ++p;
    while (p < h.size() && h[p] == ' ') ++p;
    if (p < h.size() && (h[p] == '\'' || h[p] == '"')) {
        const auto e = h.find(h[p], p + 1);
        MOIR_CHECK(e != std::string::npos, parse_error, path + ": malformed .npy header");
        return h.substr(p + 1, e - p - 1);
    }
    if (p < h.size() && h[p] == '(') {
        const auto e = h.find(')', p);
        MOIR_CHECK(e != std::string::npos, parse_error, path + ": malformed .npy header");
        return h.substr(p + 1, e - p - 1);
    }
    auto e = p;
    while (e < h.size() && h[e] != ',' && h[e] != '}') ++e;
    return h.substr(p, e - p);
}
}  // namespace detail

/// Decodes .npy bytes. `path` only names the source in errors.
/// ensures: a tensor of the file's dtype and shape; throws moir::parse_error on anything malformed,
/// truncated, Fortran-ordered, big-endian or of an unsupported dtype.
inline tensor decode(const std::string& bytes, const std::string& path) {
    const auto u = [&](std::size_t i) { return static_cast<std::uint8_t>(bytes[i]); };
    MOIR_CHECK(bytes.size() >= 10 && bytes.compare(0, 6, "\x93NUMPY") == 0, parse_error,
               path + ": not a .npy file (bad magic)");
    const int major = u(6);
    std::size_t header_len, start;
    if (major == 1) {
        header_len = u(8) | (u(9) << 8);
        start = 10;
    } else if (major == 2 || major == 3) {
        MOIR_CHECK(bytes.size() >= 12, parse_error, path + ": truncated .npy header");
        header_len = static_cast<std::size_t>(u(8)) | (static_cast<std::size_t>(u(9)) << 8) |
                     (static_cast<std::size_t>(u(10)) << 16) | (static_cast<std::size_t>(u(11)) << 24);
        start = 12;
    } else {
        throw parse_error(path + ": unsupported .npy format version " + std::to_string(major));
    }
    MOIR_CHECK(header_len <= bytes.size() - start, parse_error, path + ": truncated .npy header");
    const std::string h = bytes.substr(start, header_len);
    std::string descr = detail::header_value(h, "descr", path);
    const std::string fortran = detail::header_value(h, "fortran_order", path);
    MOIR_CHECK(fortran.find("False") != std::string::npos, parse_error,
               path + ": Fortran-ordered arrays are not supported (save with np.ascontiguousarray)");
    MOIR_CHECK(!descr.empty(), parse_error, path + ": empty dtype");
    const char order = descr[0];
    MOIR_CHECK(order != '>' || descr.substr(1) == "i1" || descr.substr(1) == "u1" || descr.substr(1) == "b1",
               parse_error, path + ": big-endian dtype '" + descr + "' is not supported");
    if (order == '<' || order == '|' || order == '=' || order == '>') descr = descr.substr(1);
    element_type type = element_type::undefined;
    for (const auto& r : moir::detail::element_type_table)
        if (r.type != element_type::undefined && descr == r.npy) type = r.type;
    if (descr == "?") type = element_type::boolean;
    MOIR_CHECK(type != element_type::undefined, parse_error, path + ": unsupported dtype '" + descr + "'");
    shape dims;
    const std::string sh = detail::header_value(h, "shape", path);
    std::size_t i = 0;
    while (i < sh.size()) {
        while (i < sh.size() && (sh[i] == ' ' || sh[i] == ',')) ++i;
        if (i >= sh.size()) break;
        std::size_t j = i;
        while (j < sh.size() && sh[j] >= '0' && sh[j] <= '9') ++j;
        MOIR_CHECK(j > i && j - i < 13, parse_error, path + ": malformed shape '(" + sh + ")'");
        dims.push_back(std::stoll(sh.substr(i, j - i)));
        i = j;
    }
    std::size_t n = 1;
    for (auto d : dims) {
        MOIR_CHECK(d == 0 || n <= (std::size_t(1) << 40) / static_cast<std::size_t>(d), parse_error,
                   path + ": shape is too large");
        n *= static_cast<std::size_t>(d);
    }
    const std::size_t data_start = start + header_len;
    MOIR_CHECK(bytes.size() - data_start == n * size_of(type), parse_error,
               path + ": data holds " + std::to_string(bytes.size() - data_start) + " bytes, shape (" + sh +
                   ") of " + descr + " needs " + std::to_string(n * size_of(type)));
    tensor t(type, dims);
    if (t.bytes()) std::memcpy(t.raw(), bytes.data() + data_start, t.bytes());
    if (type == element_type::boolean) {
        auto* b = static_cast<std::uint8_t*>(t.raw());
        for (std::size_t k = 0; k < n; ++k) b[k] = b[k] ? 1 : 0;
    }
    return t;
}

/// Reads a .npy file. ensures: throws moir::error "cannot open <path>" or parse_error.
inline tensor load(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, "cannot open " + path);
    const std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return decode(bytes, path);
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

/// Writes a .npy file (through a temporary file, so no partial file is left on failure).
inline void save(const std::string& path, const tensor& t) {
    const std::string tmp = path + ".tmp";
    {
        std::ofstream f(tmp, std::ios::binary);
        MOIR_CHECK(f, error, "cannot write " + path);
        const std::string bytes = encode(t);
        f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        MOIR_CHECK(f.good(), error, "cannot write " + path);
    }
    MOIR_CHECK(std::rename(tmp.c_str(), path.c_str()) == 0, error, "cannot write " + path);
}

}  // namespace moir::npy

#endif  // MOIR_IO_NPY_HPP
