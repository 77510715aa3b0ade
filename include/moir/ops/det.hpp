#ifndef MOIR_OPS_DET_HPP
#define MOIR_OPS_DET_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// det: the determinant of each square matrix in the last two axes (ONNX Det; OpenVINO has no such
/// op, so its IR type is moir's own, opset "moir"). The reference kernel uses LU decomposition with
/// partial pivoting in double. requires: floating data [..., M, M].
/// ensures: output [...] (the leading axes) of the data's type.
struct det {
    static constexpr std::string_view name = "det", ir_name = "Det", ir_opset = "moir";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    static constexpr bool float_only = true;
    using attrs = no_attrs;
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 1, shape_error, "Det takes 1 input");
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "Det needs floating-point data");
        const partial_shape& s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{in[0].type, partial_shape::dynamic(), {}}};
        MOIR_CHECK(s.rank() >= 2, shape_error, "Det needs data of rank >= 2");
        const std::int64_t m = s.dims[s.rank() - 2], n = s.dims[s.rank() - 1];
        MOIR_CHECK(m < 0 || n < 0 || m == n, shape_error, "Det needs square matrices in the last two axes");
        return {port_desc{in[0].type, std::vector<std::int64_t>(s.dims.begin(), s.dims.end() - 2), {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_DET_HPP
