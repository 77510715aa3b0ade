#ifndef MOIR_OPS_MATMUL_HPP
#define MOIR_OPS_MATMUL_HPP

#include <moir/core/errors.hpp>
#include <moir/core/op.hpp>

#include <algorithm>    // max
#include <array>        // array
#include <cstdint>      // int64_t
#include <string>       // string, to_string
#include <string_view>  // string_view
#include <utility>      // swap
#include <vector>       // vector

namespace moir::ops {

/// matmul: numpy matmul of A and B. transpose_a / transpose_b swap the two innermost dims of a
/// rank >= 2 operand first; they do not affect 1-D operands. A 1-D A is read as [1, K] and a 1-D
/// B as [K, 1], and the added dim is dropped from the output. The batch dims (all but the last two)
/// broadcast numpy-style.
/// requires: two inputs of the same numeric element type, rank >= 1, equal K.
/// ensures: output shape == broadcast(batch_a, batch_b) + [M if A is not 1-D] + [N if B is not 1-D].
struct matmul {
    static constexpr std::string_view name = "matmul", ir_name = "MatMul", ir_opset = "opset1";
    static constexpr std::size_t min_inputs = 2, max_inputs = 2;
    struct attrs {
        bool transpose_a = false;
        bool transpose_b = false;
        static constexpr std::array<std::string_view, 2> ir_names{"transpose_a", "transpose_b"};
    };
    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 2, shape_error, "MatMul takes 2 inputs");
        MOIR_CHECK(in[0].type == in[1].type || in[0].type == element_type::undefined ||
                       in[1].type == element_type::undefined,
                   shape_error, "the two inputs have different element types");
        MOIR_CHECK(in[0].type != element_type::boolean, shape_error, "MatMul does not take boolean inputs");
        const element_type t = in[0].type == element_type::undefined ? in[1].type : in[0].type;
        const partial_shape& pa = in[0].shape;
        const partial_shape& pb = in[1].shape;
        MOIR_CHECK(pa.rank_dynamic || pa.rank() >= 1, shape_error, "input A is a scalar; MatMul needs rank >= 1");
        MOIR_CHECK(pb.rank_dynamic || pb.rank() >= 1, shape_error, "input B is a scalar; MatMul needs rank >= 1");
        if (pa.rank_dynamic || pb.rank_dynamic) return {port_desc{t, partial_shape::dynamic(), {}}};

        // A as [batch..., M, K], B as [batch..., K, N]
        std::vector<std::int64_t> da = pa.dims, db = pb.dims;
        const bool a_vec = da.size() == 1, b_vec = db.size() == 1;
        if (a_vec) da.insert(da.begin(), 1);
        else if (a.transpose_a) std::swap(da[da.size() - 1], da[da.size() - 2]);
        if (b_vec) db.push_back(1);
        else if (a.transpose_b) std::swap(db[db.size() - 1], db[db.size() - 2]);
        const std::int64_t m = da[da.size() - 2], ka = da.back();
        const std::int64_t kb = db[db.size() - 2], n = db.back();
        MOIR_CHECK(ka < 0 || kb < 0 || ka == kb, shape_error,
                   "the inner dims do not match: A has K=" + std::to_string(ka) + ", B has K=" + std::to_string(kb));
        const partial_shape batch = broadcast_shapes(std::vector<std::int64_t>(da.begin(), da.end() - 2),
                                                     std::vector<std::int64_t>(db.begin(), db.end() - 2));
        std::vector<std::int64_t> out = batch.dims;
        if (!a_vec) out.push_back(m);
        if (!b_vec) out.push_back(n);
        return {port_desc{t, out, {}}};
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_MATMUL_HPP
