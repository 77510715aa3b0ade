#ifndef MOIR_FRONTENDS_ONNX_ONNX_DECL_HPP
#define MOIR_FRONTENDS_ONNX_ONNX_DECL_HPP

// moir::onnx::load and its options, declared and not defined: what a program of the compiled form
// (moir::compiled, MOIR_COMPILED_LIBRARY: moir/moir.hpp's light mode) sees, so that its translation
// units compile none of the converters. frontends/onnx/onnx.hpp includes this header and defines
// load; moir::compiled compiles it once (frontends/onnx/extern_templates.hpp).

#include <moir/core/model.hpp>
#include <moir/frontends/common/load_options.hpp>

#include <string>  // string

namespace moir::onnx {

class op_table;  // frontends/onnx/converter.hpp

/// How to read a model: the common options plus the converter table.
struct load_options : frontends::load_options {
    /// The converters to use; default_table() when null. Users extend a copy with their own ops.
    const op_table* table = nullptr;
};

/// Reads and converts an .onnx file (frontends/onnx/onnx.hpp). ensures: a validated model whose
/// outputs carry the graph's output names; parse errors name the file.
template <class = void>
model load(const std::string& path, const load_options& opt = {});

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_ONNX_DECL_HPP
