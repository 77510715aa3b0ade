#ifndef MOIR_RUNTIME_STEPS_CONCAT_HPP
#define MOIR_RUNTIME_STEPS_CONCAT_HPP

// The concat step family: Concat of any element type as a list of byte copies computed once when
// the plan is compiled (for each run of the axes before `axis`, each input's block goes to its place
// in the output), with large copies cut into pieces so the workers share them. A Relu that alone
// reads an f32 Concat's output runs in the copies (tfjs CenterNet's head: Concat of three branches,
// then Relu): ops::relu's own formula, so the same bits as the two steps.

#include <moir/ops/concat.hpp>
#include <moir/ops/relu.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // min
#include <cstddef>    // size_t
#include <cstring>    // memcpy
#include <memory>     // unique_ptr, make_unique
#include <string>     // string
#include <vector>     // vector

namespace moir::runtime::steps {

/// Copies `bytes` from byte `from` of input `input` (an index into `reads`) to byte `to` of the output.
struct copy_piece {
    std::size_t input, from, to, bytes;
};

/// Runs a fixed list of copies into one output (with `relu`, f32 values through ops::relu).
class concat_step final : public step {
public:
    std::vector<copy_piece> pieces;
    bool relu = false;
    void run(const run_context& ctx) const override {
        auto* y = static_cast<std::byte*>(ctx.out(writes[0]));
        ctx.pool->parallel_for(0, pieces.size(), 1, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t i = b; i < e; ++i) {
                const copy_piece& p = pieces[i];
                const std::byte* x = static_cast<const std::byte*>(ctx.data(reads[p.input])) + p.from;
                if (!relu) {
                    std::memcpy(y + p.to, x, p.bytes);
                    continue;
                }
                // (pieces are whole floats at float offsets)
                const auto* xf = reinterpret_cast<const float*>(x);
                auto* d = reinterpret_cast<float*>(y + p.to);
                for (std::size_t j = 0; j < p.bytes / sizeof(float); ++j) d[j] = ops::relu::apply(xf[j]);
            }
        });
    }
};

/// The family (see the file comment).
struct concat {
    static constexpr std::string_view name = "concat";
    /// Copies larger than this are cut, so one big input does not sit on one worker.
    static constexpr std::size_t piece_bytes = 64 * 1024;
    /// Above this many blocks (a Concat along a late axis of a large tensor) the table would be
    /// larger than the data; such nodes stay with the reference family.
    static constexpr std::size_t max_pieces = 1 << 16;

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        if (!b.table || !n.is<ops::concat>() || n.inputs.empty()) return nullptr;
        const slot& ys = b.slots[b.output_slot(id)];
        const std::size_t r = ys.dims.size();
        if (r == 0) return nullptr;
        const std::int64_t ax = n.attrs_as<ops::concat>().axis;
        const std::size_t axis = static_cast<std::size_t>(ax < 0 ? ax + static_cast<std::int64_t>(r) : ax);
        if (axis >= r) return nullptr;
        std::size_t outer = 1;
        for (std::size_t d = 0; d < axis; ++d) outer *= static_cast<std::size_t>(ys.dims[d]);
        if (outer * n.inputs.size() > max_pieces) return nullptr;  // many tiny copies: the reference family
        const std::size_t out_block = outer ? ys.bytes / outer : 0;
        auto s = std::make_unique<concat_step>();
        std::vector<std::size_t> block(n.inputs.size()), at(n.inputs.size());  // input k's block, its offset in an output block
        std::size_t sum = 0;
        for (std::size_t k = 0; k < n.inputs.size(); ++k) {
            const slot& xs = b.slots[b.input_slot(id, k)];
            if (xs.type != ys.type || xs.dims.size() != r) return nullptr;
            block[k] = outer ? xs.bytes / outer : 0;
            at[k] = sum;
            sum += block[k];
            s->reads.push_back(b.input_slot(id, k));
        }
        if (sum != out_block) return nullptr;
        // in the output's order (output blocks outermost), so that a worker's pieces are one range of
        // the output and of each input's blocks: the rows a row-split step before or after it has on
        // the same worker (Kaldi's TDNN splices: Concat along the features of [frames, dim] tensors)
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t k = 0; k < n.inputs.size(); ++k)
                for (std::size_t off = 0; off < block[k]; off += piece_bytes)
                    s->pieces.push_back({k, o * block[k] + off, o * out_block + at[k] + off, std::min(piece_bytes, block[k] - off)});
        s->name = n.name;
        s->ops = std::string(n.op->ir_name);
        s->kernel = "concat";
        s->writes = {b.output_slot(id)};
        const node_id relu = b.single_consumer<ops::relu>(output_ref{id, 0});
        if (ys.type == element_type::f32 && relu != plan_builder::npos && b.slots[b.output_slot(relu)].dims == ys.dims) {
            b.claim(relu);
            s->relu = true;
            s->ops += "+" + std::string(b.at(relu).op->ir_name);
            s->kernel = "concat+relu";
            s->writes = {b.output_slot(relu)};
        }
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_CONCAT_HPP
