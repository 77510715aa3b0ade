#ifndef MOIR_OPS_PARAMETER_HPP
#define MOIR_OPS_PARAMETER_HPP

#include <moir/core/op.hpp>

#include <array>        // array
#include <string_view>  // string_view

namespace moir::ops {

/// parameter: a model input. requires: no inputs. ensures: one output of `element_type` and `shape`
/// (dims may be dynamic, -1).
struct parameter {
    static constexpr std::string_view name = "parameter", ir_name = "Parameter", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 0, max_inputs = 0;
    struct attrs {
        moir::element_type element_type = moir::element_type::f32;
        partial_shape shape;
        static constexpr std::array<std::string_view, 2> ir_names{"element_type", "shape"};
    };
    static port_descs infer(const attrs& a, const port_descs&) { return {port_desc{a.element_type, a.shape, {}}}; }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_PARAMETER_HPP
