#ifndef MOIR_FRONTENDS_TENSORFLOW_OPS_REDUCE_HPP
#define MOIR_FRONTENDS_TENSORFLOW_OPS_REDUCE_HPP

// TF's reductions and what picks along an axis: Mean, Sum, Max, Min, Prod (keep_dims), Softmax,
// LogSoftmax, ArgMax, ArgMin, TopKV2.

#include <moir/frontends/tensorflow/converter.hpp>
#include <moir/ops/log_softmax.hpp>
#include <moir/ops/reduce_max.hpp>
#include <moir/ops/reduce_mean.hpp>
#include <moir/ops/reduce_min.hpp>
#include <moir/ops/reduce_prod.hpp>
#include <moir/ops/reduce_sum.hpp>
#include <moir/ops/softmax.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/top_k.hpp>

#include <cstdint>  // int64_t

namespace moir::tensorflow {

namespace detail {
template <class Op>
converter reduction() {
    return [](context& c) {
        c.set_output(0, c.add<Op>({c.attr<bool>("keep_dims", false)}, {c.input(0), c.input(1)}));
    };
}
/// ArgMax / ArgMin(x, dimension): TopK with k = 1, then the axis squeezed.
inline void convert_arg(context& c, ops::top_k_mode mode) {
    const auto d = c.const_ints(1, "dimension");
    MOIR_CHECK(d.size() == 1, error, "the dimension must be a scalar");
    ops::top_k::attrs a;
    a.axis = d[0];
    a.mode = mode;
    a.sort = ops::top_k_sort::none;
    a.index_element_type = c.attr<element_type>("output_type", element_type::i64);
    const node_id k = c.add_node<ops::top_k>(a, {c.input(0), c.constant(tensor::scalar<std::int64_t>(1), "/k")}, "/topk");
    c.set_output(0, c.add<ops::squeeze>({}, {{k, 1}, c.constant_i64({d[0]}, "/axis")}));
}
}  // namespace detail

/// Registers the reduction converters.
template <class = void>  // compiled only where a table is built
void register_reduce(op_table& t) {
    t.add("Mean", detail::reduction<ops::reduce_mean>());
    t.add("Sum", detail::reduction<ops::reduce_sum>());
    t.add("Max", detail::reduction<ops::reduce_max>());
    t.add("Min", detail::reduction<ops::reduce_min>());
    t.add("Prod", detail::reduction<ops::reduce_prod>());
    t.add("Softmax", [](context& c) { c.set_output(0, c.add<ops::softmax>({-1}, {c.input(0)})); });
    t.add("LogSoftmax", [](context& c) { c.set_output(0, c.add<ops::log_softmax>({-1}, {c.input(0)})); });
    t.add("ArgMax", [](context& c) { detail::convert_arg(c, ops::top_k_mode::max); });
    t.add("ArgMin", [](context& c) { detail::convert_arg(c, ops::top_k_mode::min); });
    t.add("TopKV2", [](context& c) {  // (input, k), sorted: values and i32 indices on the last axis
        ops::top_k::attrs a;
        a.axis = -1;
        a.sort = c.attr<bool>("sorted", true) ? ops::top_k_sort::value : ops::top_k_sort::none;
        a.index_element_type = element_type::i32;
        const node_id k = c.add_node<ops::top_k>(a, {c.input(0), c.input(1)});
        c.set_output(0, {k, 0});
        c.set_output(1, {k, 1});
    });
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_OPS_REDUCE_HPP
