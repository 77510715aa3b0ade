#ifndef MOIR_FRONTENDS_KALDI_NNET1_HPP
#define MOIR_FRONTENDS_KALDI_NNET1_HPP

// Kaldi nnet1 networks ("<Nnet>" ... "</Nnet>", text or binary): a chain of components, each
// "<Type> output_dim input_dim", its data, "<!EndOfComponent>". The input is a Parameter
// [T, dim] (T from --input_shape); every component maps [T, in] to [T, out]. Splice reads frame
// t + offset clamped into [0, T - 1], as nnet1 does at the edges of an utterance.
// LstmProjected (and its older name LstmProjectedStreams) runs over the T frames of one stream from
// a zero state, as nnet-forward does: a TensorIterator whose body is one step of Kaldi's LSTM with
// peepholes, cell clipping and a recurrent projection.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/kaldi/builder.hpp>
#include <moir/frontends/kaldi/reader.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/log_softmax.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/tanh.hpp>
#include <moir/ops/tensor_iterator.hpp>

#include <algorithm>   // clamp
#include <cstdint>     // int64_t
#include <functional>  // function
#include <map>         // map
#include <memory>      // make_shared
#include <string>      // string, to_string
#include <utility>     // move
#include <vector>      // vector

namespace moir::kaldi {

/// A decoded nnet1 file: its components in order.
struct nnet1_file {
    std::string source;
    std::vector<component> components;
};

/// Decodes an nnet1 file. ensures: parse_error naming the file, component and byte offset.
inline nnet1_file read_nnet1(std::string bytes, const std::string& source) {
    byte_reader r(std::move(bytes), source);
    nnet1_file f;
    f.source = source;
    r.expect("<Nnet>");
    for (;;) {
        r.skip_ws();
        const std::size_t at = r.offset();
        if (r.at_end()) r.fail("unexpected end of file: </Nnet> is missing", at);
        const std::string t = r.token();
        if (t == "</Nnet>") break;
        if (t == "<!EndOfComponent>") continue;
        if (t.size() < 3 || t.front() != '<' || t.back() != '>')
            r.fail("expected a <Component> token, found '" + byte_reader::printable(t) + "'", at);
        component c;
        c.type = t.substr(1, t.size() - 2);
        c.name = c.type + "_" + std::to_string(f.components.size());
        c.offset = at;
        const auto where = [&] { return " (in component " + std::to_string(f.components.size()) + ", <" + c.type + "> at byte " + std::to_string(at) + ")"; };
        try {
            c.output_dim = r.read_int();
            c.input_dim = r.read_int();
        } catch (const parse_error& e) {
            throw parse_error(std::string(e.what()) + where());
        }
        if (c.output_dim <= 0 || c.input_dim <= 0)
            r.fail("component " + std::to_string(f.components.size()) + " (" + c.type + "): bad dims " +
                       std::to_string(c.output_dim) + " x " + std::to_string(c.input_dim),
                   at);
        if (c.type == "Splice") {
            field v;
            v.k = field::kind::ints;
            try {
                v.ints = r.read_int_vector();  // "[ -2 -1 0 1 2 ]" in text
            } catch (const parse_error& e) {
                throw parse_error(std::string(e.what()) + where());
            }
            c.fields["0"] = std::move(v);
        }
        read_fields(r, c, {"<!EndOfComponent>", "</Nnet>"}, false);
        f.components.push_back(std::move(c));
    }
    return f;
}

/// An nnet1 component converter: the output for x ([T, input_dim]).
using nnet1_converter = std::function<output_ref(graph_writer&, output_ref x, const component&)>;

namespace nnet1 {
inline std::vector<float> values(const tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.numel()); }

inline output_ref affine(graph_writer& g, output_ref x, const component& c) {
    const tensor& w = c.array("0");
    const tensor& b = c.array("1");
    MOIR_CHECK(w.dims().size() == 2 && w.dims()[0] == c.output_dim && w.dims()[1] == c.input_dim, parse_error,
               "the weight matrix does not have the component's dims " + std::to_string(c.output_dim) + " x " +
                   std::to_string(c.input_dim));
    return g.affine(x, w, &b, c.name);
}
inline output_ref linear(graph_writer& g, output_ref x, const component& c) { return g.affine(x, c.array("0"), nullptr, c.name); }
inline output_ref add_shift(graph_writer& g, output_ref x, const component& c) {
    const tensor& s = c.array("0");
    MOIR_CHECK(static_cast<std::int64_t>(s.numel()) == c.output_dim, parse_error, "shift of " + std::to_string(s.numel()) + " values");
    return g.scale_shift(x, {}, values(s));
}
inline output_ref rescale(graph_writer& g, output_ref x, const component& c) {
    const tensor& s = c.array("0");
    MOIR_CHECK(static_cast<std::int64_t>(s.numel()) == c.output_dim, parse_error, "scale of " + std::to_string(s.numel()) + " values");
    return g.scale_shift(x, values(s), {});
}
/// Splice: for each offset o, the frames t + o clamped to [0, T - 1], appended.
inline output_ref splice(graph_writer& g, output_ref x, const component& c) {
    const auto& offs = c.ints("0");
    const std::int64_t frames = g.dims(x)[0];
    MOIR_CHECK(static_cast<std::int64_t>(offs.size()) * c.input_dim == c.output_dim, parse_error,
               std::to_string(offs.size()) + " offsets of " + std::to_string(c.input_dim) + " dims is not " +
                   std::to_string(c.output_dim));
    std::vector<output_ref> parts;
    for (auto o : offs) {
        std::vector<std::int64_t> rows;
        for (std::int64_t t = 0; t < frames; ++t) rows.push_back(std::clamp<std::int64_t>(t + o, 0, frames - 1));
        parts.push_back(o == 0 ? x : g.rows(x, rows, "offset" + std::to_string(o)));
    }
    return g.concat(parts, 1, "splice");
}
inline output_ref sigmoid(graph_writer& g, output_ref x, const component&) { return g.add<ops::sigmoid>({}, {x}, "sigmoid"); }
inline output_ref tanh(graph_writer& g, output_ref x, const component&) { return g.add<ops::tanh>({}, {x}, "tanh"); }
inline output_ref softmax(graph_writer& g, output_ref x, const component&) { return g.add<ops::softmax>({1}, {x}, "softmax"); }
inline output_ref relu(graph_writer& g, output_ref x, const component&) { return g.add<ops::relu>({}, {x}, "relu"); }
inline output_ref identity(graph_writer&, output_ref x, const component&) { return x; }

/// LstmProjected / LstmProjectedStreams: "<LstmProjected> P in <CellDim> C [<CellClip> v ...]" and
/// seven arrays: W_gifo_x [4C, in], W_gifo_r [4C, P], bias [4C], peepholes p_i, p_f, p_o [C] and
/// W_r_m [P, C]. Per frame t, from r(-1) = c(-1) = 0 (Kaldi's nnet1 LstmProjected::PropagateFnc):
///   [g i f o] = W_gifo_x x(t) + bias + W_gifo_r r(t-1)
///   i = sigmoid(i + p_i * c(t-1)), f = sigmoid(f + p_f * c(t-1)), g = tanh(g)
///   c(t) = g * i + c(t-1) * f, clamped to [-CellClip, CellClip] when CellClip > 0 (default 50)
///   o = sigmoid(o + p_o * c(t)), r(t) = W_r_m (tanh(c(t)) * o); the output is r.
/// The input product is one MatMul over all frames; the recurrence a TensorIterator over them.
inline output_ref lstm_projected(graph_writer& g, output_ref x, const component& c) {
    const std::int64_t in = c.input_dim, p = c.output_dim;
    MOIR_CHECK(c.has("CellDim"), parse_error, "component '" + c.name + "' (" + c.type + ") has no <CellDim>");
    const std::int64_t cell = c.integer("CellDim");
    MOIR_CHECK(cell > 0, parse_error, "component '" + c.name + "': <CellDim> " + std::to_string(cell) + " is not positive");
    const double clip = c.number("CellClip", 50.0);
    const auto param = [&](int k, const shape& s, const char* what) {
        const std::string key = std::to_string(k);
        MOIR_CHECK(c.has(key), parse_error, "component '" + c.name + "' (" + c.type + "): " + what + " (array " + key + ") is missing");
        const tensor& t = c.array(key);
        std::int64_t n = 1;
        std::string want;
        for (auto d : s) n *= d, want += (want.empty() ? "" : " x ") + std::to_string(d);
        MOIR_CHECK(static_cast<std::int64_t>(t.numel()) == n, parse_error,
                   "component '" + c.name + "' (" + c.type + "): " + what + " has " + std::to_string(t.numel()) +
                       " values, expected " + want + " for CellDim " + std::to_string(cell));
        return t.reshaped(s);
    };
    const tensor w_x = param(0, {4 * cell, in}, "W_gifo_x"), w_r = param(1, {4 * cell, p}, "W_gifo_r");
    const tensor bias = param(2, {4 * cell}, "the bias");
    const tensor p_i = param(3, {1, cell}, "the input-gate peephole"), p_f = param(4, {1, cell}, "the forget-gate peephole");
    const tensor p_o = param(5, {1, cell}, "the output-gate peephole"), w_rm = param(6, {p, cell}, "W_r_m");
    MOIR_CHECK(g.cols(x) == in, shape_error,
               "component '" + c.name + "': input dim " + std::to_string(g.cols(x)) + ", expected " + std::to_string(in));
    const output_ref gates = g.affine(x, w_x, &bias, c.name);  // [T, 4C]

    // the body: one frame
    auto body = std::make_shared<model>();
    body->name = g.prefix + "/step";
    graph_writer b{body.get(), g.prefix + "/step"};
    const auto param_node = [&](std::int64_t cols, const char* what) {
        const output_ref r = b.add<ops::parameter>({element_type::f32, partial_shape(std::vector<std::int64_t>{1, cols})}, {}, what);
        body->parameters.push_back(r.node);
        return r;
    };
    const output_ref gx = param_node(4 * cell, "gates_x"), r_prev = param_node(p, "r_prev"), c_prev = param_node(cell, "c_prev");
    const output_ref pre = b.add<ops::add>({}, {gx, b.add<ops::matmul>({false, true}, {r_prev, b.constant(w_r, "W_gifo_r")}, "recurrent")}, "gates");
    const auto gate = [&](std::int64_t k, const char* what) { return b.slice(pre, k * cell, (k + 1) * cell, 1, what); };
    const auto peep = [&](output_ref v, output_ref cc, const tensor& w, const char* what) {
        return b.add<ops::add>({}, {v, b.add<ops::multiply>({}, {cc, b.constant(w, std::string(what) + "_peephole")}, std::string(what) + "_peep")},
                               std::string(what) + "_in");
    };
    const output_ref gi = b.add<ops::sigmoid>({}, {peep(gate(1, "i_pre"), c_prev, p_i, "i")}, "i");
    const output_ref gf = b.add<ops::sigmoid>({}, {peep(gate(2, "f_pre"), c_prev, p_f, "f")}, "f");
    const output_ref gg = b.add<ops::tanh>({}, {gate(0, "g_pre")}, "g");
    output_ref cc = b.add<ops::add>({}, {b.add<ops::multiply>({}, {gg, gi}, "g_i"), b.add<ops::multiply>({}, {c_prev, gf}, "c_f")}, "c");
    if (clip > 0) cc = b.add<ops::clamp>({-clip, clip}, {cc}, "c_clip");
    const output_ref go = b.add<ops::sigmoid>({}, {peep(gate(3, "o_pre"), cc, p_o, "o")}, "o");
    const output_ref mm = b.add<ops::multiply>({}, {b.add<ops::tanh>({}, {cc}, "h"), go}, "m");
    const output_ref rr = b.add<ops::matmul>({false, true}, {mm, b.constant(w_rm, "W_r_m")}, "r");
    for (const output_ref& res : {rr, cc}) {
        const node_id id = body->add<ops::result>({}, {res}, body->at(res.node).name + "/result");
        body->infer_node(id);
        body->results.push_back(id);
    }
    body->validate();

    ops::loop_ports a;
    a.input_external = {0, 1, 2};
    a.input_axis = {0, -1, -1};
    a.input_stride = {1, 1, 1};
    a.input_back_edge = {-1, 0, 1};
    a.output_result = {0};
    a.output_axis = {0};
    a.output_stride = {1};
    node n;
    n.op = &info_of<ops::tensor_iterator>();
    n.attrs = std::move(a);
    n.name = g.prefix + "/lstm";
    n.inputs = {gates, g.constant(tensor(element_type::f32, {1, p}), "r0"), g.constant(tensor(element_type::f32, {1, cell}), "c0")};
    n.bodies = {body};
    const node_id id = g.m->add_node(std::move(n));
    g.m->infer_node(id);
    return {id, 0};
}
}  // namespace nnet1

/// The nnet1 component table moir ships (add a component: a function in nnet1:: and a line here).
inline const std::map<std::string, nnet1_converter>& nnet1_components() {
    static const std::map<std::string, nnet1_converter> t{
        {"AffineTransform", nnet1::affine},   {"LinearTransform", nnet1::linear}, {"AddShift", nnet1::add_shift},
        {"Rescale", nnet1::rescale},          {"Splice", nnet1::splice},          {"Sigmoid", nnet1::sigmoid},
        {"Tanh", nnet1::tanh},                {"Softmax", nnet1::softmax},        {"RectifiedLinear", nnet1::relu},
        {"Dropout", nnet1::identity},         {"LstmProjected", nnet1::lstm_projected},
        {"LstmProjectedStreams", nnet1::lstm_projected},
    };
    return t;
}

}  // namespace moir::kaldi

#endif  // MOIR_FRONTENDS_KALDI_NNET1_HPP
