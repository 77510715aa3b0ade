// Built against single_include/moir/moir.hpp alone (no include/ on the path): the generated
// single header must be complete and agree with include/. The model's few ops are the opset of the
// writer, reader and executor: the whole opset's tables would cost minutes of build here and are
// built from include/ by every other program of the project.
#include <moir/moir.hpp>

#include <doctest/doctest.h>

TEST_CASE("the single header builds, saves, loads and runs a model") {
    using namespace moir;
    using few_ops = type_list<ops::parameter, ops::constant, ops::add, ops::relu, ops::result>;
    model m;
    const node_id x = m.add<ops::parameter>({element_type::f32, partial_shape({2})}, {}, "x");
    m.parameters.push_back(x);
    const node_id c = m.add<ops::constant>({tensor::from_vector<float>({1.0f, -5.0f})}, {}, "c");
    const node_id a = m.add<ops::add>({}, {{x, 0}, {c, 0}}, "a");
    const node_id r = m.add<ops::relu>({}, {{a, 0}}, "r");
    m.results.push_back(m.add<ops::result>({}, {{r, 0}}, "out"));
    m.validate();
    const std::string dir = MOIR_BINARY_DIR;
    ir::save<few_ops>(m, dir + "/single_header.xml", dir + "/single_header.bin");
    const model back = ir::load<few_ops>(dir + "/single_header.xml");
    const auto out = reference_executor<few_ops>(back).run({tensor::from_vector<float>({1.0f, 2.0f})});
    CHECK(out[0].data<float>()[0] == 2.0f);
    CHECK(out[0].data<float>()[1] == 0.0f);
}
