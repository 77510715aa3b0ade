#ifndef MOIR_MOIR_HPP
#define MOIR_MOIR_HPP

// moir: a header-only model optimizer and CPU inference engine for OpenVINO IR.
// This umbrella is the whole library: the core graph, every op, the reference kernels and executor,
// the fast kernels with their run-time arch dispatch and the compiled plan, the IR reader and writer,
// .npy I/O, every frontend (frontends/frontends.hpp), the optimizer's passes and the conversion
// pipeline (convert.hpp). single_include/moir/moir.hpp is this file with everything inlined.
// A program that needs less includes the part it needs (moir/ir/ir_reader.hpp, moir/runtime/plan.hpp, ...).

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
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/kernels/arch.hpp>
#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/all.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/dispatch.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>
#include <moir/frontends/frontends.hpp>
#include <moir/convert.hpp>
#include <moir/extension/op.hpp>
#include <moir/extension/op_mapping.hpp>

#endif  // MOIR_MOIR_HPP
