#ifndef MOIR_FRONTENDS_ONNX_OPS_NORMALIZATION_HPP
#define MOIR_FRONTENDS_ONNX_OPS_NORMALIZATION_HPP

// ONNX normalization ops -> moir ops: LayerNormalization, InstanceNormalization,
// GroupNormalization, MeanVarianceNormalization (onto MVN-6 plus the affine part), LRN (LRN-1) and
// LpNormalization (x / ReduceL1 or ReduceL2). Inputs of a known rank are required where the axes
// depend on it.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/frontends/onnx/ops/nn.hpp>  // detail::reshaped
#include <moir/ops/add.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/lrn.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/mvn.hpp>
#include <moir/ops/reduce_l1.hpp>
#include <moir/ops/reduce_l2.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/sqrt.hpp>
#include <moir/ops/subtract.hpp>

#include <cstdint>  // int64_t
#include <string>   // string, to_string
#include <vector>   // vector

namespace moir::onnx {

namespace detail {
/// The rank of input i. ensures: unsupported_error naming `op` when it is dynamic.
inline std::size_t norm_known_rank(context& c, std::size_t i, const char* op) {
    const auto& s = c.input_port(i).shape;
    MOIR_CHECK(!s.rank_dynamic, unsupported_error, std::string(op) + " needs an input of known rank");
    return s.rank();
}

/// The axes [from, rank) as an i64 constant.
inline output_ref norm_axes_from(context& c, std::size_t from, std::size_t rank, const std::string& suffix) {
    std::vector<std::int64_t> axes;
    for (std::size_t i = from; i < rank; ++i) axes.push_back(static_cast<std::int64_t>(i));
    return c.constant(tensor::from_vector(axes), suffix);
}

/// MVN of x over `axes` with eps inside the root.
inline output_ref norm_mvn(context& c, output_ref x, output_ref axes, float eps, moir::ops::mvn_eps_mode mode,
                           const std::string& suffix) {
    return c.add<moir::ops::mvn>({true, eps, mode}, {x, axes}, suffix);
}

inline void layer_normalization(context& c) {
    const std::size_t r = norm_known_rank(c, 0, "LayerNormalization");
    const std::size_t axis = normalize_axis(c.attr_int("axis", -1), r);
    const float eps = c.attr_float("epsilon", 1e-5f);
    const element_type et = c.input_port(0).type;
    const output_ref axes = norm_axes_from(c, axis, r, "/axes");
    const output_ref x = c.input(0);
    output_ref y = norm_mvn(c, x, axes, eps, moir::ops::mvn_eps_mode::inside_sqrt, "/mvn");
    y = c.add<moir::ops::multiply>({}, {y, c.input(1)}, c.has_input(2) ? "/scaled" : "");
    if (c.has_input(2)) y = c.add<moir::ops::add>({}, {y, c.input(2)});
    c.set_output(0, y);
    if (!c.output_used(1) && !c.output_used(2)) return;
    const output_ref mean = c.add<moir::ops::reduce_mean>({true}, {x, axes}, "/mean");
    c.set_output(1, mean);
    if (!c.output_used(2)) return;
    const output_ref d = c.add<moir::ops::subtract>({}, {x, mean}, "/centered");
    const output_ref var = c.add<moir::ops::reduce_mean>({true}, {c.add<moir::ops::multiply>({}, {d, d}, "/sq"), axes}, "/var");
    const output_ref eps_c = c.constant(tensor::scalar(eps).converted(et), "/eps");
    const output_ref std_dev = c.add<moir::ops::sqrt>({}, {c.add<moir::ops::add>({}, {var, eps_c}, "/var_eps")}, "/std");
    c.set_output(2, c.add<moir::ops::divide>({}, {c.constant(tensor::scalar(1.0f).converted(et), "/one"), std_dev},
                                             "/inv_std"));
}

/// y = x * scale + bias, with scale and bias of the channel axis 1 of a rank-r tensor.
inline output_ref norm_channel_affine(context& c, output_ref y, std::size_t scale_input, std::size_t bias_input,
                                      std::size_t r) {
    std::vector<std::int64_t> dims(r, 1);
    dims[1] = -1;
    y = c.add<moir::ops::multiply>({}, {y, reshaped(c, scale_input, dims, "/scale")}, "/scaled");
    return c.add<moir::ops::add>({}, {y, reshaped(c, bias_input, dims, "/bias")});
}

inline void instance_normalization(context& c) {
    const std::size_t r = norm_known_rank(c, 0, "InstanceNormalization");
    MOIR_CHECK(r >= 3, unsupported_error, "InstanceNormalization needs an input of rank >= 3");
    const output_ref y = norm_mvn(c, c.input(0), norm_axes_from(c, 2, r, "/axes"), c.attr_float("epsilon", 1e-5f),
                                  moir::ops::mvn_eps_mode::inside_sqrt, "/mvn");
    c.set_output(0, norm_channel_affine(c, y, 1, 2, r));
}

/// GroupNormalization-18 (scale and bias per group) and -21 (per channel): MVN over each group of
/// channels and the spatial axes, seen as [N, G, rest].
template <bool PerChannel>
void group_normalization(context& c) {
    const std::size_t r = norm_known_rank(c, 0, "GroupNormalization");
    MOIR_CHECK(r >= 2, unsupported_error, "GroupNormalization needs an input of rank >= 2");
    const std::int64_t groups = c.attr_int("num_groups", 0);
    MOIR_CHECK(groups >= 1, parse_error, "num_groups must be >= 1");
    const output_ref x = c.input(0);
    const output_ref grouped_shape = c.constant(tensor::from_vector(std::vector<std::int64_t>{0, groups, -1}), "/grouped_shape");
    output_ref y = c.add<moir::ops::reshape>({true}, {x, grouped_shape}, "/grouped");
    y = norm_mvn(c, y, c.constant(tensor::from_vector(std::vector<std::int64_t>{2}), "/axes"),
                 c.attr_float("epsilon", 1e-5f), moir::ops::mvn_eps_mode::inside_sqrt, "/mvn");
    if (!PerChannel) y = norm_channel_affine(c, y, 1, 2, 3);
    y = c.add<moir::ops::reshape>({false}, {y, c.add<moir::ops::shape_of>({element_type::i64}, {x}, "/shape")},
                                  PerChannel ? "/ungrouped" : "");
    if (PerChannel) y = norm_channel_affine(c, y, 1, 2, r);
    c.set_output(0, y);
}

inline void mean_variance_normalization(context& c) {
    const auto axes = c.attr_ints("axes", {0, 2, 3});
    c.set_output(0, norm_mvn(c, c.input(0), c.constant(tensor::from_vector(axes), "/axes"), 1e-9f,
                             moir::ops::mvn_eps_mode::outside_sqrt, ""));
}

inline void lrn(context& c) {
    MOIR_CHECK(c.has_attr("size"), parse_error, "LRN needs the size attribute");
    moir::ops::lrn::attrs a;
    a.alpha = c.attr_float("alpha", 1e-4f);
    a.beta = c.attr_float("beta", 0.75f);
    a.bias = c.attr_float("bias", 1.0f);
    a.size = c.attr_int("size", 1);
    c.set_output(0, c.add<moir::ops::lrn>(a, {c.input(0), c.constant(tensor::from_vector(std::vector<std::int64_t>{1}), "/axes")}));
}

inline void lp_normalization(context& c) {
    const std::int64_t p = c.attr_int("p", 2);
    const output_ref axes = c.constant(tensor::from_vector(std::vector<std::int64_t>{c.attr_int("axis", -1)}), "/axes");
    output_ref norm;
    if (p == 2) norm = c.add<moir::ops::reduce_l2>({true}, {c.input(0), axes}, "/norm");
    else if (p == 1) norm = c.add<moir::ops::reduce_l1>({true}, {c.input(0), axes}, "/norm");
    else throw unsupported_error("LpNormalization with p=" + std::to_string(p) + " is not supported (1 and 2 are)");
    c.set_output(0, c.add<moir::ops::divide>({}, {c.input(0), norm}));
}
}  // namespace detail

/// Registers LayerNormalization, InstanceNormalization, GroupNormalization,
/// MeanVarianceNormalization, LRN and LpNormalization.
template <class = void>  // compiled only where a table is built
void register_normalization(op_table& t) {
    t.add("LayerNormalization", detail::layer_normalization, 17);
    t.add("InstanceNormalization", detail::instance_normalization);
    t.add("GroupNormalization", detail::group_normalization<false>, 18);
    t.add("GroupNormalization", detail::group_normalization<true>, 21);
    t.add("MeanVarianceNormalization", detail::mean_variance_normalization);
    t.add("LRN", detail::lrn);
    t.add("LpNormalization", detail::lp_normalization);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_NORMALIZATION_HPP
