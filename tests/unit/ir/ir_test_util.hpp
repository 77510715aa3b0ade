#ifndef MOIR_TESTS_UNIT_IR_IR_TEST_UTIL_HPP
#define MOIR_TESTS_UNIT_IR_IR_TEST_UTIL_HPP

// Helpers shared by the IR tests: fixture paths, exception-message checks, scratch directories and a
// structural comparison of two models (op, name, attrs through the IR codec, constants, ports).

#include <moir/core/model.hpp>
#include <moir/ir/attr_codec.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/opset.hpp>

#include <doctest/doctest.h>

#include <any>            // any
#include <chrono>         // steady_clock
#include <filesystem>     // temp_directory_path, create_directories, remove_all
#include <string>         // string
#include <unordered_map>  // unordered_map
#include <vector>         // vector

#ifndef MOIR_TEST_DATA_DIR
#define MOIR_TEST_DATA_DIR "tests/data"
#endif

namespace moir_test {

/// Path of a fixture under tests/data/ir/.
inline std::string ir_fixture(const std::string& name) { return std::string(MOIR_TEST_DATA_DIR) + "/ir/" + name; }

/// Runs f, expects an exception of type E whose message contains every needle; returns the message.
template <class E, class F>
std::string expect_error(F&& f, const std::vector<std::string>& needles) {
    std::string msg;
    bool thrown = false;
    try {
        f();
    } catch (const E& e) {
        thrown = true;
        msg = e.what();
    }
    CHECK_MESSAGE(thrown, "expected an exception");
    for (const auto& n : needles) CHECK_MESSAGE(msg.find(n) != std::string::npos, "'" << n << "' not in: " << msg);
    return msg;
}

/// A fresh scratch directory, removed at scope exit.
struct scratch_dir {
    std::filesystem::path path;
    explicit scratch_dir(const std::string& tag) {
        static int counter = 0;
        path = std::filesystem::temp_directory_path() /
               ("moir-ir-test-" + tag + "-" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + "-" +
                std::to_string(counter++));
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
    /// Names of the files in the directory.
    std::vector<std::string> listing() const {
        std::vector<std::string> r;
        for (const auto& e : std::filesystem::directory_iterator(path)) r.push_back(e.path().filename().string());
        return r;
    }
};

namespace detail {
using attrs_text_fn = std::vector<std::pair<std::string_view, std::string>> (*)(const std::any&);
template <class Op>
std::vector<std::pair<std::string_view, std::string>> attrs_text(const std::any& a) {
    if constexpr (std::is_same_v<Op, moir::ops::constant>) {
        return {};
    } else {
        return moir::ir::encode_attrs(std::any_cast<const typename Op::attrs&>(a));
    }
}
inline const std::unordered_map<const moir::op_info*, attrs_text_fn>& attrs_text_table() {
    static const auto t = [] {
        std::unordered_map<const moir::op_info*, attrs_text_fn> m;
        moir::for_each_type(moir::opsets::all{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            m.emplace(&moir::info_of<Op>(), &attrs_text<Op>);
        });
        return m;
    }();
    return t;
}
}  // namespace detail

/// Checks that two models are the same graph: same node order, ops, names, attrs (field by field,
/// through the IR codec), constant tensors, rt_info, input refs, output types/shapes/names, and the
/// same parameters/results.
inline void check_same_model(const moir::model& a, const moir::model& b) {
    CHECK(a.name == b.name);
    REQUIRE(a.nodes.size() == b.nodes.size());
    CHECK(a.parameters == b.parameters);
    CHECK(a.results == b.results);
    const auto& table = detail::attrs_text_table();
    for (std::size_t i = 0; i < a.nodes.size(); ++i) {
        const auto& x = a.nodes[i];
        const auto& y = b.nodes[i];
        INFO("node " << i << " '" << x.name << "'");
        REQUIRE(x.op == y.op);
        CHECK(x.name == y.name);
        CHECK(x.inputs == y.inputs);
        CHECK(x.rt_info == y.rt_info);
        REQUIRE(x.outputs.size() == y.outputs.size());
        for (std::size_t k = 0; k < x.outputs.size(); ++k) {
            CHECK(x.outputs[k].type == y.outputs[k].type);
            CHECK(x.outputs[k].shape == y.outputs[k].shape);
            CHECK(x.outputs[k].names == y.outputs[k].names);
        }
        if (x.is<moir::ops::constant>()) {
            CHECK(x.attrs_as<moir::ops::constant>().value.same_as(y.attrs_as<moir::ops::constant>().value));
        } else {
            const auto it = table.find(x.op);
            REQUIRE(it != table.end());
            CHECK(it->second(x.attrs) == it->second(y.attrs));
        }
    }
}

}  // namespace moir_test

#endif  // MOIR_TESTS_UNIT_IR_IR_TEST_UTIL_HPP
