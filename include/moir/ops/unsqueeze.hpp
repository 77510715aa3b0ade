#ifndef MOIR_OPS_UNSQUEEZE_HPP
#define MOIR_OPS_UNSQUEEZE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// unsqueeze: inserts dims of size 1. The 2nd input lists their positions in the output (negative
/// counts from the end of the output, whose rank is the input's rank + the number of axes).
/// requires: axes in [-out_rank, out_rank), no axis twice.
/// ensures: output type == input type, same elements in the same order. Unknown axes give that
/// many more dims, all dynamic (a dynamic rank when the axes count is unknown too).
struct unsqueeze {
    static constexpr std::string_view name = "unsqueeze", ir_name = "Unsqueeze", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "Unsqueeze takes 2 inputs (data, axes)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the axes input must be an integer tensor");
        MOIR_CHECK(in[1].shape.rank_dynamic || in[1].shape.rank() <= 1, shape_error,
                   "the axes input must be a scalar or 1-D, it is " + in[1].shape.str());
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
        if (!in[1].has_value()) {
            const partial_shape& as = in[1].shape;
            if (as.is_static())
                return {port_desc{t, std::vector<std::int64_t>(s.rank() + numel(as.dims), dynamic_dim), {}}};
            return {port_desc{t, partial_shape::dynamic(), {}}};
        }
        const auto axes = detail::const_ints(in, 1, "the axes input");
        const std::size_t rank = s.rank() + axes.size();
        std::vector<bool> one(rank, false);
        for (auto ax : axes) {
            const std::size_t i = normalize_axis(ax, rank);
            MOIR_CHECK(!one[i], shape_error, "axis " + std::to_string(ax) + " is listed twice");
            one[i] = true;
        }
        std::vector<std::int64_t> out(rank, 1);
        for (std::size_t i = 0, j = 0; i < rank; ++i)
            if (!one[i]) out[i] = s.dims[j++];
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_UNSQUEEZE_HPP
