#ifndef MOIR_PASSES_FOLD_CONSTANTS_HPP
#define MOIR_PASSES_FOLD_CONSTANTS_HPP

// Constant folding: a node whose inputs are all constants is evaluated once with its reference
// kernel and replaced by constants; a ShapeOf whose input shape is static becomes a constant, so
// shape sub-graphs (ShapeOf -> Convert -> Slice -> Concat -> Reshape) fold away when shapes are known.

#include <moir/core/model.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/shape_of.hpp>
#include <moir/passes/pass_concept.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <cstddef>      // size_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

/// Folds constant sub-graphs, and static ShapeOfs when pass_context::fold_shapes, into constants. Results larger than
/// pass_context::max_constant_bytes (and larger than their inputs) stay unfolded, so a Broadcast or
/// Tile of a small constant does not bloat the .bin.
template <class OpSet = opsets::all>
struct fold_constants_in {
    static constexpr std::string_view name = "fold_constants";
    static std::size_t run(model& m, pass_context& ctx) {
        std::size_t changes = 0;
        for (node_id id : m.topo_order()) {
            const node& n = m.nodes[id];
            if (n.is<ops::constant>() || n.is<ops::parameter>() || n.is<ops::result>()) continue;
            if (is_decompression(n)) continue;  // compressed weights stay compressed
            std::vector<tensor> values;
            if (n.is<ops::shape_of>()) {
                const auto& s = m.port(n.inputs.at(0)).shape;
                if (!ctx.fold_shapes || !s.is_static()) continue;
                values = {tensor::from_vector(s.dims).converted(n.attrs_as<ops::shape_of>().output_type)};
            } else {
                std::vector<tensor> in;
                std::size_t in_bytes = 0;
                bool all_constant = true;
                for (const auto& r : n.inputs) {
                    const node& p = m.nodes[r.node];
                    if (!p.is<ops::constant>()) {
                        all_constant = false;
                        break;
                    }
                    in.push_back(p.attrs_as<ops::constant>().value);
                    in_bytes += in.back().bytes();
                }
                if (!all_constant || n.inputs.empty()) continue;
                std::size_t out_bytes = 0;
                for (const auto& o : n.outputs)
                    if (o.shape.is_static()) out_bytes += numel(o.shape.dims) * size_of(o.type);
                if (out_bytes > ctx.max_constant_bytes && out_bytes > in_bytes) continue;
                values = evaluate_node<OpSet>(n, in);
            }
            for (std::size_t port = 0; port < values.size(); ++port) {
                const std::string cname = values.size() == 1 ? n.name : n.name + ":" + std::to_string(port);
                const node_id c = m.add<ops::constant>({values[port]}, {}, cname);
                m.infer_node(c);
                m.nodes[c].outputs[0].names = m.nodes[id].outputs.at(port).names;
                m.replace_uses({id, port}, {c, 0});
            }
            ++changes;
        }
        return changes;
    }
};
using fold_constants = fold_constants_in<>;

}  // namespace moir::passes

#endif  // MOIR_PASSES_FOLD_CONSTANTS_HPP
