// Cutting (MO --input / --output): the --input grammar parser on good and bad entries, and cut()
// on a small hand-built graph: by tensor name, node name, PORT:NODE, NODE:PORT, ->VALUE freezing,
// --output, and the error messages.

#include <moir/ops/add.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/relu.hpp>
#include <moir/passes/cut.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace {

using namespace moir;
using passes::cut_options;
using passes::parse_input_spec;
using passes::parse_input_specs;
using passes::parse_output_specs;

/// x, y [1,4] -> add ("sum") -> mul by constant c ("prod") -> relu ("out"); and twice = x + x ("x2");
/// t [] scales prod into "scaled" (an output too). Outputs: out, x2, scaled.
model small_graph() {
    model m;
    auto param = [&](const char* n, partial_shape s) {
        const node_id p = m.add<ops::parameter>({element_type::f32, std::move(s)}, {}, n);
        m.parameters.push_back(p);
        m.infer_node(p);
        m.nodes[p].outputs[0].names = {n};
        return p;
    };
    const node_id x = param("x", partial_shape({1, 4}));
    const node_id y = param("y", partial_shape({1, 4}));
    const node_id t = param("t", partial_shape(std::vector<std::int64_t>{}));
    const node_id c = m.add<ops::constant>({tensor::from_vector<float>({1, 2, 3, 4}, {4})}, {}, "c");
    const node_id add = m.add<ops::add>({}, {{x, 0}, {y, 0}}, "add");
    const node_id mul = m.add<ops::multiply>({}, {{add, 0}, {c, 0}}, "mul");
    const node_id relu = m.add<ops::relu>({}, {{mul, 0}}, "relu");
    const node_id twice = m.add<ops::add>({}, {{x, 0}, {x, 0}}, "twice");
    const node_id scaled = m.add<ops::multiply>({}, {{mul, 0}, {t, 0}}, "scale_by_t");
    m.results.push_back(m.add<ops::result>({}, {{relu, 0}}, "out"));
    m.results.push_back(m.add<ops::result>({}, {{twice, 0}}, "x2"));
    m.results.push_back(m.add<ops::result>({}, {{scaled, 0}}, "scaled"));
    m.validate();
    m.nodes[add].outputs[0].names = {"sum"};
    m.nodes[mul].outputs[0].names = {"prod"};
    m.nodes[relu].outputs[0].names = {"out"};
    m.nodes[twice].outputs[0].names = {"x2"};
    m.nodes[scaled].outputs[0].names = {"scaled"};
    return m;
}

cut_options inputs(const std::string& text, const std::string& outputs = {}) {
    cut_options o;
    if (!text.empty()) o.inputs = parse_input_specs(text);
    if (!outputs.empty()) o.outputs = parse_output_specs(outputs);
    return o;
}

std::vector<std::string> input_names(const model& m) {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < m.parameters.size(); ++i) v.push_back(m.input_name(i));
    return v;
}

std::vector<std::string> output_names(const model& m) {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < m.results.size(); ++i) v.push_back(m.output_name(i));
    return v;
}

const node* find_node(const model& m, const std::string& name) {
    for (const auto& n : m.nodes)
        if (n.name == name) return &n;
    return nullptr;
}

std::string error_of(model& m, const cut_options& o) {
    try {
        passes::cut(m, o);
    } catch (const error& e) {
        return e.what();
    }
    return "(no error)";
}

std::string parse_error_of(const std::string& text) {
    try {
        parse_input_specs(text);
    } catch (const error& e) {
        return e.what();
    }
    return "(no error)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("--input grammar: [PORT:]NODE[:PORT][SHAPE][{TYPE}][->VALUE]") {
    // MO's help example
    auto v = parse_input_specs("0:node_name1[3 4],node_name2:1[2]{i32}->[20 15]");
    REQUIRE(v.size() == 2);
    CHECK(v[0].name == "0:node_name1");
    CHECK(v[0].node == "node_name1");
    CHECK(v[0].in_port == std::size_t{0});
    CHECK(!v[0].out_port);
    CHECK(*v[0].shape == partial_shape({3, 4}));
    CHECK(!v[0].type);
    CHECK(!v[0].value);
    CHECK(v[1].node == "node_name2");
    CHECK(v[1].out_port == std::size_t{1});
    CHECK(*v[1].shape == partial_shape({2}));
    CHECK(*v[1].type == element_type::i32);
    CHECK(*v[1].value == std::vector<double>{20, 15});
    CHECK(v[1].value_is_list);

    v = parse_input_specs("input_1[1 10],sequence_len->150,is_training->False");
    REQUIRE(v.size() == 3);
    CHECK(v[0].name == "input_1");
    CHECK(*v[0].shape == partial_shape({1, 10}));
    CHECK(*v[1].value == std::vector<double>{150});
    CHECK(!v[1].value_is_list);
    CHECK(*v[2].value == std::vector<double>{0});

    // commas inside [] do not split entries; ?, -1 and ranges are dynamic
    v = parse_input_specs("x[1,3,224,224], mask[?,-1,1..10]{boolean}->True, out/sum:0, data{f16}[1 3]");
    REQUIRE(v.size() == 4);
    CHECK(*v[0].shape == partial_shape({1, 3, 224, 224}));
    CHECK(*v[1].shape == partial_shape({-1, -1, -1}));
    CHECK(*v[1].type == element_type::boolean);
    CHECK(*v[1].value == std::vector<double>{1});
    CHECK(v[2].name == "out/sum:0");  // kept whole: a tensor name may contain ':'
    CHECK(v[2].node == "out/sum");
    CHECK(v[2].out_port == std::size_t{0});
    CHECK(*v[3].type == element_type::f16);
    CHECK(*v[3].shape == partial_shape({1, 3}));
    for (const char* t : {"f64", "f32", "f16", "i64", "i32", "u8", "boolean"})
        CHECK_NOTHROW(parse_input_spec(std::string("a{") + t + "}"));
    CHECK(*parse_input_spec("a->[1.5, -2, 3e2]").value == std::vector<double>{1.5, -2, 300});
    CHECK(parse_input_spec("a[]").shape->rank() == 0);  // a scalar

    auto o = parse_output_specs("relu,add:0,1:mul,out/sum:0");
    REQUIRE(o.size() == 4);
    CHECK(o[0].node == "relu");
    CHECK(o[1].out_port == std::size_t{0});
    CHECK(o[2].in_port == std::size_t{1});
    CHECK(o[2].node == "mul");
    CHECK(o[3].text == "out/sum:0");
}

TEST_CASE("--input grammar: malformed entries are clear errors") {
    CHECK(contains(parse_error_of(""), "empty entry"));
    CHECK(contains(parse_error_of("a,,b"), "empty entry"));
    CHECK(contains(parse_error_of("[1,2]"), "no node or tensor name"));
    CHECK(contains(parse_error_of("x[1,a]"), "bad dim 'a'"));
    CHECK(contains(parse_error_of("x{f8}"), "unknown type {f8}"));
    CHECK(contains(parse_error_of("x{f8}"), "f64, f32, f16, i64, i32, u8, boolean"));
    CHECK(contains(parse_error_of("x[1,2"), "unclosed '['"));
    CHECK(contains(parse_error_of("x[1,2]]"), "unbalanced ']'"));
    CHECK(contains(parse_error_of("x->"), "not followed by a value"));
    CHECK(contains(parse_error_of("x->abc"), "value 'abc'"));
    CHECK(contains(parse_error_of("x[1]junk"), "unexpected 'junk'"));
    CHECK(contains(parse_error_of("x[1][2]"), "two shapes"));
    CHECK(contains(parse_error_of("x{f32}{i32}"), "two types"));
    CHECK(contains(parse_error_of("x{f8}"), "--input 'x{f8}'"));  // names the entry
    CHECK_THROWS_AS(parse_output_specs("a,"), error);
    CHECK_THROWS_AS(parse_output_specs("a[1,2]"), error);
}

TEST_CASE("cut at a tensor name: a new Parameter takes over the tensor and its names") {
    for (const char* spec : {"sum", "add:0"}) {
        CAPTURE(spec);
        model m = small_graph();
        const auto rep = passes::cut(m, inputs(spec));
        // listed inputs first, then the original inputs still in use (x feeds twice, t feeds scaled)
        CHECK(input_names(m) == std::vector<std::string>{"sum", "x", "t"});
        CHECK(m.nodes[m.parameters[0]].name == "add/placeholder_out_port_0");
        CHECK(m.port({m.parameters[0], 0}).shape == partial_shape({1, 4}));
        CHECK(rep.created_inputs == std::vector<std::string>{"sum"});
        CHECK(find_node(m, "add") == nullptr);  // feeds nothing any more
        CHECK(find_node(m, "y") == nullptr);    // an original input that became unreachable
        CHECK(output_names(m) == std::vector<std::string>{"out", "x2", "scaled"});
    }
}

TEST_CASE("cut at a node name: one Parameter per non-constant input; PORT:NODE cuts one edge") {
    model m = small_graph();
    passes::cut(m, inputs("add"));
    CHECK(input_names(m) == std::vector<std::string>{"add/placeholder_port_0", "add/placeholder_port_1", "x", "t"});
    REQUIRE(find_node(m, "add"));  // the node itself stays
    CHECK(find_node(m, "y") == nullptr);

    // mul has a constant second input: only port 0 is cut, and a shape is then allowed
    model k = small_graph();
    passes::cut(k, inputs("mul[2,4]"));
    CHECK(input_names(k) == std::vector<std::string>{"mul/placeholder_port_0", "x", "t"});
    CHECK(k.port({k.parameters[0], 0}).shape == partial_shape({2, 4}));
    CHECK(k.port(k.output(0)).shape == partial_shape({2, 4}));  // shapes re-inferred downstream

    model e = small_graph();
    passes::cut(e, inputs("1:add{f32}"));
    CHECK(input_names(e) == std::vector<std::string>{"add/placeholder_port_1", "x", "t"});
    CHECK(find_node(e, "y") == nullptr);
    CHECK(find_node(e, "add") != nullptr);
}

TEST_CASE("an original input named in --input takes the shape; inputs come out in the listed order") {
    model m = small_graph();
    cut_options o = inputs("t,y,x");
    o.input_shapes = {partial_shape(std::vector<std::int64_t>{}), partial_shape({3, 4}), partial_shape({3, 4})};
    const auto rep = passes::cut(m, o);
    CHECK(input_names(m) == std::vector<std::string>{"t", "y", "x"});
    CHECK(rep.created_inputs.empty());
    CHECK(m.port(m.output(0)).shape == partial_shape({3, 4}));
    // a [SHAPE] in the entry wins over --input_shape
    model k = small_graph();
    cut_options ko = inputs("x[5,4],y");
    ko.input_shapes = {partial_shape({2, 4}), partial_shape({5, 4})};
    passes::cut(k, ko);
    CHECK(k.port(k.output(1)).shape == partial_shape({5, 4}));
}

TEST_CASE("->VALUE freezes an input into a Constant and what only it fed falls away") {
    model m = small_graph();
    const auto rep = passes::cut(m, inputs("t->2.5,y->[1 1 1 1]"));
    CHECK(input_names(m) == std::vector<std::string>{"x"});
    CHECK(rep.frozen.size() == 2);
    const node* t = find_node(m, "t");
    REQUIRE(t);
    REQUIRE(t->is<ops::constant>());
    CHECK(t->attrs_as<ops::constant>().value.rank() == 0);
    CHECK(t->attrs_as<ops::constant>().value.at_as<double>(0) == 2.5);
    const node* y = find_node(m, "y");
    REQUIRE(y);
    REQUIRE(y->is<ops::constant>());
    CHECK(y->attrs_as<ops::constant>().value.dims() == shape{1, 4});  // the input's shape

    // a {TYPE} sets the constant's type; PORT:NODE freezes one edge
    model k = small_graph();
    passes::cut(k, inputs("1:scale_by_t{f32}->3"));
    CHECK(input_names(k) == std::vector<std::string>{"x", "y"});  // t fed only that edge
    REQUIRE(find_node(k, "scale_by_t/placeholder_port_1"));
    CHECK(find_node(k, "scale_by_t/placeholder_port_1")->is<ops::constant>());
}

TEST_CASE("--output makes the named tensors the outputs and drops what is past them") {
    model m = small_graph();
    passes::cut(m, inputs("", "prod"));
    CHECK(output_names(m) == std::vector<std::string>{"prod"});
    CHECK(find_node(m, "relu") == nullptr);
    CHECK(find_node(m, "twice") == nullptr);
    CHECK(input_names(m) == std::vector<std::string>{"x", "y"});  // t fed only a dropped output

    model k = small_graph();
    passes::cut(k, inputs("", "twice,relu:0,1:mul"));
    CHECK(output_names(k) == std::vector<std::string>{"x2", "out", "c/sink_port_0"});
    CHECK(find_node(k, "scale_by_t") == nullptr);

    // --input and --output together: the sub-graph between them
    model s = small_graph();
    passes::cut(s, inputs("sum", "prod"));
    CHECK(input_names(s) == std::vector<std::string>{"sum"});
    CHECK(output_names(s) == std::vector<std::string>{"prod"});
    CHECK(s.nodes.size() == 4);  // Parameter, c, mul, Result
}

TEST_CASE("cut errors name the entry and the reason") {
    model m = small_graph();
    CHECK(contains(error_of(m, inputs("nope")), "--input 'nope': the model has no node or tensor named 'nope'"));
    m = small_graph();
    CHECK(contains(error_of(m, inputs("ad")), "did you mean 'add'"));
    m = small_graph();
    CHECK(contains(error_of(m, inputs("5:add")), "input port 5 is out of range: node 'add' (Add) has 2 input(s)"));
    m = small_graph();
    CHECK(contains(error_of(m, inputs("add:3")), "output port 3 is out of range"));
    m = small_graph();
    CHECK(contains(error_of(m, inputs("zzz:1")), "no node named 'zzz'"));
    m = small_graph();
    const std::string several = error_of(m, inputs("add[1,4]"));
    CHECK(contains(several, "has more than 1 input"));
    CHECK(contains(several, "use PORT:NODE, e.g. 0:add"));
    m = small_graph();
    CHECK(contains(error_of(m, inputs("c")), "no non-constant input"));
    m = small_graph();
    CHECK(contains(error_of(m, inputs("", "nope")), "--output 'nope'"));
    m = small_graph();
    cut_options o = inputs("x,y");
    o.input_shapes = {partial_shape({1, 4})};
    CHECK(contains(error_of(m, o), "--input_shape gives 1 shapes for 2 --input entries"));
    m = small_graph();
    CHECK(contains(error_of(m, inputs("x[1,5]")), "after cutting"));  // [1,5] + [1,4] do not broadcast
    m = small_graph();
    CHECK(contains(error_of(m, inputs("sum", "x2")), "feeds none of the model's outputs"));
    m = small_graph();
    CHECK(contains(error_of(m, inputs("sum,add:0")), "already cut"));
    m = small_graph();
    CHECK(contains(error_of(m, inputs("y->[1 2 3]")), "3 values do not fill shape [1,4]"));
}
