#ifndef MOIR_OPS_GRU_SEQUENCE_HPP
#define MOIR_OPS_GRU_SEQUENCE_HPP

#include <moir/ops/detail/recurrent.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// gru_sequence: a GRU over a batch-major sequence; gate blocks in W, R, B are ordered z, r, h:
///   zt = f(Xt*Wz^T + Ht-1*Rz^T + Bz),  rt = f(Xt*Wr^T + Ht-1*Rr^T + Br)
///   ht = g(Xt*Wh^T + (rt (.) Ht-1)*Rh^T + Bh)              (linear_before_reset = false)
///   ht = g(Xt*Wh^T + rt (.) (Ht-1*Rh^T + Rbh) + Wbh)       (linear_before_reset = true)
///   Ht = (1 - zt) (.) ht + zt (.) Ht-1
/// f, g = activations (default sigmoid, tanh); activation inputs clipped to [-clip, clip] when clip > 0.
/// sequence_lengths as in rnn_sequence.
/// inputs: X [batch, seq, input], H [batch, num_directions, hidden], sequence_lengths [batch],
/// W [num_directions, 3*hidden, input], R [num_directions, 3*hidden, hidden], B [num_directions,
/// 3*hidden] (zrh sums of the input and recurrence biases) or, with linear_before_reset,
/// [num_directions, 4*hidden] = [Wbz+Rbz, Wbr+Rbr, Wbh, Rbh].
/// outputs: Y [batch, num_directions, seq, hidden], Ho [batch, num_directions, hidden].
/// IR: GRUSequence of opset5.
struct gru_sequence {
    static constexpr std::string_view name = "gru_sequence", ir_name = "GRUSequence", ir_opset = "opset5";
    static constexpr std::size_t min_inputs = 6, max_inputs = 6;
    struct attrs {
        std::int64_t hidden_size = 0;
        std::string activations = "sigmoid,tanh";
        std::vector<float> activations_alpha;
        std::vector<float> activations_beta;
        float clip = 0.0f;
        sequence_direction direction = sequence_direction::forward;
        bool linear_before_reset = false;
        static constexpr std::array<std::string_view, 7> ir_names{"hidden_size",      "activations", "activations_alpha",
                                                                  "activations_beta", "clip",        "direction",
                                                                  "linear_before_reset"};
    };
    static std::size_t outputs(const attrs&) { return 2; }
    static port_descs infer(const attrs& a, const port_descs& in) {
        const detail::sequence_form form{"GRUSequence", 3, a.linear_before_reset ? 4u : 3u, false, 2};
        return detail::infer_sequence(form, a.hidden_size, a.direction, a.clip, a.activations, in);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_GRU_SEQUENCE_HPP
