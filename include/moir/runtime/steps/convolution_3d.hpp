#ifndef MOIR_RUNTIME_STEPS_CONVOLUTION_3D_HPP
#define MOIR_RUNTIME_STEPS_CONVOLUTION_3D_HPP

// The 3-D convolution step family: FP32 Convolution and GroupConvolution over three spatial axes
// (NCDHW; any strides, dilations, pads, auto_pad), with the bias Add, activation and residual Add
// after it fused (steps/fusion.hpp), as GEMMs: each group's packed weights [out_c, in_c*kd*kh*kw]
// times blocks of its im2col matrix (one row per input channel and kernel tap, one column per output
// voxel, zero where a tap falls in the padding), each block made in a worker's scratch and read in
// place by gemm_a_inplace, which stores into the output. The blocks (of every group and image) are
// split across the workers. The 1-D and 2-D convolutions have their own family
// (steps/convolution.hpp).

#include <moir/kernels/simd/table.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/runtime/steps/fusion.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // copy, max, min
#include <cstddef>    // ptrdiff_t, size_t
#include <cstdint>    // int64_t
#include <memory>     // unique_ptr, make_unique
#include <string>     // string
#include <vector>     // vector

namespace moir::runtime::steps {

/// One 3-D convolution (see the file comment).
class conv3d_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    kernels::simd::packed_a w;  // groups x [out_c, k]
    fused_epilogue fused;
    kernels::simd::epilogue ep;
    std::size_t batch = 1, groups = 1, in_c = 0, out_c = 0;  // channels per group
    std::size_t in[3] = {}, out[3] = {}, taps[3] = {}, stride[3] = {}, dilation[3] = {};
    std::ptrdiff_t pad[3] = {};  // pads before each axis (negative: a crop)
    std::size_t k = 0, voxels = 0, block = 0;  // GEMM depth, output voxels, columns per block

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        const std::size_t blocks = (voxels + block - 1) / block, per_image = groups * blocks;
        const std::size_t in_vol = in[0] * in[1] * in[2];
        // unit u: image u / per_image, group (u % per_image) / blocks, columns from block u % blocks
        ctx.pool->parallel_for(0, batch * per_image, 1, [&](std::size_t b, std::size_t e, std::size_t wk) {
            float* cols = ctx.scratch_of(wk);
            for (std::size_t u = b; u < e; ++u) {
                const std::size_t n = u / per_image, gi = u % per_image / blocks, j0 = u % blocks * block;
                const std::size_t nb = std::min(block, voxels - j0);
                const float* xg = x + (n * groups + gi) * in_c * in_vol;
                float* yg = y + (n * groups + gi) * out_c * voxels;
                im2col(xg, cols, j0, nb);
                const kernels::simd::epilogue eg =
                    fused.for_image(ep, ctx, (n * groups + gi) * out_c * voxels, yg).rows_from(gi * out_c);
                kernels::simd::packed_a a;  // a view of group gi's weights
                a.blocking = w.blocking, a.m = w.m, a.k = w.k, a.data = w.data + gi * w.group_stride;
                table->gemm_a_inplace(a, cols, static_cast<std::ptrdiff_t>(nb), nb, yg + j0,
                                      static_cast<std::ptrdiff_t>(voxels), eg);
            }
        });
    }

private:
    /// Rows of the im2col matrix for output voxels [j0, j0 + nb): row ((c * kd + z) * kh + r) * kw + s,
    /// column j - j0: x[c, oz*sd - pd + z*dd, oy*sh - ph + r*dh, ox*sw - pw + s*dw], 0 outside.
    void im2col(const float* x, float* cols, std::size_t j0, std::size_t nb) const {
        const std::size_t plane = in[1] * in[2], vol = in[0] * plane;
        std::size_t row = 0;
        for (std::size_t c = 0; c < in_c; ++c)
            for (std::size_t z = 0; z < taps[0]; ++z)
                for (std::size_t r = 0; r < taps[1]; ++r)
                    for (std::size_t s = 0; s < taps[2]; ++s, ++row) {
                        float* dst = cols + row * nb;
                        const float* xc = x + c * vol;
                        // the output columns whose x tap s falls inside the row: [first, end)
                        const std::ptrdiff_t off = tap(0, s, 2), sw = static_cast<std::ptrdiff_t>(stride[2]);
                        const std::ptrdiff_t w = static_cast<std::ptrdiff_t>(in[2]);
                        const std::ptrdiff_t first = off >= 0 ? 0 : (-off + sw - 1) / sw;
                        const std::ptrdiff_t end = w - 1 - off < 0 ? 0 : (w - 1 - off) / sw + 1;
                        std::size_t j = j0, ox = j0 % out[2], oy = j0 / out[2] % out[1], oz = j0 / (out[2] * out[1]);
                        while (j < j0 + nb) {
                            // one run of output columns along x within one output row (oz, oy)
                            const std::size_t run = std::min(out[2] - ox, j0 + nb - j);
                            const std::ptrdiff_t iz = tap(oz, z, 0), iy = tap(oy, r, 1);
                            float* d = dst + (j - j0);
                            if (iz < 0 || iz >= static_cast<std::ptrdiff_t>(in[0]) || iy < 0 ||
                                iy >= static_cast<std::ptrdiff_t>(in[1])) {
                                for (std::size_t i = 0; i < run; ++i) d[i] = 0.0f;
                            } else {
                                const float* src = xc + static_cast<std::size_t>(iz) * plane + static_cast<std::size_t>(iy) * in[2];
                                // output columns [lo, hi) of the run read inside the row: zeros around
                                // one copy (contiguous at stride 1)
                                const std::ptrdiff_t o0 = static_cast<std::ptrdiff_t>(ox);
                                const std::ptrdiff_t n = static_cast<std::ptrdiff_t>(run);
                                const std::ptrdiff_t lo = std::min(n, std::max<std::ptrdiff_t>(0, first - o0));
                                const std::ptrdiff_t hi = std::max(lo, std::min(n, end - o0));
                                for (std::ptrdiff_t i = 0; i < lo; ++i) d[i] = 0.0f;
                                if (hi > lo && sw == 1) {
                                    const float* from = src + o0 + lo + off;
                                    std::copy(from, from + (hi - lo), d + lo);
                                } else {
                                    for (std::ptrdiff_t i = lo; i < hi; ++i) d[i] = src[(o0 + i) * sw + off];
                                }
                                for (std::ptrdiff_t i = hi; i < n; ++i) d[i] = 0.0f;
                            }
                            j += run, ox = 0;
                            if (++oy == out[1]) oy = 0, ++oz;
                        }
                    }
    }
    /// The input coordinate along axis a that output coordinate o reads at kernel tap t.
    std::ptrdiff_t tap(std::size_t o, std::size_t t, std::size_t a) const {
        return static_cast<std::ptrdiff_t>(o * stride[a] + t * dilation[a]) - pad[a];
    }
};

/// The family (see the file comment).
struct convolution_3d {
    static constexpr std::string_view name = "convolution_3d";
    /// The most floats of im2col matrix one block holds (1 MiB): a block stays in L2 for its GEMM.
    static constexpr std::size_t block_floats = 262144;

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        if (!b.table || (!n.is<ops::convolution>() && !n.is<ops::group_convolution>())) return nullptr;
        const bool grouped = n.is<ops::group_convolution>();
        const auto& a = grouped ? n.attrs_as<ops::group_convolution>() : n.attrs_as<ops::convolution>();
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const tensor* wt = b.constant_input(id, 1);
        if (!wt || wt->type() != element_type::f32 || xs.type != element_type::f32 || ys.type != element_type::f32 ||
            xs.dims.size() != 5 || ys.dims.size() != 5 || wt->rank() != (grouped ? 6u : 5u))
            return nullptr;
        const shape& wd = wt->dims();
        const std::size_t lead = grouped ? 3 : 2;
        const auto geo = ops::detail::resolve_window({xs.dims[2], xs.dims[3], xs.dims[4]}, {wd[lead], wd[lead + 1], wd[lead + 2]},
                                                     a.strides, a.dilations, a.pads_begin, a.pads_end, a.auto_pad, false);
        auto s = std::make_unique<conv3d_step>();
        s->groups = grouped ? static_cast<std::size_t>(wd[0]) : 1;
        s->out_c = static_cast<std::size_t>(wd[lead - 2]);
        s->in_c = static_cast<std::size_t>(wd[lead - 1]);
        s->batch = static_cast<std::size_t>(xs.dims[0]);
        for (std::size_t i = 0; i < 3; ++i) {
            if (geo.out[i] != ys.dims[2 + i] || geo.strides[i] < 1 || geo.dilations[i] < 1) return nullptr;
            s->in[i] = static_cast<std::size_t>(xs.dims[2 + i]);
            s->out[i] = static_cast<std::size_t>(ys.dims[2 + i]);
            s->taps[i] = static_cast<std::size_t>(wd[lead + i]);
            s->stride[i] = static_cast<std::size_t>(geo.strides[i]);
            s->dilation[i] = static_cast<std::size_t>(geo.dilations[i]);
            s->pad[i] = static_cast<std::ptrdiff_t>(geo.pads_begin[i]);
        }
        if (s->groups * s->in_c != static_cast<std::size_t>(xs.dims[1]) ||
            s->groups * s->out_c != static_cast<std::size_t>(ys.dims[1]) || ys.dims[0] != xs.dims[0])
            return nullptr;
        s->k = s->in_c * s->taps[0] * s->taps[1] * s->taps[2];
        s->voxels = s->out[0] * s->out[1] * s->out[2];
        if (s->k == 0 || s->voxels == 0 || s->out_c == 0) return nullptr;
        const auto& bl = b.table->blocking;
        const std::size_t nr = bl.nr();
        // columns per block: within block_floats of im2col matrix, whole micro-tiles, and at least
        // one block per worker when the image has enough columns
        std::size_t block = std::max<std::size_t>(nr, block_floats / s->k / nr * nr);
        const std::size_t share = (s->voxels + b.threads - 1) / b.threads;
        block = std::min(block, std::max(nr, (share + nr - 1) / nr * nr));
        s->block = std::min(block, s->voxels);
        s->scratch_floats = s->k * s->block + 64;  // gemm_a_inplace loads a row's last vector whole
        s->table = b.table;
        s->w = kernels::simd::pack_a(bl, wt->data<float>(), s->out_c, s->k, static_cast<std::ptrdiff_t>(s->k), 1,
                                     s->groups, static_cast<std::ptrdiff_t>(s->out_c * s->k));
        s->fused = match_epilogue(b, output_ref{id, 0}, 1, s->groups * s->out_c, true, plan_builder::npos, false, true);
        s->ep = s->fused.kernel_epilogue(false);
        s->name = n.name;
        s->ops = std::string(n.op->ir_name) + s->fused.ops;
        s->kernel = "conv3d.im2col." + std::string(bl.arch) + s->fused.act_suffix();
        s->reads = {b.input_slot(id, 0)};
        if (s->fused.residual_slot != no_slot) s->reads.push_back(s->fused.residual_slot);
        s->writes = {s->fused.out_slot};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_CONVOLUTION_3D_HPP
