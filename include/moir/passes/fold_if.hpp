#ifndef MOIR_PASSES_FOLD_IF_HPP
#define MOIR_PASSES_FOLD_IF_HPP

// If folding: an If whose condition is a constant (a frozen input, a folded comparison) is replaced
// by the body it takes, inlined into the graph; the other body is dropped. Loops stay loops.

#include <moir/core/model.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/if.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
#include <moir/passes/pass_concept.hpp>

#include <algorithm>    // find
#include <cstddef>      // size_t
#include <memory>       // shared_ptr
#include <optional>     // optional
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

/// Search pattern => If(c: constant, inputs...)
/// Rewrite        => the nodes of the body c selects (then when its first element is nonzero), named
///                   "<If>/<node>", reading the If's inputs where the body read its Parameters; the
///                   If's output tensor names move to what the body's Results read.
struct fold_if {
    static constexpr std::string_view name = "fold_if";
    static std::size_t run(model& m, pass_context&) {
        std::size_t changes = 0;
        for (node_id id : m.topo_order()) {
            if (!m.nodes[id].is<ops::if_op>()) continue;
            const output_ref c = m.nodes[id].inputs.at(0);
            if (!m.nodes[c.node].is<ops::constant>()) continue;
            const tensor& cv = m.nodes[c.node].attrs_as<ops::constant>().value;
            if (cv.numel() == 0) continue;
            const bool taken = cv.at_as<bool>(0);
            const auto& a = m.nodes[id].attrs_as<ops::if_op>();
            const std::vector<std::int64_t> map = taken ? a.then_inputs : a.else_inputs;
            const std::shared_ptr<model> body = m.nodes[id].bodies.at(taken ? 0 : 1);
            const std::vector<output_ref> feeds = m.nodes[id].inputs;
            const std::string prefix = m.nodes[id].name + "/";
            std::vector<std::optional<output_ref>> where(body->nodes.size());  // body node output 0 / node id
            std::vector<node_id> remap(body->nodes.size(), static_cast<node_id>(-1));
            for (std::size_t j = 0; j < body->parameters.size(); ++j)
                where[body->parameters[j]] = feeds.at(static_cast<std::size_t>(map.at(j)));
            const auto outer = [&](output_ref r) -> output_ref {
                if (where[r.node]) return *where[r.node];
                return {remap.at(r.node), r.port};
            };
            for (node_id bid : body->topo_order()) {
                const node& bn = body->nodes[bid];
                if (bn.is<ops::parameter>() || bn.is<ops::result>()) continue;
                node copy = bn;
                copy.name = prefix + bn.name;
                for (auto& in : copy.inputs) in = outer(in);
                remap[bid] = m.add_node(std::move(copy));
            }
            for (std::size_t i = 0; i < body->results.size() && i < m.nodes[id].outputs.size(); ++i) {
                const output_ref src = outer(body->at(body->results[i]).inputs.at(0));
                const std::vector<std::string> names = m.nodes[id].outputs[i].names;
                auto& dst = m.nodes[src.node].outputs.at(src.port).names;
                for (const auto& nm : names)
                    if (std::find(dst.begin(), dst.end(), nm) == dst.end()) dst.push_back(nm);
                m.replace_uses({id, i}, src);
            }
            ++changes;
        }
        return changes;
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_FOLD_IF_HPP
