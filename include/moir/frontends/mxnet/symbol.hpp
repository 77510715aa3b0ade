#ifndef MOIR_FRONTENDS_MXNET_SYMBOL_HPP
#define MOIR_FRONTENDS_MXNET_SYMBOL_HPP

// MXNet's symbol file (`<prefix>-symbol.json`, what `HybridBlock.export` and `Module.save_checkpoint`
// write): a JSON object whose `nodes` list the graph in topological order. A node has `op` ("null"
// for a variable: a graph input or a weight), `name`, `inputs` (entries [node, output, version], or
// [node, output] in files of MXNet 0.x) and its attributes as strings: `attrs` (MXNet >= 1.0),
// `param` (0.x operator parameters) and `attr` (0.x, and variables' `__shape__` / `__dtype__`).
// `arg_nodes` lists the variables, `heads` the graph's outputs, `node_row_ptr` (optional) the
// prefix sum of each node's output count. Every index is checked; errors name the file.

#include <moir/core/errors.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>  // max
#include <cstddef>    // size_t
#include <cstdint>    // int64_t
#include <fstream>    // ifstream
#include <iterator>   // istreambuf_iterator
#include <map>        // map
#include <string>     // string, to_string
#include <utility>    // move
#include <vector>     // vector

namespace moir::mxnet {

/// One data edge: output `index` of node `node`.
struct entry {
    std::size_t node = 0;
    std::size_t index = 0;
};

/// One node of the symbol.
struct symbol_node {
    std::string op;                            ///< "null" for a variable
    std::string name;
    std::map<std::string, std::string> attrs;  ///< param, attr and attrs merged (attrs wins)
    std::vector<entry> inputs;
};

/// A decoded symbol file.
struct symbol {
    std::string source;                 ///< the file, for errors
    std::vector<symbol_node> nodes;     ///< topological order: inputs refer to earlier nodes
    std::vector<std::size_t> arg_nodes;  ///< the variables, as the file lists them
    std::vector<entry> heads;            ///< the graph's outputs
    std::vector<std::size_t> output_counts;  ///< per node: its outputs (node_row_ptr, else the most read + 1)
};

namespace detail {
/// A JSON attribute value as MXNet's string form (numbers and booleans written as MXNet parses them).
template <class = void>
inline std::string attr_string(const nlohmann::json& v) {
    if (v.is_string()) return v.get<std::string>();
    if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
    return v.dump();
}

template <class = void>
inline entry parse_entry(const nlohmann::json& e, std::size_t limit, const std::string& where) {
    MOIR_CHECK(e.is_array() && (e.size() == 2 || e.size() == 3), parse_error,
               where + ": an entry must be [node, output, version], it is " + e.dump());
    for (const auto& x : e)
        MOIR_CHECK(x.is_number_unsigned() || (x.is_number_integer() && x.get<std::int64_t>() >= 0), parse_error,
                   where + ": entry " + e.dump() + " holds a value that is not a non-negative integer");
    const entry r{e[0].get<std::size_t>(), e[1].get<std::size_t>()};
    MOIR_CHECK(r.node < limit, parse_error,
               where + ": reads node " + std::to_string(r.node) + ", which does not come before it (" +
                   std::to_string(limit) + (limit == 1 ? " node does)" : " nodes do)"));
    return r;
}
}  // namespace detail

/// Decodes the text of a symbol file. `source` names it in errors.
/// ensures: every entry reads an earlier node (a head: any node) and an output that node has;
/// throws moir::parse_error naming the file (and the byte, for malformed JSON) otherwise.
template <class = void>
inline symbol parse_symbol(const std::string& text, const std::string& source) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw parse_error(source + ": not valid JSON at byte " + std::to_string(e.byte) + " (" + e.what() + ")");
    } catch (const nlohmann::json::exception& e) {  // a number out of range (found by tests/fuzz/fuzz_mxnet)
        throw parse_error(source + ": not valid JSON (" + e.what() + ")");
    }
    MOIR_CHECK(j.is_object() && j.contains("nodes") && j["nodes"].is_array(), parse_error,
               source + ": not an MXNet symbol file (no \"nodes\" list)");
    symbol s;
    s.source = source;
    const auto& nodes = j["nodes"];
    MOIR_CHECK(!nodes.empty(), parse_error, source + ": the symbol has no nodes");
    std::vector<std::size_t> most_read(nodes.size(), 0);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const auto& n = nodes[i];
        const std::string where = source + ": node " + std::to_string(i);
        MOIR_CHECK(n.is_object(), parse_error, where + " is not an object");
        MOIR_CHECK(n.contains("op") && n["op"].is_string(), parse_error, where + " has no \"op\" string");
        MOIR_CHECK(n.contains("name") && n["name"].is_string(), parse_error, where + " has no \"name\" string");
        symbol_node sn;
        sn.op = n["op"].get<std::string>();
        sn.name = n["name"].get<std::string>();
        const std::string named = where + " '" + sn.name + "' (" + sn.op + ")";
        for (const char* key : {"param", "attr", "attrs"}) {
            if (!n.contains(key) || n[key].is_null()) continue;
            MOIR_CHECK(n[key].is_object(), parse_error, named + ": \"" + key + "\" is not an object");
            for (const auto& [k, v] : n[key].items()) sn.attrs[k] = detail::attr_string(v);
        }
        if (n.contains("inputs")) {
            MOIR_CHECK(n["inputs"].is_array(), parse_error, named + ": \"inputs\" is not a list");
            for (const auto& e : n["inputs"]) {
                const entry r = detail::parse_entry(e, i, named);
                most_read[r.node] = std::max(most_read[r.node], r.index + 1);
                sn.inputs.push_back(r);
            }
        }
        MOIR_CHECK(sn.op != "null" || sn.inputs.empty(), parse_error, named + ": a variable has inputs");
        s.nodes.push_back(std::move(sn));
    }
    MOIR_CHECK(j.contains("heads") && j["heads"].is_array() && !j["heads"].empty(), parse_error,
               source + ": the symbol has no \"heads\" (its outputs)");
    for (const auto& e : j["heads"]) {
        const entry r = detail::parse_entry(e, nodes.size(), source + ": heads");
        most_read[r.node] = std::max(most_read[r.node], r.index + 1);
        s.heads.push_back(r);
    }
    if (j.contains("arg_nodes")) {
        MOIR_CHECK(j["arg_nodes"].is_array(), parse_error, source + ": \"arg_nodes\" is not a list");
        for (const auto& a : j["arg_nodes"]) {
            MOIR_CHECK(a.is_number_integer() && a.get<std::int64_t>() >= 0 &&
                           static_cast<std::size_t>(a.get<std::int64_t>()) < nodes.size(),
                       parse_error, source + ": arg_nodes lists " + a.dump() + ", not a node index");
            const auto k = a.get<std::size_t>();
            MOIR_CHECK(s.nodes[k].op == "null", parse_error,
                       source + ": arg_nodes lists node " + std::to_string(k) + " '" + s.nodes[k].name + "', which is a " +
                           s.nodes[k].op + ", not a variable");
            s.arg_nodes.push_back(k);
        }
    }
    s.output_counts.assign(nodes.size(), 1);
    for (std::size_t i = 0; i < nodes.size(); ++i) s.output_counts[i] = std::max<std::size_t>(1, most_read[i]);
    if (j.contains("node_row_ptr")) {
        const auto& p = j["node_row_ptr"];
        MOIR_CHECK(p.is_array() && p.size() == nodes.size() + 1, parse_error,
                   source + ": node_row_ptr must hold " + std::to_string(nodes.size() + 1) + " values (nodes + 1)");
        std::int64_t prev = 0;
        for (std::size_t i = 0; i < p.size(); ++i) {
            MOIR_CHECK(p[i].is_number_integer(), parse_error, source + ": node_row_ptr holds " + p[i].dump());
            const std::int64_t v = p[i].get<std::int64_t>();
            MOIR_CHECK(i == 0 ? v == 0 : v > prev, parse_error,
                       source + ": node_row_ptr is not increasing from 0 (entry " + std::to_string(i) + " = " +
                           std::to_string(v) + ")");
            if (i > 0) {
                const auto count = static_cast<std::size_t>(v - prev);
                MOIR_CHECK(count >= most_read[i - 1], parse_error,
                           source + ": node " + std::to_string(i - 1) + " '" + s.nodes[i - 1].name + "' has " +
                               std::to_string(count) + " outputs, and output " + std::to_string(most_read[i - 1] - 1) +
                               " is read");
                s.output_counts[i - 1] = count;
            }
            prev = v;
        }
    }
    return s;
}

/// Reads a symbol file. ensures: as parse_symbol; moir::error when the file cannot be read.
template <class = void>
inline symbol read_symbol(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, "cannot open " + path);
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    return parse_symbol(text, path);
}

}  // namespace moir::mxnet

#endif  // MOIR_FRONTENDS_MXNET_SYMBOL_HPP
