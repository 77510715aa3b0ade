#ifndef MOIR_RUNTIME_STEPS_COMPARE_HPP
#define MOIR_RUNTIME_STEPS_COMPARE_HPP

// The comparison step family: Equal, Less, LessEqual, Greater, GreaterEqual on f32, i32 or
// i64 operands and LogicalAnd / LogicalOr / LogicalXor on boolean ones, with numpy broadcasting of
// any shapes, writing a boolean tensor (one byte per element, 0 or 1) on the arena: no allocation,
// rows split across the workers. Each op's own scalar formula (Op::apply) decides, so the results
// are the reference kernels' (a comparison with NaN is false).
//
// Extending: add the op type to `compare_ops` (a binary element-wise op with a boolean output).

#include <moir/core/type_list.hpp>
#include <moir/ops/equal.hpp>
#include <moir/ops/greater.hpp>
#include <moir/ops/greater_equal.hpp>
#include <moir/ops/less.hpp>
#include <moir/ops/less_equal.hpp>
#include <moir/ops/logical_and.hpp>
#include <moir/ops/logical_or.hpp>
#include <moir/ops/logical_xor.hpp>
#include <moir/runtime/steps/step.hpp>

#include <algorithm>    // min
#include <cstdint>      // int32_t, int64_t, uint8_t
#include <memory>       // unique_ptr, make_unique
#include <string>       // string
#include <string_view>  // string_view
#include <type_traits>  // is_same_v
#include <vector>       // vector

namespace moir::runtime::steps {

using compare_ops = type_list<ops::equal, ops::less, ops::less_equal, ops::greater, ops::greater_equal,
                              ops::logical_and, ops::logical_or, ops::logical_xor>;

namespace detail {
/// The output axes of a numpy-broadcast binary op as (dim, stride of a, stride of b), size-1 output
/// axes dropped and neighbours merged where both operands allow it. false when a shape does not
/// broadcast to y.
inline bool broadcast_axes(const shape& a, const shape& b, const shape& y, std::vector<std::size_t>& dims,
                           std::vector<std::size_t>& sa, std::vector<std::size_t>& sb) {
    const std::size_t r = y.size();
    if (a.size() > r || b.size() > r) return false;
    const auto strides_of = [&](const shape& s, std::vector<std::size_t>& st) {
        st.assign(r, 0);
        std::size_t step = 1;
        for (std::size_t k = s.size(); k-- > 0;) {
            const std::size_t yk = r - s.size() + k;
            if (s[k] == y[yk]) st[yk] = s[k] == 1 ? 0 : step;
            else if (s[k] != 1) return false;
            step *= static_cast<std::size_t>(s[k]);
        }
        return true;
    };
    std::vector<std::size_t> fa, fb;
    if (!strides_of(a, fa) || !strides_of(b, fb)) return false;
    dims.clear(), sa.clear(), sb.clear();
    for (std::size_t k = 0; k < r; ++k) {
        const auto d = static_cast<std::size_t>(y[k]);
        if (d == 1) continue;
        // merge with the previous axis when both operands step through the two as through one
        if (!dims.empty() && sa.back() == fa[k] * d && sb.back() == fb[k] * d) {
            dims.back() *= d;
            sa.back() = fa[k], sb.back() = fb[k];
            continue;
        }
        dims.push_back(d), sa.push_back(fa[k]), sb.push_back(fb[k]);
    }
    if (dims.empty()) dims = {1}, sa = {0}, sb = {0};
    return true;
}

/// Runs y[row * len + i] = f(a[.], b[.]) over the rows of the merged output axes `dims` (len =
/// dims.back(), rows = the product of the others), a and b read through broadcast_axes' strides. The
/// shared loop of the binary element-wise steps (compare_step, arithmetic_step): only the element
/// formula f differs. The workers share the output's elements, not its rows: equal shapes merge into
/// one row (rows = 1), which a split by rows left on one thread (centernet's 1.3 M-element Equal);
/// a chunk starts and ends anywhere in a row. At least `grain` elements per chunk. Each element is
/// computed alone, so the results do not depend on the split.
template <class T, class Y, class F>
void broadcast_rows(const run_context& ctx, const std::vector<std::size_t>& dims,
                    const std::vector<std::size_t>& a_strides, const std::vector<std::size_t>& b_strides,
                    std::size_t rows, std::size_t grain, const T* a, const T* b, Y* y, F f) {
    const std::size_t r = dims.size(), len = dims[r - 1], sa = a_strides[r - 1], sb = b_strides[r - 1];
    ctx.pool->parallel_for(0, rows * len, grain, [&](std::size_t begin, std::size_t end, std::size_t) {
        std::size_t row = begin / len, i0 = begin % len;
        for (std::size_t at = begin; at < end; ++row, i0 = 0) {
            const std::size_t i1 = std::min(len, i0 + (end - at));
            std::size_t oa = 0, ob = 0, rest = row;
            for (std::size_t k = r - 1; k-- > 0;) {
                const std::size_t i = rest % dims[k];
                rest /= dims[k];
                oa += i * a_strides[k];
                ob += i * b_strides[k];
            }
            const T* pa = a + oa;
            const T* pb = b + ob;
            Y* py = y + row * len;
            if (sa == 1 && sb == 1) {
                for (std::size_t i = i0; i < i1; ++i) py[i] = f(pa[i], pb[i]);
            } else if (sb == 0) {
                const T vb = *pb;
                for (std::size_t i = i0; i < i1; ++i) py[i] = f(pa[i * sa], vb);
            } else if (sa == 0) {
                const T va = *pa;
                for (std::size_t i = i0; i < i1; ++i) py[i] = f(va, pb[i * sb]);
            } else {
                for (std::size_t i = i0; i < i1; ++i) py[i] = f(pa[i * sa], pb[i * sb]);
            }
            at += i1 - i0;
        }
    });
}

/// Names a binary element-wise step made at `id` (node name, op, kernel) and sets its reads (the two
/// inputs) and writes (the output); nullptr stays nullptr.
inline std::unique_ptr<step> binary_step(std::unique_ptr<step> s, plan_builder& b, node_id id, const char* kernel) {
    if (!s) return nullptr;
    const node& nd = b.at(id);
    s->name = nd.name;
    s->ops = std::string(nd.op->ir_name);
    s->kernel = kernel;
    s->reads = {b.input_slot(id, 0), b.input_slot(id, 1)};
    s->writes = {b.output_slot(id)};
    return s;
}
}  // namespace detail

/// y[i] = Op::apply(a[.], b[.]) != 0 over the output's rows (its last, merged axis): output element
/// (i_0, ..., i_{r-1}) reads a at sum_k i_k * a_strides[k] and b at sum_k i_k * b_strides[k]
/// (stride 0 along a broadcast axis).
template <class Op, class T>
class compare_step final : public step {
public:
    std::vector<std::size_t> dims, a_strides, b_strides;  // merged output axes
    std::size_t rows = 0, grain = chunk_elements;  // grain: elements per chunk at least

    void run(const run_context& ctx) const override {
        detail::broadcast_rows(ctx, dims, a_strides, b_strides, rows, grain, static_cast<const T*>(ctx.data(reads[0])),
                               static_cast<const T*>(ctx.data(reads[1])), static_cast<std::uint8_t*>(ctx.out(writes[0])),
                               [](T u, T w) -> std::uint8_t { return Op::template apply<T>(u, w) != T(0); });
    }
};


/// The family (see the file comment).
struct compare {
    static constexpr std::string_view name = "compare";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (nd.inputs.size() != 2 || nd.outputs.size() != 1) return nullptr;
        const slot& a0 = b.slots[b.input_slot(id, 0)];
        const slot& a1 = b.slots[b.input_slot(id, 1)];
        const slot& y = b.slots[b.output_slot(id)];
        if (y.type != element_type::boolean || a0.type != a1.type || numel(y.dims) == 0) return nullptr;
        std::unique_ptr<step> s;
        for_each_type(compare_ops{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            if (s || !nd.is<Op>()) return;
            constexpr bool logical = std::is_same_v<Op, ops::logical_and> || std::is_same_v<Op, ops::logical_or> ||
                                     std::is_same_v<Op, ops::logical_xor>;
            if constexpr (logical) {
                if (a0.type == element_type::boolean) s = make_typed<Op, bool>(a0, a1, y);
            } else {
                switch (a0.type) {
                    case element_type::f32: s = make_typed<Op, float>(a0, a1, y); break;
                    case element_type::i32: s = make_typed<Op, std::int32_t>(a0, a1, y); break;
                    case element_type::i64: s = make_typed<Op, std::int64_t>(a0, a1, y); break;
                    default: break;
                }
            }
        });
        return detail::binary_step(std::move(s), b, id, "compare");
    }

private:
    template <class Op, class T>
    static std::unique_ptr<step> make_typed(const slot& a, const slot& b, const slot& y) {
        auto s = std::make_unique<compare_step<Op, T>>();
        if (!detail::broadcast_axes(a.dims, b.dims, y.dims, s->dims, s->a_strides, s->b_strides)) return nullptr;
        s->rows = numel(y.dims) / s->dims.back();
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_COMPARE_HPP
