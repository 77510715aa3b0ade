#ifndef MOIR_FRONTENDS_MXNET_OPS_TENSOR_HPP
#define MOIR_FRONTENDS_MXNET_OPS_TENSOR_HPP

// MXNet's shape and data-movement ops: Flatten, Concat, Reshape (the special codes 0, -1, -2, -3,
// -4 and `reverse`, resolved against the input's static shape), transpose, SliceChannel (split),
// Crop, Pad, expand_dims, slice_axis and the reductions mean / sum / max / min (axis, keepdims,
// exclude).

#include <moir/frontends/mxnet/converter.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/split.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <algorithm>  // reverse
#include <limits>     // numeric_limits
#include <cstdint>    // int64_t
#include <string>     // string
#include <vector>     // vector

namespace moir::mxnet {

namespace detail {

/// MXNet's Reshape target for input dims `in` and `spec` (0 copy, -1 infer, -2 copy the rest, -3
/// merge two, -4 split one into the next two values, either of which may be -1).
/// ensures: moir::shape_error naming the spec and the input when they do not fit.
inline std::vector<std::int64_t> mxnet_reshape(std::vector<std::int64_t> in, std::vector<std::int64_t> spec, bool reverse) {
    const auto text = [](const std::vector<std::int64_t>& v) {
        std::string s;
        for (auto x : v) s += (s.empty() ? "" : ",") + std::to_string(x);
        return "(" + s + ")";
    };
    const std::string what = "shape " + text(spec) + " does not fit the input " + text(in);
    if (reverse) {
        std::reverse(in.begin(), in.end());
        std::reverse(spec.begin(), spec.end());
    }
    std::vector<std::int64_t> out;
    std::size_t src = 0;
    std::ptrdiff_t infer = -1;
    const auto next = [&]() {
        MOIR_CHECK(src < in.size(), shape_error, what + " (it reads more dims than the input has)");
        return in[src++];
    };
    for (std::size_t i = 0; i < spec.size(); ++i) {
        const std::int64_t v = spec[i];
        if (v > 0) {
            out.push_back(v);
            ++src;
        } else if (v == 0) {
            out.push_back(next());
        } else if (v == -1) {
            MOIR_CHECK(infer < 0, shape_error, what + " (two -1)");
            infer = static_cast<std::ptrdiff_t>(out.size());
            out.push_back(1);
            ++src;
        } else if (v == -2) {
            while (src < in.size()) out.push_back(in[src++]);
        } else if (v == -3) {
            const std::int64_t a = next();
            out.push_back(a * next());
        } else if (v == -4) {
            MOIR_CHECK(i + 2 < spec.size(), shape_error, what + " (-4 needs two values after it)");
            const std::int64_t d = next();
            std::int64_t a = spec[i + 1], b = spec[i + 2];
            i += 2;
            MOIR_CHECK(!(a == -1 && b == -1) && a != 0 && b != 0 && a >= -1 && b >= -1, shape_error, what + " (bad -4 split)");
            if (a == -1) a = b ? d / b : 0;
            if (b == -1) b = a ? d / a : 0;
            MOIR_CHECK(a * b == d, shape_error, what + " (-4 splits " + std::to_string(d) + " into " + std::to_string(a) + " x " + std::to_string(b) + ")");
            out.push_back(a);
            out.push_back(b);
        } else {
            throw shape_error(what + " (unknown code " + std::to_string(v) + ")");
        }
    }
    std::int64_t total = 1, known = 1;
    for (auto d : in) total *= d;
    for (std::size_t i = 0; i < out.size(); ++i)
        if (static_cast<std::ptrdiff_t>(i) != infer) known *= out[i];
    if (infer >= 0) {
        MOIR_CHECK(known > 0 && total % known == 0, shape_error, what);
        out[static_cast<std::size_t>(infer)] = total / known;
    }
    std::int64_t n = 1;
    for (auto d : out) n *= d;
    MOIR_CHECK(n == total, shape_error, what + " (" + std::to_string(n) + " elements for " + std::to_string(total) + ")");
    if (reverse) std::reverse(out.begin(), out.end());
    return out;
}

inline void convert_reshape(context& c) {
    std::vector<std::int64_t> spec = c.ints("shape");
    if (spec.empty() && c.node().has("target_shape")) {  // MXNet 0.x: target_shape, 0 = inferred
        spec = c.ints("target_shape");
        for (auto& d : spec) d = d == 0 ? -1 : d;
    }
    MOIR_CHECK(!spec.empty(), error, "attribute 'shape' is required");
    const shape in = c.static_shape(0, "Reshape");
    const auto out = mxnet_reshape(std::vector<std::int64_t>(in.begin(), in.end()), spec, c.attr<bool>("reverse", false));
    c.set_output(0, c.add<ops::reshape>({false}, {c.input(0), c.constant_i64(out, "/shape")}));
}

inline void convert_transpose(context& c) {
    std::vector<std::int64_t> axes = c.ints("axes");
    if (axes.empty())
        for (std::size_t i = c.rank(0, "transpose without axes"); i-- > 0;) axes.push_back(static_cast<std::int64_t>(i));
    c.set_output(0, c.add<ops::transpose>({}, {c.input(0), c.constant_i64(axes, "/axes")}));
}

inline void convert_slice_channel(context& c) {
    const std::int64_t n = c.require_attr<std::int64_t>("num_outputs");
    const std::int64_t axis = c.attr<std::int64_t>("axis", 1);
    const bool squeeze = c.attr<bool>("squeeze_axis", false);
    MOIR_CHECK(n >= 1 && n <= 65536, error, "num_outputs " + std::to_string(n) + " is out of range");
    const node_id s = c.add_node<ops::split>({n}, {c.input(0), c.constant(tensor::scalar<std::int64_t>(axis), "/axis")});
    for (std::int64_t k = 0; k < n; ++k) {
        const auto uk = static_cast<std::size_t>(k);
        if (!c.output_used(uk)) continue;
        output_ref y{s, uk};
        if (squeeze) y = c.add<ops::squeeze>({}, {y, c.constant_i64({axis}, "/squeeze" + std::to_string(k) + "/axes")}, "/squeeze" + std::to_string(k));
        c.set_output(uk, y);
    }
}

inline void convert_crop(context& c) {
    const shape in = c.static_shape(0, "Crop");
    MOIR_CHECK(in.size() == 4, shape_error, "Crop takes NCHW data");
    std::vector<std::int64_t> hw = c.ints("h_w", {0, 0});
    if (c.input_count() > 1) {
        const shape like = c.static_shape(1, "Crop");
        MOIR_CHECK(like.size() == 4, shape_error, "Crop's second input must be NCHW");
        hw = {like[2], like[3]};
    }
    MOIR_CHECK(hw.size() == 2 && hw[0] > 0 && hw[1] > 0, error, "Crop needs h_w or a second input");
    std::vector<std::int64_t> off = c.ints("offset", {0, 0});
    if (c.attr<bool>("center_crop", false)) off = {(in[2] - hw[0]) / 2, (in[3] - hw[1]) / 2};
    MOIR_CHECK(off.size() == 2 && off[0] >= 0 && off[1] >= 0 && off[0] + hw[0] <= in[2] && off[1] + hw[1] <= in[3], shape_error,
               "the crop window does not fit the input");
    c.set_output(0, c.add<ops::slice>({}, {c.input(0), c.constant_i64(off, "/start"),
                                           c.constant_i64({off[0] + hw[0], off[1] + hw[1]}, "/stop"),
                                           c.constant_i64({1, 1}, "/step"), c.constant_i64({2, 3}, "/axes")}));
}

inline void convert_pad(context& c) {
    const std::string mode = c.attr<std::string>("mode", "constant");
    const std::vector<std::int64_t> w = c.ints("pad_width");
    const std::size_t r = c.rank(0, "Pad");
    MOIR_CHECK(w.size() == 2 * r, error,
               "pad_width has " + std::to_string(w.size()) + " values, the input's rank " + std::to_string(r) + " needs " + std::to_string(2 * r));
    std::vector<std::int64_t> begin, end;
    for (std::size_t i = 0; i < r; ++i) begin.push_back(w[2 * i]), end.push_back(w[2 * i + 1]);
    ops::pad::attrs a;
    if (mode == "constant") a.pad_mode = ops::pad_mode::constant;
    else if (mode == "edge") a.pad_mode = ops::pad_mode::edge;
    else if (mode == "reflect") a.pad_mode = ops::pad_mode::reflect;
    else throw unsupported_error("mode '" + mode + "' is not supported (constant, edge, reflect)");
    const output_ref x = c.input(0);
    c.set_output(0, c.add<ops::pad>(a, {x, c.constant_i64(begin, "/pads_begin"), c.constant_i64(end, "/pads_end"),
                                        c.scalar_like(x, c.attr<double>("constant_value", 0.0), "/value")}));
}

template <class Op>
void convert_reduce(context& c) {
    const std::size_t r = c.rank(0, "a reduction");
    std::vector<std::int64_t> axes = c.ints("axis");
    std::vector<bool> listed(r, false);
    for (auto a : axes) {
        MOIR_CHECK(a >= -static_cast<std::int64_t>(r) && a < static_cast<std::int64_t>(r), shape_error,
                   "axis " + std::to_string(a) + " is out of range for rank " + std::to_string(r));
        listed[static_cast<std::size_t>(a < 0 ? a + static_cast<std::int64_t>(r) : a)] = true;
    }
    const bool exclude = c.attr<bool>("exclude", false);
    std::vector<std::int64_t> reduced;
    for (std::size_t i = 0; i < r; ++i)
        if (axes.empty() || listed[i] != exclude) reduced.push_back(static_cast<std::int64_t>(i));
    c.set_output(0, c.add<Op>({c.attr<bool>("keepdims", false)}, {c.input(0), c.constant_i64(reduced, "/axes")}));
}

}  // namespace detail

/// Registers the shape and data-movement converters.
template <class = void>  // compiled only where a table is built
void register_tensor(op_table& t) {
    const auto flatten = [](context& c) { c.set_output(0, c.reshape(c.input(0), {0, -1}, "")); };
    t.add("Flatten", flatten);
    t.add("flatten", flatten);
    const auto concat = [](context& c) {
        std::vector<output_ref> in;
        for (std::size_t i = 0; i < c.input_count(); ++i) in.push_back(c.input(i));
        c.set_output(0, c.add<ops::concat>({c.attr<std::int64_t>("dim", 1)}, in));
    };
    t.add("Concat", concat);
    t.add("concat", concat);
    t.add("Reshape", detail::convert_reshape);
    t.add("reshape", detail::convert_reshape);
    t.add("transpose", detail::convert_transpose);
    t.add("SliceChannel", detail::convert_slice_channel);
    t.add("split", detail::convert_slice_channel);
    t.add("Crop", detail::convert_crop);
    t.add("Pad", detail::convert_pad);
    t.add("pad", detail::convert_pad);
    t.add("mean", detail::convert_reduce<ops::reduce_mean>);
    t.add("sum", detail::convert_reduce<ops::reduce_sum>);
    t.add("max", detail::convert_reduce<ops::reduce_max>);
    t.add("min", detail::convert_reduce<ops::reduce_min>);
    t.add("expand_dims", [](context& c) {
        c.set_output(0, c.add<ops::unsqueeze>({}, {c.input(0), c.constant_i64({c.require_attr<std::int64_t>("axis")}, "/axes")}));
    });
    t.add("slice_axis", [](context& c) {
        const std::int64_t axis = c.require_attr<std::int64_t>("axis");
        const std::int64_t begin = c.require_attr<std::int64_t>("begin");
        const std::int64_t end = c.attr<std::int64_t>("end", std::numeric_limits<std::int64_t>::max());
        c.set_output(0, c.add<ops::slice>({}, {c.input(0), c.constant_i64({begin}, "/start"), c.constant_i64({end}, "/stop"),
                                               c.constant_i64({1}, "/step"), c.constant_i64({axis}, "/axes")}));
    });
}

}  // namespace moir::mxnet

#endif  // MOIR_FRONTENDS_MXNET_OPS_TENSOR_HPP
