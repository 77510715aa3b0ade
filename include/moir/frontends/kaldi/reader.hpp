#ifndef MOIR_FRONTENDS_KALDI_READER_HPP
#define MOIR_FRONTENDS_KALDI_READER_HPP

// Kaldi's serialization, both forms (util/kaldi-io conventions):
// - binary: the file starts with "\0B"; a token is its characters and one space; an int or float
//   is one byte giving its size (4 or 8) then its little-endian bytes; a bool is 'T' or 'F'; an
//   integer vector is its element size byte, an int32 count and the elements; a matrix is "FM "
//   (float) or "DM " (double), rows and cols as ints, then the data row by row; a vector "FV " /
//   "DV ", its size, the data; a compressed matrix "CM " / "CM2 " / "CM3 " (global header min,
//   range, rows, cols, then per-column percentile headers and bytes, or 16/8-bit values).
// - text: whitespace-separated tokens; numbers in decimal; T / F; vectors "[ 1 2 3 ]"; matrices
//   "[\n 1 2\n 3 4 ]" (one row per line).
// byte_reader reads both; every read is bounds-checked and its errors (moir::parse_error) name the
// file and the byte offset. Components are read as field bags (`<Field> value`) up to their closing
// token, so the order of fields and optional fields of different Kaldi versions do not matter.

#include <moir/core/errors.hpp>
#include <moir/core/tensor.hpp>

#include <cmath>      // HUGE_VAL
#include <cstdint>    // int32_t, int64_t, uint8_t, uint16_t
#include <cstring>    // memcpy
#include <exception>  // exception
#include <fstream>    // ifstream
#include <iterator>   // istreambuf_iterator
#include <map>        // map
#include <optional>   // optional
#include <string>     // string, to_string, stod
#include <utility>    // move
#include <vector>     // vector

namespace moir::kaldi {

/// Reads one Kaldi file's bytes, text or binary, with bounds checks. Errors name the file and byte.
class byte_reader {
public:
    /// `data`: the whole file; `source`: its name for errors. Binary when it starts with "\0B".
    byte_reader(std::string data, std::string source) : d_(std::move(data)), source_(std::move(source)) {
        if (d_.size() >= 2 && d_[0] == '\0' && d_[1] == 'B') binary_ = true, p_ = 2;
    }
    bool binary() const { return binary_; }
    std::size_t offset() const { return p_; }
    void seek(std::size_t p) { p_ = p; }
    const std::string& source() const { return source_; }
    const std::string& data() const { return d_; }
    bool at_end() {
        skip_ws();
        return p_ >= d_.size();
    }

    /// A parse_error "<source>: byte N: what".
    [[noreturn]] void fail(const std::string& what, std::size_t at) const {
        throw parse_error(source_ + ": byte " + std::to_string(at) + ": " + what);
    }
    [[noreturn]] void fail(const std::string& what) const { fail(what, p_); }

    void skip_ws() {
        while (p_ < d_.size() && is_ws(d_[p_])) ++p_;
    }
    /// The next whitespace-delimited token (in binary, also its trailing space).
    std::string token() {
        skip_ws();
        const std::size_t s = p_;
        while (p_ < d_.size() && !is_ws(d_[p_])) ++p_;
        if (s == p_) fail("unexpected end of file, a token was expected", s);
        std::string t = d_.substr(s, p_ - s);
        if (binary_ && p_ < d_.size()) ++p_;
        return t;
    }
    /// The next token without consuming it ("" at the end of the file).
    std::string peek_token() {
        const std::size_t p = p_;
        skip_ws();
        if (p_ >= d_.size()) {
            p_ = p;
            return {};
        }
        std::string t = token();
        p_ = p;
        return t;
    }
    void expect(const std::string& want) {
        const std::size_t at = (skip_ws(), p_);
        const std::string t = token();
        if (t != want) fail("expected " + want + ", found '" + printable(t) + "'", at);
    }
    /// The rest of the current line (text lines inside either form: nnet3's config section).
    std::string line() {
        const std::size_t e = d_.find('\n', p_);
        if (e == std::string::npos) fail("unexpected end of file inside a text line");
        std::string s = d_.substr(p_, e - p_);
        p_ = e + 1;
        return s;
    }

    std::int64_t read_int() {
        if (!binary_) return parse_int(token());
        const std::size_t at = p_;
        const std::uint8_t n = byte("an integer size");
        if (n != 1 && n != 2 && n != 4 && n != 8) fail("bad integer size byte " + std::to_string(n), at);
        need(n, "an integer");
        std::int64_t v = 0;
        if (n == 1) v = static_cast<std::int8_t>(d_[p_]);
        if (n == 2) v = raw<std::int16_t>();
        if (n == 4) v = raw<std::int32_t>();
        if (n == 8) v = raw<std::int64_t>();
        p_ += n;
        return v;
    }
    double read_float() {
        if (!binary_) return parse_float(token());
        const std::size_t at = p_;
        const std::uint8_t n = byte("a float size");
        if (n != 4 && n != 8) fail("bad float size byte " + std::to_string(n), at);
        need(n, "a float");
        const double v = n == 4 ? static_cast<double>(raw<float>()) : raw<double>();
        p_ += n;
        return v;
    }
    bool read_bool() {
        skip_ws();
        const std::size_t at = p_;
        const char c = static_cast<char>(byte("a bool"));
        if (c != 'T' && c != 'F') fail("expected T or F for a bool", at);
        return c == 'T';
    }
    /// An integer vector ("[ -1 0 1 ]" in text).
    std::vector<std::int64_t> read_int_vector() {
        std::vector<std::int64_t> v;
        if (!binary_) {
            expect("[");
            for (std::string t = token(); t != "]"; t = token()) v.push_back(parse_int(t));
            return v;
        }
        skip_ws();
        const std::size_t at = p_;
        const std::uint8_t n = byte("an integer vector's element size");
        if (n != 4 && n != 8) fail("bad integer vector element size " + std::to_string(n), at);
        need(4, "an integer vector's length");
        const std::int32_t count = raw<std::int32_t>();
        p_ += 4;
        if (count < 0) fail("negative integer vector length " + std::to_string(count), at);
        need(static_cast<std::size_t>(count) * n, "an integer vector's elements");
        for (std::int32_t i = 0; i < count; ++i, p_ += n) v.push_back(n == 4 ? raw<std::int32_t>() : raw<std::int64_t>());
        return v;
    }

    /// Whether a matrix or vector starts here (binary: FM, DM, FV, DV, CM, CM2, CM3; text: "[").
    bool at_array() {
        const std::string t = peek_token();
        return binary_ ? (t == "FM" || t == "DM" || t == "FV" || t == "DV" || t == "CM" || t == "CM2" || t == "CM3")
                       : t == "[";
    }

    /// A matrix or vector as an f32 tensor: [rows, cols] for a matrix, [n] for a vector. In text, a
    /// bracketed list on one line is a vector unless `matrix` (then [1, n]).
    tensor read_array(bool matrix) {
        skip_ws();
        const std::size_t at = p_;
        const std::string t = token();
        if (!binary_) {
            if (t != "[") fail("expected '[' (a matrix or vector), found '" + printable(t) + "'", at);
            return read_text_array(matrix, at);
        }
        if (t == "FM" || t == "DM") {
            const std::int64_t r = read_int(), c = read_int();
            return read_raw(t == "DM", r, c, true, at);
        }
        if (t == "FV" || t == "DV") {
            const std::int64_t n = read_int();
            tensor v = read_raw(t == "DV", 1, n, false, at);
            return matrix ? reshape_1n(v, n) : v;
        }
        if (t == "CM" || t == "CM2" || t == "CM3") return read_compressed(t, at);
        fail("expected a matrix or vector (FM, DM, FV, DV, CM), found '" + printable(t) + "'", at);
    }

    /// Printable form of a token for messages (non-printable bytes as \xNN, at most 40 chars).
    static std::string printable(const std::string& t) {
        std::string s;
        for (std::size_t i = 0; i < t.size() && i < 40; ++i) {
            const auto c = static_cast<unsigned char>(t[i]);
            if (c >= 32 && c < 127) s += static_cast<char>(c);
            else {
                const char* hex = "0123456789abcdef";
                s += "\\x";
                s += hex[c >> 4];
                s += hex[c & 15];
            }
        }
        return t.size() > 40 ? s + "..." : s;
    }

private:
    static bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
    void need(std::size_t n, const char* what) const {
        if (n > d_.size() || p_ > d_.size() - n)
            fail(std::string("truncated: ") + what + " needs " + std::to_string(n) + " bytes, " +
                 std::to_string(d_.size() - std::min(p_, d_.size())) + " left");
    }
    std::uint8_t byte(const char* what) {
        need(1, what);
        return static_cast<std::uint8_t>(d_[p_++]);
    }
    template <class T>
    T raw() const {
        T v;
        std::memcpy(&v, d_.data() + p_, sizeof(T));
        return v;
    }
    std::int64_t parse_int(const std::string& t) const {
        try {
            std::size_t used = 0;
            const long long v = std::stoll(t, &used);
            if (used == t.size()) return v;
        } catch (const std::exception&) {
        }
        fail("expected an integer, found '" + printable(t) + "'", p_ - t.size());
    }
    double parse_float(const std::string& t) const {
        try {
            std::size_t used = 0;
            const double v = std::stod(t, &used);
            if (used == t.size()) return v;
        } catch (const std::exception&) {
            if (t == "inf" || t == "-inf" || t == "nan" || t == "-nan") return t[0] == '-' ? -HUGE_VAL : HUGE_VAL;
        }
        fail("expected a number, found '" + printable(t) + "'", p_ - t.size());
    }
    static tensor reshape_1n(const tensor& v, std::int64_t n) {
        tensor m(element_type::f32, shape{1, n});
        for (std::int64_t i = 0; i < n; ++i) m.data<float>()[i] = v.data<float>()[i];
        return m;
    }
    tensor read_raw(bool dbl, std::int64_t r, std::int64_t c, bool matrix, std::size_t at) {
        if (r < 0 || c < 0 || (r > 0 && c > (std::int64_t{1} << 40) / r))
            fail("bad matrix size " + std::to_string(r) + " x " + std::to_string(c), at);
        const std::size_t n = static_cast<std::size_t>(r * c), es = dbl ? 8 : 4;
        need(n * es, "matrix data");
        tensor t(element_type::f32, matrix ? shape{r, c} : shape{c});
        float* o = t.data<float>();
        for (std::size_t i = 0; i < n; ++i, p_ += es) o[i] = dbl ? static_cast<float>(raw<double>()) : raw<float>();
        return t;
    }
    tensor read_compressed(const std::string& kind, std::size_t at) {
        need(16, "a compressed matrix header");
        const float mn = raw<float>();
        p_ += 4;
        const float range = raw<float>();
        p_ += 4;
        const std::int32_t r = raw<std::int32_t>();
        p_ += 4;
        const std::int32_t c = raw<std::int32_t>();
        p_ += 4;
        if (r < 0 || c < 0) fail("bad compressed matrix size " + std::to_string(r) + " x " + std::to_string(c), at);
        const std::size_t R = static_cast<std::size_t>(r), C = static_cast<std::size_t>(c);
        // the data the declared size needs is there before anything is allocated (R * C < 2^62)
        need(R * C * (kind == "CM2" ? 2 : 1) + (kind == "CM" ? C * 8 : 0), "compressed matrix data");
        tensor t(element_type::f32, shape{r, c});
        float* o = t.data<float>();
        const auto u16 = [&](std::uint16_t v) { return mn + range * 1.52590218966964e-05F * v; };
        if (kind == "CM2") {
            need(R * C * 2, "compressed matrix data");
            for (std::size_t i = 0; i < R * C; ++i, p_ += 2) o[i] = u16(raw<std::uint16_t>());
        } else if (kind == "CM3") {
            need(R * C, "compressed matrix data");
            for (std::size_t i = 0; i < R * C; ++i, ++p_)
                o[i] = mn + range * (1.0F / 255.0F) * static_cast<std::uint8_t>(d_[p_]);
        } else {
            need(C * 8, "compressed matrix column headers");
            std::vector<float> pc(C * 4);
            for (std::size_t i = 0; i < C * 4; ++i, p_ += 2) pc[i] = u16(raw<std::uint16_t>());
            need(R * C, "compressed matrix data");
            for (std::size_t j = 0; j < C; ++j) {
                const float p0 = pc[j * 4], p25 = pc[j * 4 + 1], p75 = pc[j * 4 + 2], p100 = pc[j * 4 + 3];
                for (std::size_t i = 0; i < R; ++i, ++p_) {
                    const float v = static_cast<std::uint8_t>(d_[p_]);
                    o[i * C + j] = v <= 64    ? p0 + (p25 - p0) * v * (1 / 64.0F)
                                   : v <= 192 ? p25 + (p75 - p25) * (v - 64) * (1 / 128.0F)
                                              : p75 + (p100 - p75) * (v - 192) * (1 / 63.0F);
                }
            }
        }
        return t;
    }
    tensor read_text_array(bool matrix, std::size_t at) {
        std::vector<std::vector<float>> rows(1);
        for (;;) {
            while (p_ < d_.size() && is_ws(d_[p_])) {
                if (d_[p_] == '\n' && !rows.back().empty()) rows.emplace_back();
                ++p_;
            }
            if (p_ >= d_.size()) fail("unexpected end of file inside a matrix opened here", at);
            const std::string t = token();
            if (t == "]") break;
            rows.back().push_back(static_cast<float>(parse_float(t)));
        }
        if (rows.back().empty()) rows.pop_back();
        if (!matrix && rows.size() <= 1) {
            const std::vector<float> v = rows.empty() ? std::vector<float>{} : rows[0];
            return tensor::from_vector(v);
        }
        const std::size_t c = rows.empty() ? 0 : rows[0].size();
        std::vector<float> all;
        for (const auto& rw : rows) {
            if (rw.size() != c)
                fail("matrix rows of different lengths (" + std::to_string(rw.size()) + " and " + std::to_string(c) + ")", at);
            all.insert(all.end(), rw.begin(), rw.end());
        }
        return tensor::from_vector(all, shape{static_cast<std::int64_t>(rows.size()), static_cast<std::int64_t>(c)});
    }

    std::string d_;
    std::string source_;
    std::size_t p_ = 0;
    bool binary_ = false;
};

/// Reads a whole file. ensures: throws moir::error naming a file it cannot open.
inline std::string read_file_bytes(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, path + ": cannot open the file");
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

/// One field's value of a component: a number (int or float, as read), a bool, a matrix/vector or
/// an integer vector.
struct field {
    enum class kind { number, boolean, array, ints } k = kind::number;
    double number = 0;
    bool boolean = false;
    tensor array;
    std::vector<std::int64_t> ints;
};

/// A component: its name, type (without brackets, "NaturalGradientAffineComponent"), byte offset
/// and fields by name (without brackets). Bare arrays (nnet1's weights) are fields "0", "1", ...
struct component {
    std::string name, type;
    std::size_t offset = 0;
    std::map<std::string, field> fields;
    /// Input and output dims (nnet1 headers).
    std::int64_t input_dim = 0, output_dim = 0;

    bool has(const std::string& f) const { return fields.count(f) != 0; }
    /// The number field `f`, or `def`; errors when it has another kind.
    double number(const std::string& f, std::optional<double> def = std::nullopt) const {
        const auto it = fields.find(f);
        if (it == fields.end()) {
            MOIR_CHECK(def, parse_error, "component '" + name + "' (" + type + ") has no <" + f + ">");
            return *def;
        }
        if (it->second.k == field::kind::boolean) return it->second.boolean ? 1 : 0;
        MOIR_CHECK(it->second.k == field::kind::number, parse_error,
                   "component '" + name + "' (" + type + "): <" + f + "> is not a number");
        return it->second.number;
    }
    /// The number field `f` (or `def`) as an integer. ensures: parse_error naming the component
    /// when it is not a whole number of at most 2^40 in magnitude (a dim, a period, a context).
    std::int64_t integer(const std::string& f, std::optional<double> def = std::nullopt) const {
        const double v = number(f, def);
        MOIR_CHECK(v >= -1099511627776.0 && v <= 1099511627776.0 && v == static_cast<double>(static_cast<std::int64_t>(v)),
                   parse_error, "component '" + name + "' (" + type + "): <" + f + "> is not an integer of at most 2^40");
        return static_cast<std::int64_t>(v);
    }
    bool boolean(const std::string& f, bool def) const {
        const auto it = fields.find(f);
        if (it == fields.end()) return def;
        return it->second.k == field::kind::boolean ? it->second.boolean : it->second.number != 0;
    }
    /// The matrix/vector field `f`. ensures: errors name the component when it is absent.
    const tensor& array(const std::string& f) const {
        const auto it = fields.find(f);
        MOIR_CHECK(it != fields.end() && it->second.k == field::kind::array, parse_error,
                   "component '" + name + "' (" + type + ") has no matrix or vector <" + f + ">");
        return it->second.array;
    }
    const std::vector<std::int64_t>& ints(const std::string& f) const {
        const auto it = fields.find(f);
        MOIR_CHECK(it != fields.end() && it->second.k == field::kind::ints, parse_error,
                   "component '" + name + "' (" + type + ") has no integer list <" + f + ">");
        return it->second.ints;
    }
};

namespace detail {
/// Fields whose value is an integer vector, and fields that are matrices (a one-line text
/// matrix is otherwise read as a vector).
inline bool is_int_vector_field(const std::string& f) { return f == "TimeOffsets"; }
inline bool is_matrix_field(const std::string& f) { return f == "LinearParams" || f == "Params"; }

/// Reads one field's value after its token `<f>` (or nothing, for a value-less token).
inline void read_field_value(byte_reader& r, component& c, const std::string& f) {
    field v;
    r.skip_ws();
    const std::size_t at = r.offset();
    if (is_int_vector_field(f)) {
        v.k = field::kind::ints;
        v.ints = r.read_int_vector();
    } else if (r.at_array()) {
        v.k = field::kind::array;
        v.array = r.read_array(is_matrix_field(f));
    } else if (r.binary()) {
        const std::string& d = r.data();
        if (at >= d.size()) r.fail("unexpected end of file after <" + f + ">", at);
        const char ch = d[at];
        if (ch == 'T' || ch == 'F') {
            v.k = field::kind::boolean;
            v.boolean = r.read_bool();
        } else if (ch == 4 || ch == 8) {
            // an int and a float of one size look alike: read as float unless it is an int field;
            // both are kept exactly for the magnitudes Kaldi stores (dims, periods, contexts)
            const bool as_int = f == "InputDim" || f == "OutputDim" || f == "Dim" || f == "BlockDim" ||
                                f == "InputPeriod" || f == "OutputPeriod" || f == "LeftContext" ||
                                f == "RightContext" || f == "NumLogCountFeatures" || f == "RankIn" ||
                                f == "RankOut" || f == "UpdatePeriod" || f == "CellDim";
            v.number = as_int ? static_cast<double>(r.read_int()) : r.read_float();
        } else if (ch == '<') {
            return;  // a value-less token
        } else {
            r.token();  // a string value (unused by moir)
            return;
        }
    } else {
        const std::string t = r.peek_token();
        if (t.empty()) r.fail("unexpected end of file after <" + f + ">", at);
        if (t[0] == '<') return;
        if (t == "T" || t == "F") {
            v.k = field::kind::boolean;
            v.boolean = r.read_bool();
        } else {
            const std::string tok = r.token();
            try {
                std::size_t used = 0;
                v.number = std::stod(tok, &used);
                if (used != tok.size()) return;  // a string value
            } catch (const std::exception&) {
                return;
            }
        }
    }
    c.fields[f] = std::move(v);
}
}  // namespace detail

/// Reads `<Field> value` pairs (and bare arrays, named "0", "1", ...) up to one of `ends`
/// (consumed when `consume_end`). requires: the component's opening token was read.
/// ensures: parse_error naming the component and byte on malformed or truncated input.
inline std::string read_fields(byte_reader& r, component& c, const std::vector<std::string>& ends, bool consume_end = true) {
    int bare = 0;
    for (;;) {
        r.skip_ws();
        const std::size_t at = r.offset();
        if (r.at_end())
            r.fail("unexpected end of file inside component '" + c.name + "' (" + c.type + ") at byte " +
                       std::to_string(c.offset),
                   at);
        if (r.at_array()) {
            field v;
            v.k = field::kind::array;
            try {
                v.array = r.read_array(bare == 0);
            } catch (const parse_error& e) {
                throw parse_error(std::string(e.what()) + " (in component '" + c.name + "' (" + c.type + "), matrix " + std::to_string(bare) + ")");
            }
            c.fields[std::to_string(bare++)] = std::move(v);
            continue;
        }
        const std::string t = r.peek_token();
        for (const auto& e : ends)
            if (t == e) {
                if (consume_end) r.token();
                return t;
            }
        if (t.size() < 3 || t.front() != '<' || t.back() != '>')
            r.fail("component '" + c.name + "' (" + c.type + "): expected a <Field> token, found '" +
                       byte_reader::printable(t) + "'",
                   at);
        if (t.size() > 3 && t[1] == '/')
            r.fail("component '" + c.name + "' (" + c.type + "): unexpected closing token " + t, at);
        r.token();
        try {
            detail::read_field_value(r, c, t.substr(1, t.size() - 2));
        } catch (const parse_error& e) {
            throw parse_error(std::string(e.what()) + " (in component '" + c.name + "' (" + c.type + "), field " + t + ")");
        }
    }
}

}  // namespace moir::kaldi

#endif  // MOIR_FRONTENDS_KALDI_READER_HPP
