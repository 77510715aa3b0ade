#ifndef MOIR_FRONTENDS_COMMON_TRANSFORMATIONS_REPLACEMENT_HPP
#define MOIR_FRONTENDS_COMMON_TRANSFORMATIONS_REPLACEMENT_HPP

// Sub-graph replacements: what a transformations-config `id` names. A replacement is a function
// that, given the matched sub-graph, adds moir nodes in its place through a replacement_context:
// the values of tensors (outside the sub-graph: already converted; inside: converted on demand
// from their ancestors by the frontend's own converters, so a replacement may keep part of the
// sub-graph), binds the sub-graph's outputs it provides, and adds model outputs of its own.
// Outputs of the sub-graph a replacement does not provide are dropped, and with them whatever
// reads them (graph outputs included).
//
// Registries: built-in replacements are a compile-time list (a type_list of structs, one file
// each, with `static constexpr const char* id`, `doc`, `static void apply(replacement_context&)`
// and optionally `static sub_graph find(const graph_view&, const replacement_spec&)` for
// match_kind "general"); replacement_registry::add() adds more at run time (an extension, a
// user's program).

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/common/transformations/config.hpp>
#include <moir/frontends/common/transformations/match.hpp>
#include <moir/ops/constant.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <functional>   // function
#include <map>          // map
#include <optional>     // optional
#include <string>       // string
#include <type_traits>  // void_t, true_type
#include <utility>      // move
#include <vector>       // vector

namespace moir::transformations {

/// What a replacement sees and does. Made by the frontend for one matched entry.
class replacement_context {
public:
    /// The frontend's hooks: the value of a framework tensor (converting inside nodes on demand),
    /// and the frontend's spelling of a node output as a tensor name.
    struct hooks {
        std::function<output_ref(const std::string& tensor)> value;
        std::function<std::string(const edge&)> tensor_name;
    };
    replacement_context(const replacement_spec& spec, const graph_view& g, const sub_graph& match,
                        frontends::graph_builder& b, hooks h)
        : spec_(&spec), g_(&g), match_(&match), b_(&b), hooks_(std::move(h)) {}

    const replacement_spec& spec() const { return *spec_; }
    const graph_view& graph() const { return *g_; }
    const sub_graph& match() const { return *match_; }
    frontends::graph_builder& builder() { return *b_; }
    model& graph_model() { return b_->graph(); }

    /// The moir value of framework tensor `tensor` (see the file comment).
    output_ref value(const std::string& tensor) { return hooks_.value(tensor); }
    output_ref value(const edge& e) { return hooks_.value(hooks_.tensor_name(e)); }
    std::string tensor_name(const edge& e) const { return hooks_.tensor_name(e); }
    /// Provides framework tensor `tensor` (an output of the sub-graph, or one inside it that
    /// value() should not convert: a loop's read of its element, say).
    void bind(const std::string& tensor, output_ref r) { b_->bind(tensor, r); }
    /// Adds `tensor` (bound) as an output of the model.
    void add_output(const std::string& tensor, output_ref r) {
        b_->bind(tensor, r);
        outputs_.push_back(tensor);
    }
    const std::vector<std::string>& new_outputs() const { return outputs_; }

    /// The type and shape of a value.
    const output_port& port(output_ref r) { return graph_model().at(r.node).outputs.at(r.port); }
    /// The value of r when a Constant produces it.
    std::optional<tensor> constant_value(output_ref r) {
        const node& n = graph_model().at(r.node);
        if (!n.is<ops::constant>()) return std::nullopt;
        return n.attrs_as<ops::constant>().value;
    }
    /// Adds a moir node named `name`, its outputs inferred at once.
    template <class Op>
    output_ref add(typename Op::attrs a, std::vector<output_ref> inputs, const std::string& name) {
        const node_id id = graph_model().template add<Op>(std::move(a), std::move(inputs), name);
        graph_model().infer_node(id);
        return {id, 0};
    }
    output_ref constant(tensor t, const std::string& name) { return add<ops::constant>({std::move(t)}, {}, name); }
    output_ref constant_i64(const std::vector<std::int64_t>& v, const std::string& name) {
        return constant(tensor::from_vector(v, {static_cast<std::int64_t>(v.size())}), name);
    }

    /// custom_attributes[key] as T (a number, a bool, a string, a list of numbers), or `def`
    /// when absent. ensures: throws moir::error naming the entry and key for a wrong type.
    template <class T>
    T attr(const std::string& key, T def) const {
        const auto& c = spec_->custom_attributes;
        if (!c.contains(key)) return def;
        const auto& v = c[key];
        bool ok = false;
        if constexpr (std::is_same_v<T, bool>) ok = v.is_boolean();
        else if constexpr (std::is_arithmetic_v<T>) ok = v.is_number();
        else if constexpr (std::is_same_v<T, std::string>) ok = v.is_string();
        else {
            ok = v.is_array();
            if (ok)
                for (const auto& x : v) ok = ok && x.is_number();
        }
        MOIR_CHECK(ok, error, spec_->where + ": custom_attributes '" + key + "' has the wrong type (" + v.type_name() + ")");
        return v.get<T>();
    }
    /// Throws moir::error "<where>: reason".
    [[noreturn]] void fail(const std::string& reason) const { throw error(spec_->where + ": " + reason); }

private:
    const replacement_spec* spec_;
    const graph_view* g_;
    const sub_graph* match_;
    frontends::graph_builder* b_;
    hooks hooks_;
    std::vector<std::string> outputs_;
};

/// A replacement: its id, a line of documentation, how it rewrites, and (for match_kind
/// "general") how it finds its sub-graph.
struct replacement {
    std::string id;
    std::string doc;
    std::function<void(replacement_context&)> apply;
    std::function<sub_graph(const graph_view&, const replacement_spec&)> find;  ///< may be empty
};

namespace detail {
template <class R, class = void>
struct has_find : std::false_type {};
template <class R>
struct has_find<R, std::void_t<decltype(&R::find)>> : std::true_type {};
}  // namespace detail

/// Replacements by id.
class replacement_registry {
public:
    replacement_registry() = default;
    /// The registry of a compile-time list of replacement types (see the file comment).
    template <class... R>
    explicit replacement_registry(type_list<R...>) {
        (add_type<R>(), ...);
    }
    /// Adds (or replaces) a replacement.
    void add(replacement r) { by_id_[r.id] = std::move(r); }
    template <class R>
    void add_type() {
        replacement r{R::id, R::doc, [](replacement_context& c) { R::apply(c); }, {}};
        if constexpr (detail::has_find<R>::value) r.find = [](const graph_view& g, const replacement_spec& s) { return R::find(g, s); };
        add(std::move(r));
    }
    const replacement* find(const std::string& id) const {
        const auto it = by_id_.find(id);
        return it == by_id_.end() ? nullptr : &it->second;
    }
    /// ensures: throws moir::error "<where>: unknown replacement id 'X' (moir has: A, B)".
    const replacement& require(const replacement_spec& s) const {
        if (const replacement* r = find(s.id)) return *r;
        std::string known;
        for (const auto& kv : by_id_) known += (known.empty() ? "" : ", ") + kv.first;
        throw error(s.where + ": unknown replacement id '" + s.id + "' (moir has: " + known + ")");
    }
    const std::map<std::string, replacement>& all() const { return by_id_; }

private:
    std::map<std::string, replacement> by_id_;
};

/// The sub-graph of entry `s` in g, by its match_kind.
/// ensures: throws moir::error naming the entry when nothing matches or "general" has no finder.
inline sub_graph match(const graph_view& g, const replacement_spec& s, const replacement& r) {
    if (s.match_kind == "scope") return match_scope(g, s.scopes, s.where);
    if (s.match_kind == "points") return match_points(g, s.start_points, s.end_points, s.where);
    MOIR_CHECK(static_cast<bool>(r.find), error,
               s.where + ": replacement '" + s.id + "' cannot find its sub-graph itself (match_kind general); use scope or points");
    sub_graph sg = r.find(g, s);
    MOIR_CHECK(!sg.nodes.empty(), error, s.where + ": replacement '" + s.id + "' found no sub-graph to replace");
    return sg;
}

}  // namespace moir::transformations

#endif  // MOIR_FRONTENDS_COMMON_TRANSFORMATIONS_REPLACEMENT_HPP
