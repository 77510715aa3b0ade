#ifndef MOIR_OPS_IF_HPP
#define MOIR_OPS_IF_HPP

#include <moir/core/bodies.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// if_op: runs one of two bodies (node::bodies[0] = then, [1] = else) on the node's inputs.
/// requires: input 0 is the condition (one element, any type; nonzero = then); attrs map each
/// body Parameter to the node input that feeds it (then_inputs[j] feeds the then body's Parameter j);
/// both bodies have as many Results as the node has outputs. ensures: output i is Result i of the
/// body taken; its inferred shape fits both bodies (differing dims dynamic) unless the condition is
/// known, and the type must agree. OpenVINO's If (opset8): then/else bodies, then_port_map/else_port_map.
struct if_op {
    static constexpr std::string_view name = "if", ir_name = "If", ir_opset = "opset8";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1u << 20;
    struct attrs {
        std::vector<std::int64_t> then_inputs;  ///< node input feeding each then-body Parameter
        std::vector<std::int64_t> else_inputs;  ///< node input feeding each else-body Parameter
        static constexpr std::array<std::string_view, 2> ir_names{"then_inputs", "else_inputs"};
    };
    static port_descs infer(const attrs&, const port_descs&) {
        throw shape_error("an If needs its bodies to infer its outputs");
    }
    static port_descs infer_bodies(const attrs& a, const body_list& b, const port_descs& in) {
        MOIR_CHECK(b.size() == 2 && b[0] && b[1], shape_error, "an If needs a then body and an else body");
        const auto feed = [&](const std::vector<std::int64_t>& map, const char* which) {
            port_descs d;
            for (auto k : map) {
                MOIR_CHECK(k >= 1 && static_cast<std::size_t>(k) < in.size(), shape_error,
                           std::string(which) + " body reads input " + std::to_string(k) + " of " +
                               std::to_string(in.size()));
                d.push_back(in[static_cast<std::size_t>(k)]);
                d.back().value = tensor();
            }
            return d;
        };
        MOIR_CHECK(in.at(0).shape.rank_dynamic || numel_or(in[0].shape) != 0, shape_error, "the condition is empty");
        const port_descs t = infer_body(*b[0], feed(a.then_inputs, "the then"), "then body");
        const port_descs e = infer_body(*b[1], feed(a.else_inputs, "the else"), "else body");
        MOIR_CHECK(t.size() == e.size(), shape_error,
                   "the then body has " + std::to_string(t.size()) + " results, the else body " + std::to_string(e.size()));
        if (in[0].has_value() && in[0].value.numel() > 0) return in[0].value.at_as<bool>(0) ? t : e;
        port_descs out;
        for (std::size_t i = 0; i < t.size(); ++i) {
            MOIR_CHECK(t[i].type == e[i].type, shape_error,
                       "output " + std::to_string(i) + " is " + std::string(moir::ir_name(t[i].type)) + " in the then body, " +
                           std::string(moir::ir_name(e[i].type)) + " in the else body");
            out.push_back(port_desc{t[i].type, merge_shapes(t[i].shape, e[i].shape), {}});
        }
        return out;
    }

private:
    static std::int64_t numel_or(const partial_shape& s) {
        std::int64_t n = 1;
        for (auto d : s.dims) n = d < 0 ? -1 : (n < 0 ? -1 : n * d);
        return n;
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_IF_HPP
