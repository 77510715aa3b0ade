#ifndef MOIR_CORE_ELEMENT_TYPE_HPP
#define MOIR_CORE_ELEMENT_TYPE_HPP

// moir::element_type: the element types a tensor can hold, their sizes, their OpenVINO IR spellings
// (element_type="f32", precision="FP32"), and the mapping to C++ types used by kernels.

#include <moir/core/errors.hpp>
#include <moir/precision/half.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int8_t ... uint64_t
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // is_same_v

namespace moir {

/// Element types. `undefined` marks "no tensor" / "not yet known".
enum class element_type : std::uint8_t {
    undefined, f32, f16, f64, i8, i16, i32, i64, u8, u16, u32, u64, boolean
};

namespace detail {
struct element_type_row {
    element_type type;
    std::size_t size;
    std::string_view ir_name;    // <data element_type="...">
    std::string_view precision;  // <port precision="...">
    std::string_view npy;        // numpy descr without byte order
};
inline constexpr element_type_row element_type_table[] = {
    {element_type::undefined, 0, "undefined", "UNSPECIFIED", ""},
    {element_type::f32, 4, "f32", "FP32", "f4"},
    {element_type::f16, 2, "f16", "FP16", "f2"},
    {element_type::f64, 8, "f64", "FP64", "f8"},
    {element_type::i8, 1, "i8", "I8", "i1"},
    {element_type::i16, 2, "i16", "I16", "i2"},
    {element_type::i32, 4, "i32", "I32", "i4"},
    {element_type::i64, 8, "i64", "I64", "i8"},
    {element_type::u8, 1, "u8", "U8", "u1"},
    {element_type::u16, 2, "u16", "U16", "u2"},
    {element_type::u32, 4, "u32", "U32", "u4"},
    {element_type::u64, 8, "u64", "U64", "u8"},
    {element_type::boolean, 1, "boolean", "BOOL", "b1"},
};
inline const element_type_row& row(element_type t) { return element_type_table[static_cast<int>(t)]; }
}  // namespace detail

/// Bytes per element (0 for undefined).
inline std::size_t size_of(element_type t) { return detail::row(t).size; }
/// IR spelling: "f32", "i64", "boolean", ...
inline std::string_view ir_name(element_type t) { return detail::row(t).ir_name; }
/// IR port precision spelling: "FP32", "I64", "BOOL", ...
inline std::string_view ir_precision(element_type t) { return detail::row(t).precision; }
/// numpy descr without the byte-order character: "f4", "i8", "b1", ...
inline std::string_view npy_descr(element_type t) { return detail::row(t).npy; }

inline bool is_float(element_type t) {
    return t == element_type::f32 || t == element_type::f16 || t == element_type::f64;
}
inline bool is_integer(element_type t) { return !is_float(t) && t != element_type::boolean && t != element_type::undefined; }
inline bool is_signed(element_type t) {
    return is_float(t) || t == element_type::i8 || t == element_type::i16 || t == element_type::i32 ||
           t == element_type::i64;
}

/// Parses an IR element type ("f32") or precision ("FP32"); also accepts "bool"/"u1"-less aliases.
/// ensures: throws moir::parse_error naming the text when it is not a known type.
inline element_type element_type_from_ir(std::string_view s) {
    for (const auto& r : detail::element_type_table) {
        if (r.type != element_type::undefined && (s == r.ir_name || s == r.precision)) return r.type;
    }
    if (s == "bool" || s == "BOOLEAN") return element_type::boolean;
    if (s == "dynamic" || s == "undefined" || s == "UNSPECIFIED") return element_type::undefined;
    MOIR_THROW(parse_error("unknown element type '" + std::string(s) + "'"));
}

/// C++ storage type of each element type: cpp_type_t<element_type::f32> is float.
template <element_type E> struct cpp_type;
template <> struct cpp_type<element_type::f32> { using type = float; };
template <> struct cpp_type<element_type::f16> { using type = half; };
template <> struct cpp_type<element_type::f64> { using type = double; };
template <> struct cpp_type<element_type::i8> { using type = std::int8_t; };
template <> struct cpp_type<element_type::i16> { using type = std::int16_t; };
template <> struct cpp_type<element_type::i32> { using type = std::int32_t; };
template <> struct cpp_type<element_type::i64> { using type = std::int64_t; };
template <> struct cpp_type<element_type::u8> { using type = std::uint8_t; };
template <> struct cpp_type<element_type::u16> { using type = std::uint16_t; };
template <> struct cpp_type<element_type::u32> { using type = std::uint32_t; };
template <> struct cpp_type<element_type::u64> { using type = std::uint64_t; };
template <> struct cpp_type<element_type::boolean> { using type = bool; };
template <element_type E> using cpp_type_t = typename cpp_type<E>::type;

/// The element type of a C++ type: element_type_of_v<float> == element_type::f32.
template <class T> inline constexpr element_type element_type_of_v =
    std::is_same_v<T, float> ? element_type::f32 : std::is_same_v<T, half> ? element_type::f16
    : std::is_same_v<T, double> ? element_type::f64 : std::is_same_v<T, std::int8_t> ? element_type::i8
    : std::is_same_v<T, std::int16_t> ? element_type::i16 : std::is_same_v<T, std::int32_t> ? element_type::i32
    : std::is_same_v<T, std::int64_t> ? element_type::i64 : std::is_same_v<T, std::uint8_t> ? element_type::u8
    : std::is_same_v<T, std::uint16_t> ? element_type::u16 : std::is_same_v<T, std::uint32_t> ? element_type::u32
    : std::is_same_v<T, std::uint64_t> ? element_type::u64 : std::is_same_v<T, bool> ? element_type::boolean
    : element_type::undefined;

/// A value carrying a C++ type: visit_element_type passes type_tag<T>{} to its callable.
template <class T> struct type_tag { using type = T; };

/// Calls f(type_tag<T>{}) with the C++ type of `t`.
/// requires: t != undefined (throws moir::error otherwise).
template <class F>
decltype(auto) visit_element_type(element_type t, F&& f) {
    switch (t) {
        case element_type::f32: return f(type_tag<float>{});
        case element_type::f16: return f(type_tag<half>{});
        case element_type::f64: return f(type_tag<double>{});
        case element_type::i8: return f(type_tag<std::int8_t>{});
        case element_type::i16: return f(type_tag<std::int16_t>{});
        case element_type::i32: return f(type_tag<std::int32_t>{});
        case element_type::i64: return f(type_tag<std::int64_t>{});
        case element_type::u8: return f(type_tag<std::uint8_t>{});
        case element_type::u16: return f(type_tag<std::uint16_t>{});
        case element_type::u32: return f(type_tag<std::uint32_t>{});
        case element_type::u64: return f(type_tag<std::uint64_t>{});
        case element_type::boolean: return f(type_tag<bool>{});
        default: break;
    }
    MOIR_THROW(error("element type is undefined"));
}

/// Converts between element C++ types the way a Convert/Cast op does (half goes through float).
template <class To, class From>
inline To convert_value(From v) {
    if constexpr (std::is_same_v<From, half>) {
        return convert_value<To>(static_cast<float>(v));
    } else if constexpr (std::is_same_v<To, half>) {
        return half(static_cast<float>(v));
    } else if constexpr (std::is_same_v<To, bool>) {
        return v != From(0);
    } else {
        return static_cast<To>(v);
    }
}

}  // namespace moir

#endif  // MOIR_CORE_ELEMENT_TYPE_HPP
