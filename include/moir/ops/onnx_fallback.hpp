#ifndef MOIR_OPS_ONNX_FALLBACK_HPP
#define MOIR_OPS_ONNX_FALLBACK_HPP

// The framework node of `moir convert --fallback onnxruntime` (docs/fallback.md): a part of an ONNX
// model that moir cannot convert, kept as an ONNX model of its own and run by onnxruntime at
// inference (kernels/reference/onnx_fallback.hpp, runtime/onnxruntime.hpp).

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // uint32_t
#include <memory>       // shared_ptr, make_shared
#include <mutex>        // mutex
#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // move
#include <vector>       // vector

namespace moir::ops {

/// The ONNX model of one fallback part, shared by every copy of the node's attrs (a plan's steps,
/// executors), so that the onnxruntime session made from it is made once per node.
struct onnx_part_payload {
    std::string bytes;  ///< a serialized ONNX ModelProto
    mutable std::mutex lock;
    /// The session (runtime/onnxruntime.hpp's session, type-erased to keep this header light);
    /// null until kernels/reference/onnx_fallback.hpp makes it.
    mutable std::shared_ptr<void> session;
};

/// An ONNX model held by an attribute. In the IR it is one attribute, the model's bytes in base64.
struct onnx_part {
    std::shared_ptr<const onnx_part_payload> payload;

    /// The model bytes ("" when none).
    const std::string& bytes() const {
        static const std::string none;
        return payload ? payload->bytes : none;
    }
    static onnx_part of(std::string bytes) {
        auto p = std::make_shared<onnx_part_payload>();
        p->bytes = std::move(bytes);
        return onnx_part{std::move(p)};
    }
};

namespace detail {
inline constexpr char base64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
inline std::string base64_encode(const std::string& in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                                static_cast<unsigned char>(in[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out += base64_alphabet[(v >> s) & 63];
    }
    if (i < in.size()) {
        std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += base64_alphabet[(v >> 18) & 63];
        out += base64_alphabet[(v >> 12) & 63];
        out += i + 1 < in.size() ? base64_alphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}
/// ensures: throws moir::parse_error for a character outside the alphabet or a bad length.
inline std::string base64_decode(std::string_view in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    out.reserve(in.size() / 4 * 3);
    std::uint32_t acc = 0;
    int bits = 0;
    std::size_t pad = 0, n = 0;
    for (char c : in) {
        if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
        ++n;
        if (c == '=') {
            ++pad;
            continue;
        }
        MOIR_CHECK(pad == 0, parse_error, "base64 data continues after its '=' padding");
        const int v = value(c);
        MOIR_CHECK(v >= 0, parse_error, "a character that is not base64 in the model bytes");
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
        }
    }
    MOIR_CHECK(n % 4 == 0 && pad <= 2, parse_error, "base64 data of a length that is not a multiple of 4");
    return out;
}
}  // namespace detail

/// IR codec (ir/attr_codec.hpp's customization point): the bytes in base64.
inline std::string to_ir_string(const onnx_part& p) { return detail::base64_encode(p.bytes()); }
inline void from_ir_string(std::string_view s, onnx_part& out) { out = onnx_part::of(detail::base64_decode(s)); }

/// The output shapes of a fallback node. In the IR: "1,3,?;2" (shapes as partial_shape's codec
/// spells them, separated by ';'; "..." for an unknown rank, "" for a scalar).
struct shape_list {
    std::vector<partial_shape> shapes;
};
inline std::string to_ir_string(const shape_list& l) {
    std::string s;
    for (std::size_t i = 0; i < l.shapes.size(); ++i) {
        if (i) s += ';';
        const partial_shape& p = l.shapes[i];
        if (p.rank_dynamic) {
            s += "...";
            continue;
        }
        for (std::size_t d = 0; d < p.dims.size(); ++d)
            s += (d ? "," : "") + (p.dims[d] < 0 ? std::string("?") : std::to_string(p.dims[d]));
    }
    return s;
}
inline void from_ir_string(std::string_view s, shape_list& out) {
    out.shapes.clear();
    // as many shapes as ';'-separated pieces; an empty text is one scalar only when output_types says
    // so, which onnx_fallback::infer checks (the count must match)
    std::size_t at = 0;
    for (;;) {
        const std::size_t end = s.find(';', at);
        std::string_view piece = s.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at);
        while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
        while (!piece.empty() && piece.back() == ' ') piece.remove_suffix(1);
        partial_shape p{std::vector<std::int64_t>{}};
        if (piece == "...") {
            p = partial_shape::dynamic();
        } else {
            std::size_t a = 0;
            while (a <= piece.size() && !piece.empty()) {
                const std::size_t e = piece.find(',', a);
                std::string_view tok = piece.substr(a, e == std::string_view::npos ? std::string_view::npos : e - a);
                while (!tok.empty() && tok.front() == ' ') tok.remove_prefix(1);
                while (!tok.empty() && tok.back() == ' ') tok.remove_suffix(1);
                if (tok == "?" || tok == "-1") {
                    p.dims.push_back(dynamic_dim);
                } else {
                    MOIR_CHECK(!tok.empty() && tok.size() < 19, parse_error, "a bad dimension in output_shapes");
                    std::int64_t v = 0;
                    for (char c : tok) {
                        MOIR_CHECK(c >= '0' && c <= '9', parse_error,
                                   "a bad dimension '" + std::string(tok) + "' in output_shapes");
                        v = v * 10 + (c - '0');
                    }
                    p.dims.push_back(v);
                }
                if (e == std::string_view::npos) break;
                a = e + 1;
            }
        }
        out.shapes.push_back(std::move(p));
        if (end == std::string_view::npos) break;
        at = end + 1;
    }
}

/// onnx_fallback: runs an ONNX model (a part of the source model that moir could not convert) with
/// onnxruntime. Input i of the node feeds graph input i of the model, output j is graph output j.
/// IR: type OnnxFallback, version "moir_fallback", attributes `model` (the ONNX bytes, base64),
/// `output_types` and `output_shapes` (what onnxruntime said of the part's outputs at conversion).
/// ensures: outputs of output_types and output_shapes. The reference kernel decides the real
/// shapes at run time (a dynamic dim resolves then).
struct onnx_fallback {
    static constexpr std::string_view name = "onnx_fallback", ir_name = "OnnxFallback", ir_opset = "moir_fallback";
    static constexpr std::size_t min_inputs = 0, max_inputs = 1u << 20;
    struct attrs {
        onnx_part model;
        std::vector<element_type> output_types;
        shape_list output_shapes;
        static constexpr std::array<std::string_view, 3> ir_names{"model", "output_types", "output_shapes"};
    };
    static std::size_t outputs(const attrs& a) { return a.output_types.size(); }
    static port_descs infer(const attrs& a, const port_descs&) {
        MOIR_CHECK(a.output_types.size() == a.output_shapes.shapes.size() ||
                       (a.output_types.empty() && a.output_shapes.shapes.size() == 1 &&
                        a.output_shapes.shapes[0].dims.empty()),
                   shape_error,
                   "OnnxFallback has " + std::to_string(a.output_types.size()) + " output types and " +
                       std::to_string(a.output_shapes.shapes.size()) + " output shapes");
        port_descs out;
        for (std::size_t i = 0; i < a.output_types.size(); ++i)
            out.push_back(port_desc{a.output_types[i], a.output_shapes.shapes[i], {}});
        return out;
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ONNX_FALLBACK_HPP
