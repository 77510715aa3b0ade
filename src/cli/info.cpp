// `moir info`: what a model takes, gives and holds.

#include "cli.hpp"

#include <moir/ops/constant.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

#include <CLI/CLI.hpp>

#include <iostream>  // cout
#include <map>       // map
#include <memory>    // make_shared
#include <utility>   // pair

namespace moir::cli {

namespace {

int run_info(const std::string& path, const frontends::frontend_registry& registry) {
    const model m = load_model(registry, path);
    std::cout << "model: " << path << " (" << m.name << ")\n";
    std::cout << "inputs:\n";
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const auto& p = m.at(m.parameters[i]).outputs[0];
        std::cout << "  " << m.input_name(i) << ": " << ir_name(p.type) << " " << p.shape.str() << "\n";
    }
    std::cout << "outputs:\n";
    for (std::size_t i = 0; i < m.results.size(); ++i) {
        const auto& p = m.port(m.output(i));
        std::cout << "  " << m.output_name(i) << ": " << ir_name(p.type) << " " << p.shape.str() << "\n";
    }
    std::map<std::string, std::size_t> ops;
    std::size_t params = 0, bytes = 0;
    std::map<std::string, std::pair<std::size_t, std::size_t>> by_type;  // element type -> values, bytes
    std::size_t in_bodies = 0;  // ops inside If / Loop / TensorIterator bodies, counted with the others
    for (const auto& n : m.nodes)
        for (const auto& b : n.bodies)
            if (b) b->for_each_node_deep([&](const node& bn) { in_bodies += !bn.is<ops::parameter>() && !bn.is<ops::result>(); });
    m.for_each_node_deep([&](const node& n) {
        if (n.is<ops::parameter>() || n.is<ops::result>()) return;
        ops[std::string(n.op->ir_name)]++;
        if (n.is<ops::constant>()) {
            const auto& v = n.attrs_as<ops::constant>().value;
            params += v.numel();
            bytes += v.bytes();
            auto& t = by_type[std::string(ir_name(v.type()))];
            t.first += v.numel();
            t.second += v.bytes();
        }
    });
    std::size_t total = 0;
    for (const auto& [op, count] : ops) total += count;
    std::cout << "ops: " << total;
    if (in_bodies) std::cout << " (" << in_bodies << " inside bodies)";
    std::cout << "\n";
    for (const auto& [op, count] : ops) std::cout << "  " << op << ": " << count << "\n";
    std::cout << "parameters: " << params << " (" << human_bytes(bytes) << ")\n";
    // by element type: an INT8 IR shows its i8 weights here, an FP16 one its f16 weights
    for (const auto& [type, c] : by_type)
        std::cout << "  " << type << ": " << c.first << " (" << human_bytes(c.second) << ")\n";
    const auto fq = ops.find("FakeQuantize");
    if (fq != ops.end() || by_type.count("i8") || by_type.count("u8"))
        std::cout << "int8: " << (fq == ops.end() ? 0 : fq->second) << " FakeQuantize, "
                  << (by_type.count("i8") ? by_type["i8"].first : 0) << " i8 parameters\n";
    return 0;
}

}  // namespace

command add_info(CLI::App& app, const frontends::frontend_registry& registry) {
    auto path = std::make_shared<std::string>();
    auto* c = app.add_subcommand("info", "Print a model's inputs, outputs, op counts and parameters");
    c->add_option("model", *path, "The model (" + registry.names() + ")")->required();
    return [path, &registry]() { return run_info(*path, registry); };
}

}  // namespace moir::cli
