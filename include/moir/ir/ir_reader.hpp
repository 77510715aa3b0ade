#ifndef MOIR_IR_IR_READER_HPP
#define MOIR_IR_IR_READER_HPP

// Reads OpenVINO IR version 10 and 11 (model.xml + model.bin) into a moir::model. Each <layer> is
// matched by (type, version) against the (ir_name, ir_opset) of the ops of OpSet: an exact match
// first, else the only op of that type, else the op of that type with the highest opset not newer
// than the layer's. Edges are resolved by the port ids written in the file (MO-era files number
// ports freely), Const data is read from the .bin with bounds checks, Parameters and Results become
// the model's inputs and outputs in the order of their layers in the file, and the result is
// validated. Model-level <rt_info> and <meta_data> are ignored; per-layer <rt_info> is kept. If,
// Loop and TensorIterator layers are read with their bodies (each read as a graph of its own) and
// port maps (docs/control-flow.md).
// FP16-compressed weights are read in both forms OpenVINO writes: f16 Const -> Convert(f32) with
// the "decompression" rt_info, and an f16 Const carrying "decompression" read directly by an f32
// op (the reader inserts the Convert, so the graph is always the first form).
//
// Errors: moir::parse_error "<file>: layer '<name>' (id N): reason" for structural problems,
// moir::unsupported_error for what moir cannot represent (one error listing every unknown layer
// type with its count), moir::shape_error "<file>: node ..." when the graph does not validate.

#include <moir/core/errors.hpp>
#include <moir/core/extensions.hpp>
#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/io/files.hpp>
#include <moir/ir/attr_codec.hpp>
#include <moir/ir/ir_decl.hpp>
#include <moir/ir/xml.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/convert.hpp>
#include <moir/ops/if.hpp>
#include <moir/ops/loop.hpp>
#include <moir/ops/opset.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/tensor_iterator.hpp>

#include <algorithm>      // find_if, sort, stable_sort
#include <any>            // any
#include <cstddef>        // size_t
#include <cstdint>        // int64_t, uint64_t
#include <cstring>        // memcpy
#include <deque>          // deque
#include <limits>         // numeric_limits
#include <memory>         // make_shared, shared_ptr
#include <string>         // string
#include <string_view>    // string_view
#include <tuple>          // tie
#include <type_traits>    // is_same_v
#include <unordered_map>  // unordered_map
#include <utility>        // move, pair
#include <vector>         // vector

namespace moir::ir {

namespace detail {

/// The .bin as the reader sees it.
struct bin_source {
    std::string_view bytes;
    std::string path;
    bool available = true;  ///< false when the file could not be read (fine if no Const needs it)
    std::string why;        ///< why it could not be read
};

/// Decodes one attribute value into `out`, wrapping codec errors with `where` and the attribute.
template <class T>
void decode_value(const std::string& text, T& out, const std::string& where, std::string_view attr) {
    try {
        from_ir_string(std::string_view(text), out);
    } catch (const unsupported_error& e) {
        throw unsupported_error(where + ": attribute '" + std::string(attr) + "'='" + text + "': " + e.what());
    } catch (const error& e) {
        throw parse_error(where + ": attribute '" + std::string(attr) + "'='" + text + "': " + e.what());
    }
}

/// The value of a required attribute. ensures: throws parse_error "<where>: missing attribute 'k' in <el>".
inline const std::string& required(const xml::element& el, std::string_view k, const std::string& where) {
    const std::string* v = el.find_attribute(k);
    if (!v) throw parse_error(where + ": missing attribute '" + std::string(k) + "' in <" + el.name + ">");
    return *v;
}

template <class T>
T required_value(const xml::element& el, std::string_view k, const std::string& where) {
    T v{};
    decode_value(required(el, k, where), v, where, k);
    return v;
}

/// Reads a Const's tensor: <data element_type shape offset size> + the bytes of the .bin.
inline tensor read_constant(const xml::element* data, const std::string& where, const bin_source& bin) {
    MOIR_CHECK(data, parse_error, where + ": Const has no <data> element");
    const auto type = required_value<element_type>(*data, "element_type", where);
    MOIR_CHECK(type != element_type::undefined, parse_error, where + ": Const element_type must be a concrete type");
    const auto& shape_text = required(*data, "shape", where);
    partial_shape ps;
    decode_value(shape_text, ps, where, "shape");
    MOIR_CHECK(ps.is_static(), parse_error, where + ": Const shape '" + shape_text + "' is not static");
    const auto offset = required_value<std::uint64_t>(*data, "offset", where);
    const auto size = required_value<std::uint64_t>(*data, "size", where);

    constexpr std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t numel = 1;
    bool zero = false;
    for (auto d : ps.dims) zero = zero || d == 0;
    if (!zero)
        for (auto d : ps.dims) {
            const auto ud = static_cast<std::uint64_t>(d);
            MOIR_CHECK(numel <= max / ud, parse_error, where + ": Const shape '" + shape_text + "' is too large");
            numel *= ud;
        }
    if (zero) numel = 0;
    const std::uint64_t esize = size_of(type);
    MOIR_CHECK(numel <= max / esize && numel * esize <= static_cast<std::uint64_t>(std::numeric_limits<std::size_t>::max()),
               parse_error, where + ": Const shape '" + shape_text + "' is too large");
    const std::uint64_t expected = numel * esize;
    MOIR_CHECK(size == expected, parse_error,
               where + ": Const size=" + std::to_string(size) + " does not match shape [" + to_ir_string(ps) + "] of " +
                   std::string(ir_name(type)) + " (" + std::to_string(expected) + " bytes)");
    MOIR_CHECK(bin.available || size == 0, parse_error,
               where + ": the weights file '" + bin.path + "' cannot be read" + (bin.why.empty() ? "" : " (" + bin.why + ")"));
    const std::uint64_t bin_size = bin.bytes.size();
    MOIR_CHECK(offset <= bin_size && size <= bin_size - offset, parse_error,
               where + ": Const data (offset=" + std::to_string(offset) + ", size=" + std::to_string(size) +
                   ") lies outside the weights file '" + bin.path + "' (" + std::to_string(bin_size) + " bytes)");
    tensor t(type, ps.dims);
    if (size == 0) return t;
    const char* src = bin.bytes.data() + offset;
    if (type == element_type::boolean) {
        bool* dst = t.data<bool>();
        for (std::size_t i = 0; i < size; ++i) dst[i] = src[i] != 0;  // any non-zero byte is true
    } else {
        std::memcpy(t.raw(), src, static_cast<std::size_t>(size));
    }
    return t;
}

/// Reads the attrs of one layer of op type Op.
using data_reader = std::any (*)(const xml::element* data, const std::string& where, const bin_source& bin);

template <class Op>
std::any read_op_data(const xml::element* data, const std::string& where, const bin_source& bin) {
    if constexpr (std::is_same_v<Op, ops::constant>) {
        return ops::constant::attrs{read_constant(data, where, bin)};
    } else {
        if constexpr (std::is_same_v<Op, ops::parameter>) {
            MOIR_CHECK(data, parse_error, where + ": Parameter has no <data> element");
            required(*data, "element_type", where);
            required(*data, "shape", where);
        }
        return read_data<typename Op::attrs>(data, where);
    }
}

struct reader_entry {
    std::string_view ir_name;
    std::string_view ir_opset;
    const op_info* info;
    data_reader read;
    std::size_t position;  // of the op in its opset: entries of one IR type keep the opset's order
};
using reader_map = std::unordered_map<std::string_view, std::vector<reader_entry>>;

/// Adds the ops of slice Part (of table_parts) of OpSet to t, under their IR types.
template <class OpSet, std::size_t Part>
void fill_reader_table(reader_map& t) {
    for_each_type_in_part<Part, moir::detail::table_parts>(OpSet{}, [&](auto tag) {
        using Op = typename decltype(tag)::type;
        const op_info& info = info_of<Op>();
        t[info.ir_name].push_back(reader_entry{info.ir_name, info.ir_opset, &info, &read_op_data<Op>, index_of_v<Op, OpSet>});
    });
}

/// IR type -> the ops of OpSet with that type, in the opset's order; built once per OpSet.
template <class OpSet>
const reader_map& reader_table() {
    static const auto table = [] {
        reader_map t;
        moir::detail::for_each_table_part([&](auto part) { fill_reader_table<OpSet, decltype(part)::value>(t); });
        for (auto& [name, entries] : t)
            std::sort(entries.begin(), entries.end(),
                      [](const reader_entry& a, const reader_entry& b) { return a.position < b.position; });
        return t;
    }();
    return table;
}

/// N of "opsetN", or -1.
inline long opset_number(std::string_view v) {
    if (v.substr(0, 5) != "opset" || v.size() == 5 || v.size() > 12) return -1;
    long n = 0;
    for (char c : v.substr(5)) {
        if (c < '0' || c > '9') return -1;
        n = n * 10 + (c - '0');
    }
    return n;
}

/// The op a layer of (type, version) is read as, or nullptr.
inline const reader_entry* resolve_op(const std::unordered_map<std::string_view, std::vector<reader_entry>>& table,
                                      std::string_view type, std::string_view version) {
    const auto it = table.find(type);
    if (it == table.end() || it->second.empty()) return nullptr;
    const auto& candidates = it->second;
    for (const auto& e : candidates)
        if (e.ir_opset == version) return &e;
    if (candidates.size() == 1) return &candidates.front();
    const long want = opset_number(version);
    const reader_entry* best = nullptr;
    long best_n = -1;
    for (const auto& e : candidates) {
        const long n = opset_number(e.ir_opset);
        if (n >= 0 && (want < 0 || n <= want) && n > best_n) {
            best = &e;
            best_n = n;
        }
    }
    return best;
}

/// Splits a `names` attribute on commas that are not escaped as "\,".
inline std::vector<std::string> split_names(std::string_view s) {
    std::vector<std::string> names;
    std::string cur;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == ',') {
            cur += ',';
            ++i;
        } else if (s[i] == ',') {
            if (!cur.empty()) names.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += s[i];
        }
    }
    if (!cur.empty()) names.push_back(std::move(cur));
    return names;
}

struct port_info {
    std::int64_t id;
    const xml::element* el;
};

struct layer_info {
    const xml::element* el = nullptr;
    std::int64_t id = 0;
    std::string name, type, version;
    std::string where;
    const reader_entry* op = nullptr;
    std::vector<port_info> inputs, outputs;
};

/// Reads the <port>s of an <input> or <output> section, checking their ids and dims.
inline std::vector<port_info> read_ports(const xml::element* section, const std::string& where) {
    std::vector<port_info> ports;
    if (!section) return ports;
    for (const xml::element* p : section->children_named("port")) {
        const auto id = required_value<std::int64_t>(*p, "id", where);
        for (const xml::element* d : p->children_named("dim")) {
            partial_shape dim;
            decode_value(d->text, dim, where + ": port " + std::to_string(id), "dim");
            MOIR_CHECK(!dim.rank_dynamic && dim.rank() == 1, parse_error,
                       where + ": port " + std::to_string(id) + ": <dim>" + d->text + "</dim> is not one dimension");
        }
        ports.push_back(port_info{id, p});
    }
    return ports;
}

/// The ids of g's <layer>s of type `type`, in file order (a body's Parameters or Results: OpenVINO
/// numbers them by this order).
inline std::vector<std::int64_t> layer_ids_of_type(const xml::element& g, std::string_view type, const std::string& where) {
    std::vector<std::int64_t> ids;
    if (const xml::element* layers = g.child("layers"))
        for (const xml::element* el : layers->children_named("layer")) {
            const std::string* t = el->find_attribute("type");
            if (t && *t == type) ids.push_back(required_value<std::int64_t>(*el, "id", where));
        }
    return ids;
}

/// The position of layer id `id` in `ids`. ensures: moir::parse_error naming `what` when absent.
inline std::size_t position_of(const std::vector<std::int64_t>& ids, std::int64_t id, const std::string& where,
                               const char* what) {
    for (std::size_t i = 0; i < ids.size(); ++i)
        if (ids[i] == id) return i;
    throw parse_error(where + ": internal_layer_id " + std::to_string(id) + " is not a " + what + " of the body");
}

/// A port map's <input>s or <output>s, sorted by external_port_id (files list them in any order).
inline std::vector<const xml::element*> sorted_ports(const xml::element* map, const char* kind, const std::string& where) {
    std::vector<std::pair<std::int64_t, const xml::element*>> v;
    if (map)
        for (const xml::element* p : map->children_named(kind))
            v.emplace_back(required_value<std::int64_t>(*p, "external_port_id", where), p);
    std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<const xml::element*> out;
    for (const auto& e : v) out.push_back(e.second);
    return out;
}

/// A sliced input's or concatenated output's axis and stride (-1 axis: none). moir slices one
/// element at a time over the whole axis: other part sizes and ranges are unsupported.
inline std::pair<std::int64_t, std::int64_t> read_iteration(const xml::element& p, const std::string& where) {
    if (!p.find_attribute("axis")) return {-1, 1};
    const auto axis = required_value<std::int64_t>(p, "axis", where);
    const auto opt = [&](const char* k, std::int64_t def) {
        return p.find_attribute(k) ? required_value<std::int64_t>(p, k, where) : def;
    };
    const auto stride = opt("stride", 1), part = opt("part_size", 1);
    const auto start = opt("start", stride < 0 ? -1 : 0), end = opt("end", stride < 0 ? 0 : -1);
    MOIR_CHECK(axis >= 0, unsupported_error, where + ": a negative iteration axis is not supported");
    MOIR_CHECK(part == 1 && (stride == 1 || stride == -1) && start == (stride < 0 ? -1 : 0) && end == (stride < 0 ? 0 : -1),
               unsupported_error,
               where + ": iterating with part_size " + std::to_string(part) + ", stride " + std::to_string(stride) +
                   ", start " + std::to_string(start) + ", end " + std::to_string(end) +
                   " is not supported (moir iterates over the whole axis one element at a time)");
    return {axis, stride};
}

template <class OpSet>
model read_graph(const xml::element& g, const bin_source& bin, const std::string& file);

/// Reads the bodies and port maps of a layer whose op owns bodies (If, Loop, TensorIterator) into
/// n.bodies; returns the op's attrs.
template <class OpSet>
std::any read_bodies(const xml::element& el, node& n, const std::string& where, const bin_source& bin,
                     const std::string& file) {
    const auto body_of = [&](const char* tag) -> std::shared_ptr<model> {
        const xml::element* b = el.child(tag);
        MOIR_CHECK(b, parse_error, where + ": has no <" + tag + ">");
        return std::make_shared<model>(read_graph<OpSet>(*b, bin, file + ": " + where + " " + tag));
    };
    if (n.is<ops::if_op>()) {
        ops::if_op::attrs a;
        for (int k = 0; k < 2; ++k) {
            const char* tag = k == 0 ? "then_body" : "else_body";
            const char* map_tag = k == 0 ? "then_port_map" : "else_port_map";
            auto body = body_of(tag);
            const auto pids = layer_ids_of_type(*el.child(tag), "Parameter", where);
            const auto rids = layer_ids_of_type(*el.child(tag), "Result", where);
            const xml::element* map = el.child(map_tag);
            MOIR_CHECK(map, parse_error, where + ": has no <" + map_tag + ">");
            std::vector<std::int64_t> feed(body->parameters.size(), -1);
            for (const xml::element* p : map->children_named("input")) {
                const auto j = position_of(pids, required_value<std::int64_t>(*p, "internal_layer_id", where), where, "Parameter");
                MOIR_CHECK(j < feed.size(), parse_error, where + ": " + map_tag + " names a dead body Parameter");
                feed[j] = required_value<std::int64_t>(*p, "external_port_id", where);
            }
            for (std::size_t j = 0; j < feed.size(); ++j)
                MOIR_CHECK(feed[j] >= 1, parse_error,
                           where + ": " + tag + " Parameter " + std::to_string(j) + " is fed by no input of the If");
            std::vector<node_id> results;  // in the If's output order
            for (const xml::element* p : sorted_ports(map, "output", where)) {
                const auto r = position_of(rids, required_value<std::int64_t>(*p, "internal_layer_id", where), where, "Result");
                MOIR_CHECK(r < body->results.size(), parse_error, where + ": " + map_tag + " names a missing Result");
                results.push_back(body->results[r]);
            }
            body->results = results;
            body->remove_dead();
            (k == 0 ? a.then_inputs : a.else_inputs) = feed;
            n.bodies.push_back(body);
        }
        return a;
    }
    MOIR_CHECK(n.is<ops::loop>() || n.is<ops::tensor_iterator>(), unsupported_error,
               where + ": moir reads the bodies of If, Loop and TensorIterator only");
    auto body = body_of("body");
    const xml::element& b = *el.child("body");
    const auto pids = layer_ids_of_type(b, "Parameter", where);
    const auto rids = layer_ids_of_type(b, "Result", where);
    const xml::element* map = el.child("port_map");
    MOIR_CHECK(map, parse_error, where + ": has no <port_map>");
    ops::loop_ports a;
    const std::size_t np = body->parameters.size();
    a.input_external.assign(np, -2);
    a.input_axis.assign(np, -1);
    a.input_stride.assign(np, 1);
    a.input_back_edge.assign(np, -1);
    for (const xml::element* p : map->children_named("input")) {
        const auto j = position_of(pids, required_value<std::int64_t>(*p, "internal_layer_id", where), where, "Parameter");
        const std::string* purpose = p->find_attribute("purpose");
        if (purpose && *purpose == "current_iteration") {
            a.current_iteration = static_cast<std::int64_t>(j);
            a.input_external[j] = -1;
            continue;
        }
        a.input_external[j] = required_value<std::int64_t>(*p, "external_port_id", where);
        std::tie(a.input_axis[j], a.input_stride[j]) = read_iteration(*p, where);
    }
    if (const xml::element* edges = el.child("back_edges"))
        for (const xml::element* e : edges->children_named("edge")) {
            const auto r = position_of(rids, required_value<std::int64_t>(*e, "from-layer", where), where, "Result");
            const auto j = position_of(pids, required_value<std::int64_t>(*e, "to-layer", where), where, "Parameter");
            a.input_back_edge[j] = static_cast<std::int64_t>(r);
        }
    for (std::size_t j = 0; j < np; ++j)
        MOIR_CHECK(a.input_external[j] != -2, parse_error,
                   where + ": body Parameter " + std::to_string(j) + " is not in the port map");
    for (const xml::element* p : sorted_ports(map, "output", where)) {
        const auto r = static_cast<std::int64_t>(
            position_of(rids, required_value<std::int64_t>(*p, "internal_layer_id", where), where, "Result"));
        const std::string* purpose = p->find_attribute("purpose");
        if (purpose && *purpose == "execution_condition") {
            a.condition = r;
            continue;
        }
        if (required_value<std::int64_t>(*p, "external_port_id", where) < 0) continue;  // used inside only
        const auto [axis, stride] = read_iteration(*p, where);
        a.output_result.push_back(r);
        a.output_axis.push_back(axis);
        a.output_stride.push_back(stride);
    }
    n.bodies.push_back(body);
    if (n.is<ops::loop>()) return ops::loop::attrs(a);
    return ops::tensor_iterator::attrs(a);
}

/// Reads the <layers> and <edges> of g (the <net>, or a body) into a validated model.
template <class OpSet>
model read_graph(const xml::element& root, const bin_source& bin, const std::string& file) {
    const xml::element* layers_el = root.child("layers");
    MOIR_CHECK(layers_el, parse_error, file + ": <" + root.name + "> has no <layers>");

    // 1. layer headers, ids, op resolution
    const auto& table = reader_table<OpSet>();
    std::vector<layer_info> layers;
    std::unordered_map<std::int64_t, std::size_t> index_of_id;
    std::vector<std::pair<std::string, std::size_t>> unknown;  // type -> count, first-seen order
    std::vector<std::pair<std::string, std::size_t>> from_extensions;  // same, for ops of non-OpenVINO opsets
    std::deque<reader_entry> extension_entries;  // stable addresses
    for (const xml::element* el : layers_el->children_named("layer")) {
        layer_info L;
        L.el = el;
        const std::string* name = el->find_attribute("name");
        L.name = name ? *name : std::string();
        const std::string at_line = file + ": <layer> at line " + std::to_string(el->line);
        L.id = required_value<std::int64_t>(*el, "id", name ? file + ": layer '" + L.name + "'" : at_line);
        L.where = file + ": layer '" + L.name + "' (id " + std::to_string(L.id) + ")";
        L.type = required(*el, "type", L.where);
        const std::string* v = el->find_attribute("version");
        L.version = v ? *v : std::string();
        MOIR_CHECK(index_of_id.emplace(L.id, layers.size()).second, parse_error,
                   L.where + ": duplicate layer id " + std::to_string(L.id) + " (also used by layer '" +
                       layers[index_of_id[L.id]].name + "')");
        L.op = resolve_op(table, L.type, L.version);
        if (!L.op) {  // an op registered at run time (core/extensions.hpp)
            if (const op_extension* e = extensions().find(L.type, L.version)) {
                extension_entries.push_back(reader_entry{e->info->ir_name, e->info->ir_opset, e->info, e->read, 0});
                L.op = &extension_entries.back();
            }
        }
        // an op of a named opset of its own (not OpenVINO's opsetN, nor the generic "extension"): an
        // extension's op, not loaded
        if (!L.op && !L.version.empty() && !is_standard_opset(L.version) && L.version != "extension") {
            const std::string key = L.type + " of opset '" + L.version + "'";
            bool found = false;
            for (auto& [k, n] : from_extensions)
                if (k == key) {
                    ++n;
                    found = true;
                }
            if (!found) from_extensions.emplace_back(key, 1);
        } else if (!L.op) {
            const auto known = table.find(L.type);
            const std::string key =
                known == table.end() ? L.type : L.type + " (version " + (L.version.empty() ? "?" : L.version) + ")";
            bool found = false;
            for (auto& [k, n] : unknown)
                if (k == key) {
                    ++n;
                    found = true;
                }
            if (!found) unknown.emplace_back(key, 1);
        }
        layers.push_back(std::move(L));
    }
    if (!from_extensions.empty()) {
        std::string list;
        for (const auto& [k, n] : from_extensions)
            list += (list.empty() ? "" : ", ") + k + " (" + std::to_string(n) + (n == 1 ? " layer)" : " layers)");
        for (const auto& [k, n] : unknown)
            list += ", " + k + " (" + std::to_string(n) + (n == 1 ? " layer)" : " layers)");
        throw unsupported_error(file + ": layers of ops from extensions that are not loaded: " + list +
                                ": load the library that defines them (moir convert/run/bench --extensions lib.so, or "
                                "moir::load_extension / moir::extensions().add_op in a program)");
    }
    if (!unknown.empty()) {
        std::string list;
        for (const auto& [k, n] : unknown)
            list += (list.empty() ? "" : ", ") + k + " (" + std::to_string(n) + (n == 1 ? " layer)" : " layers)");
        throw unsupported_error(file + ": unsupported layer types: " + list);
    }

    // 2. nodes: attrs, rt_info, ports, output names
    model m;
    m.nodes.reserve(layers.size());
    for (auto& L : layers) {
        node n;
        n.op = L.op->info;
        n.name = L.name;
        if (n.op->infer_bodies) n.attrs = read_bodies<OpSet>(*L.el, n, L.where, bin, file);
        else n.attrs = L.op->read(L.el->child("data"), L.where, bin);
        if (const xml::element* rt = L.el->child("rt_info")) {
            for (const xml::element* a : rt->children_named("attribute")) {
                const std::string* an = a->find_attribute("name");
                if (!an) continue;
                rt_attribute r;
                r.name = *an;
                if (const std::string* av = a->find_attribute("version")) r.version = *av;
                const std::string* val = a->find_attribute("value");
                r.has_value = val != nullptr;
                if (val) r.value = *val;
                n.rt_info.push_back(std::move(r));
            }
        }
        L.inputs = read_ports(L.el->child("input"), L.where);
        L.outputs = read_ports(L.el->child("output"), L.where);
        for (std::size_t i = 0; i < L.inputs.size() + L.outputs.size(); ++i) {
            const auto id = i < L.inputs.size() ? L.inputs[i].id : L.outputs[i - L.inputs.size()].id;
            for (std::size_t j = 0; j < i; ++j) {
                const auto other = j < L.inputs.size() ? L.inputs[j].id : L.outputs[j - L.inputs.size()].id;
                MOIR_CHECK(id != other, parse_error, L.where + ": duplicate port id " + std::to_string(id));
            }
        }
        n.outputs.resize(L.outputs.size());
        for (std::size_t k = 0; k < L.outputs.size(); ++k)
            if (const std::string* names = L.outputs[k].el->find_attribute("names"))
                n.outputs[k].names = split_names(*names);
        n.inputs.assign(L.inputs.size(), output_ref{});
        m.nodes.push_back(std::move(n));
    }

    // 3. edges, by port id
    std::vector<std::vector<bool>> connected(layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i) connected[i].assign(layers[i].inputs.size(), false);
    if (const xml::element* edges = root.child("edges")) {
        for (const xml::element* e : edges->children_named("edge")) {
            const std::string where_edge = file + ": <edge> at line " + std::to_string(e->line);
            const auto from_layer = required_value<std::int64_t>(*e, "from-layer", where_edge);
            const auto from_port = required_value<std::int64_t>(*e, "from-port", where_edge);
            const auto to_layer = required_value<std::int64_t>(*e, "to-layer", where_edge);
            const auto to_port = required_value<std::int64_t>(*e, "to-port", where_edge);
            const auto fi = index_of_id.find(from_layer), ti = index_of_id.find(to_layer);
            const std::string desc = "edge from layer " + std::to_string(from_layer) + " port " +
                                     std::to_string(from_port) + " to layer " + std::to_string(to_layer) + " port " +
                                     std::to_string(to_port);
            if (ti == index_of_id.end() || fi == index_of_id.end()) {
                const std::string where = ti != index_of_id.end()   ? layers[ti->second].where
                                          : fi != index_of_id.end() ? layers[fi->second].where
                                                                    : where_edge;
                throw parse_error(where + ": " + desc + ": layer id " +
                                  std::to_string(ti == index_of_id.end() ? to_layer : from_layer) + " does not exist");
            }
            const layer_info& F = layers[fi->second];
            layer_info& T = layers[ti->second];
            std::size_t in_index = T.inputs.size(), out_index = F.outputs.size();
            for (std::size_t k = 0; k < T.inputs.size(); ++k)
                if (T.inputs[k].id == to_port) in_index = k;
            for (std::size_t k = 0; k < F.outputs.size(); ++k)
                if (F.outputs[k].id == from_port) out_index = k;
            MOIR_CHECK(in_index < T.inputs.size(), parse_error,
                       T.where + ": " + desc + ": layer '" + T.name + "' has no input port " + std::to_string(to_port));
            MOIR_CHECK(out_index < F.outputs.size(), parse_error,
                       T.where + ": " + desc + ": layer '" + F.name + "' (id " + std::to_string(F.id) +
                           ") has no output port " + std::to_string(from_port));
            MOIR_CHECK(!connected[ti->second][in_index], parse_error,
                       T.where + ": input port " + std::to_string(to_port) + " has more than one incoming edge");
            connected[ti->second][in_index] = true;
            m.nodes[ti->second].inputs[in_index] = output_ref{fi->second, out_index};
        }
    }
    for (std::size_t i = 0; i < layers.size(); ++i)
        for (std::size_t k = 0; k < layers[i].inputs.size(); ++k)
            MOIR_CHECK(connected[i][k], parse_error,
                       layers[i].where + ": input port " + std::to_string(layers[i].inputs[k].id) +
                           " has no incoming edge");

    // 4. cycles (Kahn; a node left over lies on or after a cycle; walking its inputs finds one on it)
    {
        const std::size_t n = m.nodes.size();
        std::vector<std::size_t> pending(n, 0);
        std::vector<std::vector<std::size_t>> consumers(n);
        for (std::size_t i = 0; i < n; ++i)
            for (const auto& in : m.nodes[i].inputs) {
                ++pending[i];
                consumers[in.node].push_back(i);
            }
        std::vector<std::size_t> ready;
        for (std::size_t i = 0; i < n; ++i)
            if (pending[i] == 0) ready.push_back(i);
        std::size_t done = 0;
        while (!ready.empty()) {
            const std::size_t i = ready.back();
            ready.pop_back();
            ++done;
            for (auto c : consumers[i])
                if (--pending[c] == 0) ready.push_back(c);
        }
        if (done != n) {
            std::size_t at = 0;
            while (pending[at] == 0) ++at;
            std::vector<bool> seen(n, false);
            while (!seen[at]) {
                seen[at] = true;
                for (const auto& in : m.nodes[at].inputs)
                    if (pending[in.node] != 0) {
                        at = in.node;
                        break;
                    }
            }
            throw parse_error(layers[at].where + ": the layer is part of a cycle");
        }
    }

    // 5. the other FP16 form OpenVINO writes: an f16 Const carrying "decompression" read straight
    // by an f32 op. It gets the Convert(f32) of the usual form, which then carries the marker.
    for (node_id i = 0, count = m.nodes.size(); i < count; ++i) {
        node& c = m.nodes[i];
        if (!c.is<ops::constant>() || c.attrs_as<ops::constant>().value.type() != element_type::f16) continue;
        const auto rt = std::find_if(c.rt_info.begin(), c.rt_info.end(),
                                     [](const rt_attribute& r) { return r.name == "decompression"; });
        if (rt == c.rt_info.end()) continue;
        bool direct = false;
        for (const auto& use : m.consumers({i, 0})) direct = direct || !m.nodes[use.first].is<ops::convert>();
        if (!direct) continue;
        const rt_attribute marker = *rt;
        m.nodes[i].rt_info.erase(rt);
        const std::string cname = m.nodes[i].name;
        const auto users = m.consumers({i, 0});
        const node_id cv = m.add<ops::convert>({element_type::f32}, {{i, 0}}, cname + "/decompression");
        m.nodes[cv].rt_info.push_back(marker);
        m.nodes[cv].outputs.resize(1);
        for (const auto& [user, port] : users)
            if (!m.nodes[user].template is<ops::convert>()) m.nodes[user].inputs[port] = {cv, 0};
    }

    // 6. inputs and outputs in file order, then validation
    for (node_id i = 0; i < m.nodes.size(); ++i) {
        if (m.nodes[i].is<ops::parameter>()) m.parameters.push_back(i);
        if (m.nodes[i].is<ops::result>()) m.results.push_back(i);
    }
    try {
        m.validate();
    } catch (const shape_error& e) {
        throw shape_error(file + ": " + e.what());
    } catch (const unsupported_error& e) {
        throw unsupported_error(file + ": " + e.what());
    } catch (const error& e) {
        throw parse_error(file + ": " + e.what());
    }
    m.remove_dead();
    return m;
}

template <class OpSet>
model read_ir(std::string_view xml_text, const bin_source& bin, const std::string& file) {
    const xml::element root = xml::parse(xml_text, file);
    MOIR_CHECK(root.name == "net", parse_error, file + ": the root element is <" + root.name + ">, expected <net>");
    const auto version = required_value<std::int64_t>(root, "version", file);
    MOIR_CHECK(version == 10 || version == 11, unsupported_error,
               file + ": IR version " + std::to_string(version) + " is not supported (moir reads versions 10 and 11)");
    model m = read_graph<OpSet>(root, bin, file);
    if (const std::string* n = root.find_attribute("name")) m.name = *n;
    return m;
}

/// Reads the .bin into `out`. ensures: false, with the reason in `why`, when it is missing, not a
/// regular file (never blocks on a FIFO), too large or unreadable.
inline bool read_whole_file(const std::string& path, std::string& out, std::string& why) {
    try {
        out = io::read_file(path);
        return true;
    } catch (const error& e) {
        why = e.what();
        return false;
    }
}

}  // namespace detail

// default_bin_path: ir/ir_decl.hpp, which declares load and deserialize with their defaults.

/// Reads an IR held in memory. `xml_name` and `bin_name` name the two parts in error messages.
/// ensures: as load().
template <class OpSet>
model deserialize(std::string_view xml, std::string_view bin, const std::string& xml_name, const std::string& bin_name) {
    return detail::read_ir<OpSet>(xml, detail::bin_source{bin, bin_name, true, {}}, xml_name);
}

/// Loads an IR v10/v11 model. `bin_path` defaults to xml_path with ".bin" for ".xml"; a missing
/// .bin is an error only when a Const needs bytes from it.
/// ensures: a validated model whose parameters/results follow the file order of the Parameter and
/// Result layers; throws moir::error when the .xml cannot be read, moir::parse_error naming the
/// file, the layer and the reason for malformed files, moir::unsupported_error listing every
/// unsupported layer type (with counts) or naming the unsupported feature, moir::shape_error when
/// shapes do not fit.
template <class OpSet>
model load(const std::string& xml_path, std::string bin_path) {
    const std::string xml = xml::read_file(xml_path);
    if (bin_path.empty()) bin_path = default_bin_path(xml_path);
    std::string bin;
    std::string why;
    const bool available = detail::read_whole_file(bin_path, bin, why);
    return detail::read_ir<OpSet>(xml, detail::bin_source{bin, bin_path, available, why}, xml_path);
}

}  // namespace moir::ir

// Compiled once by moir::compiled (moir/extern_templates.hpp), declared extern for its users.
#if defined(MOIR_DETAIL_CORE_EXTERN)
namespace moir::ir {
MOIR_DETAIL_CORE_EXTERN template model load<opsets::all>(const std::string&, std::string);
MOIR_DETAIL_CORE_EXTERN template model deserialize<opsets::all>(std::string_view, std::string_view, const std::string&,
                                                               const std::string&);
}  // namespace moir::ir
#endif

#endif  // MOIR_IR_IR_READER_HPP
