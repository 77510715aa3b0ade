#ifndef MOIR_FRONTENDS_ONNX_CONVERTER_HPP
#define MOIR_FRONTENDS_ONNX_CONVERTER_HPP

// The ONNX frontend's extension point. Each ONNX op type maps to a converter: a function that reads
// one ONNX node through a `context` (its inputs, attributes, opset) and adds moir nodes for it.
// Converters live in per-family files under frontends/onnx/ops/, each with a
// `register_ops(op_table&)`; frontends/onnx/onnx.hpp lists the families.

#include <moir/core/model.hpp>
#include <moir/frontends/onnx/onnx_proto.hpp>
#include <moir/ops/constant.hpp>

#include <cstdint>        // int64_t
#include <functional>     // function
#include <map>            // map
#include <optional>       // optional
#include <string>         // string
#include <unordered_map>  // unordered_map
#include <vector>         // vector

namespace moir::onnx {

class context;

/// A converter adds the moir nodes of one ONNX node and binds every ONNX output it produces.
using converter = std::function<void(context&)>;

/// ONNX op type (default domain) -> converter, with the first opset version it handles.
/// Several entries for one op type are allowed: the one with the highest since_version <= the
/// model's opset wins.
class op_table {
public:
    /// Registers `fn` for op_type from opset `since_version` on. domain "" is the default domain.
    void add(const std::string& op_type, converter fn, std::int64_t since_version = 1, const std::string& domain = "") {
        entries_[key(domain, op_type)].push_back({since_version, std::move(fn)});
    }
    /// The converter of op_type at this opset, or nullptr.
    const converter* find(const std::string& domain, const std::string& op_type, std::int64_t opset) const {
        const auto it = entries_.find(key(domain, op_type));
        if (it == entries_.end()) return nullptr;
        const converter* best = nullptr;
        std::int64_t best_since = -1;
        for (const auto& e : it->second)
            if (e.since <= opset && e.since > best_since) {
                best = &e.fn;
                best_since = e.since;
            }
        return best;
    }

private:
    struct entry {
        std::int64_t since;
        converter fn;
    };
    static std::string key(const std::string& domain, const std::string& op) {
        return (domain == "ai.onnx" ? std::string() : domain) + "::" + op;
    }
    std::unordered_map<std::string, std::vector<entry>> entries_;
};

/// The state of one graph conversion: ONNX tensor names -> moir outputs.
struct graph_state {
    moir::model* m = nullptr;
    std::string source;                                 ///< the model file, for errors
    std::string base_dir;                               ///< for external data
    std::int64_t opset = 0;                             ///< default-domain opset version
    std::unordered_map<std::string, output_ref> values;  ///< ONNX tensor name -> moir output
    std::unordered_map<std::string, const proto::tensor*> initializers;  ///< not yet materialized
};

/// What a converter sees of one ONNX node.
class context {
public:
    context(graph_state& g, const proto::node& n) : g_(g), n_(n), looked_up_(n.attribute.size(), false) {}

    const proto::node& onnx_node() const { return n_; }
    /// The node's name for moir nodes and messages: its name, else its first output.
    std::string name() const { return !n_.name.empty() ? n_.name : (n_.output.empty() ? n_.op_type : n_.output[0]); }
    std::int64_t opset() const { return g_.opset; }
    moir::model& model() { return *g_.m; }

    /// Number of inputs listed (optional inputs may be listed as "").
    std::size_t input_count() const { return n_.input.size(); }
    /// Whether input i is present (listed and not "").
    bool has_input(std::size_t i) const { return i < n_.input.size() && !n_.input[i].empty(); }
    /// The moir output feeding input i. requires: has_input(i).
    output_ref input(std::size_t i) {
        MOIR_CHECK(has_input(i), error, "input " + std::to_string(i) + " is missing");
        return value(n_.input[i]);
    }
    /// Type and shape of input i.
    const output_port& input_port(std::size_t i) { return g_.m->port(input(i)); }
    /// The value of input i when it is a constant (an initializer or a Constant node), else nullopt.
    std::optional<tensor> const_input(std::size_t i) {
        if (!has_input(i)) return std::nullopt;
        const output_ref r = input(i);
        const node& p = g_.m->at(r.node);
        if (p.is<ops::constant>()) return p.attrs_as<ops::constant>().value;
        return std::nullopt;
    }
    /// Like const_input, but an error naming the input when it is not constant.
    tensor require_const(std::size_t i, const char* what) {
        auto v = const_input(i);
        MOIR_CHECK(v, unsupported_error, std::string(what) + " (input " + std::to_string(i) + ") must be a constant");
        return *v;
    }

    // ---- attributes ----
    const proto::attribute* attr(const std::string& key) const {
        const proto::attribute* found = nullptr;
        for (std::size_t i = 0; i < n_.attribute.size(); ++i)
            if (n_.attribute[i].name == key) {
                looked_up_[i] = true;
                found = &n_.attribute[i];  // a repeated name: the last one, and every copy counts as read
            }
        return found;
    }
    /// The names of the node's attributes the converter never looked up (attr, has_attr, attr_*).
    /// Not yet an error: converters leave out attributes they infer (Conv's kernel_shape) or that
    /// do not change inference, so each converter must first say which ones it ignores.
    std::vector<std::string> unread_attributes() const {
        std::vector<std::string> r;
        for (std::size_t i = 0; i < n_.attribute.size(); ++i)
            if (!looked_up_[i]) r.push_back(n_.attribute[i].name);
        return r;
    }
    bool has_attr(const std::string& key) const { return attr(key) != nullptr; }
    std::int64_t attr_int(const std::string& key, std::int64_t def) const {
        const auto* a = attr(key);
        return a ? a->i : def;
    }
    float attr_float(const std::string& key, float def) const {
        const auto* a = attr(key);
        return a ? a->f : def;
    }
    std::string attr_string(const std::string& key, const std::string& def) const {
        const auto* a = attr(key);
        return a ? a->s : def;
    }
    std::vector<std::int64_t> attr_ints(const std::string& key, std::vector<std::int64_t> def = {}) const {
        const auto* a = attr(key);
        return a ? a->ints : def;
    }
    std::vector<float> attr_floats(const std::string& key, std::vector<float> def = {}) const {
        const auto* a = attr(key);
        return a ? a->floats : def;
    }
    /// requires: the attribute exists and is a tensor.
    tensor attr_tensor(const std::string& key) const {
        const auto* a = attr(key);
        MOIR_CHECK(a && a->t, error, "attribute '" + key + "' must be a tensor");
        return proto::to_moir_tensor(*a->t, g_.base_dir);
    }

    // ---- building ----
    /// Adds a moir node named after this ONNX node (plus `suffix`), infers its outputs at once, and
    /// returns its output `port`.
    template <class Op>
    output_ref add(typename Op::attrs a, std::vector<output_ref> inputs, const std::string& suffix = "") {
        const node_id id = g_.m->add<Op>(std::move(a), std::move(inputs), name() + suffix);
        g_.m->infer_node(id);
        return {id, 0};
    }
    /// Like add, returning the node id (for multi-output ops).
    template <class Op>
    node_id add_node(typename Op::attrs a, std::vector<output_ref> inputs, const std::string& suffix = "") {
        const node_id id = g_.m->add<Op>(std::move(a), std::move(inputs), name() + suffix);
        g_.m->infer_node(id);
        return id;
    }
    /// A constant node holding t.
    output_ref constant(tensor t, const std::string& suffix) {
        return add<ops::constant>({std::move(t)}, {}, suffix);
    }
    /// Binds ONNX output i of this node to r, and gives r's port that tensor name.
    void set_output(std::size_t i, output_ref r) {
        if (i >= n_.output.size() || n_.output[i].empty()) return;
        g_.values[n_.output[i]] = r;
        auto& names = g_.m->at(r.node).outputs.at(r.port).names;
        names.push_back(n_.output[i]);
    }
    /// Number of outputs the ONNX node lists and uses (non-empty names).
    std::size_t output_count() const { return n_.output.size(); }
    bool output_used(std::size_t i) const { return i < n_.output.size() && !n_.output[i].empty(); }

    /// The moir output bound to an ONNX tensor name (materializes initializers on first use).
    output_ref value(const std::string& tensor_name) {
        auto it = g_.values.find(tensor_name);
        if (it != g_.values.end()) return it->second;
        const auto init = g_.initializers.find(tensor_name);
        MOIR_CHECK(init != g_.initializers.end(), parse_error, "reads tensor '" + tensor_name + "', which nothing produces");
        const node_id id =
            g_.m->add<ops::constant>({proto::to_moir_tensor(*init->second, g_.base_dir)}, {}, tensor_name);
        g_.m->infer_node(id);
        g_.m->at(id).outputs[0].names.push_back(tensor_name);
        g_.values[tensor_name] = {id, 0};
        return {id, 0};
    }

private:
    graph_state& g_;
    const proto::node& n_;
    mutable std::vector<bool> looked_up_;  ///< per attribute of n_: did the converter ask for it
};

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_CONVERTER_HPP
