#ifndef MOIR_FRONTENDS_TFLITE_OPS_QUANTIZATION_HPP
#define MOIR_FRONTENDS_TFLITE_OPS_QUANTIZATION_HPP

// TFLite's DEQUANTIZE, QUANTIZE and DENSIFY -> moir.
// - DEQUANTIZE of a FLOAT16 constant (every MediaPipe model stores its weights so) folds to a
//   compressed constant: an f16 Const with a decompression Convert where it is used.
// - DEQUANTIZE of an int8/uint8/int16 constant folds to f32 with its per-tensor or per-channel
//   scale and zero point; of a computed tensor it becomes (Convert(x) - zero_point) * scale.
// - QUANTIZE: Convert(Clamp(Round(x / scale) + zero_point)) to the output's integer type.
// - DENSIFY: the sparse constant (TACO format: traversal order, block map, dense or CSR levels) is
//   expanded to its dense value at load.

#include <moir/frontends/tflite/converter.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/clamp.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/round.hpp>
#include <moir/ops/subtract.hpp>

#include <cstdint>  // int32_t, int64_t
#include <cstring>  // memcpy
#include <functional>  // function
#include <string>   // string
#include <vector>   // vector

namespace moir::tflite {

namespace detail {

enum : std::int32_t { op_dequantize = 6, op_quantize = 114, op_densify = 124 };

/// The quantization parameters of a tensor. requires: present with scales (checked).
inline const quantization_parameters& quant_of(const tensor_info& t) {
    MOIR_CHECK(t.quantization && !t.quantization->scale.empty(), parse_error,
               "tensor '" + t.name + "' has no quantization scale");
    MOIR_CHECK(!t.quantization->has_custom_details, unsupported_error,
               "tensor '" + t.name + "' uses custom quantization details");
    return *t.quantization;
}

/// q (integer) dequantized to f32 with per-tensor or per-channel (quantized_dimension) parameters.
inline tensor dequantized(const tensor& q, const quantization_parameters& p, const std::string& name) {
    tensor out(element_type::f32, q.dims());
    const std::size_t n = q.numel();
    const std::size_t channels = p.scale.size();
    std::size_t inner = 1, dim = 1;
    if (channels > 1) {
        const auto qd = static_cast<std::size_t>(p.quantized_dimension);
        MOIR_CHECK(qd < q.rank() && static_cast<std::size_t>(q.dims()[qd]) == channels, shape_error,
                   "tensor '" + name + "': " + std::to_string(channels) + " scales for dim " + std::to_string(qd) +
                       " of shape " + to_string(q.dims()));
        for (std::size_t i = qd + 1; i < q.rank(); ++i) inner *= static_cast<std::size_t>(q.dims()[i]);
        dim = channels;
    }
    MOIR_CHECK(p.zero_point.empty() || p.zero_point.size() == channels, parse_error,
               "tensor '" + name + "': zero points and scales differ in count");
    float* o = out.data<float>();
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t ch = channels > 1 ? (i / inner) % dim : 0;
        const double zp = p.zero_point.empty() ? 0.0 : static_cast<double>(p.zero_point[ch]);
        o[i] = static_cast<float>((q.at_as<double>(i) - zp) * static_cast<double>(p.scale[ch]));
    }
    return out;
}

/// Expands a sparse constant (the values of `sparse`, stored in traversal order) to its dense tensor
/// of shape `dims`. throws parse_error on inconsistent metadata.
inline tensor densify(const tensor& values, const sparsity_parameters& sp, const shape& dims, const std::string& name) {
    const std::size_t n = dims.size();
    const std::size_t levels = sp.traversal_order.size();
    const std::size_t k = sp.block_map.size();
    const auto fail = [&](const std::string& why) { throw parse_error("sparse tensor '" + name + "': " + why); };
    if (levels != n + k || sp.dim_metadata.size() != levels) fail("traversal order, block map and metadata do not fit its rank");
    // expanded dim e (0..n+k-1) -> its size; block dims n+j subdivide original dim block_map[j]
    std::vector<std::int64_t> size(levels, 0), block(n, 1);
    for (std::size_t l = 0; l < levels; ++l) {
        const auto e = sp.traversal_order[l];
        if (e < 0 || static_cast<std::size_t>(e) >= levels) fail("bad traversal order");
        const auto& dm = sp.dim_metadata[l];
        size[static_cast<std::size_t>(e)] = dm.sparse_csr ? -1 : dm.dense_size;
    }
    for (std::size_t j = 0; j < k; ++j) {
        const auto d = sp.block_map[j];
        if (d < 0 || static_cast<std::size_t>(d) >= n || size[n + j] <= 0) fail("bad block map");
        block[static_cast<std::size_t>(d)] = size[n + j];
    }
    tensor out(values.type(), dims);
    const std::size_t es = size_of(values.type());
    const auto* src = static_cast<const unsigned char*>(values.raw());
    auto* dst = static_cast<unsigned char*>(out.raw());
    std::vector<std::int64_t> idx(levels, 0);
    std::size_t steps = 0;
    const std::size_t step_limit = out.numel() * 4 + values.numel() * 4 + 1024;
    // walk(level, pos): pos is the position in level's storage
    std::function<void(std::size_t, std::size_t)> walk = [&](std::size_t l, std::size_t pos) {
        if (++steps > step_limit) fail("its metadata describes more elements than the tensor holds");
        if (l == levels) {
            if (pos >= values.numel()) fail("a value index runs past its " + std::to_string(values.numel()) + " values");
            std::size_t off = 0;
            for (std::size_t d = 0; d < n; ++d) {
                std::int64_t coord = idx[d] * block[d];
                for (std::size_t j = 0; j < k; ++j)
                    if (static_cast<std::size_t>(sp.block_map[j]) == d) coord += idx[n + j];
                if (coord < 0 || coord >= dims[d]) fail("a coordinate lies outside the dense shape");
                off = off * static_cast<std::size_t>(dims[d]) + static_cast<std::size_t>(coord);
            }
            std::memcpy(dst + off * es, src + pos * es, es);
            return;
        }
        const auto& dm = sp.dim_metadata[l];
        const auto e = static_cast<std::size_t>(sp.traversal_order[l]);
        if (!dm.sparse_csr) {
            if (dm.dense_size < 0) fail("negative dense size");
            for (std::int64_t x = 0; x < dm.dense_size; ++x) {
                idx[e] = x;
                walk(l + 1, pos * static_cast<std::size_t>(dm.dense_size) + static_cast<std::size_t>(x));
            }
            return;
        }
        if (pos + 1 >= dm.array_segments.size()) fail("a segment index runs past the segments");
        const auto b = dm.array_segments[pos], en = dm.array_segments[pos + 1];
        if (b < 0 || en < b || static_cast<std::size_t>(en) > dm.array_indices.size()) fail("bad segments");
        for (std::int32_t p = b; p < en; ++p) {
            idx[e] = dm.array_indices[static_cast<std::size_t>(p)];
            walk(l + 1, static_cast<std::size_t>(p));
        }
    };
    walk(0, 0);
    return out;
}

inline void dequantize(context& c) {
    const tensor_info& in = c.input_tensor(0);
    if (auto f = c.const_input(0)) {
        if (f->value.type() == element_type::f16) {
            c.set_output_const(0, {f->value, true});
            return;
        }
        if (is_float(f->value.type())) {
            c.set_output_const(0, {f->value.converted(element_type::f32), f->compressed});
            return;
        }
        c.set_output_const(0, {dequantized(f->value, quant_of(in), in.name), false});
        return;
    }
    const output_ref x = c.add<moir::ops::convert>({element_type::f32}, {c.input(0)}, "/to_f32");
    if (in.type == tensor_type::float16) {
        c.set_output(0, x);
        return;
    }
    const auto& p = quant_of(in);
    MOIR_CHECK(p.scale.size() == 1, unsupported_error, "per-channel DEQUANTIZE of a computed tensor is not supported");
    const float zp = p.zero_point.empty() ? 0.0f : static_cast<float>(p.zero_point[0]);
    const output_ref centered = c.add<moir::ops::subtract>(
        {}, {x, c.constant(tensor::from_vector(std::vector<float>{zp}, shape{1}), "/zero_point")}, "/centered");
    c.set_output(0, c.add<moir::ops::multiply>(
                        {}, {centered, c.constant(tensor::from_vector(std::vector<float>{p.scale[0]}, shape{1}), "/scale")}));
}

inline void quantize(context& c) {
    const tensor_info& out = c.output_tensor(0);
    const auto et = to_element_type(out.type);
    MOIR_CHECK(et && is_integer(*et), unsupported_error, "QUANTIZE to " + type_name(out.type) + " is not supported");
    const auto& p = quant_of(out);
    MOIR_CHECK(p.scale.size() == 1, unsupported_error, "per-channel QUANTIZE is not supported");
    const float zp = p.zero_point.empty() ? 0.0f : static_cast<float>(p.zero_point[0]);
    double lo = 0, hi = 0;
    switch (*et) {
        case element_type::i8: lo = -128, hi = 127; break;
        case element_type::u8: lo = 0, hi = 255; break;
        case element_type::i16: lo = -32768, hi = 32767; break;
        default: throw unsupported_error("QUANTIZE to " + type_name(out.type) + " is not supported");
    }
    output_ref x = c.input(0);
    if (c.input_tensor(0).type != tensor_type::float32) x = c.add<moir::ops::convert>({element_type::f32}, {x}, "/to_f32");
    const output_ref s = c.add<moir::ops::divide>(
        {}, {x, c.constant(tensor::from_vector(std::vector<float>{p.scale[0]}, shape{1}), "/scale")}, "/scaled");
    const output_ref r = c.add<moir::ops::round>({moir::ops::round_mode::half_away_from_zero}, {s}, "/round");
    const output_ref z = c.add<moir::ops::add>(
        {}, {r, c.constant(tensor::from_vector(std::vector<float>{zp}, shape{1}), "/zero_point")}, "/shifted");
    const output_ref cl = c.add<moir::ops::clamp>({lo, hi}, {z}, "/clamp");
    c.set_output(0, c.add<moir::ops::convert>({*et}, {cl}));
}

inline void densify_op(context& c) {
    const tensor_info& in = c.input_tensor(0);
    MOIR_CHECK(in.sparsity, parse_error, "DENSIFY reads tensor '" + in.name + "', which has no sparsity parameters");
    MOIR_CHECK(in.buffer != 0, unsupported_error, "DENSIFY of a computed tensor is not supported");
    std::size_t size = 0;
    const std::uint8_t* data = c.file().buffer_data(in.buffer, size);
    const auto et = to_element_type(in.type);
    MOIR_CHECK(et, unsupported_error, "sparse tensor of type " + type_name(in.type) + " is not supported");
    MOIR_CHECK(size % size_of(*et) == 0, parse_error, "sparse tensor '" + in.name + "': its buffer size is not a multiple of its element size");
    tensor values(*et, shape{static_cast<std::int64_t>(size / size_of(*et))});
    if (size) std::memcpy(values.raw(), data, size);
    // a sparse tensor's dense form is at most 64 times its stored values (and 1 Mi elements more)
    const shape dims = context::checked_dims(in, values.numel() * 64 + (std::size_t{1} << 20));
    c.set_output_const(0, {densify(values, *in.sparsity, dims, in.name), false});
}

}  // namespace detail

/// Registers DEQUANTIZE, QUANTIZE and DENSIFY.
template <class = void>  // compiled only where a table is built
void register_quantization(op_table& t) {
    t.add(detail::op_dequantize, detail::dequantize);
    t.add(detail::op_quantize, detail::quantize);
    t.add(detail::op_densify, detail::densify_op);
}

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_OPS_QUANTIZATION_HPP
