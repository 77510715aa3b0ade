#ifndef MOIR_FRONTENDS_TFLITE_OPS_QUANTIZATION_HPP
#define MOIR_FRONTENDS_TFLITE_OPS_QUANTIZATION_HPP

// TFLite's DEQUANTIZE, QUANTIZE and DENSIFY -> moir.
// - DEQUANTIZE of a FLOAT16 constant (every MediaPipe model stores its weights so) folds to a
//   compressed constant: an f16 Const with a decompression Convert where it is used.
// - DEQUANTIZE of a quantized constant: its real value, as every quantized constant folds
//   (frontends/tflite/quantized.hpp; int8 weights stay i8 codes with scales in the IR); of a
//   computed quantized tensor: the tensor's moir value itself (moir carries real values).
// - QUANTIZE: the input's real value, which the driver puts on the output's grid with a
//   FakeQuantize (context::quantize_output).
// - DENSIFY: the sparse constant (TACO format: traversal order, block map, dense or CSR levels) is
//   expanded to its dense value at load.

#include <moir/frontends/tflite/converter.hpp>
#include <moir/frontends/tflite/quantized.hpp>
#include <moir/ops/convert.hpp>

#include <cstdint>  // int32_t, int64_t
#include <cstring>  // memcpy
#include <functional>  // function
#include <string>   // string
#include <vector>   // vector

namespace moir::tflite {

namespace detail {

enum : std::int32_t { op_dequantize = 6, op_quantize = 114, op_densify = 124 };

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
            c.set_output_const(0, {f->value, true, std::nullopt});
            return;
        }
        MOIR_CHECK(is_float(f->value.type()), parse_error,
                   "DEQUANTIZE of constant '" + in.name + "' (" + type_name(in.type) + ") without quantization parameters");
        // quantized constants are folded to their real values (int8 weights keep their scales)
        f->value = f->value.converted(element_type::f32);
        c.set_output_const(0, *f);
        return;
    }
    if (is_quantized(in)) {  // a quantized tensor's moir value is its real value already
        if (c.has_nchw(0)) c.set_output_nchw(0, c.input_nchw(0));
        else c.set_output(0, c.input(0));
        return;
    }
    MOIR_CHECK(in.type == tensor_type::float16, unsupported_error,
               "DEQUANTIZE of " + type_name(in.type) + " tensor '" + in.name + "' without quantization parameters");
    c.set_output(0, c.add<moir::ops::convert>({element_type::f32}, {c.input(0)}, "/to_f32"));
}

/// QUANTIZE: the output's moir value is the input's real value; the driver puts it on the output's
/// grid (context::quantize_output).
inline void quantize(context& c) {
    const tensor_info& out = c.output_tensor(0);
    MOIR_CHECK(is_quantized(out), parse_error, "QUANTIZE output '" + out.name + "' has no quantization parameters");
    (void)grid_of(out);  // the output type and parameters are checked here
    const bool twin = c.has_nchw(0);
    output_ref x = twin ? c.input_nchw(0) : c.input(0);
    if (c.model().port(x).type != element_type::f32) x = c.add<moir::ops::convert>({element_type::f32}, {x}, "/to_f32");
    if (twin) c.set_output_nchw(0, x);
    else c.set_output(0, x);
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
    tensor dense = densify(values, *in.sparsity, dims, in.name);
    if (is_quantized(in)) {  // sparse quantized weights: their real values, as other quantized constants
        dequantized_constant d = dequantize_constant(dense, in);
        c.set_output_const(0, {std::move(d.value), false, std::move(d.scale), std::move(d.zero)});
        return;
    }
    c.set_output_const(0, {std::move(dense), false, std::nullopt});
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
