#ifndef MOIR_FRONTENDS_KALDI_COMPONENTS_HPP
#define MOIR_FRONTENDS_KALDI_COMPONENTS_HPP

// The frame-wise nnet3 components: each maps the [frames, dim] matrix of its input to the
// [frames, dim'] matrix of its output, row by row, as Kaldi's Propagate does in test mode. The
// components that look across frames (StatisticsExtraction, StatisticsPooling, TdnnComponent's
// time offsets) are handled by the graph conversion in nnet3.hpp, which knows the frames.
// Add a component: a function here and a line in register_components.

#include <moir/frontends/kaldi/builder.hpp>
#include <moir/frontends/kaldi/reader.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/log_softmax.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/tanh.hpp>

#include <cmath>       // sqrt, ldexp
#include <cstdint>     // int64_t
#include <functional>  // function
#include <map>         // map
#include <string>      // string, to_string
#include <vector>      // vector

namespace moir::kaldi {

/// A frame-wise component converter: the output for input x ([frames, dim]).
using component_converter = std::function<output_ref(graph_writer&, output_ref x, const component&)>;
/// Component type ("AffineComponent") -> converter.
using component_table = std::map<std::string, component_converter>;

namespace components {

inline output_ref affine(graph_writer& g, output_ref x, const component& c) {
    const tensor& w = c.array("LinearParams");
    return g.affine(x, w, c.has("BiasParams") ? &c.array("BiasParams") : nullptr, c.name);
}
/// LinearComponent stores <Params> (older versions <LinearParams>).
inline output_ref linear(graph_writer& g, output_ref x, const component& c) {
    return g.affine(x, c.has("Params") ? c.array("Params") : c.array("LinearParams"), nullptr, c.name);
}
inline output_ref relu(graph_writer& g, output_ref x, const component&) { return g.add<ops::relu>({}, {x}, "relu"); }
inline output_ref sigmoid(graph_writer& g, output_ref x, const component&) { return g.add<ops::sigmoid>({}, {x}, "sigmoid"); }
inline output_ref tanh(graph_writer& g, output_ref x, const component&) { return g.add<ops::tanh>({}, {x}, "tanh"); }
inline output_ref log_softmax(graph_writer& g, output_ref x, const component&) {
    return g.add<ops::log_softmax>({1}, {x}, "log_softmax");
}
inline output_ref softmax(graph_writer& g, output_ref x, const component&) { return g.add<ops::softmax>({1}, {x}, "softmax"); }
/// NoOp, Dropout (inference: the identity), BackpropTruncation.
inline output_ref identity(graph_writer&, output_ref x, const component&) { return x; }

/// BatchNormComponent in test mode, from its stored statistics: per block of BlockDim columns,
/// y = (x - mean) * target_rms / sqrt(var + epsilon) (Kaldi's ComputeDerived).
inline output_ref batch_norm(graph_writer& g, output_ref x, const component& c) {
    const std::int64_t dim = c.integer("Dim");
    const std::int64_t block = c.integer("BlockDim", static_cast<double>(dim));
    const tensor& mean = c.array("StatsMean");
    const tensor& var = c.array("StatsVar");
    MOIR_CHECK(block > 0 && dim % block == 0 && static_cast<std::int64_t>(mean.numel()) == block &&
                   static_cast<std::int64_t>(var.numel()) == block,
               parse_error,
               "component '" + c.name + "': Dim " + std::to_string(dim) + ", BlockDim " + std::to_string(block) +
                   ", " + std::to_string(mean.numel()) + " means, " + std::to_string(var.numel()) + " variances");
    MOIR_CHECK(g.cols(x) == dim, shape_error,
               "component '" + c.name + "': input dim " + std::to_string(g.cols(x)) + ", Dim " + std::to_string(dim));
    const double eps = c.number("Epsilon", 0.001), rms = c.number("TargetRms", 1.0);
    std::vector<float> scale(static_cast<std::size_t>(dim)), shift(scale.size());
    for (std::int64_t i = 0; i < dim; ++i) {
        const double mu = mean.data<float>()[i % block], v = var.data<float>()[i % block];
        const double s = rms / std::sqrt(v + eps);
        scale[static_cast<std::size_t>(i)] = static_cast<float>(s);
        shift[static_cast<std::size_t>(i)] = static_cast<float>(-mu * s);
    }
    return g.scale_shift(x, scale, shift);
}

/// NormalizeComponent (BlockDim == InputDim, no log-stddev): y = x / sqrt(max(mean(x^2) /
/// target_rms^2, 2^-66)) per row.
inline output_ref normalize(graph_writer& g, output_ref x, const component& c) {
    const double in_dim = c.number("InputDim", c.number("Dim", static_cast<double>(g.cols(x))));
    MOIR_CHECK(c.number("BlockDim", in_dim) == in_dim, unsupported_error,
               "component '" + c.name + "': NormalizeComponent with BlockDim < InputDim is not supported");
    MOIR_CHECK(!c.boolean("AddLogStddev", false), unsupported_error,
               "component '" + c.name + "': NormalizeComponent with add-log-stddev is not supported");
    const double rms = c.number("TargetRms", 1.0);
    const output_ref sq = g.add<ops::multiply>({}, {x, x}, "square");
    output_ref ms = g.add<ops::reduce_mean>({true}, {sq, g.ints({1}, "axes")}, "mean_square");
    ms = g.add<ops::multiply>({}, {ms, g.constant(tensor::scalar(static_cast<float>(1.0 / (rms * rms))), "inv_rms2")}, "scaled");
    ms = g.add<ops::maximum>({}, {ms, g.constant(tensor::scalar(static_cast<float>(std::ldexp(1.0, -66))), "floor")}, "floored");
    return g.add<ops::divide>({}, {x, g.add<ops::sqrt>({}, {ms}, "norm")}, "normalized");
}

/// ElementwiseProductComponent: the input is k blocks of OutputDim; the output their product.
inline output_ref elementwise_product(graph_writer& g, output_ref x, const component& c) {
    const std::int64_t in = c.integer("InputDim"), out = c.integer("OutputDim");
    MOIR_CHECK(out > 0 && in % out == 0 && g.cols(x) == in, shape_error,
               "component '" + c.name + "': InputDim " + std::to_string(in) + ", OutputDim " + std::to_string(out) +
                   ", input dim " + std::to_string(g.cols(x)));
    output_ref y = g.slice(x, 0, out, 1, "block0");
    for (std::int64_t k = 1; k < in / out; ++k)
        y = g.add<ops::multiply>({}, {y, g.slice(x, k * out, (k + 1) * out, 1, "block" + std::to_string(k))}, "product");
    return y;
}

}  // namespace components

/// Adds moir's frame-wise nnet3 components to t.
template <class = void>  // compiled only where a table is built
void register_components(component_table& t) {
    t["AffineComponent"] = components::affine;
    t["NaturalGradientAffineComponent"] = components::affine;
    t["FixedAffineComponent"] = components::affine;
    t["LinearComponent"] = components::linear;
    t["RectifiedLinearComponent"] = components::relu;
    t["SigmoidComponent"] = components::sigmoid;
    t["TanhComponent"] = components::tanh;
    t["LogSoftmaxComponent"] = components::log_softmax;
    t["SoftmaxComponent"] = components::softmax;
    t["NoOpComponent"] = components::identity;
    t["DropoutComponent"] = components::identity;
    t["GeneralDropoutComponent"] = components::identity;
    t["BackpropTruncationComponent"] = components::identity;
    t["BatchNormComponent"] = components::batch_norm;
    t["NormalizeComponent"] = components::normalize;
    t["ElementwiseProductComponent"] = components::elementwise_product;
}

}  // namespace moir::kaldi

#endif  // MOIR_FRONTENDS_KALDI_COMPONENTS_HPP
