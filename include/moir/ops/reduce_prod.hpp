#ifndef MOIR_OPS_REDUCE_PROD_HPP
#define MOIR_OPS_REDUCE_PROD_HPP

#include <moir/ops/detail/reduce.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// reduce_prod: the product over the axes given by the 2nd input (a constant; negative axes count
/// from the end; an empty axes tensor reduces nothing). keep_dims keeps the reduced axes as 1s.
/// requires: numeric (non-boolean) data; axes in [-rank, rank).
/// ensures: output type == input type; output shape as detail::reduction says.
struct reduce_prod : detail::reduction {
    static constexpr std::string_view name = "reduce_prod", ir_name = "ReduceProd", ir_opset = "opset1";
    template <class A>
    static A init() { return A(1); }
    template <class A>
    static A combine(A acc, A x) { return acc * x; }
    template <class A>
    static A finish(A acc, std::size_t) { return acc; }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_REDUCE_PROD_HPP
