#ifndef MOIR_FRONTENDS_FRONTENDS_DECL_HPP
#define MOIR_FRONTENDS_FRONTENDS_DECL_HPP

// moir::load_model, declared and not defined: what a program of the compiled form (moir::compiled,
// MOIR_COMPILED_LIBRARY: moir/moir.hpp's light mode) sees, so that its translation units compile
// none of the frontends. frontends/frontends.hpp includes this header and defines them;
// moir::compiled compiles them once over every frontend (cmake/compiled/frontends.cpp.in, built
// when moir::compiled holds the frontends: MOIR_COMPILED_WITH_FRONTENDS).

#include <moir/core/model.hpp>
#include <moir/frontends/common/load_options.hpp>

#include <string>  // string

namespace moir {

namespace frontends {
class frontend_registry;  // frontends/registry.hpp
}  // namespace frontends

/// The registry of default_frontends, built once (frontends/frontends.hpp).
template <class = void>
const frontends::frontend_registry& default_registry();

/// Loads a model with the frontend r.framework names, else the one that recognizes the file
/// (frontends/frontends.hpp). ensures: as the frontend's load; throws moir::error for a missing file
/// or an unknown format.
template <class = void>
model load_model(const frontends::load_request& r, const frontends::frontend_registry& registry);

/// As load_model(r, default_registry()).
template <class = void>
model load_model(const frontends::load_request& r);

/// Loads `path` with default options.
template <class = void>
model load_model(const std::string& path);

}  // namespace moir

#endif  // MOIR_FRONTENDS_FRONTENDS_DECL_HPP
