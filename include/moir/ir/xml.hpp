#ifndef MOIR_IR_XML_HPP
#define MOIR_IR_XML_HPP

// A small XML DOM reader and an indenting XML writer: enough XML for OpenVINO IR files and nothing
// more (no DTDs, no namespaces processing, no encodings other than UTF-8/ASCII). The reader keeps
// attributes in document order, decodes the predefined entities and character references, skips
// comments and processing instructions, keeps CDATA as text, and reports every error as a
// moir::parse_error "<file>:<line>:<col>: reason". It never recurses: nesting is handled with an
// explicit stack, limited by parse_options::max_depth, and every read is bounds-checked, so
// truncated or hostile input fails with an error, never with undefined behaviour.

#include <moir/core/errors.hpp>
#include <moir/io/utf8.hpp>
#include <moir/io/files.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // uint32_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <utility>      // move
#include <vector>       // vector

namespace moir::ir::xml {

/// One attribute of an element, its value with entities decoded.
struct attribute {
    std::string name;
    std::string value;
};

/// An element: name, attributes in document order, child elements in document order, and the
/// character data found directly inside it (text and CDATA, concatenated, entities decoded).
/// invariant: the tree is at most parse_options::max_depth deep when it comes from parse().
struct element {
    std::string name;
    std::vector<attribute> attributes;
    std::vector<element> children;
    std::string text;
    std::size_t line = 0;    ///< 1-based position of the '<' of the start tag (0 when built by hand)
    std::size_t column = 0;

    /// The value of attribute `n`, or nullptr when absent.
    const std::string* find_attribute(std::string_view n) const {
        for (const auto& a : attributes)
            if (a.name == n) return &a.value;
        return nullptr;
    }
    /// The first child element named `n`, or nullptr.
    const element* child(std::string_view n) const {
        for (const auto& c : children)
            if (c.name == n) return &c;
        return nullptr;
    }
    /// Every child element named `n`, in document order.
    std::vector<const element*> children_named(std::string_view n) const {
        std::vector<const element*> r;
        for (const auto& c : children)
            if (c.name == n) r.push_back(&c);
        return r;
    }
};

/// Limits of the reader.
struct parse_options {
    std::size_t max_depth = 256;  ///< deepest element nesting accepted (the root is depth 1)
};

/// Whether `s` is an XML name (ASCII letters, digits, '_', ':', '-', '.', and any non-ASCII byte;
/// not starting with a digit, '-' or '.').
inline bool is_name(std::string_view s) {
    if (s.empty()) return false;
    auto start = [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
    };
    if (!start(static_cast<unsigned char>(s[0]))) return false;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (!(start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.')) return false;
    }
    return true;
}

namespace detail {

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// The reader. One instance parses one document.
class parser {
public:
    parser(std::string_view text, const std::string& file, const parse_options& opt)
        : s_(text), file_(file), opt_(opt) {}

    element run() {
        if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // UTF-8 byte order mark
        skip_misc(true);
        if (pos_ >= s_.size()) fail(pos_, "the document has no root element");
        if (s_[pos_] != '<') fail(pos_, "expected '<' to start the root element");

        std::vector<element> stack;  // open elements; stack.back() is the innermost
        element root;
        bool done = false;
        {
            element e;
            if (start_tag(e)) {
                root = std::move(e);
                done = true;
            } else {
                if (opt_.max_depth < 1) fail(pos_, "the document is nested deeper than 0 levels");
                stack.push_back(std::move(e));
            }
        }
        while (!done) {
            if (pos_ >= s_.size()) {
                const element& open = stack.back();
                fail(pos_, "unexpected end of input: <" + open.name + "> (line " + std::to_string(open.line) +
                               ") is not closed");
            }
            if (s_[pos_] != '<') {
                text(stack.back().text);
                continue;
            }
            if (starts_with("</")) {
                end_tag(stack.back());
                element e = std::move(stack.back());
                stack.pop_back();
                if (stack.empty()) {
                    root = std::move(e);
                    done = true;
                } else {
                    stack.back().children.push_back(std::move(e));
                }
            } else if (starts_with("<!--")) {
                comment();
            } else if (starts_with("<![CDATA[")) {
                const std::size_t at = pos_;
                pos_ += 9;
                const std::size_t end = s_.find("]]>", pos_);
                if (end == std::string_view::npos) fail(at, "unterminated CDATA section");
                stack.back().text.append(s_.data() + pos_, end - pos_);
                pos_ = end + 3;
            } else if (starts_with("<?")) {
                processing_instruction();
            } else if (starts_with("<!")) {
                fail(pos_, "unexpected markup declaration inside an element");
            } else {
                if (stack.size() + 1 > opt_.max_depth)
                    fail(pos_, "the document is nested deeper than " + std::to_string(opt_.max_depth) + " levels");
                element e;
                if (start_tag(e)) stack.back().children.push_back(std::move(e));
                else stack.push_back(std::move(e));
            }
        }
        skip_misc(false);
        if (pos_ < s_.size()) fail(pos_, "unexpected content after the root element");
        return root;
    }

private:
    [[noreturn]] void fail(std::size_t at, const std::string& reason) const {
        if (at > s_.size()) at = s_.size();
        std::size_t line = 1, col = 1;
        for (std::size_t i = 0; i < at; ++i) {
            if (s_[i] == '\n') {
                ++line;
                col = 1;
            } else {
                ++col;
            }
        }
        throw parse_error(file_ + ":" + std::to_string(line) + ":" + std::to_string(col) + ": " + reason);
    }
    /// Line and column of offset `at`; calls come with increasing offsets, so counting resumes
    /// from the previous call (linear overall).
    void position_of(std::size_t at, std::size_t& line, std::size_t& col) {
        if (at < cache_pos_) {
            cache_pos_ = 0;
            cache_line_ = cache_col_ = 1;
        }
        for (; cache_pos_ < at && cache_pos_ < s_.size(); ++cache_pos_) {
            if (s_[cache_pos_] == '\n') {
                ++cache_line_;
                cache_col_ = 1;
            } else {
                ++cache_col_;
            }
        }
        line = cache_line_;
        col = cache_col_;
    }

    bool starts_with(std::string_view lit) const { return s_.size() - pos_ >= lit.size() && s_.compare(pos_, lit.size(), lit) == 0; }
    void skip_space() {
        while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
    }

    /// Whitespace, comments, processing instructions (and, in the prolog, one DOCTYPE without an
    /// internal subset) before or after the root element.
    void skip_misc(bool prolog) {
        bool seen_doctype = false;
        for (;;) {
            skip_space();
            if (starts_with("<!--")) {
                comment();
            } else if (starts_with("<?")) {
                processing_instruction();
            } else if (prolog && !seen_doctype && starts_with("<!DOCTYPE")) {
                const std::size_t at = pos_;
                pos_ += 9;
                while (pos_ < s_.size() && s_[pos_] != '>') {
                    if (s_[pos_] == '[') fail(pos_, "DTD internal subsets are not supported");
                    ++pos_;
                }
                if (pos_ >= s_.size()) fail(at, "unterminated DOCTYPE declaration");
                ++pos_;
                seen_doctype = true;
            } else {
                return;
            }
        }
    }

    void comment() {
        const std::size_t at = pos_;
        const std::size_t end = s_.find("-->", pos_ + 4);
        if (end == std::string_view::npos) fail(at, "unterminated comment");
        pos_ = end + 3;
    }

    void processing_instruction() {
        const std::size_t at = pos_;
        pos_ += 2;
        const std::string_view target = name();
        if (target.size() == 3 && (target[0] | 0x20) == 'x' && (target[1] | 0x20) == 'm' && (target[2] | 0x20) == 'l' &&
            at != 0 && !(at == 3 && s_.substr(0, 3) == "\xEF\xBB\xBF"))
            fail(at, "the XML declaration must be at the very start of the document");
        const std::size_t end = s_.find("?>", pos_);
        if (end == std::string_view::npos) fail(at, "unterminated processing instruction <?" + std::string(target));
        pos_ = end + 2;
    }

    std::string_view name() {
        const std::size_t b = pos_;
        auto start = [](unsigned char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || c >= 0x80;
        };
        if (pos_ >= s_.size()) fail(pos_, "unexpected end of input, expected a name");
        if (!start(static_cast<unsigned char>(s_[pos_])))
            fail(pos_, std::string("expected a name, found '") + s_[pos_] + "'");
        ++pos_;
        while (pos_ < s_.size()) {
            const auto c = static_cast<unsigned char>(s_[pos_]);
            if (!(start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.')) break;
            ++pos_;
        }
        return s_.substr(b, pos_ - b);
    }

    /// Parses "<name attr="v" ...>" or ".../>" at pos_. Returns true when self-closing.
    bool start_tag(element& e) {
        const std::size_t at = pos_;
        position_of(at, e.line, e.column);
        ++pos_;  // '<'
        e.name = std::string(name());
        for (;;) {
            const std::size_t before = pos_;
            skip_space();
            if (pos_ >= s_.size()) fail(pos_, "unexpected end of input inside the start tag of <" + e.name + ">");
            if (s_[pos_] == '>') {
                ++pos_;
                return false;
            }
            if (s_[pos_] == '/') {
                if (pos_ + 1 >= s_.size()) fail(pos_ + 1, "unexpected end of input inside the start tag of <" + e.name + ">");
                if (s_[pos_ + 1] != '>') fail(pos_ + 1, "expected '>' after '/'");
                pos_ += 2;
                return true;
            }
            if (before == pos_) fail(pos_, "expected whitespace before an attribute of <" + e.name + ">");
            const std::size_t attr_at = pos_;
            attribute a;
            a.name = std::string(name());
            skip_space();
            if (pos_ >= s_.size() || s_[pos_] != '=')
                fail(pos_, "expected '=' after attribute name '" + a.name + "'");
            ++pos_;
            skip_space();
            if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\''))
                fail(pos_, "expected a quoted value for attribute '" + a.name + "'");
            const char quote = s_[pos_];
            const std::size_t vb = ++pos_;
            const std::size_t ve = s_.find(quote, vb);
            if (ve == std::string_view::npos) fail(attr_at, "unterminated value of attribute '" + a.name + "'");
            decode(s_.substr(vb, ve - vb), vb, a.value, true);
            pos_ = ve + 1;
            for (const auto& other : e.attributes)
                if (other.name == a.name) fail(attr_at, "duplicate attribute '" + a.name + "' in <" + e.name + ">");
            e.attributes.push_back(std::move(a));
        }
    }

    void end_tag(const element& open) {
        const std::size_t at = pos_;
        pos_ += 2;
        const std::string_view n = name();
        if (n != open.name)
            fail(at, "mismatched end tag </" + std::string(n) + ">, expected </" + open.name + "> (opened at line " +
                         std::to_string(open.line) + ")");
        skip_space();
        if (pos_ >= s_.size() || s_[pos_] != '>') fail(pos_, "expected '>' to close </" + open.name + ">");
        ++pos_;
    }

    void text(std::string& out) {
        const std::size_t b = pos_;
        std::size_t e = s_.find('<', b);
        if (e == std::string_view::npos) e = s_.size();
        decode(s_.substr(b, e - b), b, out, false);
        pos_ = e;
    }

    /// Appends `raw` (which starts at offset `base` of the document) to out with entities decoded and
    /// line ends normalized; in attribute values, literal whitespace becomes a space.
    void decode(std::string_view raw, std::size_t base, std::string& out, bool in_attribute) const {
        for (std::size_t i = 0; i < raw.size(); ++i) {
            const char c = raw[i];
            if (c == '<') fail(base + i, "'<' is not allowed in an attribute value");
            if (c == '\r') {
                if (i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
                out += in_attribute ? ' ' : '\n';
            } else if (in_attribute && (c == '\n' || c == '\t')) {
                out += ' ';
            } else if (c != '&') {
                out += c;
            } else {
                const std::size_t semi = raw.find(';', i + 1);
                if (semi == std::string_view::npos || semi - i > 12)
                    fail(base + i, "unterminated entity reference");
                const std::string_view ent = raw.substr(i + 1, semi - i - 1);
                if (ent == "lt") out += '<';
                else if (ent == "gt") out += '>';
                else if (ent == "amp") out += '&';
                else if (ent == "quot") out += '"';
                else if (ent == "apos") out += '\'';
                else if (!ent.empty() && ent[0] == '#') io::append_utf8(out, char_ref(ent, base + i));
                else fail(base + i, "unknown entity '&" + std::string(ent) + ";'");
                i = semi;
            }
        }
    }

    std::uint32_t char_ref(std::string_view ent, std::size_t at) const {
        const bool hex = ent.size() > 1 && ent[1] == 'x';
        const std::string_view digits = ent.substr(hex ? 2 : 1);
        if (digits.empty()) fail(at, "empty character reference");
        std::uint32_t cp = 0;
        for (char d : digits) {
            std::uint32_t v;
            if (d >= '0' && d <= '9') v = static_cast<std::uint32_t>(d - '0');
            else if (hex && d >= 'a' && d <= 'f') v = static_cast<std::uint32_t>(d - 'a' + 10);
            else if (hex && d >= 'A' && d <= 'F') v = static_cast<std::uint32_t>(d - 'A' + 10);
            else fail(at, "invalid character reference '&" + std::string(ent) + ";'");
            cp = cp * (hex ? 16u : 10u) + v;
            if (cp > 0x10FFFF) fail(at, "character reference '&" + std::string(ent) + ";' is out of range");
        }
        if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF))
            fail(at, "character reference '&" + std::string(ent) + ";' is not a valid character");
        return cp;
    }

    std::string_view s_;
    const std::string& file_;
    parse_options opt_;
    std::size_t pos_ = 0;
    std::size_t cache_pos_ = 0, cache_line_ = 1, cache_col_ = 1;
};

}  // namespace detail

/// Parses a whole document held in memory; `file` names it in error messages.
/// ensures: the root element; throws moir::parse_error "<file>:<line>:<col>: reason" on malformed
/// input (truncation included) and when nesting exceeds opt.max_depth.
inline element parse(std::string_view text, const std::string& file = "<memory>", const parse_options& opt = {}) {
    return detail::parser(text, file, opt).run();
}

/// Reads the whole file at `path` into a string. ensures: throws moir::error when it cannot be read.
inline std::string read_file(const std::string& path) { return io::read_file(path); }

/// Parses the XML file at `path` (errors name the path).
inline element parse_file(const std::string& path, const parse_options& opt = {}) {
    return parse(read_file(path), path, opt);
}

/// Escapes text for XML: &, <, > always; in attribute values also " and the whitespace characters
/// that attribute-value normalization would turn into spaces. Other control characters become
/// character references.
inline std::string escape(std::string_view s, bool in_attribute) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string r;
    r.reserve(s.size());
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        switch (ch) {
            case '&': r += "&amp;"; break;
            case '<': r += "&lt;"; break;
            case '>': r += "&gt;"; break;
            case '"':
                if (in_attribute) r += "&quot;";
                else r += ch;
                break;
            case '\n':
                if (in_attribute) r += "&#10;";
                else r += ch;
                break;
            case '\t':
                if (in_attribute) r += "&#9;";
                else r += ch;
                break;
            case '\r': r += "&#13;"; break;
            default:
                if (c < 0x20) {
                    r += "&#x";
                    r += hex[c >> 4];
                    r += hex[c & 15];
                    r += ';';
                } else {
                    r += ch;
                }
        }
    }
    return r;
}

/// Builds an indented XML document: open(name), attr(k, v)..., then children or text, then close().
/// Elements without content are written self-closing; elements with only text stay on one line.
/// Example: w.open("dim").text("3").close() writes "<dim>3</dim>".
class writer {
public:
    /// `indent` is one level of indentation: "\t" (OpenVINO's style) or "    ".
    explicit writer(std::string indent = "\t") : unit_(std::move(indent)) {}

    /// Writes `<?xml version="1.0"?>`. requires: nothing written yet.
    writer& declaration() {
        MOIR_CHECK(out_.empty(), error, "xml::writer: the declaration must come first");
        out_ += "<?xml version=\"1.0\"?>\n";
        return *this;
    }
    /// Starts element `name`. ensures: throws moir::error when name is not an XML name or a second
    /// root element is started.
    writer& open(std::string_view name) {
        MOIR_CHECK(is_name(name), error, "xml::writer: '" + std::string(name) + "' is not a valid XML name");
        MOIR_CHECK(!stack_.empty() || !root_done_, error, "xml::writer: a document has one root element");
        finish_start_tag();
        if (!stack_.empty()) stack_.back().has_children = true;
        if (stack_.empty() || !stack_.back().has_text) {
            if (!out_.empty() && out_.back() != '\n') out_ += '\n';
            for (std::size_t i = 0; i < stack_.size(); ++i) out_ += unit_;
        }
        out_ += '<';
        out_ += name;
        stack_.push_back(frame{std::string(name), false, false});
        tag_open_ = true;
        return *this;
    }
    /// Adds an attribute to the element just opened. requires: no content written into it yet.
    writer& attr(std::string_view name, std::string_view value) {
        MOIR_CHECK(tag_open_, error, "xml::writer: attribute '" + std::string(name) + "' after element content");
        MOIR_CHECK(is_name(name), error, "xml::writer: '" + std::string(name) + "' is not a valid XML name");
        out_ += ' ';
        out_ += name;
        out_ += "=\"";
        out_ += escape(value, true);
        out_ += '"';
        return *this;
    }
    /// Adds escaped character data to the open element.
    writer& text(std::string_view t) {
        MOIR_CHECK(!stack_.empty(), error, "xml::writer: text outside the root element");
        finish_start_tag();
        stack_.back().has_text = true;
        out_ += escape(t, false);
        return *this;
    }
    /// Closes the innermost open element.
    writer& close() {
        MOIR_CHECK(!stack_.empty(), error, "xml::writer: close() without an open element");
        const frame f = std::move(stack_.back());
        stack_.pop_back();
        if (tag_open_) {
            out_ += "/>";
            tag_open_ = false;
        } else {
            if (f.has_children && !f.has_text) {
                out_ += '\n';
                for (std::size_t i = 0; i < stack_.size(); ++i) out_ += unit_;
            }
            out_ += "</";
            out_ += f.name;
            out_ += '>';
        }
        if (stack_.empty()) {
            out_ += '\n';
            root_done_ = true;
        }
        return *this;
    }
    /// The document so far. requires (for a complete document): every element closed.
    const std::string& str() const { return out_; }
    bool complete() const { return root_done_ && stack_.empty(); }

private:
    struct frame {
        std::string name;
        bool has_children;
        bool has_text;
    };
    void finish_start_tag() {
        if (tag_open_) {
            out_ += '>';
            tag_open_ = false;
        }
    }
    std::string unit_;
    std::string out_;
    std::vector<frame> stack_;
    bool tag_open_ = false;
    bool root_done_ = false;
};

}  // namespace moir::ir::xml

#endif  // MOIR_IR_XML_HPP
