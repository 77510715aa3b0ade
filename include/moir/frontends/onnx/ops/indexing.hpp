#ifndef MOIR_FRONTENDS_ONNX_OPS_INDEXING_HPP
#define MOIR_FRONTENDS_ONNX_OPS_INDEXING_HPP

// ONNX indexing, scatter/gather and sorting ops -> moir ops: GatherElements, GatherND,
// ScatterElements, Scatter (deprecated), ScatterND, OneHot, Compress, NonZero, ArgMax, ArgMin,
// TopK, Unique, CumSum, Einsum, Trilu, NonMaxSuppression. Each converter maps its ONNX node onto the matching
// OpenVINO-style op, or decomposes it (ArgMax/ArgMin: TopK k=1; Compress: NonZero + Gather;
// Trilu: a Range-built mask + Select).

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/cum_sum.hpp>
#include <moir/ops/einsum.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/gather_elements.hpp>
#include <moir/ops/gather_nd.hpp>
#include <moir/ops/greater_equal.hpp>
#include <moir/ops/less_equal.hpp>
#include <moir/ops/non_max_suppression.hpp>
#include <moir/ops/non_zero.hpp>
#include <moir/ops/one_hot.hpp>
#include <moir/ops/range.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/scatter_elements_update.hpp>
#include <moir/ops/scatter_nd_update.hpp>
#include <moir/ops/select.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/top_k.hpp>
#include <moir/ops/unique.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstddef>  // byte, size_t
#include <cstdint>  // int64_t
#include <cstring>  // memcpy
#include <limits>   // numeric_limits
#include <string>   // string
#include <vector>   // vector

namespace moir::onnx {

namespace detail::indexing {
/// A constant 1-D int64 tensor.
inline output_ref ints(context& c, const std::vector<std::int64_t>& v, const std::string& suffix) {
    return c.constant(tensor::from_vector(v), suffix);
}
/// A constant int64 scalar.
inline output_ref int_scalar(context& c, std::int64_t v, const std::string& suffix) {
    return c.constant(tensor::scalar(v), suffix);
}
/// The rank of input i. ensures: unsupported_error naming `op` when it is unknown.
inline std::size_t known_rank(context& c, std::size_t i, const char* op) {
    const auto& s = c.input_port(i).shape;
    MOIR_CHECK(!s.rank_dynamic, unsupported_error, std::string(op) + " needs an input of known rank");
    return s.rank();
}
/// Dim `axis` of input i as an int64 scalar: a constant when static, else ShapeOf + Gather.
inline output_ref dim_scalar(context& c, std::size_t i, std::size_t axis, const std::string& suffix) {
    const std::int64_t d = c.input_port(i).shape.dims.at(axis);
    if (d >= 0) return int_scalar(c, d, suffix);
    const output_ref s = c.add<moir::ops::shape_of>({element_type::i64}, {c.input(i)}, suffix + "/shape");
    return c.add<moir::ops::gather>({}, {s, int_scalar(c, static_cast<std::int64_t>(axis), suffix + "/axis"),
                                         int_scalar(c, 0, suffix + "/gather_axis")},
                                    suffix);
}
/// r as a 0-D tensor (it holds one element): itself when already 0-D, else reshaped.
inline output_ref as_scalar(context& c, output_ref r, const std::string& suffix) {
    const auto& s = c.model().port(r).shape;
    if (!s.rank_dynamic && s.rank() == 0) return r;
    return c.add<moir::ops::reshape>({false}, {r, ints(c, {}, suffix + "/shape")}, suffix);
}

inline moir::ops::scatter_elements_reduction elements_reduction(const std::string& r) {
    using red = moir::ops::scatter_elements_reduction;
    if (r == "none") return red::none;
    if (r == "add") return red::sum;
    if (r == "mul") return red::prod;
    if (r == "max") return red::max;
    if (r == "min") return red::min;
    throw unsupported_error("reduction '" + r + "' is not supported");
}
inline moir::ops::scatter_nd_reduction nd_reduction(const std::string& r) {
    using red = moir::ops::scatter_nd_reduction;
    if (r == "none") return red::none;
    if (r == "add") return red::sum;
    if (r == "mul") return red::prod;
    if (r == "max") return red::max;
    if (r == "min") return red::min;
    throw unsupported_error("reduction '" + r + "' is not supported");
}

/// ScatterElements (and the deprecated Scatter, which has no reduction).
inline void scatter_elements(context& c) {
    moir::ops::scatter_elements_update::attrs a;
    a.reduction = elements_reduction(c.attr_string("reduction", "none"));
    a.use_init_val = true;
    c.set_output(0, c.add<moir::ops::scatter_elements_update>(
                        a, {c.input(0), c.input(1), c.input(2), int_scalar(c, c.attr_int("axis", 0), "/axis")}));
}

/// OneHot: indices and depth of any numeric type (cast to int64), values = [off, on].
inline void one_hot(context& c) {
    output_ref indices = c.input(0), depth = c.input(1);
    if (!is_integer(c.input_port(0).type))
        indices = c.add<moir::ops::convert>({element_type::i64}, {indices}, "/indices");
    if (const auto d = c.const_input(1)) {
        depth = int_scalar(c, d->at_as<std::int64_t>(0), "/depth");
    } else {
        if (!is_integer(c.input_port(1).type)) depth = c.add<moir::ops::convert>({element_type::i64}, {depth}, "/depth_i64");
        depth = as_scalar(c, depth, "/depth");
    }
    output_ref on, off;
    if (const auto v = c.const_input(2)) {
        MOIR_CHECK(v->numel() == 2, shape_error, "OneHot values must hold 2 elements [off, on]");
        const tensor flat = v->reshaped(shape{2});
        tensor off_v(v->type(), shape{}), on_v(v->type(), shape{});
        const std::size_t es = size_of(v->type());
        std::memcpy(off_v.raw(), flat.raw(), es);
        std::memcpy(on_v.raw(), static_cast<const std::byte*>(flat.raw()) + es, es);
        off = c.constant(off_v, "/off_value");
        on = c.constant(on_v, "/on_value");
    } else {
        const output_ref values = c.input(2);
        const output_ref axis0 = int_scalar(c, 0, "/values_axis");
        off = c.add<moir::ops::gather>({}, {values, int_scalar(c, 0, "/off_index"), axis0}, "/off_value");
        on = c.add<moir::ops::gather>({}, {values, int_scalar(c, 1, "/on_index"), axis0}, "/on_value");
    }
    moir::ops::one_hot::attrs a;
    a.axis = c.attr_int("axis", -1);
    a.negative_indices_mode = moir::ops::one_hot_negative_mode::normalize;
    c.set_output(0, c.add<moir::ops::one_hot>(a, {indices, depth, on, off}));
}

/// Compress: the slices (or, without an axis, the elements of the flattened input) whose
/// condition entry is true: NonZero(condition) as 1-D indices, then Gather.
inline void compress(context& c) {
    const output_ref nz = c.add<moir::ops::non_zero>({element_type::i64}, {c.input(1)}, "/nonzero");
    const output_ref idx = c.add<moir::ops::reshape>({false}, {nz, ints(c, {-1}, "/flat")}, "/indices");
    output_ref data = c.input(0);
    std::int64_t axis = 0;
    if (c.has_attr("axis")) {
        axis = c.attr_int("axis", 0);
    } else {
        data = c.add<moir::ops::reshape>({false}, {data, ints(c, {-1}, "/data_flat")}, "/flatten");
    }
    c.set_output(0, c.add<moir::ops::gather>({}, {data, idx, int_scalar(c, axis, "/axis")}));
}

/// ArgMax / ArgMin: the index half of TopK with k = 1 along the axis. select_last_index: TopK on the
/// data reversed along the axis, index mapped back as dim - 1 - index.
inline void arg_extreme(context& c, moir::ops::top_k_mode mode) {
    const std::size_t rank = known_rank(c, 0, "ArgMax/ArgMin");
    const std::size_t axis = normalize_axis(c.attr_int("axis", 0), rank);
    const bool last = c.attr_int("select_last_index", 0) != 0;
    const auto ax = static_cast<std::int64_t>(axis);
    output_ref data = c.input(0);
    if (last)
        data = c.add<moir::ops::slice>({}, {data, ints(c, {-1}, "/rev_start"),
                                            ints(c, {std::numeric_limits<std::int64_t>::min()}, "/rev_stop"),
                                            ints(c, {-1}, "/rev_step"), ints(c, {ax}, "/rev_axes")},
                                       "/reverse");
    moir::ops::top_k::attrs a;
    a.axis = ax;
    a.mode = mode;
    a.sort = moir::ops::top_k_sort::none;
    a.index_element_type = element_type::i64;
    a.stable = true;
    const node_id tk = c.add_node<moir::ops::top_k>(a, {data, int_scalar(c, 1, "/k")}, "/topk");
    output_ref idx{tk, 1};
    const bool keep = c.attr_int("keepdims", 1) != 0;
    if (last) {
        const std::int64_t d = c.input_port(0).shape.dims[axis];
        const output_ref top = d >= 0 ? int_scalar(c, d - 1, "/last")
                                      : c.add<moir::ops::subtract>({}, {dim_scalar(c, 0, axis, "/dim"), int_scalar(c, 1, "/one")},
                                                                   "/last");
        idx = c.add<moir::ops::subtract>({}, {top, idx}, keep ? "" : "/index");
    }
    if (!keep) idx = c.add<moir::ops::squeeze>({}, {idx, ints(c, {ax}, "/squeeze_axes")});
    c.set_output(0, idx);
}

/// TopK: k from the attribute (opset < 10) or the 2nd input (a 1-element tensor).
inline void top_k(context& c) {
    const std::size_t rank = known_rank(c, 0, "TopK");
    moir::ops::top_k::attrs a;
    a.axis = static_cast<std::int64_t>(normalize_axis(c.attr_int("axis", -1), rank));
    a.mode = c.attr_int("largest", 1) != 0 ? moir::ops::top_k_mode::max : moir::ops::top_k_mode::min;
    a.sort = moir::ops::top_k_sort::value;  // sorted=0 allows any order; value order is one
    a.index_element_type = element_type::i64;
    a.stable = true;
    output_ref k;
    if (c.opset() < 10) {
        k = int_scalar(c, c.attr_int("k", 0), "/k");
    } else if (const auto kv = c.const_input(1)) {
        k = int_scalar(c, kv->at_as<std::int64_t>(0), "/k");
    } else {
        k = as_scalar(c, c.input(1), "/k");
    }
    const node_id id = c.add_node<moir::ops::top_k>(a, {c.input(0), k});
    c.set_output(0, {id, 0});
    c.set_output(1, {id, 1});
}

inline void unique(context& c) {
    moir::ops::unique::attrs a;
    a.sorted = c.attr_int("sorted", 1) != 0;
    std::vector<output_ref> in{c.input(0)};
    if (c.has_attr("axis")) in.push_back(int_scalar(c, c.attr_int("axis", 0), "/axis"));
    const node_id id = c.add_node<moir::ops::unique>(a, in);
    for (std::size_t i = 0; i < 4; ++i) c.set_output(i, {id, i});
}

/// Trilu: keeps x where (column - row) >= k (upper) or <= k (lower) on the last two axes, zeros
/// elsewhere: Range rows and columns, Subtract, compare with k, Select.
inline void trilu(context& c) {
    const std::size_t rank = known_rank(c, 0, "Trilu");
    MOIR_CHECK(rank >= 2, shape_error, "Trilu needs an input of rank >= 2");
    const output_ref zero = int_scalar(c, 0, "/zero"), one = int_scalar(c, 1, "/one");
    const output_ref rows = c.add<moir::ops::range>({element_type::i64}, {zero, dim_scalar(c, 0, rank - 2, "/rows"), one},
                                                    "/row_range");
    const output_ref cols = c.add<moir::ops::range>({element_type::i64}, {zero, dim_scalar(c, 0, rank - 1, "/cols"), one},
                                                    "/col_range");
    const output_ref rows2 = c.add<moir::ops::unsqueeze>({}, {rows, ints(c, {1}, "/row_axis")}, "/row_column");
    const output_ref diff = c.add<moir::ops::subtract>({}, {cols, rows2}, "/diagonal");
    output_ref k = zero;
    if (c.has_input(1)) {
        k = c.input(1);
        if (c.input_port(1).type != element_type::i64) k = c.add<moir::ops::convert>({element_type::i64}, {k}, "/k");
    }
    const output_ref mask = c.attr_int("upper", 1) != 0
                                ? c.add<moir::ops::greater_equal>({}, {diff, k}, "/mask")
                                : c.add<moir::ops::less_equal>({}, {diff, k}, "/mask");
    const element_type t = c.input_port(0).type;
    const output_ref fill = c.constant(tensor(t, shape{}), "/fill");
    c.set_output(0, c.add<moir::ops::select>({}, {mask, c.input(0), fill}));
}

/// NonMaxSuppression(boxes, scores[, max_output_boxes_per_class, iou_threshold, score_threshold]):
/// OpenVINO's, in ONNX's output order (batch, class, order taken); an absent score_threshold lets
/// every box be a candidate (-inf), the other absent inputs take their default 0.
inline void non_max_suppression(context& c) {
    moir::ops::non_max_suppression::attrs a;
    a.box_encoding = c.attr_int("center_point_box", 0) != 0 ? moir::ops::box_encoding::center : moir::ops::box_encoding::corner;
    a.sort_result_descending = false;
    a.output_type = element_type::i64;
    std::vector<output_ref> in{c.input(0), c.input(1)};
    in.push_back(c.has_input(2) ? c.input(2) : c.constant(tensor::scalar<std::int64_t>(0), "/max_output_boxes_per_class"));
    in.push_back(c.has_input(3) ? c.input(3) : c.constant(tensor::scalar<float>(0.0f), "/iou_threshold"));
    in.push_back(c.has_input(4) ? c.input(4)
                                : c.constant(tensor::scalar<float>(-std::numeric_limits<float>::infinity()), "/score_threshold"));
    c.set_output(0, {c.add_node<moir::ops::non_max_suppression>(a, in), 0});
}
}  // namespace detail::indexing

/// Registers GatherElements, GatherND, ScatterElements, Scatter, ScatterND, OneHot, Compress,
/// NonZero, ArgMax, ArgMin, TopK, Unique, CumSum, Einsum, Trilu, NonMaxSuppression.
template <class = void>  // compiled only where a table is built
void register_indexing(op_table& t) {
    namespace ix = detail::indexing;
    t.add("GatherElements", [](context& c) {
        c.set_output(0, c.add<moir::ops::gather_elements>({c.attr_int("axis", 0)}, {c.input(0), c.input(1)}));
    });
    t.add("GatherND", [](context& c) {
        c.set_output(0, c.add<moir::ops::gather_nd>({c.attr_int("batch_dims", 0)}, {c.input(0), c.input(1)}));
    });
    t.add("ScatterElements", ix::scatter_elements);
    t.add("Scatter", ix::scatter_elements);
    t.add("ScatterND", [](context& c) {
        c.set_output(0, c.add<moir::ops::scatter_nd_update>({ix::nd_reduction(c.attr_string("reduction", "none"))},
                                                            {c.input(0), c.input(1), c.input(2)}));
    });
    t.add("OneHot", ix::one_hot);
    t.add("Compress", ix::compress);
    t.add("NonZero", [](context& c) { c.set_output(0, c.add<moir::ops::non_zero>({element_type::i64}, {c.input(0)})); });
    t.add("ArgMax", [](context& c) { ix::arg_extreme(c, moir::ops::top_k_mode::max); });
    t.add("ArgMin", [](context& c) { ix::arg_extreme(c, moir::ops::top_k_mode::min); });
    t.add("TopK", ix::top_k);
    t.add("Unique", ix::unique);
    t.add("CumSum", [](context& c) {
        moir::ops::cum_sum::attrs a;
        a.exclusive = c.attr_int("exclusive", 0) != 0;
        a.reverse = c.attr_int("reverse", 0) != 0;
        c.set_output(0, c.add<moir::ops::cum_sum>(a, {c.input(0), c.input(1)}));
    });
    t.add("Einsum", [](context& c) {
        std::vector<output_ref> in;
        for (std::size_t i = 0; i < c.input_count(); ++i) in.push_back(c.input(i));
        c.set_output(0, c.add<moir::ops::einsum>({c.attr_string("equation", "")}, in));
    });
    t.add("Trilu", ix::trilu);
    t.add("NonMaxSuppression", ix::non_max_suppression, 10);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_INDEXING_HPP
