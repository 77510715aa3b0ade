#ifndef MOIR_OPS_LRN_HPP
#define MOIR_OPS_LRN_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view

namespace moir::ops {

/// lrn (local response normalization): y = x / (bias + alpha / size^n * sqr_sum)^beta, where
/// sqr_sum is the sum of x^2 over the window around each cell spanning, on each of the n axes of
/// the 2nd input (integer constant), the cells [i - floor((size-1)/2), i + ceil((size-1)/2)] clipped
/// to the axis (ONNX LRN is axes = [1]). IR: LRN of opset1.
/// requires: floating-point data; size >= 1; axes in [-rank, rank).
/// ensures: output type and shape == the data's.
struct lrn {
    static constexpr std::string_view name = "lrn", ir_name = "LRN", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    static constexpr bool float_only = true;
    struct attrs {
        double alpha = 1e-4;
        double beta = 0.75;
        double bias = 1.0;
        std::int64_t size = 1;
        static constexpr std::array<std::string_view, 4> ir_names{"alpha", "beta", "bias", "size"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "LRN takes 2 inputs (data, axes)");
        MOIR_CHECK(a.size >= 1, shape_error, "size must be >= 1, it is " + std::to_string(a.size));
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "LRN needs floating-point data");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the axes input must be an integer tensor");
        if (in[1].has_value() && !in[0].shape.rank_dynamic)
            for (auto ax : detail::const_ints(in, 1, "the axes input")) normalize_axis(ax, in[0].shape.rank());
        return {port_desc{in[0].type, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_LRN_HPP
