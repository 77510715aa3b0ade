#ifndef MOIR_FRONTENDS_MXNET_OPS_ELEMENTWISE_HPP
#define MOIR_FRONTENDS_MXNET_OPS_ELEMENTWISE_HPP

// MXNet's element-wise ops: Activation (relu, sigmoid, tanh, softrelu, softsign), LeakyReLU (leaky,
// prelu, rrelu at inference, elu, selu, gelu), the binary families elemwise_* / broadcast_* (and the
// operator spellings _plus, _Plus, _minus, ...), the scalar family (_plus_scalar, _rminus_scalar,
// _mul_scalar, _rdiv_scalar, _power_scalar, _maximum_scalar, ...), add_n, clip, and unary math.
// moir's binary ops broadcast as numpy does, a superset of MXNet's broadcast_* rules.

#include <moir/frontends/mxnet/converter.hpp>
#include <moir/ops/abs.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/elu.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/gelu.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/selu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/soft_plus.hpp>
#include <moir/ops/soft_sign.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/tanh.hpp>

#include <limits>  // numeric_limits
#include <string>  // string

namespace moir::mxnet {

namespace detail {

template <class Op>
converter binary() {
    return [](context& c) { c.set_output(0, c.add<Op>({}, {c.input(0), c.input(1)})); };
}
template <class Op>
converter unary() {
    return [](context& c) { c.set_output(0, c.add<Op>({}, {c.input(0)})); };
}
/// x OP scalar (reversed: scalar OP x), the scalar from attribute "scalar".
template <class Op, bool Reversed = false>
converter with_scalar() {
    return [](context& c) {
        const output_ref x = c.input(0);
        const output_ref s = c.scalar_like(x, c.require_attr<double>("scalar"), "/scalar");
        c.set_output(0, Reversed ? c.add<Op>({}, {s, x}) : c.add<Op>({}, {x, s}));
    };
}

inline void convert_activation(context& c) {
    const std::string t = c.require_attr<std::string>("act_type");
    const output_ref x = c.input(0);
    if (t == "relu") c.set_output(0, c.add<ops::relu>({}, {x}));
    else if (t == "sigmoid") c.set_output(0, c.add<ops::sigmoid>({}, {x}));
    else if (t == "tanh") c.set_output(0, c.add<ops::tanh>({}, {x}));
    else if (t == "softrelu") c.set_output(0, c.add<ops::soft_plus>({}, {x}));
    else if (t == "softsign") c.set_output(0, c.add<ops::soft_sign>({}, {x}));
    else throw unsupported_error("act_type '" + t + "' is not supported (relu, sigmoid, tanh, softrelu, softsign)");
}

inline void convert_leaky_relu(context& c) {
    const std::string t = c.attr<std::string>("act_type", "leaky");
    const output_ref x = c.input(0);
    if (t == "leaky" || t == "rrelu") {  // rrelu at inference: the mean of its slope range
        const double slope = t == "leaky" ? c.attr<double>("slope", 0.25)
                                          : (c.attr<double>("lower_bound", 0.125) + c.attr<double>("upper_bound", 0.334)) / 2;
        const element_type et = c.model().port(x).type;
        const tensor s = tensor::from_vector(std::vector<double>{slope}).converted(et == element_type::undefined ? element_type::f32 : et);
        c.set_output(0, c.add<ops::prelu>({}, {x, c.constant(s, "/slope")}));
    } else if (t == "prelu") {
        c.set_output(0, c.add<ops::prelu>({}, {x, c.input(1)}));
    } else if (t == "elu") {
        c.set_output(0, c.add<ops::elu>({c.attr<double>("slope", 0.25)}, {x}));
    } else if (t == "selu") {
        c.set_output(0, c.add<ops::selu>({}, {x, c.scalar_like(x, 1.6732632423543772848170429916717, "/alpha"),
                                              c.scalar_like(x, 1.0507009873554804934193349852946, "/lambda")}));
    } else if (t == "gelu") {
        c.set_output(0, c.add<ops::gelu>({ops::gelu_approximation::erf}, {x}));
    } else {
        throw unsupported_error("act_type '" + t + "' is not supported (leaky, prelu, rrelu, elu, selu, gelu)");
    }
}

inline void convert_clip(context& c) {
    const double lo = c.attr<double>("a_min", -std::numeric_limits<double>::infinity());
    const double hi = c.attr<double>("a_max", std::numeric_limits<double>::infinity());
    c.set_output(0, c.add<ops::clamp>({lo, hi}, {c.input(0)}));
}

inline void convert_add_n(context& c) {
    output_ref y = c.input(0);
    for (std::size_t i = 1; i < c.input_count(); ++i)
        y = c.add<ops::add>({}, {y, c.input(i)}, i + 1 == c.input_count() ? "" : "/add" + std::to_string(i));
    c.set_output(0, y);
}

}  // namespace detail

/// Registers the element-wise converters.
template <class = void>  // compiled only where a table is built
void register_elementwise(op_table& t) {
    using detail::binary;
    using detail::unary;
    using detail::with_scalar;
    t.add("Activation", detail::convert_activation);
    t.add("LeakyReLU", detail::convert_leaky_relu);
    for (const char* op : {"elemwise_add", "broadcast_add", "broadcast_plus", "_plus", "_Plus", "_add"}) t.add(op, binary<ops::add>());
    for (const char* op : {"elemwise_sub", "broadcast_sub", "broadcast_minus", "_minus", "_Minus", "_sub"}) t.add(op, binary<ops::subtract>());
    for (const char* op : {"elemwise_mul", "broadcast_mul", "_mul", "_Mul"}) t.add(op, binary<ops::multiply>());
    for (const char* op : {"elemwise_div", "broadcast_div", "_div", "_Div"}) t.add(op, binary<ops::divide>());
    for (const char* op : {"broadcast_maximum", "_maximum", "_Maximum"}) t.add(op, binary<ops::maximum>());
    for (const char* op : {"broadcast_minimum", "_minimum", "_Minimum"}) t.add(op, binary<ops::minimum>());
    for (const char* op : {"broadcast_power", "_power", "_Power"}) t.add(op, binary<ops::power>());
    t.add("_plus_scalar", with_scalar<ops::add>());
    t.add("_PlusScalar", with_scalar<ops::add>());
    t.add("_minus_scalar", with_scalar<ops::subtract>());
    t.add("_MinusScalar", with_scalar<ops::subtract>());
    t.add("_rminus_scalar", with_scalar<ops::subtract, true>());
    t.add("_RMinusScalar", with_scalar<ops::subtract, true>());
    t.add("_mul_scalar", with_scalar<ops::multiply>());
    t.add("_MulScalar", with_scalar<ops::multiply>());
    t.add("_div_scalar", with_scalar<ops::divide>());
    t.add("_DivScalar", with_scalar<ops::divide>());
    t.add("_rdiv_scalar", with_scalar<ops::divide, true>());
    t.add("_RDivScalar", with_scalar<ops::divide, true>());
    t.add("_power_scalar", with_scalar<ops::power>());
    t.add("_PowerScalar", with_scalar<ops::power>());
    t.add("_rpower_scalar", with_scalar<ops::power, true>());
    t.add("_maximum_scalar", with_scalar<ops::maximum>());
    t.add("_MaximumScalar", with_scalar<ops::maximum>());
    t.add("_minimum_scalar", with_scalar<ops::minimum>());
    t.add("_MinimumScalar", with_scalar<ops::minimum>());
    t.add("add_n", detail::convert_add_n);
    t.add("ElementWiseSum", detail::convert_add_n);
    t.add("clip", detail::convert_clip);
    t.add("relu", unary<ops::relu>());
    t.add("sigmoid", unary<ops::sigmoid>());
    t.add("tanh", unary<ops::tanh>());
    t.add("softsign", unary<ops::soft_sign>());
    t.add("exp", unary<ops::exp>());
    t.add("log", unary<ops::log>());
    t.add("sqrt", unary<ops::sqrt>());
    t.add("abs", unary<ops::abs>());
    t.add("negative", unary<ops::negative>());
    t.add("square", [](context& c) { c.set_output(0, c.add<ops::multiply>({}, {c.input(0), c.input(0)})); });
}

}  // namespace moir::mxnet

#endif  // MOIR_FRONTENDS_MXNET_OPS_ELEMENTWISE_HPP
