#ifndef MOIR_MOIR_HPP
#define MOIR_MOIR_HPP

// moir: a header-only model optimizer and CPU inference engine for OpenVINO IR.
// This umbrella is the whole library: the core graph, every op, the reference kernels and executor,
// the fast kernels with their run-time arch dispatch and the compiled plan, the IR reader and writer,
// .npy I/O, every frontend (frontends/frontends.hpp), the optimizer's passes and the conversion
// pipeline (convert.hpp). single_include/moir/moir.hpp is this file with everything inlined.
// A program that needs less includes the part it needs (moir/ir/ir_reader.hpp, moir/runtime/plan.hpp, ...).
//
// Light mode (MOIR_COMPILED_LIBRARY, which moir::compiled's installed package defines for its users):
// the program links the compiled form, so this header gives it the core (model, ops, tensors,
// errors, .npy and file I/O) and only the DECLARATIONS of the entry points the library compiled:
// ir::load/deserialize/save/serialize, reference_executor, runtime::basic_plan / plan_cache,
// passes::optimize / compress_weights_to_fp16, onnx::load and moir::load_model (the *_decl.hpp
// headers below; load_model where the library holds every frontend, MOIR_COMPILED_FRONTENDS). The
// program's translation units then compile none of the tables, kernels, passes or converters
// (docs/architecture.md, "Build time"). The rest of the library stays available by including its
// headers (they define what the declarations declare, as extern templates where the library has
// them).

#include <moir/version.hpp>
#include <moir/core/element_type.hpp>
#include <moir/core/errors.hpp>
#include <moir/core/extensions.hpp>
#include <moir/core/limits.hpp>
#include <moir/core/model.hpp>
#include <moir/core/shape.hpp>
#include <moir/core/tensor.hpp>
#include <moir/core/type_list.hpp>
#include <moir/io/files.hpp>
#include <moir/io/npy.hpp>
#include <moir/io/paths.hpp>
#include <moir/kernels/arch.hpp>
#include <moir/ops/opset.hpp>
// the entry points, declared (their definitions: the headers of the #if below)
#include <moir/ir/ir_decl.hpp>
#include <moir/runtime/reference_executor_decl.hpp>
#include <moir/runtime/plan_decl.hpp>
#include <moir/passes/optimize_decl.hpp>
#include <moir/frontends/onnx/onnx_decl.hpp>
#include <moir/frontends/frontends_decl.hpp>

#if defined(MOIR_COMPILED_LIBRARY)
// the library compiled the entry points: headers included later declare them extern
#if !defined(MOIR_DETAIL_CORE_EXTERN)
#define MOIR_DETAIL_CORE_EXTERN extern
#endif
#else
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/all.hpp>
#include <moir/runtime/dispatch.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>
#include <moir/frontends/frontends.hpp>
#include <moir/convert.hpp>
#include <moir/extension/op.hpp>
#include <moir/extension/op_mapping.hpp>
#endif

#endif  // MOIR_MOIR_HPP
