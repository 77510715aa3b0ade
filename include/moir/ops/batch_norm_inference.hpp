#ifndef MOIR_OPS_BATCH_NORM_INFERENCE_HPP
#define MOIR_OPS_BATCH_NORM_INFERENCE_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view

namespace moir::ops {

/// batch_norm_inference: y[n, c, ...] = gamma[c] * (x[n, c, ...] - mean[c]) / sqrt(variance[c] + epsilon)
/// + beta[c], channel axis 1. requires: inputs data [N, C, ...] (rank >= 2), gamma, beta, mean,
/// variance, each [C], all of one floating type; epsilon >= 0. ensures: output of the data's type and
/// shape (a dynamic C resolves from the per-channel inputs).
struct batch_norm_inference {
    static constexpr std::string_view name = "batch_norm_inference", ir_name = "BatchNormInference",
                                      ir_opset = "opset5";
    static constexpr std::size_t min_inputs = 5, max_inputs = 5;
    static constexpr bool float_only = true;  ///< the reference kernel computes floating types only
    struct attrs {
        double epsilon = 1e-5;
        static constexpr std::array<std::string_view, 1> ir_names{"epsilon"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(a.epsilon >= 0.0, shape_error, "epsilon must not be negative");
        partial_shape s = in[0].shape;
        MOIR_CHECK(s.rank_dynamic || s.rank() >= 2, shape_error, "data must have rank 2 or more (got " + s.str() + ")");
        std::int64_t channels = s.rank_dynamic ? -1 : s.dims[1];
        static constexpr const char* names[] = {"data", "gamma", "beta", "mean", "variance"};
        for (std::size_t i = 1; i < 5; ++i) {
            MOIR_CHECK(in[i].type == in[0].type || in[i].type == element_type::undefined ||
                           in[0].type == element_type::undefined,
                       shape_error, std::string(names[i]) + " and data have different element types");
            const partial_shape& p = in[i].shape;
            if (p.rank_dynamic) continue;
            MOIR_CHECK(p.rank() == 1, shape_error, std::string(names[i]) + " must be 1-D (got " + p.str() + ")");
            const std::int64_t c = p.dims[0];
            MOIR_CHECK(c < 0 || channels < 0 || c == channels, shape_error,
                       std::string(names[i]) + " has " + std::to_string(c) + " values, the data has " +
                           std::to_string(channels) + " channels");
            if (channels < 0) channels = c;
        }
        if (!s.rank_dynamic) s.dims[1] = channels;
        return {port_desc{in[0].type, s, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_BATCH_NORM_INFERENCE_HPP
