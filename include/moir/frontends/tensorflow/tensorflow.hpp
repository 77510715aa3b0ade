#ifndef MOIR_FRONTENDS_TENSORFLOW_TENSORFLOW_HPP
#define MOIR_FRONTENDS_TENSORFLOW_TENSORFLOW_HPP

// The TensorFlow frontend: moir::tensorflow::load(path) reads a TF.js graph model (model.json and
// its weight shards), a frozen GraphDef (.pb), a SavedModel folder (load_saved_model) or a TF1
// checkpoint (load_meta_graph: model.meta + the checkpoint prefix) and returns a moir::model with
// the graph's NHWC interface. SavedModels and checkpoints are frozen first (saved_model.hpp).
// Placeholders become the inputs; the outputs are the signature's (TF.js, SavedModel), else every
// node whose output nothing reads. Opt-in: not included by <moir/moir.hpp>.

#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/tensorflow/control_flow.hpp>
#include <moir/frontends/tensorflow/converter.hpp>
#include <moir/frontends/tensorflow/ops/detection.hpp>
#include <moir/frontends/tensorflow/graph_def.hpp>
#include <moir/frontends/tensorflow/graph_def_text.hpp>
#include <moir/frontends/tensorflow/ops/elementwise.hpp>
#include <moir/frontends/tensorflow/ops/nn.hpp>
#include <moir/frontends/tensorflow/ops/reduce.hpp>
#include <moir/frontends/tensorflow/ops/space_batch.hpp>
#include <moir/frontends/tensorflow/ops/tensor.hpp>
#include <moir/frontends/tensorflow/replacements/replacements.hpp>
#include <moir/frontends/tensorflow/saved_model.hpp>
#include <moir/frontends/tensorflow/tensor_bundle.hpp>
#include <moir/frontends/tensorflow/tfjs.hpp>

#include <algorithm>    // find
#include <array>        // array
#include <deque>        // deque
#include <functional>   // function
#include <filesystem>   // exists, is_directory
#include <memory>       // unique_ptr
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
        register_detection(t);
        register_elementwise(t);
        register_nn(t);
        register_reduce(t);
        register_space_batch(t);
        register_tensor(t);
        return t;
    }();
    return table;
}
}  // namespace detail

/// Every converter moir ships. Add a family: a file in ops/ and a line in default_table_impl.
template <class = void>
const op_table& default_table() { return detail::default_table_impl<>(); }

/// TF1 control flow and the ops around it: never converted here (the control-flow issue maps them).
inline bool is_control_flow(const std::string& op) {
    static const std::set<std::string> cf{"Enter", "Exit", "Merge", "Switch", "LoopCond", "NextIteration",
                                          "TensorArrayV3", "TensorArrayReadV3", "TensorArrayWriteV3",
                                          "TensorArrayGatherV3", "TensorArrayScatterV3", "TensorArraySizeV3",
                                          "While", "StatelessWhile", "If", "StatelessIf"};
    return cf.count(op) != 0 || op.rfind("TensorList", 0) == 0;
}

/// How to read a TF model: the common options, the converters (default_table() when null) and
/// the sub-graph replacements a --transformations_config may name (framework option
/// "transformations_config"; replacements::default_registry() when null).
struct load_options : frontends::load_options {
    const op_table* table = nullptr;
    const transformations::replacement_registry* replacements = nullptr;
};

namespace detail {
/// convert(), on a GraphDef whose TF1 control flow `cf` has lowered already (null: lowered here,
/// unless a --transformations_config replaces parts of the graph: control_flow.hpp).
template <class = void>
inline model convert_graph(const graph_def& g_in, const std::string& source, std::vector<std::string> outputs,
                           const load_options& opt, const control_flow::lowered* cf) {
    const op_table& table = opt.table ? *opt.table : with_extensions("tf", default_table());
    std::shared_ptr<control_flow::lowered> own;
    if (!cf && control_flow::present(g_in) && opt.option("transformations_config").empty()) {
        own = control_flow::lower(g_in, outputs);
        cf = own.get();
    }
    const graph_def& g = cf ? cf->graph : g_in;
    if (cf) outputs = cf->outputs;
    MOIR_CHECK(!g.node.empty(), parse_error, source + ": the graph has no nodes");
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

    // sub-graph replacements (--transformations_config): owner[i] = the entry whose sub-graph holds node i
    std::vector<transformations::replacement_spec> specs;
    std::vector<transformations::sub_graph> subs;
    std::vector<const transformations::replacement*> reps;
    std::vector<long> owner(g.node.size(), -1);
    transformations::graph_view view;
    if (const std::string config = opt.option("transformations_config"); !config.empty()) {
        specs = transformations::read_config(config);
        const auto& registry = opt.replacements ? *opt.replacements : replacements::default_registry();
        for (const auto& n : g.node) {
            transformations::graph_view::node v{n.name, n.op, {}, n.op == "Placeholder"};
            for (const auto& in : n.input) {
                if (in.empty() || in[0] == '^') continue;
                const auto [node, port] = split(canonical_tensor(in), "node '" + n.name + "'");
                v.inputs.push_back({node, port});
            }
            view.nodes.push_back(std::move(v));
        }
        for (const auto& o : outputs) {
            const auto [node, port] = split(o, "output");
            view.outputs.push_back({node, port});
        }
        view.index();
        for (const auto& s : specs) reps.push_back(&registry.require(s));  // every unknown id before any matching
        for (std::size_t k = 0; k < specs.size(); ++k) {
            subs.push_back(transformations::match(view, specs[k], *reps[k]));
            for (auto n : subs.back().nodes) {
                MOIR_CHECK(owner[n] < 0, error,
                           specs[k].where + ": node '" + g.node[n].name + "' is already in the sub-graph of " +
                               specs[static_cast<std::size_t>(owner[n])].where);
                owner[n] = static_cast<long>(k);
            }
        }
    }
    frontends::unsupported_ops missing;
    if (own) {  // the bodies' ops too, with their paths
        control_flow::list_unsupported(
            *cf, [&](const std::string& op) { return !is_control_flow(op) && table.find("", op); }, missing);
    } else if (!cf) {
        for (std::size_t i = 0; i < g.node.size(); ++i) {
            const auto& n = g.node[i];
            if (owner[i] < 0 && n.op != "Placeholder" && (is_control_flow(n.op) || !table.find("", n.op))) missing.add(n.op);
        }
    }
    missing.check(source, "TensorFlow");

    // topological order over data inputs (Kahn), keeping the file's order among ready nodes; the
    // nodes of a replaced sub-graph (a while loop's cycle, say) are converted on demand, not in order
    std::vector<std::size_t> pending(g.node.size(), 0);
    std::vector<std::vector<std::size_t>> readers(g.node.size());
    for (std::size_t i = 0; i < g.node.size(); ++i)
        for (auto d : deps[i]) {
            if (owner[i] >= 0) continue;
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

    const auto make_context = [&](const node_view& v) { return context(b, v, g); };
    const control_flow::body_converter convert_body = [&](const control_flow::lowered& body, const std::string& src) {
        load_options bo;
        bo.table = &table;
        bo.replacements = opt.replacements;
        return convert_graph(body.graph, src, body.outputs, bo, &body);
    };
    const auto run_converter = [&](context& c) {
        if (cf && control_flow::is_region_op(c.op_type())) control_flow::convert_region(c, *cf, source, convert_body);
        else (*table.find("", c.op_type()))(c);
    };
    if (subs.empty()) {
        std::vector<node_view> views;
        views.reserve(order.size());
        for (auto i : order)
            if (g.node[i].op != "Placeholder") views.emplace_back(g.node[i], used[i]);
        frontends::convert_nodes<context>(b, views, make_context, run_converter);
        for (const auto& o : outputs) b.add_result(o);
        b.finish();
        return m;
    }

    // With replacements: nodes outside every sub-graph convert in order; the first read of a
    // sub-graph's tensor runs its replacement, which converts the inside nodes it needs on demand.
    // A node that reads a tensor no replacement provides is dropped, and so is what reads it.
    enum : char { waiting, visiting, converted, dropped };
    std::vector<char> state(g.node.size(), waiting);
    for (std::size_t i = 0; i < g.node.size(); ++i)
        if (g.node[i].op == "Placeholder") state[i] = converted;
    std::vector<char> ran(subs.size(), 0);
    std::vector<std::string> new_outputs;
    const auto convert_one = [&](std::size_t i) {
        std::vector<node_view> one{node_view(g.node[i], used[i])};
        frontends::convert_nodes<context>(b, one, make_context, run_converter);
        state[i] = converted;
    };
    const auto name_of = [&](const transformations::edge& e) { return tensor_name(g.node[e.node].name, e.port); };
    std::function<void(std::size_t)> run_replacement;
    std::function<void(std::size_t, std::size_t)> ensure;  // node, the entry that needs it
    ensure = [&](std::size_t i, std::size_t k) {
        if (state[i] == converted) return;
        MOIR_CHECK(state[i] != dropped, error,
                   specs[k].where + ": the replacement needs node '" + g.node[i].name +
                       "', which reads a replaced sub-graph's tensor that no replacement provides");
        MOIR_CHECK(state[i] != visiting, error,
                   specs[k].where + ": the replacement needs node '" + g.node[i].name + "', which is on a cycle of the graph");
        state[i] = visiting;
        for (const auto& e : view.nodes[i].inputs) {
            if (b.has(name_of(e))) continue;
            if (owner[e.node] >= 0 && static_cast<std::size_t>(owner[e.node]) != k) {
                run_replacement(static_cast<std::size_t>(owner[e.node]));
                MOIR_CHECK(b.has(name_of(e)), error,
                           specs[k].where + ": node '" + g.node[i].name + "' needs '" + name_of(e) +
                               "', which the replacement of " + specs[static_cast<std::size_t>(owner[e.node])].where +
                               " does not provide");
            } else {
                ensure(e.node, k);
            }
        }
        const std::string& op = g.node[i].op;
        MOIR_CHECK(owner[i] < 0 || (!is_control_flow(op) && table.find("", op)), unsupported_error,
                   specs[k].where + ": the replacement needs node '" + g.node[i].name + "' (" + op +
                       ") of the sub-graph, which has no converter");
        convert_one(i);
    };
    run_replacement = [&](std::size_t k) {
        if (ran[k]) return;
        ran[k] = 1;
        transformations::replacement_context::hooks h;
        h.tensor_name = name_of;
        h.value = [&, k](const std::string& tensor) -> output_ref {
            if (auto r = b.find(tensor)) return *r;
            const auto [node, port] = split(canonical_tensor(tensor), specs[k].where);
            (void)port;
            if (owner[node] >= 0 && static_cast<std::size_t>(owner[node]) != k) run_replacement(static_cast<std::size_t>(owner[node]));
            else ensure(node, k);
            MOIR_CHECK(b.has(canonical_tensor(tensor)), error,
                       specs[k].where + ": the replacement reads '" + tensor + "', which is not computed");
            return b.value(canonical_tensor(tensor));
        };
        transformations::replacement_context ctx(specs[k], view, subs[k], b, std::move(h));
        reps[k]->apply(ctx);
        for (const auto& o : ctx.new_outputs()) new_outputs.push_back(o);
    };
    for (auto i : order) {
        if (state[i] != waiting || owner[i] >= 0) continue;
        bool drop = false;
        for (const auto& e : view.nodes[i].inputs) {
            if (owner[e.node] >= 0) run_replacement(static_cast<std::size_t>(owner[e.node]));
            if (state[e.node] == dropped || (owner[e.node] >= 0 && !b.has(name_of(e)))) drop = true;
        }
        if (drop) state[i] = dropped;
        else convert_one(i);
    }
    for (std::size_t k = 0; k < subs.size(); ++k) run_replacement(k);
    std::size_t kept = 0;
    for (std::size_t j = 0; j < outputs.size(); ++j) {
        const auto& e = view.outputs[j];
        if (state[e.node] == dropped || (owner[e.node] >= 0 && !b.has(outputs[j]))) continue;
        b.add_result(outputs[j]);
        ++kept;
    }
    for (const auto& o : new_outputs) b.add_result(o);
    MOIR_CHECK(kept + new_outputs.size() > 0, error,
               source + ": the sub-graph replacements leave the model without outputs");
    b.finish();
    return m;
}
}  // namespace detail

/// Converts a GraphDef. `source` names the file in errors; `outputs` the graph's outputs (tensor
/// names; empty: every node output nothing reads). TF1 control flow becomes If and Loop nodes
/// (control_flow.hpp).
/// ensures: a validated model; moir::unsupported_error listing every unsupported op with counts
/// (inside loop and cond bodies too, with their path); moir::error "<source>: node 'N' (Op): reason"
/// for the first node that fails.
template <class = void>
inline model convert(const graph_def& g, const std::string& source, std::vector<std::string> outputs,
                     const load_options& opt = {}) {
    return detail::convert_graph(g, source, std::move(outputs), opt, nullptr);
}

/// Reads a TF.js graph model (model.json next to its shards).
template <class = void>
model load_tfjs(const std::string& path, const load_options& opt = {}) {
    tfjs_model tm = read_tfjs(path);
    return convert(tm.graph, path, tm.signature_outputs, opt);
}

/// Whether a file's first bytes look like a GraphDef in text format: "node {" (or "node:", "versions",
/// "library") after blanks and # comments.
inline bool looks_like_text_graph(std::string_view head) {
    std::size_t i = 0;
    for (;;) {
        while (i < head.size() && (head[i] == ' ' || head[i] == '\t' || head[i] == '\n' || head[i] == '\r')) ++i;
        if (i < head.size() && head[i] == '#') {
            while (i < head.size() && head[i] != '\n') ++i;
            continue;
        }
        break;
    }
    const std::string_view rest = head.substr(i);
    for (std::string_view word : {"node", "versions", "library"})
        if (rest.substr(0, word.size()) == word && rest.size() > word.size() &&
            (rest[word.size()] == ' ' || rest[word.size()] == '{' || rest[word.size()] == ':' || rest[word.size()] == '\n'))
            return true;
    return false;
}

/// Reads a GraphDef file, binary or text (--input_model_is_text, a .pbtxt, or text content).
inline graph_def read_graph_def(const std::string& path, const load_options& opt = {}) {
    const std::string flag = opt.option("input_model_is_text");
    bool text = flag == "True" || flag == "true" || flag == "1";
    if (!text) {
        const auto ext = path.size() >= 6 ? path.substr(path.size() - 6) : std::string();
        text = ext == ".pbtxt" || looks_like_text_graph(frontends::file_head(path, 256));
    }
    if (!text) return load_graph_def_file(path);
    const std::string bytes = detail::read_whole_file(path, "text GraphDef");
    MOIR_CHECK(!bytes.empty(), parse_error, path + ": the file is empty");
    return parse_graph_def_text(bytes, path);
}

/// Reads a frozen GraphDef, binary (.pb) or text (.pbtxt).
template <class = void>
model load_frozen(const std::string& path, const load_options& opt = {}) {
    return convert(read_graph_def(path, opt), path, {}, opt);
}

/// Reads a GraphDef with variables (--input_model graph.pb --input_checkpoint prefix): frozen
/// with the checkpoint's values, outputs every node nothing reads (training-only ops aside).
template <class = void>
model load_with_checkpoint(const std::string& path, const std::string& checkpoint_prefix,
                                  const load_options& opt = {}) {
    const graph_def g = read_graph_def(path, opt);
    const tensor_bundle ckpt(checkpoint_prefix);
    return convert(freeze(g, default_outputs(g), &ckpt, path), path, {}, opt);
}

namespace detail {
inline std::vector<std::string> split_list(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    for (char ch : s + ",") {
        if (ch == ',') {
            if (!cur.empty()) out.push_back(cur);
            cur.clear();
        } else if (ch != ' ') {
            cur += ch;
        }
    }
    return out;
}
inline std::string joined(const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
}
/// The outputs of a MetaGraphDef: those of its signature `name` ("" = serving_default, else its only
/// one), else (no signature) `output_flag` (--output: comma-separated tensor names) or the graph's
/// sinks outside the saver's scope. Checks every named tensor exists.
inline std::vector<std::string> signature_outputs(const meta_graph_def& mg, const std::string& name,
                                                  const std::string& source, const std::string& output_flag = "") {
    if (mg.signatures.empty()) {
        MOIR_CHECK(name.empty(), error, source + ": no signature '" + name + "' (the graph has no signatures)");
        if (!output_flag.empty()) return split_list(output_flag);
        // the saver's sub-graph (SaverDef names its scope: "save/restore_all") is no output either
        const auto slash = mg.restore_op_name.rfind('/');
        const std::string scope = slash == std::string::npos ? "" : mg.restore_op_name.substr(0, slash + 1);
        std::vector<std::string> outs;
        for (auto& o : default_outputs(mg.graph))
            if (scope.empty() || o.rfind(scope, 0) != 0) outs.push_back(std::move(o));
        MOIR_CHECK(!outs.empty(), error,
                   source + ": the graph has no signature, and every node is read by another: name the outputs with --output");
        return outs;
    }
    auto it = mg.signatures.find(name.empty() ? "serving_default" : name);
    if (it == mg.signatures.end() && name.empty() && mg.signatures.size() == 1) it = mg.signatures.begin();
    if (it == mg.signatures.end()) {
        std::vector<std::string> have;
        for (const auto& kv : mg.signatures) have.push_back("'" + kv.first + "'");
        throw error(source + ": no signature '" + (name.empty() ? "serving_default" : name) + "' (it has " +
                    joined(have) + ")");
    }
    std::set<std::string> nodes;
    for (const auto& n : mg.graph.node) nodes.insert(n.name);
    const auto check = [&](const char* what, const std::string& key, const std::string& tensor) {
        std::string node = tensor;
        const auto colon = node.rfind(':');
        if (colon != std::string::npos) node = node.substr(0, colon);
        MOIR_CHECK(nodes.count(node), error,
                   source + ": signature '" + it->first + "' " + what + " '" + key + "' names tensor '" + tensor +
                       "', which no node produces");
    };
    for (const auto& [key, tensor] : it->second.inputs) check("input", key, tensor);
    std::vector<std::string> outs;
    for (const auto& [key, tensor] : it->second.outputs) {
        check("output", key, tensor);
        outs.push_back(tensor);
    }
    MOIR_CHECK(!outs.empty(), error, source + ": signature '" + it->first + "' has no outputs");
    return outs;
}
}  // namespace detail

/// Reads a SavedModel folder: the MetaGraphDef whose tags include every one of `tags`
/// (comma-separated), frozen with variables/variables.{index,data-*}; the outputs are those of
/// `signature` ("" = serving_default, or the only one).
/// ensures: moir::error naming the file for a missing tag set or signature, a signature naming a
/// missing tensor, a corrupt or incomplete checkpoint; nothing is returned half-read.
template <class = void>
model load_saved_model(std::string dir, const std::string& tags = "serve", const std::string& signature = "",
                              const load_options& opt = {}) {
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    const std::string file = dir + "/saved_model.pb";
    std::error_code ec;
    MOIR_CHECK(std::filesystem::is_directory(dir, ec), error, "cannot open SavedModel " + dir + ": not a folder");
    MOIR_CHECK(std::filesystem::exists(file, ec), error,
               "cannot open " + file + ": no such file" +
                   (std::filesystem::exists(dir + "/saved_model.pbtxt", ec) ? " (saved_model.pbtxt is not read)" : ""));
    const std::vector<meta_graph_def> graphs = parse_saved_model(detail::read_whole_file(file, "SavedModel"), file);
    const std::vector<std::string> want = detail::split_list(tags);
    const meta_graph_def* mg = nullptr;
    std::vector<std::string> have;
    for (const auto& g : graphs) {
        bool all = true;
        for (const auto& t : want) all = all && std::find(g.tags.begin(), g.tags.end(), t) != g.tags.end();
        if (all && !mg) mg = &g;
        have.push_back("{" + detail::joined(g.tags) + "}");
    }
    MOIR_CHECK(mg, error,
               file + ": no MetaGraphDef has the tags {" + detail::joined(want) + "} (it has " + detail::joined(have) + ")");
    const std::vector<std::string> outputs = detail::signature_outputs(*mg, signature, file);
    const std::string prefix = dir + "/variables/variables";
    std::unique_ptr<tensor_bundle> ckpt;
    if (std::filesystem::exists(prefix + ".index", ec)) ckpt = std::make_unique<tensor_bundle>(prefix);
    return convert(freeze(mg->graph, outputs, ckpt.get(), file), dir, outputs, opt);
}

/// Reads a TF1 checkpoint: model.meta (a MetaGraphDef) and the bundle at `checkpoint_prefix`
/// ("" = the .meta path without ".meta"). Outputs: the serving_default signature if the graph has
/// one, else the framework option "output" (--output), else the nodes nothing reads (training-only
/// ops and the saver aside).
template <class = void>
model load_meta_graph(const std::string& meta, std::string checkpoint_prefix = "", const load_options& opt = {}) {
    const std::string bytes = detail::read_whole_file(meta, "meta graph");
    MOIR_CHECK(!bytes.empty(), parse_error, meta + ": the file is empty");
    const meta_graph_def mg =
        parse_meta_graph(protobuf::reader(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), meta), meta);
    if (checkpoint_prefix.empty())
        checkpoint_prefix = meta.size() > 5 && meta.compare(meta.size() - 5, 5, ".meta") == 0 ? meta.substr(0, meta.size() - 5) : meta;
    const std::vector<std::string> outputs = detail::signature_outputs(mg, "", meta, opt.option("output"));
    const tensor_bundle ckpt(checkpoint_prefix);
    return convert(freeze(mg.graph, outputs, &ckpt, meta), meta, outputs, opt);
}

/// Whether the bytes at the start of a file look like TF.js's model.json.
inline bool looks_like_tfjs(std::string_view head) {
    return head.find("modelTopology") != std::string_view::npos || head.find("graph-model") != std::string_view::npos ||
           head.find("\"format\"") != std::string_view::npos;
}

/// Reads a TF.js model.json, a frozen .pb or .pbtxt, a SavedModel folder or a .meta with its
/// checkpoint next to it (chosen by content, then by extension).
template <class = void>
model load(const std::string& path, const load_options& opt = {}) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return load_saved_model(path, "serve", "", opt);
    if (path.size() > 5 && path.compare(path.size() - 5, 5, ".meta") == 0) return load_meta_graph(path, "", opt);
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

/// The frontend (frontends/registry.hpp): --framework tf; model.json, a frozen .pb, a SavedModel
/// folder, a .meta, a text GraphDef. Model Optimizer flags (framework_options): saved_model_dir,
/// saved_model_tags (default "serve"), saved_model_signature, input_meta_graph, input_checkpoint,
/// input_model_is_text, output (for a TF1 graph without a signature).
struct frontend {
    static constexpr const char* name = "tf";
    static constexpr std::array<const char*, 4> extensions{".pb", ".pbtxt", ".json", ".meta"};
    static bool recognizes(const std::string& path, std::string_view head) {
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) return std::filesystem::exists(path + "/saved_model.pb", ec);
        return !head.empty() && ((head.find('{') != std::string_view::npos && looks_like_tfjs(head)) ||
                                 looks_like_text_graph(head));
    }
    template <class = void>  // a template so that moir::compiled can compile it once (see below)
    static model load(const frontends::load_request& r) {
        load_options o;
        static_cast<frontends::load_options&>(o) = r.options;
        const std::string saved = r.options.option("saved_model_dir");
        const std::string meta = r.options.option("input_meta_graph");
        const std::string ckpt = r.options.option("input_checkpoint");
        std::error_code ec;
        if (!saved.empty() || std::filesystem::is_directory(r.input_model, ec))
            return load_saved_model(saved.empty() ? r.input_model : saved, r.options.option("saved_model_tags", "serve"),
                                    r.options.option("saved_model_signature"), o);
        if (!meta.empty()) return load_meta_graph(meta, ckpt, o);
        if (r.input_model.size() > 5 && r.input_model.compare(r.input_model.size() - 5, 5, ".meta") == 0)
            return load_meta_graph(r.input_model, ckpt, o);
        if (!ckpt.empty()) return load_with_checkpoint(r.input_model, ckpt, o);
        return tensorflow::load(r.input_model, o);
    }
};


// Compiled once in moir::compiled, declared extern elsewhere (see MOIR_DETAIL_FRONTEND_EXTERN).
#if defined(MOIR_DETAIL_FRONTEND_EXTERN)
MOIR_DETAIL_FRONTEND_EXTERN template const op_table& detail::default_table_impl<void>();
MOIR_DETAIL_FRONTEND_EXTERN template model frontend::load<void>(const frontends::load_request&);
MOIR_DETAIL_FRONTEND_EXTERN template model load<void>(const std::string&, const load_options&);
#endif

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_TENSORFLOW_HPP
