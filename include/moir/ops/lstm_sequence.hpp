#ifndef MOIR_OPS_LSTM_SEQUENCE_HPP
#define MOIR_OPS_LSTM_SEQUENCE_HPP

#include <moir/ops/detail/recurrent.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// lstm_sequence: an LSTM over a batch-major sequence; gate blocks in W, R, B are ordered f, i, c, o:
///   it = f(Xt*Wi^T + Ht-1*Ri^T + Bi),  ft = f(Xt*Wf^T + Ht-1*Rf^T + Bf)
///   ct = g(Xt*Wc^T + Ht-1*Rc^T + Bc),  ot = f(Xt*Wo^T + Ht-1*Ro^T + Bo)
///   Ct = ft (.) Ct-1 + it (.) ct,       Ht = ot (.) h(Ct)
/// f, g, h = activations (default sigmoid, tanh, tanh); gate inputs clipped to [-clip, clip] when
/// clip > 0. sequence_lengths as in rnn_sequence (Ho and Co hold the last valid step's states).
/// inputs: X [batch, seq, input], H [batch, num_directions, hidden], C [batch, num_directions, hidden],
/// sequence_lengths [batch], W [num_directions, 4*hidden, input], R [num_directions, 4*hidden, hidden],
/// B [num_directions, 4*hidden].
/// outputs: Y [batch, num_directions, seq, hidden], Ho, Co [batch, num_directions, hidden].
/// IR: LSTMSequence of opset5 (no peepholes; see lstm_sequence_v0 for those).
struct lstm_sequence {
    static constexpr std::string_view name = "lstm_sequence", ir_name = "LSTMSequence", ir_opset = "opset5";
    static constexpr std::size_t min_inputs = 7, max_inputs = 7;
    struct attrs {
        std::int64_t hidden_size = 0;
        std::string activations = "sigmoid,tanh,tanh";
        std::vector<float> activations_alpha;
        std::vector<float> activations_beta;
        float clip = 0.0f;
        sequence_direction direction = sequence_direction::forward;
        static constexpr std::array<std::string_view, 6> ir_names{
            "hidden_size", "activations", "activations_alpha", "activations_beta", "clip", "direction"};
    };
    static constexpr detail::sequence_form form{"LSTMSequence", 4, 4, true, 3};
    static std::size_t outputs(const attrs&) { return 3; }
    static port_descs infer(const attrs& a, const port_descs& in) {
        return detail::infer_sequence(form, a.hidden_size, a.direction, a.clip, a.activations, in);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_LSTM_SEQUENCE_HPP
