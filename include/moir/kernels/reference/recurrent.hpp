#ifndef MOIR_KERNELS_REFERENCE_RECURRENT_HPP
#define MOIR_KERNELS_REFERENCE_RECURRENT_HPP

// Reference kernels of the recurrent sequence ops: RNNSequence, GRUSequence, LSTMSequence (opset5)
// and LSTMSequence-1 (peepholes). Every input is read as double, each direction and batch item walks
// its valid steps (sequence_lengths, clamped to [0, seq]) one cell at a time, and the results are
// written back in X's floating type. Steps past a sequence's length give zeros in Y.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/ops/gru_sequence.hpp>
#include <moir/ops/lstm_sequence.hpp>
#include <moir/ops/lstm_sequence_v0.hpp>
#include <moir/ops/rnn_sequence.hpp>

#include <algorithm>    // clamp, copy
#include <cmath>        // exp, tanh
#include <cstddef>      // ptrdiff_t, size_t
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v, is_same_v
#include <vector>       // vector

namespace moir::kernels {

namespace detail {

inline double rnn_apply(ops::rnn_activation f, double x) {
    switch (f) {
        case ops::rnn_activation::relu: return x > 0 ? x : 0.0;
        case ops::rnn_activation::sigmoid: return 1.0 / (1.0 + std::exp(-x));
        case ops::rnn_activation::tanh: return std::tanh(x);
    }
    return x;
}

/// One sequence op run in doubles: the inputs, the dims, and the outputs being filled.
struct rnn_run {
    std::size_t batch = 0, seq = 0, input = 0, hidden = 0, dirs = 0;
    std::vector<double> x, h0, c0, w, r, b, p;
    std::vector<std::int64_t> lens;
    std::vector<double> y, ho, co;
    double clip = 0;

    /// (W x_t)[row] + (R h)[row] of direction d: the matrix products every gate starts from.
    double wx(std::size_t d, std::size_t rows, std::size_t row, const double* xt) const {
        const double* wr = &w[(d * rows + row) * input];
        double s = 0;
        for (std::size_t k = 0; k < input; ++k) s += wr[k] * xt[k];
        return s;
    }
    double rh(std::size_t d, std::size_t rows, std::size_t row, const std::vector<double>& h) const {
        const double* rr = &r[(d * rows + row) * hidden];
        double s = 0;
        for (std::size_t k = 0; k < hidden; ++k) s += rr[k] * h[k];
        return s;
    }
    double clipped(double v) const { return clip > 0 ? std::clamp(v, -clip, clip) : v; }
};

/// Reads the inputs of a sequence op into `run`. Inputs: X, H, [C], lengths, W, R, B, [P].
inline rnn_run rnn_read(const std::vector<tensor>& in, bool has_cell, float clip) {
    rnn_run s;
    const std::size_t c = has_cell ? 1 : 0;
    const shape& xs = in[0].dims();
    s.batch = static_cast<std::size_t>(xs[0]);
    s.seq = static_cast<std::size_t>(xs[1]);
    s.input = static_cast<std::size_t>(xs[2]);
    s.dirs = static_cast<std::size_t>(in[1].dims()[1]);
    s.hidden = static_cast<std::size_t>(in[1].dims()[2]);
    s.x = in[0].to_vector<double>();
    s.h0 = in[1].to_vector<double>();
    if (has_cell) s.c0 = in[2].to_vector<double>();
    s.lens = in[2 + c].to_vector<std::int64_t>();
    s.w = in[3 + c].to_vector<double>();
    s.r = in[4 + c].to_vector<double>();
    s.b = in[5 + c].to_vector<double>();
    if (in.size() > 6 + c) s.p = in[6 + c].to_vector<double>();
    s.clip = clip;
    s.y.assign(s.batch * s.dirs * s.seq * s.hidden, 0.0);
    s.ho.assign(s.batch * s.dirs * s.hidden, 0.0);
    if (has_cell) s.co.assign(s.ho.size(), 0.0);
    return s;
}

/// Walks every direction and batch item: `step(d, x_t, h, c)` turns the states of one step into the
/// next in place. Y, Ho, Co of `s` are filled.
template <class Step>
void rnn_walk(rnn_run& s, ops::sequence_direction dir, Step&& step) {
    const std::size_t hs = s.hidden;
    std::vector<double> h(hs), c(hs);
    for (std::size_t d = 0; d < s.dirs; ++d) {
        const bool reverse = dir == ops::sequence_direction::reverse || d == 1;
        for (std::size_t b = 0; b < s.batch; ++b) {
            const std::size_t state = (b * s.dirs + d) * hs;
            std::copy(s.h0.begin() + static_cast<std::ptrdiff_t>(state),
                      s.h0.begin() + static_cast<std::ptrdiff_t>(state + hs), h.begin());
            if (!s.c0.empty())
                std::copy(s.c0.begin() + static_cast<std::ptrdiff_t>(state),
                          s.c0.begin() + static_cast<std::ptrdiff_t>(state + hs), c.begin());
            const auto len = static_cast<std::size_t>(
                std::clamp<std::int64_t>(s.lens[b], 0, static_cast<std::int64_t>(s.seq)));
            for (std::size_t i = 0; i < len; ++i) {
                const std::size_t t = reverse ? len - 1 - i : i;
                step(d, &s.x[(b * s.seq + t) * s.input], h, c);
                std::copy(h.begin(), h.end(), s.y.begin() + static_cast<std::ptrdiff_t>(((b * s.dirs + d) * s.seq + t) * hs));
            }
            std::copy(h.begin(), h.end(), s.ho.begin() + static_cast<std::ptrdiff_t>(state));
            if (!s.co.empty()) std::copy(c.begin(), c.end(), s.co.begin() + static_cast<std::ptrdiff_t>(state));
        }
    }
}

/// Writes doubles into a floating tensor.
inline void rnn_store(tensor& t, const std::vector<double>& v) {
    visit_element_type(t.type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, half>) {
            T* o = t.data<T>();
            for (std::size_t i = 0; i < v.size(); ++i) o[i] = convert_value<T>(v[i]);
        }
    });
}

inline void rnn_require_float(std::string_view op, element_type t) {
    if (!is_float(t)) unsupported_type(op, t);
}

/// The LSTM cell of both LSTMSequence versions; `pos` gives the block of gates i, f, c, o in W, R, B.
inline void lstm_run(const std::vector<tensor>& in, std::vector<tensor>& out, std::string_view op,
                     ops::sequence_direction dir, const std::string& activations, float clip,
                     const std::size_t (&pos)[4], bool input_forget) {
    rnn_require_float(op, in[0].type());
    rnn_run s = rnn_read(in, true, clip);
    const auto act = ops::detail::parse_activations(activations, 3);
    const std::size_t hs = s.hidden, rows = 4 * hs;
    std::vector<double> gi(hs), gf(hs), gc(hs);
    rnn_walk(s, dir, [&](std::size_t d, const double* xt, std::vector<double>& h, std::vector<double>& c) {
        auto pre = [&](std::size_t gate, std::size_t j) {
            const std::size_t row = pos[gate] * hs + j;
            return s.wx(d, rows, row, xt) + s.rh(d, rows, row, h) + s.b[d * rows + row];
        };
        auto peep = [&](std::size_t k, std::size_t j) { return s.p.empty() ? 0.0 : s.p[d * 3 * hs + k * hs + j]; };
        for (std::size_t j = 0; j < hs; ++j) {  // P blocks: i, o, f
            gi[j] = rnn_apply(act[0], s.clipped(pre(0, j) + peep(0, j) * c[j]));
            gf[j] = input_forget ? 1.0 - gi[j] : rnn_apply(act[0], s.clipped(pre(1, j) + peep(2, j) * c[j]));
            gc[j] = rnn_apply(act[1], s.clipped(pre(2, j)));
        }
        std::vector<double> o(hs);
        for (std::size_t j = 0; j < hs; ++j) o[j] = pre(3, j);  // uses the previous H
        for (std::size_t j = 0; j < hs; ++j) {
            c[j] = gf[j] * c[j] + gi[j] * gc[j];
            const double ot = rnn_apply(act[0], s.clipped(o[j] + peep(1, j) * c[j]));
            h[j] = ot * rnn_apply(act[2], c[j]);
        }
    });
    rnn_store(out[0], s.y);
    rnn_store(out[1], s.ho);
    rnn_store(out[2], s.co);
}

}  // namespace detail

template <>
struct reference_kernel<ops::rnn_sequence> {
    static constexpr bool available = true;
    static void run(const ops::rnn_sequence::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::rnn_require_float(ops::rnn_sequence::ir_name, in[0].type());
        detail::rnn_run s = detail::rnn_read(in, false, a.clip);
        const auto f = ops::detail::parse_activations(a.activations, 1)[0];
        const std::size_t hs = s.hidden;
        std::vector<double> next(hs);
        detail::rnn_walk(s, a.direction, [&](std::size_t d, const double* xt, std::vector<double>& h, std::vector<double>&) {
            for (std::size_t j = 0; j < hs; ++j)
                next[j] = detail::rnn_apply(f, s.clipped(s.wx(d, hs, j, xt) + s.rh(d, hs, j, h) + s.b[d * hs + j]));
            h = next;
        });
        detail::rnn_store(out[0], s.y);
        detail::rnn_store(out[1], s.ho);
    }
};

template <>
struct reference_kernel<ops::gru_sequence> {
    static constexpr bool available = true;
    static void run(const ops::gru_sequence::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        detail::rnn_require_float(ops::gru_sequence::ir_name, in[0].type());
        detail::rnn_run s = detail::rnn_read(in, false, a.clip);
        const auto act = ops::detail::parse_activations(a.activations, 2);
        const std::size_t hs = s.hidden, rows = 3 * hs, brows = (a.linear_before_reset ? 4 : 3) * hs;
        std::vector<double> z(hs), reset(hs), next(hs);
        detail::rnn_walk(s, a.direction, [&](std::size_t d, const double* xt, std::vector<double>& h, std::vector<double>&) {
            const double* bias = &s.b[d * brows];
            for (std::size_t j = 0; j < hs; ++j) {
                z[j] = detail::rnn_apply(act[0], s.clipped(s.wx(d, rows, j, xt) + s.rh(d, rows, j, h) + bias[j]));
                reset[j] = detail::rnn_apply(
                    act[0], s.clipped(s.wx(d, rows, hs + j, xt) + s.rh(d, rows, hs + j, h) + bias[hs + j]));
            }
            for (std::size_t j = 0; j < hs; ++j) {
                const std::size_t row = 2 * hs + j;
                double pre = s.wx(d, rows, row, xt);
                if (a.linear_before_reset) {
                    pre += reset[j] * (s.rh(d, rows, row, h) + bias[3 * hs + j]) + bias[2 * hs + j];
                } else {
                    const double* rr = &s.r[(d * rows + row) * hs];
                    double acc = 0;
                    for (std::size_t k = 0; k < hs; ++k) acc += rr[k] * reset[k] * h[k];
                    pre += acc + bias[2 * hs + j];
                }
                const double ht = detail::rnn_apply(act[1], s.clipped(pre));
                next[j] = (1 - z[j]) * ht + z[j] * h[j];
            }
            h = next;
        });
        detail::rnn_store(out[0], s.y);
        detail::rnn_store(out[1], s.ho);
    }
};

template <>
struct reference_kernel<ops::lstm_sequence> {
    static constexpr bool available = true;
    static void run(const ops::lstm_sequence::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        static constexpr std::size_t fico[4] = {1, 0, 2, 3};  // blocks of i, f, c, o
        detail::lstm_run(in, out, ops::lstm_sequence::ir_name, a.direction, a.activations, a.clip, fico, false);
    }
};

template <>
struct reference_kernel<ops::lstm_sequence_v0> {
    static constexpr bool available = true;
    static void run(const ops::lstm_sequence_v0::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const std::string_view format = ir_enum_names(a.weights_format)[static_cast<std::size_t>(a.weights_format)];
        std::size_t pos[4];  // blocks of i, f, c, o
        const char gates[4] = {'i', 'f', 'c', 'o'};
        for (std::size_t g = 0; g < 4; ++g) pos[g] = format.find(gates[g]);
        detail::lstm_run(in, out, ops::lstm_sequence_v0::ir_name, a.direction, a.activations, a.clip, pos,
                         a.input_forget);
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_RECURRENT_HPP
