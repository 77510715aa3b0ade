#ifndef MOIR_OPS_GROUP_CONVOLUTION_BACKPROP_DATA_HPP
#define MOIR_OPS_GROUP_CONVOLUTION_BACKPROP_DATA_HPP

#include <moir/ops/convolution_backprop_data.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// group_convolution_backprop_data: a transposed convolution per group of channels. Input channel
/// g*C_in/G + c spreads onto output channels g*C_out/G + o through w[g, c, o, k...].
/// requires: data [N, C_in, spatial...] (1 to 3 spatial axes), weights [G, C_in/G, C_out/G, k...]
/// with C_in == G * C_in/G, of the data's type, optional 3rd input output_shape (integer, one value
/// per spatial axis). ensures: output [N, C_out, out...] with the geometry of
/// convolution_backprop_data (same attributes).
struct group_convolution_backprop_data {
    static constexpr std::string_view name = "group_convolution_backprop_data",
                                      ir_name = "GroupConvolutionBackpropData", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 3;
    static constexpr bool float_only = true;  ///< the reference kernel computes floating types only
    using attrs = detail::convolution_backprop_attrs;
    static port_descs infer(const attrs& a, const port_descs& in) {
        return detail::infer_convolution_backprop(a, in, true);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_GROUP_CONVOLUTION_BACKPROP_DATA_HPP
