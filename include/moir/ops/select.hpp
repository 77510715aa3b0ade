#ifndef MOIR_OPS_SELECT_HPP
#define MOIR_OPS_SELECT_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <string>       // string
#include <string_view>  // string_view

namespace moir::ops {

/// select: y = cond ? then : else, element-wise, the three inputs numpy-broadcast together (ONNX
/// Where). auto_broadcast none needs three equal shapes; pdpd is not supported.
/// requires: a boolean cond; then and else of one element type.
/// ensures: output of then's type and the broadcast shape.
struct select {
    static constexpr std::string_view name = "select", ir_name = "Select", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    struct attrs {
        ops::auto_broadcast auto_broadcast = ops::auto_broadcast::numpy;
        static constexpr std::array<std::string_view, 1> ir_names{"auto_broadcast"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 3, shape_error, "Select takes 3 inputs (cond, then, else)");
        MOIR_CHECK(in[0].type == element_type::boolean || in[0].type == element_type::undefined, shape_error,
                   "the condition of Select must be boolean, it is " + std::string(moir::ir_name(in[0].type)));
        MOIR_CHECK(in[1].type == in[2].type || in[1].type == element_type::undefined ||
                       in[2].type == element_type::undefined,
                   shape_error, "the then and else inputs of Select have different element types");
        const element_type t = in[1].type != element_type::undefined ? in[1].type : in[2].type;
        MOIR_CHECK(a.auto_broadcast != ops::auto_broadcast::pdpd, unsupported_error,
                   "Select with auto_broadcast=pdpd is not supported");
        if (a.auto_broadcast == ops::auto_broadcast::none) {
            MOIR_CHECK(in[0].shape == in[1].shape && in[1].shape == in[2].shape, shape_error,
                       "auto_broadcast=none needs equal shapes");
            return {port_desc{t, in[1].shape, {}}};
        }
        return {port_desc{t, broadcast_shapes(broadcast_shapes(in[0].shape, in[1].shape), in[2].shape), {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SELECT_HPP
