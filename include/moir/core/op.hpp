#ifndef MOIR_CORE_OP_HPP
#define MOIR_CORE_OP_HPP

// THE OP CONCEPT. An op is an empty struct type in namespace moir::ops:
//
//   struct relu {
//       static constexpr std::string_view name = "relu";          // moir's own spelling, unique
//       static constexpr std::string_view ir_name = "ReLU";       // OpenVINO IR <layer type="...">
//       static constexpr std::string_view ir_opset = "opset1";    // OpenVINO IR <layer version="...">
//       static constexpr std::size_t min_inputs = 1, max_inputs = 1;
//       using attrs = no_attrs;                                   // a plain aggregate (Boost.PFR walks it)
//       static port_descs infer(const attrs&, const port_descs& in);  // types + shapes of the outputs
//   };
//
// `attrs` is an aggregate with no constructors, no base classes and a static `ir_names` array that
// gives the IR spelling of each field, in field order (IR names such as "exclude-pad" are not C++
// identifiers). `infer` receives, per input, its element type, its (partial) shape and — when known,
// always at run time — its value; it returns one port_desc per output and throws moir::shape_error
// with a reason when the inputs do not fit. It must accept dynamic dims (-1) and keep them dynamic
// where it cannot resolve them. An op may also define `static std::size_t outputs(const attrs&)`.
//
// Adding an op: a file in ops/, a line in ops/opset.hpp, a reference kernel in
// kernels/reference/, and frontend lines where frameworks have it. Nothing else changes.
//
// Ops with bodies (If, Loop, TensorIterator: docs/control-flow.md) own sub-graphs, held by the node
// (node::bodies). Such an op also defines
//   static port_descs infer_bodies(const attrs&, const body_list& bodies, const port_descs& in);
// which infers the outputs through the bodies (plain `infer` then only says the bodies are needed).

#include <moir/core/element_type.hpp>
#include <moir/core/shape.hpp>
#include <moir/core/tensor.hpp>

#include <any>          // any, any_cast
#include <array>        // array
#include <cstddef>      // size_t
#include <memory>       // shared_ptr
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // is_aggregate_v, void_t
#include <vector>       // vector

namespace moir {

class model;
/// The sub-graphs (bodies) a node owns, e.g. If's then and else bodies. Copies of a node share them.
using body_list = std::vector<std::shared_ptr<model>>;

/// What is known about one tensor flowing between ops: its element type, its shape, and its value
/// when known (constants always; every tensor at run time).
struct port_desc {
    element_type type = element_type::undefined;
    partial_shape shape;
    tensor value;  ///< empty() when unknown
    bool has_value() const { return !value.empty(); }
};
using port_descs = std::vector<port_desc>;

/// The attributes of ops that have none.
struct no_attrs {
    static constexpr std::array<std::string_view, 0> ir_names{};
};

/// A run-time descriptor of an op type, generated from the type by info_of<Op>(). Graph nodes point
/// at one; two nodes are of the same op iff they point at the same op_info.
struct op_info {
    std::string_view name;
    std::string_view ir_name;
    std::string_view ir_opset;
    std::size_t min_inputs;
    std::size_t max_inputs;
    port_descs (*infer)(const std::any& attrs, const port_descs& in);
    std::any (*default_attrs)();
    /// Output inference through the bodies, for ops that own bodies; nullptr for every other op.
    port_descs (*infer_bodies)(const std::any& attrs, const body_list& bodies, const port_descs& in) = nullptr;
};

namespace detail {
/// The boundary check of the op concept: one readable error, then stop.
template <class Op>
constexpr bool check_op() {
    static_assert(std::is_same_v<decltype(Op::name), const std::string_view>,
                  "moir: an op type needs `static constexpr std::string_view name`");
    static_assert(std::is_same_v<decltype(Op::ir_name), const std::string_view>,
                  "moir: an op type needs `static constexpr std::string_view ir_name` (its OpenVINO IR type)");
    static_assert(std::is_aggregate_v<typename Op::attrs>,
                  "moir: an op's `attrs` must be a plain aggregate (use moir::no_attrs if none)");
    static_assert(Op::min_inputs <= Op::max_inputs, "moir: an op's min_inputs must not exceed max_inputs");
    return true;
}

template <class Op>
port_descs infer_erased(const std::any& a, const port_descs& in) {
    return Op::infer(std::any_cast<const typename Op::attrs&>(a), in);
}
template <class Op>
std::any default_attrs_erased() {
    return typename Op::attrs{};
}
template <class Op, class = void>
struct has_bodies : std::false_type {};
template <class Op>
struct has_bodies<Op, std::void_t<decltype(&Op::infer_bodies)>> : std::true_type {};
template <class Op>
port_descs infer_bodies_erased(const std::any& a, const body_list& b, const port_descs& in) {
    return Op::infer_bodies(std::any_cast<const typename Op::attrs&>(a), b, in);
}
template <class Op>
constexpr auto infer_bodies_of() {
    port_descs (*f)(const std::any&, const body_list&, const port_descs&) = nullptr;
    if constexpr (has_bodies<Op>::value) f = &infer_bodies_erased<Op>;
    return f;
}
template <class Op>
inline const op_info op_info_v{Op::name,       Op::ir_name,           Op::ir_opset, Op::min_inputs,
                               Op::max_inputs, &infer_erased<Op>, &default_attrs_erased<Op>,
                               infer_bodies_of<Op>()};
}  // namespace detail

/// The descriptor of Op; its address identifies Op across translation units.
template <class Op>
const op_info& info_of() {
    static_assert(detail::check_op<Op>());
    return detail::op_info_v<Op>;
}

namespace detail {
/// "what: in=[...]" helper for infer error messages.
inline std::string describe_inputs(const port_descs& in) {
    std::string s;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (i) s += ", ";
        s += std::string(ir_name(in[i].type)) + in[i].shape.str();
    }
    return s;
}
}  // namespace detail

}  // namespace moir

#endif  // MOIR_CORE_OP_HPP
