#ifndef MOIR_RUNTIME_STEPS_SCALED_RESIDUAL_HPP
#define MOIR_RUNTIME_STEPS_SCALED_RESIDUAL_HPP

// The scaled-residual step family: y = x + x * s, the Add of a tensor and its own product with a
// broadcast factor (a squeeze-and-excitation gate applied residually, as in PP-OCR det's RSE-FPN
// blocks), in one pass over x instead of a Multiply and an Add that each read and write the whole
// tensor. Matched at the Multiply: x an f32 tensor of the Multiply's output shape, s broadcast the
// way the element-wise family broadcasts (per channel, per row, scalar: eltwise::repeats), the
// Multiply's only consumer an Add whose other operand is x itself. Each element is computed as the
// two nodes compute it (t = x * s, then x + t, each rounded to float), so the result equals the
// unfused steps'. Workers split the elements.

#include <moir/ops/add.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/runtime/steps/eltwise.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // min
#include <memory>     // unique_ptr, make_unique
#include <string>     // string

namespace moir::runtime::steps {

/// y[i] = x[i] + x[i] * s[(i / inner) % period] (period 0: s[i / inner]).
class scaled_residual_step final : public step {
public:
    std::size_t n = 0, inner = 1, period = 0;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        const float* s = ctx.in_f32(reads[1]);
        float* y = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, n, chunk_elements, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t i = b; i < e;) {
                const std::size_t run_end = std::min(e, (i / inner + 1) * inner);
                const float f = s[period ? (i / inner) % period : i / inner];
                for (; i < run_end; ++i) {
                    const float t = x[i] * f;
                    y[i] = x[i] + t;
                }
            }
        });
    }
};

/// The family (see the file comment).
struct scaled_residual {
    static constexpr std::string_view name = "scaled_residual";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || !nd.is<ops::multiply>() || nd.inputs.size() != 2) return nullptr;
        const slot& y = b.slots[b.output_slot(id)];
        if (y.type != element_type::f32) return nullptr;
        const node_id add = b.single_consumer<ops::add>(output_ref{id, 0});
        if (add == plan_builder::npos || b.slots[b.output_slot(add)].dims != y.dims) return nullptr;
        const node& an = b.at(add);
        const output_ref other = an.inputs[0] == output_ref{id, 0} ? an.inputs[1] : an.inputs[0];
        // x: the Multiply's operand that the Add reads too, of the full shape; s: the other one
        std::size_t xi = 2;
        for (std::size_t i = 0; i < 2; ++i)
            if (nd.inputs[i] == other && b.slots[b.input_slot(id, i)].dims == y.dims) xi = i;
        if (xi == 2) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, xi)];
        const slot& ss = b.slots[b.input_slot(id, 1 - xi)];
        auto st = std::make_unique<scaled_residual_step>();
        if (xs.type != element_type::f32 || ss.type != element_type::f32 ||
            !eltwise::repeats(ss.dims, y.dims, st->inner, st->period))
            return nullptr;
        st->n = numel(y.dims);
        b.claim(add);
        st->name = nd.name;
        st->ops = "Multiply+Add";
        st->kernel = "scaled_residual";
        st->reads = {b.input_slot(id, xi), b.input_slot(id, 1 - xi)};
        st->writes = {b.output_slot(add)};
        return st;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_SCALED_RESIDUAL_HPP
