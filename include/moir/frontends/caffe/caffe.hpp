#ifndef MOIR_FRONTENDS_CAFFE_CAFFE_HPP
#define MOIR_FRONTENDS_CAFFE_CAFFE_HPP

// The Caffe frontend: moir::caffe::load(caffemodel, prototxt) reads a deploy .prototxt (the net)
// and its .caffemodel (the trained blobs) and returns a moir::model with Caffe's NCHW layout. As in
// the Model Optimizer, `--input_model net.caffemodel` finds `net.prototxt` beside it unless
// `--input_proto` names it; a .prototxt without its .caffemodel is an error naming the missing file.
// Layers whose top is their bottom (in place) are handled; the graph's outputs are the blobs no
// later layer reads. Opt-in: not included by <moir/moir.hpp>.

#include <moir/core/model.hpp>
#include <moir/frontends/caffe/converter.hpp>
#include <moir/frontends/caffe/net_reader.hpp>
#include <moir/frontends/caffe/ops/detection.hpp>
#include <moir/frontends/caffe/ops/nn.hpp>
#include <moir/frontends/caffe/ops/spatial.hpp>
#include <moir/frontends/caffe/ops/tensor.hpp>
#include <moir/frontends/common/frontend.hpp>

#include <algorithm>    // remove
#include <array>        // array
#include <cstdint>      // int64_t
#include <filesystem>   // path, exists
#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // pair
#include <vector>       // vector

namespace moir::caffe {

namespace detail {
template <class = void>
const op_table& default_table_impl() {
    static const op_table table = [] {
        op_table t;
        register_nn(t);
        register_tensor(t);
        register_detection(t);
        register_spatial(t);
        return t;
    }();
    return table;
}
}  // namespace detail

/// Every converter moir ships. Add a family: a file in ops/ and a line in detail::default_table_impl.
template <class = void>
const op_table& default_table() { return detail::default_table_impl<>(); }

/// How to read a model: the common options (--input_shape by name or position) and the table.
struct load_options : frontends::load_options {
    /// The converters to use; default_table() when null. Users extend a copy with their own layers.
    const op_table* table = nullptr;
};

/// Lists every layer type of `n` that `table` cannot convert (Input layers are the graph's inputs).
inline frontends::unsupported_ops unsupported(const net& n, const op_table& table) {
    frontends::unsupported_ops u;
    for (const auto& l : n.layers)
        if (l.type != "Input" && !table.find("", l.type)) u.add(l.type);
    return u;
}

/// Converts a read Caffe net.
/// ensures: a validated model with one Parameter per declared input (and per top of an Input layer)
/// and one Result per blob no later layer reads; throws moir::unsupported_error listing every
/// unsupported layer type with its count, or moir::error "<prototxt>: node 'L' (Type): reason" for
/// the first layer that fails (a missing or misshapen blob, a bottom nothing produces).
template <class = void>
model convert(const net& n, const load_options& opt = {}) {
    const std::string& source = n.proto_path;
    const op_table& table = opt.table ? *opt.table : with_extensions("caffe", default_table());
    unsupported(n, table).check(source, "Caffe");

    model m;
    m.name = n.name.empty() ? std::filesystem::path(source).stem().string() : n.name;
    frontends::graph_builder b(m, source, opt);
    const auto add_input = [&](const std::string& name, const std::vector<std::int64_t>& dims, const std::string& where) {
        MOIR_CHECK(!b.has(name), parse_error, where + ": input '" + name + "' is declared twice");
        partial_shape s = dims.empty() ? partial_shape::dynamic() : partial_shape(dims);
        b.add_parameter(name, element_type::f32, s);
    };
    for (const auto& in : n.inputs) add_input(in.name, in.shape, source);
    for (const auto& l : n.layers) {
        if (l.type != "Input") continue;
        const auto shapes = l.params->get_message("input_param").all("shape");
        MOIR_CHECK(shapes.empty() || shapes.size() == 1 || shapes.size() == l.tops.size(), parse_error,
                   l.where + ": Input layer '" + l.name + "' has " + std::to_string(l.tops.size()) + " tops and " +
                       std::to_string(shapes.size()) + " shapes");
        for (std::size_t i = 0; i < l.tops.size(); ++i)
            add_input(l.tops[i], shapes.empty() ? std::vector<std::int64_t>{}
                                                : shapes[shapes.size() == 1 ? 0 : i]->as_message().get_ints("dim"),
                      l.where);
    }
    MOIR_CHECK(!m.parameters.empty(), parse_error, source + ": the net declares no input (input:, input_shape, Input layer)");
    b.finish_parameters();

    std::vector<layer_view> views;
    for (const auto& l : n.layers)
        if (l.type != "Input") views.emplace_back(l);
    for (const auto& v : views) {
        // an in-place layer (a top that is already bound) moves the blob's name to its new value
        std::vector<std::pair<std::string, output_ref>> before;
        for (const auto& t : v.get().tops)
            if (auto r = b.find(t)) before.emplace_back(t, *r);
        frontends::convert_nodes<context>(
            b, std::array<layer_view, 1>{v}, [&](const layer_view& lv) { return context(b, lv); },
            [&](context& c) { (*table.find("", c.op_type()))(c); });
        for (const auto& [t, old] : before) {
            const auto now = b.find(t);
            if (!now || *now == old) continue;
            auto& names = m.at(old.node).outputs.at(old.port).names;
            names.erase(std::remove(names.begin(), names.end(), t), names.end());
        }
    }

    // outputs: blobs that no later layer reads, in the order they were last produced
    std::vector<std::string> outputs;
    const auto drop = [&](const std::string& blob) { outputs.erase(std::remove(outputs.begin(), outputs.end(), blob), outputs.end()); };
    for (const auto& l : n.layers) {
        for (const auto& bt : l.bottoms) drop(bt);
        for (const auto& t : l.tops) {
            drop(t);
            outputs.push_back(t);
        }
    }
    for (const auto& o : outputs) b.add_result(o);
    MOIR_CHECK(!m.results.empty(), parse_error, source + ": the net has no output");
    b.finish();
    return m;
}

/// The .prototxt and .caffemodel of a request: `model` may be either; `proto` ("" = beside the model).
/// ensures: both exist, else moir::error naming the missing file.
inline std::pair<std::string, std::string> resolve_files(const std::string& model_path, std::string proto) {
    namespace fs = std::filesystem;
    std::string weights = model_path;
    if (frontends::extension_of(model_path) == ".prototxt") {
        if (proto.empty()) proto = model_path;
        weights = fs::path(model_path).replace_extension(".caffemodel").string();
        MOIR_CHECK(fs::exists(weights), error,
                   model_path + ": a Caffe net needs its trained weights, and '" + weights +
                       "' does not exist (convert with --input_model net.caffemodel [--input_proto net.prototxt])");
    } else if (proto.empty()) {
        proto = fs::path(model_path).replace_extension(".prototxt").string();
        MOIR_CHECK(fs::exists(proto), error,
                   model_path + ": the Caffe deploy file '" + proto + "' does not exist (name it with --input_proto)");
    }
    MOIR_CHECK(fs::exists(weights), error, weights + ": the Caffe weights file does not exist");
    MOIR_CHECK(fs::exists(proto), error, proto + ": the Caffe deploy file (--input_proto) does not exist");
    return {proto, weights};
}

/// Reads and converts a Caffe model. `model_path`: the .caffemodel (or the .prototxt, with the
/// .caffemodel beside it); `proto_path`: the deploy file ("" = the model's name with .prototxt).
/// ensures: as convert(); the file errors of read_net and resolve_files.
template <class = void>
model load(const std::string& model_path, const std::string& proto_path = {}, const load_options& opt = {}) {
    const auto [proto, weights] = resolve_files(model_path, proto_path);
    return convert(read_net(proto, weights), opt);
}

/// The Caffe frontend (frontends/registry.hpp): `moir convert -m net.caffemodel [--input_proto net.prototxt]`.
struct frontend {
    static constexpr const char* name = "caffe";
    static constexpr std::array<const char*, 2> extensions{".caffemodel", ".prototxt"};
    /// A binary .caffemodel has no magic bytes: recognised by its extension.
    static bool recognizes(const std::string& path, std::string_view) {
        return frontends::extension_of(path) == ".caffemodel";
    }
    template <class = void>  // a template so that moir::compiled can compile it once (see below)
    static model load(const frontends::load_request& r) {
        load_options o;
        static_cast<frontends::load_options&>(o) = r.options;
        return caffe::load(r.input_model, r.options.option("input_proto"), o);
    }
};


// Compiled once in moir::compiled, declared extern elsewhere (see MOIR_DETAIL_FRONTEND_EXTERN).
#if defined(MOIR_DETAIL_FRONTEND_EXTERN)
MOIR_DETAIL_FRONTEND_EXTERN template const op_table& detail::default_table_impl<void>();
MOIR_DETAIL_FRONTEND_EXTERN template model frontend::load<void>(const frontends::load_request&);
MOIR_DETAIL_FRONTEND_EXTERN template model load<void>(const std::string&, const std::string&, const load_options&);
#endif

}  // namespace moir::caffe

#endif  // MOIR_FRONTENDS_CAFFE_CAFFE_HPP
