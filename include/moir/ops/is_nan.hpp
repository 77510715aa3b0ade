#ifndef MOIR_OPS_IS_NAN_HPP
#define MOIR_OPS_IS_NAN_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// is_nan: y = whether x is NaN, element-wise.
/// requires: a floating-point input. ensures: a boolean output of the input's shape.
struct is_nan {
    static constexpr std::string_view name = "is_nan", ir_name = "IsNaN", ir_opset = "opset10";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "IsNaN needs a floating-point input");
        return {port_desc{element_type::boolean, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_IS_NAN_HPP
