#ifndef MOIR_KERNELS_REFERENCE_REARRANGE_HPP
#define MOIR_KERNELS_REFERENCE_REARRANGE_HPP

// Reference kernels of the ops that permute elements by a computed index map: DepthToSpace,
// SpaceToDepth, ReverseSequence. They copy bytes, so they handle every element type.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/data_movement.hpp>
#include <moir/ops/depth_to_space.hpp>
#include <moir/ops/reverse_sequence.hpp>
#include <moir/ops/space_to_depth.hpp>

#include <cstddef>  // byte, size_t
#include <cstdint>  // int64_t
#include <cstring>  // memcpy
#include <string>   // string, to_string
#include <vector>   // vector

namespace moir::kernels {

namespace detail::rearrange {
/// Calls f(space_offset, depth_offset) for every element of the "space" side tensor `space`
/// ([N, C, D1 * bs, ...]) and the element of the "depth" side `depth` ([N, C * bs^k, D1, ...])
/// it corresponds to.
template <class F>
void depth_space_pairs(const shape& space, const shape& depth, ops::depth_space_mode mode, std::int64_t bs, F&& f) {
    const auto dst = signed_strides(depth);
    const std::int64_t be = ops::detail::block_elements(bs, space.size() - 2);
    for_each_index(space, [&](std::size_t o, const std::vector<std::int64_t>& c) {
        std::int64_t offset = 0, at = c[0] * dst[0];
        for (std::size_t i = 2; i < c.size(); ++i) {
            offset = offset * bs + c[i] % bs;
            at += (c[i] / bs) * dst[i];
        }
        at += ops::detail::depth_channel(mode, c[1], offset, space[1], be) * dst[1];
        f(o, static_cast<std::size_t>(at));
    });
}
}  // namespace detail::rearrange

template <>
struct reference_kernel<ops::depth_to_space> {
    static constexpr bool available = true;
    static void run(const ops::depth_to_space::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const std::size_t es = size_of(in[0].type());
        const std::byte* x = detail::bytes_of(in[0]);
        std::byte* y = detail::bytes_of(out[0]);
        detail::rearrange::depth_space_pairs(out[0].dims(), in[0].dims(), a.mode, a.block_size,
                                             [&](std::size_t s, std::size_t d) { std::memcpy(y + s * es, x + d * es, es); });
    }
};

template <>
struct reference_kernel<ops::space_to_depth> {
    static constexpr bool available = true;
    static void run(const ops::space_to_depth::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const std::size_t es = size_of(in[0].type());
        const std::byte* x = detail::bytes_of(in[0]);
        std::byte* y = detail::bytes_of(out[0]);
        detail::rearrange::depth_space_pairs(in[0].dims(), out[0].dims(), a.mode, a.block_size,
                                             [&](std::size_t s, std::size_t d) { std::memcpy(y + d * es, x + s * es, es); });
    }
};

template <>
struct reference_kernel<ops::reverse_sequence> {
    static constexpr bool available = true;
    static void run(const ops::reverse_sequence::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const std::size_t b = normalize_axis(a.batch_axis, s.size()), t = normalize_axis(a.seq_axis, s.size());
        const auto lens = in[1].to_vector<std::int64_t>();
        for (auto l : lens)
            MOIR_CHECK(l >= 0 && l <= s[t], error,
                       "ReverseSequence: a sequence length " + std::to_string(l) + " is outside [0, " +
                           std::to_string(s[t]) + "]");
        const auto st = detail::signed_strides(s);
        const std::size_t es = size_of(in[0].type());
        const std::byte* x = detail::bytes_of(in[0]);
        std::byte* y = detail::bytes_of(out[0]);
        detail::for_each_index(s, [&](std::size_t o, const std::vector<std::int64_t>& c) {
            const std::int64_t len = lens[static_cast<std::size_t>(c[b])];
            std::int64_t at = 0;
            for (std::size_t i = 0; i < c.size(); ++i) at += (i == t && c[i] < len ? len - 1 - c[i] : c[i]) * st[i];
            std::memcpy(y + o * es, x + static_cast<std::size_t>(at) * es, es);
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_REARRANGE_HPP
