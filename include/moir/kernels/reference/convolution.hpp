#ifndef MOIR_KERNELS_REFERENCE_CONVOLUTION_HPP
#define MOIR_KERNELS_REFERENCE_CONVOLUTION_HPP

// Reference kernels of Convolution, GroupConvolution, ConvolutionBackpropData and
// GroupConvolutionBackpropData. Every op runs as its grouped form (plain = one group) over 3 spatial
// axes (fewer axes are padded in front with extent 1, kernel 1, stride 1). Floating types only;
// products are accumulated in double and rounded to the output type once.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, unsupported_type
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/group_convolution_backprop_data.hpp>

#include <array>        // array
#include <cstddef>      // ptrdiff_t, size_t
#include <cstdint>      // int64_t
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace moir::kernels {

namespace reference {
/// `v` right-aligned into 3 entries, `fill` in front.
inline std::array<std::int64_t, 3> to3(const std::vector<std::int64_t>& v, std::int64_t fill) {
    std::array<std::int64_t, 3> r{fill, fill, fill};
    for (std::size_t i = 0; i < v.size(); ++i) r[3 - v.size() + i] = v[i];
    return r;
}
/// The dims of `s` from axis `from` on.
inline std::vector<std::int64_t> tail(const shape& s, std::size_t from) {
    return std::vector<std::int64_t>(s.begin() + static_cast<std::ptrdiff_t>(from), s.end());
}

/// The sizes of a grouped (transposed) convolution seen as 3 spatial axes.
struct conv_dims {
    std::int64_t batch, groups, in_per_group, out_per_group;
    std::array<std::int64_t, 3> in, kernel, out, strides, dilations, pads_begin;
};

/// Forward: y[n, g, o, p] = sum_{c, k} x[n, g, c, p*s - pb + k*d] * w[g, o, c, k], where w is [G, O, C, k].
/// Transposed: y[n, g, o, p] = sum_{c, k : p + pb - k*d = i*s, 0 <= i < in} x[n, g, c, i] * w[g, c, o, k],
/// where w is [G, C, O, k].
template <class T>
void convolution_3d(const conv_dims& d, const T* x, const T* w, T* y, bool transposed) {
    const auto [id, ih, iw] = d.in;
    const auto [kd, kh, kw] = d.kernel;
    const auto [od, oh, ow] = d.out;
    const std::int64_t in_plane = id * ih * iw, k_plane = kd * kh * kw, out_plane = od * oh * ow;
    // input position of output position p through kernel tap k on axis a, or -1 when outside
    auto source = [&](int a, std::int64_t p, std::int64_t k) -> std::int64_t {
        if (!transposed) {
            const std::int64_t i = p * d.strides[a] - d.pads_begin[a] + k * d.dilations[a];
            return i >= 0 && i < d.in[a] ? i : -1;
        }
        const std::int64_t t = p + d.pads_begin[a] - k * d.dilations[a];
        if (t < 0 || t % d.strides[a] != 0 || t / d.strides[a] >= d.in[a]) return -1;
        return t / d.strides[a];
    };
    for (std::int64_t n = 0; n < d.batch; ++n)
        for (std::int64_t g = 0; g < d.groups; ++g)
            for (std::int64_t o = 0; o < d.out_per_group; ++o)
                for (std::int64_t pz = 0; pz < od; ++pz)
                    for (std::int64_t py = 0; py < oh; ++py)
                        for (std::int64_t px = 0; px < ow; ++px) {
                            double acc = 0.0;
                            for (std::int64_t c = 0; c < d.in_per_group; ++c) {
                                const T* xc = x + ((n * d.groups + g) * d.in_per_group + c) * in_plane;
                                const T* wc = transposed
                                                  ? w + ((g * d.in_per_group + c) * d.out_per_group + o) * k_plane
                                                  : w + ((g * d.out_per_group + o) * d.in_per_group + c) * k_plane;
                                for (std::int64_t z = 0; z < kd; ++z) {
                                    const std::int64_t iz = source(0, pz, z);
                                    if (iz < 0) continue;
                                    for (std::int64_t yy = 0; yy < kh; ++yy) {
                                        const std::int64_t iy = source(1, py, yy);
                                        if (iy < 0) continue;
                                        for (std::int64_t xx = 0; xx < kw; ++xx) {
                                            const std::int64_t ix = source(2, px, xx);
                                            if (ix < 0) continue;
                                            acc += convert_value<double>(xc[(iz * ih + iy) * iw + ix]) *
                                                   convert_value<double>(wc[(z * kh + yy) * kw + xx]);
                                        }
                                    }
                                }
                            }
                            y[((n * d.groups + g) * d.out_per_group + o) * out_plane + (pz * oh + py) * ow + px] =
                                convert_value<T>(acc);
                        }
}

/// Runs a convolution op: reads the geometry of its inputs, then convolution_3d per element type.
/// requires: in = {data, weights[, output_shape]}, out[0] allocated by Op::infer.
template <class Op, class Attrs>
void run_convolution(const Attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out, bool grouped,
                     bool transposed) {
    const shape& xs = in[0].dims();
    const shape& ws = in[1].dims();
    const std::size_t lead = grouped ? 3 : 2;
    conv_dims d{};
    d.batch = xs[0];
    d.groups = grouped ? ws[0] : 1;
    // forward weights: [G, O, C, k], transposed weights: [G, C, O, k]
    d.in_per_group = transposed ? ws[lead - 2] : ws[lead - 1];
    d.out_per_group = transposed ? ws[lead - 1] : ws[lead - 2];
    const auto in_sp = tail(xs, 2), k_sp = tail(ws, lead);
    if constexpr (std::is_same_v<Attrs, ops::detail::convolution_backprop_attrs>) {
        std::vector<std::int64_t> os;
        if (in.size() > 2) os = in[2].to_vector<std::int64_t>();
        const auto g = ops::detail::resolve_backprop(a, in_sp, k_sp, in.size() > 2, in.size() > 2 ? &os : nullptr);
        d.strides = to3(g.strides, 1), d.dilations = to3(g.dilations, 1), d.pads_begin = to3(g.pads_begin, 0);
    } else {
        const auto g = ops::detail::resolve_window(in_sp, k_sp, a.strides, a.dilations, a.pads_begin, a.pads_end,
                                                   a.auto_pad, false);
        d.strides = to3(g.strides, 1), d.dilations = to3(g.dilations, 1), d.pads_begin = to3(g.pads_begin, 0);
    }
    d.in = to3(in_sp, 1), d.kernel = to3(k_sp, 1), d.out = to3(tail(out[0].dims(), 2), 1);
    visit_element_type(in[0].type(), [&](auto tag) {
        using T = typename decltype(tag)::type;
        if constexpr (!detail::computes_v<Op, T>) {
            detail::unsupported_type(Op::ir_name, in[0].type());
        } else {
            convolution_3d<T>(d, in[0].data<T>(), in[1].data<T>(), out[0].data<T>(), transposed);
        }
    });
}
}  // namespace reference

template <>
struct reference_kernel<ops::convolution> {
    static constexpr bool available = true;
    static void run(const ops::convolution::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        reference::run_convolution<ops::convolution>(a, in, out, false, false);
    }
};
template <>
struct reference_kernel<ops::group_convolution> {
    static constexpr bool available = true;
    static void run(const ops::group_convolution::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        reference::run_convolution<ops::group_convolution>(a, in, out, true, false);
    }
};
template <>
struct reference_kernel<ops::convolution_backprop_data> {
    static constexpr bool available = true;
    static void run(const ops::convolution_backprop_data::attrs& a, const std::vector<tensor>& in,
                    std::vector<tensor>& out) {
        reference::run_convolution<ops::convolution_backprop_data>(a, in, out, false, true);
    }
};
template <>
struct reference_kernel<ops::group_convolution_backprop_data> {
    static constexpr bool available = true;
    static void run(const ops::group_convolution_backprop_data::attrs& a, const std::vector<tensor>& in,
                    std::vector<tensor>& out) {
        reference::run_convolution<ops::group_convolution_backprop_data>(a, in, out, true, true);
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_CONVOLUTION_HPP
