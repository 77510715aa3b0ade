// The pass infrastructure: pattern matching, the fixed-point driver, constant folding and the
// BatchNorm-into-convolution fusion (matches / does not match / same outputs before and after).

#include <moir/passes/fold_constants.hpp>
#include <moir/passes/fusions/conv_bn.hpp>
#include <moir/passes/pipeline.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

namespace {

using namespace moir;

std::vector<float> ramp(std::size_t n, float scale, float offset) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<float>(i) * scale) + offset;
    return v;
}

/// x [1,3,5,5] -> Conv(4 out, 3x3, pad 1) -> BatchNorm -> Relu; optionally the conv feeds a second consumer.
model conv_bn_model(bool second_consumer) {
    model m;
    const node_id x = m.add<ops::parameter>({element_type::f32, partial_shape({1, 3, 5, 5})}, {}, "x");
    m.parameters.push_back(x);
    const node_id w = m.add<ops::constant>({tensor::from_vector(ramp(4 * 3 * 3 * 3, 0.37f, 0.0f), {4, 3, 3, 3})}, {}, "w");
    ops::convolution::attrs ca;
    ca.strides = {1, 1};
    ca.dilations = {1, 1};
    ca.pads_begin = {1, 1};
    ca.pads_end = {1, 1};
    const node_id conv = m.add<ops::convolution>(ca, {{x, 0}, {w, 0}}, "conv");
    auto c4 = [&](float s, float o, const char* n) {
        return m.add<ops::constant>({tensor::from_vector(ramp(4, s, o), {4})}, {}, n);
    };
    const node_id g = c4(0.9f, 1.5f, "gamma"), b = c4(1.3f, 0.2f, "beta"), mu = c4(0.7f, 0.1f, "mean"), var = c4(0.5f, 1.2f, "var");
    const node_id bn = m.add<ops::batch_norm_inference>({1e-3}, {{conv, 0}, {g, 0}, {b, 0}, {mu, 0}, {var, 0}}, "bn");
    const node_id relu = m.add<ops::relu>({}, {{bn, 0}}, "relu");
    m.results.push_back(m.add<ops::result>({}, {{relu, 0}}, "y"));
    if (second_consumer) m.results.push_back(m.add<ops::result>({}, {{conv, 0}}, "conv_out"));
    m.validate();
    return m;
}

std::size_t count(const model& m, const op_info& op) {
    std::size_t n = 0;
    for (const auto& nd : m.nodes) n += nd.op == &op;
    return n;
}

}  // namespace

TEST_CASE("patterns match by op type, input order and single use") {
    const model m = conv_bn_model(false);
    using P = passes::fuse_conv_bn::pattern;
    const node_id bn = 7;
    REQUIRE(m.nodes[bn].is<ops::batch_norm_inference>());
    const auto r = pat::match<P>(m, {bn, 0});
    REQUIRE(r);
    CHECK(pat::size_v<P> == 8);
    CHECK(m.nodes[r->node(1)].is<ops::convolution>());
    CHECK(m.nodes[r->node(2)].is<ops::parameter>());
    CHECK(!pat::match<P>(m, {bn + 1, 0}));  // the relu

    const model shared = conv_bn_model(true);
    CHECK(!pat::match<P>(shared, {bn, 0}));  // the conv has a second consumer
}

TEST_CASE("commutative patterns try both input orders") {
    model m;
    const node_id x = m.add<ops::parameter>({element_type::f32, partial_shape({2})}, {}, "x");
    m.parameters.push_back(x);
    const node_id c = m.add<ops::constant>({tensor::from_vector<float>({1, 2})}, {}, "c");
    const node_id a = m.add<ops::add>({}, {{c, 0}, {x, 0}}, "a");
    m.results.push_back(m.add<ops::result>({}, {{a, 0}}, "y"));
    m.validate();
    CHECK(!pat::match<pat::op<ops::add, pat::any, pat::constant>>(m, {a, 0}));
    const auto r = pat::match<pat::commutative<ops::add, pat::any, pat::constant>>(m, {a, 0});
    REQUIRE(r);
    CHECK(r->node(2) == c);
}

TEST_CASE("fuse_conv_bn removes the BatchNorm and keeps the outputs") {
    model m = conv_bn_model(false);
    const tensor x = tensor::from_vector(ramp(75, 0.21f, -0.3f), {1, 3, 5, 5});
    const auto before = reference_executor<>(m).run({x});
    passes::pass_context ctx;
    const auto changes = passes::run_pipeline<passes::pass_list<passes::fuse_conv_bn>>(m, ctx);
    CHECK(changes == 1);
    CHECK(count(m, info_of<ops::batch_norm_inference>()) == 0);
    CHECK(count(m, info_of<ops::convolution>()) == 1);
    const auto after = reference_executor<>(m).run({x});
    for (std::size_t i = 0; i < before[0].numel(); ++i)
        CHECK(after[0].data<float>()[i] == doctest::Approx(before[0].data<float>()[i]).epsilon(1e-5));
    // a second run is a no-op
    CHECK(passes::run_pipeline<passes::pass_list<passes::fuse_conv_bn>>(m, ctx) == 0);

    model shared = conv_bn_model(true);
    CHECK(passes::run_pipeline<passes::pass_list<passes::fuse_conv_bn>>(shared, ctx) == 0);
}

TEST_CASE("fold_constants folds constant sub-graphs and static ShapeOf chains") {
    model m;
    const node_id x = m.add<ops::parameter>({element_type::f32, partial_shape({2, 3})}, {}, "x");
    m.parameters.push_back(x);
    const node_id s = m.add<ops::shape_of>({element_type::i64}, {{x, 0}}, "shape");
    const node_id flat = m.add<ops::reduce_prod>({false}, {{s, 0}, {m.add<ops::constant>({tensor::from_vector<std::int64_t>({0})}, {}, "axes"), 0}}, "numel");
    const node_id target = m.add<ops::unsqueeze>({}, {{flat, 0}, {m.add<ops::constant>({tensor::from_vector<std::int64_t>({0})}, {}, "ax0"), 0}}, "target");
    const node_id r = m.add<ops::reshape>({true}, {{x, 0}, {target, 0}}, "flatten");
    m.results.push_back(m.add<ops::result>({}, {{r, 0}}, "y"));
    m.validate();
    passes::pass_context ctx;
    CHECK(passes::run_pipeline<passes::pass_list<passes::fold_constants>>(m, ctx) > 0);
    CHECK(count(m, info_of<ops::shape_of>()) == 0);
    CHECK(count(m, info_of<ops::reduce_prod>()) == 0);
    CHECK(m.port(m.output(0)).shape == partial_shape({6}));
    const auto out = reference_executor<>(m).run({tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3})});
    CHECK(out[0].dims() == shape{6});

    // with a dynamic dim the ShapeOf stays
    model d;
    const node_id dx = d.add<ops::parameter>({element_type::f32, partial_shape({-1, 3})}, {}, "x");
    d.parameters.push_back(dx);
    const node_id ds = d.add<ops::shape_of>({element_type::i64}, {{dx, 0}}, "shape");
    d.results.push_back(d.add<ops::result>({}, {{ds, 0}}, "y"));
    d.validate();
    CHECK(passes::run_pipeline<passes::pass_list<passes::fold_constants>>(d, ctx) == 0);
}
