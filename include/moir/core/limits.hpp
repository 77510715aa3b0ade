#ifndef MOIR_CORE_LIMITS_HPP
#define MOIR_CORE_LIMITS_HPP

// The size limit on one tensor: shapes a model declares (or an --input_shape gives) are checked
// against it before anything is allocated, so a huge or overflowing shape is a clear error naming
// the node and the size instead of std::bad_alloc or a wrapped-around allocation.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/shape.hpp>

#include <cstdint>  // uint64_t
#include <string>   // string, to_string

namespace moir {

/// The default limit on the elements of one tensor: 2^32 (16 GiB of f32).
inline constexpr std::uint64_t default_max_elements = std::uint64_t{1} << 32;

/// The element count of `dims` (negative, i.e. unknown, dims are skipped), or max + 1 when it is
/// larger than `max` (the product never overflows).
inline std::uint64_t capped_element_count(const shape& dims, std::uint64_t max) {
    std::uint64_t n = 1;
    for (const auto d : dims)
        if (d == 0) return 0;
    for (const auto d : dims) {
        if (d < 0) continue;
        const auto ud = static_cast<std::uint64_t>(d);
        if (n > max / ud) return max + 1;
        n *= ud;
    }
    return n;
}

/// ensures: throws moir::shape_error "<where>: shape [..] has more than <max> elements (the limit
/// of one tensor)" when `dims` does.
inline void check_element_count(const shape& dims, std::uint64_t max, const std::string& where) {
    MOIR_CHECK(capped_element_count(dims, max) <= max, shape_error,
               where + ": shape [" + to_string(dims) + "] has more than " + std::to_string(max) +
                   " elements, the limit of one tensor (too large to allocate)");
}

/// Checks every output port of every node of `m` whose shape is known (unknown dims skipped).
/// ensures: throws moir::shape_error naming the first node (and output) whose shape exceeds `max`.
inline void check_tensor_sizes(const model& m, std::uint64_t max = default_max_elements) {
    for (const node& n : m.nodes)
        for (std::size_t k = 0; k < n.outputs.size(); ++k) {
            const partial_shape& s = n.outputs[k].shape;
            if (s.rank_dynamic) continue;
            check_element_count(s.dims, max,
                                "node '" + n.name + "' (" + std::string(n.op->ir_name) + ") output " + std::to_string(k));
        }
}

}  // namespace moir

#endif  // MOIR_CORE_LIMITS_HPP
