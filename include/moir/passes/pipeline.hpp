#ifndef MOIR_PASSES_PIPELINE_HPP
#define MOIR_PASSES_PIPELINE_HPP

// The pass driver: runs a compile-time list of passes to a fixed point, dropping dead nodes and
// validating the graph after every pass, and logs what each pass changed. The same list then runs
// inside the bodies of If / Loop / TensorIterator nodes (docs/control-flow.md).

#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cstddef>  // size_t
#include <memory>   // make_shared
#include <string>   // string

namespace moir::passes {

/// A pipeline: passes in the order they run within one round.
template <class... Passes>
using pass_list = type_list<Passes...>;

namespace detail {
template <class List>
std::size_t run_in_bodies(model& m, pass_context& ctx, std::size_t max_rounds);
}  // namespace detail

/// Runs the passes of List round after round until a round changes nothing (at most max_rounds),
/// then inside every body of m's nodes (recursively), each body copied before it changes (copies
/// of a node share their bodies).
/// ensures: the model validates after every pass; throws moir::error "after pass P: reason" when a
/// pass breaks it. Returns the total number of changes, inside bodies included.
template <class List>
std::size_t run_pipeline(model& m, pass_context& ctx, std::size_t max_rounds = 16) {
    std::size_t total = 0;
    for (std::size_t round = 1; round <= max_rounds; ++round) {
        std::size_t changed = 0;
        for_each_type(List{}, [&](auto tag) {
            using P = as_pass<typename decltype(tag)::type>;
            const std::size_t c = P::run(m, ctx);
            if (c) {
                m.remove_dead();
                try {
                    m.validate();
                } catch (const std::exception& e) {
                    throw error("after pass " + std::string(P::name) + ": " + e.what());
                }
            }
            ctx.log.push_back({P::name, round, c, m.nodes.size()});
            changed += c;
        });
        total += changed;
        if (!changed) break;
    }
    return total + detail::run_in_bodies<List>(m, ctx, max_rounds);
}

namespace detail {
/// run_pipeline<List> inside each body of m's nodes; a node whose body changed is inferred again.
template <class List>
std::size_t run_in_bodies(model& m, pass_context& ctx, std::size_t max_rounds) {
    std::size_t total = 0;
    for (node_id id = 0; id < m.nodes.size(); ++id) {
        bool changed = false;
        for (std::size_t k = 0; k < m.nodes[id].bodies.size(); ++k) {
            const auto& b = m.nodes[id].bodies[k];
            if (!b) continue;
            auto copy = std::make_shared<model>(*b);
            std::size_t c = 0;
            try {
                c = run_pipeline<List>(*copy, ctx, max_rounds);
            } catch (const std::exception& e) {
                throw error("in the body of node '" + m.nodes[id].name + "': " + e.what());
            }
            if (c) {
                m.nodes[id].bodies[k] = std::move(copy);
                changed = true;
                total += c;
            }
        }
        if (changed) m.infer_node(id);
    }
    return total;
}
}  // namespace detail

}  // namespace moir::passes

#endif  // MOIR_PASSES_PIPELINE_HPP
