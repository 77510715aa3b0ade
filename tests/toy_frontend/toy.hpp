#ifndef MOIR_TESTS_TOY_FRONTEND_TOY_HPP
#define MOIR_TESTS_TOY_FRONTEND_TOY_HPP

// A frontend defined outside moir, by adding files only: a tiny text format, one node a line,
//   input  NAME D0 D1 ...      a graph input of f32 with that shape
//   relu   OUT IN              ReLU
//   add    OUT A B             A + B
//   scale  OUT IN FACTOR       IN * FACTOR
//   output NAME                a graph output
// '#' starts a comment. It plugs into moir's common machinery (frontends/common/frontend.hpp) and
// into the CLI through moir::cli::main with a longer frontend list (toy_moir.cpp).

#include <moir/frontends/common/frontend.hpp>
#include <moir/frontends/registry.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/relu.hpp>

#include <array>        // array
#include <fstream>      // ifstream
#include <optional>     // optional
#include <sstream>      // istringstream
#include <string>       // string, stof
#include <string_view>  // string_view
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace toy {

/// One line of a .toy file, as the common node view.
struct node {
    std::string op;
    std::vector<std::string> words;  // after the op
    std::size_t line = 0;

    std::string name() const { return words.empty() ? op : words[0]; }
    std::string op_type() const { return op; }
    std::size_t input_count() const { return op == "add" ? 2 : 1; }
    std::string input_name(std::size_t i) const { return i + 1 < words.size() ? words[i + 1] : std::string(); }
    std::size_t output_count() const { return 1; }
    std::string output_name(std::size_t) const { return words.empty() ? std::string() : words[0]; }
    template <class T>
    std::optional<T> attribute(const std::string& key) const {
        if constexpr (std::is_same_v<T, float>) {
            if (key == "factor" && op == "scale" && words.size() == 3) return std::stof(words[2]);
        }
        return std::nullopt;
    }
};

using context = moir::frontends::basic_context<node>;
using op_table = moir::frontends::basic_op_table<context>;

inline const op_table& table() {
    static const op_table t = [] {
        op_table t;
        t.add("relu", [](context& c) { c.set_output(0, c.add<moir::ops::relu>({}, {c.input(0)})); });
        t.add("add", [](context& c) { c.set_output(0, c.add<moir::ops::add>({}, {c.input(0), c.input(1)})); });
        t.add("scale", [](context& c) {
            const auto k = c.constant(moir::tensor::scalar(c.require_attr<float>("factor")), "/factor");
            c.set_output(0, c.add<moir::ops::multiply>({}, {c.input(0), k}));
        });
        return t;
    }();
    return t;
}

/// The toy frontend (moir's frontend concept).
struct frontend {
    static constexpr const char* name = "toy";
    static constexpr std::array<const char*, 1> extensions{".toy"};
    static bool recognizes(const std::string&, std::string_view head) { return head.rfind("# toy", 0) == 0; }
    static moir::model load(const moir::frontends::load_request& r) {
        std::ifstream f(r.input_model);
        MOIR_CHECK(f, error, "cannot open " + r.input_model);
        std::vector<node> nodes, inputs;
        std::vector<std::string> outputs;
        std::string text;
        for (std::size_t line = 1; std::getline(f, text); ++line) {
            std::istringstream words(text.substr(0, text.find('#')));
            node n;
            n.line = line;
            if (!(words >> n.op)) continue;
            for (std::string w; words >> w;) n.words.push_back(w);
            MOIR_CHECK(!n.words.empty(), parse_error,
                       r.input_model + ":" + std::to_string(line) + ": '" + n.op + "' needs a name");
            if (n.op == "input") inputs.push_back(n);
            else if (n.op == "output") outputs.push_back(n.words[0]);
            else nodes.push_back(n);
        }
        moir::frontends::unsupported_ops missing;
        for (const auto& n : nodes)
            if (!table().find("", n.op)) missing.add(n.op);
        missing.check(r.input_model, "toy");
        moir::model m;
        moir::frontends::graph_builder b(m, r.input_model, r.options);
        for (const auto& in : inputs) {
            std::vector<std::int64_t> dims;
            for (std::size_t i = 1; i < in.words.size(); ++i) dims.push_back(std::stoll(in.words[i]));
            b.add_parameter(in.words[0], moir::element_type::f32, moir::partial_shape(dims));
        }
        b.finish_parameters();
        moir::frontends::convert_nodes<context>(
            b, nodes, [&](const node& n) { return context(b, n); },
            [](context& c) { (*table().find("", c.op_type()))(c); });
        for (const auto& o : outputs) b.add_result(o);
        b.finish();
        return m;
    }
};

}  // namespace toy

#endif  // MOIR_TESTS_TOY_FRONTEND_TOY_HPP
