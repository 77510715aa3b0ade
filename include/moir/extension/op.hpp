#ifndef MOIR_EXTENSION_OP_HPP
#define MOIR_EXTENSION_OP_HPP

// A user's op, registered without rebuilding moir (docs/custom-layers.md). The op is a C++ type
// like moir's own (core/op.hpp: name, IR type, its own opset name, attrs aggregate with ir_names,
// infer) with a reference kernel (kernels/kernel.hpp: a specialization of reference_kernel<Op>);
// describe_op<Op>() erases it into the registry's op_extension:
//
//   moir::extensions().add_op(moir::describe_op<my_ops::swish_beta>());
//   moir::register_ops<moir::type_list<my_ops::a, my_ops::b>>(moir::extensions());  // a list at once
//
// A fast kernel (same contract as the reference kernel, any struct with a static run) is the
// second parameter: describe_op<Op, my_fast_kernel>(). This header is light: it does not include
// moir's opset or its tables.

#include <moir/core/extensions.hpp>
#include <moir/core/op.hpp>
#include <moir/core/type_list.hpp>
#include <moir/ir/attr_codec.hpp>
#include <moir/kernels/kernel.hpp>

#include <any>          // any, any_cast
#include <string>       // string
#include <type_traits>  // is_void_v
#include <vector>       // vector

namespace moir {

namespace detail {
template <class Op>
std::any read_extension_op(const ir::xml::element* data, const std::string& where, const ir::detail::bin_source&) {
    return ir::read_data<typename Op::attrs>(data, where);
}
template <class Op>
void write_extension_op(const node& n, ir::xml::writer& w, ir::detail::bin_builder&) {
    ir::write_data(w, n.attrs_as<Op>());
}
template <class Op, class Kernel>
void run_extension_kernel(const std::any& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
    Kernel::run(std::any_cast<const typename Op::attrs&>(a), in, out);
}
}  // namespace detail

/// The registry entry of op type Op: its op_info, IR <data> reader and writer (the attrs'
/// ir_names), its reference kernel (kernels::reference_kernel<Op>) and, when FastKernel is not
/// void, FastKernel::run as the kernel of the compiled plan.
/// requires: Op satisfies the op concept (core/op.hpp) and has a reference kernel (a compile-time
/// error says so otherwise); its attrs hold only types the IR attribute codec knows.
template <class Op, class FastKernel = void>
op_extension describe_op() {
    static_assert(kernels::has_reference_kernel_v<Op>,
                  "moir: an extension op needs a reference kernel: specialize moir::kernels::reference_kernel<Op>");
    op_extension e;
    e.info = &info_of<Op>();
    e.read = &detail::read_extension_op<Op>;
    e.write = &detail::write_extension_op<Op>;
    e.reference = &detail::run_extension_kernel<Op, kernels::reference_kernel<Op>>;
    if constexpr (!std::is_void_v<FastKernel>) e.fast = &detail::run_extension_kernel<Op, FastKernel>;
    return e;
}

/// Registers every op of List (a moir::type_list of op types) in `r`.
template <class List>
void register_ops(extension_registry& r) {
    for_each_type(List{}, [&](auto tag) { r.add_op(describe_op<typename decltype(tag)::type>()); });
}

}  // namespace moir

#endif  // MOIR_EXTENSION_OP_HPP
