#ifndef MOIR_PASSES_QUANTIZE_CALIBRATE_INT8_HPP
#define MOIR_PASSES_QUANTIZE_CALIBRATE_INT8_HPP

// INT8 calibration: runs calibration inputs through an FP32 model and collects, per tensor, the
// statistics of every activation that enters a quantizable layer (passes/quantize/int8_layers.hpp):
// its minimum, its maximum, and a histogram of |x| for the percentile method. From them it chooses
// each tensor's range (activation_range), which quantize_int8 turns into FakeQuantize ranges.
//
// How: a copy of the model gets one extra Result per collected tensor and runs through moir's
// compiled plan (runtime::plan_cache), which compiles again whenever the input shapes change, so
// calibration inputs may differ in shape (text lines of different widths). Memory stays bounded:
// per tensor two numbers and a fixed-size histogram, whatever the number of inputs (and, for
// tensors of rank >= 3, the extremes of each channel, for channel smoothing).
//
// Methods:
//  - minmax: the range is [min, max] over every value seen.
//  - percentile (the default): the range is [min, max] clipped to [-t, t], t the `percentile`-th
//    percentile of |x| (99.99 by default) read from the histogram (upper edge of the bin reached).
//    The default because activations after unbounded ops have long tails: a handful of outliers
//    would otherwise stretch the 256 levels over values that almost never occur, and the bulk of
//    the distribution would get a few levels only. With few calibration values (under 10^4 per
//    tensor) the percentile is the maximum and the two methods agree.
//  - mse: [min, max] clipped to [-t, t], t the bin edge that minimizes the estimated squared error
//    of 256 levels (rounding noise inside, clipping beyond; activation_stats::abs_mse_clip).

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/result.hpp>
#include <moir/passes/quantize/int8_layers.hpp>
#include <moir/runtime/plan.hpp>

#include <algorithm>   // max, min, sort
#include <cmath>       // fabs, isfinite
#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <functional>  // function
#include <limits>      // numeric_limits
#include <map>         // map
#include <string>      // string
#include <utility>     // move, pair
#include <vector>      // vector

namespace moir::passes {

/// How calibration turns statistics into a range. See the file comment.
enum class calibration_method { minmax, percentile, mse };

/// Options of calibrate_int8.
struct calibration_options {
    calibration_method method = calibration_method::percentile;
    double percentile = 99.99;  ///< of |x|, for calibration_method::percentile; in (0, 100]
    std::size_t bins = 2048;    ///< histogram bins per tensor
    /// Called after each calibration input as progress(done, total); may be empty.
    std::function<void(std::size_t, std::size_t)> progress;
    runtime::plan_options plan;  ///< threads, arch of the compiled plan that runs the inputs
};

/// Running statistics of one tensor: min, max, count and a histogram of |x| over [0, range) whose
/// range doubles (pairs of bins merging) when a larger value arrives. Non-finite values are counted
/// apart and otherwise ignored.
class activation_stats {
public:
    explicit activation_stats(std::size_t bins = 2048) : hist_(bins < 2 ? 2 : bins, 0) {}

    /// Adds n values. requires: x points at n floats.
    void add(const float* x, std::size_t n) {
        float lo = min_, hi = max_, big = 0.f;
        for (std::size_t i = 0; i < n; ++i) {
            const float v = x[i];
            if (!std::isfinite(v)) {
                ++non_finite_;
                continue;
            }
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            const float a = std::fabs(v);
            big = a > big ? a : big;
        }
        if (big > 0.f) grow(big);
        const std::size_t bins = hist_.size();
        const double per = range_ > 0 ? static_cast<double>(bins) / range_ : 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const float v = x[i];
            if (!std::isfinite(v)) continue;
            std::size_t b = static_cast<std::size_t>(std::fabs(v) * per);
            hist_[b < bins ? b : bins - 1]++;
        }
        min_ = lo;
        max_ = hi;
        count_ += n;
    }

    double min() const { return count_ > non_finite_ ? min_ : 0.0; }
    double max() const { return count_ > non_finite_ ? max_ : 0.0; }
    std::uint64_t count() const { return count_; }
    std::uint64_t non_finite() const { return non_finite_; }
    /// The p-th percentile of |x| (upper edge of the bin where the cumulative count reaches p%),
    /// never above max|x|. requires: 0 < p <= 100.
    double abs_percentile(double p) const {
        const double maxabs = std::max(std::fabs(min()), std::fabs(max()));
        std::uint64_t total = 0;
        for (auto c : hist_) total += c;
        if (total == 0 || range_ <= 0) return maxabs;
        const double target = p / 100.0 * static_cast<double>(total);
        std::uint64_t cum = 0;
        for (std::size_t b = 0; b < hist_.size(); ++b) {
            cum += hist_[b];
            if (static_cast<double>(cum) >= target)
                return std::min(maxabs, static_cast<double>(b + 1) * range_ / static_cast<double>(hist_.size()));
        }
        return maxabs;
    }

    /// The clipping threshold t on |x| that minimizes the estimated mean squared error of 256-level
    /// quantization over [max(min, -t), min(max, t)] (0 as the low end when min >= 0): values
    /// inside cost step^2 / 12 (uniform rounding noise, step = range / 255), values beyond t cost
    /// (|x| - t)^2; candidates are the histogram's bin edges (each bin's values at its centre).
    double abs_mse_clip() const {
        const double maxabs = std::max(std::fabs(min()), std::fabs(max()));
        const std::size_t bins = hist_.size();
        if (range_ <= 0 || maxabs <= 0) return maxabs;
        const double w = range_ / static_cast<double>(bins);
        // suffix sums over bins > j of n, n*c, n*c^2
        std::vector<double> s0(bins + 1, 0.0), s1(bins + 1, 0.0), s2(bins + 1, 0.0);
        for (std::size_t b = bins; b-- > 0;) {
            const double n = static_cast<double>(hist_[b]), c = (static_cast<double>(b) + 0.5) * w;
            s0[b] = s0[b + 1] + n, s1[b] = s1[b + 1] + n * c, s2[b] = s2[b + 1] + n * c * c;
        }
        double best_t = maxabs, best = -1.0;
        for (std::size_t j = 0; j < bins; ++j) {
            const double t = std::min(maxabs, static_cast<double>(j + 1) * w);
            const double lo = min() >= 0 ? 0.0 : std::max(min(), -t), hi = std::min(max(), t);
            const double step = std::max(hi - lo, 0.0) / 255.0;
            const double inside = s0[0] - s0[j + 1];
            const double err = inside * step * step / 12.0 + (s2[j + 1] - 2.0 * t * s1[j + 1] + t * t * s0[j + 1]);
            if (best < 0 || err < best) best = err, best_t = t;
            if (t >= maxabs) break;
        }
        return best_t;
    }

private:
    /// Makes the histogram cover [0, v]: the first nonzero value sets the range, later ones double it.
    void grow(double v) {
        if (range_ <= 0) {
            range_ = v * (1.0 + 1e-6);  // zeros seen so far stay in bin 0
            return;
        }
        while (range_ <= v) {
            const std::size_t h = hist_.size() / 2;
            for (std::size_t b = 0; b < h; ++b) hist_[b] = hist_[2 * b] + hist_[2 * b + 1];
            if (hist_.size() % 2) hist_[h - 1] += hist_.back();
            std::fill(hist_.begin() + static_cast<std::ptrdiff_t>(h), hist_.end(), 0);
            range_ *= 2.0;
        }
    }

    std::vector<std::uint64_t> hist_;
    double range_ = 0.0;
    float min_ = std::numeric_limits<float>::infinity(), max_ = -std::numeric_limits<float>::infinity();
    std::uint64_t count_ = 0, non_finite_ = 0;
};

/// The extremes of each channel (axis 1) of a tensor of rank >= 3 (N, C, spatial...), over every
/// value seen; non-finite values are ignored.
class channel_extremes {
public:
    /// Adds one tensor of dims d. requires: x points at numel(d) floats; d of rank >= 3. A tensor
    /// whose axis 1 changes length between calls (not a channel axis) ends with no extremes.
    void add(const float* x, const shape& d) {
        const auto c = static_cast<std::size_t>(d[1]);
        if (!valid_) return;
        if (min_.empty()) {
            min_.assign(c, std::numeric_limits<float>::infinity());
            max_.assign(c, -std::numeric_limits<float>::infinity());
        }
        if (min_.size() != c) {
            valid_ = false;
            min_.clear(), max_.clear();
            return;
        }
        const std::size_t n = static_cast<std::size_t>(d[0]), plane = c ? numel(d) / (n * c) : 0;
        for (std::size_t i = 0; i < n * c; ++i) {
            float lo = min_[i % c], hi = max_[i % c];
            const float* p = x + i * plane;
            for (std::size_t j = 0; j < plane; ++j) {
                const float v = p[j];
                if (!std::isfinite(v)) continue;
                lo = v < lo ? v : lo;
                hi = v > hi ? v : hi;
            }
            min_[i % c] = lo, max_[i % c] = hi;
        }
    }
    /// Per channel (empty when the axis changed length); +inf / -inf for a channel that held no
    /// finite value.
    const std::vector<float>& min() const { return min_; }
    const std::vector<float>& max() const { return max_; }

private:
    std::vector<float> min_, max_;
    bool valid_ = true;
};

/// The range calibration chose for one tensor, and what was seen.
struct activation_range {
    double low = 0.0, high = 0.0;  ///< the range to quantize to (clipped by the method)
    double min = 0.0, max = 0.0;   ///< the extremes seen
    std::uint64_t count = 0;       ///< values seen
    /// The extremes of each channel (axis 1) for tensors of rank >= 3, else empty: what channel
    /// smoothing (int8_options::smooth_alpha) balances. A channel without finite values: 0, 0.
    std::vector<float> channel_min, channel_max;
};

/// Calibrated ranges by tensor (an output of the calibrated model; quantize_int8 takes the same
/// model, so the refs stay valid).
using calibration_table = std::map<output_ref, activation_range>;

/// The tensors INT8 quantizes, in topological order, each once: the f32 non-constant activation
/// inputs of the quantizable layers of m (int8_layers), skipping layers whose required weights are
/// not an f32 constant.
template <class = void>
inline std::vector<output_ref> quantizable_activations(const model& m) {
    std::vector<output_ref> out;
    for (node_id id : m.topo_order()) {
        const node& n = m.nodes[id];
        const int8_layer_info L = int8_layer_of(n);
        if (!L.quantizable) continue;
        if (L.weights_required) {
            if (L.weights >= n.inputs.size()) continue;
            const node& w = m.nodes[n.inputs[L.weights].node];
            if (!w.is<ops::constant>() || w.attrs_as<ops::constant>().value.type() != element_type::f32) continue;
        }
        for (std::size_t port : L.activations) {
            if (port >= n.inputs.size()) continue;
            const output_ref r = n.inputs[port];
            if (m.nodes[r.node].is<ops::constant>() || m.port(r).type != element_type::f32) continue;
            if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
        }
    }
    return out;
}

/// The range of one tensor by the method. See the file comment.
template <class = void>
inline activation_range range_of(const activation_stats& s, const calibration_options& opt) {
    activation_range r;
    r.min = s.min();
    r.max = s.max();
    r.count = s.count();
    r.low = r.min;
    r.high = r.max;
    if (opt.method == calibration_method::percentile) {
        const double t = s.abs_percentile(opt.percentile);
        r.low = std::max(r.low, -t);
        r.high = std::min(r.high, t);
    } else if (opt.method == calibration_method::mse) {
        const double t = s.abs_mse_clip();
        r.low = std::max(r.low, -t);
        r.high = std::min(r.high, t);
    }
    return r;
}

/// Runs `count` calibration input sets (input(i) gives set i, one tensor per model input, in
/// model::parameters order) through m and returns the range of every quantizable activation.
/// requires: m is an f32 model the plan can run for each set's shapes; count > 0.
/// ensures: one entry per quantizable_activations(m); progress called after each set; throws
/// moir::error naming the set when a run fails (wrong number, shape or type of inputs).
template <class = void>
inline calibration_table calibrate_int8(const model& m, std::size_t count,
                                        const std::function<std::vector<tensor>(std::size_t)>& input,
                                        const calibration_options& opt = {}) {
    MOIR_CHECK(count > 0, error, "calibration needs at least one input set");
    MOIR_CHECK(opt.percentile > 0.0 && opt.percentile <= 100.0, error,
               "the calibration percentile must be in (0, 100], it is " + std::to_string(opt.percentile));
    const std::vector<output_ref> taps = quantizable_activations(m);
    calibration_table table;
    if (taps.empty()) return table;
    model probe = m;
    const std::size_t first = probe.results.size();
    for (std::size_t i = 0; i < taps.size(); ++i)
        probe.results.push_back(probe.add<ops::result>({}, {taps[i]}, "calibration_tap_" + std::to_string(i)));
    probe.validate();
    std::vector<activation_stats> stats(taps.size(), activation_stats(opt.bins));
    std::vector<channel_extremes> channels(taps.size());
    runtime::plan_cache plans(std::move(probe), opt.plan);
    for (std::size_t s = 0; s < count; ++s) {
        std::vector<tensor> in = input(s);
        std::vector<tensor> out;
        try {
            out = plans.run(in);
        } catch (const error& e) {
            throw error("calibration input set " + std::to_string(s + 1) + " of " + std::to_string(count) + ": " + e.what());
        }
        for (std::size_t i = 0; i < taps.size(); ++i) {
            const tensor& t = out.at(first + i);
            stats[i].add(t.data<float>(), t.numel());
            if (t.dims().size() >= 3) channels[i].add(t.data<float>(), t.dims());
        }
        if (opt.progress) opt.progress(s + 1, count);
    }
    for (std::size_t i = 0; i < taps.size(); ++i) {
        activation_range r = range_of(stats[i], opt);
        r.channel_min = channels[i].min();
        r.channel_max = channels[i].max();
        for (std::size_t c = 0; c < r.channel_min.size(); ++c)
            if (!(r.channel_min[c] <= r.channel_max[c])) r.channel_min[c] = r.channel_max[c] = 0.0f;
        table[taps[i]] = std::move(r);
    }
    return table;
}

/// calibrate_int8 over input sets held in memory.
template <class = void>
inline calibration_table calibrate_int8(const model& m, const std::vector<std::vector<tensor>>& sets,
                                        const calibration_options& opt = {}) {
    return calibrate_int8(
        m, sets.size(), [&](std::size_t i) { return sets[i]; }, opt);
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_QUANTIZE_CALIBRATE_INT8_HPP
