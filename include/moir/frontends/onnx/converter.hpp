#ifndef MOIR_FRONTENDS_ONNX_CONVERTER_HPP
#define MOIR_FRONTENDS_ONNX_CONVERTER_HPP

// The ONNX frontend's extension point, on the common machinery of frontends/common/frontend.hpp.
// Each ONNX op type maps to a converter: a function that reads one ONNX node through a `context`
// (its inputs, attributes, opset) and adds moir nodes for it. Converters live in per-family files
// under frontends/onnx/ops/, each with a `register_<family>(op_table&)`; frontends/onnx/onnx.hpp
// lists the families.

#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/onnx/onnx_proto.hpp>
#include <moir/ops/constant.hpp>

#include <cstdint>        // int64_t
#include <functional>     // function
#include <memory>         // shared_ptr
#include <optional>       // optional
#include <string>         // string
#include <type_traits>    // is_same_v
#include <unordered_map>  // unordered_map
#include <vector>         // vector

namespace moir::onnx {

/// The ONNX default domain as moir spells it: "" ("ai.onnx" is the same domain).
inline std::string normalize_domain(const std::string& domain) { return domain == "ai.onnx" ? std::string() : domain; }

/// The common node view (frontends::basic_context's NodeView) over an ONNX NodeProto.
class node_view {
public:
    explicit node_view(const proto::node& n) : n_(&n) {}
    const proto::node& proto() const { return *n_; }
    std::string name() const { return n_->name; }
    std::string op_type() const { return n_->op_type; }
    std::size_t input_count() const { return n_->input.size(); }
    std::string input_name(std::size_t i) const { return n_->input.at(i); }
    std::size_t output_count() const { return n_->output.size(); }
    std::string output_name(std::size_t i) const { return n_->output.at(i); }
    /// The NodeProto attribute `key`, or nullptr.
    const proto::attribute* find(const std::string& key) const {
        for (const auto& a : n_->attribute)
            if (a.name == key) return &a;
        return nullptr;
    }
    /// Attribute `key` as T (int64_t, float, std::string, std::vector<int64_t>, std::vector<float>,
    /// std::vector<std::string>), or nullopt when absent.
    template <class T>
    std::optional<T> attribute(const std::string& key) const {
        const proto::attribute* a = find(key);
        if (!a) return std::nullopt;
        if constexpr (std::is_same_v<T, std::int64_t>) return a->i;
        else if constexpr (std::is_same_v<T, float>) return a->f;
        else if constexpr (std::is_same_v<T, std::string>) return a->s;
        else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) return a->ints;
        else if constexpr (std::is_same_v<T, std::vector<float>>) return a->floats;
        else if constexpr (std::is_same_v<T, std::vector<std::string>>) return a->strings;
        else static_assert(sizeof(T) == 0, "moir: ONNX attributes are int64_t, float, string or lists of them");
    }

private:
    const proto::node* n_;
};

/// A converted sub-graph (a GraphProto attribute such as If's then_branch): the body, whose first
/// Parameters are the graph's declared inputs, followed by one Parameter per outer-scope tensor the
/// body reads (`captured`, the outer tensor names, in Parameter order).
struct body_graph {
    std::shared_ptr<moir::model> body;
    std::vector<std::string> captured;
    std::size_t declared_inputs = 0;  ///< the graph's own inputs (the first Parameters)
};

/// What the ONNX converters share of one graph besides the common graph_builder.
struct graph_info {
    std::string base_dir;       ///< for external data
    std::int64_t opset = 0;     ///< default-domain opset version
    /// Converts a sub-graph of the node being converted, reading outer-scope tensors through the
    /// given (outer) builder; `where` names it in errors. Set by the frontend's driver (onnx.hpp).
    std::function<body_graph(const proto::graph&, frontends::graph_builder& outer, const std::string& where)> convert_body;
};

/// What a converter sees of one ONNX node: the common context plus the opset and ONNX's
/// attribute spellings.
class context : public frontends::basic_context<node_view> {
public:
    context(frontends::graph_builder& g, const node_view& n, const graph_info& info)
        : basic_context(g, n), info_(&info) {}

    const proto::node& onnx_node() const { return node().proto(); }
    std::int64_t opset() const { return info_->opset; }

    // ---- attributes, in ONNX's spellings ----
    const proto::attribute* attr(const std::string& key) const { return node().find(key); }
    bool has_attr(const std::string& key) const { return attr(key) != nullptr; }
    std::int64_t attr_int(const std::string& key, std::int64_t def) const { return basic_context::attr(key, def); }
    float attr_float(const std::string& key, float def) const { return basic_context::attr(key, def); }
    std::string attr_string(const std::string& key, const std::string& def) const { return basic_context::attr(key, def); }
    std::vector<std::int64_t> attr_ints(const std::string& key, std::vector<std::int64_t> def = {}) const {
        return basic_context::attr(key, std::move(def));
    }
    std::vector<float> attr_floats(const std::string& key, std::vector<float> def = {}) const {
        return basic_context::attr(key, std::move(def));
    }
    /// The sub-graph held by graph attribute `key`, converted with the same op table; errors name it.
    /// requires: the attribute exists and is a graph (throws moir::error otherwise).
    body_graph body(const std::string& key) {
        const auto* a = attr(key);
        MOIR_CHECK(a && a->g, error, "attribute '" + key + "' must be a graph");
        MOIR_CHECK(info_->convert_body, error, "this converter cannot convert sub-graphs");
        return info_->convert_body(*a->g, builder(), key);
    }
    /// requires: the attribute exists and is a tensor.
    tensor attr_tensor(const std::string& key) const {
        const auto* a = attr(key);
        MOIR_CHECK(a && a->t, error, "attribute '" + key + "' must be a tensor");
        return proto::to_moir_tensor(*a->t, info_->base_dir);
    }

private:
    const graph_info* info_;
};

/// A converter adds the moir nodes of one ONNX node and binds every ONNX output it produces.
using converter = frontends::basic_op_table<context>::converter;

/// ONNX op type (per domain; "ai.onnx" and "" are the default domain) -> converter, with the first
/// opset version it handles. The highest since_version <= the model's opset wins.
class op_table : public frontends::basic_op_table<context> {
    using base = frontends::basic_op_table<context>;

public:
    /// Registers `fn` for op_type from opset `since_version` on. domain "" is the default domain.
    void add(const std::string& op_type, converter fn, std::int64_t since_version = 1, const std::string& domain = "") {
        base::add(op_type, std::move(fn), since_version, normalize_domain(domain));
    }
    /// The converter of op_type at this opset, or nullptr.
    const converter* find(const std::string& domain, const std::string& op_type, std::int64_t opset) const {
        return base::find(normalize_domain(domain), op_type, opset);
    }
};

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_CONVERTER_HPP
