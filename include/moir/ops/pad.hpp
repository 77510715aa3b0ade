#ifndef MOIR_OPS_PAD_HPP
#define MOIR_OPS_PAD_HPP

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

/// What Pad fills the border with: OpenVINO `pad_mode`.
enum class pad_mode { constant, edge, reflect, symmetric };
constexpr std::array<std::string_view, 4> ir_enum_names(pad_mode) {
    return {"constant", "edge", "reflect", "symmetric"};
}

/// pad: adds pads_begin[i] elements before and pads_end[i] after axis i (negative pads crop).
/// constant fills with pad_value (4th input, a scalar; 0 without it); edge repeats the edge
/// element; reflect mirrors without repeating the edge ([1,2,3] -> 3,2 | 1,2,3 | 2,1); symmetric
/// mirrors with it (2,1 | 1,2,3 | 3,2).
/// requires: pads_begin, pads_end 1-D integer tensors of the data's rank; no output dim negative;
/// reflect pads <= dim - 1, symmetric pads <= dim, edge/reflect/symmetric need a non-empty dim to pad.
/// ensures: output type == data type; output dim i == dim + pads_begin[i] + pads_end[i].
struct pad {
    static constexpr std::string_view name = "pad", ir_name = "Pad", ir_opset = "opset12";
    static constexpr std::size_t min_inputs = 3, max_inputs = 4;
    struct attrs {
        ops::pad_mode pad_mode = ops::pad_mode::constant;
        static constexpr std::array<std::string_view, 1> ir_names{"pad_mode"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 3 || in.size() == 4, shape_error,
                   "Pad takes 3 or 4 inputs (data, pads_begin, pads_end, pad_value)");
        const char* names[] = {"data", "pads_begin", "pads_end"};
        for (std::size_t i = 1; i < 3; ++i) {
            MOIR_CHECK(in[i].type == element_type::undefined || is_integer(in[i].type), shape_error,
                       std::string(names[i]) + " must be an integer tensor");
            MOIR_CHECK(in[i].shape.rank_dynamic || in[i].shape.rank() == 1, shape_error,
                       std::string(names[i]) + " must be 1-D, it is " + in[i].shape.str());
        }
        if (in.size() == 4) {
            MOIR_CHECK(in[3].type == element_type::undefined || in[0].type == element_type::undefined ||
                           in[3].type == in[0].type,
                       shape_error, "pad_value must have the data's element type");
            MOIR_CHECK(!in[3].shape.is_static() || numel(in[3].shape.dims) == 1, shape_error,
                       "pad_value must hold one value, its shape is " + in[3].shape.str());
        }
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
        for (std::size_t i = 1; i < 3; ++i)
            MOIR_CHECK(!in[i].shape.is_static() || in[i].shape.dims[0] == static_cast<std::int64_t>(s.rank()),
                       shape_error,
                       std::string(names[i]) + " has " + std::to_string(in[i].shape.dims[0]) +
                           " entries, the data has rank " + std::to_string(s.rank()));
        std::vector<std::int64_t> out(s.rank(), dynamic_dim);
        if (!in[1].has_value() || !in[2].has_value()) return {port_desc{t, out, {}}};
        const auto b = detail::const_ints(in, 1, "pads_begin");
        const auto e = detail::const_ints(in, 2, "pads_end");
        MOIR_CHECK(b.size() == s.rank() && e.size() == s.rank(), shape_error,
                   "pads_begin and pads_end need one entry per data axis (" + std::to_string(s.rank()) + ")");
        for (std::size_t i = 0; i < s.rank(); ++i) {
            const std::int64_t d = s.dims[i];
            if (d < 0) continue;
            const std::string where = "axis " + std::to_string(i) + " (dim " + std::to_string(d) + ", pads " +
                                      std::to_string(b[i]) + "/" + std::to_string(e[i]) + ")";
            const std::int64_t most = std::max(b[i], e[i]);
            if (a.pad_mode == ops::pad_mode::reflect)
                MOIR_CHECK(most <= 0 || most <= d - 1, shape_error, where + ": reflect pads must not exceed dim - 1");
            if (a.pad_mode == ops::pad_mode::symmetric)
                MOIR_CHECK(most <= 0 || most <= d, shape_error, where + ": symmetric pads must not exceed the dim");
            if (a.pad_mode != ops::pad_mode::constant)
                MOIR_CHECK(most <= 0 || d > 0, shape_error, where + ": cannot pad an empty dim by copying");
            out[i] = d + b[i] + e[i];
            MOIR_CHECK(out[i] >= 0, shape_error, where + ": the output dim would be negative");
        }
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_PAD_HPP
