#ifndef MOIR_PASSES_PIPELINE_HPP
#define MOIR_PASSES_PIPELINE_HPP

// The pass driver: runs a compile-time list of passes to a fixed point, dropping dead nodes and
// validating the graph after every pass, and logs what each pass changed.

#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cstddef>  // size_t
#include <string>   // string

namespace moir::passes {

/// A pipeline: passes in the order they run within one round.
template <class... Passes>
using pass_list = type_list<Passes...>;

/// Runs the passes of List round after round until a round changes nothing (at most max_rounds).
/// ensures: the model validates after every pass; throws moir::error "after pass P: reason" when a
/// pass breaks it. Returns the total number of changes.
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
    return total;
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_PIPELINE_HPP
