#ifndef MOIR_OPS_SPLIT_HPP
#define MOIR_OPS_SPLIT_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// split: cuts the data into num_splits equal parts along the axis given by the 2nd input (a
/// scalar constant; negative counts from the end).
/// requires: num_splits >= 1 divides the axis dim.
/// ensures: num_splits outputs of the data's type, each with the axis dim divided by num_splits
/// (all dims dynamic while the axis is unknown).
struct split {
    static constexpr std::string_view name = "split", ir_name = "Split", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    struct attrs {
        std::int64_t num_splits = 1;
        static constexpr std::array<std::string_view, 1> ir_names{"num_splits"};
    };
    static std::size_t outputs(const attrs& a) { return a.num_splits > 0 ? static_cast<std::size_t>(a.num_splits) : 0; }

    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "Split takes 2 inputs (data, axis)");
        MOIR_CHECK(a.num_splits >= 1, shape_error, "num_splits must be >= 1, it is " + std::to_string(a.num_splits));
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the axis must be an integer tensor");
        MOIR_CHECK(!in[1].shape.is_static() || numel(in[1].shape.dims) == 1, shape_error,
                   "the axis must hold one value, its shape is " + in[1].shape.str());
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        const auto n = static_cast<std::size_t>(a.num_splits);
        if (s.rank_dynamic) return port_descs(n, port_desc{t, partial_shape::dynamic(), {}});
        MOIR_CHECK(s.rank() >= 1, shape_error, "the data is a scalar; Split needs rank >= 1");
        if (!in[1].has_value())
            return port_descs(n, port_desc{t, std::vector<std::int64_t>(s.rank(), dynamic_dim), {}});
        const auto av = detail::const_ints(in, 1, "the axis");
        MOIR_CHECK(av.size() == 1, shape_error, "the axis must hold one value");
        const std::size_t axis = normalize_axis(av[0], s.rank());
        std::vector<std::int64_t> part = s.dims;
        if (part[axis] >= 0) {
            MOIR_CHECK(part[axis] % a.num_splits == 0, shape_error,
                       "dim " + std::to_string(part[axis]) + " of axis " + std::to_string(av[0]) +
                           " does not split into " + std::to_string(a.num_splits) + " equal parts");
            part[axis] /= a.num_splits;
        }
        return port_descs(n, port_desc{t, part, {}});
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SPLIT_HPP
