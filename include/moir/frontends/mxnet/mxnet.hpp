#ifndef MOIR_FRONTENDS_MXNET_MXNET_HPP
#define MOIR_FRONTENDS_MXNET_MXNET_HPP

// The MXNet frontend: moir::mxnet::load(path) reads a checkpoint, `<prefix>-symbol.json` (the graph)
// and `<prefix>-NNNN.params` (the weights), from either file, and returns a moir::model (NCHW, as
// MXNet). Variables found in the params are Constants; the other variables are the graph's inputs
// (their shape from `__shape__` when the symbol has it, else from --input_shape); labels read only
// by a loss output (SoftmaxOutput's second input, ...) are dropped. The outputs are the symbol's
// heads. The Model Optimizer's flags: --input_symbol (the symbol file, when it is not beside the
// params), and --nd_prefix_name with --pretrained_model_name (weights from `<nd>_args.nd` and
// `<nd>_auxs.nd` over the `arg:` weights of a pretrained .params). Opt-in: not in <moir/moir.hpp>.

#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/mxnet/converter.hpp>
#include <moir/frontends/mxnet/ops/elementwise.hpp>
#include <moir/frontends/mxnet/ops/nn.hpp>
#include <moir/frontends/mxnet/ops/tensor.hpp>
#include <moir/frontends/mxnet/params.hpp>
#include <moir/frontends/mxnet/symbol.hpp>

#include <array>          // array
#include <cstring>        // memcmp
#include <filesystem>     // path, directory_iterator
#include <map>            // map
#include <set>            // set
#include <string>         // string
#include <string_view>    // string_view
#include <unordered_map>  // unordered_map
#include <vector>         // vector

namespace moir::mxnet {

namespace detail {
template <class = void>
const op_table& default_table_impl() {
    static const op_table table = [] {
        op_table t;
        register_elementwise(t);
        register_nn(t);
        register_tensor(t);
        return t;
    }();
    return table;
}

/// The loss outputs whose second input is a label (not an input at inference).
inline bool is_loss_output(const std::string& op) {
    static const std::set<std::string> ops{"SoftmaxOutput", "Softmax", "LinearRegressionOutput",
                                           "LogisticRegressionOutput", "MAERegressionOutput"};
    return ops.count(op) != 0;
}
/// Whether input k of an op is a learned parameter (a weight that must come from the params).
inline bool is_weight_input(const symbol_node& n, std::size_t k) {
    if (k == 0) return false;
    static const std::set<std::string> layers{"Convolution", "Deconvolution", "FullyConnected", "BatchNorm"};
    if (layers.count(n.op)) return true;
    if (n.op == "LeakyReLU") return true;
    if (n.op == "UpSampling") {
        const auto it = n.attrs.find("sample_type");
        return it != n.attrs.end() && it->second == "bilinear";
    }
    return false;
}
}  // namespace detail

/// Every converter moir ships. Add a family: a file in ops/ and a line in default_table_impl.
template <class = void>
const op_table& default_table() { return detail::default_table_impl<>(); }

/// How to read an MXNet model: the common options and the converters (default_table() when null).
struct load_options : frontends::load_options {
    const op_table* table = nullptr;
};

/// Lists every operator of `s` that `table` cannot convert.
inline frontends::unsupported_ops unsupported(const symbol& s, const op_table& table) {
    frontends::unsupported_ops u;
    for (const auto& n : s.nodes)
        if (n.op != "null" && !table.find("", n.op)) u.add(n.op);
    return u;
}

/// Converts a symbol with its weights. `params_source` names the weights' file in errors.
/// ensures: a validated model; moir::unsupported_error listing every unsupported op with counts
/// (before any node is built); moir::error "<symbol>: node 'N' (Op): reason" for the first node
/// that fails, or naming a weight the params do not hold.
template <class = void>
model convert(const symbol& s, const param_set& params, const std::string& params_source,
                     const load_options& opt = {}) {
    const op_table& table = opt.table ? *opt.table : with_extensions("mxnet", default_table());
    const std::string& source = s.source;
    unsupported(s, table).check(source, "MXNet");

    std::set<std::string> names;
    for (const auto& n : s.nodes)
        MOIR_CHECK(names.insert(n.name).second, parse_error, source + ": two nodes are named '" + n.name + "'");

    // which outputs are read; which variables are labels, weights or inputs
    std::vector<std::vector<bool>> used(s.nodes.size());
    for (std::size_t i = 0; i < s.nodes.size(); ++i) used[i].assign(s.output_counts[i], false);
    std::vector<bool> read_as_data(s.nodes.size(), false);
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
        const auto& n = s.nodes[i];
        for (std::size_t k = 0; k < n.inputs.size(); ++k) {
            const entry& e = n.inputs[k];
            used[e.node][e.index] = true;
            const auto& src = s.nodes[e.node];
            if (src.op != "null" || params.find(src.name)) continue;
            if (k == 1 && detail::is_loss_output(n.op)) continue;  // a label
            MOIR_CHECK(!detail::is_weight_input(n, k), parse_error,
                       source + ": node '" + n.name + "' (" + n.op + ") reads weight '" + src.name + "', which " +
                           params_source + " does not hold");
            read_as_data[e.node] = true;
        }
    }
    for (const auto& h : s.heads) {
        used[h.node][h.index] = true;
        if (s.nodes[h.node].op == "null" && !params.find(s.nodes[h.node].name)) read_as_data[h.node] = true;
    }

    model m;
    m.name = std::filesystem::path(source).filename().string();
    if (const auto p = m.name.rfind("-symbol.json"); p != std::string::npos && p > 0) m.name = m.name.substr(0, p);
    else if (const auto d = m.name.rfind('.'); d != std::string::npos && d > 0) m.name = m.name.substr(0, d);
    frontends::graph_builder b(m, source, opt);
    std::unordered_map<std::string, const tensor*> weights;
    for (const auto& n : s.nodes)
        if (n.op == "null")
            if (const tensor* t = params.find(n.name)) weights[n.name] = t;
    b.set_lazy_source([&](const std::string& name) -> std::optional<output_ref> {
        const auto it = weights.find(name);
        if (it == weights.end()) return std::nullopt;
        tensor v = *it->second;
        if (v.type() == element_type::f16 || v.type() == element_type::f64) v = v.converted(element_type::f32);
        const node_id id = m.add<ops::constant>({std::move(v)}, {}, name);
        m.infer_node(id);
        return output_ref{id, 0};
    });
    for (std::size_t i = 0; i < s.nodes.size(); ++i) {
        const auto& n = s.nodes[i];
        if (n.op != "null" || !read_as_data[i]) continue;
        partial_shape declared = partial_shape::dynamic();
        const auto sh = n.attrs.find("__shape__");
        if (sh != n.attrs.end()) {
            declared = partial_shape(std::vector<std::int64_t>{});
            for (const auto& item : detail::tuple_items(sh->second)) {
                const auto d = detail::parse_int(item);
                MOIR_CHECK(d, parse_error, source + ": input '" + n.name + "' has __shape__ '" + sh->second + "'");
                declared.dims.push_back(*d <= 0 ? dynamic_dim : *d);  // MXNet: 0 = unknown
            }
        }
        element_type et = element_type::f32;
        const auto dt = n.attrs.find("__dtype__");
        if (dt != n.attrs.end()) {
            const auto code = detail::parse_int(dt->second);
            const auto t = code ? element_type_of_mshadow(static_cast<std::int32_t>(*code)) : std::nullopt;
            MOIR_CHECK(t, unsupported_error, source + ": input '" + n.name + "' has __dtype__ " + dt->second);
            et = *t;
        }
        b.add_parameter(n.name, et, declared);
    }
    b.finish_parameters();

    std::vector<node_view> views;
    for (std::size_t i = 0; i < s.nodes.size(); ++i)
        if (s.nodes[i].op != "null") views.emplace_back(s, i, used[i]);
    frontends::convert_nodes<context>(
        b, views, [&](const node_view& v) { return context(b, v); },
        [&](context& c) { (*table.find("", c.op_type()))(c); });
    for (const auto& h : s.heads) {
        const std::string t = tensor_name(s.nodes[h.node].name, h.index);
        bool twice = false;
        for (auto r : m.results) twice = twice || m.at(r).name == t;
        if (!twice) b.add_result(t);
    }
    b.finish();
    return m;
}

/// The files of one MXNet model.
struct model_files {
    std::string symbol;                   ///< the symbol JSON
    std::vector<std::string> params;      ///< weight files, applied in order (later entries win)
    std::vector<bool> bare_is_aux;        ///< per weight file: whether its bare names are aux
};

namespace detail {
inline bool is_params_head(std::string_view head) {
    static const unsigned char magic[8] = {0x12, 0x01, 0, 0, 0, 0, 0, 0};
    return head.size() >= 8 && std::memcmp(head.data(), magic, 8) == 0;
}
/// "dir/name-0012.params" -> "dir/name"; "" when the stem has no "-<number>" epoch.
inline std::string checkpoint_prefix(const std::string& params_path) {
    const std::filesystem::path p(params_path);
    const std::string stem = p.stem().string();
    const auto dash = stem.rfind('-');
    if (dash == std::string::npos || dash + 1 == stem.size() ||
        stem.find_first_not_of("0123456789", dash + 1) != std::string::npos)
        return {};
    return (p.parent_path() / stem.substr(0, dash)).string();
}
}  // namespace detail

/// Which files to read for `input_model` and the options (see the header comment).
/// ensures: moir::error naming what is missing.
inline model_files locate(const std::string& input_model, const frontends::load_options& opt) {
    namespace fs = std::filesystem;
    model_files f;
    const std::string symbol_flag = opt.option("input_symbol");
    const std::string nd = opt.option("nd_prefix_name");
    const std::string pretrained = opt.option("pretrained_model_name");
    const auto exists = [](const std::string& p) {
        std::error_code ec;
        return fs::is_regular_file(p, ec);
    };
    if (!nd.empty() || !pretrained.empty()) {
        MOIR_CHECK(!nd.empty() && !pretrained.empty() && !symbol_flag.empty(), error,
                   "--nd_prefix_name, --pretrained_model_name and --input_symbol go together: give all three or none");
        const fs::path dir = fs::path(pretrained).parent_path();
        f.symbol = symbol_flag;
        f.params = {pretrained, (dir / (nd + "_args.nd")).string(), (dir / (nd + "_auxs.nd")).string()};
        f.bare_is_aux = {false, false, true};
    } else if (!input_model.empty() && (frontends::extension_of(input_model) == ".json")) {
        f.symbol = input_model;
        std::string prefix = input_model;
        if (prefix.size() > 12 && prefix.compare(prefix.size() - 12, 12, "-symbol.json") == 0) prefix.resize(prefix.size() - 12);
        else prefix.resize(prefix.size() - 5);
        // the latest epoch's <prefix>-NNNN.params beside it
        std::string best;
        std::error_code ec;
        const fs::path dir = fs::path(prefix).parent_path().empty() ? fs::path(".") : fs::path(prefix).parent_path();
        for (const auto& e : fs::directory_iterator(dir, ec)) {
            const std::string p = e.path().string();
            if (e.path().extension() != ".params" || detail::checkpoint_prefix(p) != (fs::path(dir) / fs::path(prefix).filename()).string()) continue;
            if (best.empty() || e.path().filename().string() > fs::path(best).filename().string()) best = p;
        }
        MOIR_CHECK(!best.empty(), error, input_model + ": no " + prefix + "-NNNN.params beside it (give the .params as --input_model)");
        f.params = {best};
        f.bare_is_aux = {false};
    } else {
        f.params = {input_model};
        f.bare_is_aux = {frontends::extension_of(input_model) == ".nd" && input_model.find("auxs") != std::string::npos};
        if (!symbol_flag.empty()) {
            f.symbol = symbol_flag;
        } else {
            const std::string prefix = detail::checkpoint_prefix(input_model);
            MOIR_CHECK(!prefix.empty(), error,
                       input_model + ": the name is not <prefix>-<epoch>.params, so the symbol file cannot be found; give it with --input_symbol");
            f.symbol = prefix + "-symbol.json";
        }
    }
    MOIR_CHECK(exists(f.symbol), error, "cannot open " + f.symbol + ": no such file (the MXNet symbol; give it with --input_symbol)");
    for (const auto& p : f.params) MOIR_CHECK(exists(p), error, "cannot open " + p + ": no such file");
    return f;
}

/// Reads and converts an MXNet model from either of its files. ensures: as convert(); reading errors
/// name the file (and the byte offset for the .params).
template <class = void>
model load(const std::string& path, const load_options& opt = {}) {
    const model_files f = locate(path, opt);
    param_set p;
    std::string sources;
    for (std::size_t i = 0; i < f.params.size(); ++i) {
        add_params(p, read_ndarray_list(f.params[i]), f.bare_is_aux[i]);
        sources += (sources.empty() ? "" : ", ") + f.params[i];
    }
    return convert(read_symbol(f.symbol), p, sources, opt);
}

/// The frontend (frontends/registry.hpp): --framework mxnet, a .params file (or its -symbol.json).
struct frontend {
    static constexpr const char* name = "mxnet";
    static constexpr std::array<const char*, 2> extensions{".params", ".nd"};
    /// An NDArray list (magic 0x112), or JSON with "nodes" whose file name ends in -symbol.json.
    static bool recognizes(const std::string& path, std::string_view head) {
        if (detail::is_params_head(head)) return true;
        const bool symbol_name = path.size() > 12 && path.compare(path.size() - 12, 12, "-symbol.json") == 0;
        return symbol_name && head.find("\"nodes\"") != std::string_view::npos;
    }
    template <class = void>  // a template so that moir::compiled can compile it once (see below)
    static model load(const frontends::load_request& r) {
        load_options o;
        static_cast<frontends::load_options&>(o) = r.options;
        return mxnet::load(r.input_model, o);
    }
};


// Compiled once in moir::compiled, declared extern elsewhere (see MOIR_DETAIL_FRONTEND_EXTERN).
#if defined(MOIR_DETAIL_FRONTEND_EXTERN)
MOIR_DETAIL_FRONTEND_EXTERN template const op_table& detail::default_table_impl<void>();
MOIR_DETAIL_FRONTEND_EXTERN template model frontend::load<void>(const frontends::load_request&);
MOIR_DETAIL_FRONTEND_EXTERN template model load<void>(const std::string&, const load_options&);
#endif

}  // namespace moir::mxnet

#endif  // MOIR_FRONTENDS_MXNET_MXNET_HPP
