#ifndef MOIR_IR_IR_DECL_HPP
#define MOIR_IR_IR_DECL_HPP

// The IR reader's and writer's entry points, declared and not defined: what a program of the
// compiled form (moir::compiled, MOIR_COMPILED_LIBRARY: moir/moir.hpp's light mode) sees, so that
// its translation units compile neither the XML code nor the opset-wide tables. They are defined
// (and documented) in ir/ir_reader.hpp (load, deserialize) and ir/ir_writer.hpp (serialize, save),
// which include this header; moir::compiled's core TU compiles them over opsets::all.

#include <moir/core/model.hpp>
#include <moir/ops/opset.hpp>

#include <string>       // string
#include <string_view>  // string_view
#include <utility>      // pair
#include <vector>       // vector

namespace moir::ir {

/// What the writer records as <Runtime_version value="..."/> in the model-level rt_info.
inline constexpr std::string_view runtime_version = "moir 0.1.0";

/// (key, value) pairs recorded under <rt_info><conversion_parameters>: e.g. {"framework", "onnx"}.
/// Keys must be XML names.
using conversion_parameters = std::vector<std::pair<std::string, std::string>>;

/// An IR held in memory: the .xml text and the .bin bytes.
struct ir_text {
    std::string xml;
    std::string bin;
};

/// The .bin path that goes with an .xml path: "model.xml" -> "model.bin" (".bin" appended when the
/// path does not end in ".xml").
inline std::string default_bin_path(const std::string& xml_path) {
    const std::string ext = ".xml";
    if (xml_path.size() >= ext.size() && xml_path.compare(xml_path.size() - ext.size(), ext.size(), ext) == 0)
        return xml_path.substr(0, xml_path.size() - ext.size()) + ".bin";
    return xml_path + ".bin";
}

/// Reads an IR held in memory (ir/ir_reader.hpp).
template <class OpSet = opsets::all>
model deserialize(std::string_view xml, std::string_view bin, const std::string& xml_name = "model.xml",
                  const std::string& bin_name = "model.bin");

/// Loads an IR v10/v11 model (ir/ir_reader.hpp).
template <class OpSet = opsets::all>
model load(const std::string& xml_path, std::string bin_path = "");

/// The IR (version 11) of model `m`, in memory (ir/ir_writer.hpp).
template <class OpSet = opsets::all>
ir_text serialize(const model& m, const conversion_parameters& params = {});

/// Saves `m` as IR version 11 to xml_path + bin_path (ir/ir_writer.hpp).
template <class OpSet = opsets::all>
void save(const model& m, const std::string& xml_path, const std::string& bin_path,
          const conversion_parameters& params = {});

}  // namespace moir::ir

#endif  // MOIR_IR_IR_DECL_HPP
