// hello: build a small model in code, save it as OpenVINO IR, load it back and run it.
// Expected output: examples/hello/hello.output.
#include <moir/moir.hpp>

#include <cstdio>      // printf
#include <filesystem>  // temp_directory_path

int main() {
    using namespace moir;
    model m;
    m.name = "hello";
    // y = relu(x * 2 - 1), x: f32 [?, 4]
    const node_id x = m.add<ops::parameter>({element_type::f32, partial_shape({dynamic_dim, 4})}, {}, "x");
    m.parameters.push_back(x);
    const node_id two = m.add<ops::constant>({tensor::scalar(2.0f)}, {}, "two");
    const node_id one = m.add<ops::constant>({tensor::scalar(1.0f)}, {}, "one");
    const node_id mul = m.add<ops::multiply>({}, {{x, 0}, {two, 0}}, "mul");
    const node_id sub = m.add<ops::subtract>({}, {{mul, 0}, {one, 0}}, "sub");
    const node_id relu = m.add<ops::relu>({}, {{sub, 0}}, "y");
    m.results.push_back(m.add<ops::result>({}, {{relu, 0}}, "y/result"));
    m.validate();
    m.at(relu).outputs[0].names = {"y"};  // the tensor name users see

    const auto dir = std::filesystem::temp_directory_path();
    ir::save<>(m, (dir / "hello.xml").string(), (dir / "hello.bin").string());
    const model loaded = ir::load<>((dir / "hello.xml").string());

    const tensor in = tensor::from_vector<float>({-1.0f, 0.25f, 0.5f, 3.0f}, {1, 4});
    const auto out = reference_executor<>(loaded).run({in});
    std::printf("%zu layers, output %s:", loaded.nodes.size(), loaded.output_name(0).c_str());
    for (std::size_t i = 0; i < out[0].numel(); ++i) std::printf(" %g", out[0].data<float>()[i]);
    std::printf("\n");
    return 0;
}
