#ifndef MOIR_RUNTIME_STEPS_INTERPOLATE_HPP
#define MOIR_RUNTIME_STEPS_INTERPOLATE_HPP

// The interpolate step family: Interpolate in mode nearest (any coordinate transformation, nearest
// mode, pads and axes; any element type) as two index tables computed once when the plan is
// compiled, from the reference kernel's own taps (kernels/reference/interpolate.hpp), so it picks
// exactly the cells the reference picks. An output row (the last axis) either repeats the row before
// it (upsampling along the other axes: one memcpy), or gathers its cells from one input row through
// the column table. Rows are split across the workers. Other modes are left to the reference family.

#include <moir/kernels/reference/interpolate.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/runtime/steps/step.hpp>

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

/// The family (see the file comment).
struct interpolate {
    static constexpr std::string_view name = "interpolate";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        if (!b.table || !n.is<ops::interpolate>()) return nullptr;
        const auto& a = n.attrs_as<ops::interpolate>();
        if (a.mode != ops::interpolate_mode::nearest || a.antialias) return nullptr;
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
