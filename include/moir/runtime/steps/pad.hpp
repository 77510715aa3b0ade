#ifndef MOIR_RUNTIME_STEPS_PAD_HPP
#define MOIR_RUNTIME_STEPS_PAD_HPP

// The pad step family: Pad in constant mode with constant, non-negative pads and a constant (or
// absent: zero) pad value, of any element type: the output is filled with the pad value, then the
// input is copied in as a fixed list of byte blocks computed when the plan is compiled (one block per
// index of the axes up to the last padded one; the axes after it are contiguous in both tensors).
// TFLite models pad channels this way (BlazeFace's residual blocks). Other Pads stay with the
// reference family.

#include <moir/ops/constant.hpp>
#include <moir/ops/pad.hpp>
#include <moir/runtime/steps/step.hpp>

#include <cstddef>  // size_t, byte
#include <cstring>  // memcpy
#include <memory>   // unique_ptr, make_unique
#include <string>   // string
#include <vector>   // vector

namespace moir::runtime::steps {

/// Fills the output with one element's bytes, then copies the input's blocks into place.
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
        // each worker fills, then copies into, its own range of blocks: the output bytes from its
        // first block's place (0 for the first) to the next worker's first block's place (the end
        // for the last), so no byte is filled after a block was copied over it
        const std::size_t count = to.size();
        ctx.pool->parallel_for(0, count ? count : 1, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            const std::size_t lo = b == 0 || count == 0 ? 0 : to[b], hi = e >= count ? out_bytes : to[e];
            if (zero) {
                std::memset(y + lo, 0, hi - lo);
            } else {
                for (std::size_t i = lo; i + value.size() <= hi; i += value.size()) std::memcpy(y + i, value.data(), value.size());
            }
            for (std::size_t k = b; k < e && k < count; ++k) std::memcpy(y + to[k], x + k * block, block);
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
        if (!b.table || !n.is<ops::pad>() || n.attrs_as<ops::pad>().pad_mode != ops::pad_mode::constant) return nullptr;
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
        const std::size_t k = last == r ? 0 : last;  // blocks are indexed by axes 0..k
        std::size_t inner = 1;
        for (std::size_t d = k + 1; d < r; ++d) inner *= static_cast<std::size_t>(xs.dims[d]);
        if (last == r) inner *= static_cast<std::size_t>(xs.dims[0]);  // nothing padded: one block
        std::size_t count = 1;
        if (last != r)
            for (std::size_t d = 0; d <= k; ++d) count *= static_cast<std::size_t>(xs.dims[d]);
        if (count > max_blocks) return nullptr;
        s->block = inner * es;
        std::vector<std::size_t> idx(k + 1, 0);
        for (std::size_t c = 0; c < count; ++c) {
            std::size_t off = 0;
            if (last != r)
                for (std::size_t d = 0; d <= k; ++d) off += (idx[d] + before[d]) * ostride[d];
            s->to.push_back(off * es);
            for (std::size_t d = k + 1; d-- > 0;) {
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
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_PAD_HPP
