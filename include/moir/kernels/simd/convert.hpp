#ifndef MOIR_KERNELS_SIMD_CONVERT_HPP
#define MOIR_KERNELS_SIMD_CONVERT_HPP

// Convert between any two element types on raw buffers, a range of elements at a time (so that a
// plan step can share a tensor between workers and allocate nothing). Each element goes through
// convert_value, the function tensor::converted and so the reference Convert kernel use: the same
// rounding (floats to integers truncate toward zero, half through float), the same saturation (none:
// a static_cast), anything non-zero to true, so the results are the reference's bit for bit. The
// loops are plain and contiguous, which the compiler vectorizes for the common pairs (bool or u8 to
// f32, f32 to i32, i64 to i32).

#include <moir/core/element_type.hpp>

#include <cstddef>  // size_t

namespace moir::kernels::simd {

/// Converts elements [begin, end) of src (of one element type) into dst (of another).
using convert_fn = void (*)(const void* src, void* dst, std::size_t begin, std::size_t end);

/// dst[i] = convert_value<D>(src[i]) for i in [begin, end).
template <class S, class D>
void convert_range(const void* src, void* dst, std::size_t begin, std::size_t end) {
    const S* s = static_cast<const S*>(src);
    D* d = static_cast<D*>(dst);
    for (std::size_t i = begin; i < end; ++i) d[i] = convert_value<D>(s[i]);
}

/// The convert_range for the pair (from, to). requires: neither is undefined (throws moir::error).
template <class = void>
convert_fn convert_function(element_type from, element_type to) {
    return visit_element_type(from, [&](auto from_tag) {
        using S = typename decltype(from_tag)::type;
        return visit_element_type(to, [&](auto to_tag) -> convert_fn {
            using D = typename decltype(to_tag)::type;
            return &convert_range<S, D>;
        });
    });
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_CONVERT_HPP
