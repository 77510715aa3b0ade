#ifndef MOIR_RUNTIME_STEPS_FAKE_QUANTIZE_HPP
#define MOIR_RUNTIME_STEPS_FAKE_QUANTIZE_HPP

// The FP32 FakeQuantize step family: a per-tensor FakeQuantize (scalar il, ih, ol, oh; il < ih; any
// levels) on f32 that the INT8 family (steps/int8_convolution.hpp) did not take, run element-wise
// on the vector kernels of the plan's arch (kernels/simd/int8_quantize.hpp: FakeQuantize's own
// formula, so the values equal the reference kernel's up to the last bit of the final multiply-add)
// and split across the workers. Per-channel ranges are left to the reference family.

#include <moir/kernels/simd/int8_table.hpp>
#include <moir/ops/fake_quantize.hpp>
#include <moir/runtime/steps/step.hpp>

#include <memory>  // unique_ptr, make_unique
#include <string>  // string

namespace moir::runtime::steps {

/// y = FakeQuantize(x) with scalar ranges.
class fake_quantize_step final : public step {
public:
    const kernels::simd::int8_kernel_table* t = nullptr;
    std::size_t n = 0, levels = 256;
    float il = 0.0f, ih = 0.0f, ol = 0.0f, oh = 0.0f;
    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, n, chunk_elements, [&](std::size_t b, std::size_t e, std::size_t) {
            t->fake_quantize_f32(x + b, y + b, e - b, il, ih, ol, oh, levels);
        });
    }
};

/// The family (see the file comment).
struct fake_quantize {
    static constexpr std::string_view name = "fake_quantize";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.int8 || !nd.is<ops::fake_quantize>() || nd.inputs.size() != 5) return nullptr;
        const slot& x = b.slots[b.input_slot(id, 0)];
        const slot& y = b.slots[b.output_slot(id)];
        if (x.type != element_type::f32 || y.type != element_type::f32 || x.dims != y.dims) return nullptr;
        float r[4];
        for (std::size_t i = 0; i < 4; ++i) {
            const tensor* v = b.constant_input(id, i + 1);
            if (!v || v->numel() != 1) return nullptr;
            r[i] = v->at_as<float>(0);
        }
        const auto levels = nd.attrs_as<ops::fake_quantize>().levels;
        if (!(r[0] < r[1]) || levels < 2) return nullptr;
        auto s = std::make_unique<fake_quantize_step>();
        s->t = b.int8;
        s->n = numel(y.dims);
        s->levels = static_cast<std::size_t>(levels);
        s->il = r[0], s->ih = r[1], s->ol = r[2], s->oh = r[3];
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = "fake_quantize." + std::string(b.int8->blocking.arch);
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_FAKE_QUANTIZE_HPP
