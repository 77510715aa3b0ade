#ifndef MOIR_RUNTIME_STEPS_TRANSPOSE_HPP
#define MOIR_RUNTIME_STEPS_TRANSPOSE_HPP

// The Transpose step family: a permutation of axes with a constant permutation, any element type of
// 1, 2, 4 or 8 bytes, as a strided copy. Axes of size 1 are dropped and axes that stay neighbours
// are merged first, so e.g. [N, T, H, D] -> [N, H, T, D] copies runs of D contiguous elements; short
// output rows that read across the input (a last axis under 16 long whose neighbour is contiguous in
// the input) are copied a tile of the last two axes at a time, longer ones that swap the last two
// axes (NCHW <-> NHWC) by 32 x 32 blocks. Output rows (tiles, blocks) are split across the workers.

#include <moir/ops/transpose.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // min
#include <cstdint>    // uint8_t, uint16_t, uint32_t, uint64_t, int64_t
#include <cstring>    // memcpy
#include <memory>     // unique_ptr, make_unique
#include <string>     // string
#include <vector>     // vector

namespace moir::runtime::steps {

/// A strided copy: output element (i_0, ..., i_{r-1}) (row-major over `dims`) reads input element
/// sum_a i_a * in_strides[a] (in elements).
class transpose_step final : public step {
public:
    std::vector<std::size_t> dims, in_strides;  // merged output axes
    std::size_t elem = 4, rows = 0, grain = 1;

    void run(const run_context& ctx) const override {
        const auto* x = static_cast<const std::uint8_t*>(ctx.data(reads[0]));
        auto* y = static_cast<std::uint8_t*>(ctx.out(writes[0]));
        switch (elem) {
            case 1: copy<std::uint8_t>(ctx, x, y); break;
            case 2: copy<std::uint16_t>(ctx, x, y); break;
            case 8: copy<std::uint64_t>(ctx, x, y); break;
            default: copy<std::uint32_t>(ctx, x, y); break;
        }
    }

private:
    template <class T>
    void copy(const run_context& ctx, const std::uint8_t* xb, std::uint8_t* yb) const {
        const std::size_t r = dims.size(), len = dims[r - 1], step_in = in_strides[r - 1];
        // the input offset of index `i` over the first `axes` output axes (an odometer)
        const auto offset_of = [&](std::size_t i, std::size_t axes) {
            std::size_t off = 0;
            for (std::size_t a = axes; a-- > 0;) {
                off += i % dims[a] * in_strides[a];
                i /= dims[a];
            }
            return off;
        };
        if (r >= 2 && step_in != 1 && in_strides[r - 2] == 1) {
            // a transpose of the last two axes, copied a block of them at a time, each block's lines
            // read or written whole while they are in L1. Short output rows read across the input
            // (DepthToSpace's block axis last, a few channels last: len < 16): blocks of up to 256
            // positions of the tile's rows by all `len` columns, each column read along the input's
            // contiguous axis. Longer ones (NCHW <-> NHWC of many channels; a row at a time read one
            // element from each of `len` lines, pages apart): blocks of 32 x 32, where the side read
            // (or written) across keeps its 32 lines in L1 for the whole block: with a stride of a
            // multiple of 2 KiB they all fall in one or two of L1's sets and evict each other
            // (CenterNet's 128 x 128 planes: 64 KiB apart), so that side is the other one when the
            // input's is such a stride and the output's is not.
            const bool short_rows = len < 16;
            const auto aliases = [](std::size_t bytes) { return bytes % 2048 == 0; };
            const bool write_across = short_rows || (aliases(step_in * sizeof(T)) && !aliases(len * sizeof(T)));
            const std::size_t bh = short_rows ? 256 : 32, bw = short_rows ? len : 32;
            const std::size_t h = dims[r - 2], tiles = rows / h, bi = (h + bh - 1) / bh, bj = (len + bw - 1) / bw;
            const std::size_t items = tiles * bi * bj, item_grain = chunk_elements / (bh * bw) + 1;
            ctx.pool->parallel_for(0, items, item_grain, [&](std::size_t b, std::size_t e, std::size_t) {
                for (std::size_t item = b; item < e; ++item) {
                    const std::size_t tile = item / (bi * bj), i0 = item / bj % bi * bh, j0 = item % bj * bw;
                    const std::size_t i1 = std::min(h, i0 + bh), j1 = std::min(len, j0 + bw);
                    const T* src = reinterpret_cast<const T*>(xb) + offset_of(tile, r - 2);
                    T* dst = reinterpret_cast<T*>(yb) + tile * h * len;
                    if (write_across) {
                        for (std::size_t j = j0; j < j1; ++j) {
                            const T* sj = src + j * step_in;
                            for (std::size_t i = i0; i < i1; ++i) dst[i * len + j] = sj[i];
                        }
                    } else {
                        for (std::size_t i = i0; i < i1; ++i) {
                            T* di = dst + i * len;
                            for (std::size_t j = j0; j < j1; ++j) di[j] = src[i + j * step_in];
                        }
                    }
                }
            });
            return;
        }
        ctx.pool->parallel_for(0, rows, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t row = b; row < e; ++row) {
                const T* src = reinterpret_cast<const T*>(xb) + offset_of(row, r - 1);
                T* dst = reinterpret_cast<T*>(yb) + row * len;
                if (step_in == 1) {
                    std::memcpy(dst, src, len * sizeof(T));
                } else {
                    for (std::size_t i = 0; i < len; ++i) dst[i] = src[i * step_in];
                }
            }
        });
    }
};

/// The strided copy that permutes the axes of a row-major tensor of shape `in` (elements of `elem`
/// bytes): output axis i is input axis perm[i]. Size-1 axes are dropped, neighbours merged; the
/// caller sets the step's name, ops, kernel, reads and writes. requires: perm is a permutation of
/// in's axes, numel(in) > 0.
inline std::unique_ptr<transpose_step> permute_step(const shape& in, const std::vector<std::size_t>& perm, std::size_t elem) {
    const std::size_t rank = in.size();
    std::vector<std::size_t> stride(rank, 1);
    for (std::size_t a = rank - 1; a-- > 0;) stride[a] = stride[a + 1] * static_cast<std::size_t>(in[a + 1]);
    // output axes (dim, input stride), size-1 axes dropped, neighbours merged
    std::vector<std::size_t> dims, strides;
    for (std::size_t i = 0; i < rank; ++i) {
        const auto d = static_cast<std::size_t>(in[perm[i]]);
        if (d == 1) continue;
        const std::size_t s = stride[perm[i]];
        if (!dims.empty() && strides.back() == s * d) {
            dims.back() *= d;
            strides.back() = s;
        } else {
            dims.push_back(d);
            strides.push_back(s);
        }
    }
    if (dims.empty()) dims = {1}, strides = {1};
    auto s = std::make_unique<transpose_step>();
    s->elem = elem;
    s->dims = std::move(dims);
    s->in_strides = std::move(strides);
    s->rows = numel(in) / s->dims.back();
    // a row costs its elements and its source offset (a division per axis) and copy call, about as
    // much as 48 streamed elements: PaddleOCR rec's attention Transposes ([1,40,3,8,15] -> [3,1,8,40,15],
    // 960 rows of 15) ran on one worker, 13 us at two threads (half of its input in the other core's
    // cache) for 8 at one
    s->grain = chunk_rows(s->dims.back() + 48);
    return s;
}

/// The family (see the file comment).
struct transpose {
    static constexpr std::string_view name = "transpose";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!nd.is<ops::transpose>()) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const tensor* perm_t = b.constant_input(id, 1);
        const std::size_t elem = size_of(xs.type);
        if (!perm_t || xs.type != ys.type || xs.dims.empty() || numel(xs.dims) == 0 ||
            (elem != 1 && elem != 2 && elem != 4 && elem != 8))
            return nullptr;
        const auto perm = ops::transpose::resolve(perm_t->to_vector<std::int64_t>(), xs.dims.size());
        auto s = permute_step(xs.dims, perm, elem);
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = "transpose";
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_TRANSPOSE_HPP
