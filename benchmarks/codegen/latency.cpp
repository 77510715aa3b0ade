// Latency of a model compiled by `moir codegen` (docs/embedded.md): the generated run() at one
// thread, warm-up runs, then timed runs; prints the median, min and p90 in ms, the arena and the
// weight bytes. Compare with `moir bench --model M.xml --threads 1` (MOIR_ARCH = the header's arch)
// on the same machine. The header is chosen at compile time (MOIR_CODEGEN_HEADER, MOIR_CODEGEN_MODEL);
// this program holds nothing else, so `size` of it is the model's text + data.
//
// usage: codegen_latency_NAME [ITERATIONS=200]

#include MOIR_CODEGEN_HEADER

#include <algorithm>  // sort
#include <chrono>     // steady_clock
#include <cstdio>     // printf
#include <cstdlib>    // atoi

namespace model = MOIR_CODEGEN_MODEL;

namespace {
alignas(64) std::byte arena[model::arena_bytes];
float input[model::input_sizes[0]];
float output[model::output_sizes[0] + 1];
double times[100000];
}  // namespace

int main(int argc, char** argv) {
    static_assert(model::input_count == 1, "one input");
    const int n = argc > 1 ? std::atoi(argv[1]) : 200;
    if (n < 1 || n > 100000) return 2;
    unsigned state = 1;
    for (float& v : input) {
        state = state * 1664525u + 1013904223u;
        v = static_cast<float>(state >> 8) / 16777216.0f;
    }
    static float extra[model::output_count][1 << 16];
    float* outs[model::output_count];
    for (std::size_t o = 0; o < model::output_count; ++o) outs[o] = o == 0 ? output : extra[o];
    for (std::size_t o = 1; o < model::output_count; ++o)
        if (model::output_sizes[o] > (1u << 16)) return 2;
    const float* ins[] = {input};
    for (int i = 0; i < 10; ++i) model::run(ins, outs, arena);
    for (int i = 0; i < n; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        model::run(ins, outs, arena);
        const auto t1 = std::chrono::steady_clock::now();
        times[i] = std::chrono::duration<double, std::milli>(t1 - t0).count();
    }
    std::sort(times, times + n);
    std::printf("median_ms %.4f min_ms %.4f p90_ms %.4f runs %d arena_bytes %zu weight_bytes %zu (output[0] %g)\n",
                times[n / 2], times[0], times[static_cast<int>(0.9 * (n - 1) + 0.5)], n, model::arena_bytes,
                model::weight_bytes, static_cast<double>(output[0]));
    return 0;
}
