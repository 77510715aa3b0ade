#ifndef MOIR_PASSES_PIPELINES_HPP
#define MOIR_PASSES_PIPELINES_HPP

// The named pipelines moir convert runs, and optimize(), which runs them in MO's order: clean-up
// and folding first, then the fusions (unless disabled), to a fixed point.

#include <moir/passes/eliminate_noops.hpp>
#include <moir/passes/fold_constants.hpp>
#include <moir/passes/fusions/conv_bn.hpp>
#include <moir/passes/pipeline.hpp>

namespace moir::passes {

/// Freezing and clean-up: no-op removal and constant/shape folding.
using declutter = pass_list<eliminate_noops, fold_constants>;
/// The fusions, each a pattern with its guards.
using default_fusions = pass_list<fuse_conv_bn, fuse_group_conv_bn>;

/// Optimizes m in place. ensures: m validates; ctx.log says what each pass changed.
inline void optimize(model& m, pass_context& ctx) {
    run_pipeline<declutter>(m, ctx);
    if (ctx.fusions) run_pipeline<concat_t<declutter, default_fusions>>(m, ctx);
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_PIPELINES_HPP
