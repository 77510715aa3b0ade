#ifndef MOIR_FRONTENDS_TENSORFLOW_CONVERTER_HPP
#define MOIR_FRONTENDS_TENSORFLOW_CONVERTER_HPP

// The TensorFlow frontend's extension point. Each TF op type maps to a converter that reads one
// NodeDef through a `context` and adds moir nodes for it. Converters live in per-family files under
// frontends/tensorflow/ops/, each with a register_*(op_table&); frontends/tensorflow/tensorflow.hpp
// lists the families.
//
// Layout: TF's image ops are NHWC, moir's convolution and pooling ops are NCHW (OpenVINO's opset).
// A converter of a layout-sensitive op wraps it in Transposes (context::to_nchw / to_nhwc), so the
// model keeps its NHWC interface; passes/fusions/transpose_sinking.hpp then removes the pairs that
// meet between layers.

#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/tensorflow/graph_def.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/transpose.hpp>

#include <cstdint>   // int64_t
#include <map>       // map
#include <optional>  // optional
#include <string>       // string
#include <type_traits>  // is_same_v
#include <utility>      // move
#include <vector>       // vector

namespace moir::tensorflow {

/// "node:0" -> "node"; "node:2" stays; "^node" (a control input) -> "".
inline std::string canonical_tensor(const std::string& s) {
    if (!s.empty() && s[0] == '^') return {};
    if (s.size() > 2 && s.compare(s.size() - 2, 2, ":0") == 0) return s.substr(0, s.size() - 2);
    return s;
}
/// The tensor name of output `port` of node `node` ("node" for port 0, else "node:port").
inline std::string tensor_name(const std::string& node, std::size_t port) {
    return port == 0 ? node : node + ":" + std::to_string(port);
}

/// What basic_context sees of a NodeDef: data inputs only (control inputs dropped, "x:0" spelled
/// "x"), and the outputs the graph reads (an unread output has the name "").
class node_view {
public:
    /// `used[i]`: whether the graph reads output i.
    node_view(const node_def& n, std::vector<bool> used) : n_(&n), used_(std::move(used)) {
        for (const auto& in : n.input) {
            std::string c = canonical_tensor(in);
            if (!c.empty()) inputs_.push_back(std::move(c));
        }
    }
    const node_def& def() const { return *n_; }
    std::string name() const { return n_->name; }
    std::string op_type() const { return n_->op; }
    std::size_t input_count() const { return inputs_.size(); }
    std::string input_name(std::size_t i) const { return i < inputs_.size() ? inputs_[i] : std::string(); }
    std::size_t output_count() const { return used_.size(); }
    std::string output_name(std::size_t i) const {
        return i < used_.size() && used_[i] ? tensor_name(n_->name, i) : std::string();
    }

    /// The attribute as T, or nullopt. T: int64_t, float, bool, std::string, element_type,
    /// data_type, partial_shape, moir::tensor, std::vector<int64_t|float|std::string>.
    template <class T>
    std::optional<T> attribute(const std::string& key) const {
        const attr_value* a = n_->find_attr(key);
        if (!a) return std::nullopt;
        using k = attr_value::kind;
        if constexpr (std::is_same_v<T, std::int64_t>) {
            if (a->k == k::i) return a->i;
        } else if constexpr (std::is_same_v<T, float>) {
            if (a->k == k::f) return a->f;
        } else if constexpr (std::is_same_v<T, bool>) {
            if (a->k == k::b) return a->b;
        } else if constexpr (std::is_same_v<T, std::string>) {
            if (a->k == k::s) return a->s;
        } else if constexpr (std::is_same_v<T, data_type>) {
            if (a->k == k::type) return a->type;
        } else if constexpr (std::is_same_v<T, element_type>) {
            if (a->k == k::type) {
                const auto et = to_element_type(a->type);
                MOIR_CHECK(et, unsupported_error, "attribute '" + key + "' is " + data_type_name(a->type) + ", not supported");
                return *et;
            }
        } else if constexpr (std::is_same_v<T, partial_shape>) {
            if (a->k == k::shape) return a->shape.to_partial();
        } else if constexpr (std::is_same_v<T, moir::tensor>) {
            if (a->k == k::tensor) return to_moir_tensor(a->tensor, "attribute '" + key + "'");
        } else if constexpr (std::is_same_v<T, std::vector<std::int64_t>>) {
            if (a->k == k::list) return a->list.i;
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
            if (a->k == k::list) return a->list.f;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            if (a->k == k::list) return a->list.s;
        } else {
            static_assert(sizeof(T) == 0, "unsupported attribute type");
        }
        if (a->k == k::list && a->list.i.empty() && a->list.f.empty() && a->list.s.empty()) return std::nullopt;
        throw error("attribute '" + key + "' has an unexpected kind");
    }

private:
    const node_def* n_;
    std::vector<std::string> inputs_;
    std::vector<bool> used_;
};

/// What a converter sees of one TF node: basic_context plus the graph's weights and NHWC helpers.
class context : public frontends::basic_context<node_view> {
public:
    context(frontends::graph_builder& g, const node_view& n, const graph_def& gd)
        : basic_context(g, n), gd_(&gd) {}

    const graph_def& graph_def_() const { return *gd_; }

    /// The element type of the node's "T" attribute (or `key`), f32 when absent.
    element_type type_attr(const std::string& key = "T") const { return attr<element_type>(key, element_type::f32); }

    /// Whether the node computes NHWC (the default) rather than NCHW ("data_format").
    bool nhwc() const {
        const std::string f = attr<std::string>("data_format", "NHWC");
        MOIR_CHECK(f == "NHWC" || f == "NCHW" || f == "NDHWC" || f == "NCDHW", unsupported_error,
                   "data_format '" + f + "' is not supported");
        return f == "NHWC" || f == "NDHWC";
    }
    /// x permuted by `perm` (a Transpose with a constant order).
    output_ref transpose(output_ref x, const std::vector<std::int64_t>& perm, const std::string& suffix) {
        return add<ops::transpose>({}, {x, constant_i64(perm, suffix + "/order")}, suffix);
    }
    /// NHWC -> NCHW (rank 4; rank 5 NDHWC -> NCDHW).
    output_ref to_nchw(output_ref x, std::size_t rank = 4) {
        return rank == 5 ? transpose(x, {0, 4, 1, 2, 3}, "/to_nchw") : transpose(x, {0, 3, 1, 2}, "/to_nchw");
    }
    /// NCHW -> NHWC.
    output_ref to_nhwc(output_ref x, std::size_t rank = 4) {
        return rank == 5 ? transpose(x, {0, 2, 3, 4, 1}, "/to_nhwc") : transpose(x, {0, 2, 3, 1}, "/to_nhwc");
    }
    /// A scalar Constant of type t holding v.
    output_ref scalar(element_type t, double v, const std::string& suffix) {
        return constant(tensor::scalar(v).converted(t), suffix);
    }

private:
    const graph_def* gd_;
};

/// TF op type -> converter.
using op_table = frontends::basic_op_table<context>;
using converter = op_table::converter;

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_CONVERTER_HPP
