// passes/transpose_sinking.hpp: layout Transposes (as a channels-last frontend writes them around
// NCHW layers) sink below layout-free ops and cancel; outputs stay the same.

#include "fusion_test_util.hpp"

#include <moir/ops/clamp.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/passes/eliminate_noops.hpp>
#include <moir/passes/transpose_sinking.hpp>

#include <doctest/doctest.h>

using namespace fusion_test;

namespace {
using sinking = passes::pass_list<passes::eliminate_noops, passes::sink_transposes, passes::merge_transposes>;
using regions = passes::pass_list<passes::eliminate_noops, passes::sink_transposes, passes::merge_transposes,
                                  passes::sink_transpose_regions>;

output_ref transpose(builder& b, output_ref x, std::vector<std::int64_t> perm) {
    return b.op<ops::transpose>({x, b.constant(tensor::from_vector(perm))});
}
output_ref to_nchw(builder& b, output_ref x) { return transpose(b, x, {0, 3, 1, 2}); }
output_ref to_nhwc(builder& b, output_ref x) { return transpose(b, x, {0, 2, 3, 1}); }
/// A layout-dependent NCHW layer (a convolution's stand-in) between the Transposes a channels-last
/// frontend writes: NHWC in, NHWC out.
output_ref layer(builder& b, output_ref nhwc) { return to_nhwc(b, b.op<ops::softmax>({1}, {to_nchw(b, nhwc)})); }
/// x * relu6(x + 3) * (1/6), as TF writes hard-swish: x read twice.
output_ref hard_swish(builder& b, output_ref x) {
    const output_ref r6 = b.op<ops::clamp>({0.0, 6.0}, {b.add(x, b.scalar(3.0f))});
    return b.mul(b.mul(x, b.scalar(1.0f / 6.0f)), r6);
}
/// Elements moved by the live Transposes.
std::size_t transposed_elements(const model& m) {
    std::size_t n = 0;
    for (node_id id : m.topo_order())
        if (m.nodes[id].is<ops::transpose>()) n += numel(m.nodes[id].outputs[0].shape.to_shape());
    return n;
}
}  // namespace

TEST_CASE("transposes around layers cancel through unary, binary-with-constant and Pad ops") {
    builder b;
    const output_ref x = b.param({1, 4, 5, 3});
    output_ref y = b.op<ops::relu>({to_nchw(b, x)});
    y = to_nhwc(b, y);
    y = b.add(y, b.values({0.5f, -1.0f, 2.0f}, {3}));                     // per-channel, NHWC
    y = b.mul(y, b.values({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, {1, 1, 5, 3}));  // rank 4, broadcast
    y = b.op<ops::pad>({ops::pad_mode::constant},
                       {y, b.constant(tensor::from_vector<std::int64_t>({0, 1, 0, 2})),
                        b.constant(tensor::from_vector<std::int64_t>({0, 0, 2, 1}))});
    y = b.op<ops::sigmoid>({to_nchw(b, y)});
    b.output(to_nhwc(b, y));
    model m = b.done();
    CHECK(count<ops::transpose>(m) == 4);
    CHECK(check_fusion<sinking>(m) > 0);
    CHECK(count<ops::transpose>(m) == 0);
    CHECK(m.port(m.nodes[m.results[0]].inputs[0]).shape == partial_shape({1, 5, 7, 6}));
}

TEST_CASE("a Concat of transposes with one order takes the permuted axis") {
    builder b;
    const output_ref x = b.param({1, 4, 5, 3});
    const output_ref z = b.param({1, 4, 5, 2});
    const output_ref r = b.op<ops::relu>({to_nchw(b, x)});
    const output_ref s = b.op<ops::sigmoid>({to_nchw(b, z)});
    const output_ref c = b.op<ops::concat>({1}, {r, s});
    b.output(to_nhwc(b, b.add(c, to_nchw(b, b.param({1, 4, 5, 5})))));
    model m = b.done();
    CHECK(count<ops::transpose>(m) == 4);
    check_fusion<sinking>(m);
    CHECK(count<ops::transpose>(m) == 0);
}

TEST_CASE("a transpose read twice stays: sinking never adds transposes") {
    builder b;
    const output_ref x = b.param({1, 4, 5, 3});
    const output_ref t = to_nchw(b, x);
    b.output(b.op<ops::relu>({t}));
    b.output(b.op<ops::sigmoid>({t}));
    model m = b.done();
    CHECK(check_fusion<sinking>(m) == 0);
    CHECK(count<ops::transpose>(m) == 1);
}

TEST_CASE("merge_transposes composes two orders") {
    builder b;
    const output_ref x = b.param({2, 3, 4, 5});
    b.output(transpose(b, transpose(b, x, {1, 0, 3, 2}), {0, 2, 1, 3}));
    model m = b.done();
    CHECK(check_fusion<sinking>(m) == 1);
    CHECK(count<ops::transpose>(m) == 1);
    CHECK(m.port(m.nodes[m.results[0]].inputs[0]).shape == partial_shape({3, 5, 2, 4}));
}

TEST_CASE("a Transpose read by both halves of hard-swish sinks and cancels (multi-use region)") {
    for (const shape& s : {shape{1, 5, 4, 3}, shape{2, 1, 6, 5}}) {
        builder b;
        const output_ref x = b.param(s);
        output_ref y = hard_swish(b, layer(b, x));
        y = layer(b, hard_swish(b, layer(b, y)));
        b.output(y);
        model m = b.done();
        CHECK(count<ops::transpose>(m) == 6);
        // the single-use passes alone cannot move a Transpose read twice
        model single = m;
        check_fusion<sinking>(single);
        CHECK(count<ops::transpose>(single) == 6);
        CHECK(check_fusion<regions>(m) > 0);
        CHECK(count<ops::transpose>(m) == 2);  // the model's input and output
        CHECK(transposed_elements(m) == 2 * numel(s));
    }
}

TEST_CASE("residual Adds: a sum read by the next layer and the next Add loses its Transposes") {
    builder b;
    const output_ref x = b.param({1, 3, 5, 4});
    const output_ref a = layer(b, x);
    const output_ref s1 = b.add(a, layer(b, b.op<ops::relu>({a})));
    const output_ref s2 = b.add(s1, layer(b, s1));
    b.output(b.add(s2, hard_swish(b, s2)));
    model m = b.done();
    CHECK(count<ops::transpose>(m) == 6);
    check_fusion<regions>(m);
    CHECK(count<ops::transpose>(m) == 2);
}

TEST_CASE("squeeze-excite: a keep_dims ReduceMean and the scale Multiply cross with the axes permuted") {
    builder b;
    const output_ref x = b.param({1, 4, 3, 5});
    const output_ref t = layer(b, x);
    const output_ref mean = b.op<ops::reduce_mean>(
        {true}, {t, b.constant(tensor::from_vector<std::int64_t>({1, -2}))});
    const output_ref scale = b.op<ops::sigmoid>({layer(b, mean)});
    const output_ref peak = b.op<ops::reduce_max>({true}, {t, b.constant(tensor::scalar<std::int64_t>(3))});
    b.output(layer(b, b.add(b.mul(t, scale), peak)));
    model m = b.done();
    CHECK(count<ops::transpose>(m) == 6);
    check_fusion<regions>(m);
    CHECK(count<ops::transpose>(m) == 2);
}

TEST_CASE("a reduction without keep_dims stays behind its Transpose; the rest of the region moves") {
    builder b;
    const output_ref x = b.param({1, 4, 3, 5});
    const output_ref t = layer(b, x);
    b.output(b.op<ops::reduce_mean>({false}, {t, b.constant(tensor::from_vector<std::int64_t>({1, 2}))}));
    b.output(layer(b, hard_swish(b, t)));
    model m = b.done();
    CHECK(count<ops::transpose>(m) == 4);
    const std::size_t before = transposed_elements(m);
    check_fusion<regions>(m);
    CHECK(count<ops::transpose>(m) == 3);  // input, the reduction's, output
    CHECK(transposed_elements(m) == before - 60);
}

TEST_CASE("a Transpose whose readers cannot all drop it is never duplicated into more work") {
    builder b;
    const output_ref x = b.param({1, 4, 5, 3});
    const output_ref t = layer(b, x);
    b.output(hard_swish(b, t));  // a model output in NHWC: its region needs a Transpose back
    b.output(b.op<ops::reshape>({false}, {t, b.constant(tensor::from_vector<std::int64_t>({4, 15}))}));
    model m = b.done();
    const std::size_t before = transposed_elements(m);
    check_fusion<regions>(m);
    CHECK(transposed_elements(m) == before);
    CHECK(count<ops::transpose>(m) == 2);

    // two NHWC outputs of one Transpose: one Transpose each would move twice as much
    builder c;
    const output_ref u = layer(c, c.param({1, 4, 5, 3}));
    c.output(c.op<ops::relu>({u}));
    c.output(c.op<ops::sigmoid>({u}));
    model n = c.done();
    check_fusion<regions>(n);
    CHECK(count<ops::transpose>(n) == 2);
}

TEST_CASE("a region with a Concat and a Pad keeps the permuted axis and pads") {
    builder b;
    const output_ref x = b.param({2, 3, 4, 5});
    const output_ref t = layer(b, x);
    const output_ref c = b.op<ops::concat>({-1}, {t, b.op<ops::relu>({t})});
    const output_ref p = b.op<ops::pad>({ops::pad_mode::constant},
                                        {c, b.constant(tensor::from_vector<std::int64_t>({0, 1, 0, 2})),
                                         b.constant(tensor::from_vector<std::int64_t>({0, 0, 2, 1}))});
    b.output(layer(b, b.mul(p, b.values({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, {13}))));
    model m = b.done();
    check_fusion<regions>(m);
    CHECK(count<ops::transpose>(m) == 2);
    CHECK(m.port(m.nodes[m.results[0]].inputs[0]).shape == partial_shape({2, 4, 6, 13}));
}

TEST_CASE("an Interpolate with constant sizes (per axis, or with axes) crosses with its axes permuted") {
    for (const bool with_axes : {false, true}) {
        builder b;
        const output_ref x = b.param({1, 3, 4, 5});
        const output_ref t = layer(b, x);
        ops::interpolate::attrs a;
        a.mode = ops::interpolate_mode::linear_onnx;
        a.coordinate_transformation_mode = ops::coordinate_transformation_mode::half_pixel;
        const output_ref up =
            with_axes ? b.op<ops::interpolate>(a, {t, b.constant(tensor::from_vector<std::int64_t>({6, 7})),
                                                   b.constant(tensor::from_vector<std::int64_t>({1, 2}))})
                      : b.op<ops::interpolate>(a, {t, b.constant(tensor::from_vector<std::int64_t>({1, 6, 7, 5}))});
        const output_ref t2 = layer(b, b.op<ops::relu>({up}));
        b.output(layer(b, b.op<ops::concat>({3}, {t2, b.mul(up, b.scalar(0.5f))})));
        model m = b.done();
        CHECK(count<ops::transpose>(m) == 6);
        check_fusion<regions>(m);
        CHECK(count<ops::transpose>(m) == 2);
        CHECK(m.port(m.nodes[m.results[0]].inputs[0]).shape == partial_shape({1, 6, 7, 10}));
    }
}

TEST_CASE("a compare, a Convert and a Multiply cross; the Reshape after them keeps one Transpose") {
    builder b;
    const output_ref x = b.param({2, 3, 4, 5});
    const output_ref s = layer(b, x);
    const output_ref peak = layer(b, s);  // a max-pool's stand-in
    const output_ref hit = b.op<ops::convert>({element_type::f32}, {b.op<ops::equal>({peak, s})});
    b.output(b.op<ops::reshape>({false}, {b.mul(s, hit), b.constant(tensor::from_vector<std::int64_t>({2, 60}))}));
    model m = b.done();
    CHECK(count<ops::transpose>(m) == 4);
    check_fusion<regions>(m);
    CHECK(count<ops::transpose>(m) == 2);  // the input's, and one before the Reshape
}
