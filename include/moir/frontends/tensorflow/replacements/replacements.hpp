#ifndef MOIR_FRONTENDS_TENSORFLOW_REPLACEMENTS_REPLACEMENTS_HPP
#define MOIR_FRONTENDS_TENSORFLOW_REPLACEMENTS_REPLACEMENTS_HPP

// The sub-graph replacements moir ships for TensorFlow models (--transformations_config ids).
// Add one: a file in this folder (a struct with id, doc, apply and optionally find; see
// frontends/common/transformations/replacement.hpp) and a line in `builtin`.

#include <moir/core/type_list.hpp>
#include <moir/frontends/common/transformations/replacement.hpp>
#include <moir/frontends/tensorflow/replacements/od_preprocessor.hpp>
#include <moir/frontends/tensorflow/replacements/ssd_postprocessor.hpp>

namespace moir::tensorflow::replacements {

/// The built-in replacements, one line each.
using builtin = type_list<od_preprocessor,    // ObjectDetectionAPIPreprocessor2Replacement
                          ssd_postprocessor>;  // ObjectDetectionAPISSDPostprocessorReplacement

namespace detail {
template <class = void>
const transformations::replacement_registry& default_registry_impl() {
    static const transformations::replacement_registry r{builtin{}};
    return r;
}
}  // namespace detail

/// The registry of the built-in replacements (a user's registry starts from a copy and add()s).
inline const transformations::replacement_registry& default_registry() { return detail::default_registry_impl<>(); }

}  // namespace moir::tensorflow::replacements

#endif  // MOIR_FRONTENDS_TENSORFLOW_REPLACEMENTS_REPLACEMENTS_HPP
