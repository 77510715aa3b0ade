// The one test translation unit that compiles moir's opset-wide tables (reference kernels, IR
// writer and reader, ONNX converters); every other test TU sees them as extern templates
// (moir/extern_templates.hpp, force-included by tests/CMakeLists.txt), which cuts each test TU's
// build time several times over.
#define MOIR_INSTANTIATE_TEMPLATES
#include <moir/extern_templates.hpp>
#include <moir/frontends/onnx/extern_templates.hpp>
