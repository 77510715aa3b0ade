#ifndef MOIR_OPS_CONCAT_HPP
#define MOIR_OPS_CONCAT_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// concat: joins the inputs along `axis` (negative counts from the end).
/// requires: one or more inputs of the same element type and rank >= 1, equal in every dim but
/// `axis`. ensures: output dim `axis` is the sum of the inputs' (dynamic if any is); the other dims
/// are the inputs' (a dynamic dim takes a known one from another input).
struct concat {
    static constexpr std::string_view name = "concat", ir_name = "Concat", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 1, max_inputs = std::size_t{1} << 20;
    struct attrs {
        std::int64_t axis = 0;
        static constexpr std::array<std::string_view, 1> ir_names{"axis"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(!in.empty(), shape_error, "Concat needs at least one input");
        element_type t = element_type::undefined;
        partial_shape out = partial_shape::dynamic();
        for (std::size_t k = 0; k < in.size(); ++k) {
            if (in[k].type != element_type::undefined) {
                MOIR_CHECK(t == element_type::undefined || t == in[k].type, shape_error,
                           "input " + std::to_string(k) + " is " + std::string(moir::ir_name(in[k].type)) +
                               ", input 0 is " + std::string(moir::ir_name(t)));
                t = in[k].type;
            }
            const partial_shape& s = in[k].shape;
            if (s.rank_dynamic) continue;
            MOIR_CHECK(s.rank() >= 1, shape_error,
                       "input " + std::to_string(k) + " is a scalar; Concat needs rank >= 1");
            if (out.rank_dynamic) {
                out = s;
                out.dims[normalize_axis(a.axis, s.rank())] = 0;  // summed below
            } else {
                MOIR_CHECK(s.rank() == out.rank(), shape_error,
                           "input " + std::to_string(k) + " has rank " + std::to_string(s.rank()) +
                               ", an earlier one " + std::to_string(out.rank()));
            }
        }
        if (out.rank_dynamic) return {port_desc{t, out, {}}};
        const std::size_t axis = normalize_axis(a.axis, out.rank());
        for (std::size_t k = 0; k < in.size(); ++k) {
            const partial_shape& s = in[k].shape;
            if (s.rank_dynamic) {
                out.dims[axis] = dynamic_dim;
                continue;
            }
            for (std::size_t i = 0; i < s.rank(); ++i) {
                if (i == axis) {
                    out.dims[i] = out.dims[i] < 0 || s.dims[i] < 0 ? dynamic_dim : out.dims[i] + s.dims[i];
                } else if (out.dims[i] < 0) {
                    out.dims[i] = s.dims[i];
                } else {
                    MOIR_CHECK(s.dims[i] < 0 || s.dims[i] == out.dims[i], shape_error,
                               "input " + std::to_string(k) + " has dim " + std::to_string(s.dims[i]) + " on axis " +
                                   std::to_string(i) + ", an earlier input " + std::to_string(out.dims[i]));
                }
            }
        }
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_CONCAT_HPP
