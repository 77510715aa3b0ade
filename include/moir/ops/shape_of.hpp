#ifndef MOIR_OPS_SHAPE_OF_HPP
#define MOIR_OPS_SHAPE_OF_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int32_t, int64_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// shape_of: the input's shape as a 1-D tensor of output_type.
/// requires: output_type is i32 or i64. ensures: output shape [rank] ([?] for a dynamic rank);
/// when the input shape is static, the output value too, so shape sub-graphs can be folded.
struct shape_of {
    static constexpr std::string_view name = "shape_of", ir_name = "ShapeOf", ir_opset = "opset3";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        element_type output_type = element_type::i64;
        static constexpr std::array<std::string_view, 1> ir_names{"output_type"};
    };
    /// The shape `dims` as a 1-D tensor of type `t` (i32 or i64).
    static tensor value_of(const shape& dims, element_type t) {
        if (t == element_type::i32) {
            std::vector<std::int32_t> v(dims.begin(), dims.end());
            return tensor::from_vector(v);
        }
        return tensor::from_vector(std::vector<std::int64_t>(dims));
    }
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 1, shape_error, "ShapeOf takes 1 input");
        MOIR_CHECK(a.output_type == element_type::i32 || a.output_type == element_type::i64, shape_error,
                   "ShapeOf output_type must be i32 or i64, it is " + std::string(moir::ir_name(a.output_type)));
        const partial_shape& s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{a.output_type, std::vector<std::int64_t>{dynamic_dim}, {}}};
        port_desc d{a.output_type, std::vector<std::int64_t>{static_cast<std::int64_t>(s.rank())}, {}};
        if (s.is_static()) d.value = value_of(s.dims, a.output_type);
        return {d};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SHAPE_OF_HPP
