#ifndef MOIR_OPS_DETAIL_DFT_HPP
#define MOIR_OPS_DETAIL_DFT_HPP

// Shared shape inference of DFT and IDFT (OpenVINO DFT-7/IDFT-7): complex data [..., 2], the
// transformed axes (2nd input) and optional signal sizes (3rd input).

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // int64_t
#include <string>   // string, to_string
#include <vector>   // vector

namespace moir::ops::detail {

/// The transformed axes normalized against the signal rank (the data's rank without the complex
/// axis). requires: axes in [-(rank-1), rank-1), none repeated. ensures: shape_error otherwise.
inline std::vector<std::size_t> dft_axes(const std::vector<std::int64_t>& axes, std::size_t rank) {
    MOIR_CHECK(rank >= 2, shape_error, "the data of a DFT needs rank >= 2 (the last axis holds re, im)");
    std::vector<std::size_t> r;
    std::vector<bool> seen(rank - 1, false);
    for (auto ax : axes) {
        const std::size_t a = normalize_axis(ax, rank - 1);
        MOIR_CHECK(!seen[a], shape_error, "the DFT axes repeat axis " + std::to_string(a));
        seen[a] = true;
        r.push_back(a);
    }
    return r;
}

/// Inputs: data [..., 2] (floating), axes (1-D integer), optional signal_size (1-D integer, one
/// per axis; -1 keeps the axis's extent). ensures: the data's shape with each transformed axis
/// resized to its signal size; those dims dynamic while axes or signal sizes are unknown.
inline port_descs infer_dft(const port_descs& in) {
    MOIR_CHECK(in.size() == 2 || in.size() == 3, shape_error, "a DFT takes 2 or 3 inputs (data, axes, signal_size)");
    MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
               "the data of a DFT must be floating-point");
    for (std::size_t i = 1; i < in.size(); ++i)
        MOIR_CHECK(in[i].type == element_type::undefined || is_integer(in[i].type), shape_error,
                   "the axes and signal_size of a DFT must be integer tensors");
    const partial_shape& s = in[0].shape;
    if (s.rank_dynamic) return {port_desc{in[0].type, s, {}}};
    MOIR_CHECK(s.rank() >= 2, shape_error, "the data of a DFT needs rank >= 2 (the last axis holds re, im)");
    MOIR_CHECK(s.dims.back() < 0 || s.dims.back() == 2, shape_error, "the last axis of a DFT's data must be 2 (re, im)");
    std::vector<std::int64_t> out = s.dims;
    out.back() = 2;
    if (in.size() < 3) {
        if (in[1].has_value()) dft_axes(const_ints(in, 1, "the axes"), s.rank());
        return {port_desc{in[0].type, out, {}}};
    }
    if (!in[1].has_value()) {
        for (std::size_t i = 0; i + 1 < out.size(); ++i) out[i] = -1;
        return {port_desc{in[0].type, out, {}}};
    }
    const auto axes = dft_axes(const_ints(in, 1, "the axes"), s.rank());
    if (!in[2].has_value()) {
        for (auto a : axes) out[a] = -1;
        return {port_desc{in[0].type, out, {}}};
    }
    const auto sizes = const_ints(in, 2, "the signal_size");
    MOIR_CHECK(sizes.size() == axes.size(), shape_error, "signal_size must have one value per axis");
    for (std::size_t i = 0; i < axes.size(); ++i) {
        MOIR_CHECK(sizes[i] == -1 || sizes[i] > 0, shape_error, "signal_size values must be positive or -1");
        if (sizes[i] != -1) out[axes[i]] = sizes[i];
    }
    return {port_desc{in[0].type, out, {}}};
}

}  // namespace moir::ops::detail

#endif  // MOIR_OPS_DETAIL_DFT_HPP
