// The MXNet frontend's readers and converters on files built here: the NDArray list format in each
// header version (legacy, v1, v2, v3), truncated and corrupt files (errors name the file and the
// byte offset, at every truncation point), symbol JSON in MXNet 0.x and 1.x forms, corrupt JSON, a
// node reading a node or weight that does not exist, unknown ops listed with counts, Reshape's
// special codes, and small graphs whose values are checked by hand (BatchNorm's fix_gamma,
// Deconvolution's target_shape, Pooling's conventions, SliceChannel, Crop, Pad, mean).

#include <moir/frontends/mxnet/mxnet.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cmath>    // fabs, exp, log1p, erf, sqrt
#include <cstdint>  // uint32_t, uint64_t, int64_t
#include <cstring>  // memcpy
#include <random>   // mt19937
#include <string>   // string
#include <vector>   // vector

namespace {

namespace mx = moir::mxnet;

template <class T>
void put(std::string& b, T v) {
    char buf[sizeof(T)];
    std::memcpy(buf, &v, sizeof(T));
    b.append(buf, sizeof(T));
}

/// One f32 array in the given header version ("legacy", "v1", "v2", "v3").
void put_array(std::string& b, const std::vector<std::int64_t>& dims, const std::vector<float>& v, const std::string& h) {
    if (h == "v2" || h == "v3") {
        put<std::uint32_t>(b, h == "v2" ? mx::ndarray_v2_magic : mx::ndarray_v3_magic);
        put<std::int32_t>(b, 0);
        put<std::int32_t>(b, static_cast<std::int32_t>(dims.size()));
        for (auto d : dims) put<std::int64_t>(b, d);
    } else if (h == "v1") {
        put<std::uint32_t>(b, mx::ndarray_v1_magic);
        put<std::uint32_t>(b, static_cast<std::uint32_t>(dims.size()));
        for (auto d : dims) put<std::int64_t>(b, d);
    } else {
        put<std::uint32_t>(b, static_cast<std::uint32_t>(dims.size()));
        for (auto d : dims) put<std::uint32_t>(b, static_cast<std::uint32_t>(d));
    }
    put<std::int32_t>(b, 1);  // cpu
    put<std::int32_t>(b, 0);
    put<std::int32_t>(b, 0);  // float32
    for (float x : v) put<float>(b, x);
}

struct named_array {
    std::string name;
    std::vector<std::int64_t> dims;
    std::vector<float> values;
};

std::string ndarray_list(const std::vector<named_array>& arrays, const std::string& header = "v2") {
    std::string b;
    put<std::uint64_t>(b, 0x112);
    put<std::uint64_t>(b, 0);
    put<std::uint64_t>(b, arrays.size());
    for (const auto& a : arrays) put_array(b, a.dims, a.values, header);
    put<std::uint64_t>(b, arrays.size());
    for (const auto& a : arrays) {
        put<std::uint64_t>(b, a.name.size());
        b += a.name;
    }
    return b;
}

mx::param_set params_of(const std::vector<named_array>& arrays) {
    mx::param_set p;
    mx::add_params(p, mx::parse_ndarray_list(ndarray_list(arrays), "test.params"));
    return p;
}

/// Converts a symbol given as JSON text with `params`; input shapes by position.
moir::model convert(const std::string& json, const mx::param_set& params,
                    const std::vector<std::vector<std::int64_t>>& shapes = {}) {
    mx::load_options o;
    for (const auto& s : shapes) o.input_shapes_by_position.push_back(moir::partial_shape(s));
    return mx::convert(mx::parse_symbol(json, "test-symbol.json"), params, "test.params", o);
}

std::vector<float> run1(const moir::model& m, const std::vector<moir::tensor>& in, std::vector<std::int64_t>* dims = nullptr) {
    const auto out = moir::reference_executor<>(m).run(in);
    REQUIRE(out.size() >= 1);
    if (dims) *dims = std::vector<std::int64_t>(out[0].dims().begin(), out[0].dims().end());
    return out[0].to_vector<float>();
}

moir::tensor iota(const std::vector<std::int64_t>& dims, float start = 0) {
    moir::tensor t(moir::element_type::f32, moir::shape(dims.begin(), dims.end()));
    for (std::size_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
    return t;
}

/// A symbol: data -> one op (attrs as JSON object text) reading data and the listed weights.
std::string one_op(const std::string& op, const std::string& attrs, const std::vector<std::string>& weights = {},
                   const std::string& key = "attrs") {
    std::string nodes = R"({"op": "null", "name": "data", "inputs": []})";
    std::string inputs = "[0, 0, 0]";
    for (std::size_t i = 0; i < weights.size(); ++i) {
        nodes += R"(, {"op": "null", "name": ")" + weights[i] + R"(", "inputs": []})";
        inputs += ", [" + std::to_string(i + 1) + ", 0, 0]";
    }
    const std::size_t k = weights.size() + 1;
    nodes += R"(, {"op": ")" + op + R"(", "name": "y", ")" + key + R"(": )" + attrs + R"(, "inputs": [)" + inputs + "]}";
    return R"({"nodes": [)" + nodes + R"(], "heads": [[)" + std::to_string(k) + ", 0, 0]]}";
}

}  // namespace

TEST_CASE("NDArray lists: every header version reads back") {
    for (const char* h : {"legacy", "v1", "v2", "v3"}) {
        CAPTURE(h);
        const std::string b = ndarray_list({{"arg:w", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"aux:m", {1}, {7}}}, h);
        const mx::ndarray_list l = mx::parse_ndarray_list(b, "x.params");
        REQUIRE(l.arrays.size() == 2);
        CHECK(l.names == std::vector<std::string>{"arg:w", "aux:m"});
        CHECK(l.arrays[0].dims() == moir::shape{2, 3});
        CHECK(l.arrays[0].to_vector<float>() == std::vector<float>{1, 2, 3, 4, 5, 6});
        mx::param_set p;
        mx::add_params(p, l);
        CHECK(p.arg.count("w") == 1);
        CHECK(p.aux.count("m") == 1);
        CHECK(p.find("m")->to_vector<float>() == std::vector<float>{7});
    }
}

TEST_CASE("NDArray lists: truncated and corrupt files name the file and the byte offset") {
    const std::string good = ndarray_list({{"arg:w", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"aux:m", {4}, {1, 2, 3, 4}}});
    // every truncation point gives a parse_error naming the file and a byte offset, never a crash
    for (std::size_t n = 0; n < good.size(); ++n) {
        CAPTURE(n);
        try {
            mx::parse_ndarray_list(good.substr(0, n), "cut.params");
            FAIL("no error");
        } catch (const moir::parse_error& e) {
            const std::string w = e.what();
            CHECK(w.find("cut.params") != std::string::npos);
            CHECK(w.find("byte") != std::string::npos);
        }
    }
    // the data of array 0 starts at byte 16 + 8 + 4+4+4+16+4+4+4 = 64
    CHECK_THROWS_WITH_AS(mx::parse_ndarray_list(good.substr(0, 70), "cut.params"),
                         doctest::Contains("cut.params: byte 64: truncated: array 0 data (shape [2,3], f32)"),
                         moir::parse_error);
    std::string bad = good;
    bad[0] = 0x13;
    CHECK_THROWS_WITH_AS(mx::parse_ndarray_list(bad, "m.params"), doctest::Contains("not an MXNet NDArray list"), moir::parse_error);
    bad = good;
    bad[28] = 1;  // array 0's storage type: row_sparse
    CHECK_THROWS_WITH_AS(mx::parse_ndarray_list(bad, "s.params"), doctest::Contains("byte 28: array 0 is stored sparse"),
                         moir::parse_error);
    bad = good;
    bad[60] = 12;  // array 0's dtype: bfloat16
    CHECK_THROWS_WITH_AS(mx::parse_ndarray_list(bad, "d.params"), doctest::Contains("byte 60: array 0 has dtype code 12"),
                         moir::parse_error);
    bad = good;
    bad[16] = static_cast<char>(0xff);  // array count 255
    CHECK_THROWS_WITH_AS(mx::parse_ndarray_list(bad, "c.params"), doctest::Contains("c.params: byte"), moir::parse_error);
    bad = good + "x";
    CHECK_THROWS_WITH_AS(mx::parse_ndarray_list(bad, "t.params"), doctest::Contains("1 bytes after the last name"), moir::parse_error);
    // a huge dim does not allocate: the data it would need exceeds the file
    bad = good;
    bad[36] = 0x7f;
    CHECK_THROWS_AS(mx::parse_ndarray_list(bad, "h.params"), moir::parse_error);
}

TEST_CASE("symbol files: MXNet 0.x and 1.x forms, corrupt JSON, bad entries") {
    // 0.x: "param" and [node, index] entries
    const auto old = mx::parse_symbol(one_op("Activation", R"j({"act_type": "relu"})j", {}, "param"), "old-symbol.json");
    CHECK(old.nodes.size() == 2);
    CHECK(old.nodes[1].attrs.at("act_type") == "relu");
    CHECK_THROWS_WITH_AS(mx::parse_symbol(R"j({"nodes": [{"op": "null", "name": "data", "inputs": []})j", "bad-symbol.json"),
                         doctest::Contains("bad-symbol.json: not valid JSON at byte"), moir::parse_error);
    // a number JSON cannot hold (tests/fuzz/fuzz_mxnet's first finding: nlohmann's out_of_range escaped)
    CHECK_THROWS_WITH_AS(mx::parse_symbol(R"j({"nodes": [551111111E1111]})j", "big-symbol.json"),
                         doctest::Contains("big-symbol.json: not valid JSON"), moir::parse_error);
    CHECK_THROWS_WITH_AS(mx::parse_symbol(R"j({"heads": []})j", "x-symbol.json"), doctest::Contains("no \"nodes\""),
                         moir::parse_error);
    // a node reading a node that does not come before it
    const std::string missing =
        R"j({"nodes": [{"op": "null", "name": "data", "inputs": []}, {"op": "relu", "name": "r", "inputs": [[7, 0, 0]]}], "heads": [[1, 0, 0]]})j";
    CHECK_THROWS_WITH_AS(mx::parse_symbol(missing, "m-symbol.json"),
                         doctest::Contains("m-symbol.json: node 1 'r' (relu): reads node 7"), moir::parse_error);
    // node_row_ptr says node 0 has one output, node 1 reads its output 1
    const std::string row =
        R"j({"nodes": [{"op": "null", "name": "data", "inputs": []}, {"op": "relu", "name": "r", "inputs": [[0, 1, 0]]}], "heads": [[1, 0, 0]], "node_row_ptr": [0, 1, 2]})j";
    CHECK_THROWS_WITH_AS(mx::parse_symbol(row, "r-symbol.json"), doctest::Contains("output 1 is read"), moir::parse_error);
}

TEST_CASE("a weight the params do not hold, unknown ops with counts") {
    const std::string conv = one_op("Convolution", R"j({"kernel": "(1, 1)", "num_filter": "1", "no_bias": "True"})j", {"y_weight"});
    CHECK_THROWS_WITH_AS(convert(conv, {}, {{1, 1, 2, 2}}),
                         doctest::Contains("node 'y' (Convolution) reads weight 'y_weight', which test.params does not hold"),
                         moir::parse_error);
    const std::string unknown = R"j({"nodes": [{"op": "null", "name": "data", "inputs": []},
        {"op": "Frobnicate", "name": "a", "inputs": [[0, 0, 0]]}, {"op": "Mystery", "name": "b", "inputs": [[1, 0, 0]]},
        {"op": "Frobnicate", "name": "c", "inputs": [[2, 0, 0]]}], "heads": [[3, 0, 0]]})j";
    CHECK_THROWS_WITH_AS(convert(unknown, {}),
                         doctest::Contains("test-symbol.json: unsupported MXNet ops: Frobnicate (2 nodes), Mystery (1 node)"),
                         moir::unsupported_error);
}

TEST_CASE("Reshape's special codes, as MXNet's documentation gives them") {
    using v = std::vector<std::int64_t>;
    const auto r = [](v in, v spec, bool rev = false) { return mx::detail::mxnet_reshape(in, spec, rev); };
    CHECK(r({2, 3, 4}, {4, 0, 2}) == v{4, 3, 2});
    CHECK(r({2, 3, 4}, {2, 0, 0}) == v{2, 3, 4});
    CHECK(r({2, 3, 4}, {6, 1, -1}) == v{6, 1, 4});
    CHECK(r({2, 3, 4}, {3, -1, 8}) == v{3, 1, 8});
    CHECK(r({2, 3, 4}, {-1}) == v{24});
    CHECK(r({2, 3, 4}, {-2}) == v{2, 3, 4});
    CHECK(r({2, 3, 4}, {2, -2}) == v{2, 3, 4});
    CHECK(r({2, 3, 4}, {-2, 1, 1}) == v{2, 3, 4, 1, 1});
    CHECK(r({2, 3, 4}, {-3, 4}) == v{6, 4});
    CHECK(r({2, 3, 4, 5}, {-3, -3}) == v{6, 20});
    CHECK(r({2, 3, 4}, {0, -3}) == v{2, 12});
    CHECK(r({2, 3, 4}, {-3, -2}) == v{6, 4});
    CHECK(r({2, 3, 4}, {-4, 1, 2, -2}) == v{1, 2, 3, 4});
    CHECK(r({2, 3, 4}, {2, -4, -1, 3, -2}) == v{2, 1, 3, 4});
    CHECK(r({10, 5, 4}, {-1, 0}) == v{40, 5});
    CHECK(r({10, 5, 4}, {-1, 0}, true) == v{50, 4});
    CHECK_THROWS_AS(r({2, 3, 4}, {5, -1}), moir::shape_error);
    // in a graph: the target is resolved against the static input shape
    const auto m = convert(one_op("Reshape", R"j({"shape": "(-4, 1, -1, -2)"})j"), {}, {{2, 3, 4}});
    std::vector<std::int64_t> dims;
    const auto y = run1(m, {iota({2, 3, 4})}, &dims);
    CHECK(dims == v{1, 2, 3, 4});
    CHECK(y[23] == 23);
}

TEST_CASE("layers on hand-checked values") {
    std::vector<std::int64_t> dims;
    SUBCASE("BatchNorm: fix_gamma (MXNet's default) ignores gamma, eps defaults to 1e-3") {
        const auto p = params_of({{"arg:g", {2}, {5, 5}}, {"arg:b", {2}, {1, -1}}, {"aux:m", {2}, {0, 2}}, {"aux:v", {2}, {1, 4}}});
        const auto y = run1(convert(one_op("BatchNorm", "{}", {"g", "b", "m", "v"}), p, {{1, 2, 1, 1}}), {iota({1, 2, 1, 1}, 1)});
        CHECK(std::fabs(y[0] - (1.0 / std::sqrt(1.001) + 1)) < 1e-5);
        CHECK(std::fabs(y[1] - (0.0 / std::sqrt(4.001) - 1)) < 1e-5);
        const auto z = run1(convert(one_op("BatchNorm", R"j({"fix_gamma": "False", "eps": "0"})j", {"g", "b", "m", "v"}), p, {{1, 2, 1, 1}}),
                            {iota({1, 2, 1, 1}, 1)});
        CHECK(std::fabs(z[0] - 6) < 1e-5);
    }
    SUBCASE("Deconvolution: target_shape sets pad and adj") {
        const auto p = params_of({{"arg:w", {1, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1}}});
        const auto m = convert(one_op("Deconvolution", R"j({"kernel": "(3, 3)", "stride": "(2, 2)", "num_filter": "1", "target_shape": "(8, 7)"})j", {"w"}),
                               p, {{1, 1, 4, 4}});
        run1(m, {iota({1, 1, 4, 4})}, &dims);
        CHECK(dims == std::vector<std::int64_t>{1, 1, 8, 7});
    }
    SUBCASE("Pooling: valid floors, full ceils, count_include_pad") {
        const auto valid = convert(one_op("Pooling", R"j({"kernel": "(2, 2)", "stride": "(2, 2)", "pool_type": "max"})j"), {}, {{1, 1, 5, 5}});
        run1(valid, {iota({1, 1, 5, 5})}, &dims);
        CHECK(dims == std::vector<std::int64_t>{1, 1, 2, 2});
        const auto full = convert(one_op("Pooling", R"j({"kernel": "(2, 2)", "stride": "(2, 2)", "pooling_convention": "full"})j"), {}, {{1, 1, 5, 5}});
        const auto y = run1(full, {iota({1, 1, 5, 5})}, &dims);
        CHECK(dims == std::vector<std::int64_t>{1, 1, 3, 3});
        CHECK(y[8] == 24);
        const auto avg = convert(one_op("Pooling", R"j({"kernel": "(3, 3)", "pad": "(1, 1)", "pool_type": "avg", "count_include_pad": "False"})j"), {}, {{1, 1, 3, 3}});
        const auto a = run1(avg, {iota({1, 1, 3, 3})});
        CHECK(std::fabs(a[0] - (0 + 1 + 3 + 4) / 4.0) < 1e-5);
        const auto inc = convert(one_op("Pooling", R"j({"kernel": "(3, 3)", "pad": "(1, 1)", "pool_type": "avg"})j"), {}, {{1, 1, 3, 3}});
        CHECK(std::fabs(run1(inc, {iota({1, 1, 3, 3})})[0] - (0 + 1 + 3 + 4) / 9.0) < 1e-5);
    }
    SUBCASE("SliceChannel with squeeze_axis, Crop, Pad, mean with exclude") {
        const auto s = convert(one_op("SliceChannel", R"j({"num_outputs": "2", "axis": "1", "squeeze_axis": "True"})j"), {}, {{1, 2, 3}});
        const auto y = run1(s, {iota({1, 2, 3})}, &dims);
        CHECK(dims == std::vector<std::int64_t>{1, 3});
        CHECK(y == std::vector<float>{0, 1, 2});
        const auto crop = convert(one_op("Crop", R"j({"h_w": "(2, 2)", "center_crop": "True"})j"), {}, {{1, 1, 4, 4}});
        CHECK(run1(crop, {iota({1, 1, 4, 4})}) == std::vector<float>{5, 6, 9, 10});
        const auto pad = convert(one_op("Pad", R"j({"mode": "constant", "pad_width": "(0, 0, 0, 0, 1, 0, 0, 1)", "constant_value": "-1"})j"), {}, {{1, 1, 1, 2}});
        CHECK(run1(pad, {iota({1, 1, 1, 2})}, &dims) == std::vector<float>{-1, -1, -1, 0, 1, -1});
        const auto mean = convert(one_op("mean", R"j({"axis": "1", "exclude": "True", "keepdims": "True"})j"), {}, {{2, 2}});
        CHECK(run1(mean, {iota({2, 2})}, &dims) == std::vector<float>{1, 2});
        CHECK(dims == std::vector<std::int64_t>{1, 2});
    }
    SUBCASE("Activation and LeakyReLU: every act_type against MXNet's formulas; sum over axes") {
        // x from -3 to 3 by 0.5: both sides of 0
        moir::tensor x(moir::element_type::f32, moir::shape{1, 13});
        for (std::size_t i = 0; i < 13; ++i) x.data<float>()[i] = -3.0f + 0.5f * static_cast<float>(i);
        struct act {
            const char* op;
            const char* attrs;
            double (*f)(double);
        };
        const act acts[] = {
            {"Activation", R"j({"act_type": "softrelu"})j", [](double v) { return std::log1p(std::exp(v)); }},
            {"Activation", R"j({"act_type": "softsign"})j", [](double v) { return v / (1 + std::fabs(v)); }},
            {"LeakyReLU", R"j({"act_type": "leaky", "slope": "0.1"})j", [](double v) { return v > 0 ? v : 0.1 * v; }},
            {"LeakyReLU", R"j({})j", [](double v) { return v > 0 ? v : 0.25 * v; }},  // leaky, slope 0.25 by default
            {"LeakyReLU", R"j({"act_type": "elu", "slope": "0.7"})j", [](double v) { return v > 0 ? v : 0.7 * (std::exp(v) - 1); }},
            {"LeakyReLU", R"j({"act_type": "selu"})j",
             [](double v) { return 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (std::exp(v) - 1)); }},
            {"LeakyReLU", R"j({"act_type": "gelu"})j", [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
        };
        for (const auto& a : acts) {
            INFO(a.op << " " << a.attrs);
            const auto y = run1(convert(one_op(a.op, a.attrs), {}, {{1, 13}}), {x});
            REQUIRE(y.size() == 13);
            for (std::size_t i = 0; i < 13; ++i) CHECK(std::fabs(y[i] - a.f(x.data<float>()[i])) < 1e-5);
        }
        // prelu: a learned slope per channel (the gamma weight)
        const auto p = params_of({{"arg:gamma", {2}, {0.5f, 2.0f}}});
        moir::tensor xc(moir::element_type::f32, moir::shape{1, 2, 1, 2});
        const float vals[] = {-1, 3, -2, 4};
        for (std::size_t i = 0; i < 4; ++i) xc.data<float>()[i] = vals[i];
        CHECK(run1(convert(one_op("LeakyReLU", R"j({"act_type": "prelu"})j", {"gamma"}), p, {{1, 2, 1, 2}}), {xc}) ==
              std::vector<float>{-0.5f, 3, -4, 4});
        // sum over axis 1 without keepdims, and over every axis
        const auto s = convert(one_op("sum", R"j({"axis": "1"})j"), {}, {{2, 3}});
        CHECK(run1(s, {iota({2, 3})}, &dims) == std::vector<float>{3, 12});
        CHECK(dims == std::vector<std::int64_t>{2});
        CHECK(run1(convert(one_op("sum", R"j({})j"), {}, {{2, 3}}), {iota({2, 3})}) == std::vector<float>{15});
    }
    SUBCASE("SoftmaxOutput drops its label; Dropout is removed") {
        const std::string json = R"j({"nodes": [{"op": "null", "name": "data", "inputs": []},
            {"op": "Dropout", "name": "drop", "attrs": {"p": "0.5"}, "inputs": [[0, 0, 0]]},
            {"op": "null", "name": "softmax_label", "inputs": []},
            {"op": "SoftmaxOutput", "name": "softmax", "inputs": [[1, 0, 0], [2, 0, 0]]}],
            "arg_nodes": [0, 2], "node_row_ptr": [0, 1, 3, 4, 5], "heads": [[3, 0, 0]]})j";
        const auto m = convert(json, {}, {{1, 2}});
        CHECK(m.parameters.size() == 1);
        const auto y = run1(m, {iota({1, 2})});
        CHECK(std::fabs(y[1] - 1 / (1 + std::exp(-1.0))) < 1e-6);
        for (const auto& n : m.nodes) CHECK(n.name != "drop");
    }
}

TEST_CASE("corrupted files: moir::error or a model, never a crash") {
    // random byte edits of a small checkpoint (a convolution, a BatchNorm, a pool, a dense layer):
    // every outcome is a parse or conversion error, or a converted model
    const std::string params = ndarray_list({{"arg:c_weight", {2, 1, 3, 3}, std::vector<float>(18, 0.5f)},
                                             {"arg:c_bias", {2}, {1, 2}},
                                             {"arg:bn_gamma", {2}, {1, 1}},
                                             {"arg:bn_beta", {2}, {0, 0}},
                                             {"aux:bn_moving_mean", {2}, {0, 0}},
                                             {"aux:bn_moving_var", {2}, {1, 1}},
                                             {"arg:fc_weight", {3, 8}, std::vector<float>(24, 0.1f)},
                                             {"arg:fc_bias", {3}, {0, 0, 0}}});
    const std::string symbol = R"j({"nodes": [
        {"op": "null", "name": "data", "inputs": []},
        {"op": "null", "name": "c_weight", "inputs": []}, {"op": "null", "name": "c_bias", "inputs": []},
        {"op": "Convolution", "name": "c", "attrs": {"kernel": "(3, 3)", "pad": "(1, 1)", "num_filter": "2"}, "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
        {"op": "null", "name": "bn_gamma", "inputs": []}, {"op": "null", "name": "bn_beta", "inputs": []},
        {"op": "null", "name": "bn_moving_mean", "inputs": []}, {"op": "null", "name": "bn_moving_var", "inputs": []},
        {"op": "BatchNorm", "name": "bn", "attrs": {"fix_gamma": "False"}, "inputs": [[3, 0, 0], [4, 0, 0], [5, 0, 0], [6, 0, 0], [7, 0, 0]]},
        {"op": "Pooling", "name": "p", "attrs": {"kernel": "(2, 2)", "stride": "(2, 2)", "pool_type": "avg"}, "inputs": [[8, 0, 0]]},
        {"op": "null", "name": "fc_weight", "inputs": []}, {"op": "null", "name": "fc_bias", "inputs": []},
        {"op": "FullyConnected", "name": "fc", "attrs": {"num_hidden": "3"}, "inputs": [[9, 0, 0], [10, 0, 0], [11, 0, 0]]}],
        "arg_nodes": [0, 1, 2, 4, 5, 6, 7, 10, 11], "node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15],
        "heads": [[12, 0, 0]]})j";
    const auto attempt = [](const std::string& sym, const std::string& par) {
        try {
            mx::param_set p;
            mx::add_params(p, mx::parse_ndarray_list(par, "f.params"));
            mx::load_options o;
            o.input_shapes_by_position = {moir::partial_shape({1, 1, 4, 4})};
            const moir::model m = mx::convert(mx::parse_symbol(sym, "f-symbol.json"), p, "f.params", o);
            return 1;
        } catch (const moir::error&) {
            return 0;
        }
    };
    REQUIRE(attempt(symbol, params) == 1);
    std::mt19937 gen(3);
    int converted = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string s = symbol, p = params;
        std::string& target = i % 2 ? s : p;
        const int edits = 1 + static_cast<int>(gen() % 3);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = gen() % target.size();
            const auto kind = gen() % 3;
            if (kind == 0) target[at] = static_cast<char>(gen());
            else if (kind == 1) target.erase(at, 1 + gen() % 8);
            else target.insert(at, 1, "0123456789-,[]{}\":"[gen() % 18]);
            if (target.empty()) target = "x";
        }
        converted += attempt(s, p);
    }
    MESSAGE(converted << " of 3000 corrupted checkpoints still converted; the rest were refused with moir::error");
    CHECK(converted < 3000);
}
