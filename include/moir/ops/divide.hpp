#ifndef MOIR_OPS_DIVIDE_HPP
#define MOIR_OPS_DIVIDE_HPP

#include <moir/ops/detail/elementwise.hpp>

#include <array>        // array
#include <string_view>  // string_view
#include <type_traits>  // is_integral_v

namespace moir::ops {

/// divide: y = a / b, element-wise with numpy broadcasting. Integers: floor division when
/// python_division (OpenVINO's default), else truncation (ONNX Div); integer x / 0 gives 0.
struct divide {
    static constexpr std::string_view name = "divide", ir_name = "Divide", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    static constexpr bool is_binary_elementwise = true;
    struct attrs {
        ops::auto_broadcast auto_broadcast = ops::auto_broadcast::numpy;
        bool python_division = true;
        static constexpr std::array<std::string_view, 2> ir_names{"auto_broadcast", "m_pythondiv"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        return detail::binary_elementwise<>::infer({a.auto_broadcast}, in);
    }
    template <class T>
    static T apply(const attrs& a, T x, T y) {
        if constexpr (std::is_integral_v<T>) {
            if (y == 0) return T(0);
            T q = static_cast<T>(x / y);
            if (a.python_division && (x % y != 0) && ((x < 0) != (y < 0))) --q;
            return q;
        } else {
            return x / y;
        }
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_DIVIDE_HPP
