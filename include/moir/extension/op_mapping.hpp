#ifndef MOIR_EXTENSION_OP_MAPPING_HPP
#define MOIR_EXTENSION_OP_MAPPING_HPP

// A one-to-one frontend mapping (as OpenVINO's OpExtension<T>): one framework node becomes one node
// of op Op with the same inputs and outputs, each attribute read from the framework attribute that
// an attribute-name map names (docs/custom-layers.md):
//
//   reg.add_conversion<moir::caffe::context>("caffe", "Log",
//       moir::map_op<my_ops::log_affine, moir::caffe::context>({{"base", "log_param.base"},
//                                                                  {"scale", "log_param.scale"},
//                                                                  {"shift", "log_param.shift"}}));
//
// Many-to-many cases are a conversion function instead (any callable taking the context).

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>

#include <boost/pfr/core.hpp>

#include <cstdint>      // int64_t
#include <functional>   // function
#include <map>          // map
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v, is_integral_v, is_same_v, remove_reference_t
#include <vector>       // vector

namespace moir {

namespace detail {
/// Reads framework attribute `key` into `field` (kept when absent), through the context's typed attr<T>.
template <class Context, class T>
void read_mapped_attribute(const Context& c, const std::string& key, T& field) {
    if constexpr (std::is_same_v<T, bool>) {
        field = c.template attr<bool>(key, field);
    } else if constexpr (std::is_floating_point_v<T>) {
        field = static_cast<T>(c.template attr<float>(key, static_cast<float>(field)));
    } else if constexpr (std::is_integral_v<T>) {
        field = static_cast<T>(c.template attr<std::int64_t>(key, static_cast<std::int64_t>(field)));
    } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, std::vector<std::int64_t>> ||
                         std::is_same_v<T, std::vector<float>>) {
        field = c.template attr<T>(key, field);
    } else {
        static_assert(sizeof(T) == 0,
                      "moir: map_op reads bool, integer, floating-point, string, vector<int64_t> and vector<float> "
                      "attributes; convert other fields with a conversion function");
    }
}
}  // namespace detail

/// The converter of a one-to-one mapping to op Op for a frontend whose context is Context (a
/// frontends::basic_context: ONNX, Caffe, TensorFlow, MXNet). `attribute_names` maps an IR
/// attribute name of Op (Op::attrs::ir_names) to the framework attribute it is read from; an
/// attribute it does not name is read from the framework attribute of the same name. An absent
/// framework attribute keeps the attrs' default.
/// ensures: the node gets every present input in order and binds min(outputs, framework outputs).
template <class Op, class Context>
std::function<void(Context&)> map_op(std::map<std::string, std::string> attribute_names = {}) {
    return [names = std::move(attribute_names)](Context& c) {
        typename Op::attrs a{};
        boost::pfr::for_each_field(a, [&](auto& field, auto idx) {
            const std::string ir(Op::attrs::ir_names[idx]);
            const auto it = names.find(ir);
            detail::read_mapped_attribute(c, it == names.end() ? ir : it->second, field);
        });
        std::vector<output_ref> in;
        for (std::size_t i = 0; i < c.input_count(); ++i)
            if (c.has_input(i)) in.push_back(c.input(i));
        const node_id id = c.template add_node<Op>(a, in);
        const std::size_t outs = c.model().at(id).outputs.size();
        for (std::size_t k = 0; k < c.output_count() && k < outs; ++k) c.set_output(k, output_ref{id, k});
    };
}

}  // namespace moir

#endif  // MOIR_EXTENSION_OP_MAPPING_HPP
