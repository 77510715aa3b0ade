// Single-thread throughput of the fast FP32 kernels at the shapes of PaddleOCR det/rec, per arch.
// Counter GFLOPS = useful multiply-adds x 2 per second / 1e9 (a Zen 4 core peaks near 100 with
// AVX-512, so on that machine GFLOPS is also the percentage of peak).

#include <moir/runtime/dispatch.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>  // size_t
#include <vector>   // vector

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
namespace moir::bench {
float fma_peak_avx512(std::size_t iters);  // peak.cpp
float fma_peak_avx2(std::size_t iters);
}  // namespace moir::bench
#define MOIR_BENCH_PEAK 1
#endif

namespace {

namespace ks = moir::kernels::simd;

/// The table of arch index a (0 avx512, 1 avx2, 2 reference), or nullptr (the benchmark is skipped).
const ks::fp32_kernel_table* table_of(std::int64_t a) {
    switch (a) {
        case 0: return moir::runtime::fp32_table_if_usable<moir::arch::avx512>();
        case 1: return moir::runtime::fp32_table_if_usable<moir::arch::avx2>();
        default: return moir::runtime::fp32_table_if_usable<moir::arch::reference>();
    }
}

std::vector<float> filled(std::size_t n, float v) { return std::vector<float>(n, v); }

void set_flops(benchmark::State& state, double flops, const ks::fp32_kernel_table& t) {
    state.counters["GFLOPS"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(std::string(t.blocking.arch));
}

/// 1x1 convolution = gemm_a: args arch, Cout, Cin, H*W; bias + HSwish epilogue.
void bm_conv1x1(benchmark::State& state) {
    const auto* t = table_of(state.range(0));
    if (!t) return state.SkipWithError("arch not usable here");
    const auto m = std::size_t(state.range(1)), k = std::size_t(state.range(2)), n = std::size_t(state.range(3));
    const auto w = filled(m * k, 0.01f), x = filled(k * n, 0.5f), bias = filled(m, 0.1f);
    std::vector<float> y(m * n);
    const ks::packed_a pa = ks::pack_a(t->blocking, w.data(), m, k, std::ptrdiff_t(k), 1);
    std::vector<float> scratch(ks::gemm_a_scratch_floats(t->blocking, k, n));
    const ks::epilogue e{ks::activation::hswish, bias.data()};
    for (auto _ : state) {
        t->gemm_a(pa, x.data(), std::ptrdiff_t(n), n, y.data(), std::ptrdiff_t(n), e, scratch.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * double(m) * double(k) * double(n), *t);
}

/// Depthwise: args arch, C, H (= W), kernel, stride; padding k/2, bias + ReLU.
void bm_depthwise(benchmark::State& state) {
    const auto* t = table_of(state.range(0));
    if (!t) return state.SkipWithError("arch not usable here");
    ks::conv_geometry g;
    g.groups = std::size_t(state.range(1));
    g.in_h = g.in_w = std::size_t(state.range(2));
    g.kh = g.kw = std::size_t(state.range(3));
    g.sh = g.sw = std::size_t(state.range(4));
    g.pt = g.pl = std::ptrdiff_t(g.kh / 2);
    g.out_h = (g.in_h + 2 * (g.kh / 2) - g.kh) / g.sh + 1;
    g.out_w = g.out_h;
    const auto w = filled(g.groups * g.kh * g.kw, 0.1f), x = filled(g.groups * g.in_h * g.in_w, 0.5f);
    const auto bias = filled(g.groups, 0.1f);
    std::vector<float> y(g.groups * g.out_h * g.out_w);
    const ks::packed_depthwise p = ks::pack_depthwise(w.data(), g);
    std::vector<float> scratch(ks::depthwise_scratch_floats(g, t->blocking.width));
    const ks::epilogue e{ks::activation::relu, bias.data()};
    for (auto _ : state) {
        t->depthwise(p, x.data(), y.data(), e, scratch.data(), 0, g.groups);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, double(g.flops()), *t);
}

/// General convolution (im2col GEMM): args arch, Cout, Cin, H (= W), kernel, stride.
void bm_conv(benchmark::State& state) {
    const auto* t = table_of(state.range(0));
    if (!t) return state.SkipWithError("arch not usable here");
    ks::conv_geometry g;
    g.out_c = std::size_t(state.range(1));
    g.in_c = std::size_t(state.range(2));
    g.in_h = g.in_w = std::size_t(state.range(3));
    g.kh = g.kw = std::size_t(state.range(4));
    g.sh = g.sw = std::size_t(state.range(5));
    g.pt = g.pl = std::ptrdiff_t(g.kh / 2);
    g.out_h = (g.in_h + 2 * (g.kh / 2) - g.kh) / g.sh + 1;
    g.out_w = g.out_h;
    const auto w = filled(g.out_c * g.in_c * g.kh * g.kw, 0.01f), x = filled(g.in_c * g.in_h * g.in_w, 0.5f);
    const auto bias = filled(g.out_c, 0.1f);
    std::vector<float> y(g.out_c * g.out_h * g.out_w);
    const ks::packed_conv p = ks::pack_conv(t->blocking, w.data(), g);
    std::vector<float> scratch(ks::conv_scratch_floats(p));
    const ks::epilogue e{ks::activation::relu, bias.data()};
    for (auto _ : state) {
        t->conv(p, x.data(), y.data(), e, scratch.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, double(g.flops()), *t);
}

/// MatMul with constant weights = gemm_b: args arch, M, K, N.
void bm_matmul(benchmark::State& state) {
    const auto* t = table_of(state.range(0));
    if (!t) return state.SkipWithError("arch not usable here");
    const auto m = std::size_t(state.range(1)), k = std::size_t(state.range(2)), n = std::size_t(state.range(3));
    const auto a = filled(m * k, 0.5f), b = filled(k * n, 0.01f), bias = filled(n, 0.1f);
    std::vector<float> c(m * n);
    const ks::packed_b pb = ks::pack_b(t->blocking, b.data(), k, n, std::ptrdiff_t(n), 1);
    ks::epilogue e;
    e.col_bias = bias.data();
    for (auto _ : state) {
        t->gemm_b(pb, a.data(), std::ptrdiff_t(k), m, c.data(), std::ptrdiff_t(n), e);
        benchmark::DoNotOptimize(c.data());
        benchmark::ClobberMemory();
    }
    set_flops(state, 2.0 * double(m) * double(k) * double(n), *t);
}

/// The FMA peak of one core: arg arch (0 avx512, 1 avx2).
void bm_peak(benchmark::State& state) {
#if defined(MOIR_BENCH_PEAK)
    const auto* t = table_of(state.range(0));
    if (!t || state.range(0) > 1) return state.SkipWithError("arch not usable here");
    constexpr std::size_t iters = 100000;
    for (auto _ : state) {
        const float r = state.range(0) == 0 ? moir::bench::fma_peak_avx512(iters) : moir::bench::fma_peak_avx2(iters);
        benchmark::DoNotOptimize(r);
    }
    set_flops(state, state.range(0) == 0 ? iters * 24.0 * 16 * 2 : iters * 12.0 * 8 * 2, *t);
#else
    state.SkipWithError("x86-64 only");
#endif
}

void conv1x1_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"arch", "cout", "cin", "hw"});
    for (std::int64_t a : {0, 1})
        for (std::int64_t c : {96, 128, 256})
            for (std::int64_t s : {160, 80, 40, 20}) b->Args({a, c, c, s * s});
    // a few det-like non-square ones
    for (std::int64_t a : {0, 1}) {
        b->Args({a, 24, 96, 160 * 160});
        b->Args({a, 96, 24, 160 * 160});
        b->Args({a, 480, 160, 20 * 20});
        // rec-like (the same shapes as bm_int8_conv1x1)
        b->Args({a, 64, 32, 12 * 160});
        b->Args({a, 128, 128, 6 * 80});
        b->Args({a, 256, 256, 3 * 80});
        b->Args({a, 512, 256, 1 * 80});
    }
}
void depthwise_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"arch", "c", "hw", "k", "s"});
    for (std::int64_t a : {0, 1})
        for (std::int64_t k : {3, 5})
            for (std::int64_t s : {1, 2})
                for (std::int64_t hw : {160, 80, 40, 20}) b->Args({a, 96, hw, k, s});
}
void conv_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"arch", "cout", "cin", "hw", "k", "s"});
    for (std::int64_t a : {0, 1}) {
        b->Args({a, 16, 3, 640, 3, 2});   // det stem
        b->Args({a, 64, 64, 80, 3, 1});
        b->Args({a, 96, 96, 40, 3, 1});
        b->Args({a, 24, 96, 160, 3, 1});
    }
}
void matmul_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"arch", "m", "k", "n"});
    for (std::int64_t a : {0, 1}) {
        b->Args({a, 40, 96, 6625});  // rec CTC head
        b->Args({a, 40, 120, 120});
        b->Args({a, 1, 256, 256});
    }
}

}  // namespace

BENCHMARK(bm_peak)->ArgName("arch")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_conv1x1)->Apply(conv1x1_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_depthwise)->Apply(depthwise_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_conv)->Apply(conv_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_matmul)->Apply(matmul_args)->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
