#ifndef MOIR_OPS_MVN_HPP
#define MOIR_OPS_MVN_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstddef>      // size_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// Where MVN adds eps: under the square root (sqrt(var + eps)) or after it (sqrt(var) + eps).
enum class mvn_eps_mode { inside_sqrt, outside_sqrt };
constexpr std::array<std::string_view, 2> ir_enum_names(mvn_eps_mode) { return {"inside_sqrt", "outside_sqrt"}; }

/// mvn (mean-variance normalization): y = x - mean(x), divided by sqrt(var(x) + eps) (inside_sqrt)
/// or sqrt(var(x)) + eps (outside_sqrt) when normalize_variance, where mean and the population
/// variance are taken over the axes of the 2nd input (integer constant, negative axes count from
/// the end) for each position of the other axes. IR: MVN of opset6.
/// requires: floating-point data; axes in [-rank, rank), none repeated.
/// ensures: output type and shape == the data's.
struct mvn {
    static constexpr std::string_view name = "mvn", ir_name = "MVN", ir_opset = "opset6";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    static constexpr bool float_only = true;
    struct attrs {
        bool normalize_variance = true;
        float eps = 1e-9f;
        mvn_eps_mode eps_mode = mvn_eps_mode::inside_sqrt;
        static constexpr std::array<std::string_view, 3> ir_names{"normalize_variance", "eps", "eps_mode"};
    };
    static port_descs infer(const attrs&, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "MVN takes 2 inputs (data, axes)");
        MOIR_CHECK(in[0].type == element_type::undefined || is_float(in[0].type), shape_error,
                   "MVN needs floating-point data");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the axes input must be an integer tensor");
        MOIR_CHECK(in[1].shape.rank_dynamic || in[1].shape.rank() <= 1, shape_error, "the axes input must be 1-D");
        if (in[1].has_value() && !in[0].shape.rank_dynamic) {
            std::vector<bool> seen(in[0].shape.rank(), false);
            for (auto ax : detail::const_ints(in, 1, "the axes input")) {
                const std::size_t a = normalize_axis(ax, in[0].shape.rank());
                MOIR_CHECK(!seen[a], shape_error, "axes repeats axis " + std::to_string(a));
                seen[a] = true;
            }
        }
        return {port_desc{in[0].type, in[0].shape, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MVN_HPP
