#ifndef MOIR_FRONTENDS_TENSORFLOW_OPS_ELEMENTWISE_HPP
#define MOIR_FRONTENDS_TENSORFLOW_OPS_ELEMENTWISE_HPP

// TF's element-wise ops: arithmetic and comparisons (numpy broadcasting, as moir's), activations
// (Relu, Relu6, Elu, Selu, LeakyRelu, Prelu, Sigmoid, Tanh, Softplus, ...), math functions, AddN,
// Cast, Select, Atan2 (decomposed). Layout-free: they work on NHWC as on any layout.

#include <moir/frontends/tensorflow/converter.hpp>
#include <moir/ops/abs.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/atan.hpp>
#include <moir/ops/ceiling.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/cos.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/elu.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/erf.hpp>
#include <moir/ops/exp.hpp>
#include <moir/ops/floor.hpp>
#include <moir/ops/floor_mod.hpp>
#include <moir/ops/greater.hpp>
#include <moir/ops/greater_equal.hpp>
#include <moir/ops/less.hpp>
#include <moir/ops/less_equal.hpp>
#include <moir/ops/log.hpp>
#include <moir/ops/logical_and.hpp>
#include <moir/ops/logical_not.hpp>
#include <moir/ops/logical_or.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/round.hpp>
#include <moir/ops/select.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/sign.hpp>
#include <moir/ops/sin.hpp>
#include <moir/ops/soft_plus.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/squared_difference.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/tanh.hpp>

#include <string>  // string

namespace moir::tensorflow {

namespace detail {
template <class Op>
converter binary() {
    return [](context& c) { c.set_output(0, c.add<Op>({}, {c.input(0), c.input(1)})); };
}
template <class Op>
converter unary() {
    return [](context& c) { c.set_output(0, c.add<Op>({}, {c.input(0)})); };
}
}  // namespace detail

/// Registers the element-wise converters.
template <class = void>  // compiled only where a table is built
void register_elementwise(op_table& t) {
    using detail::binary;
    using detail::unary;
    t.add("Add", binary<ops::add>());
    t.add("AddV2", binary<ops::add>());
    t.add("Sub", binary<ops::subtract>());
    t.add("Mul", binary<ops::multiply>());
    t.add("RealDiv", binary<ops::divide>());
    t.add("Div", binary<ops::divide>());
    t.add("Maximum", binary<ops::maximum>());
    t.add("Minimum", binary<ops::minimum>());
    t.add("SquaredDifference", binary<ops::squared_difference>());
    t.add("Pow", binary<ops::power>());
    t.add("FloorMod", binary<ops::floor_mod>());
    t.add("Equal", binary<ops::equal>());
    // atan2(y, x) = atan(y / x), + pi where x < 0 <= y, - pi where x < 0 and y < 0, sign(y) pi/2
    // where x == 0 (IR has no Atan2; the Model Optimizer decomposes it the same way)
    t.add("Atan2", [](context& c) {
        const output_ref y = c.input(0), x = c.input(1);
        MOIR_CHECK(c.input_port(0).type == element_type::f32 && c.input_port(1).type == element_type::f32, error,
                   "Atan2 is converted for float32 inputs only");
        const auto scalar = [&](float v, const char* suffix) {
            return c.constant(moir::tensor::from_vector<float>({v}, shape{}), suffix);
        };
        const float pi = 3.14159265358979323846f;
        const output_ref zero = scalar(0.0f, "/zero");
        const output_ref base = c.add<ops::atan>({}, {c.add<ops::divide>({}, {y, x}, "/div")}, "/atan");
        const output_ref y_nonneg = c.add<ops::greater_equal>({}, {y, zero}, "/y_nonneg");
        const output_ref shift = c.add<ops::select>({}, {y_nonneg, scalar(pi, "/pi"), scalar(-pi, "/minus_pi")}, "/shift");
        const output_ref x_neg = c.add<ops::less>({}, {x, zero}, "/x_neg");
        const output_ref shifted = c.add<ops::add>({}, {base, c.add<ops::select>({}, {x_neg, shift, zero}, "/x_neg_shift")},
                                                   "/shifted");
        const output_ref on_axis = c.add<ops::multiply>({}, {c.add<ops::sign>({}, {y}, "/y_sign"), scalar(pi / 2, "/half_pi")},
                                                        "/on_axis");
        const output_ref x_zero = c.add<ops::equal>({}, {x, zero}, "/x_zero");
        c.set_output(0, c.add<ops::select>({}, {x_zero, on_axis, shifted}));
    });
    t.add("Greater", binary<ops::greater>());
    t.add("GreaterEqual", binary<ops::greater_equal>());
    t.add("Less", binary<ops::less>());
    t.add("LessEqual", binary<ops::less_equal>());
    t.add("LogicalAnd", binary<ops::logical_and>());
    t.add("LogicalOr", binary<ops::logical_or>());
    t.add("LogicalNot", unary<ops::logical_not>());
    t.add("FloorDiv", [](context& c) {
        const bool fp = is_float(c.input_port(0).type);
        output_ref q = c.add<ops::divide>({ops::auto_broadcast::numpy, true}, {c.input(0), c.input(1)}, fp ? "/div" : "");
        c.set_output(0, fp ? c.add<ops::floor>({}, {q}) : q);
    });
    t.add("DivNoNan", [](context& c) {  // x / y, 0 where y == 0
        const output_ref y = c.input(1);
        const element_type et = c.input_port(1).type;
        auto zero = c.scalar(et, 0.0, "/zero");
        auto one = c.scalar(et, 1.0, "/one");
        auto is0 = c.add<ops::equal>({}, {y, zero}, "/is_zero");
        auto safe = c.add<ops::select>({}, {is0, one, y}, "/safe");
        auto q = c.add<ops::divide>({}, {c.input(0), safe}, "/div");
        c.set_output(0, c.add<ops::select>({}, {is0, c.scalar(et, 0.0, "/zero_out"), q}));
    });
    t.add("AddN", [](context& c) {
        output_ref s = c.input(0);
        for (std::size_t i = 1; i < c.input_count(); ++i)
            s = c.add<ops::add>({}, {s, c.input(i)}, i + 1 == c.input_count() ? "" : "/add" + std::to_string(i));
        c.set_output(0, s);
    });

    t.add("Relu", unary<ops::relu>());
    t.add("Relu6", [](context& c) { c.set_output(0, c.add<ops::clamp>({0.0, 6.0}, {c.input(0)})); });
    t.add("Elu", [](context& c) { c.set_output(0, c.add<ops::elu>({1.0}, {c.input(0)})); });
    t.add("Selu", [](context& c) {  // scale * (x > 0 ? x : alpha * (exp(x) - 1))
        const element_type et = c.input_port(0).type;
        auto e = c.add<ops::elu>({1.6732632423543772}, {c.input(0)}, "/elu");
        c.set_output(0, c.add<ops::multiply>({}, {e, c.scalar(et, 1.0507009873554805, "/scale")}));
    });
    t.add("LeakyRelu", [](context& c) {
        const element_type et = c.input_port(0).type;
        const float alpha = c.attr<float>("alpha", 0.2f);
        c.set_output(0, c.add<ops::prelu>({}, {c.input(0), c.constant(tensor::from_vector(std::vector<float>{alpha}).converted(et), "/alpha")}));
    });
    t.add("Prelu", [](context& c) {  // tfjs's custom op: (x, alpha), alpha numpy-broadcast (NHWC: per last axis)
        output_ref alpha = c.input(1);
        const auto& xs = c.input_port(0).shape;
        const auto& as = c.input_port(1).shape;
        if (!xs.rank_dynamic && !as.rank_dynamic && as.rank() == 1 && xs.rank() >= 2) {
            // moir's PRelu takes a 1-D slope per axis 1: give it the rank that numpy-broadcasts instead
            std::vector<std::int64_t> s(xs.rank() - 1, 1);
            s.back() = -1;
            alpha = c.add<ops::reshape>({false}, {alpha, c.constant_i64(s, "/alpha_shape")}, "/alpha");
        }
        c.set_output(0, c.add<ops::prelu>({}, {c.input(0), alpha}));
    });
    t.add("Sigmoid", unary<ops::sigmoid>());
    t.add("Tanh", unary<ops::tanh>());
    t.add("Softplus", unary<ops::soft_plus>());
    t.add("Exp", unary<ops::exp>());
    t.add("Log", unary<ops::log>());
    t.add("Sqrt", unary<ops::sqrt>());
    t.add("Abs", unary<ops::abs>());
    t.add("Neg", unary<ops::negative>());
    t.add("Floor", unary<ops::floor>());
    t.add("Ceil", unary<ops::ceiling>());
    t.add("Round", [](context& c) { c.set_output(0, c.add<ops::round>({ops::round_mode::half_to_even}, {c.input(0)})); });
    t.add("Sign", unary<ops::sign>());
    t.add("Sin", unary<ops::sin>());
    t.add("Cos", unary<ops::cos>());
    t.add("Erf", unary<ops::erf>());
    t.add("Square", [](context& c) { c.set_output(0, c.add<ops::multiply>({}, {c.input(0), c.input(0)})); });
    t.add("Rsqrt", [](context& c) {
        auto s = c.add<ops::sqrt>({}, {c.input(0)}, "/sqrt");
        c.set_output(0, c.add<ops::divide>({}, {c.scalar(c.input_port(0).type, 1.0, "/one"), s}));
    });
    t.add("Reciprocal", [](context& c) {
        c.set_output(0, c.add<ops::divide>({}, {c.scalar(c.input_port(0).type, 1.0, "/one"), c.input(0)}));
    });
    t.add("Inv", [](context& c) {
        c.set_output(0, c.add<ops::divide>({}, {c.scalar(c.input_port(0).type, 1.0, "/one"), c.input(0)}));
    });
    t.add("Cast", [](context& c) {
        const element_type to = c.require_attr<element_type>("DstT");
        c.set_output(0, c.add<ops::convert>({to}, {c.input(0)}));
    });
    t.add("Select", [](context& c) { c.set_output(0, c.add<ops::select>({}, {c.input(0), c.input(1), c.input(2)})); });
    t.add("SelectV2", [](context& c) { c.set_output(0, c.add<ops::select>({}, {c.input(0), c.input(1), c.input(2)})); });
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_OPS_ELEMENTWISE_HPP
