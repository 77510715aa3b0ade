// The activation fusions (passes/fusions/hswish.hpp, activations.hpp): each decomposed form becomes
// one op, the outputs stay the same, a second run is a no-op, and the guards refuse a second
// consumer, another constant, another x, or an integer type.

#include <moir/ops/clamp.hpp>
#include <moir/ops/erf.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/gelu.hpp>
#include <moir/ops/hard_sigmoid.hpp>
#include <moir/ops/hsigmoid.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/mish.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/soft_plus.hpp>
#include <moir/ops/swish.hpp>
#include <moir/ops/tanh.hpp>
#include <moir/passes/pipelines.hpp>

#include "fusion_test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>  // sqrt, acos

using namespace fusion_test;
using acts = passes::activation_fusions;
using all_fusions = passes::default_fusions;

namespace {

const shape s4{1, 3, 4, 5};

output_ref relu6_plus3(builder& b, output_ref x, bool clamp) {
    const output_ref a = b.add(x, b.scalar(3.0f));
    if (clamp) return b.op<ops::clamp>({0.0, 6.0}, {a});
    return b.op<ops::minimum>({b.op<ops::relu>({a}), b.scalar(6.0f)});
}

/// x * relu6(x + 3) / 6 in one of four forms: Divide or Multiply(1/6), Clamp or Minimum(Relu).
model hswish_model(bool clamp, bool divide, bool x_first = true) {
    builder b;
    const output_ref x = b.param(s4);
    const output_ref r = relu6_plus3(b, x, clamp);
    const output_ref p = x_first ? b.mul(x, r) : b.mul(r, x);
    b.output(divide ? b.div(p, b.scalar(6.0f)) : b.mul(p, b.scalar(1.0f / 6.0f)));
    return b.done();
}

}  // namespace

TEST_CASE("fuse_hswish: x * relu6(x + 3) / 6 in its Clamp/Minimum and Divide/Multiply forms") {
    for (int form = 0; form < 4; ++form) {
        CAPTURE(form);
        model m = hswish_model(form & 1, form & 2, form != 3);
        CHECK(check_fusion<acts>(m) == 1);
        CHECK(count<ops::hswish>(m) == 1);
        CHECK(compute_nodes(m) == 1);
    }
}

TEST_CASE("fuse_hswish: the PaddleOCR form x -> Add(3) -> Clip(0,6) -> Mul(x, .) -> Div(6), x used elsewhere too") {
    builder b;
    const output_ref in = b.param(s4);
    const output_ref x = b.add(b.mul(in, b.scalar(1.5f)), b.scalar(0.25f));  // x has three consumers
    const output_ref h = b.div(b.mul(x, b.op<ops::clamp>({0.0, 6.0}, {b.add(x, b.scalar(3.0f))})), b.scalar(6.0f));
    b.output(b.add(h, x));
    model m = b.done();
    check_fusion<all_fusions>(m);
    CHECK(count<ops::hswish>(m) == 1);
    CHECK(count<ops::clamp>(m) == 0);
    CHECK(count<ops::divide>(m) == 0);
}

TEST_CASE("fuse_hswish: TensorFlow's MobileNetV3 form (x * 1/6) * relu6(x + 3), or (x / 6), either order") {
    for (int form = 0; form < 8; ++form) {
        CAPTURE(form);
        builder b;
        const output_ref x = b.param(s4);
        const output_ref sixth = form & 1 ? b.div(x, b.scalar(6.0f)) : b.mul(b.scalar(1.0f / 6.0f), x);
        const output_ref r = relu6_plus3(b, x, form & 2);
        b.output(form & 4 ? b.mul(sixth, r) : b.mul(r, sixth));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 1);
        CHECK(count<ops::hswish>(m) == 1);
        CHECK(compute_nodes(m) == 1);
    }
    {  // x / 6 also a model output: no match
        builder b;
        const output_ref x = b.param(s4);
        const output_ref sixth = b.mul(x, b.scalar(1.0f / 6.0f));
        b.output(b.mul(sixth, relu6_plus3(b, x, true)));
        b.output(sixth);
        model m = b.done();
        check_fusion<acts>(m);
        CHECK(count<ops::hswish>(m) == 0);
    }
    {  // (y / 6) * relu6(x + 3): no match
        builder b;
        const output_ref x = b.param(s4), y = b.param(s4);
        b.output(b.mul(b.div(y, b.scalar(6.0f)), relu6_plus3(b, x, true)));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 0);
    }
}

TEST_CASE("fuse_hswish does not match: second consumer, another x, another constant, integer type") {
    {  // the product x * relu6(x + 3) is also a model output
        builder b;
        const output_ref x = b.param(s4);
        const output_ref p = b.mul(x, relu6_plus3(b, x, true));
        b.output(b.div(p, b.scalar(6.0f)));
        b.output(p);
        model m = b.done();
        check_fusion<acts>(m);
        CHECK(count<ops::hswish>(m) == 0);
    }
    {  // y * relu6(x + 3) / 6
        builder b;
        const output_ref x = b.param(s4), y = b.param(s4);
        b.output(b.div(b.mul(y, relu6_plus3(b, x, true)), b.scalar(6.0f)));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 0);
    }
    {  // x * relu6(x + 2) / 6 and x * relu6(x + 3) / 5
        for (int k = 0; k < 2; ++k) {
            builder b;
            const output_ref x = b.param(s4);
            const output_ref c = b.op<ops::clamp>({0.0, 6.0}, {b.add(x, b.scalar(k ? 3.0f : 2.0f))});
            b.output(b.div(b.mul(x, c), b.scalar(k ? 5.0f : 6.0f)));
            model m = b.done();
            CHECK(check_fusion<acts>(m) == 0);
        }
    }
    {  // integer data
        builder b;
        const output_ref x = b.param(s4, element_type::i32);
        const output_ref c = b.op<ops::clamp>({0.0, 6.0}, {b.add(x, b.constant(tensor::scalar<std::int32_t>(3)))});
        b.output(b.div(b.mul(x, c), b.constant(tensor::scalar<std::int32_t>(6))));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 0);
    }
}

TEST_CASE("fuse_hsigmoid: relu6(x + 3) / 6; HardSigmoid(1/6, 0.5); x * HSigmoid(x) -> HSwish") {
    for (int form = 0; form < 4; ++form) {
        CAPTURE(form);
        builder b;
        const output_ref x = b.param(s4);
        const output_ref r = relu6_plus3(b, x, form & 1);
        b.output((form & 2) ? b.div(r, b.scalar(6.0f)) : b.mul(b.scalar(1.0f / 6.0f), r));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 1);
        CHECK(count<ops::hsigmoid>(m) == 1);
        CHECK(compute_nodes(m) == 1);
    }
    {  // ONNX HardSigmoid(alpha = 1/6 as PaddlePaddle writes it, beta = 0.5), then x * it
        builder b;
        const output_ref x = b.param(s4);
        const output_ref h = b.op<ops::hard_sigmoid>({x, b.scalar(0.1666667f), b.scalar(0.5f)});
        b.output(b.mul(x, h));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 2);
        CHECK(count<ops::hswish>(m) == 1);
        CHECK(compute_nodes(m) == 1);
    }
    {  // HardSigmoid(0.2, 0.5) stays; x * relu6(x + 3) / 6 written as x * (relu6(x + 3) / 6)
        builder b;
        const output_ref x = b.param(s4);
        b.output(b.op<ops::hard_sigmoid>({x, b.scalar(0.2f), b.scalar(0.5f)}));
        b.output(b.mul(b.div(relu6_plus3(b, x, true), b.scalar(6.0f)), x));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 2);
        CHECK(count<ops::hard_sigmoid>(m) == 1);
        CHECK(count<ops::hswish>(m) == 1);
        CHECK(count<ops::hsigmoid>(m) == 0);
    }
    {  // the HSigmoid has a second consumer: x * HSigmoid(x) stays a Multiply
        builder b;
        const output_ref x = b.param(s4);
        const output_ref h = b.op<ops::hsigmoid>({x});
        b.output(b.mul(x, h));
        b.output(h);
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 0);
    }
}

TEST_CASE("fuse_swish: x * Sigmoid(x) and x * Sigmoid(x * beta)") {
    {
        builder b;
        const output_ref x = b.param(s4);
        b.output(b.mul(b.op<ops::sigmoid>({x}), x));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 1);
        CHECK(count<ops::swish>(m) == 1);
        CHECK(compute_nodes(m) == 1);
    }
    {
        builder b;
        const output_ref x = b.param(s4);
        b.output(b.mul(x, b.op<ops::sigmoid>({b.mul(b.values({1.7f}, {1}), x)})));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 1);
        REQUIRE(count<ops::swish>(m) == 1);
        CHECK(compute_nodes(m) == 1);
        for (node_id id : m.topo_order())
            if (m.nodes[id].is<ops::swish>()) CHECK(m.nodes[id].inputs.size() == 2);
    }
    {  // not: another x; the Sigmoid used twice; a non-scalar beta
        builder b;
        const output_ref x = b.param(s4), y = b.param(s4);
        b.output(b.mul(y, b.op<ops::sigmoid>({x})));
        const output_ref s = b.op<ops::sigmoid>({x});
        b.output(b.mul(x, s));
        b.output(s);
        b.output(b.mul(x, b.op<ops::sigmoid>({b.mul(x, b.values({1, 2, 3, 4, 5}, {5}))})));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 0);
    }
}

namespace {
/// 0.5 * x * (1 + Erf(x / sqrt 2)) in one of the orderings (form 0-3), x / sqrt 2 as a Divide or
/// a Multiply.
model gelu_erf_model(int form, bool divide) {
    builder b;
    const output_ref x = b.param(s4);
    const output_ref scaled = divide ? b.div(x, b.scalar(1.4142135f)) : b.mul(x, b.scalar(0.70710677f));
    const output_ref e = b.op<ops::erf>({scaled});
    const output_ref half = b.scalar(0.5f);
    switch (form) {
    case 0: b.output(b.mul(b.mul(x, half), b.add(e, b.scalar(1.0f)))); break;
    case 1: b.output(b.mul(b.mul(x, b.add(b.scalar(1.0f), e)), half)); break;
    case 2: b.output(b.mul(x, b.mul(b.add(e, b.scalar(1.0f)), half))); break;
    default: b.output(b.mul(b.add(b.mul(e, half), b.scalar(0.5f)), x)); break;
    }
    return b.done();
}
}  // namespace

TEST_CASE("fuse_gelu: the erf form in four orderings, Divide or Multiply by sqrt 2") {
    for (int form = 0; form < 4; ++form)
        for (int divide = 0; divide < 2; ++divide) {
            CAPTURE(form);
            CAPTURE(divide);
            model m = gelu_erf_model(form, divide);
            CHECK(check_fusion<acts>(m) == 1);
            REQUIRE(count<ops::gelu>(m) == 1);
            CHECK(compute_nodes(m) == 1);
            for (node_id id : m.topo_order())
                if (m.nodes[id].is<ops::gelu>())
                    CHECK(m.nodes[id].attrs_as<ops::gelu>().approximation_mode == ops::gelu_approximation::erf);
        }
}

TEST_CASE("fuse_gelu: the tanh approximation, x^3 as Power or as Multiplies") {
    for (int cube = 0; cube < 2; ++cube) {
        builder b;
        const output_ref x = b.param(s4);
        const output_ref x3 = cube ? b.mul(b.mul(x, x), x) : b.op<ops::power>({x, b.scalar(3.0f)});
        const output_ref inner = b.mul(b.add(x, b.mul(x3, b.scalar(0.044715f))),
                                       b.scalar(static_cast<float>(std::sqrt(2.0 / std::acos(-1.0)))));
        const output_ref t = b.op<ops::tanh>({inner});
        b.output(b.mul(b.mul(x, b.scalar(0.5f)), b.add(t, b.scalar(1.0f))));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 1);
        REQUIRE(count<ops::gelu>(m) == 1);
        CHECK(compute_nodes(m) == 1);
        for (node_id id : m.topo_order())
            if (m.nodes[id].is<ops::gelu>())
                CHECK(m.nodes[id].attrs_as<ops::gelu>().approximation_mode == ops::gelu_approximation::tanh);
    }
}

TEST_CASE("fuse_gelu does not match: 0.4 instead of 0.5, the Erf used twice, another x") {
    {
        builder b;
        const output_ref x = b.param(s4);
        const output_ref e = b.op<ops::erf>({b.div(x, b.scalar(1.4142135f))});
        b.output(b.mul(b.mul(x, b.scalar(0.4f)), b.add(e, b.scalar(1.0f))));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 0);
    }
    {
        builder b;
        const output_ref x = b.param(s4);
        const output_ref e = b.op<ops::erf>({b.div(x, b.scalar(1.4142135f))});
        b.output(b.mul(b.mul(x, b.scalar(0.5f)), b.add(e, b.scalar(1.0f))));
        b.output(e);
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 0);
    }
    {
        builder b;
        const output_ref x = b.param(s4), y = b.param(s4);
        const output_ref e = b.op<ops::erf>({b.div(y, b.scalar(1.4142135f))});
        b.output(b.mul(b.mul(x, b.scalar(0.5f)), b.add(e, b.scalar(1.0f))));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 0);
    }
}

TEST_CASE("fuse_soft_plus and fuse_mish: Log(Exp(x) + 1) -> SoftPlus, x * Tanh(SoftPlus(x)) -> Mish") {
    {
        builder b;
        const output_ref x = b.param(s4);
        const output_ref sp = b.op<ops::log>({b.add(b.op<ops::exp>({x}), b.scalar(1.0f))});
        b.output(b.mul(x, b.op<ops::tanh>({sp})));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 2);
        CHECK(count<ops::mish>(m) == 1);
        CHECK(compute_nodes(m) == 1);
    }
    {  // Log(Exp(x) + 2) stays; Tanh(SoftPlus(x)) * y stays
        builder b;
        const output_ref x = b.param(s4), y = b.param(s4);
        b.output(b.op<ops::log>({b.add(b.op<ops::exp>({x}), b.scalar(2.0f))}));
        b.output(b.mul(b.op<ops::tanh>({b.op<ops::soft_plus>({x})}), y));
        model m = b.done();
        CHECK(check_fusion<acts>(m) == 0);
        CHECK(count<ops::mish>(m) == 0);
        CHECK(count<ops::soft_plus>(m) == 1);
    }
}
