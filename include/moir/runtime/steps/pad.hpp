#ifndef MOIR_RUNTIME_STEPS_PAD_HPP
#define MOIR_RUNTIME_STEPS_PAD_HPP

// The pad step family: Pad in constant mode with constant, non-negative pads and a constant (or
// absent: zero) pad value, of any element type: the input is copied in as a fixed list of byte
// blocks computed when the plan is compiled (one block per index of the axes before the last padded
// one: the input's extent along that axis and the axes after it are contiguous in both tensors; an
// NCHW Pad of H and W copies one input row per block), and the bytes between blocks get the value.
// TFLite models pad channels this way (BlazeFace's residual blocks).
// Pads in modes edge, reflect and symmetric (constant pads of either sign), of any element type, as
// per-axis tables of the input coordinate each output coordinate reads (the reference kernel's own
// reference_kernel<ops::pad>::source): each output row (every axis but the last) copies the
// middle of one input row in one run and maps the cells at its two ends one by one; rows are split
// across the workers. Other Pads stay with the reference family.

#include <moir/kernels/reference/data_movement.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/pad.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max
#include <cstddef>  // size_t, byte
#include <cstdint>  // int64_t, uint32_t
#include <cstring>  // memcpy
#include <memory>   // unique_ptr, make_unique
#include <string>   // string
#include <vector>   // vector

namespace moir::runtime::steps {

/// Copies the input's blocks into place and fills the bytes between them with the pad value.
class pad_step final : public step {
public:
    std::vector<std::byte> value;  ///< the pad value's bytes (one element of the output type)
    bool zero = true;              ///< the pad value is all zero bits
    std::size_t out_bytes = 0, block = 0;
    std::vector<std::size_t> to;  ///< block k of the input goes to byte to[k] of the output (ascending)
    std::size_t grain = 1;         ///< blocks per chunk at least: about chunk_elements * 4 output bytes

    void run(const run_context& ctx) const override {
        auto* y = static_cast<std::byte*>(ctx.out(writes[0]));
        const auto* x = static_cast<const std::byte*>(ctx.data(reads[0]));
        // each worker fills the gaps of, and copies blocks into, its own range of the output: from its
        // first block's place (0 for the first) to the next worker's first block's place (the end for
        // the last); every byte is written once
        const std::size_t count = to.size();
        ctx.pool->parallel_for(0, count ? count : 1, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            std::size_t at = b == 0 || count == 0 ? 0 : to[b];
            const std::size_t hi = e >= count ? out_bytes : to[e];
            for (std::size_t k = b; k < e && k < count; ++k) {
                fill(y + at, to[k] - at);
                std::memcpy(y + to[k], x + k * block, block);
                at = to[k] + block;
            }
            fill(y + at, hi - at);
        });
    }

private:
    /// Writes the pad value over `bytes` bytes at p (a whole number of elements).
    void fill(std::byte* p, std::size_t bytes) const {
        if (bytes == 0) return;
        if (zero) {
            std::memset(p, 0, bytes);
        } else if (value.size() == 4) {  // a float or 32-bit integer value: a loop the compiler vectorizes
            std::uint32_t v;
            std::memcpy(&v, value.data(), 4);
            for (std::size_t i = 0; i + 4 <= bytes; i += 4) std::memcpy(p + i, &v, 4);
        } else {
            for (std::size_t i = 0; i + value.size() <= bytes; i += value.size()) std::memcpy(p + i, value.data(), value.size());
        }
    }
};

/// A Pad that copies from the input (edge, reflect, symmetric): output row r (row-major over the
/// axes but the last) reads input row sum_a row_src[a][i_a] (an element offset), columns [mid0,
/// mid1) in one run from input column `first` on, the others from col_src.
class mapped_pad_step final : public step {
public:
    std::size_t elem = 4, rows = 0, width = 0;
    std::vector<std::size_t> row_dims;                   // the output's axes but the last
    std::vector<std::vector<std::size_t>> row_src;       // per such axis and output coordinate
    std::vector<std::size_t> col_src;                    // per output column: its input column
    std::size_t mid0 = 0, mid1 = 0, grain = 1;
    std::size_t first = 0;                               // the input column of output column mid0

    void run(const run_context& ctx) const override {
        const auto* x = static_cast<const std::byte*>(ctx.data(reads[0]));
        auto* y = static_cast<std::byte*>(ctx.out(writes[0]));
        const std::size_t r = row_dims.size();
        ctx.pool->parallel_for(0, rows, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t row = b; row < e; ++row) {
                std::size_t off = 0, rest = row;
                for (std::size_t a = r; a-- > 0;) {
                    off += row_src[a][rest % row_dims[a]];
                    rest /= row_dims[a];
                }
                const std::byte* src = x + off * elem;
                std::byte* dst = y + row * width * elem;
                if (mid1 > mid0) std::memcpy(dst + mid0 * elem, src + first * elem, (mid1 - mid0) * elem);
                for (std::size_t c = 0; c < mid0; ++c) std::memcpy(dst + c * elem, src + col_src[c] * elem, elem);
                for (std::size_t c = mid1; c < width; ++c) std::memcpy(dst + c * elem, src + col_src[c] * elem, elem);
            }
        });
    }
};

/// The family (see the file comment).
struct pad {
    static constexpr std::string_view name = "pad";
    /// Above this many blocks the table would be larger than the data: the reference family.
    static constexpr std::size_t max_blocks = 1 << 18;

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        if (!b.table || !n.is<ops::pad>()) return nullptr;
        if (n.attrs_as<ops::pad>().pad_mode != ops::pad_mode::constant) return mapped(b, id);
        const tensor* pb = b.constant_input(id, 1);
        const tensor* pe = b.constant_input(id, 2);
        if (!pb || !pe) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const std::size_t r = xs.dims.size();
        if (xs.type != ys.type || ys.dims.size() != r || pb->numel() != r || pe->numel() != r || r == 0) return nullptr;
        std::vector<std::size_t> before(r);
        std::size_t last = r;  // the last padded axis
        for (std::size_t d = 0; d < r; ++d) {
            const auto a = pb->at_as<std::int64_t>(d), e = pe->at_as<std::int64_t>(d);
            if (a < 0 || e < 0 || ys.dims[d] != xs.dims[d] + a + e) return nullptr;
            before[d] = static_cast<std::size_t>(a);
            if (a || e) last = d;
        }
        const std::size_t es = size_of(xs.type);
        auto s = std::make_unique<pad_step>();
        s->value.assign(es, std::byte{0});
        if (n.inputs.size() > 3) {
            const tensor* v = b.constant_input(id, 3);
            if (!v || v->numel() != 1) return nullptr;
            const tensor c = v->converted(ys.type);
            std::memcpy(s->value.data(), c.raw(), es);
            for (auto byte : s->value) s->zero = s->zero && byte == std::byte{0};
        }
        // out strides (elements)
        std::vector<std::size_t> ostride(r, 1);
        for (std::size_t d = r; d-- > 1;) ostride[d - 1] = ostride[d] * static_cast<std::size_t>(ys.dims[d]);
        // blocks are indexed by the axes before the last padded one, k; a block is the input's whole
        // extent along k and the axes after it, contiguous in both tensors (nothing padded: one block)
        const std::size_t k = last == r ? 0 : last;
        std::size_t inner = 1;
        for (std::size_t d = k; d < r; ++d) inner *= static_cast<std::size_t>(xs.dims[d]);
        std::size_t count = 1;
        for (std::size_t d = 0; d < k; ++d) count *= static_cast<std::size_t>(xs.dims[d]);
        if (count > max_blocks) return nullptr;
        s->block = inner * es;
        std::vector<std::size_t> idx(k, 0);
        for (std::size_t c = 0; c < count; ++c) {
            std::size_t off = before[k] * ostride[k];
            for (std::size_t d = 0; d < k; ++d) off += (idx[d] + before[d]) * ostride[d];
            s->to.push_back(off * es);
            for (std::size_t d = k; d-- > 0;) {
                if (++idx[d] < static_cast<std::size_t>(xs.dims[d])) break;
                idx[d] = 0;
            }
        }
        s->out_bytes = ys.bytes;
        // chunks of about 64 KiB of output (chunk_elements floats, as the element-wise steps): a Pad
        // of less than 128 KiB stays on one thread
        s->grain = std::max<std::size_t>(1, chunk_elements * 4 / std::max<std::size_t>(1, ys.bytes / std::max<std::size_t>(1, count)));
        s->name = n.name;
        s->ops = std::string(n.op->ir_name);
        s->kernel = "pad";
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.output_slot(id)};
        return s;
    }

    /// The mapped_pad_step of a Pad in mode edge, reflect or symmetric with constant pads, or nullptr.
    static std::unique_ptr<step> mapped(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        const tensor* pb = b.constant_input(id, 1);
        const tensor* pe = b.constant_input(id, 2);
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const std::size_t r = xs.dims.size();
        if (!pb || !pe || xs.type != ys.type || ys.dims.size() != r || pb->numel() != r || pe->numel() != r || r == 0 ||
            numel(ys.dims) == 0 || numel(xs.dims) == 0)
            return nullptr;
        const ops::pad_mode mode = n.attrs_as<ops::pad>().pad_mode;
        std::vector<std::int64_t> begin(r);
        for (std::size_t d = 0; d < r; ++d) {
            begin[d] = pb->at_as<std::int64_t>(d);
            if (ys.dims[d] != xs.dims[d] + begin[d] + pe->at_as<std::int64_t>(d)) return nullptr;
        }
        // the input coordinate of every output coordinate, per axis (never -1: these modes copy)
        auto sources = [&](std::size_t d) {
            std::vector<std::size_t> v(static_cast<std::size_t>(ys.dims[d]));
            for (std::size_t o = 0; o < v.size(); ++o) {
                const std::int64_t c = kernels::reference_kernel<ops::pad>::source(mode, static_cast<std::int64_t>(o),
                                                                                   begin[d], xs.dims[d]);
                if (c < 0 || c >= xs.dims[d]) return std::vector<std::size_t>();
                v[o] = static_cast<std::size_t>(c);
            }
            return v;
        };
        auto s = std::make_unique<mapped_pad_step>();
        s->elem = size_of(xs.type);
        s->width = static_cast<std::size_t>(ys.dims[r - 1]);
        s->col_src = sources(r - 1);
        if (s->col_src.empty()) return nullptr;
        std::size_t stride = static_cast<std::size_t>(xs.dims[r - 1]);  // input elements per coordinate of axis d
        s->row_src.resize(r - 1);
        for (std::size_t d = r - 1; d-- > 0;) {
            auto v = sources(d);
            if (v.empty()) return nullptr;
            for (auto& c : v) c *= stride;
            s->row_src[d] = std::move(v);
            s->row_dims.insert(s->row_dims.begin(), static_cast<std::size_t>(ys.dims[d]));
            stride *= static_cast<std::size_t>(xs.dims[d]);
        }
        s->rows = numel(ys.dims) / s->width;
        // the middle run: output columns whose input columns follow one another from the first
        // unpadded one (begin < 0 crops: the run starts at column 0)
        const std::int64_t b0 = begin[r - 1];
        s->mid0 = static_cast<std::size_t>(std::max<std::int64_t>(0, b0));
        s->mid1 = s->mid0;
        if (s->mid0 < s->width) {
            s->first = s->col_src[s->mid0];
            while (s->mid1 < s->width && s->col_src[s->mid1] == s->first + (s->mid1 - s->mid0)) ++s->mid1;
        }
        s->grain = chunk_rows(s->width * s->elem / 4);
        s->name = n.name;
        s->ops = std::string(n.op->ir_name);
        s->kernel = "pad." + std::string(ops::ir_enum_names(mode)[static_cast<std::size_t>(mode)]);
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_PAD_HPP
