#ifndef MOIR_FRONTENDS_TENSORFLOW_TENSORFLOW_HPP
#define MOIR_FRONTENDS_TENSORFLOW_TENSORFLOW_HPP

// The TensorFlow frontend: moir::tensorflow::load(path) reads a TF.js graph model (model.json and
// its weight shards) or a frozen GraphDef (.pb) and returns a moir::model with the graph's NHWC
// interface. Placeholders become the inputs; the outputs are the signature's (TF.js), else every
// node whose output nothing reads. Opt-in: not included by <moir/moir.hpp>.

#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/tensorflow/converter.hpp>
#include <moir/frontends/tensorflow/graph_def.hpp>
#include <moir/frontends/tensorflow/ops/elementwise.hpp>
#include <moir/frontends/tensorflow/ops/nn.hpp>
#include <moir/frontends/tensorflow/ops/reduce.hpp>
#include <moir/frontends/tensorflow/ops/tensor.hpp>
#include <moir/frontends/tensorflow/tfjs.hpp>

#include <array>        // array
#include <deque>        // deque
#include <fstream>      // ifstream
#include <set>          // set
#include <string>       // string
#include <string_view>  // string_view
#include <unordered_map>  // unordered_map
#include <vector>       // vector

namespace moir::tensorflow {

namespace detail {
template <class = void>
const op_table& default_table_impl() {
    static const op_table table = [] {
        op_table t;
        register_elementwise(t);
        register_nn(t);
        register_reduce(t);
        register_tensor(t);
        return t;
    }();
    return table;
}
}  // namespace detail

/// Every converter moir ships. Add a family: a file in ops/ and a line in default_table_impl.
inline const op_table& default_table() { return detail::default_table_impl<>(); }

/// TF1 control flow and the ops around it: never converted here (the control-flow issue maps them).
inline bool is_control_flow(const std::string& op) {
    static const std::set<std::string> cf{"Enter", "Exit", "Merge", "Switch", "LoopCond", "NextIteration",
                                          "TensorArrayV3", "TensorArrayReadV3", "TensorArrayWriteV3",
                                          "TensorArrayGatherV3", "TensorArrayScatterV3", "TensorArraySizeV3",
                                          "While", "StatelessWhile", "If", "StatelessIf"};
    return cf.count(op) != 0 || op.rfind("TensorList", 0) == 0;
}

/// How to read a TF model: the common options, and the converters (default_table() when null).
struct load_options : frontends::load_options {
    const op_table* table = nullptr;
};

/// Converts a GraphDef. `source` names the file in errors; `outputs` the graph's outputs (tensor
/// names; empty: every node output nothing reads).
/// ensures: a validated model; moir::unsupported_error listing every unsupported op with counts;
/// moir::error "<source>: node 'N' (Op): reason" for the first node that fails.
inline model convert(const graph_def& g, const std::string& source, std::vector<std::string> outputs,
                     const load_options& opt = {}) {
    const op_table& table = opt.table ? *opt.table : default_table();
    MOIR_CHECK(!g.node.empty(), parse_error, source + ": the graph has no nodes");
    frontends::unsupported_ops missing;
    for (const auto& n : g.node)
        if (n.op != "Placeholder" && (is_control_flow(n.op) || !table.find("", n.op))) missing.add(n.op);
    missing.check(source, "TensorFlow");

    // which outputs of each node are read
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < g.node.size(); ++i) {
        MOIR_CHECK(index.emplace(g.node[i].name, i).second, parse_error,
                   source + ": two nodes are named '" + g.node[i].name + "'");
    }
    std::vector<std::vector<bool>> used(g.node.size());
    std::vector<std::vector<std::size_t>> deps(g.node.size());
    const auto split = [&](const std::string& tensor, const std::string& reader) -> std::pair<std::size_t, std::size_t> {
        const auto colon = tensor.rfind(':');
        std::string node = tensor;
        std::size_t port = 0;
        if (colon != std::string::npos && colon + 1 < tensor.size() &&
            tensor.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
            node = tensor.substr(0, colon);
            port = std::stoul(tensor.substr(colon + 1));
        }
        const auto it = index.find(node);
        MOIR_CHECK(it != index.end(), parse_error, source + ": " + reader + " reads '" + tensor + "', which no node produces");
        return {it->second, port};
    };
    const auto mark = [&](std::size_t node, std::size_t port) {
        if (used[node].size() <= port) used[node].resize(port + 1, false);
        used[node][port] = true;
    };
    std::vector<bool> consumed(g.node.size(), false);
    for (std::size_t i = 0; i < g.node.size(); ++i) {
        for (const auto& in : g.node[i].input) {
            const bool control = !in.empty() && in[0] == '^';
            const auto [node, port] = split(control ? in.substr(1) : in, "node '" + g.node[i].name + "'");
            consumed[node] = true;
            if (control) continue;
            mark(node, port);
            deps[i].push_back(node);
        }
    }
    if (outputs.empty()) {
        for (std::size_t i = 0; i < g.node.size(); ++i) {
            const auto& op = g.node[i].op;
            if (!consumed[i] && op != "NoOp" && op != "Const" && op != "Placeholder") outputs.push_back(g.node[i].name);
        }
    }
    MOIR_CHECK(!outputs.empty(), error, source + ": the graph has no outputs");
    for (auto& o : outputs) {
        o = canonical_tensor(o);
        const auto [node, port] = split(o, "output");
        mark(node, port);
    }

    // topological order over data inputs (Kahn), keeping the file's order among ready nodes
    std::vector<std::size_t> pending(g.node.size(), 0);
    std::vector<std::vector<std::size_t>> readers(g.node.size());
    for (std::size_t i = 0; i < g.node.size(); ++i)
        for (auto d : deps[i]) {
            ++pending[i];
            readers[d].push_back(i);
        }
    std::deque<std::size_t> ready;
    for (std::size_t i = 0; i < g.node.size(); ++i)
        if (!pending[i]) ready.push_back(i);
    std::vector<std::size_t> order;
    while (!ready.empty()) {
        const std::size_t i = ready.front();
        ready.pop_front();
        order.push_back(i);
        for (auto r : readers[i])
            if (--pending[r] == 0) ready.push_back(r);
    }
    MOIR_CHECK(order.size() == g.node.size(), parse_error, source + ": the graph has a cycle");

    model m;
    {
        const auto slash = source.find_last_of('/');
        std::string stem = slash == std::string::npos ? source : source.substr(slash + 1);
        const auto dot = stem.find_last_of('.');
        m.name = dot == std::string::npos || dot == 0 ? stem : stem.substr(0, dot);
    }
    frontends::graph_builder b(m, source, opt);
    for (auto i : order) {
        const auto& n = g.node[i];
        if (n.op != "Placeholder") continue;
        const attr_value* dt = n.find_attr("dtype");
        const data_type t = dt ? dt->type : data_type::float_;
        const auto et = to_element_type(t);
        MOIR_CHECK(et, unsupported_error, source + ": input '" + n.name + "' has unsupported type " + data_type_name(t));
        const attr_value* sh = n.find_attr("shape");
        const partial_shape ps = sh && sh->k == attr_value::kind::shape ? sh->shape.to_partial() : partial_shape::dynamic();
        b.add_parameter(n.name, *et, ps);
    }
    b.finish_parameters();

    std::vector<node_view> views;
    views.reserve(order.size());
    for (auto i : order)
        if (g.node[i].op != "Placeholder") views.emplace_back(g.node[i], used[i]);
    frontends::convert_nodes<context>(
        b, views, [&](const node_view& v) { return context(b, v, g); },
        [&](context& c) { (*table.find("", c.op_type()))(c); });
    for (const auto& o : outputs) b.add_result(o);
    b.finish();
    return m;
}

/// Reads a TF.js graph model (model.json next to its shards).
inline model load_tfjs(const std::string& path, const load_options& opt = {}) {
    tfjs_model tm = read_tfjs(path);
    return convert(tm.graph, path, tm.signature_outputs, opt);
}

/// Reads a frozen binary GraphDef.
inline model load_frozen(const std::string& path, const load_options& opt = {}) {
    return convert(load_graph_def_file(path), path, {}, opt);
}

/// Whether the bytes at the start of a file look like TF.js's model.json.
inline bool looks_like_tfjs(std::string_view head) {
    return head.find("modelTopology") != std::string_view::npos || head.find("graph-model") != std::string_view::npos ||
           head.find("\"format\"") != std::string_view::npos;
}

/// Reads a TF.js model.json or a frozen .pb (chosen by content, then by extension).
inline model load(const std::string& path, const load_options& opt = {}) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, "cannot open " + path);
    std::string head(256, '\0');
    f.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(f.gcount()));
    if (head.find('{') != std::string::npos && looks_like_tfjs(head)) return load_tfjs(path, opt);
    const auto ext = path.size() >= 5 ? path.substr(path.size() - 5) : std::string();
    if (ext == ".json") return load_tfjs(path, opt);
    return load_frozen(path, opt);
}

/// The frontend (frontends/registry.hpp): --framework tf, model.json or a frozen .pb.
struct frontend {
    static constexpr const char* name = "tf";
    static constexpr std::array<const char*, 2> extensions{".pb", ".json"};
    static bool recognizes(const std::string& path, std::string_view head) {
        (void)path;
        return !head.empty() && head.find('{') != std::string_view::npos && looks_like_tfjs(head);
    }
    static model load(const frontends::load_request& r) {
        load_options o;
        static_cast<frontends::load_options&>(o) = r.options;
        return tensorflow::load(r.input_model, o);
    }
};

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_TENSORFLOW_HPP
