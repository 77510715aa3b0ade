#ifndef MOIR_OPS_RESHAPE_HPP
#define MOIR_OPS_RESHAPE_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// reshape: the data with a new shape, elements in the same row-major order. The 2nd input is the
/// target shape: a -1 (at most one) stands for the dim that keeps the element count; a 0 copies
/// the input dim at the same index when special_zero, else means an empty dim.
/// requires: a 1-D (or scalar) integer target; the element counts agree.
/// ensures: output type == input type; the exact shape when the target value is known, else the
/// target's length with dynamic dims (a dynamic rank when even that is unknown).
struct reshape {
    static constexpr std::string_view name = "reshape", ir_name = "Reshape", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    struct attrs {
        bool special_zero = false;
        static constexpr std::array<std::string_view, 1> ir_names{"special_zero"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "Reshape takes 2 inputs (data, target shape)");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "the target shape must be an integer tensor");
        const partial_shape& tshape = in[1].shape;
        MOIR_CHECK(tshape.rank_dynamic || tshape.rank() <= 1, shape_error,
                   "the target shape must be 1-D, it is " + tshape.str());
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        if (!in[1].has_value()) {
            if (tshape.is_static())
                return {port_desc{t, std::vector<std::int64_t>(numel(tshape.dims), dynamic_dim), {}}};
            return {port_desc{t, partial_shape::dynamic(), {}}};
        }
        std::vector<std::int64_t> out = detail::const_ints(in, 1, "the target shape");
        std::vector<bool> copied(out.size(), false);  // dims copied from the input by special_zero
        std::size_t infer_at = out.size();            // index of the -1, if any
        for (std::size_t i = 0; i < out.size(); ++i) {
            if (out[i] == -1) {
                MOIR_CHECK(infer_at == out.size(), shape_error, "the target shape has more than one -1");
                infer_at = i;
            } else if (out[i] == 0 && a.special_zero) {
                MOIR_CHECK(s.rank_dynamic || i < s.rank(), shape_error,
                           "target dim " + std::to_string(i) + " is 0 (copy the input dim) but the input has rank " +
                               std::to_string(s.rank()));
                out[i] = s.rank_dynamic ? dynamic_dim : s.dims[i];
                copied[i] = true;
            } else {
                MOIR_CHECK(out[i] >= 0, shape_error, "the target shape has a negative dim " + std::to_string(out[i]));
            }
        }
        if (s.rank_dynamic) return {port_desc{t, out, {}}};
        // Element counts, leaving out the input's dynamic dims: they cancel when each is copied to
        // the output at its own index; otherwise the -1 (if any) stays dynamic.
        bool cancels = true;
        std::int64_t total = 1;
        for (std::size_t i = 0; i < s.rank(); ++i) {
            if (s.dims[i] >= 0) total *= s.dims[i];
            else cancels = cancels && i < copied.size() && copied[i];
        }
        if (!cancels) return {port_desc{t, out, {}}};
        std::int64_t known = 1;
        for (std::size_t i = 0; i < out.size(); ++i)
            if (i != infer_at && out[i] >= 0) known *= out[i];
        if (infer_at < out.size()) {
            if (known == 0) {
                MOIR_CHECK(total == 0, shape_error,
                           "cannot reshape " + s.str() + " (" + std::to_string(total) + " elements) to zero elements");
                out[infer_at] = 0;
            } else {
                MOIR_CHECK(total % known == 0, shape_error,
                           "cannot reshape " + s.str() + " to [" + to_string(out) + "]: the -1 dim does not divide " +
                               std::to_string(total) + " elements evenly by " + std::to_string(known));
                out[infer_at] = total / known;
            }
        } else {
            MOIR_CHECK(known == total, shape_error,
                       "cannot reshape " + s.str() + " (" + std::to_string(total) + " elements) to [" +
                           to_string(out) + "] (" + std::to_string(known) + " elements)");
        }
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_RESHAPE_HPP
