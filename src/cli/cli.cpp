// The moir tool's main over a frontend registry: `moir convert` turns a framework model into
// OpenVINO IR, `moir run` runs a model on .npy inputs, `moir info` describes a model, `moir bench`
// times it, `moir codegen` compiles it into a C++ header. Flags follow OpenVINO's Model Optimizer,
// spelled with underscores or hyphens.

#include "cli.hpp"

#include <moir/core/errors.hpp>
#include <moir/extension/plugin.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>  // find, min, reverse
#include <exception>  // exception
#include <iostream>   // cerr
#include <string>     // string
#include <vector>     // vector

namespace moir::cli {

namespace {

/// Edit distance between two flag names (for "did you mean").
std::size_t distance(const std::string& a, const std::string& b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

/// "--data-type" -> "--data_type" (the name part only: "--mean-values=[1,2]" keeps its value).
std::string underscored(const std::string& arg) {
    std::string out = arg;
    const auto end = std::min(out.find('='), out.size());
    for (std::size_t i = 2; i < end; ++i)
        if (out[i] == '-') out[i] = '_';
    return out;
}

/// The long flag names (without dashes) of a subcommand.
std::vector<std::string> long_names(const CLI::App& sub) {
    std::vector<std::string> names{"help"};
    for (const CLI::Option* o : sub.get_options())
        for (const auto& n : o->get_lnames()) names.push_back(n);
    return names;
}

}  // namespace

int main(int argc, char** argv, const frontends::frontend_registry& registry) {
    CLI::App app{"moir: a header-only model optimizer and CPU inference engine (" + registry.names() +
                 " -> OpenVINO IR)"};
    app.name("moir");
    app.require_subcommand(1);
    app.footer("Exit status: 0 success, 1 error, 2 usage error. Flags take underscores or hyphens "
               "(--data_type or --data-type).");
    const command convert = add_convert(app, registry);
    const command run = add_run(app, registry);
    const command info = add_info(app, registry);
    const command bench = add_bench(app, registry);
    const command codegen = add_codegen(app, registry);
    // --extensions: shared libraries of ops and frontend mappings (docs/custom-layers.md), loaded
    // before the subcommand runs
    std::vector<std::string> extension_paths;
    for (const char* name : {"convert", "run", "info", "bench"})
        app.get_subcommand(name)
            ->add_option("--extensions", extension_paths,
                         "Extension libraries (lib.so) that define custom ops and their frontend mappings; "
                         "repeatable or comma-separated (docs/custom-layers.md)")
            ->delimiter(',');

    // The Model Optimizer's guides spell flags with hyphens too: both spellings are accepted. An
    // unknown flag is answered with the closest known one of its subcommand.
    std::vector<std::string> args;
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    const CLI::App* sub = nullptr;
    bool after_separator = false;
    for (auto& arg : args) {
        if (after_separator) continue;
        if (arg == "--") {
            after_separator = true;
            continue;
        }
        if (!sub && arg.rfind("-", 0) != 0) {
            for (const CLI::App* s : app.get_subcommands([](const CLI::App*) { return true; }))
                if (s->get_name() == arg) sub = s;
            continue;
        }
        if (arg.size() <= 2 || arg.rfind("--", 0) != 0) continue;
        const std::string given = arg.substr(0, arg.find('='));
        arg = underscored(arg);
        if (!sub) continue;
        const std::string name = underscored(given).substr(2);
        const auto known = long_names(*sub);
        if (std::find(known.begin(), known.end(), name) != known.end()) continue;
        std::string best;
        std::size_t best_d = static_cast<std::size_t>(-1);
        for (const auto& k : known)
            if (const std::size_t d = distance(name, k); d < best_d) best_d = d, best = k;
        std::cerr << "moir " << sub->get_name() << ": error: unknown flag " << given
                  << (best_d <= std::max<std::size_t>(3, name.size() / 3) ? "; did you mean --" + best + "?" : "")
                  << " (moir " << sub->get_name() << " --help lists them)\n";
        return 2;
    }
    std::reverse(args.begin(), args.end());  // CLI11 takes the arguments in reverse order
    try {
        app.parse(args);
    } catch (const CLI::Success& e) {  // --help
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);  // prints the message
        return 2;
    }
    try {
        for (const auto& path : extension_paths) moir::load_extension(path);
        if (app.got_subcommand("convert")) return convert();
        if (app.got_subcommand("run")) return run();
        if (app.got_subcommand("info")) return info();
        if (app.got_subcommand("bench")) return bench();
        if (app.got_subcommand("codegen")) return codegen();
    } catch (const std::exception& e) {
        std::cerr << "moir: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}

}  // namespace moir::cli
