// The opset-wide tables (reference kernels, IR reader and writer) compiled once for the OCR
// programs; their other translation units see them as extern templates (moir/extern_templates.hpp).
#define MOIR_INSTANTIATE_TEMPLATES
#include <moir/extern_templates.hpp>
