#ifndef MOIR_OPS_MAX_POOL_V8_HPP
#define MOIR_OPS_MAX_POOL_V8_HPP

#include <moir/ops/convolution.hpp>  // detail::resolve_window, dims_from

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// max_pool_v8: MaxPool with dilations and an indices output. Output 0: y[n, c, p...] = the maximum of
/// x[n, c, p*stride - pads_begin + k*dilation] over the window k < kernel, over the cells inside the
/// input (padded cells never win; the first maximum in row-major window order wins ties). Output 1:
/// the position of that maximum in the input flattened from axis `axis` on (axis 0: the whole
/// tensor, as ONNX's Indices with storage_order 0), of index_element_type (i32 or i64); a window with
/// no input cell gives the lowest value and index 0. IR: MaxPool of opset8.
/// requires: data [N, C, spatial...] (1 to 3 spatial axes), one kernel value per spatial axis; axis in
/// [-rank, rank). ensures: both outputs [N, C, out...], out per axis as convolution's (with dilation),
/// rounded up when rounding_type is ceil (the last window must start inside the input or the begin
/// padding). Empty strides/dilations/pads mean 1/1/0.
struct max_pool_v8 {
    static constexpr std::string_view name = "max_pool_v8", ir_name = "MaxPool", ir_opset = "opset8";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        std::vector<std::int64_t> strides, dilations, pads_begin, pads_end, kernel;
        ops::rounding_type rounding_type = ops::rounding_type::floor;
        pad_type auto_pad = pad_type::explicit_;
        element_type index_element_type = element_type::i64;
        std::int64_t axis = 0;
        static constexpr std::array<std::string_view, 9> ir_names{
            "strides", "dilations", "pads_begin", "pads_end", "kernel", "rounding_type", "auto_pad",
            "index_element_type", "axis"};
    };
    static std::size_t outputs(const attrs&) { return 2; }
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 1, shape_error, "MaxPool takes 1 input");
        MOIR_CHECK(in[0].type != element_type::boolean, shape_error, "MaxPool does not take boolean data");
        MOIR_CHECK(a.index_element_type == element_type::i32 || a.index_element_type == element_type::i64,
                   shape_error, "index_element_type must be i32 or i64");
        const partial_shape& x = in[0].shape;
        MOIR_CHECK(a.kernel.size() >= 1 && a.kernel.size() <= 3, shape_error, "kernel must have 1, 2 or 3 values");
        for (auto k : a.kernel) MOIR_CHECK(k > 0, shape_error, "kernel values must be positive");
        MOIR_CHECK(x.rank_dynamic || x.rank() == a.kernel.size() + 2, shape_error,
                   "data rank " + std::to_string(x.rank()) + " does not fit a kernel of " +
                       std::to_string(a.kernel.size()) + " spatial axes");
        if (!x.rank_dynamic) normalize_axis(a.axis, x.rank());
        const auto g = detail::resolve_window(detail::dims_from(x, 2, a.kernel.size()), a.kernel, a.strides,
                                              a.dilations, a.pads_begin, a.pads_end, a.auto_pad,
                                              a.rounding_type == rounding_type::ceil);
        std::vector<std::int64_t> out{x.rank_dynamic ? -1 : x.dims[0], x.rank_dynamic ? -1 : x.dims[1]};
        out.insert(out.end(), g.out.begin(), g.out.end());
        return {port_desc{in[0].type, out, {}}, port_desc{a.index_element_type, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MAX_POOL_V8_HPP
