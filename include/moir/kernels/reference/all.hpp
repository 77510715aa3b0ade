#ifndef MOIR_KERNELS_REFERENCE_ALL_HPP
#define MOIR_KERNELS_REFERENCE_ALL_HPP

// Every reference kernel: the oracle of each op in moir::opsets::all.

#include <moir/kernels/reference/convert.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/kernels/reference/io.hpp>
// group A kernels
#include <moir/kernels/reference/batch_norm_inference.hpp>
#include <moir/kernels/reference/clamp.hpp>
#include <moir/kernels/reference/convolution.hpp>
#include <moir/kernels/reference/fake_quantize.hpp>
#include <moir/kernels/reference/hard_sigmoid.hpp>
#include <moir/kernels/reference/interpolate.hpp>
#include <moir/kernels/reference/pooling.hpp>
// group A kernels end
// group B kernels
#include <moir/kernels/reference/data_movement.hpp>
#include <moir/kernels/reference/matmul.hpp>
#include <moir/kernels/reference/reduce.hpp>
#include <moir/kernels/reference/shape_ops.hpp>
#include <moir/kernels/reference/softmax.hpp>
// group B kernels end
// group C kernels
#include <moir/kernels/reference/float_class.hpp>
#include <moir/kernels/reference/log_softmax.hpp>
#include <moir/kernels/reference/prelu.hpp>
#include <moir/kernels/reference/select.hpp>
#include <moir/kernels/reference/selu.hpp>
#include <moir/kernels/reference/swish.hpp>
// group C kernels end
// group D kernels
#include <moir/kernels/reference/cum_sum.hpp>
#include <moir/kernels/reference/einsum.hpp>
#include <moir/kernels/reference/eye.hpp>
#include <moir/kernels/reference/gather_scatter.hpp>
#include <moir/kernels/reference/rearrange.hpp>
#include <moir/kernels/reference/sorting.hpp>
// group D kernels end
// group E kernels
#include <moir/kernels/reference/linalg.hpp>
#include <moir/kernels/reference/normalization.hpp>
#include <moir/kernels/reference/pooling_indices.hpp>
#include <moir/kernels/reference/sampling.hpp>
#include <moir/kernels/reference/spectral.hpp>
// group E kernels end
// group F kernels
#include <moir/kernels/reference/recurrent.hpp>
// group F kernels end
// group G kernels
#include <moir/kernels/reference/detection.hpp>
// group G kernels end
#include <moir/kernels/reference/control_flow.hpp>
#include <moir/kernels/reference/onnx_fallback.hpp>

#endif  // MOIR_KERNELS_REFERENCE_ALL_HPP
