#ifndef MOIR_IO_PATHS_HPP
#define MOIR_IO_PATHS_HPP

// Output paths that stay inside their folder: moir::io::output_path joins a folder and a file name
// given by a user or a model (--model_name, an output tensor's name) and refuses any name that
// would leave the folder, name the folder itself, or hide control characters.

#include <moir/core/errors.hpp>

#include <filesystem>  // path, canonical
#include <string>      // string
#include <system_error>  // error_code

namespace moir::io {

/// Why `name` is not a plain file name, or "" when it is one.
/// A plain name is non-empty, is not "." or "..", does not start with "..", and holds no '/', '\\'
/// and no control character (bytes below 0x20 and 0x7f).
inline std::string file_name_problem(const std::string& name) {
    if (name.empty()) return "the name is empty";
    if (name == "." || name == "..") return "'" + name + "' names a folder, not a file";
    if (name.compare(0, 2, "..") == 0) return "the name starts with '..'";
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '/' || c == '\\') return "the name holds a path separator ('" + std::string(1, c) + "')";
        if (u < 0x20 || u == 0x7f) return "the name holds a control character";
    }
    return {};
}

/// dir/name + extension, for a file moir writes.
/// requires: `name` is a plain file name (file_name_problem(name) is empty); `extension` (e.g.
/// ".xml") is appended as given. ensures: the path lies directly in `dir`; otherwise throws
/// moir::error "<what> '<name>' is not a plain file name: <reason>" (the name is shown with
/// control characters escaped).
inline std::string output_path(const std::string& dir, const std::string& name, const std::string& extension = "",
                               const std::string& what = "output name") {
    const std::string problem = file_name_problem(name);
    if (!problem.empty()) {
        throw error(what + " '" + printable(name) + "' is not a plain file name: " + problem +
                    " (moir writes only directly into the output folder)");
    }
    return (std::filesystem::path(dir) / (name + extension)).string();
}

/// Whether the existing file `path`, with every symlink resolved, lies inside the existing folder
/// `dir` (also resolved). ensures: false when either cannot be resolved.
inline bool resolves_inside(const std::string& dir, const std::string& path) {
    std::error_code ec;
    const auto d = std::filesystem::canonical(dir.empty() ? std::string(".") : dir, ec);
    if (ec) return false;
    const auto p = std::filesystem::canonical(path, ec);
    if (ec) return false;
    auto di = d.begin(), pi = p.begin();
    for (; di != d.end(); ++di, ++pi)
        if (pi == p.end() || *di != *pi) return false;
    return pi != p.end();  // strictly below dir
}

}  // namespace moir::io

#endif  // MOIR_IO_PATHS_HPP
