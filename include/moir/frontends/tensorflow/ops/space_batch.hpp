#ifndef MOIR_FRONTENDS_TENSORFLOW_OPS_SPACE_BATCH_HPP
#define MOIR_FRONTENDS_TENSORFLOW_OPS_SPACE_BATCH_HPP

// TF's SpaceToBatchND / BatchToSpaceND (the pair around a dilated convolution, tf.nn.atrous_conv2d,
// Keras' dilation_rate), on NHWC tensors with a constant 2-D block shape, decomposed into Pad /
// Reshape / Transpose / Slice. The paddings and crops may be computed at run time (Keras computes
// them from the input's shape): they are read as tensors, not folded at conversion. Also the
// Slice of a begin/size computed at run time (detail::convert_dynamic_slice, used by ops/tensor.hpp).

#include <moir/frontends/tensorflow/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/concat.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/gather.hpp>
#include <moir/ops/less.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/pad.hpp>
#include <moir/ops/range.hpp>
#include <moir/ops/reshape.hpp>
#include <moir/ops/select.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/ops/slice.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/transpose.hpp>

#include <cstdint>  // int64_t
#include <limits>   // numeric_limits
#include <string>   // string
#include <vector>   // vector

namespace moir::tensorflow {

namespace detail {
/// The block shape (input 1): two constant values. ensures: unsupported_error otherwise.
inline std::vector<std::int64_t> block_2d(context& c) {
    const auto b = c.const_ints(1, "block_shape");
    MOIR_CHECK(b.size() == 2 && b[0] > 0 && b[1] > 0, unsupported_error, "only a 2-D block shape of positive values is supported");
    const auto& in = c.input_port(0).shape;
    MOIR_CHECK(in.rank_dynamic || in.rank() == 4, unsupported_error, "only rank-4 (NHWC) inputs are supported");
    return b;
}
/// Column `col` of the [2, 2] integer tensor at input i, as i64 [2].
inline output_ref column(context& c, std::size_t i, std::int64_t col, const std::string& suffix) {
    const output_ref v = c.add<ops::convert>({element_type::i64}, {c.input(i)}, suffix + "/i64");
    return c.add<ops::gather>({0}, {v, c.constant(tensor::scalar(static_cast<double>(col)).converted(element_type::i64), suffix + "/col"),
                                     c.constant(tensor::scalar(1.0).converted(element_type::i64), suffix + "/axis")},
                              suffix);
}
/// Elements `idx` of the 1-D i64 tensor v.
inline output_ref pick(context& c, output_ref v, const std::vector<std::int64_t>& idx, const std::string& suffix) {
    return c.add<ops::gather>({0}, {v, c.constant_i64(idx, suffix + "/idx"), c.constant_i64({0}, suffix + "/axis")}, suffix);
}
inline output_ref concat(context& c, std::vector<output_ref> parts, const std::string& suffix) {
    return c.add<ops::concat>({0}, std::move(parts), suffix);
}
/// Slice(x, begin, size) with begin or size known only at run time (a size of -1: to the end).
/// requires: begin's length static.
inline void convert_dynamic_slice(context& c) {
    const auto& bs = c.input_port(1).shape;
    MOIR_CHECK(!bs.rank_dynamic && bs.rank() == 1 && bs.dims[0] >= 0, unsupported_error,
               "Slice with a run-time begin needs begin's length");
    std::vector<std::int64_t> axes, steps;
    for (std::int64_t i = 0; i < bs.dims[0]; ++i) {
        axes.push_back(i);
        steps.push_back(1);
    }
    const output_ref b = c.add<ops::convert>({element_type::i64}, {c.input(1)}, "/begin_i64");
    const output_ref s = c.add<ops::convert>({element_type::i64}, {c.input(2)}, "/size_i64");
    const output_ref to_end = c.add<ops::less>({}, {s, c.constant_i64({0}, "/zero")}, "/to_end");
    const output_ref end = c.add<ops::add>({}, {b, s}, "/end");
    const output_ref stop = c.add<ops::select>(
        {}, {to_end, c.constant_i64({std::numeric_limits<std::int64_t>::max()}, "/max"), end}, "/stop");
    c.set_output(0, c.add<ops::slice>({}, {c.input(0), b, stop, c.constant_i64(steps, "/step"), c.constant_i64(axes, "/axes")}));
}
}  // namespace detail

/// Registers SpaceToBatchND and BatchToSpaceND.
template <class = void>  // compiled only where a table is built
void register_space_batch(op_table& t) {
    // [N, H, W, C] padded to [N, Hp, Wp, C] -> [N, Hp/b0, b0, Wp/b1, b1, C] -> [b0, b1, N, Hp/b0, Wp/b1, C]
    // -> [b0*b1*N, Hp/b0, Wp/b1, C]
    t.add("SpaceToBatchND", [](context& c) {
        using namespace detail;
        const auto b = block_2d(c);
        const output_ref zero = c.constant_i64({0}, "/zero");
        const output_ref begin = concat(c, {zero, column(c, 2, 0, "/pads_begin_hw"), zero}, "/pads_begin");
        const output_ref end = concat(c, {zero, column(c, 2, 1, "/pads_end_hw"), zero}, "/pads_end");
        const output_ref padded = c.add<ops::pad>({ops::pad_mode::constant}, {c.input(0), begin, end}, "/pad");
        const output_ref s = c.add<ops::shape_of>({element_type::i64}, {padded}, "/shape");
        const output_ref hw = c.add<ops::divide>({}, {pick(c, s, {1, 2}, "/hw"), c.constant_i64(b, "/block")}, "/hw_blocks");
        const output_ref split_shape = concat(c, {pick(c, s, {0}, "/n"), pick(c, hw, {0}, "/h"), c.constant_i64({b[0]}, "/b0"),
                                                  pick(c, hw, {1}, "/w"), c.constant_i64({b[1]}, "/b1"), pick(c, s, {3}, "/c")},
                                              "/split_shape");
        const output_ref split = c.add<ops::reshape>({false}, {padded, split_shape}, "/split");
        const output_ref moved = c.transpose(split, {2, 4, 0, 1, 3, 5}, "/move");
        const output_ref out_shape = concat(c, {c.constant_i64({-1}, "/batch"), hw, pick(c, s, {3}, "/c2")}, "/out_shape");
        c.set_output(0, c.add<ops::reshape>({false}, {moved, out_shape}));
    });
    // [b0*b1*N, h, w, C] -> [b0, b1, N, h, w, C] -> [N, h, b0, w, b1, C] -> [N, h*b0, w*b1, C], cropped
    t.add("BatchToSpaceND", [](context& c) {
        using namespace detail;
        const auto b = block_2d(c);
        const output_ref s = c.add<ops::shape_of>({element_type::i64}, {c.input(0)}, "/shape");
        const output_ref hw = pick(c, s, {1, 2}, "/hw");
        const output_ref ch = pick(c, s, {3}, "/c");
        const output_ref split_shape = concat(c, {c.constant_i64({b[0], b[1], -1}, "/blocks"), hw, ch}, "/split_shape");
        const output_ref split = c.add<ops::reshape>({false}, {c.input(0), split_shape}, "/split");
        const output_ref moved = c.transpose(split, {2, 3, 0, 4, 1, 5}, "/move");
        const output_ref full_hw = c.add<ops::multiply>({}, {hw, c.constant_i64(b, "/block")}, "/full_hw");
        const output_ref joined = c.add<ops::reshape>(
            {false}, {moved, concat(c, {c.constant_i64({-1}, "/batch"), full_hw, ch}, "/joined_shape")}, "/joined");
        const output_ref start = column(c, 2, 0, "/crop_begin");
        const output_ref stop = c.add<ops::subtract>({}, {full_hw, column(c, 2, 1, "/crop_end")}, "/stop");
        c.set_output(0, c.add<ops::slice>({}, {joined, start, stop, c.constant_i64({1, 1}, "/step"), c.constant_i64({1, 2}, "/axes")}));
    });
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_OPS_SPACE_BATCH_HPP
