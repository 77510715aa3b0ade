#ifndef MOIR_MOIR_HPP
#define MOIR_MOIR_HPP

// moir: a header-only model optimizer and CPU inference engine for OpenVINO IR.
// This umbrella brings the core graph, every op, the reference kernels and executor, the IR reader
// and writer, .npy I/O, and the fast FP32 kernels with their run-time arch dispatch. Framework
// frontends are opt-in: #include <moir/frontends/onnx/onnx.hpp>.

#include <moir/version.hpp>
#include <moir/core/element_type.hpp>
#include <moir/core/errors.hpp>
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

#endif  // MOIR_MOIR_HPP
