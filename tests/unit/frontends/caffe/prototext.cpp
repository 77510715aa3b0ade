// The protobuf text-format reader (frontends/common/prototext.hpp) shared by the Caffe (.prototxt)
// and TensorFlow (.pbtxt) frontends: scalars, strings with escapes, enums, repeated and list
// fields, nested messages in both bracket styles, comments, and errors with line and column.

#include <moir/frontends/common/prototext.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <string>

namespace pt = moir::prototext;

namespace {
/// The message of a parse error of `text` (empty when it parses).
std::string error_of(const std::string& text) {
    try {
        pt::parse(text, "net.prototxt");
    } catch (const moir::parse_error& e) {
        return e.what();
    }
    return {};
}
}  // namespace

TEST_CASE("prototext: a Caffe deploy file") {
    const auto d = pt::parse(R"(name: "LeNet"  # a comment
input: "data"
input_shape { dim: 1 dim: 3 dim: 224 dim: 224 }
layer {
  name: 'conv1' type: "Convolution" bottom: "data" top: "conv1"
  param { lr_mult: 1 } param { lr_mult: 2 }
  convolution_param { num_output: 20 kernel_size: 5 stride: 1 pad: 2
    weight_filler < type: "xavier" > bias_term: false }
}
layer { name: "pool1"; type: "Pooling"; bottom: "conv1"; top: "pool1";
  pooling_param: { pool: MAX kernel_size: 2 stride: 2 } }
)", "lenet.prototxt");
    CHECK(d->get_string("name") == "LeNet");
    CHECK_THROWS_WITH_AS(d->get_ints("input_shape"), "lenet.prototxt:3:1: field 'input_shape' is a message, not a number",
                         moir::parse_error);
    CHECK(d->get_message("input_shape").get_ints("dim") == std::vector<std::int64_t>{1, 3, 224, 224});
    const auto layers = d->all("layer");
    REQUIRE(layers.size() == 2);
    const pt::message& conv = layers[0]->as_message();
    CHECK(conv.get_string("name") == "conv1");
    CHECK(conv.count("param") == 2);
    const pt::message& cp = conv.get_message("convolution_param");
    CHECK(cp.get_int("num_output", 0) == 20);
    CHECK(cp.get_ints("kernel_size") == std::vector<std::int64_t>{5});
    CHECK(cp.get_bool("bias_term", true) == false);
    CHECK(cp.get_message("weight_filler").get_string("type") == "xavier");
    CHECK(cp.get_int("group", 1) == 1);  // absent: the default
    const pt::message& pool = layers[1]->as_message();
    CHECK(pool.get_message("pooling_param").get_enum("pool", "") == "MAX");
    CHECK(layers[1]->line == 10);
    CHECK(layers[1]->column == 1);
    CHECK(layers[1]->where() == "lenet.prototxt:10:1");
}

TEST_CASE("prototext: numbers") {
    const auto d = pt::parse("a: -12 b: 0x1F c: 017 d: 1.5e-3 e: -2.5f f: inf g: -Infinity h: nan i: .25 j: 1E+2 "
                             "k: 9223372036854775807 l: -9223372036854775808 m: 9223372036854775808 n: 1.5 o: FOO "
                             "p: true q: 0 r: \"s\"",
                             "n.pbtxt");
    CHECK(d->get_int("a", 0) == -12);
    CHECK(d->get_int("b", 0) == 31);
    CHECK(d->get_int("c", 0) == 15);
    CHECK(d->get_float("d", 0) == doctest::Approx(1.5e-3));
    CHECK(d->get_float("e", 0) == -2.5);
    CHECK(std::isinf(d->get_float("f", 0)));
    CHECK(d->get_float("g", 0) < 0);
    CHECK(std::isinf(d->get_float("g", 0)));
    CHECK(std::isnan(d->get_float("h", 0)));
    CHECK(d->get_float("i", 0) == 0.25);
    CHECK(d->get_float("j", 0) == 100.0);
    CHECK(d->get_float("a", 0) == -12.0);
    CHECK(d->get_float("b", 0) == 31.0);
    CHECK(d->get_int("k", 0) == 9223372036854775807LL);
    CHECK(d->get_int("l", 0) == std::numeric_limits<std::int64_t>::min());
    CHECK_THROWS_WITH_AS(d->get_int("m", 0), doctest::Contains("n.pbtxt:1:"), moir::parse_error);
    CHECK_THROWS_WITH_AS(d->get_int("n", 0), doctest::Contains("field 'n' is not an integer (1.5)"), moir::parse_error);
    CHECK_THROWS_WITH_AS(d->get_int("o", 0), doctest::Contains("field 'o' is not a number (FOO)"), moir::parse_error);
    CHECK_THROWS_AS(d->get_float("o", 0), moir::parse_error);
    CHECK(d->get_bool("p", false));
    CHECK_FALSE(d->get_bool("q", true));
    CHECK_THROWS_WITH_AS(d->get_bool("r", false), doctest::Contains("is not a boolean"), moir::parse_error);
    CHECK_THROWS_WITH_AS(d->get_string("a"), doctest::Contains("is not a string"), moir::parse_error);
    CHECK_THROWS_WITH_AS(d->get_message("a"), doctest::Contains("is not a message"), moir::parse_error);
}

TEST_CASE("prototext: strings and escapes") {
    const auto d = pt::parse(R"(a: "x\ny\t\"q\" \\ \'"  b: 'it''s' c: "\101\x42\u00e9\U0001F600" d: "one" 'two'
e: "\0\377" f: "")",
                             "s.pbtxt");
    CHECK(d->get_string("a") == "x\ny\t\"q\" \\ '");
    CHECK(d->get_string("b") == "its");
    CHECK(d->get_string("c") == "AB\xc3\xa9\xf0\x9f\x98\x80");
    CHECK(d->get_string("d") == "onetwo");
    CHECK(d->get_string("e") == std::string("\0\xff", 2));
    CHECK(d->get_string("f").empty());
    CHECK(d->has("f"));
    CHECK_FALSE(d->has("g"));
}

TEST_CASE("prototext: repeated fields, lists, nesting, extensions (TensorFlow .pbtxt)") {
    const auto d = pt::parse(R"(node {
  name: "c" op: "Const"
  attr { key: "value" value { tensor { dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: [1.0, 2.5] } } }
  attr { key: "ints" value { list { i: [1, 2, 3] } } }
  attr { key: "empty" value { list: { i: [] } } }
  input: ["a", "b"]
  things: [ { v: 1 }, < v: 2 > ]
}
[type.googleapis.com/foo.Bar] { x: 1 }
versions { producer: 27 }
)",
                             "g.pbtxt");
    const pt::message& node = d->get_message("node");
    CHECK(node.get_strings("input") == std::vector<std::string>{"a", "b"});
    const auto attrs = node.all("attr");
    REQUIRE(attrs.size() == 3);
    const auto& t = attrs[0]->as_message().get_message("value").get_message("tensor");
    CHECK(t.get_enum("dtype", "") == "DT_FLOAT");
    CHECK(t.get_floats("float_val") == std::vector<double>{1.0, 2.5});
    CHECK(t.get_message("tensor_shape").get_message("dim").get_int("size", 0) == 2);
    CHECK(attrs[1]->as_message().get_message("value").get_message("list").get_ints("i") ==
          std::vector<std::int64_t>{1, 2, 3});
    CHECK(attrs[2]->as_message().get_message("value").get_message("list").count("i") == 0);
    const auto things = node.all("things");
    REQUIRE(things.size() == 2);
    CHECK(things[1]->as_message().get_int("v", 0) == 2);
    CHECK(d->get_message("[type.googleapis.com/foo.Bar]").get_int("x", 0) == 1);
    CHECK(d->get_message("versions").get_int("producer", 0) == 27);
}

TEST_CASE("prototext: syntax errors give line and column") {
    CHECK(error_of("layer {\n  name: \"a\"\n  type \"Conv\"\n}") ==
          "net.prototxt:3:8: expected ':' or '{' after field 'type', found '\"'");
    CHECK(error_of("layer {\n  name: \"a\"\n") ==
          "net.prototxt:3:1: expected '}' to close the message, found the end of the input");
    CHECK(error_of("a: 1 }") == "net.prototxt:1:6: unexpected '}'");
    CHECK(error_of("a: \"abc\nb: 1") == "net.prototxt:1:4: unterminated string");
    CHECK(error_of("a: \"\\q\"") == "net.prototxt:1:5: unknown escape '\\q'");
    CHECK(error_of("a: \"\\u12\"") == "net.prototxt:1:5: \\u escape needs 4 hex digits");
    CHECK(error_of("a: \"\\xZZ\"") == "net.prototxt:1:5: \\x escape without hex digits");
    CHECK(error_of("a: \"\\777\"") == "net.prototxt:1:5: octal escape out of range");
    CHECK(error_of("  1: 2") == "net.prototxt:1:3: expected a field name, found '1'");
    CHECK(error_of("a: [1, 2") == "net.prototxt:1:9: expected ',' or ']' in the list of field 'a', found the end of the input");
    CHECK(error_of("a: }") == "net.prototxt:1:4: expected a value for field 'a', found '}'");
    CHECK(error_of("a: \x01") == "net.prototxt:1:4: expected a value for field 'a', found byte 0x1");
    CHECK(error_of("a { b < c: 1 } }") == "net.prototxt:1:14: expected '>' to close the message, found '}'");
    std::string deep;
    for (int i = 0; i < 200; ++i) deep += "a {";
    CHECK(error_of(deep).find("nested deeper than 100") != std::string::npos);
    CHECK(error_of("# only a comment\n\n  ").empty());
}
