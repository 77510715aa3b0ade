#ifndef MOIR_RUNTIME_STEPS_DECONVOLUTION_HPP
#define MOIR_RUNTIME_STEPS_DECONVOLUTION_HPP

// The fast transposed-convolution step family: 2-D FP32 ConvolutionBackpropData with constant
// weights [C_in, C_out, kh, kw] (any stride, dilation, padding, auto_pad, output padding; the output shape
// input is honoured through the planned output shape), fused with a following per-channel bias Add
// and activation (steps/fusion.hpp). As GEMM + col2im: col[C_out*kh*kw, H*W] = W^T x X on the packed
// GEMM (W^T packed once), then every column scatters into the output, which starts at the bias;
// the activation runs last (vectorized). An output row is gathered as `stride` phases (the columns
// j * stride + p), so each tap adds one contiguous run of col values to one phase, with no bound per
// element (the compiler vectorizes it), and the phases are interleaved into the row at the end.
// Threads split the GEMM's columns (input pixels), then the
// output rows: worker w gathers block w of the output rows of every channel, which reads the col
// columns of about the input rows its own GEMM chunk made (splitting output channels instead had
// each worker read half its col values from the other workers' caches). At more than one
// thread, a col matrix larger than the caches (TF.js efficientpose's last 4x4 stride-2 layer, 16 -> 16
// channels on 184x184: 35 MB) is made in bands instead: each worker takes bands of output rows, and
// for each computes the col block of just the input rows they read (rows shared by two bands are
// computed twice: at most a quarter more GEMM) in its own scratch, then gathers those output rows,
// so that col never leaves the worker's caches. The outputs are bit-identical: each col value is the
// same dot product, gathered in the same order.
// The INT8 step family (steps/int8_convolution.hpp) makes the same step for a quantized
// deconvolution behind its FakeQuantize, with the GEMM on the INT8 kernels (int8_gemm below):
// the input quantized to u8 codes in the scratch, col = the dequantized s32 products, the rest as is.

#include <moir/kernels/simd/int8_table.hpp>
#include <moir/kernels/simd/table.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/runtime/steps/fusion.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max, min
#include <cstdint>    // int64_t
#include <memory>     // unique_ptr, make_unique
#include <optional>   // optional
#include <string>     // string, to_string
#include <utility>    // pair
#include <vector>     // vector

namespace moir::runtime::steps {

/// y = act(col2im(W^T x) + bias) for each image.
class deconv_step final : public step {
public:
    const kernels::simd::fp32_kernel_table* table = nullptr;
    kernels::simd::packed_a w;  // [C_out*kh*kw, C_in]
    fused_epilogue fused;
    std::size_t batch = 1, cin = 0, cout = 0, ih = 0, iw = 0, oh = 0, ow = 0, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1,
                dw = 1, grain = 1;
    std::int64_t pt = 0, pl = 0;
    kernels::simd::epilogue ep;  // the activation (its bias is passed per channel)
    std::size_t row_blocks = 1, block_rows = 0;
    bool disjoint = false;  // stride = kernel, dilation 1, no padding, output = input * stride: taps never overlap
    std::size_t col_floats = 0, gemm_floats = 0;  // scratch: [col matrix][codes][GEMM scratch of each worker]
    // banded (FP32, more than one thread, see the file comment): bands of band_rows output rows; each
    // worker's scratch is [col block of band_col_floats][GEMM scratch]
    std::size_t band_rows = 0, band_col_floats = 0;

    /// The input rows [first, second) that output rows [r0, r1) read.
    std::pair<std::size_t, std::size_t> input_rows(std::size_t r0, std::size_t r1) const {
        const auto s_h = static_cast<std::int64_t>(sh);
        const std::int64_t lo = static_cast<std::int64_t>(r0) + pt - static_cast<std::int64_t>((kh - 1) * dh);
        const std::int64_t hi = static_cast<std::int64_t>(r1) - 1 + pt;  // the last row's ty
        const std::int64_t i0 = lo <= 0 ? 0 : (lo + s_h - 1) / s_h;
        const std::int64_t i1 = hi < 0 ? 0 : std::min<std::int64_t>(static_cast<std::int64_t>(ih), hi / s_h + 1);
        return {static_cast<std::size_t>(std::min<std::int64_t>(i0, i1)), static_cast<std::size_t>(i1)};
    }
    /// Floats of col2im_rows' row phases (sw phases of ceil(ow / sw) columns).
    std::size_t phase_floats() const { return (sw * ((ow + sw - 1) / sw) + 15) / 16 * 16; }
    /// The INT8 GEMM (set by the INT8 family): x quantized by FakeQuantize(il, ih) into codes of
    /// codes_floats floats of scratch, col = float(w8 x codes - comp) * scale + shift per row.
    struct int8_gemm {
        const kernels::simd::int8_kernel_table* t = nullptr;
        kernels::simd::packed_int8_a w;
        std::vector<float> scale, shift;
        kernels::simd::int8_epilogue ep;
        float il = 0.0f, ih = 0.0f;
        std::size_t codes_floats = 0;
    };
    std::optional<int8_gemm> i8;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        const std::size_t n = ih * iw, out_plane = oh * ow;
        float* col = ctx.scratch;  // the plan's scratch is workers * scratch_floats >= col + workers * gemm
        float* gemm_scratch = col + col_floats + (i8 ? i8->codes_floats : 0);
        for (std::size_t b = 0; b < batch; ++b) {
            const float* xb = x + b * cin * n;
            float* yb = y + b * cout * out_plane;
            const kernels::simd::epilogue none{};
            if (band_rows && !i8) {
                const std::size_t bands = (oh + band_rows - 1) / band_rows;
                ctx.pool->parallel_for(0, bands, 1, [&](std::size_t t0, std::size_t t1, std::size_t wk) {
                    float* colb = ctx.scratch_of(wk);
                    for (std::size_t t = t0; t < t1; ++t) {
                        const std::size_t r0 = t * band_rows, r1 = std::min(oh, r0 + band_rows);
                        const auto [iy0, iy1] = input_rows(r0, r1);
                        const std::size_t nb = (iy1 - iy0) * iw;
                        if (nb)
                            table->gemm_a(w, xb + iy0 * iw, static_cast<std::ptrdiff_t>(n), nb, colb,
                                          static_cast<std::ptrdiff_t>(nb), none, colb + band_col_floats);
                        // (the band's GEMM is done: its scratch holds the row phases now)
                        for (std::size_t o = 0; o < cout; ++o)
                            col2im_rows(colb, nb, iy0, o, r0, r1, yb, colb + band_col_floats);
                    }
                });
                continue;
            }
            if (i8) {
                auto* q = reinterpret_cast<std::uint8_t*>(col + col_floats);
                ctx.pool->parallel_for(0, cin * n, chunk_elements, [&](std::size_t c0, std::size_t c1, std::size_t) {
                    i8->t->quantize_u8(xb + c0, q + c0, c1 - c0, i8->il, i8->ih);
                });
                ctx.pool->parallel_for(0, n, grain, [&](std::size_t c0, std::size_t c1, std::size_t wk) {
                    i8->t->gemm(i8->w, q + c0, static_cast<std::ptrdiff_t>(n), c1 - c0, col + c0,
                                static_cast<std::ptrdiff_t>(n), i8->ep, gemm_scratch + wk * gemm_floats);
                });
            } else {
                ctx.pool->parallel_for(0, n, grain, [&](std::size_t c0, std::size_t c1, std::size_t wk) {
                    table->gemm_a(w, xb + c0, static_cast<std::ptrdiff_t>(n), c1 - c0, col + c0,
                                  static_cast<std::ptrdiff_t>(n), none, gemm_scratch + wk * gemm_floats);
                });
            }
            // col2im by (block of output rows, output channel), block-major: a worker's chunk is whole
            // blocks of rows (see the file comment); one output row at a time while it is in L1: it
            // gathers the contributions of its (ky, kx) taps in that order, as a per-channel scatter
            // would (a stride-equals-kernel deconvolution, whose taps never overlap, assigns
            // instead), then takes the bias and the activation
            // (the GEMM is done: each worker's GEMM scratch holds its row phases now)
            ctx.pool->parallel_for(0, cout * row_blocks, 1, [&](std::size_t t0, std::size_t t1, std::size_t wk) {
                for (std::size_t t = t0; t < t1; ++t) {
                    const std::size_t o = t % cout, r0 = (t / cout) * block_rows;
                    col2im_rows(col, n, 0, o, r0, std::min(oh, r0 + block_rows), yb, gemm_scratch + wk * gemm_floats);
                }
            });
        }
    }

    /// Output rows [r0, r1) of channel o of one image yb from col, whose columns are the ncols pixels
    /// of input rows from iy_base on (iy_base = 0, ncols = ih*iw: the whole col matrix). phases:
    /// phase_floats() floats of the calling worker's own.
    void col2im_rows(const float* col, std::size_t ncols, std::size_t iy_base, std::size_t o, std::size_t r0,
                     std::size_t r1, float* yb, float* phases) const {
        // one output row at a time while it is in L1: it gathers the contributions of its (ky, kx)
        // taps in that order, as a per-channel scatter would (a stride-equals-kernel
        // deconvolution, whose taps never overlap, assigns instead), then takes the bias and the
        // activation
        float* yo = yb + o * oh * ow;
        const float bias = fused.bias.empty() ? 0.0f : fused.bias[o];
        for (std::size_t oy = r0; oy < r1; ++oy) {
            float* yr = yo + oy * ow;
            if (disjoint) {
                const std::size_t iy = oy / kh, ky = oy % kh;
                const float* c0 = col + ((o * kh + ky) * kw) * ncols + (iy - iy_base) * iw;
                if (kw == 2) {
                    const float* c1 = c0 + ncols;
                    for (std::size_t ix = 0; ix < iw; ++ix) yr[2 * ix] = c0[ix], yr[2 * ix + 1] = c1[ix];
                } else {
                    for (std::size_t kx = 0; kx < kw; ++kx)
                        for (std::size_t ix = 0; ix < iw; ++ix) yr[ix * kw + kx] = c0[kx * ncols + ix];
                }
                table->bias_activation(yr, ow, bias, ep);
                continue;
            }
            // the row as sw phases (phase p holds the columns ox = j * sw + p, j < len): a tap's
            // contributions to one phase are a contiguous run, added without a bound per element;
            // each column still sums its taps in (ky, kx) order from 0
            const std::size_t len = (ow + sw - 1) / sw;
            float* ph = sw == 1 ? yr : phases;
            for (std::size_t i = 0; i < sw * len; ++i) ph[i] = 0.0f;
            for (std::size_t ky = 0; ky < kh; ++ky) {
                const std::int64_t ty = static_cast<std::int64_t>(oy) + pt - static_cast<std::int64_t>(ky * dh);
                if (ty < 0 || ty % static_cast<std::int64_t>(sh) != 0) continue;
                const auto iy = static_cast<std::size_t>(ty / static_cast<std::int64_t>(sh));
                if (iy >= ih) continue;
                for (std::size_t kx = 0; kx < kw; ++kx) {
                    const float* c = col + ((o * kh + ky) * kw + kx) * ncols + (iy - iy_base) * iw;
                    // column ix lands on ox = ix * sw + q: phase p = q mod sw, j = ix + off
                    const std::int64_t q = static_cast<std::int64_t>(kx * dw) - pl, s_w = static_cast<std::int64_t>(sw);
                    const std::int64_t p = ((q % s_w) + s_w) % s_w, off = (q - p) / s_w;
                    const std::int64_t n_p = (static_cast<std::int64_t>(ow) - p + s_w - 1) / s_w;  // columns of phase p
                    const std::int64_t i0 = std::max<std::int64_t>(0, -off);
                    const std::int64_t i1 = std::min<std::int64_t>(static_cast<std::int64_t>(iw), n_p - off);
                    float* d = ph + p * static_cast<std::int64_t>(len) + off;
                    for (std::int64_t ix = i0; ix < i1; ++ix) d[ix] += c[ix];
                }
            }
            if (sw > 1)
                for (std::size_t p = 0; p < sw; ++p)
                    for (std::size_t j = 0, ox = p; ox < ow; ++j, ox += sw) yr[ox] = ph[p * len + j];
            table->bias_activation(yr, ow, bias, ep);
        }
    }
};

/// The family (see the file comment).
struct deconvolution {
    static constexpr std::string_view name = "deconvolution";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) { return make_step(b, id); }

    /// The step of node id (see make), typed.
    static std::unique_ptr<deconv_step> make_step(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || !nd.is<ops::convolution_backprop_data>()) return nullptr;
        const auto& a = nd.attrs_as<ops::convolution_backprop_data>();
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const tensor* w = b.constant_input(id, 1);
        if (!w || w->type() != element_type::f32 || w->rank() != 4 || xs.type != element_type::f32 ||
            ys.type != element_type::f32 || xs.dims.size() != 4 || ys.dims.size() != 4)
            return nullptr;
        const shape& wd = w->dims();
        auto s = std::make_unique<deconv_step>();
        s->cin = static_cast<std::size_t>(wd[0]), s->cout = static_cast<std::size_t>(wd[1]);
        s->kh = static_cast<std::size_t>(wd[2]), s->kw = static_cast<std::size_t>(wd[3]);
        if (static_cast<std::size_t>(xs.dims[1]) != s->cin || static_cast<std::size_t>(ys.dims[1]) != s->cout)
            return nullptr;
        s->batch = static_cast<std::size_t>(xs.dims[0]);
        s->ih = static_cast<std::size_t>(xs.dims[2]), s->iw = static_cast<std::size_t>(xs.dims[3]);
        s->oh = static_cast<std::size_t>(ys.dims[2]), s->ow = static_cast<std::size_t>(ys.dims[3]);
        // the pads as the op resolves them: same_upper/same_lower from the planned output shape
        const std::vector<std::int64_t> out_hw{ys.dims[2], ys.dims[3]};
        const bool has_os = nd.inputs.size() > 2;
        const auto geo = ops::detail::resolve_backprop(a, {xs.dims[2], xs.dims[3]}, {wd[2], wd[3]}, has_os,
                                                       has_os ? &out_hw : nullptr);
        const auto& st = geo.strides;
        const auto& dl = geo.dilations;
        const auto& pb = geo.pads_begin;
        s->sh = static_cast<std::size_t>(st[0]), s->sw = static_cast<std::size_t>(st[1]);
        s->dh = static_cast<std::size_t>(dl[0]), s->dw = static_cast<std::size_t>(dl[1]);
        s->pt = pb[0], s->pl = pb[1];
        s->disjoint = s->sh == s->kh && s->sw == s->kw && s->dh == 1 && s->dw == 1 && s->pt == 0 && s->pl == 0 &&
                      s->oh == s->ih * s->kh && s->ow == s->iw * s->kw;
        const std::size_t m = s->cout * s->kh * s->kw, n = s->ih * s->iw;
        if (m == 0 || n == 0 || s->cin == 0) return nullptr;
        // A[m = (o, ky, kx), k = c] = w[c, o, ky, kx]: row stride 1, column stride m
        s->w = kernels::simd::pack_a(b.table->blocking, w->data<float>(), m, s->cin, 1, static_cast<std::ptrdiff_t>(m));
        s->table = b.table;
        s->fused = match_epilogue(b, output_ref{id, 0}, 1, s->cout);
        s->ep = s->fused.kernel_epilogue(false);
        s->ep.bias = nullptr;
        s->block_rows = s->oh;
        if (b.threads > 1) {  // one block of output rows per worker (file comment)
            s->block_rows = std::max<std::size_t>(1, (s->oh + b.threads - 1) / b.threads);
            s->row_blocks = (s->oh + s->block_rows - 1) / s->block_rows;
        }
        const std::size_t nr = b.table->blocking.nr();
        s->grain = std::max(nr, (n / b.threads + nr - 1) / nr * nr);
        // the plan gives threads * scratch_floats floats in one block: the col matrix, then each
        // worker's GEMM scratch
        s->col_floats = (m * n + 15) / 16 * 16;
        s->gemm_floats = std::max((kernels::simd::gemm_a_scratch_floats(b.table->blocking, s->cin, n) + 15) / 16 * 16,
                                  s->phase_floats());
        s->scratch_floats = (s->col_floats + b.threads - 1) / b.threads + s->gemm_floats;
        // bands (see the file comment) when col is larger than about two L2s: each band's new input
        // rows at least four times the rows it shares with the next (at most a quarter more GEMM)
        // and its col block about 2 MB, at least two bands
        const std::size_t shared_rows = ((s->kh - 1) * s->dh + s->sh - 1) / s->sh;
        const std::size_t new_rows = std::max<std::size_t>({1, 4 * shared_rows, (std::size_t(1) << 19) / (m * s->iw)});
        std::size_t band_rows = new_rows * s->sh;
        if (b.threads > 1 && s->col_floats > (std::size_t(1) << 20) && s->oh >= 2 * band_rows) {
            // a whole number of bands per worker
            const std::size_t bands = ((s->oh + band_rows - 1) / band_rows + b.threads - 1) / b.threads * b.threads;
            band_rows = (s->oh + bands - 1) / bands;
            s->band_rows = band_rows;
            std::size_t nb = 0;
            for (std::size_t r0 = 0; r0 < s->oh; r0 += band_rows) {
                const auto rows = s->input_rows(r0, std::min(s->oh, r0 + band_rows));
                nb = std::max(nb, (rows.second - rows.first) * s->iw);
            }
            s->band_col_floats = (m * nb + 15) / 16 * 16;
            s->scratch_floats =
                s->band_col_floats + std::max((kernels::simd::gemm_a_scratch_floats(b.table->blocking, s->cin, nb) + 15) /
                                                  16 * 16,
                                              s->phase_floats());
        }
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name) + s->fused.ops;
        s->kernel = "deconv" + std::to_string(s->kh) + "x" + std::to_string(s->kw) + "." +
                    std::string(b.table->blocking.arch) + s->fused.act_suffix();
        s->reads = {b.input_slot(id, 0)};
        s->writes = {s->fused.out_slot};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_DECONVOLUTION_HPP
