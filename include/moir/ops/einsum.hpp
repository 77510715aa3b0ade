#ifndef MOIR_OPS_EINSUM_HPP
#define MOIR_OPS_EINSUM_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <algorithm>    // sort
#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <map>          // map
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// einsum: Einstein summation over the inputs as written in `equation`, e.g. "bij,bjk->bik".
/// One comma-separated term per input with one letter (a-z, A-Z) per axis; "..." stands for the
/// axes no letter names (numpy-broadcast across inputs, right-aligned). The output term follows
/// "->"; without it the output is "..." then the letters used exactly once, in ASCII order. A
/// letter repeated within a term takes the diagonal; letters missing from the output are summed.
/// Size-1 axes broadcast against a label's extent. Spaces are ignored. Floats accumulate in double,
/// integers in 64 bits. IR: Einsum of opset7.
/// requires: one element type for all inputs (not boolean); a well-formed equation matching the
/// inputs' ranks; consistent extents per letter.
/// ensures: output of the inputs' type and the shape the output term gives.
struct einsum {
    static constexpr std::string_view name = "einsum", ir_name = "Einsum", ir_opset = "opset7";
    static constexpr std::size_t min_inputs = 1, max_inputs = std::size_t{1} << 20;
    struct attrs {
        std::string equation;
        static constexpr std::array<std::string_view, 1> ir_names{"equation"};
    };

    /// The equation resolved against the inputs' shapes. Labels are numbered: the "..." axes
    /// first (ellipsis_rank of them, right-aligned over the inputs), then the letters.
    struct plan {
        std::vector<std::vector<std::size_t>> inputs;  ///< per input, per axis: its label
        std::vector<std::size_t> output;               ///< per output axis: its label
        std::vector<std::int64_t> extent;              ///< per label: its extent, -1 when unknown
    };

    /// One parsed term: its letters in order, with ellipsis_mark where "..." stands.
    static constexpr char ellipsis_mark = '.';
    static std::vector<char> parse_term(const std::string& t, const std::string& eq) {
        std::vector<char> out;
        bool seen = false;
        for (std::size_t i = 0; i < t.size(); ++i) {
            const char ch = t[i];
            if (ch == '.') {
                MOIR_CHECK(t.compare(i, 3, "...") == 0 && !seen, shape_error,
                           "Einsum equation '" + eq + "': a term has a stray '.' or more than one '...'");
                seen = true;
                out.push_back(ellipsis_mark);
                i += 2;
            } else {
                MOIR_CHECK((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'), shape_error,
                           "Einsum equation '" + eq + "': '" + std::string(1, ch) + "' is not a letter");
                out.push_back(ch);
            }
        }
        return out;
    }

    /// requires: the inputs' ranks are known. ensures: throws shape_error on a malformed equation
    /// or inconsistent extents.
    static plan make_plan(const std::string& equation, const std::vector<partial_shape>& shapes) {
        std::string eq;
        for (char ch : equation)
            if (ch != ' ') eq += ch;
        const auto arrow = eq.find("->");
        const std::string lhs = eq.substr(0, arrow);
        std::vector<std::vector<char>> terms;
        for (std::size_t start = 0;;) {
            const auto comma = lhs.find(',', start);
            terms.push_back(parse_term(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start),
                                       equation));
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        MOIR_CHECK(terms.size() == shapes.size(), shape_error,
                   "Einsum equation '" + equation + "' has " + std::to_string(terms.size()) + " input terms for " +
                       std::to_string(shapes.size()) + " inputs");
        // the rank each input's "..." covers
        std::vector<std::size_t> ell(terms.size(), 0);
        std::size_t ell_rank = 0;
        for (std::size_t i = 0; i < terms.size(); ++i) {
            std::size_t letters = 0;
            bool has_ell = false;
            for (char ch : terms[i]) {
                if (ch == ellipsis_mark) has_ell = true;
                else ++letters;
            }
            const std::size_t r = shapes[i].rank();
            MOIR_CHECK(has_ell ? r >= letters : r == letters, shape_error,
                       "Einsum equation '" + equation + "': term " + std::to_string(i) + " does not match the rank " +
                           std::to_string(r) + " of input " + std::to_string(i));
            ell[i] = r - letters;
            ell_rank = std::max(ell_rank, ell[i]);
        }
        plan p;
        p.extent.assign(ell_rank, 1);
        std::map<char, std::size_t> id;
        std::map<char, std::size_t> uses;
        const auto label_of = [&](char ch) {
            const auto it = id.find(ch);
            if (it != id.end()) return it->second;
            id[ch] = p.extent.size();
            p.extent.push_back(1);
            return p.extent.size() - 1;
        };
        for (std::size_t i = 0; i < terms.size(); ++i) {
            std::vector<std::size_t> axes;
            for (char ch : terms[i]) {
                if (ch == ellipsis_mark) {
                    for (std::size_t j = 0; j < ell[i]; ++j) axes.push_back(ell_rank - ell[i] + j);
                } else {
                    axes.push_back(label_of(ch));
                    ++uses[ch];
                }
            }
            for (std::size_t ax = 0; ax < axes.size(); ++ax) {
                const std::size_t l = axes[ax];
                const std::int64_t d = shapes[i].dims[ax];
                std::int64_t& e = p.extent[l];
                if (d < 0) {
                    if (e == 1) e = dynamic_dim;
                } else if (d != 1) {
                    MOIR_CHECK(e < 0 || e == 1 || e == d, shape_error,
                               "Einsum equation '" + equation + "': a label has extents " + std::to_string(e) +
                                   " and " + std::to_string(d));
                    e = d;
                }
            }
            p.inputs.push_back(axes);
        }
        if (arrow != std::string::npos) {
            for (char ch : parse_term(eq.substr(arrow + 2), equation)) {
                if (ch == ellipsis_mark) {
                    for (std::size_t j = 0; j < ell_rank; ++j) p.output.push_back(j);
                    continue;
                }
                const auto it = id.find(ch);
                MOIR_CHECK(it != id.end(), shape_error,
                           "Einsum equation '" + equation + "': output label '" + std::string(1, ch) +
                               "' is not in any input");
                for (auto l : p.output)
                    MOIR_CHECK(l != it->second, shape_error,
                               "Einsum equation '" + equation + "': output label '" + std::string(1, ch) + "' repeats");
                p.output.push_back(it->second);
            }
        } else {
            for (std::size_t j = 0; j < ell_rank; ++j) p.output.push_back(j);
            for (const auto& [ch, n] : uses)  // std::map: ASCII order
                if (n == 1) p.output.push_back(id[ch]);
        }
        return p;
    }

    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(!in.empty(), shape_error, "Einsum takes at least 1 input");
        element_type t = element_type::undefined;
        std::vector<partial_shape> shapes;
        for (const auto& d : in) {
            MOIR_CHECK(d.type != element_type::boolean, shape_error, "Einsum does not take boolean inputs");
            MOIR_CHECK(t == element_type::undefined || d.type == element_type::undefined || d.type == t, shape_error,
                       "the inputs of Einsum must have one element type");
            if (d.type != element_type::undefined) t = d.type;
            if (d.shape.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
            shapes.push_back(d.shape);
        }
        const plan p = make_plan(a.equation, shapes);
        std::vector<std::int64_t> out;
        for (auto l : p.output) out.push_back(p.extent[l]);
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_EINSUM_HPP
