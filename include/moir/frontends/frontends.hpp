#ifndef MOIR_FRONTENDS_FRONTENDS_HPP
#define MOIR_FRONTENDS_FRONTENDS_HPP

// moir's frontends, as one compile-time list, and loading a model with whichever fits.
// Add a frontend: a folder frontends/<name>/ with a struct that models the concept in
// frontends/registry.hpp, its include below, and one entry in default_frontends.

#include <moir/frontends/caffe/caffe.hpp>
#include <moir/frontends/frontends_decl.hpp>
#include <moir/frontends/ir/ir.hpp>
#include <moir/frontends/kaldi/kaldi.hpp>
#include <moir/frontends/mxnet/mxnet.hpp>
#include <moir/frontends/onnx/onnx.hpp>
#include <moir/frontends/registry.hpp>
#include <moir/frontends/tensorflow/tensorflow.hpp>
#include <moir/frontends/tflite/tflite.hpp>

namespace moir {

/// Every frontend moir ships, in the order a file is offered to them.
using default_frontends = type_list<ir::frontend, onnx::frontend, tflite::frontend, tensorflow::frontend,
                                    kaldi::frontend, mxnet::frontend, caffe::frontend>;

/// The registry of default_frontends, built once (declared in frontends/frontends_decl.hpp, as the
/// load_model overloads below).
template <class>
const frontends::frontend_registry& default_registry() {
    static const frontends::frontend_registry r = frontends::frontend_registry::of<default_frontends>();
    return r;
}

/// Loads a model with the frontend r.framework names, else the one that recognizes the file.
/// ensures: as the frontend's load; throws moir::error for a missing file or an unknown format.
template <class>
model load_model(const frontends::load_request& r, const frontends::frontend_registry& registry) {
    return registry.load(r);
}

/// As load_model(r, default_registry()). An overload, not a default argument: a default argument
/// would compile every frontend into each program that includes this header.
template <class>
model load_model(const frontends::load_request& r) {
    return default_registry().load(r);
}

/// Loads `path` with default options.
template <class>
model load_model(const std::string& path) {
    frontends::load_request r;
    r.input_model = path;
    return load_model(r);
}

}  // namespace moir

// Compiled once by moir::compiled when it holds every frontend (cmake/compiled/frontends.cpp.in
// defines the macro empty), declared extern for its users.
#if defined(MOIR_COMPILED_FRONTENDS) && defined(MOIR_DETAIL_FRONTEND_EXTERN)
namespace moir {
MOIR_DETAIL_FRONTEND_EXTERN template const frontends::frontend_registry& default_registry<void>();
MOIR_DETAIL_FRONTEND_EXTERN template model load_model<void>(const frontends::load_request&,
                                                             const frontends::frontend_registry&);
MOIR_DETAIL_FRONTEND_EXTERN template model load_model<void>(const frontends::load_request&);
MOIR_DETAIL_FRONTEND_EXTERN template model load_model<void>(const std::string&);
}  // namespace moir
#endif

#endif  // MOIR_FRONTENDS_FRONTENDS_HPP
