#ifndef MOIR_OPS_SWISH_HPP
#define MOIR_OPS_SWISH_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// swish: y = x * sigmoid(beta * x) = x / (1 + e^(-beta * x)), element-wise; beta is the optional
/// second input (1 when absent). requires: a floating-point data input; beta of the data's type
/// holding one value (scalar or [1]). ensures: output of the data's type and shape.
struct swish {
    static constexpr std::string_view name = "swish", ir_name = "Swish", ir_opset = "opset4";
    static constexpr std::size_t min_inputs = 1, max_inputs = 2;
    static constexpr bool float_only = true;  ///< the reference kernel computes floating types only
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) {
        if (in.size() > 1) {
            MOIR_CHECK(in[1].type == in[0].type || in[1].type == element_type::undefined ||
                           in[0].type == element_type::undefined,
                       shape_error, "beta and data have different element types");
            const partial_shape& p = in[1].shape;
            const bool one = p.rank_dynamic || p.rank() == 0 || (p.rank() == 1 && (p.dims[0] == 1 || p.dims[0] < 0));
            MOIR_CHECK(one, shape_error, "beta must be a scalar (got " + p.str() + ")");
        }
        return {port_desc{in[0].type, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SWISH_HPP
