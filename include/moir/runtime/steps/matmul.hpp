#ifndef MOIR_RUNTIME_STEPS_MATMUL_HPP
#define MOIR_RUNTIME_STEPS_MATMUL_HPP

// The fast MatMul step family: FP32 MatMul(A, B) with B a constant matrix ([K, N], or [N, K] with
// transpose_b; leading dims of 1 allowed) and A not transposed, fused with a following bias Add
// that varies along the last axis and an activation (steps/fusion.hpp). B is packed once; A's rows
// (all batch dims folded into M) stream through gemm_b, split across the workers.

#include <moir/kernels/simd/table.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/runtime/steps/fusion.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max
#include <memory>     // unique_ptr, make_unique
#include <string>     // string

namespace moir::runtime::steps {

/// C[M, N] = act(A[M, K] * B + bias) on the packed B.
class matmul_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    kernels::simd::packed_b w;
    fused_epilogue fused;
    kernels::simd::epilogue ep;
    std::size_t rows = 0, k = 0, n = 0, grain = 1;

    void run(const run_context& ctx) const override {
        const float* a = ctx.in_f32(reads[0]);
        float* c = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, rows, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            table->gemm_b(w, a + b * k, static_cast<std::ptrdiff_t>(k), e - b, c + b * n, static_cast<std::ptrdiff_t>(n),
                          ep);
        });
    }
};

/// The family (see the file comment).
struct matmul {
    static constexpr std::string_view name = "matmul";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || !nd.is<ops::matmul>()) return nullptr;
        const auto& at = nd.attrs_as<ops::matmul>();
        const slot& as = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const tensor* w = b.constant_input(id, 1);
        if (at.transpose_a || !w || w->type() != element_type::f32 || as.type != element_type::f32 ||
            ys.type != element_type::f32 || as.dims.size() < 2 || w->rank() < 2)
            return nullptr;
        for (std::size_t d = 0; d + 2 < w->rank(); ++d)
            if (w->dims()[d] != 1) return nullptr;
        if (w->rank() > as.dims.size()) return nullptr;  // B's unit dims would add output dims
        const auto kd = static_cast<std::size_t>(w->dims()[w->rank() - 2]);
        const auto nd2 = static_cast<std::size_t>(w->dims()[w->rank() - 1]);
        const std::size_t k = at.transpose_b ? nd2 : kd, n = at.transpose_b ? kd : nd2;
        if (static_cast<std::size_t>(as.dims.back()) != k || k == 0 || n == 0) return nullptr;
        auto s = std::make_unique<matmul_step>();
        s->table = b.table;
        s->k = k, s->n = n;
        s->rows = numel(as.dims) / k;
        if (s->rows == 0) return nullptr;
        s->w = at.transpose_b ? kernels::simd::pack_b(b.table->blocking, w->data<float>(), k, n, 1, static_cast<std::ptrdiff_t>(k))
                              : kernels::simd::pack_b(b.table->blocking, w->data<float>(), k, n, static_cast<std::ptrdiff_t>(n), 1);
        s->fused = match_epilogue(b, output_ref{id, 0}, ys.dims.size() - 1, n);
        s->ep = s->fused.kernel_epilogue(true);
        const std::size_t mr = b.table->blocking.mr;
        s->grain = std::max(mr, (s->rows / b.threads + mr - 1) / mr * mr);
        s->name = nd.name;
        s->ops = "MatMul" + s->fused.ops;
        s->kernel = "gemm." + std::string(b.table->blocking.arch) + s->fused.act_suffix();
        s->reads = {b.input_slot(id, 0)};
        s->writes = {s->fused.out_slot};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_MATMUL_HPP
