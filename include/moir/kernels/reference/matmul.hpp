#ifndef MOIR_KERNELS_REFERENCE_MATMUL_HPP
#define MOIR_KERNELS_REFERENCE_MATMUL_HPP

// Reference MatMul: a triple loop per batch slice, batch dims numpy-broadcast. Floating types
// accumulate in double, integers in 64 bits.

#include <moir/kernels/kernel.hpp>
#include <moir/kernels/reference/broadcast.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/ops/matmul.hpp>

#include <cstddef>      // size_t
#include <cstdint>      // int64_t, uint64_t
#include <type_traits>  // conditional_t, is_floating_point_v, is_same_v, is_signed_v
#include <vector>       // vector

namespace moir::kernels {

namespace detail {
/// The accumulator of the reference MatMul for element type T.
template <class T>
using matmul_acc_t = std::conditional_t<std::is_floating_point_v<T> || std::is_same_v<T, half>, double,
                                        std::conditional_t<std::is_signed_v<T>, std::int64_t, std::uint64_t>>;
}  // namespace detail

template <>
struct reference_kernel<ops::matmul> {
    static constexpr bool available = true;
    static void run(const ops::matmul::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        // A as [batch..., M, K] and B as [batch..., K, N], reading transposed operands in place
        shape da = in[0].dims(), db = in[1].dims();
        const bool ta = a.transpose_a && da.size() >= 2, tb = a.transpose_b && db.size() >= 2;
        if (da.size() == 1) da.insert(da.begin(), 1);
        if (db.size() == 1) db.push_back(1);
        const auto m = static_cast<std::size_t>(ta ? da[da.size() - 1] : da[da.size() - 2]);
        const auto k = static_cast<std::size_t>(ta ? da[da.size() - 2] : da[da.size() - 1]);
        const auto n = static_cast<std::size_t>(tb ? db[db.size() - 2] : db[db.size() - 1]);
        const shape ba(da.begin(), da.end() - 2), bb(db.begin(), db.end() - 2);
        const shape bo = broadcast_shapes(ba, bb).dims;
        // element (i, j) of a row-major [rows, cols] slice, or of its transpose
        const std::size_t a_row = ta ? 1 : k, a_col = ta ? m : 1;
        const std::size_t b_row = tb ? 1 : n, b_col = tb ? k : 1;
        visit_element_type(in[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            if constexpr (std::is_same_v<T, bool>) {
                detail::unsupported_type(ops::matmul::ir_name, in[0].type());
            } else {
                using A = detail::matmul_acc_t<T>;
                const T* x = in[0].data<T>();
                const T* y = in[1].data<T>();
                T* z = out[0].data<T>();
                // the batch walk is reference::broadcast_rows (not a template); per element type
                // only the loop over one row of batches is instantiated
                struct operands {
                    const T* x;
                    const T* y;
                    T* z;
                    std::size_t m, k, n, a_row, a_col, b_row, b_col;
                } v{x, y, z, m, k, n, a_row, a_col, b_row, b_col};
                reference::broadcast_rows(ba, bb, bo, &v, [](void* p, const reference::broadcast_row& row) {
                    const operands& w = *static_cast<const operands*>(p);
                    for (std::size_t b = 0; b < row.n; ++b) {
                        const T* xs = w.x + (row.ia + b * row.sa) * w.m * w.k;
                        const T* ys = w.y + (row.ib + b * row.sb) * w.k * w.n;
                        T* zs = w.z + (row.o + b) * w.m * w.n;
                        for (std::size_t r = 0; r < w.m; ++r)
                            for (std::size_t c = 0; c < w.n; ++c) {
                                A acc = A(0);
                                for (std::size_t q = 0; q < w.k; ++q)
                                    acc += convert_value<A>(xs[r * w.a_row + q * w.a_col]) *
                                           convert_value<A>(ys[q * w.b_row + c * w.b_col]);
                                zs[r * w.n + c] = convert_value<T>(acc);
                            }
                    }
                });
            }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_MATMUL_HPP
