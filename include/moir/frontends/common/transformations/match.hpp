#ifndef MOIR_FRONTENDS_COMMON_TRANSFORMATIONS_MATCH_HPP
#define MOIR_FRONTENDS_COMMON_TRANSFORMATIONS_MATCH_HPP

// Finding the sub-graph a transformations-config entry names, on any frontend's graph. A frontend
// describes its graph as a graph_view (node names, op types, data edges by node index and output
// port) and gets back a sub_graph: the matched nodes, the tensors they read from outside and the
// tensors of theirs that outside nodes (or the graph's outputs) read.
//   scope:  every node whose name a pattern matches from its start (std::regex, ECMAScript), as
//           MO's scope replacements; a pattern that matches no node is an error.
//   points: every node on a path from a start point to an end point (both included), plus the side
//           inputs only those nodes read (constants and what computes only from constants); a point that
//           names no node, or an end point no start point reaches, is an error.

#include <moir/core/errors.hpp>
#include <moir/frontends/common/transformations/config.hpp>

#include <cstddef>        // size_t
#include <regex>          // regex, regex_search
#include <string>         // string
#include <unordered_map>  // unordered_map
#include <utility>        // pair
#include <vector>         // vector

namespace moir::transformations {

/// An output of a node: (node index, port).
struct edge {
    std::size_t node = 0, port = 0;
    friend bool operator==(const edge& a, const edge& b) { return a.node == b.node && a.port == b.port; }
};

/// A framework graph as the matcher sees it. The frontend fills `nodes` (data inputs only,
/// resolved to node indices) and `outputs` (the graph's outputs), then calls index().
struct graph_view {
    struct node {
        std::string name, op;
        std::vector<edge> inputs;
        bool input = false;  ///< a graph input (Placeholder, Parameter)
    };
    std::vector<node> nodes;
    std::vector<edge> outputs;

    /// Builds the name index and the reader lists. Call once the nodes are in.
    void index() {
        by_name_.clear();
        readers_.assign(nodes.size(), {});
        for (std::size_t i = 0; i < nodes.size(); ++i) by_name_.emplace(nodes[i].name, i);
        for (std::size_t i = 0; i < nodes.size(); ++i)
            for (const auto& e : nodes[i].inputs) readers_[e.node].push_back(i);
    }
    /// The index of node `name`, or -1.
    long find(const std::string& name) const {
        const auto it = by_name_.find(name);
        return it == by_name_.end() ? -1 : static_cast<long>(it->second);
    }
    /// The nodes that read an output of node i.
    const std::vector<std::size_t>& readers(std::size_t i) const { return readers_.at(i); }

private:
    std::unordered_map<std::string, std::size_t> by_name_;
    std::vector<std::vector<std::size_t>> readers_;
};

/// A matched sub-graph of a graph_view.
struct sub_graph {
    std::vector<bool> contains;      ///< per node of the view
    std::vector<std::size_t> nodes;  ///< the matched nodes, in the view's order
    std::vector<edge> inputs;        ///< tensors of outside nodes that matched nodes read (once each)
    std::vector<edge> outputs;       ///< tensors of matched nodes read by outside nodes or graph outputs

    bool has(std::size_t node) const { return node < contains.size() && contains[node]; }
    /// The matched nodes with op type `op`.
    std::vector<std::size_t> of_op(const graph_view& g, const std::string& op) const {
        std::vector<std::size_t> out;
        for (auto n : nodes)
            if (g.nodes[n].op == op) out.push_back(n);
        return out;
    }
};

/// The sub-graph of the nodes flagged in `in`, with its boundary.
inline sub_graph make_sub_graph(const graph_view& g, std::vector<bool> in) {
    sub_graph s;
    s.contains = std::move(in);
    const auto add_once = [](std::vector<edge>& v, edge e) {
        for (const auto& x : v)
            if (x == e) return;
        v.push_back(e);
    };
    for (std::size_t i = 0; i < g.nodes.size(); ++i) {
        if (s.contains[i]) {
            s.nodes.push_back(i);
            for (const auto& e : g.nodes[i].inputs)
                if (!s.contains[e.node]) add_once(s.inputs, e);
        } else {
            for (const auto& e : g.nodes[i].inputs)
                if (s.contains[e.node]) add_once(s.outputs, e);
        }
    }
    for (const auto& e : g.outputs)
        if (s.contains[e.node]) add_once(s.outputs, e);
    return s;
}

/// The nodes whose names one of `patterns` matches from the start.
/// ensures: throws moir::error "<where>: scope pattern 'P' matches no node" (or is not a regex).
inline sub_graph match_scope(const graph_view& g, const std::vector<std::string>& patterns, const std::string& where) {
    std::vector<bool> in(g.nodes.size(), false);
    for (const auto& p : patterns) {
        std::regex re;
        try {
            re = std::regex(p, std::regex::ECMAScript);
        } catch (const std::regex_error& e) {
            throw error(where + ": scope pattern '" + p + "' is not a regular expression (" + e.what() + ")");
        }
        std::size_t hits = 0;
        for (std::size_t i = 0; i < g.nodes.size(); ++i)
            if (std::regex_search(g.nodes[i].name, re, std::regex_constants::match_continuous)) {
                in[i] = true;
                ++hits;
            }
        MOIR_CHECK(hits > 0, error, where + ": scope pattern '" + p + "' matches no node");
    }
    return make_sub_graph(g, std::move(in));
}

/// The nodes on paths from the start points to the end points (both included).
/// ensures: throws moir::error naming a point that is no node, or an end point that no start point
/// reaches ("the points do not enclose a sub-graph").
inline sub_graph match_points(const graph_view& g, const std::vector<std::string>& starts,
                              const std::vector<std::string>& ends, const std::string& where) {
    const auto node_of = [&](const std::string& name, const char* what) {
        std::string n = name;
        const auto colon = n.rfind(':');  // "node:0" names the node
        if (colon != std::string::npos && colon + 1 < n.size() &&
            n.find_first_not_of("0123456789", colon + 1) == std::string::npos)
            n = n.substr(0, colon);
        const long i = g.find(n);
        MOIR_CHECK(i >= 0, error, where + ": " + what + " '" + name + "' is not a node of the graph");
        return static_cast<std::size_t>(i);
    };
    std::vector<bool> fwd(g.nodes.size(), false), back(g.nodes.size(), false);
    std::vector<std::size_t> stack;
    for (const auto& s : starts) {
        const std::size_t i = node_of(s, "start point");
        if (!fwd[i]) fwd[i] = true, stack.push_back(i);
    }
    while (!stack.empty()) {
        const std::size_t i = stack.back();
        stack.pop_back();
        for (auto r : g.readers(i))
            if (!fwd[r]) fwd[r] = true, stack.push_back(r);
    }
    std::vector<std::size_t> end_nodes;
    for (const auto& e : ends) {
        const std::size_t i = node_of(e, "end point");
        MOIR_CHECK(fwd[i], error,
                   where + ": the points do not enclose a sub-graph: no start point reaches end point '" + e + "'");
        end_nodes.push_back(i);
    }
    for (auto i : end_nodes)
        if (!back[i]) back[i] = true, stack.push_back(i);
    while (!stack.empty()) {
        const std::size_t i = stack.back();
        stack.pop_back();
        for (const auto& e : g.nodes[i].inputs)
            if (fwd[e.node] && !back[e.node]) back[e.node] = true, stack.push_back(e.node);
    }
    std::vector<bool> in(g.nodes.size(), false);
    for (std::size_t i = 0; i < in.size(); ++i) in[i] = fwd[i] && back[i];
    // the side inputs only the sub-graph reads: constants and what computes only from constants
    // (an anchor generator); not a graph input, nothing in a cycle
    std::vector<bool> constant_like(g.nodes.size(), false);
    for (bool grew = true; grew;) {
        grew = false;
        for (std::size_t i = 0; i < g.nodes.size(); ++i) {
            if (constant_like[i] || g.nodes[i].input) continue;
            bool all = true;
            for (const auto& e : g.nodes[i].inputs) all = all && constant_like[e.node];
            if (all) constant_like[i] = grew = true;
        }
    }
    std::vector<bool> is_output(g.nodes.size(), false);
    for (const auto& e : g.outputs) is_output[e.node] = true;
    for (bool grew = true; grew;) {
        grew = false;
        for (std::size_t i = g.nodes.size(); i-- > 0;) {
            if (in[i] || !constant_like[i] || is_output[i] || g.readers(i).empty()) continue;
            bool all = true;
            for (auto r : g.readers(i)) all = all && in[r];
            if (all) in[i] = grew = true;
        }
    }
    return make_sub_graph(g, std::move(in));
}

}  // namespace moir::transformations

#endif  // MOIR_FRONTENDS_COMMON_TRANSFORMATIONS_MATCH_HPP
