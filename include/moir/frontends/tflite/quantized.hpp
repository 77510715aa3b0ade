#ifndef MOIR_FRONTENDS_TFLITE_QUANTIZED_HPP
#define MOIR_FRONTENDS_TFLITE_QUANTIZED_HPP

// TFLite's quantized tensors in moir's terms. TFLite stores a quantized tensor as integer codes q
// with real = scale * (q - zero_point), per tensor or per channel of quantized_dimension. moir
// gives every quantized tensor its real value:
//   - a constant (weights, int32 biases) is dequantized at load; int8 and uint8 codes whose centred
//     values q - zero_point fit int8 (TFLite's symmetric int8 weights; uint8 weights with zero point
//     128 or codes near it) keep their per-element scale beside the value, so that the converter
//     stores them as Const i8 (the centred codes) -> Convert (decompression) -> Multiply by the
//     per-channel scale, the form moir's own INT8 quantization writes (passes/quantize/quantize_int8.hpp);
//     other int8/uint8 codes (uint8 weights with zero points far from 128) keep their zero points as
//     well, and the converter stores them as Const u8 -> Convert -> Subtract(zero point) -> Multiply
//     (OpenVINO's form of asymmetric weights), which the INT8 kernels take too;
//   - a computed int8/uint8/int16 tensor is an f32 value behind a FakeQuantize onto its grid
//     (activation_grid): levels 256 (65536 for int16) over [scale * (qmin - zp), scale * (qmax - zp)],
//     equal input and output ranges, as NNCF writes activations; moir's INT8 kernels take these
//     (runtime/steps/int8_convolution.hpp).
// Checked here: scales finite and positive, zero points one or one per scale, per-channel scales one
// per entry of the quantized dimension, no custom quantization details.

#include <moir/core/model.hpp>
#include <moir/frontends/tflite/model_reader.hpp>

#include <cmath>    // isfinite
#include <cstdint>  // int64_t
#include <optional> // optional
#include <string>   // string, to_string
#include <vector>   // vector

namespace moir::tflite {

/// Whether tensor t holds quantized codes: an integer type with quantization scales.
inline bool is_quantized(const tensor_info& t) {
    if (!t.quantization || t.quantization->scale.empty()) return false;
    switch (t.type) {
        case tensor_type::int8:
        case tensor_type::uint8:
        case tensor_type::int16:
        case tensor_type::int32:
        case tensor_type::int64: return true;
        default: return false;
    }
}

/// t's quantization parameters, checked against its declared shape `dims`.
/// throws unsupported_error for custom details; parse_error for a zero, negative or non-finite
/// scale, a zero-point count that is neither 1 nor the scales', or per-channel scales that do not
/// match the quantized dimension.
inline const quantization_parameters& checked_quantization(const tensor_info& t, const shape& dims) {
    MOIR_CHECK(t.quantization && !t.quantization->scale.empty(), parse_error, "tensor '" + t.name + "' has no quantization scale");
    const quantization_parameters& p = *t.quantization;
    MOIR_CHECK(!p.has_custom_details, unsupported_error, "tensor '" + t.name + "' uses custom quantization details");
    for (float s : p.scale)
        MOIR_CHECK(std::isfinite(s) && s > 0.0f, parse_error,
                   "tensor '" + t.name + "' has quantization scale " + std::to_string(s) + " (must be finite and > 0)");
    const std::size_t n = p.scale.size();
    MOIR_CHECK(p.zero_point.empty() || p.zero_point.size() == 1 || p.zero_point.size() == n, parse_error,
               "tensor '" + t.name + "' has " + std::to_string(p.zero_point.size()) + " zero points for " +
                   std::to_string(n) + " scales");
    if (n > 1) {
        const auto qd = static_cast<std::size_t>(p.quantized_dimension);
        MOIR_CHECK(p.quantized_dimension >= 0 && qd < dims.size() && static_cast<std::size_t>(dims[qd]) == n, parse_error,
                   "tensor '" + t.name + "' has " + std::to_string(n) + " per-channel scales for dimension " +
                       std::to_string(p.quantized_dimension) + " of shape " + to_string(dims));
    }
    return p;
}

/// Zero point of channel ch.
inline std::int64_t zero_point_of(const quantization_parameters& p, std::size_t ch) {
    if (p.zero_point.empty()) return 0;
    return p.zero_point.size() == 1 ? p.zero_point[0] : p.zero_point[ch];
}

/// A constant's real value: q (integer codes) dequantized to f32, and, when q is int8 or uint8, each
/// element's scale (f32, q's shape) so that value == (q - zero_point) * scale exactly. Where every
/// centred code q - zero_point is inside int8's range (TFLite's symmetric int8 weights, zero points
/// 0; uint8 weights with zero point 128, or whose codes stay within 128 of their zero point) that is
/// all (the IR keeps the centred codes as i8); otherwise (uint8 weights with zero points far from
/// 128) each element's zero point too (f32, q's shape): the IR keeps the u8 codes and a Subtract of
/// the zero point. Both run on the INT8 kernels. Other types get their f32 values only.
struct dequantized_constant {
    tensor value;
    std::optional<tensor> scale;
    std::optional<tensor> zero;  ///< with scale: value == (q - zero) * scale, q not centred into int8
};

/// Dequantizes constant q of tensor t. requires: is_quantized(t). throws as checked_quantization.
inline dequantized_constant dequantize_constant(const tensor& q, const tensor_info& t) {
    const quantization_parameters& p = checked_quantization(t, q.dims());
    const std::size_t n = q.numel(), channels = p.scale.size();
    std::size_t inner = 1;
    if (channels > 1)
        for (std::size_t i = static_cast<std::size_t>(p.quantized_dimension) + 1; i < q.rank(); ++i)
            inner *= static_cast<std::size_t>(q.dims()[i]);
    const auto channel = [&](std::size_t i) { return channels > 1 ? (i / inner) % channels : 0; };
    bool int8_codes = q.type() == element_type::i8 || q.type() == element_type::u8;
    for (std::size_t i = 0; i < n && int8_codes; ++i) {
        const std::int64_t code = q.at_as<std::int64_t>(i) - zero_point_of(p, channel(i));
        int8_codes = code >= -128 && code <= 127;
    }
    const bool byte_codes = q.type() == element_type::i8 || q.type() == element_type::u8;
    dequantized_constant r{tensor(element_type::f32, q.dims()), std::nullopt, std::nullopt};
    float* o = r.value.data<float>();
    float* s = nullptr;
    float* z = nullptr;
    if (byte_codes) {
        r.scale = tensor(element_type::f32, q.dims());
        s = r.scale->data<float>();
    }
    if (byte_codes && !int8_codes) {
        r.zero = tensor(element_type::f32, q.dims());
        z = r.zero->data<float>();
    }
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t ch = channel(i);
        if (z) z[i] = static_cast<float>(zero_point_of(p, ch));
        if (s) {  // code * scale in f32, as Convert (-> Subtract) -> Multiply computes it
            s[i] = p.scale[ch];
            o[i] = static_cast<float>(q.at_as<std::int64_t>(i) - zero_point_of(p, ch)) * p.scale[ch];
        } else {
            o[i] = static_cast<float>((q.at_as<double>(i) - static_cast<double>(zero_point_of(p, ch))) *
                                      static_cast<double>(p.scale[ch]));
        }
    }
    return r;
}

/// The grid of a computed quantized tensor: FakeQuantize levels and its [low, high] range.
struct activation_grid {
    std::int64_t levels = 256;
    float low = 0.0f, high = 0.0f;
    float scale = 1.0f;
    std::int64_t zero_point = 0;
    double qmin = 0, qmax = 0;  ///< the integer type's code range
};

/// The grid of computed tensor t (int8, uint8 or int16, one scale). throws unsupported_error for
/// other types and per-channel activations, as checked_quantization otherwise.
inline activation_grid grid_of(const tensor_info& t) {
    shape dims(t.shape.begin(), t.shape.end());
    for (auto& d : dims) d = d < 0 ? 1 : d;
    const quantization_parameters& p = checked_quantization(t, dims);
    MOIR_CHECK(p.scale.size() == 1, unsupported_error,
               "tensor '" + t.name + "' is computed with " + std::to_string(p.scale.size()) +
                   " per-channel scales (per-channel quantization is supported for constants only)");
    activation_grid g;
    switch (t.type) {
        case tensor_type::int8: g.qmin = -128, g.qmax = 127; break;
        case tensor_type::uint8: g.qmin = 0, g.qmax = 255; break;
        case tensor_type::int16: g.qmin = -32768, g.qmax = 32767, g.levels = 65536; break;
        default:
            throw unsupported_error("tensor '" + t.name + "' is computed as quantized " + type_name(t.type) +
                                    " (moir maps INT8, UINT8 and INT16 activations)");
    }
    g.scale = p.scale[0];
    g.zero_point = zero_point_of(p, 0);
    MOIR_CHECK(g.zero_point >= g.qmin && g.zero_point <= g.qmax, parse_error,
               "tensor '" + t.name + "' has zero point " + std::to_string(g.zero_point) + " outside its " +
                   type_name(t.type) + " range");
    g.low = static_cast<float>(static_cast<double>(g.scale) * (g.qmin - static_cast<double>(g.zero_point)));
    g.high = static_cast<float>(static_cast<double>(g.scale) * (g.qmax - static_cast<double>(g.zero_point)));
    return g;
}

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_QUANTIZED_HPP
