#ifndef MOIR_KERNELS_REFERENCE_NORMALIZATION_HPP
#define MOIR_KERNELS_REFERENCE_NORMALIZATION_HPP

// Reference kernels of the normalization ops MVN and LRN: floating types, computed in double.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/broadcast.hpp>    // strides_of
#include <moir/kernels/reference/elementwise.hpp>  // detail::computes_v, unsupported_type
#include <moir/ops/detail/reduce.hpp>              // reduced_axes_mask
#include <moir/ops/lrn.hpp>
#include <moir/ops/mvn.hpp>

#include <algorithm>  // max, min
#include <cmath>      // pow, sqrt
#include <cstddef>    // size_t
#include <cstdint>    // int64_t
#include <vector>     // vector

namespace moir::kernels {

namespace reference {
/// For each element of a tensor of shape s (row-major), the index of its group: the elements that
/// agree on every axis not in `mask` share a group. ensures: ids in [0, number of groups).
inline std::vector<std::size_t> group_ids(const shape& s, const std::vector<bool>& mask) {
    std::vector<std::size_t> gstride(s.size(), 0);
    std::size_t step = 1;
    for (std::size_t i = s.size(); i-- > 0;)
        if (!mask[i]) {
            gstride[i] = step;
            step *= static_cast<std::size_t>(s[i]);
        }
    std::vector<std::size_t> ids(numel(s));
    std::vector<std::int64_t> idx(s.size(), 0);
    std::size_t g = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        ids[i] = g;
        for (std::size_t ax = s.size(); ax-- > 0;) {  // odometer
            g += gstride[ax];
            if (++idx[ax] < s[ax]) break;
            g -= gstride[ax] * static_cast<std::size_t>(s[ax]);
            idx[ax] = 0;
        }
    }
    return ids;
}
}  // namespace reference

/// MVN: mean and population variance per group of the non-normalized axes, two passes in double.
template <>
struct reference_kernel<ops::mvn> {
    static constexpr bool available = true;
    static void run(const ops::mvn::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const auto mask = ops::detail::reduced_axes_mask(in[1].to_vector<std::int64_t>(), s.size());
        const auto ids = reference::group_ids(s, mask);
        std::size_t groups = 1;
        for (std::size_t i = 0; i < s.size(); ++i)
            if (!mask[i]) groups *= static_cast<std::size_t>(s[i]);
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<ops::mvn, T>) {
                detail::unsupported_type(ops::mvn::ir_name, in[0].type());
            } else {
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                const std::size_t n = in[0].numel();
                std::vector<double> mean(groups, 0.0), var(groups, 0.0), count(groups, 0.0);
                for (std::size_t i = 0; i < n; ++i) {
                    mean[ids[i]] += convert_value<double>(x[i]);
                    count[ids[i]] += 1.0;
                }
                for (std::size_t g = 0; g < groups; ++g) mean[g] = count[g] > 0 ? mean[g] / count[g] : 0.0;
                for (std::size_t i = 0; i < n; ++i) {
                    const double d = convert_value<double>(x[i]) - mean[ids[i]];
                    var[ids[i]] += d * d;
                }
                std::vector<double> scale(groups, 1.0);
                for (std::size_t g = 0; g < groups; ++g) {
                    if (!a.normalize_variance) continue;
                    const double v = count[g] > 0 ? var[g] / count[g] : 0.0;
                    const double eps = static_cast<double>(a.eps);
                    scale[g] = 1.0 / (a.eps_mode == ops::mvn_eps_mode::inside_sqrt ? std::sqrt(v + eps) : std::sqrt(v) + eps);
                }
                for (std::size_t i = 0; i < n; ++i)
                    y[i] = convert_value<T>((convert_value<double>(x[i]) - mean[ids[i]]) * scale[ids[i]]);
            }
        });
    }
};

/// LRN: per cell, the sum of squares over its window on the normalized axes, in double.
template <>
struct reference_kernel<ops::lrn> {
    static constexpr bool available = true;
    static void run(const ops::lrn::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = in[0].dims();
        const std::size_t r = s.size();
        const auto mask = ops::detail::reduced_axes_mask(in[1].to_vector<std::int64_t>(), r);
        std::size_t axes = 0;
        for (bool m : mask) axes += m;
        const auto st = reference::strides_of(s);
        const std::int64_t below = (a.size - 1) / 2, above = a.size - 1 - below;
        const double alpha = a.alpha / std::pow(static_cast<double>(a.size), static_cast<double>(axes));
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (!detail::computes_v<ops::lrn, T>) {
                detail::unsupported_type(ops::lrn::ir_name, in[0].type());
            } else {
                const T* x = in[0].data<T>();
                T* y = out[0].data<T>();
                std::vector<std::int64_t> idx(r, 0), lo(r), hi(r), w(r);
                for (std::size_t i = 0, n = in[0].numel(); i < n; ++i) {
                    // the window: the cell itself on other axes, [i - below, i + above] on normalized ones
                    for (std::size_t ax = 0; ax < r; ++ax) {
                        lo[ax] = mask[ax] ? std::max<std::int64_t>(0, idx[ax] - below) : idx[ax];
                        hi[ax] = mask[ax] ? std::min<std::int64_t>(s[ax] - 1, idx[ax] + above) : idx[ax];
                    }
                    double sum = 0.0;
                    w = lo;
                    for (bool more = true; more;) {  // never empty: it holds the cell itself
                        std::size_t off = 0;
                        for (std::size_t ax = 0; ax < r; ++ax) off += static_cast<std::size_t>(w[ax]) * st[ax];
                        const double v = convert_value<double>(x[off]);
                        sum += v * v;
                        more = false;
                        for (std::size_t ax = r; ax-- > 0;) {
                            if (++w[ax] <= hi[ax]) {
                                more = true;
                                break;
                            }
                            w[ax] = lo[ax];
                        }
                    }
                    y[i] = convert_value<T>(convert_value<double>(x[i]) / std::pow(a.bias + alpha * sum, a.beta));
                    for (std::size_t ax = r; ax-- > 0;) {  // next cell
                        if (++idx[ax] < s[ax]) break;
                        idx[ax] = 0;
                    }
                }
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_NORMALIZATION_HPP
