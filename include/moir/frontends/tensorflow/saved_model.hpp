#ifndef MOIR_FRONTENDS_TENSORFLOW_SAVED_MODEL_HPP
#define MOIR_FRONTENDS_TENSORFLOW_SAVED_MODEL_HPP

// SavedModel and TF1 MetaGraphDef reading, and freezing. A SavedModel (saved_model.pb) holds
// MetaGraphDefs, each with tags, a GraphDef, a SaverDef and signature defs (inputs and outputs by
// key -> tensor names); a TF1 checkpoint's model.meta is one MetaGraphDef. Their variables live in
// a tensor bundle (tensor_bundle.hpp). freeze() turns such a graph into a frozen one, as the Model
// Optimizer does: it keeps what the outputs need over data edges (control edges dropped: the
// save/restore sub-graphs, initializers, summaries, asserts and every other training-only branch
// go), and replaces each variable read (VarHandleOp + ReadVariableOp, VariableV2/Variable) with a
// constant holding the checkpoint's value. A variable's checkpoint key is the one the restore
// sub-graph assigns to it (RestoreV2:i -> [Identity ->] Assign/AssignVariableOp), else its
// shared_name, else its node name. Field numbers: tensorflow/core/protobuf/{saved_model,meta_graph,
// saver}.proto.

#include <moir/core/errors.hpp>
#include <moir/frontends/common/protobuf_wire.hpp>
#include <moir/frontends/tensorflow/graph_def.hpp>
#include <moir/frontends/tensorflow/tensor_bundle.hpp>

#include <cstdint>        // uint8_t
#include <functional>     // function
#include <map>            // map
#include <set>            // set
#include <string>         // string
#include <unordered_map>  // unordered_map
#include <vector>         // vector

namespace moir::tensorflow {

/// SignatureDef: tensor names by key.
struct signature_def {
    std::map<std::string, std::string> inputs, outputs;
};

/// MetaGraphDef: what moir uses of it.
struct meta_graph_def {
    std::vector<std::string> tags;
    graph_def graph;
    std::string restore_op_name, filename_tensor_name;  // SaverDef
    std::map<std::string, signature_def> signatures;
};

namespace detail {
inline std::map<std::string, std::string> read_tensor_info_map(protobuf::reader r, std::map<std::string, std::string> m,
                                                               const std::string& source) {
    // one map entry { string key = 1; TensorInfo value = 2; }, TensorInfo { string name = 1; CooSparse coo_sparse = 4; }
    std::string key, name;
    bool sparse = false;
    protobuf::tag t;
    while (r.next(t)) {
        if (t.field == 1) {
            key = r.read_string(t);
        } else if (t.field == 2) {
            auto v = r.read_message(t);
            protobuf::tag u;
            while (v.next(u)) {
                if (u.field == 1) name = v.read_string(u);
                else if (u.field == 4) sparse = true, v.skip(u);
                else v.skip(u);
            }
        } else {
            r.skip(t);
        }
    }
    MOIR_CHECK(!sparse, unsupported_error, source + ": signature tensor '" + key + "' is sparse (not supported)");
    m[key] = name;
    return m;
}
inline signature_def read_signature(protobuf::reader r, const std::string& source) {
    signature_def s;
    protobuf::tag t;
    while (r.next(t)) {
        if (t.field == 1) s.inputs = read_tensor_info_map(r.read_message(t), std::move(s.inputs), source);
        else if (t.field == 2) s.outputs = read_tensor_info_map(r.read_message(t), std::move(s.outputs), source);
        else r.skip(t);
    }
    return s;
}
}  // namespace detail

/// Decodes a MetaGraphDef. ensures: moir::parse_error naming `source` on malformed bytes.
inline meta_graph_def parse_meta_graph(protobuf::reader r, const std::string& source) {
    meta_graph_def m;
    bool has_graph = false;
    protobuf::tag t;
    while (r.next(t)) {
        switch (t.field) {
            case 1: {  // MetaInfoDef { repeated string tags = 4; }
                auto info = r.read_message(t);
                protobuf::tag u;
                while (info.next(u)) {
                    if (u.field == 4) m.tags.push_back(info.read_string(u));
                    else info.skip(u);
                }
                break;
            }
            case 2: {
                const auto g = r.read_message(t);
                m.graph = parse_graph_def(g.data(), g.size(), source);
                has_graph = true;
                break;
            }
            case 3: {  // SaverDef { filename_tensor_name = 1; restore_op_name = 3; }
                auto s = r.read_message(t);
                protobuf::tag u;
                while (s.next(u)) {
                    if (u.field == 1) m.filename_tensor_name = s.read_string(u);
                    else if (u.field == 3) m.restore_op_name = s.read_string(u);
                    else s.skip(u);
                }
                break;
            }
            case 5: {  // map<string, SignatureDef>
                auto e = r.read_message(t);
                std::string key;
                signature_def sig;
                protobuf::tag u;
                while (e.next(u)) {
                    if (u.field == 1) key = e.read_string(u);
                    else if (u.field == 2) sig = detail::read_signature(e.read_message(u), source);
                    else e.skip(u);
                }
                m.signatures[key] = std::move(sig);
                break;
            }
            default: r.skip(t);
        }
    }
    MOIR_CHECK(has_graph && !m.graph.node.empty(), parse_error, source + ": the MetaGraphDef has no graph");
    return m;
}

/// Decodes a SavedModel's MetaGraphDefs. ensures: moir::parse_error naming `source`.
inline std::vector<meta_graph_def> parse_saved_model(const std::string& bytes, const std::string& source) {
    MOIR_CHECK(!bytes.empty(), parse_error, source + ": the file is empty");
    std::vector<meta_graph_def> out;
    protobuf::reader r(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), source);
    protobuf::tag t;
    while (r.next(t)) {
        if (t.field == 2) out.push_back(parse_meta_graph(r.read_message(t), source));
        else r.skip(t);
    }
    MOIR_CHECK(!out.empty(), parse_error, source + ": not a SavedModel (no MetaGraphDef)");
    return out;
}

/// Ops that only training, saving or bookkeeping need: never a graph's output.
inline bool is_training_only(const std::string& op) {
    static const std::set<std::string> ops{"NoOp", "Assert", "SaveV2", "Save", "SaveSlices", "RestoreV2", "Restore",
                                           "RestoreSlice", "MergeV2Checkpoints", "ShardedFilename", "StringJoin",
                                           "Assign", "AssignAdd", "AssignSub", "AssignVariableOp",
                                           "AssignAddVariableOp", "AssignSubVariableOp", "VarIsInitializedOp",
                                           "IsVariableInitialized", "MergeSummary", "Print", "PrintV2"};
    return ops.count(op) != 0 || op.find("Summary") != std::string::npos || op.rfind("Apply", 0) == 0 ||
           op.rfind("ResourceApply", 0) == 0;
}

/// The outputs of a graph without a signature: the nodes nothing reads, except constants,
/// placeholders, variables and training-only ops (a loss read by a summary is read, so it is no output).
inline std::vector<std::string> default_outputs(const graph_def& g) {
    std::set<std::string> read;
    for (const auto& n : g.node)
        for (const auto& in : n.input) {
            const std::string s = !in.empty() && in[0] == '^' ? in.substr(1) : in;
            const auto colon = s.rfind(':');
            read.insert(colon == std::string::npos ? s : s.substr(0, colon));
        }
    std::vector<std::string> out;
    for (const auto& n : g.node)
        if (!read.count(n.name) && n.op != "Const" && n.op != "Placeholder" && n.op != "VarHandleOp" &&
            n.op != "VariableV2" && n.op != "Variable" && !is_training_only(n.op))
            out.push_back(n.name);
    return out;
}

/// A frozen copy of g: only what `outputs` need over data edges, control edges dropped, every
/// variable read a Const whose value (graph_def::weights) comes from `checkpoint` (null: none).
/// ensures: moir::error naming `source` (and the checkpoint's index) when a variable's tensor is
/// missing or its type or shape differ from the variable's; unknown output names are reported.
inline graph_def freeze(const graph_def& g, const std::vector<std::string>& outputs, const tensor_bundle* checkpoint,
                        const std::string& source) {
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < g.node.size(); ++i) index.emplace(g.node[i].name, i);
    const auto node_of = [&](std::string tensor) -> const node_def* {
        if (!tensor.empty() && tensor[0] == '^') tensor = tensor.substr(1);
        const auto colon = tensor.rfind(':');
        if (colon != std::string::npos && tensor.find_first_not_of("0123456789", colon + 1) == std::string::npos)
            tensor = tensor.substr(0, colon);
        const auto it = index.find(tensor);
        return it == index.end() ? nullptr : &g.node[it->second];
    };
    const auto port_of = [](const std::string& tensor) -> std::size_t {
        const auto colon = tensor.rfind(':');
        if (colon == std::string::npos || colon + 1 == tensor.size() ||
            tensor.find_first_not_of("0123456789", colon + 1) != std::string::npos)
            return 0;
        return std::stoul(tensor.substr(colon + 1));
    };
    // follows Identity-like ops back to the tensor they pass on
    const auto trace = [&](std::string tensor) {
        for (int guard = 0; guard < 1000; ++guard) {
            const node_def* n = node_of(tensor);
            if (!n || (n->op != "Identity" && n->op != "Snapshot" && n->op != "StopGradient") || n->input.empty()) break;
            tensor = n->input[0];
        }
        return tensor;
    };

    // checkpoint keys from the restore sub-graph
    std::map<std::string, std::string> key_of;
    for (const auto& n : g.node) {
        if ((n.op != "Assign" && n.op != "AssignVariableOp") || n.input.size() < 2) continue;
        const node_def* var = node_of(trace(n.input[0]));
        const std::string value = trace(n.input[1]);
        const node_def* restore = node_of(value);
        if (!var || !restore || restore->op != "RestoreV2" || restore->input.size() < 2) continue;
        const node_def* names = node_of(trace(restore->input[1]));
        const attr_value* v = names && names->op == "Const" ? names->find_attr("value") : nullptr;
        const std::size_t port = port_of(value);
        if (v && v->k == attr_value::kind::tensor && port < v->tensor.string_val.size())
            key_of[var->name] = v->tensor.string_val[port];
    }

    graph_def out;
    out.producer = g.producer;
    out.library_functions = g.library_functions;
    out.weights = g.weights;
    std::map<std::string, const node_def*> replaced;  // node -> the variable it reads
    std::set<std::string> keep;
    std::vector<const node_def*> stack;
    for (const auto& o : outputs) {
        const node_def* n = node_of(o);
        MOIR_CHECK(n, error, source + ": output '" + o + "' names no node of the graph");
        stack.push_back(n);
    }
    while (!stack.empty()) {
        const node_def* n = stack.back();
        stack.pop_back();
        if (!keep.insert(n->name).second) continue;
        if (n->op == "VarHandleOp" || n->op == "VariableV2" || n->op == "Variable") {
            replaced[n->name] = n;
            continue;
        }
        if (n->op == "ReadVariableOp" && !n->input.empty()) {
            const node_def* var = node_of(trace(n->input[0]));
            MOIR_CHECK(var, error, source + ": node '" + n->name + "' reads '" + n->input[0] + "', which no node produces");
            MOIR_CHECK(var->op == "VarHandleOp", unsupported_error,
                       source + ": node '" + n->name + "' (ReadVariableOp) reads a " + var->op + ", not a variable");
            replaced[n->name] = var;
            continue;
        }
        for (const auto& in : n->input) {
            if (!in.empty() && in[0] == '^') continue;
            const node_def* d = node_of(in);
            MOIR_CHECK(d, parse_error, source + ": node '" + n->name + "' reads '" + in + "', which no node produces");
            stack.push_back(d);
        }
    }

    std::map<std::string, moir::tensor> values;  // by variable node
    for (const auto& n : g.node) {
        if (!keep.count(n.name)) continue;
        const auto r = replaced.find(n.name);
        if (r == replaced.end()) {
            node_def copy = n;
            copy.input.clear();
            for (const auto& in : n.input)
                if (in.empty() || in[0] != '^') copy.input.push_back(in);
            out.node.push_back(std::move(copy));
            continue;
        }
        const node_def& var = *r->second;
        auto v = values.find(var.name);
        if (v == values.end()) {
            std::string key = var.name;
            if (const auto k = key_of.find(var.name); k != key_of.end()) key = k->second;
            else if (const attr_value* sn = var.find_attr("shared_name"); sn && !sn->s.empty()) key = sn->s;
            const std::string what = source + ": variable '" + var.name + "'";
            MOIR_CHECK(checkpoint, error, what + " has no checkpoint to take its value from");
            MOIR_CHECK(checkpoint->contains(key), error,
                       what + ": the checkpoint " + checkpoint->index_path() + " has no tensor '" + key + "'");
            moir::tensor t = checkpoint->tensor(key);
            if (const attr_value* dt = var.find_attr("dtype"); dt && dt->k == attr_value::kind::type) {
                const auto et = to_element_type(dt->type);
                MOIR_CHECK(et && *et == t.type(), error,
                           what + " is " + data_type_name(dt->type) + ", the checkpoint's tensor '" + key + "' is " +
                               data_type_name(checkpoint->entries().at(key).dtype));
            }
            if (const attr_value* sh = var.find_attr("shape"); sh && sh->k == attr_value::kind::shape && !sh->shape.unknown_rank) {
                bool same = sh->shape.dims.size() == t.dims().size();
                for (std::size_t i = 0; same && i < t.dims().size(); ++i)
                    same = sh->shape.dims[i] < 0 || sh->shape.dims[i] == t.dims()[i];
                MOIR_CHECK(same, error,
                           what + " has shape " + sh->shape.to_partial().str() + ", the checkpoint's tensor '" + key +
                               "' [" + to_string(t.dims()) + "]");
            }
            v = values.emplace(var.name, std::move(t)).first;
        }
        node_def c;
        c.name = n.name;
        c.op = "Const";
        out.weights[n.name] = v->second;
        out.node.push_back(std::move(c));
    }
    return out;
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_SAVED_MODEL_HPP
