#ifndef MOIR_FRONTENDS_ONNX_OPS_SHAPING_HPP
#define MOIR_FRONTENDS_ONNX_OPS_SHAPING_HPP

// ONNX tensor-creation and layout ops -> moir ops: ConstantOfShape (Broadcast of the value), Size
// (a constant, or ShapeOf + ReduceProd), Range, EyeLike (Eye), Split (Split / VariadicSplit),
// Tile, Expand (Broadcast bidirectional), Pad, DepthToSpace, SpaceToDepth, ReverseSequence.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/broadcast.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/depth_to_space.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/eye.hpp>
#include <moir/ops/floor_mod.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/range.hpp>
#include <moir/ops/reduce_prod.hpp>
#include <moir/ops/reverse_sequence.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/space_to_depth.hpp>
#include <moir/ops/split.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/tile.hpp>
#include <moir/ops/variadic_split.hpp>

#include <cstddef>  // ptrdiff_t, size_t
#include <cstdint>  // int64_t
#include <string>   // string
#include <vector>   // vector

namespace moir::onnx {

namespace detail::shaping {
inline output_ref ints(context& c, const std::vector<std::int64_t>& v, const std::string& suffix) {
    return c.constant(tensor::from_vector(v), suffix);
}
inline output_ref int_scalar(context& c, std::int64_t v, const std::string& suffix) {
    return c.constant(tensor::scalar(v), suffix);
}

/// ConstantOfShape: the 1-element `value` (float 0 by default) broadcast to the shape input.
inline void constant_of_shape(context& c) {
    tensor v = c.has_attr("value") ? c.attr_tensor("value") : tensor::scalar(0.0f);
    MOIR_CHECK(v.numel() == 1, shape_error, "ConstantOfShape value must hold one element");
    const output_ref value = c.constant(v.reshaped(shape{}), "/value");
    c.set_output(0, c.add<moir::ops::broadcast>({moir::ops::broadcast_mode::numpy}, {value, c.input(0)}));
}

/// Size: the element count as an int64 scalar.
inline void size(context& c) {
    const auto& s = c.input_port(0).shape;
    if (s.is_static()) {
        c.set_output(0, int_scalar(c, static_cast<std::int64_t>(numel(s.dims)), ""));
        return;
    }
    const output_ref shp = c.add<moir::ops::shape_of>({element_type::i64}, {c.input(0)}, "/shape");
    c.set_output(0, c.add<moir::ops::reduce_prod>({false}, {shp, ints(c, {0}, "/axes")}));
}

/// EyeLike: ones on diagonal k of a matrix shaped like the input, of type dtype (else the input's).
inline void eye_like(context& c) {
    const auto& s = c.input_port(0).shape;
    MOIR_CHECK(!s.rank_dynamic && s.rank() == 2, shape_error, "EyeLike needs a 2-D input, it is " + s.str());
    element_type t = c.input_port(0).type;
    if (c.has_attr("dtype")) {
        const auto dt = proto::to_element_type(static_cast<int>(c.attr_int("dtype", 0)));
        MOIR_CHECK(dt, unsupported_error,
                   "EyeLike dtype " + proto::data_type_name(static_cast<int>(c.attr_int("dtype", 0))) + " is not supported");
        t = *dt;
    }
    output_ref dims[2];
    output_ref shp{};
    bool have_shape = false;
    for (std::size_t i = 0; i < 2; ++i) {
        const std::string suffix = i == 0 ? "/rows" : "/columns";
        if (s.dims[i] >= 0) {
            dims[i] = int_scalar(c, s.dims[i], suffix);
            continue;
        }
        if (!have_shape) {
            shp = c.add<moir::ops::shape_of>({element_type::i64}, {c.input(0)}, "/shape");
            have_shape = true;
        }
        dims[i] = c.add<moir::ops::gather>({}, {shp, int_scalar(c, static_cast<std::int64_t>(i), suffix + "/index"),
                                                int_scalar(c, 0, suffix + "/axis")},
                                           suffix);
    }
    c.set_output(0, c.add<moir::ops::eye>({t}, {dims[0], dims[1], int_scalar(c, c.attr_int("k", 0), "/k")}));
}

/// Split: sizes from the `split` attribute (opset < 13) or input (13+), else equal parts, one per
/// output (opset 18 num_outputs: parts of ceil(dim / n), the last one smaller).
inline void split(context& c) {
    const std::int64_t axis = c.attr_int("axis", 0);
    const output_ref ax = int_scalar(c, axis, "/axis");
    std::size_t n = c.output_count();
    node_id id;
    if (c.opset() < 13 && c.has_attr("split")) {
        id = c.add_node<moir::ops::variadic_split>({}, {c.input(0), ax, ints(c, c.attr_ints("split"), "/split")});
    } else if (c.opset() >= 13 && c.has_input(1)) {
        id = c.add_node<moir::ops::variadic_split>({}, {c.input(0), ax, c.input(1)});
    } else {
        if (c.has_attr("num_outputs")) n = static_cast<std::size_t>(c.attr_int("num_outputs", 1));
        MOIR_CHECK(n >= 1, shape_error, "Split needs at least one output");
        const auto& s = c.input_port(0).shape;
        std::int64_t d = -1;
        if (!s.rank_dynamic) d = s.dims.at(normalize_axis(axis, s.rank()));
        const auto parts = static_cast<std::int64_t>(n);
        if (d < 0 && c.has_attr("num_outputs") && parts > 1) {
            // the dim is known at run time only: lengths [chunk] * (n - 1) + [dim - chunk * (n - 1)]
            // with chunk = ceil(dim / n)
            const auto& sh = c.input_port(0).shape;
            const std::size_t a = normalize_axis(axis, sh.rank());
            const output_ref shp = c.add<moir::ops::shape_of>({element_type::i64}, {c.input(0)}, "/shape");
            const output_ref dim = c.add<moir::ops::gather>(
                {}, {shp, ints(c, {static_cast<std::int64_t>(a)}, "/dim_index"), int_scalar(c, 0, "/dim_axis")}, "/dim");
            const output_ref chunk = c.add<moir::ops::divide>(
                {moir::ops::auto_broadcast::numpy, true},
                {c.add<moir::ops::add>({}, {dim, ints(c, {parts - 1}, "/round_up")}, "/dim_up"), ints(c, {parts}, "/parts")},
                "/chunk");
            const output_ref last = c.add<moir::ops::subtract>(
                {}, {dim, c.add<moir::ops::multiply>({}, {chunk, ints(c, {parts - 1}, "/full_parts")}, "/full")},
                "/last");
            std::vector<output_ref> pieces(n - 1, chunk);
            pieces.push_back(last);
            const output_ref lengths = c.add<moir::ops::concat>({0}, pieces, "/split");
            id = c.add_node<moir::ops::variadic_split>({}, {c.input(0), ax, lengths});
        } else if (d >= 0 && d % parts != 0) {
            MOIR_CHECK(c.has_attr("num_outputs"), shape_error,
                       "dim " + std::to_string(d) + " does not split into " + std::to_string(n) + " equal parts");
            const std::int64_t chunk = (d + parts - 1) / parts;
            std::vector<std::int64_t> lengths(n, chunk);
            lengths.back() = d - chunk * (parts - 1);
            MOIR_CHECK(lengths.back() >= 0, shape_error,
                       "dim " + std::to_string(d) + " does not split into " + std::to_string(n) + " parts");
            id = c.add_node<moir::ops::variadic_split>({}, {c.input(0), ax, ints(c, lengths, "/split")});
        } else {
            id = c.add_node<moir::ops::split>({parts}, {c.input(0), ax});
        }
    }
    for (std::size_t i = 0; i < c.output_count(); ++i) c.set_output(i, {id, i});
}

/// Pad mode wrap (the data seen as a torus): per padded axis, a Gather of the indices
/// (j - begin) mod dim for output position j. requires: constant pads, static padded dims.
inline output_ref wrap_pad(context& c, const partial_shape& s, const std::vector<std::int64_t>& b,
                           const std::vector<std::int64_t>& e) {
    output_ref x = c.input(0);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (b[i] == 0 && e[i] == 0) continue;
        const std::int64_t d = s.dims[i];
        const std::string name = "/wrap" + std::to_string(i);
        MOIR_CHECK(d >= 0, unsupported_error, "Pad mode 'wrap' needs static dims on the padded axes");
        const std::int64_t n = d + b[i] + e[i];
        MOIR_CHECK(n >= 0, shape_error, "Pad: axis " + std::to_string(i) + " would get a negative dim");
        MOIR_CHECK(d > 0 || n == 0, shape_error, "Pad: cannot wrap-pad an empty axis");
        std::vector<std::int64_t> idx(static_cast<std::size_t>(n));
        for (std::int64_t j = 0; j < n; ++j) idx[static_cast<std::size_t>(j)] = ((j - b[i]) % d + d) % d;
        x = c.add<moir::ops::gather>({}, {x, ints(c, idx, name + "/indices"),
                                          int_scalar(c, static_cast<std::int64_t>(i), name + "/axis")},
                                     name);
    }
    return x;
}

/// Pad mode wrap with run-time pads: per axis, a Gather of (Range(0, dim + begin + end) - begin)
/// floor-mod dim. `begin`, `end`: the full 1-D pads.
inline output_ref wrap_pad_dynamic(context& c, std::size_t rank, output_ref begin, output_ref end) {
    output_ref x = c.input(0);
    output_ref shp{};
    const bool dynamic = !c.input_port(0).shape.is_static();
    if (dynamic) shp = c.add<moir::ops::shape_of>({element_type::i64}, {c.input(0)}, "/shape");
    const auto as_i64 = [&](output_ref r, const std::string& name) {
        return c.model().port(r).type == element_type::i64 ? r : c.add<moir::ops::convert>({element_type::i64}, {r}, name);
    };
    begin = as_i64(begin, "/pads_begin/i64");
    end = as_i64(end, "/pads_end/i64");
    for (std::size_t i = 0; i < rank; ++i) {
        const std::string name = "/wrap" + std::to_string(i);
        const auto ax = static_cast<std::int64_t>(i);
        const output_ref axis0 = int_scalar(c, 0, name + "/axis0");
        const output_ref d =
            dynamic ? c.add<moir::ops::gather>({}, {shp, int_scalar(c, ax, name + "/dim_index"), axis0}, name + "/dim")
                    : int_scalar(c, c.input_port(0).shape.dims[i], name + "/dim");
        const output_ref b = c.add<moir::ops::gather>({}, {begin, int_scalar(c, ax, name + "/index"), axis0}, name + "/b");
        const output_ref e = c.add<moir::ops::gather>({}, {end, int_scalar(c, ax, name + "/index_e"), axis0}, name + "/e");
        const output_ref n = c.add<moir::ops::add>({}, {c.add<moir::ops::add>({}, {d, b}, name + "/db"), e}, name + "/n");
        const output_ref r = c.add<moir::ops::range>({element_type::i64}, {int_scalar(c, 0, name + "/zero"), n,
                                                                           int_scalar(c, 1, name + "/one")},
                                                     name + "/range");
        const output_ref idx =
            c.add<moir::ops::floor_mod>({}, {c.add<moir::ops::subtract>({}, {r, b}, name + "/shifted"), d}, name + "/indices");
        x = c.add<moir::ops::gather>({}, {x, idx, int_scalar(c, ax, name + "/axis")}, name);
    }
    return x;
}

/// Pad: pads [begin..., end...] from the attribute (opset < 11) or input 1, over all axes or the
/// `axes` input (opset 18, a constant); constant_value from the attribute or input 2. Modes
/// constant, reflect, edge map to moir pad; wrap (opset 19) becomes Gathers (with run-time pads, of
/// Range / FloorMod-computed indices).
inline void pad(context& c) {
    const std::string mode = c.attr_string("mode", "constant");
    moir::ops::pad::attrs a;
    if (mode == "constant") a.pad_mode = moir::ops::pad_mode::constant;
    else if (mode == "reflect") a.pad_mode = moir::ops::pad_mode::reflect;
    else if (mode == "edge") a.pad_mode = moir::ops::pad_mode::edge;
    else if (mode != "wrap") throw unsupported_error("Pad mode '" + mode + "' is not supported");
    const element_type t = c.input_port(0).type;
    const auto& s = c.input_port(0).shape;
    std::vector<output_ref> in{c.input(0)};
    if (c.opset() < 11) {
        MOIR_CHECK(mode != "wrap", unsupported_error, "Pad mode 'wrap' needs opset 19");
        const auto pads = c.attr_ints("pads");
        MOIR_CHECK(pads.size() % 2 == 0, shape_error, "Pad pads must have an even count");
        const auto half = static_cast<std::ptrdiff_t>(pads.size() / 2);
        in.push_back(ints(c, std::vector<std::int64_t>(pads.begin(), pads.begin() + half), "/pads_begin"));
        in.push_back(ints(c, std::vector<std::int64_t>(pads.begin() + half, pads.end()), "/pads_end"));
        if (a.pad_mode == moir::ops::pad_mode::constant)
            in.push_back(c.constant(tensor::scalar(c.attr_float("value", 0.0f)).converted(t), "/value"));
        c.set_output(0, c.add<moir::ops::pad>(a, in));
        return;
    }
    // the axes the pads cover, and where each data axis finds its pad (axes.size() = none)
    std::size_t rank = s.rank();
    if (s.rank_dynamic) {  // all axes padded by constant pads tell the rank
        const auto pv = c.const_input(1);
        MOIR_CHECK(pv && !c.has_input(3) && mode != "wrap", unsupported_error,
                   "Pad of an input of unknown rank needs constant pads over all axes");
        rank = pv->numel() / 2;
    }
    std::vector<std::size_t> where(rank);
    std::size_t count = rank;
    bool identity = true;
    if (c.has_input(3)) {
        const auto axes = c.require_const(3, "the Pad axes").to_vector<std::int64_t>();
        count = axes.size();
        where.assign(rank, count);
        for (std::size_t j = 0; j < axes.size(); ++j) where[normalize_axis(axes[j], rank)] = j;
        identity = count == rank;
        for (std::size_t i = 0; identity && i < rank; ++i) identity = where[i] == i;
    } else {
        for (std::size_t i = 0; i < rank; ++i) where[i] = i;
    }
    if (const auto pv = c.const_input(1)) {
        const auto pads = pv->to_vector<std::int64_t>();
        MOIR_CHECK(pads.size() == 2 * count, shape_error,
                   "Pad pads have " + std::to_string(pads.size()) + " entries, expected " + std::to_string(2 * count));
        std::vector<std::int64_t> b(rank, 0), e(rank, 0);
        for (std::size_t i = 0; i < rank; ++i)
            if (where[i] < count) {
                b[i] = pads[where[i]];
                e[i] = pads[count + where[i]];
            }
        if (mode == "wrap") {
            bool fixed = true;  // every padded dim is static
            for (std::size_t i = 0; i < rank; ++i) fixed = fixed && ((b[i] == 0 && e[i] == 0) || s.dims[i] >= 0);
            c.set_output(0, fixed ? wrap_pad(c, s, b, e)
                                  : wrap_pad_dynamic(c, rank, ints(c, b, "/pads_begin"), ints(c, e, "/pads_end")));
            return;
        }
        in.push_back(ints(c, b, "/pads_begin"));
        in.push_back(ints(c, e, "/pads_end"));
    } else {
        const output_ref pads = c.input(1);
        const auto n = static_cast<std::int64_t>(count);
        for (int side = 0; side < 2; ++side) {
            const std::string name = side == 0 ? "/pads_begin" : "/pads_end";
            output_ref part = c.add<moir::ops::slice>(
                {}, {pads, ints(c, {side * n}, name + "/start"), ints(c, {(side + 1) * n}, name + "/stop"),
                     ints(c, {1}, name + "/step")},
                identity ? name : name + "/part");
            if (!identity) {  // scatter onto all axes: gather from the part with a 0 appended
                const element_type pt = c.model().port(pads).type;
                const output_ref zero = c.constant(tensor::from_vector<std::int64_t>({0}).converted(pt), name + "/zero");
                const output_ref ext = c.add<moir::ops::concat>({0}, {part, zero}, name + "/padded");
                std::vector<std::int64_t> map(where.begin(), where.end());
                part = c.add<moir::ops::gather>({}, {ext, ints(c, map, name + "/map"), int_scalar(c, 0, name + "/axis")},
                                                name);
            }
            in.push_back(part);
        }
        if (mode == "wrap") {
            c.set_output(0, wrap_pad_dynamic(c, rank, in[1], in[2]));
            return;
        }
    }
    if (a.pad_mode == moir::ops::pad_mode::constant && c.has_input(2)) {
        output_ref v = c.input(2);
        if (c.input_port(2).type != t) v = c.add<moir::ops::convert>({t}, {v}, "/value");
        in.push_back(v);
    }
    c.set_output(0, c.add<moir::ops::pad>(a, in));
}

inline moir::ops::depth_space_mode depth_mode(const std::string& m) {
    if (m == "DCR") return moir::ops::depth_space_mode::blocks_first;
    if (m == "CRD") return moir::ops::depth_space_mode::depth_first;
    throw unsupported_error("DepthToSpace mode '" + m + "' is not supported");
}
}  // namespace detail::shaping

/// Registers ConstantOfShape, Size, Range, EyeLike, Split, Tile, Expand, Pad, DepthToSpace,
/// SpaceToDepth, ReverseSequence.
template <class = void>  // compiled only where a table is built
void register_shaping(op_table& t) {
    namespace sh = detail::shaping;
    t.add("ConstantOfShape", sh::constant_of_shape);
    t.add("Size", sh::size);
    t.add("Range", [](context& c) {
        c.set_output(0, c.add<moir::ops::range>({c.input_port(0).type}, {c.input(0), c.input(1), c.input(2)}));
    });
    t.add("EyeLike", sh::eye_like);
    t.add("Split", sh::split);
    t.add("Tile", [](context& c) { c.set_output(0, c.add<moir::ops::tile>({}, {c.input(0), c.input(1)})); }, 6);
    t.add("Expand", [](context& c) {
        c.set_output(0, c.add<moir::ops::broadcast>({moir::ops::broadcast_mode::bidirectional}, {c.input(0), c.input(1)}));
    });
    t.add("Pad", sh::pad);
    t.add("DepthToSpace", [](context& c) {
        c.set_output(0, c.add<moir::ops::depth_to_space>(
                            {sh::depth_mode(c.attr_string("mode", "DCR")), c.attr_int("blocksize", 1)}, {c.input(0)}));
    });
    t.add("SpaceToDepth", [](context& c) {
        c.set_output(0, c.add<moir::ops::space_to_depth>(
                            {moir::ops::depth_space_mode::blocks_first, c.attr_int("blocksize", 1)}, {c.input(0)}));
    });
    t.add("ReverseSequence", [](context& c) {
        c.set_output(0, c.add<moir::ops::reverse_sequence>({c.attr_int("batch_axis", 1), c.attr_int("time_axis", 0)},
                                                           {c.input(0), c.input(1)}));
    });
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_SHAPING_HPP
