// Tests of the recurrent sequence ops (group F): RNNSequence, GRUSequence, LSTMSequence (opset5) and
// LSTMSequence-1 (peepholes, weights_format, input_forget): reference kernels against hand-computed
// one-unit cells, shape inference (dynamic dims, errors), the IR spelling of the attributes, and the
// ONNX LSTM converter with constant and run-time weights.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/ir/attr_codec.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/reference_executor.hpp>
#include <support/protobuf_writer.hpp>

#include <doctest/doctest.h>

#include <cmath>    // exp, tanh
#include <cstddef>  // size_t
#include <cstdint>  // int32_t, int64_t, uint8_t
#include <string>   // string
#include <vector>   // vector

namespace {

using moir::element_type;
using moir::port_desc;
using moir::port_descs;
using moir::shape;
using moir::tensor;
namespace ops = moir::ops;

tensor f32(const std::vector<float>& v, const shape& s) { return tensor::from_vector<float>(v, s); }
tensor lens(const std::vector<std::int32_t>& v) { return tensor::from_vector<std::int32_t>(v); }
double sig(double x) { return 1.0 / (1.0 + std::exp(-x)); }

template <class Op>
std::vector<tensor> eval(const typename Op::attrs& a, const std::vector<tensor>& in) {
    moir::node n;
    n.op = &moir::info_of<Op>();
    n.attrs = a;
    n.name = std::string(Op::name);
    return moir::evaluate_node(n, in);
}

template <class Op>
port_descs infer(const typename Op::attrs& a, const std::vector<moir::partial_shape>& shapes,
                 element_type t = element_type::f32) {
    port_descs in;
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        const bool lengths = i == (Op::min_inputs == 6 ? 2u : 3u);
        in.push_back(port_desc{lengths ? element_type::i32 : t, shapes[i], {}});
    }
    return Op::infer(a, in);
}

void check_values(const tensor& t, const shape& dims, const std::vector<double>& want) {
    REQUIRE(t.dims() == dims);
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(t.at_as<double>(i) == doctest::Approx(want[i]).epsilon(1e-6));
}

}  // namespace

TEST_CASE("RNNSequence: relu cells over lengths, reverse, bidirectional and clip") {
    ops::rnn_sequence::attrs a{1, "relu", {}, {}, 0.0f, ops::sequence_direction::forward};
    const tensor x = f32({0.5f, 0.25f, 1.0f, 3.0f}, {2, 2, 1});  // batch 2, seq 2
    const tensor h0(element_type::f32, {2, 1, 1});
    const tensor w = f32({1}, {1, 1, 1}), r = f32({1}, {1, 1, 1}), b = f32({0}, {1, 1});
    auto out = eval<ops::rnn_sequence>(a, {x, h0, lens({2, 1}), w, r, b});
    check_values(out[0], {2, 1, 2, 1}, {0.5, 0.75, 1.0, 0.0});  // step past length 1: 0
    check_values(out[1], {2, 1, 1}, {0.75, 1.0});
    a.direction = ops::sequence_direction::reverse;
    out = eval<ops::rnn_sequence>(a, {x, h0, lens({2, 1}), w, r, b});
    check_values(out[0], {2, 1, 2, 1}, {0.75, 0.25, 1.0, 0.0});
    check_values(out[1], {2, 1, 1}, {0.75, 1.0});
    a.direction = ops::sequence_direction::forward;
    a.clip = 0.6f;
    out = eval<ops::rnn_sequence>(a, {x, h0, lens({2, 2}), w, r, b});
    check_values(out[0], {2, 1, 2, 1}, {0.5, 0.6, 0.6, 0.6});
    // bidirectional: direction 1 (reverse) has W = 2
    a = {1, "relu", {}, {}, 0.0f, ops::sequence_direction::bidirectional};
    out = eval<ops::rnn_sequence>(a, {x, tensor(element_type::f32, {2, 2, 1}), lens({2, 1}), f32({1, 2}, {2, 1, 1}),
                                      f32({1, 1}, {2, 1, 1}), f32({0, 0}, {2, 1})});
    check_values(out[0], {2, 2, 2, 1}, {0.5, 0.75, 1.5, 0.5, 1.0, 0.0, 2.0, 0.0});
    check_values(out[1], {2, 2, 1}, {0.75, 1.5, 1.0, 2.0});
}

TEST_CASE("GRUSequence: reset before and after the recurrence product") {
    ops::gru_sequence::attrs a{1, "sigmoid,tanh", {}, {}, 0.0f, ops::sequence_direction::forward, false};
    const tensor x = f32({1}, {1, 1, 1}), h0 = f32({0.5f}, {1, 1, 1});
    const tensor w = f32({0, 0, 1}, {1, 3, 1}), r = f32({0, 0, 2}, {1, 3, 1});  // z, r, h
    auto out = eval<ops::gru_sequence>(a, {x, h0, lens({1}), w, r, f32({0, 0, 0}, {1, 3})});
    // z = r = 0.5; h~ = tanh(1 + (0.5 * 0.5) * 2)
    check_values(out[1], {1, 1, 1}, {0.5 * std::tanh(1.5) + 0.25});
    a.linear_before_reset = true;  // B = [Wbz+Rbz, Wbr+Rbr, Wbh, Rbh]; h~ = tanh(1 + 0.5 * (2 * 0.5 + 1))
    out = eval<ops::gru_sequence>(a, {x, h0, lens({1}), w, r, f32({0, 0, 0, 1}, {1, 4})});
    check_values(out[0], {1, 1, 1, 1}, {0.5 * std::tanh(2.0) + 0.25});
    CHECK_THROWS_AS(eval<ops::gru_sequence>(a, {x, h0, lens({1}), w, r, f32({0, 0, 0}, {1, 3})}), moir::shape_error);
}

TEST_CASE("LSTMSequence: fico gates; LSTMSequence-1 peepholes, weights_format and input_forget") {
    const tensor x = f32({1}, {1, 1, 1}), h0(element_type::f32, {1, 1, 1}), c0 = f32({0.5f}, {1, 1, 1});
    const tensor r(element_type::f32, {1, 4, 1}), b(element_type::f32, {1, 4});
    const tensor w_fico = f32({2, 0, 1, 0}, {1, 4, 1});
    const ops::lstm_sequence::attrs a{1, "sigmoid,tanh,tanh", {}, {}, 0.0f, ops::sequence_direction::forward};
    auto out = eval<ops::lstm_sequence>(a, {x, h0, c0, lens({1}), w_fico, r, b});
    const double c1 = sig(2) * 0.5 + 0.5 * std::tanh(1.0);  // f = sig(2), i = o = 0.5, c~ = tanh(1)
    check_values(out[2], {1, 1, 1}, {c1});
    check_values(out[1], {1, 1, 1}, {0.5 * std::tanh(c1)});
    check_values(out[0], {1, 1, 1, 1}, {0.5 * std::tanh(c1)});

    ops::lstm_sequence_v0::attrs v0{1,     "sigmoid,tanh,tanh", {}, {}, 0.0f, ops::sequence_direction::forward,
                                    false, ops::lstm_weights_format::iofc};
    out = eval<ops::lstm_sequence_v0>(v0, {x, h0, c0, lens({1}), f32({0, 0, 2, 1}, {1, 4, 1}), r, b});
    check_values(out[1], {1, 1, 1}, {0.5 * std::tanh(c1)});  // same cell, other gate order
    v0.weights_format = ops::lstm_weights_format::fico;
    out = eval<ops::lstm_sequence_v0>(v0, {x, h0, c0, lens({1}), w_fico, r, b, f32({1, 0, 0}, {1, 3})});  // Pi
    const double c2 = sig(2) * 0.5 + sig(0.5) * std::tanh(1.0);
    check_values(out[2], {1, 1, 1}, {c2});
    out = eval<ops::lstm_sequence_v0>(v0, {x, h0, c0, lens({1}), w_fico, r, b, f32({0, 1, 0}, {1, 3})});  // Po on Ct
    check_values(out[1], {1, 1, 1}, {sig(c1) * std::tanh(c1)});
    v0.input_forget = true;  // f = 1 - i = 0.5
    out = eval<ops::lstm_sequence_v0>(v0, {x, h0, c0, lens({1}), w_fico, r, b});
    check_values(out[2], {1, 1, 1}, {0.25 + 0.5 * std::tanh(1.0)});
}

TEST_CASE("sequence ops: shape inference") {
    const ops::rnn_sequence::attrs rnn{4, "tanh", {}, {}, 0.0f, ops::sequence_direction::forward};
    auto d = infer<ops::rnn_sequence>(rnn, {{{-1, -1, 3}}, {{2, 1, 4}}, {{-1}}, {{1, 4, 3}}, {{1, 4, 4}}, {{1, 4}}});
    REQUIRE(d.size() == 2);
    CHECK(d[0].shape == moir::partial_shape({2, 1, -1, 4}));
    CHECK(d[1].shape == moir::partial_shape({2, 1, 4}));
    const auto dyn = moir::partial_shape::dynamic();
    ops::lstm_sequence::attrs lstm{3, "sigmoid,tanh,tanh", {}, {}, 0.0f, ops::sequence_direction::bidirectional};
    d = infer<ops::lstm_sequence>(lstm, {dyn, dyn, dyn, dyn, dyn, dyn, dyn});
    REQUIRE(d.size() == 3);
    CHECK(d[0].shape == moir::partial_shape({-1, 2, -1, 3}));
    CHECK(d[2].shape == moir::partial_shape({-1, 2, 3}));
    // W says one direction, the op two
    CHECK_THROWS_AS(infer<ops::lstm_sequence>(lstm, {dyn, dyn, dyn, dyn, {{1, 12, 5}}, dyn, dyn}), moir::shape_error);
    // W not 4 * hidden rows; batch disagreeing between X and H
    lstm.direction = ops::sequence_direction::forward;
    CHECK_THROWS_AS(infer<ops::lstm_sequence>(lstm, {dyn, dyn, dyn, dyn, {{1, 9, 5}}, dyn, dyn}), moir::shape_error);
    CHECK_THROWS_AS(infer<ops::lstm_sequence>(lstm, {{{2, 5, 1}}, {{3, 1, 3}}, dyn, dyn, dyn, dyn, dyn}),
                    moir::shape_error);
    lstm.hidden_size = 0;
    CHECK_THROWS_AS(infer<ops::lstm_sequence>(lstm, {dyn, dyn, dyn, dyn, dyn, dyn, dyn}), moir::shape_error);
    lstm = {3, "sigmoid,gelu,tanh", {}, {}, 0.0f, ops::sequence_direction::forward};
    CHECK_THROWS_AS(infer<ops::lstm_sequence>(lstm, {dyn, dyn, dyn, dyn, dyn, dyn, dyn}), moir::unsupported_error);
    lstm.activations = "sigmoid,tanh";
    CHECK_THROWS_AS(infer<ops::lstm_sequence>(lstm, {dyn, dyn, dyn, dyn, dyn, dyn, dyn}), moir::shape_error);
    CHECK_THROWS_AS(infer<ops::rnn_sequence>(rnn, {dyn, dyn, dyn, dyn, dyn, dyn}, element_type::i32), moir::shape_error);
    const ops::gru_sequence::attrs gru{2, "sigmoid,tanh", {}, {}, 0.0f, ops::sequence_direction::reverse, true};
    d = infer<ops::gru_sequence>(gru, {{{1, 7, 3}}, dyn, dyn, dyn, dyn, {{1, 8}}});
    CHECK(d[0].shape == moir::partial_shape({1, 1, 7, 2}));
}

TEST_CASE("sequence ops: IR attribute spelling") {
    const ops::lstm_sequence_v0::attrs a{8,    "sigmoid,tanh,tanh", {0.5f}, {}, 2.0f, ops::sequence_direction::bidirectional,
                                         true, ops::lstm_weights_format::fico};
    const auto f = moir::ir::encode_attrs(a);
    REQUIRE(f.size() == 8);
    CHECK(f[0].first == "hidden_size");
    CHECK(f[0].second == "8");
    CHECK(f[1].second == "sigmoid,tanh,tanh");
    CHECK(f[5].second == "bidirectional");
    CHECK(f[6].second == "true");
    CHECK(f[7].first == "weights_format");
    CHECK(f[7].second == "fico");
}

TEST_CASE("ONNX LSTM: iofc weights and summed biases, folded when constant") {
    using moir::test::attr;
    // one step, one unit: W (iofc) = [0, 0, 2, 1], Wb_i = Rb_i = 0.5 -> i = sig(1), C = i * tanh(1)
    const std::vector<float> w{0, 0, 2, 1}, rr{0, 0, 0, 0}, bias{0.5f, 0, 0, 0, 0.5f, 0, 0, 0};
    auto build = [&](bool constant) {
        moir::test::onnx_builder m;
        m.opset(14).add_input("X", 1, {1, 1, 1});
        if (constant) {
            m.add_initializer("W", w, {1, 4, 1}).add_initializer("R", rr, {1, 4, 1}).add_initializer("B", bias, {1, 8});
        } else {
            m.add_input("W", 1, {1, 4, 1}).add_input("R", 1, {1, 4, 1}).add_input("B", 1, {1, 8});
        }
        m.add_node("LSTM", {"X", "W", "R", "B"}, {"Y", "Y_h", "Y_c"}, {attr::i("hidden_size", 1)});
        m.add_output("Y", 1, {1, 1, 1, 1}).add_output("Y_h", 1, {1, 1, 1}).add_output("Y_c", 1, {1, 1, 1});
        const std::string s = m.bytes();
        return moir::onnx::convert(
            moir::onnx::proto::parse_model(reinterpret_cast<const std::uint8_t*>(s.data()), s.size(), "lstm.onnx"),
            "lstm.onnx");
    };
    auto count_splits = [](const moir::model& m) {
        std::size_t n = 0;
        for (const auto& node : m.nodes) n += node.is<ops::split>() ? 1 : 0;
        return n;
    };
    const double c = sig(1) * std::tanh(1.0), h = 0.5 * std::tanh(c);
    const moir::model folded = build(true);
    CHECK(count_splits(folded) == 0);
    auto out = moir::reference_executor<>(folded).run({f32({1}, {1, 1, 1})});
    check_values(out[0], {1, 1, 1, 1}, {h});
    check_values(out[2], {1, 1, 1}, {c});
    const moir::model graph = build(false);
    CHECK(count_splits(graph) > 0);
    out = moir::reference_executor<>(graph).run(
        {f32({1}, {1, 1, 1}), f32(w, {1, 4, 1}), f32(rr, {1, 4, 1}), f32(bias, {1, 8})});
    check_values(out[1], {1, 1, 1}, {h});
    check_values(out[2], {1, 1, 1}, {c});
}
