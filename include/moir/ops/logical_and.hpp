#ifndef MOIR_OPS_LOGICAL_AND_HPP
#define MOIR_OPS_LOGICAL_AND_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// logical_and: y = a AND b, element-wise with numpy broadcasting.
/// requires: two boolean inputs. ensures: a boolean output of the broadcast shape.
struct logical_and : detail::binary_elementwise<element_type::boolean> {
    static constexpr std::string_view name = "logical_and", ir_name = "LogicalAnd", ir_opset = "opset1";
    static constexpr bool accepts_bool = true;
    static port_descs infer(const attrs& a, const port_descs& in) {
        for (const auto& p : in)
            MOIR_CHECK(p.type == element_type::boolean || p.type == element_type::undefined, shape_error,
                       "LogicalAnd takes boolean inputs");
        return binary_elementwise::infer(a, in);
    }
    template <class T>
    static T apply(T a, T b) { return static_cast<T>(static_cast<bool>(a) && static_cast<bool>(b)); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_LOGICAL_AND_HPP
