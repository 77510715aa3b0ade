#ifndef MOIR_OPS_TRANSPOSE_HPP
#define MOIR_OPS_TRANSPOSE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// transpose: permutes the data's axes: output dim i is input dim perm[i]. The 2nd input is perm;
/// an empty perm reverses the axes.
/// requires: perm is empty or a permutation of 0..rank-1.
/// ensures: output type == input type; dims permuted (dynamic where perm is unknown).
struct transpose {
    static constexpr std::string_view name = "transpose", ir_name = "Transpose", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    using attrs = no_attrs;

    /// The effective permutation for a data rank. ensures: throws shape_error when perm is invalid.
    static std::vector<std::size_t> resolve(const std::vector<std::int64_t>& perm, std::size_t rank) {
        std::vector<std::size_t> p(rank);
        if (perm.empty()) {
            for (std::size_t i = 0; i < rank; ++i) p[i] = rank - 1 - i;
            return p;
        }
        MOIR_CHECK(perm.size() == rank, shape_error,
                   "the permutation has " + std::to_string(perm.size()) + " entries, the data has rank " +
                       std::to_string(rank));
        std::vector<bool> seen(rank, false);
        for (std::size_t i = 0; i < rank; ++i) {
            const auto v = perm[i];
            MOIR_CHECK(v >= 0 && v < static_cast<std::int64_t>(rank) && !seen[static_cast<std::size_t>(v)], shape_error,
                       "[" + to_string(perm) + "] is not a permutation of the axes 0.." + std::to_string(rank - 1));
            seen[static_cast<std::size_t>(v)] = true;
            p[i] = static_cast<std::size_t>(v);
        }
        return p;
    }

    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "Transpose takes 2 inputs (data, permutation)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the permutation must be an integer tensor");
        MOIR_CHECK(in[1].shape.rank_dynamic || in[1].shape.rank() <= 1, shape_error,
                   "the permutation must be 1-D, it is " + in[1].shape.str());
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
        std::vector<std::int64_t> perm;
        if (in[1].has_value()) {
            perm = detail::const_ints(in, 1, "the permutation");
        } else if (!(in[1].shape.is_static() && numel(in[1].shape.dims) == 0)) {
            return {port_desc{t, std::vector<std::int64_t>(s.rank(), dynamic_dim), {}}};
        }
        const auto p = resolve(perm, s.rank());
        std::vector<std::int64_t> out(s.rank());
        for (std::size_t i = 0; i < p.size(); ++i) out[i] = s.dims[p[i]];
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_TRANSPOSE_HPP
