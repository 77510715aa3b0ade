#ifndef MOIR_FRONTENDS_TFLITE_CONVERTER_HPP
#define MOIR_FRONTENDS_TFLITE_CONVERTER_HPP

// The TFLite frontend's extension point. Each builtin op code (or CUSTOM op name) maps to a
// converter: a function that reads one TFLite operator through a `context` and adds moir nodes.
// Converters live in per-family files under frontends/tflite/ops/, each with a
// `register_<family>(op_table&)`; frontends/tflite/tflite.hpp lists the families.
//
// Layout: TFLite tensors are NHWC; moir's convolution, pooling and resize ops are NCHW (the
// OpenVINO opset). Every rank-4 tensor may carry two moir values: its NHWC value (what the file
// means) and an NCHW twin. Layout-sensitive converters read input_nchw() and publish their result
// with set_output_nchw(), which also binds the NHWC value through a Transpose; element-wise
// converters keep working in NCHW when all their inputs have a twin. Transposes nobody reads are
// removed at the end of the conversion, so a chain of convolutions and activations carries no
// Transpose between its layers.
//
// Constants: tensors with buffer data, and the outputs of DEQUANTIZE on FLOAT16 constants and of
// DENSIFY, are folded values that converters can transform (weights permuted to OIHW). A FLOAT16
// weight behind DEQUANTIZE becomes an f16 Constant and a Convert to f32 marked as decompression,
// as compress_fp16 writes it: the IR keeps the weights in f16.
//
// Quantized tensors (frontends/tflite/quantized.hpp): every one has its real value in moir. A
// quantized constant folds to its dequantized f32 value; int8 weights with zero points 0 keep their
// per-element scale beside it (folded::qscale), and make_const stores them as Const i8 -> Convert
// (decompression) -> Multiply by the per-channel scale. A computed int8/uint8/int16 tensor is the f32
// value its converter builds followed by a FakeQuantize onto the tensor's grid (quantize_output, which
// the driver calls after each operator), in NCHW when the tensor has a twin.

#include <moir/core/model.hpp>
#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/tflite/model_reader.hpp>
#include <moir/frontends/tflite/quantized.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/fake_quantize.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/relu.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/ops/tanh.hpp>
#include <moir/ops/transpose.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>

#include <algorithm>      // find
#include <cmath>          // nearbyint
#include <cstdint>        // int8_t, int32_t, int64_t, uint8_t
#include <cstring>        // memcpy
#include <functional>     // function
#include <map>            // map
#include <memory>         // shared_ptr
#include <optional>       // optional
#include <string>         // string, to_string
#include <unordered_map>  // unordered_map
#include <vector>         // vector

namespace moir::tflite {

class context;

/// Builtin op code -> converter, and CUSTOM op name -> converter: the common op table
/// (frontends/common/frontend.hpp) keyed by the builtin's schema name in domain "" and by the
/// custom code in domain "custom", with the operator code's version.
class op_table : public frontends::basic_op_table<context> {
public:
    using frontends::basic_op_table<context>::add;
    void add(std::int32_t builtin, converter fn) { add(builtin_name(builtin), std::move(fn)); }
    void add_custom(const std::string& custom_code, converter fn) { add(custom_code, std::move(fn), 1, "custom"); }
    /// The converter of an operator code, or nullptr.
    const converter* find(const operator_code& c) const {
        const std::int64_t v = c.version < 1 ? 1 : c.version;
        if (c.builtin == 32) return basic_op_table<context>::find("custom", c.custom_code, v);
        return basic_op_table<context>::find("", builtin_name(c.builtin), v);
    }
};

/// A converter adds the moir nodes of one TFLite operator and binds each output it produces.
using converter = op_table::converter;

/// TFLite's element types in moir, or nullopt (STRING, COMPLEX, RESOURCE, VARIANT, INT4).
inline std::optional<element_type> to_element_type(tensor_type t) {
    switch (t) {
        case tensor_type::float32: return element_type::f32;
        case tensor_type::float16: return element_type::f16;
        case tensor_type::float64: return element_type::f64;
        case tensor_type::int8: return element_type::i8;
        case tensor_type::int16: return element_type::i16;
        case tensor_type::int32: return element_type::i32;
        case tensor_type::int64: return element_type::i64;
        case tensor_type::uint8: return element_type::u8;
        case tensor_type::uint16: return element_type::u16;
        case tensor_type::uint32: return element_type::u32;
        case tensor_type::uint64: return element_type::u64;
        case tensor_type::boolean: return element_type::boolean;
        default: return std::nullopt;
    }
}

/// t's data permuted: out.dims[i] = t.dims[perm[i]]. requires: perm is a permutation of t's axes.
inline tensor permuted(const tensor& t, const std::vector<std::int64_t>& perm) {
    const std::size_t r = t.rank();
    MOIR_CHECK(perm.size() == r, error, "permutation of rank " + std::to_string(perm.size()) + " for a rank-" +
                                            std::to_string(r) + " tensor");
    shape od(r);
    for (std::size_t i = 0; i < r; ++i) od[i] = t.dims()[static_cast<std::size_t>(perm[i])];
    tensor out(t.type(), od);
    const std::size_t es = size_of(t.type());
    std::vector<std::size_t> in_stride(r, 1);
    for (std::size_t i = r; i-- > 1;) in_stride[i - 1] = in_stride[i] * static_cast<std::size_t>(t.dims()[i]);
    std::vector<std::size_t> idx(r, 0);
    const auto* src = static_cast<const unsigned char*>(t.raw());
    auto* dst = static_cast<unsigned char*>(out.raw());
    for (std::size_t k = 0, n = out.numel(); k < n; ++k) {
        std::size_t off = 0;
        for (std::size_t i = 0; i < r; ++i) off += idx[i] * in_stride[static_cast<std::size_t>(perm[i])];
        std::memcpy(dst + k * es, src + off * es, es);
        for (std::size_t i = r; i-- > 0;) {
            if (++idx[i] < static_cast<std::size_t>(od[i])) break;
            idx[i] = 0;
        }
    }
    return out;
}

/// NHWC -> NCHW and back, as Transpose permutations.
inline const std::vector<std::int64_t> to_nchw_perm{0, 3, 1, 2};
inline const std::vector<std::int64_t> to_nhwc_perm{0, 2, 3, 1};

/// A folded constant value: `value` (f16 when `compressed`: then it stands for its f32 conversion).
/// qscale: for dequantized int8 weights, each element's scale (value's shape; value == code * scale
/// with integer codes in [-128, 127]): make_const then stores codes and per-channel scales.
struct folded {
    tensor value;
    bool compressed = false;
    std::optional<tensor> qscale = std::nullopt;
    /// qzero: with qscale, for codes that do not fit int8 once centred (uint8 weights with zero points
    /// far from 128), each element's zero point (value == (code - zero) * scale, codes in [0, 255]):
    /// make_const then stores u8 codes and a Subtract of the zero points.
    std::optional<tensor> qzero = std::nullopt;
    /// This value transformed by fn(tensor) -> tensor (a permutation, a reshape), its scales alike.
    template <class Fn>
    folded mapped(Fn fn) const {
        folded r{fn(value), compressed, std::nullopt};
        if (qscale) r.qscale = fn(*qscale);
        if (qzero) r.qzero = fn(*qzero);
        return r;
    }
};

namespace detail {
/// s (per element, of dims d) reduced to the axes along which it varies (1 on the others).
inline tensor reduced_scale(const tensor& s) {
    const shape& d = s.dims();
    const std::size_t r = d.size(), n = s.numel();
    const float* v = s.data<float>();
    std::vector<std::size_t> stride(r, 1);
    for (std::size_t i = r; i-- > 1;) stride[i - 1] = stride[i] * static_cast<std::size_t>(d[i]);
    shape rd = d;
    for (std::size_t a = 0; a < r; ++a) {
        bool constant = true;
        for (std::size_t i = 0; i < n && constant; ++i) {
            const std::size_t k = (i / stride[a]) % static_cast<std::size_t>(d[a]);
            constant = v[i] == v[i - k * stride[a]];
        }
        if (constant) rd[a] = 1;
    }
    tensor out(element_type::f32, rd);
    float* o = out.data<float>();
    std::size_t m = 0;
    for (std::size_t i = 0; i < n; ++i) {
        bool first = true;
        for (std::size_t a = 0; a < r && first; ++a) first = rd[a] != 1 || (i / stride[a]) % static_cast<std::size_t>(d[a]) == 0;
        if (first) o[m++] = v[i];
    }
    return out;
}
}  // namespace detail

/// The state of one subgraph conversion.
struct graph_state {
    moir::model* m = nullptr;
    const model_file* file = nullptr;
    const subgraph* sg = nullptr;
    std::string source;
    std::vector<std::optional<output_ref>> values;  ///< per tensor: its NHWC (file-layout) value
    std::vector<std::optional<output_ref>> nchw;    ///< per rank-4 tensor: its NCHW twin
    std::vector<std::optional<folded>> consts;      ///< per tensor: folded constant (DEQUANTIZE/DENSIFY)
    /// Converts subgraph i of the file into a body (IF/WHILE): its inputs as Parameters, its outputs
    /// as Results. Set by the driver (tflite.hpp).
    std::function<std::shared_ptr<moir::model>(std::int32_t)> body;
};

/// What a converter sees of one TFLite operator.
class context {
public:
    context(graph_state& g, const operator_info& op, std::string op_name) : g_(g), op_(op), op_name_(std::move(op_name)) {}

    const operator_info& op() const { return op_; }
    const std::string& op_type() const { return op_name_; }
    moir::model& model() { return *g_.m; }
    const model_file& file() const { return *g_.file; }
    /// Subgraph i converted into a body (its inputs Parameters, its outputs Results).
    std::shared_ptr<moir::model> body(std::int32_t i) {
        MOIR_CHECK(g_.body, error, "subgraphs cannot be converted here");
        return g_.body(i);
    }
    /// The operator's name: its first output tensor's name.
    std::string name() const {
        if (!op_.outputs.empty() && op_.outputs[0] >= 0) return tensor_at(op_.outputs[0]).name;
        return op_name_;
    }

    std::size_t input_count() const { return op_.inputs.size(); }
    bool has_input(std::size_t i) const { return i < op_.inputs.size() && op_.inputs[i] >= 0; }
    std::size_t output_count() const { return op_.outputs.size(); }
    /// The Tensor table of input i / output i. requires: present (checked).
    const tensor_info& input_tensor(std::size_t i) const {
        MOIR_CHECK(has_input(i), error, "input " + std::to_string(i) + " is missing");
        return tensor_at(op_.inputs[i]);
    }
    const tensor_info& output_tensor(std::size_t i) const {
        MOIR_CHECK(i < op_.outputs.size() && op_.outputs[i] >= 0, error, "output " + std::to_string(i) + " is missing");
        return tensor_at(op_.outputs[i]);
    }
    /// The declared shape of input i (from the file).
    std::vector<std::int64_t> input_dims(std::size_t i) const {
        const auto& s = input_tensor(i).shape;
        return {s.begin(), s.end()};
    }
    /// The shape moir inferred for input i (static or partially known).
    const partial_shape& input_shape(std::size_t i) { return g_.m->port(input(i)).shape; }

    // ---- constants ----
    /// Input i's folded value when it is constant (buffer data, or a folded DEQUANTIZE/DENSIFY), else nullopt.
    std::optional<folded> const_input(std::size_t i) {
        if (!has_input(i)) return std::nullopt;
        return const_of(op_.inputs[i]);
    }
    /// Like const_input, but an error naming the input when it is not constant.
    folded require_const(std::size_t i, const char* what) {
        auto v = const_input(i);
        MOIR_CHECK(v, unsupported_error, std::string(what) + " (input " + std::to_string(i) + ") must be a constant");
        return *v;
    }
    /// Input i's constant values as int64 (shape-like inputs). requires: constant.
    std::vector<std::int64_t> const_ints(std::size_t i, const char* what) { return require_const(i, what).value.to_vector<std::int64_t>(); }

    /// A Constant node of a folded value: f16 + decompression Convert when compressed; i8 codes +
    /// decompression Convert + Multiply by the per-channel scale when it has qscale (and its values
    /// are exactly code * scale; otherwise the f32 value).
    output_ref make_const(const folded& f, const std::string& suffix) {
        if (f.qscale && f.qzero && f.value.type() == element_type::f32 && f.qscale->dims() == f.value.dims() &&
            f.qzero->dims() == f.value.dims()) {  // u8 codes and zero points
            const std::size_t n = f.value.numel();
            const float* v = f.value.data<float>();
            const float* s = f.qscale->data<float>();
            const float* z = f.qzero->data<float>();
            tensor q(element_type::u8, f.value.dims());
            auto* qd = q.data<std::uint8_t>();
            bool exact = true;
            for (std::size_t i = 0; i < n && exact; ++i) {
                const double code = std::nearbyint(static_cast<double>(v[i]) / static_cast<double>(s[i])) + z[i];
                exact = code >= 0 && code <= 255 && static_cast<float>(code - z[i]) * s[i] == v[i];
                qd[i] = exact ? static_cast<std::uint8_t>(code) : 0;
            }
            if (exact) {
                const output_ref c = constant(std::move(q), suffix + "_u8");
                const output_ref cv = add<moir::ops::convert>({element_type::f32}, {c}, suffix + "_u8/convert");
                g_.m->at(cv.node).rt_info.push_back(rt_attribute{std::string(passes::decompression_key), "0", "", false});
                const output_ref zp = constant(detail::reduced_scale(*f.qzero), suffix + "_zero_point");
                const output_ref centred = add<moir::ops::subtract>({}, {cv, zp}, suffix + "_u8/subtract");
                return add<moir::ops::multiply>({}, {centred, constant(detail::reduced_scale(*f.qscale), suffix + "_scale")}, suffix);
            }
        }
        if (f.qscale && !f.qzero && f.value.type() == element_type::f32 && f.qscale->dims() == f.value.dims()) {
            const std::size_t n = f.value.numel();
            const float* v = f.value.data<float>();
            const float* s = f.qscale->data<float>();
            tensor q(element_type::i8, f.value.dims());
            auto* qd = q.data<std::int8_t>();
            bool exact = true;
            for (std::size_t i = 0; i < n && exact; ++i) {
                const double code = std::nearbyint(static_cast<double>(v[i]) / static_cast<double>(s[i]));
                exact = code >= -128 && code <= 127 && static_cast<float>(code) * s[i] == v[i];
                qd[i] = exact ? static_cast<std::int8_t>(code) : 0;
            }
            if (exact) {
                const output_ref c = constant(std::move(q), suffix + "_i8");
                const output_ref cv = add<moir::ops::convert>({element_type::f32}, {c}, suffix + "_i8/convert");
                g_.m->at(cv.node).rt_info.push_back(rt_attribute{std::string(passes::decompression_key), "0", "", false});
                return add<moir::ops::multiply>({}, {cv, constant(detail::reduced_scale(*f.qscale), suffix + "_scale")}, suffix);
            }
        }
        if (!f.compressed) return constant(f.value, suffix);
        const output_ref c = constant(f.value, suffix + "_compressed");
        const output_ref cv = add<moir::ops::convert>({element_type::f32}, {c}, suffix);
        g_.m->at(cv.node).rt_info.push_back(rt_attribute{std::string(passes::decompression_key), "0", "", false});
        return cv;
    }

    // ---- values ----
    /// The moir value (file layout) feeding input i.
    output_ref input(std::size_t i) {
        MOIR_CHECK(has_input(i), error, "input " + std::to_string(i) + " is missing");
        return value(op_.inputs[i]);
    }
    /// Whether input i is a rank-4 value that has (or can cheaply get) an NCHW twin: produced in
    /// NCHW by an earlier converter, or constant.
    bool has_nchw(std::size_t i) {
        if (!has_input(i)) return false;
        const auto t = static_cast<std::size_t>(op_.inputs[i]);
        return g_.nchw[t].has_value();
    }
    /// Input i in NCHW: its twin when there is one, else a Transpose of its NHWC value.
    /// requires: input i has rank 4.
    output_ref input_nchw(std::size_t i) {
        MOIR_CHECK(has_input(i), error, "input " + std::to_string(i) + " is missing");
        const auto t = static_cast<std::size_t>(op_.inputs[i]);
        if (g_.nchw[t]) return *g_.nchw[t];
        if (auto f = const_input(i)) {
            MOIR_CHECK(f->value.rank() == 4, shape_error, "a rank-4 input is expected");
            const folded p = f->mapped([](const tensor& x) { return permuted(x, to_nchw_perm); });
            const output_ref r = make_const(p, "/" + std::to_string(i) + "/nchw");
            g_.nchw[t] = r;
            return r;
        }
        const output_ref r = transpose(value(op_.inputs[i]), to_nchw_perm, "/input" + std::to_string(i) + "/nchw");
        g_.nchw[t] = r;
        return r;
    }

    // ---- building ----
    template <class Op>
    output_ref add(typename Op::attrs a, std::vector<output_ref> inputs, const std::string& suffix = "") {
        const node_id id = g_.m->add<Op>(std::move(a), std::move(inputs), name() + suffix);
        g_.m->infer_node(id);
        return {id, 0};
    }
    template <class Op>
    node_id add_node(typename Op::attrs a, std::vector<output_ref> inputs, const std::string& suffix = "") {
        const node_id id = g_.m->add<Op>(std::move(a), std::move(inputs), name() + suffix);
        g_.m->infer_node(id);
        return id;
    }
    output_ref constant(tensor t, const std::string& suffix) { return add<moir::ops::constant>({std::move(t)}, {}, suffix); }
    output_ref constant_i64(const std::vector<std::int64_t>& v, const std::string& suffix) {
        return constant(tensor::from_vector(v), suffix);
    }
    output_ref transpose(output_ref x, const std::vector<std::int64_t>& perm, const std::string& suffix) {
        return add<moir::ops::transpose>({}, {x, constant_i64(perm, suffix + "/perm")}, suffix);
    }
    /// x followed by a fused activation (NONE: x itself).
    output_ref activate(output_ref x, activation act, const std::string& suffix = "/act") {
        switch (act) {
            case activation::none: return x;
            case activation::relu: return add<moir::ops::relu>({}, {x}, suffix);
            case activation::relu6: return add<moir::ops::clamp>({0.0, 6.0}, {x}, suffix);
            case activation::relu_n1_to_1: return add<moir::ops::clamp>({-1.0, 1.0}, {x}, suffix);
            case activation::tanh: return add<moir::ops::tanh>({}, {x}, suffix);
            default:
                throw unsupported_error("fused activation " + std::to_string(static_cast<int>(act)) + " is not supported");
        }
    }

    /// Binds output i (file layout) to r; r's port gets the tensor's name.
    void set_output(std::size_t i, output_ref r) {
        const auto t = checked_output(i);
        g_.values[t] = r;
        g_.m->at(r.node).outputs.at(r.port).names.push_back(tensor_at(static_cast<std::int32_t>(t)).name);
    }
    /// Binds output i from an NCHW result: r is its NCHW twin; the file-layout value is a Transpose of r.
    void set_output_nchw(std::size_t i, output_ref r) {
        const auto t = checked_output(i);
        g_.nchw[t] = r;
        set_output(i, transpose(r, to_nhwc_perm, "/nhwc"));
    }
    /// Puts output i, a computed quantized tensor (int8/uint8/int16 with one scale), on its grid: a
    /// FakeQuantize of its value (of its NCHW twin when it has one or is rank 4; the file-layout value
    /// is then a Transpose of it). The tensor's name moves to the FakeQuantize's value. Nothing for other tensors.
    void quantize_output(std::size_t i) { quantize_tensor(static_cast<std::int32_t>(checked_output(i))); }
    /// quantize_output for tensor t (a quantized graph input's dequantized value, say); named: the
    /// FakeQuantize's value takes the tensor's name (not for a graph input: its Parameter keeps it).
    void quantize_tensor(std::int32_t ti_index, bool named = true) {
        const auto t = checked_tensor(ti_index);
        const tensor_info& ti = tensor_at(ti_index);
        if (!is_quantized(ti) || !g_.values[t]) return;
        const activation_grid q = grid_of(ti);
        const output_ref v = *g_.values[t];
        MOIR_CHECK(g_.m->port(v).type == element_type::f32, unsupported_error,
                   "quantized output '" + ti.name + "' is computed as " + std::string(ir_name(g_.m->port(v).type)) +
                       ", not as its real (f32) value");
        auto& names = g_.m->at(v.node).outputs.at(v.port).names;
        names.erase(std::remove(names.begin(), names.end(), ti.name), names.end());
        const partial_shape& vs = g_.m->port(v).shape;
        if (!g_.nchw[t] && !vs.rank_dynamic && vs.rank() == 4)  // rank 4: on the grid in NCHW, where convolutions read it
            g_.nchw[t] = transpose(v, to_nchw_perm, "/nchw");
        output_ref r;
        if (g_.nchw[t]) {
            const output_ref fq = fake_quantize(*g_.nchw[t], q, "/fq");
            g_.nchw[t] = fq;
            r = transpose(fq, to_nhwc_perm, "/fq/nhwc");
        } else {
            r = fake_quantize(v, q, "/fq");
        }
        g_.values[t] = r;
        if (named) g_.m->at(r.node).outputs.at(r.port).names.push_back(ti.name);
    }
    /// x on grid q: FakeQuantize(x, low, high, low, high) with q's levels, ranges of x's rank.
    output_ref fake_quantize(output_ref x, const activation_grid& q, const std::string& suffix) {
        const partial_shape& xs = g_.m->port(x).shape;
        const shape one(xs.rank_dynamic ? 0 : xs.rank(), 1);
        const output_ref lo = constant(tensor::from_vector(std::vector<float>{q.low}, one), suffix + "/low");
        const output_ref hi = constant(tensor::from_vector(std::vector<float>{q.high}, one), suffix + "/high");
        return add<moir::ops::fake_quantize>({q.levels}, {x, lo, hi, lo, hi}, suffix);
    }

    /// Binds output i to a folded constant (no node until something reads it).
    void set_output_const(std::size_t i, folded f) { g_.consts[checked_output(i)] = std::move(f); }

    /// The moir value of tensor t (materializes constants on first use).
    output_ref value(std::int32_t t) {
        const auto k = checked_tensor(t);
        if (g_.values[k]) return *g_.values[k];
        auto f = const_of(t);
        MOIR_CHECK(f, parse_error, "reads tensor " + std::to_string(t) + " '" + tensor_at(t).name + "', which nothing produces");
        const output_ref r = make_const(*f, "");
        g_.m->at(r.node).name = tensor_at(t).name;
        g_.m->at(r.node).outputs[0].names.push_back(tensor_at(t).name);
        g_.values[k] = r;
        return r;
    }

    /// The folded constant value of tensor t, or nullopt when t is computed.
    std::optional<folded> const_of(std::int32_t t) {
        const auto k = checked_tensor(t);
        if (g_.consts[k]) return g_.consts[k];
        const tensor_info& ti = tensor_at(t);
        if (ti.buffer == 0 || ti.sparsity) return std::nullopt;
        std::size_t size = 0;
        const std::uint8_t* data = g_.file->buffer_data(ti.buffer, size);
        if (!data || size == 0) return std::nullopt;
        const auto et = to_element_type(ti.type);
        MOIR_CHECK(et, unsupported_error, "constant tensor '" + ti.name + "' has unsupported type " + type_name(ti.type));
        const shape dims = checked_dims(ti, size / size_of(*et) + 1);
        const std::size_t need = moir::numel(dims) * size_of(*et);
        MOIR_CHECK(need == size, parse_error,
                   "constant tensor '" + ti.name + "' holds " + std::to_string(size) + " bytes, its shape " +
                       to_string(dims) + " of " + type_name(ti.type) + " needs " + std::to_string(need));
        tensor v(*et, dims);
        if (size) std::memcpy(v.raw(), data, size);
        folded f{v, false, std::nullopt};
        if (is_quantized(ti)) {  // codes -> real values (int8 weights keep their scales: make_const)
            dequantized_constant d = dequantize_constant(v, ti);
            f = folded{std::move(d.value), false, std::move(d.scale), std::move(d.zero)};
        }
        g_.consts[k] = f;
        return f;
    }

    const tensor_info& tensor_at(std::int32_t t) const { return g_.sg->tensors[checked_tensor(t)]; }

    /// t's declared shape as moir dims. throws parse_error for a negative dim or when the element
    /// count exceeds `limit` (checked without overflow).
    static shape checked_dims(const tensor_info& t, std::size_t limit) {
        shape dims;
        std::size_t n = 1;
        for (auto d : t.shape) {
            MOIR_CHECK(d >= 0, parse_error, "tensor '" + t.name + "' has a negative dim");
            n = d == 0 ? 0 : n;
            MOIR_CHECK(d == 0 || n <= limit / static_cast<std::size_t>(d), parse_error,
                       "tensor '" + t.name + "' has more elements than its data holds");
            n *= static_cast<std::size_t>(d);
            dims.push_back(d);
        }
        return dims;
    }

private:
    std::size_t checked_tensor(std::int32_t t) const {
        MOIR_CHECK(t >= 0 && static_cast<std::size_t>(t) < g_.sg->tensors.size(), parse_error,
                   "tensor index " + std::to_string(t) + " out of range (" + std::to_string(g_.sg->tensors.size()) +
                       " tensors)");
        return static_cast<std::size_t>(t);
    }
    std::size_t checked_output(std::size_t i) const {
        MOIR_CHECK(i < op_.outputs.size() && op_.outputs[i] >= 0, error, "output " + std::to_string(i) + " is missing");
        return checked_tensor(op_.outputs[i]);
    }

    graph_state& g_;
    const operator_info& op_;
    std::string op_name_;
};

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_CONVERTER_HPP
