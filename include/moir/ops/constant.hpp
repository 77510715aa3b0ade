#ifndef MOIR_OPS_CONSTANT_HPP
#define MOIR_OPS_CONSTANT_HPP

#include <moir/core/op.hpp>

#include <array>        // array
#include <string_view>  // string_view

namespace moir::ops {

/// constant: a tensor known when the model is built (weights, shapes). IR: Const, whose <data>
/// holds element_type/shape/offset/size into the .bin (the IR writer and reader handle that layout).
/// ensures: one output whose value is `value`.
struct constant {
    static constexpr std::string_view name = "constant", ir_name = "Const", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 0, max_inputs = 0;
    struct attrs {
        tensor value;
        static constexpr std::array<std::string_view, 1> ir_names{"value"};
    };
    static port_descs infer(const attrs& a, const port_descs&) {
        return {port_desc{a.value.type(), partial_shape(a.value.dims()), a.value}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_CONSTANT_HPP
