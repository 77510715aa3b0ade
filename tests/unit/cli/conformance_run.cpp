// A sample of the ONNX backend node tests (Debian libonnx-testdata) run through `moir run` as a user
// runs them: inputs as .npy files, one .npy per output named after the graph's output, values as
// the suite expects. The sample takes every case whose output node a conversion removes or replaces
// (Dropout, expanded functions, Identity) and every 25th of the rest; cases in the suite's
// expected-failures list are left out.

#include <support/env.hpp>

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/io/npy.hpp>

#include <doctest/doctest.h>

#include <algorithm>   // sort
#include <cctype>      // isalnum
#include <cmath>       // fabs, isnan
#include <filesystem>  // directory_iterator
#include <fstream>     // ifstream
#include <set>         // set
#include <string>      // string
#include <vector>      // vector

namespace {

using namespace moir::test;

std::set<std::string> expected_failures() {
    std::set<std::string> s;
    std::ifstream f(source_dir() + "/tests/conformance/expected_failures.txt");
    for (std::string line; std::getline(f, line);) {
        line = line.substr(0, line.find('#'));
        while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
        if (!line.empty()) s.insert(line);
    }
    return s;
}

bool close_enough(const moir::tensor& got, const moir::tensor& want) {
    if (got.dims() != want.dims()) return false;
    for (std::size_t i = 0; i < want.numel(); ++i) {
        const double a = got.at_as<double>(i), b = want.at_as<double>(i);
        if (std::isnan(a) && std::isnan(b)) continue;
        if (!(std::fabs(a - b) <= 1e-5 + 1e-3 * std::fabs(b))) return false;
    }
    return true;
}

}  // namespace

TEST_CASE("moir run names every output file after the graph's output (ONNX backend sample)") {
    const fs::path data = "/usr/share/libonnx-testdata/data/node";
    if (!fs::exists(data)) {
        FAIL("Debian's libonnx-testdata is not installed (tools/setup.sh installs it)");
        return;
    }
    const auto skip = expected_failures();
    std::vector<std::string> all;
    for (const auto& e : fs::directory_iterator(data)) all.push_back(e.path().filename().string());
    std::sort(all.begin(), all.end());
    std::vector<std::string> sample;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const std::string& c = all[i];
        if (skip.count(c)) continue;
        const bool removed_output = c.find("dropout") != std::string::npos || c.find("identity") != std::string::npos ||
                                    (c.find("_expanded") != std::string::npos && i % 4 == 0);
        if (removed_output || i % 25 == 0) sample.push_back(c);
    }
    const std::string scratch_dir = scratch("cli_conformance");
    std::size_t checked = 0;
    for (const auto& c : sample) {
        CAPTURE(c);
        const fs::path dir = data / c, set = dir / "test_data_set_0";
        const auto pm = moir::onnx::proto::load_model_file((dir / "model.onnx").string());
        std::string cmd = q(moir_exe()) + " run --model " + q((dir / "model.onnx").string());
        const fs::path out = fs::path(scratch_dir) / c;
        std::size_t k = 0;
        std::set<std::string> initializers;
        for (const auto& t : pm.graph.initializer) initializers.insert(t.name);
        for (const auto& vi : pm.graph.input) {
            if (initializers.count(vi.name)) continue;
            const fs::path f = set / ("input_" + std::to_string(k++) + ".pb");
            const fs::path npy = fs::path(scratch_dir) / (c + "_in" + std::to_string(k) + ".npy");
            moir::npy::save(npy.string(), moir::onnx::proto::to_moir_tensor(moir::onnx::proto::load_tensor_file(f.string()),
                                                                             set.string()));
            cmd += " --input " + q(vi.name + "=" + npy.string());
        }
        const auto r = run(cmd + " --output_dir " + q(out.string()));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        for (std::size_t i = 0; i < pm.graph.output.size(); ++i) {
            const std::string name = pm.graph.output[i].name;
            CAPTURE(name);
            std::string file;
            for (char ch : name) file += std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-' ? ch : '_';
            const fs::path got = out / (file + ".npy");
            REQUIRE_MESSAGE(fs::exists(got), r.output);
            const auto want = moir::onnx::proto::to_moir_tensor(
                moir::onnx::proto::load_tensor_file((set / ("output_" + std::to_string(i) + ".pb")).string()), set.string());
            CHECK(close_enough(moir::npy::load(got.string()), want));
        }
        ++checked;
    }
    MESSAGE("moir run on " << checked << " conformance cases");
    CHECK(checked >= 30);
}
