#ifndef MOIR_FRONTENDS_KALDI_NNET3_HPP
#define MOIR_FRONTENDS_KALDI_NNET3_HPP

// Kaldi nnet3 networks (raw "<Nnet3>" models, and acoustic models whose "<TransitionModel>" header
// is skipped), text or binary: the config section (input-node, component-node, output-node,
// dim-range-node with their descriptors) and the components.
//
// Time becomes an axis. Every input-node is a Parameter [T, dim]: frames 0..T-1, T given by
// --input_shape. Every node's value is a [frames, dim] matrix over the frames at which nnet3 can
// compute it (a component-node where its descriptor is computable; Offset(x, k) at t reads x at
// t + k, Append and Sum need all their parts, IfDefined reads zeros where its input is missing,
// Round(x, m) reads x at m*floor(t/m), ReplaceIndex(x, t, c) reads x at c). Descriptors become
// shifted slices of their source's rows (Gather where the rows are not consecutive). The
// statistics components follow Kaldi: StatisticsExtraction at t sums [1, x, x^2] over its input
// frames in [t, t + output_period), StatisticsPooling pools the extraction outputs in
// [t - left_context, t + right_context] that exist (mean, and stddev sqrt(max(E[x^2] - mean^2,
// floor)), log-count features) and is computed at t = 0, the frame nnet3-xvector-compute asks for.
// An output-node's Result holds the output at each frame where it is computable.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/kaldi/builder.hpp>
#include <moir/frontends/kaldi/components.hpp>
#include <moir/frontends/kaldi/reader.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/subtract.hpp>

#include <algorithm>  // find, sort, unique, set_intersection
#include <cctype>     // isspace, isdigit
#include <iterator>   // back_inserter
#include <cstdint>    // int64_t
#include <map>        // map
#include <optional>   // optional
#include <set>        // set
#include <string>     // string, to_string
#include <utility>    // move
#include <vector>     // vector

namespace moir::kaldi {

/// An nnet3 descriptor (nnet-descriptor.h): a node name, or a function of descriptors.
struct descriptor {
    enum class kind { node, offset, append, sum, round, replace_index, if_defined, scale, constant } k = kind::node;
    std::string node;             ///< kind::node
    std::int64_t n = 0;           ///< offset t, round modulus, replace_index value, constant dim
    double value = 0;             ///< scale factor, constant value
    std::vector<descriptor> args;
};

namespace detail {
struct descriptor_parser {
    static constexpr int max_depth = 100;  ///< nesting limit: the parser (and the converter) recurse
    /// magnitude limit of an integer (offset, modulus, index, dim): frame arithmetic stays in range,
    /// and a Round's or Const's size cannot ask for more than about 2^20 frames or columns
    static constexpr std::int64_t max_integer = std::int64_t{1} << 20;
    const std::string& s;
    std::size_t p = 0;
    int depth = 0;

    [[noreturn]] void fail(const std::string& why) const {
        const std::string shown = s.size() > 200 ? s.substr(0, 200) + "..." : s;
        throw parse_error("descriptor '" + shown + "': " + why + " at character " + std::to_string(p));
    }
    void ws() {
        while (p < s.size() && std::isspace(static_cast<unsigned char>(s[p]))) ++p;
    }
    std::string word() {
        ws();
        const std::size_t b = p;
        while (p < s.size() && !std::isspace(static_cast<unsigned char>(s[p])) && s[p] != '(' && s[p] != ')' && s[p] != ',') ++p;
        if (b == p) fail("a name was expected");
        return s.substr(b, p - b);
    }
    void expect(char c) {
        ws();
        if (p >= s.size() || s[p] != c) fail(std::string("'") + c + "' was expected");
        ++p;
    }
    bool accept(char c) {
        ws();
        if (p < s.size() && s[p] == c) return ++p, true;
        return false;
    }
    std::int64_t integer() {
        const std::string w = word();
        try {
            std::size_t used = 0;
            const long long v = std::stoll(w, &used);
            if (used == w.size() && v >= -max_integer && v <= max_integer) return v;
        } catch (const std::exception&) {
        }
        fail("'" + w.substr(0, 40) + "' is not an integer of at most 2^20 in magnitude");
    }
    double number() {
        const std::string w = word();
        try {
            std::size_t used = 0;
            const double v = std::stod(w, &used);
            if (used == w.size()) return v;
        } catch (const std::exception&) {
        }
        fail("'" + w + "' is not a number");
    }
    descriptor parse() {
        if (depth >= max_depth) fail("nested more than " + std::to_string(max_depth) + " deep");
        ++depth;
        descriptor d = parse_call();
        --depth;
        return d;
    }
    descriptor parse_call() {
        const std::string w = word();
        descriptor d;
        ws();
        const bool call = p < s.size() && s[p] == '(';
        if (!call) {
            d.node = w;
            return d;
        }
        ++p;
        if (w == "Append" || w == "Sum") {
            d.k = w == "Append" ? descriptor::kind::append : descriptor::kind::sum;
            do d.args.push_back(parse());
            while (accept(','));
            if (d.k == descriptor::kind::sum && d.args.size() != 2) fail("Sum takes 2 descriptors");
        } else if (w == "Offset") {
            d.k = descriptor::kind::offset;
            d.args.push_back(parse());
            expect(',');
            d.n = integer();
            if (accept(',')) integer();  // the x offset, 0 in practice
        } else if (w == "Round") {
            d.k = descriptor::kind::round;
            d.args.push_back(parse());
            expect(',');
            d.n = integer();
            if (d.n <= 0) fail("Round needs a positive modulus");
        } else if (w == "ReplaceIndex") {
            d.k = descriptor::kind::replace_index;
            d.args.push_back(parse());
            expect(',');
            if (word() != "t") fail("ReplaceIndex on an index other than t is not supported");
            expect(',');
            d.n = integer();
        } else if (w == "IfDefined") {
            d.k = descriptor::kind::if_defined;
            d.args.push_back(parse());
        } else if (w == "Scale") {
            d.k = descriptor::kind::scale;
            d.value = number();
            expect(',');
            d.args.push_back(parse());
        } else if (w == "Const") {
            d.k = descriptor::kind::constant;
            d.value = number();
            expect(',');
            d.n = integer();
        } else {
            fail("unsupported descriptor " + w);
        }
        expect(')');
        return d;
    }
};
}  // namespace detail

/// Parses a descriptor ("Append(Offset(input, -2), input)"). ensures: parse_error naming it.
inline descriptor parse_descriptor(const std::string& text) {
    detail::descriptor_parser ps{text};
    descriptor d = ps.parse();
    ps.ws();
    if (ps.p != text.size()) ps.fail("unexpected text");
    return d;
}

/// One line of the config section.
struct config_node {
    std::string kind;  ///< input-node, component-node, output-node, dim-range-node
    std::string name, component, input_node;
    std::int64_t dim = 0, dim_offset = 0;
    descriptor input;
    std::string input_text;
};

/// A decoded nnet3 file.
struct nnet3_file {
    std::string source;
    std::vector<config_node> nodes;
    std::map<std::string, component> components;
};

namespace detail {
/// Splits "key=value key2=Append(a, b)" into pairs (values may hold spaces inside parentheses).
inline std::map<std::string, std::string> config_pairs(const std::string& line, std::size_t from) {
    std::map<std::string, std::string> kv;
    std::size_t p = from;
    while (p < line.size()) {
        while (p < line.size() && std::isspace(static_cast<unsigned char>(line[p]))) ++p;
        if (p >= line.size()) break;
        const std::size_t eq = line.find('=', p);
        if (eq == std::string::npos) throw parse_error("'" + line.substr(p) + "' is not key=value");
        const std::string key = line.substr(p, eq - p);
        p = eq + 1;
        const std::size_t b = p;
        int depth = 0;
        while (p < line.size() && (depth > 0 || !std::isspace(static_cast<unsigned char>(line[p])))) {
            if (line[p] == '(') ++depth;
            if (line[p] == ')') --depth;
            ++p;
        }
        kv[key] = line.substr(b, p - b);
    }
    return kv;
}

inline config_node parse_config_line(const std::string& line) {
    config_node n;
    std::size_t p = 0;
    while (p < line.size() && !std::isspace(static_cast<unsigned char>(line[p]))) ++p;
    n.kind = line.substr(0, p);
    auto kv = config_pairs(line, p);
    const auto get = [&](const char* k, bool required) {
        const auto it = kv.find(k);
        if (it == kv.end()) {
            if (required) throw parse_error(n.kind + " has no " + k + "=");
            return std::string();
        }
        return it->second;
    };
    n.name = get("name", true);
    const auto as_int = [&](const std::string& v, const char* what) {
        try {
            return static_cast<std::int64_t>(std::stoll(v));
        } catch (const std::exception&) {
            throw parse_error(n.kind + " '" + n.name + "': " + what + "='" + v + "' is not an integer");
        }
    };
    if (n.kind == "input-node") {
        n.dim = as_int(get("dim", true), "dim");
        MOIR_CHECK(n.dim > 0, parse_error, "input-node '" + n.name + "': dim must be positive");
    } else if (n.kind == "component-node" || n.kind == "output-node") {
        if (n.kind == "component-node") n.component = get("component", true);
        n.input_text = get("input", true);
        n.input = parse_descriptor(n.input_text);
    } else if (n.kind == "dim-range-node") {
        n.input_node = get("input-node", true);
        n.dim = as_int(get("dim", true), "dim");
        n.dim_offset = as_int(get("dim-offset", true), "dim-offset");
    } else {
        throw parse_error("unknown config line kind '" + n.kind + "'");
    }
    return n;
}
}  // namespace detail

/// Decodes an nnet3 file (text or binary; an acoustic model's transition model is skipped).
/// ensures: parse_error naming the file, the component and the byte offset on malformed input.
inline nnet3_file read_nnet3(std::string bytes, const std::string& source) {
    byte_reader r(std::move(bytes), source);
    nnet3_file f;
    f.source = source;
    std::string t = r.peek_token();
    if (t == "<TransitionModel>") {
        const std::size_t e = r.data().find("</TransitionModel>", r.offset());
        if (e == std::string::npos) r.fail("the <TransitionModel> is not closed");
        r.seek(e + 18);
    }
    r.expect("<Nnet3>");
    r.line();  // the end of the <Nnet3> line
    for (;;) {
        const std::size_t at = r.offset();
        const std::string ln = r.line();
        if (ln.find_first_not_of(" \t\r") == std::string::npos) break;
        try {
            f.nodes.push_back(detail::parse_config_line(ln));
        } catch (const parse_error& e) {
            r.fail(std::string("config line '") + ln + "': " + e.what(), at);
        }
    }
    r.expect("<NumComponents>");
    const std::size_t count_at = r.offset();
    const std::int64_t n = r.read_int();
    if (n < 0 || n > 1000000) r.fail("bad component count " + std::to_string(n), count_at);
    for (std::int64_t i = 0; i < n; ++i) {
        r.expect("<ComponentName>");
        component c;
        c.name = r.token();
        r.skip_ws();
        c.offset = r.offset();
        const std::string type = r.token();
        if (type.size() < 3 || type.front() != '<' || type.back() != '>')
            r.fail("component '" + c.name + "': expected a <ComponentType>, found '" + byte_reader::printable(type) + "'", c.offset);
        c.type = type.substr(1, type.size() - 2);
        read_fields(r, c, {"</" + c.type + ">"});
        const std::string nm = c.name;
        f.components[nm] = std::move(c);
    }
    r.expect("</Nnet3>");
    return f;
}

/// The nnet3 component table moir ships.
inline const component_table& default_components() {
    static const component_table t = [] {
        component_table x;
        register_components(x);
        return x;
    }();
    return t;
}

namespace detail {

inline std::int64_t floor_div(std::int64_t a, std::int64_t m) { return a >= 0 ? a / m : -((-a + m - 1) / m); }

/// The conversion of one nnet3 file into a model, frame by frame (see the top of this file).
class nnet3_converter {
public:
    nnet3_converter(const nnet3_file& f, model& m, frontends::graph_builder& b, bool remove_softmax)
        : f_(f), m_(m), b_(b), remove_softmax_(remove_softmax) {
        for (std::size_t i = 0; i < f.nodes.size(); ++i) index_[f.nodes[i].name] = i;
    }

    /// Lists the component types (of component-nodes) the table has no converter for.
    frontends::unsupported_ops unsupported() const {
        frontends::unsupported_ops u;
        for (const auto& n : f_.nodes) {
            if (n.kind != "component-node") continue;
            const auto it = f_.components.find(n.component);
            if (it == f_.components.end()) continue;  // reported when converted
            const std::string& t = it->second.type;
            if (!default_components().count(t) && t != "StatisticsExtractionComponent" &&
                t != "StatisticsPoolingComponent" && t != "TdnnComponent")
                u.add(t);
        }
        return u;
    }

    void add_inputs() {
        for (const auto& n : f_.nodes) {
            if (n.kind != "input-node") continue;
            const output_ref p = b_.add_parameter(n.name, element_type::f32, partial_shape({dynamic_dim, n.dim}));
            const auto& s = m_.port(p).shape;
            MOIR_CHECK(!s.rank_dynamic && s.rank() == 2 && s.dims[0] > 0 && s.dims[1] == n.dim, shape_error,
                       f_.source + ": input '" + n.name + "' is [frames, " + std::to_string(n.dim) +
                           "]: give the number of frames with --input_shape, e.g. [200," + std::to_string(n.dim) + "]");
            value v;
            v.out = p;
            for (std::int64_t t = 0; t < s.dims[0]; ++t) v.frames.push_back(t);
            v.dim = n.dim;
            if (frames_.empty()) frames_ = v.frames;
            values_[n.name] = std::move(v);
        }
    }

    void add_outputs() {
        for (const auto& n : f_.nodes) {
            if (n.kind != "output-node") continue;
            descriptor d = n.input;
            std::string name = n.name;
            if (remove_softmax_ && d.k == descriptor::kind::node) {
                const config_node* src = find(d.node);
                if (src && src->kind == "component-node") {
                    const auto it = f_.components.find(src->component);
                    if (it != f_.components.end() &&
                        (it->second.type == "SoftmaxComponent" || it->second.type == "LogSoftmaxComponent"))
                        d = src->input;
                }
            }
            output_ref out;
            std::vector<std::int64_t> frames;
            guard(n, [&] {
                frames = resolve(avail(d));
                MOIR_CHECK(!frames.empty(), error, "computable at no frame of the " + std::to_string(frames_.size()) + " input frames");
                graph_writer g{&m_, n.name};
                out = eval(g, d, frames);
            });
            output_frames[name] = frames;
            b_.bind(name, out);
            b_.add_result(name);
        }
    }

    /// The frames of each output's rows.
    std::map<std::string, std::vector<std::int64_t>> output_frames;

private:
    struct value {
        output_ref out;
        std::vector<std::int64_t> frames;  ///< sorted; row i is frame frames[i]
        std::int64_t dim = 0;
    };
    /// Frames at which a descriptor is computable: every frame, or a sorted list.
    struct availability {
        bool every = false;
        std::vector<std::int64_t> frames;
    };

    const config_node* find(const std::string& name) const {
        const auto it = index_.find(name);
        return it == index_.end() ? nullptr : &f_.nodes[it->second];
    }

    template <class Fn>
    void guard(const config_node& n, Fn fn) {
        try {
            fn();
        } catch (const std::exception& e) {
            const std::string what = e.what();
            if (what.rfind(f_.source + ": ", 0) == 0) throw;  // an inner node's error, already located
            std::string where = f_.source + ": " + n.kind + " '" + n.name + "'";
            if (!n.component.empty()) {
                const auto it = f_.components.find(n.component);
                where += " (component '" + n.component + "'" + (it != f_.components.end() ? ", " + it->second.type : "") + ")";
            }
            if (dynamic_cast<const unsupported_error*>(&e)) throw unsupported_error(where + ": " + what);
            if (dynamic_cast<const shape_error*>(&e)) throw shape_error(where + ": " + what);
            if (dynamic_cast<const parse_error*>(&e)) throw parse_error(where + ": " + what);
            throw error(where + ": " + what);
        }
    }

    std::vector<std::int64_t> resolve(const availability& a) const { return a.every ? frames_ : a.frames; }

    static std::vector<std::int64_t> intersect(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
        std::vector<std::int64_t> r;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(r));
        return r;
    }

    availability avail(const descriptor& d) {
        availability a;
        switch (d.k) {
            case descriptor::kind::node: a.frames = node_value(d.node).frames; break;
            case descriptor::kind::offset: {
                a = avail(d.args[0]);
                for (auto& t : a.frames) t -= d.n;
                break;
            }
            case descriptor::kind::append:
            case descriptor::kind::sum: {
                a.every = true;
                for (const auto& x : d.args) {
                    availability y = avail(x);
                    if (y.every) continue;
                    a.frames = a.every ? y.frames : intersect(a.frames, y.frames);
                    a.every = false;
                }
                break;
            }
            case descriptor::kind::round: {
                availability y = avail(d.args[0]);
                if (y.every) return y;
                for (auto t : y.frames)
                    if (floor_div(t, d.n) * d.n == t)
                        for (std::int64_t k = 0; k < d.n; ++k) a.frames.push_back(t + k);
                std::sort(a.frames.begin(), a.frames.end());
                break;
            }
            case descriptor::kind::replace_index: {
                availability y = avail(d.args[0]);
                a.every = y.every || std::binary_search(y.frames.begin(), y.frames.end(), d.n);
                break;
            }
            case descriptor::kind::if_defined:
                avail(d.args[0]);  // converts what it reads
                a.every = true;
                break;
            case descriptor::kind::scale: a = avail(d.args[0]); break;
            case descriptor::kind::constant: a.every = true; break;
        }
        return a;
    }

    std::int64_t dim_of(const descriptor& d) {
        switch (d.k) {
            case descriptor::kind::node: return node_value(d.node).dim;
            case descriptor::kind::append: {
                std::int64_t s = 0;
                for (const auto& x : d.args) s += dim_of(x);
                return s;
            }
            case descriptor::kind::constant: return d.n;
            default: return dim_of(d.args[0]);
        }
    }

    /// The descriptor's value at `frames` (each computable), as [frames.size(), dim].
    output_ref eval(graph_writer& g, const descriptor& d, const std::vector<std::int64_t>& frames) {
        const std::int64_t n = static_cast<std::int64_t>(frames.size());
        switch (d.k) {
            case descriptor::kind::append: {
                std::vector<output_ref> parts;
                for (const auto& x : d.args) parts.push_back(eval(g, x, frames));
                return g.concat(parts, 1, "append");
            }
            case descriptor::kind::sum: {
                const output_ref a = eval(g, d.args[0], frames), b = eval(g, d.args[1], frames);
                MOIR_CHECK(g.cols(a) == g.cols(b), shape_error,
                           "Sum of dims " + std::to_string(g.cols(a)) + " and " + std::to_string(g.cols(b)));
                return g.add<ops::add>({}, {a, b}, "sum");
            }
            case descriptor::kind::scale: {
                const output_ref a = eval(g, d.args[0], frames);
                return g.add<ops::multiply>({}, {a, g.constant(tensor::scalar(static_cast<float>(d.value)), "scale_factor")}, "scale");
            }
            case descriptor::kind::constant: {
                tensor c(element_type::f32, shape{n, d.n});
                for (std::size_t i = 0; i < c.numel(); ++i) c.data<float>()[i] = static_cast<float>(d.value);
                return g.constant(c, "const");
            }
            default: break;
        }
        // a chain of Offset / Round / ReplaceIndex / IfDefined over one node: each output frame reads
        // one row of the node (or zeros under IfDefined)
        bool if_defined = false;
        const descriptor* leaf = &d;
        while (leaf->k != descriptor::kind::node) {
            if (leaf->k == descriptor::kind::if_defined) if_defined = true;
            leaf = &leaf->args[0];
        }
        const value& src = node_value(leaf->node);
        std::vector<std::int64_t> rows;
        bool missing = false;
        for (std::int64_t t : frames) {
            std::int64_t s = t;
            for (const descriptor* x = &d; x->k != descriptor::kind::node; x = &x->args[0]) {
                if (x->k == descriptor::kind::offset) s += x->n;
                if (x->k == descriptor::kind::round) s = floor_div(s, x->n) * x->n;
                if (x->k == descriptor::kind::replace_index) s = x->n;
            }
            const auto it = std::lower_bound(src.frames.begin(), src.frames.end(), s);
            if (it == src.frames.end() || *it != s) {
                MOIR_CHECK(if_defined, error, "reads '" + leaf->node + "' at frame " + std::to_string(s) + ", where it is not computable");
                rows.push_back(static_cast<std::int64_t>(src.frames.size()));
                missing = true;
            } else {
                rows.push_back(it - src.frames.begin());
            }
        }
        const std::int64_t have = static_cast<std::int64_t>(src.frames.size());
        if (!missing) {
            bool consecutive = true;
            for (std::size_t i = 1; i < rows.size(); ++i) consecutive = consecutive && rows[i] == rows[i - 1] + 1;
            if (consecutive && !rows.empty()) {
                if (rows.front() == 0 && n == have) return src.out;
                return g.slice(src.out, rows.front(), rows.front() + n, 0, "frames");
            }
            return g.rows(src.out, rows, "frames");
        }
        tensor zero(element_type::f32, shape{1, src.dim});
        const output_ref padded = g.concat({src.out, g.constant(zero, "undefined_row")}, 0, "if_defined");
        return g.rows(padded, rows, "frames");
    }

    const value& node_value(const std::string& name) {
        const auto done = values_.find(name);
        if (done != values_.end()) return done->second;
        const config_node* n = find(name);
        MOIR_CHECK(n, parse_error, f_.source + ": a descriptor reads '" + name + "', which is no node of the network");
        MOIR_CHECK(n->kind != "output-node", parse_error, f_.source + ": a descriptor reads output-node '" + name + "'");
        MOIR_CHECK(!busy_.count(name), parse_error, f_.source + ": node '" + name + "' depends on itself (recurrent networks are not supported)");
        busy_.insert(name);
        value v;
        guard(*n, [&] { v = convert_node(*n); });
        busy_.erase(name);
        return values_[name] = std::move(v);
    }

    value convert_node(const config_node& n) {
        graph_writer g{&m_, n.name};
        value v;
        if (n.kind == "dim-range-node") {
            const value& src = node_value(n.input_node);
            MOIR_CHECK(n.dim > 0 && n.dim_offset >= 0 && n.dim <= src.dim && n.dim_offset <= src.dim - n.dim, parse_error,
                       "dim-offset " + std::to_string(n.dim_offset) + " and dim " + std::to_string(n.dim) +
                           " do not lie in a node of dim " + std::to_string(src.dim));
            v.frames = src.frames;
            v.out = g.slice(src.out, n.dim_offset, n.dim_offset + n.dim, 1, "dim_range");
            v.dim = n.dim;
            return v;
        }
        const auto it = f_.components.find(n.component);
        MOIR_CHECK(it != f_.components.end(), parse_error, "no component named '" + n.component + "' in the file");
        const component& c = it->second;
        if (c.type == "StatisticsExtractionComponent") return stats_extraction(g, n, c);
        if (c.type == "StatisticsPoolingComponent") return stats_pooling(g, n, c);
        if (c.type == "TdnnComponent") return tdnn(g, n, c);
        const auto conv = default_components().find(c.type);
        MOIR_CHECK(conv != default_components().end(), unsupported_error, "unsupported component type " + c.type);
        v.frames = resolve(avail(n.input));
        MOIR_CHECK(!v.frames.empty(), error, "computable at no frame of the " + std::to_string(frames_.size()) + " input frames");
        const output_ref x = eval(g, n.input, v.frames);
        v.out = conv->second(g, x, c);
        v.dim = g.cols(v.out);
        return v;
    }

    value tdnn(graph_writer& g, const config_node& n, const component& c) {
        const auto& offsets = c.ints("TimeOffsets");
        MOIR_CHECK(!offsets.empty(), parse_error, "TdnnComponent without time offsets");
        descriptor app;
        app.k = descriptor::kind::append;
        for (auto o : offsets) {
            MOIR_CHECK(o >= -detail::descriptor_parser::max_integer && o <= detail::descriptor_parser::max_integer, parse_error,
                       "TdnnComponent time offset " + std::to_string(o) + " is beyond 2^20");
            descriptor off;
            off.k = descriptor::kind::offset;
            off.n = o;
            off.args.push_back(n.input);
            app.args.push_back(off);
        }
        value v;
        v.frames = resolve(avail(app));
        MOIR_CHECK(!v.frames.empty(), error, "computable at no frame of the " + std::to_string(frames_.size()) + " input frames");
        const output_ref x = eval(g, app, v.frames);
        v.out = g.affine(x, c.array("LinearParams"), c.has("BiasParams") ? &c.array("BiasParams") : nullptr, c.name);
        v.dim = g.cols(v.out);
        return v;
    }

    value stats_extraction(graph_writer& g, const config_node& n, const component& c) {
        const auto ip = c.integer("InputPeriod", 1.0), op = c.integer("OutputPeriod", 1.0);
        const bool variance = c.boolean("IncludeVarinance", c.boolean("IncludeVariance", true));
        MOIR_CHECK(ip > 0 && op > 0 && op % ip == 0, parse_error,
                   "input period " + std::to_string(ip) + ", output period " + std::to_string(op));
        const std::vector<std::int64_t> in = resolve(avail(n.input));
        MOIR_CHECK(!in.empty(), error, "computable at no frame of the " + std::to_string(frames_.size()) + " input frames");
        const output_ref x = eval(g, n.input, in);
        const std::int64_t rows = static_cast<std::int64_t>(in.size()), dim = g.cols(x);
        tensor ones(element_type::f32, shape{rows, 1});
        for (std::int64_t i = 0; i < rows; ++i) ones.data<float>()[i] = 1;
        std::vector<output_ref> parts{g.constant(ones, "count"), x};
        if (variance) parts.push_back(g.add<ops::multiply>({}, {x, x}, "square"));
        const output_ref stats = g.concat(parts, 1, "stats");
        value v;
        v.dim = 1 + dim * (variance ? 2 : 1);
        // output frames: the multiples of op whose [t, t + op) holds an input frame on the input period
        std::vector<std::int64_t> used;
        for (auto t : in) {
            const std::int64_t t0 = floor_div(t, op) * op;
            if ((t - t0) % ip == 0) used.push_back(t0);
        }
        std::sort(used.begin(), used.end());
        used.erase(std::unique(used.begin(), used.end()), used.end());
        v.frames = used;
        if (op == 1) {
            v.out = stats;
            return v;
        }
        tensor sel(element_type::f32, shape{static_cast<std::int64_t>(used.size()), rows});
        for (std::size_t o = 0; o < used.size(); ++o)
            for (std::int64_t i = 0; i < rows; ++i) {
                const std::int64_t t = in[static_cast<std::size_t>(i)];
                sel.data<float>()[o * static_cast<std::size_t>(rows) + static_cast<std::size_t>(i)] =
                    t >= used[o] && t < used[o] + op && (t - used[o]) % ip == 0 ? 1.0F : 0.0F;
            }
        v.out = g.add<ops::matmul>({false, false}, {g.constant(sel, "window"), stats}, "sum");
        return v;
    }

    value stats_pooling(graph_writer& g, const config_node& n, const component& c) {
        const auto ip = c.integer("InputPeriod", 1.0);
        const auto lc = c.integer("LeftContext"), rc = c.integer("RightContext");
        const auto logs = c.integer("NumLogCountFeatures", 0.0);
        const bool stddev = c.boolean("OutputStddevs", false);
        const double floor = c.number("VarianceFloor", 1e-10);
        const auto in_dim = c.integer("InputDim");
        MOIR_CHECK(ip > 0 && lc >= 0 && rc >= 0 && logs >= 0 && in_dim > 1 && (!stddev || (in_dim - 1) % 2 == 0), parse_error,
                   "bad configuration (input period " + std::to_string(ip) + ", contexts " + std::to_string(lc) + ", " +
                       std::to_string(rc) + ", input dim " + std::to_string(in_dim) + ")");
        const std::vector<std::int64_t> in = resolve(avail(n.input));
        // the output at t = 0 pools the inputs at -lc, -lc + ip, ..., rc that exist
        std::vector<float> sel(in.size(), 0.0F);
        std::int64_t count = 0;
        for (std::size_t i = 0; i < in.size(); ++i)
            if (in[i] >= -lc && in[i] <= rc && (in[i] + lc) % ip == 0) sel[i] = 1, ++count;
        MOIR_CHECK(count > 0, error,
                   "no input frame in its window [" + std::to_string(-lc) + ", " + std::to_string(rc) + "] of t = 0 (" +
                       std::to_string(frames_.size()) + " input frames)");
        const output_ref x = eval(g, n.input, in);
        MOIR_CHECK(g.cols(x) == in_dim, shape_error, "input dim " + std::to_string(g.cols(x)) + ", InputDim " + std::to_string(in_dim));
        const output_ref window = g.constant(tensor::from_vector(sel, shape{1, static_cast<std::int64_t>(in.size())}), "window");
        const output_ref sums = g.add<ops::matmul>({false, false}, {window, x}, "sums");
        const output_ref counts = g.slice(sums, 0, 1, 1, "count");
        const output_ref avg = g.add<ops::divide>({}, {g.slice(sums, 1, in_dim, 1, "sum_stats"), counts}, "average");
        std::vector<output_ref> parts;
        if (logs > 0) {
            const output_ref lg = g.add<ops::log>({}, {counts}, "log_count");
            for (std::int64_t k = 0; k < logs; ++k) parts.push_back(lg);
        }
        if (stddev) {
            const std::int64_t h = (in_dim - 1) / 2;
            const output_ref mean = g.slice(avg, 0, h, 1, "mean");
            const output_ref sq = g.slice(avg, h, 2 * h, 1, "mean_square");
            output_ref var = g.add<ops::subtract>({}, {sq, g.add<ops::multiply>({}, {mean, mean}, "mean2")}, "variance");
            var = g.add<ops::maximum>({}, {var, g.constant(tensor::scalar(static_cast<float>(floor)), "variance_floor")}, "floored");
            parts.push_back(mean);
            parts.push_back(g.add<ops::sqrt>({}, {var}, "stddev"));
        } else {
            parts.push_back(avg);
        }
        value v;
        v.out = g.concat(parts, 1, "pooled");
        v.dim = g.cols(v.out);
        v.frames = {0};
        return v;
    }

    const nnet3_file& f_;
    model& m_;
    frontends::graph_builder& b_;
    bool remove_softmax_;
    std::map<std::string, std::size_t> index_;
    std::map<std::string, value> values_;
    std::set<std::string> busy_;
    std::vector<std::int64_t> frames_;
};

}  // namespace detail

}  // namespace moir::kaldi

#endif  // MOIR_FRONTENDS_KALDI_NNET3_HPP
