// If, Loop and TensorIterator in OpenVINO IR (docs/control-flow.md): moir's writer and reader agree
// (write -> read -> write is stable and runs the same), and a Loop written the way OpenVINO writes
// it (port_map entries in any order, output external_port_id numbered after the inputs, the special
// ports marked with purpose=, back_edges from a Result to a Parameter) reads and runs.

#include <support/env.hpp>

#include <moir/frontends/onnx/onnx.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/ops/if.hpp>
#include <moir/ops/loop.hpp>
#include <moir/ops/tensor_iterator.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

using namespace moir::test;

std::string small_models() {
    static const std::string dir = [] {
        const std::string d = scratch("control_flow_ir_models");
        const auto r = run(python() + " " + q(source_dir() + "/tests/unit/control_flow/make_models.py") + " " + q(d));
        REQUIRE_MESSAGE(r.status == 0, r.output);
        return d;
    }();
    return dir;
}

std::size_t count_deep(const moir::model& m, const moir::op_info& op) {
    std::size_t n = 0;
    m.for_each_node_deep([&](const moir::node& x) { n += x.op == &op; });
    return n;
}

void round_trip(const moir::model& m, const std::vector<moir::tensor>& in) {
    const moir::ir::ir_text a = moir::ir::serialize(m);
    const moir::model back = moir::ir::deserialize(a.xml, a.bin);
    const moir::ir::ir_text b = moir::ir::serialize(back);
    CHECK(a.xml == b.xml);
    CHECK(a.bin == b.bin);
    CHECK(count_deep(back, moir::info_of<moir::ops::if_op>()) == count_deep(m, moir::info_of<moir::ops::if_op>()));
    CHECK(count_deep(back, moir::info_of<moir::ops::loop>()) == count_deep(m, moir::info_of<moir::ops::loop>()));
    CHECK(count_deep(back, moir::info_of<moir::ops::tensor_iterator>()) ==
          count_deep(m, moir::info_of<moir::ops::tensor_iterator>()));
    const auto want = moir::reference_executor<>(m).run(in);
    const auto got = moir::reference_executor<>(back).run(in);
    REQUIRE(got.size() == want.size());
    for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i].same_as(want[i]));
}

}  // namespace

TEST_CASE("IR: If (then/else bodies, port maps) written and read back") {
    const moir::model m = moir::onnx::load(small_models() + "/outer_scope.onnx");
    const moir::ir::ir_text t = moir::ir::serialize(m);
    CHECK(t.xml.find("<then_port_map>") != std::string::npos);
    CHECK(t.xml.find("<else_body>") != std::string::npos);
    CHECK(t.xml.find("type=\"If\" version=\"opset8\"") != std::string::npos);
    for (bool c : {true, false})
        round_trip(m, {moir::tensor::from_vector(std::vector<float>{1, 2, 3}), moir::tensor::scalar<bool>(c)});
}

TEST_CASE("IR: Loop (special ports, back edges, concatenated output) and TensorIterator (reversed slices) round trip") {
    const moir::model m = moir::onnx::load(small_models() + "/loop_scan.onnx");
    const moir::ir::ir_text t = moir::ir::serialize(m);
    CHECK(t.xml.find("purpose=\"current_iteration\"") != std::string::npos);
    CHECK(t.xml.find("purpose=\"execution_condition\"") != std::string::npos);
    CHECK(t.xml.find("<back_edges>") != std::string::npos);
    CHECK(t.xml.find("stride=\"-1\"") != std::string::npos);
    round_trip(m, {moir::tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, {4, 2})});
}

TEST_CASE("IR: a Loop as OpenVINO writes it reads and runs") {
    // acc = x; for i in 0..2: acc += i; outputs: acc, and every iteration's acc concatenated
    const std::string xml = R"(<?xml version="1.0"?>
<net name="loop" version="11">
	<layers>
		<layer id="0" name="x" type="Parameter" version="opset1">
			<data element_type="f32" shape="2"/>
			<output><port id="0" precision="FP32" names="x"><dim>2</dim></port></output>
		</layer>
		<layer id="1" name="trip" type="Const" version="opset1">
			<data element_type="i64" shape="" offset="0" size="8"/>
			<output><port id="0" precision="I64"/></output>
		</layer>
		<layer id="2" name="cond" type="Const" version="opset1">
			<data element_type="boolean" shape="" offset="8" size="1"/>
			<output><port id="0" precision="BOOL"/></output>
		</layer>
		<layer id="3" name="loop" type="Loop" version="opset5">
			<input><port id="0"/><port id="1"/><port id="2"><dim>2</dim></port></input>
			<output>
				<port id="3" precision="FP32" names="acc"><dim>2</dim></port>
				<port id="4" precision="FP32" names="all"><dim>6</dim></port>
			</output>
			<port_map>
				<input external_port_id="2" internal_layer_id="1"/>
				<input external_port_id="-1" internal_layer_id="0" purpose="current_iteration"/>
				<output external_port_id="4" internal_layer_id="6" axis="0"/>
				<output external_port_id="3" internal_layer_id="5"/>
				<output external_port_id="-1" internal_layer_id="7" purpose="execution_condition"/>
			</port_map>
			<back_edges>
				<edge from-layer="5" from-port="0" to-layer="1" to-port="0"/>
			</back_edges>
			<body>
				<layers>
					<layer id="0" name="i" type="Parameter" version="opset1">
						<data element_type="i64" shape="1"/>
						<output><port id="0" precision="I64"><dim>1</dim></port></output>
					</layer>
					<layer id="1" name="acc_in" type="Parameter" version="opset1">
						<data element_type="f32" shape="2"/>
						<output><port id="0" precision="FP32"><dim>2</dim></port></output>
					</layer>
					<layer id="8" name="go_on" type="Const" version="opset1">
						<data element_type="boolean" shape="" offset="8" size="1"/>
						<output><port id="0" precision="BOOL"/></output>
					</layer>
					<layer id="2" name="i_f32" type="Convert" version="opset1">
						<data destination_type="f32"/>
						<input><port id="0"><dim>1</dim></port></input>
						<output><port id="1" precision="FP32"><dim>1</dim></port></output>
					</layer>
					<layer id="3" name="add" type="Add" version="opset1">
						<data auto_broadcast="numpy"/>
						<input><port id="0"><dim>2</dim></port><port id="1"><dim>1</dim></port></input>
						<output><port id="2" precision="FP32"><dim>2</dim></port></output>
					</layer>
					<layer id="5" name="acc_out" type="Result" version="opset1">
						<input><port id="0"><dim>2</dim></port></input>
					</layer>
					<layer id="6" name="all_out" type="Result" version="opset1">
						<input><port id="0"><dim>2</dim></port></input>
					</layer>
					<layer id="7" name="cond_out" type="Result" version="opset1">
						<input><port id="0"/></input>
					</layer>
				</layers>
				<edges>
					<edge from-layer="0" from-port="0" to-layer="2" to-port="0"/>
					<edge from-layer="1" from-port="0" to-layer="3" to-port="0"/>
					<edge from-layer="2" from-port="1" to-layer="3" to-port="1"/>
					<edge from-layer="3" from-port="2" to-layer="5" to-port="0"/>
					<edge from-layer="3" from-port="2" to-layer="6" to-port="0"/>
					<edge from-layer="8" from-port="0" to-layer="7" to-port="0"/>
				</edges>
			</body>
		</layer>
		<layer id="4" name="acc" type="Result" version="opset1">
			<input><port id="0"><dim>2</dim></port></input>
		</layer>
		<layer id="5" name="all" type="Result" version="opset1">
			<input><port id="0"><dim>6</dim></port></input>
		</layer>
	</layers>
	<edges>
		<edge from-layer="1" from-port="0" to-layer="3" to-port="0"/>
		<edge from-layer="2" from-port="0" to-layer="3" to-port="1"/>
		<edge from-layer="0" from-port="0" to-layer="3" to-port="2"/>
		<edge from-layer="3" from-port="3" to-layer="4" to-port="0"/>
		<edge from-layer="3" from-port="4" to-layer="5" to-port="0"/>
	</edges>
</net>
)";
    std::string bin(9, '\0');
    const std::int64_t trips = 3;
    std::memcpy(bin.data(), &trips, 8);
    bin[8] = 1;
    const moir::model m = moir::ir::deserialize(xml, bin, "loop.xml", "loop.bin");
    const auto out = moir::reference_executor<>(m).run({moir::tensor::from_vector(std::vector<float>{1, 10})});
    REQUIRE(out.size() == 2);
    CHECK(out[0].to_vector<float>() == std::vector<float>{4, 13});
    CHECK(out[1].to_vector<float>() == std::vector<float>{1, 10, 2, 11, 4, 13});
    round_trip(m, {moir::tensor::from_vector(std::vector<float>{1, 10})});
}

TEST_CASE("IR: a body port map that names a missing layer is a parse error naming the layer") {
    const moir::model m = moir::onnx::load(small_models() + "/outer_scope.onnx");
    moir::ir::ir_text t = moir::ir::serialize(m);
    const auto at = t.xml.find("internal_layer_id=\"");
    REQUIRE(at != std::string::npos);
    t.xml.insert(at + std::string("internal_layer_id=\"").size(), "9");
    CHECK_THROWS_WITH_AS(moir::ir::deserialize(t.xml, t.bin), doctest::Contains("layer 'branch'"), moir::parse_error);
}
