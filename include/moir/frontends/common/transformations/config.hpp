#ifndef MOIR_FRONTENDS_COMMON_TRANSFORMATIONS_CONFIG_HPP
#define MOIR_FRONTENDS_COMMON_TRANSFORMATIONS_CONFIG_HPP

// The --transformations_config file: the Model Optimizer's JSON format for sub-graph
// replacements. The file is a list of entries
//   {"id": "...", "match_kind": "scope" | "points" | "general",
//    "instances": ..., "custom_attributes": {...}}
// where `instances` is, for "scope", a list of node-name patterns (regular expressions matched at
// the start of a node's name, as MO does), for "points" an object {"start_points": [names],
// "end_points": [names]}, and for "general" absent (the replacement finds its own sub-graph).
// Other keys MO writes ("inputs", "outputs", "include_inputs_to_sub_graph", ...) are accepted and
// ignored. Parsing checks every type and names the file, the entry and the key in errors; a file
// that is not JSON is reported as file:line:column.

#include <moir/core/errors.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>  // min
#include <cstddef>   // size_t
#include <fstream>   // ifstream
#include <iterator>  // istreambuf_iterator
#include <string>    // string, to_string
#include <vector>    // vector

namespace moir::transformations {

/// One entry of a transformations config.
struct replacement_spec {
    std::string id;                     ///< the replacement's id (a registry key)
    std::string match_kind;             ///< "scope", "points" or "general"
    std::vector<std::string> scopes;    ///< scope: the name patterns
    std::vector<std::string> start_points, end_points;  ///< points: node names
    nlohmann::json custom_attributes = nlohmann::json::object();  ///< what the replacement reads
    std::string where;                  ///< "<file>: entry N (id 'X')", the prefix of its errors
};

namespace detail {
template <class = void>
inline const char* json_type(const nlohmann::json& j) { return j.type_name(); }

template <class = void>
inline std::vector<std::string> string_list(const nlohmann::json& j, const std::string& where, const std::string& key) {
    MOIR_CHECK(j.is_array(), parse_error, where + ": '" + key + "' must be a list of strings, not " + json_type(j));
    std::vector<std::string> out;
    for (std::size_t i = 0; i < j.size(); ++i) {
        MOIR_CHECK(j[i].is_string(), parse_error,
                   where + ": '" + key + "'[" + std::to_string(i) + "] must be a string, not " + json_type(j[i]));
        out.push_back(j[i].get<std::string>());
    }
    return out;
}
}  // namespace detail

/// Parses a transformations config held in `text`; `source` names it in errors.
/// ensures: one spec per entry, in the file's order; throws moir::parse_error
/// "<source>:<line>:<column>: malformed JSON: ..." for text that is not JSON, and
/// "<source>: entry N (id 'X'): ..." for a missing key or a value of the wrong type.
template <class = void>
inline std::vector<replacement_spec> parse_config(const std::string& text, const std::string& source) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        std::size_t line = 1, column = 1;
        const std::size_t end = e.byte == 0 ? 0 : std::min<std::size_t>(e.byte - 1, text.size());
        for (std::size_t i = 0; i < end; ++i) {
            if (text[i] == '\n') ++line, column = 1;
            else ++column;
        }
        std::string why = e.what();
        const auto colon = why.find(": ");  // drop nlohmann's "[json.exception...] parse error at ...:"
        if (colon != std::string::npos) why = why.substr(colon + 2);
        throw parse_error(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": malformed JSON: " + why);
    } catch (const nlohmann::json::exception& e) {  // a number out of range, say
        throw parse_error(source + ": malformed JSON: " + e.what());
    }
    MOIR_CHECK(doc.is_array(), parse_error,
               source + ": a transformations config is a list of replacements, not " + detail::json_type(doc));
    std::vector<replacement_spec> out;
    for (std::size_t k = 0; k < doc.size(); ++k) {
        const nlohmann::json& e = doc[k];
        std::string where = source + ": entry " + std::to_string(k + 1);
        MOIR_CHECK(e.is_object(), parse_error, where + " must be an object, not " + detail::json_type(e));
        replacement_spec s;
        MOIR_CHECK(e.contains("id"), parse_error, where + " has no 'id'");
        MOIR_CHECK(e["id"].is_string(), parse_error, where + ": 'id' must be a string, not " + detail::json_type(e["id"]));
        s.id = e["id"].get<std::string>();
        where += " (id '" + s.id + "')";
        s.where = where;
        MOIR_CHECK(e.contains("match_kind"), parse_error, where + " has no 'match_kind'");
        MOIR_CHECK(e["match_kind"].is_string(), parse_error,
                   where + ": 'match_kind' must be a string, not " + detail::json_type(e["match_kind"]));
        s.match_kind = e["match_kind"].get<std::string>();
        MOIR_CHECK(s.match_kind == "scope" || s.match_kind == "points" || s.match_kind == "general", parse_error,
                   where + ": 'match_kind' is '" + s.match_kind + "'; it must be scope, points or general");
        if (e.contains("custom_attributes")) {
            MOIR_CHECK(e["custom_attributes"].is_object(), parse_error,
                       where + ": 'custom_attributes' must be an object, not " + detail::json_type(e["custom_attributes"]));
            s.custom_attributes = e["custom_attributes"];
        }
        const bool has = e.contains("instances");
        if (s.match_kind == "scope") {
            MOIR_CHECK(has, parse_error, where + ": a scope replacement needs 'instances' (a list of name patterns)");
            s.scopes = e["instances"].is_string() ? std::vector<std::string>{e["instances"].get<std::string>()}
                                                  : detail::string_list(e["instances"], where, "instances");
            MOIR_CHECK(!s.scopes.empty(), parse_error, where + ": 'instances' lists no scope pattern");
        } else if (s.match_kind == "points") {
            MOIR_CHECK(has, parse_error,
                       where + ": a points replacement needs 'instances' {\"start_points\": [...], \"end_points\": [...]}");
            const nlohmann::json& in = e["instances"];
            MOIR_CHECK(in.is_object(), parse_error,
                       where + ": 'instances' of a points replacement must be an object, not " + detail::json_type(in));
            for (const char* key : {"start_points", "end_points"})
                MOIR_CHECK(in.contains(key), parse_error, where + ": 'instances' has no '" + key + "'");
            s.start_points = detail::string_list(in["start_points"], where, "start_points");
            s.end_points = detail::string_list(in["end_points"], where, "end_points");
            MOIR_CHECK(!s.start_points.empty() && !s.end_points.empty(), parse_error,
                       where + ": 'start_points' and 'end_points' must each name at least one node");
        }
        out.push_back(std::move(s));
    }
    return out;
}

/// Reads and parses the transformations config at `path`.
/// ensures: throws moir::error "cannot open <path>" for a missing file, else as parse_config.
template <class = void>
inline std::vector<replacement_spec> read_config(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, "cannot open transformations config " + path);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return parse_config(text, path);
}

}  // namespace moir::transformations

#endif  // MOIR_FRONTENDS_COMMON_TRANSFORMATIONS_CONFIG_HPP
