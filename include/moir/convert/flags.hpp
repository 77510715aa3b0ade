#ifndef MOIR_CONVERT_FLAGS_HPP
#define MOIR_CONVERT_FLAGS_HPP

// The Model Optimizer's value syntaxes that the conversion options use: shapes ("[1,3,224,224]",
// "(1,3,224,224)", "[1 3 224 224]", "?" or -1 for a dynamic dim) and comma lists.

#include <moir/core/errors.hpp>
#include <moir/core/shape.hpp>

#include <cctype>   // isdigit, isspace
#include <string>   // string, stoll
#include <vector>   // vector

namespace moir::flags {

/// The non-empty parts of `text` between `sep`s ("a,,b" -> {"a", "b"}).
inline std::vector<std::string> split_list(const std::string& text, char sep = ',') {
    std::vector<std::string> parts;
    for (std::size_t at = 0; at <= text.size();) {
        const auto end = text.find(sep, at);
        const std::string part = text.substr(at, end == std::string::npos ? std::string::npos : end - at);
        if (!part.empty()) parts.push_back(part);
        if (end == std::string::npos) break;
        at = end + 1;
    }
    return parts;
}

/// Parses one MO shape: "[1,3,640,640]", "(1,3,640,640)", "[1 3 640 640]"; "?" or "-1" is dynamic.
/// ensures: throws moir::error quoting the text for anything else.
inline partial_shape parse_shape(const std::string& text) {
    std::string s = text;
    auto strip = [](std::string& v) {
        while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front()))) v.erase(v.begin());
        while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
    };
    strip(s);
    MOIR_CHECK(s.size() >= 2 && ((s.front() == '[' && s.back() == ']') || (s.front() == '(' && s.back() == ')')), error,
               "shape '" + text + "' must look like [1,3,224,224]");
    s = s.substr(1, s.size() - 2);
    partial_shape p(std::vector<std::int64_t>{});
    std::string tok;
    auto flush = [&] {
        strip(tok);
        if (tok.empty()) return;
        if (tok == "?" || tok == "-1") {
            p.dims.push_back(dynamic_dim);
        } else {
            for (char ch : tok)
                MOIR_CHECK(std::isdigit(static_cast<unsigned char>(ch)), error, "shape '" + text + "' has a bad dim '" + tok + "'");
            MOIR_CHECK(tok.size() < 12, error, "shape '" + text + "' has a dim that is too large");
            p.dims.push_back(std::stoll(tok));
        }
        tok.clear();
    };
    for (char ch : s) {
        if (ch == ',' || ch == ' ') flush();
        else tok += ch;
    }
    flush();
    return p;
}

/// Parses "--input_shape [1,3,224,224],[1,10]" into one shape per input.
inline std::vector<partial_shape> parse_shapes(const std::string& text) {
    std::vector<partial_shape> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ',' || text[i] == ' ')) ++i;
        if (i >= text.size()) break;
        const char open = text[i];
        MOIR_CHECK(open == '[' || open == '(', error, "--input_shape '" + text + "' must look like [1,3,224,224]");
        const char close = open == '[' ? ']' : ')';
        const auto j = text.find(close, i);
        MOIR_CHECK(j != std::string::npos, error, "--input_shape '" + text + "' has an unclosed " + std::string(1, open));
        out.push_back(parse_shape(text.substr(i, j - i + 1)));
        i = j + 1;
    }
    return out;
}

}  // namespace moir::flags

#endif  // MOIR_CONVERT_FLAGS_HPP
