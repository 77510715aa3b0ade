#ifndef MOIR_PASSES_PASS_CONCEPT_HPP
#define MOIR_PASSES_PASS_CONCEPT_HPP

// THE PASS CONCEPT. A pass is a type with
//
//   static constexpr std::string_view name = "fold_constants";
//   static std::size_t run(moir::model&, moir::passes::pass_context&);   // returns the number of changes
//
// or, for a fusion, the pattern form:
//
//   /// Search pattern => Multiply(Convolution(x, W: constant), c: constant), the convolution used once
//   /// Rewrite        => Convolution(x, W * c)
//   struct fuse_conv_mul {
//       static constexpr std::string_view name = "fuse_conv_mul";
//       using pattern = pat::op<ops::multiply, pat::where<pat::op<ops::convolution, pat::any, pat::constant>,
//                                                         pat::single_use>, pat::constant>;
//       static bool rewrite(moir::model&, const pat::match_result<pattern>&);  // guard clauses first
//   };
//
// which passes::pattern_pass<F> adapts: it tries the pattern at every node output, in topological
// order, and counts the rewrites that returned true. A rewrite adds new nodes and redirects uses
// (model::replace_uses); it never deletes nodes: the pipeline drops dead nodes after each pass.
// Pipelines (passes/pipeline.hpp) are compile-time lists of passes run to a fixed point.

#include <moir/core/model.hpp>
#include <moir/patterns/match.hpp>

#include <cstddef>      // size_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::passes {

/// What one pass changed in one round.
struct pass_record {
    std::string_view pass;
    std::size_t round = 0;
    std::size_t changes = 0;
    std::size_t nodes_after = 0;
};

/// Shared state of a pipeline run: options and the log of what each pass did.
struct pass_context {
    bool fusions = true;                 ///< false under --disable_fusing
    /// Fold ShapeOf of static shapes (and the shape sub-graphs after it) into constants. moir
    /// convert sets it when input shapes are fixed (--input_shape) or under --static_shape; off,
    /// the IR keeps its shape sub-graphs and can be reshaped.
    bool fold_shapes = true;
    std::size_t max_constant_bytes = 64u << 20;  ///< constant folding leaves larger results unfolded
    std::vector<pass_record> log;
};

/// Adapts a pattern-form fusion F to the pass concept.
template <class F>
struct pattern_pass {
    static constexpr std::string_view name = F::name;
    static std::size_t run(model& m, pass_context&) {
        std::size_t changes = 0;
        for (node_id id : m.topo_order()) {
            // a rewrite adds nodes (the vector may reallocate): read the port count up front
            const std::size_t ports = m.nodes[id].outputs.size();
            for (std::size_t port = 0; port < ports; ++port) {
                if (auto r = pat::match<typename F::pattern>(m, {id, port}))
                    if (F::rewrite(m, *r)) ++changes;
            }
        }
        return changes;
    }
};

namespace detail {
template <class P, class = void>
struct has_pattern : std::false_type {};
template <class P>
struct has_pattern<P, std::void_t<typename P::pattern>> : std::true_type {};
}  // namespace detail

/// The pass-concept form of P: P itself, or pattern_pass<P> for a pattern-form fusion.
template <class P>
using as_pass = std::conditional_t<detail::has_pattern<P>::value, pattern_pass<P>, P>;

}  // namespace moir::passes

#endif  // MOIR_PASSES_PASS_CONCEPT_HPP
