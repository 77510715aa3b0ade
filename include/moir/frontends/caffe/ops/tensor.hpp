#ifndef MOIR_FRONTENDS_CAFFE_OPS_TENSOR_HPP
#define MOIR_FRONTENDS_CAFFE_OPS_TENSOR_HPP

// Caffe's blob-free layers: activations (ReLU with negative_slope, ELU, Sigmoid, TanH, AbsVal,
// Power), Dropout (removed: the output is the input), Eltwise (SUM with coeff, PROD, MAX), Concat,
// Split, Slice, Flatten, Reshape, Permute, Softmax, ArgMax (TopK; indices as floats, as Caffe's
// blobs hold them) and MVN (mean, and with normalize_variance the deviation, over each channel's
// plane or, across_channels, the whole instance; eps added to the deviation, as Caffe does).

#include <moir/frontends/caffe/converter.hpp>
#include <moir/frontends/caffe/ops/nn.hpp>
#include <moir/ops/abs.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/elu.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/mvn.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/prelu.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/sigmoid.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/tanh.hpp>
#include <moir/ops/top_k.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/ops/variadic_split.hpp>

#include <algorithm>  // max
#include <cstdint>    // int64_t
#include <string>     // string, to_string
#include <utility>    // pair
#include <vector>     // vector

namespace moir::caffe {

namespace detail {
inline output_ref scalar_const(context& c, float v, const std::string& suffix) {
    return c.constant(tensor::scalar(v), suffix);
}

inline void relu(context& c) {
    const float slope = c.attr<float>("relu_param.negative_slope", 0.0f);
    if (slope == 0.0f) c.set_output(0, c.add<ops::relu>({}, {c.input(0)}));
    else c.set_output(0, c.add<ops::prelu>({}, {c.input(0), c.constant(tensor::from_vector(std::vector<float>{slope}), "/slope")}));
}

/// Power: y = (shift + scale * x) ^ power, each step only where it changes something.
inline void power(context& c) {
    const float pw = c.attr<float>("power_param.power", 1.0f), sc = c.attr<float>("power_param.scale", 1.0f),
                sh = c.attr<float>("power_param.shift", 0.0f);
    output_ref y = c.input(0);
    if (sc != 1.0f) y = c.add<ops::multiply>({}, {y, scalar_const(c, sc, "/scale")}, "/mul");
    if (sh != 0.0f) y = c.add<ops::add>({}, {y, scalar_const(c, sh, "/shift")}, "/add");
    if (pw != 1.0f) y = c.add<ops::power>({}, {y, scalar_const(c, pw, "/power")}, "/pow");
    c.set_output(0, y);
}

inline void eltwise(context& c) {
    const prototext::message& p = c.param("eltwise_param");
    const std::string op = p.get_enum("operation", "SUM");
    const std::vector<double> coeff = p.get_floats("coeff");
    MOIR_CHECK(c.input_count() >= 2, error, "Eltwise needs at least 2 bottoms");
    MOIR_CHECK(coeff.empty() || coeff.size() == c.input_count(), error,
               "eltwise_param has " + std::to_string(coeff.size()) + " coeff values for " +
                   std::to_string(c.input_count()) + " bottoms");
    MOIR_CHECK(coeff.empty() || op == "SUM", error, "coeff applies to the SUM operation only");
    const auto term = [&](std::size_t i) {
        output_ref x = c.input(i);
        if (!coeff.empty() && coeff[i] != 1.0)
            x = c.add<ops::multiply>({}, {x, scalar_const(c, static_cast<float>(coeff[i]), "/coeff" + std::to_string(i))},
                                     "/mul" + std::to_string(i));
        return x;
    };
    output_ref y = term(0);
    for (std::size_t i = 1; i < c.input_count(); ++i) {
        const std::string sfx = i + 1 == c.input_count() ? "" : "/" + std::to_string(i);
        if (op == "SUM") y = c.add<ops::add>({}, {y, term(i)}, sfx);
        else if (op == "PROD") y = c.add<ops::multiply>({}, {y, c.input(i)}, sfx);
        else if (op == "MAX") y = c.add<ops::maximum>({}, {y, c.input(i)}, sfx);
        else throw unsupported_error("Eltwise operation " + op + " is not supported");
    }
    c.set_output(0, y);
}

inline void concat(context& c) {
    const std::size_t rank = c.input_dims(0).size();
    const std::int64_t a = c.has_param("concat_param.concat_dim") && !c.has_param("concat_param.axis")
                               ? c.attr<std::int64_t>("concat_param.concat_dim", 1)
                               : c.attr<std::int64_t>("concat_param.axis", 1);
    std::vector<output_ref> in;
    for (std::size_t i = 0; i < c.input_count(); ++i) in.push_back(c.input(i));
    if (in.size() == 1) return c.set_output(0, in[0]);
    c.set_output(0, c.add<ops::concat>({static_cast<std::int64_t>(axis_of(a, rank, "concat axis"))}, in));
}

inline void slice(context& c) {
    const shape x = c.input_dims(0);
    const std::int64_t a = c.has_param("slice_param.slice_dim") && !c.has_param("slice_param.axis")
                               ? c.attr<std::int64_t>("slice_param.slice_dim", 1)
                               : c.attr<std::int64_t>("slice_param.axis", 1);
    const std::size_t axis = axis_of(a, x.size(), "slice axis");
    const auto points = c.attr<std::vector<std::int64_t>>("slice_param.slice_point", {});
    const std::size_t n = c.output_count();
    std::vector<std::int64_t> lengths;
    if (points.empty()) {
        MOIR_CHECK(n > 0 && x[axis] % static_cast<std::int64_t>(n) == 0, error,
                   "the axis (" + std::to_string(x[axis]) + ") does not split into " + std::to_string(n) + " equal parts");
        lengths.assign(n, x[axis] / static_cast<std::int64_t>(n));
    } else {
        MOIR_CHECK(points.size() + 1 == n, error,
                   std::to_string(points.size()) + " slice points for " + std::to_string(n) + " tops");
        std::int64_t prev = 0;
        for (auto p : points) {
            MOIR_CHECK(p > prev && p < x[axis], error, "slice points must increase inside the axis");
            lengths.push_back(p - prev);
            prev = p;
        }
        lengths.push_back(x[axis] - prev);
    }
    const node_id s = c.add_node<ops::variadic_split>(
        {}, {c.input(0), c.constant(tensor::scalar(static_cast<std::int64_t>(axis)), "/axis"), c.constant_i64(lengths, "/lengths")});
    for (std::size_t i = 0; i < n; ++i) c.set_output(i, {s, i});
}

inline void reshape_to(context& c, const shape& target) {
    c.set_output(0, c.add<ops::reshape>({false}, {c.input(0), c.constant_i64(target, "/shape")}));
}

inline void flatten(context& c) {
    const shape x = c.input_dims(0);
    const std::size_t a = axis_of(c.attr<std::int64_t>("flatten_param.axis", 1), x.size(), "flatten_param.axis");
    const std::size_t e = axis_of(c.attr<std::int64_t>("flatten_param.end_axis", -1), x.size(), "flatten_param.end_axis");
    MOIR_CHECK(e >= a, error, "end_axis is before axis");
    shape t(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(a));
    std::int64_t m = 1;
    for (std::size_t i = a; i <= e; ++i) m *= x[i];
    t.push_back(m);
    t.insert(t.end(), x.begin() + static_cast<std::ptrdiff_t>(e + 1), x.end());
    reshape_to(c, t);
}

/// Reshape: reshape_param.shape replaces dims [axis, axis + num_axes) (all by default); 0 copies
/// the input dim, one -1 is inferred.
inline void reshape(context& c) {
    const shape x = c.input_dims(0);
    const auto dims = c.attr<std::vector<std::int64_t>>("reshape_param.shape.dim", {});
    std::int64_t axis = c.attr<std::int64_t>("reshape_param.axis", 0);
    const std::int64_t num_axes = c.attr<std::int64_t>("reshape_param.num_axes", -1);
    const std::int64_t r = static_cast<std::int64_t>(x.size());
    if (axis < 0) axis += r + 1;
    MOIR_CHECK(axis >= 0 && axis <= r, error, "reshape_param.axis is out of range");
    const std::int64_t end = num_axes < 0 ? r : axis + num_axes;
    MOIR_CHECK(end <= r, error, "reshape_param.axis + num_axes exceeds the input's rank");
    shape t(x.begin(), x.begin() + axis);
    std::int64_t known = 1, infer = -1;
    for (std::size_t i = 0; i < dims.size(); ++i) {
        std::int64_t d = dims[i];
        if (d == 0) {
            MOIR_CHECK(axis + static_cast<std::int64_t>(i) < r, error, "a 0 in reshape_param.shape copies a dim the input lacks");
            d = x[static_cast<std::size_t>(axis) + i];
        }
        if (d == -1) {
            MOIR_CHECK(infer < 0, error, "reshape_param.shape has more than one -1");
            infer = static_cast<std::int64_t>(t.size());
        } else {
            MOIR_CHECK(d > 0, error, "reshape_param.shape has a bad dim " + std::to_string(d));
            known *= d;
        }
        t.push_back(d);
    }
    t.insert(t.end(), x.begin() + end, x.end());
    std::int64_t total = 1, rest = 1;
    for (auto d : x) total *= d;
    for (std::size_t i = 0; i < t.size(); ++i)
        if (static_cast<std::int64_t>(i) != infer) rest *= t[i];
    (void)known;
    if (infer >= 0) {
        MOIR_CHECK(rest > 0 && total % rest == 0, error, "the -1 in reshape_param.shape cannot be inferred");
        t[static_cast<std::size_t>(infer)] = total / rest;
    } else {
        MOIR_CHECK(rest == total, error, "reshape_param.shape has " + std::to_string(rest) + " elements, the input " + std::to_string(total));
    }
    reshape_to(c, t);
}

inline void permute(context& c) {
    const shape x = c.input_dims(0);
    std::vector<std::int64_t> order = c.attr<std::vector<std::int64_t>>("permute_param.order", {});
    std::vector<bool> used(x.size(), false);
    for (auto o : order) {
        MOIR_CHECK(o >= 0 && o < static_cast<std::int64_t>(x.size()) && !used[static_cast<std::size_t>(o)], error,
                   "permute_param.order is not a permutation of the input's axes");
        used[static_cast<std::size_t>(o)] = true;
    }
    for (std::size_t i = 0; i < x.size(); ++i)
        if (!used[i]) order.push_back(static_cast<std::int64_t>(i));  // Caffe appends the axes not named
    c.set_output(0, c.add<ops::transpose>({}, {c.input(0), c.constant_i64(order, "/order")}));
}

inline void softmax(context& c) {
    const std::size_t rank = c.input_dims(0).size();
    const std::size_t a = axis_of(c.attr<std::int64_t>("softmax_param.axis", 1), rank, "softmax_param.axis");
    c.set_output(0, c.add<ops::softmax>({static_cast<std::int64_t>(a)}, {c.input(0)}));
}

/// Split and Dropout: every top is the bottom.
inline void pass_through(context& c) {
    MOIR_CHECK(c.input_count() == 1, error, "takes one bottom");
    const output_ref x = c.input(0);
    for (std::size_t i = 0; i < c.output_count(); ++i) c.set_output(i, x);
}

/// ArgMax (argmax_param): with `axis`, the top_k largest values' indices (out_max_val: the values)
/// along it, the axis' dim becoming top_k; without, per instance over the flattened trailing dims,
/// an output [N, 1, top_k] of indices (out_max_val: [N, 2, top_k], indices then values), padded with
/// 1s to the input's rank. Indices count from 0, best first, as floats.
inline void argmax(context& c) {
    const prototext::message& p = c.param("argmax_param");
    const shape x = c.input_dims(0);
    const std::int64_t k = p.get_int("top_k", 1);
    const bool values = p.get_bool("out_max_val", false);
    MOIR_CHECK(k >= 1, error, "argmax_param.top_k must be >= 1");
    const auto top = [&](output_ref in, std::int64_t axis, std::int64_t dim) {
        MOIR_CHECK(k <= dim, error, "argmax_param.top_k " + std::to_string(k) + " exceeds the " + std::to_string(dim) + " values it ranks");
        ops::top_k::attrs a;
        a.axis = axis;
        a.mode = ops::top_k_mode::max;
        a.sort = ops::top_k_sort::value;
        const output_ref v = c.add<ops::top_k>(a, {in, c.constant_i64({k}, "/k")}, "/topk");
        const output_ref i = c.add<ops::convert>({element_type::f32}, {output_ref{v.node, 1}}, "/indices");
        return std::pair<output_ref, output_ref>{v, i};
    };
    if (p.has("axis")) {
        const std::size_t axis = axis_of(p.get_int("axis", 0), x.size(), "argmax_param.axis");
        const auto [v, i] = top(c.input(0), static_cast<std::int64_t>(axis), x[axis]);
        c.set_output(0, values ? v : i);
        return;
    }
    MOIR_CHECK(!x.empty(), error, "ArgMax needs data of rank >= 1");
    std::int64_t per = 1;
    for (std::size_t d = 1; d < x.size(); ++d) per *= x[d];
    const output_ref flat = c.add<ops::reshape>({false}, {c.input(0), c.constant_i64({x[0], per}, "/flat_shape")}, "/flat");
    const auto [v, i] = top(flat, 1, per);
    shape out(std::max<std::size_t>(x.size(), 3), 1);
    out[0] = x[0], out[1] = values ? 2 : 1, out[2] = k;
    const output_ref y = values ? c.add<ops::concat>({1}, {i, v}, "/concat") : i;
    c.set_output(0, c.add<ops::reshape>({false}, {y, c.constant_i64(std::vector<std::int64_t>(out.begin(), out.end()), "/shape")}));
}

/// MVN (mvn_param): y = x - mean, divided by sqrt(var) + eps when normalize_variance (default),
/// the statistics over axes 2.. (each channel's plane) or 1.. (across_channels).
inline void mvn(context& c) {
    const prototext::message& p = c.param("mvn_param");
    const std::size_t rank = c.input_dims(0).size();
    const bool across = p.get_bool("across_channels", false);
    const std::size_t from = across ? 1 : 2;
    MOIR_CHECK(rank > from, error, "MVN needs data of rank > " + std::to_string(from));
    std::vector<std::int64_t> axes;
    for (std::size_t a = from; a < rank; ++a) axes.push_back(static_cast<std::int64_t>(a));
    ops::mvn::attrs a;
    a.normalize_variance = p.get_bool("normalize_variance", true);
    a.eps = static_cast<float>(p.get_float("eps", 1e-9));
    a.eps_mode = ops::mvn_eps_mode::outside_sqrt;
    c.set_output(0, c.add<ops::mvn>(a, {c.input(0), c.constant_i64(axes, "/axes")}));
}
}  // namespace detail

/// Registers the activations, Dropout, Eltwise, Concat, Split, Slice, Flatten, Reshape, Permute,
/// Softmax, ArgMax, MVN.
template <class = void>  // compiled only where a table is built
void register_tensor(op_table& t) {
    t.add("ReLU", detail::relu);
    t.add("ELU", [](context& c) { c.set_output(0, c.add<ops::elu>({c.attr<double>("elu_param.alpha", 1.0)}, {c.input(0)})); });
    t.add("Sigmoid", [](context& c) { c.set_output(0, c.add<ops::sigmoid>({}, {c.input(0)})); });
    t.add("TanH", [](context& c) { c.set_output(0, c.add<ops::tanh>({}, {c.input(0)})); });
    t.add("AbsVal", [](context& c) { c.set_output(0, c.add<ops::abs>({}, {c.input(0)})); });
    t.add("Power", detail::power);
    t.add("Dropout", detail::pass_through);
    t.add("Split", detail::pass_through);
    t.add("Eltwise", detail::eltwise);
    t.add("Concat", detail::concat);
    t.add("Slice", detail::slice);
    t.add("Flatten", detail::flatten);
    t.add("Reshape", detail::reshape);
    t.add("Permute", detail::permute);
    t.add("Softmax", detail::softmax);
    t.add("ArgMax", detail::argmax);
    t.add("MVN", detail::mvn);
}

}  // namespace moir::caffe

#endif  // MOIR_FRONTENDS_CAFFE_OPS_TENSOR_HPP
