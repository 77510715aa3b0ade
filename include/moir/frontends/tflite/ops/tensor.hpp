#ifndef MOIR_FRONTENDS_TFLITE_OPS_TENSOR_HPP
#define MOIR_FRONTENDS_TFLITE_OPS_TENSOR_HPP

// TFLite tensor-shaping ops -> moir ops: RESHAPE, SQUEEZE, EXPAND_DIMS, CONCATENATION, PACK, PAD,
// PADV2, MIRROR_PAD, TRANSPOSE, SPLIT, SPLIT_V, SLICE, STRIDED_SLICE, GATHER, MEAN, SUM,
// REDUCE_MAX, REDUCE_MIN, REDUCE_PROD, SOFTMAX, LOG_SOFTMAX, BATCH_MATMUL, CAST. CONCATENATION,
// the pads and the reductions keep NCHW twins when their inputs have them (axes are remapped).

#include <moir/frontends/tflite/converter.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/log_softmax.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reduce_prod.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/split.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/unsqueeze.hpp>
#include <moir/ops/variadic_split.hpp>

#include <algorithm>  // sort, unique, find
#include <cstdint>    // int32_t, int64_t
#include <limits>     // numeric_limits
#include <string>     // string
#include <vector>     // vector

namespace moir::tflite {

namespace detail {

enum : std::int32_t {
    op_concatenation = 2, op_reshape = 22, op_softmax = 25, op_pad = 34, op_gather = 36, op_transpose = 39, op_mean = 40,
    op_squeeze = 43, op_strided_slice = 45, op_split = 49, op_log_softmax = 50, op_cast = 53, op_padv2 = 60,
    op_slice = 65, op_expand_dims = 70, op_sum = 74, op_reduce_prod = 81, op_reduce_max = 82, op_pack = 83,
    op_reduce_min = 89, op_mirror_pad = 100, op_split_v = 102, op_batch_matmul = 126
};

/// An NHWC axis of a rank-4 tensor as its NCHW axis.
inline std::int64_t nchw_axis(std::int64_t a) {
    static const std::int64_t map[4] = {0, 2, 3, 1};
    return map[a];
}
inline std::int64_t norm_axis(std::int64_t a, std::size_t rank) {
    const auto r = static_cast<std::int64_t>(rank);
    MOIR_CHECK(a >= -r && a < r, shape_error, "axis " + std::to_string(a) + " out of range for rank " + std::to_string(r));
    return a < 0 ? a + r : a;
}

inline void reshape(context& c) {
    std::vector<std::int64_t> dims;
    if (c.has_input(1) && c.const_input(1)) {
        dims = c.const_ints(1, "the shape");
    } else if (!option_ints(c.op(), 0).empty()) {
        for (auto d : option_ints(c.op(), 0)) dims.push_back(d);
    } else {
        for (auto d : c.output_tensor(0).shape) dims.push_back(d);
    }
    c.set_output(0, c.add<moir::ops::reshape>({false}, {c.input(0), c.constant_i64(dims, "/shape")}));
}

inline void concatenation(context& c) {
    const std::int32_t axis = option<std::int32_t>(c.op(), 0, 0);
    const activation act = fused_activation(c.op(), 1);
    const std::size_t rank = c.output_tensor(0).shape.size();
    bool twins = rank == 4;
    for (std::size_t i = 0; i < c.input_count() && twins; ++i) twins = c.has_nchw(i) || c.const_input(i).has_value();
    bool any_twin = false;
    for (std::size_t i = 0; i < c.input_count(); ++i) any_twin = any_twin || c.has_nchw(i);
    std::vector<output_ref> in;
    if (twins && any_twin) {
        for (std::size_t i = 0; i < c.input_count(); ++i) in.push_back(c.input_nchw(i));
        const std::int64_t a = nchw_axis(norm_axis(axis, 4));
        c.set_output_nchw(0, c.activate(c.add<moir::ops::concat>({a}, in, act == activation::none ? "" : "/concat"), act, ""));
        return;
    }
    for (std::size_t i = 0; i < c.input_count(); ++i) in.push_back(c.input(i));
    c.set_output(0, c.activate(c.add<moir::ops::concat>({norm_axis(axis, rank)}, in, act == activation::none ? "" : "/concat"), act, ""));
}

inline void pad(context& c, moir::ops::pad_mode mode) {
    const auto p = c.const_ints(1, "the paddings");
    const std::size_t rank = p.size() / 2;
    MOIR_CHECK(p.size() % 2 == 0 && rank == c.input_dims(0).size(), shape_error, "the paddings must be [rank, 2]");
    std::vector<std::int64_t> begin(rank), end(rank);
    const bool nchw = rank == 4 && c.has_nchw(0);
    for (std::size_t i = 0; i < rank; ++i) {
        const std::size_t dst = nchw ? static_cast<std::size_t>(nchw_axis(static_cast<std::int64_t>(i))) : i;
        begin[dst] = p[2 * i];
        end[dst] = p[2 * i + 1];
    }
    std::vector<output_ref> in{nchw ? c.input_nchw(0) : c.input(0), c.constant_i64(begin, "/pads_begin"),
                               c.constant_i64(end, "/pads_end")};
    if (mode == moir::ops::pad_mode::constant && c.has_input(2)) in.push_back(c.input(2));
    const output_ref y = c.add<moir::ops::pad>({mode}, in);
    if (nchw) c.set_output_nchw(0, y);
    else c.set_output(0, y);
}

template <class Op>
void reduce(context& c) {
    const bool keep = option<bool>(c.op(), 0, false);
    const std::size_t rank = c.input_dims(0).size();
    std::vector<std::int64_t> axes;
    for (auto a : c.const_ints(1, "the axes")) axes.push_back(norm_axis(a, rank));
    std::sort(axes.begin(), axes.end());
    axes.erase(std::unique(axes.begin(), axes.end()), axes.end());
    bool nchw = rank == 4 && c.has_nchw(0);
    if (nchw && !keep) {  // the remaining axes keep their order iff C goes or both H and W go
        const bool drop_c = std::find(axes.begin(), axes.end(), 3) != axes.end();
        const bool drop_h = std::find(axes.begin(), axes.end(), 1) != axes.end();
        const bool drop_w = std::find(axes.begin(), axes.end(), 2) != axes.end();
        nchw = drop_c || (drop_h && drop_w);
    }
    if (nchw) {
        std::vector<std::int64_t> m;
        for (auto a : axes) m.push_back(nchw_axis(a));
        const output_ref y = c.add<Op>({keep}, {c.input_nchw(0), c.constant_i64(m, "/axes")});
        if (keep) c.set_output_nchw(0, y);
        else c.set_output(0, y);
        return;
    }
    c.set_output(0, c.add<Op>({keep}, {c.input(0), c.constant_i64(axes, "/axes")}));
}

inline void strided_slice(context& c) {
    const strided_slice_options o = strided_slice_options::read(c.op());
    MOIR_CHECK(o.ellipsis_mask == 0 && o.new_axis_mask == 0, unsupported_error,
               "STRIDED_SLICE with ellipsis_mask or new_axis_mask is not supported");
    const auto begin = c.const_ints(1, "begin"), end = c.const_ints(2, "end");
    std::vector<std::int64_t> strides = c.has_input(3) ? c.const_ints(3, "strides") : std::vector<std::int64_t>(begin.size(), 1);
    MOIR_CHECK(begin.size() == end.size() && begin.size() == strides.size(), shape_error, "begin, end and strides differ in length");
    constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max(), small = std::numeric_limits<std::int64_t>::min();
    std::vector<std::int64_t> start, stop, step, axes, squeeze;
    for (std::size_t i = 0; i < begin.size(); ++i) {
        const std::int64_t s = strides[i];
        MOIR_CHECK(s != 0, shape_error, "a stride is 0");
        std::int64_t b = begin[i], e = o.offset ? begin[i] + end[i] : end[i];
        if (o.begin_mask >> i & 1) b = s > 0 ? 0 : big;
        if (o.end_mask >> i & 1) e = s > 0 ? big : small;
        if (o.shrink_axis_mask >> i & 1) {
            e = b == -1 ? big : b + 1;
            squeeze.push_back(static_cast<std::int64_t>(i));
        }
        start.push_back(b);
        stop.push_back(e);
        step.push_back(s);
        axes.push_back(static_cast<std::int64_t>(i));
    }
    output_ref y = c.add<moir::ops::slice>({}, {c.input(0), c.constant_i64(start, "/start"), c.constant_i64(stop, "/stop"),
                                                c.constant_i64(step, "/step"), c.constant_i64(axes, "/axes")},
                                           squeeze.empty() ? "" : "/slice");
    if (!squeeze.empty()) y = c.add<moir::ops::squeeze>({}, {y, c.constant_i64(squeeze, "/squeeze_axes")});
    c.set_output(0, y);
}

inline void slice(context& c) {
    const auto begin = c.const_ints(1, "begin"), size = c.const_ints(2, "size");
    MOIR_CHECK(begin.size() == size.size(), shape_error, "begin and size differ in length");
    std::vector<std::int64_t> stop, step, axes;
    for (std::size_t i = 0; i < begin.size(); ++i) {
        stop.push_back(size[i] < 0 ? std::numeric_limits<std::int64_t>::max() : begin[i] + size[i]);
        step.push_back(1);
        axes.push_back(static_cast<std::int64_t>(i));
    }
    c.set_output(0, c.add<moir::ops::slice>({}, {c.input(0), c.constant_i64(begin, "/start"), c.constant_i64(stop, "/stop"),
                                                 c.constant_i64(step, "/step"), c.constant_i64(axes, "/axes")}));
}

inline void softmax(context& c, bool log) {
    output_ref x = c.input(0);
    const float beta = log ? 1.0f : option<float>(c.op(), 0, 1.0f);
    if (beta != 1.0f)
        x = c.add<moir::ops::multiply>({}, {x, c.constant(tensor::from_vector(std::vector<float>{beta}, shape{1}), "/beta")}, "/scaled");
    if (log) c.set_output(0, c.add<moir::ops::log_softmax>({-1}, {x}));
    else c.set_output(0, c.add<moir::ops::softmax>({-1}, {x}));
}

}  // namespace detail

/// Registers the tensor family.
template <class = void>  // compiled only where a table is built
void register_tensor(op_table& t) {
    using namespace detail;
    t.add(op_reshape, reshape);
    t.add(op_squeeze, [](context& c) {
        const auto dims = option_ints(c.op(), 0);
        if (dims.empty()) {
            c.set_output(0, c.add<moir::ops::squeeze>({}, {c.input(0)}));
            return;
        }
        c.set_output(0, c.add<moir::ops::squeeze>({}, {c.input(0), c.constant_i64({dims.begin(), dims.end()}, "/axes")}));
    });
    t.add(op_expand_dims, [](context& c) {
        c.set_output(0, c.add<moir::ops::unsqueeze>({}, {c.input(0), c.constant_i64(c.const_ints(1, "the axis"), "/axes")}));
    });
    t.add(op_concatenation, concatenation);
    t.add(op_pack, [](context& c) {
        const std::int32_t axis = option<std::int32_t>(c.op(), 1, 0);
        const std::size_t rank = c.output_tensor(0).shape.size();
        const std::int64_t a = norm_axis(axis, rank);
        std::vector<output_ref> in;
        for (std::size_t i = 0; i < c.input_count(); ++i)
            in.push_back(c.add<moir::ops::unsqueeze>({}, {c.input(i), c.constant_i64({a}, "/axis" + std::to_string(i))},
                                                     "/unsqueeze" + std::to_string(i)));
        c.set_output(0, c.add<moir::ops::concat>({a}, in));
    });
    t.add(op_pad, [](context& c) { pad(c, moir::ops::pad_mode::constant); });
    t.add(op_padv2, [](context& c) { pad(c, moir::ops::pad_mode::constant); });
    t.add(op_mirror_pad, [](context& c) {
        pad(c, option<std::int8_t>(c.op(), 0, 0) == 0 ? moir::ops::pad_mode::reflect : moir::ops::pad_mode::symmetric);
    });
    t.add(op_transpose, [](context& c) { c.set_output(0, c.transpose(c.input(0), c.const_ints(1, "the permutation"), "")); });
    t.add(op_split, [](context& c) {
        const std::int32_t n = option<std::int32_t>(c.op(), 0, static_cast<std::int32_t>(c.output_count()));
        const node_id id = c.add_node<moir::ops::split>({n}, {c.input(1), c.constant_i64(c.const_ints(0, "the axis"), "/axis")});
        for (std::size_t i = 0; i < c.output_count(); ++i) c.set_output(i, {id, i});
    });
    t.add(op_split_v, [](context& c) {
        const node_id id = c.add_node<moir::ops::variadic_split>(
            {}, {c.input(0), c.constant_i64(c.const_ints(2, "the axis"), "/axis"),
                 c.constant_i64(c.const_ints(1, "the split sizes"), "/lengths")});
        for (std::size_t i = 0; i < c.output_count(); ++i) c.set_output(i, {id, i});
    });
    t.add(op_slice, slice);
    t.add(op_strided_slice, strided_slice);
    t.add(op_gather, [](context& c) {
        const std::int32_t axis = option<std::int32_t>(c.op(), 0, 0);
        const std::int32_t batch_dims = option<std::int32_t>(c.op(), 1, 0);
        c.set_output(0, c.add<moir::ops::gather>({batch_dims}, {c.input(0), c.input(1), c.constant_i64({axis}, "/axis")}));
    });
    t.add(op_mean, reduce<moir::ops::reduce_mean>);
    t.add(op_sum, reduce<moir::ops::reduce_sum>);
    t.add(op_reduce_max, reduce<moir::ops::reduce_max>);
    t.add(op_reduce_min, reduce<moir::ops::reduce_min>);
    t.add(op_reduce_prod, reduce<moir::ops::reduce_prod>);
    t.add(op_softmax, [](context& c) { softmax(c, false); });
    t.add(op_log_softmax, [](context& c) { softmax(c, true); });
    t.add(op_batch_matmul, [](context& c) {
        const bool adj_x = option<bool>(c.op(), 0, false), adj_y = option<bool>(c.op(), 1, false);
        c.set_output(0, c.add<moir::ops::matmul>({adj_x, adj_y}, {c.input(0), c.input(1)}));
    });
    t.add(op_cast, [](context& c) {
        const auto et = to_element_type(c.output_tensor(0).type);
        MOIR_CHECK(et, unsupported_error, "cast to " + type_name(c.output_tensor(0).type) + " is not supported");
        c.set_output(0, c.add<moir::ops::convert>({*et}, {c.input(0)}));
    });
}

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_OPS_TENSOR_HPP
