#ifndef MOIR_TESTS_SUPPORT_CORRUPT_HPP
#define MOIR_TESTS_SUPPORT_CORRUPT_HPP

// The corrupt-file corpus tests' helpers (tests/unit/io/corrupt_*.cpp): cut points and random byte
// flips of a real file, an outcome tally, and a variant attempt that counts a moir::error as a clean
// outcome and fails the test on any other exception; models that load are size-checked and the
// first few run on zero inputs.

#include <moir/core/limits.hpp>
#include <moir/core/model.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/runtime/reference_executor.hpp>

#include <doctest/doctest.h>

#include <cstddef>     // size_t
#include <exception>   // exception
#include <functional>  // function
#include <random>      // mt19937
#include <string>      // string
#include <vector>      // vector

namespace moir::test {

/// Outcome counts of one corpus.
struct tally {
    std::size_t errors = 0, loaded = 0, ran = 0;
};

/// Runs `attempt` on one variant: a moir::error is a clean outcome, anything else fails the test.
inline void try_variant(const std::string& what, tally& t, const std::function<void()>& attempt) {
    try {
        attempt();
    } catch (const moir::error& e) {
        ++t.errors;
        CHECK_MESSAGE(std::string(e.what()).size() < 4000, what << ": an overlong message");
    } catch (const std::exception& e) {
        FAIL_CHECK(what << ": not a moir::error: " << e.what());
    }
}

/// A load happened: check the sizes and, for the first `max_runs`, run on zero inputs of the
/// declared static shapes (1 where a dim is dynamic), with the default size limit.
inline void run_some(const moir::model& m, tally& t, std::size_t max_runs) {
    ++t.loaded;
    moir::check_tensor_sizes(m);
    if (t.ran >= max_runs) return;
    std::vector<moir::tensor> inputs;
    for (const auto p : m.parameters) {
        const auto& a = m.at(p).attrs_as<moir::ops::parameter>();
        if (a.shape.rank_dynamic) return;
        moir::shape dims = a.shape.dims;
        for (auto& d : dims)
            if (d < 0) d = 1;
        if (moir::capped_element_count(dims, 1 << 20) > (1 << 20)) return;
        inputs.emplace_back(a.element_type, dims);
    }
    ++t.ran;
    moir::reference_executor<>(m).run(inputs);
}

/// `n` cut points spread over [0, size), the first bytes included.
inline std::vector<std::size_t> cut_points(std::size_t size, std::size_t n) {
    std::vector<std::size_t> r{0, 1, 4, 16, 64};
    for (std::size_t i = 1; i <= n; ++i) r.push_back(size * i / (n + 1));
    r.push_back(size - 1);
    return r;
}

/// `bytes` with 1 to 8 random bytes set to random values.
inline std::string flipped(const std::string& bytes, std::mt19937& rng) {
    std::string b = bytes;
    const std::size_t k = 1 + rng() % 8;
    for (std::size_t i = 0; i < k; ++i) b[rng() % b.size()] = static_cast<char>(rng() & 0xff);
    return b;
}

}  // namespace moir::test

#endif  // MOIR_TESTS_SUPPORT_CORRUPT_HPP
