#ifndef MOIR_FRONTENDS_ONNX_OPS_ACTIVATIONS_HPP
#define MOIR_FRONTENDS_ONNX_OPS_ACTIVATIONS_HPP

// ONNX activations -> moir ops: Relu, Sigmoid, Clip, HardSigmoid, HardSwish, Softmax.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/frontends/onnx/ops/elementwise.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/hard_sigmoid.hpp>
#include <moir/ops/hswish.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/softmax.hpp>

#include <limits>  // numeric_limits

namespace moir::onnx {

namespace detail {
inline void clip(context& c) {
    const element_type t = c.input_port(0).type;
    double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
    output_ref x = c.input(0);
    if (c.opset() < 11) {
        lo = c.attr_float("min", -std::numeric_limits<float>::max());
        hi = c.attr_float("max", std::numeric_limits<float>::max());
    } else {
        // min and max are optional inputs; constant ones become Clamp's attributes
        const auto lo_v = c.const_input(1), hi_v = c.const_input(2);
        if ((c.has_input(1) && !lo_v) || (c.has_input(2) && !hi_v)) {
            if (c.has_input(1)) x = c.add<moir::ops::maximum>({}, {x, c.input(1)}, "/min");
            if (c.has_input(2)) x = c.add<moir::ops::minimum>({}, {x, c.input(2)}, c.has_input(1) ? "/max" : "");
            c.set_output(0, x);
            return;
        }
        if (lo_v) lo = lo_v->at_as<double>(0);
        if (hi_v) hi = hi_v->at_as<double>(0);
    }
    if (is_integer(t)) {  // Clamp's bounds are doubles; keep integer clips exact through min/max
        lo = std::max(lo, -9.0e18);
        hi = std::min(hi, 9.0e18);
    }
    c.set_output(0, c.add<moir::ops::clamp>({lo, hi}, {x}));
}

inline void softmax(context& c) {
    const auto& in = c.input_port(0);
    MOIR_CHECK(!in.shape.rank_dynamic, unsupported_error, "Softmax needs an input of known rank");
    const auto rank = static_cast<std::int64_t>(in.shape.rank());
    std::int64_t axis = c.attr_int("axis", c.opset() < 13 ? 1 : -1);
    if (axis < 0) axis += rank;
    if (c.opset() >= 13 || axis == rank - 1) {
        c.set_output(0, c.add<moir::ops::softmax>({axis}, {c.input(0)}));
        return;
    }
    // opset < 13: softmax over the input flattened to 2-D at `axis`
    std::int64_t inner = 1;
    for (std::int64_t i = axis; i < rank; ++i) {
        MOIR_CHECK(in.shape.dims[static_cast<std::size_t>(i)] >= 0, unsupported_error,
                   "Softmax (opset < 13) over dynamic trailing dims is not supported");
        inner *= in.shape.dims[static_cast<std::size_t>(i)];
    }
    const output_ref flat = c.add<moir::ops::reshape>(
        {true}, {c.input(0), c.constant(tensor::from_vector<std::int64_t>({-1, inner}), "/flat_shape")}, "/flatten");
    const output_ref sm = c.add<moir::ops::softmax>({1}, {flat}, "/softmax");
    const output_ref shp = c.add<moir::ops::shape_of>({element_type::i64}, {c.input(0)}, "/shape");
    c.set_output(0, c.add<moir::ops::reshape>({false}, {sm, shp}));
}
}  // namespace detail

/// Registers Relu, Sigmoid, Clip, HardSigmoid, HardSwish, Softmax.
template <class = void>  // compiled only where a table is built
void register_activations(op_table& t) {
    t.add("Relu", detail::unary<moir::ops::relu>);
    t.add("Sigmoid", detail::unary<moir::ops::sigmoid>);
    t.add("HardSwish", detail::unary<moir::ops::hswish>);
    t.add("Clip", detail::clip);
    t.add("HardSigmoid", [](context& c) {
        const element_type et = c.input_port(0).type;
        const auto scalar = [&](float v, const char* n) {
            return c.constant(tensor::scalar(v).converted(et), n);
        };
        c.set_output(0, c.add<moir::ops::hard_sigmoid>(
                            {}, {c.input(0), scalar(c.attr_float("alpha", 0.2f), "/alpha"),
                                 scalar(c.attr_float("beta", 0.5f), "/beta")}));
    });
    t.add("Softmax", detail::softmax);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_ACTIVATIONS_HPP
