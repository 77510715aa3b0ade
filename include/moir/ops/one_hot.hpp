#ifndef MOIR_OPS_ONE_HOT_HPP
#define MOIR_OPS_ONE_HOT_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // ptrdiff_t
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// What OneHot does with negative indices: OpenVINO `negative_indices_mode` (ignore_negative:
/// all off_value; normalize: index + depth when in [-depth, -1]).
enum class one_hot_negative_mode { ignore_negative, normalize };
constexpr std::array<std::string_view, 2> ir_enum_names(one_hot_negative_mode) {
    return {"ignore_negative", "normalize"};
}

/// one_hot: for each index, a new axis of `depth` elements (inserted at `axis`, negative counts
/// from the end of the output's rank) that holds on_value at the index and off_value elsewhere;
/// out-of-range indices give all off_value. Inputs: indices (integer), depth (a 1-element
/// integer), on_value, off_value (1-element tensors of one type). IR: OneHot of opset16.
/// requires: depth >= 0.
/// ensures: output type == on_value's; shape == indices shape with depth inserted at axis
/// (dynamic while depth is unknown).
struct one_hot {
    static constexpr std::string_view name = "one_hot", ir_name = "OneHot", ir_opset = "opset16";
    static constexpr std::size_t min_inputs = 4, max_inputs = 4;
    struct attrs {
        std::int64_t axis = -1;
        one_hot_negative_mode negative_indices_mode = one_hot_negative_mode::ignore_negative;
        static constexpr std::array<std::string_view, 2> ir_names{"axis", "negative_indices_mode"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 4, shape_error, "OneHot takes 4 inputs (indices, depth, on_value, off_value)");
        MOIR_CHECK(in[0].type == element_type::undefined || is_integer(in[0].type), shape_error,
                   "the indices must be an integer tensor");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "depth must be an integer tensor");
        const char* names[] = {"indices", "depth", "on_value", "off_value"};
        for (std::size_t i = 1; i < 4; ++i)
            MOIR_CHECK(!in[i].shape.is_static() || numel(in[i].shape.dims) == 1, shape_error,
                       std::string(names[i]) + " must hold one value, its shape is " + in[i].shape.str());
        MOIR_CHECK(in[2].type == element_type::undefined || in[3].type == element_type::undefined ||
                       in[2].type == in[3].type,
                   shape_error, "on_value and off_value must have the same element type");
        const partial_shape& s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{in[2].type, s, {}}};
        const std::size_t axis = normalize_axis(a.axis, s.rank() + 1);
        std::int64_t depth = dynamic_dim;
        if (in[1].has_value()) {
            depth = detail::const_ints(in, 1, "depth").at(0);
            MOIR_CHECK(depth >= 0, shape_error, "depth must be >= 0, it is " + std::to_string(depth));
        }
        std::vector<std::int64_t> out = s.dims;
        out.insert(out.begin() + static_cast<std::ptrdiff_t>(axis), depth);
        return {port_desc{in[2].type, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ONE_HOT_HPP
