#ifndef MOIR_OPS_STFT_HPP
#define MOIR_OPS_STFT_HPP

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

/// stft: the short-time Fourier transform of a real signal [batch, length] or [length]. Inputs:
/// signal, window [W] (W <= frame_size, zero-padded on both sides to frame_size, the extra cell on
/// the right), frame_size and frame_step (integer scalars). Frame f covers signal[f * frame_step ...
/// + frame_size); its windowed samples go through a onesided DFT (bins 0 .. frame_size / 2).
/// IR: STFT of opset15.
/// requires: a floating signal and window of one type; frame_size in [1, length]; frame_step >= 1.
/// ensures: output [batch, frames, bins, 2] ([bins, frames] swapped when transpose_frames; no batch
/// axis for a 1-D signal) with frames = (length - frame_size) / frame_step + 1, bins = frame_size / 2
/// + 1; dynamic dims while frame_size or frame_step are unknown.
struct stft {
    static constexpr std::string_view name = "stft", ir_name = "STFT", ir_opset = "opset15";
    static constexpr std::size_t min_inputs = 4, max_inputs = 4;
    struct attrs {
        bool transpose_frames = false;
        static constexpr std::array<std::string_view, 1> ir_names{"transpose_frames"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 4, shape_error, "STFT takes 4 inputs (signal, window, frame_size, frame_step)");
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "the signal of STFT must be floating-point");
        MOIR_CHECK(in[1].type == element_type::undefined || in[0].type == element_type::undefined ||
                       in[1].type == in[0].type,
                   shape_error, "the window must have the signal's element type");
        for (std::size_t i = 2; i < 4; ++i) {
            MOIR_CHECK(in[i].type == element_type::undefined || is_integer(in[i].type), shape_error,
                       "frame_size and frame_step must be integers");
            MOIR_CHECK(!in[i].shape.is_static() || numel(in[i].shape.dims) == 1, shape_error,
                       "frame_size and frame_step must be scalars");
        }
        MOIR_CHECK(in[1].shape.rank_dynamic || in[1].shape.rank() == 1, shape_error, "the window must be 1-D");
        const partial_shape& s = in[0].shape;
        MOIR_CHECK(s.rank_dynamic || s.rank() == 1 || s.rank() == 2, shape_error, "the signal must be 1-D or 2-D");
        if (s.rank_dynamic) return {port_desc{in[0].type, partial_shape::dynamic(), {}}};
        const std::int64_t length = s.dims.back();
        std::int64_t frames = -1, bins = -1;
        if (in[2].has_value()) {
            const std::int64_t size = in[2].value.at_as<std::int64_t>(0);
            MOIR_CHECK(size >= 1 && (length < 0 || size <= length), shape_error,
                       "frame_size " + std::to_string(size) + " must be in [1, signal length]");
            const std::int64_t w = in[1].shape.rank_dynamic ? -1 : in[1].shape.dims[0];
            MOIR_CHECK(w <= size, shape_error, "the window is longer than frame_size");
            bins = size / 2 + 1;
            if (in[3].has_value() && length >= 0) {
                const std::int64_t step = in[3].value.at_as<std::int64_t>(0);
                MOIR_CHECK(step >= 1, shape_error, "frame_step must be >= 1");
                frames = (length - size) / step + 1;
            }
        }
        std::vector<std::int64_t> out;
        if (s.rank() == 2) out.push_back(s.dims[0]);
        if (a.transpose_frames) out.insert(out.end(), {bins, frames, 2});
        else out.insert(out.end(), {frames, bins, 2});
        return {port_desc{in[0].type, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_STFT_HPP
