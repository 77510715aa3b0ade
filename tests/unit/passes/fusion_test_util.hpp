#ifndef MOIR_TESTS_UNIT_PASSES_FUSION_TEST_UTIL_HPP
#define MOIR_TESTS_UNIT_PASSES_FUSION_TEST_UTIL_HPP

// Shared by the fusions_*.cpp tests: a small graph builder, op counts over the live graph, and
// check_fusion, which runs a pass list and checks that the reference executor gives the same
// outputs before and after (random inputs) and that a second run changes nothing.

#include <moir/core/model.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/passes/pipeline.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>  // max
#include <cmath>      // fabs
#include <cstdint>    // uint32_t
#include <string>     // string
#include <vector>     // vector

namespace fusion_test {

using namespace moir;

/// Builds a model node by node; done() validates it.
struct builder {
    model m;
    std::size_t next = 0;
    std::string fresh(const char* what) { return std::string(what) + std::to_string(next++); }

    output_ref param(const shape& s, element_type t = element_type::f32) {
        const node_id id = m.add<ops::parameter>({t, partial_shape(s)}, {}, fresh("x"));
        m.parameters.push_back(id);
        return {id, 0};
    }
    output_ref constant(const tensor& t) { return {m.add<ops::constant>({t}, {}, fresh("c")), 0}; }
    output_ref scalar(float v) { return constant(tensor::scalar(v)); }
    output_ref values(const std::vector<float>& v, const shape& s) { return constant(tensor::from_vector(v, s)); }
    template <class Op>
    output_ref op(typename Op::attrs a, std::vector<output_ref> in) {
        return {m.add<Op>(std::move(a), std::move(in), fresh(std::string(Op::name).c_str())), 0};
    }
    template <class Op>
    output_ref op(std::vector<output_ref> in) {
        return op<Op>(typename Op::attrs{}, std::move(in));
    }
    output_ref add(output_ref a, output_ref b) { return op<ops::add>({a, b}); }
    output_ref sub(output_ref a, output_ref b) { return op<ops::subtract>({a, b}); }
    output_ref mul(output_ref a, output_ref b) { return op<ops::multiply>({a, b}); }
    output_ref div(output_ref a, output_ref b) { return op<ops::divide>({a, b}); }
    void output(output_ref r) { m.results.push_back(m.add<ops::result>({}, {r}, fresh("y"))); }
    model done() {
        m.validate();
        return m;
    }
};

/// Number of live nodes (reachable from the outputs) of op Op.
template <class Op>
std::size_t count(const model& m) {
    std::size_t n = 0;
    for (node_id id : m.topo_order()) n += m.nodes[id].is<Op>() ? 1 : 0;
    return n;
}

/// Number of live nodes that are not Parameter, Constant or Result.
inline std::size_t compute_nodes(const model& m) {
    std::size_t n = 0;
    for (node_id id : m.topo_order()) {
        const node& nd = m.nodes[id];
        n += !nd.is<ops::parameter>() && !nd.is<ops::constant>() && !nd.is<ops::result>();
    }
    return n;
}

/// Deterministic pseudo-random values in [lo, hi) (floats) or [-8, 8) (integers).
inline tensor random_tensor(element_type t, const shape& s, std::uint32_t seed, double lo = -5.0, double hi = 5.0) {
    std::vector<double> v(numel(s));
    std::uint32_t state = seed * 2654435761u + 12345u;
    for (auto& x : v) {
        state = state * 1664525u + 1013904223u;
        const double u = static_cast<double>(state >> 8) / static_cast<double>(1u << 24);
        x = is_float(t) ? lo + (hi - lo) * u : static_cast<double>(static_cast<int>(u * 16.0) - 8);
    }
    return tensor::from_vector(v, s).converted(t);
}

/// Runs List on m to a fixed point; checks that the outputs stay the same (relative tolerance tol)
/// on random inputs and that a second run is a no-op. ensures: the number of changes of the first run.
template <class List>
std::size_t check_fusion(model& m, double tol = 1e-5, double lo = -5.0, double hi = 5.0) {
    std::vector<tensor> inputs;
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const auto& pa = m.nodes[m.parameters[i]].attrs_as<ops::parameter>();
        inputs.push_back(random_tensor(pa.element_type, pa.shape.to_shape(), static_cast<std::uint32_t>(i + 1), lo, hi));
    }
    const auto before = reference_executor<>(m).run(inputs);
    passes::pass_context ctx;
    const std::size_t changes = passes::run_pipeline<List>(m, ctx);
    const auto after = reference_executor<>(m).run(inputs);
    REQUIRE(before.size() == after.size());
    for (std::size_t o = 0; o < before.size(); ++o) {
        REQUIRE(before[o].dims() == after[o].dims());
        CHECK(before[o].type() == after[o].type());
        const auto a = before[o].to_vector<double>(), b = after[o].to_vector<double>();
        for (std::size_t i = 0; i < a.size(); ++i) {
            INFO("output " << o << " element " << i << ": " << a[i] << " vs " << b[i]);
            CHECK(std::fabs(a[i] - b[i]) <= tol * std::max(1.0, std::fabs(a[i])));
            if (std::fabs(a[i] - b[i]) > tol * std::max(1.0, std::fabs(a[i]))) break;
        }
    }
    passes::pass_context again;
    CHECK(passes::run_pipeline<List>(m, again) == 0);
    return changes;
}

}  // namespace fusion_test

#endif  // MOIR_TESTS_UNIT_PASSES_FUSION_TEST_UTIL_HPP
