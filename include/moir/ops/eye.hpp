#ifndef MOIR_OPS_EYE_HPP
#define MOIR_OPS_EYE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// eye: a matrix of num_rows x num_columns (1st and 2nd inputs, 1-element integers) holding 1
/// where column - row == diagonal_index (3rd input; positive: above the main diagonal) and 0
/// elsewhere, repeated over the batch shape given by the optional 4th input (a 1-D integer).
/// IR: Eye of opset9.
/// requires: non-negative num_rows and num_columns; a numeric output_type.
/// ensures: output shape batch_shape + [num_rows, num_columns] of output_type (dynamic dims while
/// the inputs are unknown).
struct eye {
    static constexpr std::string_view name = "eye", ir_name = "Eye", ir_opset = "opset9";
    static constexpr std::size_t min_inputs = 3, max_inputs = 4;
    struct attrs {
        element_type output_type = element_type::f32;
        static constexpr std::array<std::string_view, 1> ir_names{"output_type"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 3 || in.size() == 4, shape_error,
                   "Eye takes 3 or 4 inputs (num_rows, num_columns, diagonal_index, batch_shape)");
        MOIR_CHECK(a.output_type != element_type::undefined, shape_error, "Eye needs an output_type");
        const char* names[] = {"num_rows", "num_columns", "diagonal_index", "batch_shape"};
        for (std::size_t i = 0; i < in.size(); ++i)
            MOIR_CHECK(in[i].type == element_type::undefined || is_integer(in[i].type), shape_error,
                       std::string(names[i]) + " must be an integer tensor");
        for (std::size_t i = 0; i < 3; ++i)
            MOIR_CHECK(!in[i].shape.is_static() || numel(in[i].shape.dims) == 1, shape_error,
                       std::string(names[i]) + " must hold one value, its shape is " + in[i].shape.str());
        std::vector<std::int64_t> out;
        if (in.size() == 4) {
            const partial_shape& bs = in[3].shape;
            MOIR_CHECK(bs.rank_dynamic || bs.rank() == 1, shape_error, "batch_shape must be 1-D, it is " + bs.str());
            if (in[3].has_value()) {
                out = detail::const_ints(in, 3, "batch_shape");
                for (auto d : out)
                    MOIR_CHECK(d >= 0, shape_error, "batch_shape [" + to_string(out) + "] has a negative dim");
            } else if (bs.is_static()) {
                out.assign(static_cast<std::size_t>(bs.dims[0]), dynamic_dim);
            } else {
                return {port_desc{a.output_type, partial_shape::dynamic(), {}}};
            }
        }
        for (std::size_t i = 0; i < 2; ++i) {
            std::int64_t d = dynamic_dim;
            if (in[i].has_value()) {
                d = detail::const_ints(in, i, names[i]).at(0);
                MOIR_CHECK(d >= 0, shape_error, std::string(names[i]) + " must be >= 0, it is " + std::to_string(d));
            }
            out.push_back(d);
        }
        return {port_desc{a.output_type, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_EYE_HPP
