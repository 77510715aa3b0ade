#ifndef MOIR_FRONTENDS_TENSORFLOW_GRAPH_DEF_TEXT_HPP
#define MOIR_FRONTENDS_TENSORFLOW_GRAPH_DEF_TEXT_HPP

// A GraphDef in protobuf text format (.pbtxt, as tf.io.write_graph(as_text=True) writes it), read
// with moir's schema-less text-format parser (frontends/common/prototext.hpp) into the same
// graph_def the binary reader fills. Field names: tensorflow/core/framework/{graph,node_def,
// attr_value,tensor,tensor_shape}.proto.

#include <moir/core/errors.hpp>
#include <moir/frontends/common/prototext.hpp>
#include <moir/frontends/tensorflow/graph_def.hpp>

#include <cstdint>  // int64_t, int32_t
#include <string>   // string
#include <vector>   // vector

namespace moir::tensorflow {

namespace detail {
inline data_type text_type(const prototext::field& f) {
    const std::string& v = f.as_enum();
    if (!v.empty() && v.find_first_not_of("0123456789") == std::string::npos) return static_cast<data_type>(std::stoi(v));
    const data_type t = data_type_from_name(v);
    if (t == data_type::invalid && v != "DT_INVALID") f.fail("is not a TensorFlow data type ('" + v + "')");
    return t;
}
inline tensor_shape text_shape(const prototext::message& m) {
    tensor_shape s;
    for (const auto* d : m.all("dim")) s.dims.push_back(d->as_message().get_int("size", 0));
    s.unknown_rank = m.get_bool("unknown_rank", false);
    return s;
}
inline tensor_value text_tensor(const prototext::message& m) {
    tensor_value v;
    if (const auto* f = m.find("dtype")) v.dtype = text_type(*f);
    v.shape = text_shape(m.get_message("tensor_shape"));
    v.content = m.get_string("tensor_content");
    for (const auto* f : m.all("float_val")) v.float_val.push_back(static_cast<float>(f->as_float()));
    for (const auto* f : m.all("double_val")) v.double_val.push_back(f->as_float());
    for (const auto* f : m.all("int_val")) v.int_val.push_back(static_cast<std::int32_t>(f->as_int()));
    for (const auto* f : m.all("half_val")) v.int_val.push_back(static_cast<std::int32_t>(f->as_int())), v.has_half_val = true;
    for (const auto* f : m.all("int64_val")) v.int64_val.push_back(f->as_int());
    for (const auto* f : m.all("bool_val")) v.bool_val.push_back(f->as_bool());
    for (const auto* f : m.all("string_val")) v.string_val.push_back(f->as_string());
    return v;
}
inline attr_value text_attr(const prototext::message& m) {
    attr_value a;
    for (const auto& f : m.fields) {
        if (f.name == "s") a.k = attr_value::kind::s, a.s = f.as_string();
        else if (f.name == "i") a.k = attr_value::kind::i, a.i = f.as_int();
        else if (f.name == "f") a.k = attr_value::kind::f, a.f = static_cast<float>(f.as_float());
        else if (f.name == "b") a.k = attr_value::kind::b, a.b = f.as_bool();
        else if (f.name == "type") a.k = attr_value::kind::type, a.type = text_type(f);
        else if (f.name == "shape") a.k = attr_value::kind::shape, a.shape = text_shape(f.as_message());
        else if (f.name == "tensor") a.k = attr_value::kind::tensor, a.tensor = text_tensor(f.as_message());
        else if (f.name == "placeholder") a.k = attr_value::kind::placeholder, a.s = f.as_string();
        else if (f.name == "func") a.k = attr_value::kind::func, a.s = f.as_message().get_string("name");
        else if (f.name == "list") {
            a.k = attr_value::kind::list;
            const prototext::message& l = f.as_message();
            for (const auto* x : l.all("s")) a.list.s.push_back(x->as_string());
            for (const auto* x : l.all("i")) a.list.i.push_back(x->as_int());
            for (const auto* x : l.all("f")) a.list.f.push_back(static_cast<float>(x->as_float()));
            for (const auto* x : l.all("b")) a.list.b.push_back(x->as_bool());
            for (const auto* x : l.all("type")) a.list.type.push_back(text_type(*x));
            for (const auto* x : l.all("shape")) a.list.shape.push_back(text_shape(x->as_message()));
            for (const auto* x : l.all("tensor")) a.list.tensor.push_back(text_tensor(x->as_message()));
        }
    }
    return a;
}
}  // namespace detail

/// Decodes a text GraphDef. `source` names it in errors.
/// ensures: moir::parse_error "<source>:<line>:<col>: ..." on malformed text or misplaced values.
inline graph_def parse_graph_def_text(std::string_view text, const std::string& source) {
    const prototext::document doc = prototext::parse(text, source);
    graph_def g;
    for (const auto* nf : doc->all("node")) {
        const prototext::message& m = nf->as_message();
        node_def n;
        n.name = m.get_string("name");
        n.op = m.get_string("op");
        n.device = m.get_string("device");
        n.input = m.get_strings("input");
        for (const auto* af : m.all("attr")) {
            const prototext::message& e = af->as_message();
            n.attr[e.get_string("key")] = detail::text_attr(e.get_message("value"));
        }
        MOIR_CHECK(!n.name.empty() && !n.op.empty(), parse_error,
                   nf->where() + ": not a GraphDef node (no name or op)");
        g.node.push_back(std::move(n));
    }
    g.producer = static_cast<std::int32_t>(doc->get_message("versions").get_int("producer", 0));
    g.library_functions = doc->get_message("library").count("function");
    for (const auto& f : doc->fields)
        MOIR_CHECK(f.name == "node" || f.name == "versions" || f.name == "library" || f.name == "version", parse_error,
                   f.where() + ": field '" + f.name + "' is not part of a GraphDef");
    MOIR_CHECK(!g.node.empty(), parse_error, source + ": the text GraphDef has no nodes");
    return g;
}

}  // namespace moir::tensorflow

#endif  // MOIR_FRONTENDS_TENSORFLOW_GRAPH_DEF_TEXT_HPP
