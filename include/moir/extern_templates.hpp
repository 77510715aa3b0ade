#ifndef MOIR_EXTERN_TEMPLATES_HPP
#define MOIR_EXTERN_TEMPLATES_HPP

// Build-time saving for programs of many translation units. The reference kernels, the IR writer
// and the IR reader are tables built over the whole opset (opsets::all); every TU that uses them
// compiles them again (minutes each). Include this header in every TU (or force-include it:
// `-include moir/extern_templates.hpp`) and compile the tables once, either
//   - in ONE TU that defines MOIR_INSTANTIATE_TEMPLATES before including it, or
//   - spread over moir::detail::table_parts (4) TUs, built in parallel: TU k defines
//     MOIR_INSTANTIATE_TEMPLATES_PART to k (0, 1, 2, 3) before including it.
// Nothing else changes (same API, same behaviour); a program that misses an instantiating TU fails
// to link, naming the missing table. The ONNX converter table has its own header:
// moir/frontends/onnx/extern_templates.hpp.
//
//   // moir_tables.cpp
//   #define MOIR_INSTANTIATE_TEMPLATES
//   #include <moir/extern_templates.hpp>

#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>

static_assert(moir::detail::table_parts == 4, "moir/extern_templates.hpp names four table parts");

// MOIR_DETAIL_EXTERN_PART_k: empty in the TU that instantiates part k, `extern` elsewhere.
#if defined(MOIR_INSTANTIATE_TEMPLATES)
#define MOIR_DETAIL_EXTERN_PART_0
#define MOIR_DETAIL_EXTERN_PART_1
#define MOIR_DETAIL_EXTERN_PART_2
#define MOIR_DETAIL_EXTERN_PART_3
#elif defined(MOIR_INSTANTIATE_TEMPLATES_PART)
#if MOIR_INSTANTIATE_TEMPLATES_PART < 0 || MOIR_INSTANTIATE_TEMPLATES_PART > 3
#error "moir: MOIR_INSTANTIATE_TEMPLATES_PART must be 0, 1, 2 or 3"
#endif
#if MOIR_INSTANTIATE_TEMPLATES_PART == 0
#define MOIR_DETAIL_EXTERN_PART_0
#else
#define MOIR_DETAIL_EXTERN_PART_0 extern
#endif
#if MOIR_INSTANTIATE_TEMPLATES_PART == 1
#define MOIR_DETAIL_EXTERN_PART_1
#else
#define MOIR_DETAIL_EXTERN_PART_1 extern
#endif
#if MOIR_INSTANTIATE_TEMPLATES_PART == 2
#define MOIR_DETAIL_EXTERN_PART_2
#else
#define MOIR_DETAIL_EXTERN_PART_2 extern
#endif
#if MOIR_INSTANTIATE_TEMPLATES_PART == 3
#define MOIR_DETAIL_EXTERN_PART_3
#else
#define MOIR_DETAIL_EXTERN_PART_3 extern
#endif
#else
#define MOIR_DETAIL_EXTERN_PART_0 extern
#define MOIR_DETAIL_EXTERN_PART_1 extern
#define MOIR_DETAIL_EXTERN_PART_2 extern
#define MOIR_DETAIL_EXTERN_PART_3 extern
#endif

// One slice of each table; part 0 also holds the tables' entry points.
#define MOIR_DETAIL_TABLE_PART(EXTERN, K)                                                                  \
    EXTERN template void detail::fill_reference_table<opsets::all, K>(detail::reference_map&);          \
    EXTERN template void ir::detail::fill_writer_table<opsets::all, K>(ir::detail::writer_map&);        \
    EXTERN template void ir::detail::fill_reader_table<opsets::all, K>(ir::detail::reader_map&);

namespace moir {
MOIR_DETAIL_EXTERN_PART_0 template const detail::reference_map& detail::reference_table<opsets::all>();
MOIR_DETAIL_EXTERN_PART_0 template const ir::detail::writer_map& ir::detail::writer_table<opsets::all>();
MOIR_DETAIL_EXTERN_PART_0 template const ir::detail::reader_map& ir::detail::reader_table<opsets::all>();
MOIR_DETAIL_TABLE_PART(MOIR_DETAIL_EXTERN_PART_0, 0)
MOIR_DETAIL_TABLE_PART(MOIR_DETAIL_EXTERN_PART_1, 1)
MOIR_DETAIL_TABLE_PART(MOIR_DETAIL_EXTERN_PART_2, 2)
MOIR_DETAIL_TABLE_PART(MOIR_DETAIL_EXTERN_PART_3, 3)
}  // namespace moir

#undef MOIR_DETAIL_TABLE_PART
#undef MOIR_DETAIL_EXTERN_PART_0
#undef MOIR_DETAIL_EXTERN_PART_1
#undef MOIR_DETAIL_EXTERN_PART_2
#undef MOIR_DETAIL_EXTERN_PART_3

#endif  // MOIR_EXTERN_TEMPLATES_HPP
