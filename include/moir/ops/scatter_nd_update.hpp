#ifndef MOIR_OPS_SCATTER_ND_UPDATE_HPP
#define MOIR_OPS_SCATTER_ND_UPDATE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // ptrdiff_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// How ScatterNDUpdate combines an update with the elements it lands on: OpenVINO `reduction`.
enum class scatter_nd_reduction { none, sum, sub, prod, min, max };
constexpr std::array<std::string_view, 6> ir_enum_names(scatter_nd_reduction) {
    return {"none", "sum", "sub", "prod", "min", "max"};
}

/// scatter_nd_update: a copy of the data where the slices addressed by the index tuples of
/// `indices` (its last dim k is the tuple length, indexing data dims [0, k); negative values count
/// from the end of their dim) receive the matching slices of `updates`, replaced (none; later
/// updates win) or combined by the reduction (sub: data - update). IR: ScatterNDUpdate of opset15.
/// requires: indices of rank >= 1, integer, k <= data rank; updates of shape
/// indices[:-1] + data[k:] and the data's type; index values in range (the kernel throws otherwise).
/// ensures: output type and shape == data's.
struct scatter_nd_update {
    static constexpr std::string_view name = "scatter_nd_update", ir_name = "ScatterNDUpdate", ir_opset = "opset15";
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    struct attrs {
        scatter_nd_reduction reduction = scatter_nd_reduction::none;
        static constexpr std::array<std::string_view, 1> ir_names{"reduction"};
    };
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 3, shape_error, "ScatterNDUpdate takes 3 inputs (data, indices, updates)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the indices must be an integer tensor");
        MOIR_CHECK(in[2].type == element_type::undefined || in[0].type == element_type::undefined ||
                       in[2].type == in[0].type,
                   shape_error, "the updates must have the data's element type");
        const partial_shape& ds = in[0].shape;
        const partial_shape& is = in[1].shape;
        const partial_shape& us = in[2].shape;
        if (!is.rank_dynamic) MOIR_CHECK(is.rank() >= 1, shape_error, "the indices must have rank >= 1");
        if (!ds.rank_dynamic && !is.rank_dynamic && !us.rank_dynamic && is.dims.back() >= 0) {
            const auto k = static_cast<std::size_t>(is.dims.back());
            MOIR_CHECK(k <= ds.rank(), shape_error,
                       "index tuples of length " + std::to_string(k) + " exceed the data's rank " +
                           std::to_string(ds.rank()));
            std::vector<std::int64_t> want(is.dims.begin(), is.dims.end() - 1);
            want.insert(want.end(), ds.dims.begin() + static_cast<std::ptrdiff_t>(k), ds.dims.end());
            bool fits = us.rank() == want.size();
            for (std::size_t i = 0; fits && i < want.size(); ++i)
                fits = want[i] < 0 || us.dims[i] < 0 || want[i] == us.dims[i];
            MOIR_CHECK(fits, shape_error, "the updates " + us.str() + " must have shape " + partial_shape(want).str());
        }
        return {port_desc{in[0].type, ds, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SCATTER_ND_UPDATE_HPP
