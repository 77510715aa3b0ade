#ifndef MOIR_CORE_TYPE_LIST_HPP
#define MOIR_CORE_TYPE_LIST_HPP

// A flat compile-time list of types: opsets, pass pipelines, arch candidate lists. Never nested
// recursively over anything that grows with model size.

#include <moir/core/element_type.hpp>  // type_tag

#include <cstddef>      // size_t
#include <type_traits>  // is_same_v, integral_constant
#include <utility>      // index_sequence

namespace moir {

/// A flat list of types. `append<Us...>` extends it; `size` counts it.
template <class... Ts>
struct type_list {
    static constexpr std::size_t size = sizeof...(Ts);
    template <class... Us> using append = type_list<Ts..., Us...>;
    template <class... Us> using prepend = type_list<Us..., Ts...>;
};

namespace detail {
template <class T, class... Ts>
constexpr std::size_t index_of_impl() {
    constexpr bool matches[] = {std::is_same_v<T, Ts>..., false};
    for (std::size_t i = 0; i < sizeof...(Ts); ++i)
        if (matches[i]) return i;
    return sizeof...(Ts);
}
template <class L1, class L2> struct concat_impl;
template <class... A, class... B> struct concat_impl<type_list<A...>, type_list<B...>> { using type = type_list<A..., B...>; };
}  // namespace detail

/// Position of T in List, or List::size when absent.
template <class T, class List> struct index_of;
template <class T, class... Ts>
struct index_of<T, type_list<Ts...>> : std::integral_constant<std::size_t, detail::index_of_impl<T, Ts...>()> {};
template <class T, class List> inline constexpr std::size_t index_of_v = index_of<T, List>::value;

/// Whether T is in List.
template <class T, class List> inline constexpr bool contains_v = index_of_v<T, List> < List::size;

/// Concatenation of two lists.
template <class L1, class L2> using concat_t = typename detail::concat_impl<L1, L2>::type;

/// Calls f(type_tag<T>{}) for each T in the list, in order (a fold: no recursion).
template <class... Ts, class F>
constexpr void for_each_type(type_list<Ts...>, F&& f) {
    (f(type_tag<Ts>{}), ...);
}

namespace detail {
template <bool Selected, class T, class F>
constexpr void call_if_selected(F& f) {
    if constexpr (Selected) f(type_tag<T>{});
}
template <std::size_t Part, std::size_t Parts, class... Ts, std::size_t... I, class F>
constexpr void for_each_type_in_part_impl(std::index_sequence<I...>, F& f) {
    (call_if_selected<I % Parts == Part, Ts>(f), ...);
}

/// How many slices moir's opset-wide tables (reference kernels, IR reader and writer) are built in,
/// so that moir/extern_templates.hpp can spread their compilation over that many translation units:
/// MOIR_TABLE_PARTS (1 to 16; moir::compiled sets it for its users), else 4.
#if defined(MOIR_TABLE_PARTS)
inline constexpr std::size_t table_parts = MOIR_TABLE_PARTS;
#else
inline constexpr std::size_t table_parts = 4;
#endif

template <class F, std::size_t... K>
void for_each_table_part_impl(F& f, std::index_sequence<K...>) {
    (f(std::integral_constant<std::size_t, K>{}), ...);
}
/// Calls f(std::integral_constant<size_t, K>{}) for each slice K < table_parts, in order: how a
/// table fills itself slice by slice.
template <class F>
void for_each_table_part(F&& f) {
    for_each_table_part_impl(f, std::make_index_sequence<table_parts>{});
}
}  // namespace detail

/// Calls f(type_tag<T>{}) for each T of the list whose position modulo Parts is Part, in order. Only
/// those calls are instantiated: a table built over a long list can be compiled in Parts slices.
template <std::size_t Part, std::size_t Parts, class... Ts, class F>
constexpr void for_each_type_in_part(type_list<Ts...>, F&& f) {
    static_assert(Part < Parts, "moir: a part index must be below the number of parts");
    detail::for_each_type_in_part_impl<Part, Parts, Ts...>(std::index_sequence_for<Ts...>{}, f);
}

}  // namespace moir

#endif  // MOIR_CORE_TYPE_LIST_HPP
