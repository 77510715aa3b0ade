#ifndef MOIR_FRONTENDS_ONNX_OPS_TENSOR_HPP
#define MOIR_FRONTENDS_ONNX_OPS_TENSOR_HPP

// ONNX tensor and shape ops -> moir ops: Constant, Identity, Dropout, Cast, Shape, Reshape, Flatten,
// Transpose, Squeeze, Unsqueeze, Concat, Slice, Gather, and the reductions.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/broadcast.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reduce_prod.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstdint>  // int64_t
#include <limits>   // numeric_limits
#include <string>   // string
#include <vector>   // vector

namespace moir::onnx {

namespace detail {
inline void constant_node(context& c) {
    tensor v;
    if (c.has_attr("value")) v = c.attr_tensor("value");
    else if (c.has_attr("value_float")) v = tensor::scalar(c.attr_float("value_float", 0));
    else if (c.has_attr("value_floats")) v = tensor::from_vector(c.attr_floats("value_floats"));
    else if (c.has_attr("value_int")) v = tensor::scalar<std::int64_t>(c.attr_int("value_int", 0));
    else if (c.has_attr("value_ints")) v = tensor::from_vector(c.attr_ints("value_ints"));
    else throw unsupported_error("a Constant without value/value_float(s)/value_int(s) is not supported");
    c.set_output(0, c.constant(v, ""));
}

/// Axes from an attribute (older opsets, as a constant) or from input `input` (newer ones, any
/// producer); nullopt when absent.
inline std::optional<output_ref> axes_of(context& c, std::int64_t input_since, std::size_t input) {
    if (c.opset() < input_since) {
        if (!c.has_attr("axes")) return std::nullopt;
        return c.constant(tensor::from_vector(c.attr_ints("axes")), "/axes");
    }
    if (!c.has_input(input)) return std::nullopt;
    return c.input(input);
}

/// Whether `r` is a constant with no elements.
inline bool empty_constant(context& c, output_ref r) {
    const node& n = c.model().at(r.node);
    return n.is<moir::ops::constant>() && n.attrs_as<moir::ops::constant>().value.numel() == 0;
}

template <class Reduce>
converter reduce(std::int64_t axes_input_since) {
    return [axes_input_since](context& c) {
        auto axes = axes_of(c, axes_input_since, 1);
        typename Reduce::attrs a;
        a.keep_dims = c.attr_int("keepdims", 1) != 0;
        if (!axes || empty_constant(c, *axes)) {
            if (c.attr_int("noop_with_empty_axes", 0) != 0) {
                c.set_output(0, c.input(0));
                return;
            }
            const auto& s = c.input_port(0).shape;
            MOIR_CHECK(!s.rank_dynamic, unsupported_error, "reducing all axes of an input of unknown rank");
            std::vector<std::int64_t> all;
            for (std::size_t i = 0; i < s.rank(); ++i) all.push_back(static_cast<std::int64_t>(i));
            axes = c.constant(tensor::from_vector(all), "/axes");
        } else if (!c.model().at(axes->node).is<moir::ops::constant>() && c.attr_int("noop_with_empty_axes", 0) == 0) {
            // run-time axes may turn out empty, which ONNX reads as "all axes"; not expressible here
            const auto& as = c.model().port(*axes).shape;
            MOIR_CHECK(as.is_static() && as.dims.at(0) > 0, unsupported_error,
                       "run-time axes that may be empty are not supported");
        }
        c.set_output(0, c.add<Reduce>(a, {c.input(0), *axes}));
    };
}

inline void squeeze(context& c) {
    const auto axes = axes_of(c, 13, 1);
    if (!axes) {
        c.set_output(0, c.add<moir::ops::squeeze>({}, {c.input(0)}));
        return;
    }
    c.set_output(0, c.add<moir::ops::squeeze>({}, {c.input(0), *axes}));
}

inline void unsqueeze(context& c) {
    const auto axes = axes_of(c, 13, 1);
    MOIR_CHECK(axes, parse_error, "Unsqueeze needs axes");
    c.set_output(0, c.add<moir::ops::unsqueeze>({}, {c.input(0), *axes}));
}

inline void slice(context& c) {
    output_ref starts, ends, axes, steps;
    bool has_axes = false, has_steps = false;
    if (c.opset() < 10) {
        starts = c.constant(tensor::from_vector(c.attr_ints("starts")), "/starts");
        ends = c.constant(tensor::from_vector(c.attr_ints("ends")), "/ends");
        if (c.has_attr("axes")) {
            axes = c.constant(tensor::from_vector(c.attr_ints("axes")), "/axes");
            has_axes = true;
        }
    } else {
        starts = c.input(1);
        ends = c.input(2);
        if (c.has_input(3)) {
            axes = c.input(3);
            has_axes = true;
        }
        if (c.has_input(4)) {
            steps = c.input(4);
            has_steps = true;
        }
    }
    if (!has_steps) {
        // Slice-8 needs steps: ones, as many as starts
        const auto& sp = c.model().port(starts).shape;
        MOIR_CHECK(sp.is_static() && sp.rank() == 1, unsupported_error, "Slice starts must have a static 1-D shape");
        steps = c.constant(tensor::from_vector(std::vector<std::int64_t>(static_cast<std::size_t>(sp.dims[0]), 1))
                               .converted(c.model().port(starts).type),
                           "/steps");
    }
    std::vector<output_ref> in{c.input(0), starts, ends, steps};
    if (has_axes) in.push_back(axes);
    c.set_output(0, c.add<moir::ops::slice>({}, in));
}

inline void flatten(context& c) {
    const auto& s = c.input_port(0).shape;
    MOIR_CHECK(!s.rank_dynamic, unsupported_error, "Flatten needs an input of known rank");
    std::int64_t axis = c.attr_int("axis", 1);
    if (axis < 0) axis += static_cast<std::int64_t>(s.rank());
    std::int64_t outer = 1, inner = 1;
    bool outer_known = true, inner_known = true;
    for (std::size_t i = 0; i < s.rank(); ++i) {
        const bool before = static_cast<std::int64_t>(i) < axis;
        if (s.dims[i] < 0) (before ? outer_known : inner_known) = false;
        else (before ? outer : inner) *= s.dims[i];
    }
    MOIR_CHECK(outer_known || inner_known, unsupported_error, "Flatten with dynamic dims on both sides of the axis");
    const std::vector<std::int64_t> target{outer_known ? outer : -1, inner_known ? inner : -1};
    c.set_output(0, c.add<moir::ops::reshape>({false}, {c.input(0), c.constant(tensor::from_vector(target), "/shape")}));
}
}  // namespace detail

/// Registers Constant, Identity, Dropout, Cast, Shape, Reshape, Flatten, Transpose, Squeeze,
/// Unsqueeze, Concat, Slice, Gather, ReduceMean/Sum/Max/Min/Prod.
template <class = void>  // compiled only where a table is built
void register_tensor(op_table& t) {
    t.add("Constant", detail::constant_node);
    t.add("Identity", [](context& c) { c.set_output(0, c.input(0)); });
    t.add("Dropout", [](context& c) {  // inference: the identity, and a mask of all true
        if (c.has_input(2)) {
            const auto training = c.const_input(2);
            MOIR_CHECK(training, unsupported_error, "a run-time training_mode is not supported");
            const auto ratio = c.const_input(1);
            MOIR_CHECK(!training->at_as<bool>(0) || (ratio && ratio->at_as<double>(0) == 0.0), unsupported_error,
                       "training-mode Dropout is random and not supported");
        }
        c.set_output(0, c.input(0));
        if (c.output_used(1)) {
            const output_ref shape = c.add<moir::ops::shape_of>({element_type::i64}, {c.input(0)}, "/shape");
            moir::ops::broadcast::attrs a;
            c.set_output(1, c.add<moir::ops::broadcast>(a, {c.constant(tensor::scalar(true), "/true"), shape}, "/mask"));
        }
    });
    t.add("Cast", [](context& c) {
        const auto to = proto::to_element_type(static_cast<int>(c.attr_int("to", 0)));
        MOIR_CHECK(to, unsupported_error, "Cast to " + proto::data_type_name(static_cast<int>(c.attr_int("to", 0))) +
                                              " is not supported");
        c.set_output(0, c.add<moir::ops::convert>({*to}, {c.input(0)}));
    });
    t.add("Shape", [](context& c) {
        output_ref s = c.add<moir::ops::shape_of>({element_type::i64}, {c.input(0)}, c.has_attr("start") || c.has_attr("end") ? "/shape" : "");
        if (c.has_attr("start") || c.has_attr("end")) {
            s = c.add<moir::ops::slice>({}, {s, c.constant(tensor::from_vector<std::int64_t>({c.attr_int("start", 0)}), "/start"),
                                             c.constant(tensor::from_vector<std::int64_t>({c.attr_int("end", std::numeric_limits<std::int64_t>::max())}), "/end"),
                                             c.constant(tensor::from_vector<std::int64_t>({1}), "/step")});
        }
        c.set_output(0, s);
    });
    t.add("Reshape", [](context& c) {
        moir::ops::reshape::attrs a;
        a.special_zero = c.attr_int("allowzero", 0) == 0;
        c.set_output(0, c.add<moir::ops::reshape>(a, {c.input(0), c.input(1)}));
    });
    t.add("Flatten", detail::flatten);
    t.add("Transpose", [](context& c) {
        c.set_output(0, c.add<moir::ops::transpose>({}, {c.input(0), c.constant(tensor::from_vector(c.attr_ints("perm")), "/perm")}));
    });
    t.add("Squeeze", detail::squeeze);
    t.add("Unsqueeze", detail::unsqueeze);
    t.add("Concat", [](context& c) {
        std::vector<output_ref> in;
        for (std::size_t i = 0; i < c.input_count(); ++i)
            if (c.has_input(i)) in.push_back(c.input(i));
        moir::ops::concat::attrs a;
        a.axis = c.attr_int("axis", 0);
        c.set_output(0, c.add<moir::ops::concat>(a, in));
    });
    t.add("Slice", detail::slice);
    t.add("Gather", [](context& c) {
        c.set_output(0, c.add<moir::ops::gather>({}, {c.input(0), c.input(1),
                                                      c.constant(tensor::scalar<std::int64_t>(c.attr_int("axis", 0)), "/axis")}));
    });
    t.add("ReduceMean", detail::reduce<moir::ops::reduce_mean>(18));
    t.add("ReduceSum", detail::reduce<moir::ops::reduce_sum>(13));
    t.add("ReduceMax", detail::reduce<moir::ops::reduce_max>(18));
    t.add("ReduceMin", detail::reduce<moir::ops::reduce_min>(18));
    t.add("ReduceProd", detail::reduce<moir::ops::reduce_prod>(18));
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_TENSOR_HPP
