#ifndef MOIR_RUNTIME_STEPS_CONVERT_HPP
#define MOIR_RUNTIME_STEPS_CONVERT_HPP

// The Convert step family: Convert between any two element types (boolean included) on the arena,
// element ranges split across the workers, no allocation. The conversion of each element is the
// reference kernel's (kernels/simd/convert.hpp: convert_value, as tensor::converted), so the results
// are equal bit for bit, rounding and overflow included.

#include <moir/kernels/simd/convert.hpp>
#include <moir/ops/convert.hpp>
#include <moir/runtime/steps/step.hpp>

#include <memory>  // unique_ptr, make_unique
#include <string>  // string

namespace moir::runtime::steps {

/// y = x converted element by element with `fn`.
class convert_step final : public step {
public:
    kernels::simd::convert_fn fn = nullptr;
    std::size_t n = 0;

    void run(const run_context& ctx) const override {
        const void* x = ctx.data(reads[0]);
        void* y = ctx.out(writes[0]);
        ctx.pool->parallel_for(0, n, chunk_elements, [&](std::size_t b, std::size_t e, std::size_t) { fn(x, y, b, e); });
    }
};

/// The family (see the file comment).
struct convert {
    static constexpr std::string_view name = "convert";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || !nd.is<ops::convert>() || nd.inputs.size() != 1 || nd.outputs.size() != 1) return nullptr;
        const slot& x = b.slots[b.input_slot(id, 0)];
        const slot& y = b.slots[b.output_slot(id)];
        if (x.type == element_type::undefined || y.type == element_type::undefined || numel(x.dims) != numel(y.dims))
            return nullptr;
        auto s = std::make_unique<convert_step>();
        s->fn = kernels::simd::convert_function(x.type, y.type);
        s->n = numel(y.dims);
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = "convert";
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_CONVERT_HPP
