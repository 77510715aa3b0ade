#ifndef MOIR_EXAMPLES_CUSTOM_LAYERS_CONV2D_TRANSPOSE_BIAS_HPP
#define MOIR_EXAMPLES_CUSTOM_LAYERS_CONV2D_TRANSPOSE_BIAS_HPP

// A user's op: MediaPipe's TFLite custom op Convolution2DTransposeBias (the selfie and hair
// segmentation models' upsampling layers), written outside moir as docs/custom-layers.md shows.
// It keeps TFLite's layout: NHWC input, OHWI filter, bias [O], output NHWC, and lives in the IR as
// <layer type="Convolution2DTransposeBias" version="mediapipe">.
//
// moir's TFLite frontend maps this op itself (to ConvolutionBackpropData + Add, in NCHW); the
// mapping below, registered as an extension, overrides it.

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>
#include <moir/frontends/tflite/converter.hpp>
#include <moir/kernels/kernel.hpp>

#include <algorithm>    // max
#include <array>        // array
#include <cstdint>      // int32_t, int64_t
#include <cstring>      // memcpy
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace my_ops {

/// y[n, oh, ow, o] = bias[o] + sum over (ih, iw, kh, kw, i) with oh = ih * sh + kh - pad_top and
/// ow = iw * sw + kw - pad_left of x[n, ih, iw, i] * w[o, kh, kw, i]: a transposed convolution in
/// NHWC. Output size: SAME in * s, VALID (in - 1) * s + k; pad_top = ((in - 1) * s + k - out) / 2
/// (TensorFlow's rule). requires: f32 x [N, H, W, I], w [O, KH, KW, I], bias [O].
struct conv2d_transpose_bias {
    static constexpr std::string_view name = "conv2d_transpose_bias";
    static constexpr std::string_view ir_name = "Convolution2DTransposeBias";
    static constexpr std::string_view ir_opset = "mediapipe";  // its own opset, not OpenVINO's
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    struct attrs {
        std::vector<std::int64_t> strides{1, 1};  ///< [h, w]
        std::string padding = "same";             ///< "same" or "valid"
        static constexpr std::array<std::string_view, 2> ir_names{"strides", "padding"};
    };

    /// Output size of one spatial axis.
    static std::int64_t out_size(const attrs& a, std::int64_t in, std::int64_t k, std::int64_t s) {
        return a.padding == "same" ? in * s : (in - 1) * s + k;
    }

    static moir::port_descs infer(const attrs& a, const moir::port_descs& in) {
        MOIR_CHECK(a.strides.size() == 2 && a.strides[0] >= 1 && a.strides[1] >= 1, shape_error,
                   "strides must be two values >= 1");
        MOIR_CHECK(a.padding == "same" || a.padding == "valid", shape_error,
                   "padding must be 'same' or 'valid', not '" + a.padding + "'");
        for (const auto& p : in)
            MOIR_CHECK(p.type == moir::element_type::f32, shape_error, "every input must be f32");
        const moir::partial_shape &x = in[0].shape, &w = in[1].shape;
        moir::port_desc y;
        y.type = moir::element_type::f32;
        y.shape = moir::partial_shape::dynamic();
        if (x.rank_dynamic || w.rank_dynamic) return {y};
        MOIR_CHECK(x.rank() == 4 && w.rank() == 4, shape_error, "input and filter must have rank 4 (NHWC, OHWI)");
        MOIR_CHECK(x.dims[3] < 0 || w.dims[3] < 0 || x.dims[3] == w.dims[3], shape_error,
                   "the input has " + std::to_string(x.dims[3]) + " channels, the filter " + std::to_string(w.dims[3]));
        std::vector<std::int64_t> out{x.dims[0], -1, -1, w.dims[0]};
        for (int i = 0; i < 2; ++i)
            if (x.dims[1 + i] >= 0 && w.dims[1 + i] >= 0) out[1 + i] = out_size(a, x.dims[1 + i], w.dims[1 + i], a.strides[i]);
        y.shape = out;
        return {y};
    }
};

/// Reads the op from a TFLite operator: inputs (input, OHWI filter, bias); its custom options are
/// the raw TfLiteTransposeConvParams {int32 padding (1 SAME, 2 VALID), int32 stride_w, int32 stride_h}.
inline void convert_conv2d_transpose_bias(moir::tflite::context& c) {
    const auto& op = c.op();
    MOIR_CHECK(op.custom_options_size >= 12, parse_error,
               "its custom options hold " + std::to_string(op.custom_options_size) + " bytes, 12 expected");
    std::int32_t p[3];
    std::memcpy(p, c.file().bytes->data() + op.custom_options_offset, sizeof p);
    MOIR_CHECK(p[0] == 1 || p[0] == 2, parse_error, "unknown padding " + std::to_string(p[0]));
    conv2d_transpose_bias::attrs a;
    a.strides = {p[2], p[1]};
    a.padding = p[0] == 1 ? "same" : "valid";
    c.set_output(0, c.add<conv2d_transpose_bias>(a, {c.input(0), c.input(1), c.input(2)}));
}

}  // namespace my_ops

/// The op's reference kernel (kernels/kernel.hpp): the scatter form of the sum above.
template <>
struct moir::kernels::reference_kernel<my_ops::conv2d_transpose_bias> {
    static constexpr bool available = true;
    static void run(const my_ops::conv2d_transpose_bias::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const auto &xd = in[0].dims(), &wd = in[1].dims(), &yd = out[0].dims();
        const std::int64_t n = xd[0], ih = xd[1], iw = xd[2], ci = xd[3], co = wd[0], kh = wd[1], kw = wd[2];
        const std::int64_t oh = yd[1], ow = yd[2], sh = a.strides[0], sw = a.strides[1];
        const std::int64_t pad_t = std::max<std::int64_t>((ih - 1) * sh + kh - oh, 0) / 2;
        const std::int64_t pad_l = std::max<std::int64_t>((iw - 1) * sw + kw - ow, 0) / 2;
        const float *x = in[0].data<float>(), *w = in[1].data<float>(), *b = in[2].data<float>();
        float* y = out[0].data<float>();
        for (std::int64_t i = 0; i < n * oh * ow; ++i)
            for (std::int64_t o = 0; o < co; ++o) y[i * co + o] = b[o];
        for (std::int64_t bn = 0; bn < n; ++bn)
            for (std::int64_t r = 0; r < ih; ++r)
                for (std::int64_t col = 0; col < iw; ++col) {
                    const float* xp = x + ((bn * ih + r) * iw + col) * ci;
                    for (std::int64_t u = 0; u < kh; ++u) {
                        const std::int64_t yr = r * sh + u - pad_t;
                        if (yr < 0 || yr >= oh) continue;
                        for (std::int64_t v = 0; v < kw; ++v) {
                            const std::int64_t yc = col * sw + v - pad_l;
                            if (yc < 0 || yc >= ow) continue;
                            float* yp = y + ((bn * oh + yr) * ow + yc) * co;
                            for (std::int64_t o = 0; o < co; ++o) {
                                const float* wp = w + ((o * kh + u) * kw + v) * ci;
                                float s = 0;
                                for (std::int64_t k = 0; k < ci; ++k) s += xp[k] * wp[k];
                                yp[o] += s;
                            }
                        }
                    }
                }
    }
};

#endif  // MOIR_EXAMPLES_CUSTOM_LAYERS_CONV2D_TRANSPOSE_BIAS_HPP
