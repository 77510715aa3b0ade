#ifndef MOIR_OPS_RNN_SEQUENCE_HPP
#define MOIR_OPS_RNN_SEQUENCE_HPP

#include <moir/ops/detail/recurrent.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// rnn_sequence: a vanilla RNN over a batch-major sequence, per direction and batch item:
///   Ht = f(Xt*W^T + Ht-1*R^T + B), f = activations[0] (default tanh), inputs clipped to [-clip, clip]
///   when clip > 0. Steps t >= sequence_lengths[b] are skipped: Y is 0 there and Ho holds the state of
///   the last valid step; the reverse direction walks the valid steps backwards.
/// inputs: X [batch, seq, input], H [batch, num_directions, hidden], sequence_lengths [batch] (integer),
/// W [num_directions, hidden, input], R [num_directions, hidden, hidden], B [num_directions, hidden].
/// outputs: Y [batch, num_directions, seq, hidden], Ho [batch, num_directions, hidden], of X's type.
/// IR: RNNSequence of opset5; activations is the comma-separated list (relu, sigmoid, tanh);
/// activations_alpha/beta are carried but unused by these functions.
struct rnn_sequence {
    static constexpr std::string_view name = "rnn_sequence", ir_name = "RNNSequence", ir_opset = "opset5";
    static constexpr std::size_t min_inputs = 6, max_inputs = 6;
    struct attrs {
        std::int64_t hidden_size = 0;
        std::string activations = "tanh";
        std::vector<float> activations_alpha;
        std::vector<float> activations_beta;
        float clip = 0.0f;
        sequence_direction direction = sequence_direction::forward;
        static constexpr std::array<std::string_view, 6> ir_names{
            "hidden_size", "activations", "activations_alpha", "activations_beta", "clip", "direction"};
    };
    static constexpr detail::sequence_form form{"RNNSequence", 1, 1, false, 1};
    static std::size_t outputs(const attrs&) { return 2; }
    static port_descs infer(const attrs& a, const port_descs& in) {
        return detail::infer_sequence(form, a.hidden_size, a.direction, a.clip, a.activations, in);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_RNN_SEQUENCE_HPP
