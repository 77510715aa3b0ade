#ifndef MOIR_PASSES_QUANTIZE_COMPRESS_FP16_HPP
#define MOIR_PASSES_QUANTIZE_COMPRESS_FP16_HPP

// FP16 weight compression (`moir convert --compress_to_fp16`), the way OpenVINO writes it: every
// f32 constant that feeds computation is stored as an f16 Const named "<name>_compressed", followed
// by a Convert to f32 that carries the run-time info <attribute name="decompression" version="0"/>.
// The computation stays f32; only the weights lose precision (and half their bytes).
//
// Not compressed (kept f32): constants whose values do not fit f16 (|x| > 65504), constants that feed shape computations (Interpolate scales and
// sizes, Range, Reshape-like shape inputs: any input other than input 0/1 of an op is left alone
// unless it is a Convolution-like weight), and scalars (nothing to gain). The pass is the last one
// moir convert runs; fold_constants never folds a decompression Convert back.

#include <moir/core/model.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/range.hpp>
#include <moir/passes/pass_concept.hpp>

#include <cmath>        // fabs, isfinite
#include <cstddef>      // size_t
#include <string_view>  // string_view

namespace moir::passes {

/// The rt_info key that marks a Convert as weight decompression.
inline constexpr std::string_view decompression_key = "decompression";

/// Whether node n is a Convert that decompresses constant weights (rt_info "decompression").
inline bool is_decompression(const node& n) {
    return n.is<ops::convert>() && n.find_rt(std::string(decompression_key)) != nullptr;
}

/// Stores f32 weights as f16 Const -> Convert(f32, decompression). See the file comment.
struct compress_fp16 {
    static constexpr std::string_view name = "compress_fp16";

    /// Whether every value of t fits f16's range.
    static bool fits_f16(const tensor& t) {
        for (std::size_t i = 0; i < t.numel(); ++i) {
            const double v = t.at_as<double>(i);
            if (!std::isfinite(v)) continue;  // inf and nan are representable
            if (std::fabs(v) > 65504.0) return false;  // tiny values may round to subnormals or 0, as in OpenVINO
        }
        return true;
    }

    /// Whether a constant read by these consumers may lose precision: no shape-computing inputs.
    static bool data_only(const model& m, const std::vector<std::pair<node_id, std::size_t>>& consumers) {
        if (consumers.empty()) return false;
        for (const auto& [c, port] : consumers) {
            const node& n = m.nodes[c];
            if (n.is<ops::interpolate>() || n.is<ops::range>() || is_decompression(n)) return false;
            if (port > 1) return false;  // pads, axes, scales, shapes: keep exact
        }
        return true;
    }

    static std::size_t run(model& m, pass_context&) {
        std::size_t changes = 0;
        for (node_id id : m.topo_order()) {
            if (!m.nodes[id].is<ops::constant>()) continue;
            const tensor value = m.nodes[id].attrs_as<ops::constant>().value;
            if (value.type() != element_type::f32 || value.numel() < 2) continue;
            const auto consumers = m.consumers({id, 0});
            bool is_output = false;
            for (auto r : m.results) is_output = is_output || m.nodes[r].inputs.at(0) == output_ref{id, 0};
            if (is_output || !data_only(m, consumers) || !fits_f16(value)) continue;
            const std::string nm = m.nodes[id].name;
            const node_id c = m.add<ops::constant>({value.converted(element_type::f16)}, {}, nm + "_compressed");
            const node_id cv = m.add<ops::convert>({element_type::f32}, {{c, 0}}, nm);
            m.nodes[cv].rt_info.push_back(rt_attribute{std::string(decompression_key), "0", "", false});
            m.infer_node(c);
            m.infer_node(cv);
            m.nodes[cv].outputs[0].names = m.nodes[id].outputs[0].names;
            m.replace_uses({id, 0}, {cv, 0});
            ++changes;
        }
        return changes;
    }
};

/// Folds every decompression Convert of a constant back into an f32 constant (what a runtime does
/// at load). ensures: no decompression Convert of a Const remains.
inline std::size_t decompress_constants(model& m) {
    std::size_t changes = 0;
    for (node_id id : m.topo_order()) {
        const node& n = m.nodes[id];
        if (!is_decompression(n) || !m.nodes[n.inputs.at(0).node].is<ops::constant>()) continue;
        const tensor v = m.nodes[n.inputs[0].node].attrs_as<ops::constant>().value;
        const node_id c = m.add<ops::constant>({v.converted(n.attrs_as<ops::convert>().destination_type)}, {}, n.name);
        m.infer_node(c);
        m.nodes[c].outputs[0].names = m.nodes[id].outputs[0].names;
        m.replace_uses({id, 0}, {c, 0});
        ++changes;
    }
    if (changes) m.remove_dead();
    return changes;
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_QUANTIZE_COMPRESS_FP16_HPP
