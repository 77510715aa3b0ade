#ifndef MOIR_FRONTENDS_COMMON_FRONTEND_HPP
#define MOIR_FRONTENDS_COMMON_FRONTEND_HPP

// What every frontend stands on. A frontend reads one framework's files and builds a moir::model;
// the parts that do not depend on the framework live here, once:
// - load_options / load_request: what the user asked for (files, --input_shape, framework flags);
// - basic_op_table<Context>: framework op type (+ domain, + since-version) -> converter function;
// - graph_builder: tensor names -> moir outputs, Parameters with --input_shape overrides checked
//   against the file, Results named after the graph's outputs (names survive every pass);
// - unsupported_ops: every op the table cannot convert, reported at once with counts;
// - basic_context<NodeView>: what a converter sees of one framework node, over the framework's
//   node view (typed attributes with defaults, inputs as moir outputs, constants, building nodes);
// - convert_nodes: the loop that runs the converters and names the failing node in errors.
// The frontend concept and the list of frontends are in frontends/registry.hpp.

#include <moir/core/errors.hpp>
#include <moir/core/extensions.hpp>
#include <moir/core/model.hpp>
#include <moir/frontends/common/load_options.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

#include <cctype>         // tolower
#include <cstdint>        // int64_t
#include <exception>      // exception
#include <filesystem>     // path, is_regular_file
#include <fstream>        // ifstream
#include <functional>     // function
#include <map>            // map
#include <optional>       // optional
#include <set>            // set
#include <string>         // string
#include <string_view>    // string_view
#include <unordered_map>  // unordered_map
#include <utility>        // move
#include <vector>         // vector

// The explicit instantiations each framework's header lists at its end (its converter table and its
// frontend::load): moir::compiled compiles them once, one translation unit per frontend
// (cmake/compiled/frontend.cpp.in defines this macro empty before it includes the header), and the
// program's other translation units, under MOIR_COMPILED_FRONTENDS, only declare them (extern).
// Without moir::compiled the macro stays undefined and the header compiles them where they are used.
#if defined(MOIR_COMPILED_FRONTENDS) && !defined(MOIR_DETAIL_FRONTEND_EXTERN)
#define MOIR_DETAIL_FRONTEND_EXTERN extern
#endif

namespace moir::frontends {

// load_options, load_request: frontends/common/load_options.hpp.

/// Lower-case extension with the dot ("model.ONNX" -> ".onnx"); "" for none.
inline std::string extension_of(const std::string& path) {
    std::string e = std::filesystem::path(path).extension().string();
    for (auto& ch : e) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return e;
}

/// The first `n` bytes of a regular file ("" for anything else or an unreadable file).
inline std::string file_head(const std::string& path, std::size_t n = 64) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return {};
    std::ifstream f(path, std::ios::binary);
    std::string head(n, '\0');
    f.read(head.data(), static_cast<std::streamsize>(n));
    head.resize(static_cast<std::size_t>(f ? n : f.gcount()));
    return head;
}

/// "1 node", "3 nodes".
inline std::string count_of(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

/// Collects the op types a frontend cannot convert, to report them all at once.
class unsupported_ops {
public:
    /// Counts one node of op type `op` (already qualified by domain or version where that matters).
    void add(const std::string& op) { ++counts_[op]; }
    bool empty() const { return counts_.empty(); }
    /// "A (2 nodes), B (1 node)", sorted by op type.
    std::string str() const {
        std::string s;
        for (const auto& [op, n] : counts_) s += (s.empty() ? "" : ", ") + op + " (" + count_of(n, "node") + ")";
        return s;
    }
    /// ensures: throws moir::unsupported_error "<source>: unsupported <framework> ops: ..." unless empty().
    void check(const std::string& source, const std::string& framework) const {
        MOIR_CHECK(empty(), unsupported_error, source + ": unsupported " + framework + " ops: " + str());
    }
    const std::map<std::string, std::size_t>& counts() const { return counts_; }

private:
    std::map<std::string, std::size_t> counts_;
};

/// Framework op type -> converter, per domain, with the first version each converter handles.
/// Several entries for one op are allowed: find() takes the one with the highest since_version <=
/// the model's version, the one added last among equals. A user's mapping is added to a copy of a
/// frontend's default table (or registered in moir::extensions(): core/extensions.hpp), and so
/// overrides moir's own.
template <class Context>
class basic_op_table {
public:
    /// A converter adds the moir nodes of one framework node and binds every output it produces.
    using converter = std::function<void(Context&)>;

    /// Registers `fn` for op_type in `domain` ("" = the framework's default) from version `since` on.
    void add(const std::string& op_type, converter fn, std::int64_t since = 1, const std::string& domain = "") {
        entries_[key(domain, op_type)].push_back({since, std::move(fn)});
    }
    /// The converter of op_type at `version`, or nullptr.
    const converter* find(const std::string& domain, const std::string& op_type, std::int64_t version = 1) const {
        const auto it = entries_.find(key(domain, op_type));
        if (it == entries_.end()) return nullptr;
        const converter* best = nullptr;
        std::int64_t best_since = -1;
        for (const auto& e : it->second)
            if (e.since <= version && e.since >= best_since) {
                best = &e.fn;
                best_since = e.since;
            }
        return best;
    }
    /// Whether any version of op_type is registered in domain.
    bool contains(const std::string& domain, const std::string& op_type) const {
        return entries_.count(key(domain, op_type)) != 0;
    }

private:
    struct entry {
        std::int64_t since;
        converter fn;
    };
    static std::string key(const std::string& domain, const std::string& op) { return domain + "::" + op; }
    std::unordered_map<std::string, std::vector<entry>> entries_;
};

/// The state of one graph conversion: framework tensor names -> moir outputs, and the model's
/// Parameters and Results. One per graph.
class graph_builder {
public:
    /// `source` names the file in errors; `options` gives the --input_shape overrides.
    graph_builder(model& m, std::string source, const load_options& options)
        : m_(&m), source_(std::move(source)), options_(&options) {}

    model& graph() { return *m_; }
    const std::string& source() const { return source_; }
    const load_options& options() const { return *options_; }

    /// Adds the Parameter of graph input `name` with the type and shape the file declares, unless
    /// --input_shape overrides the shape (by name, else by the input's position). An override must
    /// keep the declared rank and every dim the file fixes. ensures: the input is bound to `name`.
    output_ref add_parameter(const std::string& name, element_type type, partial_shape declared) {
        const std::string where = source_ + ": input '" + name + "'";
        partial_shape shp = declared;
        const auto named = options_->input_shapes.find(name);
        const bool by_position = named == options_->input_shapes.end() &&
                                 position_ < options_->input_shapes_by_position.size();
        if (named != options_->input_shapes.end()) shp = named->second;
        else if (by_position) shp = options_->input_shapes_by_position[position_];
        if ((named != options_->input_shapes.end() || by_position) && !declared.rank_dynamic && !shp.rank_dynamic) {
            MOIR_CHECK(shp.rank() == declared.rank(), shape_error,
                       where + ": --input_shape " + shp.str() + " has rank " + std::to_string(shp.rank()) +
                           ", the model's input has rank " + std::to_string(declared.rank()));
            for (std::size_t i = 0; i < shp.rank(); ++i)
                MOIR_CHECK(declared.dims[i] < 0 || shp.dims[i] < 0 || declared.dims[i] == shp.dims[i], shape_error,
                           where + ": --input_shape " + shp.str() + " conflicts with dim " + std::to_string(i) + " = " +
                               std::to_string(declared.dims[i]));
        }
        ++position_;
        const node_id id = m_->add<ops::parameter>({type, shp}, {}, name);
        m_->infer_node(id);
        m_->parameters.push_back(id);
        bind(name, {id, 0});
        return {id, 0};
    }

    /// ensures: throws moir::error when --input_shape gives more shapes than the model has inputs,
    /// or names an input the model does not have. Call once every input is added.
    void finish_parameters() const {
        MOIR_CHECK(options_->input_shapes_by_position.size() <= position_, error,
                   source_ + ": " + std::to_string(options_->input_shapes_by_position.size()) +
                       " input shapes given, the model has " + count_of(position_, "input"));
        for (const auto& [name, s] : options_->input_shapes) {
            bool found = false;
            for (auto p : m_->parameters) found = found || m_->at(p).name == name;
            MOIR_CHECK(found, error, source_ + ": --input_shape names '" + name + "', which is not an input of the model");
        }
    }

    /// Binds framework tensor `tensor` to r and gives r's port that name (kept through every pass).
    void bind(const std::string& tensor, output_ref r) {
        values_[tensor] = r;
        auto& names = m_->at(r.node).outputs.at(r.port).names;
        for (const auto& n : names)
            if (n == tensor) return;
        names.push_back(tensor);
    }
    bool has(const std::string& tensor) const { return values_.count(tensor) != 0; }
    /// The moir output bound to `tensor`; an unbound name goes to the lazy source (a frontend's
    /// weights, materialized on first use). ensures: throws moir::parse_error when nothing produces it.
    output_ref value(const std::string& tensor) {
        const auto it = values_.find(tensor);
        if (it != values_.end()) return it->second;
        if (lazy_) {
            if (auto r = lazy_(tensor)) {
                bind(tensor, *r);
                return *r;
            }
        }
        throw parse_error("reads tensor '" + tensor + "', which nothing produces");
    }
    /// Sets the function that makes an unbound tensor on first use (nullopt: it does not know it).
    void set_lazy_source(std::function<std::optional<output_ref>(const std::string&)> fn) { lazy_ = std::move(fn); }
    /// The moir output bound to `tensor`, or nullopt.
    std::optional<output_ref> find(const std::string& tensor) const {
        const auto it = values_.find(tensor);
        if (it == values_.end()) return std::nullopt;
        return it->second;
    }

    /// Adds the Result of graph output `tensor`, named after it (and the name is among its
    /// producer's tensor names), so that `model::output_name` gives it back after any pass.
    /// ensures: throws moir::parse_error "<source>: output 'x' is produced by no node".
    node_id add_result(const std::string& tensor) {
        std::optional<output_ref> src = find(tensor);
        if (!src && lazy_) src = lazy_(tensor);
        MOIR_CHECK(src, parse_error, source_ + ": output '" + tensor + "' is produced by no node");
        bind(tensor, *src);
        const node_id r = m_->add<ops::result>({}, {*src}, tensor);
        m_->results.push_back(r);
        return r;
    }

    /// Validates the graph and drops what no output reads. ensures: errors name the source.
    void finish() {
        try {
            m_->validate();
        } catch (const std::exception& e) {
            throw error(source_ + ": " + e.what());
        }
        m_->remove_dead();
    }

private:
    model* m_;
    std::string source_;
    const load_options* options_;
    std::size_t position_ = 0;
    std::unordered_map<std::string, output_ref> values_;
    std::function<std::optional<output_ref>(const std::string&)> lazy_;
};

/// What a converter sees of one framework node, over the framework's node view. NodeView gives:
///   std::string name() const; std::string op_type() const;
///   std::size_t input_count() const; std::string input_name(std::size_t) const ("" = absent);
///   std::size_t output_count() const; std::string output_name(std::size_t) const ("" = unused);
///   template <class T> std::optional<T> attribute(const std::string&) const (nullopt when absent).
/// A frontend derives its context from this to add what only it has (ONNX's opset, say).
template <class NodeView>
class basic_context {
public:
    basic_context(graph_builder& g, const NodeView& n) : g_(&g), n_(&n) {}

    const NodeView& node() const { return *n_; }
    /// The node's name for moir nodes and messages: its name, else its first output, else its op type.
    std::string name() const {
        std::string nm = n_->name();
        if (nm.empty() && n_->output_count() > 0) nm = n_->output_name(0);
        return nm.empty() ? n_->op_type() : nm;
    }
    std::string op_type() const { return n_->op_type(); }
    moir::model& model() { return g_->graph(); }
    graph_builder& builder() { return *g_; }

    // ---- inputs ----
    /// Number of inputs listed (optional ones may be listed empty).
    std::size_t input_count() const { return n_->input_count(); }
    /// Whether input i is listed and not empty.
    bool has_input(std::size_t i) const { return i < n_->input_count() && !n_->input_name(i).empty(); }
    /// The moir output feeding input i. requires: has_input(i) (throws moir::error otherwise).
    output_ref input(std::size_t i) {
        MOIR_CHECK(has_input(i), error, "input " + std::to_string(i) + " is missing");
        return value(n_->input_name(i));
    }
    /// Type and shape of input i.
    const output_port& input_port(std::size_t i) { return model().port(input(i)); }
    /// The value of input i when a constant produces it, else nullopt.
    std::optional<tensor> const_input(std::size_t i) {
        if (!has_input(i)) return std::nullopt;
        return const_value(input(i));
    }
    /// Like const_input, but an error naming `what` when input i is not constant.
    tensor require_const(std::size_t i, const char* what) {
        auto v = const_input(i);
        MOIR_CHECK(v, unsupported_error, std::string(what) + " (input " + std::to_string(i) + ") must be a constant");
        return *v;
    }
    /// Input i's constant value as integers (any integer type). ensures: errors name `what`.
    std::vector<std::int64_t> const_ints(std::size_t i, const char* what) {
        return require_const(i, what).template to_vector<std::int64_t>();
    }
    /// The value of r when a Constant produces it, else nullopt.
    std::optional<tensor> const_value(output_ref r) const {
        const auto& p = g_->graph().at(r.node);
        if (p.template is<ops::constant>()) return p.template attrs_as<ops::constant>().value;
        return std::nullopt;
    }
    /// The moir output bound to a framework tensor name (graph_builder::value).
    output_ref value(const std::string& tensor) { return g_->value(tensor); }

    // ---- attributes ----
    /// Attribute `key` as T, or `def` when the node does not have it.
    template <class T>
    T attr(const std::string& key, T def) const {
        auto v = n_->template attribute<T>(key);
        return v ? std::move(*v) : std::move(def);
    }
    /// Attribute `key` as T. ensures: throws moir::error naming the attribute when it is absent.
    template <class T>
    T require_attr(const std::string& key) const {
        auto v = n_->template attribute<T>(key);
        MOIR_CHECK(v, error, "attribute '" + key + "' is required");
        return std::move(*v);
    }

    // ---- building ----
    /// Adds a moir node named after this node (plus `suffix`), infers its outputs at once, and
    /// returns its output 0.
    template <class Op>
    output_ref add(typename Op::attrs a, std::vector<output_ref> inputs, const std::string& suffix = "") {
        return {add_node<Op>(std::move(a), std::move(inputs), suffix), 0};
    }
    /// Like add, returning the node id (for multi-output ops).
    template <class Op>
    node_id add_node(typename Op::attrs a, std::vector<output_ref> inputs, const std::string& suffix = "") {
        const node_id id = model().template add<Op>(std::move(a), std::move(inputs), name() + suffix);
        model().infer_node(id);
        return id;
    }
    /// A Constant holding t.
    output_ref constant(tensor t, const std::string& suffix) { return add<ops::constant>({std::move(t)}, {}, suffix); }
    /// A 1-D i64 Constant (shapes, axes, pads).
    output_ref constant_i64(const std::vector<std::int64_t>& v, const std::string& suffix) {
        return constant(tensor::from_vector(v), suffix);
    }

    // ---- outputs ----
    std::size_t output_count() const { return n_->output_count(); }
    bool output_used(std::size_t i) const { return i < n_->output_count() && !n_->output_name(i).empty(); }
    /// Binds output i's tensor name to r (no-op for an unused output).
    void set_output(std::size_t i, output_ref r) {
        if (output_used(i)) g_->bind(n_->output_name(i), r);
    }

private:
    graph_builder* g_;
    const NodeView* n_;
};

/// Runs `convert(ctx)` for each node view in `nodes`, in order, with a `Context` over each.
/// ensures: an error inside a converter becomes moir::error "<source>: node 'N' (Op): reason";
/// every output a node lists is bound afterwards (else an error naming it).
template <class Context, class Nodes, class MakeContext, class Convert>
void convert_nodes(graph_builder& g, const Nodes& nodes, MakeContext make_context, Convert convert) {
    for (const auto& n : nodes) {
        Context ctx = make_context(n);
        const std::string where = g.source() + ": node '" + ctx.name() + "' (" + ctx.op_type() + ")";
        try {
            convert(ctx);
        } catch (const unsupported_error& e) {  // the kind of error is kept, the node named
            throw unsupported_error(where + ": " + e.what());
        } catch (const shape_error& e) {
            throw shape_error(where + ": " + e.what());
        } catch (const parse_error& e) {
            throw parse_error(where + ": " + e.what());
        } catch (const std::exception& e) {
            throw error(where + ": " + e.what());
        }
        for (std::size_t i = 0; i < ctx.output_count(); ++i)
            MOIR_CHECK(!ctx.output_used(i) || g.has(n.output_name(i)), error,
                       where + ": output '" + n.output_name(i) + "' was not produced");
    }
}

}  // namespace moir::frontends

#endif  // MOIR_FRONTENDS_COMMON_FRONTEND_HPP
