// The linear-op fusions (passes/fusions/linear_ops.hpp, conv_mul.hpp, batch_norm.hpp, matmul.hpp):
// Subtract/Divide canonicalisation, Add/Multiply chains, per-channel Multiply/Add into the four
// convolutions, BatchNorm after transposed convolutions and MatMul, MatMul weights. Each: it matches,
// it does not match (second consumer, integer type, wrong-axis constant, padded convolution for the
// forward Add), the outputs stay the same, and a second run is a no-op. Zero Pads into the convolution
// or average pool after them (pad_fusion.hpp).

#include <moir/ops/batch_norm_inference.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/group_convolution_backprop_data.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/max_pool.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>

#include "fusion_test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>    // sin
#include <cstdint>  // uint8_t
#include <limits>   // numeric_limits
#include <string>   // string
#include <vector>   // vector

using namespace fusion_test;
using linear = passes::linear_fusions;
using all_fusions = passes::default_fusions;

namespace {

tensor ramp(const shape& s, float scale, float offset) {
    std::vector<float> v(numel(s));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<float>(i) * scale + 0.3f) + offset;
    return tensor::from_vector(v, s);
}

ops::convolution::attrs conv_attrs(std::int64_t pad, ops::pad_type auto_pad = ops::pad_type::explicit_) {
    ops::convolution::attrs a;
    a.strides = {1, 1};
    a.dilations = {1, 1};
    a.pads_begin = {pad, pad};
    a.pads_end = {pad, pad};
    a.auto_pad = auto_pad;
    return a;
}

ops::convolution_backprop_data::attrs deconv_attrs() {
    ops::convolution_backprop_data::attrs a;
    a.strides = {2, 2};
    a.dilations = {1, 1};
    a.pads_begin = {0, 0};
    a.pads_end = {0, 0};
    return a;
}

/// The four convolutions, each with 6 output channels: x [1, 3, 5, 5] (plain) or [1, 4, 5, 5]
/// (grouped, G = 2) -> Convolution / GroupConvolution (3x3, pads `pad`, output 5x5) or
/// ConvolutionBackpropData / GroupConvolutionBackpropData (3x3, stride 2, output 11x11).
enum class conv_kind { conv, group, deconv, group_deconv };

output_ref conv_of(builder& b, conv_kind k, output_ref x, std::int64_t pad = 1,
                   ops::pad_type auto_pad = ops::pad_type::explicit_) {
    switch (k) {
    case conv_kind::conv:
        return b.op<ops::convolution>(conv_attrs(pad, auto_pad), {x, b.constant(ramp({6, 3, 3, 3}, 0.37f, 0.0f))});
    case conv_kind::group:
        return b.op<ops::group_convolution>(conv_attrs(pad, auto_pad), {x, b.constant(ramp({2, 3, 2, 3, 3}, 0.41f, 0.1f))});
    case conv_kind::deconv:
        return b.op<ops::convolution_backprop_data>(deconv_attrs(), {x, b.constant(ramp({3, 6, 3, 3}, 0.29f, 0.0f))});
    default:
        return b.op<ops::group_convolution_backprop_data>(deconv_attrs(), {x, b.constant(ramp({2, 2, 3, 3, 3}, 0.53f, 0.0f))});
    }
}
bool grouped(conv_kind k) { return k == conv_kind::group || k == conv_kind::group_deconv; }
bool transposed(conv_kind k) { return k == conv_kind::deconv || k == conv_kind::group_deconv; }
shape input_of(conv_kind k) { return grouped(k) ? shape{1, 4, 5, 5} : shape{1, 3, 5, 5}; }
std::int64_t out_extent(conv_kind k) { return transposed(k) ? 11 : 5; }

std::size_t convs(const model& m) {
    return count<ops::convolution>(m) + count<ops::group_convolution>(m) + count<ops::convolution_backprop_data>(m) +
           count<ops::group_convolution_backprop_data>(m);
}

const conv_kind kinds[] = {conv_kind::conv, conv_kind::group, conv_kind::deconv, conv_kind::group_deconv};

/// BatchNormInference of `channels` channels with constant statistics.
output_ref batch_norm(builder& b, output_ref x, std::int64_t channels) {
    const shape c{channels};
    return b.op<ops::batch_norm_inference>({1e-3}, {x, b.constant(ramp(c, 0.9f, 1.5f)), b.constant(ramp(c, 1.3f, 0.2f)),
                                                    b.constant(ramp(c, 0.7f, 0.1f)), b.constant(ramp(c, 0.5f, 1.2f))});
}

}  // namespace

TEST_CASE("canonicalisation: Subtract and Divide by constants become Add and Multiply (floats only)") {
    {
        builder b;
        const output_ref x = b.param({2, 3});
        b.output(b.sub(x, b.values({1, 2, 3}, {3})));
        b.output(b.div(x, b.values({2, 4, 8}, {3})));
        model m = b.done();
        CHECK(check_fusion<linear>(m) == 2);
        CHECK(count<ops::subtract>(m) == 0);
        CHECK(count<ops::divide>(m) == 0);
        CHECK(count<ops::add>(m) == 1);
        CHECK(count<ops::multiply>(m) == 1);
    }
    {  // integer division stays a Divide; division by a zero constant stays too; x - y stays
        builder b;
        const output_ref x = b.param({2, 3}, element_type::i32), y = b.param({2, 3}), z = b.param({2, 3});
        b.output(b.div(x, b.constant(tensor::from_vector<std::int32_t>({2, 3, 4}))));
        b.output(b.div(y, b.values({2, 0, 8}, {3})));
        b.output(b.sub(y, z));
        model m = b.done();
        passes::pass_context ctx;
        CHECK(passes::run_pipeline<linear>(m, ctx) == 0);
    }
    {  // the zero point of compressed weights, Subtract(decompression Convert(Const u8), c), stays: the
       // INT8 kernels take that form (runtime/steps/int8_convolution.hpp)
        builder b;
        const output_ref x = b.param({2, 3});
        const output_ref cv = b.op<ops::convert>({element_type::f32}, {b.constant(tensor::from_vector<std::uint8_t>({0, 200, 255}))});
        b.m.at(cv.node).rt_info.push_back(rt_attribute{std::string(passes::decompression_key), "0", "", false});
        b.output(b.mul(x, b.mul(b.sub(cv, b.values({201}, {1})), b.values({0.5f}, {1}))));
        model m = b.done();
        passes::pass_context ctx;
        CHECK(passes::run_pipeline<linear>(m, ctx) == 0);
        CHECK(count<ops::subtract>(m) == 1);
    }
}

TEST_CASE("linear chains: Add(Add), Mul(Mul) merge; Mul(Add(x, c1), c2) -> Add(Mul(x, c2), c1 * c2)") {
    {
        builder b;
        const output_ref x = b.param({2, 3});
        b.output(b.add(b.values({4}, {1}), b.add(x, b.values({1, 2, 3}, {3}))));
        b.output(b.mul(b.mul(b.values({1, 2, 3}, {1, 3}), x), b.scalar(0.5f)));
        b.output(b.mul(b.add(x, b.values({1, -2}, {2, 1})), b.values({3, 4, 5}, {3})));
        model m = b.done();
        CHECK(check_fusion<linear>(m) == 3);
        CHECK(count<ops::add>(m) == 2);
        CHECK(count<ops::multiply>(m) == 2);
        // the last output is now Add(Multiply(x, c2), c1 * c2)
        const node& last = m.nodes[m.output(2).node];
        REQUIRE(last.is<ops::add>());
        CHECK(m.nodes[last.inputs[0].node].is<ops::multiply>());
    }
    {  // the inner op has a second consumer; integer data; c1 widens x ([1, 4] + [3, 1])
        builder b;
        const output_ref x = b.param({2, 3}), i = b.param({2, 3}, element_type::i32), w = b.param({1, 4});
        const output_ref inner = b.add(x, b.values({1, 2, 3}, {3}));
        b.output(b.add(inner, b.scalar(2.0f)));
        b.output(inner);
        b.output(b.add(b.add(i, b.constant(tensor::scalar<std::int32_t>(1))), b.constant(tensor::scalar<std::int32_t>(2))));
        b.output(b.mul(b.add(w, b.values({1, 2, 3}, {3, 1})), b.scalar(2.0f)));
        model m = b.done();
        CHECK(check_fusion<linear>(m) == 0);
    }
}

TEST_CASE("Multiply by a per-output-channel constant after each convolution goes into the weights") {
    for (const auto k : kinds) {
        CAPTURE(static_cast<int>(k));
        for (int form = 0; form < 2; ++form) {
            builder b;
            const output_ref x = b.param(input_of(k));
            const output_ref c = form ? b.constant(ramp({6, 1, 1}, 0.8f, 1.1f)) : b.constant(ramp({1, 6, 1, 1}, 0.8f, 1.1f));
            b.output(form ? b.mul(c, conv_of(b, k, x)) : b.mul(conv_of(b, k, x), c));
            model m = b.done();
            CHECK(check_fusion<linear>(m) == 1);
            CHECK(convs(m) == 1);
            CHECK(compute_nodes(m) == 1);
        }
        {  // not: a constant along the last axis, a conv used twice
            builder b;
            const output_ref x = b.param(input_of(k));
            b.output(b.mul(conv_of(b, k, x), b.constant(ramp({1, 1, 1, out_extent(k)}, 0.8f, 1.1f))));
            const output_ref shared = conv_of(b, k, x);
            b.output(b.mul(shared, b.constant(ramp({1, 6, 1, 1}, 0.8f, 1.1f))));
            b.output(shared);
            model m = b.done();
            CHECK(check_fusion<linear>(m) == 0);
        }
    }
}

TEST_CASE("Convolution -> Add(bias) -> Multiply(per channel) becomes Convolution(W * s) -> Add(bias * s)") {
    for (const auto k : kinds) {
        CAPTURE(static_cast<int>(k));
        builder b;
        const output_ref x = b.param(input_of(k));
        const output_ref biased = b.add(conv_of(b, k, x), b.constant(ramp({1, 6, 1, 1}, 0.6f, 0.2f)));
        b.output(b.mul(biased, b.constant(ramp({1, 6, 1, 1}, 0.8f, 1.1f))));
        model m = b.done();
        CHECK(check_fusion<linear>(m) == 1);
        CHECK(convs(m) == 1);
        CHECK(count<ops::add>(m) == 1);
        CHECK(count<ops::multiply>(m) == 0);
    }
}

TEST_CASE("Multiply by a per-input-channel constant before each convolution goes into the weights") {
    for (const auto k : kinds) {
        CAPTURE(static_cast<int>(k));
        const std::int64_t c = input_of(k)[1];
        {
            builder b;
            const output_ref x = b.param(input_of(k));
            b.output(conv_of(b, k, b.mul(b.constant(ramp({1, c, 1, 1}, 0.8f, 1.1f)), x)));  // padded: still exact
            model m = b.done();
            CHECK(check_fusion<linear>(m) == 1);
            CHECK(convs(m) == 1);
            CHECK(compute_nodes(m) == 1);
        }
        {  // not: a constant along the last axis; a Multiply used twice
            builder b;
            const output_ref x = b.param(input_of(k));
            b.output(conv_of(b, k, b.mul(x, b.constant(ramp({1, 1, 1, 5}, 0.8f, 1.1f)))));
            const output_ref shared = b.mul(x, b.constant(ramp({1, c, 1, 1}, 0.8f, 1.1f)));
            b.output(conv_of(b, k, shared));
            b.output(shared);
            model m = b.done();
            CHECK(check_fusion<linear>(m) == 0);
        }
    }
}

TEST_CASE("Multiply then Add by constants before a padded convolution: the Multiply goes into the weights") {
    for (const auto k : kinds) {
        CAPTURE(static_cast<int>(k));
        const std::int64_t c = input_of(k)[1];
        {
            builder b;
            const output_ref x = b.param(input_of(k));
            const output_ref scaled = b.mul(x, b.constant(ramp({1, c, 1, 1}, 0.8f, 1.5f)));
            b.output(conv_of(b, k, b.add(b.scalar(0.75f), scaled)));
            model m = b.done();
            CHECK(check_fusion<linear>(m) == 1);
            CHECK(convs(m) == 1);
            CHECK(count<ops::multiply>(m) == 0);
            CHECK(count<ops::add>(m) == 1);
        }
        {  // not: a zero scale
            builder b;
            const output_ref x = b.param(input_of(k));
            std::vector<float> s(static_cast<std::size_t>(c), 2.0f);
            s[0] = 0.0f;
            b.output(conv_of(b, k, b.add(b.mul(x, b.values(s, {1, c, 1, 1})), b.scalar(0.75f))));
            model m = b.done();
            CHECK(check_fusion<linear>(m) == 0);
        }
    }
}

TEST_CASE("Add of a per-input-channel constant before a convolution becomes a bias only without padding") {
    for (const auto k : {conv_kind::conv, conv_kind::group}) {
        CAPTURE(static_cast<int>(k));
        const std::int64_t c = input_of(k)[1];
        for (const auto pad : {ops::pad_type::explicit_, ops::pad_type::valid}) {
            builder b;
            const output_ref x = b.param(input_of(k));
            b.output(conv_of(b, k, b.add(x, b.constant(ramp({1, c, 1, 1}, 0.8f, 0.5f))), 0, pad));
            model m = b.done();
            CHECK(check_fusion<linear>(m) == 1);
            CHECK(convs(m) == 1);
            CHECK(count<ops::add>(m) == 1);
            CHECK(m.nodes[m.output(0).node].is<ops::add>());  // the Add moved after the convolution
        }
        {  // refused: padded explicitly, same_upper, a transposed convolution
            builder b;
            const output_ref x = b.param(input_of(k));
            b.output(conv_of(b, k, b.add(x, b.constant(ramp({1, c, 1, 1}, 0.8f, 0.5f))), 1));
            b.output(conv_of(b, k, b.add(x, b.constant(ramp({1, c, 1, 1}, 0.6f, 0.5f))), 0, ops::pad_type::same_upper));
            const output_ref y = b.param(input_of(k == conv_kind::conv ? conv_kind::deconv : conv_kind::group_deconv));
            b.output(conv_of(b, k == conv_kind::conv ? conv_kind::deconv : conv_kind::group_deconv,
                             b.add(y, b.constant(ramp({1, c, 1, 1}, 0.6f, 0.5f)))));
            model m = b.done();
            CHECK(check_fusion<linear>(m) == 0);
            CHECK(count<ops::add>(m) == 3);
        }
    }
}

TEST_CASE("BatchNorm after ConvolutionBackpropData / GroupConvolutionBackpropData folds into the weights") {
    for (const auto k : {conv_kind::deconv, conv_kind::group_deconv}) {
        CAPTURE(static_cast<int>(k));
        builder b;
        const output_ref x = b.param(input_of(k));
        b.output(b.op<ops::relu>({batch_norm(b, conv_of(b, k, x), 6)}));
        model m = b.done();
        CHECK(check_fusion<passes::batch_norm_fusions>(m) == 1);
        CHECK(count<ops::batch_norm_inference>(m) == 0);
        CHECK(count<ops::multiply>(m) == 0);
        CHECK(convs(m) == 1);
    }
    {  // Add(bias) between them (PaddleOCR det): decomposed, then folded by the linear fusions
        builder b;
        const output_ref x = b.param(input_of(conv_kind::deconv));
        const output_ref biased = b.add(conv_of(b, conv_kind::deconv, x), b.constant(ramp({1, 6, 1, 1}, 0.6f, 0.2f)));
        b.output(batch_norm(b, biased, 6));
        model m = b.done();
        check_fusion<all_fusions>(m);
        CHECK(count<ops::batch_norm_inference>(m) == 0);
        CHECK(count<ops::multiply>(m) == 0);
        CHECK(count<ops::add>(m) == 1);
        CHECK(convs(m) == 1);
    }
    {  // the convolution used twice: the BatchNorm is only decomposed
        builder b;
        const output_ref x = b.param(input_of(conv_kind::conv));
        const output_ref y = conv_of(b, conv_kind::conv, x);
        b.output(batch_norm(b, y, 6));
        b.output(y);
        model m = b.done();
        check_fusion<passes::batch_norm_fusions>(m);
        CHECK(count<ops::batch_norm_inference>(m) == 0);
        CHECK(count<ops::multiply>(m) == 1);
        CHECK(convs(m) == 1);
    }
}

TEST_CASE("BatchNorm after a MatMul with constant weights (transpose_b or not) folds into them") {
    for (int tb = 0; tb < 2; ++tb) {
        CAPTURE(tb);
        builder b;
        const output_ref x = b.param({2, 4});
        const output_ref w = b.constant(ramp(tb ? shape{3, 4} : shape{4, 3}, 0.31f, 0.0f));
        b.output(batch_norm(b, b.op<ops::matmul>({false, tb == 1}, {x, w}), 3));
        model m = b.done();
        CHECK(check_fusion<passes::batch_norm_fusions>(m) == 1);
        CHECK(count<ops::batch_norm_inference>(m) == 0);
        CHECK(count<ops::matmul>(m) == 1);
        CHECK(count<ops::add>(m) == 1);
    }
}

TEST_CASE("MatMul: per-column Multiply into the weights, Add chains merged, transpose_b applied to the weights") {
    for (int tb = 0; tb < 2; ++tb) {
        CAPTURE(tb);
        builder b;
        const output_ref x = b.param({2, 5, 4});
        const output_ref w = b.constant(ramp(tb ? shape{3, 4} : shape{4, 3}, 0.31f, 0.0f));
        const output_ref mm = b.op<ops::matmul>({false, tb == 1}, {x, w});
        const output_ref y = b.mul(mm, b.values({0.5f, 2.0f, -1.0f}, {3}));
        b.output(b.add(b.add(y, b.values({1, 2, 3}, {1, 3})), b.scalar(0.25f)));
        model m = b.done();
        check_fusion<linear>(m);
        CHECK(count<ops::multiply>(m) == 0);
        CHECK(count<ops::add>(m) == 1);
        REQUIRE(count<ops::matmul>(m) == 1);
        for (node_id id : m.topo_order())
            if (m.nodes[id].is<ops::matmul>()) {
                CHECK(!m.nodes[id].attrs_as<ops::matmul>().transpose_b);
                CHECK(m.port(m.nodes[id].inputs[1]).shape == partial_shape({4, 3}));
            }
    }
    {  // MatMul(x, Transpose(W)) folds to canonical [K, N] weights through the default pipeline
        builder b;
        const output_ref x = b.param({2, 4});
        const output_ref wt = b.op<ops::transpose>({b.constant(ramp({3, 4}, 0.31f, 0.0f)), b.constant(tensor::from_vector<std::int64_t>({1, 0}))});
        b.output(b.op<ops::matmul>({false, true}, {x, b.op<ops::transpose>({wt, b.constant(tensor::from_vector<std::int64_t>({1, 0}))})}));
        model m = b.done();
        check_fusion<concat_t<passes::declutter, all_fusions>>(m);
        CHECK(count<ops::transpose>(m) == 0);
        REQUIRE(count<ops::matmul>(m) == 1);
        for (node_id id : m.topo_order())
            if (m.nodes[id].is<ops::matmul>()) CHECK(!m.nodes[id].attrs_as<ops::matmul>().transpose_b);
    }
    {  // not: a per-row constant ([2, 1]); the MatMul used twice; a weight used by two MatMuls stays transposed
        builder b;
        const output_ref x = b.param({2, 4});
        const output_ref w = b.constant(ramp({4, 3}, 0.31f, 0.0f));
        b.output(b.mul(b.op<ops::matmul>({false, false}, {x, w}), b.values({2, 3}, {2, 1})));
        const output_ref mm = b.op<ops::matmul>({false, false}, {x, w});
        b.output(b.mul(mm, b.values({1, 2, 3}, {3})));
        b.output(mm);
        const output_ref wt = b.constant(ramp({3, 4}, 0.31f, 0.0f));
        b.output(b.op<ops::matmul>({false, true}, {x, wt}));
        b.output(b.op<ops::matmul>({false, true}, {x, wt}));
        model m = b.done();
        CHECK(check_fusion<linear>(m) == 0);
    }
}

TEST_CASE("a zero Pad of the spatial axes becomes the padding of the convolution after it (explicit or valid)") {
    const auto ints = [](builder& b, const std::vector<std::int64_t>& v) { return b.constant(tensor::from_vector(v)); };
    const auto pad = [&](builder& b, output_ref x, const std::vector<std::int64_t>& lo, const std::vector<std::int64_t>& hi,
                         std::vector<output_ref> value = {}, ops::pad_mode mode = ops::pad_mode::constant) {
        std::vector<output_ref> in{x, ints(b, lo), ints(b, hi)};
        for (const auto& v : value) in.push_back(v);
        return b.op<ops::pad>({mode}, in);
    };
    for (const auto k : {conv_kind::conv, conv_kind::group}) {
        CAPTURE(static_cast<int>(k));
        builder b;
        const output_ref x = b.param(input_of(k));
        // Keras' ZeroPadding2D before a valid convolution; asymmetric pads added to explicit ones;
        // a zero pad value given; a Pad that something else reads too (it stays for that reader)
        b.output(conv_of(b, k, pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 1}), 0, ops::pad_type::valid));
        b.output(conv_of(b, k, pad(b, x, {0, 0, 0, 2}, {0, 0, 1, 0}), 1));
        b.output(conv_of(b, k, pad(b, x, {0, 0, 2, 1}, {0, 0, 0, 1}, {b.scalar(0.0f)}), 1));
        const output_ref shared = pad(b, x, {0, 0, 1, 0}, {0, 0, 1, 0});
        b.output(conv_of(b, k, shared, 0));
        b.output(b.op<ops::relu>({shared}));
        model m = b.done();
        CHECK(check_fusion<all_fusions>(m) == 4);
        CHECK(count<ops::pad>(m) == 1);  // the one the Relu reads
        CHECK(convs(m) == 4);
        for (node_id id : m.topo_order()) {
            const node& n = m.nodes[id];
            if (!n.is<ops::convolution>() && !n.is<ops::group_convolution>()) continue;
            CHECK(m.nodes[n.inputs[0].node].is<ops::parameter>());
            const auto& a = k == conv_kind::conv ? n.attrs_as<ops::convolution>() : n.attrs_as<ops::group_convolution>();
            CHECK(a.auto_pad == ops::pad_type::explicit_);
        }
    }
    {  // refused: a non-zero value, the batch or channel axis padded, another mode, same_upper, a deconvolution
        builder b;
        const output_ref x = b.param(input_of(conv_kind::conv));
        b.output(conv_of(b, conv_kind::conv, pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 1}, {b.scalar(0.5f)}), 0));
        b.output(conv_of(b, conv_kind::group, pad(b, x, {0, 1, 1, 1}, {0, 0, 1, 1}), 0));
        b.output(conv_of(b, conv_kind::conv, pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 1}, {}, ops::pad_mode::reflect), 0));
        b.output(conv_of(b, conv_kind::conv, pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 1}), 0, ops::pad_type::same_upper));
        b.output(conv_of(b, conv_kind::deconv, pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 1})));
        model m = b.done();
        CHECK(check_fusion<all_fusions>(m) == 0);
        CHECK(count<ops::pad>(m) == 5);
    }
    {  // an AvgPool that counts padded cells takes the Pad (floor and ceil rounding); one that
       // excludes them, and a MaxPool after a zero Pad (it pads with -inf), do not
        builder b;
        const output_ref x = b.param({1, 3, 7, 6});
        const auto pool = [&](bool exclude, ops::rounding_type rounding) {
            ops::avg_pool::attrs a;
            a.strides = {2, 2}, a.kernel = {3, 3}, a.pads_begin = {0, 1}, a.pads_end = {1, 0};
            a.exclude_pad = exclude, a.rounding_type = rounding;
            return a;
        };
        b.output(b.op<ops::avg_pool>(pool(false, ops::rounding_type::floor), {pad(b, x, {0, 0, 1, 0}, {0, 0, 2, 1})}));
        b.output(b.op<ops::avg_pool>(pool(false, ops::rounding_type::ceil), {pad(b, x, {0, 0, 0, 2}, {0, 0, 1, 0})}));
        b.output(b.op<ops::avg_pool>(pool(true, ops::rounding_type::floor), {pad(b, x, {0, 0, 1, 0}, {0, 0, 2, 1})}));
        ops::max_pool::attrs mp;
        mp.strides = {2, 2}, mp.kernel = {3, 3}, mp.pads_begin = {0, 0}, mp.pads_end = {0, 0};
        b.output(b.op<ops::max_pool>(mp, {pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 1})}));
        model m = b.done();
        CHECK(check_fusion<all_fusions>(m) == 2);
        CHECK(count<ops::pad>(m) == 2);
        CHECK(count<ops::avg_pool>(m) == 3);
    }
    {  // a Pad of -inf folds into the MaxPool after it (TensorFlow's "same" max pooling as ONNX writes
       // it): floor rounding, and ceil where it divides exactly; not ceil that rounds up, nor -FLT_MAX
        builder b;
        const output_ref x = b.param({1, 3, 7, 6});
        const float inf = std::numeric_limits<float>::infinity();
        const auto pool = [&](ops::rounding_type rounding, output_ref in) {
            ops::max_pool::attrs a;
            a.strides = {2, 2}, a.kernel = {3, 3}, a.pads_begin = {0, 0}, a.pads_end = {0, 0};
            a.rounding_type = rounding;
            return b.op<ops::max_pool>(a, {in});
        };
        b.output(pool(ops::rounding_type::floor, pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 1}, {b.scalar(-inf)})));
        b.output(pool(ops::rounding_type::ceil, pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 0}, {b.scalar(-inf)})));  // 9x7
        b.output(pool(ops::rounding_type::ceil, pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 1}, {b.scalar(-inf)})));  // 9x8
        b.output(pool(ops::rounding_type::floor,
                      pad(b, x, {0, 0, 1, 1}, {0, 0, 1, 1}, {b.scalar(-std::numeric_limits<float>::max())})));
        model m = b.done();
        CHECK(check_fusion<all_fusions>(m) == 2);
        CHECK(count<ops::pad>(m) == 2);
        std::size_t padded = 0;
        for (node_id id : m.topo_order()) {
            const node& n = m.nodes[id];
            if (!n.is<ops::max_pool>() || !m.nodes[n.inputs[0].node].is<ops::parameter>()) continue;
            const auto& a = n.attrs_as<ops::max_pool>();
            CHECK(a.pads_begin == std::vector<std::int64_t>{1, 1});
            ++padded;
        }
        CHECK(padded == 2);
    }
}
