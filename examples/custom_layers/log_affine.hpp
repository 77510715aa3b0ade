#ifndef MOIR_EXAMPLES_CUSTOM_LAYERS_LOG_AFFINE_HPP
#define MOIR_EXAMPLES_CUSTOM_LAYERS_LOG_AFFINE_HPP

// A user's op for a Caffe layer type moir does not convert: Caffe's "Log" layer,
// y = log_base(shift + scale * x) (base -1: the natural logarithm), with its log_param mapped
// one-to-one (moir::map_op, an attribute-name map like OpenVINO's OpExtension<T>). In the IR:
// <layer type="LogAffine" version="my_ops"> with data base, scale, shift. It also shows the
// optional fast kernel: the compiled plan runs log_affine_fast instead of the reference kernel.

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>
#include <moir/kernels/kernel.hpp>

#include <array>        // array
#include <cmath>        // log
#include <cstddef>      // size_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace my_ops {

/// y = log(shift + scale * x) / log(base), element-wise (base -1: / 1, the natural logarithm).
/// requires: an f32 input. ensures: output type and shape == input's.
struct log_affine {
    static constexpr std::string_view name = "log_affine";
    static constexpr std::string_view ir_name = "LogAffine";
    static constexpr std::string_view ir_opset = "my_ops";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        float base = -1.0f;  ///< -1: e
        float scale = 1.0f;
        float shift = 0.0f;
        static constexpr std::array<std::string_view, 3> ir_names{"base", "scale", "shift"};
    };
    static moir::port_descs infer(const attrs& a, const moir::port_descs& in) {
        MOIR_CHECK(in[0].type == moir::element_type::f32, shape_error, "the input must be f32");
        MOIR_CHECK(a.base == -1.0f || (a.base > 0 && a.base != 1.0f), shape_error,
                   "base must be -1 (e) or a positive number other than 1");
        moir::port_desc y;
        y.type = moir::element_type::f32;
        y.shape = in[0].shape;
        return {y};
    }
};

/// The faster kernel: the division by log(base) hoisted out of the loop.
struct log_affine_fast {
    static void run(const log_affine::attrs& a, const std::vector<moir::tensor>& in, std::vector<moir::tensor>& out) {
        const float inv = a.base == -1.0f ? 1.0f : 1.0f / std::log(a.base);
        const float* x = in[0].data<float>();
        float* y = out[0].data<float>();
        for (std::size_t i = 0, n = in[0].numel(); i < n; ++i) y[i] = std::log(a.shift + a.scale * x[i]) * inv;
    }
};

}  // namespace my_ops

/// The op's reference kernel, literally the formula.
template <>
struct moir::kernels::reference_kernel<my_ops::log_affine> {
    static constexpr bool available = true;
    static void run(const my_ops::log_affine::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const float* x = in[0].data<float>();
        float* y = out[0].data<float>();
        for (std::size_t i = 0, n = in[0].numel(); i < n; ++i) {
            const double v = std::log(static_cast<double>(a.shift) + static_cast<double>(a.scale) * x[i]);
            y[i] = static_cast<float>(a.base == -1.0f ? v : v / std::log(static_cast<double>(a.base)));
        }
    }
};

#endif  // MOIR_EXAMPLES_CUSTOM_LAYERS_LOG_AFFINE_HPP
