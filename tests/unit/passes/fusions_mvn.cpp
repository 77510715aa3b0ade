// The MVN fusion (passes/fusions/mvn.hpp): each decomposed LayerNorm form becomes one MVN with the
// right axes, eps and eps mode, the outputs stay the same, a second run is a no-op; the guards refuse
// means over other axes, means that drop their dims, an eps that is not one value, a square of
// something else, and a variance chain with a second reader.

#include <moir/ops/mvn.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/passes/pipelines.hpp>

#include "fusion_test_util.hpp"

#include <doctest/doctest.h>

#include <cstdint>  // int64_t
#include <vector>   // vector

using namespace fusion_test;
using all_fusions = passes::default_fusions;

namespace {

/// How the decomposed form is written.
struct ln_form {
    bool square_by_mul = false;  // d * d instead of Power(d, 2)
    int root = 0;                // 0 Sqrt, 1 Power(., 0.5), 2 Multiply by Power(., -0.5), 3 Sqrt(v) + eps
    bool eps = true;             // an Add of eps at all
    bool affine = true;          // the LayerNorm's Multiply and Add after it
    std::vector<std::int64_t> axes{-1}, axes2{-1};
    bool keep_dims2 = true;
    std::vector<float> eps_values{1e-5f};
    bool second_reader = false;  // the variance read by another output too
};

output_ref mean(builder& b, output_ref x, const std::vector<std::int64_t>& axes, bool keep) {
    return b.op<ops::reduce_mean>({keep}, {x, b.constant(tensor::from_vector(axes))});
}

model layer_norm(const shape& s, const ln_form& f) {
    builder b;
    const output_ref x = b.param(s);
    const output_ref d = b.sub(x, mean(b, x, f.axes, true));
    const output_ref sq = f.square_by_mul ? b.mul(d, d) : b.op<ops::power>({d, b.scalar(2.0f)});
    const output_ref v = mean(b, sq, f.axes2, f.keep_dims2);
    const output_ref e = f.eps_values.size() == 1 ? b.scalar(f.eps_values[0])
                                                  : b.values(f.eps_values, shape{static_cast<std::int64_t>(f.eps_values.size())});
    output_ref y;
    if (f.root == 3) {
        y = b.div(d, b.add(b.op<ops::sqrt>({v}), e));
    } else {
        const output_ref ve = f.eps ? b.add(v, e) : v;
        if (f.root == 0) y = b.div(d, b.op<ops::sqrt>({ve}));
        if (f.root == 1) y = b.div(d, b.op<ops::power>({ve, b.scalar(0.5f)}));
        if (f.root == 2) y = b.mul(d, b.op<ops::power>({ve, b.scalar(-0.5f)}));
    }
    if (f.affine) {
        const std::int64_t c = s.back();
        std::vector<float> g(static_cast<std::size_t>(c)), be(static_cast<std::size_t>(c));
        for (std::size_t i = 0; i < g.size(); ++i) g[i] = 0.5f + 0.1f * static_cast<float>(i), be[i] = 0.01f * static_cast<float>(i);
        y = b.add(b.mul(y, b.values(g, shape{c})), b.values(be, shape{c}));
    }
    b.output(y);
    if (f.second_reader) b.output(v);
    return b.done();
}

const ops::mvn::attrs* mvn_attrs(const model& m, std::vector<std::int64_t>* axes = nullptr) {
    for (node_id id : m.topo_order())
        if (m.nodes[id].is<ops::mvn>()) {
            if (axes) {
                const auto& c = m.nodes[m.nodes[id].inputs[1].node].attrs_as<ops::constant>().value;
                *axes = c.to_vector<std::int64_t>();
            }
            return &m.nodes[id].attrs_as<ops::mvn>();
        }
    return nullptr;
}

}  // namespace

TEST_CASE("fuse_mvn: the decomposed LayerNorm in its square, root and eps forms becomes one MVN") {
    const shape s{2, 5, 24};
    for (int sq = 0; sq < 2; ++sq)
        for (int root = 0; root < 4; ++root)
            for (int eps = 0; eps < 2; ++eps) {
                if (root == 3 && !eps) continue;  // sqrt(v) + eps needs its eps
                CAPTURE(sq);
                CAPTURE(root);
                CAPTURE(eps);
                ln_form f;
                f.square_by_mul = sq, f.root = root, f.eps = eps;
                model m = layer_norm(s, f);
                CHECK(check_fusion<all_fusions>(m, 1e-5, -3.0, 3.0) >= 1);
                std::vector<std::int64_t> axes;
                const auto* a = mvn_attrs(m, &axes);
                REQUIRE(a);
                CHECK(axes == std::vector<std::int64_t>{2});
                CHECK(a->normalize_variance);
                CHECK(a->eps == (eps ? 1e-5f : 0.0f));
                CHECK(a->eps_mode == (root == 3 ? ops::mvn_eps_mode::outside_sqrt : ops::mvn_eps_mode::inside_sqrt));
                CHECK(count<ops::reduce_mean>(m) == 0);
                CHECK(count<ops::sqrt>(m) == 0);
                CHECK(count<ops::power>(m) == 0);
                CHECK(count<ops::subtract>(m) == 0);
            }
}

TEST_CASE("fuse_mvn: means over two axes (an instance norm over H and W), negative and positive spellings") {
    ln_form f;
    f.affine = false, f.axes = {2, 3}, f.axes2 = {-1, -2};
    model m = layer_norm(shape{1, 3, 7, 9}, f);
    CHECK(check_fusion<all_fusions>(m, 1e-5, -3.0, 3.0) == 1);
    std::vector<std::int64_t> axes;
    REQUIRE(mvn_attrs(m, &axes));
    CHECK(axes == std::vector<std::int64_t>{2, 3});
    CHECK(compute_nodes(m) == 1);
}

TEST_CASE("fuse_mvn: the guards") {
    const shape s{2, 5, 24};
    SUBCASE("the two means over other axes") {
        ln_form f;
        f.axes2 = {1};
        model m = layer_norm(s, f);
        check_fusion<all_fusions>(m);
        CHECK(count<ops::mvn>(m) == 0);
    }
    SUBCASE("the variance's mean drops its dims") {
        ln_form f;
        f.keep_dims2 = false;
        f.affine = false;
        model m = layer_norm(shape{5, 1}, f);  // d [5,1] over a variance of [5]: broadcasts to [5,5], no LayerNorm
        check_fusion<all_fusions>(m);
        CHECK(count<ops::mvn>(m) == 0);
    }
    SUBCASE("an eps that is not one value") {
        ln_form f;
        f.eps_values = {1e-5f, 2e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f,
                        1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f, 1e-5f};
        model m = layer_norm(s, f);
        check_fusion<all_fusions>(m);
        CHECK(count<ops::mvn>(m) == 0);
    }
    SUBCASE("the variance read by another output") {
        ln_form f;
        f.second_reader = true;
        model m = layer_norm(s, f);
        check_fusion<all_fusions>(m);
        CHECK(count<ops::mvn>(m) == 0);
    }
    SUBCASE("the square of something else than the centred input") {
        builder b;
        const output_ref x = b.param(s);
        const output_ref d = b.sub(x, mean(b, x, {-1}, true));
        const output_ref v = mean(b, b.mul(x, x), {-1}, true);
        b.output(b.div(d, b.op<ops::sqrt>({b.add(v, b.scalar(1e-5f))})));
        model m = b.done();
        check_fusion<all_fusions>(m);
        CHECK(count<ops::mvn>(m) == 0);
    }
}
