#ifndef MOIR_OPS_GRID_SAMPLE_HPP
#define MOIR_OPS_GRID_SAMPLE_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// GridSample `mode`: how a sampling point reads the data.
enum class grid_sample_mode { bilinear, bicubic, nearest };
constexpr std::array<std::string_view, 3> ir_enum_names(grid_sample_mode) { return {"bilinear", "bicubic", "nearest"}; }
/// GridSample `padding_mode`: what a sampling point outside the data reads.
enum class grid_sample_padding { zeros, border, reflection };
constexpr std::array<std::string_view, 3> ir_enum_names(grid_sample_padding) { return {"zeros", "border", "reflection"}; }

/// grid_sample: y[n, c, h, w] = data[n, c] sampled at grid[n, h, w] = (x, y), coordinates in [-1, 1]
/// (-1: the left/top edge; with align_corners the centre of the first cell, else its outer edge).
/// Mode nearest rounds the point (halves to even), bilinear blends its 2x2 neighbours, bicubic its
/// 4x4 neighbours (Keys kernel, a = -0.75). Outside the data, padding zeros reads 0, border clamps
/// and reflection mirrors the point at the edges (and clamps/mirrors the neighbour cells).
/// IR: GridSample of opset9.
/// requires: floating data [N, C, H, W]; grid [N, Ho, Wo, 2] of a floating type.
/// ensures: output [N, C, Ho, Wo] of the data's type.
struct grid_sample {
    static constexpr std::string_view name = "grid_sample", ir_name = "GridSample", ir_opset = "opset9";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    static constexpr bool float_only = true;
    struct attrs {
        bool align_corners = false;
        grid_sample_mode mode = grid_sample_mode::bilinear;
        grid_sample_padding padding_mode = grid_sample_padding::zeros;
        static constexpr std::array<std::string_view, 3> ir_names{"align_corners", "mode", "padding_mode"};
    };
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "GridSample takes 2 inputs (data, grid)");
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "GridSample needs floating-point data");
        MOIR_CHECK(in[1].type == element_type::undefined || is_float(in[1].type), shape_error,
                   "the grid must be floating-point");
        const partial_shape& x = in[0].shape;
        const partial_shape& g = in[1].shape;
        MOIR_CHECK(x.rank_dynamic || x.rank() == 4, shape_error, "GridSample needs data [N, C, H, W]");
        MOIR_CHECK(g.rank_dynamic || (g.rank() == 4 && (g.dims[3] < 0 || g.dims[3] == 2)), shape_error,
                   "GridSample needs a grid [N, Ho, Wo, 2]");
        std::int64_t n = x.rank_dynamic ? -1 : x.dims[0];
        if (!g.rank_dynamic) {
            MOIR_CHECK(n < 0 || g.dims[0] < 0 || n == g.dims[0], shape_error, "the data and the grid have different batches");
            if (n < 0) n = g.dims[0];
        }
        return {port_desc{in[0].type,
                          std::vector<std::int64_t>{n, x.rank_dynamic ? -1 : x.dims[1], g.rank_dynamic ? -1 : g.dims[1],
                                                    g.rank_dynamic ? -1 : g.dims[2]},
                          {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_GRID_SAMPLE_HPP
