#ifndef MOIR_FRONTENDS_KALDI_KALDI_HPP
#define MOIR_FRONTENDS_KALDI_KALDI_HPP

// The Kaldi frontend: moir::kaldi::load(path) reads an nnet3 network (raw "<Nnet3>" or an acoustic
// model with its transition model, nnet3.hpp) or an nnet1 network ("<Nnet>", nnet1.hpp), text or
// binary, over a fixed number of frames T (--input_shape [T,dim]), and returns a moir::model whose
// inputs are [T, dim] and whose outputs are [frames, dim] (docs/kaldi.md). The Model Optimizer's
// Kaldi flags: --counts FILE (subtract the log priors of a Kaldi counts vector from each output,
// after a Log when the output is a Softmax, as MO does for acoustic models) and
// --remove_output_softmax (an output read straight from a Softmax/LogSoftmax reads its input).
// Opt-in: not included by <moir/moir.hpp>.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/kaldi/builder.hpp>
#include <moir/frontends/kaldi/nnet1.hpp>
#include <moir/frontends/kaldi/nnet3.hpp>
#include <moir/frontends/kaldi/reader.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/subtract.hpp>

#include <array>        // array
#include <cmath>        // log
#include <limits>       // numeric_limits
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::kaldi {

/// How to read a Kaldi model: the common options plus MO's two Kaldi flags (also read from
/// framework_options "counts" and "remove_output_softmax").
struct load_options : frontends::load_options {
    std::string counts;                  ///< --counts: a Kaldi vector of class counts ("" = none)
    bool remove_output_softmax = false;  ///< --remove_output_softmax
};

/// The log priors MO subtracts for --counts: counts floored at 1.00000001e-10, normalized, logged;
/// floored entries get FLT_MAX / 2 added (so that their outputs become very unlikely).
inline std::vector<float> log_priors(const std::string& counts_file) {
    std::string bytes;
    try {
        bytes = read_file_bytes(counts_file);
    } catch (const error& e) {
        throw error(std::string("--counts: ") + e.what());
    }
    byte_reader r(std::move(bytes), counts_file);
    const tensor t = r.read_array(false);
    std::vector<double> c(t.data<float>(), t.data<float>() + t.numel());
    MOIR_CHECK(!c.empty(), parse_error, counts_file + ": the counts vector is empty");
    const double cutoff = 1.00000001e-10;
    std::vector<bool> cut(c.size());
    double sum = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
        cut[i] = c[i] < cutoff;
        if (cut[i]) c[i] = cutoff;
        sum += c[i];
    }
    std::vector<float> out(c.size());
    for (std::size_t i = 0; i < c.size(); ++i)
        out[i] = static_cast<float>(std::log(c[i] / sum) + (cut[i] ? std::numeric_limits<float>::max() / 2.0 : 0.0));
    return out;
}

namespace detail {
inline std::string file_stem(const std::string& path) {
    auto p = path.find_last_of('/');
    std::string f = p == std::string::npos ? path : path.substr(p + 1);
    const auto d = f.find_last_of('.');
    return d == std::string::npos || d == 0 ? f : f.substr(0, d);
}

/// Subtracts the log priors from every Result with as many columns as counts (through a Log when
/// it reads a Softmax). ensures: shape_error when no output has that many columns.
inline void apply_counts(model& m, const std::string& source, const std::string& counts_file) {
    const std::vector<float> priors = log_priors(counts_file);
    std::string dims;
    std::size_t applied = 0;
    for (node_id r : m.results) {
        const output_ref y = m.input_of(r, 0);
        const auto& s = m.port(y).shape;
        dims += (dims.empty() ? "" : ", ") + m.at(r).name + " " + s.str();
        if (s.rank_dynamic || s.rank() != 2 || s.dims[1] != static_cast<std::int64_t>(priors.size())) continue;
        ++applied;
        graph_writer g{&m, m.at(r).name};
        output_ref x = y;
        if (m.at(y.node).is<ops::softmax>()) x = g.add<ops::log>({}, {x}, "log");
        const output_ref z = g.add<ops::subtract>({}, {x, g.constant(tensor::from_vector(priors), "log_priors")}, "minus_log_priors");
        // the Result reads z; its tensor name moves with it
        auto& names = m.at(y.node).outputs.at(y.port).names;
        m.at(z.node).outputs.at(0).names = names;
        names.clear();
        m.at(r).inputs[0] = z;
    }
    MOIR_CHECK(applied > 0, shape_error,
               source + ": --counts gives " + std::to_string(priors.size()) + " counts, no output has that many columns (" + dims + ")");
}

inline load_options with_flags(load_options o) {
    if (o.counts.empty()) o.counts = o.option("counts");
    const std::string rm = o.option("remove_output_softmax");
    if (rm == "true" || rm == "True" || rm == "1") o.remove_output_softmax = true;
    return o;
}
}  // namespace detail

/// Converts a decoded nnet3 file. ensures: a validated model (inputs [T, dim], one Result per
/// output-node over the frames at which it is computable); unsupported component types are listed
/// at once with counts (moir::unsupported_error); errors name the file, node and component.
template <class = void>
model convert(const nnet3_file& f, const load_options& opt_in = {}) {
    const load_options opt = detail::with_flags(opt_in);
    model m;
    m.name = detail::file_stem(f.source);
    frontends::graph_builder b(m, f.source, opt);
    detail::nnet3_converter c(f, m, b, opt.remove_output_softmax);
    c.unsupported().check(f.source, "Kaldi nnet3");
    c.add_inputs();
    b.finish_parameters();
    c.add_outputs();
    MOIR_CHECK(!m.results.empty(), parse_error, f.source + ": the network has no output-node");
    if (!opt.counts.empty()) detail::apply_counts(m, f.source, opt.counts);
    b.finish();
    return m;
}

/// Converts a decoded nnet1 file (see nnet1.hpp). ensures: as convert(nnet3_file).
template <class = void>
model convert(const nnet1_file& f, const load_options& opt_in = {}) {
    const load_options opt = detail::with_flags(opt_in);
    MOIR_CHECK(!f.components.empty(), parse_error, f.source + ": the network has no components");
    frontends::unsupported_ops u;
    for (const auto& c : f.components)
        if (!nnet1_components().count(c.type)) u.add(c.type);
    u.check(f.source, "Kaldi nnet1");
    model m;
    m.name = detail::file_stem(f.source);
    frontends::graph_builder b(m, f.source, opt);
    const std::int64_t in_dim = f.components.front().input_dim;
    output_ref x = b.add_parameter("input", element_type::f32, partial_shape({dynamic_dim, in_dim}));
    b.finish_parameters();
    const auto& s = m.port(x).shape;
    MOIR_CHECK(!s.rank_dynamic && s.rank() == 2 && s.dims[0] > 0, shape_error,
               f.source + ": input 'input' is [frames, " + std::to_string(in_dim) +
                   "]: give the number of frames with --input_shape, e.g. [100," + std::to_string(in_dim) + "]");
    std::size_t last = f.components.size();
    if (opt.remove_output_softmax && f.components.back().type == "Softmax") --last;
    for (std::size_t i = 0; i < last; ++i) {
        const component& c = f.components[i];
        const std::string where = f.source + ": component " + std::to_string(i) + " (" + c.type + ", byte " + std::to_string(c.offset) + ")";
        try {
            graph_writer g{&m, c.name};
            MOIR_CHECK(m.port(x).shape.dims[1] == c.input_dim, shape_error,
                       "input dim " + std::to_string(c.input_dim) + ", the previous component gives " +
                           std::to_string(m.port(x).shape.dims[1]));
            x = nnet1_components().at(c.type)(g, x, c);
            MOIR_CHECK(m.port(x).shape.dims[1] == c.output_dim, shape_error,
                       "output dim " + std::to_string(c.output_dim) + ", computed " + std::to_string(m.port(x).shape.dims[1]));
        } catch (const shape_error& e) {
            throw shape_error(where + ": " + e.what());
        } catch (const parse_error& e) {
            throw parse_error(where + ": " + e.what());
        } catch (const std::exception& e) {
            throw error(where + ": " + e.what());
        }
    }
    b.bind("output", x);
    b.add_result("output");
    if (!opt.counts.empty()) detail::apply_counts(m, f.source, opt.counts);
    b.finish();
    return m;
}

/// Which Kaldi network a file holds, from its first bytes: "nnet3", "nnet1" or "".
inline std::string kind_of(std::string_view head) {
    if (head.size() >= 2 && head[0] == '\0' && head[1] == 'B') head.remove_prefix(2);
    while (!head.empty() && (head[0] == ' ' || head[0] == '\n' || head[0] == '\t' || head[0] == '\r')) head.remove_prefix(1);
    if (head.rfind("<Nnet3>", 0) == 0 || head.rfind("<TransitionModel>", 0) == 0) return "nnet3";
    if (head.rfind("<Nnet>", 0) == 0) return "nnet1";
    return {};
}

namespace detail {
inline std::string count_of_bytes(std::size_t n) { return std::to_string(n) + (n == 1 ? " byte" : " bytes"); }
}  // namespace detail

/// Reads and converts a Kaldi nnet1 or nnet3 file. ensures: as convert(); parse errors name the
/// file, the component and the byte offset; nothing is returned for a file that fails.
template <class = void>
model load(const std::string& path, const load_options& opt = {}) {
    std::string bytes = read_file_bytes(path);
    const std::string kind = kind_of(std::string_view(bytes).substr(0, 64));
    MOIR_CHECK(!kind.empty(), parse_error,
               path + ": byte 0: not a Kaldi nnet1 or nnet3 network (no <Nnet>, <Nnet3> or <TransitionModel> at the start" +
                   (bytes.size() < 8 ? ", the file has " + detail::count_of_bytes(bytes.size()) : std::string()) + ")");
    if (kind == "nnet3") return convert(read_nnet3(std::move(bytes), path), opt);
    return convert(read_nnet1(std::move(bytes), path), opt);
}

/// The Kaldi frontend (frontends/registry.hpp): `moir convert -m final.raw --input_shape [T,dim]`.
struct frontend {
    static constexpr const char* name = "kaldi";
    static constexpr std::array<const char*, 3> extensions{".nnet", ".mdl", ".raw"};
    /// A file starting (after an optional binary "\0B" marker) with <Nnet3>, <TransitionModel> or <Nnet>.
    static bool recognizes(const std::string&, std::string_view head) { return !kind_of(head).empty(); }
    template <class = void>  // a template so that moir::compiled can compile it once (see below)
    static model load(const frontends::load_request& r) {
        load_options o;
        static_cast<frontends::load_options&>(o) = r.options;
        return kaldi::load(r.input_model, o);
    }
};


// Compiled once in moir::compiled, declared extern elsewhere (see MOIR_DETAIL_FRONTEND_EXTERN).
#if defined(MOIR_DETAIL_FRONTEND_EXTERN)
MOIR_DETAIL_FRONTEND_EXTERN template model frontend::load<void>(const frontends::load_request&);
MOIR_DETAIL_FRONTEND_EXTERN template model load<void>(const std::string&, const load_options&);
#endif

}  // namespace moir::kaldi

#endif  // MOIR_FRONTENDS_KALDI_KALDI_HPP
