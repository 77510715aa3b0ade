#ifndef MOIR_TOOLS_CLI_CONVERT_HPP
#define MOIR_TOOLS_CLI_CONVERT_HPP

// `moir convert`: a framework model -> OpenVINO IR (model.xml + model.bin).

#include "common.hpp"

#include <moir/ir/ir_writer.hpp>
#include <moir/passes/pipelines.hpp>

#include <CLI/CLI.hpp>

#include <iostream>  // cout
#include <map>       // map

namespace moir::cli {

struct convert_args {
    std::string input_model;
    std::string output_dir = ".";
    std::string model_name;
    std::string input_shape;
    bool disable_fusing = false;
    bool report = false;
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
}  // namespace detail

inline void add_convert(CLI::App& app, convert_args& a) {
    auto* c = app.add_subcommand("convert", "Convert a model (ONNX) to OpenVINO IR v11 (.xml + .bin)");
    c->add_option("--input_model,-m,-w", a.input_model, "The model file to convert (.onnx)")->required();
    c->add_option("--output_dir,-o", a.output_dir, "Folder for the IR files (default: the current folder)");
    c->add_option("--model_name,-n", a.model_name, "Name of the IR files and of <net> (default: the model file's stem)");
    c->add_option("--input_shape", a.input_shape,
                  "Input shape(s) in the model's layout, e.g. [1,3,640,640] or [1,3,224,224],[1,10]; ? or -1 is dynamic");
    c->add_flag("--disable_fusing", a.disable_fusing, "Do not fuse ops (BatchNorm into convolutions, ...)");
    c->add_flag("--report", a.report, "Print op counts, parameters and IR size before and after, and what each pass changed");
}

inline int run_convert(const convert_args& a) {
    onnx::load_options opt;
    if (!a.input_shape.empty()) opt.input_shapes_by_position = parse_shapes(a.input_shape);
    model m = load_model(a.input_model, opt);
    const auto ops_before = detail::op_counts(m);
    const std::size_t params_before = detail::parameter_count(m);
    passes::pass_context ctx;
    ctx.fusions = !a.disable_fusing;
    passes::optimize(m, ctx);
    const std::string name = a.model_name.empty() ? fs::path(a.input_model).stem().string() : a.model_name;
    m.name = name;
    MOIR_CHECK(fs::is_directory(a.output_dir), error, "--output_dir " + a.output_dir + " is not an existing folder");
    const std::string xml = (fs::path(a.output_dir) / (name + ".xml")).string();
    const std::string bin = (fs::path(a.output_dir) / (name + ".bin")).string();
    std::vector<std::pair<std::string, std::string>> params{{"input_model", a.input_model}, {"framework", "onnx"}};
    if (!a.input_shape.empty()) params.emplace_back("input_shape", a.input_shape);
    if (a.disable_fusing) params.emplace_back("disable_fusing", "True");
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
