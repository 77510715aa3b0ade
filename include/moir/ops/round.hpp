#ifndef MOIR_OPS_ROUND_HPP
#define MOIR_OPS_ROUND_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <array>        // array
#include <cmath>        // fabs, round, trunc
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v

namespace moir::ops {

/// How Round breaks ties: OpenVINO Round `mode`.
enum class round_mode { half_to_even, half_away_from_zero };
constexpr std::array<std::string_view, 2> ir_enum_names(round_mode) { return {"half_to_even", "half_away_from_zero"}; }

/// round: y = x rounded to the nearest integer value, element-wise; halves go to the even neighbour
/// (half_to_even, ONNX Round) or away from zero. Integers are unchanged; NaN and inf stay.
/// ensures: output type and shape == input's.
struct round : detail::unary_elementwise {
    static constexpr std::string_view name = "round", ir_name = "Round", ir_opset = "opset5";
    struct attrs {
        round_mode mode = round_mode::half_to_even;
        static constexpr std::array<std::string_view, 1> ir_names{"mode"};
    };
    static port_descs infer(const attrs&, const port_descs& in) { return unary_elementwise::infer({}, in); }
    template <class T>
    static T apply(const attrs& a, T x) {
        if constexpr (std::is_floating_point_v<T>) {
            const T r = std::round(x);  // halves away from zero
            if (a.mode == round_mode::half_to_even && std::fabs(x - std::trunc(x)) == T(0.5))
                return T(2) * std::round(x / T(2));
            return r;
        } else {
            return x;
        }
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_ROUND_HPP
