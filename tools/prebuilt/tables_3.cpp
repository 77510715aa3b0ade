// Slice 3 of moir's opset-wide tables (reference kernels, IR writer and reader), compiled once for
// every program of this build (library moir_tables in CMakeLists.txt); the programs' own TUs see
// them as extern templates (moir/extern_templates.hpp, force-included). Nothing else belongs here.
#define MOIR_INSTANTIATE_TEMPLATES_PART 3
#include <moir/extern_templates.hpp>
