#ifndef MOIR_CORE_ERRORS_HPP
#define MOIR_CORE_ERRORS_HPP

// moir's exception types. Every error moir raises is a moir::error (or a subclass) whose what()
// reads "<where>: <reason>", where <where> names the file and, when known, the node.

#include <cstddef>      // size_t
#include <cstdlib>      // abort (no exceptions)
#include <stdexcept>    // runtime_error
#include <string>       // string
#include <string_view>  // string_view

namespace moir {

/// The base of every exception moir throws.
/// ensures: what() is a complete, human-readable sentence naming the file/node when known.
class error : public std::runtime_error {
public:
    explicit error(const std::string& message) : std::runtime_error(message) {}
};

/// A file that cannot be decoded: truncated, corrupt, or of the wrong format.
class parse_error : public error {
public:
    using error::error;
};

/// A model that uses ops, types or attributes moir does not support.
class unsupported_error : public error {
public:
    using error::error;
};

/// A model whose shapes or types do not fit together (shape inference failed).
class shape_error : public error {
public:
    using error::error;
};

namespace detail {
/// Builds "what: reason" only when `what` is non-empty.
inline std::string with_context(const std::string& what, const std::string& reason) {
    return what.empty() ? reason : what + ": " + reason;
}
}  // namespace detail

/// Text from a file, made safe to quote in an error message: at most `max` bytes, printable ASCII
/// kept, every other byte (control characters, invalid or any non-ASCII UTF-8) written as \xNN, and
/// "..." appended when cut.
inline std::string printable(std::string_view s, std::size_t max = 100) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string r;
    for (std::size_t i = 0; i < s.size() && i < max; ++i) {
        const auto u = static_cast<unsigned char>(s[i]);
        if (u >= 0x20 && u < 0x7f) {
            r += s[i];
        } else {
            r += "\\x";
            r += hex[u >> 4];
            r += hex[u & 15];
        }
    }
    if (s.size() > max) r += "...";
    return r;
}

}  // namespace moir

/// Marks a function as the cold, out-of-line path of its callers (error reporting): compiled once
/// and for size, never inlined. Internal.
#if defined(__GNUC__) || defined(__clang__)
#define MOIR_DETAIL_COLD __attribute__((cold, noinline))
#else
#define MOIR_DETAIL_COLD
#endif

/// Throws the exception e; in a translation unit compiled without exceptions (-fno-exceptions: the
/// headers a generated model includes, docs/embedded.md) it aborts instead (e is not evaluated).
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define MOIR_THROW(e) throw e
#else
#define MOIR_THROW(e) (static_cast<void>(sizeof((e))), std::abort())
#endif

namespace moir::detail {
/// Throws E(message), out of line and marked cold: MOIR_CHECK's failure path. The hundreds of
/// checks of a program then share one throw per error type instead of each constructing and
/// throwing its exception inline, and the compiler lays the message building out as cold code.
template <class E>
[[noreturn]] MOIR_DETAIL_COLD void throw_error(const std::string& message) {
    MOIR_THROW(E(message));
}
}  // namespace moir::detail

/// Throws moir::error_type(msg) when cond is false. msg is only evaluated on failure.
#define MOIR_CHECK(cond, error_type, msg)                                     \
    do {                                                                      \
        if (!(cond)) ::moir::detail::throw_error<::moir::error_type>(msg);   \
    } while (false)

#endif  // MOIR_CORE_ERRORS_HPP
