#ifndef MOIR_OPS_IS_INF_HPP
#define MOIR_OPS_IS_INF_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// is_inf: y = whether x is +inf (when detect_positive) or -inf (when detect_negative), element-wise.
/// requires: a floating-point input. ensures: a boolean output of the input's shape.
struct is_inf {
    static constexpr std::string_view name = "is_inf", ir_name = "IsInf", ir_opset = "opset10";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        bool detect_negative = true;
        bool detect_positive = true;
        static constexpr std::array<std::string_view, 2> ir_names{"detect_negative", "detect_positive"};
    };
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "IsInf needs a floating-point input");
        return {port_desc{element_type::boolean, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_IS_INF_HPP
