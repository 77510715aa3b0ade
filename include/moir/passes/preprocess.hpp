#ifndef MOIR_PASSES_PREPROCESS_HPP
#define MOIR_PASSES_PREPROCESS_HPP

// Input preprocessing baked into the model, as Model Optimizer's --mean_values, --scale_values,
// --scale, --reverse_input_channels and --layout/--source_layout do. apply_preprocessing() inserts,
// right after each Parameter and in MO's order whatever the order of the flags:
//
//   Parameter -> [Transpose to the model's layout] -> [Gather {2,1,0} on C] -> [Subtract mean] -> [Multiply 1/scale] -> model
//
// as plain ops that the fusions fold into the first convolution (the Multiply into its weights,
// the Subtract into its bias when it has no padding); the channel-reversing Gather is folded here,
// right away, by fuse_reverse_channels_conv when a convolution follows. preprocessing_from_flags()
// turns the MO flag texts into the per-input description. Usable without the CLI.

#include <moir/core/model.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/passes/cut.hpp>
#include <moir/passes/fusions/reverse_channels_conv.hpp>

#include <algorithm>  // find
#include <cctype>     // isalpha, tolower
#include <cmath>      // isfinite, fabs
#include <cstddef>    // size_t
#include <cstdio>     // snprintf
#include <limits>     // numeric_limits
#include <optional>   // optional
#include <string>     // string
#include <utility>    // pair
#include <vector>     // vector

namespace moir::passes {

namespace detail {
/// A number for messages ("1e+400" parses to inf: shown as "inf").
inline std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}
}  // namespace detail

/// The preprocessing of one model input.
struct input_preprocessing {
    std::string input;              ///< the input's name (tensor name or Parameter node name); "" = the input
                                    ///< at this entry's position in the list given to apply_preprocessing()
    std::vector<double> mean;       ///< subtracted, per channel (or one value for all); empty = none
    std::vector<double> scale;      ///< divided by, per channel (or one value for all); empty = none
    bool reverse_channels = false;  ///< reverse the channel order (RGB <-> BGR); only on 3-channel inputs
    std::string layout;             ///< the layout the input arrives in ("nhwc"); "" = the model's own.
                                    ///< The model is taken as channel-first (n, c, then the rest in order)
};

/// What apply_preprocessing() did not do, in words (e.g. RIC skipped on a 2-channel input).
struct preprocess_report {
    std::vector<std::string> warnings;
};

namespace detail::preproc {

/// The channel-first order of a layout's letters: "nhwc" -> "nchw", "hwc" -> "chw"; the same
/// string when it has no 'c' or is already channel-first.
inline std::string channel_first(const std::string& layout) {
    const auto c = layout.find('c');
    if (c == std::string::npos) return layout;
    std::string rest = layout;
    rest.erase(c, 1);
    const std::size_t at = !rest.empty() && rest[0] == 'n' ? 1 : 0;
    return rest.insert(at, "c");
}

/// A layout text "nhwc", "NHWC", "[n,h,w,c]", "[N C H W]" as lowercase letters.
/// ensures: throws moir::error naming `where` unless it is one letter per dim, each used once.
inline std::string normalize_layout(const std::string& text, const std::string& where) {
    std::string s;
    for (char ch : text) {
        if (ch == '[' || ch == ']' || ch == ',' || std::isspace(static_cast<unsigned char>(ch))) continue;
        MOIR_CHECK(std::isalpha(static_cast<unsigned char>(ch)), error,
                   where + ": layout '" + text + "' must be letters, one per dim, like nhwc or [n,h,w,c]");
        s += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    MOIR_CHECK(!s.empty(), error, where + ": empty layout");
    for (std::size_t i = 0; i < s.size(); ++i)
        MOIR_CHECK(s.find(s[i], i + 1) == std::string::npos, error,
                   where + ": layout '" + text + "' names dim '" + std::string(1, s[i]) + "' twice");
    return s;
}

/// The input index `name` refers to (input_name, Parameter node name, or any tensor name of it).
inline std::optional<std::size_t> find_input(const model& m, const std::string& name) {
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const node& p = m.nodes[m.parameters[i]];
        if (m.input_name(i) == name || p.name == name) return i;
        for (const auto& t : p.outputs.at(0).names)
            if (t == name) return i;
    }
    return std::nullopt;
}

inline std::string input_list(const model& m) {
    std::string s;
    for (std::size_t i = 0; i < m.parameters.size(); ++i) s += (i ? ", " : "") + m.input_name(i);
    return s.empty() ? std::string("none") : s;
}

/// A per-channel constant of `type` for an input of rank `rank` with channels on `axis`.
inline tensor channel_constant(const std::vector<double>& v, std::size_t rank, std::size_t axis, element_type type) {
    shape dims(rank, 1);
    if (v.size() > 1) dims.at(axis) = static_cast<std::int64_t>(v.size());
    return tensor::from_vector(v, dims).converted(type);
}

}  // namespace detail::preproc

/// Inserts the preprocessing of `specs` after the model's Parameters (see the file comment) and
/// folds channel reversals into a following convolution.
/// requires: each spec's name is an input of m (or, when empty, its position is); mean/scale have
/// one value or one per channel; mean/scale only on floating-point inputs.
/// ensures: with layout L (not channel-first) the Parameter takes L's shape and a Transpose to the
/// model's layout follows it; the channel axis is 'c' of the model layout (axis 1 without a layout);
/// reverse_channels on an input without exactly 3 channels changes nothing and adds a warning;
/// the model run on raw input equals the original model run on the normalized input
/// ((x[reversed] - mean) / scale); m validates. Throws moir::error naming the input and the reason.
inline preprocess_report apply_preprocessing(model& m, const std::vector<input_preprocessing>& specs) {
    using namespace detail::preproc;
    preprocess_report rep;
    std::vector<node_id> gathers, done;
    for (std::size_t si = 0; si < specs.size(); ++si) {
        const auto& s = specs[si];
        std::size_t idx = si;
        if (!s.input.empty()) {
            const auto f = find_input(m, s.input);
            MOIR_CHECK(f, error, "preprocessing names '" + s.input + "', which is not an input of the model (inputs: " +
                                     input_list(m) + ")");
            idx = *f;
        }
        MOIR_CHECK(idx < m.parameters.size(), error,
                   "preprocessing entry " + std::to_string(si) + " has no input name and the model has only " +
                       std::to_string(m.parameters.size()) + " inputs");
        const node_id pid = m.parameters[idx];
        const std::string iname = m.input_name(idx);
        const std::string where = "input '" + iname + "'";
        MOIR_CHECK(std::find(done.begin(), done.end(), pid) == done.end(), error, where + " is given preprocessing twice");
        done.push_back(pid);
        auto& pa = m.nodes[pid].attrs_as<ops::parameter>();  // used only before nodes are added
        MOIR_CHECK(!pa.shape.rank_dynamic, error, where + ": preprocessing needs a known rank; give its shape");
        const std::size_t rank = pa.shape.rank();
        const element_type type = pa.element_type;

        // the consumers the preprocessed tensor will feed
        const auto users = m.consumers({pid, 0});
        output_ref cur{pid, 0};
        const std::string base = m.nodes[pid].name;

        std::size_t caxis = rank >= 2 ? 1 : 0;
        if (!s.layout.empty()) {
            const std::string src = normalize_layout(s.layout, where);
            MOIR_CHECK(src.size() == rank, error,
                       where + ": layout '" + s.layout + "' has " + std::to_string(src.size()) + " dims, the input has rank " +
                           std::to_string(rank) + " " + pa.shape.str());
            const std::string dst = channel_first(src);
            if (dst.find('c') != std::string::npos) caxis = dst.find('c');
            if (dst != src) {
                std::vector<std::int64_t> perm(rank);
                std::vector<std::int64_t> dims(rank);
                for (std::size_t i = 0; i < rank; ++i) {
                    perm[i] = static_cast<std::int64_t>(src.find(dst[i]));
                    dims[i] = pa.shape.dims[dst.find(src[i])];
                }
                pa.shape = partial_shape(dims);
                m.infer_node(pid);
                const node_id pc = m.add<ops::constant>({tensor::from_vector(perm)}, {}, base + "/layout_order");
                const node_id t = m.add<ops::transpose>({}, {cur, {pc, 0}}, base + "/to_" + dst);
                m.infer_node(pc);
                m.infer_node(t);
                cur = {t, 0};
            }
        }
        const partial_shape model_shape = m.port(cur).shape;  // a copy: adding nodes moves the ports
        const std::int64_t channels = rank ? model_shape.dims[caxis] : 1;

        if (s.reverse_channels) {
            if (channels == 3) {
                const node_id ic = m.add<ops::constant>({tensor::from_vector<std::int64_t>({2, 1, 0})}, {}, base + "/reverse_channels/indices");
                const node_id ac = m.add<ops::constant>({tensor::scalar<std::int64_t>(static_cast<std::int64_t>(caxis))}, {},
                                                        base + "/reverse_channels/axis");
                const node_id g = m.add<ops::gather>({0}, {cur, {ic, 0}, {ac, 0}}, base + "/reverse_channels");
                for (node_id id : {ic, ac, g}) m.infer_node(id);
                gathers.push_back(g);
                cur = {g, 0};
            } else {
                rep.warnings.push_back(where + ": --reverse_input_channels leaves it unchanged: it has " +
                                       (channels < 0 ? std::string("an unknown number of") : std::to_string(channels)) +
                                       " channels on axis " + std::to_string(caxis) + " (only 3-channel inputs are reversed)");
            }
        }
        auto check_values = [&](const std::vector<double>& v, const char* what) {
            MOIR_CHECK(is_float(type), error,
                       where + " is " + std::string(ir_name(type)) + ": " + what + " values need a floating-point input");
            MOIR_CHECK(v.size() == 1 || channels < 0 || static_cast<std::int64_t>(v.size()) == channels, error,
                       where + ": " + std::to_string(v.size()) + " " + what + " values for " + std::to_string(channels) +
                           " channels (axis " + std::to_string(caxis) + " of " + model_shape.str() +
                           "); give one value per channel or one for all");
            MOIR_CHECK(v.size() == 1 || rank > 0, error, where + " is a scalar: give one " + std::string(what) + " value");
            // every value (and, for scales, its reciprocal, which is what is multiplied) is a finite
            // number of the input's type: 1e400, inf or nan would turn every output into inf/NaN
            const double largest = type == element_type::f16   ? 65504.0
                                   : type == element_type::f32 ? static_cast<double>(std::numeric_limits<float>::max())
                                                               : std::numeric_limits<double>::max();
            for (const double x : v) {
                MOIR_CHECK(std::isfinite(x) && std::fabs(x) <= largest, error,
                           where + ": " + what + " value " + detail::number_text(x) + " is not a finite " +
                               std::string(ir_name(type)) + " number");
                if (std::string(what) == "scale") {
                    MOIR_CHECK(x != 0.0, error, where + ": a scale value is 0");
                    MOIR_CHECK(std::fabs(1.0 / x) <= largest, error,
                               where + ": scale value " + detail::number_text(x) +
                                   " is too small (1/scale is not a finite number)");
                }
            }
        };
        if (!s.mean.empty()) {
            check_values(s.mean, "mean");
            bool zero = true;
            for (double v : s.mean) zero = zero && v == 0.0;
            if (!zero) {
                const node_id mc = m.add<ops::constant>({channel_constant(s.mean, rank, caxis, type)}, {}, base + "/mean/values");
                const node_id sub = m.add<ops::subtract>({}, {cur, {mc, 0}}, base + "/mean");
                m.infer_node(mc);
                m.infer_node(sub);
                cur = {sub, 0};
            }
        }
        if (!s.scale.empty()) {
            check_values(s.scale, "scale");
            std::vector<double> inv;
            bool one = true;
            for (double v : s.scale) {
                inv.push_back(1.0 / v);
                one = one && v == 1.0;
            }
            if (!one) {
                const node_id sc = m.add<ops::constant>({channel_constant(inv, rank, caxis, type)}, {}, base + "/scale/values");
                const node_id mul = m.add<ops::multiply>({}, {cur, {sc, 0}}, base + "/scale");
                m.infer_node(sc);
                m.infer_node(mul);
                cur = {mul, 0};
            }
        }
        for (const auto& [user, port] : users) m.nodes[user].inputs[port] = cur;
    }
    for (node_id g : gathers) fuse_reverse_channels_conv::fold(m, g);
    try {
        m.remove_dead();
        m.validate();
    } catch (const std::exception& e) {
        throw error(std::string("after preprocessing: ") + e.what());
    }
    return rep;
}

/// The MO flag texts of preprocessing, as typed.
struct preprocessing_flags {
    std::string mean_values;            ///< "[123,117,104]" or per input "data[255,255,255],info[1,1]"
    std::string scale_values;           ///< same syntax
    std::optional<double> scale;        ///< --scale: one divisor for every original input
    bool reverse_input_channels = false;
    std::string layout;                 ///< "nhwc", "[n,h,w,c]", "in1(nhwc),in2(nc)", "in1(nhwc->nchw)"
    std::string source_layout;          ///< same syntax, without "->"
    std::vector<std::string> not_scaled;  ///< inputs --scale leaves alone (those made by cutting, as MO)
};

/// Parses "[1,2,3]", "(1 2 3)", "name[1,2,3],other[4]" (MO's --mean_values/--scale_values) into
/// (name or "", values) pairs. ensures: throws moir::error naming `flag` on malformed text.
inline std::vector<std::pair<std::string, std::vector<double>>> parse_values_per_input(const std::string& text,
                                                                                      const std::string& flag) {
    std::vector<std::pair<std::string, std::vector<double>>> out;
    for (const auto& part : detail::cutting::split_top_level(text, flag)) {
        const std::string where = flag + " '" + text + "'";
        MOIR_CHECK(!part.empty(), error, where + ": an empty entry");
        const auto open = part.find_first_of("[(");
        std::string name = detail::cutting::trim(part.substr(0, open));
        std::vector<double> v;
        if (open == std::string::npos) {  // a bare number: one value for all channels
            v.push_back(detail::cutting::parse_scalar_value(part, where));
            MOIR_CHECK(std::isfinite(v.back()), error, where + ": '" + part + "' is not a finite number");
            name.clear();
        } else {
            const char close = part[open] == '[' ? ']' : ')';
            MOIR_CHECK(part.back() == close, error, where + ": '" + part + "' must look like name[1,2,3] or [1,2,3]");
            for (const auto& tok : detail::cutting::bracket_items(part.substr(open + 1, part.size() - open - 2)))
                v.push_back(detail::cutting::parse_scalar_value(tok, where));
            for (const double x : v)
                MOIR_CHECK(std::isfinite(x), error, where + ": " + detail::number_text(x) + " is not a finite number");
            MOIR_CHECK(!v.empty(), error, where + ": '" + part + "' has no values");
        }
        out.emplace_back(name, std::move(v));
    }
    return out;
}

/// Parses MO's --layout/--source_layout: "nhwc", "[n,h,w,c]", "in1(nhwc),in2(nc)", "in1(nhwc->nchw)"
/// into (name or "", source layout) pairs. A conversion "src->dst" is accepted when dst is src in
/// channel-first order (the model's layout). ensures: throws moir::error naming `flag` otherwise.
inline std::vector<std::pair<std::string, std::string>> parse_layouts(const std::string& text, const std::string& flag) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& part : detail::cutting::split_top_level(text, flag)) {
        const std::string where = flag + " '" + text + "'";
        MOIR_CHECK(!part.empty(), error, where + ": an empty entry");
        std::string name, body = part;
        const auto open = part.find('(');
        if (open != std::string::npos) {
            MOIR_CHECK(part.back() == ')', error, where + ": '" + part + "' must look like name(nhwc)");
            name = detail::cutting::trim(part.substr(0, open));
            body = part.substr(open + 1, part.size() - open - 2);
        } else if (part.find('[') != std::string::npos && part.front() != '[') {
            const auto b = part.find('[');
            name = detail::cutting::trim(part.substr(0, b));
            body = part.substr(b);
        }
        std::string src = body;
        const auto arrow = body.find("->");
        if (arrow != std::string::npos) {
            src = body.substr(0, arrow);
            const std::string s = detail::preproc::normalize_layout(src, where);
            const std::string d = detail::preproc::normalize_layout(body.substr(arrow + 2), where);
            MOIR_CHECK(d == detail::preproc::channel_first(s), error,
                       where + ": moir converts a layout only to the model's channel-first one ('" + s + "->" +
                           detail::preproc::channel_first(s) + "'), not to '" + d + "'");
        }
        out.emplace_back(name, detail::preproc::normalize_layout(src, where));
    }
    return out;
}

/// Turns MO's preprocessing flags into one input_preprocessing per input of m that has something to
/// do. Unnamed values pair with the inputs by position (m.parameters order, which puts --input's
/// entries first), and must then be one set per input.
/// ensures: throws moir::error naming the flag for malformed text, an unknown input name (listing
/// the inputs), a count that does not match the inputs, named and unnamed sets mixed, --scale
/// together with --scale_values, and two different layouts for one input.
inline std::vector<input_preprocessing> preprocessing_from_flags(const model& m, const preprocessing_flags& f) {
    using namespace detail::preproc;
    const std::size_t n = m.parameters.size();
    std::vector<input_preprocessing> per(n);
    std::vector<bool> used(n, false);
    MOIR_CHECK(!(f.scale && !f.scale_values.empty()), error,
               "--scale and --scale_values are both given; give one divisor (--scale) or one per channel (--scale_values)");
    // (name or "", item) lists -> input indices
    auto place = [&](const std::vector<std::string>& names, const std::string& flag) {
        std::vector<std::size_t> idx;
        bool named = false, unnamed = false;
        for (const auto& nm : names) (nm.empty() ? unnamed : named) = true;
        MOIR_CHECK(!(named && unnamed), error, flag + ": name every entry (name[...]) or none");
        if (unnamed) {
            MOIR_CHECK(names.size() == n, error,
                       flag + " gives " + std::to_string(names.size()) + " unnamed set(s) for " + std::to_string(n) +
                           " inputs (" + input_list(m) + "); give one per input, or name them: input[...]");
            for (std::size_t i = 0; i < n; ++i) idx.push_back(i);
            return idx;
        }
        for (const auto& nm : names) {
            const auto i = find_input(m, nm);
            MOIR_CHECK(i, error, flag + " names '" + nm + "', which is not an input of the model (inputs: " + input_list(m) + ")");
            idx.push_back(*i);
        }
        return idx;
    };
    auto values = [&](const std::string& text, const std::string& flag, std::vector<double> input_preprocessing::*field) {
        if (text.empty()) return;
        const auto parsed = parse_values_per_input(text, flag);
        std::vector<std::string> names;
        for (const auto& [nm, v] : parsed) names.push_back(nm);
        const auto idx = place(names, flag);
        for (std::size_t k = 0; k < parsed.size(); ++k) {
            per[idx[k]].*field = parsed[k].second;
            used[idx[k]] = true;
        }
    };
    values(f.mean_values, "--mean_values", &input_preprocessing::mean);
    values(f.scale_values, "--scale_values", &input_preprocessing::scale);
    if (f.scale) {
        MOIR_CHECK(*f.scale != 0.0, error, "--scale is 0");
        MOIR_CHECK(std::isfinite(*f.scale) && std::isfinite(1.0 / *f.scale), error,
                   "--scale " + detail::number_text(*f.scale) + " is not a finite, non-zero number with a finite reciprocal");
        for (std::size_t i = 0; i < n; ++i) {
            bool skip = !is_float(m.nodes[m.parameters[i]].attrs_as<ops::parameter>().element_type);
            for (const auto& s : f.not_scaled) skip = skip || s == m.input_name(i);
            if (skip) continue;
            per[i].scale = {*f.scale};
            used[i] = true;
        }
    }
    if (f.reverse_input_channels)
        for (std::size_t i = 0; i < n; ++i) per[i].reverse_channels = used[i] = true;
    for (const auto& [text, flag] : {std::pair<std::string, std::string>{f.layout, "--layout"},
                                     std::pair<std::string, std::string>{f.source_layout, "--source_layout"}}) {
        if (text.empty()) continue;
        const auto parsed = parse_layouts(text, flag);
        std::vector<std::string> names;
        for (const auto& [nm, l] : parsed) names.push_back(nm);
        const auto idx = place(names, flag);
        for (std::size_t k = 0; k < parsed.size(); ++k) {
            auto& l = per[idx[k]].layout;
            MOIR_CHECK(l.empty() || l == parsed[k].second, error,
                       "input '" + m.input_name(idx[k]) + "' is given two layouts: '" + l + "' and '" + parsed[k].second + "'");
            l = parsed[k].second;
            used[idx[k]] = true;
        }
    }
    std::vector<input_preprocessing> out;
    for (std::size_t i = 0; i < n; ++i)
        if (used[i]) {
            per[i].input = m.input_name(i);
            out.push_back(per[i]);
        }
    return out;
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_PREPROCESS_HPP
