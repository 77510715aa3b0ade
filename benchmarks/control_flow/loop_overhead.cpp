// Per-iteration overhead of a Loop on the compiled plan (docs/control-flow.md): a Loop whose body is
// one Add of 16 floats (s = s + x, x read from outside the body) runs N times; the time per
// iteration, minus the time the same Add takes as a whole plan of its own, is what the Loop adds
// (slicing, feeding back, the body plan's input checks and output copies). Target: <= 5 us.
//
//   ./bench_loop [N]      (default N = 20000; prints one line per measurement)

#include <moir/moir.hpp>

#include <algorithm>  // min
#include <chrono>     // steady_clock
#include <cstdio>     // printf
#include <cstdlib>    // atoi
#include <memory>     // make_shared
#include <vector>     // vector

namespace {

using namespace moir;

constexpr std::int64_t width = 16;

/// s_out = s_in + x; cond_out = cond_in (the iteration number is read by nothing).
std::shared_ptr<model> make_body() {
    auto b = std::make_shared<model>();
    const auto it = b->add<ops::parameter>({element_type::i64, partial_shape(std::vector<std::int64_t>{})}, {}, "i");
    const auto cond = b->add<ops::parameter>({element_type::boolean, partial_shape(std::vector<std::int64_t>{})}, {}, "cond");
    const auto s = b->add<ops::parameter>({element_type::f32, partial_shape({width})}, {}, "s");
    const auto x = b->add<ops::parameter>({element_type::f32, partial_shape({width})}, {}, "x");
    b->parameters = {it, cond, s, x};
    const auto sum = b->add<ops::add>({}, {{s, 0}, {x, 0}}, "sum");
    b->results = {b->add<ops::result>({}, {{cond, 0}}, "cond_out"), b->add<ops::result>({}, {{sum, 0}}, "s_out")};
    b->validate();
    return b;
}

model make_loop(std::int64_t trips) {
    model m;
    const auto x = m.add<ops::parameter>({element_type::f32, partial_shape({width})}, {}, "x");
    m.parameters = {x};
    const auto trip = m.add<ops::constant>({tensor::scalar<std::int64_t>(trips)}, {}, "trip");
    const auto cond = m.add<ops::constant>({tensor::scalar<bool>(true)}, {}, "cond");
    const auto s0 = m.add<ops::constant>({tensor(element_type::f32, {width})}, {}, "s0");
    ops::loop_ports a;
    a.input_external = {-1, 1, 2, 3};
    a.input_axis = {-1, -1, -1, -1};
    a.input_stride = {1, 1, 1, 1};
    a.input_back_edge = {-1, 0, 1, -1};
    a.output_result = {1};
    a.output_axis = {-1};
    a.output_stride = {1};
    a.current_iteration = 0;
    a.condition = 0;
    node n;
    n.op = &info_of<ops::loop>();
    n.attrs = a;
    n.name = "loop";
    n.inputs = {{trip, 0}, {cond, 0}, {s0, 0}, {x, 0}};
    n.bodies = {make_body()};
    const auto l = m.add_node(std::move(n));
    m.results = {m.add<ops::result>({}, {{l, 0}}, "s")};
    m.validate();
    return m;
}

model make_add() {
    model m;
    const auto s = m.add<ops::parameter>({element_type::f32, partial_shape({width})}, {}, "s");
    const auto x = m.add<ops::parameter>({element_type::f32, partial_shape({width})}, {}, "x");
    m.parameters = {s, x};
    const auto sum = m.add<ops::add>({}, {{s, 0}, {x, 0}}, "sum");
    m.results = {m.add<ops::result>({}, {{sum, 0}}, "y")};
    m.validate();
    return m;
}

/// The best of 5 rounds of `reps` calls of f, in microseconds per call.
template <class F>
double best_us(int reps, F&& f) {
    double best = 1e30;
    for (int round = 0; round < 5; ++round) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int r = 0; r < reps; ++r) f();
        const auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double, std::micro>(t1 - t0).count() / reps);
    }
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    const std::int64_t n = argc > 1 ? std::atoi(argv[1]) : 20000;
    const tensor x = tensor::from_vector(std::vector<float>(width, 0.5f));
    runtime::plan_options o;
    o.threads = 1;
    runtime::plan loop_plan(make_loop(n), {x.dims()}, o);
    runtime::plan one_plan(make_loop(1), {x.dims()}, o);
    runtime::plan add_plan(make_add(), {x.dims(), x.dims()}, o);
    const auto check = loop_plan.run({x});
    if (check.at(0).data<float>()[0] != 0.5f * static_cast<float>(n)) {
        std::printf("wrong result %g\n", static_cast<double>(check[0].data<float>()[0]));
        return 1;
    }
    const double loop_us = best_us(3, [&] { loop_plan.run({x}); });
    const double one_us = best_us(2000, [&] { one_plan.run({x}); });
    const double add_us = best_us(20000, [&] { add_plan.run({x, x}); });
    const double per_iteration = (loop_us - one_us) / static_cast<double>(n - 1);
    std::printf("Loop of %lld iterations (body: Add of %lld floats), one thread, compiled plan\n",
                static_cast<long long>(n), static_cast<long long>(width));
    std::printf("  whole loop          %10.1f us\n", loop_us);
    std::printf("  per iteration       %10.3f us\n", per_iteration);
    std::printf("  the Add as a plan   %10.3f us\n", add_us);
    std::printf("  overhead/iteration  %10.3f us (target <= 5 us)\n", per_iteration - add_us);
    return 0;
}
