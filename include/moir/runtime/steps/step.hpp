#ifndef MOIR_RUNTIME_STEPS_STEP_HPP
#define MOIR_RUNTIME_STEPS_STEP_HPP

// THE STEP CONCEPT of a compiled plan (runtime/plan.hpp). A plan is a flat list of steps; each step
// runs one node, or a chain of nodes fused into one kernel call, on tensors whose types and shapes
// were fixed when the plan was compiled. Every tensor lives in a slot: a constant (folded and, for
// fast steps, packed at load), a model input (read in place from the caller's tensor), or a buffer
// of the activation arena (runtime/memory_planner.hpp).
//
// A STEP FAMILY is an empty struct with
//
//   static constexpr std::string_view name = "convolution";
//   /// The step for node `id` (and the nodes it fuses, which it claims), or nullptr when the family
//   /// does not apply to this node.
//   static std::unique_ptr<step> make(plan_builder& b, node_id id);
//
// The plan walks the nodes in topological order and asks the families of its type list in order;
// the first that returns a step wins (runtime/plan.hpp: default_step_families ends with the
// reference family, which takes every op). Adding a fast path = a file in runtime/steps/ and one
// line in that list; nothing switches over op names.

#include <moir/core/errors.hpp>
#include <moir/core/model.hpp>
#include <moir/core/tensor.hpp>
#include <moir/runtime/thread_pool.hpp>

#include <algorithm>  // max, min
#include <any>        // any
#include <cstddef>    // byte, size_t
#include <cstdint>    // uint8_t
#include <cstring>    // memcpy
#include <functional> // function
#include <limits>     // numeric_limits
#include <map>        // map
#include <memory>     // unique_ptr
#include <string>     // string
#include <vector>     // vector

namespace moir::kernels::simd {
struct fp32_kernel_table;
struct int8_kernel_table;
}  // namespace moir::kernels::simd

namespace moir::runtime {

inline constexpr std::size_t no_slot = std::numeric_limits<std::size_t>::max();

/// How many elements (or bytes, for steps that move bytes) one worker's task covers at least in
/// the streaming steps (elementwise, FakeQuantize, softmax, reductions, copies): enough to pay for
/// handing a task to a worker, small enough to share a layer between the threads.
inline constexpr std::size_t chunk_elements = 16384;

/// The grain, in rows of `row` elements, of a step that splits its work by rows: about
/// chunk_elements per task, at least one row.
inline std::size_t chunk_rows(std::size_t row) { return row < chunk_elements ? chunk_elements / (row ? row : 1) : 1; }

/// The grain of a GEMM-shaped step that splits its `split` axis between `threads` workers with
/// thread_pool::parallel_for: about split / threads, in whole tiles of `tile`, at least one tile.
inline std::size_t tile_grain(std::size_t split, std::size_t tile, std::size_t threads) {
    return std::max(tile, (split / threads + tile - 1) / tile * tile);
}

/// How a GEMM-shaped step (micro-tiles of split_tile x other_tile) shares its work between `threads`
/// workers. By default it splits its `split` axis with thread_pool::parallel_for at
/// tile_grain(split, split_tile, threads), each chunk over the whole `other` axis. The result is the block of the other axis per part: `other` (that
/// split) unless blocks of whole other_tile panels, one per worker, leave fewer micro-tiles on the
/// busiest worker.
inline std::size_t other_axis_block(std::size_t split, std::size_t split_tile, std::size_t other, std::size_t other_tile,
                                    std::size_t threads) {
    const std::size_t split_panels = (split + split_tile - 1) / split_tile;
    const std::size_t other_panels = (other + other_tile - 1) / other_tile;
    // the default split (thread_pool::parallel_for with that grain): its largest chunk
    const std::size_t grain = tile_grain(split, split_tile, threads);
    const std::size_t chunks = std::min(threads, (split + grain - 1) / grain);
    const std::size_t largest = (split + chunks - 1) / chunks;
    const std::size_t by_split = (largest + split_tile - 1) / split_tile * other_panels;
    const std::size_t panels_per_block = (other_panels + threads - 1) / threads;
    const std::size_t by_blocks = panels_per_block * split_panels;
    return by_blocks < by_split ? panels_per_block * other_tile : other;
}

/// Where one tensor of a plan lives. Its type and shape are fixed at compile time.
struct slot {
    enum class kind : std::uint8_t { constant, input, arena };
    kind where = kind::arena;
    element_type type = element_type::undefined;
    shape dims;
    std::size_t bytes = 0;
    tensor value;               ///< kind::constant: the value (with `dims`)
    std::size_t input = 0;      ///< kind::input: the model input position
    std::size_t alias = no_slot;  ///< kind::arena: a view sharing the buffer of this (root) slot
    std::size_t offset = 0;     ///< kind::arena: byte offset in the arena (set by the memory planner)
};

/// What a step sees while the plan runs.
struct run_context {
    const std::vector<slot>* slots = nullptr;
    std::byte* arena = nullptr;
    const std::vector<tensor>* inputs = nullptr;
    thread_pool* pool = nullptr;
    float* scratch = nullptr;           ///< workers * scratch_stride floats
    std::size_t scratch_stride = 0;     ///< floats of scratch per worker

    const slot& at(std::size_t s) const { return (*slots)[s]; }
    /// The bytes of slot s. requires: s is a slot of the plan.
    const void* data(std::size_t s) const {
        const slot& sl = at(s);
        switch (sl.where) {
            case slot::kind::constant: return sl.value.raw();
            case slot::kind::input: return (*inputs)[sl.input].raw();
            case slot::kind::arena: break;
        }
        return arena + sl.offset;
    }
    /// The writable bytes of an arena slot.
    void* out(std::size_t s) const { return arena + at(s).offset; }
    const float* in_f32(std::size_t s) const { return static_cast<const float*>(data(s)); }
    float* out_f32(std::size_t s) const { return static_cast<float*>(out(s)); }
    float* scratch_of(std::size_t worker) const { return scratch + worker * scratch_stride; }

    /// Slot s as a tensor: constants and inputs are shared (no copy), an arena slot is copied into
    /// a new tensor (this allocates; only reference steps do it).
    tensor value(std::size_t s) const {
        const slot& sl = at(s);
        if (sl.where == slot::kind::constant) return sl.value;
        if (sl.where == slot::kind::input) {
            const tensor& t = (*inputs)[sl.input];
            return t.dims() == sl.dims ? t : t.reshaped(sl.dims);
        }
        tensor t(sl.type, sl.dims);
        if (sl.bytes) std::memcpy(t.raw(), arena + sl.offset, sl.bytes);
        return t;
    }
    /// Copies t into arena slot s. requires: t has the slot's byte size.
    void store(std::size_t s, const tensor& t) const {
        const slot& sl = at(s);
        MOIR_CHECK(t.bytes() == sl.bytes, error, "a step produced " + std::to_string(t.bytes()) + " bytes for a slot of " +
                                                     std::to_string(sl.bytes));
        if (sl.bytes) std::memcpy(arena + sl.offset, t.raw(), sl.bytes);
    }
};

/// One step of a plan. Families fill the public fields when they make it.
class step {
public:
    virtual ~step() = default;
    /// Runs the step. requires: every slot in `reads` holds its value.
    virtual void run(const run_context& ctx) const = 0;

    std::string name;    ///< the name of the (first) node
    std::string ops;     ///< the op type(s) it runs, e.g. "Convolution+Add+HSwish"
    std::string kernel;  ///< which kernel, e.g. "conv1x1.avx512+hswish", "reference"
    std::vector<std::size_t> reads, writes;  ///< slots
    std::size_t scratch_floats = 0;          ///< scratch per worker
};

/// The reference kernel of a node, type-erased (runtime/reference_executor.hpp's table).
using reference_kernel = void (*)(const std::any&, const std::vector<tensor>&, std::vector<tensor>&);

/// Runs one body on its Parameter values, returning its Results.
using body_engine = std::function<std::vector<tensor>(const std::vector<tensor>&)>;
/// A type-erased run_bodies (kernels/reference/control_flow.hpp): the op's attrs, the node's bodies,
/// the input values, and how to run body b.
using body_kernel = std::vector<tensor> (*)(const std::any&, const body_list&, const std::vector<tensor>&,
                                            const std::function<std::vector<tensor>(std::size_t, const std::vector<tensor>&)>&);

/// The compile-time context families work with: the model, what is known of each node output
/// (type, static shape, value when constant), the slots, and the plan's options.
class plan_builder {
public:
    const model& m;
    std::vector<slot>& slots;
    std::size_t threads = 1;
    /// The fast FP32 kernels of the chosen arch; nullptr when the plan runs reference steps only.
    const kernels::simd::fp32_kernel_table* table = nullptr;
    /// The INT8 kernels (and the FakeQuantize ones) that go with `table`; nullptr when the plan runs
    /// reference steps only.
    const kernels::simd::int8_kernel_table* int8 = nullptr;
    /// Whether quantized layers may run on the INT8 kernels (plan_options::int8).
    bool use_int8 = true;
    /// Whether INT8 layers may write the next INT8 layer's codes (plan_options::int8_requantize).
    bool int8_requantize = true;
    /// Whether a depthwise convolution may fuse the pointwise ones around it (plan_options::fuse_depthwise_pointwise).
    bool fuse_depthwise_pointwise = true;
    /// The reference kernel of a node's op; nullptr if the opset lacks it.
    reference_kernel (*reference_of)(const node&) = nullptr;
    /// Makes a node's kernel state once, at compile (reference_executor.hpp's prepare_node); may be null.
    void (*prepare)(const node&) = nullptr;
    /// Runs a node that owns bodies on its input values (evaluate_node); nullptr: such nodes fail.
    std::vector<tensor> (*evaluate_bodies)(const node&, const std::vector<tensor>&) = nullptr;
    /// The run_bodies of a node's op (its reference kernel's; reference_executor.hpp), or nullptr.
    body_kernel (*body_kernel_of)(const node&) = nullptr;
    /// Makes the engine of one body: a compiled plan of its own, compiled on first use and kept (its
    /// arena reused) from call to call; empty: bodies run on the reference executor.
    std::function<body_engine(const model& body)> make_body_engine;
    /// FakeQuantize nodes whose u8 codes an INT8 step made earlier writes in its epilogue (instead
    /// of the f32 tensor the FakeQuantize reads), with the slot of those codes
    /// (steps/int8_convolution.hpp: requantization). That family must then take the node.
    std::map<node_id, std::size_t> int8_codes;
    /// Each node's index in the order the plan makes its steps (npos: not set): a step may read
    /// another node's output only when that node comes earlier (steps/fusion.hpp: residual Adds).
    std::vector<std::size_t> position;

    plan_builder(const model& mod, std::vector<slot>& s, std::vector<std::vector<std::size_t>> port_slots)
        : m(mod), slots(s), port_slots_(std::move(port_slots)), claimed_(mod.nodes.size(), false),
          consumers_(mod.nodes.size()) {
        for (node_id id = 0; id < m.nodes.size(); ++id) {
            consumers_[id].resize(m.nodes[id].outputs.size());
        }
        for (node_id id = 0; id < m.nodes.size(); ++id)
            for (std::size_t i = 0; i < m.nodes[id].inputs.size(); ++i) {
                const output_ref r = m.nodes[id].inputs[i];
                if (r.node < consumers_.size() && r.port < consumers_[r.node].size())
                    consumers_[r.node][r.port].emplace_back(id, i);
            }
    }

    const node& at(node_id id) const { return m.nodes.at(id); }
    /// The slot of output r.
    std::size_t slot_of(output_ref r) const { return port_slots_.at(r.node).at(r.port); }
    const slot& slot_at(output_ref r) const { return slots.at(slot_of(r)); }
    /// The slot of input i of node id.
    std::size_t input_slot(node_id id, std::size_t i) const { return slot_of(at(id).inputs.at(i)); }
    std::size_t output_slot(node_id id, std::size_t port = 0) const { return slot_of(output_ref{id, port}); }
    /// The value of input i of node id when it is a constant (folded at compile time), else nullptr.
    const tensor* constant_input(node_id id, std::size_t i) const {
        const slot& s = slots.at(input_slot(id, i));
        return s.where == slot::kind::constant ? &s.value : nullptr;
    }
    /// Every (consumer, input index) of output r, Result nodes included.
    const std::vector<std::pair<node_id, std::size_t>>& consumers(output_ref r) const {
        return consumers_.at(r.node).at(r.port);
    }
    /// The only consumer of output r when it has exactly one and it is an unclaimed Op, else npos.
    template <class Op>
    node_id single_consumer(output_ref r) const {
        const auto& c = consumers(r);
        if (c.size() != 1 || !at(c[0].first).template is<Op>() || claimed_[c[0].first]) return npos;
        return c[0].first;
    }
    /// Marks a node as run by a step made for an earlier node (a fused consumer).
    void claim(node_id id) { claimed_.at(id) = true; }
    /// Undoes claim(id) (a family that matched a fusion it then cannot make).
    void unclaim(node_id id) { claimed_.at(id) = false; }
    /// Whether the plan makes node a's step before node b's (both placed in `position`): a step made
    /// at b may read a's output.
    bool made_before(node_id a, node_id b) const {
        return a < position.size() && b < position.size() && position[a] != npos && position[b] != npos &&
               position[a] < position[b];
    }
    bool claimed(node_id id) const { return claimed_.at(id); }

    /// Makes slot `view` share the storage of slot `of` (a reshape-like op): an input or a constant
    /// stays one, an arena slot becomes an alias of `of`'s root. requires: equal byte sizes.
    void alias(std::size_t view, std::size_t of) {
        slot& v = slots.at(view);
        const slot& o = slots.at(of);
        MOIR_CHECK(v.bytes == o.bytes, error, "a view must keep the byte size of its source");
        v.where = o.where;
        v.input = o.input;
        if (o.where == slot::kind::constant) v.value = o.value.reshaped(v.dims);
        if (o.where == slot::kind::arena) v.alias = o.alias == no_slot ? of : o.alias;
    }

    static constexpr node_id npos = static_cast<node_id>(-1);

private:
    std::vector<std::vector<std::size_t>> port_slots_;
    std::vector<bool> claimed_;
    std::vector<std::vector<std::vector<std::pair<node_id, std::size_t>>>> consumers_;
};

}  // namespace moir::runtime

#endif  // MOIR_RUNTIME_STEPS_STEP_HPP
