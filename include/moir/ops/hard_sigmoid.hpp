#ifndef MOIR_OPS_HARD_SIGMOID_HPP
#define MOIR_OPS_HARD_SIGMOID_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <cstddef>      // size_t
#include <string>       // string
#include <string_view>  // string_view

namespace moir::ops {

/// hard_sigmoid: y = max(0, min(1, alpha * x + beta)), element-wise. requires: inputs data, alpha and
/// beta of one floating type, alpha and beta holding one value each (scalar or [1]).
/// ensures: output of the data's type and shape.
struct hard_sigmoid {
    static constexpr std::string_view name = "hard_sigmoid", ir_name = "HardSigmoid", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    static constexpr bool float_only = true;  ///< the reference kernel computes floating types only
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) {
        static constexpr const char* names[] = {"data", "alpha", "beta"};
        for (std::size_t i = 1; i < 3; ++i) {
            MOIR_CHECK(in[i].type == in[0].type || in[i].type == element_type::undefined ||
                           in[0].type == element_type::undefined,
                       shape_error, std::string(names[i]) + " and data have different element types");
            const partial_shape& p = in[i].shape;
            const bool one = p.rank_dynamic || p.rank() == 0 || (p.rank() == 1 && (p.dims[0] == 1 || p.dims[0] < 0));
            MOIR_CHECK(one, shape_error, std::string(names[i]) + " must be a scalar (got " + p.str() + ")");
        }
        return {port_desc{in[0].type, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_HARD_SIGMOID_HPP
