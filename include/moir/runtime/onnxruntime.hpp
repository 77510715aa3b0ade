#ifndef MOIR_RUNTIME_ONNXRUNTIME_HPP
#define MOIR_RUNTIME_ONNXRUNTIME_HPP

// onnxruntime, loaded at run time: what runs the parts of an ONNX model that moir could not convert
// (ops/onnx_fallback.hpp, docs/fallback.md). moir has no link-time dependency on onnxruntime and
// needs none of its headers: libonnxruntime.so is opened with dlopen on first use, and moir calls
// the few functions it needs through the table that OrtGetApiBase()->GetApi(1) returns — the C API
// of version 1, whose layout onnxruntime keeps frozen in every release since 1.0 (the slot numbers
// below are the positions of those functions in onnxruntime_c_api.h's `struct OrtApi`).
//
// Where the library is looked for, first match wins:
//   1. the path given to onnxruntime::set_library() (the CLI's --fallback_library), alone;
//   2. else the path in the environment variable MOIR_ONNXRUNTIME, alone;
//   3. else onnxruntime-node's copy, third_party/npm/node_modules/onnxruntime-node/bin/napi-v6/
//      linux/<x64|arm64>/libonnxruntime.so.1, in the current folder, the executable's folder or any
//      folder above them (the layout tools/setup.sh installs), then libonnxruntime.so.1 and
//      libonnxruntime.so on the system's library path.
// When none loads, the error lists every path tried with the loader's reason.

#include <moir/core/element_type.hpp>
#include <moir/core/errors.hpp>
#include <moir/core/shape.hpp>
#include <moir/core/tensor.hpp>

#if !defined(_WIN32)
#include <dlfcn.h>   // dlopen, dlsym, dlerror
#include <unistd.h>  // readlink
#endif

#include <cstddef>     // size_t
#include <cstdint>     // int64_t, uint32_t
#include <cstdlib>     // getenv
#include <cstring>     // memcpy
#include <filesystem>  // path, exists
#include <memory>      // shared_ptr
#include <mutex>       // mutex, lock_guard
#include <optional>    // optional
#include <string>      // string
#include <utility>     // move
#include <vector>      // vector

namespace moir::onnxruntime {

/// The onnxruntime C API version moir asks for: 1, the frozen first block of `struct OrtApi`.
inline constexpr std::uint32_t api_version = 1;

namespace detail {
inline std::mutex& load_lock() {
    static std::mutex m;
    return m;
}
inline std::string& library_override() {
    static std::string p;
    return p;
}
}  // namespace detail

/// Makes `path` the only library tried (empty: back to the environment and the default search).
/// requires: called before the first fallback node is prepared (a loaded library stays loaded).
inline void set_library(const std::string& path) {
    std::lock_guard<std::mutex> g(detail::load_lock());
    detail::library_override() = path;
}

/// The paths tried, in order (see the file comment).
inline std::vector<std::string> library_candidates() {
    std::vector<std::string> c;
    {
        std::lock_guard<std::mutex> g(detail::load_lock());
        if (!detail::library_override().empty()) return {detail::library_override()};
    }
    if (const char* env = std::getenv("MOIR_ONNXRUNTIME"); env && *env) return {env};
#if defined(__aarch64__)
    const std::string arch = "arm64";
#else
    const std::string arch = "x64";
#endif
    const std::string rel = "third_party/npm/node_modules/onnxruntime-node/bin/napi-v6/linux/" + arch + "/libonnxruntime.so.1";
    std::vector<std::filesystem::path> roots;
    std::error_code ec;
    roots.push_back(std::filesystem::current_path(ec));
#if !defined(_WIN32)
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) roots.push_back(std::filesystem::path(std::string(buf, static_cast<std::size_t>(n))).parent_path());
#endif
    for (auto root : roots) {
        for (int up = 0; up < 8 && !root.empty(); ++up) {
            const std::string p = (root / rel).string();
            if (std::filesystem::exists(p, ec)) {
                bool seen = false;
                for (const auto& x : c) seen = seen || x == p;
                if (!seen) c.push_back(p);
            }
            if (root == root.parent_path()) break;
            root = root.parent_path();
        }
    }
    c.push_back("libonnxruntime.so.1");
    c.push_back("libonnxruntime.so");
    return c;
}

/// The loaded library: its path, its version string and the C API table.
class library {
public:
    std::string path;
    std::string version;
    const void* const* table = nullptr;

    /// The process's library, loaded on the first call. ensures: throws moir::error naming every
    /// path tried and why each failed when none loads, or the library when it lacks API version 1.
    static const library& get() {
        static std::mutex once;
        static std::shared_ptr<library> loaded;
        std::lock_guard<std::mutex> g(once);
        if (!loaded) loaded = std::make_shared<library>(load());
        return *loaded;
    }

    /// Function slot `slot` of the API table as F.
    template <class F>
    F fn(std::size_t slot) const {
        return reinterpret_cast<F>(const_cast<void*>(table[slot]));
    }

private:
    static library load() {
#if defined(_WIN32)
        throw error("onnxruntime fallback: loading onnxruntime is implemented for Linux only");
#else
        struct api_base {
            const void* (*get_api)(std::uint32_t version);
            const char* (*get_version_string)();
        };
        std::string tried;
        for (const auto& p : library_candidates()) {
            void* h = ::dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (!h) {
                const char* why = ::dlerror();
                tried += "\n  " + p + ": " + (why ? why : "cannot be loaded");
                continue;
            }
            using get_base_fn = const api_base* (*)();
            auto get_base = reinterpret_cast<get_base_fn>(::dlsym(h, "OrtGetApiBase"));
            if (!get_base) {
                tried += "\n  " + p + ": has no OrtGetApiBase (not onnxruntime?)";
                continue;
            }
            const api_base* base = get_base();
            library l;
            l.path = p;
            l.version = base && base->get_version_string ? base->get_version_string() : "?";
            const void* api = base && base->get_api ? base->get_api(api_version) : nullptr;
            MOIR_CHECK(api, error,
                       "onnxruntime fallback: " + p + " (onnxruntime " + l.version + ") does not offer C API version " +
                           std::to_string(api_version));
            l.table = static_cast<const void* const*>(api);
            return l;
        }
        throw error("onnxruntime fallback: cannot load libonnxruntime (give its path with --fallback_library PATH "
                    "or the environment variable MOIR_ONNXRUNTIME; docs/fallback.md); tried:" + tried);
#endif
    }
};

namespace detail {
// Slots of `struct OrtApi` (C API version 1) that moir calls.
enum slot : std::size_t {
    get_error_message = 2, create_env = 3, create_session_from_array = 8, run = 9, create_session_options = 10,
    set_session_log_severity_level = 22, set_intra_op_num_threads = 24, set_inter_op_num_threads = 25,
    session_get_input_count = 30, session_get_output_count = 31, session_get_input_type_info = 33,
    session_get_output_type_info = 34, session_get_input_name = 36, session_get_output_name = 37,
    create_tensor_with_data_as_ort_value = 49, is_tensor = 50, get_tensor_mutable_data = 51,
    cast_type_info_to_tensor_info = 55, get_tensor_element_type = 60, get_dimensions_count = 61,
    get_dimensions = 62, get_tensor_type_and_shape = 65, create_cpu_memory_info = 69, allocator_free = 76,
    get_allocator_with_default_options = 78, release_env = 92, release_status = 93, release_memory_info = 94,
    release_session = 95, release_value = 96, release_type_info = 98, release_tensor_type_and_shape_info = 99,
    release_session_options = 100
};
using status = void*;  // OrtStatus*, null on success

/// Throws moir::error "<what>: onnxruntime: <message>" for a failed status (and releases it).
inline void check(const library& l, status s, const std::string& what) {
    if (!s) return;
    const char* msg = l.fn<const char* (*)(const void*)>(get_error_message)(s);
    std::string m = msg ? msg : "unknown error";
    l.fn<void (*)(void*)>(release_status)(s);
    throw error(what + ": onnxruntime: " + m);
}

/// The process's OrtEnv (onnxruntime allows one), made on first use and kept.
inline void* env(const library& l) {
    static std::mutex m;
    static void* e = nullptr;
    std::lock_guard<std::mutex> g(m);
    if (!e) check(l, l.fn<status (*)(int, const char*, void**)>(create_env)(3 /* ERROR */, "moir", &e), "creating the environment");
    return e;
}

/// ONNX / onnxruntime element type codes (the same numbers) <-> moir's.
inline std::optional<element_type> from_onnx_code(int code) {
    switch (code) {
        case 1: return element_type::f32;
        case 2: return element_type::u8;
        case 3: return element_type::i8;
        case 4: return element_type::u16;
        case 5: return element_type::i16;
        case 6: return element_type::i32;
        case 7: return element_type::i64;
        case 9: return element_type::boolean;
        case 10: return element_type::f16;
        case 11: return element_type::f64;
        case 12: return element_type::u32;
        case 13: return element_type::u64;
        default: return std::nullopt;
    }
}
inline int to_onnx_code(element_type t) {
    switch (t) {
        case element_type::f32: return 1;
        case element_type::u8: return 2;
        case element_type::i8: return 3;
        case element_type::u16: return 4;
        case element_type::i16: return 5;
        case element_type::i32: return 6;
        case element_type::i64: return 7;
        case element_type::boolean: return 9;
        case element_type::f16: return 10;
        case element_type::f64: return 11;
        case element_type::u32: return 12;
        case element_type::u64: return 13;
        default: return 0;
    }
}
}  // namespace detail

/// The type and shape onnxruntime gives a session input or output (-1: a dim it does not know).
struct value_type {
    element_type type = element_type::undefined;
    partial_shape shape;
};

/// One onnxruntime session of a serialized ONNX model, made once and run many times. Not copyable.
/// run() may be called from one thread at a time per session (moir's executors do so).
class session {
public:
    /// ensures: throws moir::error "<what>: onnxruntime: ..." when the library cannot be loaded or
    /// onnxruntime rejects the model; `threads` is onnxruntime's intra-op thread count (0: its default).
    session(const std::string& model_bytes, const std::string& what, int threads = 1)
        : lib_(&library::get()), what_(what) {
        using namespace detail;
        const library& l = *lib_;
        void* e = env(l);
        void* opt = nullptr;
        check(l, l.fn<status (*)(void**)>(create_session_options)(&opt), what_);
        struct opt_guard {
            const library& l;
            void* o;
            ~opt_guard() { l.fn<void (*)(void*)>(release_session_options)(o); }
        } og{l, opt};
        check(l, l.fn<status (*)(void*, int)>(set_intra_op_num_threads)(opt, threads), what_);
        check(l, l.fn<status (*)(void*, int)>(set_inter_op_num_threads)(opt, 1), what_);
        check(l, l.fn<status (*)(void*, int)>(set_session_log_severity_level)(opt, 3), what_);
        check(l,
              l.fn<status (*)(const void*, const void*, std::size_t, const void*, void**)>(create_session_from_array)(
                  e, model_bytes.data(), model_bytes.size(), opt, &session_),
              what_);
        void* alloc = nullptr;
        check(l, l.fn<status (*)(void**)>(get_allocator_with_default_options)(&alloc), what_);
        std::size_t n_in = 0, n_out = 0;
        check(l, l.fn<status (*)(const void*, std::size_t*)>(session_get_input_count)(session_, &n_in), what_);
        check(l, l.fn<status (*)(const void*, std::size_t*)>(session_get_output_count)(session_, &n_out), what_);
        auto names = [&](std::size_t count, std::size_t getter, std::vector<std::string>& out) {
            for (std::size_t i = 0; i < count; ++i) {
                char* s = nullptr;
                check(l, l.fn<status (*)(const void*, std::size_t, void*, char**)>(getter)(session_, i, alloc, &s), what_);
                out.emplace_back(s ? s : "");
                if (s) check(l, l.fn<status (*)(void*, void*)>(allocator_free)(alloc, s), what_);
            }
        };
        names(n_in, session_get_input_name, input_names_);
        names(n_out, session_get_output_name, output_names_);
        for (std::size_t i = 0; i < n_in; ++i) inputs_.push_back(io_type(session_get_input_type_info, i));
        for (std::size_t i = 0; i < n_out; ++i) outputs_.push_back(io_type(session_get_output_type_info, i));
        check(l, l.fn<status (*)(int, int, void**)>(create_cpu_memory_info)(1 /* arena */, 0 /* default */, &memory_), what_);
    }
    session(const session&) = delete;
    session& operator=(const session&) = delete;
    ~session() {
        if (memory_) lib_->fn<void (*)(void*)>(detail::release_memory_info)(memory_);
        if (session_) lib_->fn<void (*)(void*)>(detail::release_session)(session_);
    }

    const std::vector<std::string>& input_names() const { return input_names_; }
    const std::vector<std::string>& output_names() const { return output_names_; }
    /// What onnxruntime says of the inputs and outputs (element type, shape; -1 for unknown dims).
    const std::vector<value_type>& inputs() const { return inputs_; }
    const std::vector<value_type>& outputs() const { return outputs_; }
    /// The library's version string ("1.30.0").
    const std::string& version() const { return lib_->version; }

    /// Runs the model. requires: one tensor per input, of its type.
    /// ensures: one tensor per output; throws moir::error with onnxruntime's reason when it fails.
    std::vector<tensor> run(const std::vector<tensor>& in) const {
        using namespace detail;
        const library& l = *lib_;
        MOIR_CHECK(in.size() == input_names_.size(), error,
                   what_ + ": the ONNX part has " + std::to_string(input_names_.size()) + " inputs, " +
                       std::to_string(in.size()) + " were given");
        std::vector<void*> values(in.size(), nullptr), results(output_names_.size(), nullptr);
        struct guard {
            const library& l;
            std::vector<void*>& a;
            std::vector<void*>& b;
            ~guard() {
                for (void* v : a) if (v) l.fn<void (*)(void*)>(release_value)(v);
                for (void* v : b) if (v) l.fn<void (*)(void*)>(release_value)(v);
            }
        } g{l, values, results};
        static char empty_data[64];
        for (std::size_t i = 0; i < in.size(); ++i) {
            const int code = to_onnx_code(in[i].type());
            MOIR_CHECK(code != 0, error, what_ + ": input " + std::to_string(i) + " has a type onnxruntime cannot take");
            std::vector<std::int64_t> dims(in[i].dims().begin(), in[i].dims().end());
            void* data = in[i].bytes() ? const_cast<void*>(in[i].raw()) : static_cast<void*>(empty_data);
            check(l,
                  l.fn<status (*)(const void*, void*, std::size_t, const std::int64_t*, std::size_t, int, void**)>(
                      create_tensor_with_data_as_ort_value)(memory_, data, in[i].bytes(), dims.data(), dims.size(), code,
                                                            &values[i]),
                  what_ + ": input '" + input_names_[i] + "'");
        }
        std::vector<const char*> in_names, out_names;
        for (const auto& s : input_names_) in_names.push_back(s.c_str());
        for (const auto& s : output_names_) out_names.push_back(s.c_str());
        check(l,
              l.fn<status (*)(void*, const void*, const char* const*, const void* const*, std::size_t, const char* const*,
                              std::size_t, void**)>(detail::run)(session_, nullptr, in_names.data(), values.data(), values.size(),
                                                        out_names.data(), out_names.size(), results.data()),
              what_);
        std::vector<tensor> out;
        for (std::size_t j = 0; j < results.size(); ++j) {
            const std::string where = what_ + ": output '" + output_names_[j] + "'";
            int is = 0;
            check(l, l.fn<status (*)(const void*, int*)>(is_tensor)(results[j], &is), where);
            MOIR_CHECK(is, error, where + " is not a tensor (moir takes tensors only)");
            void* info = nullptr;
            check(l, l.fn<status (*)(const void*, void**)>(get_tensor_type_and_shape)(results[j], &info), where);
            struct info_guard {
                const library& l;
                void* i;
                ~info_guard() { l.fn<void (*)(void*)>(release_tensor_type_and_shape_info)(i); }
            } ig{l, info};
            const value_type vt = describe(info, where);
            tensor t(vt.type, vt.shape.dims);
            void* data = nullptr;
            check(l, l.fn<status (*)(void*, void**)>(get_tensor_mutable_data)(results[j], &data), where);
            if (t.bytes()) std::memcpy(t.raw(), data, t.bytes());
            out.push_back(std::move(t));
        }
        return out;
    }

private:
    value_type describe(const void* info, const std::string& where) const {
        using namespace detail;
        const library& l = *lib_;
        int code = 0;
        check(l, l.fn<status (*)(const void*, int*)>(get_tensor_element_type)(info, &code), where);
        const auto et = from_onnx_code(code);
        MOIR_CHECK(et, error, where + " has ONNX element type " + std::to_string(code) + ", which moir cannot hold");
        std::size_t rank = 0;
        check(l, l.fn<status (*)(const void*, std::size_t*)>(get_dimensions_count)(info, &rank), where);
        std::vector<std::int64_t> dims(rank);
        check(l, l.fn<status (*)(const void*, std::int64_t*, std::size_t)>(get_dimensions)(info, dims.data(), rank), where);
        for (auto& d : dims)
            if (d < 0) d = dynamic_dim;
        return value_type{*et, partial_shape(dims)};
    }
    value_type io_type(std::size_t getter, std::size_t i) const {
        using namespace detail;
        const library& l = *lib_;
        const std::string where = what_ + (getter == session_get_input_type_info ? ": input " : ": output ") + std::to_string(i);
        void* ti = nullptr;
        check(l, l.fn<status (*)(const void*, std::size_t, void**)>(getter)(session_, i, &ti), where);
        struct ti_guard {
            const library& l;
            void* t;
            ~ti_guard() { l.fn<void (*)(void*)>(release_type_info)(t); }
        } g{l, ti};
        const void* info = nullptr;
        check(l, l.fn<status (*)(const void*, const void**)>(cast_type_info_to_tensor_info)(ti, &info), where);
        MOIR_CHECK(info, error, where + " is not a tensor (moir takes tensors only)");
        return describe(info, where);
    }

    const library* lib_;
    std::string what_;
    void* session_ = nullptr;
    void* memory_ = nullptr;
    std::vector<std::string> input_names_, output_names_;
    std::vector<value_type> inputs_, outputs_;
};

}  // namespace moir::onnxruntime

#endif  // MOIR_RUNTIME_ONNXRUNTIME_HPP
