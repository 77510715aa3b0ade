#ifndef MOIR_FRONTENDS_REGISTRY_HPP
#define MOIR_FRONTENDS_REGISTRY_HPP

// The frontend concept and the run-time registry built from a compile-time list of frontends.
//
// A frontend is a struct with:
//   static constexpr const char* name;                 // its --framework value ("onnx", "tflite", ...)
//   static constexpr std::array<const char*, N> extensions;  // lower-case, with the dot (".onnx")
//   static bool recognizes(const std::string& path, std::string_view head);  // by content: head = the
//                                                      // file's first bytes (<= 64), "" for a folder
//   static model load(const load_request& r);          // throws moir::error naming the file
// `frontend_registry::of<type_list<F...>>()` turns a list of them into a table the library and the
// CLI dispatch over; frontends/frontends.hpp holds moir's own list (one line per frontend), and a
// program adds its own frontend by passing a longer list.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/frontends/common/frontend.hpp>

#include <algorithm>    // any_of
#include <filesystem>   // exists
#include <functional>   // function
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // is_same_v
#include <utility>      // move
#include <vector>       // vector

namespace moir::frontends {

namespace detail {
template <class F, class = void>
struct is_frontend : std::false_type {};
template <class F>
struct is_frontend<F, std::void_t<decltype(F::name), decltype(F::extensions),
                                  decltype(F::recognizes(std::string{}, std::string_view{})),
                                  decltype(F::load(std::declval<const load_request&>()))>>
    : std::bool_constant<std::is_same_v<decltype(F::load(std::declval<const load_request&>())), model>> {};
}  // namespace detail

/// Whether F models the frontend concept above.
template <class F>
inline constexpr bool is_frontend_v = detail::is_frontend<F>::value;

/// One frontend as the registry holds it.
struct frontend_entry {
    std::string name;
    std::vector<std::string> extensions;
    std::function<bool(const std::string&, std::string_view)> recognizes;
    std::function<model(const load_request&)> load;
};

/// The frontends a program can load with, in the order they are tried.
class frontend_registry {
public:
    /// A registry holding every frontend of List (a type_list), in order.
    template <class List>
    static frontend_registry of() {
        frontend_registry r;
        for_each_type(List{}, [&](auto tag) { r.template add<typename decltype(tag)::type>(); });
        return r;
    }
    /// Adds frontend F (see the concept above). A later frontend of the same name replaces it.
    template <class F>
    void add() {
        static_assert(is_frontend_v<F>, "moir: a frontend needs static name, extensions, recognizes(path, head) "
                                        "and load(const load_request&) -> model (frontends/registry.hpp)");
        add(frontend_entry{F::name, std::vector<std::string>(F::extensions.begin(), F::extensions.end()),
                           [](const std::string& p, std::string_view h) { return F::recognizes(p, h); },
                           [](const load_request& r) { return F::load(r); }});
    }
    void add(frontend_entry e) {
        for (auto& x : entries_)
            if (x.name == e.name) {
                x = std::move(e);
                return;
            }
        entries_.push_back(std::move(e));
    }
    const std::vector<frontend_entry>& entries() const { return entries_; }
    /// "onnx, ir, ..." for messages.
    std::string names() const {
        std::string s;
        for (const auto& e : entries_) s += (s.empty() ? "" : ", ") + e.name;
        return s;
    }
    /// The frontend named `name`, or nullptr.
    const frontend_entry* find(const std::string& name) const {
        for (const auto& e : entries_)
            if (e.name == name) return &e;
        return nullptr;
    }

    /// The frontend for r: the one r.framework names, else the first that recognizes the file's
    /// content, else the first that claims its extension.
    /// ensures: throws moir::error naming the file (missing, or of no known format) or the framework.
    const frontend_entry& pick(const load_request& r) const {
        if (!r.framework.empty()) {
            const frontend_entry* e = find(r.framework);
            MOIR_CHECK(e, error, "unknown --framework '" + r.framework + "' (moir reads: " + names() + ")");
            return *e;
        }
        MOIR_CHECK(!r.input_model.empty(), error, "no model file given");
        std::error_code ec;
        MOIR_CHECK(std::filesystem::exists(r.input_model, ec), error, "cannot open " + r.input_model + ": no such file");
        const std::string head = file_head(r.input_model);
        for (const auto& e : entries_)
            if (e.recognizes(r.input_model, head)) return e;
        const std::string ext = extension_of(r.input_model);
        for (const auto& e : entries_)
            if (std::any_of(e.extensions.begin(), e.extensions.end(), [&](const std::string& x) { return x == ext; }))
                return e;
        throw error(r.input_model + ": unknown model format '" + ext + "' (moir reads: " + names() +
                    "); name it with --framework");
    }
    /// Loads r with the frontend pick(r) chooses.
    model load(const load_request& r) const { return pick(r).load(r); }

private:
    std::vector<frontend_entry> entries_;
};

}  // namespace moir::frontends

#endif  // MOIR_FRONTENDS_REGISTRY_HPP
