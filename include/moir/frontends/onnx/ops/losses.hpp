#ifndef MOIR_FRONTENDS_ONNX_OPS_LOSSES_HPP
#define MOIR_FRONTENDS_ONNX_OPS_LOSSES_HPP

// ONNX loss ops -> moir ops, decomposed (OpenVINO has no loss ops):
//   NegativeLogLikelihoodLoss: loss[n, d...] = -input[n, target[n, d...], d...] * w, where
//     w = weight[target] (1 without weights) and 0 where target == ignore_index; reduction none
//     keeps it, sum adds it up, mean divides the sum by the sum of w (plain ReduceMean when there
//     are neither weights nor an ignore_index). GatherElements picks the input, Gather the weight,
//     Equal/Select mask the ignored targets (which are replaced by class 0 before any gather).
//   SoftmaxCrossEntropyLoss: log_prob = LogSoftmax(scores, axis 1), then the same loss on it; the
//     optional 2nd output is log_prob.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/gather_elements.hpp>
#include <moir/ops/log_softmax.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/negative.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/select.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstdint>   // int64_t
#include <optional>  // optional
#include <string>    // string
#include <vector>    // vector

namespace moir::onnx {

namespace detail {
/// Every axis of a rank-r tensor, as an i64 constant.
inline output_ref loss_all_axes(context& c, std::size_t r, const std::string& suffix) {
    std::vector<std::int64_t> axes;
    for (std::size_t i = 0; i < r; ++i) axes.push_back(static_cast<std::int64_t>(i));
    return c.constant(tensor::from_vector(axes), suffix);
}

/// The NLL loss of log-probabilities `input` [N, C, d...] for the class indices of ONNX input
/// `target_input` [N, d...], with the optional class weights of ONNX input `weight_input`.
inline output_ref nll_loss(context& c, output_ref input, std::size_t target_input, std::size_t weight_input) {
    const std::string reduction = c.attr_string("reduction", "mean");
    MOIR_CHECK(reduction == "none" || reduction == "sum" || reduction == "mean", parse_error,
               "reduction must be none, sum or mean, it is '" + reduction + "'");
    const auto& ts = c.input_port(target_input).shape;
    MOIR_CHECK(!ts.rank_dynamic, unsupported_error, "the target must have a known rank");
    const element_type it = c.input_port(target_input).type;
    const element_type ft = c.model().port(input).type;
    output_ref target = c.input(target_input);
    std::optional<output_ref> w;  // the weight of each target, masked
    if (c.has_attr("ignore_index")) {
        const output_ref ii = c.constant(tensor::scalar<std::int64_t>(c.attr_int("ignore_index", 0)).converted(it), "/ignore_index");
        const output_ref ignored = c.add<moir::ops::equal>({}, {target, ii}, "/ignored");
        target = c.add<moir::ops::select>(
            {}, {ignored, c.constant(tensor::scalar<std::int64_t>(0).converted(it), "/class0"), target}, "/target");
        w = c.add<moir::ops::select>({}, {ignored, c.constant(tensor::scalar(0.0f).converted(ft), "/zero"),
                                          c.constant(tensor::scalar(1.0f).converted(ft), "/one")},
                                     "/mask");
    }
    const output_ref axis1 = c.constant(tensor::from_vector(std::vector<std::int64_t>{1}), "/axis1");
    output_ref picked = c.add<moir::ops::gather_elements>(
        {1}, {input, c.add<moir::ops::unsqueeze>({}, {target, axis1}, "/target_1")}, "/picked_1");
    picked = c.add<moir::ops::squeeze>({}, {picked, axis1}, "/picked");
    if (c.has_input(weight_input)) {
        const output_ref cw = c.add<moir::ops::gather>(
            {0}, {c.input(weight_input), target, c.constant(tensor::scalar<std::int64_t>(0), "/gather_axis")}, "/class_weight");
        w = w ? c.add<moir::ops::multiply>({}, {cw, *w}, "/weight") : cw;
    }
    output_ref loss = c.add<moir::ops::negative>({}, {picked}, w || reduction != "none" ? "/neg" : "");
    if (w) loss = c.add<moir::ops::multiply>({}, {loss, *w}, reduction != "none" ? "/weighted" : "");
    if (reduction == "none") return loss;
    const output_ref all = loss_all_axes(c, ts.rank(), "/all_axes");
    if (reduction == "sum") return c.add<moir::ops::reduce_sum>({false}, {loss, all});
    if (!w) return c.add<moir::ops::reduce_mean>({false}, {loss, all});
    return c.add<moir::ops::divide>({}, {c.add<moir::ops::reduce_sum>({false}, {loss, all}, "/sum"),
                                         c.add<moir::ops::reduce_sum>({false}, {*w, all}, "/weight_sum")});
}

inline void negative_log_likelihood_loss(context& c) { c.set_output(0, nll_loss(c, c.input(0), 1, 2)); }

inline void softmax_cross_entropy_loss(context& c) {
    const output_ref log_prob = c.add<moir::ops::log_softmax>({1}, {c.input(0)}, "/log_prob");
    c.set_output(0, nll_loss(c, log_prob, 1, 2));
    c.set_output(1, log_prob);
}
}  // namespace detail

/// Registers NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss.
template <class = void>  // compiled only where a table is built
void register_losses(op_table& t) {
    t.add("NegativeLogLikelihoodLoss", detail::negative_log_likelihood_loss, 12);
    t.add("SoftmaxCrossEntropyLoss", detail::softmax_cross_entropy_loss, 12);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_LOSSES_HPP
