// `moir run`: run a model on .npy inputs, write one .npy per output, named after the graph's output.

#include "cli.hpp"

#include <moir/io/npy.hpp>
#include <moir/runtime/onnxruntime.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>  // sort
#include <iostream>   // cout, cerr
#include <memory>     // unique_ptr, make_shared
#include <string>     // string
#include <vector>     // vector

namespace moir::cli {

namespace {

struct run_args {
    std::string model_path;
    std::vector<std::string> inputs;
    std::string output_dir = ".";
    std::size_t threads = 0;  ///< 0: the reference executor; N: the compiled plan with N threads
    std::string shapes;       ///< --input_shape: the inputs' shapes in order, for a model that needs them to load
};

int run_run(const run_args& a, const frontends::frontend_registry& registry);

}  // namespace

command add_run(CLI::App& app, const frontends::frontend_registry& registry) {
    auto args = std::make_shared<run_args>();
    run_args& a = *args;
    auto* c = app.add_subcommand("run", "Run a model on .npy inputs and write one .npy per output");
    c->add_option("--model,-m", a.model_path, "The model (" + registry.names() + ")")->required();
    c->add_option("--input,-i", a.inputs,
                  "NAME=FILE.npy, or NAME=DIR to run once per .npy file in DIR (sorted); "
                  "a single-input model also takes FILE.npy or DIR")
        ->required();
    c->add_option("--output_dir,-o", a.output_dir, "Folder for the outputs (default: the current folder)");
    c->add_option("--input_shape", a.shapes,
                  "The inputs' shapes in order, [300,23] or [1,3,48,192],[1,10] (as moir convert), for a model "
                  "that needs them to load (a Kaldi model's number of frames)");
    c->add_option_function<std::string>(
        "--fallback_library", [](const std::string& v) { moir::onnxruntime::set_library(v); },
        "The libonnxruntime.so that runs OnnxFallback layers (default: $MOIR_ONNXRUNTIME, else onnxruntime-node's "
        "copy under third_party/, else the system's; docs/fallback.md)");
    c->add_option("--threads,-t", a.threads,
                  "Run on the compiled plan (fast kernels) with N threads; default: the reference executor");
    return [args, &registry]() { return run_run(*args, registry); };
}

namespace {
/// The .npy files of a folder, sorted by name.
std::vector<std::string> npy_files(const std::string& dir) {
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && extension(e.path().string()) == ".npy") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    MOIR_CHECK(!files.empty(), error, dir + " holds no .npy file");
    return files;
}

int run_run(const run_args& a, const frontends::frontend_registry& registry) {
    const model m = load_model(registry, a.model_path, a.shapes);
    // bind each --input to a model input: one file or a sorted folder of files
    std::vector<std::vector<std::string>> files(m.parameters.size());
    for (const auto& spec : a.inputs) {
        std::string name, path;
        const auto eq = spec.find('=');
        if (eq == std::string::npos) {
            MOIR_CHECK(m.parameters.size() == 1, error,
                       "--input " + spec + ": the model has " + std::to_string(m.parameters.size()) +
                           " inputs, name each one (NAME=FILE.npy)");
            name = m.input_name(0);
            path = spec;
        } else {
            name = spec.substr(0, eq);
            path = spec.substr(eq + 1);
        }
        std::size_t idx = m.parameters.size();
        for (std::size_t i = 0; i < m.parameters.size(); ++i) {
            const auto& names = m.at(m.parameters[i]).outputs[0].names;
            if (m.at(m.parameters[i]).name == name || std::find(names.begin(), names.end(), name) != names.end()) idx = i;
        }
        if (idx == m.parameters.size()) {
            std::string known;
            for (std::size_t i = 0; i < m.parameters.size(); ++i) known += (i ? ", " : "") + m.input_name(i);
            throw error("--input " + spec + ": the model has no input '" + name + "' (inputs: " + known + ")");
        }
        MOIR_CHECK(files[idx].empty(), error, "--input " + spec + ": input '" + name + "' is given twice");
        MOIR_CHECK(fs::exists(path), error, "cannot open " + path + ": no such file or folder");
        files[idx] = fs::is_directory(path) ? npy_files(path) : std::vector<std::string>{path};
    }
    std::size_t runs = 1;
    bool batch = false;
    for (std::size_t i = 0; i < files.size(); ++i)
        MOIR_CHECK(!files[i].empty(), error, "no --input for model input '" + m.input_name(i) + "'");
    for (const auto& spec : a.inputs) {
        const auto eq = spec.find('=');
        if (fs::is_directory(eq == std::string::npos ? spec : spec.substr(eq + 1))) batch = true;
    }
    for (const auto& f : files) {
        if (f.size() == 1) continue;
        MOIR_CHECK(runs == 1 || runs == f.size(), error, "input folders hold different numbers of .npy files");
        runs = f.size();
    }
    if (batch)
        for (const auto& f : files) runs = std::max(runs, f.size());

    reference_executor<> ex(m);
    std::unique_ptr<runtime::plan_cache> fast;
    if (a.threads) {
        runtime::plan_options opt;
        opt.threads = a.threads;
        fast = std::make_unique<runtime::plan_cache>(m, opt);
    }
    // compute everything first: no output is written unless every run succeeds
    std::vector<std::pair<std::string, tensor>> results;
    for (std::size_t r = 0; r < runs; ++r) {
        std::vector<tensor> in;
        std::string stem;
        for (std::size_t i = 0; i < files.size(); ++i) {
            const std::string& file = files[i].size() == 1 ? files[i][0] : files[i][r];
            if (files[i].size() > 1 && stem.empty()) stem = fs::path(file).stem().string();
            const auto& p = m.at(m.parameters[i]).attrs_as<ops::parameter>();
            std::vector<std::string> notes;
            in.push_back(npy::as_input(npy::load(file), p.element_type, file, m.input_name(i), notes));
            for (const auto& n : notes) std::cerr << "moir: note: " << n << "\n";
        }
        if (batch && stem.empty()) stem = fs::path(files[0][0]).stem().string();
        const auto out = fast ? fast->run(in) : ex.run(in);
        for (std::size_t o = 0; o < out.size(); ++o) {
            fs::path dir = a.output_dir;
            if (batch) dir /= stem;
            results.emplace_back((dir / (sanitize(m.output_name(o)) + ".npy")).string(), out[o]);
        }
    }
    for (const auto& [path, t] : results) {
        fs::create_directories(fs::path(path).parent_path());
        npy::save(path, t);
        std::cout << path << ": " << ir_name(t.type()) << "[" << to_string(t.dims()) << "]\n";
    }
    return 0;
}

}  // namespace

}  // namespace moir::cli
