// The INT8 step family (runtime/steps/int8_convolution.hpp) and the FP32 FakeQuantize family
// (runtime/steps/fake_quantize.hpp) in compiled plans, against the reference executor, on small
// models quantized by hand in the IR form the quantization pass writes:
//   FakeQuantize(x, il, ih, il, ih, 256) -> Convolution / GroupConvolution(., Multiply(Convert(s8), scale))
//   [-> Add(bias)] [-> activation].
// Tolerance 2e-5 x max|reference|: the quantized input codes are the same (both round with
// FakeQuantize's formula), only the float arithmetic differs: the order of the sum, and the
// scales applied once to the s32 sum instead of to every weight and input.
// Chains of quantized layers are checked with a looser bound (a float difference of one ulp in a
// layer's output may move the next layer's input across a rounding boundary: one code, one step).

#include <moir/ops/add.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/fake_quantize.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // max
#include <cmath>      // fabs
#include <cstdint>    // int8_t, uint8_t, uint32_t
#include <string>     // string
#include <vector>     // vector

namespace {

using namespace moir;
namespace rt = moir::runtime;

std::uint32_t next(std::uint32_t& s) { return s = s * 1664525u + 1013904223u; }
tensor random_f32(const shape& dims, std::uint32_t seed, float lo, float hi) {
    std::vector<float> v(numel(dims));
    for (auto& x : v) x = lo + (hi - lo) * static_cast<float>(next(seed) >> 8) / static_cast<float>(1u << 24);
    return tensor::from_vector(v, dims);
}

struct qbuilder {
    model m;
    std::size_t n = 0;
    std::uint32_t seed = 11;
    int weight_top = 127;  ///< weights in [-weight_top, weight_top] (64: overflow-fixed 7-bit ones)
    /// Weights with zero points instead: Multiply(Subtract(Convert(Const u8), Const f32 zero point
    /// per output channel), scale), codes in [0, 255] and zero points 0, 255 and between (OpenVINO's
    /// asymmetric form; TFLite's uint8 weights).
    bool asymmetric = false;
    /// The weights' codes (i8, or u8 less per-channel zero points when asymmetric) as f32 with its
    /// decompression chain; channel c of element i: i / per_channel (or i % n: matmul's [K, N]).
    output_ref codes(const shape& dims, const shape& zero_dims, std::size_t channels) {
        if (!asymmetric) {
            std::vector<std::int8_t> q(numel(dims));
            for (auto& v : q)
                v = static_cast<std::int8_t>(static_cast<int>(next(seed) >> 16) % (2 * weight_top + 1) - weight_top);
            return op<ops::convert>({element_type::f32}, {constant(tensor::from_vector(q, dims))});
        }
        std::vector<std::uint8_t> q(numel(dims));
        for (auto& v : q) v = static_cast<std::uint8_t>(next(seed) >> 24);
        std::vector<float> z(channels);
        for (std::size_t c = 0; c < channels; ++c)
            z[c] = c % 3 == 0 ? 0.0f : c % 3 == 1 ? 255.0f : static_cast<float>(80 + next(seed) % 166);
        const output_ref cv = op<ops::convert>({element_type::f32}, {constant(tensor::from_vector(q, dims))});
        return op<ops::subtract>({}, {cv, constant(tensor::from_vector(z, zero_dims))});
    }
    std::string fresh(const std::string& what) { return what + std::to_string(n++); }
    output_ref param(const shape& s) {
        const node_id id = m.add<ops::parameter>({element_type::f32, partial_shape(s)}, {}, fresh("x"));
        m.parameters.push_back(id);
        return {id, 0};
    }
    output_ref constant(const tensor& t) { return {m.add<ops::constant>({t}, {}, fresh("c")), 0}; }
    output_ref scalar(float v) { return constant(tensor::from_vector(std::vector<float>{v}, shape{})); }
    template <class Op>
    output_ref op(typename Op::attrs a, std::vector<output_ref> in) {
        return {m.add<Op>(std::move(a), std::move(in), fresh(std::string(Op::name))), 0};
    }
    output_ref fq(output_ref x, float il, float ih) {
        ops::fake_quantize::attrs a;
        a.levels = 256;
        return op<ops::fake_quantize>(a, {x, scalar(il), scalar(ih), scalar(il), scalar(ih)});
    }
    /// Multiply(Convert(Const s8 [dims]), Const f32 scale [out channels, 1, ...]).
    output_ref qweights(const shape& dims, std::size_t channels_axes) {
        shape sd(dims.size(), 1);
        for (std::size_t d = 0; d < channels_axes; ++d) sd[d] = dims[d];
        const output_ref c = codes(dims, sd, numel(sd));
        const tensor scale = random_f32(sd, next(seed), asymmetric ? 0.0005f : 0.002f, asymmetric ? 0.0025f : 0.01f);
        return op<ops::multiply>({}, {c, constant(scale)});
    }
    output_ref conv(output_ref x, std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t s, std::int64_t p) {
        ops::detail::convolution_attrs a{{s, s}, {1, 1}, {p, p}, {p, p}, ops::pad_type::explicit_};
        return op<ops::convolution>(a, {x, qweights({cout, cin, k, k}, 1)});
    }
    output_ref dwconv(output_ref x, std::int64_t c, std::int64_t k, std::int64_t s, std::int64_t p) {
        ops::detail::convolution_attrs a{{s, s}, {1, 1}, {p, p}, {p, p}, ops::pad_type::explicit_};
        return op<ops::group_convolution>(a, {x, qweights({c, 1, 1, k, k}, 1)});
    }
    /// MatMul(x, B) with B quantized per output column: [K, N], or [N, K] with transpose_b.
    output_ref matmul(output_ref x, std::int64_t k, std::int64_t n, bool transpose_b) {
        const shape wd = transpose_b ? shape{n, k} : shape{k, n}, sd = transpose_b ? shape{n, 1} : shape{1, n};
        const output_ref c = codes(wd, sd, static_cast<std::size_t>(n));
        const tensor scale = random_f32(sd, next(seed), 0.002f, 0.01f);
        ops::matmul::attrs a;
        a.transpose_b = transpose_b;
        return op<ops::matmul>(a, {x, op<ops::multiply>({}, {c, constant(scale)})});
    }
    output_ref bias(output_ref x, std::int64_t c) {
        return op<ops::add>({}, {x, constant(random_f32({1, c, 1, 1}, next(seed), -0.5f, 0.5f))});
    }
    void output(output_ref r) { m.results.push_back(m.add<ops::result>({}, {r}, fresh("y"))); }
};

void check_close(const std::vector<tensor>& got, const std::vector<tensor>& want, double rel) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        REQUIRE(got[i].dims() == want[i].dims());
        const auto g = got[i].to_vector<double>(), w = want[i].to_vector<double>();
        double scale = 1e-3, worst = 0.0;
        for (double v : w) scale = std::max(scale, std::fabs(v));
        for (std::size_t j = 0; j < g.size(); ++j) worst = std::max(worst, std::fabs(g[j] - w[j]));
        CHECK_MESSAGE(worst <= rel * scale, "output " << i << ": max abs diff " << worst << " (scale " << scale << ")");
    }
}

std::vector<std::string> arches() {
    std::vector<std::string> a;
    for (const char* name : {"reference", "avx2", "avx512"})
        if (rt::fp32_table_named(name)) a.push_back(name);
    return a;
}

std::size_t count_kernel(const rt::plan& p, const std::string& part) {
    std::size_t n = 0;
    for (const auto& s : p.steps()) n += s->kernel.find(part) != std::string::npos;
    return n;
}

/// Symmetric activations: codes 0..255 with 0.0 at code 128 (exact).
constexpr float sym_scale = 1.0f / 100.0f;
constexpr float sym_lo = -128.0f * sym_scale, sym_hi = 127.0f * sym_scale;

}  // namespace

TEST_CASE("int8 plan: one FakeQuantize feeding a 1x1 conv and a depthwise conv, padded 3x3, unpadded with an inexact zero") {
    qbuilder b;
    const auto x = b.param({1, 13, 11, 9});
    const auto q = b.fq(x, sym_lo, sym_hi);
    b.output(b.op<ops::hswish>({}, {b.bias(b.conv(q, 13, 17, 1, 1, 0), 17)}));  // 1x1 GEMM, zp 128
    const auto dw = b.op<ops::relu>({}, {b.bias(b.dwconv(q, 13, 3, 2, 1), 13)});  // depthwise s2, padded
    b.output(dw);
    const auto x2 = b.param({1, 6, 10, 7});
    // il = 0: a non-negative tensor, zp 0; a padded 3x3 stride-2 conv with clamp
    b.output(b.op<ops::clamp>({-0.5, 0.5}, {b.conv(b.fq(x2, 0.0f, 0.9f), 6, 5, 3, 2, 1)}));
    // il = -0.3 with ih = 0.7: 0.0 has no code (76.5), allowed only without padding
    b.output(b.conv(b.fq(x2, -0.3f, 0.7f), 6, 4, 3, 1, 0));
    b.m.validate();
    const model& m = b.m;
    const std::vector<tensor> in{random_f32({1, 13, 11, 9}, 5, -1.5f, 1.5f), random_f32({1, 6, 10, 7}, 6, -0.4f, 1.0f)};
    const auto want = reference_executor<>(m).run(in);
    for (const auto& arch : arches())
        for (std::size_t threads : {1, 2}) {
            CAPTURE(arch);
            CAPTURE(threads);
            rt::plan_options o;
            o.arch = arch, o.threads = threads;
            rt::plan p(m, {in[0].dims(), in[1].dims()}, o);
            check_close(p.run(in), want, 2e-5);
            check_close(p.run(in), want, 2e-5);
            CHECK(count_kernel(p, "quantize_u8.") == 3);
            CHECK(count_kernel(p, "+i8conv1x1.") == 1);
            CHECK(count_kernel(p, "+i8dw3x3.") == 1);
            CHECK(count_kernel(p, "+i8conv3x3.") == 2);
            MESSAGE(arch << " x" << threads << ": int8 kernels " << p.int8_arch() << ", " << p.steps().size() << " steps");
            // the same model with INT8 off: FakeQuantize in FP32, convolutions on the folded weights
            o.int8 = false;
            rt::plan f(m, {in[0].dims(), in[1].dims()}, o);
            check_close(f.run(in), want, 2e-5);
            CHECK(count_kernel(f, "quantize_u8.") == 0);
            CHECK(count_kernel(f, "fake_quantize.") == 3);
        }
}

TEST_CASE("int8 plan: 7-bit weights run on the arch's pairs flavour (avx2.pairs; k x k convolutions of stride 1 and 2 "
          "on its direct path), 8-bit ones on the exact kernel") {
    qbuilder b;
    const auto x = b.param({1, 21, 9, 13});
    const auto q = b.fq(x, sym_lo, sym_hi);
    b.weight_top = 64;
    b.output(b.op<ops::hswish>({}, {b.bias(b.conv(q, 21, 19, 1, 1, 0), 19)}));  // 1x1, 7-bit
    b.output(b.bias(b.conv(q, 21, 6, 3, 2, 1), 6));                             // 3x3 s2 padded: direct
    b.output(b.op<ops::relu>({}, {b.conv(q, 21, 7, 3, 1, 1)}));                  // 3x3 s1: the direct path
    b.output(b.conv(q, 21, 4, 5, 1, 2));                                        // 5x5 s1: direct, own padding
    b.weight_top = 127;
    b.output(b.conv(q, 21, 5, 1, 1, 0));  // 8-bit: the exact kernel
    b.m.validate();
    const std::vector<tensor> in{random_f32({1, 21, 9, 13}, 8, -1.5f, 1.5f)};
    const auto want = reference_executor<>(b.m).run(in);
    for (const auto& arch : arches())
        for (std::size_t threads : {1, 3}) {
            CAPTURE(arch);
            CAPTURE(threads);
            rt::plan_options o;
            o.arch = arch, o.threads = threads;
            rt::plan p(b.m, {in[0].dims()}, o);
            check_close(p.run(in), want, 2e-5);
            CHECK(count_kernel(p, "quantize_u8.") == 1);
            const bool pairs = p.int8_arch() == "avx2";  // the one arch with a pairs flavour
            CHECK(count_kernel(p, ".pairs") == (pairs ? 1 : 0));  // one step holds all three
            CHECK(count_kernel(p, "i8conv1x1.avx2.pairs") == (pairs ? 1 : 0));
            // the stride-2 one (space-to-depth), then the stride-1 one
            CHECK(count_kernel(p, "i8conv3x3.avx2.pairs.direct+i8conv3x3.avx2.pairs.direct+relu") == (pairs ? 1 : 0));
            CHECK(count_kernel(p, "i8conv5x5.avx2.pairs.direct") == (pairs ? 1 : 0));
            MESSAGE(arch << " x" << threads << ": " << p.steps().front()->kernel);
        }
}

TEST_CASE("int8 plan: a FakeQuantize with a consumer that is not a quantized convolution stays FP32") {
    qbuilder b;
    const auto x = b.param({1, 5, 7, 8});
    const auto q = b.fq(x, sym_lo, sym_hi);
    b.output(b.conv(q, 5, 3, 1, 1, 0));
    b.output(q);  // the FakeQuantize output itself is a model output
    const auto x2 = b.param({1, 4, 6, 6});
    const auto q2 = b.fq(x2, 0.0f, 1.0f);  // padded conv with f32 weights (not quantized)
    ops::detail::convolution_attrs a{{1, 1}, {1, 1}, {1, 1}, {1, 1}, ops::pad_type::explicit_};
    b.output(b.op<ops::convolution>(a, {q2, b.constant(random_f32({3, 4, 3, 3}, 9, -1.0f, 1.0f))}));
    const auto x3 = b.param({1, 4, 6, 6});  // 0.0 without a code under a padded conv
    b.output(b.conv(b.fq(x3, -0.3f, 0.7f), 4, 2, 3, 1, 1));
    b.m.validate();
    const std::vector<tensor> in{random_f32({1, 5, 7, 8}, 1, -1.5f, 1.5f), random_f32({1, 4, 6, 6}, 2, -0.2f, 1.2f),
                                 random_f32({1, 4, 6, 6}, 3, -0.5f, 1.0f)};
    const auto want = reference_executor<>(b.m).run(in);
    for (const auto& arch : arches()) {
        CAPTURE(arch);
        rt::plan_options o;
        o.arch = arch, o.threads = 1;
        rt::plan p(b.m, {in[0].dims(), in[1].dims(), in[2].dims()}, o);
        check_close(p.run(in), want, 2e-5);
        CHECK(count_kernel(p, "quantize_u8.") == 0);
        CHECK(count_kernel(p, "fake_quantize.") == 3);
    }
}

TEST_CASE("int8 plan: a chain of quantized layers (looser bound: codes may move by one at rounding boundaries)") {
    qbuilder b;
    const auto x = b.param({2, 8, 12, 10});  // batch 2
    auto y = b.op<ops::hswish>({}, {b.bias(b.conv(b.fq(x, sym_lo, sym_hi), 8, 16, 3, 2, 1), 16)});
    y = b.op<ops::relu>({}, {b.bias(b.dwconv(b.fq(y, -0.375f, 3.0f), 16, 5, 1, 2), 16)});
    y = b.bias(b.conv(b.fq(y, 0.0f, 4.0f), 16, 7, 1, 1, 0), 7);
    b.output(y);
    b.m.validate();
    const std::vector<tensor> in{random_f32({2, 8, 12, 10}, 4, -1.3f, 1.3f)};
    const auto want = reference_executor<>(b.m).run(in);
    for (const auto& arch : arches()) {
        CAPTURE(arch);
        rt::plan_options o;
        o.arch = arch, o.threads = 2;
        rt::plan p(b.m, {in[0].dims()}, o);
        check_close(p.run(in), want, 1e-2);
        // the 5x5 depthwise reads padding under il = -0.375 (0.0 has no code): it stays FP32
        CHECK(count_kernel(p, "quantize_u8.") == 2);
        CHECK(count_kernel(p, "fake_quantize.") == 1);
    }
}

TEST_CASE("int8 plan: MatMul with a constant quantized B on the INT8 GEMM (codes transposed, Y^T transposed back), "
          "with bias and activation, transpose_b, batch dims, 7- and 8-bit weights") {
    qbuilder b;
    const auto x = b.param({2, 37, 45});  // R = 74 rows over the batch
    const auto q = b.fq(x, sym_lo, sym_hi);
    // two MatMuls of one FakeQuantize: they share the transposed codes
    b.output(b.op<ops::relu>({}, {b.op<ops::add>({}, {b.matmul(q, 45, 29, false),
                                                     b.constant(random_f32({29}, 3, -0.5f, 0.5f))})}));
    b.weight_top = 64;
    b.output(b.matmul(q, 45, 17, true));  // 7-bit: the pairs flavour where there is one
    b.weight_top = 127;
    const auto x2 = b.param({1, 3, 5, 130});  // K = 130 (odd k-groups), il = 0 (zp 0)
    b.output(b.op<ops::hswish>({}, {b.matmul(b.fq(x2, 0.0f, 2.0f), 130, 9, true)}));
    const auto x3 = b.param({3, 11});  // an activation x activation MatMul stays FP32
    const auto q3 = b.fq(x3, sym_lo, sym_hi);
    b.output(b.op<ops::matmul>({}, {q3, b.param({11, 4})}));
    b.m.validate();
    const std::vector<tensor> in{random_f32({2, 37, 45}, 21, -1.5f, 1.5f), random_f32({1, 3, 5, 130}, 22, -0.1f, 2.2f),
                                 random_f32({3, 11}, 23, -1.0f, 1.0f), random_f32({11, 4}, 24, -1.0f, 1.0f)};
    const auto want = reference_executor<>(b.m).run(in);
    for (const auto& arch : arches())
        for (std::size_t threads : {1, 2, 3}) {
            CAPTURE(arch);
            CAPTURE(threads);
            rt::plan_options o;
            o.arch = arch, o.threads = threads;
            rt::plan p(b.m, {in[0].dims(), in[1].dims(), in[2].dims(), in[3].dims()}, o);
            check_close(p.run(in), want, 2e-5);
            check_close(p.run(in), want, 2e-5);
            CHECK(count_kernel(p, "quantize_u8.") == 2);
            CHECK(count_kernel(p, "+i8matmul.") == 2);  // the two steps; the first holds two MatMuls
            CHECK(count_kernel(p, "+relu") == 1);
            CHECK(count_kernel(p, "+hswish") == 1);
            CHECK(count_kernel(p, "i8matmul.avx2.pairs") == (p.int8_arch() == "avx2" ? 1 : 0));
            CHECK(count_kernel(p, "fake_quantize.") == 1);  // x3's
            MESSAGE(arch << " x" << threads << ": " << p.steps().front()->kernel);
        }
}

TEST_CASE("int8 plan: weights with zero points (u8 codes, Subtract of per-channel zero points 0..255): 1x1, 3x3 "
          "(im2col, not the direct path), depthwise 3x3 and 5x5, MatMul; exact integer sums, as FP32 otherwise") {
    qbuilder b;
    b.asymmetric = true;
    const auto x = b.param({1, 13, 11, 9});
    const auto q = b.fq(x, sym_lo, sym_hi);
    b.output(b.op<ops::hswish>({}, {b.bias(b.conv(q, 13, 17, 1, 1, 0), 17)}));  // 1x1 GEMM
    b.output(b.op<ops::relu>({}, {b.bias(b.dwconv(q, 13, 3, 2, 1), 13)}));      // depthwise s2, padded
    b.output(b.dwconv(q, 13, 5, 1, 2));                                         // depthwise 5x5
    const auto x2 = b.param({1, 6, 10, 7});
    b.output(b.op<ops::clamp>({-0.5, 0.5}, {b.conv(b.fq(x2, 0.0f, 0.9f), 6, 5, 3, 2, 1)}));  // zp 0, padded
    const auto x3 = b.param({2, 5, 45});
    const auto q3 = b.fq(x3, sym_lo, sym_hi);
    b.output(b.matmul(q3, 45, 29, false));
    b.output(b.matmul(q3, 45, 17, true));
    b.m.validate();
    const std::vector<tensor> in{random_f32({1, 13, 11, 9}, 5, -1.5f, 1.5f), random_f32({1, 6, 10, 7}, 6, -0.4f, 1.0f),
                                 random_f32({2, 5, 45}, 7, -1.5f, 1.5f)};
    const auto want = reference_executor<>(b.m).run(in);
    for (const auto& arch : arches())
        for (std::size_t threads : {1, 2}) {
            CAPTURE(arch);
            CAPTURE(threads);
            rt::plan_options o;
            o.arch = arch, o.threads = threads;
            rt::plan p(b.m, {in[0].dims(), in[1].dims(), in[2].dims()}, o);
            check_close(p.run(in), want, 2e-5);
            check_close(p.run(in), want, 2e-5);
            CHECK(count_kernel(p, "quantize_u8.") == 3);
            CHECK(count_kernel(p, "+i8conv1x1.") == 1);
            CHECK(count_kernel(p, "+i8dw3x3.") == 1);
            CHECK(count_kernel(p, "+i8dw5x5.") == 1);
            CHECK(count_kernel(p, "+i8conv3x3.") == 1);
            CHECK(count_kernel(p, ".direct") == 0);
            CHECK(count_kernel(p, "+i8matmul.") == 1);  // one step, two MatMuls
            CHECK(count_kernel(p, "fake_quantize.") == 0);
            MESSAGE(arch << " x" << threads << ": " << p.steps().front()->kernel);
        }
}

TEST_CASE("int8 plan: requantization: a 1x1 or depthwise layer read only by another INT8 step's FakeQuantize writes "
          "its u8 codes (bit-identical results to writing f32 and quantizing again)") {
    qbuilder b;
    b.weight_top = 64;
    const auto x = b.param({2, 11, 13, 21});  // batch 2, 273 columns: partial tiles
    // (0.0 has the code 25 under [-0.25, 2.3]: the padded depthwise can be INT8)
    // expand 1x1 + hswish -> [requant] -> dw 3x3 s1 + relu -> [requant] -> 1x1 (two consumers: a
    // 1x1 and a stride-2 1x1 on the im2col path) -> f32
    auto y = b.op<ops::hswish>({}, {b.bias(b.conv(b.fq(x, sym_lo, sym_hi), 11, 37, 1, 1, 0), 37)});
    y = b.op<ops::relu>({}, {b.bias(b.dwconv(b.fq(y, -0.25f, 2.3f), 37, 3, 1, 1), 37)});
    const auto q = b.fq(y, 0.0f, 3.0f);
    b.output(b.bias(b.conv(q, 37, 9, 1, 1, 0), 9));
    b.output(b.conv(q, 37, 5, 1, 2, 0));
    // 1x1 read by a FakeQuantize and by a model output: stays f32
    const auto z = b.bias(b.conv(b.fq(x, sym_lo, sym_hi), 11, 6, 1, 1, 0), 6);
    b.output(z);
    b.output(b.conv(b.fq(z, sym_lo, sym_hi), 6, 4, 1, 1, 0));
    // 1x1 read by a FakeQuantize whose consumer is on the direct path (3x3 s1): stays f32
    const auto d = b.conv(b.fq(x, sym_lo, sym_hi), 11, 8, 1, 1, 0);
    b.output(b.conv(b.fq(d, sym_lo, sym_hi), 8, 3, 3, 1, 1));
    b.m.validate();
    const std::vector<tensor> in{random_f32({2, 11, 13, 21}, 31, -1.5f, 1.5f)};
    const auto want = reference_executor<>(b.m).run(in);
    for (const auto& arch : arches())
        for (std::size_t threads : {1, 2, 3}) {
            CAPTURE(arch);
            CAPTURE(threads);
            rt::plan_options o;
            o.arch = arch, o.threads = threads;
            rt::plan p(b.m, {in[0].dims()}, o);
            o.int8_requantize = false;
            rt::plan f(b.m, {in[0].dims()}, o);
            const auto got = p.run(in), plain = f.run(in);
            check_close(got, want, 1e-2);  // a chain: codes may move by one at rounding boundaries
            REQUIRE(got.size() == plain.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                CAPTURE(i);
                CHECK(got[i].to_vector<float>() == plain[i].to_vector<float>());
            }
            CHECK(p.run(in)[0].to_vector<float>() == got[0].to_vector<float>());  // a second run
            // the expand 1x1 and the depthwise; and d's 1x1 where the arch has no direct path
            const std::size_t direct = count_kernel(p, ".direct");
            CHECK(count_kernel(p, "+requant") == (direct ? 2 : 3));
            CHECK(count_kernel(p, "codes_in.") == (direct ? 2 : 3));
            CHECK(count_kernel(f, "+requant") == 0);
            CHECK(count_kernel(f, "codes_in.") == 0);
            MESSAGE(arch << " x" << threads << ": " << p.steps().size() << " steps; " << p.steps()[1]->kernel);
        }
}

TEST_CASE("int8 plan: ConvolutionBackpropData with quantized weights on the INT8 GEMM (2x2 stride 2 + bias + relu; "
          "3x3 stride 2 padded with output padding: overlapping taps), batch 2, 7- and 8-bit weights") {
    for (int v = 0; v < 2; ++v) {
        CAPTURE(v);
        qbuilder b;
        b.weight_top = v ? 127 : 64;
        const auto x = b.param({2, 13, 7, 9});
        ops::detail::convolution_backprop_attrs a;
        a.strides = {2, 2};
        a.dilations = {1, 1};
        a.pads_begin = v ? std::vector<std::int64_t>{1, 1} : std::vector<std::int64_t>{0, 0};
        a.pads_end = a.pads_begin;
        if (v) a.output_padding = {1, 0};
        const std::int64_t k = v ? 3 : 2, cout = 5;
        // weights [C_in, C_out, k, k] with per-output-channel scales [1, C_out, 1, 1]
        std::vector<std::int8_t> wq(static_cast<std::size_t>(13 * cout * k * k));
        for (auto& w : wq)
            w = static_cast<std::int8_t>(static_cast<int>(next(b.seed) >> 16) % (2 * b.weight_top + 1) - b.weight_top);
        const auto wc = b.op<ops::convert>({element_type::f32}, {b.constant(tensor::from_vector(wq, shape{13, cout, k, k}))});
        const auto w = b.op<ops::multiply>({}, {wc, b.constant(random_f32({1, cout, 1, 1}, 77, 0.002f, 0.01f))});
        auto y = b.op<ops::convolution_backprop_data>(a, {b.fq(x, v ? sym_lo : 0.0f, v ? sym_hi : 2.0f), w});
        y = b.bias(y, cout);
        y = v ? b.op<ops::sigmoid>({}, {y}) : b.op<ops::relu>({}, {y});
        b.output(y);
        b.m.validate();
        const std::vector<tensor> in{random_f32({2, 13, 7, 9}, 61, -1.5f, 2.5f)};
        const auto want = reference_executor<>(b.m).run(in);
        for (const auto& arch : arches())
            for (std::size_t threads : {1, 2, 3}) {
                CAPTURE(arch);
                CAPTURE(threads);
                rt::plan_options o;
                o.arch = arch, o.threads = threads;
                rt::plan p(b.m, {in[0].dims()}, o);
                check_close(p.run(in), want, 2e-5);
                check_close(p.run(in), want, 2e-5);
                REQUIRE(p.steps().size() == 1);
                CHECK(p.steps()[0]->kernel.find("quantize_u8.") == 0);
                CHECK(count_kernel(p, "+i8deconv" + std::to_string(k) + "x" + std::to_string(k) + ".") == 1);
                // 7-bit weights (overflow_fix gives deconvolutions those too) on the pairs flavour
                CHECK(count_kernel(p, ".pairs") == (v == 0 && p.int8_arch() == "avx2" ? 1 : 0));
                CHECK(count_kernel(p, "fake_quantize.") == 0);
                MESSAGE(arch << " x" << threads << ": " << p.steps()[0]->kernel);
            }
    }
}

TEST_CASE("int8 plan: per-channel input ranges with one output range (channel-smoothed activations) quantize plane by "
          "plane on the INT8 step; the direct path and deconvolutions decline them") {
    qbuilder b;
    const std::int64_t c = 11;
    const auto x = b.param({2, c, 7, 9});
    // channel k's range is [lo, hi] * s_k: the input x / s_k on the output grid [lo, hi]
    std::vector<float> s(c), il(c), ih(c);
    const float lo = -0.6f, hi = 1.4f;
    for (std::int64_t k = 0; k < c; ++k) s[k] = 0.25f + 0.5f * static_cast<float>(k), il[k] = lo * s[k], ih[k] = hi * s[k];
    auto channels = [&](const std::vector<float>& v) { return b.constant(tensor::from_vector(v, shape{1, c, 1, 1})); };
    ops::fake_quantize::attrs fa;
    fa.levels = 256;
    const auto q = b.op<ops::fake_quantize>(fa, {x, channels(il), channels(ih), b.scalar(lo), b.scalar(hi)});
    b.output(b.bias(b.conv(q, c, 13, 1, 1, 0), 13));   // 1x1: GEMM
    b.output(b.op<ops::relu>({}, {b.conv(q, c, 5, 3, 1, 0)}));  // 3x3 unpadded: im2col, not direct
    b.m.validate();
    std::vector<tensor> in{random_f32({2, c, 7, 9}, 9, -1.0f, 1.0f)};
    {  // widen each channel to its own range, so that one range would serve them badly
        auto v = in[0].to_vector<float>();
        for (std::size_t i = 0; i < v.size(); ++i) v[i] *= s[(i / 63) % c] * 1.3f;
        in[0] = tensor::from_vector(v, in[0].dims());
    }
    const auto want = reference_executor<>(b.m).run(in);
    for (const auto& arch : arches())
        for (std::size_t threads : {1, 2}) {
            CAPTURE(arch);
            CAPTURE(threads);
            rt::plan_options o;
            o.arch = arch, o.threads = threads;
            rt::plan p(b.m, {in[0].dims()}, o);
            check_close(p.run(in), want, 2e-5);
            CHECK(count_kernel(p, "quantize_u8.") == 1);
            CHECK(count_kernel(p, "+i8conv1x1.") == 1);
            CHECK(count_kernel(p, ".direct") == 0);
            CHECK(count_kernel(p, "fake_quantize") == 0);
        }
    // one output range is required: per-channel output ranges stay with the reference family
    qbuilder b2;
    const auto x2 = b2.param({1, 4, 5, 5});
    auto ch2 = [&](float v) { return b2.constant(tensor::from_vector(std::vector<float>{v, 2 * v, 3 * v, 4 * v}, shape{1, 4, 1, 1})); };
    const auto q2 = b2.op<ops::fake_quantize>(fa, {x2, ch2(-0.5f), ch2(0.5f), ch2(-0.5f), ch2(0.5f)});
    b2.output(b2.conv(q2, 4, 3, 1, 1, 0));
    b2.m.validate();
    const std::vector<tensor> in2{random_f32({1, 4, 5, 5}, 3, -2.0f, 2.0f)};
    rt::plan p2(b2.m, {in2[0].dims()}, {});
    check_close(p2.run(in2), reference_executor<>(b2.m).run(in2), 2e-5);
    CHECK(count_kernel(p2, "quantize_u8.") == 0);
}
