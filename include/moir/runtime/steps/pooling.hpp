#ifndef MOIR_RUNTIME_STEPS_POOLING_HPP
#define MOIR_RUNTIME_STEPS_POOLING_HPP

// The pooling step family: FP32 2-D MaxPool and AvgPool (any kernel, stride, padding, rounding,
// exclude_pad, with the reference kernel's window rules), and ReduceMean over the two spatial axes
// of an NCHW tensor (global average pooling), planes split across the workers, about chunk_elements
// of reading per chunk (a small pool stays on one thread). Sums in double, as the reference kernels do.

#include <moir/kernels/simd/table.hpp>  // fp32_kernel_table: pool_planes per arch
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/max_pool.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max, min
#include <cstdint>    // int64_t
#include <memory>     // unique_ptr, make_unique
#include <string>     // string

namespace moir::runtime::steps {

/// MaxPool / AvgPool over [planes, H, W].
class pool_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;  ///< pool_planes compiled for the plan's arch
    bool is_max = true, exclude_pad = false;
    std::int64_t planes = 0, ih = 0, iw = 0, oh = 0, ow = 0, kh = 1, kw = 1, sh = 1, sw = 1, pt = 0, pl = 0, pb = 0,
                 pr = 0;
    std::size_t grain = 1;  ///< planes per chunk at least (pooling::plane_grain)
    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        const kernels::simd::pool_geometry g{planes, ih, iw, oh, ow, kh, kw, sh, sw, pt, pl, pb, pr};
        ctx.pool->parallel_for(0, static_cast<std::size_t>(planes), grain, [&](std::size_t b, std::size_t e, std::size_t) {
            table->pool_planes(g, is_max, exclude_pad, x, y, static_cast<std::int64_t>(b), static_cast<std::int64_t>(e));
        });
    }
};

/// MaxPool in channels-last form: x [N, H, W, C] -> y [N, OH, OW, C] (pooling::make: a MaxPool whose
/// output only a Transpose to NHWC reads, on an input another Transpose already brings to NHWC), rows
/// split across the workers.
class pool_nhwc_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    kernels::simd::pool_geometry g;
    std::int64_t batch = 1, channels = 0;
    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        const std::int64_t in_image = g.ih * g.iw * channels, out_image = g.oh * g.ow * channels;
        const std::size_t rows = static_cast<std::size_t>(batch * g.oh);
        const std::size_t grain = std::max<std::size_t>(
            1, chunk_elements / static_cast<std::size_t>(std::max<std::int64_t>(1, g.ow * channels * g.kh)));
        ctx.pool->parallel_for(0, rows, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t r = b; r < e;) {  // one image at a time
                const auto n = static_cast<std::int64_t>(r) / g.oh, r0 = static_cast<std::int64_t>(r) % g.oh;
                const std::int64_t r1 = std::min<std::int64_t>(g.oh, r0 + static_cast<std::int64_t>(e - r));
                table->max_pool_nhwc(g, channels, x + n * in_image, y + n * out_image, r0, r1);
                r += static_cast<std::size_t>(r1 - r0);
            }
        });
    }
};

/// The mean of each [H*W] plane.
class global_mean_step final : public step {
public:
    std::size_t planes = 0, size = 0;
    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        ctx.pool->parallel_for(0, planes, std::max<std::size_t>(1, chunk_elements / (size ? size : 1)),
                               [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t c = b; c < e; ++c) {
                const float* xc = x + c * size;
                double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
                std::size_t i = 0;
                for (; i + 4 <= size; i += 4) s0 += xc[i], s1 += xc[i + 1], s2 += xc[i + 2], s3 += xc[i + 3];
                for (; i < size; ++i) s0 += xc[i];
                y[c] = static_cast<float>((s0 + s1 + s2 + s3) / static_cast<double>(size));
            }
        });
    }
};

/// The family (see the file comment).
struct pooling {
    static constexpr std::string_view name = "pooling";

    /// The planes per chunk of a pool whose plane costs about `work` element reads: chunk_elements
    /// of them (as the element-wise steps), so a pool of fewer than 2 * chunk_elements reads stays on
    /// one thread (was: one plane per chunk whatever its size).
    static std::size_t plane_grain(std::size_t work) { return std::max<std::size_t>(1, chunk_elements / (work ? work : 1)); }

    /// Whether node t is a Transpose with the constant perm `want`.
    static bool transpose_with(const plan_builder& b, node_id t, std::initializer_list<std::int64_t> want) {
        if (t == plan_builder::npos || !b.at(t).is<ops::transpose>() || b.at(t).inputs.size() != 2) return false;
        const tensor* perm = b.constant_input(t, 1);
        if (!perm || perm->numel() != want.size()) return false;
        std::size_t i = 0;
        for (const std::int64_t v : want)
            if (perm->at_as<std::int64_t>(i++) != v) return false;
        return true;
    }

    /// A channels-last MaxPool (pool_nhwc_step) for the MaxPool `id` of geometry p, when a TF model's
    /// layout left it between two Transposes: its output read only by a Transpose to NHWC (perm 0 2 3 1;
    /// claimed: the step writes that Transpose's output), and its input also read by a Transpose to NHWC
    /// made earlier, whose output the step reads. The NCHW pool and the Transpose after it become one
    /// pass over the NHWC data. Else nullptr.
    static std::unique_ptr<step> channels_last(plan_builder& b, node_id id, const pool_step& p) {
        const node_id after = b.single_consumer<ops::transpose>(output_ref{id, 0});
        if (!transpose_with(b, after, {0, 2, 3, 1})) return nullptr;
        const output_ref in = b.at(id).inputs[0];
        node_id before = plan_builder::npos;
        for (const auto& [c, port] : b.consumers(in)) {
            if (c == id || port != 0 || b.claimed(c) || !transpose_with(b, c, {0, 2, 3, 1})) continue;
            if (b.made_before(c, id)) before = c;
        }
        if (before == plan_builder::npos) return nullptr;
        const slot& xs = b.slots[b.output_slot(before)];
        const slot& ys = b.slots[b.output_slot(after)];
        if (xs.type != element_type::f32 || ys.type != element_type::f32) return nullptr;
        auto s = std::make_unique<pool_nhwc_step>();
        s->table = b.table;
        s->g = kernels::simd::pool_geometry{0, p.ih, p.iw, p.oh, p.ow, p.kh, p.kw, p.sh, p.sw, p.pt, p.pl, p.pb, p.pr};
        const slot& x = b.slot_at(in);
        s->batch = x.dims[0], s->channels = x.dims[1];
        b.claim(after);
        s->name = b.at(id).name;
        s->ops = std::string(b.at(id).op->ir_name) + "+" + std::string(b.at(after).op->ir_name);
        s->kernel = "maxpool.nhwc";
        s->reads = {b.output_slot(before)};
        s->writes = {b.output_slot(after)};
        return s;
    }

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table) return nullptr;
        const bool is_max = nd.is<ops::max_pool>(), is_avg = nd.is<ops::avg_pool>(), is_mean = nd.is<ops::reduce_mean>();
        if (!is_max && !is_avg && !is_mean) return nullptr;
        const slot& x = b.slots[b.input_slot(id, 0)];
        const slot& y = b.slots[b.output_slot(id)];
        if (x.type != element_type::f32 || y.type != element_type::f32 || x.dims.size() != 4) return nullptr;
        std::unique_ptr<step> s;
        if (is_mean) {
            const tensor* axes = b.constant_input(id, 1);
            if (!axes || axes->numel() != 2) return nullptr;
            bool h = false, w = false;
            for (std::size_t i = 0; i < 2; ++i) {
                const auto ax = axes->at_as<std::int64_t>(i);
                h = h || ax == 2 || ax == -2;
                w = w || ax == 3 || ax == -1;
            }
            if (!h || !w || x.dims[2] * x.dims[3] == 0) return nullptr;
            auto g = std::make_unique<global_mean_step>();
            g->planes = static_cast<std::size_t>(x.dims[0] * x.dims[1]);
            g->size = static_cast<std::size_t>(x.dims[2] * x.dims[3]);
            s = std::move(g);
        } else {
            if (y.dims.size() != 4) return nullptr;
            auto p = std::make_unique<pool_step>();
            p->table = b.table;
            const auto fill = [&](const auto& a) {
                if (a.kernel.size() != 2) return false;
                const auto g = ops::detail::resolve_window({x.dims[2], x.dims[3]}, a.kernel, a.strides, {}, a.pads_begin,
                                                           a.pads_end, a.auto_pad,
                                                           a.rounding_type == ops::rounding_type::ceil);
                p->kh = a.kernel[0], p->kw = a.kernel[1];
                p->sh = g.strides[0], p->sw = g.strides[1];
                p->pt = g.pads_begin[0], p->pl = g.pads_begin[1], p->pb = g.pads_end[0], p->pr = g.pads_end[1];
                return true;
            };
            if (is_max ? !fill(nd.attrs_as<ops::max_pool>()) : !fill(nd.attrs_as<ops::avg_pool>())) return nullptr;
            p->is_max = is_max;
            if (is_avg) p->exclude_pad = nd.attrs_as<ops::avg_pool>().exclude_pad;
            p->planes = x.dims[0] * x.dims[1];
            p->ih = x.dims[2], p->iw = x.dims[3], p->oh = y.dims[2], p->ow = y.dims[3];
            p->grain = plane_grain(static_cast<std::size_t>(p->ih * p->iw + p->oh * p->ow * p->kh));
            if (is_max)
                if (auto c = channels_last(b, id, *p)) return c;
            s = std::move(p);
        }
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = is_max ? "maxpool" : is_avg ? "avgpool" : "global_mean";
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_POOLING_HPP
