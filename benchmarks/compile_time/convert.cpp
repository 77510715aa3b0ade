// convert: the "user program" of benchmarks/compile_time.sh. Loads an ONNX model, runs moir's graph
// optimizations, compiles it into a plan (runtime/plan.hpp) and runs it on a ramp input.
//   convert MODEL.onnx [DIM...]   (DIM: the values of the input's dynamic dims, in order)
// Prints the layer count before and after optimization and each output's shape and first values.
// It includes one header: the single header, which holds the frontends and the passes (until it
// does, benchmarks/compile_time.sh generates such a header from include/).
#include <moir/moir.hpp>

#include <cstdio>   // printf, fprintf
#include <cstdlib>  // atoll
#include <exception>  // exception
#include <vector>   // vector

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s MODEL.onnx [DIM...]\n", argv[0]);
        return 2;
    }
    try {
        moir::model m = moir::onnx::load(argv[1]);
        const std::size_t before = m.nodes.size();
        moir::passes::pass_context ctx;
        moir::passes::optimize(m, ctx);
        std::printf("%zu layers, %zu after optimization\n", before, m.nodes.size());

        // one input: its declared shape, dynamic dims taken from the command line (else 1)
        const auto& p = m.at(m.parameters.at(0)).attrs_as<moir::ops::parameter>();
        moir::shape dims;
        int next = 2;
        for (auto d : p.shape.dims) dims.push_back(d >= 0 ? d : (next < argc ? std::atoll(argv[next++]) : 1));
        std::vector<float> ramp(moir::numel(dims));
        for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i % 251) / 251.0f - 0.5f;
        const moir::tensor in = moir::tensor::from_vector<float>(ramp, dims);

        moir::runtime::basic_plan<> plan(m, {dims});
        const auto out = plan.run({in});
        for (std::size_t k = 0; k < out.size(); ++k) {
            std::printf("output %s: [%s]", m.output_name(k).c_str(), moir::to_string(out[k].dims()).c_str());
            for (std::size_t i = 0; i < out[k].numel() && i < 4; ++i) std::printf(" %.6g", out[k].at_as<double>(i));
            std::printf("%s\n", out[k].numel() > 4 ? " ..." : "");
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "convert: %s\n", e.what());
        return 1;
    }
    return 0;
}
