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
// group C kernels end
// group D kernels
// group D kernels end
// group E kernels
// group E kernels end
// group F kernels
// group F kernels end

#endif  // MOIR_KERNELS_REFERENCE_ALL_HPP
