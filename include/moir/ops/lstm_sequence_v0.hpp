#ifndef MOIR_OPS_LSTM_SEQUENCE_V0_HPP
#define MOIR_OPS_LSTM_SEQUENCE_V0_HPP

#include <moir/ops/detail/recurrent.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// The order of the gate blocks in W, R and B of lstm_sequence_v0: OpenVINO `weights_format`.
enum class lstm_weights_format { fico, icof, ifco, ifoc, iofc };
constexpr std::array<std::string_view, 5> ir_enum_names(lstm_weights_format) {
    return {"fico", "icof", "ifco", "ifoc", "iofc"};
}

/// lstm_sequence_v0: the LSTMSequence of opset1 (OpenVINO's op::v0), which adds to lstm_sequence
/// peephole weights, a choice of gate order and coupled input/forget gates:
///   it = f(Xt*Wi^T + Ht-1*Ri^T + Pi (.) Ct-1 + Bi)
///   ft = f(Xt*Wf^T + Ht-1*Rf^T + Pf (.) Ct-1 + Bf)      (input_forget: ft = 1 - it)
///   ct = g(Xt*Wc^T + Ht-1*Rc^T + Bc),  Ct = ft (.) Ct-1 + it (.) ct
///   ot = f(Xt*Wo^T + Ht-1*Ro^T + Po (.) Ct + Bo),  Ht = ot (.) h(Ct)
/// inputs: as lstm_sequence, W/R/B gate blocks ordered by weights_format, plus the optional P
/// [num_directions, 3*hidden] ordered i, o, f (zeros when absent).
/// outputs: Y [batch, num_directions, seq, hidden], Ho, Co [batch, num_directions, hidden].
/// moir emits it only for what opset5 cannot say (ONNX LSTM with peepholes or input_forget).
struct lstm_sequence_v0 {
    static constexpr std::string_view name = "lstm_sequence_v0", ir_name = "LSTMSequence", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 7, max_inputs = 8;
    struct attrs {
        std::int64_t hidden_size = 0;
        std::string activations = "sigmoid,tanh,tanh";
        std::vector<float> activations_alpha;
        std::vector<float> activations_beta;
        float clip = 0.0f;
        sequence_direction direction = sequence_direction::forward;
        bool input_forget = false;
        lstm_weights_format weights_format = lstm_weights_format::ifco;
        static constexpr std::array<std::string_view, 8> ir_names{
            "hidden_size", "activations", "activations_alpha", "activations_beta",
            "clip",        "direction",   "input_forget",      "weights_format"};
    };
    static constexpr detail::sequence_form form{"LSTMSequence", 4, 4, true, 3};
    static std::size_t outputs(const attrs&) { return 3; }
    static port_descs infer(const attrs& a, const port_descs& in) {
        return detail::infer_sequence(form, a.hidden_size, a.direction, a.clip, a.activations, in);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_LSTM_SEQUENCE_V0_HPP
