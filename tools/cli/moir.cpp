// moir: the command-line tool. `moir convert` turns a framework model into OpenVINO IR, `moir run`
// runs a model on .npy inputs, `moir info` describes a model, `moir bench` times it. Flags follow OpenVINO's Model
// Optimizer where it has one.

#include "bench.hpp"
#include "convert.hpp"
#include "info.hpp"
#include "run.hpp"

#include <CLI/CLI.hpp>

#include <exception>  // exception
#include <iostream>   // cerr

int main(int argc, char** argv) {
    CLI::App app{"moir: a header-only model optimizer and CPU inference engine (ONNX -> OpenVINO IR)"};
    app.require_subcommand(1);
    moir::cli::convert_args convert;
    moir::cli::run_args run;
    moir::cli::info_args info;
    moir::cli::bench_args bench;
    moir::cli::add_convert(app, convert);
    moir::cli::add_run(app, run);
    moir::cli::add_info(app, info);
    moir::cli::add_bench(app, bench);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    try {
        if (app.got_subcommand("convert")) return moir::cli::run_convert(convert);
        if (app.got_subcommand("run")) return moir::cli::run_run(run);
        if (app.got_subcommand("info")) return moir::cli::run_info(info);
        if (app.got_subcommand("bench")) return moir::cli::run_bench(bench);
    } catch (const std::exception& e) {
        std::cerr << "moir: error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
