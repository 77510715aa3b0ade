#ifndef MOIR_IO_FILES_HPP
#define MOIR_IO_FILES_HPP

// Checked file access for every file moir reads or writes:
// - io::read_file reads only regular files (never a folder, FIFO, socket or device, which would
//   fail oddly, block or never end), up to a size limit checked before anything is allocated;
// - io::write_file checks every write and the close (a full disk is an error, not an empty file);
// - io::replace_files writes a set of files (the IR .xml + .bin pair) to temporaries next to their
//   targets and renames them into place only when all are complete; when a rename fails, the
//   targets already replaced get their old contents back.

#include <moir/core/errors.hpp>

#include <atomic>        // atomic (unique temporary names)
#include <chrono>        // steady_clock (unique temporary names)
#include <cstdint>       // uint64_t
#include <filesystem>    // status, file_size, rename, create_hard_link, remove
#include <fstream>       // ifstream, ofstream
#include <string>        // string, to_string
#include <string_view>   // string_view
#include <system_error>  // error_code
#include <utility>       // pair
#include <vector>        // vector

namespace moir::io {

/// The default limit on the size of one file moir reads (4 GiB).
inline constexpr std::uint64_t default_max_file_bytes = std::uint64_t{4} << 30;

/// What kind of non-regular file `s` is, for messages.
inline std::string file_kind(std::filesystem::file_type t) {
    switch (t) {
        case std::filesystem::file_type::directory: return "a folder";
        case std::filesystem::file_type::fifo: return "a FIFO";
        case std::filesystem::file_type::socket: return "a socket";
        case std::filesystem::file_type::character: return "a character device";
        case std::filesystem::file_type::block: return "a block device";
        default: return "not a regular file";
    }
}

/// The size of the regular file at `path` (symlinks followed).
/// ensures: throws moir::error "<what>'<path>': reason" when the path is empty, missing, not a
/// regular file (a folder, FIFO, device, socket) or larger than max_bytes. `what` prefixes the
/// message (e.g. "model.onnx: external data of tensor 'w': ").
inline std::uint64_t regular_file_size(const std::string& path, std::uint64_t max_bytes = default_max_file_bytes,
                                       const std::string& what = "") {
    MOIR_CHECK(!path.empty(), error, what + "no file name given (an empty path)");
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    MOIR_CHECK(!ec && st.type() != std::filesystem::file_type::not_found, error,
               what + "cannot open '" + path + "': " + (ec ? ec.message() : std::string("no such file")));
    MOIR_CHECK(st.type() == std::filesystem::file_type::regular, error,
               what + "cannot read '" + path + "': it is " + file_kind(st.type()) + ", not a regular file");
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    MOIR_CHECK(!ec, error, what + "cannot size '" + path + "': " + ec.message());
    MOIR_CHECK(size <= max_bytes, error,
               what + "'" + path + "' is " + std::to_string(size) + " bytes, more than the limit of " +
                   std::to_string(max_bytes) + " bytes");
    return size;
}

/// The whole regular file at `path`.
/// ensures: as regular_file_size; throws moir::error when the read comes up short.
inline std::string read_file(const std::string& path, std::uint64_t max_bytes = default_max_file_bytes,
                             const std::string& what = "") {
    const std::uint64_t size = regular_file_size(path, max_bytes, what);
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, what + "cannot open '" + path + "'");
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (size) f.read(bytes.data(), static_cast<std::streamsize>(size));
    MOIR_CHECK(static_cast<std::uint64_t>(f.gcount()) == size, error,
               what + "cannot read '" + path + "': read " + std::to_string(f.gcount()) + " of " +
                   std::to_string(size) + " bytes");
    return bytes;
}

/// The bytes [offset, offset + length) of the regular file at `path`.
/// ensures: as read_file; throws moir::parse_error when the range does not lie inside the file
/// (checked before anything is allocated).
inline std::string read_file_range(const std::string& path, std::uint64_t offset, std::uint64_t length,
                                   const std::string& what = "") {
    const std::uint64_t size = regular_file_size(path, ~std::uint64_t{0}, what);
    MOIR_CHECK(offset <= size && length <= size - offset, parse_error,
               what + "the range [" + std::to_string(offset) + ", +" + std::to_string(length) + ") lies outside '" + path +
                   "' (" + std::to_string(size) + " bytes)");
    std::ifstream f(path, std::ios::binary);
    MOIR_CHECK(f, error, what + "cannot open '" + path + "'");
    std::string bytes(static_cast<std::size_t>(length), '\0');
    f.seekg(static_cast<std::streamoff>(offset));
    if (length) f.read(bytes.data(), static_cast<std::streamsize>(length));
    MOIR_CHECK(f && static_cast<std::uint64_t>(f.gcount()) == length, error,
               what + "cannot read " + std::to_string(length) + " bytes at offset " + std::to_string(offset) +
                   " of '" + path + "'");
    return bytes;
}

/// Writes `bytes` to `path` (created or truncated).
/// ensures: throws moir::error "cannot write '<path>'" when the file cannot be created, a write
/// comes up short or the close fails (e.g. a full disk); the file may then be partial.
inline void write_file(const std::string& path, std::string_view bytes) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    MOIR_CHECK(f, error, "cannot create '" + path + "'");
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    f.flush();
    const bool written = f.good();
    f.close();
    MOIR_CHECK(written && !f.fail(), error,
               "cannot write '" + path + "' (" + std::to_string(bytes.size()) + " bytes; is the disk full?)");
}

/// Writes each (path, bytes) to a temporary file in the target's folder, then renames all of them
/// into place. ensures: when any write fails, no target is touched and no temporary remains; when
/// a rename fails, the targets renamed before it are put back as they were (their old contents,
/// or removed when they did not exist), so a set such as the IR .xml + .bin pair is never left
/// mixed; throws moir::error naming the file.
inline void replace_files(const std::vector<std::pair<std::string, std::string_view>>& files) {
    namespace fs = std::filesystem;
    static std::atomic<unsigned> counter{0};
    const auto stamp = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
    const std::string suffix = ".moir-tmp-" + std::to_string(stamp) + "-" + std::to_string(counter++);
    std::vector<std::string> temps, backups(files.size());
    std::vector<bool> had_old(files.size(), false);
    std::size_t renamed = 0;
    auto remove_quietly = [](const std::string& p) {
        std::error_code ec;
        if (!p.empty()) fs::remove(p, ec);
    };
    try {
        for (const auto& [path, bytes] : files) {
            temps.push_back(path + suffix);
            write_file(temps.back(), bytes);
        }
        // keep the old targets reachable (hard links cost nothing) until every new one is in place
        for (std::size_t i = 0; i < files.size(); ++i) {
            std::error_code ec;
            const auto st = fs::symlink_status(files[i].first, ec);
            if (ec || st.type() == fs::file_type::not_found) continue;
            MOIR_CHECK(st.type() == fs::file_type::regular || st.type() == fs::file_type::symlink, error,
                       "cannot write '" + files[i].first + "': it is " + file_kind(st.type()) + ", not a regular file");
            backups[i] = files[i].first + suffix + ".old";
            fs::create_hard_link(files[i].first, backups[i], ec);
            if (ec) {  // no hard links here (some filesystems): copy
                ec.clear();
                fs::copy_file(files[i].first, backups[i], ec);
            }
            MOIR_CHECK(!ec, error, "cannot keep a copy of '" + files[i].first + "' while replacing it: " + ec.message());
            had_old[i] = true;
        }
        for (; renamed < files.size(); ++renamed) {
            std::error_code ec;
            fs::rename(temps[renamed], files[renamed].first, ec);
            MOIR_CHECK(!ec, error, "cannot rename '" + temps[renamed] + "' to '" + files[renamed].first + "': " + ec.message());
        }
    } catch (...) {
        for (std::size_t i = 0; i < renamed; ++i) {  // undo: the old file back, or none
            std::error_code ec;
            if (had_old[i]) fs::rename(backups[i], files[i].first, ec);
            else fs::remove(files[i].first, ec);
        }
        for (const auto& t : temps) remove_quietly(t);
        for (const auto& b : backups) remove_quietly(b);
        throw;
    }
    for (const auto& b : backups) remove_quietly(b);
}

}  // namespace moir::io

#endif  // MOIR_IO_FILES_HPP
