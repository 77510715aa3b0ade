// `--fallback onnxruntime` (docs/fallback.md): ONNX models with ops moir lacks (ai.onnx.ml's
// Scaler) or whose converter throws unsupported (here: Sum, Softsign and NonMaxSuppression, made
// unsupported by a test op table) between moir ops convert into OnnxFallback nodes, one per part;
// the whole model then matches onnxruntime on the original file, on the reference executor, on the
// compiled plan and after an IR round trip; the CLI converts and runs it; a missing library is a
// clear error naming where it was looked for.

#include <support/env.hpp>
#include <support/protobuf_writer.hpp>

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/io/npy.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/runtime/onnxruntime.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cstdint>  // int64_t
#include <string>   // string
#include <vector>   // vector

namespace {

using namespace moir::test;

std::size_t count_fallback(const moir::model& m) {
    std::size_t n = 0;
    for (const auto& x : m.nodes) n += x.is<moir::ops::onnx_fallback>();
    return n;
}

/// x f32[2,3,4] -> Mul(W) -> Scaler (ml) -> Relu -> Sum(Scaler's output, Relu's) -> Sigmoid ->
/// Softsign -> Softsign -> Add(the Mul's output) -> y. With Sum and Softsign unsupported, the parts
/// are {Scaler}, {Sum} (Scaler -> Relu -> Sum: one part would feed a moir node feeding itself) and
/// {Softsign, Softsign}.
std::string chain_model() {
    onnx_builder b;
    b.opset(17).opset(3, "ai.onnx.ml");
    b.add_input("x", 1, {2, 3, 4}).add_output("y", 1, {2, 3, 4});
    std::vector<float> w(4);
    for (int i = 0; i < 4; ++i) w[i] = 0.5f + 0.25f * static_cast<float>(i);
    b.add_initializer<float>("W", w, {4});
    b.add_node("Mul", {"x", "W"}, {"a"}, {}, "mul");
    b.add_node("Scaler", {"a"}, {"b"}, {attr::floats("offset", {0.25f}), attr::floats("scale", {-1.5f})}, "scaler",
               "ai.onnx.ml");
    b.add_node("Relu", {"b"}, {"c"}, {}, "relu");
    b.add_node("Sum", {"b", "c"}, {"d"}, {}, "sum");
    b.add_node("Sigmoid", {"d"}, {"e"}, {}, "sigmoid");
    b.add_node("Softsign", {"e"}, {"f"}, {}, "softsign1");
    b.add_node("Softsign", {"f"}, {"g"}, {}, "softsign2");
    b.add_node("Add", {"g", "a"}, {"y"}, {}, "add");
    return b.bytes();
}

/// boxes f32[1,6,4] -> Add(0.5) -> NonMaxSuppression(scores = Sigmoid(s)) -> i64[?,3] -> Cast f32 -> Mul 2 -> y.
std::string nms_model() {
    onnx_builder b;
    b.add_input("boxes", 1, {1, 6, 4}).add_input("s", 1, {1, 1, 6}).add_output("y", 1, {"n", 3});
    b.add_initializer<float>("half", {0.5f}, {});
    b.add_initializer<float>("two", {2.0f}, {});
    b.add_initializer<std::int64_t>("max_out", {3}, {1});
    b.add_initializer<float>("iou", {0.5f}, {1});
    b.add_initializer<float>("thr", {0.3f}, {1});
    b.add_node("Add", {"boxes", "half"}, {"bx"});
    b.add_node("Sigmoid", {"s"}, {"sc"});
    b.add_node("NonMaxSuppression", {"bx", "sc", "max_out", "iou", "thr"}, {"sel"}, {}, "nms");
    b.add_node("Cast", {"sel"}, {"self"}, {attr::i("to", 1)});
    b.add_node("Mul", {"self", "two"}, {"y"});
    return b.bytes();
}

moir::onnx::op_table test_table() {
    moir::onnx::op_table t = moir::onnx::default_table();
    for (const char* op : {"Sum", "Softsign", "NonMaxSuppression"})
        t.add(op, [](moir::onnx::context&) { throw moir::unsupported_error("made unsupported by the test"); }, 17);
    return t;
}

moir::model convert(const std::string& bytes, const std::string& source, bool fallback,
                    const moir::onnx::op_table* table = nullptr) {
    const auto pm = moir::onnx::proto::parse_model(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), source);
    moir::onnx::load_options o;
    o.table = table;
    if (fallback) o.framework_options["fallback"] = "onnxruntime";
    return moir::onnx::convert(pm, source, o);
}

moir::tensor ramp(const moir::shape& s, float scale, float offset) {
    moir::tensor t(moir::element_type::f32, s);
    float* p = t.data<float>();
    for (std::size_t i = 0; i < t.numel(); ++i) p[i] = scale * static_cast<float>((i * 7) % 13) + offset;
    return t;
}

void check_close(const moir::tensor& got, const moir::tensor& ref, double rel = 1e-5) {
    const difference d = compare(got, ref);
    CHECK_MESSAGE(d.within(rel), "max |err| " << d.max_abs_err << " of max |ref| " << d.max_abs_ref << ", shape ["
                                            << moir::to_string(got.dims()) << "] vs [" << moir::to_string(ref.dims())
                                            << "]");
}

}  // namespace

TEST_CASE("parts moir cannot convert run in onnxruntime: whole model = onnxruntime, reference, plan, IR") {
    const std::string bytes = chain_model();
    const moir::onnx::op_table table = test_table();
    const moir::model m = convert(bytes, "chain.onnx", true, &table);
    REQUIRE(count_fallback(m) == 3);
    // the parts: {Scaler}, {Sum}, {Softsign, Softsign}; each an ONNX model with the source's opsets
    std::vector<std::size_t> part_nodes;
    for (const auto& n : m.nodes) {
        if (!n.is<moir::ops::onnx_fallback>()) continue;
        const std::string& pb = n.attrs_as<moir::ops::onnx_fallback>().model.bytes();
        const auto part = moir::onnx::proto::parse_model(reinterpret_cast<const std::uint8_t*>(pb.data()), pb.size(), "part");
        part_nodes.push_back(part.graph.node.size());
        CHECK(part.opset_import.size() == 2);
        CHECK(n.outputs.at(0).type == moir::element_type::f32);
        CHECK(n.outputs.at(0).shape == moir::partial_shape(std::vector<std::int64_t>{2, 3, 4}));
        if (part.graph.node.size() == 1 && part.graph.node[0].op_type == "Sum") CHECK(n.inputs.size() == 2);
    }
    CHECK(part_nodes == std::vector<std::size_t>{1, 1, 2});

    const moir::tensor x = ramp({2, 3, 4}, 0.3f, -1.7f);
    const moir::onnxruntime::session ort(bytes, "the whole model");
    const moir::tensor ref = ort.run({x}).at(0);
    // reference executor
    const moir::reference_executor<> ex(m);
    check_close(ex.run({x}).at(0), ref);
    // compiled plan (static shapes), fast and reference steps
    moir::runtime::plan fast(m, {x.dims()});
    check_close(fast.run({x}).at(0), ref);
    moir::runtime::plan_options po;
    po.fast = false;
    moir::runtime::plan slow(m, {x.dims()}, po);
    check_close(slow.run({x}).at(0), ref);
    std::size_t fallback_steps = 0;
    for (const auto& s : fast.steps()) fallback_steps += s->ops == "OnnxFallback";
    CHECK(fallback_steps == 3);
    // IR round trip: write, read back (new sessions from the IR's bytes), run
    const std::string dir = scratch("fallback_ir");
    moir::ir::save(m, dir + "/chain.xml", dir + "/chain.bin");
    const moir::model back = moir::ir::load(dir + "/chain.xml");
    CHECK(count_fallback(back) == 3);
    check_close(moir::reference_executor<>(back).run({x}).at(0), ref);
    moir::runtime::plan_cache pc(back);
    check_close(pc.run({x}).at(0), ref);
}

TEST_CASE("NonMaxSuppression (a dynamic output) in a float graph runs in onnxruntime") {
    const std::string bytes = nms_model();
    const moir::onnx::op_table table = test_table();  // moir converts NonMaxSuppression: made unsupported here
    const moir::model m = convert(bytes, "nms.onnx", true, &table);
    REQUIRE(count_fallback(m) == 1);
    for (const auto& n : m.nodes)
        if (n.is<moir::ops::onnx_fallback>()) {
            CHECK(n.inputs.size() == 2);  // bx, sc; max_out, iou and thr are initializers inside the part
            CHECK(n.outputs.at(0).type == moir::element_type::i64);
            CHECK(n.outputs.at(0).shape == moir::partial_shape(std::vector<std::int64_t>{moir::dynamic_dim, 3}));
        }
    moir::tensor boxes = moir::tensor::from_vector<float>(
        {0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, -0.1f, 1, 0.9f, 0, 10, 1, 11, 0, 10.1f, 1, 11.1f, 0, 100, 1, 101}, {1, 6, 4});
    moir::tensor s = moir::tensor::from_vector<float>({0.9f, 0.75f, 0.6f, 0.95f, 0.5f, -0.3f}, {1, 1, 6});
    const moir::onnxruntime::session ort(bytes, "the whole model");
    const moir::tensor ref = ort.run({boxes, s}).at(0);
    REQUIRE(ref.dims() == moir::shape{3, 3});
    check_close(moir::reference_executor<>(m).run({boxes, s}).at(0), ref, 0);
    const std::string dir = scratch("fallback_nms");
    moir::ir::save(m, dir + "/nms.xml", dir + "/nms.bin");
    check_close(moir::reference_executor<>(moir::ir::load(dir + "/nms.xml")).run({boxes, s}).at(0), ref, 0);
}

TEST_CASE("with --fallback, a model moir converts whole has no framework node; without it, the usual error") {
    onnx_builder b;
    b.add_input("x", 1, {1, 4}).add_output("y", 1, {1, 4});
    b.add_node("Relu", {"x"}, {"r"});
    b.add_node("Sigmoid", {"r"}, {"y"});
    const moir::model m = convert(b.bytes(), "plain.onnx", true);
    CHECK(count_fallback(m) == 0);
    CHECK(m.nodes.size() == convert(b.bytes(), "plain.onnx", false).nodes.size());

    try {
        const moir::onnx::op_table table = test_table();
        convert(nms_model(), "nms.onnx", false, &table);
        FAIL("expected an unsupported_error");
    } catch (const moir::unsupported_error& e) {
        const std::string what = e.what();  // the converter's own error, the node named
        CHECK(what.find("nms.onnx: ") == 0);
        CHECK(what.find("NonMaxSuppression") != std::string::npos);
        CHECK(what.find("made unsupported by the test") != std::string::npos);
    }
    // onnxruntime refuses an op it does not know either: the error names the part
    onnx_builder bad;
    bad.opset(17).opset(1, "com.example");
    bad.add_input("x", 1, {1, 4}).add_output("y", 1, {1, 4});
    bad.add_node("Frobnicate", {"x"}, {"y"}, {}, "frob", "com.example");
    try {
        convert(bad.bytes(), "bad.onnx", true);
        FAIL("expected an error");
    } catch (const moir::error& e) {
        const std::string what = e.what();
        CHECK_MESSAGE(what.find("bad.onnx: fallback part 'onnx_fallback_0' (Frobnicate): onnxruntime: ") == 0, what);
    }
}

TEST_CASE("the CLI converts with --fallback onnxruntime and runs the IR; a missing library is a clear error") {
    const std::string dir = scratch("fallback_cli");
    onnx_builder b;
    b.opset(17).opset(3, "ai.onnx.ml");
    b.add_input("x", 1, {2, 4}).add_output("y", 1, {2, 4});
    b.add_node("Relu", {"x"}, {"r"});
    b.add_node("Scaler", {"r"}, {"s"}, {attr::floats("offset", {1.0f}), attr::floats("scale", {3.0f})}, "", "ai.onnx.ml");
    b.add_node("Tanh", {"s"}, {"y"});
    b.save(dir + "/ml.onnx");
    auto r = run(q(moir_exe()) + " convert -m " + q(dir + "/ml.onnx") + " --output_dir " + q(dir));
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.output.find("unsupported ONNX ops: ai.onnx.ml::Scaler (1 node)") != std::string::npos, r.output);
    const std::string lib = npm_dir() + "/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1";
    r = run(q(moir_exe()) + " convert -m " + q(dir + "/ml.onnx") + " --output_dir " + q(dir) +
            " --fallback onnxruntime --fallback_library " + q(lib));
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string xml = dir + "/ml.xml";
    {
        const moir::model m = moir::ir::load(xml);
        CHECK(count_fallback(m) == 1);
    }
    const moir::tensor x = ramp({2, 4}, 0.25f, -1.0f);
    moir::npy::save(dir + "/x.npy", x);
    r = run(q(moir_exe()) + " run -m " + q(xml) + " -i x=" + q(dir + "/x.npy") + " -o " + q(dir) + " -t 1");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    const std::string bytes = b.bytes();
    check_close(moir::npy::load(dir + "/y.npy"), moir::onnxruntime::session(bytes, "ml.onnx").run({x}).at(0));
    // no library: the error names what was tried and how to give it
    r = run("MOIR_ONNXRUNTIME=/nonexistent/libonnxruntime.so " + q(moir_exe()) + " run -m " + q(xml) + " -i x=" +
            q(dir + "/x.npy") + " -o " + q(dir));
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.output.find("cannot load libonnxruntime (give its path with --fallback_library PATH or the "
                                "environment variable MOIR_ONNXRUNTIME") != std::string::npos,
                  r.output);
    CHECK_MESSAGE(r.output.find("/nonexistent/libonnxruntime.so: ") != std::string::npos, r.output);
    r = run(q(moir_exe()) + " run -m " + q(xml) + " -i x=" + q(dir + "/x.npy") + " -o " + q(dir) +
            " --fallback_library /nonexistent/libort.so");
    CHECK(r.status == 1);
    CHECK_MESSAGE(r.output.find("/nonexistent/libort.so: ") != std::string::npos, r.output);
}
