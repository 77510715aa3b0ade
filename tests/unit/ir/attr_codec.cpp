// moir::ir attribute codec: to_ir_string / from_ir_string for every field type, and the PFR walk
// over attrs aggregates (<data> write, read with defaults, unknown attributes, bad values).

#include <moir/ir/attr_codec.hpp>
#include <moir/ops/common.hpp>
#include <moir/ops/convolution.hpp>
#include <moir/ops/interpolate.hpp>
#include <moir/ops/parameter.hpp>

#include "ir_test_util.hpp"

#include <boost/pfr/ops.hpp>
#include <doctest/doctest.h>

#include <array>    // array
#include <cmath>    // isnan, isinf
#include <cstdint>  // int64_t
#include <limits>   // numeric_limits
#include <string>   // string
#include <vector>   // vector

using moir::ir::from_ir_string;
using moir::ir::to_ir_string;

namespace {

template <class T>
T read_as(const std::string& s) {
    T v{};
    from_ir_string(s, v);
    return v;
}

template <class T>
void check_round_trip(const T& v) {
    const std::string s = to_ir_string(v);
    T back{};
    from_ir_string(s, back);
    CHECK_MESSAGE(back == v, "text: " << s);
}

// A user-defined attribute type: the codec finds these two functions by ADL.
namespace user {
struct rgb {
    int r = 0, g = 0, b = 0;
    friend bool operator==(const rgb& x, const rgb& y) { return x.r == y.r && x.g == y.g && x.b == y.b; }
};
inline std::string to_ir_string(const rgb& c) {
    return "#" + std::to_string(c.r) + "." + std::to_string(c.g) + "." + std::to_string(c.b);
}
inline void from_ir_string(std::string_view s, rgb& c) {
    if (s.empty() || s[0] != '#') throw moir::parse_error("expected #r.g.b");
    std::vector<int> parts;
    std::string cur;
    for (char ch : s.substr(1)) {
        if (ch == '.') {
            parts.push_back(std::stoi(cur));
            cur.clear();
        } else {
            cur += ch;
        }
    }
    parts.push_back(std::stoi(cur));
    if (parts.size() != 3) throw moir::parse_error("expected #r.g.b");
    c = rgb{parts[0], parts[1], parts[2]};
}
}  // namespace user

struct sample_attrs {
    bool flag = true;
    std::int64_t axis = -1;
    double epsilon = 1e-5;
    float scale = 0.1f;
    std::string mode = "nearest";
    std::vector<std::int64_t> pads{1, 1};
    std::vector<float> scales{};
    std::vector<double> weights{0.25};
    std::array<std::int64_t, 2> kernel{3, 3};
    moir::element_type element_type = moir::element_type::f32;
    moir::partial_shape shape = std::vector<std::int64_t>{1, 3, -1, -1};
    moir::ops::pad_type auto_pad = moir::ops::pad_type::same_upper;
    bool exclude_pad = false;
    user::rgb color{1, 2, 3};
    static constexpr std::array<std::string_view, 14> ir_names{
        "flag", "axis", "epsilon", "scale", "mode", "pads", "scales", "weights", "kernel",
        "element_type", "shape", "auto_pad", "exclude-pad", "color"};
};

}  // namespace

TEST_CASE("codec: bool") {
    CHECK(to_ir_string(true) == "true");
    CHECK(to_ir_string(false) == "false");
    CHECK(read_as<bool>("true"));
    CHECK(read_as<bool>("True"));
    CHECK(read_as<bool>("TRUE"));
    CHECK(read_as<bool>("1"));
    CHECK_FALSE(read_as<bool>("false"));
    CHECK_FALSE(read_as<bool>("False"));
    CHECK_FALSE(read_as<bool>("0"));
    CHECK_FALSE(read_as<bool>(" false "));
    CHECK_THROWS_AS(read_as<bool>("yes"), moir::parse_error);
    CHECK_THROWS_AS(read_as<bool>(""), moir::parse_error);
    check_round_trip(true);
    check_round_trip(false);
}

TEST_CASE("codec: integers") {
    CHECK(to_ir_string(std::int64_t{-42}) == "-42");
    CHECK(to_ir_string(std::numeric_limits<std::int64_t>::min()) == "-9223372036854775808");
    CHECK(to_ir_string(std::uint64_t{18446744073709551615ull}) == "18446744073709551615");
    CHECK(read_as<std::int64_t>(" 7 ") == 7);
    CHECK(read_as<std::int64_t>("+7") == 7);
    CHECK(read_as<std::int64_t>("-9223372036854775808") == std::numeric_limits<std::int64_t>::min());
    CHECK(read_as<std::uint64_t>("18446744073709551615") == 18446744073709551615ull);
    CHECK(read_as<int>("12") == 12);
    CHECK_THROWS_AS(read_as<std::int64_t>("9223372036854775808"), moir::parse_error);
    CHECK_THROWS_AS(read_as<std::uint64_t>("18446744073709551616"), moir::parse_error);
    CHECK_THROWS_AS(read_as<std::uint64_t>("-1"), moir::parse_error);
    CHECK_THROWS_AS(read_as<std::int64_t>("1.5"), moir::parse_error);
    CHECK_THROWS_AS(read_as<std::int64_t>("12abc"), moir::parse_error);
    CHECK_THROWS_AS(read_as<std::int64_t>(""), moir::parse_error);
    CHECK_THROWS_AS(read_as<std::int64_t>("+"), moir::parse_error);
    for (std::int64_t v : {std::int64_t{0}, std::int64_t{1}, std::int64_t{-1}, std::numeric_limits<std::int64_t>::max(),
                           std::numeric_limits<std::int64_t>::min()})
        check_round_trip(v);
}

TEST_CASE("codec: floating point is written shortest and reads back exactly") {
    CHECK(to_ir_string(0.1f) == "0.1");
    CHECK(to_ir_string(1e-5) == "1e-05");
    CHECK(to_ir_string(-0.75) == "-0.75");
    CHECK(to_ir_string(2.0) == "2");
    CHECK(read_as<double>("9.9999997473787516e-06") == 9.9999997473787516e-06);
    CHECK(read_as<double>(" +1.5 ") == 1.5);
    CHECK(read_as<float>("3.4028235e38") == std::numeric_limits<float>::max());
    CHECK(std::isinf(read_as<double>("inf")));
    CHECK(std::isnan(read_as<double>("nan")));
    CHECK_THROWS_AS(read_as<double>("1.5x"), moir::parse_error);
    CHECK_THROWS_AS(read_as<double>(""), moir::parse_error);
    CHECK_THROWS_AS(read_as<double>("1e999"), moir::parse_error);
    for (double v : {0.0, -0.0, 1.0 / 3.0, 1e-300, 6.02214076e23, std::numeric_limits<double>::max(),
                     std::numeric_limits<double>::denorm_min(), -std::numeric_limits<double>::infinity()})
        check_round_trip(v);
    for (float v : {0.1f, 1.0f / 3.0f, 1e-38f, std::numeric_limits<float>::max(), std::numeric_limits<float>::denorm_min()})
        check_round_trip(v);
}

TEST_CASE("codec: strings are verbatim") {
    CHECK(to_ir_string(std::string("a, b")) == "a, b");
    CHECK(read_as<std::string>(" spaced ") == " spaced ");
    check_round_trip(std::string(""));
    check_round_trip(std::string("x<y>&\"z\""));
}

TEST_CASE("codec: lists") {
    CHECK(to_ir_string(std::vector<std::int64_t>{1, 1}) == "1,1");
    CHECK(to_ir_string(std::vector<std::int64_t>{}) == "");
    CHECK(read_as<std::vector<std::int64_t>>("1, 2 ,3") == std::vector<std::int64_t>{1, 2, 3});
    CHECK(read_as<std::vector<std::int64_t>>("") == std::vector<std::int64_t>{});
    CHECK(read_as<std::vector<std::int64_t>>("  ") == std::vector<std::int64_t>{});
    CHECK(read_as<std::vector<float>>("0.5,2") == std::vector<float>{0.5f, 2.f});
    CHECK(read_as<std::vector<double>>("1e-3") == std::vector<double>{1e-3});
    CHECK(read_as<std::array<std::int64_t, 2>>("3, 4") == std::array<std::int64_t, 2>{3, 4});
    CHECK_THROWS_AS((read_as<std::array<std::int64_t, 2>>("3")), moir::parse_error);
    CHECK_THROWS_AS(read_as<std::vector<std::int64_t>>("1,,2"), moir::parse_error);
    CHECK_THROWS_AS(read_as<std::vector<std::int64_t>>("1,2,"), moir::parse_error);
    CHECK_THROWS_AS(read_as<std::vector<std::int64_t>>("1 2"), moir::parse_error);
    check_round_trip(std::vector<std::int64_t>{0, -5, 7});
    check_round_trip(std::vector<float>{0.1f, -2.5f, 1e-7f});
    check_round_trip(std::vector<double>{1.0 / 3.0, -1e100});
    check_round_trip(std::vector<bool>{true, false});
    check_round_trip(std::array<std::int64_t, 3>{1, 2, 3});
    check_round_trip(std::vector<moir::ops::pad_type>{moir::ops::pad_type::valid, moir::ops::pad_type::explicit_});
}

TEST_CASE("codec: element types") {
    CHECK(to_ir_string(moir::element_type::f16) == "f16");
    CHECK(to_ir_string(moir::element_type::boolean) == "boolean");
    CHECK(read_as<moir::element_type>("FP32") == moir::element_type::f32);
    CHECK(read_as<moir::element_type>(" i64 ") == moir::element_type::i64);
    CHECK(read_as<moir::element_type>("dynamic") == moir::element_type::undefined);
    moir_test::expect_error<moir::unsupported_error>([] { read_as<moir::element_type>("u1"); },
                                                     {"element type 'u1' is not supported"});
    CHECK_THROWS_AS(read_as<moir::element_type>("bf16"), moir::unsupported_error);
    CHECK_THROWS_AS(read_as<moir::element_type>("i4"), moir::unsupported_error);
    CHECK_THROWS_AS(read_as<moir::element_type>("string"), moir::unsupported_error);
    CHECK_THROWS_AS(read_as<moir::element_type>("f33"), moir::parse_error);
    for (auto t : {moir::element_type::f32, moir::element_type::f16, moir::element_type::f64, moir::element_type::i8,
                   moir::element_type::i16, moir::element_type::i32, moir::element_type::i64, moir::element_type::u8,
                   moir::element_type::u16, moir::element_type::u32, moir::element_type::u64,
                   moir::element_type::boolean})
        check_round_trip(t);
}

TEST_CASE("codec: partial shapes") {
    using moir::partial_shape;
    CHECK(to_ir_string(partial_shape(std::vector<std::int64_t>{1, 3, -1, -1})) == "1,3,?,?");
    CHECK(to_ir_string(partial_shape()) == "");
    CHECK(to_ir_string(partial_shape::dynamic()) == "...");
    CHECK(read_as<partial_shape>("1,3,?,?") == partial_shape(std::vector<std::int64_t>{1, 3, -1, -1}));
    CHECK(read_as<partial_shape>("?,10") == partial_shape(std::vector<std::int64_t>{-1, 10}));
    CHECK(read_as<partial_shape>("1, 1") == partial_shape(std::vector<std::int64_t>{1, 1}));
    CHECK(read_as<partial_shape>("64, 3, 7, 7") == partial_shape(std::vector<std::int64_t>{64, 3, 7, 7}));
    CHECK(read_as<partial_shape>("-1,2") == partial_shape(std::vector<std::int64_t>{-1, 2}));
    CHECK(read_as<partial_shape>("1..10,3") == partial_shape(std::vector<std::int64_t>{-1, 3}));
    CHECK(read_as<partial_shape>("..10,1..") == partial_shape(std::vector<std::int64_t>{-1, -1}));
    CHECK(read_as<partial_shape>("[1,2]") == partial_shape(std::vector<std::int64_t>{1, 2}));
    CHECK(read_as<partial_shape>("") == partial_shape());
    CHECK(read_as<partial_shape>("") != partial_shape::dynamic());
    CHECK(read_as<partial_shape>("...") == partial_shape::dynamic());
    CHECK(read_as<partial_shape>("0") == partial_shape(std::vector<std::int64_t>{0}));
    CHECK_THROWS_AS(read_as<partial_shape>("1,-2"), moir::parse_error);
    CHECK_THROWS_AS(read_as<partial_shape>("1,x"), moir::parse_error);
    CHECK_THROWS_AS(read_as<partial_shape>("1,,2"), moir::parse_error);
    CHECK_THROWS_AS(read_as<partial_shape>("a..b"), moir::parse_error);
    check_round_trip(partial_shape(std::vector<std::int64_t>{1, 3, 224, 224}));
    check_round_trip(partial_shape(std::vector<std::int64_t>{-1}));
    check_round_trip(partial_shape());
    check_round_trip(partial_shape::dynamic());
}

TEST_CASE("codec: enums with ir_enum_names") {
    using moir::ops::auto_broadcast;
    using moir::ops::pad_type;
    CHECK(to_ir_string(pad_type::explicit_) == "explicit");
    CHECK(to_ir_string(auto_broadcast::numpy) == "numpy");
    CHECK(read_as<pad_type>("same_lower") == pad_type::same_lower);
    CHECK(read_as<pad_type>("SAME_UPPER") == pad_type::same_upper);
    CHECK(read_as<moir::ops::rounding_type>("ceil") == moir::ops::rounding_type::ceil);
    moir_test::expect_error<moir::parse_error>([] { read_as<auto_broadcast>("bidirectional"); },
                                               {"expected one of: none, numpy, pdpd"});
    for (auto v : {pad_type::explicit_, pad_type::same_upper, pad_type::same_lower, pad_type::valid, pad_type::notset})
        check_round_trip(v);
    check_round_trip(moir::ops::interpolate_mode::linear_onnx);
}

TEST_CASE("codec: user types through ADL") {
    CHECK(to_ir_string(user::rgb{4, 5, 6}) == "#4.5.6");
    check_round_trip(user::rgb{7, 8, 9});
    check_round_trip(std::vector<user::rgb>{{1, 2, 3}, {4, 5, 6}});
}

TEST_CASE("attrs: every field round-trips through <data>") {
    static_assert(moir::ir::detail::check_attrs<sample_attrs>());
    sample_attrs a;
    a.flag = false;
    a.axis = 3;
    a.epsilon = 1.0 / 3.0;
    a.scale = 2.5f;
    a.mode = "linear, with comma";
    a.pads = {0, 1, 2};
    a.scales = {0.5f, 4.f};
    a.weights = {};
    a.kernel = {5, 7};
    a.element_type = moir::element_type::u8;
    a.shape = moir::partial_shape::dynamic();
    a.auto_pad = moir::ops::pad_type::valid;
    a.exclude_pad = true;
    a.color = {9, 8, 7};

    moir::ir::xml::writer w;
    moir::ir::write_data(w, a);
    const auto data = moir::ir::xml::parse(w.str());
    CHECK(data.name == "data");
    REQUIRE(data.attributes.size() == 14);
    CHECK(data.attributes[12].name == "exclude-pad");  // IR spelling from ir_names, in field order
    CHECK(data.attributes[12].value == "true");
    CHECK(*data.find_attribute("shape") == "...");
    CHECK(*data.find_attribute("pads") == "0,1,2");
    CHECK(*data.find_attribute("weights") == "");

    const auto b = moir::ir::read_data<sample_attrs>(&data, "test");
    CHECK(boost::pfr::eq(a, b));
}

TEST_CASE("attrs: missing attributes keep defaults, unknown ones are ignored") {
    const auto data = moir::ir::xml::parse("<data axis=\"2\" unknown=\"zzz\" pads=\"\"/>");
    const auto b = moir::ir::read_data<sample_attrs>(&data, "test");
    sample_attrs expected;
    expected.axis = 2;
    expected.pads = {};
    CHECK(boost::pfr::eq(b, expected));
    // no <data> at all: every default
    CHECK(boost::pfr::eq(moir::ir::read_data<sample_attrs>(nullptr, "test"), sample_attrs{}));
    // OpenVINO leaves out <data> for ops without attributes
    moir::ir::xml::writer w;
    w.open("layer");
    moir::ir::write_data(w, moir::no_attrs{});
    w.close();
    CHECK(w.str() == "<layer/>\n");
}

TEST_CASE("attrs: a malformed value names the layer, the attribute and the text") {
    const auto data = moir::ir::xml::parse("<data strides=\"1,x\"/>");
    moir_test::expect_error<moir::parse_error>(
        [&] { moir::ir::read_data<moir::ops::convolution::attrs>(&data, "m.xml: layer 'conv' (id 3)"); },
        {"m.xml: layer 'conv' (id 3)", "attribute 'strides'='1,x'", "item 1 ('x')"});
    const auto bad_enum = moir::ir::xml::parse("<data auto_pad=\"sideways\"/>");
    moir_test::expect_error<moir::parse_error>(
        [&] { moir::ir::read_data<moir::ops::convolution::attrs>(&bad_enum, "L"); },
        {"L: attribute 'auto_pad'='sideways'", "expected one of: explicit, same_upper"});
    const auto bad_type = moir::ir::xml::parse("<data element_type=\"u4\" shape=\"1\"/>");
    moir_test::expect_error<moir::unsupported_error>(
        [&] { moir::ir::read_data<moir::ops::parameter::attrs>(&bad_type, "L"); },
        {"L: attribute 'element_type'='u4'", "not supported"});
}

TEST_CASE("attrs: op attrs of the opset encode in ir_names order") {
    moir::ops::convolution::attrs c;
    c.strides = {2, 2};
    c.dilations = {1, 1};
    c.pads_begin = {3, 3};
    c.pads_end = {3, 3};
    const auto fields = moir::ir::encode_attrs(c);
    REQUIRE(fields.size() == 5);
    CHECK(fields[0].first == "strides");
    CHECK(fields[0].second == "2,2");
    CHECK(fields[4].first == "auto_pad");
    CHECK(fields[4].second == "explicit");
    moir::ops::parameter::attrs p{moir::element_type::f32, moir::partial_shape(std::vector<std::int64_t>{1, 3, -1, -1})};
    const auto pf = moir::ir::encode_attrs(p);
    CHECK(pf[0].second == "f32");
    CHECK(pf[1].second == "1,3,?,?");
}
