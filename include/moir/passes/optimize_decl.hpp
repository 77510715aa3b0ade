#ifndef MOIR_PASSES_OPTIMIZE_DECL_HPP
#define MOIR_PASSES_OPTIMIZE_DECL_HPP

// passes::optimize and compress_weights_to_fp16, declared and not defined: what a program of the
// compiled form (moir::compiled, MOIR_COMPILED_LIBRARY: moir/moir.hpp's light mode) sees, so that
// its translation units compile none of the passes. passes/pipelines.hpp includes this header and
// defines them; moir::compiled's core TU compiles them (cmake/compiled/core.cpp.in).

#include <moir/core/model.hpp>
#include <moir/passes/pass_concept.hpp>

namespace moir::passes {

/// Optimizes m in place: clean-up and folding, then the fusions (unless ctx says not), to a fixed
/// point (passes/pipelines.hpp). ensures: m validates; ctx.log says what each pass changed.
template <class = void>
void optimize(model& m, pass_context& ctx);

/// Stores m's f32 weights as f16 + decompression Converts (passes/pipelines.hpp).
/// requires: run after optimize().
template <class = void>
void compress_weights_to_fp16(model& m, pass_context& ctx);

}  // namespace moir::passes

#endif  // MOIR_PASSES_OPTIMIZE_DECL_HPP
