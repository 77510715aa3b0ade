#ifndef MOIR_RUNTIME_STEPS_SPLIT_HPP
#define MOIR_RUNTIME_STEPS_SPLIT_HPP

// The split step family: Split and VariadicSplit along any axis (a constant axis, and constant
// lengths), any element type: with the input viewed as [outer][axis][inner], output k is the block
// [outer][offset_k, offset_k + length_k)[inner], copied as `outer` contiguous runs of
// length_k * inner elements. The runs of every output are split across the workers. A Split whose
// axis or lengths are computed at run time stays with the reference family.

#include <moir/ops/split.hpp>
#include <moir/ops/variadic_split.hpp>
#include <moir/runtime/steps/step.hpp>

#include <cstddef>  // size_t, byte
#include <cstdint>  // int64_t
#include <cstring>  // memcpy
#include <memory>   // unique_ptr, make_unique
#include <string>   // string
#include <vector>   // vector

namespace moir::runtime::steps {

/// Copies each output's runs out of the input (see the file comment).
class split_step final : public step {
public:
    std::size_t elem = 4, outer = 0, axis = 0, inner = 0;  // the input as [outer][axis][inner]
    std::vector<std::size_t> offset, length;               // per output, along the axis
    std::size_t grain = 1;                                 // runs per chunk at least

    void run(const run_context& ctx) const override {
        const auto* x = static_cast<const std::byte*>(ctx.data(reads[0]));
        const std::size_t parts = writes.size(), row = axis * inner * elem;
        // run u: output u / outer, outer index u % outer (each worker writes consecutive runs)
        ctx.pool->parallel_for(0, outer * parts, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t u = b; u < e; ++u) {
                const std::size_t k = u / outer, o = u % outer, run = length[k] * inner * elem;
                auto* y = static_cast<std::byte*>(ctx.out(writes[k]));
                std::memcpy(y + o * run, x + o * row + offset[k] * inner * elem, run);
            }
        });
    }
};

/// The family (see the file comment).
struct split {
    static constexpr std::string_view name = "split";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        const bool variadic = nd.is<ops::variadic_split>();
        if (!variadic && !nd.is<ops::split>()) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const tensor* axis_value = b.constant_input(id, 1);
        if (xs.dims.empty() || !axis_value || axis_value->numel() != 1 || !is_integer(axis_value->type())) return nullptr;
        const std::int64_t rank = static_cast<std::int64_t>(xs.dims.size());
        const std::int64_t a = axis_value->at_as<std::int64_t>(0);
        if (a < -rank || a >= rank) return nullptr;
        const std::size_t ax = static_cast<std::size_t>(a < 0 ? a + rank : a);
        auto s = std::make_unique<split_step>();
        s->elem = size_of(xs.type);
        s->axis = static_cast<std::size_t>(xs.dims[ax]);
        s->outer = 1, s->inner = 1;
        for (std::size_t d = 0; d < ax; ++d) s->outer *= static_cast<std::size_t>(xs.dims[d]);
        for (std::size_t d = ax + 1; d < xs.dims.size(); ++d) s->inner *= static_cast<std::size_t>(xs.dims[d]);
        if (s->outer == 0 || s->elem == 0) return nullptr;
        // each output's length along the axis, from its planned shape (checked against the others)
        std::size_t at = 0;
        for (std::size_t p = 0; p < nd.outputs.size(); ++p) {
            const slot& ys = b.slots[b.output_slot(id, p)];
            if (ys.type != xs.type || ys.dims.size() != xs.dims.size() || ys.where != slot::kind::arena ||
                ys.alias != no_slot)
                return nullptr;
            for (std::size_t d = 0; d < xs.dims.size(); ++d)
                if (d != ax && ys.dims[d] != xs.dims[d]) return nullptr;
            s->offset.push_back(at);
            s->length.push_back(static_cast<std::size_t>(ys.dims[ax]));
            at += s->length.back();
            s->writes.push_back(b.output_slot(id, p));
        }
        if (at != s->axis || s->writes.empty()) return nullptr;
        s->grain = chunk_rows(s->axis * s->inner / s->writes.size() * s->elem / 4);
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = "split";
        for (std::size_t i = 0; i < nd.inputs.size(); ++i) s->reads.push_back(b.input_slot(id, i));
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_SPLIT_HPP
