#ifndef MOIR_RUNTIME_STEPS_DEPTH_TO_SPACE_HPP
#define MOIR_RUNTIME_STEPS_DEPTH_TO_SPACE_HPP

// The DepthToSpace / SpaceToDepth step family. Both only move elements: with the channels split into
// the block and the rest, each is a permutation of the axes of a row-major view of its input, run
// as the Transpose family's strided copy (steps/transpose.hpp: runs of contiguous elements copied
// at once, rows split across the workers). For k spatial axes, bs = block_size, C' = C / bs^k:
//
//   DepthToSpace blocks_first (ONNX DCR): [N, bs..., C', D1..Dk]  -> [N, C', D1, bs, ..., Dk, bs]
//   DepthToSpace depth_first  (ONNX CRD): [N, C', bs..., D1..Dk]  -> [N, C', D1, bs, ..., Dk, bs]
//   SpaceToDepth: the inverse permutations, from [N, C, D1, bs, ..., Dk, bs].
//
// Any element type of 1, 2, 4 or 8 bytes; the values are the reference kernels' (a copy).

#include <moir/ops/depth_to_space.hpp>
#include <moir/ops/space_to_depth.hpp>
#include <moir/runtime/steps/step.hpp>
#include <moir/runtime/steps/transpose.hpp>

#include <cstdint>      // int64_t
#include <memory>       // unique_ptr
#include <string>       // string
#include <string_view>  // string_view
#include <vector>       // vector

namespace moir::runtime::steps {

namespace detail {
/// The row-major view and the permutation of DepthToSpace (to_space) or SpaceToDepth on input
/// shape x, or false when the shapes do not split evenly.
inline bool depth_space_view(const shape& x, std::int64_t bs, ops::depth_space_mode mode, bool to_space, shape& view,
                             std::vector<std::size_t>& perm) {
    const std::size_t r = x.size();
    if (r < 3 || bs < 1) return false;
    const std::size_t k = r - 2;
    const bool blocks_first = mode == ops::depth_space_mode::blocks_first;
    view.clear(), perm.clear();
    if (to_space) {
        std::int64_t be = 1;
        for (std::size_t i = 0; i < k; ++i) be *= bs;
        if (x[1] % be != 0) return false;
        const std::int64_t c = x[1] / be;
        // view axes: 0 N; blocks_first: 1..k the block, k+1 C'; depth_first: 1 C', 2..k+1 the block; then D_i
        view.push_back(x[0]);
        if (!blocks_first) view.push_back(c);
        for (std::size_t i = 0; i < k; ++i) view.push_back(bs);
        if (blocks_first) view.push_back(c);
        for (std::size_t i = 0; i < k; ++i) view.push_back(x[2 + i]);
        const std::size_t c_axis = blocks_first ? k + 1 : 1, b_axis = blocks_first ? 1 : 2;
        perm = {0, c_axis};
        for (std::size_t i = 0; i < k; ++i) perm.push_back(k + 2 + i), perm.push_back(b_axis + i);
        return true;
    }
    // SpaceToDepth: view [N, C, D1, bs, ..., Dk, bs]
    view = {x[0], x[1]};
    for (std::size_t i = 0; i < k; ++i) {
        if (x[2 + i] % bs != 0) return false;
        view.push_back(x[2 + i] / bs);
        view.push_back(bs);
    }
    perm = {0};
    if (!blocks_first) perm.push_back(1);
    for (std::size_t i = 0; i < k; ++i) perm.push_back(3 + 2 * i);  // the block
    if (blocks_first) perm.push_back(1);
    for (std::size_t i = 0; i < k; ++i) perm.push_back(2 + 2 * i);  // D_i
    return true;
}
}  // namespace detail

/// The family (see the file comment).
struct depth_to_space {
    static constexpr std::string_view name = "depth_to_space";

    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& nd = b.at(id);
        const bool to_space = nd.is<ops::depth_to_space>();
        if (!to_space && !nd.is<ops::space_to_depth>()) return nullptr;
        const slot& xs = b.slots[b.input_slot(id, 0)];
        const slot& ys = b.slots[b.output_slot(id)];
        const std::size_t elem = size_of(xs.type);
        if (xs.type != ys.type || numel(xs.dims) == 0 || (elem != 1 && elem != 2 && elem != 4 && elem != 8)) return nullptr;
        const auto mode = to_space ? nd.attrs_as<ops::depth_to_space>().mode : nd.attrs_as<ops::space_to_depth>().mode;
        const auto bs = to_space ? nd.attrs_as<ops::depth_to_space>().block_size : nd.attrs_as<ops::space_to_depth>().block_size;
        shape view;
        std::vector<std::size_t> perm;
        if (!detail::depth_space_view(xs.dims, bs, mode, to_space, view, perm)) return nullptr;
        auto s = permute_step(view, perm, elem);
        s->name = nd.name;
        s->ops = std::string(nd.op->ir_name);
        s->kernel = to_space ? "depth_to_space" : "space_to_depth";
        s->reads = {b.input_slot(id, 0)};
        s->writes = {b.output_slot(id)};
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_DEPTH_TO_SPACE_HPP
