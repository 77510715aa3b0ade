#ifndef MOIR_OPS_DETAIL_RECURRENT_HPP
#define MOIR_OPS_DETAIL_RECURRENT_HPP

// What the recurrent sequence ops (RNNSequence, GRUSequence, LSTMSequence) share: the direction
// attribute, the activation names, and the shape inference of their batch-major layout:
//
//   X [batch, seq, input], initial H (and C) [batch, num_directions, hidden], sequence_lengths
//   [batch], W [num_directions, gates*hidden, input], R [num_directions, gates*hidden, hidden],
//   B [num_directions, bias_gates*hidden] (and the LSTMSequence-1 peepholes P [num_directions,
//   3*hidden]) -> Y [batch, num_directions, seq, hidden], Ho (and Co) [batch, num_directions, hidden].

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// The direction a sequence op walks the time axis: OpenVINO `direction`. Bidirectional runs both,
/// forward as direction 0 and reverse as direction 1.
enum class sequence_direction { forward, reverse, bidirectional };
constexpr std::array<std::string_view, 3> ir_enum_names(sequence_direction) {
    return {"forward", "reverse", "bidirectional"};
}

/// The activation functions of the sequence ops (OpenVINO supports these three).
enum class rnn_activation { relu, sigmoid, tanh };

namespace detail {

inline std::int64_t num_directions(sequence_direction d) { return d == sequence_direction::bidirectional ? 2 : 1; }

/// Parses a comma-separated activation list ("sigmoid,tanh,tanh", case-insensitive).
/// ensures: `count` entries; throws shape_error on a wrong count, unsupported_error on an unknown name.
inline std::vector<rnn_activation> parse_activations(const std::string& list, std::size_t count) {
    std::vector<rnn_activation> r;
    std::size_t pos = 0;
    while (pos <= list.size() && !list.empty()) {
        const std::size_t comma = list.find(',', pos);
        std::string item = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        std::string lower;
        for (char ch : item)
            if (ch != ' ') lower += static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        if (lower == "relu") r.push_back(rnn_activation::relu);
        else if (lower == "sigmoid") r.push_back(rnn_activation::sigmoid);
        else if (lower == "tanh") r.push_back(rnn_activation::tanh);
        else throw unsupported_error("activation '" + item + "' is not supported (relu, sigmoid, tanh are)");
        if (comma == std::string::npos) break;
        pos = comma + 1;
    }
    MOIR_CHECK(r.size() == count, shape_error,
               "activations '" + list + "' names " + std::to_string(r.size()) + " functions, " +
                   std::to_string(count) + " are needed");
    return r;
}

/// The static description of one sequence op, for the shared shape inference.
struct sequence_form {
    const char* op;               ///< IR name, for messages
    std::size_t gates;            ///< gate blocks in W and R: 1 (RNN), 3 (GRU), 4 (LSTM)
    std::size_t bias_gates;       ///< blocks in B: gates, or 4 for GRU with linear_before_reset
    bool has_cell;                ///< LSTM: initial C input and Co output
    std::size_t activations;      ///< how many activation functions
};

/// Merges a known dim into `d`: takes it when `d` is dynamic, else requires equality.
inline void merge_sequence_dim(std::int64_t& d, std::int64_t v, const char* what, const std::string& where) {
    if (v < 0) return;
    MOIR_CHECK(d < 0 || d == v, shape_error,
               std::string(what) + " is " + std::to_string(d) + " elsewhere but " + std::to_string(v) + " in " + where);
    d = v;
}

/// Shape inference shared by the sequence ops. Input order: X, H, [C], sequence_lengths, W, R, B, [P].
/// requires: float X; H, C, W, R, B, P of X's type; integer sequence_lengths; the ranks and dims
/// above; hidden_size > 0; clip >= 0; a valid activation list. Dynamic dims stay dynamic where no
/// input fixes them.
inline port_descs infer_sequence(const sequence_form& f, std::int64_t hidden_size, sequence_direction dir, float clip,
                                 const std::string& activations, const port_descs& in) {
    const std::size_t c = f.has_cell ? 1 : 0;
    const std::size_t min_in = 6 + c;
    MOIR_CHECK(in.size() == min_in || (f.has_cell && in.size() == min_in + 1), shape_error,
               std::string(f.op) + " takes " + std::to_string(min_in) + " inputs, " + std::to_string(in.size()) +
                   " were given");
    MOIR_CHECK(hidden_size > 0, shape_error, "hidden_size must be positive, it is " + std::to_string(hidden_size));
    MOIR_CHECK(clip >= 0, shape_error, "clip must be >= 0");
    parse_activations(activations, f.activations);
    const std::size_t ix = 0, ih = 1, ic = 2, isl = 2 + c, iw = 3 + c, ir = 4 + c, ib = 5 + c, ip = 6 + c;
    const bool has_p = in.size() > ip;
    static constexpr const char* rnn_names[] = {"X", "initial_hidden_state", "sequence_lengths", "W", "R", "B"};
    static constexpr const char* lstm_names[] = {"X", "initial_hidden_state", "initial_cell_state", "sequence_lengths",
                                                 "W", "R", "B", "P"};
    const char* const* names = f.has_cell ? lstm_names : rnn_names;
    // element types
    const element_type t = in[ix].type;
    MOIR_CHECK(t == element_type::undefined || is_float(t), shape_error,
               std::string(f.op) + " needs a floating-point X, it is " + std::string(moir::ir_name(t)));
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (i == isl || in[i].type == element_type::undefined) continue;
        MOIR_CHECK(t == element_type::undefined || in[i].type == t, shape_error,
                   std::string("input ") + names[i] + " is " + std::string(moir::ir_name(in[i].type)) + ", X is " +
                       std::string(moir::ir_name(t)));
    }
    MOIR_CHECK(in[isl].type == element_type::undefined || is_integer(in[isl].type), shape_error,
               "sequence_lengths must be an integer tensor");
    // ranks
    auto rank_of = [&](std::size_t i, std::size_t r) -> const std::vector<std::int64_t>* {
        if (in[i].shape.rank_dynamic) return nullptr;
        MOIR_CHECK(in[i].shape.rank() == r, shape_error,
                   std::string("input ") + names[i] + " must have rank " + std::to_string(r) + ", its shape is " +
                       in[i].shape.str());
        return &in[i].shape.dims;
    };
    std::int64_t batch = -1, seq = -1, input = -1;
    std::int64_t nd = num_directions(dir);
    const std::int64_t hs = hidden_size;
    const auto g = static_cast<std::int64_t>(f.gates), bg = static_cast<std::int64_t>(f.bias_gates);
    auto want = [&](std::int64_t v, std::int64_t expected, const char* what, std::size_t i) {
        MOIR_CHECK(v < 0 || v == expected, shape_error,
                   std::string(what) + " of " + names[i] + " must be " + std::to_string(expected) + ", its shape is " +
                       in[i].shape.str());
    };
    if (const auto* x = rank_of(ix, 3)) {
        merge_sequence_dim(batch, (*x)[0], "the batch", "X");
        merge_sequence_dim(seq, (*x)[1], "the sequence length", "X");
        merge_sequence_dim(input, (*x)[2], "the input size", "X");
    }
    for (std::size_t i : {ih, ic}) {
        if (i == ic && !f.has_cell) continue;
        if (const auto* s = rank_of(i, 3)) {
            merge_sequence_dim(batch, (*s)[0], "the batch", names[i]);
            want((*s)[1], nd, "dim 1 (num_directions)", i);
            want((*s)[2], hs, "dim 2 (hidden_size)", i);
        }
    }
    if (const auto* s = rank_of(isl, 1)) merge_sequence_dim(batch, (*s)[0], "the batch", "sequence_lengths");
    if (const auto* s = rank_of(iw, 3)) {
        want((*s)[0], nd, "dim 0 (num_directions)", iw);
        want((*s)[1], g * hs, "dim 1 (gates * hidden_size)", iw);
        merge_sequence_dim(input, (*s)[2], "the input size", "W");
    }
    if (const auto* s = rank_of(ir, 3)) {
        want((*s)[0], nd, "dim 0 (num_directions)", ir);
        want((*s)[1], g * hs, "dim 1 (gates * hidden_size)", ir);
        want((*s)[2], hs, "dim 2 (hidden_size)", ir);
    }
    if (const auto* s = rank_of(ib, 2)) {
        want((*s)[0], nd, "dim 0 (num_directions)", ib);
        want((*s)[1], bg * hs, "dim 1 (bias gates * hidden_size)", ib);
    }
    if (has_p) {
        if (const auto* s = rank_of(ip, 2)) {
            want((*s)[0], nd, "dim 0 (num_directions)", ip);
            want((*s)[1], 3 * hs, "dim 1 (3 * hidden_size)", ip);
        }
    }
    port_descs out;
    out.push_back(port_desc{t, std::vector<std::int64_t>{batch, nd, seq, hs}, {}});
    out.push_back(port_desc{t, std::vector<std::int64_t>{batch, nd, hs}, {}});
    if (f.has_cell) out.push_back(port_desc{t, std::vector<std::int64_t>{batch, nd, hs}, {}});
    return out;
}

}  // namespace detail
}  // namespace moir::ops

#endif  // MOIR_OPS_DETAIL_RECURRENT_HPP
