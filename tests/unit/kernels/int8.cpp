// The INT8 fast kernels (GEMM, convolution, depthwise) against the scalar s32 oracles of
// kernels/reference/int8_gemm.hpp, on every INT8 arch this program has and the CPU runs (the others
// are reported as skipped): with unit scales the f32 outputs must equal the s32 accumulators
// exactly (every test accumulator is below 2^24, so float holds it exactly); with real scales,
// shifts and every activation, within 1e-5 relative of the epilogue computed in double. Sizes are
// awkward on purpose: M, N, channels and widths not multiples of any vector or tile, K not a
// multiple of the k-group (4 for VNNI, 2 for AVX2), 1x1 images, stride 2 on odd sizes, zero points 0,
// 128 and an odd one. An arch's pairs flavour (avx2.pairs: vpmaddubsw, whose s16 pair sums are exact
// only for weights that fit) is tested as an arch of its own on 7-bit weights, a third of them at
// +-64, where a pair of 255 x 64 products is the largest s16 sum it must hold.

#include "support.hpp"

#include <unit/kernels/int8_oracle.hpp>

#include <cmath>    // nextafter, sqrt
#include <iterator>  // size
#include <limits>   // numeric_limits
#include <cstdint>  // int8_t, int16_t, int32_t, uint8_t
#include <string>   // string, to_string
#include <tuple>    // tuple
#include <utility>  // pair
#include <vector>   // vector

using namespace moir;
using namespace moir::test;
namespace ks = moir::kernels::simd;
namespace kr = moir::kernels::reference;

namespace {

/// One kernel flavour to test: an INT8 arch's table with its own blocking, or its pairs flavour's
/// (avx2.pairs: fed 7-bit weights, which always fit it).
struct flavour {
    std::string first;
    const ks::int8_kernel_table* table = nullptr;
    ks::int8_blocking blocking;
};

/// The flavours of each INT8 arch compiled in and available; reports the skipped ones once.
std::vector<flavour> int8_arches() {
    std::vector<flavour> r;
    static bool reported = false;
    for_each_type(arch::int8_arches{}, [&](auto tag) {
        using Arch = typename decltype(tag)::type;
        if (const auto* t = runtime::int8_table_if_usable<Arch>()) {
            r.push_back({std::string(Arch::name), t, t->blocking});
            if (t->pairs_blocking.pairs) r.push_back({std::string(t->pairs_blocking.arch), t, t->pairs_blocking});
        } else if (!reported) {
            const std::string why = runtime::compiled_in<Arch>() ? "not available on this CPU" : "not compiled in";
            MESSAGE("int8 arch " << Arch::name << " skipped: " << why);
        }
    });
    if (!reported) {
        std::string names;
        for (const auto& a : r) names += " " + a.first;
        MESSAGE("int8 arches tested:" << names);
    }
    reported = true;
    return r;
}

std::vector<std::uint8_t> random_u8(std::size_t n, std::uint32_t seed) {
    std::vector<std::uint8_t> v(n);
    std::uint32_t s = seed * 2654435761u + 99u;
    for (auto& x : v) {
        s = s * 1664525u + 1013904223u;
        x = static_cast<std::uint8_t>(s >> 24);
    }
    return v;
}
/// s8 weights in [-127, 127] (the symmetric range; -128 never occurs), or [-64, 64] for a pairs
/// blocking (overflow-fixed 7-bit weights), about a third of them at the ends of the range.
std::vector<std::int8_t> random_s8(std::size_t n, std::uint32_t seed, const ks::int8_blocking& bl = {}) {
    std::vector<std::int8_t> v(n);
    std::uint32_t s = seed * 2654435761u + 7u;
    const std::uint32_t top = bl.pairs ? 64u : 127u;
    for (auto& x : v) {
        s = s * 1664525u + 1013904223u;
        const std::uint32_t r = s >> 16;
        x = static_cast<std::int8_t>(r % 3u == 0 ? (r & 8u ? std::int32_t(top) : -std::int32_t(top))
                                                 : static_cast<std::int32_t>(r % (2 * top + 1)) - std::int32_t(top));
    }
    return v;
}

/// Exact check: got[i] == float(want[i]) (unit scale, zero shift).
std::size_t count_inexact(const float* got, const std::vector<std::int32_t>& want, const std::string& what) {
    std::size_t bad = 0;
    for (std::size_t i = 0; i < want.size(); ++i)
        if (got[i] != static_cast<float>(want[i])) {
            if (bad == 0) MESSAGE(what << ": element " << i << " is " << got[i] << ", expected " << want[i]);
            ++bad;
        }
    return bad;
}

/// act(acc * scale[row] + shift[row]) in double; rows of `plane` elements.
std::vector<double> epilogue_of(const std::vector<std::int32_t>& acc, std::size_t plane, const std::vector<float>& scale,
                                const std::vector<float>& shift, activation a) {
    std::vector<double> r(acc.size());
    for (std::size_t i = 0; i < acc.size(); ++i) {
        const std::size_t row = i / plane;
        r[i] = apply_activation(a, double(acc[i]) * scale[row] + shift[row], -0.25, 0.5);
    }
    return r;
}

/// Per-row scales that bring acc of K terms to about [-1, 1], and shifts in [-0.5, 0.5].
std::pair<std::vector<float>, std::vector<float>> scales_for(std::size_t rows, std::size_t k, std::uint32_t seed) {
    auto s = random_floats(rows, seed), h = random_floats(rows, seed + 1);
    for (auto& v : s) v = static_cast<float>((1.25 + 0.5 * v) / (255.0 * 127.0 * std::sqrt(double(k)) * 0.3));
    for (auto& v : h) v *= 0.5f;
    return {s, h};
}

constexpr std::int32_t zero_points[] = {0, 128, 37};

}  // namespace

TEST_CASE("int8 gemm: s32-exact against the scalar oracle, and the epilogue, on awkward sizes") {
    for (const auto& [name, table, blocking] : int8_arches()) {
        std::size_t failures = 0, run = 0, i = 0;
        for (std::size_t m : {1, 3, 7, 13, 17, 33})
            for (std::size_t k : {1, 3, 5, 7, 13, 124, 129, 257})
                for (std::size_t n : {1, 5, 13, 31, 47, 64, 80, 129}) {
                    const std::int32_t zp = zero_points[i % 3];
                    const activation act = all_activations[i % std::size(all_activations)];
                    ++i;
                    const auto w = random_s8(m * k, 1 + std::uint32_t(i), blocking);
                    const auto x0 = random_u8(k * n, 2 + std::uint32_t(i));
                    const auto want = kr::int8_gemm(w.data(), x0.data(), m, k, n, zp);
                    // B and C with row strides wider than N: the kernel must honour ldb and ldc
                    const std::size_t ldb = n + 3, ldc = n + 5;
                    std::vector<std::uint8_t> x(k * ldb, 0xEE);
                    for (std::size_t r = 0; r < k; ++r)
                        for (std::size_t j = 0; j < n; ++j) x[r * ldb + j] = x0[r * n + j];
                    const ks::packed_int8_a pa = ks::pack_int8_a(blocking, w.data(), m, k, std::ptrdiff_t(k), zp);
                    std::vector<float> scratch(ks::int8_gemm_scratch_bytes(blocking, k, n) / 4 + 16);
                    const std::string what = name + " int8_gemm m=" + std::to_string(m) + " k=" + std::to_string(k) +
                                             " n=" + std::to_string(n) + " zp=" + std::to_string(zp);
                    // exact: unit scale, no shift, no activation
                    const std::vector<float> ones(m, 1.0f);
                    ks::int8_epilogue e;
                    e.scale = ones.data();
                    std::vector<float> c(m * ldc, -9.0f), got(m * n);
                    table->gemm(pa, x.data(), std::ptrdiff_t(ldb), n, c.data(), std::ptrdiff_t(ldc), e, scratch.data());
                    bool pad_ok = true;
                    for (std::size_t r = 0; r < m; ++r) {
                        for (std::size_t j = 0; j < n; ++j) got[r * n + j] = c[r * ldc + j];
                        for (std::size_t j = n; j < ldc; ++j) pad_ok = pad_ok && c[r * ldc + j] == -9.0f;
                    }
                    if (!pad_ok) MESSAGE(what << ": wrote outside the N columns");
                    failures += count_inexact(got.data(), want, what) + !pad_ok;
                    // the epilogue: scale, shift, activation
                    const auto [scale, shift] = scales_for(m, k, std::uint32_t(i));
                    e.scale = scale.data();
                    e.shift = shift.data();
                    e.act.act = act;
                    e.act.lo = -0.25f, e.act.hi = 0.5f;
                    table->gemm(pa, x0.data(), std::ptrdiff_t(n), n, got.data(), std::ptrdiff_t(n), e, scratch.data());
                    const auto epi = epilogue_of(want, n, scale, shift, act);
                    failures += count_mismatches(got.data(), epi, what + " " + name_of(act));
                    // transposed store: element (r, j) at ct[j * ldt + r], ldt wider than M
                    e.transposed = true;
                    const std::size_t ldt = m + 2;
                    std::vector<float> ct(n * ldt, -9.0f);
                    table->gemm(pa, x0.data(), std::ptrdiff_t(n), n, ct.data(), std::ptrdiff_t(ldt), e, scratch.data());
                    bool tpad_ok = true;
                    for (std::size_t j = 0; j < n; ++j) {
                        for (std::size_t r = 0; r < m; ++r) got[r * n + j] = ct[j * ldt + r];
                        for (std::size_t r = m; r < ldt; ++r) tpad_ok = tpad_ok && ct[j * ldt + r] == -9.0f;
                    }
                    if (!tpad_ok) MESSAGE(what << ": transposed, wrote outside the M columns");
                    failures += count_mismatches(got.data(), epi, what + " transposed") + !tpad_ok;
                    ++run;
                }
        INFO(name);
        CHECK(failures == 0);
        CHECK(run > 0);
    }
}

namespace {
ks::conv_geometry geometry(std::size_t groups, std::size_t cin, std::size_t cout, std::size_t h, std::size_t w,
                           std::size_t k, std::size_t s, std::size_t pad, std::size_t dil = 1) {
    ks::conv_geometry g;
    g.groups = groups, g.in_c = cin, g.out_c = cout, g.in_h = h, g.in_w = w;
    g.kh = g.kw = k, g.sh = g.sw = s, g.dh = g.dw = dil;
    g.pt = g.pl = std::ptrdiff_t(pad);
    g.out_h = (h + 2 * pad - dil * (k - 1) - 1) / s + 1;
    g.out_w = (w + 2 * pad - dil * (k - 1) - 1) / s + 1;
    return g;
}
}  // namespace

TEST_CASE("int8 conv (1x1 GEMM and im2col): s32-exact and epilogue, odd sizes, strides, groups, padding") {
    const std::vector<ks::conv_geometry> geos = {
        geometry(1, 5, 7, 9, 11, 1, 1, 0),    // pointwise, K = 5
        geometry(1, 16, 24, 6, 10, 1, 1, 0),  // pointwise
        geometry(1, 3, 8, 13, 17, 3, 2, 1),   // stem-like: 3 -> 8, stride 2, odd sizes, K = 27
        geometry(1, 6, 5, 7, 9, 3, 1, 1),     // 3x3 same
        geometry(1, 4, 3, 1, 1, 3, 1, 1),     // 1x1 image under a padded 3x3
        geometry(2, 3, 5, 8, 7, 3, 2, 1),     // groups, stride 2
        geometry(1, 5, 6, 9, 9, 3, 1, 2, 2),  // dilation 2
        geometry(1, 7, 9, 11, 12, 5, 2, 2),   // 5x5 stride 2
        geometry(1, 9, 4, 5, 6, 1, 2, 0),     // 1x1 stride 2 (not pointwise: im2col path)
        geometry(1, 33, 19, 7, 5, 2, 1, 0),   // even kernel, no pad
    };
    for (const auto& [name, table, blocking] : int8_arches()) {
        std::size_t failures = 0, i = 0;
        for (const auto& g : geos) {
            for (std::int32_t zp : zero_points) {
                const activation act = all_activations[i % std::size(all_activations)];
                ++i;
                const std::size_t k = g.in_c * g.kh * g.kw, channels = g.groups * g.out_c, plane = g.out_h * g.out_w;
                const auto w = random_s8(channels * k, 11 + std::uint32_t(i), blocking);
                const auto x = random_u8(g.groups * g.in_c * g.in_h * g.in_w, 12 + std::uint32_t(i));
                const auto want = kr::int8_conv(g, w.data(), x.data(), zp);
                const ks::packed_int8_conv p = ks::pack_int8_conv(blocking, w.data(), g, zp);
                std::vector<float> scratch(ks::int8_conv_scratch_bytes(p) / 4 + 16);
                const std::string what = name + " int8_conv g=" + std::to_string(g.groups) + " " +
                                         std::to_string(g.in_c) + "->" + std::to_string(g.out_c) + " " +
                                         std::to_string(g.in_h) + "x" + std::to_string(g.in_w) + " k" +
                                         std::to_string(g.kh) + " s" + std::to_string(g.sh) + " zp=" + std::to_string(zp);
                const std::vector<float> ones(channels, 1.0f);
                ks::int8_epilogue e;
                e.scale = ones.data();
                std::vector<float> y(channels * plane, -9.0f);
                table->conv(p, x.data(), y.data(), e, scratch.data());
                failures += count_inexact(y.data(), want, what);
                const auto [scale, shift] = scales_for(channels, k, std::uint32_t(i));
                e.scale = scale.data();
                e.shift = shift.data();
                e.act.act = act;
                e.act.lo = -0.25f, e.act.hi = 0.5f;
                table->conv(p, x.data(), y.data(), e, scratch.data());
                failures += count_mismatches(y.data(), epilogue_of(want, plane, scale, shift, act),
                                             what + " " + name_of(act));
            }
        }
        INFO(name);
        CHECK(failures == 0);
    }
}

TEST_CASE("int8 depthwise: s32-exact with unit scales and the epilogue, 3x3 / 5x5, stride 1 / 2, odd sizes") {
    std::vector<ks::conv_geometry> geos;
    for (std::size_t k : {3, 5})
        for (std::size_t s : {1, 2})
            for (auto [h, w] : {std::pair<std::size_t, std::size_t>{1, 1}, {7, 9}, {12, 33}, {5, 17}, {6, 70}}) {
                auto g = geometry(5, 1, 1, h, w, k, s, k / 2);
                geos.push_back(g);
            }
    for (std::size_t k : {3, 5})  // one stride per axis (PaddleOCR rec's (2, 1) and (1, 2))
        for (auto [sh, sw] : {std::pair<std::size_t, std::size_t>{2, 1}, {1, 2}}) {
            auto g = geometry(6, 1, 1, 12, 37, k, 1, k / 2);
            g.sh = sh, g.sw = sw;
            g.out_h = (g.in_h + 2 * (k / 2) - k) / sh + 1, g.out_w = (g.in_w + 2 * (k / 2) - k) / sw + 1;
            geos.push_back(g);
        }
    geos.push_back(geometry(17, 1, 1, 10, 11, 3, 1, 1, 2));  // dilated: the general loop
    geos.push_back(geometry(3, 1, 1, 9, 8, 3, 2, 0));        // unpadded stride 2
    geos.push_back(geometry(4, 1, 1, 9, 40, 5, 1, 0));       // unpadded 5x5: the row pairs span whole rows
    for (const auto& [name, table, blocking] : int8_arches()) {
        if (blocking.pairs) continue;  // the depthwise kernel has no pairs flavour
        std::size_t failures = 0, i = 0;
        for (const auto& g : geos) {
            for (std::int32_t zp : zero_points) {
                const activation act = all_activations[i % std::size(all_activations)];
                ++i;
                const std::size_t c = g.groups, taps = g.kh * g.kw, plane = g.out_h * g.out_w;
                const auto w = random_s8(c * taps, 21 + std::uint32_t(i));
                const auto x = random_u8(c * g.in_h * g.in_w, 22 + std::uint32_t(i));
                const auto want = kr::int8_conv(g, w.data(), x.data(), zp);
                const std::string what = name + " int8_depthwise c=" + std::to_string(c) + " " + std::to_string(g.in_h) +
                                         "x" + std::to_string(g.in_w) + " k" + std::to_string(g.kh) + " s" +
                                         std::to_string(g.sh) + "," + std::to_string(g.sw) + " zp=" + std::to_string(zp);
                std::vector<float> scratch(ks::int8_depthwise_scratch_floats(g, table->blocking.width) + 16);
                std::vector<float> y(c * plane, -9.0f);
                const std::vector<float> ones(c, 1.0f);
                const ks::packed_int8_depthwise p1 = ks::pack_int8_depthwise(w.data(), ones.data(), g, zp);
                // two calls on channel ranges: the kernel must honour [c0, c1)
                table->depthwise(p1, x.data(), y.data(), ks::epilogue{}, scratch.data(), 0, c / 2);
                table->depthwise(p1, x.data(), y.data() + (c / 2) * g.out_h * g.out_w, ks::epilogue{}, scratch.data(), c / 2, c);
                failures += count_inexact(y.data(), want, what);
                const auto [scale, shift] = scales_for(c, taps, std::uint32_t(i));
                const ks::packed_int8_depthwise p = ks::pack_int8_depthwise(w.data(), scale.data(), g, zp);
                const ks::epilogue e{act, shift.data(), nullptr, -0.25f, 0.5f};
                table->depthwise(p, x.data(), y.data(), e, scratch.data(), 0, c);
                failures += count_mismatches(y.data(), epilogue_of(want, plane, scale, shift, act),
                                             what + " " + name_of(act));
            }
        }
        INFO(name);
        CHECK(failures == 0);
    }
}

namespace {
/// Asymmetric u8 weights as the INT8 kernels take them (kernels/simd/int8_packing.hpp): random codes
/// u (in [64, 192] for a pairs blocking, so that u - 128 fits it; else the full [0, 255], a third at
/// the ends) and per-row zero points zw in [0, 255]; `stored` = u - 128 (s8), `zero` = zw - 128, and
/// `centred` = u - zw (what the oracle multiplies, up to 255 in magnitude).
struct asymmetric_weights {
    std::vector<std::int8_t> stored;
    std::vector<std::int32_t> zero, centred;
};
asymmetric_weights random_asymmetric(std::size_t rows, std::size_t k, std::uint32_t seed, bool pairs) {
    asymmetric_weights r;
    const auto u = random_u8(rows * k, seed), zw = random_u8(rows, seed + 7);
    r.stored.resize(rows * k);
    r.centred.resize(rows * k);
    r.zero.resize(rows);
    for (std::size_t m = 0; m < rows; ++m) {
        // zero points far from 128 as TFLite's asymmetric weights have them (80-245), and 0, 255
        const std::int32_t z = m % 5 == 0 ? 0 : m % 5 == 1 ? 255 : zw[m];
        r.zero[m] = z - 128;
        for (std::size_t i = 0; i < k; ++i) {
            std::int32_t v = u[m * k + i];
            if (pairs) v = 64 + v % 129;
            else if (v % 3 == 0) v = v & 8 ? 255 : 0;
            r.stored[m * k + i] = static_cast<std::int8_t>(v - 128);
            r.centred[m * k + i] = v - z;
        }
    }
    return r;
}
}  // namespace

TEST_CASE("int8 gemm and conv, weights with zero points (u8 codes): s32-exact, the epilogue, several B blocks") {
    const std::vector<ks::conv_geometry> geos = {
        geometry(1, 5, 7, 9, 11, 1, 1, 0),    // pointwise
        geometry(1, 3, 8, 13, 17, 3, 2, 1),   // stem-like, stride 2, padded
        geometry(2, 3, 5, 8, 7, 3, 2, 1),     // groups
        geometry(1, 5, 6, 9, 9, 3, 1, 2, 2),  // dilation 2
        geometry(1, 7, 9, 11, 12, 5, 2, 2),   // 5x5 stride 2, K = 175
    };
    for (const auto& [name, table, blocking] : int8_arches()) {
        std::size_t failures = 0, run = 0, i = 0;
        for (auto [m, k, n] : {std::tuple<std::size_t, std::size_t, std::size_t>{1, 1, 1}, {7, 5, 13}, {13, 13, 47},
                               {33, 129, 129}, {17, 3, 80}, {3, 129, 1600}}) {  // n = 1600: more than one B block
            const std::int32_t zp = zero_points[i % 3];
            const activation act = all_activations[i % std::size(all_activations)];
            ++i;
            const auto w = random_asymmetric(m, k, 31 + std::uint32_t(i), blocking.pairs);
            const auto x = random_u8(k * n, 32 + std::uint32_t(i));
            const auto want = kr::int8_gemm(w.centred.data(), x.data(), m, k, n, zp);
            const ks::packed_int8_a pa = ks::pack_int8_a(blocking, w.stored.data(), m, k, std::ptrdiff_t(k), zp, w.zero.data());
            std::vector<float> scratch(ks::int8_gemm_scratch_bytes(blocking, k, n) / 4 + 16), c(m * n);
            const std::string what = name + " int8_gemm, weight zero points, m=" + std::to_string(m) +
                                     " k=" + std::to_string(k) + " n=" + std::to_string(n) + " zp=" + std::to_string(zp);
            const std::vector<float> ones(m, 1.0f);
            ks::int8_epilogue e;
            e.scale = ones.data();
            table->gemm(pa, x.data(), std::ptrdiff_t(n), n, c.data(), std::ptrdiff_t(n), e, scratch.data());
            failures += count_inexact(c.data(), want, what);
            const auto [scale, shift] = scales_for(m, k, std::uint32_t(i));
            e.scale = scale.data(), e.shift = shift.data();
            e.act.act = act, e.act.lo = -0.25f, e.act.hi = 0.5f;
            table->gemm(pa, x.data(), std::ptrdiff_t(n), n, c.data(), std::ptrdiff_t(n), e, scratch.data());
            const auto epi = epilogue_of(want, n, scale, shift, act);
            failures += count_mismatches(c.data(), epi, what + " " + name_of(act));
            e.transposed = true;  // a MatMul's store
            std::vector<float> ct(n * m), got(m * n);
            table->gemm(pa, x.data(), std::ptrdiff_t(n), n, ct.data(), std::ptrdiff_t(m), e, scratch.data());
            for (std::size_t j = 0; j < n; ++j)
                for (std::size_t r = 0; r < m; ++r) got[r * n + j] = ct[j * m + r];
            failures += count_mismatches(got.data(), epi, what + " transposed");
            ++run;
        }
        for (const auto& g : geos)
            for (std::int32_t zp : zero_points) {
                ++i;
                const std::size_t k = g.in_c * g.kh * g.kw, channels = g.groups * g.out_c, plane = g.out_h * g.out_w;
                const auto w = random_asymmetric(channels, k, 41 + std::uint32_t(i), blocking.pairs);
                const auto x = random_u8(g.groups * g.in_c * g.in_h * g.in_w, 42 + std::uint32_t(i));
                const auto want = kr::int8_conv(g, w.centred.data(), x.data(), zp);
                const ks::packed_int8_conv p = ks::pack_int8_conv(blocking, w.stored.data(), g, zp, w.zero.data());
                std::vector<float> scratch(ks::int8_conv_scratch_bytes(p) / 4 + 16), y(channels * plane, -9.0f);
                const std::string what = name + " int8_conv, weight zero points, g=" + std::to_string(g.groups) + " " +
                                         std::to_string(g.in_c) + "->" + std::to_string(g.out_c) + " k" +
                                         std::to_string(g.kh) + " s" + std::to_string(g.sh) + " zp=" + std::to_string(zp);
                const std::vector<float> ones(channels, 1.0f);
                ks::int8_epilogue e;
                e.scale = ones.data();
                table->conv(p, x.data(), y.data(), e, scratch.data());
                failures += count_inexact(y.data(), want, what);
                ++run;
            }
        INFO(name);
        CHECK(failures == 0);
        CHECK(run > 0);
    }
}

TEST_CASE("int8 depthwise, s16 weights with zero points subtracted: s32-exact and the epilogue, 3x3 / 5x5") {
    std::vector<ks::conv_geometry> geos;
    for (std::size_t k : {3, 5})
        for (std::size_t s : {1, 2})
            for (auto [h, w] : {std::pair<std::size_t, std::size_t>{7, 9}, {12, 33}, {6, 70}})
                geos.push_back(geometry(5, 1, 1, h, w, k, s, k / 2));
    geos.push_back(geometry(17, 1, 1, 10, 11, 3, 1, 1, 2));  // dilated: the general loop
    for (const auto& [name, table, blocking] : int8_arches()) {
        if (blocking.pairs) continue;  // the depthwise kernel has no pairs flavour
        std::size_t failures = 0, i = 0;
        for (const auto& g : geos)
            for (std::int32_t zp : zero_points) {
                const activation act = all_activations[i % std::size(all_activations)];
                ++i;
                const std::size_t c = g.groups, taps = g.kh * g.kw, plane = g.out_h * g.out_w;
                const auto w = random_asymmetric(c, taps, 51 + std::uint32_t(i), false);
                const std::vector<std::int16_t> w16(w.centred.begin(), w.centred.end());
                const auto x = random_u8(c * g.in_h * g.in_w, 52 + std::uint32_t(i));
                const auto want = kr::int8_conv(g, w.centred.data(), x.data(), zp);
                const std::string what = name + " int8_depthwise s16, " + std::to_string(g.in_h) + "x" +
                                         std::to_string(g.in_w) + " k" + std::to_string(g.kh) + " s" +
                                         std::to_string(g.sh) + " zp=" + std::to_string(zp);
                std::vector<float> scratch(ks::int8_depthwise_scratch_floats(g, table->blocking.width) + 16);
                std::vector<float> y(c * plane, -9.0f);
                const std::vector<float> ones(c, 1.0f);
                const ks::packed_int8_depthwise p1 = ks::pack_int8_depthwise(w16.data(), ones.data(), g, zp);
                CHECK(p1.row_quads_data == nullptr);  // the VNNI quads hold s8 weights only
                table->depthwise(p1, x.data(), y.data(), ks::epilogue{}, scratch.data(), 0, c);
                failures += count_inexact(y.data(), want, what);
                const auto [scale, shift] = scales_for(c, taps, std::uint32_t(i));
                const ks::packed_int8_depthwise p = ks::pack_int8_depthwise(w16.data(), scale.data(), g, zp);
                const ks::epilogue e{act, shift.data(), nullptr, -0.25f, 0.5f};
                table->depthwise(p, x.data(), y.data(), e, scratch.data(), 0, c);
                failures += count_mismatches(y.data(), epilogue_of(want, plane, scale, shift, act),
                                             what + " " + name_of(act));
            }
        INFO(name);
        CHECK(failures == 0);
    }
}

TEST_CASE("int8 pairs flavour: which weights fit it, the s16 edge, and what the packer refuses") {
    const std::int8_t fit[] = {64, 64, -64, -64, 127, -127, -128, 127, 100, 28, -100, -28};
    CHECK(ks::int8_pairs_fit(fit, 1, 12, 12));
    const std::int8_t over[] = {64, 65};
    CHECK_FALSE(ks::int8_pairs_fit(over, 1, 2, 2));
    const std::int8_t over_neg[] = {0, 0, -65, -64};
    CHECK_FALSE(ks::int8_pairs_fit(over_neg, 1, 4, 4));
    const std::int8_t odd_k[] = {127, 5, 7};  // (127, 5) does not fit; (7, padding 0) would
    CHECK_FALSE(ks::int8_pairs_fit(odd_k, 1, 3, 3));
    const std::int8_t odd_ok[] = {1, 5, 127};
    CHECK(ks::int8_pairs_fit(odd_ok, 1, 3, 3));
    // rows are checked with their stride: row 1 (at offset 4) does not fit
    const std::int8_t rows[] = {10, 10, 0, 0, 100, 100, 0, 0};
    CHECK(ks::int8_pairs_fit(rows, 1, 2, 4));
    CHECK_FALSE(ks::int8_pairs_fit(rows, 2, 2, 4));
    for (const auto& [name, table, blocking] : int8_arches()) {
        if (!blocking.pairs) continue;
        INFO(name);
        CHECK_THROWS_WITH_AS(ks::pack_int8_a(blocking, over, 1, 2, 2, 0), doctest::Contains("pairs"), error);
        // every pair at the s16 edge: 255 * 64 * 2 = 32640 per pair, exact; with zero point 255
        const std::size_t m = 5, k = 37, n = 21;
        std::vector<std::int8_t> w(m * k);
        for (std::size_t i = 0; i < w.size(); ++i) w[i] = (i / 2) % 3 == 0 ? -64 : 64;
        const std::vector<std::uint8_t> x(k * n, 255);
        const auto want = kr::int8_gemm(w.data(), x.data(), m, k, n, 255);
        const ks::packed_int8_a pa = ks::pack_int8_a(blocking, w.data(), m, k, std::ptrdiff_t(k), 255);
        std::vector<float> scratch(ks::int8_gemm_scratch_bytes(blocking, k, n) / 4 + 16), c(m * n);
        const std::vector<float> ones(m, 1.0f);
        ks::int8_epilogue e;
        e.scale = ones.data();
        table->gemm(pa, x.data(), std::ptrdiff_t(n), n, c.data(), std::ptrdiff_t(n), e, scratch.data());
        CHECK(count_inexact(c.data(), want, name + " at the s16 edge") == 0);
        // the table packs fitting weights with the pairs blocking, others with the exact one
        CHECK(ks::int8_blocking_for(*table, w.data(), m, k, std::ptrdiff_t(k)).pairs);
        CHECK_FALSE(ks::int8_blocking_for(*table, over, 1, 2, 2).pairs);
    }
}

TEST_CASE("int8 direct path: quantized into the 4c layout, s32-exact and the epilogue, stride 1 and 2, pads, "
          "dilation") {
    // x holds integers so that FakeQuantize(il = -zp, ih = 255 - zp) gives the codes x + zp exactly
    const std::vector<ks::conv_geometry> geos = {
        geometry(1, 5, 7, 9, 11, 1, 1, 0),    // 1x1 (rows of the direct path)
        geometry(1, 6, 5, 7, 9, 3, 1, 1),     // 3x3 same, C not a multiple of 4
        geometry(1, 13, 9, 6, 21, 3, 1, 1),   // a row wider than one 16-column tile, plus a partial one
        geometry(1, 6, 17, 3, 101, 3, 1, 1),  // two 48-column tiles and a partial one; 17 rows: 8 + 8 + 1
        geometry(1, 4, 3, 1, 1, 3, 1, 1),     // 1x1 image under a padded 3x3
        geometry(1, 5, 6, 9, 9, 3, 1, 2, 2),  // dilation 2
        geometry(1, 33, 19, 7, 5, 2, 1, 0),   // even kernel, no pad
        geometry(1, 7, 9, 11, 12, 5, 1, 2),   // 5x5
        geometry(1, 3, 4, 5, 40, 1, 1, 1),    // padded 1x1: the border rows and columns are zp
        // stride 2 (space-to-depth): the RGB stem, odd and even sizes, pads 0-2, even and 5x5 kernels
        geometry(1, 3, 16, 13, 17, 3, 2, 1),
        geometry(1, 3, 8, 24, 40, 3, 2, 1),
        geometry(1, 5, 7, 9, 11, 3, 2, 0),
        geometry(1, 2, 6, 10, 9, 2, 2, 0),
        geometry(1, 4, 9, 11, 38, 5, 2, 2),
        geometry(1, 3, 5, 3, 3, 3, 2, 1),     // a 2x2 output from a 3x3 image
    };
    std::size_t tested = 0;
    for (const auto& [name, table, blocking] : int8_arches()) {
        // the flavour the direct path runs on (avx2: its pairs flavour; avx512vnni: itself)
        if (!table->conv_direct || blocking.arch != table->direct_blocking.arch) continue;
        std::size_t failures = 0, i = 0;
        for (const auto& g : geos)
            for (std::int32_t zp : zero_points) {
                const activation act = all_activations[i % std::size(all_activations)];
                ++i;
                const std::size_t k = g.in_c * g.kh * g.kw, plane = g.out_h * g.out_w;
                const auto w = random_s8(g.out_c * k, 31 + std::uint32_t(i), blocking);
                const auto x = random_u8(g.in_c * g.in_h * g.in_w, 32 + std::uint32_t(i));
                const auto want = kr::int8_conv(g, w.data(), x.data(), zp);
                const auto order = ks::int8_direct_order(w.data(), g);
                if (blocking.pairs)
                    REQUIRE(ks::int8_pairs_fit(order.data(), g.out_c, order.size() / g.out_c,
                                               std::ptrdiff_t(order.size() / g.out_c)));
                const ks::packed_int8_direct p = ks::pack_int8_direct(blocking, order, g, zp);
                std::vector<float> xf(x.size());
                for (std::size_t j = 0; j < x.size(); ++j) xf[j] = float(int(x[j]) - zp);
                std::vector<std::uint8_t> x4(p.input_bytes(), 0xAB), tmp(p.tmp_bytes());
                // two calls on channel-group ranges, and two on row ranges
                table->quantize_4c(xf.data(), p, x4.data(), float(-zp), float(255 - zp), zp, 0, p.cg / 2, tmp.data());
                table->quantize_4c(xf.data(), p, x4.data(), float(-zp), float(255 - zp), zp, p.cg / 2, p.cg,
                                   tmp.data());
                const std::string what = name + " int8_conv_direct " + std::to_string(g.in_c) + "->" +
                                         std::to_string(g.out_c) + " " + std::to_string(g.in_h) + "x" +
                                         std::to_string(g.in_w) + " k" + std::to_string(g.kh) + " s" +
                                         std::to_string(g.sh) + " p" +
                                         std::to_string(g.pt) + " d" + std::to_string(g.dh) + " zp=" + std::to_string(zp);
                const std::vector<float> ones(g.out_c, 1.0f);
                ks::int8_epilogue e;
                e.scale = ones.data();
                std::vector<float> y(g.out_c * plane, -9.0f);
                table->conv_direct(p, x4.data(), y.data(), e, 0, g.out_h / 2);
                table->conv_direct(p, x4.data(), y.data(), e, g.out_h / 2, g.out_h);
                failures += count_inexact(y.data(), want, what);
                const auto [scale, shift] = scales_for(g.out_c, k, std::uint32_t(i));
                e.scale = scale.data();
                e.shift = shift.data();
                e.act.act = act;
                e.act.lo = -0.25f, e.act.hi = 0.5f;
                table->conv_direct(p, x4.data(), y.data(), e, 0, g.out_h);
                failures += count_mismatches(y.data(), epilogue_of(want, plane, scale, shift, act),
                                             what + " " + name_of(act));
            }
        INFO(name);
        CHECK(failures == 0);
        ++tested;
    }
    if (tested == 0) MESSAGE("int8 direct path: no arch here has it (avx2 and avx512vnni do)");
    // what it takes and refuses
    CHECK(ks::int8_direct_fits(geometry(1, 4, 4, 8, 8, 3, 1, 1)));
    CHECK(ks::int8_direct_fits(geometry(1, 4, 4, 8, 8, 3, 2, 1)));         // stride 2: space-to-depth
    CHECK_FALSE(ks::int8_direct_fits(geometry(1, 4, 4, 8, 8, 1, 2, 0)));   // a 1x1 kernel of stride 2
    CHECK_FALSE(ks::int8_direct_fits(geometry(1, 4, 4, 9, 9, 3, 2, 1, 2)));  // stride 2, dilated
    CHECK_FALSE(ks::int8_direct_fits(geometry(1, 4, 4, 9, 9, 3, 3, 1)));   // stride 3
    CHECK_FALSE(ks::int8_direct_fits(geometry(2, 4, 4, 8, 8, 3, 1, 1)));   // groups
}

TEST_CASE("int8 quantize_u8: FakeQuantize's codes (its formula, nearest-even) on awkward lengths, range edges, "
          "infinities and values far outside the range") {
    const float ranges[][2] = {{-1.3f, 2.7f}, {0.0f, 1.0f}, {-1.28f, 1.27f}, {-0.25f, 2.3f}, {-1e-3f, 5e-3f}, {-70.0f, 30.0f},
                                {1.0f, 1.0000002f},    // a range of 2 ulp
                                {-1e38f, 1e38f}};      // 1 / (ih - il) subnormal: the division path
    const float inf = std::numeric_limits<float>::infinity();
    for (const auto& [name, table, blocking] : int8_arches()) {
        if (blocking.pairs) continue;  // one quantizer per arch
        std::size_t failures = 0;
        for (const auto& r : ranges) {
            const float il = r[0], ih = r[1];
            std::vector<float> x;
            for (int i = -3000; i <= 3000; ++i) x.push_back(il + (ih - il) * (static_cast<float>(i) / 1000.0f));
            for (int code = 0; code < 256; ++code) {  // the half-way points between codes, and their neighbours
                const float mid = il + (ih - il) * ((static_cast<float>(code) + 0.5f) / 255.0f);
                x.push_back(mid);
                x.push_back(std::nextafter(mid, -inf));
                x.push_back(std::nextafter(mid, inf));
            }
            for (float v : {inf, -inf, 1e30f, -1e30f, il, ih, 0.0f, -0.0f, std::nextafter(il, inf), std::nextafter(ih, inf)})
                x.push_back(v);
            // dense pseudo-random values over the range and a little beyond (the vector paths divide
            // by a reciprocal and one correction step)
            std::uint32_t seed = 12345;
            for (int i = 0; i < 200000; ++i) {
                seed = seed * 1664525u + 1013904223u;
                x.push_back(il + (ih - il) * (-0.05f + 1.1f * static_cast<float>(seed >> 8) / 16777216.0f));
            }
            for (std::size_t off : {0, 1, 7}) {
                for (std::size_t n : {x.size() - off, std::size_t(31), std::size_t(33), std::size_t(8), std::size_t(5)}) {
                    std::vector<std::uint8_t> q(n + 40, 0xAB);
                    table->quantize_u8(x.data() + off, q.data(), n, il, ih);
                    for (std::size_t i = 0; i < n; ++i) {
                        const auto want = static_cast<std::uint8_t>(ks::detail::fq_code<arch::reference>(x[off + i], il, ih, 255.0f));
                        if (q[i] != want && ++failures <= 5)
                            MESSAGE(name << ": x = " << x[off + i] << " in [" << il << ", " << ih << "]: code "
                                         << int(q[i]) << ", want " << int(want));
                    }
                    for (std::size_t i = n; i < n + 40; ++i) failures += q[i] != 0xAB;  // nothing written past n
                }
            }
        }
        CHECK_MESSAGE(failures == 0, name << ": " << failures << " wrong codes");
    }
}
