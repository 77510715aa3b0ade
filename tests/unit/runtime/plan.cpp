// The compiled plan (runtime/plan.hpp) against the reference executor: fused convolution steps
// (bias, every activation, odd channel counts, strides, padding, groups, depthwise), MatMul,
// views, fallback ops, DepthToSpace / SpaceToDepth and comparison steps, thread counts, every arch
// compiled in, and the real PaddleOCR cls model.

#include <support/env.hpp>

#include <moir/core/denormals.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/depth_to_space.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/greater_equal.hpp>
#include <moir/ops/less.hpp>
#include <moir/ops/logical_and.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/hard_sigmoid.hpp>
#include <moir/ops/swish.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/max_pool.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/mvn.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/abs.hpp>
#include <moir/ops/erf.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/gelu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/tanh.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/floor.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/space_to_depth.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // adjacent_find, count, max, sort
#include <atomic>     // atomic
#include <cmath>      // fabs, nanf, round
#include <cstdint>    // int64_t, uint32_t
#include <cstring>    // memcmp
#include <initializer_list>  // initializer_list
#include <limits>     // numeric_limits
#include <string>     // string
#include <thread>     // this_thread::yield
#include <vector>     // vector

#if defined(__linux__)
#include <sched.h>  // cpu_set_t, CPU_COUNT, CPU_EQUAL, sched_getaffinity, sched_getcpu
#endif

namespace {

using namespace moir;
namespace rt = moir::runtime;

/// Deterministic values in [-1, 1).
std::vector<float> noise(std::size_t n, std::uint32_t seed) {
    std::vector<float> v(n);
    for (auto& x : v) {
        seed = seed * 1664525u + 1013904223u;
        x = static_cast<float>(seed >> 8) / static_cast<float>(1u << 23) - 1.0f;
    }
    return v;
}
tensor random_tensor(const shape& s, std::uint32_t seed) { return tensor::from_vector(noise(numel(s), seed), s); }

struct builder {
    model m;
    std::size_t next = 0;
    std::uint32_t seed = 7;
    std::string fresh(const char* what) { return std::string(what) + std::to_string(next++); }
    output_ref param(const shape& s) {
        const node_id id = m.add<ops::parameter>({element_type::f32, partial_shape(s)}, {}, fresh("x"));
        m.parameters.push_back(id);
        return {id, 0};
    }
    output_ref constant(const tensor& t) { return {m.add<ops::constant>({t}, {}, fresh("c")), 0}; }
    output_ref weights(const shape& s) { return constant(random_tensor(s, seed++)); }
    template <class Op>
    output_ref op(typename Op::attrs a, std::vector<output_ref> in) {
        return {m.add<Op>(std::move(a), std::move(in), fresh(std::string(Op::name).c_str())), 0};
    }
    output_ref conv(output_ref x, std::int64_t cin, std::int64_t cout, std::int64_t k, std::int64_t stride,
                    std::int64_t pad) {
        ops::detail::convolution_attrs a{{stride, stride}, {1, 1}, {pad, pad}, {pad, pad}, ops::pad_type::explicit_};
        return op<ops::convolution>(a, {x, weights({cout, cin, k, k})});
    }
    output_ref dwconv(output_ref x, std::int64_t c, std::int64_t k, std::int64_t stride, std::int64_t pad) {
        ops::detail::convolution_attrs a{{stride, stride}, {1, 1}, {pad, pad}, {pad, pad}, ops::pad_type::explicit_};
        return op<ops::group_convolution>(a, {x, weights({c, 1, 1, k, k})});
    }
    output_ref bias(output_ref x, std::int64_t c) { return op<ops::add>({}, {x, weights({1, c, 1, 1})}); }
    void output(output_ref r) { m.results.push_back(m.add<ops::result>({}, {r}, fresh("y"))); }
    model done() {
        m.validate();
        return m;
    }
};

void check_close(const std::vector<tensor>& got, const std::vector<tensor>& want, double rel = 1e-5) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        REQUIRE(got[i].dims() == want[i].dims());
        REQUIRE(got[i].type() == want[i].type());
        const auto g = got[i].to_vector<double>(), w = want[i].to_vector<double>();
        double scale = 1.0;
        for (double v : w) scale = std::max(scale, std::fabs(v));
        double worst = 0.0;
        for (std::size_t j = 0; j < g.size(); ++j) worst = std::max(worst, std::fabs(g[j] - w[j]));
        CHECK_MESSAGE(worst <= rel * scale, "output " << i << ": max abs diff " << worst << " (scale " << scale << ")");
    }
}

/// The arches this program and CPU can run (reference always).
std::vector<std::string> arches() {
    std::vector<std::string> a;
    for (const char* name : {"reference", "avx2", "avx512"})
        if (rt::fp32_table_named(name)) a.push_back(name);
    return a;
}

/// Calls f(options) with options.arch and options.threads set, for every arch (arches()) and each of
/// thread_counts, both captured for the checks f makes.
template <class F>
void for_arches_and_threads(std::initializer_list<std::size_t> thread_counts, F&& f) {
    for (const auto& arch : arches())
        for (std::size_t threads : thread_counts) {
            CAPTURE(arch);
            CAPTURE(threads);
            rt::plan_options o;
            o.arch = arch, o.threads = threads;
            f(o);
        }
}

/// Checks that got holds as many tensors as want, each with want's bytes.
void check_same_bits(const std::vector<tensor>& got, const std::vector<tensor>& want) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        REQUIRE(got[i].bytes() == want[i].bytes());
        CHECK(std::memcmp(got[i].raw(), want[i].raw(), got[i].bytes()) == 0);
    }
}

/// Compiles m for every arch and each thread count (1 and 2 unless given), checks against the
/// reference executor.
void check_plan(const model& m, const std::vector<tensor>& in, double rel = 1e-5,
                std::initializer_list<std::size_t> thread_counts = {1, 2}) {
    const auto want = reference_executor<>(m).run(in);
    for_arches_and_threads(thread_counts, [&](rt::plan_options o) {
        std::vector<shape> shapes;
        for (const auto& t : in) shapes.push_back(t.dims());
        rt::plan p(m, shapes, o);
        check_close(p.run(in), want, rel);
        check_close(p.run(in), want, rel);  // a second run on the same arena
    });
    rt::plan_options o;
    o.fast = false;
    rt::plan p(m, o);
    check_close(p.run(in), want, 0.0);  // reference steps only: identical
}

std::size_t count_kernel(const rt::plan& p, const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& s : p.steps()) n += s->kernel.rfind(prefix, 0) == 0;
    return n;
}

}  // namespace

TEST_CASE("a fused conv + bias + activation is one step for every activation") {
    using kernels::simd::activation;
    for (int act = 0; act < 8; ++act) {
        CAPTURE(act);
        builder b;
        const auto x = b.param({1, 5, 9, 11});
        auto y = b.bias(b.conv(x, 5, 7, 3, 1, 1), 7);
        switch (act) {
            case 1: y = b.op<ops::relu>({}, {y}); break;
            case 2: y = b.op<ops::clamp>({-0.25, 0.5}, {y}); break;
            case 3: y = b.op<ops::hswish>({}, {y}); break;
            case 4: y = b.op<ops::hsigmoid>({}, {y}); break;
            case 5: y = b.op<ops::sigmoid>({}, {y}); break;
            case 6: y = b.op<ops::swish>({}, {y}); break;                                    // SiLU
            case 7: y = b.op<ops::swish>({}, {y, b.constant(tensor::scalar(1.0f))}); break;  // beta 1
            default: break;
        }
        b.output(y);
        const model m = b.done();
        const std::vector<tensor> in{random_tensor({1, 5, 9, 11}, 42)};
        check_plan(m, in);
        rt::plan p(m);
        REQUIRE(p.steps().size() == 1);
        CHECK(p.steps()[0]->kernel.find("conv3x3.") == 0);
        CHECK(p.steps()[0]->ops.find("Convolution+Add") == 0);
        if (act == 3) CHECK(p.steps()[0]->kernel.find("+hswish") != std::string::npos);
        if (act >= 6) CHECK(p.steps()[0]->ops == "Convolution+Add+Swish");
        // stride 1, one group: the direct path, whose unit of work is an output row; with more
        // workers than the 9 rows can keep busy (two rows each), the im2col column split instead
        for (std::size_t threads : {1, 8}) {
            rt::plan_options o;
            o.threads = threads;
            const rt::plan q(m, o);
            REQUIRE(q.steps().size() == 1);
            // (on arches with wide tiles the rows of an image this narrow go to the plane path, whose
            // unit of work is an output row too)
            const std::string& k = q.steps()[0]->kernel;
            if (threads == 1)
                CHECK((k.find("conv3x3.direct.") == 0 || k.find("conv3x3.plane.") == 0));
            else
                CHECK(k.find("conv3x3.direct.") != 0);
        }
        if (act == 0) {
            rt::plan_options o;
            o.threads = 8;
            check_close(rt::plan(m, o).run(in), reference_executor<>(m).run(in), 1e-5);
        }
    }
}

TEST_CASE("Swish fuses into a convolution's and a MatMul's epilogue only with beta 1") {
    builder b;
    const auto x = b.param({1, 6, 7, 9});
    b.output(b.op<ops::swish>({}, {b.bias(b.conv(x, 6, 8, 1, 1, 0), 8)}));                         // fused
    b.output(b.op<ops::swish>({}, {b.conv(x, 6, 4, 3, 1, 1), b.constant(tensor::scalar(1.5f))}));  // beta 1.5: apart
    const auto xm = b.param({3, 10});
    b.output(b.op<ops::swish>({}, {b.op<ops::matmul>({false, false}, {xm, b.weights({10, 12})})}));  // fused
    const model m = b.done();
    const std::vector<tensor> in{random_tensor({1, 6, 7, 9}, 5), random_tensor({3, 10}, 6)};
    check_plan(m, in);
    rt::plan p(m);
    std::size_t fused = 0, apart = 0;
    for (const auto& s : p.steps()) {
        fused += s->kernel.find("+swish") != std::string::npos;
        apart += s->ops == "Swish";
    }
    CHECK(fused == 2);
    CHECK(apart == 1);
}

TEST_CASE("the scalar affine after an activation (PP-LCNetV3's learnable affine block) fuses into the epilogue") {
    builder b;
    const auto x = b.param({1, 6, 9, 10});
    // 1x1 conv + bias + HSwish, then * 0.75 + 0.125 with the constants first
    auto y1 = b.op<ops::hswish>({}, {b.bias(b.conv(x, 6, 8, 1, 1, 0), 8)});
    y1 = b.op<ops::multiply>({}, {b.constant(tensor::scalar(0.75f)), y1});
    b.output(b.op<ops::add>({}, {b.constant(tensor::scalar(0.125f)), y1}));
    // depthwise 3x3 + Relu, then an Add of a [1] constant alone
    const auto y2 = b.op<ops::relu>({}, {b.dwconv(x, 6, 3, 1, 1)});
    b.output(b.op<ops::add>({}, {y2, b.constant(tensor::from_vector<float>({-0.5f}, {1}))}));
    // 3x3 stride-2 conv (im2col, column pieces) + HSwish, then a Multiply alone
    const auto y3 = b.op<ops::hswish>({}, {b.conv(x, 6, 5, 3, 2, 1)});
    b.output(b.op<ops::multiply>({}, {y3, b.constant(tensor::scalar(1.5f))}));
    // a per-channel Multiply is not a scalar affine: it stays an element-wise step
    const auto y4 = b.op<ops::relu>({}, {b.conv(x, 6, 4, 1, 1, 0)});
    b.output(b.op<ops::multiply>({}, {y4, b.weights({1, 4, 1, 1})}));
    // without an activation, a scalar Add is the bias and a scalar Multiply is not fused
    const auto y5 = b.op<ops::add>({}, {b.conv(x, 6, 3, 1, 1, 0), b.constant(tensor::scalar(0.25f))});
    b.output(b.op<ops::multiply>({}, {y5, b.constant(tensor::scalar(2.0f))}));
    // MatMul (weights packed, per-column bias) + Sigmoid, then * -2 + 1
    const auto xm = b.param({3, 17});
    auto ym = b.op<ops::sigmoid>({}, {b.op<ops::add>({}, {b.op<ops::matmul>({false, false}, {xm, b.weights({17, 11})}),
                                                          b.weights({11})})});
    ym = b.op<ops::multiply>({}, {ym, b.constant(tensor::scalar(-2.0f))});
    b.output(b.op<ops::add>({}, {ym, b.constant(tensor::scalar(1.0f))}));
    const model m = b.done();
    check_plan(m, {random_tensor({1, 6, 9, 10}, 21), random_tensor({3, 17}, 22)});
    rt::plan p(m);
    std::vector<std::string> ops;
    for (const auto& st : p.steps()) ops.push_back(st->ops);
    const auto has = [&](const std::string& o) { return std::count(ops.begin(), ops.end(), o) == 1; };
    CHECK(has("Convolution+Add+HSwish+Multiply+Add"));
    CHECK(has("GroupConvolution+Relu+Add"));
    CHECK(has("Convolution+HSwish+Multiply"));
    CHECK(has("Convolution+Relu"));
    CHECK(has("Convolution+Add"));
    CHECK(has("MatMul+Add+Sigmoid+Multiply+Add"));
    CHECK(count_kernel(p, "eltwise") == 2);  // the per-channel Multiply and the Multiply after y5
    CHECK(count_kernel(p, "conv1x1") == 3);
    for (const auto& st : p.steps())
        if (st->ops == "Convolution+Add+HSwish+Multiply+Add") CHECK(st->kernel.find("+hswish+affine") != std::string::npos);
}

TEST_CASE("conv geometries: odd channels, stride 2, padding, 1x1, 5x5, groups, depthwise, batch 2") {
    struct geo {
        std::int64_t n, cin, cout, h, w, k, stride, pad;
    };
    for (const geo& g : std::vector<geo>{{1, 3, 17, 13, 15, 3, 2, 1},
                                         {1, 13, 19, 7, 9, 1, 1, 0},
                                         {1, 13, 19, 8, 8, 1, 2, 0},
                                         {2, 4, 6, 11, 10, 5, 1, 2},
                                         {1, 1, 33, 20, 21, 3, 1, 0},
                                         {1, 32, 64, 16, 16, 3, 1, 1}}) {
        CAPTURE(g.cin);
        CAPTURE(g.k);
        builder b;
        const auto x = b.param({g.n, g.cin, g.h, g.w});
        b.output(b.op<ops::relu>({}, {b.bias(b.conv(x, g.cin, g.cout, g.k, g.stride, g.pad), g.cout)}));
        check_plan(b.done(), {random_tensor({g.n, g.cin, g.h, g.w}, 3)});
    }
    for (std::int64_t k : {3, 5})
        for (std::int64_t stride : {1, 2}) {
            CAPTURE(k);
            CAPTURE(stride);
            builder b;
            const auto x = b.param({1, 11, 19, 17});
            b.output(b.op<ops::hswish>({}, {b.bias(b.dwconv(x, 11, k, stride, k / 2), 11)}));
            const model m = b.done();
            check_plan(m, {random_tensor({1, 11, 19, 17}, 5)});
            CHECK(count_kernel(rt::plan(m), "dw") == 1);
        }
    {  // grouped, not depthwise: 2 groups of 3 -> 8
        builder b;
        const auto x = b.param({1, 6, 9, 9});
        ops::detail::convolution_attrs a{{1, 1}, {1, 1}, {1, 1}, {1, 1}, ops::pad_type::explicit_};
        b.output(b.op<ops::group_convolution>(a, {x, b.weights({2, 4, 3, 3, 3})}));
        const model m = b.done();
        check_plan(m, {random_tensor({1, 6, 9, 9}, 9)});
        CHECK(count_kernel(rt::plan(m), "gconv3x3") == 1);
    }
}

TEST_CASE("no fusion when the conv output has another consumer; scalar bias and Add(bias, x) fuse") {
    builder b;
    const auto x = b.param({1, 3, 8, 8});
    const auto c = b.conv(x, 3, 4, 3, 1, 1);
    b.output(b.op<ops::relu>({}, {c}));
    b.output(c);
    const auto c2 = b.conv(x, 3, 4, 1, 1, 0);
    b.output(b.op<ops::sigmoid>({}, {b.op<ops::add>({}, {b.constant(tensor::scalar(0.5f)), c2})}));
    const model m = b.done();
    check_plan(m, {random_tensor({1, 3, 8, 8}, 11)});
    rt::plan p(m);
    CHECK(count_kernel(p, "eltwise") == 1);  // the Relu, on its own
    CHECK(count_kernel(p, "conv1x1") == 1);
    for (const auto& s : p.steps())
        if (s->kernel.rfind("conv1x1", 0) == 0) CHECK(s->ops == "Convolution+Add+Sigmoid");
}

TEST_CASE("MatMul with constant weights, bias and activation; transpose_b; batch dims") {
    for (bool tb : {false, true}) {
        builder b;
        const auto x = b.param({2, 5, 37});
        const auto w = b.weights(tb ? shape{19, 37} : shape{37, 19});
        auto y = b.op<ops::matmul>({false, tb}, {x, w});
        y = b.op<ops::add>({}, {y, b.weights({19})});
        b.output(b.op<ops::hsigmoid>({}, {y}));
        const model m = b.done();
        check_plan(m, {random_tensor({2, 5, 37}, 13)});
        rt::plan p(m);
        REQUIRE(p.steps().size() == 1);
        CHECK(p.steps()[0]->ops == "MatMul+Add+HSigmoid");
    }
    {  // K beyond one K block
        builder b;
        const auto x = b.param({3, 700});
        b.output(b.op<ops::matmul>({false, false}, {x, b.weights({700, 9})}));
        check_plan(b.done(), {random_tensor({3, 700}, 17)}, 2e-5);
    }
}

TEST_CASE("a BatchNorm after a MatMul's activation (Kaldi's relu-batchnorm) is fused as a per-column affine") {
    // rows x 300 outputs: 290 rows split by rows, 3 rows by blocks of columns at two threads
    for (std::int64_t rows : {290, 3}) {
        for (int form = 0; form < 3; ++form) {  // Multiply + Add; Multiply alone; a [1, n] scale, no bias
            CAPTURE(rows);
            CAPTURE(form);
            builder b;
            const auto x = b.param({rows, 70});
            auto y = b.op<ops::matmul>({false, false}, {x, b.weights({70, 300})});
            if (form != 2) y = b.op<ops::add>({}, {y, b.weights({300})});
            y = b.op<ops::relu>({}, {y});
            y = b.op<ops::multiply>({}, {b.weights(form == 2 ? shape{1, 300} : shape{300}), y});
            if (form != 1) y = b.op<ops::add>({}, {y, b.weights({300})});
            b.output(y);
            const model m = b.done();
            check_plan(m, {random_tensor({rows, 70}, 31)}, 2e-5);
            rt::plan p(m);
            REQUIRE(p.steps().size() == 1);
            CHECK(p.steps()[0]->kernel.find("+relu+channel_affine") != std::string::npos);
        }
    }
    {  // a Multiply by a tensor that varies along the rows is not a per-column affine
        builder b;
        const auto x = b.param({4, 70});
        auto y = b.op<ops::relu>({}, {b.op<ops::matmul>({false, false}, {x, b.weights({70, 30})})});
        b.output(b.op<ops::multiply>({}, {y, b.weights({4, 1})}));
        const model m = b.done();
        check_plan(m, {random_tensor({4, 70}, 37)});
        rt::plan p(m);
        CHECK(p.steps().size() == 2);
    }
}

TEST_CASE("MatMul of a constant A of few rows and an activation B: B read in place, its columns split") {
    // Kaldi's statistics pooling: a window of ones [1, frames] times [frames, features]
    for (std::int64_t m : {1, 3, 5}) {
        for (std::int64_t k : {29, 600}) {  // 600: beyond one K block
            for (std::int64_t n : {37, 301}) {
                CAPTURE(m);
                CAPTURE(k);
                CAPTURE(n);
                builder b;
                const auto x = b.param({k, n});
                const auto bm = b.op<ops::relu>({}, {x});  // an arena tensor: its last row may be loaded whole
                b.output(b.op<ops::matmul>({false, false}, {b.weights({m, k}), bm}));
                const model md = b.done();
                check_plan(md, {random_tensor({k, n}, 23)}, 2e-5);
                rt::plan p(md);
                CHECK(count_kernel(p, "gemm_inplace") == (static_cast<std::size_t>(m) <= rt::fp32_table_named(p.arch())->blocking.mr));
            }
        }
    }
    for (std::int64_t n : {37, 48}) {  // B a model input: read in place only when its rows are whole vectors
        CAPTURE(n);
        builder b;
        const auto x = b.param({1, 40, n});
        b.output(b.op<ops::matmul>({false, false}, {b.weights({1, 1, 40}), x}));
        const model md = b.done();
        check_plan(md, {random_tensor({1, 40, n}, 29)}, 2e-5);
        rt::plan p(md);
        CHECK(count_kernel(p, "gemm_inplace") == (n % rt::fp32_table_named(p.arch())->blocking.width == 0));
    }
}

TEST_CASE("fallback ops, views and folded constants run through the reference steps") {
    builder b;
    const auto x = b.param({1, 4, 6, 6});
    const auto c = b.op<ops::relu>({}, {b.bias(b.conv(x, 4, 8, 3, 1, 1), 8)});
    ops::max_pool::attrs mp{{2, 2}, {0, 0}, {0, 0}, {2, 2}, ops::rounding_type::floor, ops::pad_type::explicit_};
    const auto pooled = b.op<ops::max_pool>(mp, {c});
    // a reshape target computed from constants: folded when the plan is compiled
    const auto target = b.op<ops::add>({}, {b.constant(tensor::from_vector(std::vector<std::int64_t>{0, 71})),
                                            b.constant(tensor::from_vector(std::vector<std::int64_t>{1, 1}))});
    const auto flat = b.op<ops::reshape>({false}, {pooled, target});
    const auto both = b.op<ops::concat>({0}, {flat, flat});
    b.output(b.op<ops::softmax>({1}, {both}));
    b.output(flat);
    const model m = b.done();
    check_plan(m, {random_tensor({1, 4, 6, 6}, 19)});
    rt::plan p(m);
    CHECK(count_kernel(p, "view") == 1);
    CHECK(count_kernel(p, "maxpool") == 1);
    CHECK(count_kernel(p, "softmax") == 1);
    CHECK(count_kernel(p, "reference") == 0);
    CHECK(count_kernel(p, "concat") == 1);
    CHECK(p.steps().size() == 5);  // conv, pool, view, concat, softmax (the Add is folded)
}

TEST_CASE("nearest Interpolate steps pick the reference's cells: det's 2x, odd sizes, half_pixel, pads, axes") {
    using ops::coordinate_transformation_mode;
    using ops::nearest_mode;
    auto sizes = [](std::vector<std::int64_t> v) { return tensor::from_vector(v); };
    auto scales = [](std::vector<float> v) { return tensor::from_vector(v); };
    struct variant {
        ops::interpolate::attrs a;
        tensor target;
        std::vector<std::int64_t> axes;  // empty: no 3rd input
    };
    const auto mk = [](ops::shape_calculation_mode m, coordinate_transformation_mode c, nearest_mode n,
                       std::vector<std::int64_t> pb = {}, std::vector<std::int64_t> pe = {}) {
        return ops::interpolate::attrs{ops::interpolate_mode::nearest, m, c, n, false, pb, pe, -0.75};
    };
    const auto by_scales = ops::shape_calculation_mode::scales;
    const auto by_sizes = ops::shape_calculation_mode::sizes;
    const std::vector<variant> cases{
        // det's FPN: x2 by scales, asymmetric + floor, on H and W of NCHW
        {mk(by_scales, coordinate_transformation_mode::asymmetric, nearest_mode::floor), scales({1, 1, 2, 2}), {}},
        {mk(by_scales, coordinate_transformation_mode::asymmetric, nearest_mode::floor), scales({4, 4}), {2, 3}},
        // odd ratios up and down, half_pixel rounding
        {mk(by_sizes, coordinate_transformation_mode::half_pixel, nearest_mode::round_prefer_floor), sizes({1, 3, 7, 4}), {}},
        {mk(by_sizes, coordinate_transformation_mode::align_corners, nearest_mode::round_prefer_ceil), sizes({9, 13}), {2, 3}},
        // only W resampled (rows copied whole), and only H (columns identical)
        {mk(by_sizes, coordinate_transformation_mode::tf_half_pixel_for_nn, nearest_mode::ceil), sizes({11}), {3}},
        {mk(by_sizes, coordinate_transformation_mode::asymmetric, nearest_mode::simple), sizes({10}), {2}},
        // pads: zero rows and columns
        {mk(by_sizes, coordinate_transformation_mode::half_pixel, nearest_mode::floor, {0, 0, 1, 2}, {0, 0, 2, 1}),
         sizes({1, 3, 8, 9}), {}},
    };
    for (std::size_t k = 0; k < cases.size(); ++k) {
        CAPTURE(k);
        builder b;
        const auto x = b.param({1, 3, 5, 6});
        std::vector<output_ref> in{x, b.constant(cases[k].target)};
        if (!cases[k].axes.empty()) in.push_back(b.constant(tensor::from_vector(cases[k].axes)));
        const auto y = b.op<ops::interpolate>(cases[k].a, in);
        b.output(b.op<ops::relu>({}, {y}));  // a consumer, so the output is an arena tensor
        const model m = b.done();
        check_plan(m, {random_tensor({1, 3, 5, 6}, 40 + static_cast<std::uint32_t>(k))}, 0.0);
        rt::plan p(m);
        CHECK(count_kernel(p, "nearest") == 1);
    }
}

TEST_CASE("linear and cubic Interpolate steps against the reference: every coordinate transformation, up, down, pads") {
    using ops::coordinate_transformation_mode;
    using ops::nearest_mode;
    struct variant {
        ops::interpolate::attrs a;
        std::vector<std::int64_t> sizes;
        std::vector<std::int64_t> axes;
        bool fast;
    };
    const auto mk = [](ops::interpolate_mode mode, coordinate_transformation_mode c, std::vector<std::int64_t> pb = {},
                       std::vector<std::int64_t> pe = {}) {
        return ops::interpolate::attrs{mode, ops::shape_calculation_mode::sizes, c, nearest_mode::floor, false, pb, pe,
                                       -0.75};
    };
    const auto lin = ops::interpolate_mode::linear_onnx;
    const auto cub = ops::interpolate_mode::cubic;
    const std::vector<variant> cases{
        {mk(lin, coordinate_transformation_mode::half_pixel), {10, 12}, {2, 3}, true},   // TF's 2x bilinear
        {mk(lin, coordinate_transformation_mode::align_corners), {9, 13}, {2, 3}, true},
        {mk(lin, coordinate_transformation_mode::asymmetric), {3, 4}, {2, 3}, true},     // down
        {mk(lin, coordinate_transformation_mode::pytorch_half_pixel), {1, 7}, {2, 3}, true},
        {mk(lin, coordinate_transformation_mode::tf_half_pixel_for_nn), {11}, {3}, true},  // W only
        {mk(lin, coordinate_transformation_mode::half_pixel, {0, 0, 1, 2}, {0, 0, 2, 1}), {2, 3, 8, 9}, {}, true},
        {mk(cub, coordinate_transformation_mode::half_pixel), {11, 7}, {2, 3}, true},
        {mk(cub, coordinate_transformation_mode::align_corners), {4, 17}, {2, 3}, true},
        {mk(lin, coordinate_transformation_mode::half_pixel), {2, 4, 5, 9}, {}, false},   // C and W: not adjacent
        {mk(lin, coordinate_transformation_mode::half_pixel), {2, 6, 9, 6}, {}, true},    // NHWC-like: C and H
        {mk(lin, coordinate_transformation_mode::align_corners), {7}, {1}, true},         // one axis, inner 30
    };
    for (std::size_t k = 0; k < cases.size(); ++k) {
        CAPTURE(k);
        builder b;
        const auto x = b.param({2, 3, 5, 6});
        std::vector<output_ref> in{x, b.constant(tensor::from_vector(cases[k].sizes))};
        if (!cases[k].axes.empty()) in.push_back(b.constant(tensor::from_vector(cases[k].axes)));
        b.output(b.op<ops::relu>({}, {b.op<ops::interpolate>(cases[k].a, in)}));
        const model m = b.done();
        check_plan(m, {random_tensor({2, 3, 5, 6}, 60 + static_cast<std::uint32_t>(k))}, 1e-5);
        rt::plan p(m);
        CHECK(count_kernel(p, "reference") == (cases[k].fast ? 0u : 1u));
    }
    // NCHW maps large enough to split between workers (each keeps its own resampled input rows):
    // CenterNet's 2x bilinear upsampling, cubic, and a downscale, split by rows of every plane; 3 rows
    // (uneven at two threads) split by rows of all planes in turn
    for (const auto& c : {variant{mk(lin, coordinate_transformation_mode::half_pixel), {2, 9, 96, 110}, {}, true},
                          variant{mk(cub, coordinate_transformation_mode::align_corners), {2, 9, 70, 81}, {}, true},
                          variant{mk(lin, coordinate_transformation_mode::asymmetric), {2, 9, 31, 17}, {}, true},
                          variant{mk(lin, coordinate_transformation_mode::half_pixel), {2, 9, 3, 140}, {}, true}}) {
        CAPTURE(c.sizes[2]);
        builder b;
        const auto x = b.param({2, 9, 48, 55});
        b.output(b.op<ops::interpolate>(c.a, {x, b.constant(tensor::from_vector(c.sizes))}));
        const model m = b.done();
        check_plan(m, {random_tensor({2, 9, 48, 55}, 67)}, 1e-5, {1, 2, 3});
        CHECK(count_kernel(rt::plan(m), c.a.mode == cub ? "cubic" : "linear") == 1);
    }
}

TEST_CASE("Concat steps: channels (det's FPN), last axis, a constant input, 2 threads on big blocks") {
    // and a Relu that alone reads a Concat runs in its copies (tfjs CenterNet's head), bit for bit
    for (std::int64_t axis : {1, -1, 0, 2}) {
        CAPTURE(axis);
        builder b;
        const auto x = b.param({2, 24, 33, 35});  // 2 x 24 x 33 x 35 f32: blocks above 64 KB get cut
        const auto y = b.op<ops::relu>({}, {x});
        const auto z = b.op<ops::abs>({}, {x});  // (exact: the test compares bit for bit)
        const auto c = b.weights({2, 24, 33, 35});
        b.output(b.op<ops::concat>({axis}, {y, c, z, y}));
        const auto t = b.op<ops::negative>({}, {x});
        b.output(b.op<ops::relu>({}, {b.op<ops::concat>({axis}, {t, c, x})}));
        const model m = b.done();
        check_plan(m, {random_tensor({2, 24, 33, 35}, 77)}, 0.0);
        rt::plan p(m);
        CHECK(count_kernel(p, "concat") == 2);
        CHECK(count_kernel(p, "concat+relu") == 1);
    }
}

TEST_CASE("element-wise and pooling steps: SE block, residual, broadcasts, pools with padding and ceil") {
    builder b;
    const auto x = b.param({1, 6, 9, 10});
    const auto c = b.op<ops::hswish>({}, {b.bias(b.conv(x, 6, 6, 1, 1, 0), 6)});
    // squeeze-excite: global mean, 1x1 convs, HardSigmoid, channel scale
    const auto axes = b.constant(tensor::from_vector(std::vector<std::int64_t>{2, 3}));
    const auto mean = b.op<ops::reduce_mean>({true}, {c, axes});
    const auto s = b.op<ops::relu>({}, {b.bias(b.conv(mean, 6, 3, 1, 1, 0), 3)});
    const auto e = b.bias(b.conv(s, 3, 6, 1, 1, 0), 6);
    const auto gate = b.op<ops::hard_sigmoid>(
        {}, {e, b.constant(tensor::scalar(0.2f)), b.constant(tensor::scalar(0.5f))});
    const auto scaled = b.op<ops::multiply>({}, {c, gate});
    const auto res = b.op<ops::add>({}, {scaled, x});                         // equal shapes
    const auto shifted = b.op<ops::subtract>({}, {b.weights({6, 1, 1}), res});  // small operand first
    const auto clamped = b.op<ops::clamp>({-0.5, 0.75}, {shifted});
    b.output(b.op<ops::sigmoid>({}, {clamped}));
    ops::avg_pool::attrs ap{{2, 2}, {1, 1}, {1, 1}, {3, 3}, false, ops::rounding_type::ceil, ops::pad_type::explicit_};
    b.output(b.op<ops::avg_pool>(ap, {res}));
    ap.exclude_pad = true;
    b.output(b.op<ops::avg_pool>(ap, {res}));
    ops::max_pool::attrs mp{{2, 1}, {1, 0}, {1, 2}, {3, 3}, ops::rounding_type::ceil, ops::pad_type::explicit_};
    b.output(b.op<ops::max_pool>(mp, {res}));
    const model m = b.done();
    check_plan(m, {random_tensor({1, 6, 9, 10}, 37)});
    rt::plan p(m);
    CHECK(count_kernel(p, "reference") == 0);
    CHECK(count_kernel(p, "global_mean") == 1);
    CHECK(count_kernel(p, "eltwise") == 6);  // hsigmoid, multiply, add, subtract, clamp, sigmoid
}

TEST_CASE("zoo ops on fast steps: 1-D convolutions, PRelu (per channel, scalar, broadcast), Max/Min, Log, Erf") {
    // the openWakeWord melspectrogram's 1-D convolution (kernel 512, stride 160) at awkward sizes,
    // a padded dilated one, a grouped one, and batch 2
    for (const shape& xs : {shape{1, 1, 1297}, shape{2, 3, 77}}) {
        CAPTURE(xs[2]);
        builder b;
        const auto x = b.param(xs);
        const std::int64_t c = xs[1];
        const std::int64_t k = xs[2] > 1000 ? 512 : 5, st = xs[2] > 1000 ? 160 : 2;
        ops::detail::convolution_attrs a{{st}, {1}, {0}, {0}, ops::pad_type::explicit_};
        const auto y = b.op<ops::convolution>(a, {x, b.weights({7, c, k})});
        b.output(b.op<ops::relu>({}, {b.op<ops::add>({}, {y, b.weights({1, 7, 1})})}));
        ops::detail::convolution_attrs pa{{1}, {2}, {3}, {1}, ops::pad_type::explicit_};
        b.output(b.op<ops::convolution>(pa, {x, b.weights({4, c, 3})}));
        if (c == 3) b.output(b.op<ops::group_convolution>(pa, {x, b.weights({3, 2, 1, 3})}));
        const model m = b.done();
        check_plan(m, {random_tensor(xs, 41)}, 1e-5);
        rt::plan p(m);
        CHECK(count_kernel(p, "reference") == 0);
    }
    builder b;
    const auto x = b.param({2, 5, 7, 3});
    b.output(b.op<ops::prelu>({}, {x, b.weights({5})}));                              // per channel
    b.output(b.op<ops::prelu>({}, {x, b.constant(tensor::from_vector(std::vector<float>{0.1f}))}));  // LeakyRelu
    b.output(b.op<ops::prelu>({}, {x, b.weights({7, 3})}));                           // numpy broadcast
    const auto mx = b.op<ops::maximum>({}, {x, b.weights({5, 1, 1})});
    const auto mn = b.op<ops::minimum>({}, {b.weights({1, 1, 3}), mx});  // the small operand first
    b.output(mn);
    b.output(b.op<ops::log>({}, {b.op<ops::abs>({}, {x})}));
    b.output(b.op<ops::erf>({}, {b.op<ops::negative>({}, {b.op<ops::floor>({}, {x})})}));
    const model m = b.done();
    check_plan(m, {random_tensor({2, 5, 7, 3}, 43)}, 1e-6);
    rt::plan p(m);
    CHECK(count_kernel(p, "reference") == 0);
    CHECK(count_kernel(p, "eltwise") == 10);
}

namespace {
/// The number of steps whose kernel name contains `part`.
std::size_t count_kernel_part(const rt::plan& p, const std::string& part) {
    std::size_t n = 0;
    for (const auto& s : p.steps()) n += s->kernel.find(part) != std::string::npos;
    return n;
}
}  // namespace

TEST_CASE("narrow images on the plane path and few-window 1-D convolutions on the windows path") {
    // openWakeWord's embedding: 1x3 (padded) and 3x1 convolutions with LeakyRelu + Maximum on images
    // 16, 8, 4 and 2 columns wide (conv_plane: tiles span several output rows), batch 2
    const bool vector_arch = rt::fp32_table_named("avx2") || rt::fp32_table_named("avx512");
    for (std::int64_t w : {16, 8, 4, 2}) {
        CAPTURE(w);
        builder b;
        const shape xs{2, 24, 11, w};
        const auto x = b.param(xs);
        const auto slope = b.constant(tensor::from_vector(std::vector<float>{0.2f}));
        const auto floor = b.constant(tensor::scalar(-0.05f));
        ops::detail::convolution_attrs a13{{1, 1}, {1, 1}, {0, 1}, {0, 1}, ops::pad_type::explicit_};
        ops::detail::convolution_attrs a31{{1, 1}, {1, 1}, {0, 0}, {0, 0}, ops::pad_type::explicit_};
        auto block = [&](output_ref in, std::int64_t cin, std::int64_t cout, const ops::detail::convolution_attrs& a,
                         std::int64_t kh, std::int64_t kw) {
            const auto c = b.op<ops::convolution>(a, {in, b.weights({cout, cin, kh, kw})});
            const auto y = b.op<ops::prelu>({}, {b.op<ops::add>({}, {c, b.weights({1, cout, 1, 1})}), slope});
            return b.op<ops::maximum>({}, {y, floor});
        };
        b.output(block(block(x, 24, 40, a13, 1, 3), 40, 19, a31, 3, 1));
        // a residual Add after a plane-path convolution stays an element-wise step (its tiles may
        // store into scratch, not y)
        b.output(b.op<ops::add>({}, {b.op<ops::convolution>(a13, {x, b.weights({24, 24, 1, 3})}), x}));
        const model m = b.done();
        check_plan(m, {random_tensor(xs, 53)});
        rt::plan p(m);
        CHECK(count_kernel(p, "reference") == 0);
        if (vector_arch && w <= 8) {  // avx2's tiles are 16 wide (the narrowest: tiles of output channels)
            CHECK(count_kernel_part(p, ".plane") + count_kernel_part(p, ".pixels") == 3);
            CHECK(count_kernel(p, "eltwise") == 1);
        }
    }
    // melspectrogram's STFT (kernel 512 stride 160 on 1280 samples) and a batch of 2 with a bias and relu
    for (const shape& xs : {shape{1, 1, 1280}, shape{2, 1, 700}}) {
        CAPTURE(xs[2]);
        builder b;
        const auto x = b.param(xs);
        const std::int64_t k = xs[2] == 1280 ? 512 : 64, st = xs[2] == 1280 ? 160 : 50;
        ops::detail::convolution_attrs a{{st}, {1}, {0}, {0}, ops::pad_type::explicit_};
        b.output(b.op<ops::convolution>(a, {x, b.weights({257, 1, k})}));
        const auto y = b.op<ops::convolution>(a, {x, b.weights({9, 1, k})});
        b.output(b.op<ops::relu>({}, {b.op<ops::add>({}, {y, b.weights({1, 9, 1})})}));
        const model m = b.done();
        check_plan(m, {random_tensor(xs, 59)});
        rt::plan p(m);
        if (vector_arch) CHECK(count_kernel_part(p, ".windows") == 2);
    }
}

TEST_CASE("tiny images on the pixels path: tiles of output channels (im2col^T * W^T on gemm_b)") {
    // openWakeWord's deepest layers (96 channels on 8x2 maps): every geometry kind on maps of 1-6
    // pixels, output channels that fill no whole tile, batch 2, fused bias + activation
    const bool vector_arch = rt::fp32_table_named("avx2") || rt::fp32_table_named("avx512");
    builder b;
    const shape xs{2, 13, 3, 2};
    const auto x = b.param(xs);
    b.output(b.op<ops::relu>({}, {b.bias(b.conv(x, 13, 50, 3, 1, 1), 50)}));  // 3x3 padded: 6 pixels
    b.output(b.conv(x, 13, 7, 3, 2, 1));                                        // stride 2: 2 pixels
    b.output(b.op<ops::hswish>({}, {b.conv(x, 13, 33, 1, 1, 0)}));              // 1x1: a plain GEMM
    ops::detail::convolution_attrs ad{{1, 2}, {2, 1}, {2, 0}, {1, 1}, ops::pad_type::explicit_};
    const auto slope = b.constant(tensor::from_vector(std::vector<float>{0.2f}));
    b.output(b.op<ops::prelu>({}, {b.op<ops::convolution>(ad, {x, b.weights({9, 13, 3, 2})}), slope}));  // dilated: 2x1
    const auto x1 = b.param({2, 13, 3});
    ops::detail::convolution_attrs a1{{1}, {1}, {1}, {1}, ops::pad_type::explicit_};
    b.output(b.op<ops::convolution>(a1, {x1, b.weights({20, 13, 3})}));  // 1-D, 3 samples
    // a wide image keeps tiles of pixels
    const auto xw = b.param({2, 13, 9, 16});
    b.output(b.conv(xw, 13, 50, 3, 1, 1));
    const model m = b.done();
    check_plan(m, {random_tensor(xs, 67), random_tensor({2, 13, 3}, 71), random_tensor({2, 13, 9, 16}, 73)});
    rt::plan p(m);
    CHECK(count_kernel(p, "reference") == 0);
    if (vector_arch) CHECK(count_kernel_part(p, ".pixels") == 5);
}

TEST_CASE("a residual Add (and the Relu after it) fuses into the convolution's epilogue: 1x1, direct, im2col") {
    // BlazeFace's block: conv -> + bias -> Add(block input) -> Relu, the residual either operand; 48
    // columns: the 3x3 stride-1 convolution takes the direct path on every arch (not the plane path,
    // which does not fuse a residual)
    builder b;
    const shape xs{2, 8, 5, 48};
    const auto x = b.param(xs);
    const auto y1 = b.op<ops::relu>({}, {b.op<ops::add>({}, {b.bias(b.conv(x, 8, 8, 1, 1, 0), 8), x})});
    const auto y2 = b.op<ops::relu>({}, {b.op<ops::add>({}, {y1, b.bias(b.conv(y1, 8, 8, 3, 1, 1), 8)})});
    // 3x3 stride 2 (im2col) + r, r made after it in the graph: the plan visits r first
    const auto trunk = b.conv(y2, 8, 8, 3, 2, 1);
    const auto r = b.op<ops::relu>({}, {b.conv(y2, 8, 8, 1, 2, 0)});
    b.output(b.op<ops::add>({}, {trunk, r}));
    const model m = b.done();
    check_plan(m, {random_tensor(xs, 61)});
    rt::plan p(m);
    CHECK(count_kernel(p, "eltwise") == 0);
    CHECK(p.steps().size() == 4);
    CHECK(count_kernel_part(p, "+relu") == 3);
    CHECK(count_kernel_part(p, ".direct") == 1);
}

TEST_CASE("a convolution on a map of one row runs the direct path as blocks of output channels at two threads") {
    // PaddleOCR rec's 1x3 convolutions on 1x40 maps: one row is too few to split between workers, so
    // each worker runs the direct path over every row for its own block of output channels (before,
    // the im2col path, each worker packing the whole im2col matrix). A block's K slices may differ
    // from the whole layer's (pack_conv_direct), so the last bit may differ from one thread's
    builder b;
    const shape xs{1, 24, 1, 40};
    const auto x = b.param(xs);
    ops::detail::convolution_attrs a{{1, 1}, {1, 1}, {0, 1}, {0, 1}, ops::pad_type::explicit_};
    b.output(b.op<ops::swish>({}, {b.bias(b.op<ops::convolution>(a, {x, b.weights({60, 24, 1, 3})}), 60)}));
    // with a residual Add and a Relu in the epilogue
    const auto c = b.bias(b.op<ops::convolution>(a, {x, b.weights({24, 24, 1, 3})}), 24);
    b.output(b.op<ops::relu>({}, {b.op<ops::add>({}, {c, x})}));
    const model m = b.done();
    const std::vector<tensor> in{random_tensor(xs, 71)};
    check_plan(m, in);
    for (const auto& arch : arches()) {
        CAPTURE(arch);
        rt::plan_options o;
        o.arch = arch, o.threads = 1;
        rt::plan one(m, o);
        o.threads = 2;
        rt::plan two(m, o);
        CHECK(count_kernel_part(one, ".direct") == 2);
        CHECK(count_kernel_part(two, ".direct") == 2);
        CHECK(count_kernel(two, "eltwise") == 0);
        for (const auto& st : two.steps())
            if (const auto* cs = dynamic_cast<const rt::steps::conv_step*>(st.get())) {
                CHECK(cs->direct);
                CHECK(cs->parts.size() == 2);
            }
        check_close(two.run(in), one.run(in), 1e-6);
    }
}

TEST_CASE("MVN steps: rows of awkward lengths, trailing axes, both eps modes, the LayerNorm's scale and shift fused") {
    // steps/mvn.hpp on kernels/simd/normalization.hpp against the reference kernel (double), every
    // arch, 1 to 3 threads: row lengths around the vector widths and long rows, rows shared by the
    // workers; a Multiply and Add by per-position (or scalar) constants run in the step, one by a
    // constant along another axis does not; normalized axes that are not contiguous stay reference.
    struct mvn_case {
        shape s;
        std::vector<std::int64_t> axes;
        bool variance, inside;
        int affine;  // 0 none, 1 gamma [last] and beta [last], 2 scalar gamma only, 3 beta [1, last] only,
                     // 4 gamma per row (not fused), 5 gamma and beta along axis 1 ([C, 1, ...])
        std::size_t fused_steps;  // steps the plan makes (views aside)
    };
    const std::vector<mvn_case> cases{
        {{3, 1}, {-1}, true, true, 1, 1},          {{2, 7, 15}, {-1}, true, true, 1, 1},
        {{2, 7, 16}, {2}, true, false, 0, 1},      {{2, 7, 17}, {-1}, false, true, 2, 1},
        {{1, 40, 33}, {-1}, true, true, 1, 1},     {{1, 3, 5, 9}, {2, 3}, true, true, 0, 1},
        {{2, 3, 4, 5}, {1, 2, 3}, true, false, 0, 1}, {{2, 3, 4, 5}, {3}, true, true, 3, 1},
        {{4, 1, 6}, {1, 2}, true, true, 1, 1},
        {{2, 600, 100}, {-1}, true, true, 1, 1},   {{1, 2, 3000}, {-1}, true, true, 0, 1},
        {{3, 8, 10}, {-1}, true, true, 4, 2},
        // a kept axis of size > 1 after the normalized ones: mvn_columns (the channels of NCHW data;
        // columns in whole tiles, single vectors and a partial one; blocks of 64 columns shared)
        {{2, 5, 6}, {1}, true, true, 0, 1},        {{2, 24, 7, 9}, {1}, true, true, 5, 1},
        {{1, 40, 3, 37}, {1, 2}, true, false, 0, 1}, {{3, 17, 70}, {1}, false, true, 5, 1},
        {{2, 33, 1, 150}, {-3, -2}, true, true, 5, 1}, {{2, 6, 9}, {1}, true, true, 1, 3},
        {{2, 3, 4, 5}, {1, 3}, true, true, 0, 0},  // a kept axis between the normalized ones
    };
    for (const auto& c : cases) {
        const std::size_t rank = c.s.size(), last_dim = static_cast<std::size_t>(c.s.back());
        CAPTURE(rank);
        CAPTURE(last_dim);
        CAPTURE(c.affine);
        builder b;
        const auto x = b.param(c.s);
        ops::mvn::attrs a;
        a.normalize_variance = c.variance, a.eps = 0.05f;  // large enough that the two eps modes differ
        a.eps_mode = c.inside ? ops::mvn_eps_mode::inside_sqrt : ops::mvn_eps_mode::outside_sqrt;
        auto y = b.op<ops::mvn>(a, {x, b.constant(tensor::from_vector(c.axes))});
        const std::int64_t last = c.s.back();
        if (c.affine == 1) y = b.op<ops::add>({}, {b.op<ops::multiply>({}, {y, b.weights({last})}), b.weights({last})});
        if (c.affine == 2) y = b.op<ops::multiply>({}, {b.constant(tensor::scalar(1.5f)), y});
        if (c.affine == 3) y = b.op<ops::add>({}, {y, b.weights({1, last})});
        if (c.affine == 4) y = b.op<ops::multiply>({}, {y, b.weights({c.s[1], 1})});
        if (c.affine == 5) {
            shape per_c(rank - 1, 1);
            per_c[0] = c.s[1];
            y = b.op<ops::add>({}, {b.op<ops::multiply>({}, {b.weights(per_c), y}), b.weights(per_c)});
        }
        b.output(y);
        const model m = b.done();
        const std::vector<tensor> in{random_tensor(c.s, 83)};
        check_plan(m, in, 2e-5, {1, 2, 3});
        for (const auto& arch : arches()) {
            CAPTURE(arch);
            rt::plan_options o;
            o.arch = arch, o.threads = 2;
            rt::plan p(m, o);
            CHECK(count_kernel(p, "mvn.") == (c.fused_steps ? 1 : 0));
            // the columns kernel where the last normalized axis is not the last axis
            const std::int64_t back = c.axes.back() < 0 ? c.axes.back() + static_cast<std::int64_t>(rank) : c.axes.back();
            CHECK(count_kernel(p, "mvn.columns.") == (c.fused_steps && back + 1 < static_cast<std::int64_t>(rank) ? 1u : 0u));
            CHECK(count_kernel(p, "reference") == (c.fused_steps ? 0 : 1));
            std::size_t steps = 0;
            for (const auto& st : p.steps()) steps += st->kernel != "view";
            if (c.fused_steps) CHECK(steps == c.fused_steps);
        }
    }
}

TEST_CASE("Softmax steps along any axis: rows of awkward lengths, and strided axes on the columns kernel") {
    // steps/softmax.hpp on kernels/simd/softmax.hpp against the reference kernel (double), every
    // arch, 1 to 3 threads, values up to +-40 (the max subtracted first): along the last axis (or one
    // followed by axes of size 1), and along a strided one (the channels of NCHW data; columns in
    // whole tiles, single vectors and a partial one; blocks of 64 columns shared by the workers)
    struct softmax_case {
        shape s;
        std::int64_t axis;
        bool columns;
    };
    const std::vector<softmax_case> cases{
        {{2, 7, 15}, -1, false}, {{3, 37}, 1, false},   {{4, 19, 1}, 1, false},     {{2, 24, 7, 9}, 1, true},
        {{1, 5, 3, 70}, 2, true}, {{2, 1, 150}, 1, true}, {{3, 300, 2}, -2, true}, {{1, 21, 1, 130}, 1, true},
    };
    for (const auto& c : cases) {
        CAPTURE(c.s.size());
        CAPTURE(c.axis);
        builder b;
        const auto x = b.param(c.s);
        b.output(b.op<ops::softmax>({c.axis}, {b.op<ops::multiply>({}, {x, b.constant(tensor::scalar(40.0f))})}));
        const model m = b.done();
        check_plan(m, {random_tensor(c.s, 91)}, 2e-5, {1, 2, 3});
        for (const auto& arch : arches()) {
            CAPTURE(arch);
            rt::plan_options o;
            o.arch = arch, o.threads = 2;
            rt::plan p(m, o);
            CHECK(count_kernel(p, "reference") == 0);
            CHECK(count_kernel(p, "softmax.") == 1);
            CHECK(count_kernel(p, "softmax.columns.") == (c.columns ? 1u : 0u));
        }
    }
}

TEST_CASE("Sigmoid, Tanh, Erf, Exp, Log, Sqrt and Gelu on the arch's vector functions, against the reference") {
    // steps/eltwise.hpp's unary_simd_step on kernels/simd/unary.hpp, every arch, 1 to 3 threads:
    // lengths around the vector widths (a partial last vector) and one shared by the workers; inputs
    // over [-4, 4) (Log and Sqrt: |x| + 0.25)
    for (const shape& s : {shape{2, 37}, shape{1, 3, 5, 33}, shape{1, 16, 96, 97}}) {
        for (int f = 0; f < 8; ++f) {
            CAPTURE(to_string(s));
            CAPTURE(f);
            builder b;
            const auto x = b.param(s);
            const auto wide = b.op<ops::multiply>({}, {x, b.constant(tensor::scalar(4.0f))});
            const auto pos = b.op<ops::add>({}, {b.op<ops::abs>({}, {x}), b.constant(tensor::scalar(0.25f))});
            output_ref y;
            switch (f) {
                case 0: y = b.op<ops::sigmoid>({}, {wide}); break;
                case 1: y = b.op<ops::tanh>({}, {wide}); break;
                case 2: y = b.op<ops::erf>({}, {wide}); break;
                case 3: y = b.op<ops::exp>({}, {wide}); break;
                case 4: y = b.op<ops::log>({}, {pos}); break;
                case 5: y = b.op<ops::sqrt>({}, {pos}); break;
                case 6: y = b.op<ops::gelu>({ops::gelu_approximation::erf}, {wide}); break;
                default: y = b.op<ops::gelu>({ops::gelu_approximation::tanh}, {wide}); break;
            }
            b.output(y);
            const model m = b.done();
            check_plan(m, {random_tensor(s, 97)}, 2e-6, {1, 2, 3});
            rt::plan p(m);
            CHECK(count_kernel(p, "reference") == 0);
        }
    }
}

TEST_CASE("pull_halo: the input window of a range of output rows, and loads only inside the input") {
    // steps/halo.hpp. The window (what each row-splitting step reads) by hand; the loads themselves
    // change nothing and must stay inside the input (the sanitizer stage runs this on an input
    // allocated to its last float): odd widths, so that rows start inside cache lines.
    kernels::conv_geometry g;
    g.groups = 3, g.in_c = g.out_c = 1, g.in_h = g.out_h = 12, g.in_w = g.out_w = 13;
    g.kh = g.kw = 5, g.pt = g.pl = 2;
    auto win = [&](std::size_t a, std::size_t z) {
        const rt::steps::row_span s = rt::steps::input_window(g, a, z);
        return std::vector<std::size_t>{s.first, s.second};
    };
    CHECK(win(0, 6) == std::vector<std::size_t>{0, 8});
    CHECK(win(6, 12) == std::vector<std::size_t>{4, 12});
    CHECK(win(0, 12) == std::vector<std::size_t>{0, 12});
    CHECK(win(5, 5) == std::vector<std::size_t>{0, 0});
    g.sh = 2, g.out_h = 6, g.kh = 3, g.pt = 1;  // 3x3 stride 2
    CHECK(win(0, 3) == std::vector<std::size_t>{0, 6});
    CHECK(win(3, 6) == std::vector<std::size_t>{5, 12});
    g.sh = 1, g.kh = 1, g.pt = 0, g.out_h = 12;  // 1x1: no halo
    CHECK(win(4, 8) == std::vector<std::size_t>{4, 8});
    for (std::size_t w : {1, 7, 13, 16, 17}) {
        for (std::size_t k : {1, 3, 5}) {
            CAPTURE(w);
            CAPTURE(k);
            kernels::conv_geometry h;
            h.groups = 3, h.in_c = h.out_c = 1, h.in_h = 9, h.in_w = h.out_w = w;
            h.kh = h.kw = k, h.pt = h.pl = static_cast<std::ptrdiff_t>(k / 2), h.out_h = 9;
            const std::vector<float> x(3 * h.in_h * w, 1.0f);
            for (std::size_t a = 0; a < h.out_h; ++a)
                for (std::size_t z = a; z <= h.out_h; ++z) rt::steps::pull_halo(x.data(), 3, h, a, z);
            CHECK(x.back() == 1.0f);
        }
    }
}

TEST_CASE("a plan flushes denormals to zero while it runs and gives its caller's setting back") {
    // x * 1e-30 makes denormals of x's 1e-10s (flushed: FTZ); x's own denormals (1e-39) read as zero
    // in x * 2 (DAZ). Big enough that two workers share each step.
    builder b;
    const shape xs{1, 8, 64, 64};
    const auto x = b.param(xs);
    b.output(b.op<ops::multiply>({}, {x, b.constant(tensor::scalar(1e-30f))}));
    b.output(b.op<ops::multiply>({}, {x, b.constant(tensor::scalar(2.0f))}));
    const model m = b.done();
    std::vector<float> v(numel(xs));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 2 ? 1e-10f : 1e-39f;
    const std::vector<tensor> in{tensor::from_vector(v, xs)};
    const auto kept = reference_executor<>(m).run(in);
    REQUIRE(kept[0].data<float>()[1] > 0.0f);  // 1e-40: a denormal
    REQUIRE(kept[1].data<float>()[0] > 0.0f);  // 2e-39
    const bool before = denormals::flushing();
    for (std::size_t threads : {1, 2})
        for (bool flush : {true, false}) {
            CAPTURE(threads);
            CAPTURE(flush);
            rt::plan_options o;
            o.threads = threads, o.flush_denormals = flush;
            rt::plan p(m, o);
            const auto got = p.run(in);
            CHECK(denormals::flushing() == before);
            if (flush && denormals::supported) {
                std::size_t nonzero = 0;
                for (std::size_t i = 0; i < v.size(); ++i)
                    nonzero += got[0].data<float>()[i] != 0.0f || (i % 2 == 0 && got[1].data<float>()[i] != 0.0f);
                CHECK(nonzero == 0);
                CHECK(got[1].data<float>()[1] == 2e-10f);
            } else {
                check_same_bits(got, kept);
            }
        }
}

TEST_CASE("PRelu fuses into the convolution's and the MatMul's epilogue: one slope (LeakyRelu, then a scalar Maximum) or one per channel") {
    builder b;
    const auto x = b.param({1, 5, 11, 9});
    const auto slope = b.constant(tensor::from_vector(std::vector<float>{0.2f}));
    const auto floor = b.constant(tensor::scalar(-0.05f));
    const auto y1 = b.op<ops::prelu>({}, {b.bias(b.conv(x, 5, 7, 3, 1, 1), 7), slope});
    b.output(b.op<ops::maximum>({}, {y1, floor}));                            // openWakeWord's embedding
    b.output(b.op<ops::prelu>({}, {b.conv(x, 5, 3, 1, 1, 0), slope}));         // no bias, no Maximum
    // one slope per channel: PRelu's own 1-D form, numpy's [1, C, 1, 1] and [C, 1, 1]
    b.output(b.op<ops::prelu>({}, {b.dwconv(x, 5, 3, 2, 1), b.weights({5})}));           // depthwise
    b.output(b.op<ops::prelu>({}, {b.bias(b.conv(x, 5, 7, 3, 1, 1), 7), b.weights({1, 7, 1, 1})}));
    b.output(b.op<ops::prelu>({}, {b.conv(x, 5, 6, 1, 1, 0), b.weights({6, 1, 1})}));   // 1x1, no bias
    b.output(b.op<ops::prelu>({}, {b.conv(x, 5, 13, 3, 2, 0), b.weights({13, 1, 1})}));  // stride 2
    // [9] on [1, 9, 11, 9]: PRelu's per-channel form (axis 1), though numpy would read it along the last axis
    b.output(b.op<ops::prelu>({}, {b.conv(x, 5, 9, 3, 1, 1), b.weights({9})}));
    // along the last axis only (numpy): not fused
    b.output(b.op<ops::prelu>({}, {b.conv(x, 5, 4, 3, 1, 1), b.weights({1, 1, 1, 9})}));
    // MediaPipe's blocks: depthwise, pointwise, bias, Add(block input), PRelu per channel
    const auto x2 = b.param({1, 8, 24, 20});
    const auto pw = b.bias(b.conv(b.dwconv(x2, 8, 3, 1, 1), 8, 8, 1, 1, 0), 8);
    b.output(b.op<ops::prelu>({}, {b.op<ops::add>({}, {pw, x2}), b.weights({1, 8, 1, 1})}));
    // tiny maps (the pixels path, slopes per GEMM column)
    const auto x3 = b.param({1, 16, 2, 3});
    b.output(b.op<ops::prelu>({}, {b.bias(b.conv(x3, 16, 40, 3, 1, 1), 40), b.weights({40})}));
    // MatMul: a slope per column ([N], also PRelu's per-channel form on rank 2), or along axis 1 of a
    // rank-3 output (not the MatMul's columns: not fused)
    const auto x4 = b.param({3, 20});
    b.output(b.op<ops::prelu>({}, {b.op<ops::matmul>({}, {x4, b.weights({20, 13})}), b.weights({13})}));
    const auto x5 = b.param({2, 4, 20});
    b.output(b.op<ops::prelu>({}, {b.op<ops::matmul>({}, {x5, b.weights({20, 6})}), b.weights({1, 1, 6})}));
    b.output(b.op<ops::prelu>({}, {b.op<ops::matmul>({}, {x5, b.weights({20, 7})}), b.weights({4})}));
    const model m = b.done();
    check_plan(m, {random_tensor({1, 5, 11, 9}, 47), random_tensor({1, 8, 24, 20}, 48), random_tensor({1, 16, 2, 3}, 49),
                   random_tensor({3, 20}, 50), random_tensor({2, 4, 20}, 51)});
    rt::plan p(m);
    CHECK(count_kernel(p, "reference") == 0);
    std::size_t leaky = 0, prelu = 0;
    for (const auto& st : p.steps()) {
        leaky += st->kernel.find("+leaky") != std::string::npos;
        prelu += st->kernel.find("+prelu") != std::string::npos;
    }
    CHECK(leaky == 2);
    CHECK(prelu == 9);
    CHECK(count_kernel(p, "eltwise") == 2);  // the PRelus along another axis
}

TEST_CASE("MaxPool steps equal the reference bit for bit (signed zeros, NaN): strides 1, 2, 3, pads, ceil, windows past the image") {
    builder b;
    const auto x = b.param({1, 5, 13, 17});
    // strides, pads_begin, pads_end, kernel, rounding
    const std::vector<ops::max_pool::attrs> pools{
        {{2, 2}, {0, 0}, {0, 0}, {2, 2}, ops::rounding_type::floor, ops::pad_type::explicit_},  // BlazeFace's
        {{2, 2}, {1, 1}, {1, 1}, {3, 3}, ops::rounding_type::ceil, ops::pad_type::explicit_},
        {{1, 1}, {1, 1}, {1, 1}, {3, 3}, ops::rounding_type::floor, ops::pad_type::explicit_},
        {{1, 2}, {0, 0}, {0, 0}, {1, 2}, ops::rounding_type::floor, ops::pad_type::explicit_},  // the embedding's
        {{1, 2}, {0, 0}, {0, 1}, {2, 2}, ops::rounding_type::floor, ops::pad_type::explicit_},
        {{3, 3}, {0, 1}, {2, 0}, {2, 4}, ops::rounding_type::ceil, ops::pad_type::explicit_},
        {{2, 3}, {2, 2}, {2, 2}, {5, 5}, ops::rounding_type::floor, ops::pad_type::explicit_},
        {{1, 1}, {3, 9}, {3, 9}, {15, 19}, ops::rounding_type::floor, ops::pad_type::explicit_},  // wider than the image
    };
    for (const auto& a : pools) b.output(b.op<ops::max_pool>(a, {x}));
    // two-column windows at stride 2 over rows of whole vectors and a partial one (75 columns: 37
    // outputs), two and three window rows
    const auto x2 = b.param({1, 3, 7, 75});
    b.output(b.op<ops::max_pool>(pools[0], {x2}));
    b.output(b.op<ops::max_pool>(ops::max_pool::attrs{{1, 2}, {1, 0}, {1, 0}, {3, 2}, ops::rounding_type::floor,
                                                      ops::pad_type::explicit_},
                                 {x2}));
    const model m = b.done();
    auto v = noise(5 * 13 * 17, 83), v2 = noise(3 * 7 * 75, 84);
    for (std::size_t i = 0; i < v.size(); i += 7) v[i] = (i / 7) % 2 ? 0.0f : -0.0f;  // ties of +0 and -0
    for (std::size_t i = 0; i < v2.size(); i += 5) v2[i] = (i / 5) % 3 ? 0.0f : -0.0f;
    v[40] = std::nanf("");
    v2[77] = v2[150] = v2[300] = std::nanf("");
    const std::vector<tensor> in{tensor::from_vector(v, {1, 5, 13, 17}), tensor::from_vector(v2, {1, 3, 7, 75})};
    const auto want = reference_executor<>(m).run(in);
    for_arches_and_threads({1, 2}, [&](rt::plan_options o) {
        rt::plan p(m, o);
        if (o.arch != "reference") CHECK(count_kernel(p, "maxpool") == pools.size() + 2);
        check_same_bits(p.run(in), want);
    });
}

TEST_CASE("a MaxPool between Transposes to NHWC (TF's layout) runs channels-last, bit for bit as the reference") {
    // x (NCHW) -> Transpose to NHWC (read on), and x -> MaxPool -> Transpose to NHWC: the pool reads
    // the first Transpose's output and writes the second's (centernet's heatmap peak test)
    const std::vector<ops::max_pool::attrs> pools{
        {{1, 1}, {1, 1}, {1, 1}, {3, 3}, ops::rounding_type::floor, ops::pad_type::explicit_},  // centernet's
        {{2, 2}, {0, 0}, {0, 0}, {2, 2}, ops::rounding_type::floor, ops::pad_type::explicit_},
        {{3, 3}, {0, 1}, {2, 0}, {2, 4}, ops::rounding_type::ceil, ops::pad_type::explicit_},
        {{1, 1}, {3, 9}, {3, 9}, {15, 19}, ops::rounding_type::floor, ops::pad_type::explicit_},  // wider than the image
    };
    for (const std::int64_t channels : {1, 5, 16, 37}) {
        CAPTURE(channels);
        builder b;
        auto ints = [&](std::vector<std::int64_t> v) { return b.constant(tensor::from_vector(v)); };
        const auto x = b.param({2, channels, 13, 17});
        b.output(b.op<ops::transpose>({}, {x, ints({0, 2, 3, 1})}));
        for (const auto& a : pools) b.output(b.op<ops::transpose>({}, {b.op<ops::max_pool>(a, {x}), ints({0, 2, 3, 1})}));
        // a pool whose output is read by another node too stays NCHW
        const auto shared = b.op<ops::max_pool>(pools[0], {x});
        b.output(b.op<ops::transpose>({}, {shared, ints({0, 2, 3, 1})}));
        b.output(shared);
        const model m = b.done();
        const std::size_t n = static_cast<std::size_t>(2 * channels * 13 * 17);
        auto v = noise(n, 91);
        for (std::size_t i = 0; i < n; i += 5) v[i] = (i / 5) % 2 ? 0.0f : -0.0f;  // ties of +0 and -0
        v[n / 3] = std::nanf("");
        const std::vector<tensor> in{tensor::from_vector(v, {2, channels, 13, 17})};
        const auto want = reference_executor<>(m).run(in);
        for_arches_and_threads({1, 2}, [&](rt::plan_options o) {
            rt::plan p(m, o);
            if (o.arch != "reference") {
                CHECK(count_kernel(p, "maxpool.nhwc") == pools.size());
                CHECK(count_kernel(p, "maxpool") == pools.size() + 1);
            }
            check_same_bits(p.run(in), want);
        });
    }
}

TEST_CASE("reductions over a run of leading or middle axes (NHWC global pooling) on fast steps, equal to the reference") {
    builder b;
    auto ints = [&](std::vector<std::int64_t> v) { return b.constant(tensor::from_vector(v)); };
    const auto x = b.param({2, 6, 7, 5});
    b.output(b.op<ops::reduce_mean>({true}, {x, ints({1, 2})}));   // [2, 42, 5]
    b.output(b.op<ops::reduce_sum>({false}, {x, ints({1})}));      // [2, 6, 35]
    b.output(b.op<ops::reduce_max>({false}, {x, ints({0, -3})}));  // [1, 12, 35]
    b.output(b.op<ops::reduce_mean>({true}, {x, ints({1, 3})}));   // not one run: the reference
    const auto wide = b.param({1, 9, 11, 700});                    // column blocks shared by 2 and 3 threads
    b.output(b.op<ops::reduce_mean>({false}, {wide, ints({1, 2})}));
    // 77 columns (groups of 16, 4 and 1; blocks of 32 or 48 at 3 and 2 threads) over 1200 and 1250 rows,
    // batch 2 and 1
    const auto odd = b.param({2, 40, 30, 77});
    b.output(b.op<ops::reduce_sum>({true}, {odd, ints({1, 2})}));
    const auto odd1 = b.param({1, 50, 25, 77});
    b.output(b.op<ops::reduce_max>({true}, {odd1, ints({1, 2})}));
    const model m = b.done();
    check_plan(m, {random_tensor({2, 6, 7, 5}, 87), random_tensor({1, 9, 11, 700}, 89), random_tensor({2, 40, 30, 77}, 91),
                   random_tensor({1, 50, 25, 77}, 93)},
               0.0, {1, 2, 3});
    rt::plan_options o;
    o.threads = 2;
    rt::plan p(m, o);
    CHECK(count_kernel(p, "reduce_columns") == 6);
    CHECK(count_kernel(p, "reference") == 1);
}

TEST_CASE("a transformer block on fast steps: LayerNorm, attention MatMuls, Softmax, Transpose, reductions") {
    // rec's SVTR block, with odd sizes: T = 13 tokens, C = 21 channels, 3 heads of 7
    builder b;
    const std::int64_t T = 13, C = 21, H = 3, D = 7;
    auto ints = [&](std::vector<std::int64_t> v) { return b.constant(tensor::from_vector(v)); };
    const auto x = b.param({1, T, C});
    // decomposed LayerNorm: mean, x - mean, ^2, mean, + eps, sqrt, divide, * gamma, + beta
    const auto mean = b.op<ops::reduce_mean>({true}, {x, ints({-1})});
    const auto xc = b.op<ops::subtract>({}, {x, mean});
    const auto var = b.op<ops::reduce_mean>({true}, {b.op<ops::power>({}, {xc, b.constant(tensor::scalar(2.0f))}), ints({2})});
    const auto sd = b.op<ops::sqrt>({}, {b.op<ops::add>({}, {var, b.constant(tensor::scalar(1e-5f))})});
    const auto ln = b.op<ops::add>({}, {b.op<ops::multiply>({}, {b.op<ops::divide>({}, {xc, sd}), b.weights({C})}),
                                        b.weights({C})});
    // q, k, v: constant MatMuls, heads split by Reshape + Transpose
    auto heads = [&](output_ref t) {
        const auto r = b.op<ops::reshape>({false}, {t, ints({1, T, H, D})});
        return b.op<ops::transpose>({}, {r, ints({0, 2, 1, 3})});  // [1, H, T, D]
    };
    const auto q = heads(b.op<ops::matmul>({}, {ln, b.weights({C, C})}));
    const auto k = heads(b.op<ops::matmul>({}, {ln, b.weights({C, C})}));
    const auto v = heads(b.op<ops::matmul>({}, {ln, b.weights({C, C})}));
    const auto scores = b.op<ops::matmul>({false, true}, {b.op<ops::multiply>({}, {q, b.constant(tensor::scalar(0.378f))}), k});
    const auto attn = b.op<ops::softmax>({-1}, {scores});                       // [1, H, T, T]
    const auto ctx = b.op<ops::matmul>({}, {attn, v});                          // [1, H, T, D]
    const auto merged = b.op<ops::reshape>({false}, {b.op<ops::transpose>({}, {ctx, ints({0, 2, 1, 3})}), ints({1, T, C})});
    b.output(b.op<ops::add>({}, {x, merged}));
    // a shared B (batch dims 1) and a transposed B, both with a fused ReLU; a 3-D permutation;
    // reductions over trailing axes; Divide and Power with the small operand first
    const auto shared = b.op<ops::relu>({}, {b.op<ops::matmul>({}, {scores, b.op<ops::reshape>({false}, {x, ints({T, C})})})});
    b.output(shared);
    b.output(b.op<ops::transpose>({}, {shared, ints({3, 1, 0, 2})}));
    b.output(b.op<ops::reduce_sum>({false}, {attn, ints({2, 3})}));
    b.output(b.op<ops::reduce_max>({true}, {scores, ints({-1})}));
    b.output(b.op<ops::divide>({}, {b.constant(tensor::scalar(1.5f)), b.op<ops::add>({}, {attn, b.constant(tensor::scalar(1.0f))})}));
    b.output(b.op<ops::power>({}, {b.constant(tensor::scalar(1.1f)), xc}));
    // a wide Softmax row (a vector body and a tail) as rec's last layer has
    const auto wide = b.op<ops::matmul>({}, {x, b.weights({C, 77})});
    b.output(b.op<ops::softmax>({2}, {wide}));
    const model m = b.done();
    check_plan(m, {random_tensor({1, T, C}, 41)}, 2e-5);
    rt::plan_options o;
    o.threads = 2;
    rt::plan p(m, o);
    CHECK(count_kernel(p, "reference") == 0);
    CHECK(count_kernel(p, "softmax") == 2);
    CHECK(count_kernel(p, "batched_gemm") == 3);
    CHECK(count_kernel(p, "transpose") == 5);
    CHECK(count_kernel(p, "reduce") == 4);
}

TEST_CASE("MatMul of two activations with broadcast batch dims: each operand 1 along some axes, missing leading dims") {
    struct mm_case {
        shape a, b;
        bool transpose_b;
    };
    for (const auto& c : {mm_case{{2, 1, 5, 7}, {3, 7, 4}, false}, mm_case{{4, 1, 9, 7}, {1, 3, 6, 7}, true},
                          mm_case{{1, 3, 33, 8}, {2, 1, 8, 19}, false}, mm_case{{2, 3, 4, 5}, {3, 5, 6}, false}}) {
        CAPTURE(to_string(c.a));
        CAPTURE(to_string(c.b));
        builder b;
        const auto x = b.param(c.a);
        const auto y = b.param(c.b);
        b.output(b.op<ops::matmul>({false, c.transpose_b}, {x, y}));
        const model m = b.done();
        check_plan(m, {random_tensor(c.a, 51), random_tensor(c.b, 52)}, 2e-5, {1, 2, 3});
        rt::plan_options o;
        o.threads = 2;
        rt::plan p(m, o);
        CHECK(count_kernel(p, "batched_gemm") == 1);
        CHECK(count_kernel(p, "reference") == 0);
    }
}

TEST_CASE("3-D convolutions: pads, strides, dilations, groups, bias + activation + residual fused, blocks shared") {
    // steps/convolution_3d.hpp (im2col blocks + gemm_a_inplace) against the reference, every arch,
    // 1 to 3 threads: odd sizes, a kernel larger along one axis, a crop (negative pad), SAME_UPPER
    struct c3 {
        shape x;
        std::int64_t out_c;
        std::vector<std::int64_t> k, stride, dilation, pb, pe;
        std::int64_t groups;
        bool epilogue;  // + bias + relu (+ residual where the output has the input's shape)
        ops::pad_type pad = ops::pad_type::explicit_;
    };
    const std::vector<c3> cases{
        {{1, 4, 6, 8, 8}, 4, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1, true},
        {{2, 3, 5, 7, 9}, 6, {2, 3, 1}, {2, 1, 2}, {1, 2, 1}, {0, 1, 0}, {1, 2, 0}, 1, true},
        {{1, 6, 4, 6, 5}, 4, {3, 1, 3}, {1, 1, 1}, {1, 1, 1}, {1, 0, -1}, {1, 0, 1}, 2, false},
        {{1, 2, 9, 10, 11}, 3, {3, 3, 3}, {2, 2, 2}, {1, 1, 1}, {0, 0, 0}, {0, 0, 0}, 1, true, ops::pad_type::same_upper},
        {{1, 16, 8, 30, 30}, 16, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, 1, true},
    };
    for (const auto& c : cases) {
        CAPTURE(to_string(c.x));
        builder b;
        const auto x = b.param(c.x);
        ops::detail::convolution_attrs a{c.stride, c.dilation, c.pb, c.pe, c.pad};
        const std::int64_t in_c = c.x[1] / c.groups, out_c = c.out_c / c.groups;
        output_ref y = c.groups == 1
                           ? b.op<ops::convolution>(a, {x, b.weights({c.out_c, in_c, c.k[0], c.k[1], c.k[2]})})
                           : b.op<ops::group_convolution>(a, {x, b.weights({c.groups, out_c, in_c, c.k[0], c.k[1], c.k[2]})});
        if (c.epilogue) {
            y = b.op<ops::add>({}, {y, b.weights({1, c.out_c, 1, 1, 1})});
            if (c.out_c == c.x[1] && c.stride == std::vector<std::int64_t>{1, 1, 1} && c.k == std::vector<std::int64_t>{3, 3, 3})
                y = b.op<ops::add>({}, {y, x});  // the output has the input's shape: a residual
            y = b.op<ops::relu>({}, {y});
        }
        b.output(y);
        const model m = b.done();
        check_plan(m, {random_tensor(c.x, 71)}, 2e-5, {1, 2, 3});
        rt::plan_options o;
        o.threads = 2;
        rt::plan p(m, o);
        CHECK(count_kernel(p, "conv3d.im2col.") == 1);
        CHECK(count_kernel(p, "reference") == 0);
        CHECK(p.steps().size() == 1);  // bias, residual and ReLU in the GEMM's epilogue
    }
}

TEST_CASE("transposed convolutions: 2x2 stride 2 + bias + relu, 3x3 stride 2 padded with output padding, 3x3 stride 3") {
    for (int v = 0; v < 3; ++v) {
        CAPTURE(v);
        builder b;
        const auto x = b.param({2, 5, 7, 6});
        ops::detail::convolution_backprop_attrs a;
        // v = 0 and 2: stride = kernel, unpadded (taps never overlap); v = 1: overlapping taps
        a.strides = v == 2 ? std::vector<std::int64_t>{3, 3} : std::vector<std::int64_t>{2, 2};
        a.dilations = {1, 1};
        a.pads_begin = v == 1 ? std::vector<std::int64_t>{1, 1} : std::vector<std::int64_t>{0, 0};
        a.pads_end = a.pads_begin;
        if (v == 1) a.output_padding = {1, 0};
        const std::int64_t k = v ? 3 : 2;
        auto y = b.op<ops::convolution_backprop_data>(a, {x, b.weights({5, 3, k, k})});
        y = b.bias(y, 3);
        y = v ? b.op<ops::sigmoid>({}, {y}) : b.op<ops::relu>({}, {y});
        b.output(y);
        const model m = b.done();
        check_plan(m, {random_tensor({2, 5, 7, 6}, 41)});
        rt::plan p(m);
        REQUIRE(p.steps().size() == 1);
        CHECK(p.steps()[0]->kernel.find("deconv") == 0);
    }
}

TEST_CASE("transposed convolutions larger than the caches run in bands at 2 and 3 threads, bit-identical to 1 thread") {
    struct variant {
        std::int64_t cin, cout, k, stride, pad, dilation, h, w;
    };
    // overlapping 4x4 stride 2 (efficientpose's), stride = kernel (taps never overlap), a dilated 3x3
    // with an odd channel count and an odd output height; every col matrix above 2^20 floats
    for (const variant v : {variant{4, 16, 4, 2, 1, 1, 72, 72}, variant{8, 64, 2, 2, 0, 1, 72, 70},
                            variant{3, 29, 3, 2, 1, 2, 72, 72}}) {
        CAPTURE(v.k);
        CAPTURE(v.cout);
        builder b;
        const auto x = b.param({1, v.cin, v.h, v.w});
        ops::detail::convolution_backprop_attrs a;
        a.strides = {v.stride, v.stride};
        a.dilations = {v.dilation, v.dilation};
        a.pads_begin = {v.pad, v.pad};
        a.pads_end = a.pads_begin;
        auto y = b.op<ops::convolution_backprop_data>(a, {x, b.weights({v.cin, v.cout, v.k, v.k})});
        b.output(b.op<ops::relu>({}, {b.bias(y, v.cout)}));
        const model m = b.done();
        const std::vector<tensor> in{random_tensor({1, v.cin, v.h, v.w}, 61)};
        rt::plan_options o;
        o.threads = 1;
        rt::plan one(m, o);
        REQUIRE(one.steps().size() == 1);
        const auto* d1 = dynamic_cast<const rt::steps::deconv_step*>(one.steps()[0].get());
        REQUIRE(d1);
        CHECK(d1->band_rows == 0);  // one thread: the whole col matrix, as codegen emits it
        const auto want = one.run(in);
        check_close(want, reference_executor<>(m).run(in), 1e-5);
        for (std::size_t threads : {2, 3}) {
            CAPTURE(threads);
            o.threads = threads;
            rt::plan p(m, o);
            REQUIRE(p.steps().size() == 1);
            const auto* d = dynamic_cast<const rt::steps::deconv_step*>(p.steps()[0].get());
            REQUIRE(d);
            CHECK(d->band_rows > 0);
            CHECK(d->band_col_floats < d->col_floats);
            for (int run = 0; run < 2; ++run) {
                const auto got = p.run(in);
                REQUIRE(got.size() == 1);
                REQUIRE(got[0].dims() == want[0].dims());
                CHECK(std::memcmp(got[0].raw(), want[0].raw(), want[0].bytes()) == 0);
            }
        }
    }
}

TEST_CASE("transposed convolutions with SAME_UPPER / SAME_LOWER pads and an output_shape input (TF's Conv2DBackpropInput)") {
    for (auto pad : {ops::pad_type::same_upper, ops::pad_type::same_lower}) {
        for (std::int64_t k : {3, 4}) {
            CAPTURE(k);
            builder b;
            const auto x = b.param({1, 6, 5, 7});
            ops::detail::convolution_backprop_attrs a;
            a.strides = {2, 2};
            a.dilations = {1, 1};
            a.pads_begin = {0, 0};
            a.pads_end = {0, 0};
            a.auto_pad = pad;
            const auto os = b.constant(tensor::from_vector(std::vector<std::int64_t>{10, 14}));
            b.output(b.op<ops::convolution_backprop_data>(a, {x, b.weights({6, 4, k, k}), os}));
            const model m = b.done();
            check_plan(m, {random_tensor({1, 6, 5, 7}, 53)});
            rt::plan p(m);
            REQUIRE(p.steps().size() == 1);
            CHECK(p.steps()[0]->kernel.find("deconv") == 0);
        }
    }
}

TEST_CASE("x + x * s (a residual squeeze-and-excitation gate) is one scaled_residual step; other shapes are not") {
    builder b;
    const auto x = b.param({1, 6, 5, 7});
    const auto s = b.param({1, 6, 1, 1});
    // Multiply(x, s) then Add(product, x), and Multiply(s, x) then Add(x, product)
    b.output(b.op<ops::add>({}, {b.op<ops::multiply>({}, {x, s}), x}));
    const auto r = b.op<ops::relu>({}, {x});
    b.output(b.op<ops::add>({}, {r, b.op<ops::multiply>({}, {s, r})}));
    // a scalar factor
    b.output(b.op<ops::add>({}, {x, b.op<ops::multiply>({}, {x, b.constant(tensor::scalar(0.5f))})}));
    // not fused: the Add's other operand is not the Multiply's; the product has a second consumer
    const auto h = b.op<ops::hswish>({}, {x});
    b.output(b.op<ops::add>({}, {b.op<ops::multiply>({}, {x, s}), h}));
    const auto p2 = b.op<ops::multiply>({}, {h, s});
    b.output(b.op<ops::add>({}, {p2, h}));
    b.output(p2);
    const model m = b.done();
    check_plan(m, {random_tensor({1, 6, 5, 7}, 51), random_tensor({1, 6, 1, 1}, 52)});
    rt::plan_options o;
    o.threads = 2;
    const rt::plan p(m, o);
    CHECK(count_kernel(p, "scaled_residual") == 3);
    CHECK(count_kernel(p, "reference") == 0);
}

/// m planned at `threads` threads on every arch, against the reference executor.
void check_threads(const model& m, const std::vector<tensor>& in, std::size_t threads, double rel = 1e-5) {
    check_plan(m, in, rel, {threads});
}

TEST_CASE("threads: pointwise convolutions and MatMuls split by rows or columns, whichever cuts into whole tiles more evenly") {
    namespace st = rt::steps;
    const bool vector_arch = rt::fp32_table_named("avx2") || rt::fp32_table_named("avx512");
    // pointwise convolutions on maps of 240 and 39 columns (PaddleOCR rec's 3x80 and 1x40: 5 AVX-512
    // tiles of 48 columns, or less than one), 67 output channels, bias, a residual Add, relu
    for (const shape& xs : {shape{1, 67, 12, 20}, shape{2, 67, 3, 13}}) {
        CAPTURE(xs[2]);
        builder b;
        const auto x = b.param(xs);
        const auto r = b.op<ops::relu>({}, {x});
        const auto c = b.bias(b.conv(x, 67, 67, 1, 1, 0), 67);
        b.output(b.op<ops::hswish>({}, {b.op<ops::add>({}, {c, r})}));
        b.output(b.bias(b.conv(r, 67, 29, 1, 1, 0), 29));
        const model m = b.done();
        check_plan(m, {random_tensor(xs, 71)});
        check_threads(m, {random_tensor(xs, 71)}, 3);
        if (vector_arch) {
            rt::plan_options o;
            o.threads = 2;
            rt::plan p(m, o);
            std::size_t split = 0;
            for (const auto& s : p.steps())
                if (const auto* cs = dynamic_cast<const st::conv_step*>(s.get())) {
                    CHECK(cs->pointwise);
                    split += cs->parts.size() == 2;
                }
            CHECK(split >= 1);
            CHECK(count_kernel(p, "eltwise") == 1);  // the relu; the residual Add fused
        }
        // one thread: one part per convolution (the form moir codegen generates)
        rt::plan_options one;
        one.threads = 1;
        const rt::plan single(m, one);
        for (const auto& s : single.steps())
            if (const auto* cs = dynamic_cast<const st::conv_step*>(s.get())) CHECK(cs->parts.size() == 1);
    }
    // the plane path on a map 2 columns wide (openWakeWord's embedding's last blocks): blocks of output
    // channels, one per worker, instead of 3 + 3 rows that fill a tile no less than 6 rows do (17
    // output channels: too few for the pixels path's tiles of channels to be clearly better used)
    {
        builder b;
        const shape xs{2, 40, 8, 2};
        const auto x = b.param(xs);
        ops::detail::convolution_attrs a31{{1, 1}, {1, 1}, {0, 0}, {0, 0}, ops::pad_type::explicit_};
        const auto c = b.op<ops::convolution>(a31, {x, b.weights({17, 40, 3, 1})});
        b.output(b.op<ops::relu>({}, {b.op<ops::add>({}, {c, b.weights({1, 17, 1, 1})})}));
        const model m = b.done();
        check_plan(m, {random_tensor(xs, 67)});
        check_threads(m, {random_tensor(xs, 67)}, 3);
        if (vector_arch)
            for (std::size_t threads : {2, 3}) {
                rt::plan_options o;
                o.threads = threads;
                rt::plan p(m, o);
                REQUIRE(p.steps().size() == 1);
                const auto* cs = dynamic_cast<const st::conv_step*>(p.steps()[0].get());
                REQUIRE(cs);
                CHECK(cs->plane);
                CHECK(cs->parts.size() == threads);
            }
    }
    // a MatMul of 40 rows (rec's head: 40 x 6625), blocks of B's columns; transpose_b; K beyond one K block
    for (bool tb : {false, true})
        for (const auto& dims : std::vector<std::vector<std::int64_t>>{{2, 20, 33, 1000}, {1, 3, 700, 200}}) {
            CAPTURE(tb);
            CAPTURE(dims[2]);
            const std::int64_t k = dims[2], n = dims[3];
            builder b;
            const shape xs{dims[0], dims[1], k};
            const auto x = b.param(xs);
            auto y = b.op<ops::matmul>({false, tb}, {x, b.weights(tb ? shape{n, k} : shape{k, n})});
            y = b.op<ops::add>({}, {y, b.weights({n})});
            b.output(b.op<ops::relu>({}, {y}));
            const model m = b.done();
            check_plan(m, {random_tensor(xs, 73)}, 2e-5);
            check_threads(m, {random_tensor(xs, 73)}, 3, 2e-5);
            if (vector_arch) {
                rt::plan_options o;
                o.threads = 2;
                rt::plan p(m, o);
                REQUIRE(p.steps().size() == 1);
                const auto* ms = dynamic_cast<const st::matmul_step*>(p.steps()[0].get());
                REQUIRE(ms);
                CHECK(ms->columns.size() == 2);
                CHECK(ms->ops == "MatMul+Add+Relu");
            }
        }
}

TEST_CASE("Slice steps: strided copies with negative steps, several axes, whole rows, default axes, 1 and 8 byte elements") {
    auto i64 = [](std::vector<std::int64_t> v) { return tensor::from_vector(v); };
    struct cut {
        std::vector<std::int64_t> start, stop, step, axes;  // axes empty: the default 0, 1, ...
    };
    const std::int64_t big = std::numeric_limits<std::int64_t>::max();
    const std::vector<cut> cuts{
        {{1, -1}, {6, -6}, {2, -1}, {1, 3}},             // odd steps, backwards on the last axis
        {{1}, {2}, {1}, {0}},                            // one whole image: one contiguous run
        {{0, 0, 2}, {big, 7, 9}, {1, 3, 1}, {}},         // default axes, a stop past the end
        {{-1, 8}, {-big, 0}, {-2, -3}, {2, 1}},          // backwards on two axes, clamped
        {{0, 3}, {1, 4}, {1, 1}, {0, 2}},                // size-1 axes dropped
    };
    for (std::size_t i = 0; i < cuts.size(); ++i) {
        CAPTURE(i);
        const cut& c = cuts[i];
        builder b;
        const shape xs{2, 7, 9, 5};
        const auto x = b.param(xs);
        std::vector<output_ref> in{b.op<ops::relu>({}, {x}), b.constant(i64(c.start)), b.constant(i64(c.stop)),
                                   b.constant(i64(c.step))};
        if (!c.axes.empty()) in.push_back(b.constant(i64(c.axes)));
        b.output(b.op<ops::slice>({}, in));
        const model m = b.done();
        check_plan(m, {random_tensor(xs, 79)}, 0.0);  // a copy: exact
        check_threads(m, {random_tensor(xs, 79)}, 3, 0.0);
        rt::plan p(m);
        CHECK(count_kernel(p, "slice") == 1);
        CHECK(count_kernel(p, "reference") == 0);
    }
    // elements of 1 and 8 bytes (a bool mask, int64 indices) against the reference
    for (element_type t : {element_type::boolean, element_type::i64}) {
        CAPTURE(ir_name(t));
        builder b;
        const node_id pid = b.m.add<ops::parameter>({t, partial_shape(shape{3, 10})}, {}, "x");
        b.m.parameters.push_back(pid);
        b.output(b.op<ops::slice>({}, {{pid, 0}, b.constant(i64({9, 1})), b.constant(i64({0, 3})),
                                       b.constant(i64({-2, 1})), b.constant(i64({1, 0}))}));
        const model m = b.done();
        tensor xv(t, shape{3, 10});
        auto* bytes = static_cast<unsigned char*>(xv.raw());
        for (std::size_t j = 0; j < xv.numel() * size_of(t); ++j) bytes[j] = static_cast<unsigned char>(t == element_type::boolean ? (j % 3 == 0 ? 1 : 0) : j * 7 % 251);
        const auto want = reference_executor<>(m).run({xv});
        for (std::size_t threads : {1, 2}) {
            rt::plan_options o;
            o.threads = threads;
            rt::plan p(m, o);
            CHECK(count_kernel(p, "slice") == 1);
            const auto got = p.run({xv});
            REQUIRE(got[0].dims() == want[0].dims());
            CHECK(std::memcmp(got[0].raw(), want[0].raw(), want[0].numel() * size_of(t)) == 0);
        }
    }
}

TEST_CASE("memory planner: live buffers never overlap; a chain reuses memory") {
    builder b;
    auto y = b.param({1, 8, 16, 16});
    for (int i = 0; i < 8; ++i) y = b.op<ops::relu>({}, {b.bias(b.conv(y, 8, 8, 3, 1, 1), 8)});
    b.output(y);
    const model m = b.done();
    rt::plan p(m);
    const auto& bufs = p.buffers();
    REQUIRE(bufs.size() == 8);
    CHECK(p.arena_bytes() < p.activation_bytes());
    CHECK(p.arena_bytes() <= 2 * 8 * 16 * 16 * 4);  // two live buffers at a time
    for (std::size_t i = 0; i < bufs.size(); ++i)
        for (std::size_t j = i + 1; j < bufs.size(); ++j) {
            const bool live_together = bufs[i].first <= bufs[j].last && bufs[j].first <= bufs[i].last;
            const auto& si = p.slots()[p.buffer_slots()[i]];
            const auto& sj = p.slots()[p.buffer_slots()[j]];
            const bool overlap = si.offset < sj.offset + sj.bytes && sj.offset < si.offset + si.bytes;
            CHECK_FALSE((live_together && overlap));
        }
    check_plan(m, {random_tensor({1, 8, 16, 16}, 23)});
}

TEST_CASE("memory planner on random live ranges") {
    std::vector<rt::buffer_request> req;
    const auto r = noise(3 * 200, 99);
    for (std::size_t i = 0; i < 200; ++i) {
        const auto first = static_cast<std::size_t>((r[3 * i] + 1.0f) * 50.0f);
        const auto len = static_cast<std::size_t>((r[3 * i + 1] + 1.0f) * 10.0f);
        req.push_back({static_cast<std::size_t>((r[3 * i + 2] + 1.0f) * 5000.0f) + 1, first, first + len});
    }
    const auto mp = rt::plan_memory(req);
    std::size_t sum = 0;
    for (std::size_t i = 0; i < req.size(); ++i) {
        sum += req[i].bytes;
        CHECK(mp.offsets[i] % 64 == 0);
        CHECK(mp.offsets[i] + req[i].bytes <= mp.arena_bytes);
        for (std::size_t j = i + 1; j < req.size(); ++j) {
            const bool live = req[i].first <= req[j].last && req[j].first <= req[i].last;
            const bool overlap = mp.offsets[i] < mp.offsets[j] + req[j].bytes && mp.offsets[j] < mp.offsets[i] + req[i].bytes;
            CHECK_FALSE((live && overlap));
        }
    }
    CHECK(mp.arena_bytes < sum);
}

TEST_CASE("thread pool: every index once, 1 thread runs inline, exceptions propagate") {
    for (std::size_t threads : {1, 2, 3}) {
        rt::thread_pool pool(threads);
        CHECK(pool.size() == threads);
        pool.parallel_for(0, 5, 7, [&](std::size_t b, std::size_t e, std::size_t w) {
            CHECK((b == 0 && e == 5 && w == 0));  // one chunk: inline, on the caller
        });
        CHECK(pool.splits() == 0);
        for (int round = 0; round < 50; ++round) {
            std::vector<int> hits(1000, 0);
            pool.parallel_for(0, hits.size(), 7, [&](std::size_t b, std::size_t e, std::size_t w) {
                CHECK(w < threads);
                for (std::size_t i = b; i < e; ++i) ++hits[i];
            });
            CHECK(std::count(hits.begin(), hits.end(), 1) == 1000);
        }
        CHECK(pool.splits() == (threads > 1 ? 50u : 0u));  // shared work counted, inline work not
        CHECK_THROWS_AS(pool.parallel_for(0, 10, 1, [](std::size_t b, std::size_t, std::size_t) {
            if (b == 0) throw std::runtime_error("boom");
        }), std::runtime_error);
    }
}

TEST_CASE("thread pool: chunk w runs on worker w when every worker takes one") {
    // each chunk waits until every chunk has started, so no worker can take two: each takes its own
    // (what keeps a tensor's rows on one core from step to step)
    for (std::size_t threads : {2, 3}) {
        rt::thread_pool pool(threads);
        for (int round = 0; round < 100; ++round) {
            std::atomic<std::size_t> started{0};
            std::vector<int> worker_of(threads, -1);
            pool.parallel_for(0, threads * 10, 1, [&](std::size_t b, std::size_t, std::size_t w) {
                worker_of[b / 10] = static_cast<int>(w);
                started.fetch_add(1);
                while (started.load() < threads) std::this_thread::yield();
            });
            for (std::size_t c = 0; c < threads; ++c) CHECK(worker_of[c] == static_cast<int>(c));
        }
    }
}

#if defined(__linux__)
TEST_CASE("thread pool pinning: one CPU per worker, the caller pinned only while a caller_pin lives") {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    REQUIRE(sched_getaffinity(0, sizeof allowed, &allowed) == 0);
    const std::size_t usable = static_cast<std::size_t>(CPU_COUNT(&allowed));
    for (std::size_t threads : {2, 3}) {
        CAPTURE(threads);
        rt::thread_pool pool(threads, true);
        CHECK(pool.pinned() == (usable == threads));  // only a pool that takes every usable CPU pins
        CHECK_FALSE(rt::thread_pool(threads, false).pinned());
        std::vector<std::atomic<int>> cpu_of(threads);
        for (auto& c : cpu_of) c = -1;
        std::atomic<bool> moved{false};
        {
            const rt::thread_pool::caller_pin pin(pool);
            for (int round = 0; round < 200; ++round) {
                std::vector<int> hits(101, 0);
                pool.parallel_for(0, hits.size(), 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                    const int cpu = sched_getcpu();
                    int want = -1;
                    if (!cpu_of[w].compare_exchange_strong(want, cpu) && want != cpu) moved = true;
                    for (std::size_t i = b; i < e; ++i) ++hits[i];
                });
                REQUIRE(std::count(hits.begin(), hits.end(), 1) == 101);
            }
        }
        if (pool.pinned()) {
            CHECK_FALSE(moved.load());  // each worker (the caller as worker 0) stayed on its CPU
            std::vector<int> seen;
            for (auto& c : cpu_of)
                if (c >= 0) seen.push_back(c);
            std::sort(seen.begin(), seen.end());
            CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());  // no CPU shared
        }
        // the caller's CPU set is its own again
        cpu_set_t after;
        CPU_ZERO(&after);
        REQUIRE(sched_getaffinity(0, sizeof after, &after) == 0);
        CHECK(CPU_EQUAL(&after, &allowed));
    }
}
#endif

TEST_CASE("pinned and unpinned plans agree with one thread, and run() leaves the caller's CPUs alone") {
    builder b;
    const auto x = b.param({1, 6, 13, 17});
    auto y = b.op<ops::relu>({}, {b.bias(b.conv(x, 6, 10, 3, 1, 1), 10)});
    b.output(b.op<ops::relu>({}, {b.bias(b.conv(y, 10, 5, 1, 1, 0), 5)}));
    const model m = b.done();
    const std::vector<tensor> in{random_tensor({1, 6, 13, 17}, 7)};
    rt::plan_options o;
    o.threads = 1;
    const auto want = rt::plan(m, o).run(in);
    for (std::size_t threads : {2, 3})
        for (bool pin : {true, false}) {
            CAPTURE(threads);
            CAPTURE(pin);
            o.threads = threads;
            o.pin_threads = pin;
            rt::plan p(m, o);
            check_close(p.run(in), want, 1e-6);
#if defined(__linux__)
            cpu_set_t before, after;
            CPU_ZERO(&before);
            CPU_ZERO(&after);
            REQUIRE(sched_getaffinity(0, sizeof before, &before) == 0);
            p.run(in);
            REQUIRE(sched_getaffinity(0, sizeof after, &after) == 0);
            CHECK(CPU_EQUAL(&before, &after));
#endif
        }
}

TEST_CASE("plan errors: wrong input shape, dynamic input without shapes; plan_cache re-plans") {
    builder b;
    const auto x = b.param({1, 3, -1, -1});
    b.output(b.op<ops::relu>({}, {b.conv(x, 3, 4, 3, 1, 1)}));
    const model m = b.done();
    CHECK_THROWS_AS(rt::plan{m}, shape_error);
    rt::plan p(m, {{1, 3, 8, 8}});
    CHECK_THROWS_AS(p.run({random_tensor({1, 3, 9, 8}, 1)}), shape_error);
    CHECK_THROWS_AS((rt::plan{m, {{1, 4, 8, 8}}}), shape_error);
    rt::plan_cache cache(m);
    for (std::int64_t h : {8, 12, 8}) {
        const std::vector<tensor> in{random_tensor({1, 3, h, 10}, 29)};
        check_close(cache.run(in), reference_executor<>(m).run(in));
    }
}

TEST_CASE("PaddleOCR cls (1x3x48x192): plan == reference executor") {
    const std::string path = test::ocr_assets() + "/ch_ppocr_mobile_v2.0_cls_infer.onnx";
    REQUIRE_MESSAGE(test::fs::exists(path), "missing " << path << ": run tools/setup.sh first");
    const model m = onnx::load(path);
    const std::vector<tensor> in{random_tensor({1, 3, 48, 192}, 31)};
    const auto want = reference_executor<>(m).run(in);
    for (std::size_t threads : {1, 2}) {
        rt::plan_options o;
        o.threads = threads;
        rt::plan p(m, {{1, 3, 48, 192}}, o);
        check_close(p.run(in), want);
        CHECK(count_kernel(p, "reference") < p.steps().size());
        MESSAGE("cls: " << p.steps().size() << " steps, arch " << p.arch() << ", arena " << p.arena_bytes()
                        << " bytes of " << p.activation_bytes());
    }
}

TEST_CASE("DepthToSpace / SpaceToDepth steps, both modes, odd sizes, 1-D to 3-D spatial: a copy identical to the reference") {
    struct d2s_case { shape x; std::int64_t bs; };
    for (const auto mode : {ops::depth_space_mode::blocks_first, ops::depth_space_mode::depth_first}) {
        CAPTURE(static_cast<int>(mode));
        // DepthToSpace: face_detection_full_range's [1, 64, 24, 24] bs 2 at a smaller size, odd maps,
        // block 3, block 1 (a copy), batch 2, 1-D and 3-D spatial
        for (const auto& c : {d2s_case{{1, 16, 6, 6}, 2}, d2s_case{{1, 12, 5, 7}, 2}, d2s_case{{2, 27, 3, 4}, 3},
                              d2s_case{{1, 3, 4, 4}, 1}, d2s_case{{1, 48, 1, 3}, 4}, d2s_case{{2, 6, 7}, 2},
                              d2s_case{{1, 16, 3, 2, 5}, 2}}) {
            CAPTURE(to_string(c.x));
            CAPTURE(c.bs);
            builder b;
            b.output(b.op<ops::depth_to_space>({mode, c.bs}, {b.param(c.x)}));
            const model m = b.done();
            check_plan(m, {random_tensor(c.x, 41)}, 0.0);
            rt::plan p(m, {c.x});
            CHECK(count_kernel(p, "depth_to_space") == 1);
        }
        // SpaceToDepth: the inverse; DepthToSpace of it gives the input back
        for (const auto& c : {d2s_case{{1, 3, 10, 14}, 2}, d2s_case{{2, 5, 9, 6}, 3}, d2s_case{{1, 2, 6, 4, 2}, 2},
                              d2s_case{{1, 1, 8}, 4}}) {
            CAPTURE(to_string(c.x));
            builder b;
            const output_ref s2d = b.op<ops::space_to_depth>({mode, c.bs}, {b.param(c.x)});
            b.output(s2d);
            b.output(b.op<ops::depth_to_space>({mode, c.bs}, {s2d}));
            const model m = b.done();
            const tensor x = random_tensor(c.x, 43);
            check_plan(m, {x}, 0.0);
            rt::plan p(m, {c.x});
            CHECK(count_kernel(p, "space_to_depth") == 1);
            check_close({p.run({x}).at(1)}, {x}, 0.0);
        }
    }
    // the Transpose family's tiled copy (a short last axis read across the input): NCHW -> NHWC of 3
    // channels over 600 positions (3 blocks of rows, split between 2 threads), and of 1-byte elements
    for (const element_type t : {element_type::f32, element_type::u8}) {
        model m;
        const node_id x = m.add<ops::parameter>({t, partial_shape(shape{2, 3, 20, 30})}, {}, "x");
        m.parameters.push_back(x);
        const node_id perm = m.add<ops::constant>({tensor::from_vector(std::vector<std::int64_t>{0, 2, 3, 1})}, {}, "perm");
        m.results.push_back(m.add<ops::result>({}, {{m.add<ops::transpose>({}, {{x, 0}, {perm, 0}}, "t"), 0}}, "y"));
        m.validate();
        tensor f = random_tensor({2, 3, 20, 30}, 47);
        for (std::size_t i = 0; i < f.numel(); ++i) f.data<float>()[i] = std::round((f.data<float>()[i] + 1.0f) * 100.0f);
        const tensor in = f.converted(t);  // 0..200
        check_plan(m, {in}, 0.0);
    }
    // ... and by 32 x 32 blocks when the swapped axes are longer: NCHW -> NHWC of 40 channels over
    // 37 x 41 positions (edge blocks both ways), NHWC -> NCHW back, 1-, 4- and 8-byte elements
    for (const element_type t : {element_type::f32, element_type::u8, element_type::i64})
        for (const auto& pv : {std::vector<std::int64_t>{0, 2, 3, 1}, std::vector<std::int64_t>{0, 3, 1, 2}}) {
            CAPTURE(pv[1]);
            model m;
            const node_id x = m.add<ops::parameter>({t, partial_shape(shape{2, 40, 37, 41})}, {}, "x");
            m.parameters.push_back(x);
            const node_id perm = m.add<ops::constant>({tensor::from_vector(pv)}, {}, "perm");
            m.results.push_back(m.add<ops::result>({}, {{m.add<ops::transpose>({}, {{x, 0}, {perm, 0}}, "t"), 0}}, "y"));
            m.validate();
            tensor f = random_tensor({2, 40, 37, 41}, 53);
            for (std::size_t i = 0; i < f.numel(); ++i) f.data<float>()[i] = std::round((f.data<float>()[i] + 1.0f) * 100.0f);
            check_plan(m, {f.converted(t)}, 0.0);
        }
}

TEST_CASE("comparison steps: f32 / i32 operands, numpy broadcasting both ways, ties, NaN; LogicalAnd; identical to the reference") {
    const auto param = [](model& m, element_type t, const shape& s, const char* name) -> output_ref {
        const node_id id = m.add<ops::parameter>({t, partial_shape(s)}, {}, name);
        m.parameters.push_back(id);
        return {id, 0};
    };
    const auto coarse = [](const shape& s, std::uint32_t seed) {  // values in {-2, ..., 2}: many ties
        tensor t = random_tensor(s, seed);
        for (std::size_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = std::round(t.data<float>()[i] * 2.0f);
        return t;
    };
    struct shapes { shape a, b; };
    for (const auto& c : {shapes{{2, 3, 4, 5}, {2, 3, 4, 5}}, shapes{{2, 3, 4, 5}, {3, 1, 5}}, shapes{{1, 1}, {}},
                          shapes{{4, 1, 3}, {1, 5, 1}}, shapes{{7}, {1}}, shapes{{1, 2, 1, 33}, {3, 2, 5, 1}},
                          // large enough to be shared: one merged row (the workers cut it), rows of 777
                          // cut mid-row, a broadcast column
                          shapes{{5, 13, 777}, {5, 13, 777}}, shapes{{5, 13, 777}, {13, 1}}, shapes{{1}, {3, 17, 1001}}}) {
        CAPTURE(to_string(c.a));
        CAPTURE(to_string(c.b));
        model m;
        const output_ref a = param(m, element_type::f32, c.a, "a"), bb = param(m, element_type::f32, c.b, "b");
        const output_ref ge = {m.add<ops::greater_equal>({}, {a, bb}, "ge"), 0};
        const output_ref lt = {m.add<ops::less>({}, {bb, a}, "lt"), 0};
        const output_ref eq = {m.add<ops::equal>({}, {a, bb}, "eq"), 0};
        for (const output_ref r : {ge, lt, eq, output_ref{m.add<ops::logical_and>({}, {ge, eq}, "and"), 0}})
            m.results.push_back(m.add<ops::result>({}, {r}, m.at(r.node).name + "/y"));
        m.validate();
        tensor ta = coarse(c.a, 51), tb = coarse(c.b, 53);
        if (ta.numel() > 2) ta.data<float>()[1] = std::nanf("");  // every comparison with NaN is false
        check_plan(m, {ta, tb}, 0.0, {1, 2, 3});
        rt::plan p(m, {c.a, c.b});
        CHECK(count_kernel(p, "compare") == 4);
        CHECK(count_kernel(p, "reference") == 0);
    }
    // i32: a counter against a limit (TFLite WHILE's condition), a scalar against a vector
    model m;
    const output_ref i = param(m, element_type::i32, {}, "i"), n = param(m, element_type::i32, {6}, "n");
    m.results.push_back(m.add<ops::result>({}, {{m.add<ops::less>({}, {i, n}, "lt"), 0}}, "y"));
    m.validate();
    const tensor ti = tensor::scalar(std::int32_t{3});
    const tensor tn = tensor::from_vector(std::vector<std::int32_t>{-1, 2, 3, 4, 100, 3});
    check_plan(m, {ti, tn}, 0.0);
    rt::plan p(m, {shape{}, shape{6}});
    CHECK(count_kernel(p, "compare") == 1);
    const auto y = p.run({ti, tn}).at(0).to_vector<std::int64_t>();
    CHECK(y == std::vector<std::int64_t>{0, 0, 0, 1, 1, 0});
}

TEST_CASE("a depthwise convolution and the pointwise one that alone reads it run as one step, bit for bit as two") {
    // BlazeFace's block (dw 3x3 without bias -> 1x1 + bias -> Add(block input) -> Relu), a MobileNet
    // block (dw 5x5 stride 2 + bias + Relu -> 1x1 + bias + HSwish), odd sizes, batch 2; a depthwise
    // output with a second reader stays two steps
    builder b;
    const shape xs{2, 24, 19, 37};
    const auto x = b.param(xs);
    const auto y1 = b.op<ops::relu>({}, {b.op<ops::add>({}, {b.bias(b.conv(b.dwconv(x, 24, 3, 1, 1), 24, 24, 1, 1, 0), 24), x})});
    const auto d2 = b.op<ops::relu>({}, {b.bias(b.dwconv(y1, 24, 5, 2, 2), 24)});
    const auto y2 = b.op<ops::hswish>({}, {b.bias(b.conv(d2, 24, 13, 1, 1, 0), 13)});
    const auto d3 = b.dwconv(y2, 13, 3, 1, 1);
    b.output(b.conv(d3, 13, 7, 1, 1, 0));
    b.output(d3);
    const model m = b.done();
    const std::vector<tensor> in{random_tensor(xs, 71)};
    check_plan(m, in, 1e-5, {1, 2, 3});
    for_arches_and_threads({1, 2}, [&](rt::plan_options o) {
        rt::plan fused(m, std::vector<shape>{xs}, o);
        o.fuse_depthwise_pointwise = false;
        rt::plan apart(m, std::vector<shape>{xs}, o);
        CHECK(count_kernel(fused, "dw3x3+conv1x1") == 1);
        // a 5x5 window fuses at one thread only (dw_pw_fuses: faster apart at two)
        CHECK(count_kernel(fused, "dw5x5+relu+conv1x1") == (o.threads == 1 ? 1 : 0));
        CHECK(count_kernel(fused, "dw5x5.") == (o.threads == 1 ? 0 : 1));
        CHECK(count_kernel(fused, "dw3x3.") == 1);  // d3: read twice
        CHECK(count_kernel(apart, "dw") == 3);
        for (const auto& s : fused.steps())
            if (s->kernel.rfind("dw3x3+conv1x1", 0) == 0) {
                CHECK(s->ops == "GroupConvolution+Convolution+Add+Add+Relu");
                CHECK(s->reads.size() == 2);  // the input and the residual
            }
        check_same_bits(fused.run(in), apart.run(in));
    });
}

TEST_CASE("an expanding pointwise convolution, the depthwise one and the projecting one run as one step, bit for bit as three") {
    // MobileNetV3's stride-2 block (1x1 16 -> 64 + bias + Relu, dw 3x3 stride 2 + bias + Relu, 1x1
    // 64 -> 24 + bias) on odd sizes, batch 2; EfficientNet-lite's block (1x1 24 -> 96 + bias + Clamp
    // 0..6, dw 5x5 + bias + Clamp, 1x1 96 -> 24 + bias + Add(block input)); a block whose depthwise
    // output has a second reader (squeeze-excitation's), and one whose widened tensor is under 1 MiB,
    // stay apart. Against the reference at 1, 2 and 3 threads, and fused against apart bit for bit.
    builder b;
    const shape xs{2, 16, 67, 69}, zs{1, 24, 61, 45};
    // (the blocks read tensors a step made: the fused step reads only arena tensors, not the inputs)
    const auto x = b.op<ops::relu>({}, {b.param(xs)}), z = b.op<ops::relu>({}, {b.param(zs)});
    const auto e1 = b.op<ops::relu>({}, {b.bias(b.conv(x, 16, 64, 1, 1, 0), 64)});
    const auto d1 = b.op<ops::relu>({}, {b.bias(b.dwconv(e1, 64, 3, 2, 1), 64)});
    b.output(b.bias(b.conv(d1, 64, 24, 1, 1, 0), 24));
    const auto e2 = b.op<ops::clamp>({0.0, 6.0}, {b.bias(b.conv(z, 24, 96, 1, 1, 0), 96)});
    const auto d2 = b.op<ops::clamp>({0.0, 6.0}, {b.bias(b.dwconv(e2, 96, 5, 1, 2), 96)});
    const auto y2 = b.op<ops::add>({}, {b.bias(b.conv(d2, 96, 24, 1, 1, 0), 24), z});
    b.output(y2);
    // squeeze-excitation's shape: the depthwise output read twice
    const auto e3 = b.op<ops::relu>({}, {b.conv(y2, 24, 96, 1, 1, 0)});
    const auto d3 = b.dwconv(e3, 96, 3, 1, 1);
    b.output(b.conv(d3, 96, 8, 1, 1, 0));
    b.output(d3);
    // small: 8 -> 16 channels on 9 x 9
    const auto small = b.conv(b.conv(x, 16, 8, 1, 1, 0), 8, 16, 1, 1, 0);
    b.output(b.conv(b.dwconv(small, 16, 3, 1, 1), 16, 4, 1, 1, 0));
    const model m = b.done();
    const std::vector<tensor> in{random_tensor(xs, 91), random_tensor(zs, 93)};
    check_plan(m, in, 1e-5, {1, 2, 3});
    for_arches_and_threads({1, 2, 3}, [&](rt::plan_options o) {
        rt::plan fused(m, std::vector<shape>{xs, zs}, o);
        o.fuse_depthwise_pointwise = false;
        rt::plan apart(m, std::vector<shape>{xs, zs}, o);
        // (34 output rows at 3 threads split 12 + 11 + 11; 61 rows 21 + 20 + 20)
        CHECK(count_kernel(fused, "conv1x1+relu+dw3x3+relu+conv1x1") == 1);
        CHECK(count_kernel(fused, "conv1x1+clamp+dw5x5+clamp+conv1x1") == 1);
        CHECK(count_kernel(fused, "conv1x1+") == 2);
        CHECK(count_kernel(apart, "conv1x1+") == 0);
        for (const auto& s : fused.steps())
            if (s->kernel.rfind("conv1x1+clamp+dw5x5", 0) == 0) {
                CHECK(s->ops == "Convolution+Add+Clamp+GroupConvolution+Add+Clamp+Convolution+Add+Add");
                CHECK(s->reads.size() == 2);  // the input and the residual (the same slot)
            }
        check_same_bits(fused.run(in), apart.run(in));
    });
    // the band: the ring and the depthwise band within 1 MiB, within one worker's rows
    moir::kernels::conv_geometry g;
    g.groups = 96, g.in_c = g.out_c = 1, g.in_h = g.out_h = 61, g.in_w = g.out_w = 45;
    g.kh = g.kw = 5, g.sh = g.sw = g.dh = g.dw = 1, g.pt = g.pl = 2;
    const std::size_t band = rt::steps::convolution::expand_band(48, 96, g, 2);
    CHECK(band >= 1);
    CHECK(band <= 31);
    CHECK(96 * ((band + 4) * 45 + band * 45) <= 262144);
    CHECK(rt::steps::convolution::expand_band(48, 4096, g, 1) == 1);  // never below one row
}

TEST_CASE("few-channel strided convolutions on the phased path: BlazeFace's 5x5 stride-2 first layer, batch 2") {
    // in_c 3 and 4, 5x5 / 3x3 / 1x1 stride 2, TF SAME's asymmetric pads (one more after), out_c 24
    // and 27, bias + relu, a residual Add of two phased convolutions; the plan against the reference
    // at 1, 2 and 3 threads, and the same bits at every thread count (rows split, each row computed
    // alike)
    builder b;
    const shape xs{2, 3, 34, 66}, x4s{2, 4, 17, 29};
    const auto x = b.param(xs), x4 = b.param(x4s);
    ops::detail::convolution_attrs same5{{2, 2}, {1, 1}, {1, 1}, {2, 2}, ops::pad_type::explicit_};
    b.output(b.op<ops::relu>({}, {b.bias(b.op<ops::convolution>(same5, {x, b.weights({24, 3, 5, 5})}), 24)}));
    const auto t = b.bias(b.conv(x4, 4, 27, 3, 2, 1), 27);
    const auto r = b.conv(x4, 4, 27, 1, 2, 0);
    b.output(b.op<ops::relu>({}, {b.op<ops::add>({}, {t, r})}));
    const model m = b.done();
    const std::vector<tensor> in{random_tensor(xs, 81), random_tensor(x4s, 83)};
    check_plan(m, in, 1e-5, {1, 2, 3});
    for (const auto& arch : arches()) {
        CAPTURE(arch);
        std::vector<std::vector<tensor>> outs;
        for (std::size_t threads : {1, 2, 3}) {
            rt::plan_options o;
            o.arch = arch, o.threads = threads;
            rt::plan p(m, std::vector<shape>{xs, x4s}, o);
            CHECK(count_kernel_part(p, ".phased") == 3);
            outs.push_back(p.run(in));
        }
        for (std::size_t i = 1; i < outs.size(); ++i) check_same_bits(outs[i], outs[0]);
    }
}

TEST_CASE("a fused depthwise -> pointwise step splits rows evenly between workers, and runs apart where rows cannot") {
    // one range of rows per worker: the busiest within 10% of an even share, else two steps
    CHECK(rt::steps::convolution::dw_pw_rows_even(3, 1));
    CHECK(rt::steps::convolution::dw_pw_rows_even(6, 2));
    CHECK(rt::steps::convolution::dw_pw_rows_even(40, 2));
    CHECK(rt::steps::convolution::dw_pw_rows_even(19, 2));  // 10 + 9
    CHECK_FALSE(rt::steps::convolution::dw_pw_rows_even(3, 2));  // 2 + 1
    CHECK_FALSE(rt::steps::convolution::dw_pw_rows_even(7, 2));  // 4 + 3
    CHECK_FALSE(rt::steps::convolution::dw_pw_rows_even(1, 2));
    CHECK_FALSE(rt::steps::convolution::dw_pw_rows_even(2, 3));
    CHECK(rt::steps::convolution::dw_pw_rows_even(21, 3));
    // the band is cut within one worker's rows
    CHECK(rt::steps::convolution::dw_pw_band(48, 8, 16, 40, 40, 2) <= 20);
    CHECK(rt::steps::convolution::dw_pw_band(48, 8, 16, 12, 80, 2) == 6);  // 480 columns: 10 whole tiles
    // a band's depthwise output within 192 KiB for small pointwise weights, up to 768 KiB for wide
    // layers (PaddleOCR rec's 240 -> 240 on 12x80: two rows at 192 KiB, ten at 768 KiB)
    CHECK(rt::steps::convolution::dw_pw_band_floats(24, 24) == 49152);
    CHECK(rt::steps::convolution::dw_pw_band_floats(240, 240) == 196608);
    CHECK(rt::steps::convolution::dw_pw_band_floats(96, 192) == 4 * 96 * 192);
    CHECK(rt::steps::convolution::dw_pw_band(48, 240, 24, 12, 80, 1) == 2);
    CHECK(rt::steps::convolution::dw_pw_band(48, 240, 240, 12, 80, 1) == 10);
    CHECK(rt::steps::convolution::dw_pw_band(48, 240, 240, 12, 80, 2) == 6);
    for (std::size_t c : {8, 24, 96, 240, 480})
        for (std::size_t h : {3, 12, 40})
            for (std::size_t t : {1, 2, 3}) {
                const std::size_t band = rt::steps::convolution::dw_pw_band(48, c, c, h, 80, t);
                CHECK(band >= 1);
                CHECK(band <= (h + t - 1) / t);
                CHECK((band == 1 || band * c * 80 <= rt::steps::convolution::dw_pw_band_floats(c, c)));
            }
    // awkward maps (1, 3, 6, 7, 12 rows; odd widths), batch 2, stride 1 and 2, 3x3 and 5x5: every
    // thread count writes the bytes of one thread, fused or apart, and matches the reference
    struct map_case {
        std::int64_t h, w, k, stride, fused_at_2;  // fused_at_2: fused steps expected at two threads
    };
    // (at two threads only even rows and windows under 5 rows fuse: dw_pw_fuses)
    for (const map_case c : {map_case{1, 37, 3, 1, 0}, map_case{3, 29, 5, 1, 0}, map_case{6, 17, 5, 1, 0},
                             map_case{6, 17, 3, 1, 1}, map_case{7, 9, 3, 1, 0}, map_case{12, 13, 3, 1, 1},
                             map_case{12, 81, 5, 2, 0}, map_case{12, 81, 3, 2, 1}, map_case{5, 31, 3, 2, 0}}) {
        CAPTURE(c.h);
        CAPTURE(c.w);
        CAPTURE(c.k);
        CAPTURE(c.stride);
        builder b;
        const shape xs{2, 11, c.h, c.w};
        const auto x = b.param(xs);
        const auto d = b.op<ops::relu>({}, {b.bias(b.dwconv(x, 11, c.k, c.stride, c.k / 2), 11)});
        b.output(b.op<ops::relu>({}, {b.bias(b.conv(d, 11, 19, 1, 1, 0), 19)}));
        const model m = b.done();
        const std::vector<tensor> in{random_tensor(xs, 83)};
        check_plan(m, in, 1e-5, {1, 2, 3});
        for (const auto& arch : arches()) {
            CAPTURE(arch);
            rt::plan_options o;
            o.arch = arch, o.threads = 1;
            rt::plan one(m, std::vector<shape>{xs}, o);
            CHECK(count_kernel_part(one, "+conv1x1") == 1);
            const auto want = one.run(in).at(0);
            for (const bool fuse : {true, false})
                for (std::size_t threads : {1, 2, 3}) {
                    CAPTURE(fuse);
                    CAPTURE(threads);
                    o.threads = threads, o.fuse_depthwise_pointwise = fuse;
                    rt::plan p(m, std::vector<shape>{xs}, o);
                    if (fuse && threads == 2) CHECK(count_kernel_part(p, "+conv1x1") == std::size_t(c.fused_at_2));
                    const auto got = p.run(in).at(0);
                    REQUIRE(got.numel() == want.numel());
                    CHECK(std::memcmp(got.data<float>(), want.data<float>(), want.numel() * sizeof(float)) == 0);
                }
        }
    }
}

TEST_CASE("transposed convolutions gather by blocks of output rows at 2 and 3 threads, bit-identical to 1 thread") {
    struct variant {
        std::int64_t cin, cout, k, stride, pad, h, w;
    };
    // small enough to stay unbanded: overlapping 4x4 stride 2, stride = kernel, 3x3 stride 2 with
    // one output channel (fewer channels than workers), a 1-row input, odd sizes; batch 2
    for (const variant v : {variant{6, 16, 4, 2, 1, 9, 7}, variant{5, 3, 2, 2, 0, 5, 11}, variant{4, 1, 3, 2, 1, 6, 5},
                            variant{3, 7, 3, 1, 1, 1, 13}}) {
        CAPTURE(v.k);
        CAPTURE(v.cout);
        CAPTURE(v.h);
        builder b;
        const shape xs{2, v.cin, v.h, v.w};
        const auto x = b.param(xs);
        ops::detail::convolution_backprop_attrs a;
        a.strides = {v.stride, v.stride};
        a.dilations = {1, 1};
        a.pads_begin = {v.pad, v.pad};
        a.pads_end = a.pads_begin;
        auto y = b.op<ops::convolution_backprop_data>(a, {x, b.weights({v.cin, v.cout, v.k, v.k})});
        b.output(b.op<ops::relu>({}, {b.bias(y, v.cout)}));
        const model m = b.done();
        const std::vector<tensor> in{random_tensor(xs, 67)};
        check_plan(m, in, 1e-5, {1, 2, 3});
        rt::plan_options o;
        o.threads = 1;
        rt::plan one(m, std::vector<shape>{xs}, o);
        const auto want = one.run(in);
        for (std::size_t threads : {2, 3}) {
            CAPTURE(threads);
            o.threads = threads;
            rt::plan p(m, std::vector<shape>{xs}, o);
            REQUIRE(p.steps().size() == 1);
            const auto* d = dynamic_cast<const rt::steps::deconv_step*>(p.steps()[0].get());
            REQUIRE(d);
            CHECK(d->band_rows == 0);
            // one block of output rows per worker (fewer where the output has fewer rows)
            CHECK(d->row_blocks == std::min<std::size_t>(threads, d->oh));
            CHECK(d->block_rows * d->row_blocks >= d->oh);
            const auto got = p.run(in);
            REQUIRE(got.size() == 1);
            REQUIRE(got[0].dims() == want[0].dims());
            CHECK(std::memcmp(got[0].raw(), want[0].raw(), want[0].bytes()) == 0);
        }
    }
}

namespace {

/// x -> (x * c) * Clamp(x + a, lo, hi) as TF writes hard-swish (tfjs CenterNet's MobileNetV3), with the
/// constants first when `swapped`.
output_ref tf_hswish(builder& b, output_ref x, float c, float a, double lo, double hi, bool swapped = false) {
    const auto cc = b.constant(tensor::scalar(c)), ac = b.constant(tensor::from_vector<float>({a}, {1}));
    const auto m = b.op<ops::multiply>({}, swapped ? std::vector<output_ref>{cc, x} : std::vector<output_ref>{x, cc});
    const auto s = b.op<ops::add>({}, swapped ? std::vector<output_ref>{ac, x} : std::vector<output_ref>{x, ac});
    const auto r = b.op<ops::clamp>({lo, hi}, {s});
    return b.op<ops::multiply>({}, swapped ? std::vector<output_ref>{r, m} : std::vector<output_ref>{m, r});
}

/// The convolutions of the scaled_hswish test, each followed by TF's hard-swish; `apart`: each
/// convolution's output is a model output as well (after the others), so nothing fuses the chain.
model scaled_hswish_model(const shape& xs, bool apart) {
    builder b;
    std::vector<output_ref> pre;
    const auto x = b.param(xs);
    // cc: CenterNet's 0.1666259765625, not 1/6
    auto hs = [&](output_ref y, bool swapped = false, float cc = 0.1666259765625f, float a = 3.0f, double lo = 0.0,
                  double hi = 6.0) {
        pre.push_back(y);
        return tf_hswish(b, y, cc, a, lo, hi, swapped);
    };
    const auto y1 = hs(b.bias(b.conv(x, 5, 7, 3, 1, 1), 7));    // 3x3 direct / phased
    const auto y2 = hs(b.bias(b.conv(y1, 7, 9, 1, 1, 0), 9));   // 1x1: GEMM
    const auto d3 = hs(b.bias(b.dwconv(y2, 9, 3, 1, 1), 9));    // depthwise -> pointwise, one step
    b.output(b.bias(b.conv(d3, 9, 6, 1, 1, 0), 6));
    b.output(hs(b.bias(b.dwconv(y2, 9, 5, 2, 2), 9), true));    // depthwise alone, constants first
    b.output(hs(b.conv(y2, 9, 11, 3, 2, 1), false, 0.3f, 1.5f, -1.0, 2.0));  // no bias, other constants
    b.output(y1);
    if (apart)
        for (const auto& p : pre) b.output(p);
    return b.done();
}

}  // namespace

TEST_CASE("TF's hard-swish with an inexact 1/6 fuses into the convolution's epilogue, bit for bit as four steps") {
    const shape xs{2, 5, 13, 17};
    const model fm = scaled_hswish_model(xs, false), am = scaled_hswish_model(xs, true);
    const std::vector<tensor> in{random_tensor(xs, 91)};
    check_plan(fm, in, 1e-5, {1, 2, 3});
    for_arches_and_threads({1, 2, 3}, [&](rt::plan_options o) {
        rt::plan fused(fm, std::vector<shape>{xs}, o), apart(am, std::vector<shape>{xs}, o);
        std::size_t chains = 0, eltwise = 0;
        for (const auto& s : fused.steps()) {
            chains += s->ops.find("+Multiply+Add+Clamp+Multiply") != std::string::npos;
            eltwise += s->kernel == "eltwise";
        }
        CHECK(chains == 5);  // every arch, the reference one too: its convolution steps take epilogues
        CHECK(eltwise == 0);
        if (o.arch != "reference") {
            // (13 rows do not split evenly in 3: the depthwise and pointwise steps then run apart)
            CHECK(count_kernel(fused, "dw3x3+scaled_hswish+conv1x1") == (o.threads == 3 ? 0 : 1));
            CHECK(count_kernel(fused, "dw3x3.") == (o.threads == 3 ? 1 : 0));
            CHECK(count_kernel(fused, "dw5x5.") == 1);
            CHECK(count_kernel(apart, "eltwise") == 20);  // the five chains, four steps each
        }
        const auto a = fused.run(in), c = apart.run(in);
        REQUIRE(a.size() == 4);
        REQUIRE(c.size() == 9);
        for (std::size_t i = 0; i < a.size(); ++i) {
            CAPTURE(i);
            REQUIRE(a[i].dims() == c[i].dims());
            CHECK(std::memcmp(a[i].data<float>(), c[i].data<float>(), a[i].numel() * sizeof(float)) == 0);
        }
    });
}

TEST_CASE("TF's hard-swish stays apart when an intermediate has another reader or the scale is per channel") {
    builder b;
    const shape xs{1, 4, 6, 7};
    const auto x = b.param(xs);
    // the Multiply by c is also an output
    const auto y = b.bias(b.conv(x, 4, 5, 1, 1, 0), 5);
    const auto cc = b.constant(tensor::scalar(0.1666259765625f));
    const auto m = b.op<ops::multiply>({}, {y, cc});
    const auto r = b.op<ops::clamp>({0.0, 6.0}, {b.op<ops::add>({}, {y, b.constant(tensor::scalar(3.0f))})});
    b.output(b.op<ops::multiply>({}, {m, r}));
    b.output(m);
    // a per-channel scale
    const auto y2 = b.bias(b.conv(x, 4, 3, 1, 1, 0), 3);
    const auto m2 = b.op<ops::multiply>({}, {y2, b.weights({1, 3, 1, 1})});
    const auto r2 = b.op<ops::clamp>({0.0, 6.0}, {b.op<ops::add>({}, {y2, b.constant(tensor::scalar(3.0f))})});
    b.output(b.op<ops::multiply>({}, {m2, r2}));
    const model mod = b.done();
    check_plan(mod, {random_tensor(xs, 93)});
    rt::plan p(mod);
    for (const auto& s : p.steps()) CHECK(s->kernel.find("scaled_hswish") == std::string::npos);
    CHECK(count_kernel(p, "eltwise") == 8);
}
