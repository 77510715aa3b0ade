#ifndef MOIR_OPS_DETAIL_REDUCE_HPP
#define MOIR_OPS_DETAIL_REDUCE_HPP

// Shared shape inference of the Reduce* ops. A reduction op type derives from `reduction` and adds
// its name and the scalar hooks the reference kernel calls, on an accumulator type A (double for
// floating types, int64/uint64 for integers):
//
//   template <class A> static A init();                          // the identity
//   template <class A> static A combine(A acc, A x);
//   template <class A> static A finish(A acc, std::size_t count); // count = elements reduced

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v
#include <vector>       // vector

namespace moir::ops::detail {

/// Attributes of the Reduce* ops.
struct reduce_attrs {
    bool keep_dims = false;
    static constexpr std::array<std::string_view, 1> ir_names{"keep_dims"};
};

/// Whether x is a NaN (false for integers): max/min propagate NaNs.
template <class A>
bool is_nan(A x) {
    if constexpr (std::is_floating_point_v<A>) return x != x;
    else return false;
}

/// The reduced axes of a reduction as a mask over the input's axes. requires: `axes` in
/// [-rank, rank) (duplicates allowed). ensures: throws shape_error naming the bad axis otherwise.
inline std::vector<bool> reduced_axes_mask(const std::vector<std::int64_t>& axes, std::size_t rank) {
    std::vector<bool> mask(rank, false);
    for (auto ax : axes) mask[normalize_axis(ax, rank)] = true;
    return mask;
}

/// Inputs: data, axes (1-D or scalar integer constant; empty = reduce nothing, output = input).
/// ensures: reduced dims become 1 (keep_dims) or are removed; unknown axes give dynamic dims.
struct reduction {
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    static constexpr bool is_reduction = true;
    using attrs = reduce_attrs;
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "a reduction takes 2 inputs (data, axes)");
        MOIR_CHECK(in[0].type != element_type::boolean, shape_error, "a reduction does not take boolean data");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the axes input must be an integer tensor");
        MOIR_CHECK(in[1].shape.rank_dynamic || in[1].shape.rank() <= 1, shape_error,
                   "the axes input must be a scalar or 1-D, it is " + in[1].shape.str());
        const partial_shape& s = in[0].shape;
        const element_type t = in[0].type;
        if (s.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
        if (!in[1].has_value()) {
            // unknown axes: keep_dims keeps the rank; otherwise the rank is known when the axes count is
            if (a.keep_dims) return {port_desc{t, std::vector<std::int64_t>(s.rank(), dynamic_dim), {}}};
            const partial_shape& as = in[1].shape;
            if (as.is_static()) {
                const auto count = static_cast<std::int64_t>(numel(as.dims));
                if (count == 0) return {port_desc{t, s, {}}};
                MOIR_CHECK(count <= static_cast<std::int64_t>(s.rank()), shape_error,
                           "more axes (" + std::to_string(count) + ") than the data's rank");
                const std::size_t rank = s.rank() - static_cast<std::size_t>(count);
                return {port_desc{t, std::vector<std::int64_t>(rank, dynamic_dim), {}}};
            }
            return {port_desc{t, partial_shape::dynamic(), {}}};
        }
        const auto mask = reduced_axes_mask(const_ints(in, 1, "the axes input"), s.rank());
        std::vector<std::int64_t> out;
        for (std::size_t i = 0; i < s.rank(); ++i) {
            if (!mask[i]) out.push_back(s.dims[i]);
            else if (a.keep_dims) out.push_back(1);
        }
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops::detail

#endif  // MOIR_OPS_DETAIL_REDUCE_HPP
