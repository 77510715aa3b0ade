#ifndef MOIR_OPS_SELU_HPP
#define MOIR_OPS_SELU_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <cstddef>      // size_t
#include <string>       // string
#include <string_view>  // string_view

namespace moir::ops {

/// selu: y = lambda * x for x > 0, lambda * alpha * (e^x - 1) otherwise, element-wise. Inputs: data,
/// alpha, lambda. requires: the three of one floating type, alpha and lambda holding one value each
/// (scalar or [1]). ensures: output of the data's type and shape.
struct selu {
    static constexpr std::string_view name = "selu", ir_name = "Selu", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) {
        static constexpr const char* names[] = {"data", "alpha", "lambda"};
        MOIR_CHECK(in.size() == 3, shape_error, "Selu takes 3 inputs (data, alpha, lambda)");
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "Selu needs a floating-point input");
        for (std::size_t i = 1; i < 3; ++i) {
            MOIR_CHECK(in[i].type == in[0].type || in[i].type == element_type::undefined ||
                           in[0].type == element_type::undefined,
                       shape_error, std::string(names[i]) + " and data have different element types");
            const partial_shape& p = in[i].shape;
            const bool one = p.rank_dynamic || p.rank() == 0 || (p.rank() == 1 && (p.dims[0] == 1 || p.dims[0] < 0));
            MOIR_CHECK(one, shape_error, std::string(names[i]) + " must hold one value (its shape is " + p.str() + ")");
        }
        return {port_desc{in[0].type, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SELU_HPP
