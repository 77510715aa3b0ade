#ifndef MOIR_RUNTIME_STEPS_REDUCE_HPP
#define MOIR_RUNTIME_STEPS_REDUCE_HPP

// The reduction step family: FP32 ReduceMean / ReduceSum / ReduceMax / ReduceMin over a trailing run
// of axes (a LayerNorm's mean over the last axis, a global pooling written as a reduction), with
// constant axes, each output the fold of `len` contiguous inputs. The op's own init / combine /
// finish fold in double, in input order, as the reference kernel does, so results are equal.
// Output rows are split across the workers. Other axes are left to the reference family.
//
// Extending: add the op type to `reduce_ops` (it needs the detail::reduction interface).

#include <moir/core/type_list.hpp>
#include <moir/ops/detail/reduce.hpp>  // reduced_axes_mask
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/runtime/steps/step.hpp>

#include <cstdint>    // int64_t
#include <memory>     // unique_ptr, make_unique
#include <string>     // string
#include <vector>     // vector

namespace moir::runtime::steps {

using reduce_ops = type_list<ops::reduce_mean, ops::reduce_sum, ops::reduce_max, ops::reduce_min>;

/// y[r] = Op::finish(fold of x[r*len .. r*len + len), len).
template <class Op>
class reduce_step final : public step {
public:
    std::size_t rows = 0, len = 0, grain = 1;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, rows, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t r = b; r < e; ++r) {
                const float* xr = x + r * len;
                double acc = Op::template init<double>();
                for (std::size_t i = 0; i < len; ++i) acc = Op::template combine<double>(acc, static_cast<double>(xr[i]));
                y[r] = static_cast<float>(Op::template finish<double>(acc, len));
            }
        });
    }
};

/// The family (see the file comment).
struct reduce {
    static constexpr std::string_view name = "reduce";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        std::unique_ptr<step> out;
        for_each_type(reduce_ops{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            if (out || !nd.is<Op>()) return;
            const slot& xs = b.slots[b.input_slot(id, 0)];
            const slot& ys = b.slots[b.output_slot(id)];
            const tensor* axes = b.constant_input(id, 1);
            if (!axes || xs.type != element_type::f32 || ys.type != element_type::f32 || xs.dims.empty()) return;
            const std::size_t rank = xs.dims.size();
            // axes were checked by shape inference when the model was validated
            const std::vector<bool> mask = ops::detail::reduced_axes_mask(axes->to_vector<std::int64_t>(), rank);
            // the reduced axes of size > 1 must be a trailing run
            std::size_t first = rank;
            while (first > 0 && (mask[first - 1] || xs.dims[first - 1] == 1)) --first;
            for (std::size_t d = 0; d < first; ++d)
                if (mask[d] && xs.dims[d] != 1) return;
            std::size_t len = 1;
            for (std::size_t d = first; d < rank; ++d) len *= static_cast<std::size_t>(xs.dims[d]);
            if (len == 0 || numel(ys.dims) * len != numel(xs.dims)) return;
            auto s = std::make_unique<reduce_step<Op>>();
            s->len = len;
            s->rows = numel(ys.dims);
            s->grain = chunk_rows(len);
            out = std::move(s);
        });
        if (!out) return nullptr;
        out->name = nd.name;
        out->ops = std::string(nd.op->ir_name);
        out->kernel = "reduce";
        out->reads = {b.input_slot(id, 0)};
        out->writes = {b.output_slot(id)};
        return out;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_REDUCE_HPP
