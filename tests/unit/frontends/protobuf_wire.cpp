// Tests of the protobuf wire reader (moir::protobuf) and the ONNX message decoder
// (moir::onnx::proto), using the test-side writer and, when installed, Debian's libonnx-testdata.

#include <moir/core/errors.hpp>
#include <moir/core/tensor.hpp>
#include <moir/frontends/common/protobuf_wire.hpp>
#include <moir/frontends/onnx/onnx_proto.hpp>
#include <moir/precision/half.hpp>
#include <support/protobuf_writer.hpp>

#include <doctest/doctest.h>

#include <cstdint>      // int64_t, uint8_t, uint64_t
#include <filesystem>   // path, exists, directory_iterator, temp_directory_path
#include <fstream>      // ifstream, ofstream
#include <iterator>     // istreambuf_iterator
#include <limits>       // numeric_limits
#include <random>       // mt19937, random_device
#include <string>       // string
#include <utility>      // pair
#include <vector>       // vector

namespace {

namespace pb = moir::protobuf;
namespace op = moir::onnx::proto;
using moir::test::attr;
using moir::test::onnx_builder;
using moir::test::proto_writer;
using moir::test::tensor_encoding;

const std::uint8_t* bytes_of(const std::string& s) { return reinterpret_cast<const std::uint8_t*>(s.data()); }

pb::reader reader_of(const std::string& s) { return pb::reader(bytes_of(s), s.size(), "test.pb"); }

op::model parse(const std::string& s) { return op::parse_model(bytes_of(s), s.size(), "test.onnx"); }

op::tensor parse_tensor(const proto_writer& w) { return op::parse_tensor(w.data(), w.size(), "tensor.pb"); }

/// The parse_error message that reading one message from `s` with `read` produces ("" if none).
template <class F>
std::string error_of(const std::string& s, F read) {
    try {
        pb::reader r = reader_of(s);
        read(r);
    } catch (const moir::parse_error& e) {
        return e.what();
    }
    return "";
}

/// Parses a model and converts every initializer: must succeed or throw moir::error, never crash.
void parse_or_reject(const std::string& s) {
    try {
        const op::model m = parse(s);
        for (const auto& t : m.graph.initializer) {
            try {
                (void)op::to_moir_tensor(t, "/nonexistent-moir-dir");
            } catch (const moir::error&) {
            }
        }
    } catch (const moir::parse_error&) {
    }
}

/// A model exercising every part of the decoder.
onnx_builder sample_model() {
    onnx_builder b;
    b.ir_version(9).opset(18).opset(1, "com.microsoft").producer("moir-tests").graph_name("g");
    b.add_input("x", 1, {"N", 3, -1, 4}).add_output("y", 1, {"N", 3, 8, 4}).add_value_info("h", 1, {});
    b.add_initializer("w", std::vector<float>{1.5f, -2.f, 3.25f, 0.f, 5.f, 6.f}, {2, 3});
    b.add_initializer("shape", std::vector<std::int64_t>{1, -1, 4}, {3}, tensor_encoding::packed);
    onnx_builder body;
    body.add_node("Identity", {"a"}, {"b"}).add_input("a", 1, {1}).add_output("b", 1, {1});
    b.add_node("Conv", {"x", "w", ""}, {"h"},
               {attr::ints("pads", {1, 1, -1, 1}), attr::i("group", -3), attr::f("alpha", 0.25f),
                attr::floats("scales", {1.f, 2.5f}), attr::s("auto_pad", "SAME_UPPER"),
                attr::strings("names", {"p", "q"}),
                attr::t("value", moir::test::tensor_proto("c", std::vector<std::int32_t>{7, -8}, {2}, tensor_encoding::unpacked)),
                attr::g("body", body.graph())},
               "conv0");
    b.add_node("Custom", {"h"}, {"y"}, {}, "", "com.microsoft");
    return b;
}

template <class T>
std::vector<T> values_of(const moir::tensor& t) {
    const T* p = t.data<T>();
    return std::vector<T>(p, p + t.numel());
}

}  // namespace

TEST_CASE("protobuf: varints of every length round-trip") {
    const std::uint64_t values[] = {0, 1, 127, 128, 300, (1ull << 14) - 1, 1ull << 14, (1ull << 21) - 1, 1ull << 21,
                                    1ull << 28, 1ull << 35, 1ull << 42, 1ull << 49, 1ull << 56, (1ull << 63) - 1,
                                    1ull << 63, std::numeric_limits<std::uint64_t>::max()};
    for (const std::uint64_t v : values) {
        const std::string enc = proto_writer::varint_bytes(v);
        std::size_t bits = 1;
        while (bits < 64 && (v >> bits) != 0) ++bits;
        CHECK(enc.size() == (bits + 6) / 7);
        pb::reader r = reader_of(enc);
        CHECK(r.read_varint() == v);
        CHECK(r.at_end());
    }
    CHECK(proto_writer::varint_bytes(std::numeric_limits<std::uint64_t>::max()).size() == 10);
}

TEST_CASE("protobuf: overlong and overflowing varints are rejected") {
    CHECK(error_of(std::string(10, '\x80') + '\x01', [](pb::reader& r) { r.read_varint(); }).find("overflows") !=
          std::string::npos);
    CHECK(error_of(std::string(9, '\xff') + '\x02', [](pb::reader& r) { r.read_varint(); }).find("overflows") !=
          std::string::npos);
    CHECK(error_of(std::string(9, '\xff') + '\x81', [](pb::reader& r) { r.read_varint(); }) != "");
    CHECK(error_of(std::string(9, '\xff') + '\x01', [](pb::reader& r) { r.read_varint(); }) == "");
    // A key whose value does not fit in 32 bits.
    CHECK(error_of(proto_writer::varint_bytes(1ull << 40), [](pb::reader& r) { r.read_tag(); }).find("out of range") !=
          std::string::npos);
}

TEST_CASE("protobuf: negative int64/int32 are 10-byte varints; zigzag helpers") {
    proto_writer w;
    w.int64(1, -5).int64(2, std::numeric_limits<std::int64_t>::min()).sint64(3, -3).int64(4, -1);
    CHECK(w.size() == 4 * 1 + 10 + 10 + 1 + 10);
    pb::reader r(w.data(), w.size(), "neg");
    pb::tag t;
    REQUIRE(r.next(t));
    CHECK(t.field == 1);
    CHECK(t.type == pb::wire_type::varint);
    CHECK(r.read_int64(t) == -5);
    REQUIRE(r.next(t));
    CHECK(r.read_int64(t) == std::numeric_limits<std::int64_t>::min());
    REQUIRE(r.next(t));
    CHECK(r.read_sint64(t) == -3);
    REQUIRE(r.next(t));
    CHECK(r.read_int32(t) == -1);
    CHECK_FALSE(r.next(t));

    for (const std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, std::int64_t{-64},
                                 std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()}) {
        CHECK(pb::zigzag_decode64(pb::zigzag_encode64(v)) == v);
    }
    CHECK(pb::zigzag_encode32(-1) == 1u);
    CHECK(pb::zigzag_encode32(1) == 2u);
    CHECK(pb::zigzag_decode32(3) == -2);
    CHECK(pb::zigzag_decode32(0xffffffffu) == std::numeric_limits<std::int32_t>::min());
}

TEST_CASE("protobuf: fixed32/fixed64 are little-endian") {
    const std::string le("\x78\x56\x34\x12\x01\x02\x03\x04\x05\x06\x07\x08", 12);
    pb::reader r = reader_of(le);  // readers do not own their bytes
    CHECK(r.read_fixed32() == 0x12345678u);
    CHECK(r.read_fixed64() == 0x0807060504030201ull);
    proto_writer w;
    w.float32(2, -1.5f).float64(3, 0.125);
    pb::reader f(w.data(), w.size(), "floats");
    pb::tag t;
    REQUIRE(f.next(t));
    CHECK(f.read_float(t) == -1.5f);
    REQUIRE(f.next(t));
    CHECK(f.read_double(t) == 0.125);
}

TEST_CASE("protobuf: packed and unpacked repeated fields both append") {
    proto_writer w;
    w.packed_varint(1, std::vector<std::int64_t>{1, -2, 300}).int64(1, 4).packed_varint(1, std::vector<std::int64_t>{});
    w.packed_fixed(2, std::vector<float>{0.5f, -1.f}).float32(2, 8.f);
    w.fixed64(3, 0x0102030405060708ull).packed_fixed(3, std::vector<double>{2.0});
    w.int64(4, 1).packed_varint(4, std::vector<std::int64_t>{0, 7});
    std::vector<std::int64_t> ints;
    std::vector<float> floats;
    std::vector<std::uint64_t> fixed;
    std::vector<bool> bools;
    pb::reader r(w.data(), w.size(), "rep");
    for (pb::tag t; r.next(t);) {
        if (t.field == 1) r.read_repeated_varint(t, ints);
        else if (t.field == 2) r.read_repeated_fixed(t, floats);
        else if (t.field == 3) r.read_repeated_fixed(t, fixed);
        else r.read_repeated_varint(t, bools);
    }
    CHECK(ints == std::vector<std::int64_t>{1, -2, 300, 4});
    CHECK(floats == std::vector<float>{0.5f, -1.f, 8.f});
    REQUIRE(fixed.size() == 2);
    CHECK(fixed[0] == 0x0102030405060708ull);
    CHECK(bools == std::vector<bool>{true, false, true});

    // A packed fixed32 payload whose length is not a multiple of 4.
    proto_writer bad;
    bad.bytes(2, std::string(6, '\0'));
    CHECK(error_of(bad.str(), [](pb::reader& rr) {
              std::vector<float> v;
              for (pb::tag t; rr.next(t);) rr.read_repeated_fixed(t, v);
          }).find("not a multiple of 4") != std::string::npos);
}

TEST_CASE("protobuf: unknown fields of every wire type are skipped") {
    proto_writer inner;
    inner.int64(1, 5).key(2, 3).varint(1, 1).key(2, 4);  // a group inside a group
    proto_writer w;
    w.varint(100, 1).fixed64(101, 2).bytes(102, "junk").fixed32(103, 3);
    w.key(104, 3).raw(inner.str()).key(104, 4);  // group 104 with nested fields and a nested group
    w.bytes(4, "Relu").varint(536870911, 9);      // known op_type, then the largest field number
    const std::string node = proto_writer().message(1, w).str();  // graph.node
    const op::model m = parse(proto_writer().message(7, proto_writer().raw(node)).str());
    REQUIRE(m.graph.node.size() == 1);
    CHECK(m.graph.node[0].op_type == "Relu");

    auto skip_all = [](pb::reader& r) {
        for (pb::tag t; r.next(t);) r.skip(t);
    };
    CHECK(error_of(proto_writer().key(5, 4).str(), skip_all).find("unexpected end-group") != std::string::npos);
    CHECK(error_of(proto_writer().key(5, 3).int64(1, 1).str(), skip_all).find("unterminated group") != std::string::npos);
    CHECK(error_of(proto_writer().key(5, 3).key(6, 4).str(), skip_all).find("does not match") != std::string::npos);
    CHECK(error_of(proto_writer().key(5, 6).str(), skip_all).find("invalid wire type 6") != std::string::npos);
    CHECK(error_of(proto_writer().key(5, 7).str(), skip_all).find("invalid wire type 7") != std::string::npos);
    CHECK(error_of(proto_writer().key(0, 0).raw("\x01").str(), skip_all).find("field number 0") != std::string::npos);
    std::string deep_groups;
    for (int i = 0; i < 150; ++i) deep_groups += proto_writer().key(1, 3).str();
    CHECK(error_of(deep_groups, skip_all).find("nested deeper") != std::string::npos);
}

TEST_CASE("protobuf: truncated input throws parse_error naming source and offset") {
    auto skip_all = [](pb::reader& r) {
        for (pb::tag t; r.next(t);) r.skip(t);
    };
    const std::string prefix = proto_writer().int64(1, 1).str();  // 2 bytes before the broken field
    CHECK(error_of(prefix + "\x10\x80\x80", skip_all) == "test.pb: truncated varint at byte 3");
    CHECK(error_of(prefix + "\x80", skip_all) == "test.pb: truncated varint at byte 2");  // key
    CHECK(error_of(prefix + "\x15\x01\x02", skip_all) == "test.pb: truncated fixed32 at byte 3");
    CHECK(error_of(prefix + "\x11\x01\x02\x03\x04\x05\x06\x07", skip_all) == "test.pb: truncated fixed64 at byte 3");
    CHECK(error_of(prefix + "\x12\x05" "abc", skip_all) ==
          "test.pb: truncated length-delimited field (5 bytes declared, 3 left) at byte 3");
    // A huge declared length must not overflow the bounds check.
    CHECK(error_of(prefix + "\x12" + proto_writer::varint_bytes(~0ull), skip_all).find("truncated length-delimited") !=
          std::string::npos);
    // Errors inside sub-messages report absolute offsets.
    const std::string nested = proto_writer().bytes(7, "\x18\x80").str();  // graph { unknown field 3: cut varint }
    CHECK_THROWS_WITH_AS(parse(nested), "test.onnx: truncated varint at byte 3", moir::parse_error);
}

TEST_CASE("protobuf: a known field with the wrong wire type is rejected") {
    CHECK_THROWS_WITH_AS(parse(proto_writer().fixed32(1, 7).str()),
                         "test.onnx: field 1 has wire type 5, expected 0 at byte 0", moir::parse_error);
    CHECK_THROWS_AS(parse(proto_writer().int64(7, 1).str()), moir::parse_error);  // graph as a varint
}

TEST_CASE("onnx: a model built by the writer round-trips") {
    const op::model m = parse(sample_model().bytes());
    CHECK(m.ir_version == 9);
    CHECK(m.producer_name == "moir-tests");
    REQUIRE(m.opset_import.size() == 2);
    CHECK(m.opset_import[0].domain.empty());
    CHECK(m.opset_import[0].version == 18);
    CHECK(m.opset_import[1].domain == "com.microsoft");
    REQUIRE(m.has_graph);
    const op::graph& g = m.graph;
    CHECK(g.name == "g");

    REQUIRE(g.input.size() == 1);
    const op::type_proto& xt = g.input[0].type;
    CHECK(g.input[0].name == "x");
    CHECK(xt.kind == op::type_kind::tensor);
    CHECK(xt.elem_type == 1);
    CHECK(xt.has_shape);
    REQUIRE(xt.shape.size() == 4);
    CHECK((!xt.shape[0].has_value && xt.shape[0].param == "N"));
    CHECK((xt.shape[1].has_value && xt.shape[1].value == 3));
    CHECK((!xt.shape[2].has_value && xt.shape[2].param.empty()));
    CHECK(xt.shape[3].value == 4);
    REQUIRE(g.output.size() == 1);
    CHECK(g.output[0].type.shape[2].value == 8);
    REQUIRE(g.value_info.size() == 1);
    CHECK((g.value_info[0].type.has_shape && g.value_info[0].type.shape.empty()));  // a scalar

    REQUIRE(g.initializer.size() == 2);
    CHECK(g.initializer[0].name == "w");
    CHECK(g.initializer[0].dims == std::vector<std::int64_t>{2, 3});
    CHECK(g.initializer[0].raw_data.size() == 24);
    CHECK(g.initializer[1].int64_data == std::vector<std::int64_t>{1, -1, 4});

    REQUIRE(g.node.size() == 2);
    const op::node& conv = g.node[0];
    CHECK(conv.op_type == "Conv");
    CHECK(conv.name == "conv0");
    CHECK(conv.input == std::vector<std::string>{"x", "w", ""});
    CHECK(conv.output == std::vector<std::string>{"h"});
    REQUIRE(conv.attribute.size() == 8);
    const auto& a = conv.attribute;
    CHECK((a[0].name == "pads" && a[0].type == op::attribute_type::ints));
    CHECK(a[0].ints == std::vector<std::int64_t>{1, 1, -1, 1});
    CHECK((a[1].type == op::attribute_type::i && a[1].i == -3));
    CHECK((a[2].type == op::attribute_type::f && a[2].f == 0.25f));
    CHECK(a[3].floats == std::vector<float>{1.f, 2.5f});
    CHECK((a[4].type == op::attribute_type::s && a[4].s == "SAME_UPPER"));
    CHECK(a[5].strings == std::vector<std::string>{"p", "q"});
    REQUIRE(a[6].t.has_value());
    CHECK(a[6].t->int32_data == std::vector<std::int32_t>{7, -8});
    REQUIRE(a[7].g != nullptr);
    CHECK(a[7].type == op::attribute_type::g);
    REQUIRE(a[7].g->node.size() == 1);
    CHECK(a[7].g->node[0].op_type == "Identity");
    CHECK(g.node[1].domain == "com.microsoft");

    const moir::tensor w = op::to_moir_tensor(g.initializer[0], "");
    CHECK(w.type() == moir::element_type::f32);
    CHECK(w.dims() == moir::shape{2, 3});
    CHECK(values_of<float>(w) == std::vector<float>{1.5f, -2.f, 3.25f, 0.f, 5.f, 6.f});
}

TEST_CASE("onnx: non-tensor value types, sparse initializers, functions and metadata") {
    proto_writer seq_type;
    seq_type.message(4, proto_writer().message(1, proto_writer().message(1, proto_writer().int64(1, 1))));
    proto_writer graph;
    graph.message(11, proto_writer().bytes(1, "s").message(2, seq_type));
    graph.message(11, proto_writer().bytes(1, "m").message(2, proto_writer().message(5, proto_writer().int64(1, 7))));
    graph.message(11, proto_writer().bytes(1, "o").message(2, proto_writer().message(9, proto_writer())));
    graph.message(11, proto_writer().bytes(1, "u"));  // no type at all
    graph.message(15, proto_writer().message(1, proto_writer()));
    proto_writer function;
    function.bytes(1, "f").bytes(10, "local").bytes(4, "a").bytes(5, "b").bytes(6, "alpha");
    function.message(7, proto_writer().bytes(4, "Relu").message(5, proto_writer().bytes(1, "x").bytes(21, "alpha")));
    function.message(9, proto_writer().int64(2, 17));
    proto_writer model;
    model.message(7, graph).message(25, function);
    model.message(14, proto_writer().bytes(1, "author").bytes(2, "moir"));
    const op::model m = parse(model.str());
    REQUIRE(m.graph.input.size() == 4);
    CHECK(m.graph.input[0].type.kind == op::type_kind::sequence);
    CHECK(m.graph.input[1].type.kind == op::type_kind::map);
    CHECK(m.graph.input[2].type.kind == op::type_kind::optional);
    CHECK(m.graph.input[3].type.kind == op::type_kind::none);
    CHECK(m.graph.sparse_initializer_count == 1);
    REQUIRE(m.functions.size() == 1);
    const op::function& f = m.functions[0];
    CHECK((f.name == "f" && f.domain == "local"));
    CHECK((f.input == std::vector<std::string>{"a"} && f.output == std::vector<std::string>{"b"}));
    CHECK(f.attribute == std::vector<std::string>{"alpha"});
    REQUIRE(f.node.size() == 1);
    CHECK(f.node[0].attribute[0].ref_attr_name == "alpha");
    CHECK(f.opset_import[0].version == 17);
    REQUIRE(m.metadata_props.size() == 1);
    CHECK(m.metadata_props[0].value == "moir");
}

TEST_CASE("onnx: nesting deeper than the limit is rejected") {
    auto nested = [](int levels) {
        proto_writer g = onnx_builder().add_node("Identity", {"a"}, {"b"}).graph();
        for (int i = 0; i < levels; ++i) {
            g = onnx_builder().add_node("If", {"c"}, {"b"}, {attr::g("then_branch", g)}).graph();
        }
        return proto_writer().message(7, g).str();
    };
    const op::model ok = parse(nested(10));
    CHECK(ok.graph.node[0].attribute[0].g->node[0].op_type == "If");
    CHECK_THROWS_WITH_AS(parse(nested(40)), doctest::Contains("nested deeper than 100"), moir::parse_error);
}

TEST_CASE("onnx: every prefix and random corruptions of a model parse or throw parse_error") {
    const std::string good = sample_model().bytes();
    std::size_t clean = 0;
    for (std::size_t n = 0; n < good.size(); ++n) {
        try {
            (void)op::parse_model(bytes_of(good), n, "prefix");
            ++clean;
        } catch (const moir::parse_error&) {
        }
    }
    CHECK(clean >= 1);  // at least the empty prefix is a valid (empty) model
    std::mt19937 rng(12345);
    for (int i = 0; i < 3000; ++i) {
        std::string bad = good;
        for (int k = 0, flips = 1 + i % 3; k < flips; ++k) {
            bad[rng() % bad.size()] = static_cast<char>(rng() & 0xff);
        }
        parse_or_reject(bad);
    }
    CHECK(true);  // reaching here without a crash or sanitizer report is the test
}

TEST_CASE("onnx: to_moir_tensor reads raw, packed and unpacked encodings alike") {
    const tensor_encoding encodings[] = {tensor_encoding::raw, tensor_encoding::packed, tensor_encoding::unpacked};
    for (const tensor_encoding enc : encodings) {
        CAPTURE(static_cast<int>(enc));
        auto convert = [&](const auto& values, const std::vector<std::int64_t>& dims) {
            return op::to_moir_tensor(parse_tensor(moir::test::tensor_proto("t", values, dims, enc)), "");
        };
        const std::vector<float> f32{1.f, -2.5f, 3.f, 1e-8f, -0.f, 6.f};
        const moir::tensor a = convert(f32, {2, 3});
        CHECK(a.type() == moir::element_type::f32);
        CHECK(a.dims() == moir::shape{2, 3});
        CHECK(values_of<float>(a) == f32);

        const std::vector<double> f64{1e300, -2.0};
        CHECK(values_of<double>(convert(f64, {2})) == f64);
        const std::vector<std::int64_t> i64{std::numeric_limits<std::int64_t>::min(), -1, 0, 42};
        CHECK(values_of<std::int64_t>(convert(i64, {4})) == i64);
        const std::vector<std::int32_t> i32{-7, 2147483647};
        CHECK(values_of<std::int32_t>(convert(i32, {1, 2})) == i32);
        const std::vector<std::int8_t> i8{-128, 127, 0};
        CHECK(values_of<std::int8_t>(convert(i8, {3})) == i8);
        const std::vector<std::int16_t> i16{-32768, 5};
        CHECK(values_of<std::int16_t>(convert(i16, {2})) == i16);
        const std::vector<std::uint8_t> u8{0, 255, 9};
        CHECK(values_of<std::uint8_t>(convert(u8, {3})) == u8);
        const std::vector<std::uint16_t> u16{65535, 1};
        CHECK(values_of<std::uint16_t>(convert(u16, {2})) == u16);
        const std::vector<std::uint32_t> u32{4294967295u, 3};
        CHECK(values_of<std::uint32_t>(convert(u32, {2})) == u32);
        const std::vector<std::uint64_t> u64{std::numeric_limits<std::uint64_t>::max(), 0};
        CHECK(values_of<std::uint64_t>(convert(u64, {2})) == u64);

        const std::vector<moir::half> f16{moir::half(1.f), moir::half(-0.5f), moir::half(65504.f)};
        const moir::tensor h = convert(f16, {3});
        REQUIRE(h.type() == moir::element_type::f16);
        CHECK(h.to_vector<float>() == std::vector<float>{1.f, -0.5f, 65504.f});

        const moir::tensor b = convert(std::vector<bool>{true, false, true}, {3});
        REQUIRE(b.type() == moir::element_type::boolean);
        CHECK(b.to_vector<int>() == std::vector<int>{1, 0, 1});

        const moir::tensor scalar = convert(std::vector<std::int64_t>{9}, {});
        CHECK((scalar.rank() == 0 && scalar.at_as<std::int64_t>(0) == 9));
        const moir::tensor empty = convert(std::vector<float>{}, {0, 4});
        CHECK((empty.numel() == 0 && empty.dims() == moir::shape{0, 4}));
    }
}

TEST_CASE("onnx: to_moir_tensor edge cases and errors") {
    // Raw bools other than 0/1 are normalized.
    proto_writer b;
    b.packed_varint(1, std::vector<std::int64_t>{3}).int64(2, 9).bytes(8, "mask").bytes(9, std::string("\x00\x02\x01", 3));
    CHECK(op::to_moir_tensor(parse_tensor(b), "").to_vector<int>() == std::vector<int>{0, 1, 1});

    // Typed int32_data that is not float16 bits: 0x3c00 is 1.0, 0x7c00 +inf.
    proto_writer h;
    h.packed_varint(1, std::vector<std::int64_t>{2}).int64(2, 10).packed_varint(5, std::vector<std::int32_t>{0x3c00, 0xfc00});
    const moir::tensor ht = op::to_moir_tensor(parse_tensor(h), "");
    CHECK(ht.to_vector<float>()[0] == 1.f);
    CHECK(ht.to_vector<float>()[1] == -std::numeric_limits<float>::infinity());

    auto with_dims = [](std::vector<std::int64_t> dims, int type, const std::string& raw) {
        proto_writer w;
        w.packed_varint(1, dims).int64(2, type).bytes(8, "bad").bytes(9, raw);
        return parse_tensor(w);
    };
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(with_dims({2, 3}, 1, std::string(20, '\0')), ""),
                         "ONNX tensor 'bad': raw_data has 20 bytes, expected 24 for FLOAT [2,3]", moir::parse_error);
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(with_dims({2, -3}, 1, ""), ""),
                         "ONNX tensor 'bad' has a negative dim in [2,-3]", moir::parse_error);
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(with_dims({1ll << 40, 1ll << 40}, 1, "x"), ""),
                         doctest::Contains("overflows"), moir::parse_error);
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(with_dims({2}, 8, ""), ""),
                         "ONNX tensor 'bad': data type STRING is not supported", moir::unsupported_error);
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(with_dims({2}, 16, "abcd"), ""), doctest::Contains("BFLOAT16"),
                         moir::unsupported_error);
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(with_dims({2}, 14, ""), ""), doctest::Contains("COMPLEX64"),
                         moir::unsupported_error);
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(with_dims({2}, 19, ""), ""), doctest::Contains("FLOAT8E5M2"),
                         moir::unsupported_error);
    CHECK_THROWS_AS(op::to_moir_tensor(with_dims({2}, 0, ""), ""), moir::unsupported_error);
    CHECK_THROWS_AS(op::to_moir_tensor(with_dims({2}, 999, ""), ""), moir::unsupported_error);

    // Typed data of the wrong count, and no data at all.
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(parse_tensor(moir::test::tensor_proto("n", std::vector<float>{1, 2}, {3},
                                                                                  tensor_encoding::packed)),
                                            ""),
                         "ONNX tensor 'n': float_data has 2 values, expected 3 for FLOAT [3]", moir::parse_error);
    CHECK_THROWS_AS(op::to_moir_tensor(with_dims({4}, 7, ""), ""), moir::parse_error);
    CHECK(op::to_moir_tensor(with_dims({0}, 7, ""), "").numel() == 0);

    CHECK(op::to_element_type(1) == moir::element_type::f32);
    CHECK(op::to_element_type(9) == moir::element_type::boolean);
    CHECK(op::to_element_type(13) == moir::element_type::u64);
    CHECK_FALSE(op::to_element_type(16).has_value());
    CHECK(op::data_type_name(11) == "DOUBLE");
    CHECK(op::data_type_name(77) == "code 77");
}

TEST_CASE("onnx: external data is read relative to the model directory, safely") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("moir_pbtest_" + std::to_string(std::random_device{}()));
    fs::create_directories(dir / "weights");
    {
        std::ofstream f(dir / "weights" / "w.bin", std::ios::binary);
        const float values[] = {1.f, 2.f, 3.f, 4.f};
        f.write("JUNK", 4);
        f.write(reinterpret_cast<const char*>(values), sizeof values);
    }
    auto external = [](const std::vector<std::pair<std::string, std::string>>& entries, std::vector<std::int64_t> dims) {
        proto_writer w;
        w.packed_varint(1, dims).int64(2, 1).bytes(8, "ext").int64(14, 1);
        for (const auto& [k, v] : entries) w.message(13, proto_writer().bytes(1, k).bytes(2, v));
        return parse_tensor(w);
    };
    const std::string base = dir.string();
    const moir::tensor t =
        op::to_moir_tensor(external({{"location", "weights/w.bin"}, {"offset", "4"}, {"length", "16"}}, {2, 2}), base);
    CHECK(values_of<float>(t) == std::vector<float>{1.f, 2.f, 3.f, 4.f});
    // Without a length, the shape decides how much is read.
    CHECK(values_of<float>(op::to_moir_tensor(external({{"location", "weights/w.bin"}, {"offset", "8"}}, {3}), base)) ==
          std::vector<float>{2.f, 3.f, 4.f});

    CHECK_THROWS_WITH_AS(op::to_moir_tensor(external({{"location", "/etc/passwd"}}, {1}), base), doctest::Contains("absolute"),
                         moir::parse_error);
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(external({{"location", "../w.bin"}}, {1}), base),
                         doctest::Contains("leaves the model directory"), moir::parse_error);
    CHECK_THROWS_AS(op::to_moir_tensor(external({{"location", "weights/../../w.bin"}}, {1}), base), moir::parse_error);
    CHECK_THROWS_AS(op::to_moir_tensor(external({{"location", "weights\\..\\x"}}, {1}), base), moir::parse_error);
    CHECK_THROWS_AS(op::to_moir_tensor(external({{"offset", "0"}}, {1}), base), moir::parse_error);  // no location
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(external({{"location", "weights/w.bin"}, {"offset", "8"}}, {4}), base),
                         doctest::Contains("lies outside"), moir::parse_error);
    CHECK_THROWS_AS(op::to_moir_tensor(external({{"location", "weights/w.bin"}, {"offset", "18446744073709551615"}}, {1}), base),
                    moir::parse_error);
    CHECK_THROWS_AS(op::to_moir_tensor(external({{"location", "weights/w.bin"}, {"offset", "99999999999999999999"}}, {1}), base),
                    moir::parse_error);
    CHECK_THROWS_AS(op::to_moir_tensor(external({{"location", "weights/w.bin"}, {"offset", "-4"}}, {1}), base),
                    moir::parse_error);
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(external({{"location", "weights/w.bin"}, {"length", "8"}}, {4}), base),
                         doctest::Contains("does not match"), moir::parse_error);
    CHECK_THROWS_WITH_AS(op::to_moir_tensor(external({{"location", "missing.bin"}}, {1}), base),
                         doctest::Contains("missing.bin': No such file"), moir::error);

    // load_model_file / save round trip, and the missing-file error.
    const std::string model_path = (dir / "m.onnx").string();
    sample_model().save(model_path);
    CHECK(op::load_model_file(model_path).graph.node.size() == 2);
    CHECK_THROWS_WITH_AS(op::load_model_file((dir / "none.onnx").string()),
                         doctest::Contains(("cannot open '" + (dir / "none.onnx").string() + "'").c_str()), moir::error);
    fs::remove_all(dir);
}

TEST_CASE("onnx: libonnx-testdata test_conv_with_strides_padding") {
    const std::string dir = "/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding";
    if (!std::filesystem::exists(dir + "/model.onnx")) {
        MESSAGE("libonnx-testdata is not installed; skipped");
        return;
    }
    const op::model m = op::load_model_file(dir + "/model.onnx");
    CHECK(m.ir_version >= 3);
    REQUIRE(m.opset_import.size() >= 1);
    REQUIRE(m.graph.node.size() == 1);
    const op::node& conv = m.graph.node[0];
    CHECK(conv.op_type == "Conv");
    CHECK(conv.input == std::vector<std::string>{"x", "W"});
    CHECK(conv.output == std::vector<std::string>{"y"});
    REQUIRE(conv.attribute.size() == 3);
    for (const auto& a : conv.attribute) {
        CHECK(a.type == op::attribute_type::ints);
        if (a.name == "kernel_shape") CHECK(a.ints == std::vector<std::int64_t>{3, 3});
        else if (a.name == "pads") CHECK(a.ints == std::vector<std::int64_t>{1, 1, 1, 1});
        else if (a.name == "strides") CHECK(a.ints == std::vector<std::int64_t>{2, 2});
        else FAIL("unexpected attribute " << a.name);
    }
    auto dims_of = [](const op::value_info& v) {
        std::vector<std::int64_t> d;
        for (const auto& x : v.type.shape) d.push_back(x.has_value ? x.value : -1);
        return d;
    };
    REQUIRE(m.graph.input.size() == 2);
    CHECK(dims_of(m.graph.input[0]) == std::vector<std::int64_t>{1, 1, 7, 5});
    CHECK(dims_of(m.graph.input[1]) == std::vector<std::int64_t>{1, 1, 3, 3});
    REQUIRE(m.graph.output.size() == 1);
    CHECK(dims_of(m.graph.output[0]) == std::vector<std::int64_t>{1, 1, 4, 3});
    CHECK(m.graph.input[0].type.elem_type == 1);

    const op::tensor x = op::load_tensor_file(dir + "/test_data_set_0/input_0.pb");
    CHECK(x.name == "x");
    CHECK(x.dims == std::vector<std::int64_t>{1, 1, 7, 5});
    const moir::tensor xt = op::to_moir_tensor(x, dir);
    REQUIRE(xt.type() == moir::element_type::f32);
    REQUIRE(xt.numel() == 35);
    for (std::size_t i = 0; i < 35; ++i) CHECK(xt.data<float>()[i] == static_cast<float>(i));  // np.arange(35)

    // Every prefix of the real file parses or throws parse_error.
    std::ifstream f(dir + "/model.onnx", std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
        try {
            (void)op::parse_model(bytes_of(bytes), n, "prefix");
        } catch (const moir::parse_error&) {
        }
    }
}

TEST_CASE("onnx: all libonnx-testdata node models parse") {
    const std::filesystem::path root = "/usr/share/libonnx-testdata/data/node";
    if (!std::filesystem::is_directory(root)) {
        MESSAGE("libonnx-testdata is not installed; skipped");
        return;
    }
    std::size_t models = 0, tensors = 0, converted = 0;
    // Converting a tensor may only fail for a type moir does not hold (string, bfloat16, ...).
    auto try_convert = [&](const op::tensor& t, const std::string& dir) {
        try {
            (void)op::to_moir_tensor(t, dir);
            ++converted;
        } catch (const moir::unsupported_error&) {
        }
    };
    for (const auto& entry : std::filesystem::directory_iterator(root)) {
        const std::filesystem::path model = entry.path() / "model.onnx";
        if (!std::filesystem::exists(model)) continue;
        ++models;
        CAPTURE(model.string());
        op::model m;
        CHECK_NOTHROW(m = op::load_model_file(model.string()));
        for (const auto& t : m.graph.initializer) CHECK_NOTHROW(try_convert(t, entry.path().string()));
        const std::filesystem::path input = entry.path() / "test_data_set_0" / "input_0.pb";
        // input_0.pb is a SequenceProto/OptionalProto when the first input is not a tensor.
        const bool tensor_input = !m.graph.input.empty() && m.graph.input[0].type.kind == op::type_kind::tensor;
        if (tensor_input && std::filesystem::exists(input)) {
            ++tensors;
            op::tensor t;
            CHECK_NOTHROW(t = op::load_tensor_file(input.string()));
            CHECK_NOTHROW(try_convert(t, entry.path().string()));
        }
    }
    MESSAGE("parsed " << models << " models and " << tensors << " input tensors; converted " << converted
                      << " tensors");
    CHECK(models >= 900);
}
