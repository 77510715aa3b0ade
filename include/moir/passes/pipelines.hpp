#ifndef MOIR_PASSES_PIPELINES_HPP
#define MOIR_PASSES_PIPELINES_HPP

// The named pipelines moir convert runs, and optimize(), which runs them in MO's order: clean-up
// and folding first, then the fusions (unless disabled), to a fixed point.

#include <moir/passes/eliminate_noops.hpp>
#include <moir/passes/fold_constants.hpp>
#include <moir/passes/fold_if.hpp>
#include <moir/passes/fusions/activations.hpp>
#include <moir/passes/fusions/batch_norm.hpp>
#include <moir/passes/fusions/conv_bn.hpp>
#include <moir/passes/fusions/conv_mul.hpp>
#include <moir/passes/fusions/hswish.hpp>
#include <moir/passes/fusions/linear_ops.hpp>
#include <moir/passes/fusions/matmul.hpp>
#include <moir/passes/fusions/mvn.hpp>
#include <moir/passes/fusions/pad_fusion.hpp>
#include <moir/passes/optimize_decl.hpp>
#include <moir/passes/pipeline.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>
#include <moir/passes/transpose_sinking.hpp>

namespace moir::passes {

/// Freezing and clean-up: no-op removal, constant/shape folding, Ifs with a constant condition
/// replaced by their taken body, and layout Transposes sunk and merged away (those a channels-last
/// frontend writes around NCHW layers).
using declutter =
    pass_list<eliminate_noops, fold_constants, fold_if, sink_transposes, merge_transposes, sink_transpose_regions>;
/// The activation fusions (decomposed HSwish, HSigmoid, Swish, Gelu, SoftPlus, Mish). They run before
/// the linear-op fusions, which would otherwise rewrite the Divide/Multiply/Add they look for.
using activation_fusions = pass_list<fuse_hswish, fuse_hsigmoid, fuse_hard_sigmoid_to_hsigmoid, fuse_hsigmoid_mul_to_hswish,
                                     fuse_swish, fuse_gelu, fuse_soft_plus, fuse_mish>;
/// Decomposed normalizations (LayerNorm as ReduceMean, Subtract, Power, ReduceMean, Add, Sqrt,
/// Divide) as one MVN. Before the linear-op fusions, which would rewrite the Add of eps.
using normalization_fusions = pass_list<fuse_mvn>;
/// BatchNorm folded into the op before it, else decomposed into Multiply + Add.
using batch_norm_fusions =
    pass_list<fuse_conv_bn, fuse_group_conv_bn, fuse_deconv_bn, fuse_group_deconv_bn, fuse_matmul_bn, decompose_batch_norm>;
/// Subtract/Divide by constants canonicalised, linear-op chains merged, Multiply/Add by per-channel
/// constants folded into convolutions and MatMuls.
using linear_fusions = pass_list<
    canonicalize_subtract, canonicalize_divide, merge_add_add, merge_mul_mul, fuse_conv_multiply, fuse_group_conv_multiply,
    fuse_deconv_multiply, fuse_group_deconv_multiply, fuse_conv_add_multiply, fuse_group_conv_add_multiply,
    fuse_deconv_add_multiply, fuse_group_deconv_add_multiply, swap_mul_add, fuse_multiply_conv, fuse_multiply_group_conv,
    fuse_multiply_deconv, fuse_multiply_group_deconv, fuse_add_conv, fuse_add_group_conv, fuse_scale_shift_conv,
    fuse_scale_shift_group_conv, fuse_scale_shift_deconv, fuse_scale_shift_group_deconv, fuse_matmul_multiply,
    pretranspose_matmul_weights>;
/// Pads folded into the op after them: zero Pads into convolutions and average pools, -inf ones into max pools.
using pad_fusions = pass_list<fuse_pad_conv, fuse_pad_group_conv, fuse_pad_avg_pool, fuse_pad_max_pool>;
/// The fusions, each a pattern with its guards, in the order one round runs them.
using default_fusions = concat_t<activation_fusions,
                                 concat_t<normalization_fusions, concat_t<batch_norm_fusions, concat_t<linear_fusions, pad_fusions>>>>;

/// FP16 weight compression, run after optimize().
using fp16 = pass_list<compress_fp16>;

/// Optimizes m in place (declared in passes/optimize_decl.hpp). ensures: m validates; ctx.log says
/// what each pass changed.
template <class>
void optimize(model& m, pass_context& ctx) {
    run_pipeline<declutter>(m, ctx);
    if (ctx.fusions) run_pipeline<concat_t<declutter, default_fusions>>(m, ctx);
}

/// Stores m's f32 weights as f16 + decompression Converts (see passes/quantize/compress_fp16.hpp).
/// requires: run after optimize(), which would otherwise see the weights as non-constant.
template <class>
void compress_weights_to_fp16(model& m, pass_context& ctx) { run_pipeline<fp16>(m, ctx); }

}  // namespace moir::passes

// Compiled once by moir::compiled (moir/extern_templates.hpp), declared extern for its users.
#if defined(MOIR_DETAIL_CORE_EXTERN)
namespace moir::passes {
MOIR_DETAIL_CORE_EXTERN template void optimize<void>(model&, pass_context&);
MOIR_DETAIL_CORE_EXTERN template void compress_weights_to_fp16<void>(model&, pass_context&);
}  // namespace moir::passes
#endif

#endif  // MOIR_PASSES_PIPELINES_HPP
