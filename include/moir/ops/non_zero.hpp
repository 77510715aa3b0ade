#ifndef MOIR_OPS_NON_ZERO_HPP
#define MOIR_OPS_NON_ZERO_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// non_zero: the coordinates of the input's non-zero elements (NaN counts as non-zero), in
/// row-major order, as a [rank, count] tensor of output_type: column j holds the j-th non-zero
/// element's index on each axis. IR: NonZero of opset3.
/// requires: output_type i32 or i64.
/// ensures: output shape [rank, count], count dynamic until the input's value is known.
struct non_zero {
    static constexpr std::string_view name = "non_zero", ir_name = "NonZero", ir_opset = "opset3";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        element_type output_type = element_type::i64;
        static constexpr std::array<std::string_view, 1> ir_names{"output_type"};
    };
    /// The number of non-zero elements of t.
    static std::int64_t count(const tensor& t) {
        std::int64_t n = 0;
        visit_element_type(t.type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            const T* x = t.data<T>();
            for (std::size_t i = 0, e = t.numel(); i < e; ++i) n += convert_value<double>(x[i]) != 0.0;
        });
        return n;
    }
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 1, shape_error, "NonZero takes 1 input");
        MOIR_CHECK(a.output_type == element_type::i32 || a.output_type == element_type::i64, shape_error,
                   "NonZero output_type must be i32 or i64, it is " + std::string(moir::ir_name(a.output_type)));
        const partial_shape& s = in[0].shape;
        const std::int64_t rank = s.rank_dynamic ? dynamic_dim : static_cast<std::int64_t>(s.rank());
        const std::int64_t n = in[0].has_value() ? count(in[0].value) : dynamic_dim;
        return {port_desc{a.output_type, std::vector<std::int64_t>{rank, n}, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_NON_ZERO_HPP
