#ifndef MOIR_EXTENSION_PLUGIN_HPP
#define MOIR_EXTENSION_PLUGIN_HPP

// Extensions as shared libraries, for the moir tool (`moir convert/run/bench --extensions
// libmyops.so`) and for programs (moir::load_extension). docs/custom-layers.md.
//
// An extension is a shared library (CMake: add_library(myops MODULE ...), linked to moir::moir)
// that defines, with this header's macro, one registration function:
//
//   #include <moir/extension/plugin.hpp>
//   MOIR_EXTENSION(registry) {
//       registry.add_op(moir::describe_op<my_ops::my_op>());
//       registry.add_conversion<moir::onnx::context>("onnx", "MyOp", my_ops::convert_my_op);
//   }
//
// The macro exports two C symbols: moir_extension_abi() (the ABI tag below) and
// moir_register_extension(moir::extension_registry&). The library and the program that loads it
// share C++ types (the registry, nodes, tensors, std::string, std::function) across the boundary, so:
//   - both are built from the same moir version, with the same compiler and standard library;
//     load_extension compares the tags and refuses a mismatch;
//   - the program exports its symbols (CMake ENABLE_EXPORTS, -rdynamic; the moir tool does), so
//     that moir's ops inside the library (a Constant its converter adds) are the program's;
//   - the library is never unloaded (nodes point at its op descriptors and kernels).

#include <moir/core/errors.hpp>
#include <moir/core/extensions.hpp>
#include <moir/core/model.hpp>
#include <moir/version.hpp>

#include <dlfcn.h>

#include <filesystem>  // exists, path
#include <string>      // string, to_string

namespace moir {

/// The ABI tag of this build: moir's version, the compiler and its version, the standard library's
/// string ABI, the C++ standard and the sizes of the types that cross the boundary. An extension
/// loads only into a program whose tag is the same.
inline std::string extension_abi_tag() {
    std::string t = "moir " MOIR_VERSION_STRING;
#if defined(__clang__)
    t += "; clang " __clang_version__;
#elif defined(__GNUC__)
    t += "; gcc " __VERSION__;
#else
    t += "; unknown compiler";
#endif
#if defined(_GLIBCXX_USE_CXX11_ABI)
    t += "; libstdc++ cxx11 abi " + std::to_string(_GLIBCXX_USE_CXX11_ABI);
#endif
    t += "; c++ " + std::to_string(__cplusplus);
    t += "; sizes " + std::to_string(sizeof(node)) + "/" + std::to_string(sizeof(model)) + "/" +
         std::to_string(sizeof(tensor)) + "/" + std::to_string(sizeof(op_info)) + "/" +
         std::to_string(sizeof(extension_registry));
    return t;
}

/// Loads extension library `path` and runs its registration function on `registry`.
/// ensures: throws moir::error naming the path and the reason when the file does not exist or
/// cannot be loaded (dlerror's words), when it is not a moir extension (a symbol is missing), or
/// when it was built for another moir or compiler (both tags quoted); the library is then unloaded.
/// On success the library stays loaded for the process and is listed in registry.libraries().
inline void load_extension(const std::string& path, extension_registry& registry = extensions()) {
    std::error_code ec;
    MOIR_CHECK(std::filesystem::exists(path, ec), error, path + ": the extension library does not exist");
    // a bare file name would make dlopen search the library path instead of this folder
    const std::string file = path.find('/') == std::string::npos ? "./" + path : path;
    void* lib = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        const char* why = dlerror();
        throw error(path + ": cannot load the extension library: " + (why ? why : "unknown reason"));
    }
    using abi_fn = const char* (*)();
    using register_fn = void (*)(extension_registry&);
    const auto abi = reinterpret_cast<abi_fn>(dlsym(lib, "moir_extension_abi"));
    const auto reg = reinterpret_cast<register_fn>(dlsym(lib, "moir_register_extension"));
    if (!abi || !reg) {
        dlclose(lib);
        throw error(path + ": not a moir extension: it does not export " +
                    (!abi ? std::string("moir_extension_abi") : std::string("moir_register_extension")) +
                    " (define its registration function with MOIR_EXTENSION, moir/extension/plugin.hpp)");
    }
    const std::string theirs = abi() ? abi() : "", ours = extension_abi_tag();
    if (theirs != ours) {
        dlclose(lib);
        throw error(path + ": the extension was built for '" + theirs + "', this program is '" + ours +
                    "': rebuild the extension with this moir and compiler");
    }
    reg(registry);
    registry.add_library(path);
}

}  // namespace moir

/// Defines an extension's registration function (see the file comment): MOIR_EXTENSION(r) { ... }
/// with `r` a moir::extension_registry&.
#define MOIR_EXTENSION(registry)                                                                      \
    extern "C" __attribute__((visibility("default"))) const char* moir_extension_abi() {              \
        static const std::string tag = ::moir::extension_abi_tag();                                   \
        return tag.c_str();                                                                           \
    }                                                                                                 \
    extern "C" __attribute__((visibility("default"))) void moir_register_extension(                   \
        ::moir::extension_registry& registry)

#endif  // MOIR_EXTENSION_PLUGIN_HPP
