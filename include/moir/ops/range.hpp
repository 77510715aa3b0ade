#ifndef MOIR_OPS_RANGE_HPP
#define MOIR_OPS_RANGE_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cmath>        // ceil, isfinite
#include <cstdint>      // int64_t
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// range: the 1-D sequence start, start+step, ... up to (excluding) stop, of output_type. Inputs
/// start, stop, step are scalars (1-element tensors). For an integer output_type they are first
/// converted to it (floats truncate); for a floating one they are computed in double.
/// requires: step != 0; a numeric output_type.
/// ensures: output shape [max(0, ceil((stop - start) / step))], [?] when a value is unknown.
struct range {
    static constexpr std::string_view name = "range", ir_name = "Range", ir_opset = "opset4";
    static constexpr std::size_t min_inputs = 3, max_inputs = 3;
    struct attrs {
        element_type output_type = element_type::i64;
        static constexpr std::array<std::string_view, 1> ir_names{"output_type"};
    };

    /// The element count for start/stop/step read from the inputs. requires: values known.
    /// ensures: throws shape_error on a zero step or a non-finite bound.
    static std::int64_t count(element_type out, const tensor& start, const tensor& stop, const tensor& step) {
        if (is_integer(out)) {
            const auto b = start.at_as<std::int64_t>(0), e = stop.at_as<std::int64_t>(0);
            const auto s = step.at_as<std::int64_t>(0);
            MOIR_CHECK(s != 0, shape_error, "the step of Range is 0");
            if (s > 0) return e > b ? (e - b - 1) / s + 1 : 0;
            return b > e ? (b - e - 1) / -s + 1 : 0;
        }
        const auto b = start.at_as<double>(0), e = stop.at_as<double>(0), s = step.at_as<double>(0);
        MOIR_CHECK(s != 0, shape_error, "the step of Range is 0");
        MOIR_CHECK(std::isfinite(b) && std::isfinite(e) && std::isfinite(s), shape_error,
                   "Range needs finite start, stop and step");
        const double n = std::ceil((e - b) / s);
        return n > 0 ? static_cast<std::int64_t>(n) : 0;
    }

    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 3, shape_error, "Range takes 3 inputs (start, stop, step)");
        MOIR_CHECK(is_float(a.output_type) || is_integer(a.output_type), shape_error,
                   "Range output_type must be numeric, it is " + std::string(moir::ir_name(a.output_type)));
        const char* names[] = {"start", "stop", "step"};
        for (std::size_t i = 0; i < 3; ++i) {
            MOIR_CHECK(in[i].type != element_type::boolean, shape_error,
                       std::string("the ") + names[i] + " is boolean");
            MOIR_CHECK(!in[i].shape.is_static() || numel(in[i].shape.dims) == 1, shape_error,
                       std::string("the ") + names[i] + " must hold one value, its shape is " + in[i].shape.str());
        }
        if (!in[0].has_value() || !in[1].has_value() || !in[2].has_value())
            return {port_desc{a.output_type, std::vector<std::int64_t>{dynamic_dim}, {}}};
        const std::int64_t n = count(a.output_type, in[0].value, in[1].value, in[2].value);
        return {port_desc{a.output_type, std::vector<std::int64_t>{n}, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_RANGE_HPP
