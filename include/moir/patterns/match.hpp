#ifndef MOIR_PATTERNS_MATCH_HPP
#define MOIR_PATTERNS_MATCH_HPP

// Matching a pattern (patterns/dsl.hpp) at an output of a model.

#include <moir/core/model.hpp>
#include <moir/ops/constant.hpp>
#include <moir/patterns/dsl.hpp>

#include <array>     // array
#include <optional>     // optional
#include <type_traits>  // is_same_v

namespace moir::pat {

/// The outputs a pattern matched, numbered in pre-order (0 is the root).
template <class P>
struct match_result {
    std::array<output_ref, size_v<P>> captures{};
    /// Capture i. requires: i < size_v<P>.
    output_ref operator[](std::size_t i) const { return captures[i]; }
    /// The node of capture i.
    node_id node(std::size_t i) const { return captures[i].node; }
};

namespace detail {

inline std::size_t consumer_count(const model& m, output_ref r) {
    std::size_t n = 0;
    for (const auto& nd : m.nodes)
        for (const auto& in : nd.inputs) n += in == r ? 1 : 0;
    return n;
}

template <class Pred>
bool check_pred(const model& m, output_ref r) {
    if constexpr (std::is_same_v<Pred, single_use>) {
        for (auto res : m.results)
            if (m.nodes[res].inputs.at(0) == r) return false;
        return consumer_count(m, r) == 1;
    } else {
        return Pred::check(m, r);
    }
}

template <class P>
struct matcher;

template <>
struct matcher<any> {
    template <std::size_t N>
    static bool run(const model&, output_ref r, std::array<output_ref, N>& cap, std::size_t at) {
        cap[at] = r;
        return true;
    }
};
template <>
struct matcher<constant> {
    template <std::size_t N>
    static bool run(const model& m, output_ref r, std::array<output_ref, N>& cap, std::size_t at) {
        cap[at] = r;
        return m.nodes[r.node].is<ops::constant>();
    }
};
template <class Op, class... In>
struct matcher<op<Op, In...>> {
    template <std::size_t N>
    static bool run(const model& m, output_ref r, std::array<output_ref, N>& cap, std::size_t at) {
        const node& n = m.nodes[r.node];
        if (!n.is<Op>() || r.port != 0 || n.inputs.size() < sizeof...(In)) return false;
        cap[at] = r;
        std::size_t next = at + 1, i = 0;
        bool ok = true;
        // each input pattern in order; captures laid out depth first
        ((ok = ok && matcher<In>::run(m, n.inputs[i++], cap, next), next += size_v<In>), ...);
        return ok;
    }
};
template <class Op, class A, class B>
struct matcher<commutative<Op, A, B>> {
    template <std::size_t N>
    static bool run(const model& m, output_ref r, std::array<output_ref, N>& cap, std::size_t at) {
        const node& n = m.nodes[r.node];
        if (!n.is<Op>() || r.port != 0 || n.inputs.size() != 2) return false;
        cap[at] = r;
        const std::size_t a_at = at + 1, b_at = at + 1 + size_v<A>;
        if (matcher<A>::run(m, n.inputs[0], cap, a_at) && matcher<B>::run(m, n.inputs[1], cap, b_at)) return true;
        return matcher<A>::run(m, n.inputs[1], cap, a_at) && matcher<B>::run(m, n.inputs[0], cap, b_at);
    }
};
template <class P, class... Preds>
struct matcher<where<P, Preds...>> {
    template <std::size_t N>
    static bool run(const model& m, output_ref r, std::array<output_ref, N>& cap, std::size_t at) {
        return matcher<P>::run(m, r, cap, at) && (check_pred<Preds>(m, r) && ...);
    }
};

}  // namespace detail

/// Matches P rooted at output r. ensures: the captures when every element matched, else nullopt.
template <class P>
std::optional<match_result<P>> match(const model& m, output_ref r) {
    match_result<P> res;
    if (detail::matcher<P>::run(m, r, res.captures, 0)) return res;
    return std::nullopt;
}

}  // namespace moir::pat

#endif  // MOIR_PATTERNS_MATCH_HPP
