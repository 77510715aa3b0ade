#ifndef MOIR_OPS_TENSOR_ITERATOR_HPP
#define MOIR_OPS_TENSOR_ITERATOR_HPP

#include <moir/ops/loop.hpp>

#include <cstdint>      // int64_t
#include <string_view>  // string_view

namespace moir::ops {

/// tensor_iterator: OpenVINO's TensorIterator (opset1): a loop over slices of its inputs. Every node
/// input feeds body Parameters as `loop_ports` says; the iteration count is the length of the sliced
/// inputs along their axes (at least one input is sliced; all have one length). No iteration-number
/// port and no condition (current_iteration and condition are -1).
struct tensor_iterator {
    static constexpr std::string_view name = "tensor_iterator", ir_name = "TensorIterator", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 0, max_inputs = 1u << 20;
    using attrs = loop_ports;
    static port_descs infer(const attrs&, const port_descs&) {
        throw shape_error("a TensorIterator needs its body to infer its outputs");
    }
    static port_descs infer_bodies(const attrs& a, const body_list& b, const port_descs& in) {
        MOIR_CHECK(b.size() == 1 && b[0], shape_error, "a TensorIterator needs one body");
        MOIR_CHECK(a.current_iteration < 0 && a.condition < 0, shape_error,
                   "a TensorIterator has no iteration-number port and no condition");
        detail::check_loop_ports(a, *b[0], in.size());
        std::int64_t iterations = -1;
        for (std::size_t j = 0; j < a.input_axis.size(); ++j) {
            if (a.input_axis[j] < 0) continue;
            const auto& s = in[static_cast<std::size_t>(a.input_external[j])].shape;
            if (s.rank_dynamic || static_cast<std::size_t>(a.input_axis[j]) >= s.rank()) continue;
            const auto d = s.dims[static_cast<std::size_t>(a.input_axis[j])];
            if (d >= 0) {
                MOIR_CHECK(iterations < 0 || iterations == d, shape_error,
                           "the sliced inputs have lengths " + std::to_string(iterations) + " and " + std::to_string(d));
                iterations = d;
            }
        }
        return detail::infer_loop(a, *b[0], in, iterations);
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_TENSOR_ITERATOR_HPP
