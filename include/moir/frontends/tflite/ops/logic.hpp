#ifndef MOIR_FRONTENDS_TFLITE_OPS_LOGIC_HPP
#define MOIR_FRONTENDS_TFLITE_OPS_LOGIC_HPP

// TFLite comparisons and logical ops -> moir ops: GREATER, GREATER_EQUAL, LESS, LESS_EQUAL, EQUAL,
// NOT_EQUAL (Equal + LogicalNot), LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT. Boolean outputs, numpy
// broadcasting; like the arithmetic family they stay in NCHW next to convolutions.

#include <moir/frontends/tflite/converter.hpp>
#include <moir/frontends/tflite/ops/elementwise.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/greater.hpp>
#include <moir/ops/greater_equal.hpp>
#include <moir/ops/less.hpp>
#include <moir/ops/less_equal.hpp>
#include <moir/ops/logical_and.hpp>
#include <moir/ops/logical_not.hpp>
#include <moir/ops/logical_or.hpp>

#include <cstdint>  // int32_t
#include <vector>   // vector

namespace moir::tflite {

namespace detail {
/// Builtin codes of the logic family.
enum : std::int32_t {
    op_less = 58, op_greater = 61, op_greater_equal = 62, op_less_equal = 63, op_equal = 71, op_not_equal = 72,
    op_logical_or = 84, op_logical_and = 86, op_logical_not = 87
};
}  // namespace detail

/// Registers the logic family.
template <class = void>  // compiled only where a table is built
void register_logic(op_table& t) {
    using namespace detail;
    t.add(op_greater, binary<moir::ops::greater>(false));
    t.add(op_greater_equal, binary<moir::ops::greater_equal>(false));
    t.add(op_less, binary<moir::ops::less>(false));
    t.add(op_less_equal, binary<moir::ops::less_equal>(false));
    t.add(op_equal, binary<moir::ops::equal>(false));
    t.add(op_logical_and, binary<moir::ops::logical_and>(false));
    t.add(op_logical_or, binary<moir::ops::logical_or>(false));
    t.add(op_logical_not, unary<moir::ops::logical_not>());
    t.add(op_not_equal, [](context& c) {
        MOIR_CHECK(c.input_count() == 2, parse_error, "expects 2 inputs");
        elementwise(c, [&](const std::vector<output_ref>& in) {
            const output_ref eq = c.add<moir::ops::equal>({}, {in[0], in[1]}, "/equal");
            return c.add<moir::ops::logical_not>({}, {eq});
        });
    });
}

}  // namespace moir::tflite

#endif  // MOIR_FRONTENDS_TFLITE_OPS_LOGIC_HPP
