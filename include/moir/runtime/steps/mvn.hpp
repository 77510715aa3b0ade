#ifndef MOIR_RUNTIME_STEPS_MVN_HPP
#define MOIR_RUNTIME_STEPS_MVN_HPP

// The MVN step family: FP32 MVN (ONNX LayerNormalization, MeanVarianceNormalization, Caffe's MVN,
// and the decomposed LayerNorms passes/fusions/mvn.hpp recognises) whose normalized axes of size > 1
// are consecutive, on the arch's vector kernels (kernels/simd/normalization.hpp): mvn_rows when no
// kept axis of size > 1 follows them (a LayerNorm over the last axes, an instance norm over H and
// W), rows split across the workers; mvn_columns when some do (a LayerNorm over the channels of
// NCHW data: each normalized value `inner` floats from the next), blocks of columns split across
// the workers. The LayerNorm's scale and shift that follow it run in the same pass: a Multiply,
// then an Add, by constants that vary along the normalized axes only (or not at all), each the only
// reader of what it reads. Normalized axes with a kept one of size > 1 between them are left to the
// reference family.

#include <moir/kernels/simd/table.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/mvn.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // min
#include <cstdint>    // int64_t
#include <memory>   // unique_ptr, make_unique
#include <string>   // string
#include <vector>   // vector

namespace moir::runtime::steps {

/// MVN of x viewed as [outer][len][inner] over its len axis (inner == 1: rows of `len` contiguous
/// floats), then the optional scale and shift per normalized position.
class mvn_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    std::size_t outer = 0, len = 0, inner = 1;
    std::size_t grain = 1;  // rows (inner == 1) or blocks of `block` columns per chunk
    kernels::simd::mvn_params params;  // its gamma and beta unset: run() points them at the vectors below
    std::vector<float> gamma, beta;    // empty: none

    /// The columns of one unit of work when inner > 1: a multiple of every arch's vector width.
    static constexpr std::size_t block = 64;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        kernels::simd::mvn_params p = params;
        p.gamma = gamma.empty() ? nullptr : gamma.data();
        p.beta = beta.empty() ? nullptr : beta.data();
        if (inner == 1) {
            ctx.pool->parallel_for(0, outer, grain, [&](std::size_t b, std::size_t e, std::size_t) {
                table->mvn_rows(x + b * len, y + b * len, e - b, len, p);
            });
            return;
        }
        const std::size_t blocks = (inner + block - 1) / block, plane = len * inner;
        ctx.pool->parallel_for(0, outer * blocks, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t u = b; u < e; ++u) {
                const std::size_t o = u / blocks, c0 = u % blocks * block;
                table->mvn_columns(x + o * plane, y + o * plane, len, inner, c0, std::min(inner, c0 + block), p);
            }
        });
    }
};

/// The family (see the file comment).
struct mvn {
    static constexpr std::string_view name = "mvn";
    /// The time of one element in streaming elements' (chunk_elements): three passes over the row.
    static constexpr std::size_t mvn_cost = 3;

    /// The len values of constant c over the normalized block of dims, axes [first, last), when c
    /// broadcasts to dims varying along that block only (a scalar: every value the same); else empty.
    static std::vector<float> per_position(const tensor& c, const std::vector<std::int64_t>& dims, std::size_t first,
                                           std::size_t last, std::size_t len) {
        if (c.type() != element_type::f32 || c.dims().size() > dims.size()) return {};
        if (c.numel() == 1) return std::vector<float>(len, c.data<float>()[0]);
        if (c.numel() != len) return {};
        const std::size_t off = dims.size() - c.dims().size();
        for (std::size_t i = 0; i < c.dims().size(); ++i) {
            const std::int64_t cd = c.dims()[i], xd = dims[off + i];
            if (cd != 1 && (cd != xd || off + i < first || off + i >= last)) return {};
        }
        return std::vector<float>(c.data<float>(), c.data<float>() + len);
    }

    /// The constant other input of binary node n reading output r, where its values fit
    /// per_position and n's output has r's shape; empty otherwise.
    static std::vector<float> affine_operand(const plan_builder& b, node_id n, output_ref r,
                                             const std::vector<std::int64_t>& dims, std::size_t first, std::size_t last,
                                             std::size_t len) {
        const node& nd = b.at(n);
        if (nd.inputs.size() != 2) return {};
        const std::size_t ci = nd.inputs[0] == r ? 1 : 0;
        if (nd.inputs[ci] == r) return {};  // x * x
        const tensor* c = b.constant_input(n, ci);
        const slot& ys = b.slots[b.output_slot(n)];
        if (!c || ys.type != element_type::f32 || ys.dims != dims) return {};
        return per_position(*c, dims, first, last, len);
    }

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || !nd.is<ops::mvn>()) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const tensor* axes = b.constant_input(id, 1);
        if (xs.type != element_type::f32 || ys.type != element_type::f32 || xs.dims.empty() || xs.dims != ys.dims ||
            !axes || axes->numel() == 0)
            return nullptr;
        const std::size_t rank = xs.dims.size();
        std::vector<bool> normalized(rank, false);
        for (std::size_t i = 0; i < axes->numel(); ++i) {
            const auto a = axes->at_as<std::int64_t>(i);
            if (a < -static_cast<std::int64_t>(rank) || a >= static_cast<std::int64_t>(rank)) return nullptr;
            normalized[static_cast<std::size_t>(a < 0 ? a + static_cast<std::int64_t>(rank) : a)] = true;
        }
        // the normalized axes of size > 1: [first, last) with no kept axis of size > 1 among them
        // (a kept axis of size 1 changes nothing); inner: the kept elements after them
        std::size_t len = 1, first = rank, last = rank;
        bool ended = false;  // a kept axis of size > 1 came after the block began
        for (std::size_t d = 0; d < rank; ++d) {
            if (normalized[d]) {
                len *= static_cast<std::size_t>(xs.dims[d]);
                if (xs.dims[d] > 1) {
                    if (ended) return nullptr;
                    if (first == rank) first = d;
                    last = d + 1;
                }
            } else if (xs.dims[d] > 1 && first < rank) {
                ended = true;
            }
        }
        if (len == 0) return nullptr;
        if (first == rank) first = rank - 1, last = rank;  // every normalized axis of size 1
        std::size_t inner = 1;
        for (std::size_t d = last; d < rank; ++d)
            if (!normalized[d]) inner *= static_cast<std::size_t>(xs.dims[d]);
        if (inner == 0) return nullptr;
        const auto& a = nd.attrs_as<ops::mvn>();
        auto s = std::make_unique<mvn_step>();
        s->table = b.table;
        s->len = len;
        s->inner = inner;
        s->outer = numel(xs.dims) / len / inner;
        s->grain = chunk_rows(len * mvn_cost * (inner == 1 ? 1 : std::min(inner, mvn_step::block)));
        s->params.normalize_variance = a.normalize_variance;
        s->params.eps_inside_sqrt = a.eps_mode == ops::mvn_eps_mode::inside_sqrt;
        s->params.eps = a.eps;
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = std::string(inner == 1 ? "mvn." : "mvn.columns.") + std::string(b.table->blocking.arch);
        // the LayerNorm's scale (Multiply) and shift (Add), when they follow: each one that fits is
        // claimed, and the step writes its output
        output_ref out{id, 0};
        auto follow = [&](node_id n, const char* op) {
            std::vector<float> v;
            if (n != plan_builder::npos) v = affine_operand(b, n, out, xs.dims, first, last, len);
            if (!v.empty()) b.claim(n), s->ops += std::string("+") + op, out = {n, 0};
            return v;
        };
        s->gamma = follow(b.single_consumer<ops::multiply>(out), "Multiply");
        s->beta = follow(b.single_consumer<ops::add>(out), "Add");
        if (!s->gamma.empty() || !s->beta.empty()) s->kernel += "+affine";
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.slot_of(out)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_MVN_HPP
