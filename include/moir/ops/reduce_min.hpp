#ifndef MOIR_OPS_REDUCE_MIN_HPP
#define MOIR_OPS_REDUCE_MIN_HPP

#include <moir/ops/detail/reduce.hpp>

#include <cstddef>      // size_t
#include <limits>       // numeric_limits
#include <string_view>  // string_view

namespace moir::ops {

/// reduce_min: the minimum over the axes given by the 2nd input (a constant; negative axes count from
/// the end; an empty axes tensor reduces nothing). keep_dims keeps the reduced axes as 1s. NaNs
/// propagate; over no elements the result is +inf for floating types.
/// requires: numeric (non-boolean) data; axes in [-rank, rank).
/// ensures: output type == input type; output shape as detail::reduction says.
struct reduce_min : detail::reduction {
    static constexpr std::string_view name = "reduce_min", ir_name = "ReduceMin", ir_opset = "opset1";
    template <class A>
    static A init() {
        if constexpr (std::numeric_limits<A>::has_infinity) return std::numeric_limits<A>::infinity();
        else return std::numeric_limits<A>::max();
    }
    template <class A>
    static A combine(A acc, A x) { return x < acc || detail::is_nan(x) ? x : acc; }
    template <class A>
    static A finish(A acc, std::size_t) { return acc; }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_REDUCE_MIN_HPP
