#ifndef MOIR_CORE_EXTENSIONS_HPP
#define MOIR_CORE_EXTENSIONS_HPP

// Ops and frontend mappings that moir was not compiled with (docs/custom-layers.md).
//
// moir's own ops are the compile-time list opsets::all: the IR reader and writer, the reference
// executor and the compiled plan build their tables over it (or over a longer list a program
// passes as their OpSet parameter). The extension registry is the run-time complement, for ops a
// program (or a shared library the CLI loads with --extensions) registers without rebuilding
// moir's tables: each consumer looks an op up in its compile-time table first and in the registry
// second, so nothing switches over op names and moir's own ops cost nothing more.
//
//   - an op: its op_info (identity, IR type and opset, shape inference), its IR <data> reader and
//     writer, its reference kernel and optionally a fast kernel (moir/extension/op.hpp builds the
//     entry from an op type: describe_op<Op>());
//   - a frontend mapping: a converter for one framework op type, typed on that frontend's context
//     (moir::tflite::context, moir::caffe::context, ...); every frontend converts with its default
//     table extended by the registry's mappings for it (with_extensions), a mapping of an op moir
//     already converts overriding moir's.
//
// One registry serves a process: extensions(). Register before converting or running (the registry
// is not synchronized against concurrent lookups); an extension is never unloaded.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/op.hpp>
#include <moir/core/tensor.hpp>

#include <any>            // any, any_cast, bad_any_cast
#include <atomic>         // atomic
#include <cstdint>        // int64_t, uint64_t
#include <functional>     // function
#include <memory>         // shared_ptr, make_shared
#include <mutex>          // mutex, lock_guard
#include <string>         // string
#include <string_view>    // string_view
#include <typeinfo>       // type_info
#include <utility>        // move
#include <vector>         // vector

namespace moir {

namespace ir {
namespace xml {
struct element;
class writer;
}  // namespace xml
namespace detail {
struct bin_source;
class bin_builder;
}  // namespace detail
}  // namespace ir

/// What moir needs of an op it was not compiled with. Built from an op type by
/// moir::describe_op<Op>() (moir/extension/op.hpp); every pointer but `fast` is required.
struct op_extension {
    const op_info* info = nullptr;
    /// The attrs of one IR layer of this op from its <data> element (nullptr when absent).
    std::any (*read)(const ir::xml::element* data, const std::string& where, const ir::detail::bin_source& bin) = nullptr;
    /// Writes the <data> element of one node of this op.
    void (*write)(const node& n, ir::xml::writer& w, ir::detail::bin_builder& bin) = nullptr;
    /// The reference kernel (kernels/kernel.hpp's contract, attrs erased).
    void (*reference)(const std::any& attrs, const std::vector<tensor>& in, std::vector<tensor>& out) = nullptr;
    /// Optional: a faster kernel with the same contract, which the compiled plan runs instead.
    void (*fast)(const std::any& attrs, const std::vector<tensor>& in, std::vector<tensor>& out) = nullptr;
};

/// Ops and frontend mappings registered at run time (see the file comment).
class extension_registry {
public:
    /// Registers an op. An op of the same IR type and opset registered before is replaced.
    /// ensures: throws moir::error when a required part is missing.
    void add_op(const op_extension& e) {
        MOIR_CHECK(e.info && e.read && e.write && e.reference, error,
                   "an extension op needs its op_info, IR reader and writer and reference kernel (use moir::describe_op<Op>())");
        for (auto& o : ops_)
            if (o.info->ir_name == e.info->ir_name && o.info->ir_opset == e.info->ir_opset) {
                o = e;
                return;
            }
        ops_.push_back(e);
    }
    /// The registered op whose op_info is `op`, or nullptr.
    const op_extension* find(const op_info* op) const {
        for (const auto& o : ops_)
            if (o.info == op) return &o;
        return nullptr;
    }
    /// The registered op of IR type `ir_name` in opset `ir_opset` ("" = the only op of that type), or nullptr.
    const op_extension* find(std::string_view ir_name, std::string_view ir_opset) const {
        const op_extension* only = nullptr;
        std::size_t n = 0;
        for (const auto& o : ops_) {
            if (o.info->ir_name != ir_name) continue;
            if (o.info->ir_opset == ir_opset) return &o;
            only = &o;
            ++n;
        }
        return ir_opset.empty() && n == 1 ? only : nullptr;
    }
    const std::vector<op_extension>& ops() const { return ops_; }

    /// Registers converter `fn` for framework op `op_type` of frontend `framework` ("onnx",
    /// "tflite", "caffe", "tf", "mxnet": the frontend's name), in `domain` (the frontend's op
    /// table domain: "" by default, "custom" for TFLite custom ops, an ONNX domain) from op-set
    /// version `since` on. Context is that frontend's converter context; F is callable as
    /// void(Context&). A mapping of an op that moir converts itself overrides moir's.
    template <class Context, class F>
    void add_conversion(const std::string& framework, const std::string& op_type, F fn, const std::string& domain = "",
                        std::int64_t since = 1) {
        conversions_.push_back(
            conversion{framework, op_type, domain, since, std::function<void(Context&)>(std::move(fn)), &typeid(Context)});
        generation_ = next_generation();
    }
    /// Whether any mapping is registered for `framework`.
    bool has_conversions(const std::string& framework) const {
        for (const auto& c : conversions_)
            if (c.framework == framework) return true;
        return false;
    }
    /// Adds the mappings registered for `framework` to `table` (a frontends::basic_op_table or
    /// derived). ensures: throws moir::error naming the mapping when it was registered with another
    /// frontend's context type.
    template <class Table>
    void extend(const std::string& framework, Table& table) const {
        using converter = typename Table::converter;
        for (const auto& c : conversions_) {
            if (c.framework != framework) continue;
            const auto* fn = std::any_cast<converter>(&c.fn);
            MOIR_CHECK(fn, error,
                       "the extension mapping of " + framework + " op '" + c.op_type + "' was registered with context type " +
                           c.context->name() + ", which is not the " + framework + " frontend's");
            table.add(c.op_type, *fn, c.since, c.domain);
        }
    }
    /// Changes with every change to the mappings, unique in the process (0: none registered);
    /// a table extended at another generation is stale. A copy keeps it (same mappings).
    std::uint64_t generation() const { return generation_; }

    /// Other named entries an extension registers, by kind: a sub-graph replacement under its
    /// --transformations_config id, say. `kind` names the table ("replacement"), `id` the entry;
    /// T is any copyable type the consumer of that kind defines. A later entry of the same kind
    /// and id replaces the earlier one.
    template <class T>
    void add_entry(const std::string& kind, const std::string& id, T value) {
        for (auto& e : entries_)
            if (e.kind == kind && e.id == id) {
                e.value = std::move(value);
                return;
            }
        entries_.push_back(entry{kind, id, std::any(std::move(value))});
    }
    /// The entry of `kind` and `id` when there is one of type T, else nullptr.
    template <class T>
    const T* find_entry(const std::string& kind, const std::string& id) const {
        for (const auto& e : entries_)
            if (e.kind == kind && e.id == id) return std::any_cast<T>(&e.value);
        return nullptr;
    }
    /// The ids registered under `kind`, in registration order (for "did you mean" messages).
    std::vector<std::string> entry_ids(const std::string& kind) const {
        std::vector<std::string> ids;
        for (const auto& e : entries_)
            if (e.kind == kind) ids.push_back(e.id);
        return ids;
    }

    /// The extension libraries loaded into this registry (moir::load_extension), for messages.
    const std::vector<std::string>& libraries() const { return libraries_; }
    void add_library(const std::string& path) { libraries_.push_back(path); }

private:
    static std::uint64_t next_generation() {
        static std::atomic<std::uint64_t> counter{0};
        return ++counter;
    }
    struct conversion {
        std::string framework, op_type, domain;
        std::int64_t since;
        std::any fn;  ///< std::function<void(Context&)>
        const std::type_info* context;
    };
    struct entry {
        std::string kind, id;
        std::any value;
    };
    std::vector<op_extension> ops_;
    std::vector<entry> entries_;
    std::vector<conversion> conversions_;
    std::vector<std::string> libraries_;
    std::uint64_t generation_ = 0;
};

/// The process's registry: what moir's IR reader and writer, executors and frontends consult.
inline extension_registry& extensions() {
    static extension_registry r;
    return r;
}

/// The registered op of `op`, or nullptr (the fallback of the compile-time tables).
inline const op_extension* find_extension(const op_info* op) { return extensions().find(op); }

/// Whether `opset` is one of OpenVINO's ("opsetN"): an op of any other opset comes from an extension.
inline bool is_standard_opset(std::string_view opset) {
    if (opset.substr(0, 5) != "opset" || opset.size() == 5) return false;
    for (char ch : opset.substr(5))
        if (ch < '0' || ch > '9') return false;
    return true;
}

/// What to do about op `ir_name` of opset `opset` that this program does not know: the message
/// for errors ("... load the extension that defines it: moir run --extensions ...").
inline std::string missing_extension_hint(std::string_view ir_name, std::string_view opset) {
    return "op " + std::string(ir_name) + " of opset '" + std::string(opset) +
           "' comes from an extension that is not loaded: load the library that defines it (moir convert/run/bench "
           "--extensions lib.so, or moir::load_extension / moir::extensions().add_op in a program)";
}

/// `defaults` extended by the registry's mappings for frontend `framework`; `defaults` itself
/// when there are none. The extended table is built once per registry generation and kept alive
/// for the process (a table in use is never freed).
template <class Table>
const Table& with_extensions(const std::string& framework, const Table& defaults) {
    const extension_registry& reg = extensions();
    if (!reg.has_conversions(framework)) return defaults;
    struct cache_entry {
        const Table* base;
        std::string framework;
        std::uint64_t generation;
        std::shared_ptr<Table> table;
    };
    static std::mutex mutex;
    static std::vector<cache_entry> cache;
    std::lock_guard<std::mutex> lock(mutex);
    for (auto it = cache.rbegin(); it != cache.rend(); ++it)
        if (it->base == &defaults && it->framework == framework && it->generation == reg.generation()) return *it->table;
    auto t = std::make_shared<Table>(defaults);
    reg.extend(framework, *t);
    cache.push_back(cache_entry{&defaults, framework, reg.generation(), t});
    return *t;
}

}  // namespace moir

#endif  // MOIR_CORE_EXTENSIONS_HPP
