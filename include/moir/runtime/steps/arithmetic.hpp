#ifndef MOIR_RUNTIME_STEPS_ARITHMETIC_HPP
#define MOIR_RUNTIME_STEPS_ARITHMETIC_HPP

// The typed arithmetic step family: Add, Subtract, Multiply, Divide, FloorMod, Mod, Maximum, Minimum
// and SquaredDifference on f32, i32 or i64 operands with numpy broadcasting of any shapes, on the
// arena (no allocation, rows split across the workers). It takes what the eltwise family (FP32,
// one broadcast operand of a simple form, earlier in the plan's list) leaves: the index arithmetic
// of detection post-processing (a TopK index divided by and taken modulo the heatmap's width) and
// f32 operands that both broadcast. Each element is computed as the reference kernel does
// (kernels/reference/elementwise.hpp): Op::apply in the type's compute type, with the op's attributes
// where its formula takes them (Divide's Python-style floor division of integers), so the results
// are the reference's bit for bit.
//
// Extending: add the op type to `arithmetic_ops` (a binary element-wise op whose output has its
// inputs' type).

#include <moir/core/type_list.hpp>
#include <moir/kernels/reference/elementwise.hpp>
#include <moir/ops/add.hpp>
#include <moir/ops/divide.hpp>
#include <moir/ops/floor_mod.hpp>
#include <moir/ops/maximum.hpp>
#include <moir/ops/minimum.hpp>
#include <moir/ops/mod.hpp>
#include <moir/ops/multiply.hpp>
#include <moir/ops/squared_difference.hpp>
#include <moir/ops/subtract.hpp>
#include <moir/runtime/steps/compare.hpp>
#include <moir/runtime/steps/step.hpp>

#include <cstdint>      // int32_t, int64_t
#include <memory>       // unique_ptr, make_unique
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::runtime::steps {

using arithmetic_ops = type_list<ops::add, ops::subtract, ops::multiply, ops::divide, ops::floor_mod, ops::mod,
                                 ops::maximum, ops::minimum, ops::squared_difference>;

/// y[i] = Op::apply(a[.], b[.]) over the output's rows (its last, merged axis), through
/// steps/compare.hpp's broadcast_rows.
template <class Op, class T>
class arithmetic_step final : public step {
public:
    typename Op::attrs attrs{};
    std::vector<std::size_t> dims, a_strides, b_strides;  // merged output axes
    std::size_t rows = 0, grain = chunk_elements;  // grain: elements per chunk at least

    static T apply(const typename Op::attrs& at, T u, T w) {
        using C = kernels::detail::compute_t<T>;
        if constexpr (kernels::detail::apply_takes_attrs<Op, C>::value)
            return convert_value<T>(Op::apply(at, static_cast<C>(u), static_cast<C>(w)));
        else
            return convert_value<T>(Op::apply(static_cast<C>(u), static_cast<C>(w)));
    }

    void run(const run_context& ctx) const override {
        const typename Op::attrs& at = attrs;
        detail::broadcast_rows(ctx, dims, a_strides, b_strides, rows, grain, static_cast<const T*>(ctx.data(reads[0])),
                               static_cast<const T*>(ctx.data(reads[1])), static_cast<T*>(ctx.out(writes[0])),
                               [&at](T u, T w) { return apply(at, u, w); });
    }
};

/// The family (see the file comment).
struct arithmetic {
    static constexpr std::string_view name = "arithmetic";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        if (!b.table || nd.inputs.size() != 2 || nd.outputs.size() != 1) return nullptr;
        const slot& a0 = b.slots[b.input_slot(id, 0)];
        const slot& a1 = b.slots[b.input_slot(id, 1)];
        const slot& y = b.slots[b.output_slot(id)];
        if (y.type != a0.type || a0.type != a1.type || numel(y.dims) == 0) return nullptr;
        std::unique_ptr<step> s;
        for_each_type(arithmetic_ops{}, [&](auto tag) {
            using Op = typename decltype(tag)::type;
            if (s || !nd.is<Op>()) return;
            const auto& at = nd.attrs_as<Op>();
            switch (a0.type) {
                case element_type::f32: s = make_typed<Op, float>(at, a0, a1, y); break;
                case element_type::i32: s = make_typed<Op, std::int32_t>(at, a0, a1, y); break;
                case element_type::i64: s = make_typed<Op, std::int64_t>(at, a0, a1, y); break;
                default: break;
            }
        });
        return detail::binary_step(std::move(s), b, id, "arithmetic");
    }

private:
    template <class Op, class T>
    static std::unique_ptr<step> make_typed(const typename Op::attrs& at, const slot& a, const slot& b, const slot& y) {
        if constexpr (!kernels::detail::computes_v<Op, T>) {
            return nullptr;  // the reference refuses it too
        } else {
            auto s = std::make_unique<arithmetic_step<Op, T>>();
            if (!detail::broadcast_axes(a.dims, b.dims, y.dims, s->dims, s->a_strides, s->b_strides)) return nullptr;
            s->attrs = at;
            s->rows = numel(y.dims) / s->dims.back();
            return s;
        }
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_ARITHMETIC_HPP
