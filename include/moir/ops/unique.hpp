#ifndef MOIR_OPS_UNIQUE_HPP
#define MOIR_OPS_UNIQUE_HPP

#include <moir/core/errors.hpp>
#include <moir/core/tensor.hpp>
#include <moir/ops/common.hpp>
#include <moir/core/op.hpp>

#include <algorithm>    // stable_sort, sort
#include <array>        // array
#include <cstddef>      // size_t
#include <cstdint>      // int64_t
#include <numeric>      // iota
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // is_floating_point_v
#include <vector>       // vector

namespace moir::ops {

/// unique: the distinct elements of the data (flattened, without the 2nd input) or its distinct
/// slices along the axis given by the 2nd input (a scalar integer constant; negative counts from
/// the end; slices compare lexicographically). Output 0: the distinct elements/slices, ascending
/// (sorted) or in order of first occurrence; output 1: the index of each one's first occurrence;
/// output 2: for every input element/slice, the position of its value in output 0; output 3: how
/// often each occurs. NaNs equal each other and rank above every number. IR: Unique of opset10.
/// requires: index_element_type and count_element_type i32 or i64.
/// ensures: output 0 has the data's type (and, with an axis, its shape with the axis dim = the
/// distinct count); outputs 1 and 3 are [count], output 2 is [elements or axis dim]; the count is
/// dynamic until the data's value is known.
struct unique {
    static constexpr std::string_view name = "unique", ir_name = "Unique", ir_opset = "opset10";
    static constexpr std::size_t min_inputs = 1, max_inputs = 2;
    struct attrs {
        bool sorted = true;
        element_type index_element_type = element_type::i64;
        element_type count_element_type = element_type::i64;
        static constexpr std::array<std::string_view, 3> ir_names{"sorted", "index_element_type",
                                                                  "count_element_type"};
    };
    static std::size_t outputs(const attrs&) { return 4; }

    /// How the data splits into the compared slices: `outer` runs of `count` slices of `inner`
    /// contiguous elements each; slice s is elements o * count * inner + s * inner + [0, inner).
    struct layout {
        std::size_t outer = 1, count = 0, inner = 1;
    };
    static layout layout_of(const shape& s, bool has_axis, std::size_t axis) {
        if (!has_axis) return {1, numel(s), 1};
        layout l;
        for (std::size_t i = 0; i < axis; ++i) l.outer *= static_cast<std::size_t>(s[i]);
        l.count = static_cast<std::size_t>(s[axis]);
        for (std::size_t i = axis + 1; i < s.size(); ++i) l.inner *= static_cast<std::size_t>(s[i]);
        return l;
    }

    /// The result of Unique on known data: per distinct slice, in output order, the index of its
    /// first occurrence and its count; per input slice, its distinct slice's position.
    struct plan {
        std::vector<std::size_t> first;
        std::vector<std::int64_t> inverse;
        std::vector<std::int64_t> counts;
    };
    /// A strict total order on element values: NaN above every number, NaNs equal.
    template <class C>
    static bool value_less(C x, C y) {
        if constexpr (std::is_floating_point_v<C>) {
            const bool nx = x != x, ny = y != y;
            if (nx || ny) return !nx && ny;
        }
        return x < y;
    }
    static plan make_plan(const tensor& data, const layout& l, bool sorted) {
        plan p;
        std::vector<std::size_t> order(l.count);
        std::iota(order.begin(), order.end(), std::size_t{0});
        // order the slices (stable: equal slices keep index order), then group equal neighbours
        std::vector<std::size_t> group_start;
        visit_element_type(data.type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            using C = std::conditional_t<std::is_same_v<T, half>, float, T>;
            const T* x = data.data<T>();
            // -1, 0, 1: slice a compared with slice b
            const auto cmp = [&](std::size_t a, std::size_t b) {
                for (std::size_t o = 0; o < l.outer; ++o)
                    for (std::size_t i = 0; i < l.inner; ++i) {
                        const std::size_t base = o * l.count * l.inner + i;
                        const C u = static_cast<C>(x[base + a * l.inner]), v = static_cast<C>(x[base + b * l.inner]);
                        if (value_less(u, v)) return -1;
                        if (value_less(v, u)) return 1;
                    }
                return 0;
            };
            std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return cmp(a, b) < 0; });
            for (std::size_t j = 0; j < order.size(); ++j)
                if (j == 0 || cmp(order[j - 1], order[j]) != 0) group_start.push_back(j);
        });
        const std::size_t groups = group_start.size();
        group_start.push_back(order.size());
        // groups in output order: ascending, or by first occurrence
        std::vector<std::size_t> rank(groups);
        std::iota(rank.begin(), rank.end(), std::size_t{0});
        if (!sorted)
            std::sort(rank.begin(), rank.end(),
                      [&](std::size_t a, std::size_t b) { return order[group_start[a]] < order[group_start[b]]; });
        p.first.resize(groups);
        p.counts.resize(groups);
        p.inverse.resize(l.count);
        for (std::size_t pos = 0; pos < groups; ++pos) {
            const std::size_t g = rank[pos];
            p.first[pos] = order[group_start[g]];
            p.counts[pos] = static_cast<std::int64_t>(group_start[g + 1] - group_start[g]);
            for (std::size_t j = group_start[g]; j < group_start[g + 1]; ++j)
                p.inverse[order[j]] = static_cast<std::int64_t>(pos);
        }
        return p;
    }

    static port_descs infer(const attrs& a, const port_descs& in) {
        MOIR_CHECK(in.size() == 1 || in.size() == 2, shape_error, "Unique takes 1 or 2 inputs (data, axis)");
        for (element_type t : {a.index_element_type, a.count_element_type})
            MOIR_CHECK(t == element_type::i32 || t == element_type::i64, shape_error,
                       "Unique index and count types must be i32 or i64");
        const element_type t = in[0].type;
        const partial_shape& s = in[0].shape;
        const bool has_axis = in.size() == 2;
        std::int64_t u = dynamic_dim;
        port_descs out{port_desc{t, {}, {}}, port_desc{a.index_element_type, {}, {}},
                       port_desc{a.index_element_type, {}, {}}, port_desc{a.count_element_type, {}, {}}};
        if (has_axis) {
            MOIR_CHECK(in[1].type == element_type::undefined || is_integer(in[1].type), shape_error,
                       "the axis must be an integer tensor");
            MOIR_CHECK(in[1].has_value(), shape_error, "the axis of Unique must be a constant");
            const auto av = detail::const_ints(in, 1, "the axis");
            MOIR_CHECK(av.size() == 1, shape_error, "the axis must hold one value");
            if (s.rank_dynamic) {
                out[0].shape = partial_shape::dynamic();
                out[2].shape = std::vector<std::int64_t>{dynamic_dim};
            } else {
                const std::size_t axis = normalize_axis(av[0], s.rank());
                if (in[0].has_value())
                    u = static_cast<std::int64_t>(
                        make_plan(in[0].value, layout_of(in[0].value.dims(), true, axis), a.sorted).first.size());
                out[0].shape = s;
                out[0].shape.dims[axis] = u;
                out[2].shape = std::vector<std::int64_t>{s.dims[axis]};
            }
        } else {
            if (in[0].has_value())
                u = static_cast<std::int64_t>(
                    make_plan(in[0].value, layout_of(in[0].value.dims(), false, 0), a.sorted).first.size());
            out[0].shape = std::vector<std::int64_t>{u};
            out[2].shape = std::vector<std::int64_t>{s.is_static() ? static_cast<std::int64_t>(numel(s.dims))
                                                                   : dynamic_dim};
        }
        out[1].shape = out[3].shape = std::vector<std::int64_t>{u};
        return out;
    }
};

}  // namespace moir::ops

#endif  // MOIR_OPS_UNIQUE_HPP
