#ifndef MOIR_FRONTENDS_ONNX_OPS_RECURRENT_HPP
#define MOIR_FRONTENDS_ONNX_OPS_RECURRENT_HPP

// ONNX recurrent ops -> moir sequence ops: RNN -> RNNSequence-5, GRU -> GRUSequence-5, LSTM ->
// LSTMSequence-5 (LSTMSequence-1 when the node has peepholes or input_forget).
//
// ONNX is time-major (layout 0: X [seq, batch, input], states [num_directions, batch, hidden],
// Y [seq, num_directions, batch, hidden]) or batch-major (layout 1: X [batch, seq, input], states
// [batch, num_directions, hidden], Y [batch, seq, num_directions, hidden]); the OpenVINO ops are
// batch-major with Y [batch, num_directions, seq, hidden], so Transposes go around them. ONNX biases
// B = [Wb, Rb] become their sum (GRU with linear_before_reset keeps Wbh and Rbh apart), LSTM gate
// blocks are reordered from iofc to fico, and absent optional inputs become zeros (B, states) or the
// full sequence length (sequence_lens). Constant weights are rearranged at conversion time; others
// through Split/Concat/Add nodes. Activations: Relu, Sigmoid, Tanh (one set for both directions).

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/broadcast.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/gru_sequence.hpp>
#include <moir/ops/lstm_sequence.hpp>
#include <moir/ops/lstm_sequence_v0.hpp>
#include <moir/ops/rnn_sequence.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/split.hpp>
#include <moir/ops/transpose.hpp>

#include <cstddef>   // byte, ptrdiff_t, size_t
#include <cstdint>   // int32_t, int64_t
#include <cstring>   // memcpy
#include <optional>  // optional
#include <string>    // string
#include <vector>    // vector

namespace moir::onnx {

namespace detail {

/// The value of `r` when a constant node produces it.
inline std::optional<tensor> rnn_constant_of(context& c, output_ref r) {
    const node& n = c.model().at(r.node);
    if (n.is<moir::ops::constant>()) return n.attrs_as<moir::ops::constant>().value;
    return std::nullopt;
}

/// Rows [begin, begin + count) of axis 1 of a constant.
inline tensor rnn_slice_rows(const tensor& t, std::int64_t begin, std::int64_t count) {
    shape dims = t.dims();
    const std::size_t outer = static_cast<std::size_t>(dims[0]);
    std::size_t inner = size_of(t.type());
    for (std::size_t i = 2; i < dims.size(); ++i) inner *= static_cast<std::size_t>(dims[i]);
    const auto rows = static_cast<std::size_t>(dims[1]);
    dims[1] = count;
    tensor r(t.type(), dims);
    const auto* src = static_cast<const std::byte*>(t.raw());
    auto* dst = static_cast<std::byte*>(r.raw());
    const std::size_t chunk = static_cast<std::size_t>(count) * inner;
    for (std::size_t o = 0; o < outer && chunk; ++o)
        std::memcpy(dst + o * chunk, src + (o * rows + static_cast<std::size_t>(begin)) * inner, chunk);
    return r;
}

/// Constants joined along axis 1.
inline tensor rnn_concat_rows(const std::vector<tensor>& parts) {
    shape dims = parts.at(0).dims();
    dims[1] = 0;
    for (const auto& p : parts) dims[1] += p.dims()[1];
    tensor r(parts[0].type(), dims);
    const std::size_t outer = static_cast<std::size_t>(dims[0]);
    auto* dst = static_cast<std::byte*>(r.raw());
    for (std::size_t o = 0; o < outer; ++o)
        for (const auto& p : parts) {
            const std::size_t chunk = p.bytes() / outer;
            if (chunk) std::memcpy(dst, static_cast<const std::byte*>(p.raw()) + o * chunk, chunk);
            dst += chunk;
        }
    return r;
}

/// `v` cut into n equal blocks along axis 1: constants when `v` is one, else a Split node.
inline std::vector<output_ref> rnn_split(context& c, output_ref v, std::size_t n, const std::string& suffix) {
    std::vector<output_ref> parts;
    if (auto t = rnn_constant_of(c, v)) {
        const std::int64_t rows = t->dims().at(1);
        MOIR_CHECK(rows % static_cast<std::int64_t>(n) == 0, shape_error,
                   "dim 1 of " + suffix.substr(1) + " (" + std::to_string(rows) + ") does not split into " +
                       std::to_string(n) + " blocks");
        const std::int64_t count = rows / static_cast<std::int64_t>(n);
        for (std::size_t i = 0; i < n; ++i)
            parts.push_back(c.constant(rnn_slice_rows(*t, static_cast<std::int64_t>(i) * count, count),
                                       suffix + "/" + std::to_string(i)));
        return parts;
    }
    const node_id id = c.add_node<moir::ops::split>({static_cast<std::int64_t>(n)},
                                                    {v, c.constant(tensor::scalar<std::int64_t>(1), suffix + "/axis")},
                                                    suffix);
    for (std::size_t i = 0; i < n; ++i) parts.push_back({id, i});
    return parts;
}

/// Blocks joined along axis 1: a constant when all are, else a Concat node.
inline output_ref rnn_concat(context& c, const std::vector<output_ref>& parts, const std::string& suffix) {
    std::vector<tensor> values;
    for (const auto& p : parts)
        if (auto t = rnn_constant_of(c, p)) values.push_back(*t);
    if (values.size() == parts.size()) return c.constant(rnn_concat_rows(values), suffix);
    return c.add<moir::ops::concat>({1}, parts, suffix);
}

/// a + b (same shape): a constant when both are, else an Add node.
inline output_ref rnn_add(context& c, output_ref a, output_ref b, const std::string& suffix) {
    const auto ta = rnn_constant_of(c, a), tb = rnn_constant_of(c, b);
    if (ta && tb && ta->dims() == tb->dims()) {
        auto x = ta->to_vector<double>();
        const auto y = tb->to_vector<double>();
        for (std::size_t i = 0; i < x.size(); ++i) x[i] += y[i];
        return c.constant(tensor::from_vector(x, ta->dims()).converted(ta->type()), suffix);
    }
    return c.add<moir::ops::add>({}, {a, b}, suffix);
}

inline output_ref rnn_transpose(context& c, output_ref v, std::vector<std::int64_t> perm, const std::string& suffix) {
    return c.add<moir::ops::transpose>({}, {v, c.constant(tensor::from_vector(perm), suffix + "/perm")}, suffix);
}

/// The gate blocks of `v` (axis 1, `gates` of them) in the order `order` (source block indices).
inline output_ref rnn_reorder(context& c, output_ref v, std::size_t gates, const std::vector<std::size_t>& order,
                              const std::string& suffix) {
    const auto parts = rnn_split(c, v, gates, suffix + "/gates");
    std::vector<output_ref> picked;
    for (auto i : order) picked.push_back(parts.at(i));
    return rnn_concat(c, picked, suffix);
}

/// What the three ONNX recurrent ops share.
struct rnn_node {
    std::int64_t hidden = 0, dirs = 1;
    moir::ops::sequence_direction direction = moir::ops::sequence_direction::forward;
    bool batch_major = false;  ///< ONNX layout = 1
    element_type type = element_type::undefined;
    output_ref x;              ///< batch-major X
    std::string activations;
    std::vector<float> alpha, beta;
    float clip = 0;
};

/// Reads the attributes and X; `defaults` are the ONNX default activations of one direction.
inline rnn_node rnn_read_node(context& c, const std::vector<std::string>& defaults) {
    rnn_node r;
    const std::string dir = c.attr_string("direction", "forward");
    if (dir == "forward") r.direction = moir::ops::sequence_direction::forward;
    else if (dir == "reverse") r.direction = moir::ops::sequence_direction::reverse;
    else if (dir == "bidirectional") r.direction = moir::ops::sequence_direction::bidirectional;
    else throw parse_error("unknown direction '" + dir + "'");
    r.dirs = moir::ops::detail::num_directions(r.direction);
    const std::int64_t layout = c.attr_int("layout", 0);
    MOIR_CHECK(layout == 0 || layout == 1, parse_error, "layout must be 0 or 1, it is " + std::to_string(layout));
    r.batch_major = layout == 1;
    r.type = c.input_port(0).type;
    r.hidden = c.attr_int("hidden_size", -1);
    if (r.hidden < 0) {  // from R [num_directions, gates*hidden, hidden]
        const auto& rs = c.input_port(2).shape;
        MOIR_CHECK(!rs.rank_dynamic && rs.rank() == 3 && rs.dims[2] > 0, unsupported_error,
                   "hidden_size is absent and R's shape does not give it");
        r.hidden = rs.dims[2];
    }
    // activations: one list per direction; OpenVINO has one for both
    std::vector<std::string> names = defaults;
    if (const auto* a = c.attr("activations"); a && !a->strings.empty()) {
        const std::size_t n = defaults.size();
        MOIR_CHECK(a->strings.size() == n || a->strings.size() == n * static_cast<std::size_t>(r.dirs), parse_error,
                   "activations lists " + std::to_string(a->strings.size()) + " functions, " + std::to_string(n) +
                       " per direction are expected");
        names.assign(a->strings.begin(), a->strings.begin() + static_cast<std::ptrdiff_t>(n));
        for (std::size_t i = n; i < a->strings.size(); ++i)
            MOIR_CHECK(a->strings[i] == a->strings[i - n], unsupported_error,
                       "different activations per direction are not supported");
    }
    for (std::size_t i = 0; i < names.size(); ++i) r.activations += (i ? "," : "") + names[i];
    moir::ops::detail::parse_activations(r.activations, defaults.size());  // unknown names fail here
    r.alpha = c.attr_floats("activation_alpha");
    r.beta = c.attr_floats("activation_beta");
    r.clip = c.attr_float("clip", 0.0f);
    MOIR_CHECK(r.clip >= 0, parse_error, "clip must be >= 0");
    r.x = r.batch_major ? c.input(0) : rnn_transpose(c, c.input(0), {1, 0, 2}, "/X");
    return r;
}

/// [1] tensor: dim `axis` of the batch-major X, at run time.
inline output_ref rnn_dim_of_x(context& c, const rnn_node& r, std::int64_t axis, const std::string& suffix) {
    const output_ref s = c.add<moir::ops::shape_of>({element_type::i64}, {r.x}, suffix + "/shape");
    return c.add<moir::ops::gather>({0},
                                    {s, c.constant(tensor::from_vector(std::vector<std::int64_t>{axis}), suffix + "/index"),
                                     c.constant(tensor::scalar<std::int64_t>(0), suffix + "/axis")},
                                    suffix);
}

/// ONNX sequence_lens (input 4), or every batch item's full length.
inline output_ref rnn_lengths(context& c, const rnn_node& r) {
    if (c.has_input(4)) return c.input(4);
    const auto& xs = c.model().port(r.x).shape;
    if (xs.is_static()) {
        const std::vector<std::int32_t> lens(static_cast<std::size_t>(xs.dims[0]), static_cast<std::int32_t>(xs.dims[1]));
        return c.constant(tensor::from_vector(lens), "/sequence_lengths");
    }
    return c.add<moir::ops::broadcast>({}, {rnn_dim_of_x(c, r, 1, "/seq_len"), rnn_dim_of_x(c, r, 0, "/batch")},
                                       "/sequence_lengths");
}

/// An initial state (ONNX input `i`) as [batch, num_directions, hidden], zeros when absent.
inline output_ref rnn_state(context& c, const rnn_node& r, std::size_t i, const std::string& suffix) {
    if (c.has_input(i)) return r.batch_major ? c.input(i) : rnn_transpose(c, c.input(i), {1, 0, 2}, suffix);
    const auto& xs = c.model().port(r.x).shape;
    if (!xs.rank_dynamic && xs.dims[0] >= 0)
        return c.constant(tensor(r.type, shape{xs.dims[0], r.dirs, r.hidden}), suffix);
    const output_ref dims = c.add<moir::ops::concat>(
        {0}, {rnn_dim_of_x(c, r, 0, suffix + "/batch"),
              c.constant(tensor::from_vector(std::vector<std::int64_t>{r.dirs, r.hidden}), suffix + "/tail")},
        suffix + "/dims");
    return c.add<moir::ops::broadcast>({}, {c.constant(tensor(r.type, shape{}), suffix + "/zero"), dims}, suffix);
}

/// OpenVINO's B from ONNX B = [Wb, Rb] (input 3; zeros when absent), `gates` blocks each.
/// linear_before_reset (GRU): [Wbz+Rbz, Wbr+Rbr, Wbh, Rbh]. `order` reorders the gate blocks.
inline output_ref rnn_bias(context& c, const rnn_node& r, std::size_t gates, bool linear_before_reset,
                           const std::vector<std::size_t>& order = {}) {
    const std::int64_t rows = static_cast<std::int64_t>(gates + (linear_before_reset ? 1 : 0)) * r.hidden;
    if (!c.has_input(3)) return c.constant(tensor(r.type, shape{r.dirs, rows}), "/B");
    const auto halves = rnn_split(c, c.input(3), 2, "/B_halves");
    if (linear_before_reset) {
        const auto wb = rnn_split(c, halves[0], gates, "/Wb");
        const auto rb = rnn_split(c, halves[1], gates, "/Rb");
        return rnn_concat(c,
                          {rnn_add(c, wb[0], rb[0], "/Bz"), rnn_add(c, wb[1], rb[1], "/Br"), wb[2], rb[2]}, "/B");
    }
    const output_ref sum = rnn_add(c, halves[0], halves[1], order.empty() ? "/B" : "/B_sum");
    return order.empty() ? sum : rnn_reorder(c, sum, gates, order, "/B");
}

/// Binds the sequence op's outputs (Y, Ho, Co as ports 0..) to the ONNX outputs, transposed back.
inline void rnn_outputs(context& c, const rnn_node& r, node_id id, std::size_t states) {
    if (c.output_used(0))
        c.set_output(0, rnn_transpose(c, {id, 0}, r.batch_major ? std::vector<std::int64_t>{0, 2, 1, 3}
                                                                : std::vector<std::int64_t>{2, 1, 0, 3},
                                      "/Y"));
    const char* names[] = {"/Y_h", "/Y_c"};
    for (std::size_t k = 1; k <= states; ++k) {
        if (!c.output_used(k)) continue;
        c.set_output(k, r.batch_major ? output_ref{id, k} : rnn_transpose(c, {id, k}, {1, 0, 2}, names[k - 1]));
    }
}

inline void onnx_rnn(context& c) {
    const rnn_node r = rnn_read_node(c, {"Tanh"});
    moir::ops::rnn_sequence::attrs a{r.hidden, r.activations, r.alpha, r.beta, r.clip, r.direction};
    const output_ref h = rnn_state(c, r, 5, "/initial_h");
    const output_ref lens = rnn_lengths(c, r);
    const output_ref b = rnn_bias(c, r, 1, false);
    const node_id id = c.add_node<moir::ops::rnn_sequence>(a, {r.x, h, lens, c.input(1), c.input(2), b}, "/sequence");
    rnn_outputs(c, r, id, 1);
}

inline void onnx_gru(context& c) {
    const rnn_node r = rnn_read_node(c, {"Sigmoid", "Tanh"});
    const bool lbr = c.attr_int("linear_before_reset", 0) != 0;
    moir::ops::gru_sequence::attrs a{r.hidden, r.activations, r.alpha, r.beta, r.clip, r.direction, lbr};
    const output_ref h = rnn_state(c, r, 5, "/initial_h");
    const output_ref lens = rnn_lengths(c, r);
    const output_ref b = rnn_bias(c, r, 3, lbr);
    const node_id id = c.add_node<moir::ops::gru_sequence>(a, {r.x, h, lens, c.input(1), c.input(2), b}, "/sequence");
    rnn_outputs(c, r, id, 1);
}

/// Whether LSTM input P (7) is present and not a constant of zeros.
inline bool rnn_has_peepholes(context& c) {
    if (!c.has_input(7)) return false;
    const auto p = c.const_input(7);
    if (!p) return true;
    for (double v : p->to_vector<double>())
        if (v != 0) return true;
    return false;
}

inline void onnx_lstm(context& c) {
    const rnn_node r = rnn_read_node(c, {"Sigmoid", "Tanh", "Tanh"});
    const std::vector<std::size_t> iofc_to_fico{2, 0, 3, 1};
    const output_ref h = rnn_state(c, r, 5, "/initial_h");
    const output_ref cs = rnn_state(c, r, 6, "/initial_c");
    const output_ref lens = rnn_lengths(c, r);
    const output_ref w = rnn_reorder(c, c.input(1), 4, iofc_to_fico, "/W");
    const output_ref rr = rnn_reorder(c, c.input(2), 4, iofc_to_fico, "/R");
    const output_ref b = rnn_bias(c, r, 4, false, iofc_to_fico);
    const bool input_forget = c.attr_int("input_forget", 0) != 0;
    node_id id;
    if (rnn_has_peepholes(c) || input_forget) {
        // LSTMSequence-5 has neither: the opset1 op does (P stays in ONNX's iof order)
        moir::ops::lstm_sequence_v0::attrs a{r.hidden, r.activations, r.alpha,        r.beta,
                                             r.clip,   r.direction,   input_forget, moir::ops::lstm_weights_format::fico};
        std::vector<output_ref> in{r.x, h, cs, lens, w, rr, b};
        if (c.has_input(7)) in.push_back(c.input(7));
        id = c.add_node<moir::ops::lstm_sequence_v0>(a, in, "/sequence");
    } else {
        moir::ops::lstm_sequence::attrs a{r.hidden, r.activations, r.alpha, r.beta, r.clip, r.direction};
        id = c.add_node<moir::ops::lstm_sequence>(a, {r.x, h, cs, lens, w, rr, b}, "/sequence");
    }
    rnn_outputs(c, r, id, 2);
}

}  // namespace detail

/// Registers RNN, GRU and LSTM (every opset; `layout` from opset 14 on).
template <class = void>  // compiled only where a table is built
void register_recurrent(op_table& t) {
    t.add("RNN", detail::onnx_rnn);
    t.add("GRU", detail::onnx_gru);
    t.add("LSTM", detail::onnx_lstm);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_RECURRENT_HPP
