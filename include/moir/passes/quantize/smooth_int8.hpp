#ifndef MOIR_PASSES_QUANTIZE_SMOOTH_INT8_HPP
#define MOIR_PASSES_QUANTIZE_SMOOTH_INT8_HPP

// Channel smoothing for INT8 (int8_options::smooth_alpha; the idea of SmoothQuant, Xiao et al.,
// 2023, applied to convolutions and u8 activations). One range per tensor serves an activation badly
// when its channels span very different ranges: the narrow channels get a few of the 256 levels.
// A convolution sums over its input channels, so each channel k can be divided by s_k > 0 on the
// activation side and multiplied by s_k on the weight side without changing the result:
//
//   y = sum_k W[:, k] * x_k = sum_k (W[:, k] * s_k) * (x_k / s_k)
//
// With s_k = max|x_k|^alpha / max|W[:, k]|^(1 - alpha) the channels of x / s span similar ranges,
// and part of the spread moves to the weights, which are quantized per output channel over all k
// (alpha = 1 moves all of it; 0.5 to 0.75 balances the two sides). The quantization pass writes
// x / s as the FakeQuantize itself: per-channel input ranges [lo * s_k, hi * s_k] mapped onto one
// output range [lo, hi], the range of x / s. That is plain FakeQuantize semantics (OpenVINO runs
// it as is), and moir's INT8 step quantizes it plane by plane (runtime/steps/int8_convolution.hpp).
//
// Which tensors: those whose calibrated per-channel extremes (calibrate_int8: channel_min,
// channel_max) spread widely, (max_k - min_k) over the channels' maximum against their median above
// int8_options::smooth_ratio, and whose every quantized consumer is a Convolution reading it as
// its data input with constant f32 weights (s must be applied to the weights of all of them).

#include <moir/passes/quantize/calibrate_int8.hpp>

#include <algorithm>  // max, nth_element
#include <cmath>      // fabs, isfinite, pow
#include <cstddef>    // size_t
#include <optional>   // optional
#include <vector>     // vector

namespace moir::passes {

/// The spread of r's channels: the largest channel range (max_k - min_k) over the median one; 0
/// when r has no channel extremes or the median range is 0.
inline double channel_spread_ratio(const activation_range& r) {
    const std::size_t c = r.channel_min.size();
    if (c == 0 || r.channel_max.size() != c) return 0.0;
    std::vector<double> w(c);
    for (std::size_t k = 0; k < c; ++k) w[k] = static_cast<double>(r.channel_max[k]) - r.channel_min[k];
    const double top = *std::max_element(w.begin(), w.end());
    std::nth_element(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(c / 2), w.end());
    const double median = w[c / 2];
    return median > 0.0 ? top / median : 0.0;
}

/// A tensor's smoothing: the divisor of each channel, and the range [low, high] of x / s.
struct channel_smoothing {
    std::vector<float> s;
    double low = 0.0, high = 0.0;
    double spread = 0.0;  ///< channel_spread_ratio of the tensor before smoothing
};

/// The smoothing of a tensor with calibrated range r whose consumers' weights have max|W[:, k]| =
/// wmax[k] over all of them: s_k = max|x_k|^alpha / wmax[k]^(1 - alpha) (file comment). A channel
/// that was always 0 gets s_k = 1; one whose weights are all 0 gets the typical range of the others
/// (its values do not matter then). nullopt when r has no channel extremes of wmax's length, no
/// channel has both, or a divisor is not a finite positive float.
/// requires: 0 < alpha <= 1.
inline std::optional<channel_smoothing> smoothing_of(const activation_range& r, const std::vector<double>& wmax,
                                                     double alpha) {
    const std::size_t c = wmax.size();
    if (c == 0 || r.channel_min.size() != c || r.channel_max.size() != c) return std::nullopt;
    std::vector<double> s(c, 0.0), spans;
    for (std::size_t k = 0; k < c; ++k) {
        const double xm = std::max(std::fabs(static_cast<double>(r.channel_min[k])), std::fabs(static_cast<double>(r.channel_max[k])));
        if (xm == 0.0)
            s[k] = 1.0;
        else if (wmax[k] > 0.0) {
            s[k] = std::pow(xm, alpha) / std::pow(wmax[k], 1.0 - alpha);
            spans.push_back(xm / s[k]);
        }
    }
    if (spans.empty()) return std::nullopt;
    std::nth_element(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(spans.size() / 2), spans.end());
    const double typical = spans[spans.size() / 2];
    channel_smoothing out;
    out.spread = channel_spread_ratio(r);
    out.s.resize(c);
    for (std::size_t k = 0; k < c; ++k) {
        if (s[k] == 0.0) s[k] = std::max(std::fabs(static_cast<double>(r.channel_min[k])), std::fabs(static_cast<double>(r.channel_max[k]))) / typical;
        const auto f = static_cast<float>(s[k]);
        if (!std::isfinite(f) || !(f > 0.0f)) return std::nullopt;
        out.s[k] = f;
        out.low = std::min(out.low, static_cast<double>(r.channel_min[k]) / f);
        out.high = std::max(out.high, static_cast<double>(r.channel_max[k]) / f);
    }
    return out;
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_QUANTIZE_SMOOTH_INT8_HPP
