// The AVX-512 fast kernels, instantiated in a TU of their own compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma (CMakeLists.txt sets the flags; library moir_kernels).
// Nothing else belongs in this file.
#if defined(__AVX512F__) && defined(__AVX512BW__)  // x86 builds only (CMakeLists.txt)
#include <moir/runtime/instantiate.hpp>

MOIR_INSTANTIATE_KERNELS(moir::arch::avx512)
#endif
