#ifndef MOIR_OPS_LOGICAL_NOT_HPP
#define MOIR_OPS_LOGICAL_NOT_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// logical_not: y = NOT x, element-wise. requires: a boolean input.
/// ensures: a boolean output of the input's shape.
struct logical_not : detail::unary_elementwise {
    static constexpr std::string_view name = "logical_not", ir_name = "LogicalNot", ir_opset = "opset1";
    static constexpr bool accepts_bool = true;
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in[0].type == element_type::boolean || in[0].type == element_type::undefined, shape_error,
                   "LogicalNot takes a boolean input");
        return {port_desc{element_type::boolean, in[0].shape, {}}};
    }
    template <class T>
    static T apply(T x) { return static_cast<T>(!static_cast<bool>(x)); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_LOGICAL_NOT_HPP
