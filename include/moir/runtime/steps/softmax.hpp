#ifndef MOIR_RUNTIME_STEPS_SOFTMAX_HPP
#define MOIR_RUNTIME_STEPS_SOFTMAX_HPP

// The Softmax step family: FP32 Softmax along any axis, on the arch's vector kernels
// (kernels/simd/softmax.hpp): softmax_rows along the last axis (every axis after it of size 1), rows
// split across the workers; softmax_columns along another (a Softmax over the channels of NCHW
// data), blocks of columns split across the workers.

#include <moir/kernels/simd/table.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // min
#include <memory>     // unique_ptr, make_unique
#include <string>     // string

namespace moir::runtime::steps {

/// Softmax of x viewed as [outer][len][inner] along its len axis (inner == 1: rows of `len`
/// contiguous floats).
class softmax_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    std::size_t outer = 0, len = 0, inner = 1;
    std::size_t grain = 1;  // rows (inner == 1) or blocks of `block` columns per chunk

    /// The columns of one unit of work when inner > 1: a multiple of every arch's vector width.
    static constexpr std::size_t block = 64;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        if (inner == 1) {
            ctx.pool->parallel_for(0, outer, grain, [&](std::size_t b, std::size_t e, std::size_t) {
                table->softmax_rows(x + b * len, y + b * len, e - b, len);
            });
            return;
        }
        const std::size_t blocks = (inner + block - 1) / block, plane = len * inner;
        ctx.pool->parallel_for(0, outer * blocks, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t u = b; u < e; ++u) {
                const std::size_t o = u / blocks, c0 = u % blocks * block;
                table->softmax_columns(x + o * plane, y + o * plane, len, inner, c0, std::min(inner, c0 + block));
            }
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
        auto s = std::make_unique<softmax_step>();
        s->table = b.table;
        s->len = static_cast<std::size_t>(xs.dims[axis]);
        for (std::size_t d = axis + 1; d < xs.dims.size(); ++d) s->inner *= static_cast<std::size_t>(xs.dims[d]);
        if (s->len == 0 || s->inner == 0) return nullptr;
        s->outer = numel(xs.dims) / s->len / s->inner;
        // an exp per element (and three passes over the row): worth splitting at an eighth of a
        // streaming step's chunk_elements (PaddleOCR rec's attention maps, 8 x 40 x 40 floats, took
        // 0.035 ms each, 2.7 ns per float, on one worker)
        s->grain = chunk_rows(s->len * softmax_cost * std::min(s->inner, softmax_step::block));
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = std::string(s->inner == 1 ? "softmax." : "softmax.columns.") + std::string(b.table->blocking.arch);
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_SOFTMAX_HPP
