#ifndef MOIR_KERNELS_SIMD_INT8_TABLE_HPP
#define MOIR_KERNELS_SIMD_INT8_TABLE_HPP

// The INT8 fast-kernel table of one arch (the counterpart of table.hpp's FP32 one): its blocking
// (what the packers need) and pointers to its kernels. int8_table<Arch>() is defined out of line
// and not inline, so `extern template` (runtime/dispatch.hpp) keeps translation units without the
// arch's flags from instantiating it; MOIR_INSTANTIATE_KERNELS / MOIR_INSTANTIATE_INT8_KERNELS
// (runtime/instantiate.hpp) instantiate it in one that has them.

#include <moir/kernels/simd/int8_conv.hpp>
#include <moir/kernels/simd/int8_depthwise.hpp>
#include <moir/kernels/simd/int8_direct.hpp>
#include <moir/kernels/simd/int8_gemm.hpp>
#include <moir/kernels/simd/int8_quantize.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstdint>  // int8_t, uint8_t
#include <cstdlib>  // getenv
#include <type_traits>  // is_void_v

namespace moir::kernels::simd {

/// The INT8 kernels of one arch (each documented next to its template).
struct int8_kernel_table {
    int8_blocking blocking;
    /// The blocking of the arch's pairs flavour (int8_gemm.hpp; avx2's vpmaddubsw kernel), or
    /// `blocking` where it has none. gemm and conv run weights packed with either.
    int8_blocking pairs_blocking;
    void (*gemm)(const packed_int8_a& a, const std::uint8_t* b, std::ptrdiff_t ldb, std::size_t n, float* c,
                 std::ptrdiff_t ldc, const int8_epilogue& e, void* scratch);
    void (*conv)(const packed_int8_conv& w, const std::uint8_t* x, float* y, const int8_epilogue& e, void* scratch);
    void (*depthwise)(const packed_int8_depthwise& w, const std::uint8_t* x, float* y, const epilogue& e,
                      float* scratch, std::size_t c0, std::size_t c1);
    void (*quantize_u8)(const float* x, std::uint8_t* q, std::size_t n, float il, float ih);
    void (*fake_quantize_f32)(const float* x, float* y, std::size_t n, float il, float ih, float ol, float oh,
                              std::size_t levels);
    /// The blocking the direct path's weights are packed with (int8_direct_flavour's; when it is a
    /// pairs one, only weights that fit it take the path), or `blocking` where there is no path.
    int8_blocking direct_blocking;
    /// The direct path (int8_direct.hpp) of int8_direct_flavour; nullptr where the arch has none.
    void (*conv_direct)(const packed_int8_direct& p, const std::uint8_t* x4, float* y, const int8_epilogue& e,
                        std::size_t begin, std::size_t end);
    void (*quantize_4c)(const float* x, const packed_int8_direct& p, std::uint8_t* x4, float il, float ih,
                        std::int32_t zp, std::size_t cg0, std::size_t cg1, std::uint8_t* tmp);
};

namespace detail {
/// The blocking of flavour F of Arch's INT8 kernels, or Arch's own where F is void (no such flavour).
template <class F, class Arch>
constexpr int8_blocking int8_flavour_blocking() {
    if constexpr (std::is_void_v<F>)
        return int8_blocking_of<Arch>();
    else
        return int8_blocking_of<F>();
}
}  // namespace detail

/// The table of Arch. requires: instantiated only where Arch::supported().
template <class Arch>
const int8_kernel_table& int8_table();

template <class Arch>
const int8_kernel_table& int8_table() {
    using P = typename int8_pairs_flavour<Arch>::type;
    using D = typename int8_direct_flavour<Arch>::type;
    constexpr int8_blocking pairs = detail::int8_flavour_blocking<P, Arch>();
    constexpr int8_blocking direct_bl = detail::int8_flavour_blocking<D, Arch>();
    using conv_direct_fn = decltype(int8_kernel_table::conv_direct);
    using quantize_4c_fn = decltype(int8_kernel_table::quantize_4c);
    constexpr conv_direct_fn direct = std::is_void_v<D> ? nullptr : &int8_conv_direct<Arch>;
    constexpr quantize_4c_fn q4 = std::is_void_v<D> ? nullptr : &quantize_u8_4c<Arch>;
    static constexpr int8_kernel_table table{int8_blocking_of<Arch>(), pairs,
                                             &int8_gemm<Arch>,         &int8_conv<Arch>,
                                             &int8_depthwise<Arch>,    &quantize_u8<Arch>,
                                             &fake_quantize_f32<Arch>, direct_bl,
                                             direct,                   q4};
    return table;
}

/// The blocking to pack weights wq[M, K] (element (m, k) at w[m*rs + k]) with for table t: its
/// pairs flavour's when it has one and the weights fit it (int8_pairs_fit), else t.blocking.
/// MOIR_INT8_PAIRS=0 in the environment keeps every layer on t.blocking (to measure the two).
inline const int8_blocking& int8_blocking_for(const int8_kernel_table& t, const std::int8_t* w, std::size_t m,
                                              std::size_t k, std::ptrdiff_t rs) {
    if (!t.pairs_blocking.pairs) return t.blocking;
    static const bool off = [] {
        const char* v = std::getenv("MOIR_INT8_PAIRS");
        return v && v[0] == '0';
    }();
    return !off && int8_pairs_fit(w, m, k, rs) ? t.pairs_blocking : t.blocking;
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_INT8_TABLE_HPP
