// moir::ir::xml: the DOM reader (entities, comments, CDATA, errors with positions, truncation,
// depth limit) and the writer (escaping, indentation, read-back).

#include <moir/ir/xml.hpp>

#include "ir_test_util.hpp"

#include <doctest/doctest.h>

#include <string>  // string

using moir::ir::xml::element;
namespace xml = moir::ir::xml;

TEST_CASE("xml: elements, attributes in order, text, self-closing tags, declaration") {
    const element root = xml::parse(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<net name='n' version=\"11\" b=\"2\" a=\"1\">\n"
        "  <layers>\n"
        "    <layer id=\"0\"/>\n"
        "    <layer id = \"1\" ><dim>3</dim><dim> 4 </dim></layer>\n"
        "  </layers>\n"
        "</net>\n");
    CHECK(root.name == "net");
    REQUIRE(root.attributes.size() == 4);
    CHECK(root.attributes[0].name == "name");
    CHECK(root.attributes[0].value == "n");
    CHECK(root.attributes[2].name == "b");  // document order, not sorted
    CHECK(root.attributes[3].name == "a");
    CHECK(*root.find_attribute("version") == "11");
    CHECK(root.find_attribute("missing") == nullptr);
    const element* layers = root.child("layers");
    REQUIRE(layers);
    const auto ls = layers->children_named("layer");
    REQUIRE(ls.size() == 2);
    CHECK(ls[0]->children.empty());
    CHECK(ls[0]->line == 4);
    CHECK(ls[0]->column == 5);
    const auto dims = ls[1]->children_named("dim");
    REQUIRE(dims.size() == 2);
    CHECK(dims[0]->text == "3");
    CHECK(dims[1]->text == " 4 ");
    CHECK(root.child("nothing") == nullptr);
}

TEST_CASE("xml: entities and character references are decoded") {
    const element e = xml::parse(
        "<a v=\"&lt;&gt;&amp;&quot;&apos; &#65;&#x42;&#x20AC;&#128512;\">x &lt; y &amp;&amp; z&#10;</a>");
    CHECK(*e.find_attribute("v") == "<>&\"' AB\xE2\x82\xAC\xF0\x9F\x98\x80");
    CHECK(e.text == "x < y && z\n");
}

TEST_CASE("xml: attribute whitespace is normalized, text line ends become \\n") {
    const element e = xml::parse("<a v=\"1\n2\t3\r\n4\">l1\r\nl2\rl3</a>");
    CHECK(*e.find_attribute("v") == "1 2 3 4");
    CHECK(e.text == "l1\nl2\nl3");
}

TEST_CASE("xml: comments, processing instructions, CDATA, DOCTYPE, BOM") {
    const element e = xml::parse(
        "\xEF\xBB\xBF<?xml version=\"1.0\"?><!-- c1 --><!DOCTYPE net>\n<?pi stuff?>"
        "<net><!-- <layer id=\"x\"/> --><![CDATA[<raw> & ]]>text<?inner pi?></net><!-- after -->\n");
    CHECK(e.name == "net");
    CHECK(e.children.empty());
    CHECK(e.text == "<raw> & text");
}

TEST_CASE("xml: errors name the file, line and column") {
    using moir_test::expect_error;
    expect_error<moir::parse_error>([] { xml::parse("<a>\n  <b>\n</a>", "m.xml"); },
                                    {"m.xml:3:1:", "mismatched end tag </a>, expected </b>", "line 2"});
    expect_error<moir::parse_error>([] { xml::parse("<a x=\"1\" x=\"2\"/>", "d.xml"); },
                                    {"d.xml:1:10:", "duplicate attribute 'x'"});
    expect_error<moir::parse_error>([] { xml::parse("<a>&bogus;</a>", "e.xml"); }, {"e.xml:1:4:", "unknown entity"});
    expect_error<moir::parse_error>([] { xml::parse("<a>&#xD800;</a>"); }, {"not a valid character"});
    expect_error<moir::parse_error>([] { xml::parse("<a>&#0;</a>"); }, {"not a valid character"});
    expect_error<moir::parse_error>([] { xml::parse("<a>&#x110000;</a>"); }, {"out of range"});
    expect_error<moir::parse_error>([] { xml::parse("<a>&#12a;</a>"); }, {"invalid character reference"});
    expect_error<moir::parse_error>([] { xml::parse("<a>&amp</a>"); }, {"unterminated entity"});
    expect_error<moir::parse_error>([] { xml::parse("<a v=\"<\"/>"); }, {"'<' is not allowed"});
    expect_error<moir::parse_error>([] { xml::parse("<a v=1/>"); }, {"quoted value"});
    expect_error<moir::parse_error>([] { xml::parse("<a v=\"1\"w=\"2\"/>"); }, {"whitespace before an attribute"});
    expect_error<moir::parse_error>([] { xml::parse("<a/><b/>"); }, {"after the root element"});
    expect_error<moir::parse_error>([] { xml::parse("  "); }, {"no root element"});
    expect_error<moir::parse_error>([] { xml::parse("text"); }, {"expected '<'"});
    expect_error<moir::parse_error>([] { xml::parse("<1a/>"); }, {"expected a name"});
    expect_error<moir::parse_error>([] { xml::parse("<a><!DOCTYPE x></a>"); }, {"markup declaration"});
    expect_error<moir::parse_error>([] { xml::parse("<!DOCTYPE a [<!ENTITY x \"y\">]><a/>"); }, {"DTD"});
    expect_error<moir::parse_error>([] { xml::parse("<a/><?xml version=\"1.0\"?>"); }, {"XML declaration"});
    expect_error<moir::parse_error>([] { xml::parse("<a>\n<b>\n", "t.xml"); },
                                    {"t.xml:3:1:", "unexpected end of input", "<b> (line 2) is not closed"});
}

TEST_CASE("xml: every truncation of a valid document throws parse_error") {
    const std::string doc =
        "<?xml version=\"1.0\"?>\n<!-- c -->\n<net name=\"a&amp;b\" version='11'>\n"
        "\t<layers><layer id=\"0\" name=\"x\"><data shape=\"1,2\"/><![CDATA[cd]]>t&#x41;</layer></layers>\n"
        "\t<?pi x?>\n</net>\n";
    REQUIRE_NOTHROW(xml::parse(doc));
    // the document is complete once "</net>" is read: any shorter prefix must fail cleanly
    const std::size_t complete = doc.rfind("</net>") + 6;
    for (std::size_t n = 0; n < complete; ++n) {
        INFO("prefix length " << n);
        CHECK_THROWS_AS(xml::parse(std::string_view(doc.data(), n)), moir::parse_error);
    }
    for (std::size_t n = complete; n <= doc.size(); ++n) CHECK_NOTHROW(xml::parse(std::string_view(doc.data(), n)));
}

TEST_CASE("xml: every truncation of a real IR fixture throws parse_error") {
    const std::string doc = xml::read_file(moir_test::ir_fixture("add_const_v10.xml"));
    REQUIRE_NOTHROW(xml::parse(doc));
    const std::size_t complete = doc.rfind("</net>") + 6;
    std::size_t failures = 0;
    for (std::size_t n = 0; n < complete; ++n) {
        try {
            xml::parse(std::string_view(doc.data(), n));
        } catch (const moir::parse_error&) {
            ++failures;
        }
    }
    CHECK(failures == complete);
}

TEST_CASE("xml: the nesting depth is limited, without recursion") {
    const std::size_t depth = 100000;
    std::string deep;
    for (std::size_t i = 0; i < depth; ++i) deep += "<a>";
    for (std::size_t i = 0; i < depth; ++i) deep += "</a>";
    moir_test::expect_error<moir::parse_error>([&] { xml::parse(deep, "deep.xml"); },
                                               {"deep.xml:1:", "nested deeper than 256 levels"});
    xml::parse_options opt;
    opt.max_depth = 3;
    CHECK_NOTHROW(xml::parse("<a><b><c/></b></a>", "x", opt));
    CHECK_NOTHROW(xml::parse("<a><b><c></c></b></a>", "x", opt));
    CHECK_THROWS_AS(xml::parse("<a><b><c><d/></c></b></a>", "x", opt), moir::parse_error);
}

TEST_CASE("xml: garbage bytes never crash the reader") {
    // A deterministic pseudo-random mix of XML-significant characters.
    const char alphabet[] = "<>/=\"'&;#x!-[]?CDATA abl1\n\t";
    std::uint32_t state = 12345;
    for (int round = 0; round < 2000; ++round) {
        std::string s = "<a b=\"c\">";
        const int len = static_cast<int>(state % 40);
        for (int i = 0; i < len; ++i) {
            state = state * 1664525u + 1013904223u;
            s += alphabet[(state >> 16) % (sizeof(alphabet) - 1)];
        }
        try {
            xml::parse(s);
        } catch (const moir::parse_error&) {
        }
    }
}

TEST_CASE("xml writer: escaping, indentation, self-closing, and it reads back") {
    xml::writer w("\t");
    w.declaration();
    w.open("net").attr("name", "a<b>&\"c\"\n\t'").attr("version", "11");
    w.open("layers");
    w.open("layer").attr("id", "0").close();
    w.open("layer").attr("id", "1");
    w.open("dim").text("1 < 2 & 3").close();
    w.close();
    w.close();
    w.open("empty").close();
    w.close();
    CHECK(w.complete());
    const std::string expected =
        "<?xml version=\"1.0\"?>\n"
        "<net name=\"a&lt;b&gt;&amp;&quot;c&quot;&#10;&#9;'\" version=\"11\">\n"
        "\t<layers>\n"
        "\t\t<layer id=\"0\"/>\n"
        "\t\t<layer id=\"1\">\n"
        "\t\t\t<dim>1 &lt; 2 &amp; 3</dim>\n"
        "\t\t</layer>\n"
        "\t</layers>\n"
        "\t<empty/>\n"
        "</net>\n";
    CHECK(w.str() == expected);
    const element e = xml::parse(w.str());
    CHECK(*e.find_attribute("name") == "a<b>&\"c\"\n\t'");
    CHECK(e.child("layers")->children[1].child("dim")->text == "1 < 2 & 3");

    xml::writer spaces("    ");
    spaces.open("a").open("b").close().close();
    CHECK(spaces.str() == "<a>\n    <b/>\n</a>\n");
}

TEST_CASE("xml writer: control characters and misuse") {
    xml::writer w;
    w.open("a").attr("v", std::string("x\x01y\rz", 5)).text(std::string("\x02", 1)).close();
    const element e = xml::parse(w.str());
    CHECK(*e.find_attribute("v") == std::string("x\x01y\rz", 5));
    CHECK(e.text == std::string("\x02", 1));

    xml::writer bad;
    CHECK_THROWS_AS(bad.open("1abc"), moir::error);
    bad.open("a");
    CHECK_THROWS_AS(bad.attr("b c", "x"), moir::error);
    bad.text("t");
    CHECK_THROWS_AS(bad.attr("late", "x"), moir::error);
    bad.close();
    CHECK_THROWS_AS(bad.close(), moir::error);
    CHECK_THROWS_AS(bad.open("second_root"), moir::error);
    CHECK(xml::is_name("exclude-pad"));
    CHECK(xml::is_name("from-layer"));
    CHECK_FALSE(xml::is_name("-x"));
    CHECK_FALSE(xml::is_name(""));
}
