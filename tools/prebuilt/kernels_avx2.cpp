// The AVX2 fast kernels, instantiated in a TU of their own compiled with -mavx2 -mfma
// (CMakeLists.txt sets the flags; library moir_kernels). Nothing else belongs in this file.
#if defined(__AVX2__) && defined(__FMA__)  // x86 builds only (CMakeLists.txt)
#include <moir/runtime/instantiate.hpp>

MOIR_INSTANTIATE_KERNELS(moir::arch::avx2)
MOIR_INSTANTIATE_INT8_KERNELS(moir::arch::avx2)
#endif
