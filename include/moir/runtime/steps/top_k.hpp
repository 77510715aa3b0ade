#ifndef MOIR_RUNTIME_STEPS_TOP_K_HPP
#define MOIR_RUNTIME_STEPS_TOP_K_HPP

// The TopK step family: TopK on f32, i32 or i64 data along any axis, largest or smallest, sorted by
// value or by index, i32 or i64 indices, by partial selection (kernels/simd/top_k.hpp) on the arena:
// the lines (every position of the axes around `axis`) are split across the workers, each with a
// buffer reserved when the plan is compiled, so a run allocates nothing; a long line, when there are
// fewer lines than workers (a detector's flattened heatmap), is cut into one segment per worker and
// the segments' k best merged. Values and indices equal
// the reference kernel's bit for bit (the same order, ties to the lower index, NaN largest).

#include <moir/kernels/simd/top_k.hpp>
#include <moir/ops/top_k.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max, min
#include <cstdint>  // int32_t, int64_t
#include <memory>   // unique_ptr, make_unique
#include <string>   // string
#include <utility>  // pair
#include <vector>   // vector

namespace moir::runtime::steps {

/// TopK of `outer * inner` lines of n elements (stride `inner`), k kept per line.
template <class T>
class top_k_step final : public step {
public:
    using entry = std::pair<kernels::simd::top_k_key_t<T>, std::size_t>;
    std::size_t outer = 1, inner = 1, n = 0, k = 0;
    ops::top_k_mode mode = ops::top_k_mode::max;
    ops::top_k_sort sort = ops::top_k_sort::value;
    bool i32_indices = false;
    mutable std::vector<std::vector<entry>> buffers;  // one per worker (a plan runs one run() at a time)

    /// A line at least this long, when there are fewer lines than workers, is cut into one segment
    /// per worker: each keeps its segment's k best, then worker 0's buffer merges them. About 0.6 ns
    /// an element on this host (centernet's 1.3 M-element heatmap: 0.8 ms), so 64 Ki elements are
    /// some 40 us of work, well above the 1 to 20 us a parallel_for costs (a spinning or a
    /// sleeping worker).
    static constexpr std::size_t split_line_min = std::size_t{1} << 16;

    void run(const run_context& ctx) const override {
        const T* x = static_cast<const T*>(ctx.data(reads[0]));
        T* y = static_cast<T*>(ctx.out(writes[0]));
        void* yi = writes.size() > 1 ? ctx.out(writes[1]) : nullptr;
        const std::size_t lines = outer * inner;
        const auto store = [&](const std::vector<entry>& buf, std::size_t line) {
            const std::size_t o = line / inner, i = line % inner;
            for (std::size_t j = 0; j < k; ++j) {
                const std::size_t at = (o * k + j) * inner + i;
                y[at] = convert_value<T>(buf[j].first);
                if (!yi) continue;
                if (i32_indices) static_cast<std::int32_t*>(yi)[at] = static_cast<std::int32_t>(buf[j].second);
                else static_cast<std::int64_t*>(yi)[at] = static_cast<std::int64_t>(buf[j].second);
            }
        };
        const std::size_t parts = std::min(ctx.pool->size(), buffers.size());
        if (parts > 1 && lines < parts && n >= split_line_min && k > 0) {
            // the k best of the whole line are among the k best of its segments (the order is total:
            // ties go to the lower index), so the merge selects exactly the reference's k
            for (std::size_t line = 0; line < lines; ++line) {
                const std::size_t o = line / inner, i = line % inner;
                const T* xl = x + o * n * inner + i;
                ctx.pool->parallel_for(0, parts, 1, [&](std::size_t b, std::size_t e, std::size_t) {
                    for (std::size_t p = b; p < e; ++p) {
                        const std::size_t s0 = n * p / parts, s1 = n * (p + 1) / parts;
                        std::vector<entry>& buf = buffers[p];
                        kernels::simd::top_k_line(xl + s0 * inner, s1 - s0, inner, std::min(k, s1 - s0), mode,
                                                  ops::top_k_sort::value, buf);
                        for (entry& en : buf) en.second += s0;
                    }
                });
                std::vector<entry>& all = buffers[0];
                for (std::size_t p = 1; p < parts; ++p) all.insert(all.end(), buffers[p].begin(), buffers[p].end());
                kernels::simd::top_k_finish(all, k, mode, sort);
                store(all, line);
            }
            return;
        }
        const std::size_t grain = lines > 1 ? std::max<std::size_t>(1, chunk_elements / (n ? n : 1)) : 1;
        ctx.pool->parallel_for(0, lines, grain, [&](std::size_t b, std::size_t e, std::size_t w) {
            std::vector<entry>& buf = buffers[w];
            for (std::size_t line = b; line < e; ++line) {
                kernels::simd::top_k_line(x + line / inner * n * inner + line % inner, n, inner, k, mode, sort, buf);
                store(buf, line);
            }
        });
    }
};

/// The family (see the file comment).
struct top_k {
    static constexpr std::string_view name = "top_k";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || !nd.is<ops::top_k>() || nd.outputs.size() != 2) return nullptr;
        const auto& a = nd.attrs_as<ops::top_k>();
        const slot& x = b.slots[b.input_slot(id, 0)];
        const slot& y = b.slots[b.output_slot(id, 0)];
        const slot& yi = b.slots[b.output_slot(id, 1)];
        if (y.type != x.type || (yi.type != element_type::i32 && yi.type != element_type::i64)) return nullptr;
        if (x.dims.empty() || y.dims.size() != x.dims.size()) return nullptr;
        std::unique_ptr<step> s;
        switch (x.type) {
            case element_type::f32: s = make_typed<float>(b, a, x.dims, y.dims, yi.type); break;
            case element_type::i32: s = make_typed<std::int32_t>(b, a, x.dims, y.dims, yi.type); break;
            case element_type::i64: s = make_typed<std::int64_t>(b, a, x.dims, y.dims, yi.type); break;
            default: break;
        }
        if (!s) return nullptr;
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = "top_k";
        for (std::size_t i = 0; i < nd.inputs.size(); ++i) s->reads.push_back(b.input_slot(id, i));
        s->writes = {b.output_slot(id, 0), b.output_slot(id, 1)};
        return s;
    }

private:
    template <class T>
    static std::unique_ptr<step> make_typed(const plan_builder& b, const ops::top_k::attrs& a, const shape& xs,
                                            const shape& ys, element_type index_type) {
        const std::size_t axis = normalize_axis(a.axis, xs.size());
        auto s = std::make_unique<top_k_step<T>>();
        s->n = static_cast<std::size_t>(xs[axis]);
        s->k = static_cast<std::size_t>(ys[axis]);
        if (s->k > s->n) return nullptr;
        for (std::size_t d = 0; d < axis; ++d) s->outer *= static_cast<std::size_t>(xs[d]);
        for (std::size_t d = axis + 1; d < xs.size(); ++d) s->inner *= static_cast<std::size_t>(xs[d]);
        s->mode = a.mode;
        s->sort = a.sort;
        s->i32_indices = index_type == element_type::i32;
        s->buffers.resize(b.threads ? b.threads : 1);
        for (auto& buf : s->buffers) buf.reserve(kernels::simd::top_k_buffer(s->n, s->k));
        // worker 0's buffer also merges the segments of a split line (run())
        s->buffers[0].reserve(std::max(kernels::simd::top_k_buffer(s->n, s->k), s->buffers.size() * s->k));
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_TOP_K_HPP
