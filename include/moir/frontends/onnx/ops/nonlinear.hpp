#ifndef MOIR_FRONTENDS_ONNX_OPS_NONLINEAR_HPP
#define MOIR_FRONTENDS_ONNX_OPS_NONLINEAR_HPP

// ONNX activations beyond activations.hpp -> moir ops: Elu, Selu, PRelu, LeakyRelu (PRelu with a
// scalar slope), Softplus, Softsign, Mish, Gelu, LogSoftmax, and the decomposed Celu (Elu of x / alpha,
// times alpha), ThresholdedRelu and Shrink (Select over comparisons) and Hardmax (one-hot of the
// first maximum, from ReduceMax, Equal, Select and ReduceMin). LogSoftmax and Hardmax before opset 13
// work on the input flattened to 2-D at `axis`, like Softmax.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/elu.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/gelu.hpp>
#include <moir/ops/greater.hpp>
#include <moir/ops/less.hpp>
#include <moir/ops/log_softmax.hpp>
#include <moir/ops/mish.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/range.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/select.hpp>
#include <moir/ops/selu.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/soft_plus.hpp>
#include <moir/ops/soft_sign.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstdint>     // int64_t
#include <functional>  // function
#include <limits>      // numeric_limits
#include <string>      // string
#include <vector>      // vector

namespace moir::onnx {

namespace detail {
/// A scalar constant of element type `t` holding v.
inline output_ref nonlin_scalar(context& c, double v, element_type t, const std::string& suffix) {
    return c.constant(tensor::scalar(v).converted(t), suffix);
}

/// Runs `build(x, axis)` for an op along one axis (LogSoftmax, Hardmax). Before opset 13 (default
/// axis 1) the op works on the input flattened to 2-D at `axis`, so unless that axis is the last,
/// build runs on the flattened input with axis 1 and the result is reshaped back.
inline void nonlin_axis_op(context& c, const std::function<output_ref(output_ref, std::int64_t, const std::string&)>& build) {
    const auto& in = c.input_port(0);
    MOIR_CHECK(!in.shape.rank_dynamic, unsupported_error, c.onnx_node().op_type + " needs an input of known rank");
    const auto rank = static_cast<std::int64_t>(in.shape.rank());
    std::int64_t axis = c.attr_int("axis", c.opset() < 13 ? 1 : -1);
    MOIR_CHECK(axis >= -rank && axis < rank, shape_error,
               "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    if (axis < 0) axis += rank;
    if (c.opset() >= 13 || axis == rank - 1) {
        c.set_output(0, build(c.input(0), axis, ""));
        return;
    }
    std::int64_t inner = 1;
    for (std::int64_t i = axis; i < rank; ++i) {
        MOIR_CHECK(in.shape.dims[static_cast<std::size_t>(i)] >= 0, unsupported_error,
                   c.onnx_node().op_type + " (opset < 13) over dynamic trailing dims is not supported");
        inner *= in.shape.dims[static_cast<std::size_t>(i)];
    }
    const output_ref flat = c.add<moir::ops::reshape>(
        {true}, {c.input(0), c.constant(tensor::from_vector<std::int64_t>({-1, inner}), "/flat_shape")}, "/flatten");
    const output_ref y = build(flat, 1, "/flat");
    const output_ref shp = c.add<moir::ops::shape_of>({element_type::i64}, {c.input(0)}, "/shape");
    c.set_output(0, c.add<moir::ops::reshape>({false}, {y, shp}));
}

/// Hardmax along `axis` of x: 1 at the first maximum of each line, 0 elsewhere, in x's type.
/// idx holds 0..n-1 along the axis; the first maximum is the least idx where x equals the max.
inline output_ref nonlin_hardmax(context& c, output_ref x, std::int64_t axis, const std::string& sfx) {
    const auto& port = c.model().port(x);
    const element_type t = port.type;
    const auto rank = static_cast<std::int64_t>(port.shape.rank());
    const std::int64_t n = port.shape.dims[static_cast<std::size_t>(axis)];
    // idx: shaped [n, 1, ..., 1] with rank - axis dims, so it broadcasts along `axis`
    std::vector<std::int64_t> idx_shape(static_cast<std::size_t>(rank - axis), 1);
    output_ref idx;
    if (n >= 0) {
        idx_shape[0] = n;
        std::vector<std::int64_t> v(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) v[static_cast<std::size_t>(i)] = i;
        idx = c.constant(tensor::from_vector(v, idx_shape), sfx + "/idx");
    } else {
        const output_ref shp = c.add<moir::ops::shape_of>({element_type::i64}, {x}, sfx + "/shape");
        const output_ref len = c.add<moir::ops::gather>(
            {0}, {shp, c.constant(tensor::scalar<std::int64_t>(axis), sfx + "/axis_index"),
                  c.constant(tensor::scalar<std::int64_t>(0), sfx + "/gather_axis")},
            sfx + "/len");
        const output_ref seq = c.add<moir::ops::range>(
            {element_type::i64}, {c.constant(tensor::scalar<std::int64_t>(0), sfx + "/start"), len,
                                  c.constant(tensor::scalar<std::int64_t>(1), sfx + "/step")},
            sfx + "/range");
        idx_shape[0] = -1;
        idx = c.add<moir::ops::reshape>({false}, {seq, c.constant(tensor::from_vector(idx_shape), sfx + "/idx_shape")},
                                        sfx + "/idx");
    }
    const output_ref axes = c.constant(tensor::from_vector<std::int64_t>({axis}), sfx + "/axes");
    const output_ref mx = c.add<moir::ops::reduce_max>({true}, {x, axes}, sfx + "/max");
    const output_ref is_max = c.add<moir::ops::equal>({}, {x, mx}, sfx + "/is_max");
    const output_ref none = c.constant(tensor::scalar<std::int64_t>(n >= 0 ? n : std::numeric_limits<std::int64_t>::max()), sfx + "/none");
    const output_ref cand = c.add<moir::ops::select>({}, {is_max, idx, none}, sfx + "/candidates");
    const output_ref first = c.add<moir::ops::reduce_min>({true}, {cand, axes}, sfx + "/first");
    const output_ref hit = c.add<moir::ops::equal>({}, {idx, first}, sfx + "/hit");
    return c.add<moir::ops::convert>({t}, {hit}, sfx);
}

/// ONNX PRelu: the slope broadcasts to x numpy-style (unidirectionally). A 1-D slope gets leading
/// 1-dims so that moir's PRelu never reads it as per-channel.
inline void nonlin_prelu(context& c) {
    const auto& xs = c.input_port(0).shape;
    const auto& ss = c.input_port(1).shape;
    output_ref slope = c.input(1);
    if (!ss.rank_dynamic && ss.rank() == 1) {
        MOIR_CHECK(!xs.rank_dynamic, unsupported_error, "PRelu with a 1-D slope needs an input of known rank");
        if (xs.rank() >= 2) {
            std::vector<std::int64_t> axes;
            for (std::size_t i = 0; i + 1 < xs.rank(); ++i) axes.push_back(static_cast<std::int64_t>(i));
            slope = c.add<moir::ops::unsqueeze>({}, {slope, c.constant(tensor::from_vector(axes), "/slope_axes")},
                                                "/slope");
        }
    }
    c.set_output(0, c.add<moir::ops::prelu>({}, {c.input(0), slope}));
}

/// ONNX Shrink: x + bias for x < -lambd, x - bias for x > lambd, 0 otherwise.
inline void nonlin_shrink(context& c) {
    const element_type t = c.input_port(0).type;
    const double lambd = c.attr_float("lambd", 0.5f), bias = c.attr_float("bias", 0.0f);
    MOIR_CHECK(is_signed(t) || (lambd >= 0 && bias >= 0), unsupported_error,
               "Shrink of unsigned integers with a negative lambd or bias is not supported");
    const output_ref x = c.input(0);
    const output_ref above = c.add<moir::ops::greater>({}, {x, nonlin_scalar(c, lambd, t, "/lambd")}, "/above");
    const output_ref b = nonlin_scalar(c, bias, t, "/bias");
    const output_ref down = c.add<moir::ops::subtract>({}, {x, b}, "/minus_bias");
    const output_ref zero = nonlin_scalar(c, 0.0, t, "/zero");
    if (!is_signed(t)) {  // unsigned x is never below -lambd
        c.set_output(0, c.add<moir::ops::select>({}, {above, down, zero}));
        return;
    }
    const output_ref below = c.add<moir::ops::less>({}, {x, nonlin_scalar(c, -lambd, t, "/neg_lambd")}, "/below");
    const output_ref up = c.add<moir::ops::add>({}, {x, b}, "/plus_bias");
    const output_ref hi = c.add<moir::ops::select>({}, {above, down, zero}, "/upper");
    c.set_output(0, c.add<moir::ops::select>({}, {below, up, hi}));
}
}  // namespace detail

/// Registers Elu, Celu, Selu, LeakyRelu, PRelu, ThresholdedRelu, Shrink, Softplus, Softsign, Mish, Gelu,
/// LogSoftmax, Hardmax.
template <class = void>  // compiled only where a table is built
void register_nonlinear(op_table& t) {
    t.add("Elu", [](context& c) {
        c.set_output(0, c.add<moir::ops::elu>({static_cast<double>(c.attr_float("alpha", 1.0f))}, {c.input(0)}));
    });
    t.add("Celu", [](context& c) {  // alpha * Elu(x / alpha, 1)
        const element_type et = c.input_port(0).type;
        const double alpha = c.attr_float("alpha", 1.0f);
        const output_ref a = detail::nonlin_scalar(c, alpha, et, "/alpha");
        const output_ref scaled = c.add<moir::ops::divide>({moir::ops::auto_broadcast::numpy, false}, {c.input(0), a}, "/scaled");
        const output_ref e = c.add<moir::ops::elu>({1.0}, {scaled}, "/elu");
        c.set_output(0, c.add<moir::ops::multiply>({}, {e, a}));
    });
    t.add("Selu", [](context& c) {
        const element_type et = c.input_port(0).type;
        const double alpha = c.attr_float("alpha", 1.67326319217681884765625f);
        const double gamma = c.attr_float("gamma", 1.05070102214813232421875f);
        c.set_output(0, c.add<moir::ops::selu>({}, {c.input(0), detail::nonlin_scalar(c, alpha, et, "/alpha"),
                                                    detail::nonlin_scalar(c, gamma, et, "/lambda")}));
    });
    t.add("LeakyRelu", [](context& c) {
        const element_type et = c.input_port(0).type;
        const output_ref slope = detail::nonlin_scalar(c, c.attr_float("alpha", 0.01f), et, "/alpha");
        c.set_output(0, c.add<moir::ops::prelu>({}, {c.input(0), slope}));
    });
    t.add("PRelu", detail::nonlin_prelu);
    t.add("ThresholdedRelu", [](context& c) {  // x > alpha ? x : 0
        const element_type et = c.input_port(0).type;
        const output_ref x = c.input(0);
        const output_ref above = c.add<moir::ops::greater>(
            {}, {x, detail::nonlin_scalar(c, c.attr_float("alpha", 1.0f), et, "/alpha")}, "/above");
        c.set_output(0, c.add<moir::ops::select>({}, {above, x, detail::nonlin_scalar(c, 0.0, et, "/zero")}));
    });
    t.add("Shrink", detail::nonlin_shrink);
    t.add("Softplus", [](context& c) { c.set_output(0, c.add<moir::ops::soft_plus>({}, {c.input(0)})); });
    t.add("Softsign", [](context& c) { c.set_output(0, c.add<moir::ops::soft_sign>({}, {c.input(0)})); });
    t.add("Mish", [](context& c) { c.set_output(0, c.add<moir::ops::mish>({}, {c.input(0)})); });
    t.add("Gelu", [](context& c) {  // opset 20: approximate = "none" | "tanh"
        const std::string mode = c.attr_string("approximate", "none");
        MOIR_CHECK(mode == "none" || mode == "tanh", unsupported_error, "Gelu approximate='" + mode + "' is not supported");
        c.set_output(0, c.add<moir::ops::gelu>({mode == "tanh" ? moir::ops::gelu_approximation::tanh
                                                                : moir::ops::gelu_approximation::erf},
                                               {c.input(0)}));
    });
    t.add("LogSoftmax", [](context& c) {
        detail::nonlin_axis_op(c, [&](output_ref x, std::int64_t axis, const std::string& sfx) {
            return c.add<moir::ops::log_softmax>({axis}, {x}, sfx);
        });
    });
    t.add("Hardmax", [](context& c) {
        detail::nonlin_axis_op(c, [&](output_ref x, std::int64_t axis, const std::string& sfx) {
            return detail::nonlin_hardmax(c, x, axis, sfx);
        });
    });
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_NONLINEAR_HPP
