#ifndef MOIR_EXTERN_TEMPLATES_HPP
#define MOIR_EXTERN_TEMPLATES_HPP

// Build-time saving for programs of many translation units. The reference kernels, the IR writer
// and the IR reader are tables built over the whole opset (opsets::all); every TU that uses them
// compiles them again. Include this header in every TU, and in exactly ONE of them define
// MOIR_INSTANTIATE_TEMPLATES before including it: that TU compiles the tables once, the others
// only refer to them. Nothing else changes (same API, same behaviour); a program that forgets the
// instantiating TU fails to link, naming the missing table.
//
//   // moir_instances.cpp
//   #define MOIR_INSTANTIATE_TEMPLATES
//   #include <moir/extern_templates.hpp>

#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

#ifdef MOIR_INSTANTIATE_TEMPLATES
#define MOIR_DETAIL_EXTERN
#else
#define MOIR_DETAIL_EXTERN extern
#endif

namespace moir {
MOIR_DETAIL_EXTERN template const std::unordered_map<const op_info*, detail::erased_kernel>&
detail::reference_table<opsets::all>();
MOIR_DETAIL_EXTERN template const std::unordered_map<const op_info*, ir::detail::data_writer>&
ir::detail::writer_table<opsets::all>();
MOIR_DETAIL_EXTERN template const std::unordered_map<std::string_view, std::vector<ir::detail::reader_entry>>&
ir::detail::reader_table<opsets::all>();
}  // namespace moir

#undef MOIR_DETAIL_EXTERN

#endif  // MOIR_EXTERN_TEMPLATES_HPP
