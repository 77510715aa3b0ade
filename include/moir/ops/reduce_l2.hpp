#ifndef MOIR_OPS_REDUCE_L2_HPP
#define MOIR_OPS_REDUCE_L2_HPP

#include <moir/ops/detail/reduce.hpp>

#include <cmath>        // sqrt
#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// reduce_l2: the square root of the sum of squares over the axes given by the 2nd input (a
/// constant; negative axes count from the end; an empty axes tensor reduces nothing). keep_dims
/// keeps the reduced axes as 1s. Integer data gives the root truncated toward zero. IR: ReduceL2 of
/// opset4.
/// requires: numeric (non-boolean) data; axes in [-rank, rank).
/// ensures: output type == input type; output shape as detail::reduction says.
struct reduce_l2 : detail::reduction {
    static constexpr std::string_view name = "reduce_l2", ir_name = "ReduceL2", ir_opset = "opset4";
    template <class A>
    static A init() { return A(0); }
    template <class A>
    static A combine(A acc, A x) { return acc + x * x; }
    template <class A>
    static A finish(A acc, std::size_t) { return static_cast<A>(std::sqrt(static_cast<double>(acc))); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_REDUCE_L2_HPP
