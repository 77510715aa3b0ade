#ifndef MOIR_RUNTIME_STEPS_INTERPOLATE_HPP
#define MOIR_RUNTIME_STEPS_INTERPOLATE_HPP

// The interpolate step family: Interpolate in mode nearest (any coordinate transformation, nearest
// mode, pads and axes; any element type) as two index tables computed once when the plan is
// compiled, from the reference kernel's own taps (kernels/reference/interpolate.hpp), so it picks
// exactly the cells the reference picks. An output row (the last axis) either repeats the row before
// it (upsampling along the other axes: one memcpy), or gathers its cells from one input row through
// the column table. Rows are split across the workers.
// Modes linear_onnx and cubic on f32 data resampled along two consecutive axes at most (an image
// resize of NCHW or NHWC data, any coordinate transformation, pads on those axes): separable, from
// the same taps, as flat tables of (index, weight) per output row and column, in float; rows split
// across the workers (NCHW: each input row resampled along the row once per worker, kept in scratch
// for the output rows that blend it; each worker the same rows of every plane where those split
// evenly).
// Anything else is left to the reference family.

#include <moir/kernels/reference/interpolate.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max
#include <cstddef>    // size_t
#include <cstdint>  // int64_t, uint8_t, uint16_t, uint32_t, uint64_t
#include <cstring>  // memcpy, memset
#include <memory>   // unique_ptr, make_unique
#include <string>   // string
#include <vector>   // vector

namespace moir::runtime::steps {

/// Nearest resampling by tables: output row r reads input row row_src[r] (an element offset; -1 for
/// a padded row, which is zeros), cell c of a row reads cell col_src[c] of it (-1: zero).
class nearest_step final : public step {
public:
    std::size_t elem = 4, width = 0;  // bytes per element, output row length
    std::vector<std::int64_t> row_src, col_src;
    bool identity_cols = false;  // col_src[c] == c for every c (only rows are resampled)

    void run(const run_context& ctx) const override {
        const auto* x = static_cast<const std::uint8_t*>(ctx.data(reads[0]));
        auto* y = static_cast<std::uint8_t*>(ctx.out(writes[0]));
        const std::size_t row_bytes = width * elem;
        const std::size_t grain = chunk_rows(row_bytes);
        ctx.pool->parallel_for(0, row_src.size(), grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t r = b; r < e; ++r) {
                std::uint8_t* dst = y + r * row_bytes;
                const std::int64_t src = row_src[r];
                if (src < 0) {
                    std::memset(dst, 0, row_bytes);
                } else if (r > b && src == row_src[r - 1]) {
                    std::memcpy(dst, dst - row_bytes, row_bytes);
                } else if (identity_cols) {
                    std::memcpy(dst, x + static_cast<std::size_t>(src) * elem, row_bytes);
                } else {
                    gather_row(x + static_cast<std::size_t>(src) * elem, dst);
                }
            }
        });
    }

private:
    template <class T>
    void gather_typed(const std::uint8_t* src, std::uint8_t* dst) const {
        const auto* s = reinterpret_cast<const T*>(src);
        auto* d = reinterpret_cast<T*>(dst);
        for (std::size_t c = 0; c < width; ++c) d[c] = col_src[c] < 0 ? T{0} : s[col_src[c]];
    }
    void gather_row(const std::uint8_t* src, std::uint8_t* dst) const {
        switch (elem) {
            case 1: gather_typed<std::uint8_t>(src, dst); return;
            case 2: gather_typed<std::uint16_t>(src, dst); return;
            case 4: gather_typed<std::uint32_t>(src, dst); return;
            case 8: gather_typed<std::uint64_t>(src, dst); return;
            default: break;
        }
        for (std::size_t c = 0; c < width; ++c) {
            if (col_src[c] < 0) std::memset(dst + c * elem, 0, elem);
            else std::memcpy(dst + c * elem, src + static_cast<std::size_t>(col_src[c]) * elem, elem);
        }
    }
};

/// Separable resampling of two consecutive axes H, W (the others untouched: `planes` before them,
/// `inner` elements after them, 1 for NCHW, C for NHWC):
/// y[p, oy, ox, c] = sum_ty wy * sum_tx wx * x[p, iy, ix, c] over the taps of oy and ox (flat tables,
/// th / tw taps per output coordinate, padded taps with weight 0).
class separable_step final : public step {
public:
    std::size_t planes = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0, inner = 1, th = 0, tw = 0;
    std::vector<std::uint32_t> row_idx, col_idx;  // [out_h * th], [out_w * tw]
    std::vector<float> row_w, col_w;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        float* y = ctx.out_f32(writes[0]);
        const std::size_t rows = planes * out_h, row_len = out_w * inner, in_row = in_w * inner;
        if (inner == 1) {
            run_rows(ctx, x, y);
            return;
        }
        ctx.pool->parallel_for(0, rows, chunk_rows(row_len), [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t r = b; r < e; ++r) {
                const std::size_t p = r / out_h, oy = r % out_h;
                const float* xp = x + p * in_h * in_row;
                float* dst = y + r * row_len;
                for (std::size_t i = 0; i < row_len; ++i) dst[i] = 0.0f;
                for (std::size_t t = 0; t < th; ++t) {
                    const float wy = row_w[oy * th + t];
                    if (wy == 0.0f) continue;
                    const float* src = xp + static_cast<std::size_t>(row_idx[oy * th + t]) * in_row;
                    const std::uint32_t* ci = col_idx.data();
                    const float* cw = col_w.data();
                    for (std::size_t ox = 0; ox < out_w; ++ox) {
                        float* d = dst + ox * inner;
                        for (std::size_t k = 0; k < tw; ++k) {
                            const float w = wy * cw[ox * tw + k];
                            if (w == 0.0f) continue;
                            const float* sc = src + static_cast<std::size_t>(ci[ox * tw + k]) * inner;
                            for (std::size_t c = 0; c < inner; ++c) d[c] += w * sc[c];
                        }
                    }
                }
            }
        });
    }

    /// The inner == 1 form (NCHW images): each input row a worker reads is resampled along the row
    /// once, into one of 2*th rows of its scratch (round robin: a row is only evicted after the output
    /// row that fetched it has used it), and output rows blend those: the same operations in the same
    /// order as resampling the row for every output row that reads it (the general loop).
    /// Split between the workers by output rows, each worker the same rows of every plane, where
    /// those split evenly (rows_even): the input rows it reads are then those that a producer split by
    /// rows (most convolution steps) wrote on the same core. Split by planes, CenterNet's 2x bilinear
    /// upsampling at two threads read half its input from the other core's cache (1.55x its one-thread
    /// speed against 1.9x for the steps around it). Else by rows of all planes in turn.
    void run_rows(const run_context& ctx, const float* x, float* y) const {
        const std::size_t slots = 2 * th;
        const bool by_row = planes > 1 && rows_even(out_h, ctx.pool->size());
        const std::size_t n = by_row ? out_h : planes * out_h;
        ctx.pool->parallel_for(0, n, chunk_rows(by_row ? planes * out_w : out_w), [&](std::size_t b, std::size_t e,
                                                                                    std::size_t w) {
            float* cache = ctx.scratch_of(w);
            std::size_t key[2 * max_taps], next = 0;
            for (std::size_t i = 0; i < slots; ++i) key[i] = static_cast<std::size_t>(-1);
            const std::uint32_t* ci = col_idx.data();
            const float* cw = col_w.data();
            const auto row = [&](std::size_t p, std::size_t oy) {
                float* dst = y + (p * out_h + oy) * out_w;
                for (std::size_t i = 0; i < out_w; ++i) dst[i] = 0.0f;
                for (std::size_t t = 0; t < th; ++t) {
                    const float wy = row_w[oy * th + t];
                    if (wy == 0.0f) continue;
                    const std::size_t k = p * in_h + row_idx[oy * th + t];
                    std::size_t slot = 0;
                    while (slot < slots && key[slot] != k) ++slot;
                    float* h = cache + (slot < slots ? slot : next) * out_w;
                    if (slot == slots) {
                        const float* src = x + k * in_w;
                        for (std::size_t ox = 0; ox < out_w; ++ox) {
                            float acc = 0.0f;
                            for (std::size_t j = 0; j < tw; ++j) acc += cw[ox * tw + j] * src[ci[ox * tw + j]];
                            h[ox] = acc;
                        }
                        key[next] = k;
                        next = (next + 1) % slots;
                    }
                    for (std::size_t ox = 0; ox < out_w; ++ox) dst[ox] += wy * h[ox];
                }
            };
            if (by_row) {
                for (std::size_t p = 0; p < planes; ++p)
                    for (std::size_t oy = b; oy < e; ++oy) row(p, oy);
            } else {
                for (std::size_t r = b; r < e; ++r) row(r / out_h, r % out_h);
            }
        });
    }

    /// Whether `rows` split between `threads` workers, one range each, leave the busiest within 1/16
    /// of an even share.
    static bool rows_even(std::size_t rows, std::size_t threads) {
        return (rows + threads - 1) / threads * threads * 16 <= rows * 17;
    }

    /// The most taps per output coordinate along the rows run_rows takes (cubic's 4).
    static constexpr std::size_t max_taps = 4;

    /// The step for taps of a linear_onnx / cubic Interpolate, or nullptr when its resampled axes are
    /// not within two consecutive ones.
    static std::unique_ptr<separable_step> make(const shape& xs, const shape& ys,
                                                const std::vector<std::vector<std::vector<kernels::reference::tap>>>& taps) {
        const std::size_t r = xs.size();
        if (r < 2) return nullptr;
        // an axis is untouched when every output coordinate o reads cell o with weight 1 (and any
        // other tap has weight 0)
        auto untouched = [&](std::size_t ax) {
            if (xs[ax] != ys[ax]) return false;
            for (std::int64_t o = 0; o < ys[ax]; ++o)
                for (const auto& t : taps[ax][static_cast<std::size_t>(o)])
                    if (t.weight != 0.0 && (t.index != o || t.weight != 1.0)) return false;
            return true;
        };
        std::size_t lo = r, hi = 0;
        for (std::size_t ax = 0; ax < r; ++ax)
            if (!untouched(ax)) lo = std::min(lo, ax), hi = std::max(hi, ax);
        if (lo == r) return nullptr;  // nothing resampled
        if (hi - lo > 1) return nullptr;
        const std::size_t h = hi == lo ? (lo == 0 ? 0 : lo - 1) : lo, w = h + 1;
        auto s = std::make_unique<separable_step>();
        s->planes = 1;
        for (std::size_t ax = 0; ax < h; ++ax) s->planes *= static_cast<std::size_t>(xs[ax]);
        for (std::size_t ax = w + 1; ax < r; ++ax) s->inner *= static_cast<std::size_t>(xs[ax]);
        s->in_h = static_cast<std::size_t>(xs[h]), s->in_w = static_cast<std::size_t>(xs[w]);
        s->out_h = static_cast<std::size_t>(ys[h]), s->out_w = static_cast<std::size_t>(ys[w]);
        auto flatten = [](const std::vector<std::vector<kernels::reference::tap>>& axis, std::size_t& width,
                          std::vector<std::uint32_t>& idx, std::vector<float>& wt) {
            width = 1;
            for (const auto& t : axis) width = std::max(width, t.size());
            idx.assign(axis.size() * width, 0);
            wt.assign(axis.size() * width, 0.0f);
            for (std::size_t o = 0; o < axis.size(); ++o)
                for (std::size_t k = 0; k < axis[o].size(); ++k)
                    if (axis[o][k].index >= 0) {
                        idx[o * width + k] = static_cast<std::uint32_t>(axis[o][k].index);
                        wt[o * width + k] = static_cast<float>(axis[o][k].weight);
                    }
        };
        flatten(taps[h], s->th, s->row_idx, s->row_w);
        flatten(taps[w], s->tw, s->col_idx, s->col_w);
        // (linear_onnx has 2 taps per coordinate and cubic 4: the first test never holds)
        if (s->inner == 1 && s->th > max_taps) return nullptr;
        if (s->inner == 1) s->scratch_floats = 2 * s->th * s->out_w;
        return s;
    }
};

/// The family (see the file comment).
struct interpolate {
    static constexpr std::string_view name = "interpolate";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        if (!b.table || !n.is<ops::interpolate>()) return nullptr;
        const auto& a = n.attrs_as<ops::interpolate>();
        if (a.antialias) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const tensor* sizes = b.constant_input(id, 1);
        const tensor* axes = n.inputs.size() > 2 ? b.constant_input(id, 2) : nullptr;
        if (!sizes || (n.inputs.size() > 2 && !axes) || xs.type == element_type::boolean || xs.dims.empty() ||
            numel(ys.dims) == 0)
            return nullptr;
        std::vector<std::int64_t> axes_values;
        if (axes) axes_values = axes->to_vector<std::int64_t>();
        const auto taps = kernels::reference::interpolate_taps(a, xs.dims, ys.dims, *sizes, axes ? &axes_values : nullptr);
        if (a.mode != ops::interpolate_mode::nearest) {
            if (xs.type != element_type::f32 || ys.type != element_type::f32) return nullptr;
            auto sp = separable_step::make(xs.dims, ys.dims, taps);
            if (!sp) return nullptr;
            sp->name = n.name;
            sp->ops = std::string(n.op->ir_name);
            sp->kernel = a.mode == ops::interpolate_mode::cubic ? "cubic" : "linear";
            sp->reads.push_back(b.input_slot(id, 0));
            sp->writes = {b.output_slot(id)};
            return sp;
        }
        const std::size_t r = xs.dims.size();
        auto s = std::make_unique<nearest_step>();
        s->elem = size_of(xs.type);
        s->width = static_cast<std::size_t>(ys.dims[r - 1]);
        s->identity_cols = ys.dims[r - 1] == xs.dims[r - 1];
        for (std::size_t c = 0; c < s->width; ++c) {
            s->col_src.push_back(taps[r - 1][c].at(0).index);
            s->identity_cols = s->identity_cols && s->col_src.back() == static_cast<std::int64_t>(c);
        }
        // the input offset of each output row: an odometer over the leading axes
        std::vector<std::int64_t> stride(r, 1);
        for (std::size_t i = r; i-- > 1;) stride[i - 1] = stride[i] * xs.dims[i];
        const std::size_t rows = numel(ys.dims) / s->width;
        std::vector<std::int64_t> pos(r, 0);
        s->row_src.reserve(rows);
        for (std::size_t row = 0; row < rows; ++row) {
            std::int64_t at = 0;
            for (std::size_t ax = 0; ax + 1 < r; ++ax) {
                const std::int64_t i = taps[ax][static_cast<std::size_t>(pos[ax])].at(0).index;
                at = (i < 0 || at < 0) ? -1 : at + i * stride[ax];
            }
            s->row_src.push_back(at);
            for (std::size_t ax = r - 1; ax-- > 0;) {
                if (++pos[ax] < ys.dims[ax]) break;
                pos[ax] = 0;
            }
        }
        s->name = n.name;
        s->ops = std::string(n.op->ir_name);
        s->kernel = s->identity_cols ? "nearest.rows" : "nearest";
        s->reads.push_back(b.input_slot(id, 0));
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_INTERPOLATE_HPP
