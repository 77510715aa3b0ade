#ifndef MOIR_FRONTENDS_COMMON_LOAD_OPTIONS_HPP
#define MOIR_FRONTENDS_COMMON_LOAD_OPTIONS_HPP

// What a user asks of a frontend (files, --input_shape, framework flags), apart from the rest of
// frontends/common/frontend.hpp, which includes it: the frontends' entry points are declared with
// these types alone in the compiled form's light mode (MOIR_COMPILED_LIBRARY, moir/moir.hpp).

#include <moir/core/shape.hpp>

#include <map>     // map
#include <string>  // string
#include <vector>  // vector

namespace moir::frontends {

/// What a user asks of any frontend besides the files (the Model Optimizer's flags).
struct load_options {
    /// Input shapes by input name (--input_shape with --input, or the library's map); override the file's.
    std::map<std::string, partial_shape> input_shapes;
    /// Input shapes by position (--input_shape alone), for inputs not named in input_shapes.
    std::vector<partial_shape> input_shapes_by_position;
    /// Framework-specific flags by their Model Optimizer name without dashes ("saved_model_tags",
    /// "input_model_is_text", "input_proto", ...). A frontend reads the ones it knows.
    std::map<std::string, std::string> framework_options;

    /// The value of framework option `key`, or `def`.
    std::string option(const std::string& key, const std::string& def = {}) const {
        const auto it = framework_options.find(key);
        return it == framework_options.end() ? def : it->second;
    }
};

/// One model to load: its main file, the frontend to use ("" = recognise it), the options.
struct load_request {
    std::string input_model;  ///< the model file (or folder, for formats that are folders)
    std::string framework;    ///< a frontend's name (--framework); "" picks it by content, then by extension
    load_options options;
};

}  // namespace moir::frontends

#endif  // MOIR_FRONTENDS_COMMON_LOAD_OPTIONS_HPP
