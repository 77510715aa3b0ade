#ifndef MOIR_RUNTIME_MEMORY_PLANNER_HPP
#define MOIR_RUNTIME_MEMORY_PLANNER_HPP

// The activation memory planner of a compiled plan: every intermediate tensor is a buffer with a
// size and a live range [first step, last step]; the planner gives each an offset in one arena so
// that two buffers whose live ranges overlap never share bytes, and the arena stays small.
//
// Algorithm: greedy by size with best fit (the "greedy by size" offset planner of TFLite and
// ncnn): buffers are placed largest first; each takes the smallest gap, between the buffers already
// placed whose live ranges meet its own, that holds it, or goes above the highest of them.

#include <algorithm>  // sort, max
#include <cstddef>    // size_t
#include <numeric>    // iota
#include <vector>     // vector

namespace moir::runtime {

/// One buffer to place. Live from the step that writes it (first) to the last step that reads it
/// (last), both inclusive. requires: first <= last.
struct buffer_request {
    std::size_t bytes = 0;
    std::size_t first = 0, last = 0;
};

/// The planner's answer: offsets[i] for request i, and the arena size.
struct memory_plan {
    std::vector<std::size_t> offsets;
    std::size_t arena_bytes = 0;
};

/// Rounds n up to a multiple of `alignment` (a power of two).
constexpr std::size_t align_up(std::size_t n, std::size_t alignment) { return (n + alignment - 1) & ~(alignment - 1); }

/// Places the buffers. ensures: every offset is a multiple of `alignment`; buffers whose live ranges
/// overlap do not overlap in memory; offsets[i] + bytes[i] <= arena_bytes.
inline memory_plan plan_memory(const std::vector<buffer_request>& req, std::size_t alignment = 64) {
    memory_plan p;
    p.offsets.assign(req.size(), 0);
    std::vector<std::size_t> order(req.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return req[a].bytes > req[b].bytes; });
    struct placed {
        std::size_t offset, end;
    };
    std::vector<std::size_t> done;  // placed requests
    done.reserve(req.size());
    std::vector<placed> live;
    for (std::size_t i : order) {
        const std::size_t size = align_up(req[i].bytes ? req[i].bytes : 1, alignment);
        live.clear();
        for (std::size_t j : done)
            if (req[j].first <= req[i].last && req[i].first <= req[j].last)
                live.push_back({p.offsets[j], p.offsets[j] + align_up(req[j].bytes ? req[j].bytes : 1, alignment)});
        std::sort(live.begin(), live.end(), [](const placed& a, const placed& b) { return a.offset < b.offset; });
        std::size_t best = 0, best_gap = static_cast<std::size_t>(-1), cursor = 0;
        bool found = false;
        for (const auto& l : live) {
            if (l.offset > cursor) {
                const std::size_t gap = l.offset - cursor;
                if (gap >= size && gap < best_gap) best = cursor, best_gap = gap, found = true;
            }
            cursor = std::max(cursor, l.end);
        }
        p.offsets[i] = found ? best : cursor;
        p.arena_bytes = std::max(p.arena_bytes, p.offsets[i] + size);
        done.push_back(i);
    }
    return p;
}

}  // namespace moir::runtime

#endif  // MOIR_RUNTIME_MEMORY_PLANNER_HPP
