#ifndef MOIR_PASSES_QUANTIZE_QUANTIZE_INT8_HPP
#define MOIR_PASSES_QUANTIZE_QUANTIZE_INT8_HPP

// INT8 quantization (`moir convert --data_type INT8`), written the way OpenVINO's NNCF writes it, so
// OpenVINO (and moir) run the IR with int8 kernels where they have them and in f32 where not:
//
//   activation -> FakeQuantize(levels 256, per tensor) -> Convolution <- Multiply <- Convert(f32) <- Const i8
//                                                                            ^ Const f32 scale, per output channel
//
// Activations (the inputs int8_layers lists as such, of every quantizable layer whose weights are
// an f32 constant; both inputs of an activation x activation MatMul) get one FakeQuantize per tensor,
// shared by all its quantized consumers (other consumers keep reading the f32 tensor). Its four
// range inputs are equal pairs (input range = output range, as NNCF writes them), f32 constants of
// shape [1, ..., 1] of the activation's rank (with int8_options::smooth_alpha, a smoothed activation's
// input ranges are per channel instead, [1, C, 1, ...]: passes/quantize/smooth_int8.hpp). The range,
// from calibration (calibrate_int8.hpp):
//   - min >= 0 (after ReLU, Sigmoid, HSigmoid, ...): unsigned, [0, high] — u8 levels, zero exact;
//   - otherwise, with int8_options::activations (fake_quantize_range): symmetric signed,
//     [-a * 128/127, a] with a = max(-low, high) — the i8 grid {-128..127} * a/127, zero exact
//     (NNCF's "performance" preset); or asymmetric, 256 levels over [low, high] shifted to put 0.0
//     on a level (NNCF's "mixed" preset; moir's int8 kernels take any zero point at no cost).
//   A range narrower than 1e-6 is widened to it (a tensor that is always zero still gets levels).
// Weights: per output channel c, s_c = max|W_c| / 127 (1 for an all-zero channel),
// q = nearbyint(W / s_c) in [-127, 127] (symmetric; -128 unused, as NNCF does), so every weight is
// within s_c / 2 of q * s_c; with int8_options::overflow_fix, convolutions (also transposed ones)
// and MatMuls use 64 for 127 (7-bit weights that AVX2's fast u8 x s8 kernel runs exactly). The i8
// Const feeds a Convert to f32 marked with the rt_info "decompression" (so fold_constants and the
// fusions leave the chain alone, as for FP16 weights), then a Multiply by the f32 scale whose shape
// int8_layers gives ([Cout,1,1,1] for Convolution, [G,Cout/G,1,1,1] for GroupConvolution, [1,N]
// for a MatMul's [K,N] weights). One chain per weight
// constant, shared by all its quantized consumers. Layers kept in FP32 (int8_options::keep_fp32) take
// f32 inputs and compute in f32; those named in int8_options::int8_weights still store their weights
// in that i8 chain (weight-only compression, as NNCF's compress_weights), those in
// int8_options::fp16_weights as f16 (Const f16 -> Convert, as compress_to_fp16 writes them), so the
// .bin stays near a quarter of FP32's when the accuracy control reverts large layers.
//
// Where it runs: after optimize() (BatchNorm and scale/shift already folded into the weights, so the
// quantized weights are the fused ones) and before FP16 compression. Calibrate the model optimize()
// returned: the calibration table refers to its tensors.

#include <moir/core/model.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/fake_quantize.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/passes/pass_concept.hpp>
#include <moir/passes/quantize/calibrate_int8.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>  // decompression_key
#include <moir/passes/quantize/int8_layers.hpp>
#include <moir/passes/quantize/smooth_int8.hpp>

#include <algorithm>  // max, min
#include <cmath>      // ceil, fabs, nearbyint
#include <cstddef>    // size_t
#include <cstdint>    // int8_t
#include <map>        // map
#include <optional>   // optional
#include <set>        // set
#include <string>     // string
#include <utility>    // pair
#include <vector>     // vector

namespace moir::passes {

/// What quantize_int8 did.
struct int8_report {
    std::size_t layers = 0;          ///< quantizable layers (int8_layers) with usable weights
    std::size_t int8_layers = 0;     ///< of them, every activation input quantized and weights i8
    std::size_t fake_quantizes = 0;  ///< FakeQuantize nodes added (one per tensor)
    std::size_t weights = 0;         ///< weight constants stored as i8
    std::vector<std::string> quantized;  ///< names of the layers given int8 weights or inputs, in topological order
    std::vector<std::string> kept_fp32;  ///< names of the quantizable layers int8_options::keep_fp32 kept in FP32
    std::vector<std::string> kept_int8_weights;  ///< of those, the ones whose weights are stored i8
    std::vector<std::string> kept_fp16_weights;  ///< of those, the ones whose weights are stored f16
    /// Tensors given channel smoothing (int8_options::smooth_alpha), each with its channel spread
    /// before (channel_spread_ratio), in topological order.
    std::vector<std::pair<std::string, double>> smoothed;
};

/// How activations that go below zero are quantized (NNCF's presets).
enum class activation_scheme {
    symmetric,   ///< "performance": [-a * 128/127, a], a = max(-low, high); zero point 128
    asymmetric,  ///< "mixed": [low, high] widened to put 0.0 on a level; any zero point
};

/// Options of quantize_int8.
struct int8_options {
    /// Layers (node names) to leave in FP32: their inputs stay f32 (a FakeQuantize shared with other
    /// consumers is not fed to them) and they compute in f32 (their weights: compress_kept_weights).
    /// NNCF's "ignored scope"; the accuracy control (passes/quantize/accuracy_control.hpp) fills it.
    std::set<std::string> keep_fp32;
    /// Signed activations: symmetric or asymmetric ranges (see fake_quantize_range).
    activation_scheme activations = activation_scheme::symmetric;
    /// Layers of keep_fp32 that still store their weights as per-channel i8 (the same Const i8 ->
    /// Convert -> Multiply chain; weight-only compression, as NNCF's compress_weights writes it):
    /// their inputs stay f32 and they compute in f32 on the dequantized weights, at a quarter of the
    /// storage. The accuracy control fills it with the reverted layers whose weights can stay i8.
    std::set<std::string> int8_weights;
    /// Every layer of keep_fp32 stores i8 weights (as if all were named in int8_weights).
    bool all_kept_int8_weights = false;
    /// Layers of keep_fp32 (not in int8_weights) whose weights are stored f16 (Const f16 -> Convert
    /// f32 "decompression", as compress_to_fp16 writes them) when they fit f16's range.
    std::set<std::string> fp16_weights;
    /// NNCF's overflow fix: the weights of layers that compute on the INT8 GEMM (Convolution,
    /// ConvolutionBackpropData, GroupConvolution but for depthwise ones, and MatMul with constant
    /// weights) are quantized to [-64, 64] (scale max|w| / 64) instead of [-127, 127], so that every
    /// pair of them fits AVX2's vpmaddubsw kernel (kernels/simd/int8_gemm.hpp: about 1.6x the exact
    /// vpmaddwd one on AVX2 CPUs without VNNI) at the cost of one bit of weight precision. Depthwise weights, and the
    /// weight-only i8 weights of layers kept in FP32, keep [-127, 127]: their kernels gain nothing.
    bool overflow_fix = false;
    /// Layers that keep [-127, 127] weights under overflow_fix (the accuracy control's step 3b).
    std::set<std::string> full_range_weights;
    /// Channel smoothing (passes/quantize/smooth_int8.hpp): 0 turns it off; in (0, 1], the share of
    /// each channel's spread moved from the activation to the weights, for activations whose
    /// channel spread is above smooth_ratio and whose quantized consumers are all Convolutions.
    double smooth_alpha = 0.0;
    double smooth_ratio = 5.0;  ///< the channel spread (channel_spread_ratio) above which smoothing applies
};

/// Whether quantize_int8 gives layer n (weights of shape wdims) 7-bit weights under
/// int8_options::overflow_fix: a Convolution, a ConvolutionBackpropData, a MatMul (all GEMM layers
/// of the runtime), or a GroupConvolution ([G, Cout/G, Cin/G, ...]) with more than one input or
/// output channel per group.
inline bool overflow_fix_applies(const node& n, const shape& wdims) {
    if (n.is<ops::convolution>() || n.is<ops::convolution_backprop_data>() || n.is<ops::matmul>()) return true;
    return n.is<ops::group_convolution>() && wdims.size() >= 3 && wdims[1] * wdims[2] > 1;
}

/// The FakeQuantize range quantize_int8 uses for a calibrated range: {low, high}.
///   - low >= 0: [0, high] (u8 codes, zero point 0);
///   - symmetric: [-a * 128/127, a], a = max(-low, high) (the i8 grid; zero point 128);
///   - asymmetric: 256 levels over [low, high] with 0.0 on a level and neither end clipped: zero
///     point z = ceil(-low / s0) with s0 = (high - low) / 255, step s = max(-low / z, high / (255 - z))
///     (at most a few per cent above s0), range [-z * s, (255 - z) * s]. A tensor like HSwish's
///     output, in [-0.375, 6], keeps all 256 levels for its values where the symmetric range would
///     use about 135 of them, and its minimum stays in range (rounding z to nearest would clip it).
/// A range narrower than 1e-6 is widened to it.
inline std::pair<float, float> fake_quantize_range(const activation_range& r,
                                                   activation_scheme scheme = activation_scheme::symmetric) {
    constexpr double tiny = 1e-6;
    if (r.low >= 0.0) return {0.f, static_cast<float>(std::max(r.high, tiny))};
    if (scheme == activation_scheme::asymmetric) {
        const double lo = std::min(r.low, 0.0), hi = std::max(r.high, tiny);
        // z levels below zero, rounded up so that the low end is never clipped; then the step that
        // covers both ends
        const double s0 = (hi - lo) / 255.0;
        const double z = std::min(254.0, std::ceil(-lo / s0 - 1e-9));
        const double s = std::max(z > 0 ? -lo / z : 0.0, hi / (255.0 - z));
        return {static_cast<float>(-z * s), static_cast<float>((255.0 - z) * s)};
    }
    const double a = std::max({-r.low, r.high, tiny});
    return {static_cast<float>(-a * 128.0 / 127.0), static_cast<float>(a)};
}

/// Symmetric per-channel int8 weights: q (i8, w's shape, in [-max_code, max_code]) and the scale
/// (f32, scale_shape) = max|w| / max_code per channel, with q * scale within scale / 2 of w.
/// requires: w f32; scale_shape of w's rank, each dim 1 or w's; 1 <= max_code <= 127.
inline std::pair<tensor, tensor> quantize_weights_int8(const tensor& w, const shape& scale_shape, int max_code = 127) {
    MOIR_CHECK(max_code >= 1 && max_code <= 127, error, "the weight code range must be within [1, 127]");
    const double top = max_code;
    const shape& ws = w.dims();
    MOIR_CHECK(scale_shape.size() == ws.size(), error, "the weight scale must have the weights' rank");
    // the scale element of each weight: row-major index over the dims the scale keeps
    std::vector<std::size_t> sstride(ws.size(), 0);
    for (std::size_t i = ws.size(), acc = 1; i-- > 0;) {
        MOIR_CHECK(scale_shape[i] == 1 || scale_shape[i] == ws[i], error, "the weight scale does not fit the weights");
        sstride[i] = scale_shape[i] == 1 ? 0 : acc;
        acc *= static_cast<std::size_t>(scale_shape[i]);
    }
    const std::size_t n = w.numel(), ns = numel(scale_shape);
    std::vector<std::size_t> channel(n);
    for (std::size_t e = 0; e < n; ++e) {
        std::size_t rest = e, c = 0;
        for (std::size_t ax = ws.size(); ax-- > 0;) {
            const auto d = static_cast<std::size_t>(ws[ax]);
            c += (rest % d) * sstride[ax];
            rest /= d;
        }
        channel[e] = c;
    }
    const float* x = w.data<float>();
    std::vector<double> maxabs(ns, 0.0);
    for (std::size_t e = 0; e < n; ++e)
        if (std::isfinite(x[e])) maxabs[channel[e]] = std::max(maxabs[channel[e]], std::fabs(static_cast<double>(x[e])));
    std::vector<float> scale(ns);
    for (std::size_t c = 0; c < ns; ++c) scale[c] = maxabs[c] > 0.0 ? static_cast<float>(maxabs[c] / top) : 1.0f;
    std::vector<std::int8_t> q(n);
    for (std::size_t e = 0; e < n; ++e) {
        const double v = std::nearbyint(static_cast<double>(x[e]) / static_cast<double>(scale[channel[e]]));
        q[e] = static_cast<std::int8_t>(std::min(top, std::max(-top, std::isfinite(v) ? v : 0.0)));
    }
    return {tensor::from_vector(q, ws), tensor::from_vector(scale, scale_shape)};
}

/// Quantizes m's quantizable layers to INT8 with the calibrated ranges. See the file comment.
/// requires: `table` from calibrate_int8 on this m (unchanged since). Activations missing from the
/// table stay f32 (their layer is then not counted as INT8); layers named in opt.keep_fp32 compute
/// in FP32 (on i8-stored weights when named in opt.int8_weights or opt.all_kept_int8_weights, on
/// f16-stored ones when named in opt.fp16_weights).
/// ensures: m validates; ctx (when given) logs the pass as "quantize_int8" with its changes.
inline int8_report quantize_int8(model& m, const calibration_table& table, pass_context* ctx = nullptr,
                                 const int8_options& opt = {}) {
    int8_report rep;
    std::map<output_ref, node_id> fq_of;       // one FakeQuantize per tensor
    std::map<std::pair<node_id, int>, output_ref> weights_of;  // one dequantize chain per weight constant and range
    std::map<node_id, output_ref> fp16_of;     // one f16 decompression chain per weight constant
    std::map<node_id, std::vector<float>> smooth_of;  // the divisors of each channel-smoothed FakeQuantize
    std::map<std::pair<node_id, node_id>, node_id> scaled_of;  // weight constant x smoothed FakeQuantize -> W * s
    // The smoothing of tensor r (range rr) when opt.smooth_alpha asks for it and r fits (smooth_int8.hpp).
    auto smoothing = [&](output_ref r, const activation_range& rr) -> std::optional<channel_smoothing> {
        const auto& ps = m.port(r).shape;
        const std::size_t c = rr.channel_min.size();
        if (!(opt.smooth_alpha > 0.0) || c == 0 || ps.rank_dynamic || ps.rank() < 3 ||
            channel_spread_ratio(rr) <= opt.smooth_ratio)
            return std::nullopt;
        std::vector<double> wmax(c, 0.0);
        bool any = false;
        for (const auto& [cid, port] : m.consumers(r)) {
            const node& cn = m.nodes[cid];
            const int8_layer_info CL = int8_layer_of(cn);
            if (!CL.quantizable || opt.keep_fp32.count(cn.name)) continue;  // reads r itself
            if (!cn.is<ops::convolution>() || port != 0 || cn.inputs.size() < 2) return std::nullopt;
            const node& wn = m.nodes[cn.inputs[1].node];
            if (!wn.is<ops::constant>()) return std::nullopt;
            const tensor& w = wn.attrs_as<ops::constant>().value;
            if (w.type() != element_type::f32 || w.dims().size() < 3 || static_cast<std::size_t>(w.dims()[1]) != c)
                return std::nullopt;
            const float* wv = w.data<float>();
            const std::size_t co = static_cast<std::size_t>(w.dims()[0]), taps = w.numel() / (co * c);
            for (std::size_t i = 0; i < w.numel(); ++i)
                if (double& m = wmax[(i / taps) % c]; std::isfinite(wv[i])) m = std::max(m, std::fabs(static_cast<double>(wv[i])));
            any = true;
        }
        if (!any) return std::nullopt;
        return smoothing_of(rr, wmax, std::min(opt.smooth_alpha, 1.0));
    };
    auto constant = [&](const tensor& t, const std::string& nm) {
        const node_id c = m.add<ops::constant>({t}, {}, nm);
        m.infer_node(c);
        return output_ref{c, 0};
    };
    auto tensor_name = [&](output_ref r) {
        const node& p = m.nodes[r.node];
        if (!p.outputs.at(r.port).names.empty()) return p.outputs[r.port].names[0];
        return r.port ? p.name + ":" + std::to_string(r.port) : p.name;
    };
    const std::vector<node_id> order = m.topo_order();
    for (node_id id : order) {
        const int8_layer_info L = int8_layer_of(m.nodes[id]);
        if (!L.quantizable) continue;
        const bool has_weights = L.weights < m.nodes[id].inputs.size() &&
                                 m.nodes[m.nodes[id].inputs[L.weights].node].is<ops::constant>() &&
                                 m.nodes[m.nodes[id].inputs[L.weights].node].attrs_as<ops::constant>().value.type() ==
                                     element_type::f32;
        if (L.weights_required && !has_weights) continue;
        ++rep.layers;
        // the dequantize chain of the layer's weight constant (one per constant, shared)
        auto int8_weights = [&](int max_code) {
            const node_id wid = m.nodes[id].inputs[L.weights].node;
            auto w = weights_of.find({wid, max_code});
            if (w == weights_of.end()) {
                const tensor value = m.nodes[wid].attrs_as<ops::constant>().value;
                const std::string nm = m.nodes[wid].name + (max_code == 127 ? "" : "/" + std::to_string(max_code));
                const auto [q, s] = quantize_weights_int8(value, L.scale_shape(m.nodes[id], value.dims()), max_code);
                const output_ref qc = constant(q, nm + "/int8");
                const node_id cv = m.add<ops::convert>({element_type::f32}, {qc}, nm + "/dequantize");
                m.nodes[cv].rt_info.push_back(rt_attribute{std::string(decompression_key), "0", "", false});
                m.infer_node(cv);
                const output_ref sc = constant(s, nm + "/scale");
                const node_id mul = m.add<ops::multiply>({}, {{cv, 0}, sc}, nm + "/dequantized");
                m.infer_node(mul);
                w = weights_of.emplace(std::make_pair(wid, max_code), output_ref{mul, 0}).first;
                ++rep.weights;
            }
            m.nodes[id].inputs[L.weights] = w->second;
        };
        if (opt.keep_fp32.count(m.nodes[id].name)) {
            rep.kept_fp32.push_back(m.nodes[id].name);
            if (has_weights && (opt.all_kept_int8_weights || opt.int8_weights.count(m.nodes[id].name))) {
                int8_weights(127);
                rep.kept_int8_weights.push_back(m.nodes[id].name);
            } else if (has_weights && opt.fp16_weights.count(m.nodes[id].name)) {
                const node_id wid = m.nodes[id].inputs[L.weights].node;
                const tensor value = m.nodes[wid].attrs_as<ops::constant>().value;
                if (compress_fp16::fits_f16(value)) {
                    auto h = fp16_of.find(wid);
                    if (h == fp16_of.end()) {
                        const output_ref hc = constant(value.converted(element_type::f16), m.nodes[wid].name + "_compressed");
                        const node_id cv = m.add<ops::convert>({element_type::f32}, {hc}, m.nodes[wid].name + "/f16");
                        m.nodes[cv].rt_info.push_back(rt_attribute{std::string(decompression_key), "0", "", false});
                        m.infer_node(cv);
                        h = fp16_of.emplace(wid, output_ref{cv, 0}).first;
                    }
                    m.nodes[id].inputs[L.weights] = h->second;
                    rep.kept_fp16_weights.push_back(m.nodes[id].name);
                }
            }
            continue;
        }
        bool touched = has_weights;
        bool all = true;
        for (std::size_t port : L.activations) {
            if (port >= m.nodes[id].inputs.size()) continue;
            const output_ref r = m.nodes[id].inputs[port];
            if (m.nodes[r.node].is<ops::constant>()) continue;  // the weights (or a constant operand)
            const auto it = table.find(r);
            if (m.port(r).type != element_type::f32 || it == table.end()) {
                all = false;
                continue;
            }
            auto f = fq_of.find(r);
            if (f == fq_of.end()) {
                const auto sm = smoothing(r, it->second);
                activation_range ar = it->second;
                if (sm) ar.low = ar.min = sm->low, ar.high = ar.max = sm->high;
                const auto [lo, hi] = fake_quantize_range(ar, opt.activations);
                const auto& ps = m.port(r).shape;
                const shape one(ps.rank_dynamic ? 0 : ps.rank(), 1);
                const std::string nm = tensor_name(r) + "/fq";
                output_ref il = constant(tensor::from_vector(std::vector<float>(1, lo), one), nm + "/input_low");
                output_ref ih = constant(tensor::from_vector(std::vector<float>(1, hi), one), nm + "/input_high");
                if (sm) {  // x / s: per-channel input ranges onto the one output range
                    shape cs = one;
                    cs[1] = static_cast<std::int64_t>(sm->s.size());
                    std::vector<float> cl(sm->s.size()), ch(sm->s.size());
                    for (std::size_t k = 0; k < cl.size(); ++k) cl[k] = lo * sm->s[k], ch[k] = hi * sm->s[k];
                    il = constant(tensor::from_vector(cl, cs), nm + "/input_low");
                    ih = constant(tensor::from_vector(ch, cs), nm + "/input_high");
                    rep.smoothed.emplace_back(tensor_name(r), sm->spread);
                }
                const output_ref ol = constant(tensor::from_vector(std::vector<float>(1, lo), one), nm + "/output_low");
                const output_ref oh = constant(tensor::from_vector(std::vector<float>(1, hi), one), nm + "/output_high");
                const node_id q = m.add<ops::fake_quantize>({256, ops::auto_broadcast::numpy}, {r, il, ih, ol, oh}, nm);
                m.infer_node(q);
                f = fq_of.emplace(r, q).first;
                if (sm) smooth_of[q] = sm->s;
                ++rep.fake_quantizes;
            }
            m.nodes[id].inputs[port] = output_ref{f->second, 0};
            touched = true;
        }
        if (has_weights && !m.nodes[id].inputs.empty()) {  // a smoothed input: the weights times s (per input channel)
            const auto sm = smooth_of.find(m.nodes[id].inputs[0].node);
            const node_id wid = m.nodes[id].inputs[L.weights].node;
            if (sm != smooth_of.end() && m.nodes[id].is<ops::convolution>()) {
                auto sc = scaled_of.find({wid, sm->first});
                if (sc == scaled_of.end()) {
                    tensor w = m.nodes[wid].attrs_as<ops::constant>().value.converted(element_type::f32);
                    std::vector<float> v = w.to_vector<float>();
                    const std::size_t c = sm->second.size(), taps = v.size() / (static_cast<std::size_t>(w.dims()[0]) * c);
                    for (std::size_t i = 0; i < v.size(); ++i) v[i] *= sm->second[(i / taps) % c];
                    const output_ref ws = constant(tensor::from_vector(v, w.dims()), m.nodes[wid].name + "/smoothed");
                    sc = scaled_of.emplace(std::make_pair(wid, sm->first), ws.node).first;
                }
                m.nodes[id].inputs[L.weights] = output_ref{sc->second, 0};
            }
        }
        if (has_weights) {
            const node& wn = m.nodes[m.nodes[id].inputs[L.weights].node];
            const bool narrow = opt.overflow_fix && !opt.full_range_weights.count(m.nodes[id].name) &&
                                overflow_fix_applies(m.nodes[id], wn.attrs_as<ops::constant>().value.dims());
            int8_weights(narrow ? 64 : 127);
        }
        rep.int8_layers += all ? 1 : 0;
        if (touched) rep.quantized.push_back(m.nodes[id].name);
    }
    m.remove_dead();
    m.validate();
    if (ctx) ctx->log.push_back(pass_record{"quantize_int8", 1, rep.fake_quantizes + rep.weights, m.nodes.size()});
    return rep;
}

}  // namespace moir::passes

#endif  // MOIR_PASSES_QUANTIZE_QUANTIZE_INT8_HPP
