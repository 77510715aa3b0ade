#ifndef MOIR_RUNTIME_STEPS_SLICE_HPP
#define MOIR_RUNTIME_STEPS_SLICE_HPP

// The Slice step family: Slice (ONNX semantics, ops/slice.hpp) whose start, stop, step and axes are
// constants at plan time, any element type of 1, 2, 4 or 8 bytes, as a strided copy from a base
// offset (negative steps walk backwards: signed strides). Axes of size 1 are dropped and axes that
// stay neighbours are merged first, so that a slice of whole rows (PaddleOCR rec's split of its
// attention's q, k, v) copies long contiguous runs. Output rows are split across the workers. The
// step reads every input slot of the node (its constant ones too), as the reference step does.

#include <moir/ops/slice.hpp>
#include <moir/runtime/steps/step.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstdint>  // uint8_t, uint16_t, uint32_t, uint64_t, int64_t
#include <cstring>  // memcpy
#include <memory>   // unique_ptr, make_unique
#include <string>   // string
#include <vector>   // vector

namespace moir::runtime::steps {

/// A strided copy: output element (i_0, ..., i_{r-1}) (row-major over `dims`) reads input element
/// base + sum_a i_a * in_strides[a] (in elements).
class slice_step final : public step {
public:
    std::vector<std::size_t> dims;          // merged output axes
    std::vector<std::ptrdiff_t> in_strides;  // their input strides, signed
    std::ptrdiff_t base = 0;
    std::size_t elem = 4, rows = 0, grain = 1;

    void run(const run_context& ctx) const override {
        const void* x = ctx.data(reads[0]);
        void* y = ctx.out(writes[0]);
        switch (elem) {
            case 1: copy<std::uint8_t>(ctx, x, y); break;
            case 2: copy<std::uint16_t>(ctx, x, y); break;
            case 8: copy<std::uint64_t>(ctx, x, y); break;
            default: copy<std::uint32_t>(ctx, x, y); break;
        }
    }

private:
    template <class T>
    void copy(const run_context& ctx, const void* xv, void* yv) const {
        const std::size_t r = dims.size(), len = dims[r - 1];
        const std::ptrdiff_t step_in = in_strides[r - 1];
        const T* x = static_cast<const T*>(xv);
        T* y = static_cast<T*>(yv);
        ctx.pool->parallel_for(0, rows, grain, [&](std::size_t b, std::size_t e, std::size_t) {
            for (std::size_t row = b; row < e; ++row) {
                std::ptrdiff_t off = base;
                std::size_t rest = row;
                for (std::size_t a = r - 1; a-- > 0;) {
                    off += static_cast<std::ptrdiff_t>(rest % dims[a]) * in_strides[a];
                    rest /= dims[a];
                }
                const T* src = x + off;
                T* dst = y + row * len;
                if (step_in == 1) {
                    std::memcpy(dst, src, len * sizeof(T));
                } else {
                    for (std::size_t i = 0; i < len; ++i) dst[i] = src[static_cast<std::ptrdiff_t>(i) * step_in];
                }
            }
        });
    }
};

/// The family (see the file comment).
struct slice {
    static constexpr std::string_view name = "slice";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!nd.is<ops::slice>() || nd.inputs.size() < 4) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const std::size_t elem = size_of(xs.type);
        if (xs.type != ys.type || xs.dims.empty() || numel(ys.dims) == 0 ||
            (elem != 1 && elem != 2 && elem != 4 && elem != 8))
            return nullptr;
        std::vector<std::vector<std::int64_t>> v;  // start, stop, step (, axes)
        for (std::size_t i = 1; i < nd.inputs.size(); ++i) {
            const tensor* t = b.constant_input(id, i);
            if (!t || !is_integer(t->type())) return nullptr;
            v.push_back(t->to_vector<std::int64_t>());
        }
        std::vector<std::int64_t> axes = v.size() > 3 ? v[3] : std::vector<std::int64_t>();
        if (v.size() <= 3)
            for (std::size_t k = 0; k < v[0].size(); ++k) axes.push_back(static_cast<std::int64_t>(k));
        if (v[1].size() != v[0].size() || v[2].size() != v[0].size() || axes.size() != v[0].size()) return nullptr;
        for (std::int64_t st : v[2])
            if (st == 0) return nullptr;
        const auto walks = ops::slice::walks(xs.dims, v[0], v[1], v[2], axes);
        const std::size_t rank = xs.dims.size();
        if (walks.size() != rank || ys.dims.size() != rank) return nullptr;
        std::vector<std::ptrdiff_t> stride(rank, 1);
        for (std::size_t a = rank - 1; a-- > 0;) stride[a] = stride[a + 1] * static_cast<std::ptrdiff_t>(xs.dims[a + 1]);
        std::ptrdiff_t base = 0;
        std::vector<std::size_t> dims;
        std::vector<std::ptrdiff_t> strides;
        for (std::size_t a = 0; a < rank; ++a) {
            if (walks[a].count != ys.dims[a]) return nullptr;  // disagrees with the planned shape
            base += static_cast<std::ptrdiff_t>(walks[a].start) * stride[a];
            const auto d = static_cast<std::size_t>(walks[a].count);
            if (d == 1) continue;
            const std::ptrdiff_t s = static_cast<std::ptrdiff_t>(walks[a].step) * stride[a];
            if (!dims.empty() && strides.back() == s * static_cast<std::ptrdiff_t>(d)) {
                dims.back() *= d;
                strides.back() = s;
            } else {
                dims.push_back(d);
                strides.push_back(s);
            }
        }
        if (dims.empty()) dims = {1}, strides = {1};
        auto s = std::make_unique<slice_step>();
        s->elem = elem;
        s->base = base;
        s->dims = std::move(dims);
        s->in_strides = std::move(strides);
        s->rows = numel(ys.dims) / s->dims.back();
        s->grain = chunk_rows(s->dims.back());
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = "slice";
        for (std::size_t i = 0; i < nd.inputs.size(); ++i) s->reads.push_back(b.input_slot(id, i));
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_SLICE_HPP
