#ifndef MOIR_OPS_GATHER_ND_HPP
#define MOIR_OPS_GATHER_ND_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// gather_nd: reads slices of the data addressed by index tuples. The last dim k of `indices` is
/// the tuple length: each tuple indexes data dims [batch_dims, batch_dims + k) (negative values
/// count from the end of their dim) and selects the slice of the remaining dims. The first
/// batch_dims dims of data and indices are batch dims walked together. IR: GatherND of opset8
/// (batch dims kept, not flattened as in opset5).
/// requires: indices of rank >= 1, integer; batch_dims + k <= data rank; equal batch dims;
/// index values in range (the kernel throws otherwise).
/// ensures: output shape indices[:-1] + data[batch_dims + k:], type == data type.
struct gather_nd {
    static constexpr std::string_view name = "gather_nd", ir_name = "GatherND", ir_opset = "opset8";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    struct attrs {
        std::int64_t batch_dims = 0;
        static constexpr std::array<std::string_view, 1> ir_names{"batch_dims"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "GatherND takes 2 inputs (data, indices)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the indices must be an integer tensor");
        MOIR_CHECK(a.batch_dims >= 0, shape_error, "batch_dims must be >= 0, it is " + std::to_string(a.batch_dims));
        const element_type t = in[0].type;
        const partial_shape& ds = in[0].shape;
        const partial_shape& is = in[1].shape;
        if (ds.rank_dynamic || is.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
        const auto b = static_cast<std::size_t>(a.batch_dims);
        MOIR_CHECK(is.rank() >= 1, shape_error, "the indices must have rank >= 1");
        MOIR_CHECK(b < is.rank() && b < ds.rank(), shape_error,
                   "batch_dims " + std::to_string(b) + " must be less than the ranks of data and indices");
        for (std::size_t i = 0; i < b; ++i)
            MOIR_CHECK(ds.dims[i] < 0 || is.dims[i] < 0 || ds.dims[i] == is.dims[i], shape_error,
                       "batch dim " + std::to_string(i) + " differs: data " + std::to_string(ds.dims[i]) +
                           ", indices " + std::to_string(is.dims[i]));
        const std::int64_t k = is.dims.back();
        std::vector<std::int64_t> out(is.dims.begin(), is.dims.end() - 1);
        for (std::size_t i = 0; i < b; ++i)
            if (out[i] < 0) out[i] = ds.dims[i];
        if (k < 0) return {port_desc{t, partial_shape::dynamic(), {}}};
        MOIR_CHECK(b + static_cast<std::size_t>(k) <= ds.rank(), shape_error,
                   "index tuples of length " + std::to_string(k) + " after " + std::to_string(b) +
                       " batch dims exceed the data's rank " + std::to_string(ds.rank()));
        for (std::size_t i = b + static_cast<std::size_t>(k); i < ds.rank(); ++i) out.push_back(ds.dims[i]);
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_GATHER_ND_HPP
