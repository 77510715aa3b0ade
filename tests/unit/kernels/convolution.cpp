// The fast FP32 convolution (im2col-in-packing GEMM, and the direct path) and depthwise kernels against the reference
// convolution, on every usable arch: odd channel counts and widths, 1x1 images, stride 2 with odd
// sizes, asymmetric padding, dilation, groups, and each epilogue.

#include "support.hpp"

#include <moir/kernels/reference/convolution.hpp>

#include <algorithm>  // fill, min, max
#include <cmath>      // nanf
#include <cstring>    // memcmp, memcpy
#include <limits>     // numeric_limits
#include <string>     // string, to_string
#include <vector>     // vector

using namespace moir;
using namespace moir::test;
namespace ks = moir::kernels::simd;

namespace {

struct conv_case {
    std::size_t groups, in_c, out_c, ih, iw, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr;
    activation act;
    bool bias;
};

ks::conv_geometry geometry_of(const conv_case& c) {
    ks::conv_geometry g;
    g.groups = c.groups, g.in_c = c.in_c, g.out_c = c.out_c, g.in_h = c.ih, g.in_w = c.iw;
    g.kh = c.kh, g.kw = c.kw, g.sh = c.sh, g.sw = c.sw, g.dh = c.dh, g.dw = c.dw;
    g.pt = std::ptrdiff_t(c.pt), g.pl = std::ptrdiff_t(c.pl);
    g.out_h = (c.ih + c.pt + c.pb - ((c.kh - 1) * c.dh + 1)) / c.sh + 1;
    g.out_w = (c.iw + c.pl + c.pr - ((c.kw - 1) * c.dw + 1)) / c.sw + 1;
    return g;
}

/// Whether the padded input holds at least one window.
bool valid(const conv_case& c) {
    return c.ih + c.pt + c.pb >= (c.kh - 1) * c.dh + 1 && c.iw + c.pl + c.pr >= (c.kw - 1) * c.dw + 1;
}

std::string describe(const std::string& arch, const conv_case& c) {
    auto s = [](std::size_t v) { return std::to_string(v); };
    return arch + " g=" + s(c.groups) + " c=" + s(c.in_c) + "->" + s(c.out_c) + " in=" + s(c.ih) + "x" + s(c.iw) +
           " k=" + s(c.kh) + "x" + s(c.kw) + " s=" + s(c.sh) + "," + s(c.sw) + " d=" + s(c.dh) + "," + s(c.dw) +
           " pads=" + s(c.pt) + "," + s(c.pl) + "," + s(c.pb) + "," + s(c.pr) + " " + name_of(c.act) +
           (c.bias ? " bias" : "");
}

/// The expected output: the reference convolution, then bias and activation.
std::vector<double> expected(const conv_case& c, const ks::conv_geometry& g, const std::vector<float>& x,
                             const std::vector<float>& w, const std::vector<float>& bias, const ks::epilogue& e) {
    kernels::reference::conv_dims d{};
    d.batch = 1, d.groups = std::int64_t(c.groups), d.in_per_group = std::int64_t(c.in_c);
    d.out_per_group = std::int64_t(c.out_c);
    d.in = {1, std::int64_t(c.ih), std::int64_t(c.iw)};
    d.kernel = {1, std::int64_t(c.kh), std::int64_t(c.kw)};
    d.out = {1, std::int64_t(g.out_h), std::int64_t(g.out_w)};
    d.strides = {1, std::int64_t(c.sh), std::int64_t(c.sw)};
    d.dilations = {1, std::int64_t(c.dh), std::int64_t(c.dw)};
    d.pads_begin = {0, std::int64_t(c.pt), std::int64_t(c.pl)};
    const std::size_t plane = g.out_h * g.out_w, channels = c.groups * c.out_c;
    std::vector<float> y(channels * plane);
    kernels::reference::convolution_3d<float>(d, x.data(), w.data(), y.data(), false);
    std::vector<double> r(y.size());
    for (std::size_t ch = 0; ch < channels; ++ch)
        for (std::size_t i = 0; i < plane; ++i)
            r[ch * plane + i] = apply_activation(c.act, double(y[ch * plane + i]) + (c.bias ? bias[ch] : 0.0),
                                                 e.slope ? e.slope[ch] : e.lo, e.hi);
    return r;
}

/// Runs `c` through `run(table, geometry, x, w, epilogue, y)` on every usable arch; a leaky case
/// with a bias runs twice: with one slope, and with one per output channel (PRelu: epilogue::slope).
template <class Run>
void check_cases(const std::vector<conv_case>& cs, const char* kernel, Run run) {
    for (const auto& [name, table] : usable_arches()) {
        std::size_t failures = 0, sloped = 0;
        for (const conv_case& c : cs)
          for (const bool per_channel : {false, true}) {
            if (per_channel && !(c.act == activation::leaky && c.bias)) continue;
            sloped += per_channel;
            const ks::conv_geometry g = geometry_of(c);
            const auto x = random_floats(c.groups * c.in_c * c.ih * c.iw, 11);
            const auto w = random_floats(c.groups * c.out_c * c.in_c * c.kh * c.kw, 12);
            const auto bias = random_floats(c.groups * c.out_c, 13);
            const auto slopes = random_floats(c.groups * c.out_c, 14);
            ks::epilogue e{c.act, c.bias ? bias.data() : nullptr, nullptr, -0.3f, 0.6f};
            if (per_channel) e.slope = slopes.data(), e.hi = -std::numeric_limits<float>::infinity();
            const auto want = expected(c, g, x, w, bias, e);
            std::vector<float> y(want.size() + 64, -9.0f);
            run(*table, g, x, w, e, y);
            bool tail_ok = true;
            for (std::size_t i = want.size(); i < y.size(); ++i) tail_ok = tail_ok && y[i] == -9.0f;
            const std::string what =
                std::string(kernel) + " " + describe(name, c) + (per_channel ? " (slope per channel)" : "");
            if (!tail_ok) MESSAGE(what << ": wrote past the output");
            failures += count_mismatches(y.data(), want, what) + !tail_ok;
          }
        INFO(kernel << " on " << name);
        CHECK(failures == 0);
        CHECK(sloped > 0);
    }
}

}  // namespace

TEST_CASE("fast conv (im2col GEMM) matches the reference convolution") {
    std::vector<conv_case> cs;
    std::size_t i = 0;
    auto add = [&](conv_case c) {
        if (!valid(c)) return;
        c.act = all_activations[i % 6], c.bias = i % 4 != 3;
        cs.push_back(c), ++i;
    };
    for (std::size_t cin : {1, 3, 7, 13, 17, 33})
        for (std::size_t cout : {1, 7, 13, 33})
            for (std::size_t w : {1, 5, 13, 31}) {
                add({1, cin, cout, std::size_t(w == 1 ? 1 : 6), w, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, {}, {}});  // pointwise
                add({1, cin, cout, w, w, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, {}, {}});                 // 3x3 same
                add({1, cin, cout, w + 2, w, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, {}, {}});             // stride 2, asym pads
            }
    add({1, 13, 17, 9, 11, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, {}, {}});   // dilation 2
    add({1, 5, 6, 11, 7, 5, 5, 2, 1, 1, 1, 2, 1, 3, 2, {}, {}});     // 5x5, mixed strides
    add({1, 4, 9, 8, 9, 1, 3, 1, 1, 1, 3, 0, 3, 0, 1, {}, {}});      // 1x3, horizontal dilation
    add({1, 7, 5, 13, 13, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, {}, {}});    // 1x1 stride 2 (not pointwise)
    add({1, 3, 4, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, {}, {}});      // 1x1 image, padded 3x3
    add({2, 3, 5, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, {}, {}});      // groups
    add({3, 4, 2, 8, 13, 3, 3, 2, 2, 1, 1, 1, 0, 1, 1, {}, {}});
    add({4, 2, 3, 6, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, {}, {}});      // grouped pointwise
    add({1, 60, 9, 5, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, {}, {}});     // K = 540: two K blocks
    add({1, 16, 70, 40, 40, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, {}, {}});  // several N blocks
    for (activation a : all_activations) {
        cs.push_back({1, 8, 10, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, a, true});
        cs.push_back({1, 8, 10, 9, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, a, true});
    }
    check_cases(cs, "conv", [](const ks::fp32_kernel_table& t, const ks::conv_geometry& g, const std::vector<float>& x,
                               const std::vector<float>& w, const ks::epilogue& e, std::vector<float>& y) {
        const ks::packed_conv p = ks::pack_conv(t.blocking, w.data(), g);
        std::vector<float> scratch(ks::conv_scratch_floats(p));
        t.conv(p, x.data(), y.data(), e, scratch.data());
    });
    // the same cases as three disjoint column ranges (as workers split a convolution): cuts that
    // fall inside an output row and inside a panel, and an empty range
    check_cases(cs, "conv by columns", [](const ks::fp32_kernel_table& t, const ks::conv_geometry& g,
                                          const std::vector<float>& x, const std::vector<float>& w,
                                          const ks::epilogue& e, std::vector<float>& y) {
        const ks::packed_conv p = ks::pack_conv(t.blocking, w.data(), g);
        std::vector<float> scratch(ks::conv_scratch_floats(p));
        const std::size_t n = g.out_h * g.out_w, a = n / 3, b = n - n / 5;
        t.conv_columns(p, x.data(), y.data(), e, scratch.data(), b, n);
        t.conv_columns(p, x.data(), y.data(), e, scratch.data(), 0, a);
        t.conv_columns(p, x.data(), y.data(), e, scratch.data(), a, a);
        t.conv_columns(p, x.data(), y.data(), e, scratch.data(), a, b);
    });
    // the direct path (stride 1, one group) on the cases it takes, as three row ranges and an empty one
    std::vector<conv_case> direct;
    for (const conv_case& c : cs)
        if (ks::direct_conv_fits(geometry_of(c))) direct.push_back(c);
    direct.push_back({1, 40, 24, 12, 37, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, activation::relu, true});  // M = 24, 3 K slices
    direct.push_back({1, 5, 70, 6, 19, 5, 3, 1, 1, 2, 1, 4, 0, 3, 2, activation::hswish, true});  // M = 70, span 9
    direct.push_back({1, 3, 8, 4, 4, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3, activation::none, false});  // pads past the image
    CHECK(direct.size() >= 30);
    check_cases(direct, "conv direct by rows", [](const ks::fp32_kernel_table& t, const ks::conv_geometry& g,
                                                  const std::vector<float>& x, const std::vector<float>& w,
                                                  const ks::epilogue& e, std::vector<float>& y) {
        const ks::packed_conv p = ks::pack_conv_direct(t.blocking, w.data(), g);
        std::vector<float> scratch(ks::conv_rows_scratch_floats(p), 7.0f);
        const std::size_t a = g.out_h / 3, b = g.out_h - g.out_h / 4;
        t.conv_rows(p, x.data(), y.data(), e, scratch.data(), b, g.out_h);
        t.conv_rows(p, x.data(), y.data(), e, scratch.data(), 0, a);
        t.conv_rows(p, x.data(), y.data(), e, scratch.data(), a, a);
        t.conv_rows(p, x.data(), y.data(), e, scratch.data(), a, b);
    });
    // the plane path (blocks of rows as contiguous padded planes) on the same cases and on narrow
    // images like openWakeWord's 1x3 / 3x1 layers; blocks of 1, 3 and the chosen number of rows, so
    // that row ranges start and end inside blocks; widths where the padded row is wider than the
    // output (compacted) and equal to it (stored in place)
    direct.push_back({1, 24, 24, 20, 8, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, activation::leaky, true});   // 1x3 same, W 8
    direct.push_back({1, 24, 48, 12, 16, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, activation::leaky, true});  // 3x1 valid, W 16
    direct.push_back({1, 72, 96, 9, 4, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, activation::relu, true});     // K 216, M 96, W 4
    direct.push_back({1, 96, 13, 7, 2, 3, 1, 1, 1, 1, 1, 0, 0, 0, 0, activation::none, true});     // K 288, W 2
    direct.push_back({1, 200, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0, 1, 0, activation::clamp, false});   // K 600: 2 K blocks
    direct.push_back({1, 1, 24, 13, 32, 3, 3, 1, 1, 1, 1, 0, 1, 0, 1, activation::hswish, true});  // in_c 1, 3x3
    for (std::size_t block : {std::size_t(1), std::size_t(3), std::size_t(0)}) {
        check_cases(direct, block == 1 ? "conv plane, 1-row blocks" : block == 3 ? "conv plane, 3-row blocks"
                                                                                 : "conv plane, chosen blocks",
                    [block](const ks::fp32_kernel_table& t, const ks::conv_geometry& g, const std::vector<float>& x,
                            const std::vector<float>& w, const ks::epilogue& e, std::vector<float>& y) {
                        const std::size_t rows = block ? block : ks::plane_rows_for(t.blocking, g).rows;
                        REQUIRE(rows >= 1);
                        const ks::packed_conv p = ks::pack_conv_plane(t.blocking, w.data(), g, rows);
                        std::vector<float> scratch(ks::conv_plane_scratch_floats(p), 7.0f);
                        const std::size_t a = g.out_h / 3, b = g.out_h - g.out_h / 4;
                        t.conv_plane(p, x.data(), y.data(), e, scratch.data(), b, g.out_h);
                        t.conv_plane(p, x.data(), y.data(), e, scratch.data(), 0, a);
                        t.conv_plane(p, x.data(), y.data(), e, scratch.data(), a, a);
                        t.conv_plane(p, x.data(), y.data(), e, scratch.data(), a, b);
                    });
    }
    // the plane path reading its input in place (kw 1, no left pad: the blocks inside the image),
    // the input followed by 15 NaNs (what the tiles may load past it; those lanes must not matter)
    direct.push_back({1, 24, 24, 20, 8, 3, 1, 1, 1, 1, 1, 1, 0, 1, 0, activation::leaky, true});  // 3x1 same, W 8
    direct.push_back({1, 7, 19, 11, 5, 2, 1, 1, 1, 2, 1, 2, 0, 0, 0, activation::relu, false});  // dilated, pad top
    std::vector<conv_case> inplace;
    for (const conv_case& c : direct)
        if (c.kw == 1 && c.pl == 0 && c.pr == 0 && c.sw == 1) inplace.push_back(c);
    CHECK(inplace.size() >= 5);
    for (std::size_t block : {std::size_t(1), std::size_t(3), std::size_t(0)}) {
        check_cases(inplace, "conv plane in place", [block](const ks::fp32_kernel_table& t, const ks::conv_geometry& g,
                                                            const std::vector<float>& x, const std::vector<float>& w,
                                                            const ks::epilogue& e, std::vector<float>& y) {
            const std::size_t rows = block ? block : ks::plane_rows_for(t.blocking, g).rows;
            REQUIRE(rows >= 1);
            ks::packed_conv p = ks::pack_conv_plane(t.blocking, w.data(), g, rows);
            p.plane_inplace = true;
            std::vector<float> xs(x);
            xs.resize(x.size() + 15, std::nanf(""));
            std::vector<float> scratch(ks::conv_plane_scratch_floats(p), 7.0f);
            const std::size_t a = g.out_h / 3, b = g.out_h - g.out_h / 4;
            t.conv_plane(p, xs.data(), y.data(), e, scratch.data(), b, g.out_h);
            t.conv_plane(p, xs.data(), y.data(), e, scratch.data(), 0, a);
            t.conv_plane(p, xs.data(), y.data(), e, scratch.data(), a, b);
        });
    }
}

/// The depthwise cases: odd channel counts and sizes, strides, padding, dilation, every activation.
std::vector<conv_case> depthwise_cases() {
    std::vector<conv_case> cs;
    std::size_t i = 0;
    auto add = [&](conv_case c) {
        if (!valid(c)) return;
        c.act = all_activations[i % 6], c.bias = i % 4 != 1;
        cs.push_back(c), ++i;
    };
    for (std::size_t ch : {1, 3, 7, 13, 17, 33})
        for (std::size_t w : {1, 5, 13, 31, 40})
            for (std::size_t k : {3, 5})
                for (std::size_t s : {1, 2}) {
                    const std::size_t h = w == 1 ? 1 : w + 2 * (ch % 3);
                    add({ch, 1, 1, h, w, k, k, s, s, 1, 1, k / 2, k / 2, k / 2, k / 2, {}, {}});  // same padding
                    add({ch, 1, 1, h + 1, w, k, k, s, s, 1, 1, 0, 1, 1, 2, {}, {}});              // asymmetric
                    if (h >= k && w >= k) add({ch, 1, 1, h, w, k, k, s, s, 1, 1, 0, 0, 0, 0, {}, {}});  // valid
                }
    add({5, 1, 1, 13, 17, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, {}, {}});  // dilation 2
    add({5, 1, 1, 13, 17, 3, 3, 2, 2, 2, 3, 1, 3, 2, 1, {}, {}});  // dilation with stride 2
    add({4, 1, 1, 9, 20, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, {}, {}});   // 7x7: general body
    add({4, 1, 1, 9, 20, 3, 1, 1, 1, 1, 1, 1, 0, 1, 0, {}, {}});   // 3x1
    add({4, 1, 1, 9, 20, 1, 5, 1, 3, 1, 1, 0, 2, 0, 2, {}, {}});   // 1x5, stride 3
    add({6, 1, 1, 11, 11, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, {}, {}});  // stride 3
    // one stride per axis (PaddleOCR rec's (2, 1) and (1, 2)): the unrolled bodies
    for (std::size_t k : {3, 5}) {
        add({7, 1, 1, 12, 37, k, k, 2, 1, 1, 1, k / 2, k / 2, k / 2, k / 2, {}, {}});
        add({7, 1, 1, 13, 37, k, k, 1, 2, 1, 1, k / 2, k / 2, k / 2, k / 2, {}, {}});
        add({3, 1, 1, 6, 80, k, k, 2, 1, 1, 1, k / 2, k / 2, k / 2, k / 2, {}, {}});
    }
    for (activation a : all_activations) cs.push_back({9, 1, 1, 20, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, a, true});
    // column stride 1 reads the input rows in place, masking the vectors that reach into the padding:
    // rows one lane either side of the 8- and 16-float vectors, pads only on one side, and pads wider
    // than the kernel (vectors of padding alone)
    for (std::size_t w : {7, 8, 9, 15, 16, 17, 31, 32, 33})
        for (std::size_t k : {3, 5}) {
            add({3, 1, 1, 6, w, k, k, 1, 1, 1, 1, 0, 0, k - 1, k - 1, {}, {}});
            add({3, 1, 1, 6, w, k, k, 2, 1, 1, 1, k - 1, k - 1, 0, 0, {}, {}});
            add({2, 1, 1, 5, w, k, k, 1, 1, 1, 1, k + 1, k + 2, 1, k + 3, {}, {}});
        }
    return cs;
}

TEST_CASE("fast depthwise matches the reference group convolution") {
    const std::vector<conv_case> cs = depthwise_cases();
    check_cases(cs, "depthwise", [](const ks::fp32_kernel_table& t, const ks::conv_geometry& g,
                                    const std::vector<float>& x, const std::vector<float>& w, const ks::epilogue& e,
                                    std::vector<float>& y) {
        const ks::packed_depthwise p = ks::pack_depthwise(w.data(), g);
        std::vector<float> scratch(ks::depthwise_scratch_floats(g, t.blocking.width));
        // two calls on disjoint channel ranges, as two threads would make
        const std::size_t half = g.groups / 2;
        t.depthwise(p, x.data(), y.data(), e, scratch.data(), 0, half);
        t.depthwise(p, x.data(), y.data(), e, scratch.data(), half, g.groups);
    });
    // the same cases through the general conv kernel: it handles depthwise geometry too
    check_cases(cs, "conv as depthwise", [](const ks::fp32_kernel_table& t, const ks::conv_geometry& g,
                                            const std::vector<float>& x, const std::vector<float>& w,
                                            const ks::epilogue& e, std::vector<float>& y) {
        const ks::packed_conv p = ks::pack_conv(t.blocking, w.data(), g);
        std::vector<float> scratch(ks::conv_scratch_floats(p));
        t.conv(p, x.data(), y.data(), e, scratch.data());
    });
}

TEST_CASE("depthwise_rows: bands of output rows equal depthwise, bit for bit") {
    // the fused depthwise -> pointwise step computes each band of rows on its own; its values must be
    // the ones the whole-image kernel writes
    std::vector<conv_case> cs = depthwise_cases();
    cs.push_back({24, 1, 1, 128, 128, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, activation::none, false});  // BlazeFace back's blocks
    cs.push_back({24, 1, 1, 128, 128, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, activation::relu, true});   // its stride-2 one
    for (const auto& [name, table] : usable_arches()) {
        const ks::fp32_kernel_table& t = *table;
        std::size_t failures = 0;
        for (const conv_case& c : cs) {
            const ks::conv_geometry g = geometry_of(c);
            const auto x = random_floats(c.groups * c.ih * c.iw, 21);
            const auto w = random_floats(c.groups * c.kh * c.kw, 22);
            const auto bias = random_floats(c.groups, 23);
            const ks::epilogue e{c.act, c.bias ? bias.data() : nullptr, nullptr, -0.3f, 0.6f};
            const ks::packed_depthwise p = ks::pack_depthwise(w.data(), g);
            const std::size_t plane = g.out_h * g.out_w;
            std::vector<float> whole(g.groups * plane), scratch(ks::depthwise_scratch_floats(g, t.blocking.width));
            t.depthwise(p, x.data(), whole.data(), e, scratch.data(), 0, g.groups);
            for (std::size_t band : {std::size_t(1), std::size_t(2), std::size_t(3), std::size_t(5), g.out_h}) {
                // channels [c0, groups) in bands; the band buffer holds [channel][row - oy0][ox]
                const std::size_t c0 = g.groups / 3;
                std::vector<float> rs(ks::depthwise_rows_scratch_floats(g, t.blocking.width, band));
                std::vector<float> buf((g.groups - c0) * band * g.out_w + 1, -7.0f);
                bool same = true;
                for (std::size_t oy0 = 0; oy0 < g.out_h && same; oy0 += band) {
                    const std::size_t oy1 = std::min(g.out_h, oy0 + band), n = (oy1 - oy0) * g.out_w;
                    t.depthwise_rows(p, ks::dw_input::tensor(x.data(), g), buf.data(), e, rs.data(), c0, g.groups, oy0,
                                     oy1);
                    for (std::size_t ch = c0; ch < g.groups && same; ++ch)
                        same = std::memcmp(buf.data() + (ch - c0) * n, whole.data() + ch * plane + oy0 * g.out_w,
                                           n * sizeof(float)) == 0;
                    same = same && buf[(g.groups - c0) * band * g.out_w] == -7.0f;  // nothing past the band
                    // the same band from a ring holding only the input rows it reads (any other slot NaN)
                    const std::ptrdiff_t lo = static_cast<std::ptrdiff_t>(oy0 * g.sh) - g.pt;
                    const std::ptrdiff_t hi = static_cast<std::ptrdiff_t>((oy1 - 1) * g.sh + (g.kh - 1) * g.dh) - g.pt + 1;
                    const std::size_t first = static_cast<std::size_t>(std::max<std::ptrdiff_t>(lo, 0));
                    const std::size_t last = std::max(first, static_cast<std::size_t>(std::max<std::ptrdiff_t>(
                                                                  std::min<std::ptrdiff_t>(hi, g.in_h), 0)));
                    // (a band on the padding only reads no row)
                    const std::size_t ring = std::max<std::size_t>(last - first, 1) + band % 3;
                    ks::dw_input win{nullptr, ring * g.in_w, {first / ring * ring, ring}};
                    std::vector<float> rows(g.groups * ring * g.in_w, std::numeric_limits<float>::quiet_NaN());
                    win.data = rows.data();
                    for (std::size_t ch = 0; ch < g.groups; ++ch)
                        for (std::size_t iy = first; iy < last; ++iy)
                            std::memcpy(rows.data() + ch * ring * g.in_w + win.rows.slot(iy) * g.in_w,
                                        x.data() + (ch * g.in_h + iy) * g.in_w, g.in_w * sizeof(float));
                    std::fill(buf.begin(), buf.end(), -7.0f);
                    t.depthwise_rows(p, win, buf.data(), e, rs.data(), c0, g.groups, oy0, oy1);
                    for (std::size_t ch = c0; ch < g.groups && same; ++ch)
                        same = std::memcmp(buf.data() + (ch - c0) * n, whole.data() + ch * plane + oy0 * g.out_w,
                                           n * sizeof(float)) == 0;
                    same = same && buf[(g.groups - c0) * band * g.out_w] == -7.0f;
                }
                if (!same && ++failures <= 5) FAIL_CHECK(describe(name, c) << " band " << band << ": differs");
            }
        }
        CHECK_MESSAGE(failures == 0, name << ": " << failures << " failing band runs");
    }
}

TEST_CASE("conv_phased (few input channels, strided) matches the reference and conv_columns bit for bit") {
    // in_c 1..4, 3x3 / 5x5 / 7x7 / 1x1 / 2x3 windows, strides (2,2), (1,2), (2,3), (3,3); TF SAME's
    // asymmetric pads (the extra one bottom/right), none, and pads past the image; odd and one-row
    // maps, widths below, at and past the tiles' (out_c not a multiple of any arch's mr)
    std::vector<conv_case> cs;
    std::size_t i = 0;
    auto add = [&](conv_case c) {
        if (!valid(c)) return;
        c.act = all_activations[i % 8], c.bias = i % 5 != 2;
        cs.push_back(c), ++i;
    };
    for (std::size_t cin : {1, 2, 3, 4})
        for (std::size_t cout : {1, 5, 24, 27})
            for (std::size_t w : {1, 7, 16, 33, 97}) {
                const std::size_t h = w == 1 ? 1 : w % 5 + 3;
                add({1, cin, cout, h, w, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, {}, {}});  // SAME, even input: pad after
                add({1, cin, cout, h + 1, w, 5, 5, 2, 2, 1, 1, 1, 2, 2, 2, {}, {}});  // 5x5 SAME-like, asymmetric
                add({1, cin, cout, h + 2, w + 1, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, {}, {}});  // 7x7 stride 2
            }
    add({1, 3, 24, 1, 40, 5, 5, 2, 2, 1, 1, 0, 1, 4, 2, {}, {}});     // one input row, pads past the image
    add({1, 3, 9, 11, 20, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, {}, {}});     // stride (1, 2)
    add({1, 2, 13, 12, 31, 3, 3, 2, 3, 1, 1, 1, 0, 1, 2, {}, {}});    // stride (2, 3)
    add({1, 4, 8, 13, 29, 3, 3, 3, 3, 1, 1, 2, 2, 2, 2, {}, {}});     // stride 3, pads wider than a phase step
    add({1, 3, 6, 9, 9, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, {}, {}});       // 1x1 stride 2
    add({1, 3, 7, 8, 17, 2, 3, 2, 2, 1, 1, 0, 1, 0, 1, {}, {}});      // 2x3
    add({1, 3, 24, 64, 64, 5, 5, 2, 2, 1, 1, 1, 1, 2, 2, activation::relu, true});  // BlazeFace front's first layer
    add({1, 3, 24, 40, 256, 5, 5, 2, 2, 1, 1, 1, 1, 2, 2, activation::relu, true}); // back's width, several bands
    for (activation a : all_activations) cs.push_back({1, 3, 10, 9, 21, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, a, true});
    CHECK(cs.size() >= 200);
    const auto rows_of = [](const ks::fp32_kernel_table& t, const ks::conv_geometry& g, const std::vector<float>& x,
                            const std::vector<float>& w, const ks::epilogue& e, std::vector<float>& y) {
        REQUIRE(ks::phased_conv_fits(t.blocking, g));
        const ks::packed_conv p = ks::pack_conv(t.blocking, w.data(), g);
        std::vector<float> scratch(ks::phased_conv_scratch_floats(p, t.blocking.width), 7.0f);
        // three row ranges (as workers split it; the band boundaries fall inside them) and an empty one
        const std::size_t a = g.out_h / 3, b = g.out_h - g.out_h / 4;
        t.conv_phased(p, x.data(), y.data(), e, scratch.data(), b, g.out_h);
        t.conv_phased(p, x.data(), y.data(), e, scratch.data(), 0, a);
        t.conv_phased(p, x.data(), y.data(), e, scratch.data(), a, a);
        t.conv_phased(p, x.data(), y.data(), e, scratch.data(), a, b);
    };
    check_cases(cs, "conv phased by rows", rows_of);
    // the step takes this path in place of conv_columns: the same bits on every arch
    for (const auto& [name, table] : usable_arches()) {
        std::size_t differing = 0;
        for (const conv_case& c : cs) {
            const ks::conv_geometry g = geometry_of(c);
            const auto x = random_floats(c.in_c * c.ih * c.iw, 31);
            const auto w = random_floats(c.out_c * c.in_c * c.kh * c.kw, 32);
            const auto bias = random_floats(c.out_c, 33);
            const ks::epilogue e{c.act, c.bias ? bias.data() : nullptr, nullptr, -0.3f, 0.6f};
            const std::size_t n = c.out_c * g.out_h * g.out_w;
            std::vector<float> a(n, -5.0f), b(n, -6.0f);
            rows_of(*table, g, x, w, e, a);
            const ks::packed_conv p = ks::pack_conv(table->blocking, w.data(), g);
            std::vector<float> scratch(ks::conv_scratch_floats(p));
            table->conv_columns(p, x.data(), b.data(), e, scratch.data(), 0, g.out_h * g.out_w);
            if (std::memcmp(a.data(), b.data(), n * sizeof(float)) != 0 && ++differing <= 5)
                FAIL_CHECK(describe(name, c) << ": conv_phased and conv_columns differ");
        }
        CHECK_MESSAGE(differing == 0, name << ": " << differing << " cases differ");
    }
    // what it does not take: stride 1 (the direct path's), 5 input channels, dilation, groups, 9x9
    for (const auto& [name, table] : usable_arches()) {
        ks::conv_geometry g;
        g.in_c = 3, g.out_c = 8, g.in_h = g.in_w = 16, g.out_h = g.out_w = 8, g.kh = g.kw = 3, g.sh = g.sw = 2;
        CHECK(ks::phased_conv_fits(table->blocking, g));
        ks::conv_geometry s1 = g;
        s1.sh = s1.sw = 1;
        CHECK_FALSE(ks::phased_conv_fits(table->blocking, s1));
        ks::conv_geometry c5 = g;
        c5.in_c = 5;
        CHECK_FALSE(ks::phased_conv_fits(table->blocking, c5));
        ks::conv_geometry d2 = g;
        d2.dw = 2;
        CHECK_FALSE(ks::phased_conv_fits(table->blocking, d2));
        ks::conv_geometry g2 = g;
        g2.groups = 2;
        CHECK_FALSE(ks::phased_conv_fits(table->blocking, g2));
        ks::conv_geometry k9 = g;
        k9.kh = k9.kw = 9;
        CHECK_FALSE(ks::phased_conv_fits(table->blocking, k9));
    }
}
