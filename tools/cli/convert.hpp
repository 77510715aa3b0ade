#ifndef MOIR_TOOLS_CLI_CONVERT_HPP
#define MOIR_TOOLS_CLI_CONVERT_HPP

// `moir convert`: a framework model -> OpenVINO IR (model.xml + model.bin).

#include "common.hpp"

#include <moir/ir/ir_writer.hpp>

#include <CLI/CLI.hpp>

#include <iostream>  // cout
#include <map>       // map

namespace moir::cli {

struct convert_args {
    std::string input_model;
    std::string output_dir = ".";
    std::string model_name;
    std::string input_shape;
};

inline void add_convert(CLI::App& app, convert_args& a) {
    auto* c = app.add_subcommand("convert", "Convert a model (ONNX) to OpenVINO IR v11 (.xml + .bin)");
    c->add_option("--input_model,-m,-w", a.input_model, "The model file to convert (.onnx)")->required();
    c->add_option("--output_dir,-o", a.output_dir, "Folder for the IR files (default: the current folder)");
    c->add_option("--model_name,-n", a.model_name, "Name of the IR files and of <net> (default: the model file's stem)");
    c->add_option("--input_shape", a.input_shape,
                  "Input shape(s) in the model's layout, e.g. [1,3,640,640] or [1,3,224,224],[1,10]; ? or -1 is dynamic");
}

inline int run_convert(const convert_args& a) {
    onnx::load_options opt;
    if (!a.input_shape.empty()) opt.input_shapes_by_position = parse_shapes(a.input_shape);
    model m = load_model(a.input_model, opt);
    const std::string name = a.model_name.empty() ? fs::path(a.input_model).stem().string() : a.model_name;
    m.name = name;
    MOIR_CHECK(fs::is_directory(a.output_dir), error, "--output_dir " + a.output_dir + " is not an existing folder");
    const std::string xml = (fs::path(a.output_dir) / (name + ".xml")).string();
    const std::string bin = (fs::path(a.output_dir) / (name + ".bin")).string();
    std::vector<std::pair<std::string, std::string>> params{{"input_model", a.input_model}, {"framework", "onnx"}};
    if (!a.input_shape.empty()) params.emplace_back("input_shape", a.input_shape);
    ir::save<>(m, xml, bin, params);

    std::map<std::string, std::size_t> ops;
    for (const auto& n : m.nodes) ops[std::string(n.op->ir_name)]++;
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
