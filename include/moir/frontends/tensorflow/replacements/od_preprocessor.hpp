#ifndef MOIR_FRONTENDS_TENSORFLOW_REPLACEMENTS_OD_PREPROCESSOR_HPP
#define MOIR_FRONTENDS_TENSORFLOW_REPLACEMENTS_OD_PREPROCESSOR_HPP

// ObjectDetectionAPIPreprocessor2Replacement: the TF Object Detection API's (TF2) preprocessing,
// a `map` while loop (TensorList, Enter/Merge/Switch/Exit) that normalizes and resizes each image
// of the batch. For a batch of 1 the loop runs once: the replacement feeds the loop body's element
// read (TensorListGetItem) with the squeezed input, converts the body's ops with the TensorFlow
// converters, and gives each stacked result (TensorListStack) the body's written element with the
// batch axis back. match_kind general finds the loop around a "Preprocessor/" scope.

#include <moir/frontends/common/transformations/replacement.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/unsqueeze.hpp>

#include <cstddef>  // size_t
#include <string>   // string
#include <vector>   // vector

namespace moir::tensorflow::replacements {

/// The OD API's per-image preprocessing loop, for batch 1.
struct od_preprocessor {
    static constexpr const char* id = "ObjectDetectionAPIPreprocessor2Replacement";
    static constexpr const char* doc =
        "the TF Object Detection API's preprocessing while loop (map over the batch), unrolled for batch 1";

    /// The loop's nodes: those under the scope (up to "/while/") of the first node named ".../while/.../Preprocessor/...".
    static transformations::sub_graph find(const transformations::graph_view& g, const transformations::replacement_spec& s) {
        for (const auto& n : g.nodes) {
            const auto pre = n.name.find("/Preprocessor/");
            const auto loop = n.name.find("/while/");
            if (pre == std::string::npos || loop == std::string::npos || loop > pre) continue;
            std::string scope;
            for (char ch : n.name.substr(0, loop + 1))  // escape the scope for the regex
                scope += (std::string("\\^$.|?*+()[]{}").find(ch) != std::string::npos ? "\\" : "") + std::string(1, ch);
            return transformations::match_scope(g, {scope}, s.where);
        }
        throw error(s.where + ": no while loop around a 'Preprocessor/' scope in the graph");
    }

    static void apply(transformations::replacement_context& c) {
        const auto& g = c.graph();
        const auto& m = c.match();
        const auto from = m.of_op(g, "TensorListFromTensor");
        const auto reads = m.of_op(g, "TensorListGetItem");
        if (from.size() != 1 || reads.size() != 1)
            c.fail("expects a loop over one tensor (one TensorListFromTensor and one TensorListGetItem), found " +
                   std::to_string(from.size()) + " and " + std::to_string(reads.size()));
        const output_ref x = c.value(g.nodes[from[0]].inputs.at(0));
        const partial_shape& ps = c.port(x).shape;
        if (ps.rank_dynamic || ps.rank() == 0 || ps.dims[0] != 1)
            c.fail("the loop runs over a batch of " +
                   (ps.rank_dynamic || ps.rank() == 0 || ps.dims[0] < 0 ? std::string("unknown size") : std::to_string(ps.dims[0])) +
                   " ('" + c.tensor_name(g.nodes[from[0]].inputs.at(0)) + "' is " + ps.str() +
                   "); only batch 1 is supported: give --input_shape with batch 1");
        for (std::size_t i = 1; i < ps.rank(); ++i)
            if (ps.dims[i] < 0)
                c.fail("the loop's input '" + c.tensor_name(g.nodes[from[0]].inputs.at(0)) + "' is " + ps.str() +
                       ": the preprocessing needs a static image size; give --input_shape, e.g. [1,320,320,3]");
        const std::string& read = g.nodes[reads[0]].name;
        c.bind(read, c.add<ops::squeeze>({}, {x, c.constant_i64({0}, read + "/replaced/axis")}, read + "/replaced"));
        for (const auto& out : m.outputs) {
            const auto& stack = g.nodes[out.node];
            if (stack.op != "TensorListStack" || out.port != 0) continue;
            // back from the stacked list to the element the body writes: Exit <- Switch <- Merge <- NextIteration <- SetItem
            std::size_t n = stack.inputs.at(0).node;
            for (int steps = 0; steps < 16 && g.nodes[n].op != "TensorListSetItem"; ++steps) {
                const auto& node = g.nodes[n];
                if (node.inputs.empty()) break;
                std::size_t next = node.inputs[0].node;
                if (node.op == "Merge")
                    for (const auto& e : node.inputs)
                        if (g.nodes[e.node].op == "NextIteration") next = e.node;
                n = next;
            }
            if (g.nodes[n].op != "TensorListSetItem" || g.nodes[n].inputs.size() < 3)
                c.fail("cannot find the element the loop writes into '" + stack.name + "'");
            const output_ref v = c.value(g.nodes[n].inputs[2]);
            c.bind(c.tensor_name(out),
                   c.add<ops::unsqueeze>({}, {v, c.constant_i64({0}, stack.name + "/replaced/axis")}, stack.name + "/replaced"));
        }
    }
};

}  // namespace moir::tensorflow::replacements

#endif  // MOIR_FRONTENDS_TENSORFLOW_REPLACEMENTS_OD_PREPROCESSOR_HPP
