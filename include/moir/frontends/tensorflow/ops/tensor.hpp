#ifndef MOIR_FRONTENDS_TENSORFLOW_OPS_TENSOR_HPP
#define MOIR_FRONTENDS_TENSORFLOW_OPS_TENSOR_HPP

// TF's data-movement and shape ops: Const, Identity (and the other pass-through ops), Reshape,
// Squeeze, ExpandDims, ConcatV2, Pack, Unpack, Transpose, StridedSlice (every mask), Slice,
// Pad / PadV2 / MirrorPad, Tile, GatherV2, Shape, Fill, BroadcastTo, ZerosLike, Range, Split,
// SplitV, DepthToSpace, ResizeBilinear / ResizeNearestNeighbor, SparseToDense (constant inputs),
// Where (one input: NonZero, transposed to TF's [count, rank] int64).

#include <moir/frontends/tensorflow/converter.hpp>
#include <moir/frontends/tensorflow/ops/space_batch.hpp>
#include <moir/ops/broadcast.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/depth_to_space.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/gather_nd.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/non_zero.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/range.hpp>
#include <moir/ops/reduce_prod.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/split.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/tile.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/ops/unsqueeze.hpp>
#include <moir/ops/variadic_split.hpp>

#include <algorithm>  // max
#include <cstdint>  // int64_t
#include <cstring>    // memcpy
#include <limits>   // numeric_limits
#include <string>   // string
#include <vector>   // vector

namespace moir::tensorflow {

namespace detail {
/// The static rank of input i. ensures: an error when it is unknown.
inline std::size_t known_rank(context& c, std::size_t i) {
    const auto& s = c.input_port(i).shape;
    MOIR_CHECK(!s.rank_dynamic, unsupported_error, "input " + std::to_string(i) + " has an unknown rank");
    return s.rank();
}

/// StridedSlice(x, begin, end, strides) with begin/end/ellipsis/new_axis/shrink_axis masks:
/// one Slice over the input axes, then a Reshape to the output's rank (shrunk axes dropped, new
/// axes of size 1 inserted).
inline void convert_strided_slice(context& c) {
    const std::size_t rank = known_rank(c, 0);
    const auto begin = c.const_ints(1, "begin");
    const auto end = c.const_ints(2, "end");
    const auto strides = c.const_ints(3, "strides");
    const std::size_t n = begin.size();
    MOIR_CHECK(end.size() == n && strides.size() == n, error, "begin, end and strides differ in length");
    const auto mask = [&](const char* key) { return c.attr<std::int64_t>(key, 0); };
    const std::int64_t begin_mask = mask("begin_mask"), end_mask = mask("end_mask"), ellipsis = mask("ellipsis_mask"),
                       new_axis = mask("new_axis_mask"), shrink = mask("shrink_axis_mask");
    const auto bit = [](std::int64_t m, std::size_t i) { return ((m >> i) & 1) != 0; };
    // input axes the spec consumes outside the ellipsis
    std::size_t consumed = 0;
    bool has_ellipsis = false;
    for (std::size_t i = 0; i < n; ++i) {
        if (bit(ellipsis, i)) {
            MOIR_CHECK(!has_ellipsis, error, "more than one ellipsis");
            has_ellipsis = true;
        } else if (!bit(new_axis, i)) {
            ++consumed;
        }
    }
    MOIR_CHECK(consumed <= rank, error, "the slice spec indexes " + std::to_string(consumed) + " axes of a rank-" +
                                            std::to_string(rank) + " tensor");
    constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max();
    constexpr std::int64_t small = std::numeric_limits<std::int64_t>::min();
    std::vector<std::int64_t> starts, stops, steps, axes;
    std::vector<std::int64_t> out_dims;  // -2: an input axis kept (filled from the shape), 1: a new axis
    std::vector<std::int64_t> kept_axes;
    std::size_t axis = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (bit(ellipsis, i)) {
            const std::size_t cover = rank - consumed;
            for (std::size_t k = 0; k < cover; ++k, ++axis) {
                out_dims.push_back(-2);
                kept_axes.push_back(static_cast<std::int64_t>(axis));
            }
            continue;
        }
        if (bit(new_axis, i)) {
            out_dims.push_back(1);
            kept_axes.push_back(-1);
            continue;
        }
        const std::int64_t st = strides[i];
        MOIR_CHECK(st != 0, error, "a stride is 0");
        std::int64_t b = begin[i], e = end[i];
        if (bit(shrink, i)) {
            starts.push_back(b);
            stops.push_back(b == -1 ? big : b + 1);
            steps.push_back(1);
        } else {
            if (bit(begin_mask, i)) b = st > 0 ? 0 : big;
            if (bit(end_mask, i)) e = st > 0 ? big : small;
            starts.push_back(b);
            stops.push_back(e);
            steps.push_back(st);
            out_dims.push_back(-2);
            kept_axes.push_back(static_cast<std::int64_t>(axis));
        }
        axes.push_back(static_cast<std::int64_t>(axis));
        ++axis;
    }
    // axes after the spec (no ellipsis) stay whole
    for (; axis < rank; ++axis) {
        out_dims.push_back(-2);
        kept_axes.push_back(static_cast<std::int64_t>(axis));
    }
    output_ref y = c.input(0);
    if (!starts.empty())
        y = c.add<ops::slice>({}, {y, c.constant_i64(starts, "/start"), c.constant_i64(stops, "/stop"),
                                   c.constant_i64(steps, "/step"), c.constant_i64(axes, "/axes")},
                              "/slice");
    const partial_shape& s = c.model().port(y).shape;
    bool reshape = out_dims.size() != rank;
    std::vector<std::int64_t> target;
    std::size_t dynamic = 0;
    for (std::size_t k = 0; k < out_dims.size(); ++k) {
        if (out_dims[k] == 1) {
            target.push_back(1);
        } else {
            const std::int64_t d = s.dims[static_cast<std::size_t>(kept_axes[k])];
            if (d < 0) ++dynamic;
            target.push_back(d < 0 ? -1 : d);
        }
    }
    for (std::size_t k = 0, a = 0; k < out_dims.size(); ++k)
        if (out_dims[k] != 1 && kept_axes[k] != static_cast<std::int64_t>(a++)) reshape = true;
    if (bit(new_axis, 0) || new_axis || shrink) reshape = true;
    if (reshape && dynamic <= 1) {
        y = c.add<ops::reshape>({false}, {y, c.constant_i64(target, "/shape")});
    } else if (reshape) {
        // several dynamic dims (a dynamic batch and more): no Reshape target can say them, so the
        // shrunk axes (size 1 after the Slice) are squeezed and the new ones unsqueezed
        std::vector<std::int64_t> shrunk, added;
        for (std::size_t i = 0, ax = 0; i < n; ++i) {
            if (bit(ellipsis, i)) {
                ax += rank - consumed;
            } else if (!bit(new_axis, i)) {
                if (bit(shrink, i)) shrunk.push_back(static_cast<std::int64_t>(ax));
                ++ax;
            }
        }
        for (std::size_t k = 0; k < out_dims.size(); ++k)
            if (out_dims[k] == 1) added.push_back(static_cast<std::int64_t>(k));
        if (!shrunk.empty()) y = c.add<ops::squeeze>({}, {y, c.constant_i64(shrunk, "/shrink_axes")}, "/squeeze");
        if (!added.empty()) y = c.add<ops::unsqueeze>({}, {y, c.constant_i64(added, "/new_axes")}, "/unsqueeze");
    }
    c.set_output(0, y);
}

/// ResizeBilinear / ResizeNearestNeighbor(images NHWC, size [h, w]): Interpolate over axes 1, 2.
inline void convert_resize(context& c, bool linear) {
    const bool align = c.attr<bool>("align_corners", false);
    const bool half = c.attr<bool>("half_pixel_centers", false);
    ops::interpolate::attrs a;
    a.shape_calculation_mode = ops::shape_calculation_mode::sizes;
    using ct = ops::coordinate_transformation_mode;
    if (linear) {
        a.mode = ops::interpolate_mode::linear_onnx;
        a.coordinate_transformation_mode = align ? ct::align_corners : half ? ct::half_pixel : ct::asymmetric;
    } else {
        a.mode = ops::interpolate_mode::nearest;
        a.coordinate_transformation_mode = align ? ct::align_corners : half ? ct::tf_half_pixel_for_nn : ct::asymmetric;
        a.nearest_mode = align ? ops::nearest_mode::round_prefer_ceil : ops::nearest_mode::floor;
    }
    // a size computed at run time (rvm: the frame's size times a ratio input) is read as a tensor
    const output_ref sizes = c.const_input(1) ? c.constant_i64(c.const_ints(1, "size"), "/sizes")
                                              : c.add<ops::convert>({element_type::i64}, {c.input(1)}, "/sizes");
    c.set_output(0, c.add<ops::interpolate>(a, {c.input(0), sizes, c.constant_i64({1, 2}, "/axes")}));
}

/// Pad / PadV2 / MirrorPad(x, paddings [rank, 2] [, constant]).
inline void convert_pad(context& c, ops::pad_mode mode) {
    if (!c.const_input(1)) {  // paddings [rank, 2] computed at run time (tf.image.pad_to_bounding_box)
        const output_ref p = c.add<ops::convert>({element_type::i64}, {c.input(1)}, "/paddings_i64");
        const output_ref axis = c.constant(tensor::scalar<std::int64_t>(1), "/column_axis");
        std::vector<output_ref> in{c.input(0),
                                   c.add<ops::gather>({0}, {p, c.constant(tensor::scalar<std::int64_t>(0), "/begin"), axis},
                                                      "/pads_begin"),
                                   c.add<ops::gather>({0}, {p, c.constant(tensor::scalar<std::int64_t>(1), "/end"), axis},
                                                      "/pads_end")};
        if (mode == ops::pad_mode::constant && c.has_input(2)) in.push_back(c.input(2));
        return c.set_output(0, c.add<ops::pad>({mode}, in));
    }
    const auto p = c.const_ints(1, "paddings");
    MOIR_CHECK(p.size() % 2 == 0, error, "paddings must have shape [rank, 2]");
    std::vector<std::int64_t> b, e;
    for (std::size_t i = 0; i < p.size(); i += 2) {
        b.push_back(p[i]);
        e.push_back(p[i + 1]);
    }
    std::vector<output_ref> in{c.input(0), c.constant_i64(b, "/pads_begin"), c.constant_i64(e, "/pads_end")};
    if (mode == ops::pad_mode::constant && c.has_input(2)) in.push_back(c.input(2));
    c.set_output(0, c.add<ops::pad>({mode}, in));
}
}  // namespace detail

/// Registers the data-movement converters.
template <class = void>  // compiled only where a table is built
void register_tensor(op_table& t) {
    t.add("Const", [](context& c) {
        const auto& w = c.graph_def_().weights;
        const auto it = w.find(c.name());
        if (it != w.end()) {
            c.set_output(0, c.constant(it->second, ""));
        } else {
            const attr_value* v = c.node().def().find_attr("value");
            MOIR_CHECK(v && v->k == attr_value::kind::tensor, parse_error, "the constant has no value");
            c.set_output(0, c.constant(to_moir_tensor(v->tensor, "value"), ""));
        }
    });
    const converter pass = [](context& c) { c.set_output(0, c.input(0)); };
    for (const char* op : {"Identity", "StopGradient", "PreventGradient", "Snapshot", "CheckNumerics", "EnsureShape",
                           "PlaceholderWithDefault"})
        t.add(op, pass);
    t.add("IdentityN", [](context& c) {
        for (std::size_t i = 0; i < c.input_count(); ++i) c.set_output(i, c.input(i));
    });
    t.add("NoOp", [](context&) {});
    // SparseToDense(indices [N, R] / [N] / scalar, output_shape [R], values [N] / scalar, default):
    // computed here when every input is a constant (nanodet's are)
    t.add("SparseToDense", [](context& c) {
        const moir::tensor idx = c.require_const(0, "sparse indices");
        const auto out_shape = c.require_const(1, "output shape").template to_vector<std::int64_t>();
        const moir::tensor vals = c.require_const(2, "sparse values");
        const moir::tensor def = c.require_const(3, "default value");
        MOIR_CHECK(def.numel() == 1 && def.type() == vals.type(), error,
                   "the default value must be one value of the values' type");
        shape dims;
        for (auto d : out_shape) {
            MOIR_CHECK(d >= 0, error, "the output shape has a negative dim");
            dims.push_back(d);
        }
        const std::size_t rank = dims.size();
        const std::size_t n = idx.dims().empty() ? 1 : static_cast<std::size_t>(idx.dims()[0]);
        const std::size_t per = idx.dims().size() == 2 ? static_cast<std::size_t>(idx.dims()[1]) : 1;
        MOIR_CHECK(idx.dims().size() <= 2 && per == std::max<std::size_t>(rank, 1) && (rank >= 1 || n <= 1), error,
                   "indices of shape [" + to_string(idx.dims()) + "] do not fit an output of rank " + std::to_string(rank));
        MOIR_CHECK(vals.numel() == 1 || vals.numel() == n, error,
                   std::to_string(vals.numel()) + " values for " + std::to_string(n) + " indices");
        const auto index = idx.template to_vector<std::int64_t>();
        moir::tensor out(vals.type(), dims);
        const std::size_t es = size_of(vals.type());
        auto* o = static_cast<unsigned char*>(out.raw());
        const auto* v = static_cast<const unsigned char*>(vals.raw());
        for (std::size_t i = 0; i < out.numel(); ++i) std::memcpy(o + i * es, def.raw(), es);
        for (std::size_t k = 0; k < n; ++k) {
            std::size_t flat = 0;
            for (std::size_t r = 0; r < rank; ++r) {
                const std::int64_t at = index[k * per + r];
                MOIR_CHECK(at >= 0 && at < dims[r], error,
                           "index " + std::to_string(at) + " of dim " + std::to_string(r) + " is outside [0, " +
                               std::to_string(dims[r]) + ")");
                flat = flat * static_cast<std::size_t>(dims[r]) + static_cast<std::size_t>(at);
            }
            std::memcpy(o + flat * es, v + (vals.numel() == 1 ? 0 : k) * es, es);
        }
        c.set_output(0, c.constant(std::move(out), ""));
    });
    t.add("Reshape", [](context& c) { c.set_output(0, c.add<ops::reshape>({false}, {c.input(0), c.input(1)})); });
    t.add("Squeeze", [](context& c) {
        const auto dims = c.attr<std::vector<std::int64_t>>("squeeze_dims", {});
        if (dims.empty()) c.set_output(0, c.add<ops::squeeze>({}, {c.input(0)}));
        else c.set_output(0, c.add<ops::squeeze>({}, {c.input(0), c.constant_i64(dims, "/axes")}));
    });
    t.add("ExpandDims", [](context& c) { c.set_output(0, c.add<ops::unsqueeze>({}, {c.input(0), c.input(1)})); });
    t.add("ConcatV2", [](context& c) {
        const std::size_t n = c.input_count() - 1;
        const auto axis = c.const_ints(n, "axis");
        MOIR_CHECK(axis.size() == 1, error, "the axis must be a scalar");
        std::vector<output_ref> in;
        for (std::size_t i = 0; i < n; ++i) in.push_back(c.input(i));
        c.set_output(0, c.add<ops::concat>({axis[0]}, in));
    });
    t.add("Pack", [](context& c) {
        const std::int64_t axis = c.attr<std::int64_t>("axis", 0);
        std::vector<output_ref> in;
        auto ax = c.constant_i64({axis}, "/axis");
        for (std::size_t i = 0; i < c.input_count(); ++i)
            in.push_back(c.add<ops::unsqueeze>({}, {c.input(i), ax}, "/unsqueeze" + std::to_string(i)));
        c.set_output(0, c.add<ops::concat>({axis}, in));
    });
    t.add("Unpack", [](context& c) {
        const std::int64_t axis = c.attr<std::int64_t>("axis", 0);
        const std::int64_t num = c.require_attr<std::int64_t>("num");
        const node_id s = c.add_node<ops::split>({num}, {c.input(0), c.constant(tensor::scalar<std::int64_t>(axis), "/axis")}, "/split");
        auto ax = c.constant_i64({axis}, "/squeeze_axis");
        for (std::int64_t i = 0; i < num; ++i)
            if (c.output_used(static_cast<std::size_t>(i)))
                c.set_output(static_cast<std::size_t>(i),
                             c.add<ops::squeeze>({}, {{s, static_cast<std::size_t>(i)}, ax}, "/squeeze" + std::to_string(i)));
    });
    t.add("Transpose", [](context& c) { c.set_output(0, c.add<ops::transpose>({}, {c.input(0), c.input(1)})); });
    t.add("Where", [](context& c) {  // the coordinates of the true (non-zero) elements, one row each
        MOIR_CHECK(c.input_count() == 1, unsupported_error, "Where with x and y (TF1's Select form) is not supported");
        const output_ref nz = c.add<ops::non_zero>({element_type::i64}, {c.input(0)}, "/nonzero");
        c.set_output(0, c.add<ops::transpose>({}, {nz, c.constant_i64({1, 0}, "/perm")}));
    });
    t.add("StridedSlice", detail::convert_strided_slice);
    t.add("Slice", [](context& c) {  // begin, size (-1: to the end)
        if (!c.const_input(1) || !c.const_input(2)) return detail::convert_dynamic_slice(c);  // ops/space_batch.hpp
        const auto b = c.const_ints(1, "begin");
        const auto sz = c.const_ints(2, "size");
        std::vector<std::int64_t> e, st(b.size(), 1), ax;
        for (std::size_t i = 0; i < b.size(); ++i) {
            e.push_back(sz[i] < 0 ? std::numeric_limits<std::int64_t>::max() : b[i] + sz[i]);
            ax.push_back(static_cast<std::int64_t>(i));
        }
        c.set_output(0, c.add<ops::slice>({}, {c.input(0), c.constant_i64(b, "/start"), c.constant_i64(e, "/stop"),
                                               c.constant_i64(st, "/step"), c.constant_i64(ax, "/axes")}));
    });
    t.add("Pad", [](context& c) { detail::convert_pad(c, ops::pad_mode::constant); });
    t.add("PadV2", [](context& c) { detail::convert_pad(c, ops::pad_mode::constant); });
    t.add("MirrorPad", [](context& c) {
        const std::string m = c.require_attr<std::string>("mode");
        MOIR_CHECK(m == "REFLECT" || m == "SYMMETRIC", unsupported_error, "MirrorPad mode '" + m + "' is not supported");
        detail::convert_pad(c, m == "REFLECT" ? ops::pad_mode::reflect : ops::pad_mode::symmetric);
    });
    t.add("Tile", [](context& c) { c.set_output(0, c.add<ops::tile>({}, {c.input(0), c.input(1)})); });
    t.add("GatherV2", [](context& c) {
        c.set_output(0, c.add<ops::gather>({c.attr<std::int64_t>("batch_dims", 0)}, {c.input(0), c.input(1), c.input(2)}));
    });
    t.add("GatherNd", [](context& c) { c.set_output(0, c.add<ops::gather_nd>({0}, {c.input(0), c.input(1)})); });
    t.add("Size", [](context& c) {
        const element_type et = c.attr<element_type>("out_type", element_type::i32);
        auto s = c.add<ops::shape_of>({et}, {c.input(0)}, "/shape");
        c.set_output(0, c.add<ops::reduce_prod>({false}, {s, c.constant_i64({0}, "/axis")}));
    });
    t.add("Shape", [](context& c) {
        c.set_output(0, c.add<ops::shape_of>({c.attr<element_type>("out_type", element_type::i32)}, {c.input(0)}));
    });
    t.add("Fill", [](context& c) {
        c.set_output(0, c.add<ops::broadcast>({ops::broadcast_mode::numpy}, {c.input(1), c.input(0)}));
    });
    t.add("BroadcastTo", [](context& c) {
        c.set_output(0, c.add<ops::broadcast>({ops::broadcast_mode::numpy}, {c.input(0), c.input(1)}));
    });
    t.add("ZerosLike", [](context& c) {
        auto s = c.add<ops::shape_of>({element_type::i64}, {c.input(0)}, "/shape");
        c.set_output(0, c.add<ops::broadcast>({ops::broadcast_mode::numpy}, {c.scalar(c.input_port(0).type, 0.0, "/zero"), s}));
    });
    t.add("Range", [](context& c) {
        c.set_output(0, c.add<ops::range>({c.attr<element_type>("Tidx", c.input_port(0).type)},
                                          {c.input(0), c.input(1), c.input(2)}));
    });
    t.add("Split", [](context& c) {  // (axis, value)
        const std::int64_t num = c.require_attr<std::int64_t>("num_split");
        const node_id s = c.add_node<ops::split>({num}, {c.input(1), c.input(0)});
        for (std::int64_t i = 0; i < num; ++i) c.set_output(static_cast<std::size_t>(i), {s, static_cast<std::size_t>(i)});
    });
    t.add("SplitV", [](context& c) {  // (value, size_splits, axis)
        const node_id s = c.add_node<ops::variadic_split>({}, {c.input(0), c.input(2), c.input(1)});
        for (std::size_t i = 0; i < c.model().at(s).outputs.size(); ++i) c.set_output(i, {s, i});
    });
    t.add("DepthToSpace", [](context& c) {
        const bool nhwc = c.nhwc();
        output_ref x = nhwc ? c.to_nchw(c.input(0)) : c.input(0);
        output_ref y = c.add<ops::depth_to_space>(
            {ops::depth_space_mode::blocks_first, c.require_attr<std::int64_t>("block_size")}, {x}, "/d2s");
        c.set_output(0, nhwc ? c.to_nhwc(y) : y);
    });
    t.add("ResizeBilinear", [](context& c) { detail::convert_resize(c, true); });
    t.add("ResizeNearestNeighbor", [](context& c) { detail::convert_resize(c, false); });
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_OPS_TENSOR_HPP
