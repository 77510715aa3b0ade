#ifndef MOIR_FRONTENDS_KALDI_NNET1_HPP
#define MOIR_FRONTENDS_KALDI_NNET1_HPP

// Kaldi nnet1 networks ("<Nnet>" ... "</Nnet>", text or binary): a chain of components, each
// "<Type> output_dim input_dim", its data, "<!EndOfComponent>". The input is a Parameter
// [T, dim] (T from --input_shape); every component maps [T, in] to [T, out]. Splice reads frame
// t + offset clamped into [0, T - 1], as nnet1 does at the edges of an utterance.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/kaldi/builder.hpp>
#include <moir/frontends/kaldi/reader.hpp>
#include <moir/ops/log_softmax.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/tanh.hpp>

#include <algorithm>   // clamp
#include <cstdint>     // int64_t
#include <functional>  // function
#include <map>         // map
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
}  // namespace nnet1

/// The nnet1 component table moir ships (add a component: a function in nnet1:: and a line here).
inline const std::map<std::string, nnet1_converter>& nnet1_components() {
    static const std::map<std::string, nnet1_converter> t{
        {"AffineTransform", nnet1::affine},   {"LinearTransform", nnet1::linear}, {"AddShift", nnet1::add_shift},
        {"Rescale", nnet1::rescale},          {"Splice", nnet1::splice},          {"Sigmoid", nnet1::sigmoid},
        {"Tanh", nnet1::tanh},                {"Softmax", nnet1::softmax},        {"RectifiedLinear", nnet1::relu},
        {"Dropout", nnet1::identity},
    };
    return t;
}

}  // namespace moir::kaldi

#endif  // MOIR_FRONTENDS_KALDI_NNET1_HPP
