#ifndef MOIR_OPS_FAKE_QUANTIZE_HPP
#define MOIR_OPS_FAKE_QUANTIZE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view

namespace moir::ops {

/// fake_quantize: OpenVINO FakeQuantize-1, element-wise linear quantization onto `levels` values,
/// kept in floating point. Inputs X, input_low, input_high, output_low, output_high; the four range
/// inputs broadcast to X (numpy; per tensor, per channel, or per element). Per element, with
/// lo = min(il, ih) and hi = max(il, ih):
///   x <= lo -> ol;   x > hi -> oh;
///   else   -> nearbyint((x - il) / (ih - il) * (levels - 1)) / (levels - 1) * (oh - ol) + ol
/// (nearbyint: round half to even, as OpenVINO's reference kernel computes it).
/// requires: levels >= 2; five inputs of one floating type; range inputs broadcastable to X
/// (auto_broadcast numpy, or none with all shapes equal; pdpd is not supported).
/// ensures: output of X's type and the numpy broadcast of the five shapes (X's shape for ranges that
/// broadcast to it, which is how every quantization tool writes them).
struct fake_quantize {
    static constexpr std::string_view name = "fake_quantize", ir_name = "FakeQuantize", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 5, max_inputs = 5;
    static constexpr bool float_only = true;  ///< the reference kernel computes floating types only
    struct attrs {
        std::int64_t levels = 256;
        ops::auto_broadcast auto_broadcast = ops::auto_broadcast::numpy;
        static constexpr std::array<std::string_view, 2> ir_names{"levels", "auto_broadcast"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        static constexpr const char* names[] = {"X", "input_low", "input_high", "output_low", "output_high"};
        MOIR_CHECK(in.size() == 5, shape_error, "FakeQuantize takes 5 inputs (X, input_low, input_high, output_low, output_high)");
        MOIR_CHECK(a.levels >= 2, shape_error, "levels must be at least 2, it is " + std::to_string(a.levels));
        MOIR_CHECK(a.auto_broadcast != ops::auto_broadcast::pdpd, unsupported_error,
                   "FakeQuantize with auto_broadcast=pdpd is not supported");
        element_type t = element_type::undefined;
        for (const auto& p : in)
            if (t == element_type::undefined) t = p.type;
        for (std::size_t i = 0; i < 5; ++i)
            MOIR_CHECK(in[i].type == t || in[i].type == element_type::undefined, shape_error,
                       std::string(names[i]) + " is " + std::string(moir::ir_name(in[i].type)) + ", X is " +
                           std::string(moir::ir_name(t)) + ": the five inputs need one element type");
        partial_shape out = in[0].shape;
        for (std::size_t i = 1; i < 5; ++i) {
            if (a.auto_broadcast == ops::auto_broadcast::none) {
                MOIR_CHECK(in[i].shape == in[0].shape, shape_error,
                           "auto_broadcast=none needs equal shapes; " + std::string(names[i]) + " is " +
                               in[i].shape.str() + ", X is " + in[0].shape.str());
            } else {
                try {
                    out = broadcast_shapes(out, in[i].shape);
                } catch (const shape_error&) {
                    throw shape_error(std::string(names[i]) + " " + in[i].shape.str() + " does not broadcast to X " +
                                      in[0].shape.str());
                }
            }
        }
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_FAKE_QUANTIZE_HPP
