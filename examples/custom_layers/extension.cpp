// libmoir_custom_layers.so: the example's ops as a moir extension library, for the moir tool:
//   moir convert --input_model selfie_segmentation.tflite --extensions build/libmoir_custom_layers.so -o ir
//   moir run --model ir/selfie_segmentation.xml --input x.npy --extensions build/libmoir_custom_layers.so
// docs/custom-layers.md explains the ABI rules (same moir, same compiler).

#include "custom_layers.hpp"

#include <moir/extension/plugin.hpp>

MOIR_EXTENSION(registry) { my_ops::register_custom_layers(registry); }
