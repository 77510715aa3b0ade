// `moir convert`: a framework model -> OpenVINO IR (model.xml + model.bin), through the library's
// pipeline (moir/convert.hpp); this TU parses the flags and prints what the pipeline reports.

#include "cli.hpp"

#include <moir/convert.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>  // find
#include <iostream>   // cout, cerr
#include <map>        // map
#include <memory>     // make_shared
#include <utility>    // pair

namespace moir::cli {

namespace {

/// The flags: the library's options plus what only the tool does with them.
struct convert_args : convert_options {
    bool report = false;  ///< --report: print what changed
    std::string counts;   ///< --counts (Kaldi): framework_options["counts"]
    bool remove_output_softmax = false;  ///< --remove_output_softmax (Kaldi)
    // MXNet (the Model Optimizer's flags), passed to the frontend as framework options
    std::string input_symbol, nd_prefix_name, pretrained_model_name;
    // TensorFlow's flags, passed to the frontend as framework_options
    std::string saved_model_dir, saved_model_tags, saved_model_signature, input_meta_graph, input_checkpoint;
    bool input_model_is_text = false;
};

/// The framework flags given, into a.framework_options; the model named by them when
/// --input_model is not given. ensures: throws moir::error when no model is named at all.
void framework_flags(convert_args& a) {
    const std::pair<const char*, const std::string*> flags[] = {
        {"saved_model_dir", &a.saved_model_dir},   {"saved_model_tags", &a.saved_model_tags},
        {"saved_model_signature", &a.saved_model_signature}, {"input_meta_graph", &a.input_meta_graph},
        {"input_checkpoint", &a.input_checkpoint}};
    for (const auto& [key, value] : flags)
        if (!value->empty()) a.framework_options[key] = *value;
    if (a.input_model_is_text) a.framework_options["input_model_is_text"] = "True";
    MOIR_CHECK(!a.input_model.empty() || !a.saved_model_dir.empty() || !a.input_meta_graph.empty(), error,
               "no model given: --input_model (or, for TensorFlow, --saved_model_dir or --input_meta_graph)");
}

/// Prints the --report tables: ops before and after, parameters, IR sizes, INT8 and passes.
void print_report(const convert_options& a, const conversion_result& r, const saved_ir& files) {
    const conversion_report& rep = r.report;
    std::map<std::string, std::pair<std::size_t, std::size_t>> both;
    std::size_t total_before = 0, total_after = 0;
    for (const auto& [op, c] : rep.ops_before) both[op].first = c, total_before += c;
    for (const auto& [op, c] : rep.ops_after) both[op].second = c, total_after += c;
    std::cout << "report: ops by type (before -> after)\n";
    for (const auto& [op, c] : both) std::cout << "  " << op << ": " << c.first << " -> " << c.second << "\n";
    std::cout << "  total: " << total_before << " -> " << total_after << "\n";
    std::cout << "report: parameters " << rep.parameters_before << " -> " << rep.parameters_after << "\n";
    const ir::ir_text before = ir::serialize<>(r.original);
    const auto after_xml = fs::file_size(files.xml), after_bin = fs::file_size(files.bin);
    std::cout << "report: IR size " << human_bytes(before.xml.size() + before.bin.size()) << " (xml "
              << human_bytes(before.xml.size()) << ", bin " << human_bytes(before.bin.size()) << ") -> "
              << human_bytes(after_xml + after_bin) << " (xml " << human_bytes(after_xml) << ", bin "
              << human_bytes(after_bin) << ")\n";
    const passes::int8_report& q = rep.int8;
    if (a.data_type == "INT8")
        std::cout << "report: INT8 layers " << q.int8_layers << " of " << q.layers << " quantizable ("
                  << q.fake_quantizes << " FakeQuantize, " << q.weights << " i8 weight constants), calibrated on "
                  << rep.calibration_sets << " input set" << (rep.calibration_sets == 1 ? "" : "s") << " ("
                  << a.calibration_method << ")"
                  << (q.kept_fp32.empty()
                          ? ""
                          : ", " + std::to_string(q.kept_fp32.size()) + " kept in FP32 (" +
                                std::to_string(q.kept_int8_weights.size()) + " with int8 weights, " +
                                std::to_string(q.kept_fp16_weights.size()) + " with fp16)")
                  << "\n";
    if (a.data_type == "INT8" && a.smooth_quant > 0) {
        std::cout << "report: channel smoothing (alpha " << a.smooth_quant << ") on " << q.smoothed.size()
                  << " activation" << (q.smoothed.size() == 1 ? "" : "s") << "\n";
        for (const auto& [t, ratio] : q.smoothed) std::cout << "  " << t << ": channel spread " << ratio << "\n";
    }
    std::cout << "report: passes\n";
    for (const auto& p : rep.passes)
        if (p.changes)
            std::cout << "  " << p.pass << " (round " << p.round << "): " << p.changes << " changes, " << p.nodes_after
                      << " nodes left\n";
}

int run_convert(convert_args a, const frontends::frontend_registry& registry) {
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"input_symbol", &a.input_symbol},
                                     {"nd_prefix_name", &a.nd_prefix_name},
                                     {"pretrained_model_name", &a.pretrained_model_name}})
        if (!value->empty()) a.framework_options[key] = *value;
    a.log = [](const std::string& line) { std::cerr << line << std::endl; };
    framework_flags(a);
    conversion_result r = moir::convert(a, registry);
    for (const auto& w : r.report.warnings) std::cerr << "moir: warning: " << w << "\n";
    if (const auto& ac = r.report.accuracy_control) {
        std::cout << "accuracy control: top-1 agreement with FP32 " << ac->int8_metric << " with every layer INT8, "
                  << ac->final_metric << " with " << ac->reverted.size() << " layer"
                  << (ac->reverted.size() == 1 ? "" : "s") << " back in FP32 (allowed drop " << a.max_accuracy_drop
                  << ", " << ac->validation_runs << " validation runs)"
                  << (ac->met ? "" : "; the drop still exceeds the limit with every ranked layer in FP32") << "\n";
        auto has = [](const std::vector<std::string>& v, const std::string& x) {
            return std::find(v.begin(), v.end(), x) != v.end();
        };
        for (const auto& l : ac->reverted)
            std::cout << "  FP32: " << l
                      << (has(ac->compressed, l) ? " (int8 weights)" : has(ac->compressed_fp16, l) ? " (fp16 weights)" : "")
                      << "\n";
        for (const auto& l : ac->full_range) std::cout << "  INT8 with 8-bit weights (no overflow fix): " << l << "\n";
    }
    if (const auto& d = r.report.check)
        std::cout << "check: " << a.check << " random input" << (a.check == 1 ? "" : "s") << ", largest difference "
                  << d->max_abs_err << " (" << d->relative() << " of the largest output value " << d->max_abs_ref << ")"
                  << (d->worst_output.empty() ? "" : " on output " + d->worst_output) << "\n";
    const saved_ir files = save_ir(r, a);
    if (a.report) print_report(a, r, files);
    const model& m = r.model;
    std::cout << "moir convert: "
              << (!a.input_model.empty() ? a.input_model : !a.saved_model_dir.empty() ? a.saved_model_dir : a.input_meta_graph)
              << " -> " << m.nodes.size() << " layers\n";
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const auto& p = m.at(m.parameters[i]).outputs[0];
        std::cout << "  input  " << m.input_name(i) << ": " << ir_name(p.type) << p.shape.str() << "\n";
    }
    for (std::size_t i = 0; i < m.results.size(); ++i) {
        const auto& p = m.port(m.output(i));
        std::cout << "  output " << m.output_name(i) << ": " << ir_name(p.type) << p.shape.str() << "\n";
    }
    std::cout << "  wrote " << files.xml << " (" << human_bytes(fs::file_size(files.xml)) << ") and " << files.bin << " ("
              << human_bytes(fs::file_size(files.bin)) << ")\n";
    return 0;
}

}  // namespace

command add_convert(CLI::App& app, const frontends::frontend_registry& registry) {
    auto args = std::make_shared<convert_args>();
    convert_args& a = *args;
    auto* c = app.add_subcommand(
        "convert", "Convert a model (" + registry.names() + ") to OpenVINO IR v11 (.xml + .bin)");
    c->add_option("--input_model,-m,-w", a.input_model, "The model file to convert (" + registry.names() + "; picked by --framework, else by content, else by extension)");
    c->add_option_function<std::string>(
        "--input_proto,-d", [args](const std::string& v) { args->framework_options["input_proto"] = v; },
        "Caffe: the deploy .prototxt of the --input_model .caffemodel (default: the model's name with .prototxt)");
    c->add_option("--saved_model_dir", a.saved_model_dir,
                  "TensorFlow: a SavedModel folder (saved_model.pb + variables/), frozen on load; replaces --input_model");
    c->add_option("--saved_model_tags", a.saved_model_tags,
                  "TensorFlow: the tags of the SavedModel's MetaGraphDef to read, comma-separated (default: serve)");
    c->add_option("--saved_model_signature", a.saved_model_signature,
                  "TensorFlow: the SavedModel signature giving the outputs (default: serving_default, or the only one)");
    c->add_option("--input_meta_graph", a.input_meta_graph,
                  "TensorFlow: a TF1 MetaGraphDef (model.meta) to freeze with --input_checkpoint; replaces --input_model");
    c->add_option("--input_checkpoint", a.input_checkpoint,
                  "TensorFlow: the checkpoint prefix (prefix.index + prefix.data-*) for --input_meta_graph or a "
                  "GraphDef with variables (default for a .meta: its path without .meta)");
    c->add_flag("--input_model_is_text", a.input_model_is_text, "TensorFlow: the GraphDef is in protobuf text format");
    c->add_option("--fallback", a.fallback,
                  "onnxruntime: keep each part of an ONNX model that moir cannot convert as an ONNX model inside one "
                  "OnnxFallback layer, run by onnxruntime at inference (docs/fallback.md)")
        ->check(CLI::IsMember({"onnxruntime"}));
    c->add_option("--fallback_library", a.fallback_library,
                  "The libonnxruntime.so for --fallback (default: $MOIR_ONNXRUNTIME, else onnxruntime-node's copy under "
                  "third_party/, else the system's)");
    c->add_option("--transformations_config", a.transformations_config,
                  "TensorFlow: a JSON file of sub-graph replacements (the Model Optimizer's format; built-in ids and "
                  "tools/transformations/*.json: docs/transformations-config.md)");
    c->add_option("--framework,-f", a.framework, "The model's framework: " + registry.names() + " (default: recognised from the file)");
    c->add_option("--input_symbol", a.input_symbol,
                  "MXNet: the symbol file (<prefix>-symbol.json), when it is not beside the --input_model .params");
    c->add_option("--nd_prefix_name", a.nd_prefix_name,
                  "MXNet: prefix of the <prefix>_args.nd and <prefix>_auxs.nd weight files (beside "
                  "--pretrained_model_name), which replace the pretrained model's weights; with --input_symbol");
    c->add_option("--pretrained_model_name", a.pretrained_model_name,
                  "MXNet: a pretrained <name>-<epoch>.params whose arg: weights the .nd files update");
    c->add_option("--output_dir,-o", a.output_dir, "Folder for the IR files, created when missing (default: the current folder)");
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
    c->add_option("--counts", a.counts,
                  "Kaldi: a counts file (a Kaldi vector of class counts); the log priors are subtracted from each "
                  "output with as many columns (after a Log when it is a Softmax), as the Model Optimizer does for "
                  "acoustic models");
    c->add_flag("--remove_output_softmax", a.remove_output_softmax,
                "Kaldi: an output read from a Softmax or LogSoftmax component reads that component's input instead");
    return [args, &registry]() {
        if (!args->counts.empty()) args->framework_options["counts"] = args->counts;
        if (args->remove_output_softmax) args->framework_options["remove_output_softmax"] = "true";
        return run_convert(*args, registry);
    };
}

}  // namespace moir::cli
