// The ONNX frontend's converter table, compiled once for every program of this build (library
// moir_tables in CMakeLists.txt); the programs' own TUs see it as an extern template
// (moir/frontends/onnx/extern_templates.hpp, force-included). Nothing else belongs here.
#define MOIR_INSTANTIATE_ONNX_TABLE
#include <moir/frontends/onnx/extern_templates.hpp>
