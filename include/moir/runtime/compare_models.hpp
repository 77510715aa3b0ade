#ifndef MOIR_RUNTIME_COMPARE_MODELS_HPP
#define MOIR_RUNTIME_COMPARE_MODELS_HPP

// Two models that should compute the same thing (before and after optimization, FP32 and FP16),
// run on the same random inputs by the reference runtime, and their largest output difference:
// what `moir convert --check N` prints.

#include <moir/core/model.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <algorithm>  // max
#include <cmath>      // fabs, isfinite
#include <cstddef>    // size_t
#include <cstdint>    // uint64_t
#include <string>     // string
#include <vector>     // vector

namespace moir {

/// The largest difference over all outputs and trials.
struct model_difference {
    double max_abs_err = 0;    ///< max |a - b| over every element of every output and trial
    double max_abs_ref = 0;    ///< max |a| of the reference model's outputs
    std::string worst_output;  ///< the output where max_abs_err was seen
    bool finite = true;        ///< false when an output of either model was NaN/inf where the other was not
    /// max_abs_err relative to max_abs_ref (0 when both are 0).
    double relative() const { return max_abs_ref > 0 ? max_abs_err / max_abs_ref : max_abs_err; }
};

/// A tensor of the Parameter's type and (static) shape filled with values uniform in [lo, hi) for
/// floats and integers in [0, 3) for integer types, from a fixed xorshift seed.
inline tensor random_input(element_type type, const shape& dims, std::uint64_t& seed, double lo = -1, double hi = 1) {
    tensor t(element_type::f64, dims);
    for (std::size_t i = 0; i < t.numel(); ++i) {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        const double u = static_cast<double>(seed >> 11) / 9007199254740992.0;  // [0, 1)
        t.data<double>()[i] = is_float(type) ? lo + (hi - lo) * u : static_cast<double>(static_cast<int>(u * 3));
    }
    return t.converted(type);
}

/// Runs `trials` random inputs through `reference` and `candidate` and returns their largest
/// difference. requires: both models have the same inputs (count, types) and outputs (count);
/// every input shape of `reference` is static. ensures: throws moir::error naming the input whose
/// shape is dynamic, or the output whose shapes differ.
template <class OpSet = opsets::all>
model_difference compare_models(const model& reference, const model& candidate, std::size_t trials,
                                 std::uint64_t seed = 0x9E3779B97F4A7C15ull) {
    MOIR_CHECK(reference.parameters.size() == candidate.parameters.size(), error,
               "the models have different input counts (" + std::to_string(reference.parameters.size()) + " and " +
                   std::to_string(candidate.parameters.size()) + ")");
    MOIR_CHECK(reference.results.size() == candidate.results.size(), error,
               "the models have different output counts (" + std::to_string(reference.results.size()) + " and " +
                   std::to_string(candidate.results.size()) + ")");
    const reference_executor<OpSet> ra(reference), rb(candidate);
    model_difference d;
    for (std::size_t t = 0; t < trials; ++t) {
        std::vector<tensor> in;
        for (std::size_t i = 0; i < reference.parameters.size(); ++i) {
            const auto& pa = reference.at(reference.parameters[i]).attrs_as<ops::parameter>();
            MOIR_CHECK(pa.shape.is_static(), error,
                       "input '" + reference.input_name(i) + "' has the dynamic shape " + pa.shape.str() +
                           ": random inputs need static shapes (give --input_shape)");
            in.push_back(random_input(pa.element_type, pa.shape.dims, seed));
        }
        const std::vector<tensor> a = ra.run(in), b = rb.run(in);
        for (std::size_t o = 0; o < a.size(); ++o) {
            MOIR_CHECK(a[o].dims() == b[o].dims(), error,
                       "output '" + reference.output_name(o) + "' has shape [" + to_string(a[o].dims()) +
                           "] before and [" + to_string(b[o].dims()) + "] after");
            if (a[o].type() == element_type::boolean || !is_float(a[o].type())) {
                for (std::size_t k = 0; k < a[o].numel(); ++k)
                    if (a[o].at_as<double>(k) != b[o].at_as<double>(k)) {
                        d.max_abs_err = std::max(d.max_abs_err, std::fabs(a[o].at_as<double>(k) - b[o].at_as<double>(k)));
                        d.worst_output = reference.output_name(o);
                    }
                continue;
            }
            for (std::size_t k = 0; k < a[o].numel(); ++k) {
                const double x = a[o].at_as<double>(k), y = b[o].at_as<double>(k);
                if (std::isfinite(x) != std::isfinite(y)) d.finite = false;
                if (!std::isfinite(x) || !std::isfinite(y)) continue;
                d.max_abs_ref = std::max(d.max_abs_ref, std::fabs(x));
                if (std::fabs(x - y) > d.max_abs_err) {
                    d.max_abs_err = std::fabs(x - y);
                    d.worst_output = reference.output_name(o);
                }
            }
        }
    }
    return d;
}

}  // namespace moir

#endif  // MOIR_RUNTIME_COMPARE_MODELS_HPP
