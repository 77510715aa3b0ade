#ifndef MOIR_OPS_DETAIL_ELEMENTWISE_HPP
#define MOIR_OPS_DETAIL_ELEMENTWISE_HPP

// Shared shape inference of element-wise ops. An element-wise op type derives from one of these
// bases (the op type, not its attrs, which stay plain aggregates) and adds its name and a scalar
// `template <class T> static T apply(...)` that the reference kernel calls per element.

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <string_view>  // string_view

namespace moir::ops::detail {

/// Attributes of binary element-wise ops.
struct broadcast_attrs {
    ops::auto_broadcast auto_broadcast = ops::auto_broadcast::numpy;
    static constexpr std::array<std::string_view, 1> ir_names{"auto_broadcast"};
};

/// Two inputs of the same element type, numpy-broadcast. `Out` fixes the output type (boolean for
/// comparisons) or, when undefined, the output has the inputs' type.
template <element_type Out = element_type::undefined>
struct binary_elementwise {
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    static constexpr bool is_binary_elementwise = true;
    using attrs = broadcast_attrs;
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in[0].type == in[1].type || in[0].type == element_type::undefined ||
                       in[1].type == element_type::undefined,
                   shape_error, "the two inputs have different element types");
        partial_shape s;
        if (a.auto_broadcast == ops::auto_broadcast::none) {
            MOIR_CHECK(in[0].shape == in[1].shape, shape_error, "auto_broadcast=none needs equal shapes");
            s = in[0].shape;
        } else {
            s = broadcast_shapes(in[0].shape, in[1].shape);
        }
        return {port_desc{Out == element_type::undefined ? in[0].type : Out, s, {}}};
    }
};

/// One input; output of the same type and shape.
struct unary_elementwise {
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    static constexpr bool is_unary_elementwise = true;
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) { return {port_desc{in[0].type, in[0].shape, {}}}; }
};

}  // namespace moir::ops::detail

#endif  // MOIR_OPS_DETAIL_ELEMENTWISE_HPP
