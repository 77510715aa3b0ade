// Single-thread throughput of the INT8 kernels against the FP32 ones at PaddleOCR rec/det shapes.
// Counter GOPS = 2 x multiply-adds per second / 1e9 (the same count as fast_kernels.cpp's GFLOPS,
// so the two compare directly). arg arch: 0 avx512vnni, 1 avx2, 2 reference for the INT8 kernels;
// the FP32 counterparts are bm_conv1x1 / bm_depthwise / bm_conv in fast_kernels.cpp (0 avx512, 1 avx2).
// The INT8 time includes packing the u8 activations (im2col or interleave) but not the quantization
// of the input (bm_int8_quantize measures that: elements per second).

#include <moir/runtime/dispatch.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>  // size_t
#include <cstdint>  // int8_t, uint8_t
#include <vector>   // vector

namespace {

namespace ks = moir::kernels::simd;

const ks::int8_kernel_table* int8_of(std::int64_t a) {
    switch (a) {
        case 0: return moir::runtime::int8_table_if_usable<moir::arch::avx512vnni>();
        case 1: return moir::runtime::int8_table_if_usable<moir::arch::avx2>();
        default: return moir::runtime::int8_table_if_usable<moir::arch::reference>();
    }
}

void set_ops(benchmark::State& state, double ops, const ks::int8_kernel_table& t) {
    state.counters["GOPS"] = benchmark::Counter(ops / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(std::string(t.blocking.arch));
}

/// 1x1 convolution = the INT8 GEMM: args arch, Cout, Cin, H*W; scale + shift + HSwish epilogue.
void bm_int8_conv1x1(benchmark::State& state) {
    const auto* t = int8_of(state.range(0));
    if (!t) return state.SkipWithError("arch not usable here");
    const auto m = std::size_t(state.range(1)), k = std::size_t(state.range(2)), n = std::size_t(state.range(3));
    const std::vector<std::int8_t> w(m * k, 3);
    const std::vector<std::uint8_t> x(k * n, 100);
    const std::vector<float> scale(m, 1e-4f), shift(m, 0.1f);
    std::vector<float> y(m * n);
    const ks::packed_int8_a pa = ks::pack_int8_a(t->blocking, w.data(), m, k, std::ptrdiff_t(k), 0);
    std::vector<float> scratch(ks::int8_gemm_scratch_bytes(t->blocking, k, n) / 4 + 16);
    ks::int8_epilogue e;
    e.scale = scale.data(), e.shift = shift.data(), e.act.act = ks::activation::hswish;
    for (auto _ : state) {
        t->gemm(pa, x.data(), std::ptrdiff_t(n), n, y.data(), std::ptrdiff_t(n), e, scratch.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_ops(state, 2.0 * double(m) * double(k) * double(n), *t);
}

/// General INT8 convolution (im2col): args arch, Cout, Cin, H (= W), kernel, stride.
void bm_int8_conv(benchmark::State& state) {
    const auto* t = int8_of(state.range(0));
    if (!t) return state.SkipWithError("arch not usable here");
    ks::conv_geometry g;
    g.out_c = std::size_t(state.range(1));
    g.in_c = std::size_t(state.range(2));
    g.in_h = g.in_w = std::size_t(state.range(3));
    g.kh = g.kw = std::size_t(state.range(4));
    g.sh = g.sw = std::size_t(state.range(5));
    g.pt = g.pl = std::ptrdiff_t(g.kh / 2);
    g.out_h = g.out_w = (g.in_h + 2 * (g.kh / 2) - g.kh) / g.sh + 1;
    const std::vector<std::int8_t> w(g.out_c * g.in_c * g.kh * g.kw, 3);
    const std::vector<std::uint8_t> x(g.in_c * g.in_h * g.in_w, 100);
    const std::vector<float> scale(g.out_c, 1e-4f), shift(g.out_c, 0.1f);
    std::vector<float> y(g.out_c * g.out_h * g.out_w);
    const ks::packed_int8_conv p = ks::pack_int8_conv(t->blocking, w.data(), g, 0);
    std::vector<float> scratch(ks::int8_conv_scratch_bytes(p) / 4 + 16);
    ks::int8_epilogue e;
    e.scale = scale.data(), e.shift = shift.data(), e.act.act = ks::activation::relu;
    for (auto _ : state) {
        t->conv(p, x.data(), y.data(), e, scratch.data());
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_ops(state, double(g.flops()), *t);
}

/// INT8 depthwise: args arch, C, H (= W), kernel, stride; padding k/2, shift + ReLU.
void bm_int8_depthwise(benchmark::State& state) {
    const auto* t = int8_of(state.range(0));
    if (!t) return state.SkipWithError("arch not usable here");
    ks::conv_geometry g;
    g.groups = std::size_t(state.range(1));
    g.in_h = g.in_w = std::size_t(state.range(2));
    g.kh = g.kw = std::size_t(state.range(3));
    g.sh = g.sw = std::size_t(state.range(4));
    g.pt = g.pl = std::ptrdiff_t(g.kh / 2);
    g.out_h = g.out_w = (g.in_h + 2 * (g.kh / 2) - g.kh) / g.sh + 1;
    const std::vector<std::int8_t> w(g.groups * g.kh * g.kw, 3);
    const std::vector<std::uint8_t> x(g.groups * g.in_h * g.in_w, 100);
    const std::vector<float> scale(g.groups, 1e-3f), shift(g.groups, 0.1f);
    std::vector<float> y(g.groups * g.out_h * g.out_w);
    const ks::packed_int8_depthwise p = ks::pack_int8_depthwise(w.data(), scale.data(), g, 0);
    std::vector<float> scratch(ks::int8_depthwise_scratch_floats(g, t->blocking.width) + 16);
    const ks::epilogue e{ks::activation::relu, shift.data()};
    for (auto _ : state) {
        t->depthwise(p, x.data(), y.data(), e, scratch.data(), 0, g.groups);
        benchmark::DoNotOptimize(y.data());
        benchmark::ClobberMemory();
    }
    set_ops(state, double(g.flops()), *t);
}

/// FakeQuantize to u8 codes: args arch, elements. Counter Gelem/s.
void bm_int8_quantize(benchmark::State& state) {
    const auto* t = int8_of(state.range(0));
    if (!t) return state.SkipWithError("arch not usable here");
    const auto n = std::size_t(state.range(1));
    std::vector<float> x(n);
    for (std::size_t i = 0; i < n; ++i) x[i] = float(i % 1000) * 0.01f - 3.0f;
    std::vector<std::uint8_t> q(n);
    for (auto _ : state) {
        t->quantize_u8(x.data(), q.data(), n, -3.0f, 7.0f);
        benchmark::DoNotOptimize(q.data());
        benchmark::ClobberMemory();
    }
    state.counters["Gelem/s"] = benchmark::Counter(double(n) / 1e9, benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(std::string(t->blocking.arch));
}

void conv1x1_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"arch", "cout", "cin", "hw"});
    for (std::int64_t a : {0, 1}) {
        for (std::int64_t c : {96, 128, 256})
            for (std::int64_t s : {80, 40, 20}) b->Args({a, c, c, s * s});
        b->Args({a, 24, 96, 160 * 160});
        b->Args({a, 96, 24, 160 * 160});
        b->Args({a, 480, 160, 20 * 20});
        // rec-like: 48x320 input, stages at 12x80, 6x80 (heights 12, 6, 3; widths 160, 80, 80)
        b->Args({a, 64, 32, 12 * 160});
        b->Args({a, 128, 128, 6 * 80});
        b->Args({a, 256, 256, 3 * 80});
        b->Args({a, 512, 256, 1 * 80});
    }
}
void conv_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"arch", "cout", "cin", "hw", "k", "s"});
    for (std::int64_t a : {0, 1}) {
        b->Args({a, 16, 3, 640, 3, 2});
        b->Args({a, 64, 64, 80, 3, 1});
        b->Args({a, 96, 96, 40, 3, 1});
        b->Args({a, 24, 96, 160, 3, 1});
    }
}
void depthwise_args(benchmark::internal::Benchmark* b) {
    b->ArgNames({"arch", "c", "hw", "k", "s"});
    for (std::int64_t a : {0, 1})
        for (std::int64_t k : {3, 5})
            for (std::int64_t s : {1, 2})
                for (std::int64_t hw : {80, 40}) b->Args({a, 96, hw, k, s});
}

}  // namespace

BENCHMARK(bm_int8_conv1x1)->Apply(conv1x1_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_int8_conv)->Apply(conv_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_int8_depthwise)->Apply(depthwise_args)->Unit(benchmark::kMicrosecond);
BENCHMARK(bm_int8_quantize)->ArgNames({"arch", "n"})->Args({0, 1 << 20})->Args({1, 1 << 20})->Unit(benchmark::kMicrosecond);
