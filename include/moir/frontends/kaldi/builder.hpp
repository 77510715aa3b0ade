#ifndef MOIR_FRONTENDS_KALDI_BUILDER_HPP
#define MOIR_FRONTENDS_KALDI_BUILDER_HPP

// What the Kaldi converters build with: a small wrapper over moir::model that names each node after
// the Kaldi node being converted, infers shapes at once, and offers the few composite steps Kaldi
// components need (affine maps on [frames, dim] matrices, per-dim scale and shift, row selection).

#include <moir/core/model.hpp>
#include <moir/core/tensor.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/slice.hpp>

#include <cstdint>  // int64_t
#include <string>   // string, to_string
#include <utility>  // move
#include <vector>   // vector

namespace moir::kaldi {

/// Builds moir nodes for one Kaldi node at a time; `prefix` (the Kaldi node's name) names them.
struct graph_writer {
    model* m = nullptr;
    std::string prefix;
    int counter = 0;

    /// Adds an Op node named prefix + "/" + what (unique), infers its outputs, returns output 0.
    template <class Op>
    output_ref add(typename Op::attrs a, std::vector<output_ref> in, const std::string& what) {
        const node_id id = m->add<Op>(std::move(a), std::move(in), prefix + "/" + what + (counter++ ? "_" + std::to_string(counter) : ""));
        m->infer_node(id);
        return {id, 0};
    }
    output_ref constant(tensor t, const std::string& what) { return add<ops::constant>({std::move(t)}, {}, what); }
    output_ref ints(const std::vector<std::int64_t>& v, const std::string& what) { return constant(tensor::from_vector(v), what); }
    /// Dims of a value's static shape.
    const std::vector<std::int64_t>& dims(output_ref r) const { return m->port(r).shape.dims; }
    std::int64_t cols(output_ref r) const { return m->port(r).shape.dims.back(); }

    /// x [N, in] times w^T for w [out, in], plus b [out] when given. ensures: errors name the dims.
    output_ref affine(output_ref x, const tensor& w, const tensor* b, const std::string& component) {
        MOIR_CHECK(w.dims().size() == 2, parse_error, "component '" + component + "': the weight is not a matrix");
        MOIR_CHECK(w.dims()[1] == cols(x), shape_error,
                   "component '" + component + "': input dim " + std::to_string(cols(x)) + ", the weight matrix is " +
                       std::to_string(w.dims()[0]) + " x " + std::to_string(w.dims()[1]));
        output_ref y = add<ops::matmul>({false, true}, {x, constant(w, "weights")}, "matmul");
        if (b && b->numel() > 0) {
            MOIR_CHECK(static_cast<std::int64_t>(b->numel()) == w.dims()[0], shape_error,
                       "component '" + component + "': bias of " + std::to_string(b->numel()) + " values for " +
                           std::to_string(w.dims()[0]) + " outputs");
            y = add<ops::add>({}, {y, constant(*b, "bias")}, "bias_add");
        }
        return y;
    }
    /// x * scale + shift, per column (either may be empty).
    output_ref scale_shift(output_ref x, const std::vector<float>& scale, const std::vector<float>& shift) {
        if (!scale.empty()) x = add<ops::multiply>({}, {x, constant(tensor::from_vector(scale), "scale")}, "mul");
        if (!shift.empty()) x = add<ops::add>({}, {x, constant(tensor::from_vector(shift), "shift")}, "add");
        return x;
    }
    /// Rows [begin, end) of axis `axis`.
    output_ref slice(output_ref x, std::int64_t begin, std::int64_t end, std::int64_t axis, const std::string& what) {
        return add<ops::slice>({}, {x, ints({begin}, what + "_begin"), ints({end}, what + "_end"), ints({1}, what + "_step"), ints({axis}, what + "_axis")}, what);
    }
    /// The rows of x listed (as they come) along axis 0.
    output_ref rows(output_ref x, const std::vector<std::int64_t>& idx, const std::string& what) {
        return add<ops::gather>({0}, {x, ints(idx, what + "_indices"), ints({0}, what + "_axis")}, what);
    }
    output_ref concat(std::vector<output_ref> parts, std::int64_t axis, const std::string& what) {
        if (parts.size() == 1) return parts[0];
        return add<ops::concat>({axis}, std::move(parts), what);
    }
};

}  // namespace moir::kaldi

#endif  // MOIR_FRONTENDS_KALDI_BUILDER_HPP
