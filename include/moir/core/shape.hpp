#ifndef MOIR_CORE_SHAPE_HPP
#define MOIR_CORE_SHAPE_HPP

// Shapes. moir::shape is a static shape (all dims known); moir::partial_shape may have dynamic
// dims (-1, written "?" in IR data attributes and -1 in port <dim>s) or a dynamic rank.

#include <moir/core/errors.hpp>

#include <algorithm>  // max
#include <cstddef>  // size_t
#include <cstdint>  // int64_t
#include <string>   // string, to_string
#include <vector>   // vector

namespace moir {

/// A static shape: one non-negative extent per axis; {} is a scalar.
using shape = std::vector<std::int64_t>;

/// The dim value that means "unknown until run time".
inline constexpr std::int64_t dynamic_dim = -1;

/// Number of elements of a static shape (1 for a scalar).
inline std::size_t numel(const shape& s) {
    std::size_t n = 1;
    for (auto d : s) n *= static_cast<std::size_t>(d);
    return n;
}

/// "1,3,640,640" (IR data spelling); "" for a scalar. Dynamic dims print as "?".
inline std::string to_string(const shape& s, const char* sep = ",") {
    std::string r;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (i) r += sep;
        r += s[i] < 0 ? std::string("?") : std::to_string(s[i]);
    }
    return r;
}

/// A shape whose dims (or whole rank) may be unknown.
/// invariant: when rank_dynamic is true, dims is empty.
struct partial_shape {
    std::vector<std::int64_t> dims;  ///< -1 marks a dynamic dim
    bool rank_dynamic = false;

    partial_shape() = default;
    partial_shape(std::vector<std::int64_t> d) : dims(std::move(d)) {}  // NOLINT: implicit on purpose
    static partial_shape dynamic() {
        partial_shape p;
        p.rank_dynamic = true;
        return p;
    }
    bool is_static() const {
        if (rank_dynamic) return false;
        for (auto d : dims) if (d < 0) return false;
        return true;
    }
    std::size_t rank() const { return dims.size(); }
    /// requires: is_static(). ensures: the dims as a static shape.
    const shape& to_shape() const {
        MOIR_CHECK(is_static(), shape_error, "shape " + str() + " is not static");
        return dims;
    }
    std::string str() const { return rank_dynamic ? std::string("...") : "[" + to_string(dims) + "]"; }
    friend bool operator==(const partial_shape& a, const partial_shape& b) {
        return a.rank_dynamic == b.rank_dynamic && a.dims == b.dims;
    }
    friend bool operator!=(const partial_shape& a, const partial_shape& b) { return !(a == b); }
};

/// Normalizes an axis in [-rank, rank) to [0, rank). ensures: throws shape_error when out of range.
inline std::size_t normalize_axis(std::int64_t axis, std::size_t rank) {
    const auto r = static_cast<std::int64_t>(rank);
    MOIR_CHECK(axis >= -r && axis < r, shape_error,
               "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
    return static_cast<std::size_t>(axis < 0 ? axis + r : axis);
}

/// Numpy-style broadcast of two (partial) shapes. Dynamic dims broadcast to the other side's dim
/// when it is > 1, else stay dynamic. ensures: throws shape_error when incompatible.
inline partial_shape broadcast_shapes(const partial_shape& a, const partial_shape& b) {
    if (a.rank_dynamic || b.rank_dynamic) return partial_shape::dynamic();
    const std::size_t r = std::max(a.rank(), b.rank());
    std::vector<std::int64_t> out(r);
    for (std::size_t i = 0; i < r; ++i) {
        const std::int64_t da = i < r - a.rank() ? 1 : a.dims[i - (r - a.rank())];
        const std::int64_t db = i < r - b.rank() ? 1 : b.dims[i - (r - b.rank())];
        if (da == db) out[i] = da;
        else if (da == 1) out[i] = db;
        else if (db == 1) out[i] = da;
        else if (da < 0) out[i] = db;
        else if (db < 0) out[i] = da;
        else MOIR_THROW(shape_error("shapes " + a.str() + " and " + b.str() + " cannot be broadcast"));
    }
    return out;
}

}  // namespace moir

#endif  // MOIR_CORE_SHAPE_HPP
