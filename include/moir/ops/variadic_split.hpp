#ifndef MOIR_OPS_VARIADIC_SPLIT_HPP
#define MOIR_OPS_VARIADIC_SPLIT_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// variadic_split: cuts the data along the axis given by the 2nd input (a scalar constant; negative
/// counts from the end) into parts of the lengths given by the 3rd input; one length may be -1,
/// meaning "the rest".
/// requires: lengths >= 0 (but one -1) summing to the axis dim.
/// ensures: one output per length, of the data's type. The number of outputs needs at least the
/// lengths' shape; unknown values give dynamic dims.
struct variadic_split {
    static constexpr std::string_view name = "variadic_split", ir_name = "VariadicSplit", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    using attrs = no_attrs;

    /// The lengths with the -1 resolved against the axis dim `dim` (which may be dynamic, -1:
    /// then the -1 stays). ensures: throws shape_error when they do not fit.
    static std::vector<std::int64_t> resolve(std::vector<std::int64_t> lengths, std::int64_t dim) {
        std::size_t rest = lengths.size();
        std::int64_t sum = 0;
        for (std::size_t i = 0; i < lengths.size(); ++i) {
            if (lengths[i] == -1) {
                MOIR_CHECK(rest == lengths.size(), shape_error, "split_lengths has more than one -1");
                rest = i;
            } else {
                MOIR_CHECK(lengths[i] >= 0, shape_error,
                           "split_lengths [" + to_string(lengths) + "] has a negative length");
                sum += lengths[i];
            }
        }
        if (dim < 0) return lengths;
        if (rest < lengths.size()) {
            MOIR_CHECK(sum <= dim, shape_error,
                       "split_lengths sum to " + std::to_string(sum) + ", more than the dim " + std::to_string(dim));
            lengths[rest] = dim - sum;
        } else {
            MOIR_CHECK(sum == dim, shape_error,
                       "split_lengths sum to " + std::to_string(sum) + ", the dim is " + std::to_string(dim));
        }
        return lengths;
    }

    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 3, shape_error, "VariadicSplit takes 3 inputs (data, axis, split_lengths)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the axis must be an integer tensor");
        MOIR_CHECK(!in[1].shape.is_static() || numel(in[1].shape.dims) == 1, shape_error,
                   "the axis must hold one value, its shape is " + in[1].shape.str());
        MOIR_CHECK(in[2].type == element_type::undefined || is_integer(in[2].type), shape_error,
                   "split_lengths must be an integer tensor");
        const partial_shape& ls = in[2].shape;
        MOIR_CHECK(ls.rank_dynamic || ls.rank() == 1, shape_error, "split_lengths must be 1-D, it is " + ls.str());
        MOIR_CHECK(in[2].has_value() || ls.is_static(), shape_error,
                   "the number of outputs is unknown: split_lengths has shape " + ls.str() + " and no known value");
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        std::vector<std::int64_t> lengths;
        if (in[2].has_value()) lengths = detail::const_ints(in, 2, "split_lengths");
        else lengths.assign(static_cast<std::size_t>(ls.dims[0]), dynamic_dim);
        const std::size_t n = lengths.size();
        if (s.rank_dynamic) return port_descs(n, port_desc{t, partial_shape::dynamic(), {}});
        MOIR_CHECK(s.rank() >= 1, shape_error, "the data is a scalar; VariadicSplit needs rank >= 1");
        if (!in[1].has_value())
            return port_descs(n, port_desc{t, std::vector<std::int64_t>(s.rank(), dynamic_dim), {}});
        const auto av = detail::const_ints(in, 1, "the axis");
        MOIR_CHECK(av.size() == 1, shape_error, "the axis must hold one value");
        const std::size_t axis = normalize_axis(av[0], s.rank());
        if (in[2].has_value()) lengths = resolve(lengths, s.dims[axis]);
        port_descs out(n, port_desc{t, s, {}});
        for (std::size_t i = 0; i < n; ++i) out[i].shape.dims[axis] = lengths[i];
        return out;
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_VARIADIC_SPLIT_HPP
