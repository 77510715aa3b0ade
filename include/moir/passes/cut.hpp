#ifndef MOIR_PASSES_CUT_HPP
#define MOIR_PASSES_CUT_HPP

// Cutting a model, as Model Optimizer's --input / --output do. parse_input_specs() reads MO's
// grammar `[PORT:]NODE[:PORT][SHAPE][{TYPE}][->VALUE]` (a comma-separated list), parse_output_specs()
// reads `NODE[:PORT]` lists, and cut() rewrites the model: new Parameters where the graph is cut
// (or Constants where a value freezes an input), new Results where --output says, and everything
// that no longer feeds an output dropped. Usable without the CLI; `moir convert` calls it right
// after loading.

#include <moir/core/model.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

#include <algorithm>  // min, sort
#include <cctype>     // isdigit, isspace, tolower
#include <cstddef>    // size_t
#include <cstdlib>    // strtod
#include <map>        // map
#include <optional>   // optional
#include <set>        // set
#include <string>     // string, to_string
#include <utility>    // move, pair
#include <vector>     // vector

namespace moir::passes {

/// One entry of MO's --input list, as written. The name part is kept whole (`name`) because a
/// name may itself contain ':' (TF tensor names such as "out/sum:0"); `node`, `in_port` and
/// `out_port` are its syntactic split, which cut() uses only when `name` is not a tensor or node
/// name of the model.
struct input_spec {
    std::string text;                          ///< the entry as written, for messages
    std::string name;                          ///< everything before [SHAPE], {TYPE}, ->VALUE
    std::string node;                          ///< `name` without a leading "PORT:" or trailing ":PORT"
    std::optional<std::size_t> in_port;        ///< PORT:NODE, the edge entering input PORT
    std::optional<std::size_t> out_port;       ///< NODE:PORT, output PORT of NODE
    std::optional<partial_shape> shape;        ///< [SHAPE]
    std::optional<element_type> type;          ///< {TYPE}
    std::optional<std::vector<double>> value;  ///< ->VALUE (True/False read as 1/0)
    bool value_is_list = false;                ///< the value was written in [] (1-D unless a shape says otherwise)
};

/// One entry of MO's --output list: NODE, NODE:PORT (an output port), PORT:NODE (the tensor entering
/// input PORT) or a tensor name.
struct output_spec {
    std::string text;                     ///< the entry as written (also the whole-name lookup key)
    std::string node;                     ///< syntactic node part
    std::optional<std::size_t> in_port;   ///< PORT:NODE
    std::optional<std::size_t> out_port;  ///< NODE:PORT
};

/// What cut() did, by the names users know the inputs by afterwards.
struct cut_report {
    std::vector<std::string> created_inputs;  ///< inputs made by cutting (not original Parameters)
    std::vector<std::string> frozen;          ///< entries frozen into Constants (their text)
};

namespace detail::cutting {

inline std::string trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

/// Splits at top-level commas: commas inside [], (), {} stay. ensures: throws moir::error on
/// unbalanced brackets, naming `flag` and the text.
inline std::vector<std::string> split_top_level(const std::string& text, const std::string& flag) {
    std::vector<std::string> parts;
    std::string cur;
    std::vector<char> open;
    for (char ch : text) {
        if (ch == '[' || ch == '(' || ch == '{') open.push_back(ch);
        if (ch == ']' || ch == ')' || ch == '}') {
            const char want = ch == ']' ? '[' : ch == ')' ? '(' : '{';
            MOIR_CHECK(!open.empty() && open.back() == want, error,
                       flag + " '" + text + "': unbalanced '" + std::string(1, ch) + "'");
            open.pop_back();
        }
        if (ch == ',' && open.empty()) {
            parts.push_back(trim(cur));
            cur.clear();
        } else {
            cur += ch;
        }
    }
    MOIR_CHECK(open.empty(), error, flag + " '" + text + "': unclosed '" + std::string(1, open.back()) + "'");
    parts.push_back(trim(cur));
    return parts;
}

/// The items of "[a b c]" / "[a,b,c]" (also "(...)"), split at commas and spaces.
inline std::vector<std::string> bracket_items(const std::string& body) {
    std::vector<std::string> items;
    std::string tok;
    for (char ch : body) {
        if (ch == ',' || std::isspace(static_cast<unsigned char>(ch))) {
            if (!tok.empty()) items.push_back(tok);
            tok.clear();
        } else {
            tok += ch;
        }
    }
    if (!tok.empty()) items.push_back(tok);
    return items;
}

inline bool all_digits(const std::string& s) {
    if (s.empty() || s.size() > 9) return false;
    for (char ch : s)
        if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
    return true;
}

/// One dim of an MO shape: "3", "?", "-1", or a range "1..10" / "..10" / "1.." (kept dynamic).
inline std::int64_t parse_dim(const std::string& tok, const std::string& where) {
    if (tok == "?" || tok == "-1") return dynamic_dim;
    if (tok.find("..") != std::string::npos) {
        const auto p = tok.find("..");
        const std::string lo = tok.substr(0, p), hi = tok.substr(p + 2);
        MOIR_CHECK((lo.empty() || all_digits(lo)) && (hi.empty() || all_digits(hi)), error,
                   where + ": bad dim '" + tok + "' (a dim is a number, ?, -1 or a range like 1..10)");
        return dynamic_dim;
    }
    MOIR_CHECK(all_digits(tok), error, where + ": bad dim '" + tok + "' (a dim is a number, ?, -1 or a range like 1..10)");
    return std::stoll(tok);
}

/// The element type of an MO {TYPE}: f64 f32 f16 i64 i32 u8 boolean.
inline element_type parse_mo_type(const std::string& t, const std::string& where) {
    static const std::pair<const char*, element_type> types[] = {
        {"f64", element_type::f64}, {"f32", element_type::f32}, {"f16", element_type::f16},
        {"i64", element_type::i64}, {"i32", element_type::i32}, {"u8", element_type::u8},
        {"boolean", element_type::boolean}};
    for (const auto& [n, e] : types)
        if (t == n) return e;
    throw error(where + ": unknown type {" + t + "} (one of f64, f32, f16, i64, i32, u8, boolean)");
}

/// One value of ->VALUE: a number, or True/False.
inline double parse_scalar_value(const std::string& tok, const std::string& where) {
    if (tok == "True" || tok == "true") return 1.0;
    if (tok == "False" || tok == "false") return 0.0;
    char* end = nullptr;
    const double v = std::strtod(tok.c_str(), &end);
    MOIR_CHECK(!tok.empty() && end == tok.c_str() + tok.size(), error,
               where + ": value '" + tok + "' is not a number or True/False");
    return v;
}

/// Splits "0:name", "name:1" syntactically into (in_port, node, out_port).
inline void split_ports(const std::string& name, std::string& node, std::optional<std::size_t>& in_port,
                        std::optional<std::size_t>& out_port) {
    node = name;
    const auto first = node.find(':');
    if (first != std::string::npos && first + 1 < node.size() && all_digits(node.substr(0, first))) {
        in_port = static_cast<std::size_t>(std::stoul(node.substr(0, first)));
        node = node.substr(first + 1);
    }
    const auto last = node.rfind(':');
    if (last != std::string::npos && last > 0 && all_digits(node.substr(last + 1))) {
        out_port = static_cast<std::size_t>(std::stoul(node.substr(last + 1)));
        node = node.substr(0, last);
    }
}

/// Edit distance, for "did you mean" suggestions.
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0u : 1u)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

/// Node and tensor names of a model, for lookups by name.
struct name_index {
    std::map<std::string, output_ref> tensors;
    std::map<std::string, node_id> nodes;
    explicit name_index(const model& m) {
        for (node_id id = 0; id < m.nodes.size(); ++id) {
            const node& n = m.nodes[id];
            if (n.is<ops::result>()) continue;
            if (!n.name.empty()) nodes.emplace(n.name, id);
            for (std::size_t p = 0; p < n.outputs.size(); ++p)
                for (const auto& t : n.outputs[p].names) tensors.emplace(t, output_ref{id, p});
        }
    }
    /// Up to 3 known names close to `name`, as ", did you mean 'a', 'b'?" (or "").
    std::string suggest(const std::string& name) const {
        std::vector<std::pair<std::size_t, std::string>> scored;
        const std::size_t limit = std::max<std::size_t>(2, name.size() / 3);
        auto consider = [&](const std::string& cand) {
            if (cand.empty()) return;
            std::size_t d = edit_distance(name, cand);
            if (d > limit && cand.find(name) == std::string::npos) return;
            if (d > limit) d = limit + 1;  // substring matches rank after close spellings
            scored.emplace_back(d, cand);
        };
        for (const auto& [n, id] : nodes) consider(n);
        for (const auto& [t, r] : tensors)
            if (!nodes.count(t)) consider(t);
        std::sort(scored.begin(), scored.end());
        std::string s;
        for (std::size_t i = 0; i < scored.size() && i < 3; ++i) s += (i ? ", '" : "'") + scored[i].second + "'";
        return s.empty() ? std::string() : "; did you mean " + s + "?";
    }
};

inline std::string port_list(const std::vector<std::size_t>& ports) {
    std::string s;
    for (auto p : ports) s += (s.empty() ? "" : ", ") + std::to_string(p);
    return s;
}

}  // namespace detail::cutting

/// Parses one --input entry `[PORT:]NODE[:PORT][SHAPE][{TYPE}][->VALUE]`, e.g. "0:conv[1 3 224 224]{f32}",
/// "sequence_len->150", "is_training{boolean}->False", "x[1,3,48,192]", "mask->[1 0 1]".
/// ensures: throws moir::error "--input 'TEXT': reason" for an empty name, a bad dim, an unknown
/// type, an unreadable value or text after the last part.
inline input_spec parse_input_spec(const std::string& entry) {
    input_spec s;
    s.text = detail::cutting::trim(entry);
    const std::string where = "--input '" + s.text + "'";
    std::string rest = s.text;
    const auto arrow = rest.find("->");
    std::string value_text;
    bool has_value = false;
    if (arrow != std::string::npos) {
        value_text = detail::cutting::trim(rest.substr(arrow + 2));
        rest = rest.substr(0, arrow);
        has_value = true;
        MOIR_CHECK(!value_text.empty(), error, where + ": '->' is not followed by a value");
    }
    const auto open = rest.find_first_of("[{");
    s.name = detail::cutting::trim(rest.substr(0, open));
    MOIR_CHECK(!s.name.empty(), error, where + ": no node or tensor name (expected [PORT:]NODE[:PORT][SHAPE][{TYPE}][->VALUE])");
    for (char ch : s.name)
        MOIR_CHECK(ch != ']' && ch != '}' && ch != ')' && ch != '(', error,
                   where + ": unexpected '" + std::string(1, ch) + "' in the name");
    std::size_t i = open == std::string::npos ? rest.size() : open;
    while (i < rest.size()) {
        const char c = rest[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        MOIR_CHECK(c == '[' || c == '{', error,
                   where + ": unexpected '" + rest.substr(i) + "' (expected [SHAPE], {TYPE} or ->VALUE)");
        const char close = c == '[' ? ']' : '}';
        const auto j = rest.find(close, i);
        MOIR_CHECK(j != std::string::npos, error, where + ": unclosed '" + std::string(1, c) + "'");
        const std::string body = rest.substr(i + 1, j - i - 1);
        if (c == '[') {
            MOIR_CHECK(!s.shape, error, where + ": two shapes");
            partial_shape p(std::vector<std::int64_t>{});
            for (const auto& tok : detail::cutting::bracket_items(body)) p.dims.push_back(detail::cutting::parse_dim(tok, where));
            s.shape = p;
        } else {
            MOIR_CHECK(!s.type, error, where + ": two types");
            s.type = detail::cutting::parse_mo_type(detail::cutting::trim(body), where);
        }
        i = j + 1;
    }
    detail::cutting::split_ports(s.name, s.node, s.in_port, s.out_port);
    if (has_value) {
        std::vector<double> v;
        if (value_text.front() == '[' || value_text.front() == '(') {
            const char close = value_text.front() == '[' ? ']' : ')';
            MOIR_CHECK(value_text.back() == close, error, where + ": the value '" + value_text + "' is not closed");
            s.value_is_list = true;
            for (const auto& tok : detail::cutting::bracket_items(value_text.substr(1, value_text.size() - 2)))
                v.push_back(detail::cutting::parse_scalar_value(tok, where));
        } else {
            v.push_back(detail::cutting::parse_scalar_value(value_text, where));
        }
        s.value = std::move(v);
    }
    return s;
}

/// Parses a whole --input list: entries separated by commas outside [], {} and ().
/// ensures: one input_spec per entry, in order; throws moir::error as parse_input_spec() does, or for
/// an empty entry.
inline std::vector<input_spec> parse_input_specs(const std::string& text) {
    std::vector<input_spec> out;
    for (const auto& part : detail::cutting::split_top_level(text, "--input")) {
        MOIR_CHECK(!part.empty(), error, "--input '" + text + "': an empty entry (two commas, or a comma at an end)");
        out.push_back(parse_input_spec(part));
    }
    return out;
}

/// Parses a --output list "NODE[:PORT],PORT:NODE,tensor_name".
/// ensures: one output_spec per entry; throws moir::error naming the text for an empty entry.
inline std::vector<output_spec> parse_output_specs(const std::string& text) {
    std::vector<output_spec> out;
    for (const auto& part : detail::cutting::split_top_level(text, "--output")) {
        MOIR_CHECK(!part.empty(), error, "--output '" + text + "': an empty entry (two commas, or a comma at an end)");
        for (char ch : part)
            MOIR_CHECK(ch != '[' && ch != '{' && ch != '>', error,
                       "--output '" + part + "': an output is NODE, NODE:PORT, PORT:NODE or a tensor name (no shape, type or value)");
        output_spec o;
        o.text = part;
        detail::cutting::split_ports(part, o.node, o.in_port, o.out_port);
        out.push_back(std::move(o));
    }
    return out;
}

/// What to cut: MO's --input entries with, paired by position, --input_shape shapes (optional),
/// and --output entries.
struct cut_options {
    std::vector<input_spec> inputs;
    std::vector<partial_shape> input_shapes;  ///< empty, or one per entry of `inputs` (a [SHAPE] wins)
    std::vector<output_spec> outputs;
};

namespace detail::cutting {

/// One place an --input entry cuts: an existing Parameter, an output port (all its consumers), or
/// one edge (consumer input port).
struct cut_point {
    enum class kind { parameter, output, edge } k = kind::output;
    output_ref src;           ///< the tensor cut (for parameter: the Parameter's output)
    node_id consumer = 0;     ///< edge: the node whose input is cut
    std::size_t port = 0;     ///< edge: the input port
    std::string param_name;   ///< the new Parameter's node name
};

/// Finds what `s` names. Lookup order (as MO's new frontends): the whole name as a tensor name, then
/// as a node name, then PORT:NODE / NODE:PORT.
inline std::vector<cut_point> resolve_input(const model& m, const name_index& ix, const input_spec& s,
                                            bool has_shape) {
    const std::string where = "--input '" + s.text + "'";
    auto at_output = [&](output_ref r) {
        cut_point c;
        const node& n = m.nodes[r.node];
        c.k = n.is<ops::parameter>() ? cut_point::kind::parameter : cut_point::kind::output;
        c.src = r;
        c.param_name = n.name + "/placeholder_out_port_" + std::to_string(r.port);
        return std::vector<cut_point>{c};
    };
    auto at_edge = [&](node_id id, std::size_t port) {
        cut_point c;
        c.k = cut_point::kind::edge;
        c.src = m.nodes[id].inputs[port];
        c.consumer = id;
        c.port = port;
        c.param_name = m.nodes[id].name + "/placeholder_port_" + std::to_string(port);
        return c;
    };
    auto whole_node = [&](node_id id) {
        const node& n = m.nodes[id];
        if (n.is<ops::parameter>()) return at_output({id, 0});
        std::vector<std::size_t> ports;
        for (std::size_t i = 0; i < n.inputs.size(); ++i)
            if (!m.nodes[n.inputs[i].node].is<ops::constant>()) ports.push_back(i);
        MOIR_CHECK(!ports.empty(), error, where + ": node '" + n.name + "' (" + std::string(n.op->ir_name) +
                                              ") has no non-constant input to cut; cut at its output with " + n.name +
                                              ":0");
        MOIR_CHECK(ports.size() == 1 || (!has_shape && !s.value && !s.type), error,
                   where + ": node '" + n.name + "' (" + std::string(n.op->ir_name) + ") has more than 1 input (ports " +
                       port_list(ports) + ") and a shape, type or value was given; use PORT:NODE, e.g. " +
                       std::to_string(ports.front()) + ":" + n.name);
        std::vector<cut_point> cuts;
        for (auto p : ports) cuts.push_back(at_edge(id, p));
        return cuts;
    };
    if (auto t = ix.tensors.find(s.name); t != ix.tensors.end()) return at_output(t->second);
    if (auto n = ix.nodes.find(s.name); n != ix.nodes.end()) return whole_node(n->second);
    MOIR_CHECK(!(s.in_port && s.out_port), error,
               where + ": names neither a tensor nor a node, and gives both PORT:NODE and NODE:PORT; give one");
    if (s.in_port || s.out_port) {
        const auto n = ix.nodes.find(s.node);
        MOIR_CHECK(n != ix.nodes.end(), error,
                   where + ": there is no node named '" + s.node + "' (nor a tensor named '" + s.name + "')" +
                       ix.suggest(s.node));
        const node& nd = m.nodes[n->second];
        if (s.in_port) {
            MOIR_CHECK(*s.in_port < nd.inputs.size(), error,
                       where + ": input port " + std::to_string(*s.in_port) + " is out of range: node '" + nd.name +
                           "' (" + std::string(nd.op->ir_name) + ") has " + std::to_string(nd.inputs.size()) +
                           " input(s)");
            return {at_edge(n->second, *s.in_port)};
        }
        MOIR_CHECK(*s.out_port < nd.outputs.size(), error,
                   where + ": output port " + std::to_string(*s.out_port) + " is out of range: node '" + nd.name +
                       "' (" + std::string(nd.op->ir_name) + ") has " + std::to_string(nd.outputs.size()) + " output(s)");
        return at_output({n->second, *s.out_port});
    }
    throw error(where + ": the model has no node or tensor named '" + s.name + "'" + ix.suggest(s.name));
}

/// The tensors an --output entry names.
inline std::vector<output_ref> resolve_output(const model& m, const name_index& ix, const output_spec& o) {
    const std::string where = "--output '" + o.text + "'";
    if (auto t = ix.tensors.find(o.text); t != ix.tensors.end()) return {t->second};
    if (auto n = ix.nodes.find(o.text); n != ix.nodes.end()) {
        std::vector<output_ref> refs;
        for (std::size_t p = 0; p < m.nodes[n->second].outputs.size(); ++p) refs.push_back({n->second, p});
        return refs;
    }
    MOIR_CHECK(!(o.in_port && o.out_port), error,
               where + ": names neither a tensor nor a node, and gives both PORT:NODE and NODE:PORT; give one");
    if (o.in_port || o.out_port) {
        const auto n = ix.nodes.find(o.node);
        MOIR_CHECK(n != ix.nodes.end(), error,
                   where + ": there is no node named '" + o.node + "' (nor a tensor named '" + o.text + "')" +
                       ix.suggest(o.node));
        const node& nd = m.nodes[n->second];
        if (o.in_port) {
            MOIR_CHECK(*o.in_port < nd.inputs.size(), error,
                       where + ": input port " + std::to_string(*o.in_port) + " is out of range: node '" + nd.name +
                           "' has " + std::to_string(nd.inputs.size()) + " input(s)");
            return {nd.inputs[*o.in_port]};
        }
        MOIR_CHECK(*o.out_port < nd.outputs.size(), error,
                   where + ": output port " + std::to_string(*o.out_port) + " is out of range: node '" + nd.name +
                       "' has " + std::to_string(nd.outputs.size()) + " output(s)");
        return {{n->second, *o.out_port}};
    }
    throw error(where + ": the model has no node or tensor named '" + o.text + "'" + ix.suggest(o.text));
}

/// The Constant an --input entry's ->VALUE freezes to.
inline tensor frozen_value(const input_spec& s, const std::optional<partial_shape>& given, const output_port& port) {
    const std::string where = "--input '" + s.text + "'";
    const element_type t = s.type ? *s.type : (port.type == element_type::undefined ? element_type::f32 : port.type);
    const std::vector<double>& v = *s.value;
    shape dims;
    if (given) {
        MOIR_CHECK(given->is_static(), error, where + ": a frozen value needs a static shape, not " + given->str());
        dims = given->dims;
    } else if (port.shape.is_static()) {
        MOIR_CHECK(v.size() == 1 || v.size() == numel(port.shape.dims), error,
                   where + ": " + std::to_string(v.size()) + " values do not fill shape " + port.shape.str() +
                       " of the input; give the shape: NAME[SHAPE]->[VALUES]");
        dims = port.shape.dims;  // one value fills the whole input
    } else if (s.value_is_list) {
        dims = {static_cast<std::int64_t>(v.size())};
    }
    tensor f64(element_type::f64, dims);
    if (v.size() == 1) {
        for (std::size_t i = 0; i < f64.numel(); ++i) f64.data<double>()[i] = v[0];
    } else {
        MOIR_CHECK(v.size() == f64.numel(), error,
                   where + ": " + std::to_string(v.size()) + " values do not fill shape [" + to_string(dims) + "]");
        for (std::size_t i = 0; i < v.size(); ++i) f64.data<double>()[i] = v[i];
    }
    return f64.converted(t);
}

}  // namespace detail::cutting

/// Cuts m as MO's --input/--output do.
///
/// --input entries, each resolved on the model as loaded (whole name as a tensor name, then as a
/// node name, then PORT:NODE / NODE:PORT):
///  * an original input (its tensor or node name): stays, with the given shape/type;
///  * a tensor or NODE:PORT: a new Parameter "NODE/placeholder_out_port_PORT" replaces the tensor
///    for all its consumers and takes over its tensor names;
///  * PORT:NODE: a new Parameter "NODE/placeholder_port_PORT" feeds that one input;
///  * NODE alone: one such Parameter for every non-constant input port of NODE (which stays);
///  * ->VALUE: a Constant (type {TYPE} or the cut tensor's) instead of a Parameter.
/// Shapes come from [SHAPE], else from opt.input_shapes by position, else the cut tensor's shape.
/// --output entries become the model's Results, in order, replacing the old ones.
/// ensures: m.parameters are the listed inputs in the listed order, then the original inputs
/// that still feed an output; nodes that feed no output are gone; m validates. Throws moir::error
/// "--input 'ENTRY': reason" (no such name, with close names; port out of range; a node with several
/// inputs given a shape without PORT:; an input that feeds no output; a shape count mismatch), and
/// "after cutting: reason" when the new shapes do not fit the graph. m is unusable after a throw.
inline cut_report cut(model& m, const cut_options& opt) {
    cut_report rep;
    if (opt.inputs.empty() && opt.outputs.empty()) return rep;
    MOIR_CHECK(opt.input_shapes.empty() || opt.input_shapes.size() == opt.inputs.size(), error,
               "--input_shape gives " + std::to_string(opt.input_shapes.size()) + " shapes for " +
                   std::to_string(opt.inputs.size()) + " --input entries; give one shape per entry");
    const detail::cutting::name_index ix(m);

    // resolve every name on the model as loaded, before anything moves
    std::vector<std::vector<detail::cutting::cut_point>> cuts;
    std::vector<std::optional<partial_shape>> shapes;
    for (std::size_t i = 0; i < opt.inputs.size(); ++i) {
        const auto& s = opt.inputs[i];
        std::optional<partial_shape> shp = s.shape;
        if (!shp && i < opt.input_shapes.size()) shp = opt.input_shapes[i];
        shapes.push_back(shp);
        cuts.push_back(detail::cutting::resolve_input(m, ix, s, shp.has_value()));
    }
    std::vector<output_ref> outs;
    for (const auto& o : opt.outputs)
        for (auto r : detail::cutting::resolve_output(m, ix, o)) outs.push_back(r);
    {
        std::set<std::pair<output_ref, std::pair<node_id, std::size_t>>> seen;
        for (std::size_t i = 0; i < cuts.size(); ++i)
            for (const auto& c : cuts[i]) {
                const auto key = std::make_pair(c.src, c.k == detail::cutting::cut_point::kind::edge
                                                           ? std::make_pair(c.consumer, c.port)
                                                           : std::make_pair(static_cast<node_id>(-1), std::size_t{0}));
                MOIR_CHECK(seen.insert(key).second, error,
                           "--input '" + opt.inputs[i].text + "': cuts a place an earlier entry already cut");
            }
    }

    // outputs first, so that an input cut at the same tensor redirects them too
    if (!opt.outputs.empty()) {
        std::vector<node_id> results;
        for (auto r : outs) {
            const auto& names = m.port(r).names;
            const std::string rname =
                names.empty() ? m.nodes[r.node].name + "/sink_port_" + std::to_string(r.port) : names.front();
            results.push_back(m.add<ops::result>({}, {r}, rname));
        }
        m.results = std::move(results);
    }

    std::vector<node_id> listed;        // the new inputs, in the listed order
    std::vector<std::size_t> listed_of;  // the entry each came from
    std::set<node_id> frozen_params;
    for (std::size_t i = 0; i < opt.inputs.size(); ++i) {
        const auto& s = opt.inputs[i];
        for (const auto& c : cuts[i]) {
            const output_port port = m.port(c.src);  // a copy: adding nodes may move it
            const std::string where = "--input '" + s.text + "'";
            if (s.value) {
                const node_id k = m.add<ops::constant>({detail::cutting::frozen_value(s, shapes[i], port)}, {},
                                                       c.k == detail::cutting::cut_point::kind::parameter ? m.nodes[c.src.node].name
                                                                                                 : c.param_name);
                m.infer_node(k);
                if (c.k == detail::cutting::cut_point::kind::edge) {
                    m.nodes[c.consumer].inputs[c.port] = {k, 0};
                } else {
                    m.nodes[k].outputs[0].names = port.names;
                    m.replace_uses(c.src, {k, 0});
                    m.nodes[c.src.node].outputs[c.src.port].names.clear();
                    if (c.k == detail::cutting::cut_point::kind::parameter) frozen_params.insert(c.src.node);
                }
                rep.frozen.push_back(s.text);
                continue;
            }
            const element_type t = s.type ? *s.type : port.type;
            const partial_shape shp = shapes[i] ? *shapes[i] : port.shape;
            if (c.k == detail::cutting::cut_point::kind::parameter) {
                auto& a = m.nodes[c.src.node].attrs_as<ops::parameter>();
                a.element_type = t;
                a.shape = shp;
                m.infer_node(c.src.node);
                listed.push_back(c.src.node);
                listed_of.push_back(i);
                continue;
            }
            MOIR_CHECK(t != element_type::undefined, error, where + ": the type of the cut tensor is unknown; give {TYPE}");
            const node_id p = m.add<ops::parameter>({t, shp}, {}, c.param_name);
            m.infer_node(p);
            if (c.k == detail::cutting::cut_point::kind::edge) {
                m.nodes[c.consumer].inputs[c.port] = {p, 0};
                m.nodes[p].outputs[0].names = {c.param_name};
            } else {
                m.nodes[p].outputs[0].names = port.names.empty() ? std::vector<std::string>{c.param_name} : port.names;
                m.replace_uses(c.src, {p, 0});
                m.nodes[c.src.node].outputs[c.src.port].names.clear();
            }
            listed.push_back(p);
            listed_of.push_back(i);
            rep.created_inputs.push_back(m.nodes[p].outputs[0].names.front());
        }
    }

    // which nodes still feed an output
    std::vector<bool> live(m.nodes.size(), false);
    std::vector<node_id> stack(m.results.begin(), m.results.end());
    while (!stack.empty()) {
        const node_id id = stack.back();
        stack.pop_back();
        if (live[id]) continue;
        live[id] = true;
        for (const auto& in : m.nodes[id].inputs) stack.push_back(in.node);
    }
    std::vector<node_id> params;
    for (std::size_t k = 0; k < listed.size(); ++k) {
        MOIR_CHECK(live[listed[k]], error,
                   "--input '" + opt.inputs[listed_of[k]].text + "': the cut input '" + m.nodes[listed[k]].name +
                       "' feeds none of the model's outputs");
        params.push_back(listed[k]);
    }
    for (auto p : m.parameters)
        if (live[p] && !frozen_params.count(p) && std::find(params.begin(), params.end(), p) == params.end())
            params.push_back(p);
    m.parameters = std::move(params);
    try {
        m.remove_dead();
        m.validate();
    } catch (const std::exception& e) {
        throw error(std::string("after cutting: ") + e.what());
    }
    return rep;
}

/// The shapes that --input entries naming an original input of m give it, by that input's name: a
/// frontend can then read the model again with these shapes (what `moir convert` does, so that the
/// frontend sees the fixed shapes, as with --input_shape).
/// ensures: entries that cut elsewhere, freeze a value, or give no shape are left out.
inline std::map<std::string, partial_shape> original_input_shapes(const model& m, const cut_options& opt) {
    std::map<std::string, partial_shape> out;
    const detail::cutting::name_index ix(m);
    for (std::size_t i = 0; i < opt.inputs.size(); ++i) {
        const auto& s = opt.inputs[i];
        std::optional<partial_shape> shp = s.shape;
        if (!shp && i < opt.input_shapes.size()) shp = opt.input_shapes[i];
        if (!shp || s.value) continue;
        output_ref r;
        if (auto t = ix.tensors.find(s.name); t != ix.tensors.end()) r = t->second;
        else if (auto n = ix.nodes.find(s.name); n != ix.nodes.end()) r = {n->second, 0};
        else continue;
        if (m.nodes[r.node].is<ops::parameter>()) out[m.nodes[r.node].name] = *shp;
    }
    return out;
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_CUT_HPP
