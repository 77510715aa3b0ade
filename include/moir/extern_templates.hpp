#ifndef MOIR_EXTERN_TEMPLATES_HPP
#define MOIR_EXTERN_TEMPLATES_HPP

// Build-time saving for programs of many translation units. The reference kernels, the IR writer
// and the IR reader are tables built over the whole opset (opsets::all); every TU that uses them
// compiles them again. Include this header in every TU (or force-include it:
// `-include moir/extern_templates.hpp`) and compile the tables once, either
//   - in ONE TU that defines MOIR_INSTANTIATE_TEMPLATES before including it, or
//   - spread over moir::detail::table_parts TUs (4 unless MOIR_TABLE_PARTS says otherwise, at most
//     16; every TU of the program must see the same value), built in parallel: TU k defines
//     MOIR_INSTANTIATE_TEMPLATES_PART to k (0, 1, ...) before including it.
// The entry points a program calls are compiled once too: ir::load/deserialize/save/serialize,
// reference_executor, runtime::basic_plan and passes::optimize/compress_weights_to_fp16 over the
// default opset. Their headers end with MOIR_DETAIL_CORE_EXTERN declarations, which this header
// turns on (`extern`); the TU that defines them (moir::compiled's core TU,
// cmake/compiled/core.cpp.in) defines the macro empty before including this header, as a single
// MOIR_INSTANTIATE_TEMPLATES TU does. Headers included before this one keep compiling them where
// they are used.
// Nothing else changes (same API, same behaviour); a program that misses an instantiating TU fails
// to link, naming the missing table. The ONNX converter table has its own header:
// moir/frontends/onnx/extern_templates.hpp. CMake users get all of it as moir::compiled.
//
//   // moir_tables.cpp
//   #define MOIR_INSTANTIATE_TEMPLATES
//   #include <moir/extern_templates.hpp>

#if !defined(MOIR_DETAIL_CORE_EXTERN)
#if defined(MOIR_INSTANTIATE_TEMPLATES)
#define MOIR_DETAIL_CORE_EXTERN  // this TU defines the entry points
#else
#define MOIR_DETAIL_CORE_EXTERN extern
#endif
#endif

#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/kernels/arch.hpp>
#include <moir/kernels/simd/int8_table.hpp>
#include <moir/kernels/simd/table.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

static_assert(moir::detail::table_parts >= 1 && moir::detail::table_parts <= 16,
              "moir: MOIR_TABLE_PARTS must be between 1 and 16 (moir/extern_templates.hpp declares 16 parts)");

// One slice of each table.
#define MOIR_DETAIL_TABLE_PART(EXTERN, K)                                                                  \
    EXTERN template void detail::fill_reference_table<opsets::all, K>(detail::reference_map&);          \
    EXTERN template void ir::detail::fill_writer_table<opsets::all, K>(ir::detail::writer_map&);        \
    EXTERN template void ir::detail::fill_reader_table<opsets::all, K>(ir::detail::reader_map&);
// The tables' entry points, and the fast kernels of the baseline arch (arch::reference: the plan's
// kernels where no wider arch is compiled in or available; the wider arches are instantiated in
// TUs of their own, runtime/instantiate.hpp).
#define MOIR_DETAIL_TABLE_ENTRIES(EXTERN)                                                                  \
    EXTERN template const detail::reference_map& detail::reference_table<opsets::all>();               \
    EXTERN template const ir::detail::writer_map& ir::detail::writer_table<opsets::all>();             \
    EXTERN template const ir::detail::reader_map& ir::detail::reader_table<opsets::all>();             \
    EXTERN template const kernels::simd::fp32_kernel_table& kernels::simd::fp32_table<arch::reference>(); \
    EXTERN template const kernels::simd::int8_kernel_table& kernels::simd::int8_table<arch::reference>();

namespace moir {
#if defined(MOIR_INSTANTIATE_TEMPLATES)
// the entry points, and with them every slice
MOIR_DETAIL_TABLE_ENTRIES()
#else
// Declared for every possible slice (those at or past table_parts are never used): the TU that
// defines MOIR_INSTANTIATE_TEMPLATES_PART instantiates its own slice after these declarations.
MOIR_DETAIL_TABLE_ENTRIES(extern)
MOIR_DETAIL_TABLE_PART(extern, 0)
MOIR_DETAIL_TABLE_PART(extern, 1)
MOIR_DETAIL_TABLE_PART(extern, 2)
MOIR_DETAIL_TABLE_PART(extern, 3)
MOIR_DETAIL_TABLE_PART(extern, 4)
MOIR_DETAIL_TABLE_PART(extern, 5)
MOIR_DETAIL_TABLE_PART(extern, 6)
MOIR_DETAIL_TABLE_PART(extern, 7)
MOIR_DETAIL_TABLE_PART(extern, 8)
MOIR_DETAIL_TABLE_PART(extern, 9)
MOIR_DETAIL_TABLE_PART(extern, 10)
MOIR_DETAIL_TABLE_PART(extern, 11)
MOIR_DETAIL_TABLE_PART(extern, 12)
MOIR_DETAIL_TABLE_PART(extern, 13)
MOIR_DETAIL_TABLE_PART(extern, 14)
MOIR_DETAIL_TABLE_PART(extern, 15)
#if defined(MOIR_INSTANTIATE_TEMPLATES_PART)
static_assert(MOIR_INSTANTIATE_TEMPLATES_PART >= 0 && MOIR_INSTANTIATE_TEMPLATES_PART < detail::table_parts,
              "moir: MOIR_INSTANTIATE_TEMPLATES_PART must be below moir::detail::table_parts (MOIR_TABLE_PARTS)");
#if MOIR_INSTANTIATE_TEMPLATES_PART == 0
MOIR_DETAIL_TABLE_ENTRIES()  // part 0 also holds the entry points
#endif
MOIR_DETAIL_TABLE_PART(, MOIR_INSTANTIATE_TEMPLATES_PART)
#endif
#endif
}  // namespace moir

#if defined(MOIR_INSTANTIATE_TEMPLATES)
// the one instantiating TU also defines the entry points whose headers this one does not include
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/plan.hpp>
#endif

#undef MOIR_DETAIL_TABLE_PART
#undef MOIR_DETAIL_TABLE_ENTRIES

#endif  // MOIR_EXTERN_TEMPLATES_HPP
