#ifndef MOIR_RUNTIME_REFERENCE_EXECUTOR_HPP
#define MOIR_RUNTIME_REFERENCE_EXECUTOR_HPP

// The reference executor: runs a model node by node with the scalar reference kernels, re-inferring
// every shape from the actual inputs (so dynamic dims resolve at run time). It is the oracle of the
// fast runtime and the engine of constant folding. Nodes that own bodies (If, Loop, TensorIterator)
// run their bodies with executors of their own (the op's reference kernel's run_bodies decides what
// runs; docs/control-flow.md).

#include <moir/core/extensions.hpp>
#include <moir/core/limits.hpp>
#include <moir/core/model.hpp>
#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/all.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor_decl.hpp>

#include <functional>     // function
#include <memory>         // unique_ptr, make_unique
#include <type_traits>    // false_type, true_type, void_t
#include <string>         // string
#include <unordered_map>  // unordered_map
#include <vector>         // vector

namespace moir {

namespace detail {
template <class Op>
void run_reference(const std::any& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
    kernels::reference_kernel<Op>::run(std::any_cast<const typename Op::attrs&>(a), in, out);
}
using erased_kernel = void (*)(const std::any&, const std::vector<tensor>&, std::vector<tensor>&);

using reference_map = std::unordered_map<const op_info*, erased_kernel>;

/// Adds the reference kernels of slice Part (of table_parts) of OpSet to t. Fails to compile, naming
/// the op's header to add, when an op has no reference kernel.
template <class OpSet, std::size_t Part>
void fill_reference_table(reference_map& t) {
    for_each_type_in_part<Part, table_parts>(OpSet{}, [&](auto tag) {
        using Op = typename decltype(tag)::type;
        static_assert(kernels::has_reference_kernel_v<Op>,
                      "moir: an op in the opset has no reference kernel; add kernels/reference/<op>.hpp "
                      "and include it from kernels/reference/all.hpp");
        t.emplace(&info_of<Op>(), &run_reference<Op>);
    });
}

/// op_info -> reference kernel, for every op of OpSet; built once per OpSet.
template <class OpSet>
const reference_map& reference_table() {
    static const auto table = [] {
        reference_map t;
        for_each_table_part([&](auto part) { fill_reference_table<OpSet, decltype(part)::value>(t); });
        return t;
    }();
    return table;
}

/// The reference kernel of `op`: OpSet's, else a registered extension's (core/extensions.hpp), else nullptr.
template <class OpSet>
erased_kernel reference_kernel_of(const op_info* op) {
    const auto& table = reference_table<OpSet>();
    const auto it = table.find(op);
    if (it != table.end()) return it->second;
    const op_extension* e = find_extension(op);
    return e ? e->reference : nullptr;
}

/// The error for a node whose op has no kernel here: names the op and, for an op of a
/// non-OpenVINO opset, the extension to load.
inline std::string no_kernel_message(const node& n) {
    if (!is_standard_opset(n.op->ir_opset))
        return "node '" + n.name + "': " + missing_extension_hint(n.op->ir_name, n.op->ir_opset);
    return "node '" + n.name + "': op " + std::string(n.op->ir_name) + " has no kernel in this opset";
}
}  // namespace detail

namespace detail {
using erased_body_kernel = std::vector<tensor> (*)(const std::any&, const body_list&, const std::vector<tensor>&,
                                                   const kernels::body_runner&);
template <class Op, class = void>
struct has_run_bodies : std::false_type {};
template <class Op>
struct has_run_bodies<Op, std::void_t<decltype(&kernels::reference_kernel<Op>::run_bodies)>> : std::true_type {};
template <class Op>
std::vector<tensor> run_bodies_erased(const std::any& a, const body_list& b, const std::vector<tensor>& in,
                                      const kernels::body_runner& r) {
    return kernels::reference_kernel<Op>::run_bodies(std::any_cast<const typename Op::attrs&>(a), b, in, r);
}
/// op_info -> run_bodies, for the ops of OpSet that own bodies; built once per OpSet.
template <class OpSet>
const std::unordered_map<const op_info*, erased_body_kernel>& body_kernel_table() {
    static const auto table = [] {
        std::unordered_map<const op_info*, erased_body_kernel> t;
        for_each_type(OpSet{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            if constexpr (has_run_bodies<Op>::value) t.emplace(&info_of<Op>(), &run_bodies_erased<Op>);
        });
        return t;
    }();
    return table;
}
template <class OpSet>
std::vector<tensor> run_body_node(const node& n, const std::vector<tensor>& in, std::uint64_t max_elements);

/// Reference kernels that decide their outputs' shapes themselves (`run_dynamic(attrs, in)` returns
/// the outputs; e.g. OnnxFallback, whose outputs onnxruntime shapes), and those with state to make
/// once per node before running (`prepare(attrs)`; the executors call it when they are built).
using dynamic_kernel = std::vector<tensor> (*)(const std::any&, const std::vector<tensor>&);
using prepare_kernel = void (*)(const std::any&);
template <class Op, class = void>
struct has_run_dynamic : std::false_type {};
template <class Op>
struct has_run_dynamic<Op, std::void_t<decltype(&kernels::reference_kernel<Op>::run_dynamic)>> : std::true_type {};
template <class Op, class = void>
struct has_prepare : std::false_type {};
template <class Op>
struct has_prepare<Op, std::void_t<decltype(&kernels::reference_kernel<Op>::prepare)>> : std::true_type {};
struct stateful_kernels {
    dynamic_kernel run_dynamic = nullptr;
    prepare_kernel prepare = nullptr;
};
/// op_info -> its run_dynamic / prepare, for the ops of OpSet that have either; built once per OpSet.
template <class OpSet>
const std::unordered_map<const op_info*, stateful_kernels>& stateful_kernel_table() {
    static const auto table = [] {
        std::unordered_map<const op_info*, stateful_kernels> t;
        for_each_type(OpSet{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            using K = kernels::reference_kernel<Op>;
            stateful_kernels k;
            if constexpr (has_run_dynamic<Op>::value)
                k.run_dynamic = [](const std::any& a, const std::vector<tensor>& in) {
                    return K::run_dynamic(std::any_cast<const typename Op::attrs&>(a), in);
                };
            if constexpr (has_prepare<Op>::value)
                k.prepare = [](const std::any& a) { K::prepare(std::any_cast<const typename Op::attrs&>(a)); };
            if (k.run_dynamic || k.prepare) t.emplace(&info_of<Op>(), k);
        });
        return t;
    }();
    return table;
}
template <class OpSet>
const stateful_kernels* stateful_kernel_of(const node& n) {
    const auto& t = stateful_kernel_table<OpSet>();
    const auto it = t.find(n.op);
    return it == t.end() ? nullptr : &it->second;
}
}  // namespace detail

/// Makes node n's kernel state when its op's reference kernel has any (e.g. OnnxFallback's
/// onnxruntime session); nothing for other ops. ensures: throws moir::error naming the node.
template <class OpSet = opsets::all>
void prepare_node(const node& n) {
    const auto* k = detail::stateful_kernel_of<OpSet>(n);
    if (!k || !k->prepare) return;
    try {
        k->prepare(n.attrs);
    } catch (const std::exception& e) {
        throw error("node '" + n.name + "' (" + std::string(n.op->ir_name) + "): " + e.what());
    }
}

/// Evaluates one node on known input values with its reference kernel: infers the output types and
/// shapes from the values, allocates, runs. requires: OpSet contains the node's op.
/// ensures: throws moir::error naming the node when shapes do not fit or the op is unknown, and
/// moir::shape_error naming the node and the shape when an output would have more than
/// max_elements elements (checked before allocating).
template <class OpSet = opsets::all>
std::vector<tensor> evaluate_node(const node& n, const std::vector<tensor>& in,
                                  std::uint64_t max_elements = default_max_elements) {
    if (n.op->infer_bodies) return detail::run_body_node<OpSet>(n, in, max_elements);
    if (const auto* k = detail::stateful_kernel_of<OpSet>(n); k && k->run_dynamic) {
        const std::string where = "node '" + n.name + "' (" + std::string(n.op->ir_name) + ")";
        std::vector<tensor> out;
        try {
            out = k->run_dynamic(n.attrs, in);
        } catch (const std::exception& e) {
            throw error(where + ": " + e.what());
        }
        for (const auto& t : out) check_element_count(t.dims(), max_elements, where);
        return out;
    }
    const detail::erased_kernel kernel = detail::reference_kernel_of<OpSet>(n.op);
    MOIR_CHECK(kernel, unsupported_error, detail::no_kernel_message(n));
    port_descs descs;
    descs.reserve(in.size());
    for (const auto& t : in) descs.push_back(port_desc{t.type(), partial_shape(t.dims()), t});
    const std::string where = "node '" + n.name + "' (" + std::string(n.op->ir_name) + ")";
    port_descs od;
    try {
        od = n.op->infer(n.attrs, descs);
    } catch (const std::exception& e) {
        throw shape_error(where + ": " + e.what() + " (inputs: " + detail::describe_inputs(descs) + ")");
    }
    std::vector<tensor> out;
    out.reserve(od.size());
    for (const auto& d : od) {
        MOIR_CHECK(d.shape.is_static(), shape_error, where + ": output shape " + d.shape.str() + " is not resolved at run time");
        check_element_count(d.shape.dims, max_elements, where);
        out.emplace_back(d.type, d.shape.dims);
    }
    try {
        kernel(n.attrs, in, out);
    } catch (const std::exception& e) {
        throw error(where + ": " + e.what());
    }
    return out;
}

// reference_executor's members (the class: runtime/reference_executor_decl.hpp).
template <class OpSet>
reference_executor<OpSet>::reference_executor(const model& m, std::uint64_t max_elements)
    : m_(m), order_(m.topo_order()), max_elements_(max_elements) {
    check_tensor_sizes(m, max_elements);
    last_use_.assign(m.nodes.size(), 0);
    for (std::size_t step = 0; step < order_.size(); ++step)
        for (const auto& in : m.nodes[order_[step]].inputs) last_use_[in.node] = step;
    for (auto r : m.results) last_use_[m.nodes[r].inputs.at(0).node] = order_.size();
    for (node_id id : order_) prepare_node<OpSet>(m.nodes[id]);
}

template <class OpSet>
std::vector<tensor> reference_executor<OpSet>::run(const std::vector<tensor>& inputs, const observer& watch) const {
    MOIR_CHECK(inputs.size() == m_.parameters.size(), error,
               "the model has " + std::to_string(m_.parameters.size()) + " inputs, " +
                   std::to_string(inputs.size()) + " were given");
    std::vector<std::vector<tensor>> values(m_.nodes.size());
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const node& p = m_.nodes[m_.parameters[i]];
        const auto& pa = p.attrs_as<ops::parameter>();
        const std::string what = "input '" + m_.input_name(i) + "'";
        MOIR_CHECK(inputs[i].type() == pa.element_type, error,
                   what + " is " + std::string(ir_name(inputs[i].type())) + ", the model expects " +
                       std::string(ir_name(pa.element_type)));
        bool fits = !pa.shape.rank_dynamic ? pa.shape.rank() == inputs[i].rank() : true;
        for (std::size_t d = 0; fits && !pa.shape.rank_dynamic && d < pa.shape.rank(); ++d)
            fits = pa.shape.dims[d] < 0 || pa.shape.dims[d] == inputs[i].dims()[d];
        MOIR_CHECK(fits, error, what + " has shape [" + to_string(inputs[i].dims()) + "], the model expects " +
                                    pa.shape.str());
        values[m_.parameters[i]] = {inputs[i]};
    }
    for (std::size_t step = 0; step < order_.size(); ++step) {
        const node_id id = order_[step];
        const node& n = m_.nodes[id];
        if (n.is<ops::parameter>() || n.is<ops::result>()) continue;
        if (n.is<ops::constant>()) {
            values[id] = {n.attrs_as<ops::constant>().value};
        } else {
            std::vector<tensor> in;
            in.reserve(n.inputs.size());
            for (const auto& r : n.inputs) in.push_back(values[r.node].at(r.port));
            values[id] = evaluate_node<OpSet>(n, in, max_elements_);
        }
        if (watch) watch(id, values[id]);
        for (const auto& r : n.inputs)  // free what no later node reads
            if (last_use_[r.node] == step && !m_.nodes[r.node].is<ops::constant>()) values[r.node].clear();
    }
    std::vector<tensor> out;
    for (auto r : m_.results) {
        const auto& src = m_.nodes[r].inputs.at(0);
        out.push_back(values[src.node].at(src.port));
    }
    return out;
}

namespace detail {
/// Runs a node that owns bodies: its op's run_bodies, with one reference_executor per body, made
/// on first use and kept for every iteration of this call.
template <class OpSet>
std::vector<tensor> run_body_node(const node& n, const std::vector<tensor>& in, std::uint64_t max_elements) {
    const std::string where = "node '" + n.name + "' (" + std::string(n.op->ir_name) + ")";
    const auto& table = body_kernel_table<OpSet>();
    const auto it = table.find(n.op);
    MOIR_CHECK(it != table.end(), unsupported_error, where + ": op has no kernel in this opset");
    std::vector<std::unique_ptr<reference_executor<OpSet>>> executors(n.bodies.size());
    const kernels::body_runner run = [&](std::size_t b, const std::vector<tensor>& body_in) {
        MOIR_CHECK(b < n.bodies.size() && n.bodies[b], error, "body " + std::to_string(b) + " is missing");
        if (!executors[b]) executors[b] = std::make_unique<reference_executor<OpSet>>(*n.bodies[b], max_elements);
        return executors[b]->run(body_in);
    };
    try {
        return it->second(n.attrs, n.bodies, in, run);
    } catch (const unsupported_error& e) {
        throw unsupported_error(where + ": " + e.what());
    } catch (const std::exception& e) {
        throw error(where + ": " + e.what());
    }
}
}  // namespace detail

}  // namespace moir

// Compiled once by moir::compiled (moir/extern_templates.hpp), declared extern for its users.
#if defined(MOIR_DETAIL_CORE_EXTERN)
namespace moir {
MOIR_DETAIL_CORE_EXTERN template class reference_executor<opsets::all>;
}  // namespace moir
#endif

#endif  // MOIR_RUNTIME_REFERENCE_EXECUTOR_HPP
