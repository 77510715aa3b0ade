#ifndef MOIR_KERNELS_SIMD_TABLE_HPP
#define MOIR_KERNELS_SIMD_TABLE_HPP

// The FP32 fast-kernel table of one arch: its GEMM blocking (what the packers need) and pointers to
// its compute kernels, so a plan picks an arch once (runtime/dispatch.hpp) and calls through plain
// function pointers. fp32_table<Arch>() is a function template defined out of line and not inline,
// so that `extern template` (runtime/dispatch.hpp) keeps translation units compiled without the
// arch's flags from instantiating it; MOIR_INSTANTIATE_KERNELS (runtime/instantiate.hpp) instantiates
// it in one that has them.

#include <moir/kernels/simd/bias_activation.hpp>
#include <moir/kernels/simd/conv_phased.hpp>
#include <moir/kernels/simd/pooling.hpp>
#include <moir/kernels/simd/convolution.hpp>
#include <moir/kernels/simd/depthwise.hpp>
#include <moir/kernels/simd/gemm.hpp>
#include <moir/kernels/simd/normalization.hpp>
#include <moir/kernels/simd/softmax.hpp>
#include <moir/kernels/simd/unary.hpp>

#include <cstddef>  // ptrdiff_t, size_t

namespace moir::kernels::simd {

/// The compute kernels of one arch (each documented next to its template).
struct fp32_kernel_table {
    gemm_blocking blocking;
    void (*gemm_a)(const packed_a& a, const float* b, std::ptrdiff_t ldb, std::size_t n, float* c, std::ptrdiff_t ldc,
                   const epilogue& e, float* scratch);
    void (*gemm_b)(const packed_b& b, const float* a, std::ptrdiff_t lda, std::size_t m, float* c, std::ptrdiff_t ldc,
                   const epilogue& e);
    void (*conv)(const packed_conv& w, const float* x, float* y, const epilogue& e, float* scratch);
    void (*conv_columns)(const packed_conv& w, const float* x, float* y, const epilogue& e, float* scratch,
                         std::size_t c0, std::size_t c1);
    void (*conv_rows)(const packed_conv& w, const float* x, float* y, const epilogue& e, float* scratch,
                      std::size_t r0, std::size_t r1);
    void (*depthwise)(const packed_depthwise& w, const float* x, float* y, const epilogue& e, float* scratch,
                      std::size_t c0, std::size_t c1);
    void (*softmax_rows)(const float* x, float* y, std::size_t rows, std::size_t len);
    void (*bias_activation)(float* y, std::size_t n, float bias, const epilogue& e);
    void (*conv_plane)(const packed_conv& w, const float* x, float* y, const epilogue& e, float* scratch,
                       std::size_t r0, std::size_t r1);
    void (*depthwise_rows)(const packed_depthwise& w, const dw_input& x, float* y, const epilogue& e, float* scratch,
                           std::size_t c0, std::size_t c1, std::size_t oy0, std::size_t oy1);
    void (*conv_phased)(const packed_conv& w, const float* x, float* y, const epilogue& e, float* scratch,
                        std::size_t r0, std::size_t r1);
    void (*gemm_a_inplace)(const packed_a& a, const float* b, std::ptrdiff_t ldb, std::size_t n, float* c,
                           std::ptrdiff_t ldc, const epilogue& e);
    void (*pool_planes)(const pool_geometry& p, bool is_max, bool exclude_pad, const float* x, float* y,
                        std::int64_t c0, std::int64_t c1);
    void (*max_pool_nhwc)(const pool_geometry& p, std::int64_t channels, const float* x, float* y, std::int64_t r0,
                          std::int64_t r1);
    void (*mvn_rows)(const float* x, float* y, std::size_t rows, std::size_t len, const mvn_params& p);
    void (*mvn_columns)(const float* x, float* y, std::size_t len, std::size_t inner, std::size_t c0, std::size_t c1,
                        const mvn_params& p);
    void (*softmax_columns)(const float* x, float* y, std::size_t len, std::size_t inner, std::size_t c0,
                            std::size_t c1);
    void (*unary_map)(unary_fn fn, const float* x, float* y, std::size_t n);
};

/// The table of Arch. requires: instantiated only where Arch::supported() (see above).
template <class Arch>
const fp32_kernel_table& fp32_table();

template <class Arch>
const fp32_kernel_table& fp32_table() {
    static constexpr fp32_kernel_table table{blocking_of<Arch>(), &gemm_a<Arch>, &gemm_b<Arch>, &conv<Arch>,
                                             &conv_columns<Arch>, &conv_rows<Arch>, &depthwise<Arch>,
                                             &softmax_rows<Arch>, &bias_activation<Arch>, &conv_plane<Arch>,
                                             &depthwise_rows<Arch>, &conv_phased<Arch>,
                                             &gemm_a_inplace<Arch>, &pool_planes<Arch>,
                                             &max_pool_nhwc<Arch>, &mvn_rows<Arch>, &mvn_columns<Arch>,
                                             &softmax_columns<Arch>, &unary_map<Arch>};
    return table;
}

}  // namespace moir::kernels::simd

#endif  // MOIR_KERNELS_SIMD_TABLE_HPP
