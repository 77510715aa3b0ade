#ifndef MOIR_RUNTIME_STEPS_GATHER_HPP
#define MOIR_RUNTIME_STEPS_GATHER_HPP

// The Gather step family: Gather of any element type along a constant axis, with batch_dims, by
// i32 or i64 indices (constant or computed: a TopK's indices, a Shape's), on the arena with no
// allocation: each index copies one row of the data (the product of the dims after the axis). As
// the reference kernel: a negative index counts from the end, one out of range gives a row of zeros.

#include <moir/ops/gather.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max
#include <cstddef>  // byte, size_t
#include <cstdint>  // int32_t, int64_t
#include <cstring>  // memcpy, memset
#include <memory>   // unique_ptr, make_unique
#include <string>   // string

namespace moir::runtime::steps {

/// y[b, o, j] = data[b, o, indices[b, j]] in rows of `row` bytes.
class gather_step final : public step {
public:
    std::size_t batch = 1, outer = 1, count = 0, row = 0;
    std::int64_t dim = 0;
    bool i32_indices = false;

    void run(const run_context& ctx) const override {
        const auto* src = static_cast<const std::byte*>(ctx.data(reads[0]));
        const void* idx = ctx.data(reads[1]);
        auto* dst = static_cast<std::byte*>(ctx.out(writes[0]));
        const auto udim = static_cast<std::size_t>(dim);
        const std::size_t lines = batch * outer;
        const std::size_t line_bytes = count * row;
        const std::size_t grain = std::max<std::size_t>(1, chunk_elements * 4 / (line_bytes ? line_bytes : 1));
        ctx.pool->parallel_for(0, lines, grain, [&](std::size_t begin, std::size_t end, std::size_t) {
            for (std::size_t line = begin; line < end; ++line) {
                const std::size_t bi = line / outer;
                std::byte* d = dst + line * count * row;
                for (std::size_t j = 0; j < count; ++j, d += row) {
                    const std::size_t at = bi * count + j;
                    std::int64_t k = i32_indices ? static_cast<const std::int32_t*>(idx)[at]
                                                 : static_cast<const std::int64_t*>(idx)[at];
                    if (k < 0) k += dim;
                    if (k >= 0 && k < dim)
                        std::memcpy(d, src + (line * udim + static_cast<std::size_t>(k)) * row, row);
                    else
                        std::memset(d, 0, row);  // out of range: zeros
                }
            }
        });
    }
};

/// The family (see the file comment).
struct gather {
    static constexpr std::string_view name = "gather";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || !nd.is<ops::gather>() || nd.inputs.size() != 3 || nd.outputs.size() != 1) return nullptr;
        const tensor* axis_t = b.constant_input(id, 2);
        if (!axis_t || axis_t->numel() != 1) return nullptr;
        const slot& x = b.slots[b.input_slot(id, 0)];
        const slot& ix = b.slots[b.input_slot(id, 1)];
        const slot& y = b.slots[b.output_slot(id)];
        if (y.type != x.type || (ix.type != element_type::i32 && ix.type != element_type::i64)) return nullptr;
        const shape& ds = x.dims;
        const shape& is = ix.dims;
        if (ds.empty()) return nullptr;
        const std::size_t axis = normalize_axis(axis_t->at_as<std::int64_t>(0), ds.size());
        const std::size_t bd = ops::gather::resolve_batch_dims(nd.attrs_as<ops::gather>().batch_dims, is.size());
        if (bd > axis) return nullptr;
        auto s = std::make_unique<gather_step>();
        for (std::size_t d = 0; d < bd; ++d) s->batch *= static_cast<std::size_t>(ds[d]);
        for (std::size_t d = bd; d < axis; ++d) s->outer *= static_cast<std::size_t>(ds[d]);
        s->dim = ds[axis];
        s->row = size_of(x.type);
        for (std::size_t d = axis + 1; d < ds.size(); ++d) s->row *= static_cast<std::size_t>(ds[d]);
        s->count = 1;
        for (std::size_t d = bd; d < is.size(); ++d) s->count *= static_cast<std::size_t>(is[d]);
        s->i32_indices = ix.type == element_type::i32;
        if (s->row == 0 || numel(y.dims) * size_of(y.type) != s->batch * s->outer * s->count * s->row) return nullptr;
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = "gather";
        s->reads = {b.input_slot(id, 0), b.input_slot(id, 1), b.input_slot(id, 2)};
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_GATHER_HPP
