#ifndef MOIR_IR_ATTR_CODEC_HPP
#define MOIR_IR_ATTR_CODEC_HPP

// The IR attribute codec: how each attribute field type is spelled in an IR <data> element, and the
// PFR walk that turns a whole `attrs` aggregate into <data .../> and back.
//
// Customization point (the nlohmann to_json/from_json shape): for a field type T, the codec calls,
// unqualified,
//     std::string to_ir_string(const T&);
//     void from_ir_string(std::string_view text, T& out);   // throws moir::parse_error(reason)
// moir::ir provides them for bool, integers, float/double, std::string, moir::element_type,
// moir::partial_shape, enums that have an ADL `ir_enum_names(E)` (see ops/common.hpp), and
// std::vector / std::array of any of those ("1,1"). A user type gets IR support by declaring the
// two functions in its own namespace.

#include <moir/core/element_type.hpp>
#include <moir/core/errors.hpp>
#include <moir/core/shape.hpp>
#include <moir/ir/xml.hpp>

#include <boost/pfr/core.hpp>
#include <boost/pfr/tuple_size.hpp>

#include <array>        // array
#include <charconv>     // to_chars, from_chars
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <system_error>  // errc
#include <type_traits>  // enable_if_t, is_integral_v, remove_reference_t, ...
#include <utility>      // declval, index_sequence, pair
#include <vector>       // vector

// Floating-point text goes through std::to_chars/from_chars (shortest round trip, locale-free) where
// the standard library has them for floating types (libstdc++ 11+); elsewhere, or when
// MOIR_IR_NO_FLOAT_CHARCONV is defined, through 9/17 significant digits and classic-locale streams.
#if !defined(__cpp_lib_to_chars) || __cpp_lib_to_chars < 201611L || defined(MOIR_IR_NO_FLOAT_CHARCONV)
#include <limits>    // numeric_limits
#include <locale>    // locale::classic
#include <sstream>   // istringstream, ostringstream
#endif

namespace moir::ir {

namespace detail {

inline std::string_view trim(std::string_view s) {
    while (!s.empty() && xml::detail::is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && xml::detail::is_space(s.back())) s.remove_suffix(1);
    return s;
}

inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

/// Splits "a, b,c" on commas, trimming each piece. "" gives no pieces.
inline std::vector<std::string_view> split_list(std::string_view s) {
    std::vector<std::string_view> parts;
    s = trim(s);
    if (s.empty()) return parts;
    for (;;) {
        const std::size_t comma = s.find(',');
        parts.push_back(trim(s.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        s.remove_prefix(comma + 1);
    }
    return parts;
}

[[noreturn]] inline void bad_value(std::string_view what) {
    throw parse_error("expected " + std::string(what));
}

template <class E, class = void>
struct has_ir_enum_names : std::false_type {};
template <class E>
struct has_ir_enum_names<E, std::void_t<decltype(ir_enum_names(std::declval<E>()))>> : std::true_type {};

template <class T>
struct is_std_vector : std::false_type {};
template <class T, class A>
struct is_std_vector<std::vector<T, A>> : std::true_type {};
template <class T>
struct is_std_array : std::false_type {};
template <class T, std::size_t N>
struct is_std_array<std::array<T, N>> : std::true_type {};

template <class T>
inline constexpr bool is_plain_integer_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <class T>
inline constexpr bool is_coded_enum_v =
    std::is_enum_v<T> && !std::is_same_v<T, element_type> && has_ir_enum_names<T>::value;

}  // namespace detail

// ---- bool ----------------------------------------------------------------------------------------

/// "true" / "false".
inline std::string to_ir_string(bool v) { return v ? "true" : "false"; }
/// Accepts true/false in any letter case, and 1/0.
inline void from_ir_string(std::string_view s, bool& out) {
    s = detail::trim(s);
    if (detail::iequals(s, "true") || s == "1") out = true;
    else if (detail::iequals(s, "false") || s == "0") out = false;
    else detail::bad_value("a boolean (true or false)");
}

// ---- integers ------------------------------------------------------------------------------------

template <class T, std::enable_if_t<detail::is_plain_integer_v<T>, int> = 0>
std::string to_ir_string(T v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}
/// A decimal integer (optional sign, surrounding whitespace ignored) that fits in T.
template <class T, std::enable_if_t<detail::is_plain_integer_v<T>, int> = 0>
void from_ir_string(std::string_view s, T& out) {
    s = detail::trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    T v{};
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || r.ec == std::errc::invalid_argument || r.ptr != s.data() + s.size())
        detail::bad_value(std::is_signed_v<T> ? "an integer" : "a non-negative integer");
    if (r.ec == std::errc::result_out_of_range) throw parse_error("integer out of range");
    out = v;
}

// ---- floating point ------------------------------------------------------------------------------

/// The shortest text that reads back to the same value ("0.1", "1e-05", "inf", "nan").
template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
std::string to_ir_string(T v) {
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L && !defined(MOIR_IR_NO_FLOAT_CHARCONV)
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
#else
    if (v != v) return "nan";
    if (v == std::numeric_limits<T>::infinity()) return "inf";
    if (v == -std::numeric_limits<T>::infinity()) return "-inf";
    std::ostringstream os;
    os.imbue(std::locale::classic());
    os.precision(std::is_same_v<T, float> ? 9 : 17);
    os << static_cast<double>(v);
    return os.str();
#endif
}
/// A decimal or scientific number (also inf/nan), surrounding whitespace ignored.
template <class T, std::enable_if_t<std::is_floating_point_v<T>, int> = 0>
void from_ir_string(std::string_view s, T& out) {
    s = detail::trim(s);
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) detail::bad_value("a number");
#if defined(__cpp_lib_to_chars) && __cpp_lib_to_chars >= 201611L && !defined(MOIR_IR_NO_FLOAT_CHARCONV)
    T v{};
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc::invalid_argument || r.ptr != s.data() + s.size()) detail::bad_value("a number");
    if (r.ec == std::errc::result_out_of_range) throw parse_error("number out of range");
    out = v;
#else
    const bool negative = s.front() == '-';
    const std::string_view mag = negative ? s.substr(1) : s;
    if (detail::iequals(mag, "inf") || detail::iequals(mag, "infinity")) {
        out = negative ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::infinity();
        return;
    }
    if (detail::iequals(mag, "nan")) {
        out = std::numeric_limits<T>::quiet_NaN();
        return;
    }
    std::istringstream is{std::string(s)};
    is.imbue(std::locale::classic());
    T v{};
    is >> v;
    if (is.fail()) {
        // out of range sets failbit with a huge value; anything else did not parse
        if (v == std::numeric_limits<T>::max() || v == std::numeric_limits<T>::lowest())
            throw parse_error("number out of range");
        detail::bad_value("a number");
    }
    if (is.peek() != std::char_traits<char>::eof()) detail::bad_value("a number");
    out = v;
#endif
}

// ---- strings -------------------------------------------------------------------------------------

inline std::string to_ir_string(const std::string& v) { return v; }
/// Taken verbatim (no trimming).
inline void from_ir_string(std::string_view s, std::string& out) { out.assign(s.data(), s.size()); }

// ---- element types -------------------------------------------------------------------------------

/// "f32", "i64", "boolean", ...
inline std::string to_ir_string(element_type v) { return std::string(ir_name(v)); }
/// Accepts IR names ("f32") and precisions ("FP32"). ensures: throws moir::unsupported_error for
/// OpenVINO types moir has no storage for (bf16, u1, i4, u4, nf4, f8*, string, ...), and
/// moir::parse_error for text that is no type at all.
inline void from_ir_string(std::string_view s, element_type& out) {
    s = detail::trim(s);
    static constexpr std::string_view unsupported[] = {"bf16", "u1", "u2", "u3", "u4", "u6", "i4", "i2",
                                                       "nf4", "f4e2m1", "f8e4m3", "f8e5m2", "f8e8m0", "string",
                                                       "bin"};
    for (auto u : unsupported)
        if (detail::iequals(s, u))
            throw unsupported_error("element type '" + std::string(s) + "' is not supported by moir");
    out = element_type_from_ir(s);
}

// ---- shapes --------------------------------------------------------------------------------------

/// "1,3,?,?": "?" for a dynamic dim, "" for a scalar, "..." for a dynamic rank.
inline std::string to_ir_string(const partial_shape& v) {
    if (v.rank_dynamic) return "...";
    std::string r;
    for (std::size_t i = 0; i < v.dims.size(); ++i) {
        if (i) r += ',';
        r += v.dims[i] < 0 ? std::string("?") : std::to_string(v.dims[i]);
    }
    return r;
}
/// Accepts "1,3,224,224", "1, 3", "?" and "-1" (dynamic), bounded ranges "1..10" / "..10" / "1.."
/// (read as dynamic), "" (scalar), "..." (dynamic rank), and an optional pair of brackets.
inline void from_ir_string(std::string_view s, partial_shape& out) {
    s = detail::trim(s);
    if (s.size() >= 2 && s.front() == '[' && s.back() == ']') s = detail::trim(s.substr(1, s.size() - 2));
    if (s == "...") {
        out = partial_shape::dynamic();
        return;
    }
    partial_shape r;
    for (auto tok : detail::split_list(s)) {
        if (tok == "?" || tok == "-1") {
            r.dims.push_back(dynamic_dim);
        } else if (const auto dots = tok.find(".."); dots != std::string_view::npos) {
            const auto lo = detail::trim(tok.substr(0, dots)), hi = detail::trim(tok.substr(dots + 2));
            std::int64_t v = 0;
            if (!lo.empty()) from_ir_string(lo, v);
            if (!hi.empty() && hi != "-1") from_ir_string(hi, v);
            r.dims.push_back(dynamic_dim);
        } else {
            std::int64_t v = 0;
            const std::string_view t = detail::trim(tok);
            if (t.empty()) detail::bad_value("a dimension (a number, ? or a range lo..hi)");
            const auto res = std::from_chars(t.data(), t.data() + t.size(), v);
            if (res.ec != std::errc() || res.ptr != t.data() + t.size() || v < 0)
                detail::bad_value("a dimension (a non-negative number, ? or a range lo..hi), found '" +
                                  std::string(t) + "'");
            r.dims.push_back(v);
        }
    }
    out = std::move(r);
}

// ---- enums with ir_enum_names --------------------------------------------------------------------

/// The IR spelling of an enumerator, from the enum's ADL `ir_enum_names(E)` table.
template <class E, std::enable_if_t<detail::is_coded_enum_v<E>, int> = 0>
std::string to_ir_string(E v) {
    const auto names = ir_enum_names(v);
    const auto i = static_cast<std::size_t>(v);
    MOIR_CHECK(i < names.size(), error, "enum value " + std::to_string(i) + " has no IR name");
    return std::string(names[i]);
}
/// One of the IR spellings (an exact match first, then ignoring letter case).
template <class E, std::enable_if_t<detail::is_coded_enum_v<E>, int> = 0>
void from_ir_string(std::string_view s, E& out) {
    s = detail::trim(s);
    const auto names = ir_enum_names(E{});
    for (std::size_t i = 0; i < names.size(); ++i)
        if (names[i] == s) {
            out = static_cast<E>(i);
            return;
        }
    for (std::size_t i = 0; i < names.size(); ++i)
        if (detail::iequals(names[i], s)) {
            out = static_cast<E>(i);
            return;
        }
    std::string list;
    for (std::size_t i = 0; i < names.size(); ++i) list += (i ? ", " : "") + std::string(names[i]);
    throw parse_error("expected one of: " + list);
}

// ---- detection of scalar codecs (used to constrain the containers) -------------------------------

namespace detail {
template <class T, class = void>
struct has_scalar_codec : std::false_type {};
template <class T>
struct has_scalar_codec<T, std::void_t<decltype(to_ir_string(std::declval<const T&>())),
                                       decltype(from_ir_string(std::string_view{}, std::declval<T&>()))>>
    : std::true_type {};
}  // namespace detail

// ---- lists ---------------------------------------------------------------------------------------

/// "1,2,3" (no spaces), "" for an empty list.
template <class T, class A, std::enable_if_t<detail::has_scalar_codec<T>::value, int> = 0>
std::string to_ir_string(const std::vector<T, A>& v) {
    std::string r;
    bool first = true;
    for (const auto& e : v) {
        if (!first) r += ',';
        first = false;
        r += to_ir_string(static_cast<const T&>(e));
    }
    return r;
}
/// Comma-separated items, spaces allowed around them; "" is the empty list.
template <class T, class A, std::enable_if_t<detail::has_scalar_codec<T>::value, int> = 0>
void from_ir_string(std::string_view s, std::vector<T, A>& out) {
    std::vector<T, A> r;
    const auto parts = detail::split_list(s);
    r.reserve(parts.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
        T v{};
        try {
            from_ir_string(parts[i], v);
        } catch (const parse_error& e) {
            throw parse_error("item " + std::to_string(i) + " ('" + std::string(parts[i]) + "'): " + e.what());
        }
        r.push_back(v);
    }
    out = std::move(r);
}
template <class T, std::size_t N, std::enable_if_t<detail::has_scalar_codec<T>::value, int> = 0>
std::string to_ir_string(const std::array<T, N>& v) {
    std::string r;
    for (std::size_t i = 0; i < N; ++i) {
        if (i) r += ',';
        r += to_ir_string(v[i]);
    }
    return r;
}
/// Exactly N comma-separated items.
template <class T, std::size_t N, std::enable_if_t<detail::has_scalar_codec<T>::value, int> = 0>
void from_ir_string(std::string_view s, std::array<T, N>& out) {
    std::vector<T> v;
    from_ir_string(s, v);
    if (v.size() != N)
        throw parse_error("expected " + std::to_string(N) + " comma-separated items, found " + std::to_string(v.size()));
    for (std::size_t i = 0; i < N; ++i) out[i] = v[i];
}

// ---- the attrs walk ------------------------------------------------------------------------------

namespace detail {
// Spelled differently from has_scalar_codec on purpose: g++ 12 treats identical decltype
// expressions in two templates as one and reuses the answer found before the list overloads existed.
template <class T, class = void>
struct has_ir_codec : std::false_type {};
template <class T>
struct has_ir_codec<T, std::void_t<decltype(to_ir_string(std::declval<const T&>()),
                                            from_ir_string(std::declval<std::string_view>(), std::declval<T&>()))>>
    : std::true_type {};

template <class Attrs, std::size_t... I>
constexpr bool fields_have_codec(std::index_sequence<I...>) {
    return (has_ir_codec<boost::pfr::tuple_element_t<I, Attrs>>::value && ...);
}
template <class Attrs, class = void>
struct has_ir_names : std::false_type {};
template <class Attrs>
struct has_ir_names<Attrs, std::void_t<decltype(Attrs::ir_names.size())>> : std::true_type {};

/// Whether Attrs lists the IR attributes a layer must give: `static constexpr std::array<...>
/// ir_required` (optional; without it every attribute has its field's default).
template <class Attrs, class = void>
struct has_ir_required : std::false_type {};
template <class Attrs>
struct has_ir_required<Attrs, std::void_t<decltype(Attrs::ir_required.size())>> : std::true_type {};

template <class Attrs>
constexpr std::size_t ir_names_size() {
    if constexpr (has_ir_names<Attrs>::value) return Attrs::ir_names.size();
    else return static_cast<std::size_t>(-1);
}

/// The boundary check of an attrs aggregate: one readable message per broken rule.
template <class Attrs>
constexpr bool check_attrs() {
    constexpr bool aggregate = std::is_aggregate_v<Attrs>;
    static_assert(aggregate, "moir: an op's attrs must be a plain aggregate (no constructors, no base classes)");
    if constexpr (aggregate) {
        constexpr bool named = has_ir_names<Attrs>::value;
        static_assert(named, "moir: an op's attrs needs `static constexpr std::array<std::string_view, N> ir_names`");
        if constexpr (named) {
            constexpr bool counted = ir_names_size<Attrs>() == boost::pfr::tuple_size_v<Attrs>;
            static_assert(counted, "moir: ir_names must list exactly one IR name per field of the attrs aggregate");
            if constexpr (counted) {
                constexpr bool coded = fields_have_codec<Attrs>(std::make_index_sequence<boost::pfr::tuple_size_v<Attrs>>{});
                static_assert(coded, "moir: an attrs field has a type without IR codec; declare "
                                     "`std::string to_ir_string(const T&)` and "
                                     "`void from_ir_string(std::string_view, T&)` next to the type");
                return coded;
            }
        }
    }
    return false;
}
}  // namespace detail

namespace detail {
/// to_ir_string of a field of type T, instantiated once per field type (not per op and field).
template <class T>
std::string encode_field_as(const void* field) {
    return to_ir_string(*static_cast<const T*>(field));
}
}  // namespace detail

/// (IR name, text) of every field of `a`, in field order.
template <class Attrs>
std::vector<std::pair<std::string_view, std::string>> encode_attrs(const Attrs& a) {
    std::vector<std::pair<std::string_view, std::string>> r;
    if constexpr (detail::check_attrs<Attrs>()) {
        r.reserve(boost::pfr::tuple_size_v<Attrs>);
        boost::pfr::for_each_field(a, [&](const auto& field, auto idx) {
            using field_type = std::remove_cv_t<std::remove_reference_t<decltype(field)>>;
            r.emplace_back(Attrs::ir_names[idx], detail::encode_field_as<field_type>(&field));
        });
    }
    return r;
}

/// Writes `<data k="v" .../>` for the fields of `a`; nothing when Attrs has no fields (OpenVINO
/// leaves out an empty <data>).
template <class Attrs>
void write_data(xml::writer& w, const Attrs& a) {
    const auto fields = encode_attrs(a);
    if (fields.empty()) return;
    w.open("data");
    for (const auto& [k, v] : fields) w.attr(k, v);
    w.close();
}

namespace detail {
/// from_ir_string for a field of type T, behind a plain function pointer.
template <class T>
void decode_field_as(std::string_view text, void* field) {
    from_ir_string(text, *static_cast<T*>(field));
}
using field_decoder = void (*)(std::string_view, void*);

/// Decodes attribute `name` of `data` (when present) into `field` with `decode`, wrapping codec
/// errors with `where` and the attribute. Not a template: one copy of the error handling serves
/// every field of every op (the IR reader is instantiated for the whole opset).
inline void decode_field(const xml::element& data, std::string_view name, void* field, field_decoder decode,
                         const std::string& where) {
    const std::string* text = data.find_attribute(name);
    if (!text) return;
    try {
        decode(std::string_view(*text), field);
    } catch (const unsupported_error& e) {
        throw unsupported_error(where + ": attribute '" + std::string(name) + "'='" + *text + "': " + e.what());
    } catch (const error& e) {
        throw parse_error(where + ": attribute '" + std::string(name) + "'='" + *text + "': " + e.what());
    }
}
}  // namespace detail

/// Reads the fields of `out` from the attributes of `data` (may be null: no <data>). Attributes that
/// are absent keep the field's current (default) value; attributes the aggregate does not name are
/// ignored. ensures: throws moir::parse_error "<where>: attribute 'k'='text': reason" on a malformed
/// value (moir::unsupported_error, same form, for values naming an unsupported feature), and
/// moir::parse_error "<where>: required attribute 'k' is missing" for each name of Attrs::ir_required
/// (when it has one) that `data` lacks.
template <class Attrs>
void decode_attrs(const xml::element* data, Attrs& out, const std::string& where) {
    if constexpr (detail::check_attrs<Attrs>()) {
        // the values that are there first (a malformed one is the more specific error), then the
        // required ones that are not
        if (data)
            boost::pfr::for_each_field(out, [&](auto& field, auto idx) {
                using field_type = std::remove_reference_t<decltype(field)>;
                detail::decode_field(*data, Attrs::ir_names[idx], &field, &detail::decode_field_as<field_type>, where);
            });
        if constexpr (detail::has_ir_required<Attrs>::value) {
            std::string missing;
            for (const std::string_view k : Attrs::ir_required)
                if (!data || !data->find_attribute(k)) missing += (missing.empty() ? "'" : ", '") + std::string(k) + "'";
            MOIR_CHECK(missing.empty(), parse_error,
                       where + ": required attribute" + (missing.find(',') != std::string::npos ? "s " : " ") + missing +
                           " missing from <data>");
        }
    }
}

/// Reads the attrs of an op from its <data> element: default values, then decode_attrs.
template <class Attrs>
Attrs read_data(const xml::element* data, const std::string& where) {
    Attrs a{};
    decode_attrs(data, a, where);
    return a;
}

}  // namespace moir::ir

#endif  // MOIR_IR_ATTR_CODEC_HPP
