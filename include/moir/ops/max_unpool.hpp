#ifndef MOIR_OPS_MAX_UNPOOL_HPP
#define MOIR_OPS_MAX_UNPOOL_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/ops/convolution.hpp>  // detail::spatial_attr
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// max_unpool: the partial inverse of MaxPool (ONNX MaxUnpool; OpenVINO has no such op, so its IR
/// type is moir's own, opset "moir"). Inputs: x [N, C, spatial...], indices (integer, x's shape: flat
/// positions in the output tensor, as MaxPool's Indices), optional output_shape (1-D integer, the
/// full output shape). The indices address the default unpooled shape [N, C, (in - 1) * stride +
/// kernel - pads_begin - pads_end ...]: the output is zero except y[p, q] = x.flat[i] where p is the
/// plane (n, c) and q the spatial position of indices[i] in that shape (a later i wins). Without
/// output_shape the output has the default shape; with it, the positions keep their coordinates
/// (the output is larger than the default shape or equal to it).
/// requires: indices of x's shape with values inside the default shape; output_shape of x's rank.
/// ensures: output of x's type; dynamic dims while output_shape's value is unknown.
struct max_unpool {
    static constexpr std::string_view name = "max_unpool", ir_name = "MaxUnpool", ir_opset = "moir";
    static constexpr std::size_t min_inputs = 2, max_inputs = 3;
    struct attrs {
        std::vector<std::int64_t> kernel, strides, pads_begin, pads_end;
        static constexpr std::array<std::string_view, 4> ir_names{"kernel", "strides", "pads_begin", "pads_end"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        const partial_shape& x = in[0].shape;
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the indices must be an integer tensor");
        MOIR_CHECK(in[0].shape.rank_dynamic || in[1].shape.rank_dynamic || x.rank() == in[1].shape.rank(),
                   shape_error, "the indices must have the shape of the data");
        const std::size_t k = a.kernel.size();
        MOIR_CHECK(k >= 1, shape_error, "kernel must have a value per spatial axis");
        MOIR_CHECK(x.rank_dynamic || x.rank() == k + 2, shape_error,
                   "data rank " + std::to_string(x.rank()) + " does not fit a kernel of " + std::to_string(k) +
                       " spatial axes");
        if (in.size() > 2) {
            MOIR_CHECK(in[2].type == element_type::undefined || is_integer(in[2].type), shape_error,
                       "output_shape must be an integer tensor");
            if (!in[2].has_value()) return {port_desc{in[0].type, std::vector<std::int64_t>(k + 2, -1), {}}};
            const auto v = detail::const_ints(in, 2, "output_shape");
            MOIR_CHECK(v.size() == k + 2, shape_error, "output_shape must have " + std::to_string(k + 2) + " values");
            for (auto d : v) MOIR_CHECK(d >= 0, shape_error, "output_shape must not be negative");
            return {port_desc{in[0].type, v, {}}};
        }
        return {port_desc{in[0].type, default_shape(a, x), {}}};
    }

    /// The output shape without output_shape: [N, C, (in - 1) * stride + kernel - pads ...].
    static std::vector<std::int64_t> default_shape(const attrs& a, const partial_shape& x) {
        const std::size_t k = a.kernel.size();
        const auto strides = detail::spatial_attr(a.strides, k, 1, "strides");
        const auto pb = detail::spatial_attr(a.pads_begin, k, 0, "pads_begin");
        const auto pe = detail::spatial_attr(a.pads_end, k, 0, "pads_end");
        std::vector<std::int64_t> out{x.rank_dynamic ? -1 : x.dims[0], x.rank_dynamic ? -1 : x.dims[1]};
        for (std::size_t i = 0; i < k; ++i) {
            const std::int64_t d = x.rank_dynamic ? -1 : x.dims[i + 2];
            const std::int64_t o = d < 0 ? -1 : (d - 1) * strides[i] + a.kernel[i] - pb[i] - pe[i];
            MOIR_CHECK(d < 0 || o >= 0, shape_error, "the output extent of spatial axis " + std::to_string(i) + " is negative");
            out.push_back(o);
        }
        return out;
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MAX_UNPOOL_HPP

