// The AVX-512 VNNI INT8 kernels, instantiated in a TU of their own compiled with
// -mavx512f -mavx512bw -mavx512vl -mavx512dq -mfma -mavx512vnni (CMake sets the flags).
// Nothing else belongs in this file.
#if defined(__AVX512F__) && defined(__AVX512VNNI__)  // x86 builds only
#include <moir/runtime/instantiate.hpp>

MOIR_INSTANTIATE_INT8_KERNELS(moir::arch::avx512vnni)
#endif
