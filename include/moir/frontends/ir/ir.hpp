#ifndef MOIR_FRONTENDS_IR_IR_HPP
#define MOIR_FRONTENDS_IR_IR_HPP

// OpenVINO IR as a frontend (--framework ir): `moir convert` and `moir run` take an .xml (with its
// .bin beside it) like any framework file. --input_shape reshapes the IR: the Parameters take the
// new shapes and the graph is inferred again.

#include <moir/frontends/common/frontend.hpp>
#include <moir/ir/ir_reader.hpp>
#include <moir/ops/parameter.hpp>

#include <array>        // array
#include <string>       // string
#include <string_view>  // string_view

namespace moir::ir {

/// The IR frontend (frontends/registry.hpp's concept).
struct frontend {
    static constexpr const char* name = "ir";
    static constexpr std::array<const char*, 1> extensions{".xml"};
    /// An XML file whose root is <net>.
    static bool recognizes(const std::string& path, std::string_view head) {
        const auto p = head.find('<');
        return frontends::extension_of(path) == ".xml" ||
               (p != std::string_view::npos && (head.substr(p, 5) == "<?xml" || head.substr(p, 4) == "<net") &&
                head.find("<net") != std::string_view::npos);
    }
    /// ensures: as ir::load(); --input_shape (by position, or by input name) reshapes the model.
    template <class = void>  // instantiated only where an IR is loaded through the frontend list
    static model load(const frontends::load_request& r) {
        model m = ir::load<>(r.input_model);
        const auto& o = r.options;
        MOIR_CHECK(o.input_shapes_by_position.size() <= m.parameters.size(), error,
                   r.input_model + ": " + std::to_string(o.input_shapes_by_position.size()) +
                       " input shapes given, the model has " + frontends::count_of(m.parameters.size(), "input"));
        bool reshaped = false;
        for (std::size_t i = 0; i < m.parameters.size(); ++i) {
            const auto named = o.input_shapes.find(m.input_name(i));
            const partial_shape* want = named != o.input_shapes.end() ? &named->second
                                        : i < o.input_shapes_by_position.size() ? &o.input_shapes_by_position[i]
                                                                                : nullptr;
            if (!want) continue;
            auto& pa = m.at(m.parameters[i]).attrs_as<ops::parameter>();
            MOIR_CHECK(pa.shape.rank_dynamic || want->rank_dynamic || pa.shape.rank() == want->rank(), shape_error,
                       r.input_model + ": input '" + m.input_name(i) + "': --input_shape " + want->str() +
                           " has rank " + std::to_string(want->rank()) + ", the model's input has rank " +
                           std::to_string(pa.shape.rank()));
            pa.shape = *want;
            reshaped = true;
        }
        for (const auto& [name, s] : o.input_shapes) {
            bool found = false;
            for (std::size_t i = 0; i < m.parameters.size(); ++i) found = found || m.input_name(i) == name;
            MOIR_CHECK(found, error,
                       r.input_model + ": --input_shape names '" + name + "', which is not an input of the model");
        }
        if (reshaped) {
            try {
                m.validate();
            } catch (const std::exception& e) {
                throw shape_error(r.input_model + ": the model cannot take --input_shape: " + e.what());
            }
        }
        return m;
    }
};

}  // namespace moir::ir

#endif  // MOIR_FRONTENDS_IR_IR_HPP
