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
#include <moir/ops/fake_quantize.hpp>
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
#include <moir/ops/abs.hpp>
#include <moir/ops/acos.hpp>
#include <moir/ops/acosh.hpp>
#include <moir/ops/asin.hpp>
#include <moir/ops/asinh.hpp>
#include <moir/ops/atan.hpp>
#include <moir/ops/atanh.hpp>
#include <moir/ops/bitwise_left_shift.hpp>
#include <moir/ops/bitwise_right_shift.hpp>
#include <moir/ops/ceiling.hpp>
#include <moir/ops/cos.hpp>
#include <moir/ops/cosh.hpp>
#include <moir/ops/elu.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/erf.hpp>
#include <moir/ops/floor.hpp>
#include <moir/ops/floor_mod.hpp>
#include <moir/ops/gelu.hpp>
#include <moir/ops/greater.hpp>
#include <moir/ops/greater_equal.hpp>
#include <moir/ops/is_inf.hpp>
#include <moir/ops/is_nan.hpp>
#include <moir/ops/less.hpp>
#include <moir/ops/less_equal.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/log_softmax.hpp>
#include <moir/ops/logical_and.hpp>
#include <moir/ops/logical_not.hpp>
#include <moir/ops/logical_or.hpp>
#include <moir/ops/logical_xor.hpp>
#include <moir/ops/mish.hpp>
#include <moir/ops/mod.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/round.hpp>
#include <moir/ops/select.hpp>
#include <moir/ops/selu.hpp>
#include <moir/ops/sign.hpp>
#include <moir/ops/sin.hpp>
#include <moir/ops/sinh.hpp>
#include <moir/ops/soft_plus.hpp>
#include <moir/ops/soft_sign.hpp>
#include <moir/ops/swish.hpp>
#include <moir/ops/tan.hpp>
// group C includes end
// indexing, scatter/gather, sorting -- group D
#include <moir/ops/cum_sum.hpp>
#include <moir/ops/depth_to_space.hpp>
#include <moir/ops/einsum.hpp>
#include <moir/ops/eye.hpp>
#include <moir/ops/gather_elements.hpp>
#include <moir/ops/gather_nd.hpp>
#include <moir/ops/non_zero.hpp>
#include <moir/ops/one_hot.hpp>
#include <moir/ops/reverse_sequence.hpp>
#include <moir/ops/scatter_elements_update.hpp>
#include <moir/ops/scatter_nd_update.hpp>
#include <moir/ops/space_to_depth.hpp>
#include <moir/ops/top_k.hpp>
#include <moir/ops/unique.hpp>
// group D includes end
// normalization, losses, quantization, signal -- group E
#include <moir/ops/det.hpp>
#include <moir/ops/dft.hpp>
#include <moir/ops/grid_sample.hpp>
#include <moir/ops/idft.hpp>
#include <moir/ops/lrn.hpp>
#include <moir/ops/max_pool_v8.hpp>
#include <moir/ops/max_unpool.hpp>
#include <moir/ops/mel_weight_matrix.hpp>
#include <moir/ops/mvn.hpp>
#include <moir/ops/reduce_l1.hpp>
#include <moir/ops/reduce_l2.hpp>
#include <moir/ops/roi_align.hpp>
#include <moir/ops/stft.hpp>
// group E includes end
// control flow and recurrent -- group F
#include <moir/ops/gru_sequence.hpp>
#include <moir/ops/lstm_sequence.hpp>
#include <moir/ops/lstm_sequence_v0.hpp>
#include <moir/ops/rnn_sequence.hpp>
// group F includes end
// object detection (SSD) -- group G
#include <moir/ops/detection_output.hpp>
#include <moir/ops/non_max_suppression.hpp>
#include <moir/ops/prior_box.hpp>
#include <moir/ops/prior_box_clustered.hpp>
// group G includes end
// ops that own bodies (docs/control-flow.md)
#include <moir/ops/if.hpp>
#include <moir/ops/loop.hpp>
#include <moir/ops/tensor_iterator.hpp>
#include <moir/ops/onnx_fallback.hpp>

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
    , ops::fake_quantize
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
    , ops::abs
    , ops::acos
    , ops::acosh
    , ops::asin
    , ops::asinh
    , ops::atan
    , ops::atanh
    , ops::bitwise_left_shift
    , ops::bitwise_right_shift
    , ops::ceiling
    , ops::cos
    , ops::cosh
    , ops::elu
    , ops::equal
    , ops::erf
    , ops::floor
    , ops::floor_mod
    , ops::greater
    , ops::greater_equal
    , ops::is_inf
    , ops::is_nan
    , ops::less
    , ops::less_equal
    , ops::log
    , ops::log_softmax
    , ops::logical_and
    , ops::logical_not
    , ops::logical_or
    , ops::logical_xor
    , ops::mish
    , ops::mod
    , ops::negative
    , ops::prelu
    , ops::round
    , ops::select
    , ops::selu
    , ops::sign
    , ops::sin
    , ops::sinh
    , ops::soft_plus
    , ops::soft_sign
    , ops::tan
    , ops::swish
    , ops::gelu
    // group C ops end
    // group D ops
    , ops::gather_elements
    , ops::gather_nd
    , ops::scatter_elements_update
    , ops::scatter_nd_update
    , ops::one_hot
    , ops::non_zero
    , ops::top_k
    , ops::unique
    , ops::cum_sum
    , ops::einsum
    , ops::depth_to_space
    , ops::space_to_depth
    , ops::reverse_sequence
    , ops::eye
    // group D ops end
    // group E ops
    , ops::reduce_l1
    , ops::reduce_l2
    , ops::mvn
    , ops::lrn
    , ops::max_pool_v8
    , ops::max_unpool
    , ops::det
    , ops::grid_sample
    , ops::roi_align
    , ops::dft
    , ops::idft
    , ops::stft
    , ops::mel_weight_matrix
    // group E ops end
    // group F ops
    , ops::rnn_sequence
    , ops::gru_sequence
    , ops::lstm_sequence
    , ops::lstm_sequence_v0
    // group F ops end
    // group G ops
    , ops::prior_box
    , ops::prior_box_clustered
    , ops::detection_output
    , ops::non_max_suppression
    // group G ops end
    , ops::if_op, ops::loop, ops::tensor_iterator
    , ops::onnx_fallback  // framework node of --fallback onnxruntime (docs/fallback.md)
    >;

}  // namespace moir::opsets

#endif  // MOIR_OPS_OPSET_HPP
