#ifndef MOIR_OPS_PRELU_HPP
#define MOIR_OPS_PRELU_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view

namespace moir::ops {

/// prelu: y = x for x >= 0, slope * x otherwise, element-wise. Inputs: data, slope. The slope is
/// per channel when it is 1-D with as many elements as the data's dim 1 (data rank >= 2); otherwise
/// it numpy-broadcasts to the data (unidirectionally: the output has the data's shape).
/// requires: data and slope of one floating type; the slope broadcastable to the data.
/// ensures: output of the data's type and shape.
struct prelu {
    static constexpr std::string_view name = "prelu", ir_name = "PRelu", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    using attrs = no_attrs;
    /// Whether the slope applies per channel (axis 1) rather than by numpy broadcasting.
    static bool per_channel(const partial_shape& data, const partial_shape& slope) {
        return !data.rank_dynamic && !slope.rank_dynamic && data.rank() >= 2 && slope.rank() == 1 &&
               data.dims[1] >= 0 && slope.dims[0] == data.dims[1] && slope.dims[0] != 1;
    }
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "PRelu takes 2 inputs (data, slope)");
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "PRelu needs a floating-point input");
        MOIR_CHECK(in[0].type == in[1].type || in[0].type == element_type::undefined ||
                       in[1].type == element_type::undefined,
                   shape_error, "data and slope have different element types");
        const partial_shape& d = in[0].shape;
        const partial_shape& s = in[1].shape;
        if (!per_channel(d, s) && !d.rank_dynamic && !s.rank_dynamic) {
            MOIR_CHECK(s.rank() <= d.rank(), shape_error,
                       "the slope " + s.str() + " has a higher rank than the data " + d.str());
            const std::size_t off = d.rank() - s.rank();
            for (std::size_t i = 0; i < s.rank(); ++i) {
                const std::int64_t sd = s.dims[i], dd = d.dims[off + i];
                MOIR_CHECK(sd < 0 || sd == 1 || dd < 0 || sd == dd, shape_error,
                           "the slope " + s.str() + " does not broadcast to the data " + d.str());
            }
        }
        return {port_desc{in[0].type, d, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_PRELU_HPP
