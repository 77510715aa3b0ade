#ifndef MOIR_KERNELS_REFERENCE_SPECTRAL_HPP
#define MOIR_KERNELS_REFERENCE_SPECTRAL_HPP

// Reference kernels of the spectral ops DFT, IDFT, STFT and MelWeightMatrix: direct O(N^2)
// transforms in double (twiddles from (k * n) mod N for accuracy), floating types.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::unsupported_type
#include <moir/ops/dft.hpp>
#include <moir/ops/idft.hpp>
#include <moir/ops/mel_weight_matrix.hpp>
#include <moir/ops/stft.hpp>

#include <algorithm>    // min
#include <cmath>        // cos, floor, log10, pow, sin
#include <complex>      // complex
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v, is_same_v
#include <vector>       // vector

namespace moir::kernels {

namespace reference {
using cplx = std::complex<double>;
constexpr double two_pi = 6.283185307179586476925286766559;

/// e^(sign * 2 pi i * k * n / len), exact in the index product.
inline cplx twiddle(std::int64_t k, std::int64_t n, std::int64_t len, double sign) {
    const double t = two_pi * static_cast<double>((k * n) % len) / static_cast<double>(len);
    return {std::cos(t), sign * std::sin(t)};
}

/// The DFT (sign -1) or unnormalized inverse (sign +1) of `x` of shape s along `axis`, the signal cut
/// or zero-padded to `len` cells. ensures: s[axis] == len afterwards.
inline std::vector<cplx> dft_axis(const std::vector<cplx>& x, shape& s, std::size_t axis, std::int64_t len, double sign) {
    std::size_t outer = 1, inner = 1;
    for (std::size_t i = 0; i < axis; ++i) outer *= static_cast<std::size_t>(s[i]);
    for (std::size_t i = axis + 1; i < s.size(); ++i) inner *= static_cast<std::size_t>(s[i]);
    const std::int64_t cur = s[axis], used = std::min(cur, len);
    std::vector<cplx> y(outer * static_cast<std::size_t>(len) * inner);
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t i = 0; i < inner; ++i)
            for (std::int64_t k = 0; k < len; ++k) {
                cplx acc = 0.0;
                for (std::int64_t n = 0; n < used; ++n)
                    acc += x[(o * static_cast<std::size_t>(cur) + static_cast<std::size_t>(n)) * inner + i] *
                           twiddle(k, n, len, sign);
                y[(o * static_cast<std::size_t>(len) + static_cast<std::size_t>(k)) * inner + i] = acc;
            }
    s[axis] = len;
    return y;
}

/// Shared DFT/IDFT kernel body.
inline void run_dft(const std::vector<tensor>& in, std::vector<tensor>& out, bool inverse, std::string_view op) {
    if (!is_float(in[0].type())) kernels::detail::unsupported_type(op, in[0].type());
    const shape& xs = in[0].dims();
    const auto axes = ops::detail::dft_axes(in[1].to_vector<std::int64_t>(), xs.size());
    std::vector<std::int64_t> sizes(axes.size(), -1);
    if (in.size() > 2) sizes = in[2].to_vector<std::int64_t>();
    shape s(xs.begin(), xs.end() - 1);
    const auto v = in[0].to_vector<double>();
    std::vector<cplx> x(v.size() / 2);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = {v[2 * i], v[2 * i + 1]};
    double scale = 1.0;
    for (std::size_t i = 0; i < axes.size(); ++i) {
        const std::int64_t len = sizes[i] == -1 ? s[axes[i]] : sizes[i];
        if (len == 0) continue;
        x = dft_axis(x, s, axes[i], len, inverse ? 1.0 : -1.0);
        scale *= static_cast<double>(len);
    }
    visit_element_type(out[0].type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, half>) {
            T* y = out[0].data<T>();
            for (std::size_t i = 0; i < x.size(); ++i) {
                const cplx r = inverse ? x[i] / scale : x[i];
                y[2 * i] = convert_value<T>(r.real());
                y[2 * i + 1] = convert_value<T>(r.imag());
            }
        }
    });
}
}  // namespace reference

template <>
struct reference_kernel<ops::dft> {
    static constexpr bool available = true;
    static void run(const ops::dft::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        reference::run_dft(in, out, false, ops::dft::ir_name);
    }
};

template <>
struct reference_kernel<ops::idft> {
    static constexpr bool available = true;
    static void run(const ops::idft::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        reference::run_dft(in, out, true, ops::idft::ir_name);
    }
};

/// STFT: frame by frame, the windowed onesided DFT.
template <>
struct reference_kernel<ops::stft> {
    static constexpr bool available = true;
    static void run(const ops::stft::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        if (!is_float(in[0].type())) detail::unsupported_type(ops::stft::ir_name, in[0].type());
        const shape& xs = in[0].dims();
        const std::int64_t batch = xs.size() == 2 ? xs[0] : 1, length = xs.back();
        const std::int64_t size = in[2].at_as<std::int64_t>(0), step = in[3].at_as<std::int64_t>(0);
        const std::int64_t frames = (length - size) / step + 1, bins = size / 2 + 1;
        const auto x = in[0].to_vector<double>();
        const auto wv = in[1].to_vector<double>();
        std::vector<double> window(static_cast<std::size_t>(size), 0.0);  // centred, zero-padded
        const std::size_t left = (static_cast<std::size_t>(size) - wv.size()) / 2;
        for (std::size_t i = 0; i < wv.size(); ++i) window[left + i] = wv[i];
        visit_element_type(out[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, half>) {
                T* y = out[0].data<T>();
                for (std::int64_t b = 0; b < batch; ++b)
                    for (std::int64_t f = 0; f < frames; ++f)
                        for (std::int64_t k = 0; k < bins; ++k) {
                            reference::cplx acc = 0.0;
                            for (std::int64_t n = 0; n < size; ++n)
                                acc += x[static_cast<std::size_t>(b * length + f * step + n)] *
                                       window[static_cast<std::size_t>(n)] * reference::twiddle(k, n, size, -1.0);
                            const std::int64_t at = a.transpose_frames ? (b * bins + k) * frames + f
                                                                       : (b * frames + f) * bins + k;
                            y[2 * at] = convert_value<T>(acc.real());
                            y[2 * at + 1] = convert_value<T>(acc.imag());
                        }
            }
        });
    }
};

/// MelWeightMatrix: triangles between consecutive mel-spaced bin edges.
template <>
struct reference_kernel<ops::mel_weight_matrix> {
    static constexpr bool available = true;
    static void run(const ops::mel_weight_matrix::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const std::int64_t bands = in[0].at_as<std::int64_t>(0), dft_length = in[1].at_as<std::int64_t>(0);
        const std::int64_t rate = in[2].at_as<std::int64_t>(0);
        MOIR_CHECK(rate >= 1, shape_error, "MelWeightMatrix: sample_rate must be >= 1");
        const double lower = in[3].at_as<double>(0), upper = in[4].at_as<double>(0);
        const std::int64_t rows = dft_length / 2 + 1;
        auto mel = [](double hz) { return 2595.0 * std::log10(1.0 + hz / 700.0); };
        const double low_mel = mel(lower), step = (mel(upper) - low_mel) / static_cast<double>(bands + 2);
        std::vector<std::int64_t> edge(static_cast<std::size_t>(bands + 2));
        for (std::int64_t i = 0; i < bands + 2; ++i) {
            const double hz = 700.0 * (std::pow(10.0, (low_mel + static_cast<double>(i) * step) / 2595.0) - 1.0);
            edge[static_cast<std::size_t>(i)] =
                static_cast<std::int64_t>(std::floor(static_cast<double>(dft_length + 1) * hz / static_cast<double>(rate)));
        }
        std::vector<double> w(static_cast<std::size_t>(rows * bands), 0.0);
        auto set = [&](std::int64_t row, std::int64_t band, double v) {
            MOIR_CHECK(row >= 0 && row < rows, shape_error,
                       "MelWeightMatrix: bin " + std::to_string(row) + " is outside the spectrum of " +
                           std::to_string(rows) + " bins");
            w[static_cast<std::size_t>(row * bands + band)] = v;
        };
        for (std::int64_t i = 0; i < bands; ++i) {
            const std::int64_t lo = edge[static_cast<std::size_t>(i)], mid = edge[static_cast<std::size_t>(i + 1)],
                               hi = edge[static_cast<std::size_t>(i + 2)];
            if (mid == lo) set(mid, i, 1.0);
            else
                for (std::int64_t j = lo; j <= mid; ++j)
                    set(j, i, static_cast<double>(j - lo) / static_cast<double>(mid - lo));
            for (std::int64_t j = mid; j < hi; ++j) set(j, i, static_cast<double>(hi - j) / static_cast<double>(hi - mid));
        }
        visit_element_type(out[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_floating_point_v<T> || std::is_same_v<T, half>) {
                T* y = out[0].data<T>();
                for (std::size_t i = 0; i < w.size(); ++i) y[i] = convert_value<T>(w[i]);
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_SPECTRAL_HPP
