#ifndef MOIR_OPS_TOP_K_HPP
#define MOIR_OPS_TOP_K_HPP

#include <moir/core/errors.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <algorithm>    // min
#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::ops {

/// Which elements TopK keeps: OpenVINO `mode`.
enum class top_k_mode { max, min };
constexpr std::array<std::string_view, 2> ir_enum_names(top_k_mode) { return {"max", "min"}; }

/// How TopK orders what it keeps: OpenVINO `sort` (none: unspecified order).
enum class top_k_sort { value, index, none };
constexpr std::array<std::string_view, 3> ir_enum_names(top_k_sort) { return {"value", "index", "none"}; }

/// top_k: the k largest (mode max) or smallest (min) elements along `axis` (negative counts from
/// the end) and their indices on the axis. The 2nd input is k (a 1-element integer tensor). Output
/// 0: the values; output 1: the indices, of index_element_type. Equal values keep their input
/// order (the reference is always stable); NaN ranks above every number. sort=value orders the
/// kept elements best first, sort=index by increasing index, sort=none like value.
/// IR: TopK of opset11.
/// requires: rank >= 1; k >= 0; index_element_type i32 or i64.
/// ensures: outputs of the data's shape with the axis dim min(k, dim) (dynamic while k is unknown).
struct top_k {
    static constexpr std::string_view name = "top_k", ir_name = "TopK", ir_opset = "opset11";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    struct attrs {
        std::int64_t axis = -1;
        top_k_mode mode = top_k_mode::max;
        top_k_sort sort = top_k_sort::value;
        element_type index_element_type = element_type::i64;
        bool stable = true;
        static constexpr std::array<std::string_view, 5> ir_names{"axis", "mode", "sort", "index_element_type",
                                                                  "stable"};
    };
    static std::size_t outputs(const attrs&) { return 2; }
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "TopK takes 2 inputs (data, k)");
        MOIR_CHECK(a.index_element_type == element_type::i32 || a.index_element_type == element_type::i64, shape_error,
                   "TopK index_element_type must be i32 or i64");
        MOIR_CHECK(in[0].type != element_type::boolean, shape_error, "TopK does not take boolean data");
        MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                   "k must be an integer tensor");
        MOIR_CHECK(!in[1].shape.is_static() || numel(in[1].shape.dims) == 1, shape_error,
                   "k must hold one value, its shape is " + in[1].shape.str());
        partial_shape s = in[0].shape;
        if (!s.rank_dynamic) {
            MOIR_CHECK(s.rank() >= 1, shape_error, "the data is a scalar; TopK needs rank >= 1");
            const std::size_t axis = normalize_axis(a.axis, s.rank());
            if (in[1].has_value()) {
                const std::int64_t k = detail::const_ints(in, 1, "k").at(0);
                MOIR_CHECK(k >= 0, shape_error, "k must be >= 0, it is " + std::to_string(k));
                if (s.dims[axis] >= 0) s.dims[axis] = std::min(k, s.dims[axis]);
            } else {
                s.dims[axis] = dynamic_dim;
            }
        }
        return {port_desc{in[0].type, s, {}}, port_desc{a.index_element_type, s, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_TOP_K_HPP
