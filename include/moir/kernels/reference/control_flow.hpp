#ifndef MOIR_KERNELS_REFERENCE_CONTROL_FLOW_HPP
#define MOIR_KERNELS_REFERENCE_CONTROL_FLOW_HPP

// The reference kernels of the ops that own bodies (If, Loop, TensorIterator). They do not compute
// outputs themselves: `run_bodies` decides which body runs on what, and calls back the executor
// (`body_runner`) to run a body. Their plain `run` is never called (the executors route these ops
// through run_bodies) and says so.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/kernels/kernel.hpp>
#include <moir/ops/if.hpp>
#include <moir/ops/loop.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/tensor_iterator.hpp>

#include <algorithm>   // reverse
#include <cstddef>     // size_t, byte
#include <cstdint>     // int64_t
#include <cstring>     // memcpy
#include <functional>  // function
#include <string>      // string, to_string
#include <vector>      // vector

namespace moir::kernels {

/// Runs body `b` (an index into node::bodies) on these Parameter values; returns its Results.
using body_runner = std::function<std::vector<tensor>(std::size_t b, const std::vector<tensor>& in)>;

namespace detail {
[[noreturn]] inline void runs_through_bodies(const char* op) {
    throw error(std::string("an ") + op + " runs through its bodies (reference_executor / evaluate_node), not a plain kernel");
}

/// Slice i (size 1, the axis kept) of t along axis.
inline tensor slice_at(const tensor& t, std::size_t axis, std::int64_t i) {
    shape d = t.dims();
    const auto len = d.at(axis);
    d[axis] = 1;
    tensor s(t.type(), d);
    if (s.numel() == 0) return s;
    std::size_t outer = 1, inner = size_of(t.type());
    for (std::size_t k = 0; k < axis; ++k) outer *= static_cast<std::size_t>(t.dims()[k]);
    for (std::size_t k = axis + 1; k < t.rank(); ++k) inner *= static_cast<std::size_t>(t.dims()[k]);
    const auto* src = static_cast<const std::byte*>(t.raw());
    auto* dst = static_cast<std::byte*>(s.raw());
    for (std::size_t o = 0; o < outer; ++o)
        std::memcpy(dst + o * inner, src + (o * static_cast<std::size_t>(len) + static_cast<std::size_t>(i)) * inner, inner);
    return s;
}

/// The parts joined along axis. requires: parts non-empty, equal types and dims except along axis.
inline tensor concat_along(const std::vector<tensor>& parts, std::size_t axis) {
    shape d = parts.at(0).dims();
    MOIR_CHECK(axis < d.size(), error, "concatenation axis " + std::to_string(axis) + " of a rank-" +
                                           std::to_string(d.size()) + " body output");
    std::int64_t total = 0;
    for (const auto& p : parts) {
        MOIR_CHECK(p.type() == parts[0].type() && p.rank() == d.size(), error,
                   "the iterations' values of a concatenated output differ in type or rank");
        for (std::size_t k = 0; k < d.size(); ++k)
            MOIR_CHECK(k == axis || p.dims()[k] == d[k], error,
                       "the iterations' values of a concatenated output differ in shape: [" + to_string(p.dims()) +
                           "] and [" + to_string(d) + "]");
        total += p.dims()[axis];
    }
    d[axis] = total;
    tensor out(parts[0].type(), d);
    if (out.numel() == 0) return out;
    std::size_t outer = 1, inner = size_of(out.type());
    for (std::size_t k = 0; k < axis; ++k) outer *= static_cast<std::size_t>(d[k]);
    for (std::size_t k = axis + 1; k < d.size(); ++k) inner *= static_cast<std::size_t>(d[k]);
    auto* dst = static_cast<std::byte*>(out.raw());
    std::size_t offset = 0;  // along axis, in rows of `inner` bytes
    for (const auto& p : parts) {
        const std::size_t len = static_cast<std::size_t>(p.dims()[axis]);
        if (p.numel() == 0) continue;
        const auto* src = static_cast<const std::byte*>(p.raw());
        for (std::size_t o = 0; o < outer; ++o)
            std::memcpy(dst + (o * static_cast<std::size_t>(total) + offset) * inner, src + o * len * inner, len * inner);
        offset += len;
    }
    return out;
}

/// The iteration number as body Parameter j expects it (its type, scalar or one element).
inline tensor iteration_value(const model& body, std::size_t j, std::int64_t i) {
    const auto& pa = body.at(body.parameters.at(j)).attrs_as<ops::parameter>();
    tensor t = tensor::scalar<std::int64_t>(i).converted(pa.element_type);
    if (!pa.shape.rank_dynamic && pa.shape.rank() == 1) t = t.reshaped(shape{1});
    return t;
}

/// The common loop: TensorIterator (trip < 0, no condition, length from the sliced inputs) and Loop.
/// ensures: throws moir::error when the sliced inputs disagree in length, a body Result changes type,
/// or an output has no value because no iteration ran.
inline std::vector<tensor> run_loop(const ops::loop_ports& a, const model& body, const std::vector<tensor>& in,
                                    std::int64_t trip, bool cond, const body_runner& run_body) {
    ops::detail::check_loop_ports(a, body, in.size());
    const std::size_t np = a.input_external.size();
    std::int64_t length = -1;  // of the sliced inputs
    for (std::size_t j = 0; j < np; ++j) {
        if (a.input_axis[j] < 0 || static_cast<std::int64_t>(j) == a.current_iteration) continue;
        const tensor& t = in.at(static_cast<std::size_t>(a.input_external[j]));
        MOIR_CHECK(static_cast<std::size_t>(a.input_axis[j]) < t.rank(), error,
                   "body parameter " + std::to_string(j) + " is sliced along a missing axis");
        const auto d = t.dims()[static_cast<std::size_t>(a.input_axis[j])];
        MOIR_CHECK(length < 0 || length == d, error,
                   "the sliced inputs have lengths " + std::to_string(length) + " and " + std::to_string(d));
        length = d;
    }
    std::vector<tensor> cur(np);
    for (std::size_t j = 0; j < np; ++j)
        if (a.input_axis[j] < 0 && static_cast<std::int64_t>(j) != a.current_iteration)
            cur[j] = in.at(static_cast<std::size_t>(a.input_external[j]));
    const std::size_t no = a.output_result.size();
    std::vector<tensor> last(no);
    std::vector<std::vector<tensor>> parts(no);
    std::vector<tensor> bin(np);
    std::int64_t i = 0;
    for (; cond && (trip < 0 || i < trip) && (length < 0 || i < length); ++i) {
        for (std::size_t j = 0; j < np; ++j) {
            if (static_cast<std::int64_t>(j) == a.current_iteration) {
                bin[j] = iteration_value(body, j, i);
            } else if (a.input_axis[j] >= 0) {
                const tensor& t = in[static_cast<std::size_t>(a.input_external[j])];
                bin[j] = slice_at(t, static_cast<std::size_t>(a.input_axis[j]), a.input_stride[j] < 0 ? length - 1 - i : i);
            } else {
                bin[j] = cur[j];
            }
        }
        std::vector<tensor> out = run_body(0, bin);
        MOIR_CHECK(out.size() == body.results.size(), error, "the body gave a wrong number of results");
        if (a.condition >= 0) {
            const tensor& c = out[static_cast<std::size_t>(a.condition)];
            MOIR_CHECK(c.numel() >= 1, error, "the body's condition is empty");
            cond = c.at_as<bool>(0);
        }
        for (std::size_t j = 0; j < np; ++j)
            if (a.input_back_edge[j] >= 0) cur[j] = out[static_cast<std::size_t>(a.input_back_edge[j])];
        for (std::size_t k = 0; k < no; ++k) {
            const tensor& v = out[static_cast<std::size_t>(a.output_result[k])];
            if (a.output_axis[k] < 0) last[k] = v;
            else parts[k].push_back(v);
        }
    }
    std::vector<tensor> result(no);
    for (std::size_t k = 0; k < no; ++k) {
        if (a.output_axis[k] < 0) {
            if (i == 0) {  // no iteration: a loop-carried output is its initial value
                for (std::size_t j = 0; j < np && last[k].empty(); ++j)
                    if (a.input_back_edge[j] == a.output_result[k] && a.input_axis[j] < 0 && a.input_external[j] >= 0)
                        last[k] = in.at(static_cast<std::size_t>(a.input_external[j]));
                MOIR_CHECK(!last[k].empty(), error,
                           "output " + std::to_string(k) + " has no value: the loop ran no iteration");
            }
            result[k] = last[k];
        } else if (parts[k].empty()) {  // no iteration: an empty concatenation, when the shape is known
            const auto& p = body.port(body.output(static_cast<std::size_t>(a.output_result[k])));
            MOIR_CHECK(!p.shape.rank_dynamic && static_cast<std::size_t>(a.output_axis[k]) < p.shape.rank(), error,
                       "output " + std::to_string(k) + " has no shape: the loop ran no iteration");
            shape d(p.shape.dims.size());
            for (std::size_t q = 0; q < d.size(); ++q) d[q] = p.shape.dims[q] < 0 ? 0 : p.shape.dims[q];
            d[static_cast<std::size_t>(a.output_axis[k])] = 0;
            result[k] = tensor(p.type, d);
        } else {
            if (a.output_stride[k] < 0) std::reverse(parts[k].begin(), parts[k].end());
            result[k] = concat_along(parts[k], static_cast<std::size_t>(a.output_axis[k]));
        }
    }
    return result;
}
}  // namespace detail

template <>
struct reference_kernel<ops::if_op> {
    static constexpr bool available = true;
    static void run(const ops::if_op::attrs&, const std::vector<tensor>&, std::vector<tensor>&) {
        detail::runs_through_bodies("If");
    }
    /// ensures: the Results of the then body when input 0's first element is nonzero, else the else body's.
    static std::vector<tensor> run_bodies(const ops::if_op::attrs& a, const body_list&, const std::vector<tensor>& in,
                                          const body_runner& run_body) {
        MOIR_CHECK(!in.empty() && in[0].numel() >= 1, error, "the condition is empty");
        const bool c = in[0].at_as<bool>(0);
        std::vector<tensor> bin;
        for (auto k : c ? a.then_inputs : a.else_inputs) bin.push_back(in.at(static_cast<std::size_t>(k)));
        return run_body(c ? 0 : 1, bin);
    }
};

template <>
struct reference_kernel<ops::loop> {
    static constexpr bool available = true;
    static void run(const ops::loop::attrs&, const std::vector<tensor>&, std::vector<tensor>&) {
        detail::runs_through_bodies("Loop");
    }
    static std::vector<tensor> run_bodies(const ops::loop::attrs& a, const body_list& b, const std::vector<tensor>& in,
                                          const body_runner& run_body) {
        MOIR_CHECK(b.size() == 1 && b[0] && in.size() >= 2, error, "a Loop needs one body, a trip count and a condition");
        const std::int64_t trip = in[0].empty() || in[0].numel() == 0 ? -1 : in[0].at_as<std::int64_t>(0);
        const bool cond = in[1].empty() || in[1].numel() == 0 ? true : in[1].at_as<bool>(0);
        return detail::run_loop(a, *b[0], in, trip, cond, run_body);
    }
};

template <>
struct reference_kernel<ops::tensor_iterator> {
    static constexpr bool available = true;
    static void run(const ops::tensor_iterator::attrs&, const std::vector<tensor>&, std::vector<tensor>&) {
        detail::runs_through_bodies("TensorIterator");
    }
    static std::vector<tensor> run_bodies(const ops::tensor_iterator::attrs& a, const body_list& b,
                                          const std::vector<tensor>& in, const body_runner& run_body) {
        MOIR_CHECK(b.size() == 1 && b[0], error, "a TensorIterator needs one body");
        return detail::run_loop(a, *b[0], in, -1, true, run_body);
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_CONTROL_FLOW_HPP
