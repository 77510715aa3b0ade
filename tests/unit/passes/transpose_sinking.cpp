// passes/transpose_sinking.hpp: layout Transposes (as a channels-last frontend writes them around
// NCHW layers) sink below layout-free ops and cancel; outputs stay the same.

#include "fusion_test_util.hpp"

#include <moir/ops/concat.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/passes/eliminate_noops.hpp>
#include <moir/passes/transpose_sinking.hpp>

#include <doctest/doctest.h>

using namespace fusion_test;

namespace {
using sinking = passes::pass_list<passes::eliminate_noops, passes::sink_transposes, passes::merge_transposes>;

output_ref transpose(builder& b, output_ref x, std::vector<std::int64_t> perm) {
    return b.op<ops::transpose>({x, b.constant(tensor::from_vector(perm))});
}
output_ref to_nchw(builder& b, output_ref x) { return transpose(b, x, {0, 3, 1, 2}); }
output_ref to_nhwc(builder& b, output_ref x) { return transpose(b, x, {0, 2, 3, 1}); }
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
