#ifndef MOIR_OPS_TILE_HPP
#define MOIR_OPS_TILE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <algorithm>    // max
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// tile: repeats the data repeats[i] times along axis i. When repeats and the data's rank differ,
/// the shorter one is padded with leading 1s.
/// requires: a 1-D integer repeats tensor with no negative entry.
/// ensures: output type == data type; output dim i == data dim i * repeats[i].
struct tile {
    static constexpr std::string_view name = "tile", ir_name = "Tile", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    using attrs = no_attrs;

    /// The data's dims and the repeats, both padded with leading 1s to a common rank.
    static void align(std::vector<std::int64_t>& dims, std::vector<std::int64_t>& repeats) {
        const std::size_t r = std::max(dims.size(), repeats.size());
        dims.insert(dims.begin(), r - dims.size(), 1);
        repeats.insert(repeats.begin(), r - repeats.size(), 1);
    }

    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "Tile takes 2 inputs (data, repeats)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the repeats must be an integer tensor");
        MOIR_CHECK(in[1].shape.rank_dynamic || in[1].shape.rank() <= 1, shape_error,
                   "the repeats must be 1-D, they are " + in[1].shape.str());
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};
        if (!in[1].has_value()) {
            if (!in[1].shape.is_static()) return {port_desc{t, partial_shape::dynamic(), {}}};
            const std::size_t r = std::max(s.rank(), numel(in[1].shape.dims));
            return {port_desc{t, std::vector<std::int64_t>(r, dynamic_dim), {}}};
        }
        auto repeats = detail::const_ints(in, 1, "the repeats");
        for (auto r : repeats)
            MOIR_CHECK(r >= 0, shape_error, "the repeats [" + to_string(repeats) + "] have a negative entry");
        std::vector<std::int64_t> out = s.dims;
        align(out, repeats);
        for (std::size_t i = 0; i < out.size(); ++i)
            if (out[i] >= 0) out[i] *= repeats[i];
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_TILE_HPP
