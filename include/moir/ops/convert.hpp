#ifndef MOIR_OPS_CONVERT_HPP
#define MOIR_OPS_CONVERT_HPP

#include <moir/core/op.hpp>

#include <array>        // array
#include <string_view>  // string_view

namespace moir::ops {

/// convert: element-wise type conversion (ONNX Cast). Floats to integers truncate toward zero; to
/// boolean, non-zero is true. ensures: output shape == input shape, type == destination_type.
struct convert {
    static constexpr std::string_view name = "convert", ir_name = "Convert", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        element_type destination_type = element_type::f32;
        static constexpr std::array<std::string_view, 1> ir_names{"destination_type"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) { return {port_desc{a.destination_type, in[0].shape, {}}}; }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_CONVERT_HPP
