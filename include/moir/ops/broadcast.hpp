#ifndef MOIR_OPS_BROADCAST_HPP
#define MOIR_OPS_BROADCAST_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <algorithm>    // max
#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// How Broadcast maps the data onto the target shape: OpenVINO Broadcast-3 `mode`.
enum class broadcast_mode { numpy, explicit_, bidirectional };
constexpr std::array<std::string_view, 3> ir_enum_names(broadcast_mode) {
    return {"numpy", "explicit", "bidirectional"};
}

/// broadcast: replicates the data to a shape given by the 2nd input. numpy: the output shape is the
/// target and the data broadcasts to it (right-aligned; data dims 1 or equal). bidirectional (ONNX
/// Expand): the output shape is the numpy broadcast of the data's shape and the target. explicit:
/// the 3rd input (axes_mapping) says at which output axis each data dim goes (increasing; data
/// dims 1 or equal to the target's there).
/// requires: a 1-D integer target shape; shapes that fit the mode.
/// ensures: output type == data type; the exact shape when the target value is known, else that
/// rank with dynamic dims.
struct broadcast {
    static constexpr std::string_view name = "broadcast", ir_name = "Broadcast", ir_opset = "opset3";
    static constexpr std::size_t min_inputs = 2, max_inputs = 3;
    struct attrs {
        broadcast_mode mode = broadcast_mode::numpy;
        static constexpr std::array<std::string_view, 1> ir_names{"mode"};
    };

    /// The data's shape placed into the output's rank by axes_mapping, 1 on the other axes.
    /// ensures: throws shape_error when the mapping is invalid.
    static std::vector<std::int64_t> explicit_shape(const std::vector<std::int64_t>& data, std::size_t out_rank,
                                                    const std::vector<std::int64_t>& mapping) {
        MOIR_CHECK(mapping.size() == data.size(), shape_error,
                   "axes_mapping has " + std::to_string(mapping.size()) + " entries, the data has rank " +
                       std::to_string(data.size()));
        std::vector<std::int64_t> s(out_rank, 1);
        for (std::size_t i = 0; i < mapping.size(); ++i) {
            MOIR_CHECK(mapping[i] >= 0 && mapping[i] < static_cast<std::int64_t>(out_rank) &&
                           (i == 0 || mapping[i] > mapping[i - 1]),
                       shape_error, "axes_mapping [" + to_string(mapping) + "] must be increasing axes of the output");
            s[static_cast<std::size_t>(mapping[i])] = data[i];
        }
        return s;
    }

    static port_descs infer(const attrs& a, const port_descs& in) {
        const bool expl = a.mode == broadcast_mode::explicit_;
        MOIR_CHECK(in.size() == (expl ? 3u : 2u), shape_error,
                   expl ? "Broadcast (explicit) takes 3 inputs (data, target_shape, axes_mapping)"
                        : "Broadcast takes 2 inputs (data, target_shape)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the target shape must be an integer tensor");
        MOIR_CHECK(in[1].shape.rank_dynamic || in[1].shape.rank() <= 1, shape_error,
                   "the target shape must be 1-D, it is " + in[1].shape.str());
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        if (!in[1].has_value()) {
            const partial_shape& ts = in[1].shape;
            if (!ts.is_static() || (a.mode == broadcast_mode::bidirectional && s.rank_dynamic))
                return {port_desc{t, partial_shape::dynamic(), {}}};
            std::size_t rank = numel(ts.dims);
            if (a.mode == broadcast_mode::bidirectional) rank = std::max(rank, s.rank());
            return {port_desc{t, std::vector<std::int64_t>(rank, dynamic_dim), {}}};
        }
        const auto target = detail::const_ints(in, 1, "the target shape");
        for (auto d : target)
            MOIR_CHECK(d >= 0, shape_error, "the target shape [" + to_string(target) + "] has a negative dim");
        if (s.rank_dynamic) {
            if (a.mode == broadcast_mode::bidirectional) return {port_desc{t, partial_shape::dynamic(), {}}};
            return {port_desc{t, target, {}}};
        }
        if (a.mode == broadcast_mode::bidirectional) return {port_desc{t, broadcast_shapes(s, target), {}}};
        std::vector<std::int64_t> placed;
        if (expl) {
            if (!in[2].has_value()) return {port_desc{t, target, {}}};
            placed = explicit_shape(s.dims, target.size(), detail::const_ints(in, 2, "axes_mapping"));
        } else {
            MOIR_CHECK(s.rank() <= target.size(), shape_error,
                       "the data " + s.str() + " has a higher rank than the target shape [" + to_string(target) + "]");
            placed.assign(target.size() - s.rank(), 1);
            placed.insert(placed.end(), s.dims.begin(), s.dims.end());
        }
        for (std::size_t i = 0; i < target.size(); ++i)
            MOIR_CHECK(placed[i] < 0 || placed[i] == 1 || placed[i] == target[i], shape_error,
                       "the data " + s.str() + " does not broadcast to [" + to_string(target) + "]");
        return {port_desc{t, target, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_BROADCAST_HPP
