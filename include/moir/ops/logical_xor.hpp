#ifndef MOIR_OPS_LOGICAL_XOR_HPP
#define MOIR_OPS_LOGICAL_XOR_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/detail/elementwise.hpp>

#include <string_view>  // string_view

namespace moir::ops {

/// logical_xor: y = a XOR b, element-wise with numpy broadcasting.
/// requires: two boolean inputs. ensures: a boolean output of the broadcast shape.
struct logical_xor : detail::binary_elementwise<element_type::boolean> {
    static constexpr std::string_view name = "logical_xor", ir_name = "LogicalXor", ir_opset = "opset1";
    static constexpr bool accepts_bool = true;
    static port_descs infer(const attrs& a, const port_descs& in) {
        for (const auto& p : in)
            MOIR_CHECK(p.type == element_type::boolean || p.type == element_type::undefined, shape_error,
                       "LogicalXor takes boolean inputs");
        return binary_elementwise::infer(a, in);
    }
    template <class T>
    static T apply(T a, T b) { return static_cast<T>(static_cast<bool>(a) != static_cast<bool>(b)); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_LOGICAL_XOR_HPP
