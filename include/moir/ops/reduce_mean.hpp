#ifndef MOIR_OPS_REDUCE_MEAN_HPP
#define MOIR_OPS_REDUCE_MEAN_HPP

#include <moir/ops/detail/reduce.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v

namespace moir::ops {

/// reduce_mean: the arithmetic mean over the axes given by the 2nd input (a constant; negative axes
/// count from the end; an empty axes tensor reduces nothing). keep_dims keeps the reduced axes as
/// 1s. Integers: the sum divided with truncation. Of no elements: NaN (integers: 0).
/// requires: numeric (non-boolean) data; axes in [-rank, rank).
/// ensures: output type == input type; output shape as detail::reduction says.
struct reduce_mean : detail::reduction {
    static constexpr std::string_view name = "reduce_mean", ir_name = "ReduceMean", ir_opset = "opset1";
    template <class A>
    static A init() { return A(0); }
    template <class A>
    static A combine(A acc, A x) { return acc + x; }
    template <class A>
    static A finish(A acc, std::size_t count) {
        if constexpr (std::is_floating_point_v<A>) return acc / static_cast<A>(count);  // 0/0: NaN
        else return count ? static_cast<A>(acc / static_cast<A>(count)) : acc;
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_REDUCE_MEAN_HPP
