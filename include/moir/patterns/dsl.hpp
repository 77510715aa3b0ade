#ifndef MOIR_PATTERNS_DSL_HPP
#define MOIR_PATTERNS_DSL_HPP

// The pattern language of fusions: a pattern is a type built from these templates, e.g.
//
//   pat::op<ops::multiply, pat::where<pat::op<ops::convolution, pat::any, pat::constant>, pat::single_use>,
//           pat::constant>
//
// reads "a Multiply whose first input is a Convolution (of anything, by a constant) used once, and
// whose second input is a constant". Matching walks the pattern type (a handful of levels), never
// the graph, so compile cost is per pattern. Every pattern element captures the output it matched;
// captures are numbered in pre-order (the root is 0, then its inputs left to right, depth first).

#include <cstddef>  // size_t

namespace moir::pat {

/// Matches any output.
struct any {};

/// Matches an output produced by a constant node.
struct constant {};

/// Matches output 0 of a node of op Op whose first sizeof...(In) inputs match In... in order.
template <class Op, class... In>
struct op {};

/// Like op, for a commutative binary Op: also tries the two inputs swapped.
template <class Op, class A, class B>
struct commutative {};

/// Matches what P matches when every predicate Preds::check(model, output_ref) holds.
template <class P, class... Preds>
struct where {};

/// Predicate: the matched output has exactly one consumer (and is not a model output).
struct single_use {};

/// The number of captures of a pattern (its element count).
template <class P>
struct size;
template <>
struct size<any> {
    static constexpr std::size_t value = 1;
};
template <>
struct size<constant> {
    static constexpr std::size_t value = 1;
};
template <class Op, class... In>
struct size<op<Op, In...>> {
    static constexpr std::size_t value = (std::size_t{1} + ... + size<In>::value);
};
template <class Op, class A, class B>
struct size<commutative<Op, A, B>> {
    static constexpr std::size_t value = 1 + size<A>::value + size<B>::value;
};
template <class P, class... Preds>
struct size<where<P, Preds...>> {
    static constexpr std::size_t value = size<P>::value;
};
template <class P>
inline constexpr std::size_t size_v = size<P>::value;

}  // namespace moir::pat

#endif  // MOIR_PATTERNS_DSL_HPP
