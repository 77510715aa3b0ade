#ifndef MOIR_OPS_GROUP_CONVOLUTION_HPP
#define MOIR_OPS_GROUP_CONVOLUTION_HPP

#include <moir/ops/convolution.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::ops {

/// group_convolution: the channels split into G groups, each convolved with its own weights:
/// y[n, g*O/G + o, p...] = sum over c < C/G, k... of x[n, g*C/G + c, p*stride - pad_begin + k*dilation]
/// * w[g, o, c, k...]. Depthwise convolution is G = C, weights [C, 1, 1, k...].
/// requires: data [N, C, spatial...] (1 to 3 spatial axes), weights [G, O/G, C/G, k...] with
/// C == G * C/G, of the data's element type. ensures: output [N, O, out...] with the geometry of
/// convolution (same attributes, same auto_pad rules).
struct group_convolution {
    static constexpr std::string_view name = "group_convolution", ir_name = "GroupConvolution", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    static constexpr bool float_only = true;  ///< the reference kernel computes floating types only
    using attrs = detail::convolution_attrs;
    static port_descs infer(const attrs& a, const port_descs& in) { return detail::infer_convolution(a, in, true); }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_GROUP_CONVOLUTION_HPP
