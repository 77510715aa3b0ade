#ifndef MOIR_IR_IR_WRITER_HPP
#define MOIR_IR_IR_WRITER_HPP

// Writes a moir::model as OpenVINO IR version 11: model.xml (the graph) + model.bin (the constants'
// raw bytes). Layers are numbered 0..N-1 in topological order (Parameters first, in input order;
// Results in output order, so a reader that takes them in file order gets the same model back),
// ports are numbered inputs first, then outputs, and identical constants share one range of the
// .bin. Each op's <data> comes from its `attrs` aggregate through the attribute codec; Const writes
// element_type/shape/offset/size. Which op types can be written is decided by the OpSet type list.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/io/files.hpp>
#include <moir/ir/attr_codec.hpp>
#include <moir/ir/xml.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/opset.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

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

/// What the writer records as <Runtime_version value="..."/> in the model-level rt_info.
inline constexpr std::string_view runtime_version = "moir 0.1.0";

/// (key, value) pairs recorded under <rt_info><conversion_parameters>: e.g. {"framework", "onnx"}.
/// Keys must be XML names.
using conversion_parameters = std::vector<std::pair<std::string, std::string>>;

/// An IR held in memory: the .xml text and the .bin bytes.
struct ir_text {
    std::string xml;
    std::string bin;
};

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

/// The IR (version 11) of model `m`, in memory.
/// requires: `m` validates; every reachable node's op is in OpSet; every Parameter reachable from
/// the results is listed in m.parameters. ensures: throws moir::unsupported_error naming the node
/// whose op OpSet lacks, moir::shape_error when `m` does not validate, moir::error otherwise.
template <class OpSet = opsets::all>
ir_text serialize(const model& m, const conversion_parameters& params = {}) {
    for (const auto& [k, v] : params)
        MOIR_CHECK(xml::is_name(k), error, "conversion parameter key '" + k + "' is not a valid XML name");
    model mm = m;  // tensors are shared, not copied
    mm.validate();
    const auto& table = detail::writer_table<OpSet>();
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
    std::vector<detail::data_writer> writers(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        const node& n = mm.nodes[order[i]];
        const auto it = table.find(n.op);
        MOIR_CHECK(it != table.end(), unsupported_error,
                   "node '" + n.name + "': op " + std::string(n.op->ir_name) + " (" + std::string(n.op->name) +
                       ") is not in the opset given to the IR writer");
        MOIR_CHECK(!n.is<ops::parameter>() || listed[order[i]], error,
                   "Parameter '" + n.name + "' feeds the model but is not listed in model::parameters");
        writers[i] = it->second;
    }

    detail::bin_builder bin;
    xml::writer w("\t");
    w.declaration();
    w.open("net").attr("name", mm.name).attr("version", "11");
    w.open("layers");
    for (std::size_t i = 0; i < order.size(); ++i) {
        const node& n = mm.nodes[order[i]];
        w.open("layer")
            .attr("id", to_ir_string(i))
            .attr("name", n.name)
            .attr("type", n.op->ir_name)
            .attr("version", n.op->ir_opset);
        writers[i](n, w, bin);
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
            for (std::size_t k = 0; k < n.inputs.size(); ++k) detail::write_port(w, k, mm.port(n.inputs[k]), false);
            w.close();
        }
        if (!n.outputs.empty()) {
            w.open("output");
            for (std::size_t k = 0; k < n.outputs.size(); ++k)
                detail::write_port(w, n.inputs.size() + k, n.outputs[k], true);
            w.close();
        }
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
template <class OpSet = opsets::all>
void save(const model& m, const std::string& xml_path, const std::string& bin_path,
          const conversion_parameters& params = {}) {
    MOIR_CHECK(xml_path != bin_path, error, "the IR .xml and .bin paths must differ ('" + xml_path + "')");
    const ir_text t = serialize<OpSet>(m, params);
    io::replace_files({{xml_path, t.xml}, {bin_path, t.bin}});
}

}  // namespace moir::ir

#endif  // MOIR_IR_IR_WRITER_HPP
