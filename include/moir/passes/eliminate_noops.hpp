#ifndef MOIR_PASSES_ELIMINATE_NOOPS_HPP
#define MOIR_PASSES_ELIMINATE_NOOPS_HPP

// Removes nodes that do nothing: a Convert to the type it already has; a Reshape, Squeeze or
// Unsqueeze whose static output shape equals its input's; a Transpose by the identity permutation;
// a Concat of one input. Their consumers read the input instead.

#include <moir/ops/concat.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/ops/unsqueeze.hpp>
#include <moir/passes/pass_concept.hpp>

#include <string_view>  // string_view

namespace moir::passes {

struct eliminate_noops {
    static constexpr std::string_view name = "eliminate_noops";

    /// Whether node n passes its first input through unchanged.
    static bool is_noop(const model& m, const node& n) {
        if (n.inputs.empty() || n.outputs.size() != 1) return false;
        const output_port& in = m.port(n.inputs[0]);
        const output_port& out = n.outputs[0];
        if (in.type != out.type) return false;
        if (n.is<ops::convert>()) return true;
        if (n.is<ops::concat>()) return n.inputs.size() == 1;
        if (n.is<ops::reshape>() || n.is<ops::squeeze>() || n.is<ops::unsqueeze>())
            return in.shape.is_static() && in.shape == out.shape;
        if (n.is<ops::transpose>()) {
            const node& perm = m.nodes[n.inputs.at(1).node];
            if (!perm.is<ops::constant>()) return false;
            const auto p = perm.attrs_as<ops::constant>().value.to_vector<std::int64_t>();
            if (p.empty()) return in.shape.rank() <= 1 && !in.shape.rank_dynamic;
            for (std::size_t i = 0; i < p.size(); ++i)
                if (p[i] != static_cast<std::int64_t>(i)) return false;
            return true;
        }
        return false;
    }

    static std::size_t run(model& m, pass_context&) {
        std::size_t changes = 0;
        for (node_id id : m.topo_order()) {
            const node& n = m.nodes[id];
            if (!is_noop(m, n)) continue;
            const output_ref src = n.inputs[0];
            // keep the tensor names users know: they move to the producer's port
            auto& names = m.nodes[src.node].outputs[src.port].names;
            for (const auto& nm : n.outputs[0].names) names.push_back(nm);
            m.replace_uses({id, 0}, src);
            ++changes;
        }
        return changes;
    }
};

}  // namespace moir::passes

#endif  // MOIR_PASSES_ELIMINATE_NOOPS_HPP
