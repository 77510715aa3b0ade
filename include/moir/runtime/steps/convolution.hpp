#ifndef MOIR_RUNTIME_STEPS_CONVOLUTION_HPP
#define MOIR_RUNTIME_STEPS_CONVOLUTION_HPP

// The fast convolution step family: 2-D and 1-D (as 2-D of height 1) FP32 Convolution / GroupConvolution with constant weights,
// fused with a following per-channel bias Add and activation (steps/fusion.hpp), on the fast
// kernels of the plan's arch (kernels/simd/): depthwise convolutions on the depthwise kernel, the
// others on the packed GEMM (1x1 stride-1 unpadded: straight from the input; else im2col packed on
// the fly). Weights are packed once, when the plan is compiled.
//
// Threads: depthwise splits channels; a pointwise convolution splits output columns (pixels), or,
// when the columns cut into whole micro-tiles less evenly than the rows do (PaddleOCR rec's 3x80 and
// 1x40 maps: 240 columns are 5 tiles of 48, 3 + 2 at two threads), runs as parts that are blocks of
// output channels, each worker packing all columns of the input for its own rows; the others run as
// independent parts (one per group) cut into pieces of output columns, so the workers share one
// packed weight matrix and each packs only its own columns of the im2col matrix (when the image is
// too small for even column pieces, parts are blocks of output channels instead). The plane path
// splits output rows, or runs blocks of output channels when those fill the micro-tiles better.
//
// A depthwise convolution whose output (after its own bias and activation) is read by nothing but a
// pointwise convolution (1x1, stride 1, unpadded, one group: MobileNet's and BlazeFace's blocks) runs
// with it as one step (plan_options::fuse_depthwise_pointwise; at more than one thread, windows of
// fewer than 5 rows only: dw_pw_fuses): each worker a range of output rows,
// band by band computing the depthwise rows of every channel of its band into scratch and the pointwise GEMM on
// them at once (gemm_a_inplace: the band is read where it lies, not packed), so the depthwise output is never
// written to the arena and read back. Each output
// element is computed as the two steps compute it, bit for bit, at any thread count.
//
// A pointwise convolution that widens the channels (1 MiB or more of output per image) and whose
// output is read by nothing but a depthwise convolution runs with it and the pointwise one after
// that, when that one fuses as above (expand_depthwise_step: MobileNetV2/V3's and EfficientNet's
// inverted residual blocks): band by band, each worker makes the widened rows its band reads that
// the band before did not (gemm_a_inplace on the input's rows) into a ring of rows in its scratch,
// runs the depthwise kernel on the ring (kernels/simd/depthwise.hpp's dw_input) and the projecting
// GEMM on the depthwise band. The widened tensor, the largest of the block, never reaches memory;
// each widened row is made once per worker (a worker's first band also makes the rows above its
// range that its neighbour makes). Bit for bit the three steps apart.

#include <moir/kernels/simd/table.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/runtime/steps/fusion.hpp>
#include <moir/runtime/steps/halo.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max, min
#include <cstddef>    // ptrdiff_t, size_t
#include <memory>     // unique_ptr, make_unique
#include <string>     // string, to_string
#include <utility>    // pair
#include <vector>     // vector

namespace moir::runtime::steps {

namespace simd = kernels::simd;

/// A convolution on the packed GEMM, as parts that run independently.
class conv_step final : public step {
public:
    struct part {
        simd::packed_conv w;
        std::size_t x_off = 0, y_off = 0, bias_off = 0;  // floats into x, y, bias
    };
    const simd::fp32_kernel_table* table = nullptr;
    std::vector<part> parts;
    fused_epilogue fused;
    simd::epilogue ep;
    simd::epilogue wep;  // the windows path's: the bias per GEMM column
    std::size_t batch = 1, x_stride = 0, y_stride = 0;
    // on gemm_a straight from the input: one part splits its columns; several parts (blocks of
    // output channels, only at more than one thread) run one part per worker over all columns
    bool pointwise = false;
    // parts on conv_rows (`columns` holds out_h): one part splits the output rows; several (blocks of
    // output channels, only at more than one thread on images of few rows) run one part per worker
    // over all rows
    bool direct = false;
    // parts packed by pack_conv_plane, run on conv_plane over `rows` output rows: one part splits the
    // rows; several (blocks of output channels, only at more than one thread) run one part per worker
    // over all rows (`columns` holds out_h*out_w: a caller that does not know the plane path runs the
    // parts on conv_columns)
    bool plane = false;
    std::size_t rows = 0;
    // one input channel, one row, windows inside the input, few of them (melspectrogram's STFT as
    // a kernel-512 stride-160 Conv1D on 1280 samples): output^T[out_w, out_c] = windows * W^T on
    // gemm_b (window i is the row of A at x + i*sw: read in place, lda = sw), then transposed into y.
    // parts[0] stays a valid pack_conv part (as for the plane path) for callers that run conv_columns.
    bool windows = false;
    simd::packed_b windows_w;  // W^T [kw, out_c] (the pixels path's: [in_c*kh*kw, out_c])
    // images so small that tiles of output pixels are mostly padding (simd::pixels_use): C[pixels,
    // out_c] = im2col^T * W^T on gemm_b (output channels across each tile's columns), the transposed
    // im2col rows built per worker (simd::im2col_rows), C transposed into y; workers split the pixels.
    // parts[0] stays a valid pack_conv part, as for the windows path.
    bool pixels = false;
    simd::conv_geometry pixels_g;
    // few input channels, stride 2 and more (simd::phased_conv_fits): parts[0] (pack_conv) on
    // conv_phased over `rows` output rows, which workers split; bit-identical to conv_columns
    bool phased = false;
    std::size_t out_c = 0, out_w = 0, stride_w = 1;
    std::size_t columns = 0, grain = 1;
    std::size_t pieces = 1, piece_columns = 0;  // each part cut into `pieces` column ranges of this width

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        for (std::size_t n = 0; n < batch; ++n) {
            const float* xn = x + n * x_stride;
            float* yn = y + n * y_stride;
            const simd::epilogue en = fused.for_image(ep, ctx, n * y_stride, yn);
            if (pointwise && parts.size() == 1) {
                const simd::packed_a& a = parts[0].w.weights;
                const auto ld = static_cast<std::ptrdiff_t>(columns);
                ctx.pool->parallel_for(0, columns, grain, [&](std::size_t b, std::size_t e, std::size_t w) {
                    table->gemm_a(a, xn + b, ld, e - b, yn + b, ld, en, ctx.scratch_of(w));
                });
                continue;
            }
            if (pointwise) {
                const auto ld = static_cast<std::ptrdiff_t>(columns);
                ctx.pool->parallel_for(0, parts.size(), 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                    for (std::size_t i = b; i < e; ++i) {
                        const part& p = parts[i];
                        const simd::epilogue pe = en.rows_from(p.bias_off);
                        table->gemm_a(p.w.weights, xn, ld, columns, yn + p.y_off, ld, pe, ctx.scratch_of(w));
                    }
                });
                continue;
            }
            if (pixels) {
                const std::size_t k = windows_w.k, np = pixels_g.out_h * pixels_g.out_w;
                ctx.pool->parallel_for(0, np, grain, [&](std::size_t b, std::size_t e, std::size_t w) {
                    float* a = ctx.scratch_of(w);
                    float* t = a + (e - b) * k;
                    simd::im2col_rows(pixels_g, xn, b, e, a);
                    table->gemm_b(windows_w, a, static_cast<std::ptrdiff_t>(k), e - b, t, static_cast<std::ptrdiff_t>(out_c),
                                  wep);
                    for (std::size_t i = b; i < e; ++i)
                        for (std::size_t o = 0; o < out_c; ++o) yn[o * np + i] = t[(i - b) * out_c + o];
                });
                continue;
            }
            if (windows) {
                float* t = ctx.scratch_of(0);
                table->gemm_b(windows_w, xn, static_cast<std::ptrdiff_t>(stride_w), out_w, t,
                              static_cast<std::ptrdiff_t>(out_c), wep);
                for (std::size_t i = 0; i < out_w; ++i)
                    for (std::size_t o = 0; o < out_c; ++o) yn[o * out_w + i] = t[i * out_c + o];
                continue;
            }
            // the input's channels (one part: every channel of the image) for pull_halo
            const simd::conv_geometry& g0 = parts[0].w.geometry;
            const std::size_t in_plane = g0.in_h * g0.in_w, in_channels = in_plane ? x_stride / in_plane : 0;
            if (phased) {
                ctx.pool->parallel_for(0, rows, 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                    pull_halo(xn, in_channels, g0, b, e);  // (halo.hpp)
                    table->conv_phased(parts[0].w, xn, yn, en, ctx.scratch_of(w), b, e);
                });
                continue;
            }
            if (plane && parts.size() == 1) {
                ctx.pool->parallel_for(0, rows, 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                    pull_halo(xn, in_channels, g0, b, e);  // (halo.hpp)
                    table->conv_plane(parts[0].w, xn, yn, en, ctx.scratch_of(w), b, e);
                });
                continue;
            }
            if (direct && parts.size() == 1) {
                ctx.pool->parallel_for(0, columns, 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                    pull_halo(xn, in_channels, g0, b, e);  // (halo.hpp)
                    table->conv_rows(parts[0].w, xn, yn, en, ctx.scratch_of(w), b, e);
                });
                continue;
            }
            if (plane || direct) {  // blocks of output channels, one part per worker, each over all rows
                ctx.pool->parallel_for(0, parts.size(), 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                    for (std::size_t i = b; i < e; ++i) {
                        const part& p = parts[i];
                        const simd::epilogue pe = en.rows_from(p.bias_off);
                        if (plane)
                            table->conv_plane(p.w, xn, yn + p.y_off, pe, ctx.scratch_of(w), 0, rows);
                        else
                            table->conv_rows(p.w, xn, yn + p.y_off, pe, ctx.scratch_of(w), 0, columns);
                    }
                });
                continue;
            }
            ctx.pool->parallel_for(0, parts.size() * pieces, 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                for (std::size_t i = b; i < e; ++i) {
                    const part& p = parts[i / pieces];
                    const simd::epilogue pe = en.rows_from(p.bias_off);
                    const std::size_t c0 = (i % pieces) * piece_columns;
                    const std::size_t c1 = std::min(columns, c0 + piece_columns);
                    table->conv_columns(p.w, xn + p.x_off, yn + p.y_off, pe, ctx.scratch_of(w), c0, c1);
                }
            });
        }
    }
};

/// A depthwise convolution on the depthwise kernel.
class depthwise_step final : public step {
public:
    const simd::fp32_kernel_table* table = nullptr;
    simd::packed_depthwise w;
    fused_epilogue fused;
    simd::epilogue ep;
    std::size_t batch = 1, x_stride = 0, y_stride = 0, channels = 0;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        for (std::size_t n = 0; n < batch; ++n) {
            const float* xn = x + n * x_stride;
            float* yn = y + n * y_stride;
            ctx.pool->parallel_for(0, channels, 4, [&](std::size_t b, std::size_t e, std::size_t wk) {
                table->depthwise(w, xn, yn, ep, ctx.scratch_of(wk), b, e);
            });
        }
    }
};

/// A depthwise convolution and the pointwise convolution after it, band by band (file comment).
class depthwise_pointwise_step final : public step {
public:
    const simd::fp32_kernel_table* table = nullptr;
    simd::packed_depthwise dw;
    simd::packed_a pw;  // the pointwise weights [out_c, channels]
    fused_epilogue dw_fused, pw_fused;
    simd::epilogue dw_ep, pw_ep;
    std::size_t batch = 1, x_stride = 0, y_stride = 0;
    std::size_t channels = 0, band = 1;      // band: output rows per piece of a worker's range of rows
    std::size_t band_floats = 0, plane_floats = 0;  // scratch: a band of depthwise output, its plane

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        const simd::conv_geometry& g = dw.geometry;
        const std::size_t out_plane = g.out_h * g.out_w;
        for (std::size_t n = 0; n < batch; ++n) {
            const float* xn = x + n * x_stride;
            float* yn = y + n * y_stride;
            const simd::epilogue en = pw_fused.for_image(pw_ep, ctx, n * y_stride, yn);
            // each worker one contiguous range of rows (within one row of the others' counts: bands of
            // rows split 3 + 2 at two threads left one worker 20% idle), cut into bands of `band` rows
            ctx.pool->parallel_for(0, g.out_h, 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                pull_halo(xn, channels, g, b, e);      // (halo.hpp) the input rows a neighbour wrote
                float* d = ctx.scratch_of(w);          // [channels][rows * out_w]
                float* plane = d + band_floats;        // the depthwise kernel's plane (the GEMM reads d in
                                                       // place: its last row's vector may run into it)
                for (std::size_t oy0 = b; oy0 < e; oy0 += band) {
                    const std::size_t oy1 = std::min(e, oy0 + band);
                    const std::size_t cols = (oy1 - oy0) * g.out_w;
                    table->depthwise_rows(dw, simd::dw_input::tensor(xn, g), d, dw_ep, plane, 0, channels, oy0, oy1);
                    table->gemm_a_inplace(pw, d, static_cast<std::ptrdiff_t>(cols), cols, yn + oy0 * g.out_w,
                                          static_cast<std::ptrdiff_t>(out_plane), en);
                }
            });
        }
    }
};

/// A pointwise convolution that widens the channels, the depthwise convolution that alone reads its
/// output and the pointwise convolution that alone reads the depthwise output, as one step (the
/// inverted residual blocks of MobileNetV2/V3 and EfficientNet; file comment): the widened tensor
/// lives only as a ring of rows in each worker's scratch, the depthwise output as one band.
class expand_depthwise_step final : public step {
public:
    const simd::fp32_kernel_table* table = nullptr;
    simd::packed_a ex;  // the widening weights [channels, in_c]
    simd::packed_depthwise dw;
    simd::packed_a pw;  // the projecting weights [out_c, channels]
    fused_epilogue ex_fused, dw_fused, pw_fused;
    simd::epilogue ex_ep, dw_ep, pw_ep;
    std::size_t batch = 1, x_stride = 0, y_stride = 0, channels = 0;
    std::size_t band = 1, ring = 1;  // output rows per band; widened rows the ring holds per channel
    std::size_t ring_floats = 0, band_floats = 0;  // scratch: [ring][depthwise band][depthwise plane]

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        const simd::conv_geometry& g = dw.geometry;
        const std::size_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
        for (std::size_t n = 0; n < batch; ++n) {
            const float* xn = x + n * x_stride;
            float* yn = y + n * y_stride;
            const simd::epilogue en = pw_fused.for_image(pw_ep, ctx, n * y_stride, yn);
            // each worker one contiguous range of output rows (as depthwise_pointwise_step), band by band
            ctx.pool->parallel_for(0, g.out_h, 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                pull_halo(xn, ex.k, g, b, e);      // (halo.hpp) the narrow input's rows a neighbour wrote
                float* rows = ctx.scratch_of(w);  // [channels][ring][in_w]: widened row iy in slot iy % ring
                float* d = rows + ring_floats;     // [channels][band * out_w]: the depthwise band
                float* plane = d + band_floats;
                std::size_t made = 0;  // widened rows below `made` are made (those within `ring` of it kept)
                for (std::size_t oy0 = b; oy0 < e; oy0 += band) {
                    const std::size_t oy1 = std::min(e, oy0 + band);
                    const auto [lo, hi] = input_window(g, oy0, oy1);
                    // the rows not made yet, in runs of consecutive slots; each overwrites a row
                    // `ring` above it, below lo (hi - lo <= ring)
                    for (std::size_t r = std::max(made, lo); r < hi;) {
                        const std::size_t slot = r % ring, run = std::min(hi - r, ring - slot);
                        table->gemm_a_inplace(ex, xn + r * g.in_w, static_cast<std::ptrdiff_t>(in_plane), run * g.in_w,
                                              rows + slot * g.in_w, static_cast<std::ptrdiff_t>(ring * g.in_w), ex_ep);
                        r += run;
                    }
                    made = std::max(made, hi);
                    const simd::dw_input in{rows, ring * g.in_w, {lo / ring * ring, ring}};
                    const std::size_t cols = (oy1 - oy0) * g.out_w;
                    table->depthwise_rows(dw, in, d, dw_ep, plane, 0, channels, oy0, oy1);
                    table->gemm_a_inplace(pw, d, static_cast<std::ptrdiff_t>(cols), cols, yn + oy0 * g.out_w,
                                          static_cast<std::ptrdiff_t>(out_plane), en);
                }
            });
        }
    }
};

/// The family (see the file comment).
struct convolution {
    static constexpr std::string_view name = "convolution";

    /// The output channels per part of a plane-path convolution (conv_plane, blocks of `block_rows`
    /// output rows) at `threads` threads: out_c (one part, its output rows split as conv_step::run
    /// splits them) unless blocks of whole mr-row panels, one per worker, need fewer micro-tiles on
    /// the busiest worker (openWakeWord's embedding: 96 channels on maps 2 to 4 columns wide and 6 to
    /// 12 rows, where half the rows fill a tile no less than all of them). Each such part sums its
    /// K in slices sized by its own row count (conv_plane), so its outputs may differ from one
    /// thread's in the last bit.
    static std::size_t plane_block(const simd::gemm_blocking& bl, const simd::conv_geometry& g, std::size_t block_rows,
                                   std::size_t threads) {
        const std::size_t mr = bl.mr, nr = bl.nr(), pw = g.out_w + (g.kw - 1) * g.dw, h = g.out_h;
        auto tiles = [&](std::size_t r0, std::size_t r1) {  // micro-tiles of one mr-row panel over rows [r0, r1)
            std::size_t t = 0;
            for (std::size_t rb = r0; rb < r1; rb += block_rows) t += (std::min(block_rows, r1 - rb) * pw + nr - 1) / nr;
            return t;
        };
        const std::size_t row_panels = (g.out_c + mr - 1) / mr;
        // the row split (thread_pool::parallel_for over out_h rows, grain 1): its busiest chunk
        const std::size_t chunks = std::min(threads, h), per = (h + chunks - 1) / chunks;
        std::size_t busiest = 0;
        for (std::size_t r0 = 0; r0 < h; r0 += per) busiest = std::max(busiest, tiles(r0, std::min(h, r0 + per)));
        const std::size_t by_rows = busiest * row_panels;
        const std::size_t panels_per_part = (row_panels + threads - 1) / threads;
        const std::size_t by_channels = panels_per_part * tiles(0, h);
        return by_channels < by_rows ? panels_per_part * mr : g.out_c;
    }

    /// The output channels per part of a pointwise convolution C[m, n] = W[m, k] * x[k, n] at `threads`
    /// threads: m (one part, its columns split as conv_step::run splits them) unless blocks of whole
    /// mr-row panels, one per worker, need fewer micro-tiles on the busiest worker.
    static std::size_t pointwise_block(const simd::gemm_blocking& bl, std::size_t m, std::size_t n,
                                       std::size_t threads) {
        return other_axis_block(n, bl.nr(), m, bl.mr, threads);
    }

    /// The output rows per band of a fused depthwise -> pointwise step (depthwise_pointwise_step) of
    /// `channels` channels into `out_c` on an out_h x out_w map, at `threads` threads: a band's
    /// depthwise output within dw_pw_band_floats (fewer bands: each refills the depthwise rows its
    /// window reaches above and below it, and the pointwise GEMM reads all its weights once per
    /// band), a whole number of GEMM micro-tiles where that costs little (the largest band whose
    /// columns fill 95% of their tiles, else the one filling them best), within the rows of one
    /// worker (out_h / threads, rounded up).
    static std::size_t dw_pw_band(std::size_t nr, std::size_t channels, std::size_t out_c, std::size_t out_h,
                                  std::size_t out_w, std::size_t threads) {
        const std::size_t per_row = channels * out_w;
        const std::size_t rows = worker_rows(out_h, threads);
        const std::size_t most =
            std::max<std::size_t>(1, std::min(rows, dw_pw_band_floats(channels, out_c) / std::max<std::size_t>(per_row, 1)));
        return tile_band(nr, out_w, most);
    }

    /// The floats of depthwise output one band of a depthwise_pointwise_step holds: 4 times the
    /// pointwise weights (channels x out_c), within 192 KiB and 768 KiB. Small weights stay in L1/L2
    /// whatever the band, and smaller bands keep the depthwise output near the GEMM (BlazeFace's 24 to
    /// 96 channels on 16x16 to 128x128 maps); wide layers on small maps (PaddleOCR rec's 240 channels
    /// on 12x80: two rows within 192 KiB) spent the band reloading their 225 KiB of weights for few
    /// columns; they now take ten rows at one thread, six at two.
    static std::size_t dw_pw_band_floats(std::size_t channels, std::size_t out_c) {
        return std::min<std::size_t>(196608, std::max<std::size_t>(49152, 4 * channels * out_c));
    }

    /// Of bands of 1 to `most` output rows of out_w columns, the one whose columns fill the GEMM's
    /// nr-column micro-tiles: the largest filling 95% of them, else the one filling them best.
    static std::size_t tile_band(std::size_t nr, std::size_t out_w, std::size_t most) {
        std::size_t best = 1;
        double best_use = 0.0;
        for (std::size_t r = 1; r <= most; ++r) {
            const double use = double(r * out_w) / double(simd::detail::round_up(r * out_w, nr));
            if (use >= 0.95 || use >= best_use) best = r, best_use = std::max(use, best_use);
        }
        return best;
    }

    /// Whether a depthwise convolution of geometry g runs with the pointwise one after it
    /// (depthwise_pointwise_step) at `threads` threads: its output rows split evenly
    /// (dw_pw_rows_even), and at more than one thread a window of fewer than 5 rows. A 5x5 window
    /// split by rows ran 7-11% slower at two threads than the two steps apart (the depthwise one
    /// splitting channels, the pointwise one columns), though 1-2% faster at one: PaddleOCR rec's
    /// 240 channels on 12x80 (0.53 against 0.50 ms), det's and tfjs CenterNet's 5x5 blocks (per-step
    /// minima, this host); 3x3 windows stay fused, 3-25% faster so.
    static bool dw_pw_fuses(const simd::conv_geometry& g, std::size_t threads) {
        return dw_pw_rows_even(g.out_h, threads) && (threads <= 1 || g.kh < 5);
    }

    /// Whether `out_h` output rows split between `threads` workers (depthwise_pointwise_step::run: one
    /// range of rows each) leave the busiest within 10% of an even share. Else (PaddleOCR rec's 3x80
    /// maps at two threads: 2 + 1 rows) the two steps run apart, the depthwise one splitting channels
    /// and the pointwise one columns or output channels, both evenly.
    static bool dw_pw_rows_even(std::size_t out_h, std::size_t threads) {
        if (threads <= 1) return true;
        if (out_h < threads) return false;
        return worker_rows(out_h, threads) * threads * 10 <= out_h * 11;
    }

    /// The rows of the busiest of `threads` (>= 1) workers when out_h rows are split evenly between
    /// them, one range each (depthwise_pointwise_step::run, expand_depthwise_step::run).
    static std::size_t worker_rows(std::size_t out_h, std::size_t threads) {
        return (out_h + threads - 1) / threads;
    }

    /// The pointwise convolution a depthwise step at `id` may fuse (depthwise_pointwise_step): the
    /// only consumer of `out` (the depthwise output after its epilogue), 1x1, stride 1, unpadded, one
    /// group, f32, constant weights [out_c, channels, 1, 1] on a map of the depthwise output's shape;
    /// else npos.
    static node_id fusable_pointwise(const plan_builder& b, output_ref out, std::size_t channels) {
        const node_id pw = b.single_consumer<ops::convolution>(out);
        if (pw == plan_builder::npos || b.at(pw).inputs[0] != out) return plan_builder::npos;
        const slot& xs = b.slot_at(out);
        const slot& ys = b.slots[b.output_slot(pw)];
        const tensor* w = b.constant_input(pw, 1);
        if (!w || w->type() != element_type::f32 || w->rank() != 4 || xs.dims.size() != 4 || ys.dims.size() != 4 ||
            xs.type != element_type::f32 || ys.type != element_type::f32)
            return plan_builder::npos;
        const shape& wd = w->dims();
        if (static_cast<std::size_t>(wd[1]) != channels || wd[2] != 1 || wd[3] != 1 || ys.dims[0] != xs.dims[0] ||
            ys.dims[1] != wd[0] || ys.dims[2] != xs.dims[2] || ys.dims[3] != xs.dims[3])
            return plan_builder::npos;
        const auto& a = b.at(pw).attrs_as<ops::convolution>();
        const auto geo = ops::detail::resolve_window({xs.dims[2], xs.dims[3]}, {1, 1}, a.strides, a.dilations,
                                                     a.pads_begin, a.pads_end, a.auto_pad, false);
        for (std::size_t i = 0; i < 2; ++i)
            if (geo.strides[i] != 1 || geo.pads_begin[i] != 0 || geo.pads_end[i] != 0) return plan_builder::npos;
        return pw;
    }

    /// The output rows per band of an expand_depthwise_step (widened `channels`, depthwise geometry g)
    /// at `threads` threads: the ring of widened rows and the depthwise band within about 1 MiB (an L2
    /// of Zen 4/5; a quarter of it made the GEMM on the widened rows reload its weights for too few
    /// columns), within the rows of one worker, a whole number of the projecting GEMM's micro-tiles
    /// where that costs little (as dw_pw_band). At least 1.
    static std::size_t expand_band(std::size_t nr, std::size_t channels, const simd::conv_geometry& g,
                                   std::size_t threads) {
        const std::size_t rows = worker_rows(g.out_h, threads);
        auto floats = [&](std::size_t r) { return channels * (window_rows(g, r) * g.in_w + r * g.out_w); };
        std::size_t most = 1;
        while (most < rows && floats(most + 1) <= 262144) ++most;
        return tile_band(nr, g.out_w, most);
    }

    /// The input rows `r` consecutive output rows of geometry g read (at most in_h): the ring of an
    /// expand_depthwise_step with bands of r rows.
    static std::size_t window_rows(const simd::conv_geometry& g, std::size_t r) {
        return std::min(g.in_h, (r - 1) * g.sh + (g.kh - 1) * g.dh + 1);
    }

    /// The widened tensor (floats per image) from which a pointwise convolution and the depthwise one
    /// after it run as one expand_depthwise_step: smaller ones stay in the caches between two steps.
    static constexpr std::size_t expand_min_floats = 262144;  // 1 MiB

    /// The expand_depthwise_step of pointwise convolution id (geometry g), when the depthwise
    /// convolution that alone reads its output (after its epilogue) and the pointwise one that alone
    /// reads the depthwise output (fusable_pointwise) can run with it: 2-D, f32 input in the arena (the
    /// GEMM loads each row's last vector whole), a widened tensor of expand_min_floats or more, output
    /// rows that split evenly (dw_pw_rows_even), plan_options::fuse_depthwise_pointwise. Else nullptr,
    /// claiming nothing. (Without the projecting convolution, a squeeze-excitation block's, the
    /// depthwise output goes to memory as large as the widened tensor: fusing gained nothing on
    /// tfjs CenterNet's MobileNetV3.)
    static std::unique_ptr<step> make_expand(plan_builder& b, node_id id, const simd::conv_geometry& g) {
        const slot& xs = b.slots[b.input_slot(id, 0)];
        if (!b.fuse_depthwise_pointwise || xs.dims.size() != 4 || xs.where != slot::kind::arena || g.groups != 1 ||
            !g.pointwise() || g.out_c * g.out_h * g.out_w < expand_min_floats)
            return nullptr;
        fused_epilogue ef = match_epilogue(b, output_ref{id, 0}, 1, g.out_c, false, plan_builder::npos, false, true);
        const output_ref ex_out{ef.nodes.empty() ? id : ef.nodes.back(), 0};
        const node_id dn = b.single_consumer<ops::group_convolution>(ex_out);
        simd::conv_geometry dg;
        if (dn == plan_builder::npos || b.at(dn).inputs[0] != ex_out || !geometry_of(b, dn, dg) || !dg.depthwise() ||
            dg.groups != g.out_c || !dw_pw_rows_even(dg.out_h, b.threads)) {
            for (const node_id f : ef.nodes) b.unclaim(f);
            return nullptr;
        }
        b.claim(dn);
        const std::size_t channels = g.out_c;
        fused_epilogue df = match_epilogue(b, output_ref{dn, 0}, 1, channels, false, id, false, true);
        const node_id pn = fusable_pointwise(b, output_ref{df.nodes.empty() ? dn : df.nodes.back(), 0}, channels);
        if (pn == plan_builder::npos) {
            for (const node_id f : ef.nodes) b.unclaim(f);
            for (const node_id f : df.nodes) b.unclaim(f);
            b.unclaim(dn);
            return nullptr;
        }
        b.claim(pn);
        auto s = std::make_unique<expand_depthwise_step>();
        const std::size_t out_c = static_cast<std::size_t>(b.constant_input(pn, 1)->dims()[0]);
        s->table = b.table;
        s->channels = channels;
        s->ex = std::move(simd::pack_conv(b.table->blocking, b.constant_input(id, 1)->data<float>(), g).weights);
        s->dw = simd::pack_depthwise(b.constant_input(dn, 1)->data<float>(), dg);
        s->ex_fused = std::move(ef);
        s->dw_fused = std::move(df);
        s->pw_fused = match_epilogue(b, output_ref{pn, 0}, 1, out_c, true, id, false, true);
        simd::conv_geometry pg = g;
        pg.in_c = channels, pg.out_c = out_c;
        pg.in_h = pg.out_h = dg.out_h, pg.in_w = pg.out_w = dg.out_w;
        s->pw = std::move(simd::pack_conv(b.table->blocking, b.constant_input(pn, 1)->data<float>(), pg).weights);
        s->ex_ep = s->ex_fused.kernel_epilogue(false);
        s->dw_ep = s->dw_fused.kernel_epilogue(false);
        s->pw_ep = s->pw_fused.kernel_epilogue(false);
        const std::size_t width = b.table->blocking.width, align = 16;
        s->band = expand_band(b.table->blocking.nr(), channels, dg, b.threads);
        s->ring = window_rows(dg, s->band);
        s->ring_floats = simd::detail::round_up(channels * s->ring * dg.in_w, align);
        s->band_floats = simd::detail::round_up(channels * s->band * dg.out_w, align);
        // (+ width: the projecting GEMM loads the band's last row's last vector whole)
        s->scratch_floats = s->ring_floats + s->band_floats +
                            simd::detail::round_up(simd::depthwise_rows_scratch_floats(dg, width, s->band), align) + width;
        s->batch = static_cast<std::size_t>(xs.dims[0]);
        s->x_stride = g.in_c * g.in_h * g.in_w;
        s->y_stride = out_c * dg.out_h * dg.out_w;
        const node& dnode = b.at(dn);
        const std::string ksize = std::to_string(dg.kh) + "x" + std::to_string(dg.kw);
        s->kernel = "conv1x1" + s->ex_fused.act_suffix() + "+dw" + ksize + s->dw_fused.act_suffix() + "+conv1x1." +
                    std::string(b.table->blocking.arch) + s->pw_fused.act_suffix();
        s->name = b.at(id).name;
        s->ops = std::string(b.at(id).op->ir_name) + s->ex_fused.ops + "+" + std::string(dnode.op->ir_name) +
                 s->dw_fused.ops + "+" + std::string(b.at(pn).op->ir_name) + s->pw_fused.ops;
        s->reads = {b.input_slot(id, 0)};
        if (s->pw_fused.residual_slot != no_slot) s->reads.push_back(s->pw_fused.residual_slot);
        s->writes = {s->pw_fused.out_slot};
        return s;
    }

    /// The geometry of Convolution / GroupConvolution node id when the fast family can run it (f32,
    /// constant weights, 2-D or 1-D as 2-D of height 1; see make), else false.
    static bool geometry_of(const plan_builder& b, node_id id, simd::conv_geometry& g) {
        const node& n = b.at(id);
        if (!n.is<ops::convolution>() && !n.is<ops::group_convolution>()) return false;
        const bool grouped = n.is<ops::group_convolution>();
        const auto& a = grouped ? n.attrs_as<ops::group_convolution>() : n.attrs_as<ops::convolution>();
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const tensor* w = b.constant_input(id, 1);
        // 2-D, and 1-D as 2-D with a height of 1
        const std::size_t rank = xs.dims.size();
        if (!w || w->type() != element_type::f32 || xs.type != element_type::f32 || ys.type != element_type::f32 ||
            (rank != 4 && rank != 3) || ys.dims.size() != rank || w->rank() != (grouped ? rank + 1 : rank))
            return false;
        const shape& wd = w->dims();
        const std::size_t lead = grouped ? 3 : 2;
        const bool one_d = rank == 3;
        const auto geo = one_d ? ops::detail::resolve_window({xs.dims[2]}, {wd[lead]}, a.strides, a.dilations,
                                                             a.pads_begin, a.pads_end, a.auto_pad, false)
                               : ops::detail::resolve_window({xs.dims[2], xs.dims[3]}, {wd[lead], wd[lead + 1]},
                                                             a.strides, a.dilations, a.pads_begin, a.pads_end,
                                                             a.auto_pad, false);
        g = simd::conv_geometry{};
        g.groups = grouped ? static_cast<std::size_t>(wd[0]) : 1;
        g.out_c = static_cast<std::size_t>(wd[lead - 2]);
        g.in_c = static_cast<std::size_t>(wd[lead - 1]);
        if (one_d) {
            g.in_h = 1, g.in_w = static_cast<std::size_t>(xs.dims[2]);
            g.out_h = 1, g.out_w = static_cast<std::size_t>(ys.dims[2]);
            g.kh = 1, g.kw = static_cast<std::size_t>(wd[lead]);
            g.sh = 1, g.sw = static_cast<std::size_t>(geo.strides[0]);
            g.dh = 1, g.dw = static_cast<std::size_t>(geo.dilations[0]);
            g.pt = 0, g.pl = geo.pads_begin[0];
        } else {
            g.in_h = static_cast<std::size_t>(xs.dims[2]), g.in_w = static_cast<std::size_t>(xs.dims[3]);
            g.out_h = static_cast<std::size_t>(ys.dims[2]), g.out_w = static_cast<std::size_t>(ys.dims[3]);
            g.kh = static_cast<std::size_t>(wd[lead]), g.kw = static_cast<std::size_t>(wd[lead + 1]);
            g.sh = static_cast<std::size_t>(geo.strides[0]), g.sw = static_cast<std::size_t>(geo.strides[1]);
            g.dh = static_cast<std::size_t>(geo.dilations[0]), g.dw = static_cast<std::size_t>(geo.dilations[1]);
            g.pt = geo.pads_begin[0], g.pl = geo.pads_begin[1];
        }
        return g.groups * g.in_c == static_cast<std::size_t>(xs.dims[1]) &&
               g.groups * g.out_c == static_cast<std::size_t>(ys.dims[1]) && g.out_h != 0 && g.out_w != 0 && g.pt >= 0 &&
               g.pl >= 0;
    }

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        simd::conv_geometry g;
        if (!b.table || !geometry_of(b, id, g)) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const tensor* w = b.constant_input(id, 1);
        const bool one_d = xs.dims.size() == 3;
        if (auto s = make_expand(b, id, g)) return s;
        const std::size_t channels = g.groups * g.out_c;
        // the paths (below) whose tiles store straight into y, and so can add a residual there: not
        // depthwise, not the plane path, not the windows path
        simd::plane_choice plane_pc;
        if (!g.depthwise() && simd::direct_conv_fits(g) && g.out_h >= b.threads)
            plane_pc = simd::plane_rows_for(b.table->blocking, g);
        const bool plane = plane_pc.rows > 0 && plane_pc.plane_use > 1.15 * plane_pc.ring_use;
        const bool windows = !plane && g.groups == 1 && g.in_c == 1 && g.in_h == 1 && g.out_h == 1 && g.kh == 1 &&
                             g.pl == 0 && g.dw == 1 && g.kw >= 16 && (g.out_w - 1) * g.sw + g.kw <= g.in_w &&
                             g.out_w < b.table->blocking.nr() && !simd::direct_conv_fits(g);
        // tiles of output channels (the pixels path) when those are clearly better used than tiles of
        // output pixels on the path chosen otherwise (the plane path's blocks, the direct path's rows,
        // or the packed GEMM's columns), and the transposed im2col matrix stays small (L2)
        const std::size_t out_pixels = g.out_h * g.out_w, kdim = g.in_c * g.kh * g.kw;
        const double other_use =
            plane ? plane_pc.plane_use
                  : simd::direct_conv_fits(g) ? double(g.out_w) / double(simd::detail::round_up(g.out_w, b.table->blocking.nr()))
                                              : double(out_pixels) / double(simd::detail::round_up(out_pixels, b.table->blocking.nr()));
        const bool pixels = !windows && g.groups == 1 && !g.depthwise() && out_pixels * (kdim + g.out_c) <= 65536 &&
                            simd::pixels_use(b.table->blocking, g) > 1.5 * other_use;
        const bool phased = !plane && !windows && !pixels && simd::phased_conv_fits(b.table->blocking, g);
        fused_epilogue f =
            match_epilogue(b, output_ref{id, 0}, 1, channels, !g.depthwise() && !plane && !windows && !pixels,
                           plan_builder::npos, false, true);
        const std::string suffix = "." + std::string(b.table->blocking.arch) + f.act_suffix();
        const std::string ksize = std::to_string(g.kh) + "x" + std::to_string(g.kw);
        const std::size_t batch = static_cast<std::size_t>(xs.dims[0]);
        const std::size_t x_stride = static_cast<std::size_t>(xs.dims[1]) * g.in_h * g.in_w;
        const std::size_t y_stride = channels * g.out_h * g.out_w;
        std::unique_ptr<step> out;
        const output_ref dw_out{f.nodes.empty() ? id : f.nodes.back(), 0};
        const node_id pw = g.depthwise() && !one_d && b.fuse_depthwise_pointwise && dw_pw_fuses(g, b.threads)
                               ? fusable_pointwise(b, dw_out, channels)
                               : plan_builder::npos;
        if (pw != plan_builder::npos) {
            auto s = std::make_unique<depthwise_pointwise_step>();
            const node& pn = b.at(pw);
            const tensor* pwt = b.constant_input(pw, 1);
            const std::size_t out_c = static_cast<std::size_t>(pwt->dims()[0]);
            b.claim(pw);
            s->pw_fused = match_epilogue(b, output_ref{pw, 0}, 1, out_c, true, id, false, true);
            s->table = b.table;
            s->dw = simd::pack_depthwise(w->data<float>(), g);
            simd::conv_geometry pg;
            pg.groups = 1, pg.in_c = channels, pg.out_c = out_c;
            pg.in_h = pg.out_h = g.out_h, pg.in_w = pg.out_w = g.out_w;
            pg.kh = pg.kw = pg.sh = pg.sw = pg.dh = pg.dw = 1;
            pg.pt = pg.pl = 0;
            s->pw = std::move(simd::pack_conv(b.table->blocking, pwt->data<float>(), pg).weights);
            s->channels = channels;
            s->band = dw_pw_band(b.table->blocking.nr(), channels, out_c, g.out_h, g.out_w, b.threads);
            const std::size_t cols = s->band * g.out_w, align = 16;
            s->band_floats = simd::detail::round_up(channels * cols, align);
            s->plane_floats = simd::detail::round_up(
                simd::depthwise_rows_scratch_floats(g, b.table->blocking.width, s->band), align);
            s->scratch_floats = s->band_floats + s->plane_floats + b.table->blocking.width;
            s->batch = batch, s->x_stride = x_stride, s->y_stride = out_c * g.out_h * g.out_w;
            s->dw_fused = std::move(f);
            s->dw_ep = s->dw_fused.kernel_epilogue(false);
            s->pw_ep = s->pw_fused.kernel_epilogue(false);
            s->kernel = "dw" + ksize + s->dw_fused.act_suffix() + "+conv1x1." + std::string(b.table->blocking.arch) +
                        s->pw_fused.act_suffix();
            s->name = n.name;
            s->ops = std::string(n.op->ir_name) + s->dw_fused.ops + "+" + std::string(pn.op->ir_name) + s->pw_fused.ops;
            s->reads = {b.input_slot(id, 0)};
            if (s->pw_fused.residual_slot != no_slot) s->reads.push_back(s->pw_fused.residual_slot);
            s->writes = {s->pw_fused.out_slot};
            return s;
        }
        if (g.depthwise()) {
            auto s = std::make_unique<depthwise_step>();
            s->table = b.table;
            s->w = simd::pack_depthwise(w->data<float>(), g);
            s->channels = g.groups;
            s->kernel = "dw" + ksize + suffix;
            s->scratch_floats = simd::depthwise_scratch_floats(g, b.table->blocking.width);
            s->batch = batch, s->x_stride = x_stride, s->y_stride = y_stride;
            s->fused = std::move(f);
            s->ep = s->fused.kernel_epilogue(false);
            out = std::move(s);
        } else {
            auto s = std::make_unique<conv_step>();
            s->table = b.table;
            const float* wp = w->data<float>();
            const std::size_t k = g.in_c * g.kh * g.kw, in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
            s->pointwise = g.groups == 1 && g.pointwise() && !pixels;
            // rows are the direct path's unit of work: images too short to share their rows run it as
            // blocks of output channels, one per worker, each over every row (PaddleOCR rec's 1x3
            // convolutions on 1x40 maps), when each worker gets two micro-panels or more; else the
            // column split below
            const std::size_t direct_block = b.threads > 1 && g.out_h < 2 * b.threads
                                                 ? simd::detail::round_up((g.out_c + b.threads - 1) / b.threads,
                                                                          b.table->blocking.mr)
                                                 : g.out_c;
            s->direct = simd::direct_conv_fits(g) &&
                        (b.threads <= 1 || g.out_h >= 2 * b.threads || direct_block >= 2 * b.table->blocking.mr);
            // images too narrow for the direct path's one-row tiles: blocks of rows as planes
            // (kernels/simd/convolution.hpp, conv_plane), when that wastes clearly less of each tile
            if (plane && !pixels) {
                s->plane = true;
                s->direct = false;
                s->rows = g.out_h;
                const std::size_t pblock =
                    b.threads > 1 ? plane_block(b.table->blocking, g, plane_pc.rows, b.threads) : g.out_c;
                for (std::size_t o0 = 0; o0 < g.out_c; o0 += pblock) {
                    simd::conv_geometry pg = g;
                    pg.out_c = std::min(pblock, g.out_c - o0);
                    conv_step::part p;
                    p.w = simd::pack_conv_plane(b.table->blocking, wp + o0 * k, pg, plane_pc.rows);
                    // an arena tensor is readable 15 floats past its end (plan.hpp)
                    p.w.plane_inplace = xs.where == slot::kind::arena && g.in_c * g.in_h * g.in_w < (std::size_t(1) << 30);
                    p.y_off = o0 * out_plane;
                    p.bias_off = o0;
                    s->scratch_floats = std::max(
                        s->scratch_floats, std::max(simd::conv_plane_scratch_floats(p.w), simd::conv_scratch_floats(p.w)));
                    s->parts.push_back(std::move(p));
                }
            }
            // enough pieces per group to keep every worker busy: column ranges of at least 4 panels
            // each, else blocks of output channels
            std::size_t block = g.out_c;
            s->columns = out_plane;
            s->piece_columns = out_plane;
            if (s->pointwise && b.threads > 1) block = pointwise_block(b.table->blocking, g.out_c, out_plane, b.threads);
            if (!s->pointwise && b.threads > 1 && g.groups < b.threads) {
                const std::size_t want = (b.threads + g.groups - 1) / g.groups;
                const std::size_t nr = b.table->blocking.nr(), mr = b.table->blocking.mr;
                if (out_plane >= want * 4 * nr) {
                    s->piece_columns = simd::detail::round_up((out_plane + want - 1) / want, nr);
                    s->pieces = (out_plane + s->piece_columns - 1) / s->piece_columns;
                } else {
                    block = std::min(g.out_c, simd::detail::round_up((g.out_c + want - 1) / want, mr));
                }
            }
            if (pixels || phased) s->direct = false;
            if (phased) {
                conv_step::part p;
                p.w = simd::pack_conv(b.table->blocking, wp, g);
                s->phased = true;
                s->rows = g.out_h;
                s->scratch_floats = std::max(simd::phased_conv_scratch_floats(p.w, b.table->blocking.width),
                                             simd::conv_scratch_floats(p.w));
                s->parts.push_back(std::move(p));
                s->pieces = 1, s->piece_columns = out_plane;  // what conv_columns would take
            }
            if (s->direct) {
                for (std::size_t o0 = 0; o0 < g.out_c; o0 += direct_block) {
                    simd::conv_geometry pg = g;
                    pg.out_c = std::min(direct_block, g.out_c - o0);
                    conv_step::part p;
                    p.w = simd::pack_conv_direct(b.table->blocking, wp + o0 * k, pg);
                    p.y_off = o0 * out_plane;
                    p.bias_off = o0;
                    s->scratch_floats = std::max(s->scratch_floats, simd::conv_rows_scratch_floats(p.w));
                    s->parts.push_back(std::move(p));
                }
                s->columns = g.out_h;
            }
            for (std::size_t gi = 0; gi < g.groups && !s->direct && !s->plane && !s->phased; ++gi)
                for (std::size_t o0 = 0; o0 < g.out_c; o0 += block) {
                    simd::conv_geometry pg = g;
                    pg.groups = 1;
                    pg.out_c = std::min(block, g.out_c - o0);
                    conv_step::part p;
                    p.w = simd::pack_conv(b.table->blocking, wp + (gi * g.out_c + o0) * k, pg);
                    p.x_off = gi * g.in_c * in_plane;
                    p.y_off = (gi * g.out_c + o0) * out_plane;
                    p.bias_off = gi * g.out_c + o0;
                    s->scratch_floats = std::max(s->scratch_floats, simd::conv_scratch_floats(p.w));
                    s->parts.push_back(std::move(p));
                }
            if (s->pointwise) {
                s->grain = tile_grain(out_plane, b.table->blocking.nr(), b.threads);
                s->scratch_floats = simd::gemm_a_scratch_floats(b.table->blocking, k, out_plane);
            }
            if (s->plane) s->pieces = 1, s->piece_columns = out_plane;  // what conv_columns would take
            if (pixels) {
                s->pixels = true;
                s->pixels_g = g;
                s->windows_w = simd::pack_b(b.table->blocking, wp, kdim, g.out_c, 1, static_cast<std::ptrdiff_t>(kdim));
                s->out_c = g.out_c;
                s->grain = b.table->blocking.mr;
                s->scratch_floats = std::max(s->scratch_floats, out_pixels * (kdim + g.out_c));
            }
            if (windows) {
                s->windows = true;
                s->windows_w = simd::pack_b(b.table->blocking, wp, g.kw, g.out_c, 1, static_cast<std::ptrdiff_t>(g.kw));
                s->out_c = g.out_c, s->out_w = g.out_w, s->stride_w = g.sw;
                s->scratch_floats = std::max(s->scratch_floats, g.out_c * g.out_w);
            }
            s->kernel = (g.groups > 1 ? "gconv" : "conv") + ksize + (s->direct ? ".direct" : "") +
                        (s->plane ? ".plane" : "") + (s->phased ? ".phased" : "") + suffix;
            s->batch = batch, s->x_stride = x_stride, s->y_stride = y_stride;
            s->fused = std::move(f);
            s->ep = s->fused.kernel_epilogue(false);
            if (s->windows || s->pixels) {
                s->wep = s->ep;
                s->wep.col_bias = s->wep.bias, s->wep.col_slope = s->wep.slope;
                s->wep.bias = nullptr, s->wep.slope = nullptr;
                s->kernel = "conv" + ksize + (s->pixels ? ".pixels" : ".windows") + suffix;
            }
            out = std::move(s);
        }
        out->name = n.name;
        auto* fs = dynamic_cast<depthwise_step*>(out.get());
        const fused_epilogue& fe = fs ? fs->fused : static_cast<conv_step*>(out.get())->fused;
        out->ops = std::string(n.op->ir_name) + fe.ops;
        out->reads = {b.input_slot(id, 0)};
        if (fe.residual_slot != no_slot) out->reads.push_back(fe.residual_slot);
        out->writes = {fe.out_slot};
        return out;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_CONVOLUTION_HPP
