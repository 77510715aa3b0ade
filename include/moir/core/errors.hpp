#ifndef MOIR_CORE_ERRORS_HPP
#define MOIR_CORE_ERRORS_HPP

// moir's exception types. Every error moir raises is a moir::error (or a subclass) whose what()
// reads "<where>: <reason>", where <where> names the file and, when known, the node.

#include <stdexcept>  // runtime_error
#include <string>     // string

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

}  // namespace moir

/// Marks a function as the cold, out-of-line path of its callers (error reporting): compiled once
/// and for size, never inlined. Internal.
#if defined(__GNUC__) || defined(__clang__)
#define MOIR_DETAIL_COLD __attribute__((cold, noinline))
#else
#define MOIR_DETAIL_COLD
#endif

namespace moir::detail {
/// Throws E(message), out of line and marked cold: MOIR_CHECK's failure path. The hundreds of
/// checks of a program then share one throw per error type instead of each constructing and
/// throwing its exception inline, and the compiler lays the message building out as cold code.
template <class E>
[[noreturn]] MOIR_DETAIL_COLD void throw_error(const std::string& message) {
    throw E(message);
}
}  // namespace moir::detail

/// Throws moir::error_type(msg) when cond is false. msg is only evaluated on failure.
#define MOIR_CHECK(cond, error_type, msg)                                     \
    do {                                                                      \
        if (!(cond)) ::moir::detail::throw_error<::moir::error_type>(msg);   \
    } while (false)

#endif  // MOIR_CORE_ERRORS_HPP
