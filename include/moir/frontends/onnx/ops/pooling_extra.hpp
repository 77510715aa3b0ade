#ifndef MOIR_FRONTENDS_ONNX_OPS_POOLING_EXTRA_HPP
#define MOIR_FRONTENDS_ONNX_OPS_POOLING_EXTRA_HPP

// ONNX pooling ops beyond MaxPool/AveragePool -> moir ops:
//   LpPool: (sum over the window of |x|^p)^(1/p) as AvgPool(|x|^p, padded cells counted) times the
//     kernel volume (dilations and ceil_mode are not supported).
//   GlobalLpPool: ReduceL2 / ReduceL1 over the spatial axes (p = 2, 1), else
//     ReduceSum(|x|^p)^(1/p).
//   MaxUnpool: moir's MaxUnpool op.

#include <moir/frontends/onnx/converter.hpp>
#include <moir/frontends/onnx/ops/nn.hpp>  // detail::onnx_window
#include <moir/ops/abs.hpp>
#include <moir/ops/avg_pool.hpp>
#include <moir/ops/max_unpool.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/power.hpp>
#include <moir/ops/reduce_l1.hpp>
#include <moir/ops/reduce_l2.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/sqrt.hpp>

#include <cstdint>  // int64_t
#include <string>   // string
#include <vector>   // vector

namespace moir::onnx {

namespace detail {
/// |x|^p (x * x for p = 2).
inline output_ref lp_power(context& c, output_ref x, std::int64_t p, element_type et) {
    if (p == 2) return c.add<moir::ops::multiply>({}, {x, x}, "/pow");
    const output_ref a = c.add<moir::ops::abs>({}, {x}, "/abs");
    if (p == 1) return a;
    return c.add<moir::ops::power>({}, {a, c.constant(tensor::scalar(static_cast<float>(p)).converted(et), "/p")}, "/pow");
}

/// v^(1/p) (Sqrt for p = 2, nothing for p = 1), named after the node.
inline output_ref lp_root(context& c, output_ref v, std::int64_t p, element_type et) {
    if (p == 1) return v;
    if (p == 2) return c.add<moir::ops::sqrt>({}, {v});
    return c.add<moir::ops::power>({}, {v, c.constant(tensor::scalar(1.0f / static_cast<float>(p)).converted(et), "/inv_p")});
}

inline void lp_pool(context& c) {
    const auto kernel = c.attr_ints("kernel_shape");
    MOIR_CHECK(!kernel.empty(), parse_error, "kernel_shape is required");
    const window w = onnx_window(c, kernel.size());
    for (auto d : w.dilations) MOIR_CHECK(d == 1, unsupported_error, "LpPool with dilations is not supported");
    MOIR_CHECK(c.attr_int("ceil_mode", 0) == 0, unsupported_error, "LpPool with ceil_mode=1 is not supported");
    const std::int64_t p = c.attr_int("p", 2);
    MOIR_CHECK(p >= 1, unsupported_error, "LpPool needs p >= 1");
    const element_type et = c.input_port(0).type;
    moir::ops::avg_pool::attrs a;
    a.strides = w.strides;
    a.pads_begin = w.pads_begin;
    a.pads_end = w.pads_end;
    a.kernel = kernel;
    a.auto_pad = w.auto_pad;
    a.exclude_pad = false;
    std::int64_t volume = 1;
    for (auto k : kernel) volume *= k;
    output_ref y = c.add<moir::ops::avg_pool>(a, {lp_power(c, c.input(0), p, et)}, "/mean");
    y = c.add<moir::ops::multiply>({}, {y, c.constant(tensor::scalar(static_cast<float>(volume)).converted(et), "/volume")},
                                   p == 1 ? "" : "/sum");
    c.set_output(0, lp_root(c, y, p, et));
}

inline void global_lp_pool(context& c) {
    const auto& s = c.input_port(0).shape;
    MOIR_CHECK(!s.rank_dynamic && s.rank() >= 3, unsupported_error, "GlobalLpPool needs an input of known rank >= 3");
    std::vector<std::int64_t> axes;
    for (std::size_t i = 2; i < s.rank(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    const output_ref ax = c.constant(tensor::from_vector(axes), "/axes");
    const std::int64_t p = c.attr_int("p", 2);
    MOIR_CHECK(p >= 1, unsupported_error, "GlobalLpPool needs p >= 1");
    if (p == 2) return c.set_output(0, c.add<moir::ops::reduce_l2>({true}, {c.input(0), ax}));
    if (p == 1) return c.set_output(0, c.add<moir::ops::reduce_l1>({true}, {c.input(0), ax}));
    const element_type et = c.input_port(0).type;
    const output_ref sum = c.add<moir::ops::reduce_sum>({true}, {lp_power(c, c.input(0), p, et), ax}, "/sum");
    c.set_output(0, lp_root(c, sum, p, et));
}

inline void max_unpool(context& c) {
    const auto kernel = c.attr_ints("kernel_shape");
    MOIR_CHECK(!kernel.empty(), parse_error, "kernel_shape is required");
    const window w = onnx_window(c, kernel.size());
    moir::ops::max_unpool::attrs a{kernel, w.strides, w.pads_begin, w.pads_end};
    std::vector<output_ref> in{c.input(0), c.input(1)};
    if (c.has_input(2)) in.push_back(c.input(2));
    c.set_output(0, c.add<moir::ops::max_unpool>(a, in));
}
}  // namespace detail

/// Registers LpPool, GlobalLpPool and MaxUnpool.
template <class = void>  // compiled only where a table is built
void register_pooling_extra(op_table& t) {
    t.add("LpPool", detail::lp_pool, 2);
    t.add("GlobalLpPool", detail::global_lp_pool, 2);
    t.add("MaxUnpool", detail::max_unpool, 9);
}

}  // namespace moir::onnx

#endif  // MOIR_FRONTENDS_ONNX_OPS_POOLING_EXTRA_HPP
