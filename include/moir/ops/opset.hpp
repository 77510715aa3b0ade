#ifndef MOIR_OPS_OPSET_HPP
#define MOIR_OPS_OPSET_HPP

// The op vocabulary: every op moir knows, as one flat compile-time list. Adding an op is adding its
// header here and one line to the list (plus its reference kernel in kernels/reference/all.hpp).
// Users extend it: `using my_ops = moir::opsets::all::append<my_op>;`.

#include <moir/core/type_list.hpp>
// structural
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
// element-wise
#include <moir/ops/add.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/hsigmoid.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/squared_difference.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/tanh.hpp>
// nn (convolution, pooling, resize, normalization) -- group A
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/batch_norm_inference.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/group_convolution_backprop_data.hpp>
#include <moir/ops/hard_sigmoid.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/max_pool.hpp>
// group A includes end
// tensor, shape, reduction, matmul, softmax -- group B
#include <moir/ops/broadcast.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/range.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reduce_prod.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/split.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/tile.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/ops/unsqueeze.hpp>
#include <moir/ops/variadic_split.hpp>
// group B includes end
// math, logic, activations -- group C
// group C includes end
// indexing, scatter/gather, sorting -- group D
// group D includes end
// normalization, losses, quantization, signal -- group E
// group E includes end
// control flow and recurrent -- group F
// group F includes end

namespace moir::opsets {

/// Every op of moir, in no particular order (the IR reader picks by IR type and opset).
using all = type_list<
    ops::parameter, ops::constant, ops::result, ops::convert,
    ops::add, ops::subtract, ops::multiply, ops::divide, ops::power, ops::maximum, ops::minimum,
    ops::squared_difference, ops::relu, ops::sigmoid, ops::sqrt, ops::exp, ops::tanh, ops::hswish, ops::hsigmoid
    // group A ops
    , ops::convolution
    , ops::group_convolution
    , ops::convolution_backprop_data
    , ops::group_convolution_backprop_data
    , ops::max_pool
    , ops::avg_pool
    , ops::interpolate
    , ops::batch_norm_inference
    , ops::clamp
    , ops::hard_sigmoid
    // group A ops end
    // group B ops
    , ops::matmul
    , ops::softmax
    , ops::reduce_mean
    , ops::reduce_sum
    , ops::reduce_max
    , ops::reduce_min
    , ops::reduce_prod
    , ops::reshape
    , ops::transpose
    , ops::squeeze
    , ops::unsqueeze
    , ops::concat
    , ops::slice
    , ops::shape_of
    , ops::gather
    , ops::broadcast
    , ops::tile
    , ops::range
    , ops::split
    , ops::variadic_split
    , ops::pad
    // group B ops end
    // group C ops
    // group C ops end
    // group D ops
    // group D ops end
    // group E ops
    // group E ops end
    // group F ops
    // group F ops end
    >;

}  // namespace moir::opsets

#endif  // MOIR_OPS_OPSET_HPP
