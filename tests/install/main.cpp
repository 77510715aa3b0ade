// The consumer of tests/install: builds a model in code, saves it as IR, reads it back and runs it
// (checking the values), then, given an ONNX model, converts it (moir::onnx::load, and
// moir::load_model as a check) and optimizes it, saves and reads its
// IR and runs it on the compiled plan and on the reference executor (checking that they agree).
//   app WORK_DIR [MODEL.onnx DIM...]   (DIM: the values of the model input's dynamic dims)
// moir/moir.hpp alone: the installed moir::compiled puts its users in the light mode
// (MOIR_COMPILED_LIBRARY), where it declares everything below and the library defines it.
#include <moir/moir.hpp>

#if !defined(MOIR_COMPILED_LIBRARY)
#error "tests/install: moir::compiled should give its installed users the light mode (MOIR_COMPILED_LIBRARY)"
#endif

#include <cmath>      // fabs
#include <cstdio>     // printf, fprintf
#include <cstdlib>    // atoll
#include <exception>  // exception
#include <string>     // string
#include <vector>     // vector

namespace {
int fail(const std::string& what) {
    std::fprintf(stderr, "app: %s\n", what.c_str());
    return 1;
}
}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return fail("usage: app WORK_DIR [MODEL.onnx DIM...]");
    const std::string dir = argv[1];
    try {
        // y = relu(x * 2 - 1)
        moir::model m;
        const auto x = m.add<moir::ops::parameter>({moir::element_type::f32, moir::partial_shape({1, 4})}, {}, "x");
        m.parameters.push_back(x);
        const auto two = m.add<moir::ops::constant>({moir::tensor::scalar(2.0f)}, {}, "two");
        const auto one = m.add<moir::ops::constant>({moir::tensor::scalar(1.0f)}, {}, "one");
        const auto mul = m.add<moir::ops::multiply>({}, {{x, 0}, {two, 0}}, "mul");
        const auto sub = m.add<moir::ops::subtract>({}, {{mul, 0}, {one, 0}}, "sub");
        const auto relu = m.add<moir::ops::relu>({}, {{sub, 0}}, "y");
        m.results.push_back(m.add<moir::ops::result>({}, {{relu, 0}}, "y/result"));
        m.validate();
        moir::ir::save<>(m, dir + "/built.xml", dir + "/built.bin");
        const moir::model loaded = moir::ir::load<>(dir + "/built.xml");
        const auto in = moir::tensor::from_vector<float>({-1.0f, 0.25f, 0.5f, 3.0f}, {1, 4});
        const auto y = moir::reference_executor<>(loaded).run({in});
        const std::vector<float> want = {0.0f, 0.0f, 0.0f, 5.0f};
        if (y.at(0).to_vector<float>() != want) return fail("the built model computed the wrong values");
        std::printf("built model: %zu layers, ok\n", loaded.nodes.size());

        if (argc < 3) return 0;
        moir::model onnx = moir::onnx::load(argv[2]);
#if defined(MOIR_COMPILED_FRONTENDS)
        // the same file through the frontend registry (moir::load_model, compiled in the library
        // when it holds every frontend)
        const moir::model any = moir::load_model(std::string(argv[2]));
        if (any.nodes.size() != onnx.nodes.size()) return fail("moir::load_model and moir::onnx::load disagree");
#endif
        moir::passes::pass_context ctx;
        moir::passes::optimize(onnx, ctx);
        moir::ir::save<>(onnx, dir + "/converted.xml", dir + "/converted.bin");
        const moir::model ir = moir::ir::load<>(dir + "/converted.xml");
        const auto& p = ir.at(ir.parameters.at(0)).attrs_as<moir::ops::parameter>();
        moir::shape dims;
        int next = 3;
        for (auto d : p.shape.dims) dims.push_back(d >= 0 ? d : (next < argc ? std::atoll(argv[next++]) : 1));
        std::vector<float> ramp(moir::numel(dims));
        for (std::size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<float>(i % 251) / 251.0f - 0.5f;
        const auto input = moir::tensor::from_vector<float>(ramp, dims);
        moir::runtime::basic_plan<> plan(ir, {dims});
        const auto fast = plan.run({input});
        const auto slow = moir::reference_executor<>(ir).run({input});
        double worst = 0, scale = 0;
        for (std::size_t i = 0; i < slow.at(0).numel(); ++i) {
            worst = std::fmax(worst, std::fabs(fast.at(0).at_as<double>(i) - slow.at(0).at_as<double>(i)));
            scale = std::fmax(scale, std::fabs(slow.at(0).at_as<double>(i)));
        }
        std::printf("%s: %zu layers after optimization, output [%s], plan vs reference max |error| %.3g (max |value| %.3g)\n",
                    argv[2], ir.nodes.size(), moir::to_string(fast.at(0).dims()).c_str(), worst, scale);
        if (!(worst <= 1e-4 * scale)) return fail("the plan and the reference executor disagree");
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    return 0;
}
