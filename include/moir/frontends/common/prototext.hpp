#ifndef MOIR_FRONTENDS_COMMON_PROTOTEXT_HPP
#define MOIR_FRONTENDS_COMMON_PROTOTEXT_HPP

// moir::prototext: a reader for the protobuf TEXT format (Caffe's .prototxt, TensorFlow's .pbtxt),
// with no schema. It builds a generic tree: a message is an ordered list of fields; a field has a
// name and either a scalar (an identifier such as an enum value or `true`, a number, a string) or a
// nested message. Repeated fields are fields that occur several times (or the list form
// `name: [1, 2, 3]`, which yields one field per element). The schema's meaning (which field is an
// int, which an enum) is the caller's: typed reads (as_int, as_float, as_bool, as_string) check
// the token and name the field's line and column when it does not fit.
//
// Grammar accepted (protobuf's text format):
//   message := { field [";" | ","] }
//   field   := name ":" scalar | name ":" "[" [ scalar { "," scalar } ] "]"
//            | name [":"] ("{" message "}" | "<" message ">") | name [":"] "[" [ msg { "," msg } ] "]"
//   name    := identifier | "[" dotted.identifier [ "/" path ] "]"          (extensions, Any)
//   scalar  := ["-"] number | identifier | string { string }                 (adjacent strings join)
//   string  := '"' ... '"' | "'" ... "'" with C escapes (\n \t \\ \" \' \ooo \xhh \uhhhh \Uhhhhhhhh)
//   comment := "#" to the end of the line
// Errors throw moir::parse_error("<source>:<line>:<column>: <what>"), lines and columns from 1.

#include <moir/core/errors.hpp>
#include <moir/io/utf8.hpp>

#include <cerrno>       // errno, ERANGE
#include <cmath>        // HUGE_VAL, isinf
#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint64_t, uint32_t
#include <cstdlib>      // strtod
#include <fstream>      // ifstream
#include <iterator>     // istreambuf_iterator
#include <limits>       // numeric_limits
#include <memory>       // shared_ptr, make_shared
#include <optional>     // optional
#include <sstream>      // ostringstream
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <utility>      // move
#include <vector>       // vector

namespace moir::prototext {

/// What a field holds.
enum class value_kind {
    identifier,  ///< a bare word: an enum value, true/false, inf, nan
    number,      ///< a numeric literal as written (sign included): 3, -0x1F, 1.5e-3, 2.0f
    string,      ///< a quoted string, escapes decoded (bytes)
    message      ///< a nested message
};

struct message;

/// One field occurrence. invariant: kind == message iff msg is set; line and column (from 1) locate
/// the field's name in the source.
struct field {
    std::string name;
    value_kind kind = value_kind::identifier;
    std::string text;  ///< the scalar as written (numbers, identifiers) or decoded (strings)
    std::shared_ptr<const message> msg;
    std::size_t line = 0, column = 0;
    std::string_view source;  ///< the document's name (for errors); outlived by the document

    /// "<source>:<line>:<column>"
    std::string where() const { return std::string(source) + ":" + std::to_string(line) + ":" + std::to_string(column); }
    [[noreturn]] void fail(const std::string& what) const {
        throw parse_error(where() + ": field '" + name + "' " + what);
    }

    /// A signed integer (decimal, 0x hex, 0 octal; an optional '-'). ensures: throws unless the
    /// token is an integer that fits in 64 bits.
    std::int64_t as_int() const {
        if (kind == value_kind::message) fail("is a message, not a number");
        if (kind != value_kind::number) fail("is not a number (" + text + ")");
        const bool neg = !text.empty() && text[0] == '-';
        const std::uint64_t mag = parse_unsigned(neg ? text.substr(1) : text);
        const auto lim = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        if (neg) {
            if (mag > lim + 1) fail("is out of the range of a 64-bit integer (" + text + ")");
            return mag == lim + 1 ? std::numeric_limits<std::int64_t>::min() : -static_cast<std::int64_t>(mag);
        }
        if (mag > lim) fail("is out of the range of a 64-bit integer (" + text + ")");
        return static_cast<std::int64_t>(mag);
    }
    /// A floating-point value: any number (an 'f' suffix allowed) or inf / infinity / nan
    /// (either case, with '-'). ensures: throws for anything else.
    double as_float() const {
        if (kind == value_kind::message) fail("is a message, not a number");
        std::string t = text;
        bool neg = false;
        if (!t.empty() && t[0] == '-') neg = true, t = t.substr(1);
        std::string lower;
        for (char c : t) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        if (kind == value_kind::identifier || (kind == value_kind::number && !lower.empty() && lower[0] >= 'a')) {
            if (lower == "inf" || lower == "infinity") return neg ? -HUGE_VAL : HUGE_VAL;
            if (lower == "nan") return std::numeric_limits<double>::quiet_NaN();
            fail("is not a number (" + text + ")");
        }
        if (kind != value_kind::number) fail("is not a number (" + text + ")");
        if (!lower.empty() && (lower.back() == 'f') && lower.find('x') == std::string::npos) lower.pop_back();
        if (lower.size() > 1 && lower[0] == '0' && (lower[1] == 'x')) return (neg ? -1.0 : 1.0) * static_cast<double>(as_int_abs());
        errno = 0;
        char* end = nullptr;
        const double v = std::strtod(lower.c_str(), &end);
        if (end != lower.c_str() + lower.size() || lower.empty()) fail("is not a number (" + text + ")");
        return neg ? -v : v;
    }
    /// true / false / True / False / t / f / 1 / 0.
    bool as_bool() const {
        if (kind == value_kind::message || kind == value_kind::string) fail("is not a boolean (" + text + ")");
        if (text == "true" || text == "True" || text == "t" || text == "1") return true;
        if (text == "false" || text == "False" || text == "f" || text == "0") return false;
        fail("is not a boolean (" + text + ")");
    }
    /// A string field's bytes. ensures: throws for an unquoted token.
    const std::string& as_string() const {
        if (kind != value_kind::string) fail("is not a string (" + text + ")");
        return text;
    }
    /// An enum value: an identifier (or a number, as text allows). ensures: throws otherwise.
    const std::string& as_enum() const {
        if (kind != value_kind::identifier && kind != value_kind::number) fail("is not an enum value");
        return text;
    }
    /// The nested message. ensures: throws for a scalar.
    const message& as_message() const {
        if (kind != value_kind::message) fail("is not a message");
        return *msg;
    }

private:
    std::uint64_t as_int_abs() const { return parse_unsigned(text[0] == '-' ? text.substr(1) : text); }
    std::uint64_t parse_unsigned(const std::string& t) const {
        if (t.empty()) fail("is not an integer (" + text + ")");
        unsigned base = 10;
        std::size_t i = 0;
        if (t.size() > 1 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) base = 16, i = 2;
        else if (t.size() > 1 && t[0] == '0') base = 8, i = 1;
        if (i == t.size()) fail("is not an integer (" + text + ")");
        std::uint64_t v = 0;
        for (; i < t.size(); ++i) {
            const char c = t[i];
            unsigned d = 99;
            if (c >= '0' && c <= '9') d = static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') d = static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') d = static_cast<unsigned>(c - 'A' + 10);
            if (d >= base) fail("is not an integer (" + text + ")");
            if (v > (std::numeric_limits<std::uint64_t>::max() - d) / base)
                fail("is out of the range of a 64-bit integer (" + text + ")");
            v = v * base + d;
        }
        return v;
    }
};

/// A message: its fields in source order.
struct message {
    std::vector<field> fields;

    /// Every occurrence of `name`, in order (a repeated field's elements).
    std::vector<const field*> all(std::string_view name) const {
        std::vector<const field*> r;
        for (const auto& f : fields)
            if (f.name == name) r.push_back(&f);
        return r;
    }
    /// The last occurrence of `name` (a singular field set twice keeps the last, as protobuf does),
    /// or nullptr.
    const field* find(std::string_view name) const {
        const field* r = nullptr;
        for (const auto& f : fields)
            if (f.name == name) r = &f;
        return r;
    }
    bool has(std::string_view name) const { return find(name) != nullptr; }
    std::size_t count(std::string_view name) const { return all(name).size(); }

    /// Typed singular reads with a default for an absent field.
    std::int64_t get_int(std::string_view name, std::int64_t def) const {
        const field* f = find(name);
        return f ? f->as_int() : def;
    }
    double get_float(std::string_view name, double def) const {
        const field* f = find(name);
        return f ? f->as_float() : def;
    }
    bool get_bool(std::string_view name, bool def) const {
        const field* f = find(name);
        return f ? f->as_bool() : def;
    }
    std::string get_string(std::string_view name, std::string def = {}) const {
        const field* f = find(name);
        return f ? f->as_string() : def;
    }
    std::string get_enum(std::string_view name, std::string def) const {
        const field* f = find(name);
        return f ? f->as_enum() : def;
    }
    /// The nested message `name`, or an empty one when absent.
    const message& get_message(std::string_view name) const {
        static const message empty;
        const field* f = find(name);
        return f ? f->as_message() : empty;
    }
    /// A repeated numeric field's values.
    std::vector<std::int64_t> get_ints(std::string_view name) const {
        std::vector<std::int64_t> r;
        for (const field* f : all(name)) r.push_back(f->as_int());
        return r;
    }
    std::vector<double> get_floats(std::string_view name) const {
        std::vector<double> r;
        for (const field* f : all(name)) r.push_back(f->as_float());
        return r;
    }
    std::vector<std::string> get_strings(std::string_view name) const {
        std::vector<std::string> r;
        for (const field* f : all(name)) r.push_back(f->as_string());
        return r;
    }
};

/// A parsed document: the top-level message and the source name its fields refer to.
/// invariant: fields' `source` views point into *name (kept alive by the shared pointer).
struct document {
    std::shared_ptr<const std::string> name;
    std::shared_ptr<const message> root;
    const message& operator*() const { return *root; }
    const message* operator->() const { return root.get(); }
};

/// The deepest nesting of messages the parser accepts.
inline constexpr int max_depth = 100;

namespace detail {

class parser {
public:
    parser(std::string_view text, std::string_view source) : s_(text), source_(source) {}

    message parse_top() {
        message m = parse_fields('\0', 0);
        skip_space();
        if (pos_ < s_.size()) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
        return m;
    }

private:
    [[noreturn]] void fail(const std::string& what) const { fail_at(line_, col_, what); }
    [[noreturn]] void fail_at(std::size_t line, std::size_t col, const std::string& what) const {
        throw parse_error(std::string(source_) + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
    }
    bool eof() const { return pos_ >= s_.size(); }
    char peek() const { return eof() ? '\0' : s_[pos_]; }
    void advance() {
        if (s_[pos_] == '\n') ++line_, col_ = 1;
        else ++col_;
        ++pos_;
    }
    void skip_space() {
        while (!eof()) {
            const char c = s_[pos_];
            if (c == '#') {
                while (!eof() && s_[pos_] != '\n') advance();
            } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
                advance();
            } else {
                break;
            }
        }
    }
    static bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
    static bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
    std::string describe() const {
        if (eof()) return "the end of the input";
        const char c = peek();
        if (static_cast<unsigned char>(c) < 32 || static_cast<unsigned char>(c) > 126) {
            std::ostringstream o;
            o << "byte 0x" << std::hex << static_cast<unsigned>(static_cast<unsigned char>(c));
            return o.str();
        }
        return "'" + std::string(1, c) + "'";
    }
    std::string identifier() {
        std::string r;
        while (!eof() && ident_char(peek())) r += peek(), advance();
        return r;
    }
    void expect(char c) {
        skip_space();
        if (peek() != c) fail("expected '" + std::string(1, c) + "', found " + describe());
        advance();
    }

    // fields until `close` ('}' or '>'; '\0' = the end of the input)
    message parse_fields(char close, int depth) {
        if (depth > max_depth) fail("messages nested deeper than " + std::to_string(max_depth));
        message m;
        for (;;) {
            skip_space();
            if (eof()) {
                if (close != '\0') fail("expected '" + std::string(1, close) + "' to close the message, found the end of the input");
                return m;
            }
            if (peek() == close) {
                advance();
                return m;
            }
            if (peek() == '}' || peek() == '>') {
                if (close == '\0') fail("unexpected " + describe());
                fail("expected '" + std::string(1, close) + "' to close the message, found " + describe());
            }
            parse_field(m, depth);
            skip_space();
            if (peek() == ';' || peek() == ',') advance();
        }
    }

    void parse_field(message& m, int depth) {
        const std::size_t line = line_, col = col_;
        std::string name;
        if (peek() == '[') {  // extension or Any type URL
            advance();
            skip_space();
            while (!eof() && peek() != ']') {
                const char c = peek();
                if (!(ident_char(c) || c == '.' || c == '/')) fail("unexpected " + describe() + " in an extension name");
                name += c;
                advance();
            }
            if (eof()) fail("expected ']' to close the extension name, found the end of the input");
            advance();
            name = "[" + name + "]";
        } else if (ident_start(peek())) {
            name = identifier();
        } else {
            fail("expected a field name, found " + describe());
        }
        skip_space();
        const bool colon = peek() == ':';
        if (colon) advance(), skip_space();
        field f;
        f.name = name;
        f.line = line;
        f.column = col;
        f.source = source_;
        if (peek() == '{' || peek() == '<') {
            const char close = peek() == '{' ? '}' : '>';
            advance();
            f.kind = value_kind::message;
            f.msg = std::make_shared<const message>(parse_fields(close, depth + 1));
            m.fields.push_back(std::move(f));
            return;
        }
        if (peek() == '[') {  // list form: one field per element
            advance();
            skip_space();
            if (peek() == ']') {
                advance();
                return;
            }
            for (;;) {
                skip_space();
                field e = f;
                if (peek() == '{' || peek() == '<') {
                    const char close = peek() == '{' ? '}' : '>';
                    advance();
                    e.kind = value_kind::message;
                    e.msg = std::make_shared<const message>(parse_fields(close, depth + 1));
                } else {
                    if (!colon) fail("expected ':' after field '" + name + "'");
                    parse_scalar(e);
                }
                m.fields.push_back(std::move(e));
                skip_space();
                if (peek() == ',') {
                    advance();
                    continue;
                }
                if (peek() == ']') {
                    advance();
                    return;
                }
                fail("expected ',' or ']' in the list of field '" + name + "', found " + describe());
            }
        }
        if (!colon) fail("expected ':' or '{' after field '" + name + "', found " + describe());
        parse_scalar(f);
        m.fields.push_back(std::move(f));
    }

    void parse_scalar(field& f) {
        skip_space();
        const char c = peek();
        if (c == '"' || c == '\'') {
            f.kind = value_kind::string;
            f.text = quoted();
            for (;;) {  // adjacent strings concatenate
                skip_space();
                if (peek() != '"' && peek() != '\'') break;
                f.text += quoted();
            }
            return;
        }
        std::string t;
        if (c == '-') {
            t = "-";
            advance();
            skip_space();
        }
        const char d = peek();
        if ((d >= '0' && d <= '9') || d == '.') {
            f.kind = value_kind::number;
            while (!eof()) {
                const char x = peek();
                const bool exp_sign = (x == '-' || x == '+') && !t.empty() && (t.back() == 'e' || t.back() == 'E') &&
                                      t.find('x') == std::string::npos && t.find('X') == std::string::npos;
                if (!(ident_char(x) || x == '.' || exp_sign)) break;
                t += x;
                advance();
            }
            f.text = t;
            return;
        }
        if (ident_start(d)) {
            const std::string id = identifier();
            f.kind = t.empty() ? value_kind::identifier : value_kind::number;  // -inf, -nan
            f.text = t + id;
            return;
        }
        fail("expected a value for field '" + f.name + "', found " + describe());
    }

    static int hex_digit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    std::string quoted() {
        const std::size_t line = line_, col = col_;
        const char q = peek();
        advance();
        std::string out;
        for (;;) {
            if (eof() || peek() == '\n') fail_at(line, col, "unterminated string");
            const char c = peek();
            if (c == q) {
                advance();
                return out;
            }
            if (c != '\\') {
                out += c;
                advance();
                continue;
            }
            const std::size_t eline = line_, ecol = col_;
            advance();
            if (eof()) fail_at(line, col, "unterminated string");
            const char e = peek();
            advance();
            switch (e) {
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'a': out += '\a'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'v': out += '\v'; break;
                case '\\': out += '\\'; break;
                case '\'': out += '\''; break;
                case '"': out += '"'; break;
                case '?': out += '?'; break;
                case 'x': case 'X': {
                    unsigned v = 0;
                    int n = 0;
                    while (n < 2 && !eof() && hex_digit(peek()) >= 0) v = v * 16 + static_cast<unsigned>(hex_digit(peek())), advance(), ++n;
                    if (n == 0) fail_at(eline, ecol, "\\x escape without hex digits");
                    out += static_cast<char>(v);
                    break;
                }
                case 'u': case 'U': {
                    const int want = e == 'u' ? 4 : 8;
                    std::uint32_t v = 0;
                    for (int n = 0; n < want; ++n) {
                        if (eof() || hex_digit(peek()) < 0)
                            fail_at(eline, ecol, std::string("\\") + e + " escape needs " + std::to_string(want) + " hex digits");
                        v = v * 16 + static_cast<std::uint32_t>(hex_digit(peek()));
                        advance();
                    }
                    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) fail_at(eline, ecol, "invalid Unicode code point in escape");
                    io::append_utf8(out, v);
                    break;
                }
                default:
                    if (e >= '0' && e <= '7') {
                        unsigned v = static_cast<unsigned>(e - '0');
                        for (int n = 1; n < 3 && !eof() && peek() >= '0' && peek() <= '7'; ++n)
                            v = v * 8 + static_cast<unsigned>(peek() - '0'), advance();
                        if (v > 255) fail_at(eline, ecol, "octal escape out of range");
                        out += static_cast<char>(v);
                    } else {
                        fail_at(eline, ecol, std::string("unknown escape '\\") + e + "'");
                    }
            }
        }
    }

    std::string_view s_;
    std::string_view source_;
    std::size_t pos_ = 0;
    std::size_t line_ = 1, col_ = 1;
};

}  // namespace detail

/// Parses `text`; `source` names it in errors and in the fields' where().
/// ensures: the document's top-level message; throws moir::parse_error "<source>:<line>:<col>: ..."
inline document parse(std::string_view text, std::string source) {
    document d;
    auto name = std::make_shared<const std::string>(std::move(source));
    detail::parser p(text, *name);
    d.root = std::make_shared<const message>(p.parse_top());
    d.name = std::move(name);
    return d;
}

/// Reads and parses the text file at `path`. ensures: throws moir::error when it cannot be read.
inline document parse_file(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, path + ": cannot open the file");
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    MOIR_CHECK(!f.bad(), error, path + ": read error");
    return parse(text, path);
}

}  // namespace moir::prototext

#endif  // MOIR_FRONTENDS_COMMON_PROTOTEXT_HPP
