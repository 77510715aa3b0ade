#ifndef MOIR_OPS_REDUCE_L1_HPP
#define MOIR_OPS_REDUCE_L1_HPP

#include <moir/ops/detail/reduce.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view
#include <type_traits>  // is_signed_v

namespace moir::ops {

/// reduce_l1: the sum of absolute values over the axes given by the 2nd input (a constant;
/// negative axes count from the end; an empty axes tensor reduces nothing). keep_dims keeps the
/// reduced axes as 1s. IR: ReduceL1 of opset4.
/// requires: numeric (non-boolean) data; axes in [-rank, rank).
/// ensures: output type == input type; output shape as detail::reduction says.
struct reduce_l1 : detail::reduction {
    static constexpr std::string_view name = "reduce_l1", ir_name = "ReduceL1", ir_opset = "opset4";
    template <class A>
    static A init() { return A(0); }
    template <class A>
    static A combine(A acc, A x) {
        if constexpr (std::is_signed_v<A>) return acc + (x < A(0) ? -x : x);
        else return acc + x;
    }
    template <class A>
    static A finish(A acc, std::size_t) { return acc; }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_REDUCE_L1_HPP
