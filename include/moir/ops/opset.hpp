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
// group A includes end
// tensor, shape, reduction, matmul, softmax -- group B
// group B includes end

namespace moir::opsets {

/// Every op of moir, in no particular order (the IR reader picks by IR type and opset).
using all = type_list<
    ops::parameter, ops::constant, ops::result, ops::convert,
    ops::add, ops::subtract, ops::multiply, ops::divide, ops::power, ops::maximum, ops::minimum,
    ops::squared_difference, ops::relu, ops::sigmoid, ops::sqrt, ops::exp, ops::tanh, ops::hswish, ops::hsigmoid
    // group A ops
    // group A ops end
    // group B ops
    // group B ops end
    >;

}  // namespace moir::opsets

#endif  // MOIR_OPS_OPSET_HPP
