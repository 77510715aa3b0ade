#ifndef MOIR_FRONTENDS_MXNET_CONVERTER_HPP
#define MOIR_FRONTENDS_MXNET_CONVERTER_HPP

// The MXNet frontend's extension point. Each MXNet operator name maps to a converter that reads one
// symbol node through a `context` and adds moir nodes. Converters live in per-family files under
// frontends/mxnet/ops/, each with a register_*(op_table&); frontends/mxnet/mxnet.hpp lists them.
//
// MXNet is NCHW, as moir's convolutions and pools: no layout change. Attributes are strings in the
// symbol file ("(3, 3)", "True", "0.001"); node_view parses them into the type a converter asks for.
// A variable found in the .params file is a Constant (made when first read), any other variable
// is a graph input. Output k of node N is the tensor "N" (k = 0) or "N:k".

#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/mxnet/symbol.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/reshape.hpp>

#include <cctype>       // isspace
#include <cstdint>      // int64_t
#include <cstdlib>      // strtoll, strtod
#include <optional>     // optional
#include <string>       // string
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace moir::mxnet {

/// The tensor name of output `index` of node `name`.
inline std::string tensor_name(const std::string& name, std::size_t index) {
    return index == 0 ? name : name + ":" + std::to_string(index);
}

namespace detail {
inline std::string trimmed(const std::string& s) {
    std::size_t a = 0, b = s.size();
    while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
    while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
    return s.substr(a, b - a);
}
inline std::optional<std::int64_t> parse_int(const std::string& s) {
    const std::string t = trimmed(s);
    if (t.empty()) return std::nullopt;
    char* end = nullptr;
    const long long v = std::strtoll(t.c_str(), &end, 10);
    if (*end == 'L' || *end == 'l') ++end;  // Python 2's long literals, "(1L, 3L)"
    if (end != t.c_str() + t.size()) return std::nullopt;
    return v;
}
inline std::optional<double> parse_double(const std::string& s) {
    const std::string t = trimmed(s);
    if (t.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (end != t.c_str() + t.size()) return std::nullopt;
    return v;
}
/// "(3, 3)", "[3,3]", "3", "()" -> the comma-separated items.
inline std::vector<std::string> tuple_items(const std::string& s) {
    std::string t = trimmed(s);
    if (!t.empty() && (t.front() == '(' || t.front() == '[') && (t.back() == ')' || t.back() == ']'))
        t = t.substr(1, t.size() - 2);
    std::vector<std::string> items;
    std::size_t start = 0;
    while (start <= t.size()) {
        const auto comma = t.find(',', start);
        const std::string item = trimmed(t.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
        if (!item.empty()) items.push_back(item);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return items;
}
}  // namespace detail

/// What basic_context sees of one symbol node: its inputs as tensor names, its outputs (an output
/// nothing reads has the name ""), and its string attributes parsed on request.
class node_view {
public:
    /// `used[k]`: whether the graph reads output k.
    node_view(const symbol& s, std::size_t index, std::vector<bool> used) : s_(&s), i_(index), used_(std::move(used)) {}
    const symbol_node& node() const { return s_->nodes[i_]; }
    std::size_t index() const { return i_; }
    std::string name() const { return node().name; }
    std::string op_type() const { return node().op; }
    std::size_t input_count() const { return node().inputs.size(); }
    std::string input_name(std::size_t k) const {
        if (k >= node().inputs.size()) return {};
        const entry& e = node().inputs[k];
        return tensor_name(s_->nodes[e.node].name, e.index);
    }
    /// The symbol node feeding input k. requires: k < input_count().
    const symbol_node& input_node(std::size_t k) const { return s_->nodes[node().inputs.at(k).node]; }
    std::size_t output_count() const { return used_.size(); }
    std::string output_name(std::size_t k) const { return k < used_.size() && used_[k] ? tensor_name(name(), k) : std::string(); }

    /// Whether the node has attribute `key` (with a value other than "None").
    bool has(const std::string& key) const {
        const auto it = node().attrs.find(key);
        return it != node().attrs.end() && detail::trimmed(it->second) != "None";
    }
    /// The attribute as T, or nullopt when absent or "None". T: int64_t, double, float, bool,
    /// std::string, std::vector<int64_t>, std::vector<double>. ensures: moir::error naming the
    /// attribute and its text when it does not parse as T.
    template <class T>
    std::optional<T> attribute(const std::string& key) const {
        const auto it = node().attrs.find(key);
        if (it == node().attrs.end()) return std::nullopt;
        const std::string& v = it->second;
        if (detail::trimmed(v) == "None") return std::nullopt;
        const auto bad = [&](const char* what) {
            return error("attribute '" + key + "' = '" + v + "' is not " + what);
        };
        if constexpr (std::is_same_v<T, std::string>) {
            return v;
        } else if constexpr (std::is_same_v<T, bool>) {
            const std::string t = detail::trimmed(v);
            if (t == "True" || t == "true" || t == "1") return true;
            if (t == "False" || t == "false" || t == "0") return false;
            throw bad("a boolean");
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
            if (auto x = detail::parse_int(v)) return *x;
            throw bad("an integer");
        } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            if (auto x = detail::parse_double(v)) return static_cast<T>(*x);
            throw bad("a number");
        } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
            std::vector<std::int64_t> r;
            for (const auto& item : detail::tuple_items(v)) {
                const auto x = detail::parse_int(item);
                if (!x) throw bad("a tuple of integers");
                r.push_back(*x);
            }
            return r;
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
            std::vector<double> r;
            for (const auto& item : detail::tuple_items(v)) {
                const auto x = detail::parse_double(item);
                if (!x) throw bad("a tuple of numbers");
                r.push_back(*x);
            }
            return r;
        } else {
            static_assert(sizeof(T) == 0, "moir: unsupported MXNet attribute type");
        }
    }

private:
    const symbol* s_;
    std::size_t i_;
    std::vector<bool> used_;
};

/// What a converter sees of one MXNet node: basic_context plus shape helpers.
class context : public frontends::basic_context<node_view> {
public:
    context(frontends::graph_builder& g, const node_view& n) : basic_context(g, n) {}

    /// Integer-tuple attribute `key`, or `def`.
    std::vector<std::int64_t> ints(const std::string& key, std::vector<std::int64_t> def = {}) const {
        return attr<std::vector<std::int64_t>>(key, std::move(def));
    }
    /// `v` when it has n values, n copies of `fill` when empty; else moir::error naming `key`.
    std::vector<std::int64_t> per_axis(const std::string& key, std::size_t n, std::int64_t fill) const {
        std::vector<std::int64_t> v = ints(key);
        if (v.empty()) return std::vector<std::int64_t>(n, fill);
        MOIR_CHECK(v.size() == n, error,
                   "attribute '" + key + "' has " + std::to_string(v.size()) + " values, the kernel has " + std::to_string(n));
        return v;
    }
    /// Input k's shape. ensures: moir::shape_error naming `what` when it is not static.
    shape static_shape(std::size_t k, const char* what) {
        const partial_shape& p = input_port(k).shape;
        MOIR_CHECK(p.is_static(), shape_error,
                   std::string(what) + " needs the static shape of input " + std::to_string(k) + ", it is " + p.str() +
                       " (give the input's shape with --input_shape)");
        return shape(p.dims.begin(), p.dims.end());
    }
    /// Input k's rank. ensures: moir::shape_error naming `what` when it is unknown.
    std::size_t rank(std::size_t k, const char* what) {
        const partial_shape& p = input_port(k).shape;
        MOIR_CHECK(!p.rank_dynamic, shape_error,
                   std::string(what) + " needs the rank of input " + std::to_string(k) + " (give --input_shape)");
        return p.rank();
    }
    /// The weight feeding input k, as a constant. ensures: moir::error naming `what` otherwise.
    tensor weight(std::size_t k, const char* what) { return require_const(k, what); }
    /// A scalar Constant of x's element type.
    output_ref scalar_like(output_ref x, double v, const std::string& suffix) {
        const element_type t = model().port(x).type;
        return constant(tensor::scalar(v).converted(t == element_type::undefined ? element_type::f32 : t), suffix);
    }
    /// x reshaped to `dims` (0 copies the input dim, -1 is inferred: Reshape with special_zero).
    output_ref reshape(output_ref x, const std::vector<std::int64_t>& dims, const std::string& suffix) {
        return add<ops::reshape>({true}, {x, constant_i64(dims, suffix + "/shape")}, suffix);
    }
};

/// MXNet operator name -> converter.
using op_table = frontends::basic_op_table<context>;
using converter = op_table::converter;

}  // namespace moir::mxnet

#endif  // MOIR_FRONTENDS_MXNET_CONVERTER_HPP
