// `moir bench`: latency and throughput of a model on the compiled plan (runtime/plan.hpp), in the
// manner of OpenVINO's benchmark_app: warm-up runs, then timed synchronous runs; prints the median,
// min, p90 latency and the throughput, optionally as one JSON object and with a per-step table.

#include "cli.hpp"

#include <moir/io/npy.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/runtime/onnxruntime.hpp>
#include <moir/runtime/plan.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>  // sort, max, nth_element
#include <chrono>     // steady_clock
#include <cstdio>     // snprintf
#include <iostream>   // cout
#include <map>        // map
#include <memory>     // make_shared
#include <random>     // mt19937
#include <sstream>    // ostringstream
#include <string>     // string
#include <vector>     // vector

namespace moir::cli {

namespace {

struct bench_args {
    std::string model_path;
    std::vector<std::string> inputs;
    std::vector<std::string> shapes;
    std::size_t threads = 0;
    std::size_t iterations = 50;
    std::size_t warmup = 5;
    bool json = false;
    bool per_layer = false;
    bool reference = false;
    bool no_optimize = false;
    bool no_int8 = false;
    bool no_pin = false;
    bool keep_denormals = false;
    std::string arch;
};

int run_bench(const bench_args& a, const frontends::frontend_registry& registry);

}  // namespace

command add_bench(CLI::App& app, const frontends::frontend_registry& registry) {
    auto args = std::make_shared<bench_args>();
    bench_args& a = *args;
    auto* c = app.add_subcommand(
        "bench", "Measure inference latency and throughput on the compiled plan (like OpenVINO's benchmark_app)");
    c->add_option("--model,-m", a.model_path, "The model (.xml or .onnx)")->required();
    c->add_option("--input,-i", a.inputs,
                  "NAME=FILE.npy: the input's value (a single-input model also takes FILE.npy); fixes its shape");
    c->add_option("--shape", a.shapes,
                  "NAME=[1,3,224,224] (or [1,3,224,224] for a single-input model): the input's shape, filled with "
                  "random values in [0, 1); needed for inputs with dynamic dims and no --input");
    c->add_option_function<std::string>(
        "--fallback_library", [](const std::string& v) { moir::onnxruntime::set_library(v); },
        "The libonnxruntime.so that runs OnnxFallback layers (default: $MOIR_ONNXRUNTIME, else onnxruntime-node's "
        "copy under third_party/, else the system's; docs/fallback.md)");
    c->add_option("--threads,-t", a.threads, "Worker threads (default: all hardware threads; 1: no threads)");
    c->add_flag("--no_pin", a.no_pin,
                "Do not bind the worker threads to CPUs of their own (plan_options::pin_threads; to compare)");
    c->add_flag("--keep_denormals", a.keep_denormals,
                "Compute with denormal floats as IEEE 754 has them instead of flushing them to zero "
                "(plan_options::flush_denormals; slower on Intel CPUs where weights hold denormals; to compare)");
    c->add_option("--iterations,-n", a.iterations, "Timed runs (default 50)")->check(CLI::PositiveNumber);
    c->add_option("--warmup", a.warmup, "Untimed runs first (default 5)");
    c->add_flag("--json", a.json, "Print one JSON object (median_ms, min_ms, p90_ms, mean_ms, max_ms, fps, ...)");
    c->add_flag("--per_layer", a.per_layer, "Also time every plan step (the median over as many profiled runs as timed ones): op type(s), kernel, share of the total");
    c->add_option("--arch", a.arch, "Fast-kernel arch: avx512, avx2 or reference (default: the best this CPU runs)");
    c->add_flag("--reference", a.reference, "Run every node on its reference kernel (no fast steps, no fusion)");
    c->add_flag("--no_int8", a.no_int8,
                "Leave the INT8 kernels off: FakeQuantize runs in FP32 and quantized layers on their dequantized "
                "weights (to time an INT8 IR against its own FP32 arithmetic)");
    c->add_flag("--no_optimize", a.no_optimize,
                "Do not run moir's graph optimizations on a framework model (an .xml model is always run as is)");
    return [args, &registry]() { return run_bench(*args, registry); };
}

namespace {

/// "NAME=VALUE" -> (NAME, VALUE); a bare VALUE names the only input.
std::pair<std::size_t, std::string> bind_input(const model& m, const std::string& spec, const char* flag,
                                                      bool value_has_eq) {
    std::string name, value;
    const auto eq = spec.find('=');
    if (eq == std::string::npos || (value_has_eq && spec.front() == '[')) {
        MOIR_CHECK(m.parameters.size() == 1, error,
                   std::string(flag) + " " + spec + ": the model has " + std::to_string(m.parameters.size()) +
                       " inputs, name each one (NAME=...)");
        return {0, spec};
    }
    name = spec.substr(0, eq);
    value = spec.substr(eq + 1);
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const auto& names = m.at(m.parameters[i]).outputs[0].names;
        if (m.at(m.parameters[i]).name == name || std::find(names.begin(), names.end(), name) != names.end())
            return {i, value};
    }
    std::string known;
    for (std::size_t i = 0; i < m.parameters.size(); ++i) known += (i ? ", " : "") + m.input_name(i);
    throw error(std::string(flag) + " " + spec + ": the model has no input '" + name + "' (inputs: " + known + ")");
}

/// Random values in [0, 1) (floats) or 0/1 (integers, booleans).
tensor random_input(element_type t, const shape& s, std::mt19937& rng) {
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> v(numel(s));
    for (auto& x : v) x = u(rng);
    tensor f = tensor::from_vector(v, s);
    return t == element_type::f32 ? f : f.converted(t);
}

std::string json_escape(const std::string& s) {
    std::string o;
    for (char ch : s) {
        if (ch == '"' || ch == '\\') o += '\\', o += ch;
        else if (static_cast<unsigned char>(ch) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", ch);
            o += buf;
        } else o += ch;
    }
    return o;
}

/// The q-quantile (0..1) of sorted values, nearest rank.
double quantile(const std::vector<double>& sorted, double q) {
    if (sorted.empty()) return 0.0;
    const auto i = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(i, sorted.size() - 1)];
}

std::string fixed(double v, int digits = 3) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

int run_bench(const bench_args& a, const frontends::frontend_registry& registry) {
    // CLI11 reads a bare "[1,3,48,192]" as the list 1, 3, 48, 192: join the bare dims back into one shape
    std::vector<std::string> shape_specs;
    std::string bare_dims;
    for (const auto& item : a.shapes) {
        if (!item.empty() && item.find_first_not_of("0123456789?-[] ") == std::string::npos) {
            for (char ch : item)
                if (ch != '[' && ch != ']') bare_dims += ch;
            bare_dims += ',';
        } else {
            shape_specs.push_back(item);
        }
    }
    if (!bare_dims.empty()) shape_specs.push_back("[" + bare_dims.substr(0, bare_dims.size() - 1) + "]");
    frontends::load_request req;
    req.input_model = a.model_path;
    // a named --shape is also the load's input shape (as convert's --input_shape): a model whose file
    // declares a placeholder shape (a TFLite [1,1]) is shaped before its layers are, and shape
    // sub-graphs fold at load
    for (const auto& spec : shape_specs) {
        const auto eq = spec.rfind('=');
        if (eq != std::string::npos && eq > 0 && spec.find('[') > eq)
            req.options.input_shapes[spec.substr(0, eq)] = parse_shape(spec.substr(eq + 1));
        else if (eq == std::string::npos && a.inputs.empty())
            req.options.input_shapes_by_position.push_back(parse_shape(spec));
    }
    model m = registry.load(req);
    if (!a.no_optimize && !is_ir(registry, a.model_path)) {
        passes::pass_context ctx;
        passes::optimize(m, ctx);
    }
    // input values and shapes: --input files, then --shape, then the model's static shapes
    std::vector<tensor> values(m.parameters.size());
    std::vector<shape> shapes(m.parameters.size());
    std::vector<bool> known(m.parameters.size(), false);
    for (const auto& spec : a.inputs) {
        const auto [i, file] = bind_input(m, spec, "--input", false);
        MOIR_CHECK(fs::exists(file), error, "cannot open " + file + ": no such file");
        const auto& p = m.at(m.parameters[i]).attrs_as<ops::parameter>();
        std::vector<std::string> notes;
        values[i] = npy::as_input(npy::load(file), p.element_type, file, m.input_name(i), notes);
        for (const auto& n : notes) std::cerr << "moir: note: " << n << "\n";
        shapes[i] = values[i].dims();
        known[i] = true;
    }
    for (const auto& spec : shape_specs) {
        const auto [i, text] = bind_input(m, spec, "--shape", true);
        MOIR_CHECK(!known[i], error, "--shape " + spec + ": input '" + m.input_name(i) + "' already has a value or shape");
        const partial_shape s = parse_shape(text);
        MOIR_CHECK(s.is_static(), error, "--shape " + spec + ": the shape must be static");
        shapes[i] = s.dims;
        known[i] = true;
    }
    std::mt19937 rng(2026);
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const auto& p = m.at(m.parameters[i]).attrs_as<ops::parameter>();
        if (!known[i]) {
            MOIR_CHECK(p.shape.is_static(), error,
                       "input '" + m.input_name(i) + "' has shape " + p.shape.str() + ": give --shape " +
                           m.input_name(i) + "=[...] or --input " + m.input_name(i) + "=FILE.npy");
            shapes[i] = p.shape.dims;
        }
        if (values[i].empty()) values[i] = random_input(p.element_type, shapes[i], rng);
    }

    runtime::plan_options opt;
    opt.threads = a.threads;
    opt.pin_threads = !a.no_pin;
    opt.flush_denormals = !a.keep_denormals;
    opt.fast = !a.reference;
    opt.arch = a.arch;
    opt.int8 = !a.no_int8;
    const auto c0 = std::chrono::steady_clock::now();
    runtime::plan p(m, shapes, opt);
    const double compile_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count();

    for (std::size_t i = 0; i < a.warmup; ++i) p.run(values);
    std::vector<double> lat;
    lat.reserve(a.iterations);
    for (std::size_t i = 0; i < a.iterations; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        p.run(values);
        lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    std::vector<double> sorted = lat;
    std::sort(sorted.begin(), sorted.end());
    double total = 0.0;
    for (double v : lat) total += v;
    const double median = quantile(sorted, 0.5), mean = total / static_cast<double>(lat.size());
    const double p90 = quantile(sorted, 0.9);
    const double batch = shapes.empty() || shapes[0].empty() ? 1.0 : static_cast<double>(shapes[0][0]);
    const double fps = median > 0 ? 1000.0 * batch / median : 0.0;

    std::size_t fast = 0;
    for (const auto& s : p.steps()) fast += s->kernel != "reference";
    // per step: the median over as many profiled runs as timed ones (at least 1): on a shared
    // machine a spell of other work lands in some runs' steps, which a mean would spread over all
    std::vector<double> per_step(p.steps().size(), 0.0);
    if (a.per_layer) {
        std::vector<double> ms;
        std::vector<std::vector<double>> runs(p.steps().size());
        for (std::size_t i = 0; i < a.iterations; ++i) {
            p.run(values, &ms);
            for (std::size_t s = 0; s < ms.size(); ++s) runs[s].push_back(ms[s]);
        }
        for (std::size_t s = 0; s < runs.size(); ++s) {
            auto& v = runs[s];
            std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
            per_step[s] = v[v.size() / 2];
        }
    }
    double step_total = 0.0;
    for (double v : per_step) step_total += v;

    std::string shape_text;
    for (std::size_t i = 0; i < shapes.size(); ++i)
        shape_text += (i ? ", " : "") + m.input_name(i) + "=[" + to_string(shapes[i]) + "]";
    if (a.json) {
        std::ostringstream o;
        o << "{\"model\": \"" << json_escape(a.model_path) << "\", \"inputs\": \"" << json_escape(shape_text)
          << "\", \"arch\": \"" << p.arch() << "\", \"int8\": " << (a.no_int8 ? "false" : "true") << ", \"threads\": " << p.threads() << ", \"iterations\": " << a.iterations
          << ", \"warmup\": " << a.warmup << ", \"median_ms\": " << median << ", \"min_ms\": " << sorted.front()
          << ", \"p90_ms\": " << p90 << ", \"mean_ms\": " << mean << ", \"max_ms\": " << sorted.back()
          << ", \"fps\": " << fps << ", \"compile_ms\": " << compile_ms << ", \"steps\": " << p.steps().size()
          << ", \"fast_steps\": " << fast << ", \"arena_bytes\": " << p.arena_bytes();
        if (a.per_layer) {
            o << ", \"layers\": [";
            for (std::size_t s = 0; s < p.steps().size(); ++s) {
                const auto& st = *p.steps()[s];
                o << (s ? ", " : "") << "{\"name\": \"" << json_escape(st.name) << "\", \"ops\": \""
                  << json_escape(st.ops) << "\", \"kernel\": \"" << json_escape(st.kernel)
                  << "\", \"ms\": " << per_step[s] << "}";
            }
            o << "]";
        }
        o << "}";
        std::cout << o.str() << "\n";
        return 0;
    }
    std::cout << "[ INFO ] model: " << a.model_path << "\n"
              << "[ INFO ] inputs: " << shape_text << "\n"
              << "[ INFO ] plan: " << p.steps().size() << " steps (" << fast << " fast, " << p.steps().size() - fast
              << " reference), arch " << p.arch() << ", " << p.threads() << " thread" << (p.threads() == 1 ? "" : "s")
              << ", arena " << human_bytes(p.arena_bytes()) << " (activations " << human_bytes(p.activation_bytes())
              << "), compiled in " << fixed(compile_ms, 1) << " ms\n";
    if (a.per_layer) {
        std::cout << "[ INFO ] per step (median of " << a.iterations << " profiled runs):\n";
        char line[512];
        std::snprintf(line, sizeof line, "  %4s  %10s  %6s  %-32s  %-28s  %s\n", "#", "ms", "%", "ops", "kernel", "node");
        std::cout << line;
        for (std::size_t s = 0; s < p.steps().size(); ++s) {
            const auto& st = *p.steps()[s];
            std::snprintf(line, sizeof line, "  %4zu  %10.4f  %6.2f  %-32s  %-28s  %s\n", s, per_step[s],
                          step_total > 0 ? 100.0 * per_step[s] / step_total : 0.0, st.ops.c_str(), st.kernel.c_str(),
                          st.name.c_str());
            std::cout << line;
        }
        // totals by kernel
        std::map<std::string, std::pair<double, std::size_t>> by_kernel;
        for (std::size_t s = 0; s < p.steps().size(); ++s) {
            std::string k = p.steps()[s]->kernel;
            if (k == "reference") k += " " + p.steps()[s]->ops;
            auto& e = by_kernel[k];
            e.first += per_step[s];
            ++e.second;
        }
        std::vector<std::pair<std::string, std::pair<double, std::size_t>>> rows(by_kernel.begin(), by_kernel.end());
        std::sort(rows.begin(), rows.end(), [](const auto& x, const auto& y) { return x.second.first > y.second.first; });
        std::cout << "[ INFO ] by kernel:\n";
        for (const auto& [k, e] : rows) {
            std::snprintf(line, sizeof line, "  %10.4f ms  %6.2f %%  %4zu x  %s\n", e.first,
                          step_total > 0 ? 100.0 * e.first / step_total : 0.0, e.second, k.c_str());
            std::cout << line;
        }
    }
    std::cout << "[ INFO ] Count:      " << a.iterations << " iterations (after " << a.warmup << " warm-up)\n"
              << "[ INFO ] Latency:\n"
              << "[ INFO ]    Median:  " << fixed(median) << " ms\n"
              << "[ INFO ]    Average: " << fixed(mean) << " ms\n"
              << "[ INFO ]    Min:     " << fixed(sorted.front()) << " ms\n"
              << "[ INFO ]    p90:     " << fixed(p90) << " ms\n"
              << "[ INFO ]    Max:     " << fixed(sorted.back()) << " ms\n"
              << "[ INFO ] Throughput: " << fixed(fps, 2) << " FPS\n";
    return 0;
}

}  // namespace

}  // namespace moir::cli
