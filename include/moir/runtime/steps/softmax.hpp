#ifndef MOIR_RUNTIME_STEPS_SOFTMAX_HPP
#define MOIR_RUNTIME_STEPS_SOFTMAX_HPP

// The Softmax step family: FP32 Softmax along the last axis (every axis after it of size 1), on the
// arch's vector kernel (kernels/simd/softmax.hpp), rows split across the workers. Other axes are
// left to the reference family.

#include <moir/kernels/simd/table.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/runtime/steps/step.hpp>

#include <memory>     // unique_ptr, make_unique
#include <string>     // string

namespace moir::runtime::steps {

/// Softmax over rows of `len` contiguous floats.
class softmax_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    std::size_t rows = 0, len = 0, grain = 1;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, rows, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            table->softmax_rows(x + b * len, y + b * len, e - b, len);
        });
    }
};

/// The family (see the file comment).
struct softmax {
    static constexpr std::string_view name = "softmax";
    /// The time of one softmax element in streaming elements' (chunk_elements): the split's grain.
    static constexpr std::size_t softmax_cost = 8;

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || !nd.is<ops::softmax>()) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        if (xs.type != element_type::f32 || ys.type != element_type::f32 || xs.dims.empty() || xs.dims != ys.dims)
            return nullptr;
        const std::size_t axis = normalize_axis(nd.attrs_as<ops::softmax>().axis, xs.dims.size());
        for (std::size_t d = axis + 1; d < xs.dims.size(); ++d)
            if (xs.dims[d] != 1) return nullptr;
        auto s = std::make_unique<softmax_step>();
        s->table = b.table;
        s->len = static_cast<std::size_t>(xs.dims[axis]);
        if (s->len == 0) return nullptr;
        s->rows = numel(xs.dims) / s->len;
        // an exp per element (and three passes over the row): worth splitting at an eighth of a
        // streaming step's chunk_elements (PaddleOCR rec's attention maps, 8 x 40 x 40 floats, took
        // 0.035 ms each, 2.7 ns per float, on one worker)
        s->grain = chunk_rows(s->len * softmax_cost);
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = "softmax." + std::string(b.table->blocking.arch);
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_SOFTMAX_HPP
