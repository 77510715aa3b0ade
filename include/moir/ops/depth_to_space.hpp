#ifndef MOIR_OPS_DEPTH_TO_SPACE_HPP
#define MOIR_OPS_DEPTH_TO_SPACE_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// How DepthToSpace/SpaceToDepth lay the block out in the channels: OpenVINO `mode`.
/// blocks_first: channel = block offset * C' + c (ONNX DCR); depth_first: channel = c * bs^k +
/// block offset (ONNX CRD), where the block offset is the row-major position inside the block.
enum class depth_space_mode { blocks_first, depth_first };
constexpr std::array<std::string_view, 2> ir_enum_names(depth_space_mode) { return {"blocks_first", "depth_first"}; }

namespace detail {
/// Shared by DepthToSpace and SpaceToDepth: the channel of the "depth" side that holds channel c
/// of the "space" side at block offset `offset`, for `space_channels` channels and blocks of
/// `block_elems` = bs^k elements.
inline std::int64_t depth_channel(depth_space_mode m, std::int64_t c, std::int64_t offset, std::int64_t space_channels,
                                  std::int64_t block_elems) {
    return m == depth_space_mode::blocks_first ? offset * space_channels + c : c * block_elems + offset;
}
/// bs^k for k spatial dims.
inline std::int64_t block_elements(std::int64_t block_size, std::size_t spatial) {
    std::int64_t n = 1;
    for (std::size_t i = 0; i < spatial; ++i) n *= block_size;
    return n;
}
}  // namespace detail

/// depth_to_space: moves channel blocks into space: [N, C, D1, ..., Dk] -> [N, C / bs^k, D1 * bs,
/// ..., Dk * bs]; output (n, c, d_i * bs + b_i) reads input channel depth_channel(mode, c, offset(b)).
/// IR: DepthToSpace of opset1.
/// requires: rank >= 3; block_size >= 1; C divisible by bs^k.
/// ensures: output type == data type.
struct depth_to_space {
    static constexpr std::string_view name = "depth_to_space", ir_name = "DepthToSpace", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        depth_space_mode mode = depth_space_mode::blocks_first;
        std::int64_t block_size = 1;
        static constexpr std::array<std::string_view, 2> ir_names{"mode", "block_size"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 1, shape_error, "DepthToSpace takes 1 input");
        MOIR_CHECK(a.block_size >= 1, shape_error, "block_size must be >= 1, it is " + std::to_string(a.block_size));
        partial_shape s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{in[0].type, s, {}}};
        MOIR_CHECK(s.rank() >= 3, shape_error, "DepthToSpace needs rank >= 3, the data is " + s.str());
        const std::int64_t be = detail::block_elements(a.block_size, s.rank() - 2);
        if (s.dims[1] >= 0) {
            MOIR_CHECK(s.dims[1] % be == 0, shape_error,
                       "the channels (" + std::to_string(s.dims[1]) + ") are not divisible by block_size^" +
                           std::to_string(s.rank() - 2) + " = " + std::to_string(be));
            s.dims[1] /= be;
        }
        for (std::size_t i = 2; i < s.rank(); ++i)
            if (s.dims[i] >= 0) s.dims[i] *= a.block_size;
        return {port_desc{in[0].type, s, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_DEPTH_TO_SPACE_HPP
