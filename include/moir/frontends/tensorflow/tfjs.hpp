#ifndef MOIR_FRONTENDS_TENSORFLOW_TFJS_HPP
#define MOIR_FRONTENDS_TENSORFLOW_TFJS_HPP

// TensorFlow.js graph models: model.json holds a GraphDef as protobuf JSON in `modelTopology` and a
// `weightsManifest` naming the binary weight shards next to it and the weights they hold, in order
// (float32, int32, bool; uint8/uint16 quantized with min and scale, or float16, dequantized to f32
// here, as tfjs does on load). read_tfjs() turns both into one graph_def whose `weights` hold every
// Const's value; the signature (userDefinedMetadata.signature or signature) names the outputs.

#include <moir/core/errors.hpp>
#include <moir/core/limits.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/tensorflow/graph_def.hpp>
#include <moir/precision/half.hpp>

#include <nlohmann/json.hpp>

#include <cmath>       // ldexp
#include <cstdint>     // uint8_t, uint16_t, int64_t
#include <cstring>     // memcpy
#include <fstream>     // ifstream
#include <functional>  // function
#include <iterator>    // istreambuf_iterator
#include <string>      // string, stoll
#include <utility>     // move
#include <vector>      // vector

namespace moir::tensorflow {

/// A TF.js graph model: its graph (with the weights) and the signature's input and output names.
struct tfjs_model {
    graph_def graph;
    std::vector<std::string> signature_inputs, signature_outputs;  ///< "name:0" spellings; may be empty
};

namespace detail {
using ojson = nlohmann::ordered_json;

/// Standard base64 (with or without padding). ensures: parse_error naming `where` on bad input.
template <class = void>
inline std::string base64_decode(const std::string& in, const std::string& where) {
    auto val = [&](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+' || c == '-') return 62;
        if (c == '/' || c == '_') return 63;
        return -1;
    };
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        const int v = val(c);
        MOIR_CHECK(v >= 0, parse_error, where + ": invalid base64 text");
        buf = (buf << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buf >> bits) & 0xffu));
        }
    }
    return out;
}
/// A protobuf-JSON int64 (a string or a number).
template <class = void>
inline std::int64_t json_int(const ojson& j, const std::string& where) {
    if (j.is_number_integer()) return j.get<std::int64_t>();
    if (j.is_number()) {  // a float in range (a larger one does not convert: undefined behaviour)
        const double d = j.get<double>();
        if (d > -9.2e18 && d < 9.2e18) return static_cast<std::int64_t>(d);
    }
    if (j.is_string()) {
        try {
            return std::stoll(j.get<std::string>());
        } catch (const std::exception&) {
        }
    }
    throw parse_error(where + ": expected an integer, found " + j.dump());
}
template <class = void>
inline float json_float(const ojson& j, const std::string& where) {
    if (j.is_number()) return j.get<float>();
    if (j.is_string()) {  // "NaN", "Infinity", "-Infinity"
        const auto s = j.get<std::string>();
        if (s == "NaN") return std::numeric_limits<float>::quiet_NaN();
        if (s == "Infinity") return std::numeric_limits<float>::infinity();
        if (s == "-Infinity") return -std::numeric_limits<float>::infinity();
        try {
            return std::stof(s);
        } catch (const std::exception&) {
        }
    }
    throw parse_error(where + ": expected a number, found " + j.dump());
}
/// A DataType as the file spells it (name or number).
template <class = void>
inline data_type json_file_type(const ojson& j, const std::string& where) {
    if (j.is_number_integer()) return static_cast<data_type>(j.get<std::int32_t>());
    MOIR_CHECK(j.is_string(), parse_error, where + ": expected a DataType, found " + j.dump());
    const data_type t = data_type_from_name(j.get<std::string>());
    MOIR_CHECK(t != data_type::invalid || j.get<std::string>() == "DT_INVALID", parse_error,
               where + ": unknown DataType " + j.dump());
    return t;
}
/// A DataType as tfjs runs it: TensorFlow.js has no float64, so DT_DOUBLE (a Cast's DstT, a
/// placeholder's or a constant's dtype; grappler's constant folding leaves such constants, stored
/// as float32 weights) is float32, as tfjs-converter reads it.
template <class = void>
inline data_type json_type(const ojson& j, const std::string& where) {
    const data_type t = json_file_type(j, where);
    return t == data_type::double_ ? data_type::float_ : t;
}
/// The member `a` or its snake_case spelling `b` (protobuf JSON accepts both), or null.
template <class = void>
inline const ojson* member(const ojson& j, const char* a, const char* b = nullptr) {
    if (!j.is_object()) return nullptr;
    auto it = j.find(a);
    if (it != j.end()) return &*it;
    if (b) {
        it = j.find(b);
        if (it != j.end()) return &*it;
    }
    return nullptr;
}
template <class = void>
inline tensor_shape json_shape(const ojson& j, const std::string& where) {
    tensor_shape s;
    if (const auto* u = member(j, "unknownRank", "unknown_rank")) s.unknown_rank = u->get<bool>();
    if (const auto* d = member(j, "dim")) {
        for (const auto& x : *d) {
            const auto* sz = member(x, "size");
            s.dims.push_back(sz ? json_int(*sz, where) : 0);
        }
    }
    return s;
}
template <class = void>
inline tensor_value json_tensor(const ojson& j, const std::string& where) {
    tensor_value v;
    if (const auto* t = member(j, "dtype")) v.dtype = json_type(*t, where);
    if (const auto* s = member(j, "tensorShape", "tensor_shape")) v.shape = json_shape(*s, where);
    if (const auto* c = member(j, "tensorContent", "tensor_content")) v.content = base64_decode(c->get<std::string>(), where);
    if (const auto* a = member(j, "floatVal", "float_val"))
        for (const auto& x : *a) v.float_val.push_back(json_float(x, where));
    if (const auto* a = member(j, "doubleVal", "double_val"))
        for (const auto& x : *a) v.double_val.push_back(static_cast<double>(json_float(x, where)));
    if (const auto* a = member(j, "intVal", "int_val"))
        for (const auto& x : *a) v.int_val.push_back(static_cast<std::int32_t>(json_int(x, where)));
    if (const auto* a = member(j, "halfVal", "half_val")) {
        v.has_half_val = true;
        for (const auto& x : *a) v.int_val.push_back(static_cast<std::int32_t>(json_int(x, where)));
    }
    if (const auto* a = member(j, "int64Val", "int64_val"))
        for (const auto& x : *a) v.int64_val.push_back(json_int(x, where));
    if (const auto* a = member(j, "boolVal", "bool_val"))
        for (const auto& x : *a) v.bool_val.push_back(x.get<bool>());
    if (const auto* a = member(j, "stringVal", "string_val"))
        for (const auto& x : *a) v.string_val.push_back(base64_decode(x.get<std::string>(), where));
    // a DT_DOUBLE tensor, read as float32 (json_type): its values narrowed to float
    const auto* t = member(j, "dtype");
    if (t && json_file_type(*t, where) == data_type::double_) {
        for (const double d : v.double_val) v.float_val.push_back(static_cast<float>(d));
        v.double_val.clear();
        if (!v.content.empty()) {
            MOIR_CHECK(v.content.size() % sizeof(double) == 0, parse_error,
                       where + ": DT_DOUBLE tensor content of " + std::to_string(v.content.size()) + " bytes");
            std::string narrowed(v.content.size() / 2, '\0');
            for (std::size_t i = 0; i < v.content.size() / sizeof(double); ++i) {
                double d;
                std::memcpy(&d, v.content.data() + i * sizeof(double), sizeof d);
                const float f = static_cast<float>(d);
                std::memcpy(&narrowed[i * sizeof(float)], &f, sizeof f);
            }
            v.content = std::move(narrowed);
        }
    }
    return v;
}
template <class = void>
inline attr_value json_attr(const ojson& j, const std::string& where) {
    attr_value a;
    using k = attr_value::kind;
    if (const auto* x = member(j, "s")) {
        a.k = k::s;
        a.s = base64_decode(x->get<std::string>(), where);
    } else if (const auto* x = member(j, "i")) {
        a.k = k::i;
        a.i = json_int(*x, where);
    } else if (const auto* x = member(j, "f")) {
        a.k = k::f;
        a.f = json_float(*x, where);
    } else if (const auto* x = member(j, "b")) {
        a.k = k::b;
        a.b = x->get<bool>();
    } else if (const auto* x = member(j, "type")) {
        a.k = k::type;
        a.type = json_type(*x, where);
    } else if (const auto* x = member(j, "shape")) {
        a.k = k::shape;
        a.shape = json_shape(*x, where);
    } else if (const auto* x = member(j, "tensor")) {
        a.k = k::tensor;
        a.tensor = json_tensor(*x, where);
    } else if (const auto* x = member(j, "func")) {
        a.k = k::func;
        if (const auto* n = member(*x, "name")) a.s = n->get<std::string>();
    } else if (const auto* x = member(j, "placeholder")) {
        a.k = k::placeholder;
        a.s = x->get<std::string>();
    } else if (const auto* x = member(j, "list")) {
        a.k = k::list;
        if (const auto* l = member(*x, "s"))
            for (const auto& e : *l) a.list.s.push_back(base64_decode(e.get<std::string>(), where));
        if (const auto* l = member(*x, "i"))
            for (const auto& e : *l) a.list.i.push_back(json_int(e, where));
        if (const auto* l = member(*x, "f"))
            for (const auto& e : *l) a.list.f.push_back(json_float(e, where));
        if (const auto* l = member(*x, "b"))
            for (const auto& e : *l) a.list.b.push_back(e.get<bool>());
        if (const auto* l = member(*x, "type"))
            for (const auto& e : *l) a.list.type.push_back(json_type(e, where));
        if (const auto* l = member(*x, "shape"))
            for (const auto& e : *l) a.list.shape.push_back(json_shape(e, where));
        if (const auto* l = member(*x, "tensor"))
            for (const auto& e : *l) a.list.tensor.push_back(json_tensor(e, where));
    }
    return a;
}

template <class = void>
inline std::string read_file_bytes(const std::string& path, const std::string& what) {
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, what + ": cannot open " + path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}
template <class = void>
inline std::string dir_of(const std::string& path) {
    const auto p = path.find_last_of('/');
    return p == std::string::npos ? std::string(".") : path.substr(0, p);
}
}  // namespace detail

/// Reads a GraphDef given as protobuf JSON (TF.js's modelTopology). `source` names it in errors.
template <class = void>
inline graph_def graph_def_from_json(const nlohmann::ordered_json& topology, const std::string& source) {
    graph_def g;
    MOIR_CHECK(topology.is_object(), parse_error, source + ": modelTopology is not an object");
    if (const auto* nodes = detail::member(topology, "node")) {
        MOIR_CHECK(nodes->is_array(), parse_error, source + ": modelTopology.node is not an array");
        for (const auto& jn : *nodes) {
            node_def n;
            MOIR_CHECK(jn.is_object() && jn.contains("name") && jn.contains("op"), parse_error,
                       source + ": a node of modelTopology has no name or op: " + jn.dump().substr(0, 200));
            n.name = jn["name"].get<std::string>();
            n.op = jn["op"].get<std::string>();
            const std::string where = source + ": node '" + n.name + "'";
            if (const auto* d = detail::member(jn, "device")) n.device = d->get<std::string>();
            if (const auto* in = detail::member(jn, "input"))
                for (const auto& x : *in) n.input.push_back(x.get<std::string>());
            if (const auto* at = detail::member(jn, "attr"))
                for (const auto& [key, val] : at->items()) n.attr[key] = detail::json_attr(val, where + " attribute '" + key + "'");
            g.node.push_back(std::move(n));
        }
    }
    if (const auto* lib = detail::member(topology, "library"))
        if (const auto* fns = detail::member(*lib, "function")) g.library_functions = fns->size();
    if (const auto* v = detail::member(topology, "versions"))
        if (const auto* p = detail::member(*v, "producer")) g.producer = static_cast<std::int32_t>(detail::json_int(*p, source));
    return g;
}

/// The bytes of a weight shard, given its name as the manifest writes it (`paths` entry).
using tfjs_shard_reader = std::function<std::string(const std::string& name)>;

/// Decodes the weights of a weightsManifest from the concatenated bytes of its shards into
/// g.weights. `source` names model.json in errors; `read_shard` gives a shard's bytes.
/// ensures: parse_error when the shards hold fewer bytes than the manifest needs, or more, and
/// for a shape with a negative dim (checked before anything is allocated).
template <class = void>
inline void read_tfjs_weights(const nlohmann::ordered_json& manifest, const tfjs_shard_reader& read_shard, graph_def& g,
                              const std::string& source) {
    MOIR_CHECK(manifest.is_array(), parse_error, source + ": weightsManifest is not an array");
    std::size_t group_index = 0;
    for (const auto& group : manifest) {
        const std::string gwhere = source + ": weightsManifest group " + std::to_string(group_index++);
        MOIR_CHECK(group.is_object() && group.contains("paths") && group.contains("weights"), parse_error,
                   gwhere + " has no paths or weights");
        std::string bytes;
        for (const auto& p : group["paths"]) bytes += read_shard(p.get<std::string>());
        std::size_t offset = 0;
        for (const auto& w : group["weights"]) {
            const std::string name = w.at("name").get<std::string>();
            const std::string where = source + ": weight '" + name + "'";
            shape dims;
            for (const auto& d : w.at("shape")) {
                dims.push_back(detail::json_int(d, where));
                MOIR_CHECK(dims.back() >= 0, parse_error,
                           where + ": shape dim " + std::to_string(dims.size() - 1) + " is negative (" +
                               std::to_string(dims.back()) + ")");
            }
            std::string dtype = w.at("dtype").get<std::string>();
            // at most one element per byte of the shards: a larger count cannot fit (nor overflow)
            const std::size_t n = capped_element_count(dims, bytes.size());
            std::string qtype;
            double qmin = 0, qscale = 1;
            if (const auto* q = detail::member(w, "quantization")) {
                qtype = q->at("dtype").get<std::string>();
                if (q->contains("min")) qmin = (*q)["min"].get<double>();
                if (q->contains("scale")) qscale = (*q)["scale"].get<double>();
            }
            const std::string stored = qtype.empty() ? dtype : qtype;
            std::size_t width = 0;
            if (stored == "float32" || stored == "int32") width = 4;
            else if (stored == "float16" || stored == "uint16") width = 2;
            else if (stored == "uint8" || stored == "bool") width = 1;
            else throw unsupported_error(where + ": weights of dtype '" + stored + "' are not supported");
            const std::size_t need = n * width;
            MOIR_CHECK(n <= bytes.size() && offset + need <= bytes.size(), parse_error,
                       where + ": the weight shards of " + gwhere.substr(source.size() + 2) + " hold " +
                           std::to_string(bytes.size()) + " bytes, the manifest needs " +
                           (n > bytes.size() ? std::string("more") : "at least " + std::to_string(offset + need)) +
                           " (a shard is truncated or missing)");
            const auto* src = reinterpret_cast<const std::uint8_t*>(bytes.data()) + offset;
            offset += need;
            moir::tensor t;
            if (dtype == "float32") {
                t = moir::tensor(element_type::f32, dims);
                float* d = t.data<float>();
                if (stored == "float32") {
                    if (n) std::memcpy(d, src, need);
                } else if (stored == "float16") {
                    for (std::size_t i = 0; i < n; ++i) {
                        half h;
                        h.bits = static_cast<std::uint16_t>(src[2 * i] | (src[2 * i + 1] << 8));
                        d[i] = static_cast<float>(h);
                    }
                } else {  // uint8 / uint16 affine: q * scale + min, in double then rounded, as tfjs
                    for (std::size_t i = 0; i < n; ++i) {
                        const unsigned q = width == 1 ? src[i] : static_cast<unsigned>(src[2 * i] | (src[2 * i + 1] << 8));
                        d[i] = static_cast<float>(q * qscale + qmin);
                    }
                }
            } else if (dtype == "int32") {
                MOIR_CHECK(stored == "int32", unsupported_error, where + ": quantized int32 weights are not supported");
                t = moir::tensor(element_type::i32, dims);
                if (n) std::memcpy(t.raw(), src, need);
            } else if (dtype == "bool") {
                t = moir::tensor(element_type::boolean, dims);
                for (std::size_t i = 0; i < n; ++i) t.data<bool>()[i] = src[i] != 0;
            } else {
                throw unsupported_error(where + ": weights of dtype '" + dtype + "' are not supported");
            }
            g.weights[name] = std::move(t);
        }
        MOIR_CHECK(offset == bytes.size(), parse_error,
                   gwhere + ": the weight shards hold " + std::to_string(bytes.size()) + " bytes, the manifest names " +
                       std::to_string(offset) + " (a shard does not match the model)");
    }
}

/// Decodes a TF.js graph model: `text` is model.json (`path` names it in errors), `read_shard`
/// gives the bytes of each weight shard it names.
/// ensures: parse_error naming the file on bad JSON, a short shard, or no topology.
template <class = void>
inline tfjs_model parse_tfjs(const std::string& text, const std::string& path, const tfjs_shard_reader& read_shard) {
    nlohmann::ordered_json j;
    try {
        j = nlohmann::ordered_json::parse(text);
    } catch (const std::exception& e) {
        throw parse_error(path + ": not valid JSON (" + std::string(e.what()) + ")");
    }
    MOIR_CHECK(j.is_object() && j.contains("modelTopology"), parse_error,
               path + ": not a TF.js model (no modelTopology)");
    const std::string format = j.value("format", std::string("graph-model"));
    MOIR_CHECK(format == "graph-model", unsupported_error,
               path + ": TF.js format '" + format + "' is not supported (moir reads graph-model)");
    tfjs_model m;
    try {
        m.graph = graph_def_from_json(j["modelTopology"], path);
        if (j.contains("weightsManifest")) read_tfjs_weights(j["weightsManifest"], read_shard, m.graph, path);
        const nlohmann::ordered_json* sig = nullptr;
        if (j.contains("signature")) sig = &j["signature"];
        else if (j.contains("userDefinedMetadata") && j["userDefinedMetadata"].contains("signature"))
            sig = &j["userDefinedMetadata"]["signature"];
        if (sig) {
            if (sig->contains("inputs"))
                for (const auto& [k, v] : (*sig)["inputs"].items()) m.signature_inputs.push_back(v.value("name", k));
            if (sig->contains("outputs"))
                for (const auto& [k, v] : (*sig)["outputs"].items()) m.signature_outputs.push_back(v.value("name", k));
        }
    } catch (const nlohmann::json::exception& e) {
        throw parse_error(path + ": malformed TF.js model (" + std::string(e.what()) + ")");
    }
    return m;
}

/// Reads a TF.js graph model: `path` is model.json, the shards are found next to it.
/// ensures: as parse_tfjs; moir::error naming a shard that cannot be opened.
template <class = void>
inline tfjs_model read_tfjs(const std::string& path) {
    const std::string dir = detail::dir_of(path);
    return parse_tfjs(detail::read_file_bytes(path, "TF.js model"), path, [&](const std::string& name) {
        return detail::read_file_bytes(dir + "/" + name, path + ": weight shard '" + name + "'");
    });
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_TFJS_HPP
