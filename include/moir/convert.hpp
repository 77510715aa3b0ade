#ifndef MOIR_CONVERT_HPP
#define MOIR_CONVERT_HPP

// The conversion pipeline, as `moir convert` runs it, for any program: load a framework model (any
// frontend of the registry), cut it (--input/--output), fold the preprocessing into it (--layout,
// --reverse_input_channels, --mean_values, --scale_values/--scale), optimize it, calibrate and
// quantize it to INT8 (with accuracy control), compress its weights to FP16, check it against the
// loaded model, and write the IR.
//
//   moir::convert_options o;
//   o.input_model = "model.onnx";
//   o.input_shape = "[1,3,224,224]";
//   moir::conversion_result r = moir::convert(o);        // r.model, r.report
//   moir::saved_ir files = moir::save_ir(r, "out", "model");   // out/model.xml + out/model.bin
//
// The options are the Model Optimizer's flags as plain strings and numbers, spelled as the flags;
// nothing is printed: progress lines go to options.log, warnings to the report.

#include <moir/convert/calibration_data.hpp>
#include <moir/convert/flags.hpp>
#include <moir/core/limits.hpp>
#include <moir/frontends/frontends.hpp>
#include <moir/io/paths.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/passes/cut.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/passes/preprocess.hpp>
#include <moir/passes/quantize/accuracy_control.hpp>
#include <moir/passes/quantize/compress_fp16.hpp>
#include <moir/passes/quantize/quantize_int8.hpp>
#include <moir/runtime/compare_models.hpp>

#include <cstdlib>     // strtod
#include <filesystem>  // create_directories, path
#include <functional>  // function
#include <map>         // map
#include <optional>    // optional
#include <string>      // string
#include <utility>     // pair
#include <vector>      // vector

namespace moir {

/// What `moir convert` takes, flag by flag (the Model Optimizer's names and value syntax).
struct convert_options {
    std::string input_model;  ///< --input_model: the model file
    std::string framework;    ///< --framework: a frontend's name; "" recognises the file
    std::map<std::string, std::string> framework_options;  ///< framework flags (frontends::load_options)
    /// --fallback: "onnxruntime" keeps the parts of an ONNX model that moir cannot convert as ONNX
    /// models run by onnxruntime at inference (docs/fallback.md); "" (default): they are an error.
    std::string fallback;
    /// --fallback_library: the libonnxruntime.so to load (default: runtime/onnxruntime.hpp's search).
    std::string fallback_library;
    std::string transformations_config;  ///< --transformations_config: sub-graph replacements (TensorFlow)
    std::string output_dir = ".";  ///< --output_dir: where save_ir writes (created when missing)
    std::string model_name;        ///< --model_name: the IR files' name (default: the model file's stem)
    std::string input_shape;  ///< --input_shape: "[1,3,640,640]" or "[1,3,224,224],[1,10]"
    std::string input, output;             ///< --input / --output: cutting (passes/cut.hpp grammar)
    std::string mean_values, scale_values;  ///< per-channel, "[1,2,3]" or "name[1,2,3],..."
    std::string scale;                      ///< one divisor for every original input
    std::string layout, source_layout;      ///< "nhwc", "in(nhwc->nchw)", ...
    bool reverse_input_channels = false;
    bool disable_fusing = false;
    bool compress_to_fp16 = false;
    bool static_shape = false;              ///< fold shape sub-graphs even without --input_shape
    std::string data_type = "FP32";         ///< FP32, FP16 (= compress_to_fp16) or INT8
    // INT8 (data_type INT8)
    std::string calibration_data;           ///< DIR or NAME=DIR[,NAME=DIR...] of .npy files
    std::string calibration_method = "percentile";  ///< minmax, percentile or mse
    std::string quantization_preset = "mixed";      ///< performance (symmetric) or mixed (asymmetric)
    double calibration_percentile = 99.99;
    std::size_t calibration_subset = 0;     ///< 0: every set
    double max_accuracy_drop = -1;          ///< < 0: no accuracy control
    std::string validation_data;            ///< accuracy-control inputs (default: the calibration data)
    std::string accuracy_ranking = "output_error";  ///< output_error or recovery
    std::string keep_fp32;                  ///< layer names kept in FP32, comma-separated
    std::string fp32_layer_weights = "auto";  ///< auto, int8 or fp32
    std::string overflow_fix = "disable";     ///< enable: 7-bit convolution and MatMul weights
    double smooth_quant = 0;                ///< channel smoothing alpha (0: off)
    double smooth_ratio = 5;                ///< channel spread above which smooth_quant applies
    // checking
    std::size_t check = 0;                  ///< random inputs to compare before/after (0: none)
    double check_tolerance = -1;            ///< < 0: 1e-4 FP32, 1e-2 FP16, 1 INT8
    std::size_t threads = 0;                ///< for calibration and accuracy control (0: all cores)
    /// Progress lines of the long steps (calibration, accuracy control); none when empty.
    std::function<void(const std::string&)> log;
};

/// What the accuracy control decided (data_type INT8 with max_accuracy_drop >= 0).
struct accuracy_control_summary {
    double fp32_metric = 0, int8_metric = 0, final_metric = 0;
    std::vector<std::string> reverted, compressed, compressed_fp16, full_range;
    std::size_t validation_runs = 0;
    bool met = false;
};

/// What a conversion did, for reports.
struct conversion_report {
    std::map<std::string, std::size_t> ops_before, ops_after;  ///< IR op type -> count (no Parameter/Result)
    std::size_t parameters_before = 0, parameters_after = 0;   ///< weight elements
    std::vector<passes::pass_record> passes;                   ///< what each pass changed
    std::vector<std::string> warnings;
    passes::int8_report int8;                                  ///< data_type INT8
    std::size_t calibration_sets = 0;
    std::optional<accuracy_control_summary> accuracy_control;
    std::optional<model_difference> check;                      ///< options.check > 0
    /// The options as the IR's <rt_info><conversion_parameters> records them.
    std::vector<std::pair<std::string, std::string>> ir_parameters;
};

/// A converted model, the model as loaded (cut and preprocessed, before optimization: --check and
/// --report compare against it), and the report.
struct conversion_result {
    moir::model model;
    moir::model original;
    conversion_report report;
};

/// Op counts by IR type, without Parameter/Result, the ops inside bodies (If, Loop) included.
template <class = void>
inline std::map<std::string, std::size_t> op_counts(const model& m) {
    std::map<std::string, std::size_t> ops;
    m.for_each_node_deep([&](const node& n) {
        if (!n.is<ops::parameter>() && !n.is<ops::result>()) ops[std::string(n.op->ir_name)]++;
    });
    return ops;
}
/// The number of weight elements (every Constant's, those inside bodies included).
template <class = void>
inline std::size_t parameter_count(const model& m) {
    std::size_t p = 0;
    m.for_each_node_deep([&](const node& n) {
        if (n.is<ops::constant>()) p += n.attrs_as<ops::constant>().value.numel();
    });
    return p;
}

namespace detail {
/// --scale as a number (none when not given). ensures: throws moir::error for other text.
template <class = void>
inline std::optional<double> scale_of(const convert_options& a) {
    if (a.scale.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(a.scale.c_str(), &end);
    MOIR_CHECK(end == a.scale.c_str() + a.scale.size(), error, "--scale '" + a.scale + "' is not a number");
    return v;
}
/// Checks the options' syntax and combinations before anything is loaded, and returns the cut.
template <class = void>
inline passes::cut_options check_options(const convert_options& a) {
    auto member = [](const std::string& v, std::initializer_list<const char*> allowed, const char* flag) {
        std::string list;
        for (const char* x : allowed) {
            if (v == x) return;
            list += (list.empty() ? "" : ", ") + std::string(x);
        }
        throw error(std::string(flag) + " '" + v + "' is not one of " + list);
    };
    member(a.data_type, {"FP32", "FP16", "INT8"}, "--data_type");
    member(a.calibration_method, {"minmax", "percentile", "mse"}, "--calibration_method");
    member(a.quantization_preset, {"performance", "mixed"}, "--quantization_preset");
    member(a.accuracy_ranking, {"output_error", "recovery"}, "--accuracy_ranking");
    member(a.fp32_layer_weights, {"auto", "int8", "fp32"}, "--fp32_layer_weights");
    member(a.overflow_fix, {"enable", "disable"}, "--overflow_fix");
    passes::cut_options o;
    if (!a.input.empty()) {
        o.inputs = passes::parse_input_specs(a.input);
        if (!a.input_shape.empty()) o.input_shapes = flags::parse_shapes(a.input_shape);
    }
    if (!a.output.empty()) o.outputs = passes::parse_output_specs(a.output);
    if (!a.mean_values.empty()) passes::parse_values_per_input(a.mean_values, "--mean_values");
    if (!a.scale_values.empty()) passes::parse_values_per_input(a.scale_values, "--scale_values");
    if (!a.layout.empty()) passes::parse_layouts(a.layout, "--layout");
    if (!a.source_layout.empty()) passes::parse_layouts(a.source_layout, "--source_layout");
    scale_of(a);
    if (!a.model_name.empty()) io::output_path(".", a.model_name, "", "--model_name");  // a plain file name
    const bool int8 = a.data_type == "INT8";
    MOIR_CHECK(!int8 || !a.calibration_data.empty(), error,
               "--data_type INT8 needs --calibration_data (a folder of .npy inputs, or NAME=DIR per input)");
    MOIR_CHECK(int8 || a.calibration_data.empty(), error, "--calibration_data is only used with --data_type INT8");
    MOIR_CHECK(int8 || (a.max_accuracy_drop < 0 && a.validation_data.empty() && a.keep_fp32.empty() &&
                        a.overflow_fix == "disable" && a.smooth_quant == 0),
               error,
               "--max_accuracy_drop, --validation_data, --keep_fp32, --overflow_fix and --smooth_quant are only used "
               "with --data_type INT8");
    MOIR_CHECK(a.validation_data.empty() || a.max_accuracy_drop >= 0, error,
               "--validation_data is only used with --max_accuracy_drop");
    return o;
}
/// Whether --input fixes any shape (then shape sub-graphs fold, as with --input_shape).
template <class = void>
inline bool input_gives_shapes(const passes::cut_options& o) {
    for (const auto& s : o.inputs)
        if (s.shape) return true;
    return !o.input_shapes.empty();
}
/// The load request of the options.
template <class = void>
inline frontends::load_request request_of(const convert_options& a) {
    frontends::load_request r;
    r.input_model = a.input_model;
    r.framework = a.framework;
    r.options.framework_options = a.framework_options;
    if (!a.fallback.empty()) r.options.framework_options["fallback"] = a.fallback;
    if (!a.fallback_library.empty()) r.options.framework_options["fallback_library"] = a.fallback_library;
    // a TF1 graph without a signature needs --output to find its outputs before it is frozen
    if (!a.output.empty()) r.options.framework_options.emplace("output", a.output);
    // TensorFlow's folder and checkpoint forms name no --input_model (--saved_model_dir, --input_meta_graph)
    for (const char* k : {"saved_model_dir", "input_meta_graph"}) {
        const auto it = a.framework_options.find(k);
        if (r.input_model.empty() && it != a.framework_options.end() && !it->second.empty()) {
            r.input_model = it->second;
            if (r.framework.empty()) r.framework = "tf";
        }
    }
    if (!a.input_shape.empty() && a.input.empty()) r.options.input_shapes_by_position = flags::parse_shapes(a.input_shape);
    if (!a.transformations_config.empty()) r.options.framework_options["transformations_config"] = a.transformations_config;
    return r;
}
/// The cut (--input/--output), then the preprocessing, in MO's order. An --input entry that gives
/// an original input a shape reloads the model with it, so the frontend sees it as --input_shape.
template <class = void>
inline void cut_and_preprocess(const convert_options& a, const passes::cut_options& cuts,
                               frontends::load_request req, const frontends::frontend_registry& registry, model& m,
                               std::vector<std::string>& warnings) {
    if (!cuts.inputs.empty()) {
        const auto shapes = passes::original_input_shapes(m, cuts);
        if (!shapes.empty()) {
            req.options.input_shapes = shapes;
            m = registry.load(req);
        }
    }
    const passes::cut_report cut = passes::cut(m, cuts);
    passes::preprocessing_flags f;
    f.mean_values = a.mean_values;
    f.scale_values = a.scale_values;
    f.scale = scale_of(a);
    f.reverse_input_channels = a.reverse_input_channels;
    f.layout = a.layout;
    f.source_layout = a.source_layout;
    f.not_scaled = cut.created_inputs;
    const auto specs = passes::preprocessing_from_flags(m, f);
    if (specs.empty()) return;
    for (const auto& w : passes::apply_preprocessing(m, specs).warnings) warnings.push_back(w);
}
/// The options as <rt_info><conversion_parameters>.
template <class = void>
inline std::vector<std::pair<std::string, std::string>> ir_parameters(const convert_options& a, const std::string& framework,
                                                                      const passes::int8_report& int8_rep,
                                                                      const std::vector<std::string>& full_range) {
    const bool int8 = a.data_type == "INT8";
    const bool fp16 = a.compress_to_fp16 || a.data_type == "FP16";
    auto joined = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
        return s;
    };
    std::vector<std::pair<std::string, std::string>> params{{"input_model", a.input_model}, {"framework", framework}};
    if (!a.input_shape.empty()) params.emplace_back("input_shape", a.input_shape);
    if (!a.transformations_config.empty()) params.emplace_back("transformations_config", a.transformations_config);
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"input", &a.input}, {"output", &a.output},
                                     {"mean_values", &a.mean_values}, {"scale_values", &a.scale_values},
                                     {"scale", &a.scale}, {"layout", &a.layout}, {"source_layout", &a.source_layout}})
        if (!value->empty()) params.emplace_back(key, *value);
    for (const auto& [key, value] : a.framework_options) params.emplace_back(key, value);
    if (a.reverse_input_channels) params.emplace_back("reverse_input_channels", "True");
    if (a.disable_fusing) params.emplace_back("disable_fusing", "True");
    if (fp16) params.emplace_back("compress_to_fp16", "True");
    if (a.data_type != "FP32") params.emplace_back("data_type", a.data_type);
    if (int8) {
        params.emplace_back("calibration_data", a.calibration_data);
        params.emplace_back("calibration_method", a.calibration_method);
        params.emplace_back("quantization_preset", a.quantization_preset);
        if (a.overflow_fix == "enable") params.emplace_back("overflow_fix", "enable");
        if (a.smooth_quant > 0) {
            params.emplace_back("smooth_quant", std::to_string(a.smooth_quant));
            params.emplace_back("smooth_ratio", std::to_string(a.smooth_ratio));
            std::vector<std::string> sm;
            for (const auto& [t, r] : int8_rep.smoothed) sm.push_back(t);
            if (!sm.empty()) params.emplace_back("smoothed_activations", joined(sm));
        }
        if (!full_range.empty()) params.emplace_back("int8_layers_with_8bit_weights", joined(full_range));
        if (a.calibration_subset) params.emplace_back("calibration_subset", std::to_string(a.calibration_subset));
        if (a.max_accuracy_drop >= 0) params.emplace_back("max_accuracy_drop", std::to_string(a.max_accuracy_drop));
        if (!int8_rep.kept_fp32.empty()) {
            params.emplace_back("keep_fp32", joined(int8_rep.kept_fp32));
            params.emplace_back("fp32_layer_weights", a.fp32_layer_weights);
            if (!int8_rep.kept_int8_weights.empty())
                params.emplace_back("fp32_layers_with_int8_weights", joined(int8_rep.kept_int8_weights));
            if (!int8_rep.kept_fp16_weights.empty())
                params.emplace_back("fp32_layers_with_fp16_weights", joined(int8_rep.kept_fp16_weights));
        }
    }
    if (a.static_shape) params.emplace_back("static_shape", "True");
    return params;
}
}  // namespace detail

/// Converts the model options.input_model names, as `moir convert` does (without writing it).
/// ensures: the converted model and the report; throws moir::error naming the flag, file, node and
/// reason for bad options, unreadable or unsupported models, failed calibration, or a --check
/// difference above the tolerance. Options are checked before the model is loaded.
template <class = void>
inline conversion_result convert(const convert_options& a, const frontends::frontend_registry& registry) {
    const passes::cut_options cuts = detail::check_options(a);
    const bool int8 = a.data_type == "INT8";
    const bool fp16 = a.compress_to_fp16 || a.data_type == "FP16";
    const frontends::load_request req = detail::request_of(a);
    const std::string framework = registry.pick(req).name;
    MOIR_CHECK(a.transformations_config.empty() || framework == "tf", error,
               "--transformations_config: sub-graph replacements apply to TensorFlow models, not to " + framework +
                   " (" + a.input_model + ")");
    conversion_result out;
    conversion_report& rep = out.report;
    model m = registry.load(req);
    detail::cut_and_preprocess(a, cuts, req, registry, m, rep.warnings);
    check_tensor_sizes(m);  // a huge --input_shape: an error naming the node, before anything is allocated
    rep.ops_before = op_counts(m);
    rep.parameters_before = parameter_count(m);
    out.original = m;  // tensors are shared, not copied
    passes::pass_context ctx;
    ctx.fusions = !a.disable_fusing;
    ctx.fold_shapes = !a.input_shape.empty() || a.static_shape || detail::input_gives_shapes(cuts);
    passes::optimize(m, ctx);
    std::vector<std::string> full_range;
    if (int8) {
        // calibrate the optimized FP32 model (BatchNorm folded): its weights are the ones quantized
        const calibration_sets data = read_calibration_data(m, a.calibration_data, a.calibration_subset);
        rep.calibration_sets = data.sets.size();
        passes::calibration_options co;
        co.method = a.calibration_method == "minmax" ? passes::calibration_method::minmax
                    : a.calibration_method == "mse"  ? passes::calibration_method::mse
                                                     : passes::calibration_method::percentile;
        co.percentile = a.calibration_percentile;
        const passes::calibration_table table = run_calibration(m, data, co, a.log);
        passes::int8_options io;
        io.activations = a.quantization_preset == "performance" ? passes::activation_scheme::symmetric
                                                                : passes::activation_scheme::asymmetric;
        io.all_kept_int8_weights = a.fp32_layer_weights == "int8";
        io.overflow_fix = a.overflow_fix == "enable";
        io.smooth_alpha = a.smooth_quant;
        io.smooth_ratio = a.smooth_ratio;
        for (const auto& layer : flags::split_list(a.keep_fp32, ',')) {
            bool found = false;
            for (const auto& n : m.nodes) found = found || n.name == layer;
            MOIR_CHECK(found, error, "--keep_fp32: the model has no layer '" + layer + "'");
            io.keep_fp32.insert(layer);
        }
        if (a.max_accuracy_drop >= 0) {
            const calibration_sets validation =
                a.validation_data.empty() ? data : read_calibration_data(m, a.validation_data, 0);
            passes::accuracy_control_options ao;
            ao.max_drop = a.max_accuracy_drop;
            ao.threads = a.threads;
            ao.log = a.log;
            ao.quantization = io;  // the user's layers stay FP32 in every candidate
            ao.compress_reverted_weights = a.fp32_layer_weights == "auto";
            ao.ranking = a.accuracy_ranking == "recovery" ? passes::accuracy_ranking::recovery
                                                          : passes::accuracy_ranking::output_error;
            auto ac = passes::quantize_int8_with_accuracy_control(m, table, validation.sets, ao);
            rep.accuracy_control = accuracy_control_summary{ac.fp32_metric, ac.int8_metric, ac.final_metric,
                                                            ac.reverted,    ac.compressed,  ac.compressed_fp16,
                                                            ac.full_range,  ac.validation_runs, ac.met};
            full_range = ac.full_range;
            m = std::move(ac.quantized);
            rep.int8 = ac.report;
            ctx.log.push_back(passes::pass_record{"quantize_int8", 1, rep.int8.fake_quantizes + rep.int8.weights,
                                                  m.nodes.size()});
        } else {
            rep.int8 = passes::quantize_int8(m, table, &ctx, io);
        }
    }
    if (fp16) passes::compress_weights_to_fp16(m, ctx);
    if (a.check) {
        const double tol = a.check_tolerance >= 0 ? a.check_tolerance : int8 ? 1.0 : fp16 ? 1e-2 : 1e-4;
        const model_difference d = compare_models<>(out.original, m, a.check);
        rep.check = d;
        MOIR_CHECK(d.finite, error, "--check: the converted model gives non-finite values where the original does not");
        MOIR_CHECK(d.relative() <= tol, error,
                   "--check: the converted model differs from the original by " + std::to_string(d.relative()) +
                       " (relative), above the tolerance " + std::to_string(tol) + "; no IR written");
    }
    rep.ops_after = op_counts(m);
    rep.parameters_after = parameter_count(m);
    rep.passes = ctx.log;
    rep.ir_parameters = detail::ir_parameters(a, framework, rep.int8, full_range);
    out.model = std::move(m);
    return out;
}

/// As convert(a, registry) with every frontend moir ships (default_registry()). An overload, not a
/// default argument, so that a program that never converts does not compile the frontends.
template <class = void>
inline conversion_result convert(const convert_options& a) {
    return convert(a, default_registry());
}

/// The two files of a written IR.
struct saved_ir {
    std::string xml, bin;
};

/// Writes r.model as IR `name`.xml/.bin into `output_dir` (created when missing), with the
/// conversion parameters in its rt_info; the model takes `name`. ensures: throws moir::error naming
/// the folder or file when it cannot be written, or when `name` is not a plain file name.
template <class = void>
inline saved_ir save_ir(conversion_result& r, const std::string& output_dir, const std::string& name) {
    std::error_code ec;
    const std::filesystem::path dir = output_dir.empty() ? std::filesystem::path(".") : std::filesystem::path(output_dir);
    if (!std::filesystem::exists(dir, ec)) {
        std::filesystem::create_directories(dir, ec);
        MOIR_CHECK(!ec, error, "--output_dir " + dir.string() + ": cannot create the folder: " + ec.message());
    }
    MOIR_CHECK(std::filesystem::is_directory(dir, ec), error, "--output_dir " + dir.string() + " is not a folder");
    r.model.name = name;
    // never outside --output_dir: a name with '/', '..', control characters... is refused
    saved_ir files{io::output_path(dir.string(), name, ".xml", "--model_name"),
                   io::output_path(dir.string(), name, ".bin", "--model_name")};
    ir::save<>(r.model, files.xml, files.bin, r.report.ir_parameters);
    return files;
}

/// save_ir into options.output_dir as options.model_name (default: the model file's stem; for a
/// folder or no --input_model, e.g. a SavedModel, the loaded model's name).
template <class = void>
inline saved_ir save_ir(conversion_result& r, const convert_options& options) {
    std::string name =
        options.model_name.empty() ? std::filesystem::path(options.input_model).stem().string() : options.model_name;
    if (name.empty()) name = r.model.name.empty() ? "model" : r.model.name;
    return save_ir(r, options.output_dir, name);
}

}  // namespace moir

#endif  // MOIR_CONVERT_HPP
