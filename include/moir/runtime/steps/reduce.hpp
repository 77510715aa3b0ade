#ifndef MOIR_RUNTIME_STEPS_REDUCE_HPP
#define MOIR_RUNTIME_STEPS_REDUCE_HPP

// The reduction step family: FP32 ReduceMean / ReduceSum / ReduceMax / ReduceMin with constant axes
// whose reduced axes (of size > 1) are one run: a trailing run (a LayerNorm's mean over the last
// axis, a global pooling written as a reduction: each output the fold of `len` contiguous inputs),
// or a run with kept axes after it (an NHWC global pooling, ReduceMean over H and W: x seen as
// [outer, len, inner], each output column folded over the len rows in column groups whose
// accumulators stay in registers).
// The op's own init / combine / finish fold in double, in input order, as the reference kernel does,
// so results are equal. Output rows (column blocks) are split across the workers. Reduced axes
// separated by a kept axis of size > 1 are left to the reference family.
//
// Extending: add the op type to `reduce_ops` (it needs the detail::reduction interface).

#include <moir/core/type_list.hpp>
#include <moir/ops/detail/reduce.hpp>  // reduced_axes_mask
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max, min
#include <cstdint>    // int64_t
#include <memory>     // unique_ptr, make_unique
#include <string>     // string
#include <vector>     // vector

namespace moir::runtime::steps {

using reduce_ops = type_list<ops::reduce_mean, ops::reduce_sum, ops::reduce_max, ops::reduce_min>;

/// y[r] = Op::finish(fold of x[r*len .. r*len + len), len).
template <class Op>
class reduce_step final : public step {
public:
    std::size_t rows = 0, len = 0, grain = 1;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, rows, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t r = b; r < e; ++r) {
                const float* xr = x + r * len;
                double acc = Op::template init<double>();
                for (std::size_t i = 0; i < len; ++i) acc = Op::template combine<double>(acc, static_cast<double>(xr[i]));
                y[r] = static_cast<float>(Op::template finish<double>(acc, len));
            }
        });
    }
};

/// y[o, i] = Op::finish(fold over r of x[o, r, i], len) for x [outer, len, inner], in blocks of
/// `block` columns (a multiple of 16 but the last). Each block is folded in groups of 16, 4 and 1
/// columns whose accumulators stay in registers over all len rows: 16 columns are 8 independent
/// chains of two-double vector adds per row (the steps are compiled for baseline x86-64: 16 vector
/// registers). Before, the accumulators lived in the worker's scratch
/// (a store and reload per row and column, a chain of about 10 cycles per row whatever the block's
/// width) and two threads each took two blocks of a quarter of the columns: every worker still walked
/// all len rows twice, so the second thread bought nothing (centernet's squeeze-and-excitation Means,
/// C = 72 to 960 over 16x16 to 64x64: 1.0 ms at 1 thread, 2.1 ms at 2). Each column is still folded
/// alone, in row order, so the result does not depend on the blocks or threads.
template <class Op>
class reduce_middle_step final : public step {
public:
    std::size_t outer = 0, len = 0, inner = 0, block = 1;
    std::size_t grain = 1;  ///< blocks per chunk at least: chunk_elements of x, so a small fold stays on one thread

    /// Folds columns [j, j + W) of x[o] (xo = its first element) into yo.
    template <std::size_t W>
    void fold(const float* xo, float* yo) const {
        double acc[W];
        for (std::size_t j = 0; j < W; ++j) acc[j] = Op::template init<double>();
        for (std::size_t r = 0; r < len; ++r) {
            const float* xr = xo + r * inner;
            for (std::size_t j = 0; j < W; ++j) acc[j] = Op::template combine<double>(acc[j], static_cast<double>(xr[j]));
        }
        for (std::size_t j = 0; j < W; ++j) yo[j] = static_cast<float>(Op::template finish<double>(acc[j], len));
    }

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        const std::size_t blocks = (inner + block - 1) / block;
        ctx.pool->parallel_for(0, outer * blocks, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t t = b; t < e; ++t) {
                const std::size_t o = t / blocks, i0 = t % blocks * block, i1 = std::min(inner, i0 + block);
                const float* xo = x + o * len * inner;
                float* yo = y + o * inner;
                std::size_t j = i0;
                for (; j + 16 <= i1; j += 16) fold<16>(xo + j, yo + j);
                for (; j + 4 <= i1; j += 4) fold<4>(xo + j, yo + j);
                for (; j < i1; ++j) fold<1>(xo + j, yo + j);
            }
        });
    }
};

/// The family (see the file comment).
struct reduce {
    static constexpr std::string_view name = "reduce";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        std::unique_ptr<step> out;
        for_each_type(reduce_ops{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            if (out || !nd.is<Op>()) return;
            const slot& xs = b.slots[b.input_slot(id, 0)];
            const slot& ys = b.slots[b.output_slot(id)];
            const tensor* axes = b.constant_input(id, 1);
            if (!axes || xs.type != element_type::f32 || ys.type != element_type::f32 || xs.dims.empty()) return;
            const std::size_t rank = xs.dims.size();
            // axes were checked by shape inference when the model was validated
            const std::vector<bool> mask = ops::detail::reduced_axes_mask(axes->to_vector<std::int64_t>(), rank);
            // the reduced axes of size > 1: one run [first, last), kept axes of size > 1 only around it
            std::size_t first = rank, last = 0;
            for (std::size_t d = 0; d < rank; ++d)
                if (mask[d] && xs.dims[d] != 1) first = std::min(first, d), last = d + 1;
            if (first == rank) first = last = rank;  // nothing of size > 1 reduced: one-element folds
            for (std::size_t d = first; d < last; ++d)
                if (!mask[d] && xs.dims[d] != 1) return;
            std::size_t outer = 1, len = 1, inner = 1;
            for (std::size_t d = 0; d < rank; ++d)
                (d < first ? outer : d < last ? len : inner) *= static_cast<std::size_t>(xs.dims[d]);
            if (len == 0 || numel(ys.dims) * len != numel(xs.dims)) return;
            if (inner == 1) {
                auto s = std::make_unique<reduce_step<Op>>();
                s->len = len;
                s->rows = outer;
                s->grain = chunk_rows(len);
                s->kernel = "reduce";
                out = std::move(s);
                return;
            }
            auto s = std::make_unique<reduce_middle_step<Op>>();
            s->outer = outer, s->len = len, s->inner = inner;
            // one block of columns per worker when outer alone does not feed them (in multiples of 16
            // columns: whole cache lines where the rows are aligned), else whole rows of x
            const std::size_t parts = outer >= b.threads ? 1 : b.threads;
            s->block = std::max<std::size_t>(16, ((inner + parts - 1) / parts + 15) / 16 * 16);
            s->kernel = "reduce_columns";
            out = std::move(s);
        });
        if (!out) return nullptr;
        out->name = nd.name;
        out->ops = std::string(nd.op->ir_name);
        out->reads = {b.input_slot(id, 0)};
        out->writes = {b.output_slot(id)};
        return out;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_REDUCE_HPP
