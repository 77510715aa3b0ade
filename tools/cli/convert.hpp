#ifndef MOIR_TOOLS_CLI_CONVERT_HPP
#define MOIR_TOOLS_CLI_CONVERT_HPP

// `moir convert`: a framework model -> OpenVINO IR (model.xml + model.bin).

#include "calibration.hpp"
#include "common.hpp"

#include <moir/core/limits.hpp>
#include <moir/io/paths.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/passes/cut.hpp>
#include <moir/passes/pipelines.hpp>
#include <moir/passes/preprocess.hpp>
#include <moir/passes/quantize/accuracy_control.hpp>
#include <moir/passes/quantize/quantize_int8.hpp>
#include <moir/runtime/compare_models.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>  // find
#include <iostream>  // cout
#include <map>       // map

namespace moir::cli {

struct convert_args {
    std::string input_model;
    std::string output_dir = ".";
    std::string model_name;
    std::string input_shape;
    // cutting and preprocessing, MO's spelling, applied after loading (passes/cut.hpp, passes/preprocess.hpp)
    std::string input, output, mean_values, scale_values, scale, layout, source_layout;
    bool reverse_input_channels = false;
    bool disable_fusing = false;
    bool report = false;
    bool compress_to_fp16 = false;
    std::string data_type = "FP32";  ///< FP32, FP16 (= --compress_to_fp16) or INT8 (needs calibration data)
    std::string calibration_data;    ///< DIR or NAME=DIR[,NAME=DIR...]
    std::string calibration_method = "percentile";
    std::string quantization_preset = "mixed";  ///< performance (symmetric activations) or mixed (asymmetric)
    double calibration_percentile = 99.99;
    std::size_t calibration_subset = 0;  ///< 0: every set
    double max_accuracy_drop = -1;       ///< < 0: no accuracy control; else the allowed top-1 agreement drop
    std::string validation_data;         ///< accuracy-control inputs (default: the calibration data)
    std::string accuracy_ranking = "output_error";  ///< how the accuracy control ranks layers
    std::string keep_fp32;               ///< layer names kept in FP32, comma-separated
    std::string fp32_layer_weights = "auto";  ///< how layers kept in FP32 store their weights: auto, int8 or fp32
    std::string overflow_fix = "disable";     ///< enable: 7-bit convolution, deconvolution and MatMul weights (AVX2's fast INT8 kernel)
    double smooth_quant = 0;     ///< channel smoothing alpha (0: off)
    double smooth_ratio = 5;     ///< channel spread above which --smooth_quant applies
    bool static_shape = false;
    std::size_t check = 0;
    double check_tolerance = -1;  ///< < 0: 1e-4 for FP32 IR, 1e-2 with --compress_to_fp16, 1 with INT8
};

namespace detail {
/// Op counts by IR type, without Parameter/Result/Const.
inline std::map<std::string, std::size_t> op_counts(const model& m) {
    std::map<std::string, std::size_t> ops;
    for (const auto& n : m.nodes)
        if (!n.is<ops::parameter>() && !n.is<ops::result>()) ops[std::string(n.op->ir_name)]++;
    return ops;
}
inline std::size_t parameter_count(const model& m) {
    std::size_t p = 0;
    for (const auto& n : m.nodes)
        if (n.is<ops::constant>()) p += n.attrs_as<ops::constant>().value.numel();
    return p;
}
/// --check N: the largest difference between the loaded and the converted model on N random inputs.
/// ensures: prints it; throws moir::error (so nothing is written) when it is above `tolerance`
/// relative to the largest output value, or not finite.
inline void check_models(const model& original, const model& converted, std::size_t trials, double tolerance) {
    const model_difference d = compare_models<>(original, converted, trials);
    std::cout << "check: " << trials << " random input" << (trials == 1 ? "" : "s") << ", largest difference "
              << d.max_abs_err << " (" << d.relative() << " of the largest output value " << d.max_abs_ref << ")"
              << (d.worst_output.empty() ? "" : " on output " + d.worst_output) << "\n";
    MOIR_CHECK(d.finite, error, "--check: the converted model gives non-finite values where the original does not");
    MOIR_CHECK(d.relative() <= tolerance, error,
               "--check: the converted model differs from the original by " + std::to_string(d.relative()) +
                   " (relative), above the tolerance " + std::to_string(tolerance) + "; no IR written");
}
}  // namespace detail

namespace detail {
/// --scale as a number (none when not given). ensures: throws moir::error for other text.
inline std::optional<double> scale_of(const convert_args& a) {
    if (a.scale.empty()) return std::nullopt;
    char* end = nullptr;
    const double v = std::strtod(a.scale.c_str(), &end);
    MOIR_CHECK(end == a.scale.c_str() + a.scale.size(), error, "--scale '" + a.scale + "' is not a number");
    return v;
}
/// --input/--output (with --input_shape paired to --input by position) as cut options; also checks
/// the preprocessing flags' syntax. ensures: throws moir::error for malformed text, before loading.
inline passes::cut_options cut_options_of(const convert_args& a) {
    passes::cut_options o;
    if (!a.input.empty()) {
        o.inputs = passes::parse_input_specs(a.input);
        if (!a.input_shape.empty()) o.input_shapes = parse_shapes(a.input_shape);
    }
    if (!a.output.empty()) o.outputs = passes::parse_output_specs(a.output);
    if (!a.mean_values.empty()) passes::parse_values_per_input(a.mean_values, "--mean_values");
    if (!a.scale_values.empty()) passes::parse_values_per_input(a.scale_values, "--scale_values");
    if (!a.layout.empty()) passes::parse_layouts(a.layout, "--layout");
    if (!a.source_layout.empty()) passes::parse_layouts(a.source_layout, "--source_layout");
    scale_of(a);
    return o;
}
/// Whether --input fixes any shape (then shape sub-graphs fold, as with --input_shape).
inline bool input_gives_shapes(const passes::cut_options& o) {
    for (const auto& s : o.inputs)
        if (s.shape) return true;
    return !o.input_shapes.empty();
}
/// What runs between loading and optimizing, in MO's order: the cut (--input/--output), then the
/// preprocessing (--layout, --reverse_input_channels, --mean_values, --scale_values/--scale). An
/// --input entry that gives an original input a shape reloads the model with it, so the frontend
/// sees it as it sees --input_shape. ensures: warnings (RIC on a non-3-channel input) on stderr.
inline void cut_and_preprocess(const convert_args& a, const passes::cut_options& cuts, onnx::load_options opt, model& m) {
    if (!cuts.inputs.empty() && extension(a.input_model) == ".onnx") {
        opt.input_shapes = passes::original_input_shapes(m, cuts);
        if (!opt.input_shapes.empty()) m = load_model(a.input_model, opt);
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
    for (const auto& w : passes::apply_preprocessing(m, specs).warnings) std::cerr << "moir: warning: " << w << "\n";
}
}  // namespace detail

inline void add_convert(CLI::App& app, convert_args& a) {
    auto* c = app.add_subcommand("convert", "Convert a model (ONNX) to OpenVINO IR v11 (.xml + .bin)");
    c->add_option("--input_model,-m,-w", a.input_model, "The model file to convert (.onnx)")->required();
    c->add_option("--output_dir,-o", a.output_dir, "Folder for the IR files (default: the current folder)");
    c->add_option("--model_name,-n", a.model_name, "Name of the IR files and of <net> (default: the model file's stem)");
    c->add_option("--input_shape", a.input_shape,
                  "Input shape(s) in the model's layout, e.g. [1,3,640,640] or [1,3,224,224],[1,10]; ? or -1 is dynamic");
    c->add_option("--input", a.input,
                  "Inputs to use, cutting the model there: comma list of [PORT:]NODE[:PORT][SHAPE][{TYPE}][->VALUE]. "
                  "NODE or a tensor name; PORT:NODE cuts the edge into input PORT, NODE:PORT (or a tensor name) cuts "
                  "at that output, NODE alone cuts all its non-constant inputs; [1 3 224 224] sets the shape (or "
                  "--input_shape, by position); {f32} the type (f64 f32 f16 i64 i32 u8 boolean); ->VALUE freezes it "
                  "into a constant. E.g. \"0:conv[1 3 224 224],seq_len->150,is_training{boolean}->False\"");
    c->add_option("--output", a.output,
                  "Outputs to use, cutting off what follows: comma list of NODE, NODE:PORT, PORT:NODE or tensor names");
    c->add_option("--mean_values", a.mean_values,
                  "Per-channel values subtracted from an input, in the model's channel order (after "
                  "--reverse_input_channels): [123.68,116.78,103.94], or per input: data[255,255,255],info[1,1]");
    c->add_option("--scale_values", a.scale_values,
                  "Per-channel divisors of an input, applied after the mean: [58.4,57.1,57.4], or per input: "
                  "data[255,255,255],info[1,1]");
    c->add_option("--scale,-s", a.scale, "One divisor for every original input (not those made by --input cuts)");
    c->add_flag("--reverse_input_channels", a.reverse_input_channels,
                "Reverse the channel order (RGB <-> BGR) of every 3-channel input, before mean and scale; folded "
                "into the first convolution's weights");
    c->add_option("--layout", a.layout,
                  "Layout the input arrives in: nhwc or [n,h,w,c], per input in1(nhwc),in2(nc), or in1(nhwc->nchw). "
                  "The model is taken as channel-first: a non-channel-first input becomes that layout with a "
                  "Transpose inside; mean/scale/reverse apply to its c dim");
    c->add_option("--source_layout", a.source_layout, "Same as --layout (without ->)");
    c->add_flag("--disable_fusing", a.disable_fusing, "Do not fuse ops (BatchNorm into convolutions, ...)");
    c->add_flag("--report", a.report, "Print op counts, parameters and IR size before and after, and what each pass changed");
    c->add_flag("--compress_to_fp16{true}", a.compress_to_fp16,
                "Store float weights as f16 (Const f16 -> Convert f32 marked 'decompression', as OpenVINO writes them); "
                "--compress_to_fp16=False turns it off. Default: False (OpenVINO 2023.1+ defaults to True)");
    c->add_option("--data_type", a.data_type,
                  "Precision of the IR: FP32 (default); FP16 = --compress_to_fp16; INT8 quantizes convolutions and "
                  "MatMuls as OpenVINO's NNCF writes them (FakeQuantize levels 256 on their activations, weights "
                  "Const i8 -> Convert -> Multiply by a per-output-channel scale), from ranges calibrated on "
                  "--calibration_data")
        ->check(CLI::IsMember({"FP32", "FP16", "INT8"}));
    c->add_option("--calibration_data", a.calibration_data,
                  "INT8 calibration inputs: a folder of .npy files (single-input model; files may differ in shape, "
                  "e.g. text lines of different widths), or NAME=DIR[,NAME=DIR...] for each input (files paired by "
                  "sorted name)");
    c->add_option("--calibration_method", a.calibration_method,
                  "How activation ranges are chosen: percentile (default: [min, max] clipped to the "
                  "--calibration_percentile-th percentile of |x|, robust to rare outliers), mse (clipped where the "
                  "estimated mean squared quantization error is least) or minmax (every value seen)")
        ->check(CLI::IsMember({"minmax", "percentile", "mse"}));
    c->add_option("--quantization_preset", a.quantization_preset,
                  "INT8 ranges of activations that go below zero (as NNCF's presets): mixed (default: asymmetric, "
                  "256 levels over [min, max] with a zero point) or performance (symmetric around 0)")
        ->check(CLI::IsMember({"performance", "mixed"}));
    c->add_option("--calibration_percentile", a.calibration_percentile,
                  "The percentile of |x| for --calibration_method percentile (default 99.99)")
        ->check(CLI::Range(1.0, 100.0));
    c->add_option("--calibration_subset", a.calibration_subset,
                  "Use only the first N calibration inputs (sorted by file name); default: all");
    c->add_option("--max_accuracy_drop", a.max_accuracy_drop,
                  "INT8 accuracy control: the largest allowed drop of the top-1 agreement with the FP32 model "
                  "(argmax over the last axis of every output, on --validation_data), e.g. 0.01; layers that "
                  "hurt most go back to FP32, one at a time, until it holds (as NNCF's accuracy-aware "
                  "quantization does); the report lists them")
        ->check(CLI::Range(0.0, 1.0));
    c->add_option("--accuracy_ranking", a.accuracy_ranking,
                  "How --max_accuracy_drop ranks the layers to put back into FP32: output_error (default: the "
                  "output error of each layer alone in INT8) or recovery (the metric each recovers alone in FP32)")
        ->check(CLI::IsMember({"output_error", "recovery"}));
    c->add_option("--validation_data", a.validation_data,
                  "Inputs for --max_accuracy_drop, in --calibration_data's form (default: the calibration data)");
    c->add_option("--keep_fp32", a.keep_fp32,
                  "INT8: layer names (comma-separated) to leave in FP32, e.g. those --max_accuracy_drop reported");
    c->add_option("--fp32_layer_weights", a.fp32_layer_weights,
                  "INT8: how the layers kept in FP32 (--keep_fp32, --max_accuracy_drop) store their weights. auto "
                  "(default): --max_accuracy_drop gives each reverted layer, largest first, per-channel int8 weights "
                  "again and keeps them where the drop still holds, else fp16 weights where it holds (weight-only "
                  "compression, as NNCF's; the layer still computes in FP32 on f32 inputs), --keep_fp32 layers keep "
                  "f32 weights; int8: every kept layer stores int8 weights; fp32: none is compressed")
        ->check(CLI::IsMember({"auto", "int8", "fp32"}));
    c->add_option("--overflow_fix", a.overflow_fix,
                  "INT8 (as NNCF's overflow_fix): enable quantizes convolution (also transposed) and MatMul weights to [-64, 64] "
                  "instead of [-127, 127], so that CPUs without VNNI (AVX2) run them on the u8 x s8 vpmaddubsw "
                  "kernel, about 1.6x the exact 16-bit one, at one bit of weight precision (depthwise weights keep "
                  "8 bits); disable (default) keeps 8-bit weights everywhere")
        ->check(CLI::IsMember({"enable", "disable"}));
    c->add_option("--smooth_quant", a.smooth_quant,
                  "INT8 channel smoothing (as SmoothQuant): for activations whose channels span very different "
                  "ranges (--smooth_ratio) and that feed only convolutions, divide each channel k by s_k = "
                  "max|x_k|^A / max|W[:,k]|^(1-A) inside the FakeQuantize (per-channel input ranges) and multiply "
                  "the weights' input channel k by s_k, so that one activation range serves every channel; A in "
                  "(0, 1] (e.g. 0.75), 0 (default) turns it off; the report lists the smoothed tensors")
        ->check(CLI::Range(0.0, 1.0));
    c->add_option("--smooth_ratio", a.smooth_ratio,
                  "INT8: the channel spread (largest channel range over the median one) above which --smooth_quant "
                  "smooths an activation (default 5)")
        ->check(CLI::Range(1.0, 1e9));
    c->add_flag("--static_shape", a.static_shape,
                "Fold ShapeOf and the shape sub-graphs after it into constants when input shapes are static (always "
                "done when --input_shape fixes them); the IR can then no longer be reshaped");
    c->add_option("--check", a.check,
                  "Run N random inputs through the model before and after optimization (reference runtime) and print "
                  "the largest difference; fail, writing nothing, above the tolerance. Needs static input shapes")
        ->check(CLI::Range(0, 1000));
    c->add_option("--check_tolerance", a.check_tolerance,
                  "Largest allowed difference for --check, relative to the largest output value (default 1e-4; 1e-2 "
                  "with --compress_to_fp16; 1 with --data_type INT8, whose ranges random inputs leave)");
}

inline int run_convert(const convert_args& a) {
    onnx::load_options opt;
    const passes::cut_options cuts = detail::cut_options_of(a);  // malformed --input etc.: fail before loading
    if (!a.input_shape.empty() && a.input.empty()) opt.input_shapes_by_position = parse_shapes(a.input_shape);
    const bool int8 = a.data_type == "INT8";
    const bool fp16 = a.compress_to_fp16 || a.data_type == "FP16";
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
    const std::string name = a.model_name.empty() ? fs::path(a.input_model).stem().string() : a.model_name;
    const std::string xml = io::output_path(a.output_dir, name, ".xml", "--model_name");  // never outside --output_dir
    const std::string bin = io::output_path(a.output_dir, name, ".bin", "--model_name");
    model m = load_model(a.input_model, opt);
    detail::cut_and_preprocess(a, cuts, opt, m);
    check_tensor_sizes(m);  // a huge --input_shape: an error naming the node, before anything is allocated
    const auto ops_before = detail::op_counts(m);
    const std::size_t params_before = detail::parameter_count(m);
    const model original = m;  // for --check and --report (tensors are shared, not copied)
    passes::pass_context ctx;
    ctx.fusions = !a.disable_fusing;
    ctx.fold_shapes = !a.input_shape.empty() || a.static_shape || detail::input_gives_shapes(cuts);
    passes::optimize(m, ctx);
    passes::int8_report int8_rep;
    std::vector<std::string> full_range;  // layers the accuracy control kept in INT8 with 8-bit weights
    std::size_t calibration_count = 0;
    if (int8) {
        // calibrate the optimized FP32 model (BatchNorm folded): its weights are the ones quantized
        const calibration_sets data = read_calibration_data(m, a.calibration_data, a.calibration_subset);
        calibration_count = data.sets.size();
        passes::calibration_options co;
        co.method = a.calibration_method == "minmax" ? passes::calibration_method::minmax
                    : a.calibration_method == "mse"  ? passes::calibration_method::mse
                                                     : passes::calibration_method::percentile;
        co.percentile = a.calibration_percentile;
        const passes::calibration_table table = run_calibration(m, data, co);
        passes::int8_options io;
        io.activations = a.quantization_preset == "performance" ? passes::activation_scheme::symmetric
                                                                : passes::activation_scheme::asymmetric;
        io.all_kept_int8_weights = a.fp32_layer_weights == "int8";
        io.overflow_fix = a.overflow_fix == "enable";
        io.smooth_alpha = a.smooth_quant;
        io.smooth_ratio = a.smooth_ratio;
        for (const auto& layer : split_list(a.keep_fp32, ',')) {
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
            ao.threads = 0;
            ao.log = [](const std::string& line) { std::cerr << line << std::endl; };
            ao.quantization = io;  // the user's layers stay FP32 in every candidate
            ao.compress_reverted_weights = a.fp32_layer_weights == "auto";
            ao.ranking = a.accuracy_ranking == "recovery" ? passes::accuracy_ranking::recovery
                                                          : passes::accuracy_ranking::output_error;
            auto ac = passes::quantize_int8_with_accuracy_control(m, table, validation.sets, ao);

            std::cout << "accuracy control: top-1 agreement with FP32 " << ac.int8_metric << " with every layer INT8, "
                      << ac.final_metric << " with " << ac.reverted.size() << " layer"
                      << (ac.reverted.size() == 1 ? "" : "s") << " back in FP32 (allowed drop " << a.max_accuracy_drop
                      << ", " << ac.validation_runs << " validation runs)"
                      << (ac.met ? "" : "; the drop still exceeds the limit with every ranked layer in FP32") << "\n";
            for (const auto& l : ac.reverted)
                std::cout << "  FP32: " << l
                          << (std::find(ac.compressed.begin(), ac.compressed.end(), l) != ac.compressed.end()
                                  ? " (int8 weights)"
                              : std::find(ac.compressed_fp16.begin(), ac.compressed_fp16.end(), l) !=
                                      ac.compressed_fp16.end()
                                  ? " (fp16 weights)"
                                  : "")
                          << "\n";
            for (const auto& l : ac.full_range) std::cout << "  INT8 with 8-bit weights (no overflow fix): " << l << "\n";
            full_range = ac.full_range;
            m = std::move(ac.quantized);
            int8_rep = ac.report;
            ctx.log.push_back(passes::pass_record{"quantize_int8", 1, int8_rep.fake_quantizes + int8_rep.weights,
                                                  m.nodes.size()});
        } else {
            int8_rep = passes::quantize_int8(m, table, &ctx, io);
        }
    }
    if (fp16) passes::compress_weights_to_fp16(m, ctx);
    if (a.check) {
        const double tol = a.check_tolerance >= 0 ? a.check_tolerance : int8 ? 1.0 : fp16 ? 1e-2 : 1e-4;
        detail::check_models(original, m, a.check, tol);
    }
    m.name = name;
    MOIR_CHECK(fs::is_directory(a.output_dir), error, "--output_dir " + a.output_dir + " is not an existing folder");
    std::vector<std::pair<std::string, std::string>> params{
        {"input_model", a.input_model}, {"framework", extension(a.input_model) == ".xml" ? "ir" : "onnx"}};
    if (!a.input_shape.empty()) params.emplace_back("input_shape", a.input_shape);
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"input", &a.input}, {"output", &a.output},
                                     {"mean_values", &a.mean_values}, {"scale_values", &a.scale_values},
                                     {"scale", &a.scale}, {"layout", &a.layout}, {"source_layout", &a.source_layout}})
        if (!value->empty()) params.emplace_back(key, *value);
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
            std::string sm;
            for (const auto& [t, r] : int8_rep.smoothed) sm += (sm.empty() ? "" : ",") + t;
            if (!sm.empty()) params.emplace_back("smoothed_activations", sm);
        }
        if (!full_range.empty()) {
            std::string l8;
            for (const auto& l : full_range) l8 += (l8.empty() ? "" : ",") + l;
            params.emplace_back("int8_layers_with_8bit_weights", l8);
        }
        if (a.calibration_subset) params.emplace_back("calibration_subset", std::to_string(a.calibration_subset));
        if (a.max_accuracy_drop >= 0) params.emplace_back("max_accuracy_drop", std::to_string(a.max_accuracy_drop));
        if (!int8_rep.kept_fp32.empty()) {
            std::string kept;
            for (const auto& l : int8_rep.kept_fp32) kept += (kept.empty() ? "" : ",") + l;
            params.emplace_back("keep_fp32", kept);
            params.emplace_back("fp32_layer_weights", a.fp32_layer_weights);
            std::string w8;
            for (const auto& l : int8_rep.kept_int8_weights) w8 += (w8.empty() ? "" : ",") + l;
            if (!w8.empty()) params.emplace_back("fp32_layers_with_int8_weights", w8);
            std::string w16;
            for (const auto& l : int8_rep.kept_fp16_weights) w16 += (w16.empty() ? "" : ",") + l;
            if (!w16.empty()) params.emplace_back("fp32_layers_with_fp16_weights", w16);
        }
    }
    if (a.static_shape) params.emplace_back("static_shape", "True");
    ir::save<>(m, xml, bin, params);

    if (a.report) {
        const auto ops_after = detail::op_counts(m);
        std::map<std::string, std::pair<std::size_t, std::size_t>> both;
        std::size_t total_before = 0, total_after = 0;
        for (const auto& [op, c] : ops_before) both[op].first = c, total_before += c;
        for (const auto& [op, c] : ops_after) both[op].second = c, total_after += c;
        std::cout << "report: ops by type (before -> after)\n";
        for (const auto& [op, c] : both)
            std::cout << "  " << op << ": " << c.first << " -> " << c.second << "\n";
        std::cout << "  total: " << total_before << " -> " << total_after << "\n";
        std::cout << "report: parameters " << params_before << " -> " << detail::parameter_count(m) << "\n";
        const ir::ir_text before = ir::serialize<>(original);
        const auto after_xml = fs::file_size(xml), after_bin = fs::file_size(bin);
        std::cout << "report: IR size " << human_bytes(before.xml.size() + before.bin.size()) << " (xml "
                  << human_bytes(before.xml.size()) << ", bin " << human_bytes(before.bin.size()) << ") -> "
                  << human_bytes(after_xml + after_bin) << " (xml " << human_bytes(after_xml) << ", bin "
                  << human_bytes(after_bin) << ")\n";
        if (int8)
            std::cout << "report: INT8 layers " << int8_rep.int8_layers << " of " << int8_rep.layers
                      << " quantizable (" << int8_rep.fake_quantizes << " FakeQuantize, " << int8_rep.weights
                      << " i8 weight constants), calibrated on " << calibration_count << " input set"
                      << (calibration_count == 1 ? "" : "s") << " (" << a.calibration_method << ")"
                      << (int8_rep.kept_fp32.empty()
                              ? ""
                              : ", " + std::to_string(int8_rep.kept_fp32.size()) + " kept in FP32 (" +
                                    std::to_string(int8_rep.kept_int8_weights.size()) + " with int8 weights, " +
                                    std::to_string(int8_rep.kept_fp16_weights.size()) + " with fp16)")
                      << "\n";
        if (int8 && a.smooth_quant > 0) {
            std::cout << "report: channel smoothing (alpha " << a.smooth_quant << ") on " << int8_rep.smoothed.size()
                      << " activation" << (int8_rep.smoothed.size() == 1 ? "" : "s") << "\n";
            for (const auto& [t, r] : int8_rep.smoothed)
                std::cout << "  " << t << ": channel spread " << r << "\n";
        }
        std::cout << "report: passes\n";
        for (const auto& r : ctx.log)
            if (r.changes)
                std::cout << "  " << r.pass << " (round " << r.round << "): " << r.changes << " changes, " << r.nodes_after
                          << " nodes left\n";
    }
    std::cout << "moir convert: " << a.input_model << " -> " << m.nodes.size() << " layers\n";
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const auto& p = m.at(m.parameters[i]).outputs[0];
        std::cout << "  input  " << m.input_name(i) << ": " << ir_name(p.type) << p.shape.str() << "\n";
    }
    for (std::size_t i = 0; i < m.results.size(); ++i) {
        const auto& p = m.port(m.output(i));
        std::cout << "  output " << m.output_name(i) << ": " << ir_name(p.type) << p.shape.str() << "\n";
    }
    std::cout << "  wrote " << xml << " (" << human_bytes(fs::file_size(xml)) << ") and " << bin << " ("
              << human_bytes(fs::file_size(bin)) << ")\n";
    return 0;
}

}  // namespace moir::cli

#endif  // MOIR_TOOLS_CLI_CONVERT_HPP
