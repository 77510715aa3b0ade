// The ONNX backend node test suite (Debian libonnx-testdata 1.12.0) run through moir's ONNX frontend
// and reference runtime. Each case: model.onnx + test_data_set_0/input_N.pb -> compare every output
// with output_N.pb (floats: |a-b| <= 1e-5 + 1e-3*|b|; integers and bools exactly; shapes exactly),
// and every output must carry the graph's output name.
//
//   onnx_backend [--data DIR] [--expected FILE] [--filter TEXT] [--write-expected FILE] [--verbose] [--isolate]
//
// Prints one line per failing case with the reason, then "conformance: N passed, N failed". Exits 1
// when a case fails that is not in the expected-failures list, or when a listed case now passes (so
// the list stays exact). Every case runs in this one process; with --isolate each runs in a forked
// child instead, so that a crash is reported as one failing case while the suite goes on.

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <algorithm>   // sort
#include <cmath>       // fabs, isnan
#include <cstdio>      // printf
#include <cstring>     // strsignal
#include <filesystem>  // directory_iterator
#include <fstream>     // ifstream, ofstream
#include <set>         // set
#include <string>      // string
#include <sys/wait.h>  // waitpid
#include <unistd.h>    // fork, pipe
#include <vector>      // vector

namespace fs = std::filesystem;

namespace {

/// "" when the outputs match, else the reason.
std::string compare(const moir::tensor& got, const moir::tensor& want, const std::string& name) {
    if (got.dims() != want.dims())
        return "wrong shape for " + name + ": [" + moir::to_string(got.dims()) + "], expected [" + moir::to_string(want.dims()) + "]";
    if (got.type() != want.type())
        return "wrong type for " + name + ": " + std::string(moir::ir_name(got.type())) + ", expected " +
               std::string(moir::ir_name(want.type()));
    if (moir::is_float(want.type())) {
        double worst = 0;
        std::size_t bad = 0;
        for (std::size_t i = 0; i < want.numel(); ++i) {
            const double a = got.at_as<double>(i), b = want.at_as<double>(i);
            if (std::isnan(a) && std::isnan(b)) continue;
            if (std::isinf(b) && a == b) continue;
            const double err = std::fabs(a - b);
            if (!(err <= 1e-5 + 1e-3 * std::fabs(b))) {
                ++bad;
                worst = std::isnan(err) ? err : std::max(worst, err);
            }
        }
        if (bad) return "wrong value for " + name + ": " + std::to_string(bad) + " elements off, max |error| " + std::to_string(worst);
        return "";
    }
    if (!got.same_as(want)) {
        std::size_t bad = 0;
        for (std::size_t i = 0; i < want.numel(); ++i) bad += got.at_as<double>(i) != want.at_as<double>(i);
        return "wrong value for " + name + ": " + std::to_string(bad) + " elements differ";
    }
    return "";
}

/// Runs one case; "" on success, else the reason.
std::string run_case(const fs::path& dir) {
    try {
        const auto pm = moir::onnx::proto::load_model_file((dir / "model.onnx").string());
        const moir::model m = moir::onnx::convert(pm, (dir / "model.onnx").string());
        // users find each output under the graph's output name, whatever node came to produce it
        for (std::size_t i = 0; i < m.results.size() && i < pm.graph.output.size(); ++i)
            if (m.output_name(i) != pm.graph.output[i].name)
                return "output " + std::to_string(i) + " is named '" + m.output_name(i) + "', the graph calls it '" +
                       pm.graph.output[i].name + "'";
        const fs::path data = dir / "test_data_set_0";
        std::vector<moir::tensor> inputs;
        for (std::size_t i = 0; i < m.parameters.size(); ++i) {
            const fs::path f = data / ("input_" + std::to_string(i) + ".pb");
            if (!fs::exists(f)) return "missing " + f.filename().string();
            inputs.push_back(moir::onnx::proto::to_moir_tensor(moir::onnx::proto::load_tensor_file(f.string()), data.string()));
        }
        const auto out = moir::reference_executor<>(m).run(inputs);
        for (std::size_t i = 0; i < out.size(); ++i) {
            const fs::path f = data / ("output_" + std::to_string(i) + ".pb");
            if (!fs::exists(f)) return "missing " + f.filename().string();
            const auto want = moir::onnx::proto::to_moir_tensor(moir::onnx::proto::load_tensor_file(f.string()), data.string());
            const std::string why = compare(out[i], want, m.output_name(i));
            if (!why.empty()) return why;
        }
        return "";
    } catch (const moir::unsupported_error& e) {
        return std::string("unsupported: ") + e.what();
    } catch (const std::exception& e) {
        return std::string("error: ") + e.what();
    }
}

/// Runs one case in a forked child: a crash or a hang fails only that case.
std::string run_isolated(const fs::path& dir, bool fork_cases) {
    if (!fork_cases) return run_case(dir);
    int fds[2];
    if (pipe(fds) != 0) return run_case(dir);
    const pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        alarm(60);
        const std::string r = run_case(dir);
        const ssize_t w = write(fds[1], r.data(), r.size());
        (void)w;
        close(fds[1]);
        _exit(0);
    }
    close(fds[1]);
    std::string r;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) r.append(buf, static_cast<std::size_t>(n));
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) return std::string("crash: ") + strsignal(WTERMSIG(status));
    return r;
}

std::set<std::string> read_list(const std::string& path) {
    std::set<std::string> s;
    std::ifstream f(path);
    for (std::string line; std::getline(f, line);) {
        const auto h = line.find('#');
        if (h != std::string::npos) line = line.substr(0, h);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.pop_back();
        if (!line.empty()) s.insert(line);
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir = "/usr/share/libonnx-testdata/data/node";
    std::string expected_path, write_path, filter;
    bool verbose = false, fork_cases = false;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "onnx_backend: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--data") data_dir = value();
        else if (a == "--expected") expected_path = value();
        else if (a == "--write-expected") write_path = value();
        else if (a == "--filter") filter = value();
        else if (a == "--verbose") verbose = true;
        else if (a == "--isolate") fork_cases = true;
        else if (a == "--no-fork") fork_cases = false;
        else {
            std::printf("usage: onnx_backend [--data DIR] [--expected FILE] [--filter TEXT] [--write-expected FILE] "
                        "[--verbose] [--isolate]\n");
            return a == "--help" ? 0 : 2;
        }
    }
    if (!fs::is_directory(data_dir)) {
        std::fprintf(stderr, "onnx_backend: %s not found: install Debian's libonnx-testdata (tools/setup.sh does)\n",
                     data_dir.c_str());
        return 1;
    }
    std::vector<fs::path> cases;
    for (const auto& e : fs::directory_iterator(data_dir))
        if (e.is_directory() && fs::exists(e.path() / "model.onnx") && e.path().filename().string().find(filter) != std::string::npos)
            cases.push_back(e.path());
    std::sort(cases.begin(), cases.end());
    const std::set<std::string> expected = expected_path.empty() ? std::set<std::string>{} : read_list(expected_path);

    std::size_t passed = 0, failed = 0, regressions = 0, fixed = 0;
    std::vector<std::string> failures;
    for (const auto& c : cases) {
        const std::string name = c.filename().string();
        const std::string why = run_isolated(c, fork_cases);
        const bool listed = expected.count(name) > 0;
        if (why.empty()) {
            ++passed;
            if (listed) {
                ++fixed;
                std::printf("NOW PASSING %s: remove it from the expected failures\n", name.c_str());
            } else if (verbose) {
                std::printf("ok   %s\n", name.c_str());
            }
        } else {
            ++failed;
            failures.push_back(name);
            std::string line = why.substr(0, why.find('\n'));
            if (line.size() > 300) line = line.substr(0, 300) + "...";
            if (!expected_path.empty() && !listed) ++regressions;
            std::printf("%s %s: %s\n", !expected_path.empty() && !listed ? "REGRESSION" : "FAIL", name.c_str(), line.c_str());
        }
    }
    if (!write_path.empty()) {
        std::ofstream f(write_path);
        f << "# ONNX backend node tests (libonnx-testdata 1.12.0) that moir does not pass yet.\n"
             "# Regenerate: build/tests/onnx_backend --write-expected tests/conformance/expected_failures.txt\n";
        for (const auto& n : failures) f << n << "\n";
    }
    const double pct = cases.empty() ? 0.0 : 100.0 * static_cast<double>(passed) / static_cast<double>(cases.size());
    std::printf("%zu of %zu cases pass (%.1f%%)\n", passed, cases.size(), pct);
    if (!expected_path.empty()) std::printf("%zu unexpected failures, %zu listed failures now pass\n", regressions, fixed);
    std::printf("conformance: %zu passed, %zu failed\n", passed, failed);
    return regressions || fixed ? 1 : 0;
}
