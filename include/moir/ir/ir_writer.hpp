#ifndef MOIR_IR_IR_WRITER_HPP
#define MOIR_IR_IR_WRITER_HPP

// Writes a moir::model as OpenVINO IR version 11: model.xml (the graph) + model.bin (the constants'
// raw bytes). Layers are numbered 0..N-1 in topological order (Parameters first, in input order;
// Results in output order, so a reader that takes them in file order gets the same model back),
// ports are numbered inputs first, then outputs, and identical constants share one range of the
// .bin. Each op's <data> comes from its `attrs` aggregate through the attribute codec; Const writes
// element_type/shape/offset/size. Which op types can be written is decided by the OpSet type list.

#include <moir/core/errors.hpp>
#include <moir/core/extensions.hpp>
#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/io/files.hpp>
#include <moir/ir/attr_codec.hpp>
#include <moir/ir/ir_decl.hpp>
#include <moir/ir/xml.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/if.hpp>
#include <moir/ops/loop.hpp>
#include <moir/ops/opset.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>
#include <moir/ops/tensor_iterator.hpp>

#include <cstddef>        // size_t
#include <cstdint>        // uint64_t
#include <cstring>        // memcmp
#include <functional>     // hash
#include <string>         // string
#include <string_view>    // string_view
#include <type_traits>    // is_same_v
#include <unordered_map>  // unordered_map, unordered_multimap
#include <utility>        // pair
#include <vector>         // vector

namespace moir::ir {

// runtime_version, conversion_parameters, ir_text: ir/ir_decl.hpp, which declares serialize and save
// with their defaults.

namespace detail {

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "moir: the IR .bin is little-endian and moir copies tensor bytes as they are in memory");
#endif

/// Accumulates the .bin: byte ranges appended once, identical contents shared.
class bin_builder {
public:
    /// ensures: returns the offset of a range of the .bin equal to the n bytes at p, appending them
    /// unless an identical range was added before.
    std::uint64_t add(const void* p, std::size_t n) {
        const std::string_view bytes(static_cast<const char*>(p), n);
        const std::size_t h = std::hash<std::string_view>{}(bytes);
        const auto range = index_.equal_range(h);
        for (auto it = range.first; it != range.second; ++it) {
            const auto [off, size] = it->second;
            if (size == n && (n == 0 || std::memcmp(data_.data() + off, p, n) == 0)) return off;
        }
        const std::size_t off = data_.size();
        data_.append(bytes.data(), bytes.size());
        index_.emplace(h, std::make_pair(off, n));
        return off;
    }
    std::string take() { return std::move(data_); }

private:
    std::string data_;
    std::unordered_multimap<std::size_t, std::pair<std::size_t, std::size_t>> index_;
};

/// Writes the <data> element of one node.
using data_writer = void (*)(const node&, xml::writer&, bin_builder&);

template <class Op>
void write_op_data(const node& n, xml::writer& w, bin_builder& bin) {
    if constexpr (std::is_same_v<Op, ops::constant>) {
        const tensor& t = n.attrs_as<ops::constant>().value;
        MOIR_CHECK(!t.empty(), error, "node '" + n.name + "' (Const) holds no tensor");
        const std::uint64_t offset = bin.add(t.raw(), t.bytes());
        w.open("data")
            .attr("element_type", ir_name(t.type()))
            .attr("shape", to_ir_string(partial_shape(t.dims())))
            .attr("offset", to_ir_string(offset))
            .attr("size", to_ir_string(static_cast<std::uint64_t>(t.bytes())))
            .close();
    } else {
        write_data(w, n.attrs_as<Op>());
    }
}

using writer_map = std::unordered_map<const op_info*, data_writer>;

/// Adds the <data> writers of slice Part (of table_parts) of OpSet to t.
template <class OpSet, std::size_t Part>
void fill_writer_table(writer_map& t) {
    for_each_type_in_part<Part, moir::detail::table_parts>(OpSet{}, [&](auto tag) {
        using Op = typename decltype(tag)::type;
        t.emplace(&info_of<Op>(), &write_op_data<Op>);
    });
}

/// op_info -> <data> writer, for every op of OpSet; built once per OpSet.
template <class OpSet>
const writer_map& writer_table() {
    static const auto table = [] {
        writer_map t;
        moir::detail::for_each_table_part([&](auto part) { fill_writer_table<OpSet, decltype(part)::value>(t); });
        return t;
    }();
    return table;
}

/// "a,b" with literal commas escaped as "\,".
inline std::string join_names(const std::vector<std::string>& names) {
    std::string r;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (i) r += ',';
        for (char c : names[i]) {
            if (c == ',') r += '\\';
            r += c;
        }
    }
    return r;
}

inline void write_port(xml::writer& w, std::size_t id, const output_port& p, bool with_names) {
    w.open("port").attr("id", to_ir_string(id)).attr("precision", ir_precision(p.type));
    if (with_names && !p.names.empty()) w.attr("names", join_names(p.names));
    if (!p.shape.rank_dynamic)
        for (auto d : p.shape.dims) w.open("dim").text(to_ir_string(d < 0 ? std::int64_t{-1} : d)).close();
    w.close();
}

}  // namespace detail

namespace detail {
template <class OpSet>
void write_graph(const model& mm, xml::writer& w, bin_builder& bin, const writer_map& table);

/// The layer ids write_graph gives m's Parameters and Results (its layers follow m.topo_order()).
inline void body_layer_ids(const model& m, std::vector<std::size_t>& params, std::vector<std::size_t>& results) {
    const auto order = m.topo_order();
    std::vector<std::size_t> layer_of(m.nodes.size(), 0);
    for (std::size_t i = 0; i < order.size(); ++i) layer_of[order[i]] = i;
    params.clear();
    results.clear();
    for (auto p : m.parameters) params.push_back(layer_of[p]);
    for (auto r : m.results) results.push_back(layer_of[r]);
}

/// A sliced input's or concatenated output's iteration attributes (OpenVINO's start/end/stride/part_size).
inline void write_iteration(xml::writer& w, std::int64_t axis, std::int64_t stride) {
    w.attr("axis", to_ir_string(axis))
        .attr("start", to_ir_string(stride < 0 ? std::int64_t{-1} : std::int64_t{0}))
        .attr("end", to_ir_string(stride < 0 ? std::int64_t{0} : std::int64_t{-1}))
        .attr("stride", to_ir_string(stride))
        .attr("part_size", to_ir_string(std::int64_t{1}));
}

/// The port maps, back edges and bodies of a node that owns bodies, as OpenVINO writes them: If's
/// then_port_map / else_port_map / then_body / else_body; Loop's and TensorIterator's port_map
/// (purpose="current_iteration" / "execution_condition" for Loop's special ports), back_edges and body.
template <class OpSet>
void write_bodies(const node& n, xml::writer& w, bin_builder& bin, const writer_map& table) {
    const std::string where = "node '" + n.name + "' (" + std::string(n.op->ir_name) + ")";
    std::vector<std::size_t> pid, rid;
    if (n.is<ops::if_op>()) {
        const auto& a = n.attrs_as<ops::if_op>();
        MOIR_CHECK(n.bodies.size() == 2 && n.bodies[0] && n.bodies[1], error, where + ": an If needs two bodies");
        for (std::size_t b = 0; b < 2; ++b) {
            const model& body = *n.bodies[b];
            const auto& map = b == 0 ? a.then_inputs : a.else_inputs;
            body_layer_ids(body, pid, rid);
            MOIR_CHECK(map.size() == pid.size(), error, where + ": the port map does not list every body parameter");
            w.open(b == 0 ? "then_port_map" : "else_port_map");
            for (std::size_t j = 0; j < pid.size(); ++j)
                w.open("input").attr("external_port_id", to_ir_string(map[j])).attr("internal_layer_id", to_ir_string(pid[j])).close();
            for (std::size_t i = 0; i < rid.size(); ++i)
                w.open("output")
                    .attr("external_port_id", to_ir_string(static_cast<std::int64_t>(n.inputs.size() + i)))
                    .attr("internal_layer_id", to_ir_string(rid[i]))
                    .close();
            w.close();
        }
        for (std::size_t b = 0; b < 2; ++b) {
            w.open(b == 0 ? "then_body" : "else_body");
            write_graph<OpSet>(*n.bodies[b], w, bin, table);
            w.close();
        }
        return;
    }
    MOIR_CHECK(n.is<ops::loop>() || n.is<ops::tensor_iterator>(), unsupported_error,
               where + ": the IR writer knows the bodies of If, Loop and TensorIterator only");
    const auto& a = n.is<ops::loop>() ? n.attrs_as<ops::loop>() : n.attrs_as<ops::tensor_iterator>();
    MOIR_CHECK(n.bodies.size() == 1 && n.bodies[0], error, where + ": needs one body");
    const model& body = *n.bodies[0];
    ops::detail::check_loop_ports(a, body, n.inputs.size());
    body_layer_ids(body, pid, rid);
    w.open("port_map");
    for (std::size_t j = 0; j < pid.size(); ++j) {
        w.open("input");
        if (static_cast<std::int64_t>(j) == a.current_iteration) {
            w.attr("external_port_id", "-1").attr("internal_layer_id", to_ir_string(pid[j])).attr("purpose", "current_iteration");
        } else {
            w.attr("external_port_id", to_ir_string(a.input_external[j])).attr("internal_layer_id", to_ir_string(pid[j]));
            if (a.input_axis[j] >= 0) write_iteration(w, a.input_axis[j], a.input_stride[j]);
        }
        w.close();
    }
    for (std::size_t k = 0; k < a.output_result.size(); ++k) {
        w.open("output")
            .attr("external_port_id", to_ir_string(static_cast<std::int64_t>(n.inputs.size() + k)))
            .attr("internal_layer_id", to_ir_string(rid.at(static_cast<std::size_t>(a.output_result[k]))));
        if (a.output_axis[k] >= 0) write_iteration(w, a.output_axis[k], a.output_stride[k]);
        w.close();
    }
    if (a.condition >= 0)
        w.open("output")
            .attr("external_port_id", "-1")
            .attr("internal_layer_id", to_ir_string(rid.at(static_cast<std::size_t>(a.condition))))
            .attr("purpose", "execution_condition")
            .close();
    w.close();  // port_map
    w.open("back_edges");
    for (std::size_t j = 0; j < pid.size(); ++j)
        if (a.input_back_edge[j] >= 0)
            w.open("edge")
                .attr("from-layer", to_ir_string(rid.at(static_cast<std::size_t>(a.input_back_edge[j]))))
                .attr("from-port", "0")
                .attr("to-layer", to_ir_string(pid[j]))
                .attr("to-port", "0")
                .close();
    w.close();  // back_edges
    w.open("body");
    write_graph<OpSet>(body, w, bin, table);
    w.close();
}

/// Writes the <layers> and <edges> of mm (validated), bodies included.
template <class OpSet>
void write_graph(const model& mm, xml::writer& w, bin_builder& bin, const writer_map& table) {
    const auto order = mm.topo_order();
    constexpr std::size_t none = static_cast<std::size_t>(-1);
    std::vector<std::size_t> layer_of(mm.nodes.size(), none);
    for (std::size_t i = 0; i < order.size(); ++i) layer_of[order[i]] = i;
    std::vector<bool> listed(mm.nodes.size(), false);
    for (auto p : mm.parameters) {
        MOIR_CHECK(mm.at(p).is<ops::parameter>(), error, "model input node '" + mm.at(p).name + "' is not a Parameter");
        MOIR_CHECK(!listed[p], error, "Parameter '" + mm.at(p).name + "' is listed twice as a model input");
        listed[p] = true;
    }
    for (auto r : mm.results) {
        MOIR_CHECK(mm.at(r).is<ops::result>(), error, "model output node '" + mm.at(r).name + "' is not a Result");
        MOIR_CHECK(!listed[r], error, "Result '" + mm.at(r).name + "' is listed twice as a model output");
        listed[r] = true;
    }
    std::vector<data_writer> writers(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        const node& n = mm.nodes[order[i]];
        const auto it = table.find(n.op);
        const op_extension* ext = it == table.end() ? find_extension(n.op) : nullptr;  // core/extensions.hpp
        MOIR_CHECK(it != table.end() || ext, unsupported_error,
                   "node '" + n.name + "': op " + std::string(n.op->ir_name) + " (" + std::string(n.op->name) +
                       ") is not in the opset given to the IR writer" +
                       (is_standard_opset(n.op->ir_opset) ? std::string() : "; " + missing_extension_hint(n.op->ir_name, n.op->ir_opset)));
        MOIR_CHECK(!n.is<ops::parameter>() || listed[order[i]], error,
                   "Parameter '" + n.name + "' feeds the model but is not listed in model::parameters");
        writers[i] = it != table.end() ? it->second : ext->write;
    }

    w.open("layers");
    for (std::size_t i = 0; i < order.size(); ++i) {
        const node& n = mm.nodes[order[i]];
        w.open("layer")
            .attr("id", to_ir_string(i))
            .attr("name", n.name)
            .attr("type", n.op->ir_name)
            .attr("version", n.op->ir_opset);
        if (!n.op->infer_bodies) writers[i](n, w, bin);  // ops with bodies: their port maps say it all
        if (!n.rt_info.empty()) {
            w.open("rt_info");
            for (const auto& r : n.rt_info) {
                w.open("attribute").attr("name", r.name).attr("version", r.version);
                if (r.has_value) w.attr("value", r.value);
                w.close();
            }
            w.close();
        }
        if (!n.inputs.empty()) {
            w.open("input");
            for (std::size_t k = 0; k < n.inputs.size(); ++k) write_port(w, k, mm.port(n.inputs[k]), false);
            w.close();
        }
        if (!n.outputs.empty()) {
            w.open("output");
            for (std::size_t k = 0; k < n.outputs.size(); ++k) write_port(w, n.inputs.size() + k, n.outputs[k], true);
            w.close();
        }
        if (n.op->infer_bodies) write_bodies<OpSet>(n, w, bin, table);
        w.close();
    }
    w.close();  // layers
    w.open("edges");
    for (std::size_t i = 0; i < order.size(); ++i) {
        const node& n = mm.nodes[order[i]];
        for (std::size_t k = 0; k < n.inputs.size(); ++k) {
            const output_ref src = n.inputs[k];
            w.open("edge")
                .attr("from-layer", to_ir_string(layer_of[src.node]))
                .attr("from-port", to_ir_string(mm.nodes[src.node].inputs.size() + src.port))
                .attr("to-layer", to_ir_string(i))
                .attr("to-port", to_ir_string(k))
                .close();
        }
    }
    w.close();  // edges
}
}  // namespace detail

/// The IR (version 11) of model `m`, in memory. Nodes that own bodies (If, Loop, TensorIterator) are
/// written with their port maps and bodies, as OpenVINO writes them.
/// requires: `m` validates; every reachable node's op is in OpSet; every Parameter reachable from
/// the results is listed in m.parameters. ensures: throws moir::unsupported_error naming the node
/// whose op OpSet lacks, moir::shape_error when `m` does not validate, moir::error otherwise.
template <class OpSet>
ir_text serialize(const model& m, const conversion_parameters& params) {
    for (const auto& [k, v] : params)
        MOIR_CHECK(xml::is_name(k), error, "conversion parameter key '" + k + "' is not a valid XML name");
    model mm = m;  // tensors are shared, not copied
    mm.validate();
    const auto& table = detail::writer_table<OpSet>();

    detail::bin_builder bin;
    xml::writer w("\t");
    w.declaration();
    w.open("net").attr("name", mm.name).attr("version", "11");
    detail::write_graph<OpSet>(mm, w, bin, table);
    w.open("rt_info");
    w.open("Runtime_version").attr("value", runtime_version).close();
    if (!params.empty()) {
        w.open("conversion_parameters");
        for (const auto& [k, v] : params) w.open(k).attr("value", v).close();
        w.close();
    }
    w.close();  // rt_info
    w.close();  // net
    return ir_text{w.str(), bin.take()};
}

/// Saves `m` as IR version 11 to xml_path + bin_path.
/// requires: as serialize(); xml_path != bin_path. ensures: both files are written to temporaries
/// next to them (every write and the close checked) and renamed into place only when both are
/// complete; on any error (thrown as in serialize, or moir::error for I/O, a full disk included)
/// the old pair is left as it was and no temporary file remains (io::replace_files).
template <class OpSet>
void save(const model& m, const std::string& xml_path, const std::string& bin_path, const conversion_parameters& params) {
    MOIR_CHECK(xml_path != bin_path, error, "the IR .xml and .bin paths must differ ('" + xml_path + "')");
    const ir_text t = serialize<OpSet>(m, params);
    io::replace_files({{xml_path, t.xml}, {bin_path, t.bin}});
}

}  // namespace moir::ir

// Compiled once by moir::compiled (moir/extern_templates.hpp), declared extern for its users.
#if defined(MOIR_DETAIL_CORE_EXTERN)
namespace moir::ir {
MOIR_DETAIL_CORE_EXTERN template ir_text serialize<opsets::all>(const model&, const conversion_parameters&);
MOIR_DETAIL_CORE_EXTERN template void save<opsets::all>(const model&, const std::string&, const std::string&,
                                                       const conversion_parameters&);
}  // namespace moir::ir
#endif

#endif  // MOIR_IR_IR_WRITER_HPP
