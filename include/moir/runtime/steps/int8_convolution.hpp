#ifndef MOIR_RUNTIME_STEPS_INT8_CONVOLUTION_HPP
#define MOIR_RUNTIME_STEPS_INT8_CONVOLUTION_HPP

// The INT8 convolution step family: the quantized form the quantization pass writes (as OpenVINO's
// NNCF does),
//
//   x -> FakeQuantize(x, il, ih, ol, oh, levels = 256)  (per tensor, il == ol, ih == oh, il < ih)
//     -> Convolution / GroupConvolution(., W)           (every consumer of the FakeQuantize)
//        W = Multiply(Convert(Const s8 [Cout, Cin, kh, kw]), Const f32 scale [Cout, 1, 1, 1])
//     [-> Add(bias per channel)] [-> Relu | Clamp | HSwish | HSigmoid | Sigmoid]
//
// runs as one step made at the FakeQuantize node: the input is quantized once into u8 codes (an
// arena buffer of its own: the FakeQuantize's f32 output is never materialized), then each
// consumer runs on the INT8 kernels of the plan (kernels/simd/int8_*.hpp: 1x1 as GEMM, others
// through im2col, depthwise on its own kernel) with dequantization, bias and activation fused in
// the epilogue, writing f32. A layer whose weight pairs fit the arch's pairs flavour (avx2's
// vpmaddubsw kernel; 7-bit weights always do) runs on it: kernel names then say "avx2.pairs". The
// plan folds W to f32 before the families run, so the family reads the s8 constant and the scales behind the Convert and Multiply in the model graph.
//
// A FakeQuantize may also have per-channel input ranges (axis 1) onto one output range, as the
// quantization pass writes channel-smoothed activations (passes/quantize/smooth_int8.hpp): its
// codes are made plane by plane, each channel with its own range, and everything after them is as
// below with il, ih the output range. Consumers that quantize their input themselves (the direct
// path, deconvolution) and requantizing producers decline such a FakeQuantize.
//
// Arithmetic (kernels/simd/int8_packing.hpp): sx = (ih - il) / 255, zero point zp = round(-il / sx);
// per output channel c: scale = sx * sw[c], shift = bias[c] + sw[c] * sum_k wq[c, k] * (il + sx * zp),
// and the s32 compensation zp * sum_k wq[c, k]. A padded convolution needs 0.0 to have a code
// (|il + sx * zp| <= 1e-4 * sx): padding reads zp. The codes are FakeQuantize's own, so the result
// differs from the reference (FakeQuantize, then an FP32 convolution on Convert(W) * scale) by float
// rounding only: the order of the sum and where the scales are applied.
//
// MatMul consumers with a constant quantized B (as the quantization pass writes it: Multiply(Convert(
// Const s8 [.., K, N] or [.., N, K] with transpose_b), Const f32 scale per column N)) run on the same
// GEMM: the rows of the input (every leading dim folded in, R rows of K) are quantized, transposed to
// codes [K, R], multiplied as Y^T[N, R] = Wq^T[N, K] x codes (the per-column scales and bias along N
// are then per row of the kernel's epilogue), which the epilogue stores transposed, as Y[R, N].
//
// Requantization (quantize only at the borders of an INT8 region): when a pointwise or depthwise
// consumer's output (after its fused epilogue) is read by nothing but another FakeQuantize this
// family takes, and none of that one's consumers is on the direct path, the consumer writes that
// FakeQuantize's u8 codes instead of the f32 tensor: each worker computes a tile of f32 outputs in
// its scratch (a block of columns, a channel plane) and quantizes it from there with the same
// formula (kernels/simd/int8_quantize.hpp), so the codes are the ones the next step would have
// made; that step ("codes_in" in its kernel name) then reads them and quantizes nothing. The f32
// tensor is never written. plan_options::int8_requantize = false (or MOIR_INT8_REQUANTIZE=0 in the
// environment) turns this off.
//
// When any consumer does not fit (another op, weights not in this form, no code for 0.0 under
// padding, ...), the family declines and the FakeQuantize stays FP32 (steps/fake_quantize.hpp);
// the convolutions then run on the FP32 kernels with the folded weights. Nothing is claimed then.

#include <moir/kernels/reference/broadcast.hpp>
#include <moir/kernels/simd/int8_table.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/convolution_backprop_data.hpp>
#include <moir/ops/fake_quantize.hpp>
#include <moir/ops/group_convolution.hpp>
#include <moir/ops/matmul.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/runtime/steps/deconvolution.hpp>
#include <moir/runtime/steps/fusion.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>  // max, min
#include <cmath>      // fabs, nearbyint
#include <cstdlib>    // getenv
#include <cstdint>    // int8_t, int32_t, uint8_t
#include <memory>     // unique_ptr, make_unique
#include <optional>   // optional
#include <string>     // string, to_string
#include <vector>     // vector

namespace moir::runtime::steps {

namespace detail {

/// A FakeQuantize with levels = 256 as u8 codes: il, ih the output range (per tensor), which the
/// codes dequantize to as sx * (q - zp); the input range is the same, or per channel (cil, cih).
struct activation_quant {
    float il = 0.0f, ih = 0.0f, sx = 0.0f;
    std::int32_t zp = 0;
    bool zero_exact = false;  ///< 0.0 has the code zp (padding may read it)
    /// Per-channel input ranges (axis 1 of the input; empty: the input range is [il, ih]), as the
    /// quantization pass writes them for channel-smoothed activations (passes/quantize/smooth_int8.hpp).
    std::vector<float> cil, cih;
    bool per_channel() const { return !cil.empty(); }
};

/// The scalar value of a constant input, if it is one.
inline std::optional<float> scalar_input(const plan_builder& b, node_id id, std::size_t i) {
    const tensor* t = b.constant_input(id, i);
    if (!t || t->numel() != 1) return std::nullopt;
    return t->at_as<float>(0);
}

/// The per-channel values of constant input i of FakeQuantize fq: f32, of a rank no larger than
/// x's (dims xd) and 1 on every axis but x's axis 1, where it has x's length; empty otherwise.
inline std::vector<float> channel_input(const plan_builder& b, node_id fq, std::size_t i, const shape& xd) {
    const tensor* t = b.constant_input(fq, i);
    if (!t || t->type() != element_type::f32 || xd.size() < 2 || t->dims().size() > xd.size()) return {};
    const shape& td = t->dims();
    const std::size_t lead = xd.size() - td.size();  // right-aligned (numpy broadcasting)
    for (std::size_t a = 0; a < td.size(); ++a)
        if (td[a] != 1 && !(a + lead == 1 && td[a] == xd[1])) return {};
    if (lead > 1 || numel(td) != static_cast<std::size_t>(xd[1])) return {};
    const float* v = t->data<float>();
    return std::vector<float>(v, v + numel(td));
}

/// The quantization of FakeQuantize node fq: 256 levels and either one range (il == ol, ih == oh,
/// il < ih) or per-channel input ranges (il[c] < ih[c], along the input's axis 1) with one output
/// range ol < oh.
inline std::optional<activation_quant> match_activation_quant(const plan_builder& b, node_id fq) {
    const node& n = b.at(fq);
    if (!n.is<ops::fake_quantize>() || n.inputs.size() != 5) return std::nullopt;
    if (n.attrs_as<ops::fake_quantize>().levels != 256) return std::nullopt;
    auto il = scalar_input(b, fq, 1), ih = scalar_input(b, fq, 2);
    const auto ol = scalar_input(b, fq, 3), oh = scalar_input(b, fq, 4);
    activation_quant q;
    if (ol && oh && (!il || !ih)) {  // per-channel input ranges
        const shape& xd = b.slots[b.input_slot(fq, 0)].dims;
        q.cil = channel_input(b, fq, 1, xd);
        q.cih = channel_input(b, fq, 2, xd);
        if (q.cil.empty() || q.cih.size() != q.cil.size()) return std::nullopt;
        for (std::size_t c = 0; c < q.cil.size(); ++c)
            if (!(q.cil[c] < q.cih[c])) return std::nullopt;
        il = ol, ih = oh;
    }
    if (!il || !ih || !ol || !oh || *il != *ol || *ih != *oh || !(*il < *ih)) return std::nullopt;
    q.il = *il, q.ih = *ih, q.sx = (*ih - *il) / 255.0f;
    const double z = std::nearbyint(-static_cast<double>(*il) / q.sx);
    q.zp = static_cast<std::int32_t>(std::min(255.0, std::max(0.0, z)));
    q.zero_exact = std::fabs(static_cast<double>(*il) + static_cast<double>(q.sx) * q.zp) <= 1e-4 * q.sx;
    return q;
}

/// The s8 weights and per-output-channel scales behind a convolution's weight input:
/// Multiply(Convert(Const s8), Const f32) in either operand order, or, for weights with zero points,
/// Multiply(Subtract(Convert(Const s8 or u8), Const f32 zero point), Const f32 scale) (OpenVINO's
/// form of asymmetric weights; TFLite's uint8 weights, frontends/tflite/quantized.hpp).
struct quantized_weights {
    const tensor* q = nullptr;  ///< s8, the convolution's weight shape (no zero points)
    /// With zero points: s8 codes a (the weights' shape) and, where the centred codes u - zw do not
    /// all fit s8, one zero point z per output channel with a - z = u - zw (kernels/simd/int8_packing.hpp:
    /// a = u - 128, z = zw - 128 for u8 codes); where they fit, a = u - zw and no z.
    std::vector<std::int8_t> stored;
    std::vector<std::int32_t> zero;
    std::vector<float> scale;   ///< one per output channel (all groups)
    /// The s8 codes the kernels pack.
    const std::int8_t* codes() const { return q ? q->data<std::int8_t>() : stored.data(); }
    /// Per-channel zero points, or nullptr.
    const std::int32_t* zeros() const { return zero.empty() ? nullptr : zero.data(); }
};

/// The s8 constant and `channels` scales behind weights w = Multiply(Convert(Const s8), Const f32
/// scale), in either operand order, where the scale (right-aligned against w's dims, no longer) is
/// 1 on every axis a except those varies(a, rank) accepts, where it has w's length, and holds 1 or
/// `channels` values in all.
template <class Varies>
std::optional<quantized_weights> match_s8_times_scale(const plan_builder& b, output_ref w, std::size_t channels,
                                                      const Varies& varies) {
    const node& mul = b.at(w.node);
    if (!mul.is<ops::multiply>() || mul.inputs.size() != 2) return std::nullopt;
    const shape& wdims = b.slot_at(w).dims;
    // a per-channel constant: f32, right-aligned against w's dims, varying along accepted axes only
    const auto per_channel = [&](const slot& ss) {
        if (ss.where != slot::kind::constant || ss.type != element_type::f32 || ss.dims.size() > wdims.size())
            return false;
        const shape& sd = ss.dims;
        bool ok = true;
        for (std::size_t d = 0; d < sd.size() && ok; ++d) {
            const std::size_t wd = d + wdims.size() - sd.size();
            ok = sd[d] == 1 || (varies(wd, wdims.size()) && sd[d] == wdims[wd]);
        }
        const std::size_t sn = ss.value.numel();
        return ok && (sn == 1 || sn == channels);
    };
    for (std::size_t side = 0; side < 2; ++side) {
        const node* cv = &b.at(mul.inputs[side].node);
        const slot* zs = nullptr;  // the zero point
        if (cv->is<ops::subtract>() && cv->inputs.size() == 2) {
            zs = &b.slot_at(cv->inputs[1]);
            cv = &b.at(cv->inputs[0].node);
        }
        if (!cv->is<ops::convert>() || cv->inputs.size() != 1) continue;
        const slot& qs = b.slot_at(cv->inputs[0]);
        const slot& ss = b.slot_at(mul.inputs[1 - side]);
        const bool u8 = qs.type == element_type::u8;
        if (qs.where != slot::kind::constant || !(qs.type == element_type::i8 || (u8 && zs)) || qs.dims != wdims ||
            !per_channel(ss) || (zs && !per_channel(*zs)))
            continue;
        quantized_weights r;
        const std::size_t sn = ss.value.numel();
        r.scale.resize(channels);
        for (std::size_t c = 0; c < channels; ++c) r.scale[c] = ss.value.at_as<float>(sn == 1 ? 0 : c);
        if (!zs) {
            r.q = &qs.value;
            return r;
        }
        // zero points: integers within the codes' range
        const std::size_t zn = zs->value.numel();
        const double lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
        std::vector<std::int32_t> zc(zn);
        bool ok = true;
        for (std::size_t i = 0; i < zn && ok; ++i) {
            const float z = zs->value.at_as<float>(i);
            ok = z == std::nearbyint(z) && z >= lo && z <= hi;
            zc[i] = ok ? static_cast<std::int32_t>(z) : 0;
        }
        if (!ok) continue;
        const std::size_t n = qs.value.numel();
        const std::int32_t off = u8 ? 128 : 0;
        std::vector<std::int32_t> centred(n);
        bool fits = true;
        kernels::reference::broadcast_unary(zs->dims, wdims, [&](std::size_t i, std::size_t z) {
            centred[i] = qs.value.at_as<std::int32_t>(i) - zc[z];
            fits = fits && centred[i] >= -128 && centred[i] <= 127;
        });
        r.stored.resize(n);
        if (fits) {  // the centred codes themselves, as symmetric weights
            for (std::size_t i = 0; i < n; ++i) r.stored[i] = static_cast<std::int8_t>(centred[i]);
            return r;
        }
        for (std::size_t i = 0; i < n; ++i) r.stored[i] = static_cast<std::int8_t>(qs.value.at_as<std::int32_t>(i) - off);
        r.zero.resize(channels);
        for (std::size_t c = 0; c < channels; ++c) r.zero[c] = zc[zn == 1 ? 0 : c] - off;
        return r;
    }
    return std::nullopt;
}

/// A convolution's weights: the scale varies along the output-channel axes only (all but the last
/// three: in, kh, kw).
inline std::optional<quantized_weights> match_quantized_weights(const plan_builder& b, output_ref w,
                                                                std::size_t channels) {
    return match_s8_times_scale(b, w, channels, [](std::size_t axis, std::size_t rank) { return axis + 3 < rank; });
}

/// The geometry of a 2-D convolution node with a u8-able input, or nothing.
inline std::optional<kernels::simd::conv_geometry> conv_geometry_of(const plan_builder& b, node_id id) {
    const node& n = b.at(id);
    if (!n.is<ops::convolution>() && !n.is<ops::group_convolution>()) return std::nullopt;
    const bool grouped = n.is<ops::group_convolution>();
    const auto& a = grouped ? n.attrs_as<ops::group_convolution>() : n.attrs_as<ops::convolution>();
    const slot& xs = b.slots[b.input_slot(id, 0)];
    const slot& ws = b.slots[b.input_slot(id, 1)];
    const slot& ys = b.slots[b.output_slot(id)];
    if (xs.type != element_type::f32 || ys.type != element_type::f32 || xs.dims.size() != 4 || ys.dims.size() != 4 ||
        ws.dims.size() != (grouped ? 5u : 4u))
        return std::nullopt;
    const shape& wd = ws.dims;
    const std::size_t lead = grouped ? 3 : 2;
    const auto geo = ops::detail::resolve_window({xs.dims[2], xs.dims[3]}, {wd[lead], wd[lead + 1]}, a.strides,
                                                 a.dilations, a.pads_begin, a.pads_end, a.auto_pad, false);
    kernels::simd::conv_geometry g;
    g.groups = grouped ? static_cast<std::size_t>(wd[0]) : 1;
    g.out_c = static_cast<std::size_t>(wd[lead - 2]);
    g.in_c = static_cast<std::size_t>(wd[lead - 1]);
    g.in_h = static_cast<std::size_t>(xs.dims[2]), g.in_w = static_cast<std::size_t>(xs.dims[3]);
    g.out_h = static_cast<std::size_t>(ys.dims[2]), g.out_w = static_cast<std::size_t>(ys.dims[3]);
    g.kh = static_cast<std::size_t>(wd[lead]), g.kw = static_cast<std::size_t>(wd[lead + 1]);
    g.sh = static_cast<std::size_t>(geo.strides[0]), g.sw = static_cast<std::size_t>(geo.strides[1]);
    g.dh = static_cast<std::size_t>(geo.dilations[0]), g.dw = static_cast<std::size_t>(geo.dilations[1]);
    g.pt = geo.pads_begin[0], g.pl = geo.pads_begin[1];
    if (g.groups * g.in_c != static_cast<std::size_t>(xs.dims[1]) ||
        g.groups * g.out_c != static_cast<std::size_t>(ys.dims[1]) || g.out_h == 0 || g.out_w == 0 || g.pt < 0 ||
        g.pl < 0 || g.in_c * g.kh * g.kw > 65536)
        return std::nullopt;
    return g;
}

/// Whether the convolution needs the code of 0.0 (it reads padding).
inline bool reads_padding(const kernels::simd::conv_geometry& g) {
    const auto ih = static_cast<std::ptrdiff_t>(g.in_h), iw = static_cast<std::ptrdiff_t>(g.in_w);
    const auto last_y = static_cast<std::ptrdiff_t>((g.out_h - 1) * g.sh + (g.kh - 1) * g.dh) - g.pt;
    const auto last_x = static_cast<std::ptrdiff_t>((g.out_w - 1) * g.sw + (g.kw - 1) * g.dw) - g.pl;
    return g.pt > 0 || g.pl > 0 || last_y >= ih || last_x >= iw;
}

/// The s8 weights of a MatMul's constant B, Multiply(Convert(Const s8), Const f32 scale) in either
/// operand order, as Wq^T[N, K] (row n = output column n) with one scale per column.
struct matmul_weights {
    std::vector<std::int8_t> wt;  ///< [N, K]
    std::vector<float> scale;     ///< N values
    std::vector<std::int32_t> zero;  ///< N zero points (quantized_weights), or empty
    std::size_t k = 0, n = 0;
};

inline std::optional<matmul_weights> match_matmul_weights(const plan_builder& b, node_id mm) {
    const node& nd = b.at(mm);
    if (!nd.is<ops::matmul>() || nd.inputs.size() != 2) return std::nullopt;
    const auto& at = nd.attrs_as<ops::matmul>();
    if (at.transpose_a) return std::nullopt;
    const shape& wdims = b.slot_at(nd.inputs[1]).dims;
    const std::size_t r = wdims.size();
    if (r < 2) return std::nullopt;
    for (std::size_t d = 0; d + 2 < r; ++d)
        if (wdims[d] != 1) return std::nullopt;
    const auto rows = static_cast<std::size_t>(wdims[r - 2]), cols = static_cast<std::size_t>(wdims[r - 1]);
    const std::size_t k = at.transpose_b ? cols : rows, n = at.transpose_b ? rows : cols;
    const std::size_t n_axis = at.transpose_b ? r - 2 : r - 1;
    // the scale varies along N only
    auto q = match_s8_times_scale(b, nd.inputs[1], n, [&](std::size_t axis, std::size_t) { return axis == n_axis; });
    if (!q) return std::nullopt;
    matmul_weights w;
    w.k = k, w.n = n;
    w.scale = std::move(q->scale);
    w.zero = std::move(q->zero);
    const auto* v = q->codes();
    w.wt.resize(n * k);
    for (std::size_t j = 0; j < n; ++j)
        for (std::size_t i = 0; i < k; ++i) w.wt[j * k + i] = at.transpose_b ? v[j * k + i] : v[i * n + j];
    return w;
}

/// The s8 weights [C_in, C_out, kh, kw] and per-output-channel scales of a ConvolutionBackpropData:
/// Multiply(Convert(Const s8), Const f32 scale [1, C_out, 1, 1] or one value), either operand order.
inline std::optional<quantized_weights> match_deconv_weights(const plan_builder& b, output_ref w, std::size_t cout) {
    const shape& wdims = b.slot_at(w).dims;
    if (wdims.size() != 4 || static_cast<std::size_t>(wdims[1]) != cout) return std::nullopt;
    return match_s8_times_scale(b, w, cout, [](std::size_t axis, std::size_t) { return axis == 1; });
}

/// dst[c * ldd + r] = src[r * lds + c] for r < rows, c < cols, in tiles of 16 x 16.
template <class T>
void transpose_block(const T* src, std::size_t lds, T* dst, std::size_t ldd, std::size_t rows, std::size_t cols) {
    constexpr std::size_t tile = 16;
    for (std::size_t r0 = 0; r0 < rows; r0 += tile)
        for (std::size_t c0 = 0; c0 < cols; c0 += tile) {
            const std::size_t r1 = std::min(rows, r0 + tile), c1 = std::min(cols, c0 + tile);
            for (std::size_t c = c0; c < c1; ++c)
                for (std::size_t r = r0; r < r1; ++r) dst[c * ldd + r] = src[r * lds + c];
        }
}

}  // namespace detail

/// Quantize once, then run the INT8 convolutions that read the codes.
class int8_conv_step final : public step {
public:
    struct conv {
        enum class kind : std::uint8_t { pointwise, general, depthwise, direct, matmul } how = kind::general;
        struct part {
            kernels::simd::packed_int8_conv w;
            std::size_t x_off = 0, y_off = 0, ch_off = 0;  // bytes into q, floats into y, channels
        };
        std::vector<part> parts;                     // pointwise: one; general: per group and channel block
        kernels::simd::packed_int8_depthwise dw;     // depthwise
        kernels::simd::packed_int8_direct dp;        // direct: weights, and the 4c input it reads
        std::size_t x4_write = 0;                    // direct: index in writes of its 4c input
        bool fills_x4 = false;                       // direct: it quantizes that input (not shared)
        std::size_t t_write = 0;                     // matmul: index in writes of codes^T [K, R]
        bool fills_t = false;                        // matmul: it transposes the codes (not shared)
        std::size_t k = 0, rows = 0;                 // matmul: K and R (Y is [R, channels])
        std::vector<float> scale, shift;             // per output channel
        // requantized output (pointwise, depthwise): u8 codes of the FakeQuantize after the layer
        bool q_out = false;
        float q_il = 0.0f, q_ih = 0.0f;
        std::size_t tile_cols = 0, tile_at = 0;      // pointwise: columns per f32 tile; floats of scratch before it
        fused_epilogue fused;
        kernels::simd::int8_epilogue ep;
        kernels::simd::epilogue dw_ep;
        std::size_t y_stride = 0, columns = 0, grain = 1, channels = 0;
    };
    const kernels::simd::int8_kernel_table* t = nullptr;
    float il = 0.0f, ih = 0.0f;
    std::vector<float> cil, cih;  // per-channel input ranges (activation_quant), channel planes of `plane` values
    std::int32_t zp = 0;
    std::size_t batch = 1, x_stride = 0, numel = 0, plane = 1;
    bool needs_codes = true;  // a consumer reads the plain u8 codes (not only 4c inputs)
    bool codes_in = false;    // the input is already the codes (the producer requantized)
    std::vector<conv> convs;

    void run(const run_context& ctx) const override {
        const float* x = ctx.in_f32(reads[0]);
        const auto* q = static_cast<const std::uint8_t*>(codes_in ? ctx.data(reads[0]) : ctx.out(writes[0]));
        if (needs_codes && !codes_in && cil.empty())
            ctx.pool->parallel_for(0, numel, chunk_elements, [&](std::size_t b, std::size_t e, std::size_t) {
                t->quantize_u8(x + b, static_cast<std::uint8_t*>(ctx.out(writes[0])) + b, e - b, il, ih);
            });
        if (needs_codes && !codes_in && !cil.empty()) {  // per-channel input ranges: plane by plane
            const std::size_t planes = numel / plane, grain = std::max<std::size_t>(1, chunk_elements / plane);
            ctx.pool->parallel_for(0, planes, grain, [&](std::size_t b, std::size_t e, std::size_t) {
                for (std::size_t p = b; p < e; ++p)
                    t->quantize_u8(x + p * plane, static_cast<std::uint8_t*>(ctx.out(writes[0])) + p * plane, plane,
                                   cil[p % cil.size()], cih[p % cil.size()]);
            });
        }
        for (std::size_t i = 0; i < convs.size(); ++i) {
            const conv& c = convs[i];
            float* y = ctx.out_f32(writes[i + 1]);
            if (c.how == conv::kind::matmul) {  // every batch at once: R counts them
                auto* qt = static_cast<std::uint8_t*>(ctx.out(writes[c.t_write]));
                const std::size_t r = c.rows, nch = c.channels;
                ctx.pool->parallel_for(0, r, c.grain, [&](std::size_t b, std::size_t e, std::size_t w) {
                    if (c.fills_t) detail::transpose_block(q + b * c.k, c.k, qt + b, r, e - b, c.k);
                    // Y^T computed, Y's rows [b, e) written (the epilogue's transposed store)
                    t->gemm(c.parts[0].w.weights[0], qt + b, static_cast<std::ptrdiff_t>(r), e - b, y + b * nch,
                            static_cast<std::ptrdiff_t>(nch), c.ep, ctx.scratch_of(w));
                });
                continue;
            }
            for (std::size_t n = 0; n < batch; ++n) {
                const std::uint8_t* qn = q + n * x_stride;
                float* yn = y + n * c.y_stride;
                if (c.q_out) {
                    requantized(ctx, c, qn, reinterpret_cast<std::uint8_t*>(y) + n * c.y_stride);
                    continue;
                }
                switch (c.how) {
                    case conv::kind::direct: {
                        auto* x4 = static_cast<std::uint8_t*>(ctx.out(writes[c.x4_write]));
                        if (c.fills_x4 || batch > 1)
                            ctx.pool->parallel_for(0, c.dp.cg, 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                                t->quantize_4c(x + n * x_stride, c.dp, x4, il, ih, zp, b, e,
                                               reinterpret_cast<std::uint8_t*>(ctx.scratch_of(w)));
                            });
                        ctx.pool->parallel_for(0, c.dp.geometry.out_h, c.grain, [&](std::size_t b, std::size_t e, std::size_t) {
                            t->conv_direct(c.dp, x4, yn, c.ep, b, e);
                        });
                        break;
                    }
                    case conv::kind::pointwise: {
                        const auto& a = c.parts[0].w.weights[0];
                        const auto ld = static_cast<std::ptrdiff_t>(c.columns);
                        ctx.pool->parallel_for(0, c.columns, c.grain, [&](std::size_t b, std::size_t e, std::size_t w) {
                            t->gemm(a, qn + b, ld, e - b, yn + b, ld, c.ep, ctx.scratch_of(w));
                        });
                        break;
                    }
                    case conv::kind::general:
                        ctx.pool->parallel_for(0, c.parts.size(), 1, [&](std::size_t b, std::size_t e, std::size_t w) {
                            for (std::size_t pi = b; pi < e; ++pi) {
                                const auto& p = c.parts[pi];
                                kernels::simd::int8_epilogue pe = c.ep;
                                pe.scale += p.ch_off;
                                if (pe.shift) pe.shift += p.ch_off;
                                t->conv(p.w, qn + p.x_off, yn + p.y_off, pe, ctx.scratch_of(w));
                            }
                        });
                        break;
                    case conv::kind::depthwise:
                        ctx.pool->parallel_for(0, c.channels, 4, [&](std::size_t b, std::size_t e, std::size_t w) {
                            t->depthwise(c.dw, qn, yn + b * (c.y_stride / c.channels), c.dw_ep, ctx.scratch_of(w), b, e);
                        });
                        break;
                    case conv::kind::matmul: break;  // above
                }
            }
        }
    }

private:
    /// Consumer c of image codes qn, writing the u8 codes of its output's FakeQuantize to yq: each
    /// worker runs the f32 kernel into a tile of its scratch (a block of columns of a pointwise
    /// layer, one channel plane of a depthwise one) and quantizes the tile from there.
    void requantized(const run_context& ctx, const conv& c, const std::uint8_t* qn, std::uint8_t* yq) const {
        if (c.how == conv::kind::pointwise) {
            const auto& a = c.parts[0].w.weights[0];
            const auto ld = static_cast<std::ptrdiff_t>(c.columns);
            ctx.pool->parallel_for(0, c.columns, c.grain, [&](std::size_t b, std::size_t e, std::size_t w) {
                float* scratch = ctx.scratch_of(w);
                float* tile = scratch + c.tile_at;
                for (std::size_t j = b; j < e; j += c.tile_cols) {
                    const std::size_t n = std::min(c.tile_cols, e - j);
                    t->gemm(a, qn + j, ld, n, tile, static_cast<std::ptrdiff_t>(n), c.ep, scratch);
                    for (std::size_t m = 0; m < c.channels; ++m)
                        t->quantize_u8(tile + m * n, yq + m * c.columns + j, n, c.q_il, c.q_ih);
                }
            });
        } else {  // depthwise
            const std::size_t plane = c.y_stride / c.channels;
            ctx.pool->parallel_for(0, c.channels, 4, [&](std::size_t b, std::size_t e, std::size_t w) {
                float* scratch = ctx.scratch_of(w);
                float* tile = scratch + c.tile_at;
                for (std::size_t ch = b; ch < e; ++ch) {
                    t->depthwise(c.dw, qn, tile, c.dw_ep, scratch, ch, ch + 1);
                    t->quantize_u8(tile, yq + ch * plane, plane, c.q_il, c.q_ih);
                }
            });
        }
    }
};

/// The family (see the file comment).
struct int8_convolution {
    static constexpr std::string_view name = "int8_convolution";

    /// The direct-path weights of convolution g (wq: its s8 OIHW weights), when the plan's INT8 arch
    /// has that path, g fits it and is not pointwise (those gain nothing there: int8_direct.hpp) and,
    /// where the path's flavour is a pairs one (AVX2), the weights in its (ky, kx, c) order fit it.
    /// MOIR_INT8_DIRECT=0 in the environment turns the path off (to measure against the GEMM one).
    static std::optional<kernels::simd::packed_int8_direct> direct_weights(const plan_builder& b, const std::int8_t* wq,
                                                                          const kernels::simd::conv_geometry& g,
                                                                          std::int32_t zp) {
        namespace ks = kernels::simd;
        static const bool off = [] {
            const char* v = std::getenv("MOIR_INT8_DIRECT");
            return v && v[0] == '0';
        }();
        if (off || !b.int8->conv_direct || !ks::int8_direct_fits(g) || g.pointwise()) return std::nullopt;
        const ks::int8_blocking& bl = b.int8->direct_blocking;
        const std::vector<std::int8_t> r = ks::int8_direct_order(wq, g);
        const std::size_t k = r.size() / g.out_c;
        if (k > 65536 || (bl.pairs && !ks::int8_pairs_fit(r.data(), g.out_c, k, static_cast<std::ptrdiff_t>(k))))
            return std::nullopt;
        return ks::pack_int8_direct(bl, r, g, zp);
    }

    /// Adds MatMul node mm, whose A is the step's FakeQuantize output (x_numel values) and whose B is
    /// mw, to step s as a consumer of kind matmul (file comment); add_extra(type, bytes) makes an
    /// arena buffer of the step's and returns its index in the family's list of them.
    template <class AddExtra>
    static void matmul_consumer(plan_builder& b, int8_conv_step& s, node_id mm, const detail::activation_quant& aq,
                                detail::matmul_weights mw, std::size_t x_numel, const AddExtra& add_extra) {
        namespace ks = kernels::simd;
        using kind = int8_conv_step::conv::kind;
        int8_conv_step::conv c;
        c.how = kind::matmul;
        c.k = mw.k, c.channels = mw.n, c.rows = x_numel / mw.k;
        c.fused = match_epilogue(b, output_ref{mm, 0}, b.slots[b.output_slot(mm)].dims.size() - 1, mw.n);
        b.claim(mm);
        const auto ld = static_cast<std::ptrdiff_t>(mw.k);
        const ks::int8_blocking& bl = ks::int8_blocking_for(*b.int8, mw.wt.data(), mw.n, mw.k, ld);
        int8_conv_step::conv::part p;
        p.w.weights.push_back(ks::pack_int8_a(bl, mw.wt.data(), mw.n, mw.k, ld, aq.zp, mw.zero.empty() ? nullptr : mw.zero.data()));
        const ks::packed_int8_a& pa = p.w.weights[0];
        c.scale.resize(mw.n);
        c.shift.resize(mw.n);
        const double residual = static_cast<double>(aq.il) + static_cast<double>(aq.sx) * aq.zp;
        for (std::size_t j = 0; j < mw.n; ++j) {
            c.scale[j] = aq.sx * mw.scale[j];
            const double bias = c.fused.bias.empty() ? 0.0 : c.fused.bias[j];
            c.shift[j] = static_cast<float>(bias + static_cast<double>(mw.scale[j]) * pa.row_sum[j] * residual);
        }
        c.parts.push_back(std::move(p));
        c.ep.scale = c.scale.data();
        c.ep.shift = c.shift.data();
        c.ep.act = c.fused.kernel_epilogue(false);
        c.ep.act.bias = nullptr;
        c.ep.transposed = true;  // Y = (W^T X^T)^T stored as Y
        // the codes transposed to [K, R]: one buffer for the step's MatMuls (the first fills it)
        c.fills_t = true;
        for (const auto& o : s.convs)
            if (c.fills_t && o.how == kind::matmul) c.t_write = o.t_write, c.fills_t = false;
        if (c.fills_t) c.t_write = add_extra(element_type::u8, x_numel);
        const std::size_t nr = b.int8->blocking.nr();
        c.grain = std::max(nr, (c.rows / b.threads + nr - 1) / nr * nr);
        s.scratch_floats = std::max(s.scratch_floats, ks::int8_gemm_scratch_bytes(bl, mw.k, c.rows) / 4 + 16);
        s.ops += "+MatMul" + c.fused.ops;
        s.kernel += "+i8matmul." + std::string(bl.arch) + c.fused.act_suffix();
        s.convs.push_back(std::move(c));
    }

    /// What each consumer of a FakeQuantize runs as.
    struct consumer_plan {
        node_id id;
        kernels::simd::conv_geometry g;
        detail::quantized_weights w;
        std::optional<detail::matmul_weights> mm;  ///< a MatMul consumer
        bool deconv = false;                       ///< a ConvolutionBackpropData (the only consumer)
    };

    /// The quantization of FakeQuantize fq and the plan of each of its consumers when the family
    /// takes it: per tensor, on an f32 tensor that is not a constant (or on codes an earlier step
    /// makes), and every consumer a convolution or MatMul of the quantized form (nothing is claimed).
    static std::optional<std::pair<detail::activation_quant, std::vector<consumer_plan>>> plan_of(const plan_builder& b,
                                                                                                 node_id fq) {
        if (!b.int8 || !b.use_int8 || !b.at(fq).is<ops::fake_quantize>()) return std::nullopt;
        const auto aq = detail::match_activation_quant(b, fq);
        const slot& xs = b.slots[b.input_slot(fq, 0)];
        if (!aq || xs.type != element_type::f32 || xs.dims.empty() || xs.where == slot::kind::constant ||
            b.slots[b.output_slot(fq)].dims != xs.dims)
            return std::nullopt;
        std::vector<consumer_plan> todo;
        const auto& cons = b.consumers(output_ref{fq, 0});
        if (cons.empty()) return std::nullopt;
        for (const auto& [cid, idx] : cons) {
            if (idx != 0 || b.claimed(cid)) return std::nullopt;
            if (b.at(cid).is<ops::matmul>()) {
                auto mw = detail::match_matmul_weights(b, cid);
                const slot& ys = b.slots[b.output_slot(cid)];
                if (!mw || mw->k == 0 || mw->n == 0 || static_cast<std::size_t>(xs.dims.back()) != mw->k ||
                    xs.dims.size() < 2 || numel(xs.dims) == 0 ||
                    ys.type != element_type::f32 || ys.dims.size() != xs.dims.size() ||
                    static_cast<std::size_t>(ys.dims.back()) != mw->n || mw->k > 65536 ||
                    numel(ys.dims) != numel(xs.dims) / mw->k * mw->n)
                    return std::nullopt;
                todo.push_back({cid, {}, {}, std::move(mw)});
                continue;
            }
            if (xs.dims.size() != 4) return std::nullopt;
            if (b.at(cid).is<ops::convolution_backprop_data>()) {
                const slot& ys = b.slots[b.output_slot(cid)];
                if (cons.size() != 1 || ys.dims.size() != 4 || ys.type != element_type::f32 || aq->per_channel())
                    return std::nullopt;  // (its step quantizes with one range)
                auto w = detail::match_deconv_weights(b, b.at(cid).inputs.at(1), static_cast<std::size_t>(ys.dims[1]));
                if (!w || w->zeros()) return std::nullopt;  // (its GEMM takes symmetric weights)
                todo.push_back({cid, {}, std::move(*w), std::nullopt, true});
                continue;
            }
            const auto g = detail::conv_geometry_of(b, cid);
            if (!g || (!aq->zero_exact && detail::reads_padding(*g))) return std::nullopt;
            auto w = detail::match_quantized_weights(b, b.at(cid).inputs.at(1), g->groups * g->out_c);
            if (!w) return std::nullopt;
            todo.push_back({cid, *g, std::move(*w), std::nullopt});
        }
        return std::make_pair(*aq, std::move(todo));
    }

    /// The FakeQuantize whose u8 codes a consumer writing output `out` can make in its epilogue
    /// instead of `out` (requantization): out's one reader is a FakeQuantize this family takes,
    /// with no consumer on the direct path (that one quantizes the f32 input itself), and no other
    /// step makes its codes yet; else npos. MOIR_INT8_REQUANTIZE=0 in the environment turns it off.
    static node_id requantizes_for(const plan_builder& b, output_ref out) {
        static const bool off = [] {
            const char* v = std::getenv("MOIR_INT8_REQUANTIZE");
            return v && v[0] == '0';
        }();
        const node_id fq = b.single_consumer<ops::fake_quantize>(out);
        if (off || !b.int8_requantize || fq == plan_builder::npos || b.consumers(out)[0].second != 0 || b.int8_codes.count(fq)) return plan_builder::npos;
        const auto pl = plan_of(b, fq);
        if (!pl || pl->first.per_channel()) return plan_builder::npos;  // (the epilogue quantizes with one range)
        for (const auto& c : pl->second)
            if (c.deconv) return plan_builder::npos;  // its step quantizes its own input
        for (const auto& c : pl->second)
            if (!c.mm && !c.w.zeros() && !c.g.pointwise() && kernels::simd::int8_direct_fits(c.g) && b.int8->conv_direct)
                return plan_builder::npos;
        return fq;
    }

    /// The step of FakeQuantize fq and its one consumer, a quantized ConvolutionBackpropData (pl):
    /// the deconvolution family's step (steps/deconvolution.hpp) with its GEMM on the INT8 kernels.
    static std::unique_ptr<step> deconv_consumer(plan_builder& b, node_id fq, const detail::activation_quant& aq,
                                                 const consumer_plan& pl) {
        namespace ks = kernels::simd;
        std::unique_ptr<deconv_step> s = deconvolution::make_step(b, pl.id);
        if (!s) return nullptr;
        b.claim(pl.id);
        const std::size_t m = s->cout * s->kh * s->kw, k = s->cin, n = s->ih * s->iw, taps = s->kh * s->kw;
        // A[r = (o, ky, kx), c] = wq[c, o, ky, kx]
        const auto* wq = pl.w.codes();
        std::vector<std::int8_t> a(m * k);
        for (std::size_t r = 0; r < m; ++r)
            for (std::size_t c = 0; c < k; ++c) a[r * k + c] = wq[c * m + r];
        deconv_step::int8_gemm g;
        g.t = b.int8;
        g.il = aq.il, g.ih = aq.ih;
        const auto ld = static_cast<std::ptrdiff_t>(k);
        const ks::int8_blocking& bl = ks::int8_blocking_for(*b.int8, a.data(), m, k, ld);
        g.w = ks::pack_int8_a(bl, a.data(), m, k, ld, aq.zp);
        g.scale.resize(m);
        g.shift.resize(m);
        const double residual = static_cast<double>(aq.il) + static_cast<double>(aq.sx) * aq.zp;
        for (std::size_t r = 0; r < m; ++r) {  // the bias is added after col2im, once per output
            const float sw = pl.w.scale[r / taps];
            g.scale[r] = aq.sx * sw;
            g.shift[r] = static_cast<float>(static_cast<double>(sw) * g.w.row_sum[r] * residual);
        }
        g.ep.scale = g.scale.data();
        g.ep.shift = g.shift.data();
        g.codes_floats = (s->cin * n + 63) / 64 * 16;
        // (each worker's GEMM scratch holds its col2im row phases after the GEMM)
        s->gemm_floats = std::max((ks::int8_gemm_scratch_bytes(bl, k, n) / 4 + 15) / 16 * 16, s->phase_floats());
        s->scratch_floats = (s->col_floats + g.codes_floats + b.threads - 1) / b.threads + s->gemm_floats;
        s->i8 = std::move(g);
        s->w = kernels::simd::packed_a{};  // the FP32 weights make_step packed: unused
        s->name = b.at(fq).name;
        s->ops = std::string(b.at(fq).op->ir_name) + "+" + s->ops;
        s->kernel = "quantize_u8." + std::string(b.int8->blocking.arch) + "+i8" + s->kernel.substr(0, s->kernel.find('.')) +
                    "." + std::string(bl.arch) + s->fused.act_suffix();
        s->reads = {b.input_slot(fq, 0)};
        return s;
    }

    /// Floats in the f32 tile of a requantizing consumer (int8_conv_step::requantized): 32 Ki
    /// (128 KiB, a quarter of a Zen 3 core's L2), or MOIR_INT8_TILE in the environment.
    static std::size_t tile_floats() {
        static const std::size_t n = [] {
            const char* v = std::getenv("MOIR_INT8_TILE");
            const long t = v ? std::atol(v) : 0;
            return t > 0 ? static_cast<std::size_t>(t) : std::size_t(32768);
        }();
        return n;
    }

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        namespace ks = kernels::simd;
        auto planned = plan_of(b, id);
        const auto premade = b.int8_codes.find(id);
        // a producer promised these codes (requantizes_for): the family must take this node
        MOIR_CHECK(planned || premade == b.int8_codes.end(), error,
                   "internal: the INT8 step of FakeQuantize '" + b.at(id).name + "' no longer fits its consumers");
        if (!planned) return nullptr;
        const detail::activation_quant* aq = &planned->first;
        std::vector<consumer_plan>& todo = planned->second;
        const slot xs = b.slots[b.input_slot(id, 0)];  // a copy: b.slots grows below
        if (todo.size() == 1 && todo[0].deconv) return deconv_consumer(b, id, *aq, todo[0]);
        auto s = std::make_unique<int8_conv_step>();
        s->t = b.int8;
        s->il = aq->il, s->ih = aq->ih, s->zp = aq->zp;
        s->cil = aq->cil, s->cih = aq->cih;
        std::vector<std::size_t> extra;  // arena slots of the direct consumers' 4c inputs
        s->numel = numel(xs.dims);
        s->batch = static_cast<std::size_t>(xs.dims[0]);
        s->x_stride = s->numel / (s->batch ? s->batch : 1);
        if (aq->per_channel()) s->plane = std::max<std::size_t>(1, s->x_stride / aq->cil.size());
        s->codes_in = premade != b.int8_codes.end();
        s->reads = {s->codes_in ? premade->second : b.input_slot(id, 0)};
        s->name = b.at(id).name;
        s->ops = std::string(b.at(id).op->ir_name);
        // "codes_in": the producer wrote the codes (requantized in its epilogue)
        s->kernel = (s->codes_in ? "codes_in." : "quantize_u8.") + std::string(b.int8->blocking.arch);
        std::vector<std::size_t> outs;
        auto add_extra = [&](element_type type, std::size_t bytes) {
            slot e;
            e.where = slot::kind::arena;
            e.type = type;
            e.dims = {static_cast<std::int64_t>(bytes / size_of(type))};
            e.bytes = bytes;
            b.slots.push_back(std::move(e));
            extra.push_back(b.slots.size() - 1);
            return extra.size() - 1;  // an index into extra, made one into writes below
        };
        for (consumer_plan& pl : todo) {
            if (pl.mm) {
                matmul_consumer(b, *s, pl.id, *aq, std::move(*pl.mm), numel(xs.dims), add_extra);
                outs.push_back(s->convs.back().fused.out_slot);
                continue;
            }
            const ks::conv_geometry& g = pl.g;
            const std::size_t channels = g.groups * g.out_c, k = g.in_c * g.kh * g.kw;
            const auto* wq = pl.w.codes();
            const std::int32_t* wz = pl.w.zeros();  // weights with zero points (quantized_weights)
            int8_conv_step::conv c;
            c.channels = channels;
            c.fused = match_epilogue(b, output_ref{pl.id, 0}, 1, channels);
            b.claim(pl.id);
            c.scale.resize(channels);
            c.shift.resize(channels);
            const double residual = static_cast<double>(aq->il) + static_cast<double>(aq->sx) * aq->zp;
            for (std::size_t ch = 0; ch < channels; ++ch) {
                std::int64_t sum = 0;
                for (std::size_t i = 0; i < k; ++i) sum += wq[ch * k + i];
                if (wz) sum -= static_cast<std::int64_t>(k) * wz[ch];
                c.scale[ch] = aq->sx * pl.w.scale[ch];
                const double bias = c.fused.bias.empty() ? 0.0 : c.fused.bias[ch];
                c.shift[ch] = static_cast<float>(bias + static_cast<double>(pl.w.scale[ch]) * double(sum) * residual);
            }
            c.ep.scale = c.scale.data();
            c.ep.shift = c.shift.data();
            c.ep.act = c.fused.kernel_epilogue(false);
            c.ep.act.bias = nullptr;
            c.y_stride = channels * g.out_h * g.out_w;
            const std::string ksize = std::to_string(g.kh) + "x" + std::to_string(g.kw);
            const std::string suffix = "." + std::string(b.int8->blocking.arch) + c.fused.act_suffix();
            std::size_t scratch = 0;
            if (g.depthwise()) {
                c.how = int8_conv_step::conv::kind::depthwise;
                if (wz) {  // s16 weights with their zero points subtracted
                    std::vector<std::int16_t> centred(channels * k);
                    for (std::size_t i = 0; i < centred.size(); ++i)
                        centred[i] = static_cast<std::int16_t>(wq[i] - wz[i / k]);
                    c.dw = ks::pack_int8_depthwise(centred.data(), c.scale.data(), g, aq->zp);
                } else {
                    c.dw = ks::pack_int8_depthwise(wq, c.scale.data(), g, aq->zp);
                }
                c.dw_ep = c.fused.kernel_epilogue(false);
                c.dw_ep.bias = c.shift.data();
                scratch = ks::int8_depthwise_scratch_floats(g, b.int8->blocking.width);
                s->kernel += "+i8dw" + ksize + suffix;
            } else if (auto dp = s->codes_in || aq->per_channel() || wz ? std::nullopt : direct_weights(b, wq, g, aq->zp)) {
                // the direct path: B straight from the input in 4c layout (kernels/simd/int8_direct.hpp)
                c.how = int8_conv_step::conv::kind::direct;
                c.dp = std::move(*dp);
                c.grain = 1;  // output rows
                // consumers with the same 4c layout share one input buffer (the first fills it)
                c.fills_x4 = true;
                for (const auto& o : s->convs)
                    if (c.fills_x4 && o.how == int8_conv_step::conv::kind::direct && o.dp.phases == c.dp.phases &&
                        o.dp.cg == c.dp.cg &&
                        o.dp.hp == c.dp.hp && o.dp.wp == c.dp.wp && o.dp.geometry.pt == c.dp.geometry.pt &&
                        o.dp.geometry.pl == c.dp.geometry.pl)
                        c.x4_write = o.x4_write, c.fills_x4 = false;
                if (c.fills_x4) c.x4_write = add_extra(element_type::u8, c.dp.input_bytes());
                scratch = c.dp.tmp_bytes() / 4 + 16;  // quantize_4c's rows of codes (floats of scratch)
                s->kernel += "+i8conv" + ksize + "." + std::string(b.int8->direct_blocking.arch) + ".direct" +
                             c.fused.act_suffix();
            } else {
                const std::size_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
                const bool pointwise = g.groups == 1 && g.pointwise();
                c.how = pointwise ? int8_conv_step::conv::kind::pointwise : int8_conv_step::conv::kind::general;
                std::size_t block = g.out_c;
                if (!pointwise && b.threads > 1 && g.groups < b.threads) {
                    const std::size_t want = (b.threads + g.groups - 1) / g.groups, mr = b.int8->blocking.mr;
                    block = std::min(g.out_c, ks::detail::round_up((g.out_c + want - 1) / want, mr));
                }
                // the pairs flavour of the arch (avx2: vpmaddubsw) when every weight pair of the
                // layer fits it, as 7-bit weights do (kernels/simd/int8_gemm.hpp)
                const ks::int8_blocking& bl =
                    ks::int8_blocking_for(*b.int8, wq, channels, k, static_cast<std::ptrdiff_t>(k));
                for (std::size_t gi = 0; gi < g.groups; ++gi)
                    for (std::size_t o0 = 0; o0 < g.out_c; o0 += block) {
                        ks::conv_geometry pg = g;
                        pg.groups = 1;
                        pg.out_c = std::min(block, g.out_c - o0);
                        int8_conv_step::conv::part p;
                        p.w = ks::pack_int8_conv(bl, wq + (gi * g.out_c + o0) * k, pg, aq->zp,
                                                 wz ? wz + gi * g.out_c + o0 : nullptr);
                        p.x_off = gi * g.in_c * in_plane;
                        p.y_off = (gi * g.out_c + o0) * out_plane;
                        p.ch_off = gi * g.out_c + o0;
                        scratch = std::max(scratch, (ks::int8_conv_scratch_bytes(p.w) + 3) / 4);
                        c.parts.push_back(std::move(p));
                    }
                if (pointwise) {
                    c.columns = out_plane;
                    const std::size_t nr = b.int8->blocking.nr();
                    c.grain = std::max(nr, (out_plane / b.threads + nr - 1) / nr * nr);
                }
                s->kernel += std::string(g.groups > 1 ? "+i8gconv" : "+i8conv") + ksize + "." + std::string(bl.arch) +
                             c.fused.act_suffix();
            }
            std::size_t out = c.fused.out_slot;
            const output_ref last{c.fused.nodes.empty() ? pl.id : c.fused.nodes.back(), 0};
            // (a depthwise layer's tile is a whole channel plane: only planes of up to 128 KiB)
            if (c.how == int8_conv_step::conv::kind::pointwise ||
                (c.how == int8_conv_step::conv::kind::depthwise && g.out_h * g.out_w <= tile_floats())) {
                if (const node_id next = requantizes_for(b, last); next != plan_builder::npos) {
                    // write the codes of `next` instead of the f32 output (int8_conv_step::requantized)
                    const auto nq = detail::match_activation_quant(b, next);
                    c.q_out = true, c.q_il = nq->il, c.q_ih = nq->ih;
                    slot cs;
                    cs.where = slot::kind::arena;
                    cs.type = element_type::u8;
                    cs.dims = b.slots[out].dims;
                    cs.bytes = numel(cs.dims);
                    b.slots.push_back(std::move(cs));
                    out = b.slots.size() - 1;
                    b.int8_codes[next] = out;
                    c.tile_at = (scratch + 15) / 16 * 16;
                    if (c.how == int8_conv_step::conv::kind::pointwise) {  // a tile of tile_floats()
                        const std::size_t nr = b.int8->blocking.nr();
                        c.tile_cols = std::max(nr, tile_floats() / channels / nr * nr);
                        const auto& pa = c.parts[0].w.weights[0];
                        c.tile_at = (ks::int8_gemm_scratch_bytes(pa.blocking, k, c.tile_cols) / 4 + 15) / 16 * 16;
                        scratch = c.tile_at + channels * c.tile_cols;
                    } else {
                        scratch = c.tile_at + g.out_h * g.out_w;
                    }
                    s->kernel += "+requant";
                }
            }
            s->scratch_floats = std::max(s->scratch_floats, scratch + 16);
            s->ops += "+" + std::string(b.at(pl.id).op->ir_name) + c.fused.ops;
            outs.push_back(out);
            s->convs.push_back(std::move(c));
        }
        // the u8 codes: an arena buffer of their own, written and read by this step only (as are the
        // 4c inputs of the direct consumers, after the outputs in writes)
        s->needs_codes = false;
        for (const auto& c : s->convs)
            s->needs_codes = s->needs_codes || (c.how != int8_conv_step::conv::kind::direct && !s->codes_in);
        slot qs;
        qs.where = slot::kind::arena;
        qs.type = element_type::u8;
        qs.dims = xs.dims;
        qs.bytes = s->needs_codes ? numel(xs.dims) : 1;
        b.slots.push_back(std::move(qs));
        s->writes.push_back(b.slots.size() - 1);
        for (std::size_t o : outs) s->writes.push_back(o);
        const std::size_t first_extra = s->writes.size();
        for (std::size_t e : extra) s->writes.push_back(e);
        for (auto& c : s->convs) {  // indices into extra, made indices into writes
            if (c.how == int8_conv_step::conv::kind::direct) c.x4_write += first_extra;
            if (c.how == int8_conv_step::conv::kind::matmul) c.t_write += first_extra;
        }
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_INT8_CONVOLUTION_HPP
