#ifndef MOIR_OPS_SPACE_TO_DEPTH_HPP
#define MOIR_OPS_SPACE_TO_DEPTH_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/depth_to_space.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// space_to_depth: the inverse of depth_to_space: [N, C, D1, ..., Dk] -> [N, C * bs^k, D1 / bs,
/// ..., Dk / bs]; input (n, c, d_i * bs + b_i) goes to output channel depth_channel(mode, c,
/// offset(b)). ONNX SpaceToDepth is mode blocks_first. IR: SpaceToDepth of opset1.
/// requires: rank >= 3; block_size >= 1; every spatial dim divisible by block_size.
/// ensures: output type == data type.
struct space_to_depth {
    static constexpr std::string_view name = "space_to_depth", ir_name = "SpaceToDepth", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 1, max_inputs = 1;
    struct attrs {
        depth_space_mode mode = depth_space_mode::blocks_first;
        std::int64_t block_size = 1;
        static constexpr std::array<std::string_view, 2> ir_names{"mode", "block_size"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 1, shape_error, "SpaceToDepth takes 1 input");
        MOIR_CHECK(a.block_size >= 1, shape_error, "block_size must be >= 1, it is " + std::to_string(a.block_size));
        partial_shape s = in[0].shape;
        if (s.rank_dynamic) return {port_desc{in[0].type, s, {}}};
        MOIR_CHECK(s.rank() >= 3, shape_error, "SpaceToDepth needs rank >= 3, the data is " + s.str());
        if (s.dims[1] >= 0) s.dims[1] *= detail::block_elements(a.block_size, s.rank() - 2);
        for (std::size_t i = 2; i < s.rank(); ++i) {
            if (s.dims[i] < 0) continue;
            MOIR_CHECK(s.dims[i] % a.block_size == 0, shape_error,
                       "spatial dim " + std::to_string(i) + " (" + std::to_string(s.dims[i]) +
                           ") is not divisible by block_size " + std::to_string(a.block_size));
            s.dims[i] /= a.block_size;
        }
        return {port_desc{in[0].type, s, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_SPACE_TO_DEPTH_HPP
