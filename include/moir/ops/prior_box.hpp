#ifndef MOIR_OPS_PRIOR_BOX_HPP
#define MOIR_OPS_PRIOR_BOX_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>
#include <moir/ops/common.hpp>

#include <array>        // array
#include <cmath>        // fabs
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// prior_box (SSD's default boxes): for each cell (h, w) of a feature map [H, W] over an image
/// [img_h, img_w], boxes centred at ((w + offset) * step_x, (h + offset) * step_y) (step 0: the image
/// size over the map size), normalized by the image size: for each min_size s a square of side s,
/// then (max_size given) a square of side sqrt(s * max_size[i]), then for each aspect ratio ar other
/// than 1 a box s*sqrt(ar) wide and s/sqrt(ar) high (min_max_aspect_ratios_order false: the ratio
/// boxes before the max box). Aspect ratios are Caffe's list: 1, then each given ratio not already
/// listed (within 1e-6) and, with flip, its inverse. clip clamps coordinates to [0, 1]. Row 1 of
/// the output holds the 4 variances of every box (one value for all four, four values, or 0.1 when
/// none). IR: PriorBox of opset8 (density, fixed_ratio, fixed_size and scale_all_sizes false are
/// kept in the IR but refused by the reference kernel).
/// requires: inputs output_size [2] (H, W) and image_size [2] (img_h, img_w), integer;
/// max_size empty or as long as min_size; aspect ratios > 0; variance of 0, 1 or 4 values.
/// ensures: output f32 [2, 4 * H * W * num_priors(attrs)] (dynamic while output_size is unknown).
struct prior_box {
    static constexpr std::string_view name = "prior_box", ir_name = "PriorBox", ir_opset = "opset8";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    struct attrs {
        std::vector<float> min_size, max_size, aspect_ratio, density, fixed_ratio, fixed_size;
        bool clip = false;
        bool flip = false;
        float step = 0.0f;
        float offset = 0.0f;
        std::vector<float> variance;
        bool scale_all_sizes = true;
        bool min_max_aspect_ratios_order = true;
        static constexpr std::array<std::string_view, 13> ir_names{
            "min_size", "max_size", "aspect_ratio", "density", "fixed_ratio", "fixed_size", "clip",
            "flip",     "step",     "offset",       "variance", "scale_all_sizes", "min_max_aspect_ratios_order"};
        static constexpr std::array<std::string_view, 1> ir_required{"offset"};
    };
    /// Caffe's aspect ratio list: 1, each new ratio, and its inverse with flip.
    static std::vector<float> aspect_ratios(const attrs& a) {
        std::vector<float> r{1.0f};
        for (float ar : a.aspect_ratio) {
            bool seen = false;
            for (float x : r) seen = seen || std::fabs(ar - x) < 1e-6f;
            if (seen) continue;
            r.push_back(ar);
            if (a.flip) r.push_back(1.0f / ar);
        }
        return r;
    }
    /// Boxes per feature-map cell.
    static std::int64_t num_priors(const attrs& a) {
        const auto n = static_cast<std::int64_t>(aspect_ratios(a).size());
        if (!a.scale_all_sizes) return n + static_cast<std::int64_t>(a.min_size.size()) - 1;
        return n * static_cast<std::int64_t>(a.min_size.size()) + static_cast<std::int64_t>(a.max_size.size());
    }
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "PriorBox takes 2 inputs (output_size, image_size)");
        MOIR_CHECK(!a.min_size.empty(), shape_error, "PriorBox needs min_size");
        MOIR_CHECK(a.max_size.empty() || a.max_size.size() == a.min_size.size(), shape_error,
                   "PriorBox: max_size must be empty or as long as min_size");
        for (float ar : a.aspect_ratio) MOIR_CHECK(ar > 0.0f, shape_error, "PriorBox: aspect ratios must be positive");
        MOIR_CHECK(a.variance.size() == 0 || a.variance.size() == 1 || a.variance.size() == 4, shape_error,
                   "PriorBox: variance takes 0, 1 or 4 values");
        for (std::size_t i = 0; i < 2; ++i)
            MOIR_CHECK(in[i].type == element_type::undefined || is_integer(in[i].type), shape_error,
                       "PriorBox: output_size and image_size must be integers");
        std::int64_t n = -1;
        if (in[0].has_value()) {
            const auto hw = detail::const_ints(in, 0, "output_size");
            MOIR_CHECK(hw.size() == 2 && hw[0] > 0 && hw[1] > 0, shape_error, "PriorBox: output_size must be 2 positive values");
            n = 4 * hw[0] * hw[1] * num_priors(a);
        }
        return {port_desc{element_type::f32, std::vector<std::int64_t>{2, n}, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_PRIOR_BOX_HPP
