#ifndef MOIR_OPS_MEL_WEIGHT_MATRIX_HPP
#define MOIR_OPS_MEL_WEIGHT_MATRIX_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// mel_weight_matrix: the [dft_length / 2 + 1, num_mel_bins] matrix that maps a onesided linear
/// spectrum to mel bands (ONNX MelWeightMatrix; OpenVINO has no such op, so its IR type is moir's
/// own, opset "moir"). Inputs (scalars): num_mel_bins, dft_length, sample_rate (integers),
/// lower_edge_hertz, upper_edge_hertz (floating). num_mel_bins + 2 edges are spaced evenly on the mel
/// scale mel(f) = 2595 log10(1 + f / 700), starting at mel(lower) with a step of (mel(upper) -
/// mel(lower)) / (num_mel_bins + 2) (as ONNX's reference does), mapped back to hertz and to bins
/// floor((dft_length + 1) * f / sample_rate); band i is the triangle rising from edge i to 1 at edge
/// i + 1 and falling to edge i + 2 (a single 1 where the rising side is empty).
/// requires: num_mel_bins >= 1, dft_length >= 1, sample_rate >= 1; bin edges inside the spectrum.
/// ensures: output of output_datatype (floating); dynamic dims while the sizes are unknown.
struct mel_weight_matrix {
    static constexpr std::string_view name = "mel_weight_matrix", ir_name = "MelWeightMatrix", ir_opset = "moir";
    static constexpr std::size_t min_inputs = 5, max_inputs = 5;
    struct attrs {
        element_type output_datatype = element_type::f32;
        static constexpr std::array<std::string_view, 1> ir_names{"output_datatype"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 5, shape_error,
                   "MelWeightMatrix takes 5 inputs (num_mel_bins, dft_length, sample_rate, lower_edge_hertz, "
                   "upper_edge_hertz)");
        MOIR_CHECK(is_float(a.output_datatype), shape_error, "output_datatype must be a floating type");
        for (std::size_t i = 0; i < 5; ++i)
            MOIR_CHECK(!in[i].shape.is_static() || numel(in[i].shape.dims) == 1, shape_error,
                       "the inputs of MelWeightMatrix must be scalars");
        for (std::size_t i = 0; i < 3; ++i)
            MOIR_CHECK(in[i].type == element_type::undefined || is_integer(in[i].type), shape_error,
                       "num_mel_bins, dft_length and sample_rate must be integers");
        std::int64_t rows = -1, cols = -1;
        if (in[0].has_value()) {
            cols = in[0].value.at_as<std::int64_t>(0);
            MOIR_CHECK(cols >= 1, shape_error, "num_mel_bins must be >= 1");
        }
        if (in[1].has_value()) {
            const auto n = in[1].value.at_as<std::int64_t>(0);
            MOIR_CHECK(n >= 1, shape_error, "dft_length must be >= 1");
            rows = n / 2 + 1;
        }
        return {port_desc{a.output_datatype, std::vector<std::int64_t>{rows, cols}, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MEL_WEIGHT_MATRIX_HPP
