// The fast FP32 GEMM (both packed forms) against the reference MatMul kernel, on every usable arch,
// on sizes that are not multiples of any tile (and K beyond one K block), with each epilogue.

#include "support.hpp"

#include <moir/kernels/reference/matmul.hpp>

#include <cstring>  // memcmp
#include <limits>  // numeric_limits
#include <string>  // string, to_string
#include <vector>  // vector

using namespace moir;
using namespace moir::test;
namespace ks = moir::kernels::simd;

namespace {

/// A[M, K] * B[K, N] through the reference MatMul kernel, in double.
std::vector<double> reference_matmul(const std::vector<float>& a, const std::vector<float>& b, std::size_t m,
                                     std::size_t k, std::size_t n) {
    std::vector<tensor> in{tensor::from_vector(a, shape{std::int64_t(m), std::int64_t(k)}),
                           tensor::from_vector(b, shape{std::int64_t(k), std::int64_t(n)})};
    std::vector<tensor> out{tensor(element_type::f32, shape{std::int64_t(m), std::int64_t(n)})};
    kernels::reference_kernel<ops::matmul>::run(ops::matmul::attrs{}, in, out);
    const float* y = out[0].data<float>();
    return std::vector<double>(y, y + m * n);
}

struct gemm_case {
    std::size_t m, k, n;
    activation act;
    bool row_bias, col_bias;
    enum class slopes { one, per_row, per_column } sl = slopes::one;  ///< leaky's (PRelu per channel)
};

/// c's epilogue: its activation (lo -0.25, hi 0.5), biases and, per_row or per_column, the slopes rs
/// or cs (each with its bias, which locates a tile's rows or columns), with no floor.
ks::epilogue epilogue_of(const gemm_case& c, const std::vector<float>& rb, const std::vector<float>& cb,
                         const std::vector<float>& rs, const std::vector<float>& cs) {
    ks::epilogue e{c.act, c.row_bias ? rb.data() : nullptr, c.col_bias ? cb.data() : nullptr, -0.25f, 0.5f};
    if (c.sl == gemm_case::slopes::per_row) e.slope = rs.data();
    if (c.sl == gemm_case::slopes::per_column) e.col_slope = cs.data();
    if (c.sl != gemm_case::slopes::one) e.hi = -std::numeric_limits<float>::infinity();
    return e;
}

/// ref + bias then act, the expected epilogue output.
std::vector<double> expected(std::vector<double> ref, const gemm_case& c, const std::vector<float>& rb,
                             const std::vector<float>& cb, const ks::epilogue& e) {
    for (std::size_t i = 0; i < c.m; ++i)
        for (std::size_t j = 0; j < c.n; ++j) {
            double& v = ref[i * c.n + j];
            if (c.row_bias) v += rb[i];
            if (c.col_bias) v += cb[j];
            v = apply_activation(c.act, v, e.slope ? e.slope[i] : e.col_slope ? e.col_slope[j] : e.lo, e.hi);
        }
    return ref;
}

std::vector<gemm_case> cases() {
    std::vector<gemm_case> r;
    std::size_t i = 0;
    for (std::size_t m : {1, 3, 7, 13, 17, 33})
        for (std::size_t k : {1, 7, 13, 124, 129, 520})
            for (std::size_t n : {1, 5, 13, 31, 124, 129}) {
                r.push_back({m, k, n, all_activations[i % 6], i % 2 == 0, i % 3 == 0});
                ++i;
            }
    for (activation a : all_activations) r.push_back({9, 24, 50, a, true, false});
    // PRelu's slope per row (a convolution's output channels) and per column (a MatMul's), on tiles
    // with partial rows and columns
    for (std::size_t m : {1, 7, 13, 33})
        for (std::size_t n : {5, 31, 129}) {
            r.push_back({m, 37, n, activation::leaky, true, m % 2 == 0, gemm_case::slopes::per_row});
            r.push_back({m, 37, n, activation::leaky, n % 2 == 0, true, gemm_case::slopes::per_column});
        }
    // two K blocks and several column blocks of gemm_nc (the kc x nc blocks of B both GEMMs walk)
    r.push_back({11, 600, 300, all_activations[1], true, true});
    return r;
}

}  // namespace

TEST_CASE("fast gemm_a (packed A, streamed B) matches the reference MatMul") {
    for (const auto& [name, table] : usable_arches()) {
        std::size_t failures = 0, run = 0;
        for (const gemm_case& c : cases()) {
            const auto a = random_floats(c.m * c.k, 1), b0 = random_floats(c.k * c.n, 2);
            const auto rb = random_floats(c.m, 3), cb = random_floats(c.n, 4);
            const auto rs = random_floats(c.m, 15), cs = random_floats(c.n, 16);
            const ks::epilogue e = epilogue_of(c, rb, cb, rs, cs);
            const auto want = expected(reference_matmul(a, b0, c.m, c.k, c.n), c, rb, cb, e);
            // B with a row stride wider than N, C likewise: the kernels must honour ldb and ldc
            const std::size_t ldb = c.n + 3, ldc = c.n + 5;
            std::vector<float> b(c.k * ldb, 7.0f);
            for (std::size_t r = 0; r < c.k; ++r)
                for (std::size_t j = 0; j < c.n; ++j) b[r * ldb + j] = b0[r * c.n + j];
            const ks::packed_a pa = ks::pack_a(table->blocking, a.data(), c.m, c.k, std::ptrdiff_t(c.k), 1);
            std::vector<float> scratch(ks::gemm_a_scratch_floats(table->blocking, c.k, c.n));
            std::vector<float> cbuf(c.m * ldc, -9.0f);
            table->gemm_a(pa, b.data(), std::ptrdiff_t(ldb), c.n, cbuf.data(), std::ptrdiff_t(ldc), e, scratch.data());
            std::vector<float> got(c.m * c.n);
            bool pad_ok = true;
            for (std::size_t r = 0; r < c.m; ++r) {
                for (std::size_t j = 0; j < c.n; ++j) got[r * c.n + j] = cbuf[r * ldc + j];
                for (std::size_t j = c.n; j < ldc; ++j) pad_ok = pad_ok && cbuf[r * ldc + j] == -9.0f;
            }
            const std::string what = name + " gemm_a m=" + std::to_string(c.m) + " k=" + std::to_string(c.k) +
                                     " n=" + std::to_string(c.n) + " " + name_of(c.act);
            if (!pad_ok) MESSAGE(what << ": wrote outside the N columns");
            failures += count_mismatches(got.data(), want, what) + !pad_ok;
            ++run;
        }
        INFO(name);
        CHECK(failures == 0);
        CHECK(run > 0);
    }
}

TEST_CASE("gemm_a_inplace (B read where it lies) equals gemm_a bit for bit, residual included") {
    for (const auto& [name, table] : usable_arches()) {
        std::size_t differ = 0, run = 0;
        for (const gemm_case& c : cases()) {
            const auto a = random_floats(c.m * c.k, 11), b0 = random_floats(c.k * c.n, 12);
            const auto rb = random_floats(c.m, 13), rs = random_floats(c.m, 19);
            const std::size_t ldb = c.n + (run % 2 ? 0 : 3), ldc = c.n + 5;
            // B holds exactly its rows, then one vector of NaN: what a row's last vector reads past N
            // never reaches an output
            std::vector<float> b(c.k * ldb + table->blocking.width, std::numeric_limits<float>::quiet_NaN());
            for (std::size_t r = 0; r < c.k; ++r)
                for (std::size_t j = 0; j < c.n; ++j) b[r * ldb + j] = b0[r * c.n + j];
            const auto res = random_floats(c.m * ldc, 14);
            ks::epilogue e{c.act, c.row_bias ? rb.data() : nullptr, nullptr, -0.25f, 0.5f};
            if (c.sl == gemm_case::slopes::per_row) e.slope = rs.data();  // (with the row bias)
            std::vector<float> want(c.m * ldc, -9.0f), got(c.m * ldc, -9.0f);
            if (run % 3 == 1) e.residual = res.data(), e.residual_origin = want.data();
            const ks::packed_a pa = ks::pack_a(table->blocking, a.data(), c.m, c.k, std::ptrdiff_t(c.k), 1);
            std::vector<float> scratch(ks::gemm_a_scratch_floats(table->blocking, c.k, c.n));
            table->gemm_a(pa, b.data(), std::ptrdiff_t(ldb), c.n, want.data(), std::ptrdiff_t(ldc), e, scratch.data());
            if (e.residual) e.residual_origin = got.data();
            table->gemm_a_inplace(pa, b.data(), std::ptrdiff_t(ldb), c.n, got.data(), std::ptrdiff_t(ldc), e);
            if (std::memcmp(want.data(), got.data(), want.size() * sizeof(float)) != 0) {
                MESSAGE(name << " gemm_a_inplace m=" << c.m << " k=" << c.k << " n=" << c.n << " " << name_of(c.act)
                             << ": differs from gemm_a");
                ++differ;
            }
            ++run;
        }
        INFO(name);
        CHECK(differ == 0);
        CHECK(run > 0);
    }
}

TEST_CASE("fast gemm_b (streamed A, packed B) matches the reference MatMul") {
    for (const auto& [name, table] : usable_arches()) {
        std::size_t failures = 0;
        for (const gemm_case& c : cases()) {
            const auto a0 = random_floats(c.m * c.k, 5), b = random_floats(c.k * c.n, 6);
            const auto rb = random_floats(c.m, 7), cb = random_floats(c.n, 8);
            const auto rs = random_floats(c.m, 17), cs = random_floats(c.n, 18);
            const ks::epilogue e = epilogue_of(c, rb, cb, rs, cs);
            const auto want = expected(reference_matmul(a0, b, c.m, c.k, c.n), c, rb, cb, e);
            const std::size_t lda = c.k + 2;
            std::vector<float> a(c.m * lda, 7.0f);
            for (std::size_t r = 0; r < c.m; ++r)
                for (std::size_t j = 0; j < c.k; ++j) a[r * lda + j] = a0[r * c.k + j];
            // B given transposed (MatMul transpose_b): packing reads it through strides
            std::vector<float> bt(c.n * c.k);
            for (std::size_t r = 0; r < c.k; ++r)
                for (std::size_t j = 0; j < c.n; ++j) bt[j * c.k + r] = b[r * c.n + j];
            const bool transposed = c.k % 2 == 1;
            const ks::packed_b pb = transposed
                                        ? ks::pack_b(table->blocking, bt.data(), c.k, c.n, 1, std::ptrdiff_t(c.k))
                                        : ks::pack_b(table->blocking, b.data(), c.k, c.n, std::ptrdiff_t(c.n), 1);
            std::vector<float> got(c.m * c.n, -9.0f);
            table->gemm_b(pb, a.data(), std::ptrdiff_t(lda), c.m, got.data(), std::ptrdiff_t(c.n), e);
            failures += count_mismatches(got.data(), want,
                                         name + " gemm_b m=" + std::to_string(c.m) + " k=" + std::to_string(c.k) +
                                             " n=" + std::to_string(c.n) + " " + name_of(c.act));
        }
        INFO(name);
        CHECK(failures == 0);
    }
}

TEST_CASE("fast kernels: dispatch picks a usable arch, MOIR_ARCH names one") {
    const auto& best = runtime::best_fp32_table();
    const auto usable = usable_arches();
    REQUIRE(!usable.empty());
    CHECK(runtime::fp32_table_named("reference") != nullptr);
    CHECK(runtime::fp32_table_named("no-such-arch") == nullptr);
    bool found = false;
    for (const auto& u : usable) found = found || u.second == &best;
    CHECK(found);
    MESSAGE("best arch: " << best.blocking.arch);
}
