#ifndef MOIR_OPS_REVERSE_SEQUENCE_HPP
#define MOIR_OPS_REVERSE_SEQUENCE_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// reverse_sequence: for every batch entry b (its index on batch_axis), reverses the first
/// seq_lengths[b] elements along seq_axis and keeps the rest (negative axes count from the end).
/// IR: ReverseSequence of opset1.
/// requires: batch_axis != seq_axis; seq_lengths a 1-D integer tensor with one entry per batch
/// entry, each in [0, the seq_axis dim] (the kernel throws otherwise; 0 and 1 reverse nothing).
/// ensures: output type and shape == data's.
struct reverse_sequence {
    static constexpr std::string_view name = "reverse_sequence", ir_name = "ReverseSequence", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    struct attrs {
        std::int64_t batch_axis = 0;
        std::int64_t seq_axis = 1;
        static constexpr std::array<std::string_view, 2> ir_names{"batch_axis", "seq_axis"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "ReverseSequence takes 2 inputs (data, seq_lengths)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "seq_lengths must be an integer tensor");
        const partial_shape& s = in[0].shape;
        const partial_shape& ls = in[1].shape;
        MOIR_CHECK(ls.rank_dynamic || ls.rank() == 1, shape_error, "seq_lengths must be 1-D, it is " + ls.str());
        if (!s.rank_dynamic) {
            MOIR_CHECK(s.rank() >= 2, shape_error, "ReverseSequence needs rank >= 2, the data is " + s.str());
            const std::size_t b = normalize_axis(a.batch_axis, s.rank());
            const std::size_t t = normalize_axis(a.seq_axis, s.rank());
            MOIR_CHECK(b != t, shape_error, "batch_axis and seq_axis must differ");
            MOIR_CHECK(ls.rank_dynamic || ls.dims[0] < 0 || s.dims[b] < 0 || ls.dims[0] == s.dims[b], shape_error,
                       "seq_lengths has " + std::to_string(ls.dims[0]) + " entries, the batch dim is " +
                           std::to_string(s.dims[b]));
        }
        return {port_desc{in[0].type, s, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_REVERSE_SEQUENCE_HPP
