#ifndef MOIR_OPS_CUM_SUM_HPP
#define MOIR_OPS_CUM_SUM_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <string_view>  // string_view

namespace moir::ops {

/// cum_sum: running sums along the axis given by the 2nd input (a scalar integer, negative counts
/// from the end; axis 0 without it). exclusive: each sum leaves out its own element (the first is
/// 0); reverse: sums run from the end of the axis. Floating types accumulate in double.
/// IR: CumSum of opset3.
/// requires: numeric data of rank >= 1 (when the axis is given).
/// ensures: output type and shape == data's.
struct cum_sum {
    static constexpr std::string_view name = "cum_sum", ir_name = "CumSum", ir_opset = "opset3";
    static constexpr std::size_t min_inputs = 1, max_inputs = 2;
    struct attrs {
        bool exclusive = false;
        bool reverse = false;
        static constexpr std::array<std::string_view, 2> ir_names{"exclusive", "reverse"};
    };
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 1 || in.size() == 2, shape_error, "CumSum takes 1 or 2 inputs (data, axis)");
        MOIR_CHECK(in[0].type != element_type::boolean, shape_error, "CumSum does not take boolean data");
        if (in.size() == 2) {
            MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                       "the axis must be an integer tensor");
            MOIR_CHECK(!in[1].shape.is_static() || numel(in[1].shape.dims) == 1, shape_error,
                       "the axis must hold one value, its shape is " + in[1].shape.str());
            if (!in[0].shape.rank_dynamic && in[1].has_value())
                normalize_axis(detail::const_ints(in, 1, "the axis").at(0), in[0].shape.rank());
        }
        return {port_desc{in[0].type, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_CUM_SUM_HPP
