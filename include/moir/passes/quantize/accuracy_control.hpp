#ifndef MOIR_PASSES_QUANTIZE_ACCURACY_CONTROL_HPP
#define MOIR_PASSES_QUANTIZE_ACCURACY_CONTROL_HPP

// Accuracy-aware INT8 quantization (`moir convert --data_type INT8 --max_accuracy_drop X`), in the
// manner of NNCF's accuracy-aware quantization: quantize every layer, measure a validation metric,
// and while the metric has dropped by more than `max_drop` from the FP32 model's, put back into FP32
// the layers that hurt most, one at a time, re-measuring after each.
//
//  1. metric(FP32) and metric(all INT8); done when the drop already holds.
//  2. Ranking, one validation run per quantized layer, by accuracy_control_options::ranking:
//     - output_error (the default): each layer alone is quantized (every other one FP32) and the
//       mean squared difference of the model's outputs from FP32's measured; layers are ranked by
//       that error (largest first). A continuous measure: on PaddleOCR rec it singles out the few
//       layers whose INT8 error matters, where a discrete metric moves by single positions;
//     - recovery: each layer alone is kept in FP32 (every other one INT8) and the metric
//       measured; layers are ranked by the metric they recover (most first).
//     Ties keep topological order.
//  3. Reverting: layers are added to the FP32 set in that order, the model quantized again and
//     measured after each, until the drop holds or `max_reverted` layers are FP32.
//  3b. With int8_options::overflow_fix (7-bit convolution weights), each reverted layer, largest
//     weights first, is tried in INT8 again with 8-bit weights (int8_options::full_range_weights:
//     the exact kernel instead of the pairs one, still INT8 compute) and stays so where the drop
//     holds: a layer reverted for its weights' seventh bit need not compute in FP32.
//  4. Weight compression (accuracy_control_options::compress_reverted_weights, when the drop holds):
//     the reverted layers, largest weights first, are given i8-stored weights again (f32 inputs and
//     compute, weight-only compression) one at a time, each kept only if the drop still holds; a
//     layer whose weights do not tolerate 8 bits tries f16 weights the same way. A layer reverted
//     for its activations' range usually keeps its weights' 8 bits, so the .bin stays near a
//     quarter of FP32's.
//
// The metric is a function of the model's outputs on every validation input set (higher is better):
// a user's labelled metric, or the built-in top1_agreement with the FP32 model's outputs (the
// fraction of positions whose argmax over the last axis is the FP32 model's: the class of a
// classifier, the character of each CTC time step of a recognizer), which needs no labels and for
// which FP32 scores 1. The models run on the compiled plan (runtime::plan_cache), so validation
// inputs may differ in shape.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/passes/quantize/calibrate_int8.hpp>
#include <moir/passes/quantize/quantize_int8.hpp>
#include <moir/runtime/plan.hpp>

#include <algorithm>   // find, stable_sort
#include <cstddef>     // size_t
#include <functional>  // function
#include <limits>      // numeric_limits
#include <optional>    // optional, nullopt
#include <string>      // string, to_string
#include <utility>     // move, pair
#include <vector>      // vector

namespace moir::passes {

/// The outputs of a model on each validation input set (outer: sets, inner: model outputs).
using validation_outputs = std::vector<std::vector<tensor>>;
/// A validation metric: higher is better. Called with the outputs of the model under test.
using validation_metric = std::function<double(const validation_outputs&)>;

/// How the accuracy control ranks layers (see the file comment).
enum class accuracy_ranking { output_error, recovery };

/// Options of quantize_int8_with_accuracy_control.
struct accuracy_control_options {
    accuracy_ranking ranking = accuracy_ranking::output_error;
    double max_drop = 0.01;  ///< the largest accepted metric(FP32) - metric(INT8), in the metric's units
    std::size_t max_reverted = std::numeric_limits<std::size_t>::max();  ///< at most this many layers go back to FP32
    std::size_t threads = 1;  ///< threads of the validation runs (0: all)
    std::function<void(const std::string&)> log;  ///< progress lines, when set
    bool compress_reverted_weights = true;  ///< step 4 of the file comment
    /// How every candidate is quantized: its activation scheme, and its keep_fp32 layers (the user's
    /// ignored scope) stay FP32 in every candidate and are never ranked.
    int8_options quantization;
};

/// What the accuracy control did.
struct accuracy_control_result {
    model quantized;       ///< the INT8 model finally chosen
    int8_report report;    ///< quantize_int8's report for it (report.kept_fp32: the reverted layers)
    double fp32_metric = 0, int8_metric = 0, final_metric = 0;  ///< FP32, all layers INT8, the chosen model
    std::vector<std::string> reverted;  ///< layers put back into FP32, in the order they were reverted
    std::vector<std::string> compressed;       ///< of those, the ones whose weights went back to i8 (step 4)
    std::vector<std::string> compressed_fp16;  ///< and those whose weights went to f16 (step 4)
    std::vector<std::string> full_range;  ///< reverted layers back in INT8 with 8-bit weights (step 3b)
    std::size_t validation_runs = 0;    ///< models measured (each over every validation set)
    bool met = false;                   ///< fp32_metric - final_metric <= max_drop (+ 1e-9 for rounding)
};

/// The outputs of m on every set, through the compiled plan (re-planned when shapes change).
template <class = void>
inline validation_outputs run_validation(const model& m, const std::vector<std::vector<tensor>>& sets,
                                         std::size_t threads = 1) {
    runtime::plan_options po;
    po.threads = threads;
    runtime::plan_cache pc(m, po);
    validation_outputs out;
    out.reserve(sets.size());
    for (const auto& s : sets) out.push_back(pc.run(s));
    return out;
}

namespace detail {
/// Calls f(got values, want values, dims) for each output of each set, as doubles, after checking
/// that got and want have the same sets, outputs and shapes (errors name `what`).
template <class F>
void for_each_output_pair(const validation_outputs& got, const validation_outputs& want, const char* what, F&& f) {
    MOIR_CHECK(got.size() == want.size(), error, std::string(what) + ": " + std::to_string(got.size()) + " sets vs " +
                                                     std::to_string(want.size()));
    for (std::size_t s = 0; s < got.size(); ++s) {
        MOIR_CHECK(got[s].size() == want[s].size(), error, std::string(what) + ": outputs differ in number");
        for (std::size_t o = 0; o < got[s].size(); ++o) {
            MOIR_CHECK(got[s][o].dims() == want[s][o].dims(), error, std::string(what) + ": output shapes differ");
            f(got[s][o].to_vector<double>(), want[s][o].to_vector<double>(), got[s][o].dims());
        }
    }
}
}  // namespace detail

/// The fraction of positions where got's argmax over the last axis equals want's, over every output
/// of every set (a scalar or rank-1 output is one position). requires: got and want of the same
/// model on the same sets. ensures: a value in [0, 1]; 1 when there are no positions.
template <class = void>
inline double top1_agreement(const validation_outputs& got, const validation_outputs& want) {
    std::size_t same = 0, total = 0;
    detail::for_each_output_pair(got, want, "top1_agreement",
                                 [&](const std::vector<double>& g, const std::vector<double>& w, const shape& d) {
        const std::size_t inner = d.empty() ? 1 : static_cast<std::size_t>(d.back());
        if (inner == 0) return;
        for (std::size_t p = 0; p + inner <= g.size(); p += inner) {
            std::size_t ag = p, aw = p;
            for (std::size_t i = p; i < p + inner; ++i) {
                if (g[i] > g[ag]) ag = i;
                if (w[i] > w[aw]) aw = i;
            }
            same += ag == aw;
            ++total;
        }
    });
    return total ? static_cast<double>(same) / static_cast<double>(total) : 1.0;
}

/// The mean squared difference between got and want over every element of every output of every
/// set. requires: got and want of the same model on the same sets. ensures: >= 0; 0 when empty.
template <class = void>
inline double mean_squared_difference(const validation_outputs& got, const validation_outputs& want) {
    double sum = 0.0;
    std::size_t n = 0;
    detail::for_each_output_pair(got, want, "mean_squared_difference",
                                 [&](const std::vector<double>& g, const std::vector<double>& w, const shape&) {
        for (std::size_t i = 0; i < g.size(); ++i) sum += (g[i] - w[i]) * (g[i] - w[i]);
        n += g.size();
    });
    return n ? sum / static_cast<double>(n) : 0.0;
}

/// Quantizes `fp32` (calibrated by `table`) to INT8, reverting layers to FP32 until the metric's drop
/// from FP32 is at most opt.max_drop (see the file comment). `metric` scores a model's outputs on
/// `validation`. requires: fp32 is the model calibrate_int8 produced `table` for; validation holds
/// at least one input set. ensures: result.met tells whether the drop holds; when it never does, the
/// model with every ranked layer up to max_reverted in FP32 is returned.
template <class = void>
inline accuracy_control_result quantize_int8_with_accuracy_control(const model& fp32, const calibration_table& table,
                                                                   const std::vector<std::vector<tensor>>& validation,
                                                                   const validation_metric& metric,
                                                                   const accuracy_control_options& opt = {},
                                                                   std::optional<double> fp32_metric = std::nullopt,
                                                                   const validation_outputs* fp32_outputs = nullptr) {
    MOIR_CHECK(!validation.empty(), error, "accuracy control needs at least one validation input set");
    accuracy_control_result r;
    auto say = [&](const std::string& line) {
        if (opt.log) opt.log(line);
    };
    auto quantized_with = [&](const int8_options& io, int8_report* rep) {
        model q = fp32;
        const int8_report qr = quantize_int8(q, table, nullptr, io);
        if (rep) *rep = qr;
        return q;
    };
    auto measure = [&](const model& m) {
        ++r.validation_runs;
        return metric(run_validation(m, validation, opt.threads));
    };
    // the drop holds: metric(FP32) - metric <= max_drop, up to the rounding of that subtraction (a
    // top-1 agreement of 0.99 is a drop of 0.010000000000000009 from 1)
    auto holds = [&](double metric) { return r.fp32_metric - metric <= opt.max_drop + 1e-9; };
    r.fp32_metric = fp32_metric ? *fp32_metric : measure(fp32);
    int8_options io = opt.quantization;
    r.quantized = quantized_with(io, &r.report);
    r.int8_metric = r.final_metric = measure(r.quantized);
    say("accuracy control: FP32 metric " + std::to_string(r.fp32_metric) + ", INT8 " + std::to_string(r.int8_metric) +
        " (drop " + std::to_string(r.fp32_metric - r.int8_metric) + ", allowed " + std::to_string(opt.max_drop) + ")");
    r.met = holds(r.final_metric);
    if (r.met || opt.max_reverted == 0) return r;

    // 2. rank (see the file comment)
    const std::vector<std::string> layers = r.report.quantized;
    std::vector<double> gain(layers.size());
    validation_outputs reference;
    if (opt.ranking == accuracy_ranking::output_error && !fp32_outputs) {
        ++r.validation_runs;
        reference = run_validation(fp32, validation, opt.threads);
        fp32_outputs = &reference;
    }
    for (std::size_t i = 0; i < layers.size(); ++i) {
        int8_options one = opt.quantization;
        if (opt.ranking == accuracy_ranking::output_error) {
            for (std::size_t j = 0; j < layers.size(); ++j)
                if (j != i) one.keep_fp32.insert(layers[j]);
            ++r.validation_runs;
            gain[i] = mean_squared_difference(run_validation(quantized_with(one, nullptr), validation, opt.threads),
                                              *fp32_outputs);
            say("accuracy control: ranking " + std::to_string(i + 1) + "/" + std::to_string(layers.size()) + " " +
                layers[i] + " alone in INT8: output error " + std::to_string(gain[i]));
        } else {
            one.keep_fp32.insert(layers[i]);
            gain[i] = measure(quantized_with(one, nullptr)) - r.int8_metric;
            say("accuracy control: ranking " + std::to_string(i + 1) + "/" + std::to_string(layers.size()) + " " +
                layers[i] + " recovers " + std::to_string(gain[i]));
        }
    }
    std::vector<std::size_t> order(layers.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return gain[a] > gain[b]; });

    // 3. revert in that order until the drop holds
    for (std::size_t k = 0; k < order.size() && r.reverted.size() < opt.max_reverted; ++k) {
        io.keep_fp32.insert(layers[order[k]]);
        r.reverted.push_back(layers[order[k]]);
        r.quantized = quantized_with(io, &r.report);
        r.final_metric = measure(r.quantized);
        say("accuracy control: " + layers[order[k]] + " back to FP32 -> metric " + std::to_string(r.final_metric) +
            " (drop " + std::to_string(r.fp32_metric - r.final_metric) + ")");
        r.met = holds(r.final_metric);
        if (r.met) break;
    }

    // the reverted layers with constant weights, largest weights first
    auto reverted_by_size = [&] {
        std::vector<std::pair<std::size_t, std::string>> by_size;
        for (const std::string& layer : r.reverted)
            for (const node& n : fp32.nodes) {
                if (n.name != layer) continue;
                const int8_layer_info L = int8_layer_of(n);
                if (L.weights < n.inputs.size() && fp32.nodes[n.inputs[L.weights].node].is<ops::constant>())
                    by_size.emplace_back(fp32.nodes[n.inputs[L.weights].node].attrs_as<ops::constant>().value.numel(),
                                         layer);
                break;
            }
        std::stable_sort(by_size.begin(), by_size.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        return by_size;
    };
    if (!r.met) return r;

    // 3b. under the overflow fix, INT8 again with 8-bit weights where the drop holds
    if (io.overflow_fix)
        for (const auto& [size, layer] : reverted_by_size()) {
            int8_options tried = io;
            tried.keep_fp32.erase(layer);
            tried.full_range_weights.insert(layer);
            int8_report rep;
            model q = quantized_with(tried, &rep);
            const double got = measure(q);
            const bool keep = holds(got);
            say("accuracy control: " + layer + " in INT8 with 8-bit weights -> metric " + std::to_string(got) +
                (keep ? ", kept" : ", not kept"));
            if (!keep) continue;
            io = tried;
            r.quantized = std::move(q);
            r.report = rep;
            r.final_metric = got;
            r.full_range.push_back(layer);
            r.reverted.erase(std::find(r.reverted.begin(), r.reverted.end(), layer));
        }

    // 4. i8 weights back on the reverted layers that tolerate them, largest first
    if (!opt.compress_reverted_weights) return r;
    for (const auto& [size, layer] : reverted_by_size())
        for (const bool fp16 : {false, true}) {
            int8_options tried = io;
            (fp16 ? tried.fp16_weights : tried.int8_weights).insert(layer);
            int8_report rep;
            model q = quantized_with(tried, &rep);
            if (fp16 && rep.kept_fp16_weights.size() == r.report.kept_fp16_weights.size()) break;  // beyond f16
            const double got = measure(q);
            const bool keep = holds(got);
            say("accuracy control: " + layer + " with " + (fp16 ? "f16" : "i8") + " weights (" +
                std::to_string(size) + " values) -> metric " + std::to_string(got) + (keep ? ", kept" : ", not kept"));
            if (!keep) continue;
            io = tried;
            r.quantized = std::move(q);
            r.report = rep;
            r.final_metric = got;
            (fp16 ? r.compressed_fp16 : r.compressed).push_back(layer);
            break;
        }
    return r;
}

/// quantize_int8_with_accuracy_control with the built-in metric: top-1 agreement with the FP32
/// model's own outputs on `validation` (FP32 scores 1 without being run again; max_drop 0.01 = one
/// position in a hundred).
template <class = void>
inline accuracy_control_result quantize_int8_with_accuracy_control(const model& fp32, const calibration_table& table,
                                                                   const std::vector<std::vector<tensor>>& validation,
                                                                   const accuracy_control_options& opt = {}) {
    MOIR_CHECK(!validation.empty(), error, "accuracy control needs at least one validation input set");
    const validation_outputs reference = run_validation(fp32, validation, opt.threads);
    return quantize_int8_with_accuracy_control(
        fp32, table, validation, [&](const validation_outputs& got) { return top1_agreement(got, reference); }, opt,
        1.0, &reference);
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_QUANTIZE_ACCURACY_CONTROL_HPP
