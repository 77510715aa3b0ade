#ifndef MOIR_EXAMPLES_CUSTOM_LAYERS_CUSTOM_LAYERS_HPP
#define MOIR_EXAMPLES_CUSTOM_LAYERS_CUSTOM_LAYERS_HPP

// The example's registration: two ops and their frontend mappings (docs/custom-layers.md). Called
// at run time by the extension library (extension.cpp, `moir ... --extensions
// libmoir_custom_layers.so`) or at compile time by a program
// (`my_ops::register_custom_layers(moir::extensions())`): the same function either way.

#include "conv2d_transpose_bias.hpp"
#include "log_affine.hpp"

#include <moir/core/extensions.hpp>
#include <moir/extension/op.hpp>
#include <moir/extension/op_mapping.hpp>
#include <moir/frontends/caffe/converter.hpp>
#include <moir/frontends/tflite/converter.hpp>

namespace my_ops {

/// Registers the example's ops and mappings in `r`.
inline void register_custom_layers(moir::extension_registry& r) {
    // the ops: IR type + opset, IR attributes, shape inference, kernels
    r.add_op(moir::describe_op<conv2d_transpose_bias>());
    r.add_op(moir::describe_op<log_affine, log_affine_fast>());
    // TFLite: a conversion function for the custom op (domain "custom": TFLite's CUSTOM op codes)
    r.add_conversion<moir::tflite::context>("tflite", "Convolution2DTransposeBias", convert_conv2d_transpose_bias, "custom");
    // Caffe: one-to-one, the IR attribute names mapped to Caffe's log_param fields
    r.add_conversion<moir::caffe::context>(
        "caffe", "Log",
        moir::map_op<log_affine, moir::caffe::context>(
            {{"base", "log_param.base"}, {"scale", "log_param.scale"}, {"shift", "log_param.shift"}}));
}

}  // namespace my_ops

#endif  // MOIR_EXAMPLES_CUSTOM_LAYERS_CUSTOM_LAYERS_HPP
