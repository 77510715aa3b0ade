#ifndef MOIR_RUNTIME_INSTANTIATE_HPP
#define MOIR_RUNTIME_INSTANTIATE_HPP

// Multi-arch builds of a header-only library: the fast kernels of an arch must be compiled with that
// arch's flags, in a translation unit of their own. For each arch beyond the baseline, add one file
//
//   // moir_avx512.cpp, compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma
//   #include <moir/runtime/instantiate.hpp>
//   MOIR_INSTANTIATE_KERNELS(moir::arch::avx512)
//
//   // moir_avx2.cpp, compiled with -mavx2 -mfma
//   #include <moir/runtime/instantiate.hpp>
//   MOIR_INSTANTIATE_KERNELS(moir::arch::avx2)
//   MOIR_INSTANTIATE_INT8_KERNELS(moir::arch::avx2)
//
//   // moir_avx512vnni.cpp, compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mavx512vnni
//   #include <moir/runtime/instantiate.hpp>
//   MOIR_INSTANTIATE_INT8_KERNELS(moir::arch::avx512vnni)
//
// and define MOIR_WITH_AVX512_KERNELS=1 / MOIR_WITH_AVX2_KERNELS=1 / MOIR_WITH_AVX512VNNI_KERNELS=1 for every translation unit of the
// program (so runtime/dispatch.hpp offers those arches; the definitions must agree across TUs). Such
// a file should include nothing else: an inline function compiled there with wider ISA flags may be
// the copy the linker keeps for the whole program. A program compiled entirely with an arch's flags
// (e.g. -march=native) needs none of this.

#include <moir/kernels/simd/int8_table.hpp>
#include <moir/kernels/simd/table.hpp>

/// Instantiates the fast FP32 kernels of ArchTag in this translation unit.
#define MOIR_INSTANTIATE_KERNELS(ArchTag) \
    template const ::moir::kernels::simd::fp32_kernel_table& ::moir::kernels::simd::fp32_table<ArchTag>();

/// Instantiates the INT8 kernels of ArchTag (avx2, avx512vnni) in this translation unit.
#define MOIR_INSTANTIATE_INT8_KERNELS(ArchTag) \
    template const ::moir::kernels::simd::int8_kernel_table& ::moir::kernels::simd::int8_table<ArchTag>();

#endif  // MOIR_RUNTIME_INSTANTIATE_HPP
