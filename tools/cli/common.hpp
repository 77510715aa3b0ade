#ifndef MOIR_TOOLS_CLI_COMMON_HPP
#define MOIR_TOOLS_CLI_COMMON_HPP

// Shared pieces of the moir command-line tool: loading a model by its extension, Model Optimizer
// style shape parsing, file-name helpers.

#include <moir/core/model.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/frontends/tflite/tflite.hpp>
#include <moir/ir/ir_reader.hpp>

#include <cctype>      // isdigit, isspace
#include <filesystem>  // path
#include <map>         // map
#include <string>      // string
#include <vector>      // vector

namespace moir::cli {

namespace fs = std::filesystem;

/// Lowercase extension with the dot: ".onnx", ".xml".
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

inline std::string extension(const std::string& path) {
    std::string e = fs::path(path).extension().string();
    for (auto& ch : e) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return e;
}

/// Parses one MO shape: "[1,3,640,640]", "(1,3,640,640)", "[1 3 640 640]"; "?" or "-1" is dynamic.
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

/// Loads a model from .onnx or .tflite (converted on the fly) or .xml (+ .bin beside it).
inline model load_model(const std::string& path, const onnx::load_options& opt = {}) {
    MOIR_CHECK(fs::exists(path), error, "cannot open " + path + ": no such file");
    const std::string ext = extension(path);
    if (ext == ".onnx") return onnx::load(path, opt);
    if (ext == ".tflite") {
        tflite::load_options o;
        static_cast<frontends::load_options&>(o) = opt;
        return tflite::load(path, o);
    }
    if (ext == ".xml") {
        model m = ir::load<>(path);
        // --input_shape reshapes an IR: the Parameters take the new shapes and the graph is re-inferred
        MOIR_CHECK(opt.input_shapes_by_position.size() <= m.parameters.size(), error,
                   path + ": " + std::to_string(opt.input_shapes_by_position.size()) +
                       " input shapes given, the model has " + std::to_string(m.parameters.size()) + " inputs");
        for (std::size_t i = 0; i < opt.input_shapes_by_position.size(); ++i) {
            auto& pa = m.at(m.parameters[i]).attrs_as<ops::parameter>();
            const partial_shape& want = opt.input_shapes_by_position[i];
            MOIR_CHECK(pa.shape.rank_dynamic || want.rank_dynamic || pa.shape.rank() == want.rank(), shape_error,
                       path + ": input '" + m.input_name(i) + "': --input_shape " + want.str() + " has rank " +
                           std::to_string(want.rank()) + ", the model's input has rank " +
                           std::to_string(pa.shape.rank()));
            pa.shape = want;
        }
        if (!opt.input_shapes_by_position.empty()) {
            try {
                m.validate();
            } catch (const std::exception& e) {
                throw shape_error(path + ": the model cannot take --input_shape: " + e.what());
            }
        }
        return m;
    }
    throw error(path + ": unknown model format '" + ext + "' (moir reads .onnx and OpenVINO IR .xml)");
}

/// An output file name made from a tensor name: every character outside [A-Za-z0-9._-] becomes '_'.
inline std::string sanitize(const std::string& name) {
    std::string s = name;
    for (auto& ch : s)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-')) ch = '_';
    return s.empty() ? std::string("output") : s;
}

/// "4.7 MB"-style sizes.
inline std::string human_bytes(std::uintmax_t b) {
    char buf[32];
    if (b >= 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / (1024.0 * 1024.0));
    else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(b) / 1024.0);
    else std::snprintf(buf, sizeof buf, "%ju B", b);
    return buf;
}

}  // namespace moir::cli

#endif  // MOIR_TOOLS_CLI_COMMON_HPP
