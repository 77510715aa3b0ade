#ifndef MOIR_RUNTIME_STEPS_MATMUL_HPP
#define MOIR_RUNTIME_STEPS_MATMUL_HPP

// The fast MatMul step family: FP32 MatMul(A, B) with A not transposed, fused with a following bias
// Add that varies along the last axis and an activation (steps/fusion.hpp), on gemm_b.
//   - B a constant matrix ([K, N], or [N, K] with transpose_b; leading dims of 1 allowed): packed
//     once; A's rows (all batch dims folded into M) stream through gemm_b, split across the workers;
//     or, when the rows cut into whole micro-tiles less evenly than the columns do (PaddleOCR rec's
//     40 rows against its 6625-class head), B is packed as blocks of columns, one per worker.
//   - B an activation (attention's Q x K^T and P x V): batches of matrices, each operand's batch
//     dims broadcast to the output's (NumPy rules: a dim equal to the output's or 1, missing leading
//     dims 1); each worker packs its batch's B into its scratch at run time (a batch cut into row
//     blocks when there are fewer batches than workers, each packing B again).
//   - A a constant of a few rows and B an activation (Kaldi's statistics pooling: a window of ones
//     [1, frames] times [frames, features]): A packed once, B read where it lies (gemm_a_inplace),
//     its columns split between the workers. Packing B per run, as the case above does, copies all
//     of B for a product that reads it once.

#include <moir/kernels/simd/table.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/runtime/steps/fusion.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max, min
#include <cstddef>    // ptrdiff_t, size_t
#include <cstdint>    // int64_t
#include <memory>     // unique_ptr, make_unique
#include <string>     // string
#include <vector>     // vector

namespace moir::runtime::steps {

/// C[M, N] = act(A[M, K] * B + bias) on the packed B.
class matmul_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    kernels::simd::packed_b w;  // all of B, or empty when `columns` holds it
    // B as blocks of columns (only at more than one thread): block i is B's columns from column_begin[i]
    std::vector<kernels::simd::packed_b> columns;
    std::vector<std::size_t> column_begin;
    fused_epilogue fused;
    kernels::simd::epilogue ep;
    std::size_t rows = 0, k = 0, n = 0, grain = 1;

    void run(const run_context& ctx) const override {
        const float* a = ctx.in_f32(reads[0]);
        float* c = ctx.out_f32(writes[0]);
        if (!columns.empty()) {
            ctx.pool->parallel_for(0, columns.size(), 1, [&](std::size_t b, std::size_t e, std::size_t) {
                for (std::size_t i = b; i < e; ++i) {
                    const kernels::simd::epilogue pe = ep.columns_from(column_begin[i]);
                    table->gemm_b(columns[i], a, static_cast<std::ptrdiff_t>(k), rows, c + column_begin[i],
                                  static_cast<std::ptrdiff_t>(n), pe);
                }
            });
            return;
        }
        ctx.pool->parallel_for(0, rows, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            table->gemm_b(w, a + b * k, static_cast<std::ptrdiff_t>(k), e - b, c + b * n, static_cast<std::ptrdiff_t>(n),
                          ep);
        });
    }
};

/// C_i[M, N] = act(A_i[M, K] * B_i + bias) for batches i, B_i packed per run.
class batched_matmul_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    fused_epilogue fused;
    kernels::simd::epilogue ep;
    std::size_t batches = 0, m = 0, k = 0, n = 0;
    std::size_t a_stride = 0, b_stride = 0;  // floats between batches (0: shared)
    // where batch i's matrices start (floats), when its operands broadcast along some batch axes
    // and not others ([2, 1, M, K] x [3, K, N]); empty: i * a_stride and i * b_stride
    std::vector<std::size_t> a_off, b_off;
    bool transpose_b = false;
    std::size_t row_blocks = 1, block_rows = 0;

    void run(const run_context& ctx) const override {
        const float* a = ctx.in_f32(reads[0]);
        const float* bm = ctx.in_f32(reads[1]);
        float* c = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, batches * row_blocks, 1, [&](std::size_t t0, std::size_t t1, std::size_t w) {
            for (std::size_t t = t0; t < t1; ++t) {
                const std::size_t i = t / row_blocks, r0 = (t % row_blocks) * block_rows;
                const std::size_t rows = std::min(m, r0 + block_rows) - r0;
                const float* bi = bm + (b_off.empty() ? i * b_stride : b_off[i]);
                const float* ai = a + (a_off.empty() ? i * a_stride : a_off[i]);
                const auto pb = transpose_b ? kernels::simd::pack_b_into(table->blocking, bi, k, n, 1,
                                                                         static_cast<std::ptrdiff_t>(k), ctx.scratch_of(w))
                                            : kernels::simd::pack_b_into(table->blocking, bi, k, n,
                                                                         static_cast<std::ptrdiff_t>(n), 1, ctx.scratch_of(w));
                table->gemm_b(pb, ai + r0 * k, static_cast<std::ptrdiff_t>(k), rows,
                              c + (i * m + r0) * n, static_cast<std::ptrdiff_t>(n), ep);
            }
        });
    }
};

/// C[M, N] = A * B for a constant A of few rows (packed) and an activation B [K, N] read in place.
class constant_left_matmul_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    kernels::simd::packed_a a;
    std::size_t n = 0, grain = 1;

    void run(const run_context& ctx) const override {
        const float* bm = ctx.in_f32(reads[0]);
        float* c = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, n, grain, [&](std::size_t j0, std::size_t j1, std::size_t) {
            table->gemm_a_inplace(a, bm + j0, static_cast<std::ptrdiff_t>(n), j1 - j0, c + j0,
                                  static_cast<std::ptrdiff_t>(n), kernels::simd::epilogue{});
        });
    }
};

/// The family (see the file comment).
struct matmul {
    static constexpr std::string_view name = "matmul";

    /// Whether every dim of d before its last two is 1 (d a matrix with unit batch dims).
    static bool leading_ones(const shape& d) {
        for (std::size_t i = 0; i + 2 < d.size(); ++i)
            if (d[i] != 1) return false;
        return true;
    }

    /// The columns per block of B for C[m, n] = A[m, k] * B at `threads` threads: n (B whole, the rows
    /// split as matmul_step::run splits them) unless blocks of whole nr-column panels, one per worker,
    /// need fewer micro-tiles on the busiest worker.
    static std::size_t column_block(const kernels::simd::gemm_blocking& bl, std::size_t m, std::size_t n,
                                    std::size_t threads) {
        return other_axis_block(m, bl.mr, n, bl.nr(), threads);
    }

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || !nd.is<ops::matmul>()) return nullptr;
        const auto& at = nd.attrs_as<ops::matmul>();
        const slot& as = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const tensor* w = b.constant_input(id, 1);
        if (!w) {
            if (auto s = constant_left(b, id)) return s;
            return activations(b, id);
        }
        if (at.transpose_a || w->type() != element_type::f32 || as.type != element_type::f32 ||
            ys.type != element_type::f32 || as.dims.size() < 2 || w->rank() < 2)
            return nullptr;
        if (!leading_ones(w->dims())) return nullptr;
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
        s->grain = tile_grain(s->rows, b.table->blocking.mr, b.threads);
        // element (k, j) of B at wp[k*rs + j*cs]
        const float* wp = w->data<float>();
        const auto rs = at.transpose_b ? std::ptrdiff_t(1) : static_cast<std::ptrdiff_t>(n);
        const auto cs = at.transpose_b ? static_cast<std::ptrdiff_t>(k) : std::ptrdiff_t(1);
        const std::size_t block = b.threads > 1 ? column_block(b.table->blocking, s->rows, n, b.threads) : n;
        if (block < n) {
            for (std::size_t j = 0; j < n; j += block) {
                s->column_begin.push_back(j);
                s->columns.push_back(kernels::simd::pack_b(b.table->blocking, wp + static_cast<std::ptrdiff_t>(j) * cs, k,
                                                           std::min(block, n - j), rs, cs));
            }
        } else {
            s->w = kernels::simd::pack_b(b.table->blocking, wp, k, n, rs, cs);
        }
        s->fused = match_epilogue(b, output_ref{id, 0}, ys.dims.size() - 1, n, false, plan_builder::npos, true, true);
        s->ep = s->fused.kernel_epilogue(true);
        s->name = nd.name;
        s->ops = "MatMul" + s->fused.ops;
        s->kernel = "gemm." + std::string(b.table->blocking.arch) + s->fused.act_suffix();
        s->reads = {b.input_slot(id, 0)};
        s->writes = {s->fused.out_slot};
        return s;
    }

    /// MatMul of a constant A [M, K] of at most mr rows (leading dims of 1 allowed) and an activation
    /// B [K, N] (see the file comment), or nullptr. gemm_a_inplace loads a row's last vector whole:
    /// B is an arena tensor (64 bytes of slack after the last one) or N a whole number of vectors.
    static std::unique_ptr<step> constant_left(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        const auto& at = nd.attrs_as<ops::matmul>();
        const tensor* a = b.constant_input(id, 0);
        const slot& bs = b.slots[b.input_slot(id, 1)];
        const slot& ys = b.slots[b.output_slot(id)];
        const auto& bl = b.table->blocking;
        if (!a || at.transpose_a || at.transpose_b || a->type() != element_type::f32 || bs.type != element_type::f32 ||
            ys.type != element_type::f32 || a->rank() < 2 || bs.dims.size() < 2)
            return nullptr;
        if (!leading_ones(a->dims()) || !leading_ones(bs.dims)) return nullptr;
        const auto m = static_cast<std::size_t>(a->dims()[a->rank() - 2]);
        const auto k = static_cast<std::size_t>(a->dims()[a->rank() - 1]);
        const auto bk = static_cast<std::size_t>(bs.dims[bs.dims.size() - 2]);
        const auto n = static_cast<std::size_t>(bs.dims.back());
        if (m == 0 || m > bl.mr || k == 0 || n == 0 || bk != k || numel(ys.dims) != m * n ||
            static_cast<std::size_t>(ys.dims.back()) != n)
            return nullptr;
        if (bs.where != slot::kind::arena && n % bl.width != 0) return nullptr;
        auto s = std::make_unique<constant_left_matmul_step>();
        s->table = b.table;
        s->a = kernels::simd::pack_a(bl, a->data<float>(), m, k, static_cast<std::ptrdiff_t>(k), 1);
        s->n = n;
        s->grain = tile_grain(n, bl.nr(), b.threads);
        s->name = nd.name;
        s->ops = "MatMul";
        s->kernel = "gemm_inplace." + std::string(bl.arch);
        s->reads = {b.input_slot(id, 1)};
        s->writes = {b.output_slot(id)};
        return s;
    }

    /// MatMul of two activations (see the file comment), or nullptr.
    static std::unique_ptr<step> activations(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        const auto& at = nd.attrs_as<ops::matmul>();
        const slot& as = b.slots[b.input_slot(id, 0)];
        const slot& bs = b.slots[b.input_slot(id, 1)];
        const slot& ys = b.slots[b.output_slot(id)];
        if (at.transpose_a || as.type != element_type::f32 || bs.type != element_type::f32 ||
            ys.type != element_type::f32 || as.dims.size() < 2 || bs.dims.size() < 2 || ys.dims.size() < 2)
            return nullptr;
        const std::size_t ra = as.dims.size(), rb = bs.dims.size(), ry = ys.dims.size();
        const auto m = static_cast<std::size_t>(as.dims[ra - 2]), k = static_cast<std::size_t>(as.dims[ra - 1]);
        const auto bk = static_cast<std::size_t>(bs.dims[rb - (at.transpose_b ? 1 : 2)]);
        const auto n = static_cast<std::size_t>(bs.dims[rb - (at.transpose_b ? 2 : 1)]);
        if (bk != k || m == 0 || k == 0 || n == 0 || static_cast<std::size_t>(ys.dims[ry - 2]) != m ||
            static_cast<std::size_t>(ys.dims[ry - 1]) != n || ra > ry || rb > ry)
            return nullptr;
        // batch dims: each operand's (right-aligned) equal the output's or 1 along each axis; one
        // stride between batches when they are all equal (or all 1), else an offset per batch
        const std::size_t batches = numel(ys.dims) / (m * n);
        auto offsets = [&](const shape& d, std::size_t matrix, std::size_t& stride, std::vector<std::size_t>& off) {
            const std::size_t lead = ry - d.size();
            bool equal = true, ones = true;
            std::vector<std::size_t> step(ry, 0);  // floats per index along each output batch axis
            std::size_t run = matrix;
            for (std::size_t i = ry - 2; i-- > 0;) {
                const std::int64_t v = i < lead ? 1 : d[i - lead];
                if (v != 1 && v != ys.dims[i]) return false;
                equal = equal && v == ys.dims[i];
                ones = ones && v == 1;
                step[i] = v == 1 ? 0 : run;
                run *= static_cast<std::size_t>(v);
            }
            stride = ones ? 0 : matrix;
            if (ones || equal) return true;
            off.resize(batches);
            for (std::size_t t = 0; t < batches; ++t) {
                std::size_t rest = t, o = 0;
                for (std::size_t i = ry - 2; i-- > 0;) {
                    o += rest % static_cast<std::size_t>(ys.dims[i]) * step[i];
                    rest /= static_cast<std::size_t>(ys.dims[i]);
                }
                off[t] = o;
            }
            return true;
        };
        auto s = std::make_unique<batched_matmul_step>();
        if (!offsets(as.dims, m * k, s->a_stride, s->a_off) || !offsets(bs.dims, k * n, s->b_stride, s->b_off))
            return nullptr;
        s->table = b.table;
        s->m = m, s->k = k, s->n = n;
        s->batches = batches;
        s->transpose_b = at.transpose_b;
        const std::size_t mr = b.table->blocking.mr;
        s->block_rows = m;
        if (s->batches < b.threads && m >= 2 * mr) {
            const std::size_t want = (b.threads + s->batches - 1) / s->batches;
            s->block_rows = std::max(mr, (m + want - 1) / want / mr * mr);
            s->row_blocks = (m + s->block_rows - 1) / s->block_rows;
        }
        s->scratch_floats = kernels::simd::packed_b_floats(b.table->blocking, k, n);
        s->fused = match_epilogue(b, output_ref{id, 0}, ry - 1, n);
        s->ep = s->fused.kernel_epilogue(true);
        s->name = nd.name;
        s->ops = "MatMul" + s->fused.ops;
        s->kernel = "batched_gemm." + std::string(b.table->blocking.arch) + s->fused.act_suffix();
        s->reads = {b.input_slot(id, 0), b.input_slot(id, 1)};
        s->writes = {s->fused.out_slot};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_MATMUL_HPP
