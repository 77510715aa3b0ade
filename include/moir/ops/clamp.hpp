#ifndef MOIR_OPS_CLAMP_HPP
#define MOIR_OPS_CLAMP_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// clamp: y = min(max(x, min), max), element-wise. For integer data the bounds are ceil(min) and
/// floor(max), limited to the type's range. requires: min <= max; data of a numeric type.
/// ensures: output of the data's type and shape.
struct clamp {
    static constexpr std::string_view name = "clamp", ir_name = "Clamp", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        double min = 0.0;
        double max = 0.0;
        static constexpr std::array<std::string_view, 2> ir_names{"min", "max"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(a.min <= a.max, shape_error, "min must not exceed max");
        return {port_desc{in[0].type, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_CLAMP_HPP
