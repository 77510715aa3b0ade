#ifndef MOIR_SRC_CLI_CLI_HPP
#define MOIR_SRC_CLI_CLI_HPP

// The moir command-line tool's shared declarations: one add_* per subcommand (each in its own TU,
// src/cli/<name>.cpp), the tool's main over a frontend registry (src/cli/cli.cpp), and helpers.

#include <moir/convert/flags.hpp>
#include <moir/core/model.hpp>
#include <moir/frontends/registry.hpp>

#include <CLI/CLI.hpp>

#include <cctype>      // isalnum
#include <cstdio>      // snprintf
#include <filesystem>  // path
#include <functional>  // function
#include <string>      // string
#include <vector>      // vector

namespace moir::cli {

namespace fs = std::filesystem;
using flags::parse_shape;
using flags::parse_shapes;
using flags::split_list;

/// Lower-case extension with the dot: ".onnx", ".xml".
inline std::string extension(const std::string& path) { return frontends::extension_of(path); }

/// One subcommand's entry point, made by its add_* function once its flags are registered.
using command = std::function<int()>;

/// Each subcommand's TU (src/cli/<name>.cpp) registers its flags on `app` and returns what runs it;
/// `registry` holds the frontends the tool loads models with.
command add_convert(CLI::App& app, const frontends::frontend_registry& registry);
command add_run(CLI::App& app, const frontends::frontend_registry& registry);
command add_info(CLI::App& app, const frontends::frontend_registry& registry);
command add_bench(CLI::App& app, const frontends::frontend_registry& registry);
command add_codegen(CLI::App& app, const frontends::frontend_registry& registry);

/// The whole tool over `registry`: parses argv (flags as the Model Optimizer spells them, with
/// underscores or hyphens), runs the subcommand, prints errors as "moir: error: ...".
/// ensures: returns 0 on success, 1 on an error, 2 on a usage error (unknown flag or subcommand,
/// bad value), suggesting the closest known flag.
int main(int argc, char** argv, const frontends::frontend_registry& registry);

/// Loads a model (any frontend of `registry`: .onnx, .xml, ...) with the shapes of an --input_shape
/// flag's text ("[1,3,48,192],[1,10]": by position; empty: none).
inline model load_model(const frontends::frontend_registry& registry, const std::string& path,
                        const std::string& input_shape = {}) {
    frontends::load_request r;
    r.input_model = path;
    if (!input_shape.empty()) r.options.input_shapes_by_position = parse_shapes(input_shape);
    return registry.load(r);
}

/// Whether `path` is an OpenVINO IR (.xml), which moir bench and moir codegen run as it is, where a
/// framework model first gets moir convert's graph optimizations (passes::optimize).
inline bool is_ir(const frontends::frontend_registry& registry, const std::string& path) {
    frontends::load_request r;
    r.input_model = path;
    return registry.pick(r).name == "ir";
}

/// An output file name made from a tensor name: every character outside [A-Za-z0-9._-] becomes '_'.
inline std::string sanitize(const std::string& name) {
    std::string s = name;
    for (auto& ch : s)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-')) ch = '_';
    return s.empty() ? std::string("output") : s;
}

/// "4.7 MB"-style sizes.
inline std::string human_bytes(std::uintmax_t b) {
    char buf[32];
    if (b >= 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(b) / (1024.0 * 1024.0));
    else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(b) / 1024.0);
    else std::snprintf(buf, sizeof buf, "%ju B", b);
    return buf;
}

}  // namespace moir::cli

#endif  // MOIR_SRC_CLI_CLI_HPP
