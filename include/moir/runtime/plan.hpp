#ifndef MOIR_RUNTIME_PLAN_HPP
#define MOIR_RUNTIME_PLAN_HPP

// moir::runtime::plan: a model compiled for static input shapes into a flat list of steps that run
// on one preallocated arena. Compiling (once, at load):
//
//  1. every node's output type and shape is inferred from the given input shapes, and every node
//     whose inputs are all known is evaluated (constant folding: f16 weights behind a
//     "decompression" Convert become f32 here, ShapeOf chains become constants);
//  2. each remaining node becomes a step, chosen by the first step family of `Families` that takes
//     it (runtime/steps/step.hpp): fast families pack their constant weights once and may fuse a
//     node's single consumers (a convolution with its bias Add and activation is one kernel call);
//     the reference family takes every other node;
//  3. the memory planner (runtime/memory_planner.hpp) gives each intermediate tensor an offset in
//     one arena by liveness; the arena and the per-thread scratch are allocated once.
//
// Running: the fast steps allocate nothing; a reference step allocates its tensors (see
// runtime/steps/reference.hpp); the outputs are copied into new tensors. Results agree with
// reference_executor within float rounding (the fast kernels sum in another order).
// A plan is for one set of input shapes: plan_cache compiles again when they change.
// A plan is not reentrant: one run() at a time (it owns the arena and the thread pool).

#include <moir/core/denormals.hpp>
#include <moir/core/extensions.hpp>
#include <moir/core/limits.hpp>
#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/runtime/dispatch.hpp>
#include <moir/runtime/memory_planner.hpp>
#include <moir/runtime/plan_decl.hpp>
#include <moir/runtime/reference_executor.hpp>
#include <moir/runtime/steps/arithmetic.hpp>
#include <moir/runtime/steps/compare.hpp>
#include <moir/runtime/steps/concat.hpp>
#include <moir/runtime/steps/convert.hpp>
#include <moir/runtime/steps/pad.hpp>
#include <moir/runtime/steps/convolution.hpp>
#include <moir/runtime/steps/convolution_3d.hpp>
#include <moir/runtime/steps/deconvolution.hpp>
#include <moir/runtime/steps/depth_to_space.hpp>
#include <moir/runtime/steps/eltwise.hpp>
#include <moir/runtime/steps/fake_quantize.hpp>
#include <moir/runtime/steps/gather.hpp>
#include <moir/runtime/steps/int8_convolution.hpp>
#include <moir/runtime/steps/interpolate.hpp>
#include <moir/runtime/steps/matmul.hpp>
#include <moir/runtime/steps/mvn.hpp>
#include <moir/runtime/steps/pooling.hpp>
#include <moir/runtime/steps/reduce.hpp>
#include <moir/runtime/steps/reference.hpp>
#include <moir/runtime/steps/scaled_residual.hpp>
#include <moir/runtime/steps/slice.hpp>
#include <moir/runtime/steps/split.hpp>
#include <moir/runtime/steps/softmax.hpp>
#include <moir/runtime/steps/top_k.hpp>
#include <moir/runtime/steps/transpose.hpp>
#include <moir/runtime/steps/step.hpp>
#include <moir/runtime/steps/view.hpp>
#include <moir/runtime/thread_pool.hpp>

#include <chrono>     // steady_clock
#include <cstddef>    // byte, size_t
#include <cstdlib>    // aligned_alloc, free
#include <memory>     // unique_ptr
#include <optional>   // optional
#include <string>     // string
#include <vector>     // vector

namespace moir::runtime {

// default_step_families, plan_options, basic_plan and basic_plan_cache: runtime/plan_decl.hpp.

namespace detail {

/// Whether r is a convolution's output, possibly through Adds of a constant (its bias).
inline bool conv_chain(const model& m, output_ref r) {
    for (int hops = 0; hops < 4; ++hops) {
        const node& n = m.nodes.at(r.node);
        if (n.is<ops::convolution>() || n.is<ops::group_convolution>()) return true;
        if (!n.is<ops::add>() || n.inputs.size() != 2) return false;
        const bool c0 = m.nodes.at(n.inputs[0].node).is<ops::constant>();
        const bool c1 = m.nodes.at(n.inputs[1].node).is<ops::constant>();
        if (c0 == c1) return false;
        r = n.inputs[c0 ? 1 : 0];
    }
    return false;
}

/// The order a plan makes its steps in: model::topo_order's depth-first order, except that an Add of a
/// convolution's output (after its bias) and another computed tensor visits the other operand first,
/// so that the tensor exists when the convolution's step is made and the Add can fuse into its
/// epilogue as a residual (steps/fusion.hpp).
inline std::vector<node_id> plan_order(const model& m) {
    return m.topo_order([&](node_id id, std::size_t i) -> const output_ref& {
        const node& n = m.nodes[id];
        if (n.is<ops::add>() && n.inputs.size() == 2 && conv_chain(m, n.inputs[0]) && !conv_chain(m, n.inputs[1]) &&
            !m.nodes.at(n.inputs[1].node).is<ops::constant>())
            return n.inputs[1 - i];
        return n.inputs[i];
    });
}
inline std::unique_ptr<std::byte, free_bytes> aligned_bytes(std::size_t n) {
    const std::size_t size = align_up(n ? n : 1, 64);
    void* p = std::aligned_alloc(64, size);
    if (!p) throw std::bad_alloc();
    return std::unique_ptr<std::byte, free_bytes>(static_cast<std::byte*>(p));
}
template <class OpSet>
std::vector<tensor> evaluate_bodies(const node& n, const std::vector<tensor>& in) {
    return evaluate_node<OpSet>(n, in);
}
template <class OpSet>
body_kernel body_kernel_of(const node& n) {
    const auto& t = moir::detail::body_kernel_table<OpSet>();
    const auto it = t.find(n.op);
    return it == t.end() ? nullptr : it->second;
}
template <class Families, class OpSet>
body_engine make_body_engine(const model& body, const plan_options& opt);
template <class OpSet>
reference_kernel reference_of(const node& n) {
    const auto& t = moir::detail::reference_table<OpSet>();
    const auto it = t.find(n.op);
    if (it != t.end()) return it->second;
    // an extension's op (core/extensions.hpp): its fast kernel when it has one
    const op_extension* e = find_extension(n.op);
    return !e ? nullptr : e->fast ? e->fast : e->reference;
}
}  // namespace detail

// basic_plan's members (the class: runtime/plan_decl.hpp).
template <class Families, class OpSet>
basic_plan<Families, OpSet>::basic_plan(const model& m, const std::vector<shape>& input_shapes, const plan_options& opt)
    : pool_(opt.threads, opt.pin_threads, opt.flush_denormals) {
    compile(m, input_shapes, opt);
}

template <class Families, class OpSet>
basic_plan<Families, OpSet>::basic_plan(const model& m, const plan_options& opt) : pool_(opt.threads, opt.pin_threads, opt.flush_denormals) {
    std::vector<shape> shapes;
    for (std::size_t i = 0; i < m.parameters.size(); ++i) {
        const auto& ps = m.at(m.parameters[i]).attrs_as<ops::parameter>().shape;
        MOIR_CHECK(ps.is_static(), shape_error,
                   "input '" + m.input_name(i) + "' has shape " + ps.str() + "; give static input shapes to plan it");
        shapes.push_back(ps.dims);
    }
    compile(m, shapes, opt);
}

template <class Families, class OpSet>
std::vector<tensor> basic_plan<Families, OpSet>::run(const std::vector<tensor>& inputs, std::vector<double>* step_ms) {
    check_inputs(inputs);
    // the caller joins the pinned workers for this run, unless the last run shared no work or
    // took under pin_min_ms (a model too small to gain from it: the pin's ~7 us would double
    // an openWakeWord head's 10 us run)
    std::optional<thread_pool::caller_pin> pin;
    if (pin_caller_) pin.emplace(pool_);
    const denormals::scope flush(pool_.flushes_denormals());  // the workers flush for good (thread_pool)
    const std::size_t splits = pool_.splits();
    const auto start = std::chrono::steady_clock::now();
    run_context ctx;
    ctx.slots = &slots_;
    ctx.arena = arena_.get();
    ctx.inputs = &inputs;
    ctx.pool = &pool_;
    ctx.scratch = scratch_.get();
    ctx.scratch_stride = scratch_stride_;
    if (step_ms) step_ms->assign(steps_.size(), 0.0);
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        if (!step_ms) {
            steps_[i]->run(ctx);
            continue;
        }
        const auto t0 = std::chrono::steady_clock::now();
        steps_[i]->run(ctx);
        const auto t1 = std::chrono::steady_clock::now();
        (*step_ms)[i] = std::chrono::duration<double, std::milli>(t1 - t0).count();
    }
    pin_caller_ = pool_.splits() != splits &&
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() >=
                      pin_min_ms;
    std::vector<tensor> out;
    out.reserve(outputs_.size());
    for (std::size_t s : outputs_) {
        const slot& sl = slots_[s];
        if (sl.where == slot::kind::arena) {
            tensor t = tensor::uninitialized(sl.type, sl.dims);  // every byte copied next
            if (sl.bytes) std::memcpy(t.raw(), ctx.data(s), sl.bytes);
            out.push_back(std::move(t));
        } else {
            out.push_back(ctx.value(s).clone());
        }
    }
    return out;
}

template <class Families, class OpSet>
void basic_plan<Families, OpSet>::compile(const model& m, const std::vector<shape>& input_shapes,
                                          const plan_options& opt) {
    MOIR_CHECK(input_shapes.size() == m.parameters.size(), shape_error,
               "the model has " + std::to_string(m.parameters.size()) + " inputs, " +
                   std::to_string(input_shapes.size()) + " shapes were given");
    input_shapes_ = input_shapes;
    const auto order = detail::plan_order(m);
    // 1. types, static shapes and known values of every output port
    std::vector<std::size_t> param_pos(m.nodes.size(), no_slot);
    for (std::size_t i = 0; i < m.parameters.size(); ++i) param_pos[m.parameters[i]] = i;
    std::vector<std::vector<std::size_t>> port_slots(m.nodes.size());
    std::string slot_where;  // the node whose slots are being added, for the size check
    auto add_slot = [&](slot s) {
        check_element_count(s.dims, opt.max_elements, slot_where);
        s.bytes = numel(s.dims) * size_of(s.type);
        slots_.push_back(std::move(s));
        return slots_.size() - 1;
    };
    for (node_id id : order) {
        const node& n = m.nodes[id];
        const std::string where = "node '" + n.name + "' (" + std::string(n.op->ir_name) + ")";
        slot_where = where;
        if (n.is<ops::result>()) continue;
        if (n.is<ops::parameter>()) {
            const std::size_t i = param_pos[id];
            const auto& pa = n.attrs_as<ops::parameter>();
            const shape& want = input_shapes[i];
            bool fits = pa.shape.rank_dynamic || pa.shape.rank() == want.size();
            for (std::size_t d = 0; fits && !pa.shape.rank_dynamic && d < want.size(); ++d)
                fits = pa.shape.dims[d] < 0 || pa.shape.dims[d] == want[d];
            MOIR_CHECK(fits, shape_error,
                       "input '" + m.input_name(i) + "' cannot take shape [" + to_string(want) + "], the model expects " +
                           pa.shape.str());
            slot s;
            s.where = slot::kind::input;
            s.type = pa.element_type;
            s.dims = want;
            s.input = i;
            port_slots[id] = {add_slot(std::move(s))};
            continue;
        }
        if (n.is<ops::constant>()) {
            const tensor& v = n.attrs_as<ops::constant>().value;
            slot s;
            s.where = slot::kind::constant;
            s.type = v.type();
            s.dims = v.dims();
            s.value = v;
            port_slots[id] = {add_slot(std::move(s))};
            continue;
        }
        port_descs descs;
        bool all_known = true;
        for (const auto& r : n.inputs) {
            const slot& s = slots_.at(port_slots.at(r.node).at(r.port));
            descs.push_back(port_desc{s.type, partial_shape(s.dims), s.where == slot::kind::constant ? s.value : tensor()});
            all_known = all_known && s.where == slot::kind::constant;
        }
        port_descs od;
        try {
            od = infer_outputs(n, descs);
        } catch (const std::exception& e) {
            throw shape_error(where + ": " + e.what() + " (inputs: " + moir::detail::describe_inputs(descs) + ")");
        }
        std::vector<tensor> folded;
        if (all_known && !n.inputs.empty()) {
            std::vector<tensor> in;
            for (const auto& d : descs) in.push_back(d.value);
            folded = evaluate_node<OpSet>(n, in);
        }
        for (std::size_t p = 0; p < od.size(); ++p) {
            slot s;
            s.type = od[p].type;
            if (!folded.empty()) {
                s.where = slot::kind::constant;
                s.value = folded[p];
                s.dims = folded[p].dims();
                s.type = folded[p].type();
            } else if (od[p].has_value()) {
                s.where = slot::kind::constant;
                s.value = od[p].value;
                s.dims = od[p].value.dims();
            } else {
                MOIR_CHECK(od[p].shape.is_static(), unsupported_error,
                           where + ": output shape " + od[p].shape.str() +
                               " depends on input values; a plan needs static shapes (use reference_executor)");
                s.dims = od[p].shape.dims;
            }
            port_slots[id].push_back(add_slot(std::move(s)));
        }
    }
    // 2. steps
    plan_builder b(m, slots_, port_slots);
    b.threads = pool_.size();
    b.position.assign(m.nodes.size(), plan_builder::npos);
    for (std::size_t i = 0; i < order.size(); ++i) b.position[order[i]] = i;
    b.reference_of = &detail::reference_of<OpSet>;
    b.prepare = &moir::prepare_node<OpSet>;
    b.evaluate_bodies = &detail::evaluate_bodies<OpSet>;
    b.body_kernel_of = &detail::body_kernel_of<OpSet>;
    b.make_body_engine = [opt](const model& body) { return detail::make_body_engine<Families, OpSet>(body, opt); };
    if (opt.fast) {
        b.table = opt.arch.empty() ? &best_fp32_table() : fp32_table_named(opt.arch);
        MOIR_CHECK(b.table, unsupported_error, "arch '" + opt.arch + "' is not compiled in or not available here");
        arch_ = std::string(b.table->blocking.arch);
        b.int8 = &int8_table_for(b.table->blocking.arch);
        int8_arch_ = std::string(b.int8->blocking.arch);
        b.use_int8 = opt.int8;
        b.int8_requantize = opt.int8_requantize;
        b.fuse_depthwise_pointwise = opt.fuse_depthwise_pointwise;
    }
    for (node_id id : order) {
        const node& n = m.nodes[id];
        if (n.is<ops::result>() || n.is<ops::parameter>() || n.is<ops::constant>() || b.claimed(id)) continue;
        bool computed = false;
        for (std::size_t p = 0; p < port_slots[id].size(); ++p)
            computed = computed || slots_[port_slots[id][p]].where != slot::kind::constant;
        if (!computed) continue;  // folded
        // a node with an empty tensor (a zero batch, a zero-length axis) runs its reference
        // kernel: the fast steps' blockings assume at least one element (a view computes
        // nothing: a Reshape to a scalar, whose shape input is empty, stays a view)
        bool empty = false;
        for (const auto& in : n.inputs) empty = empty || numel(slots_[b.slot_of(in)].dims) == 0;
        for (const std::size_t ps : port_slots[id]) empty = empty || numel(slots_[ps].dims) == 0;
        std::unique_ptr<step> st;
        for_each_type(Families{}, [&](auto tag) {
            using F = typename decltype(tag)::type;
            if (st) return;
            if ((!opt.fast || (empty && F::name != steps::view::name)) && F::name != steps::reference::name) return;
            st = F::make(b, id);
        });
        MOIR_CHECK(st, unsupported_error, "node '" + n.name + "': no step family takes op " + std::string(n.op->ir_name));
        scratch_stride_ = std::max(scratch_stride_, align_up(st->scratch_floats, 16));
        steps_.push_back(std::move(st));
    }
    for (auto r : m.results) outputs_.push_back(b.slot_of(m.nodes.at(r).inputs.at(0)));
    // 3. liveness and memory
    auto root = [&](std::size_t s) { return slots_[s].alias == no_slot ? s : slots_[s].alias; };
    std::vector<std::size_t> buffer_of(slots_.size(), no_slot);
    auto touch = [&](std::size_t s, std::size_t at) {
        if (slots_[s].where != slot::kind::arena) return;
        const std::size_t r = root(s);
        if (buffer_of[r] == no_slot) {
            buffer_of[r] = buffers_.size();
            buffers_.push_back(buffer_request{slots_[r].bytes, at, at});
            buffer_slots_.push_back(r);
            activation_bytes_ += slots_[r].bytes;
        }
        auto& br = buffers_[buffer_of[r]];
        br.first = std::min(br.first, at);
        br.last = std::max(br.last, at);
    };
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        for (std::size_t s : steps_[i]->writes) touch(s, i);
        for (std::size_t s : steps_[i]->reads) touch(s, i);
    }
    for (std::size_t s : outputs_) touch(s, steps_.size());
    const memory_plan mp = plan_memory(buffers_);
    for (std::size_t i = 0; i < buffers_.size(); ++i) slots_[buffer_slots_[i]].offset = mp.offsets[i];
    for (auto& s : slots_)
        if (s.where == slot::kind::arena && s.alias != no_slot) s.offset = slots_[s.alias].offset;
    arena_bytes_ = mp.arena_bytes;
    // 64 bytes past the last tensor: a step may load a row's last vector of an arena tensor whole
    // (steps/convolution.hpp's expand_depthwise_step, on gemm_a_inplace), up to 15 floats past its end
    arena_ = detail::aligned_bytes(arena_bytes_ + 64);
    scratch_ = std::unique_ptr<float, kernels::simd::detail::free_deleter>(
        reinterpret_cast<float*>(detail::aligned_bytes(scratch_stride_ * pool_.size() * sizeof(float) + 64).release()));
}

template <class Families, class OpSet>
void basic_plan<Families, OpSet>::check_inputs(const std::vector<tensor>& inputs) const {
    MOIR_CHECK(inputs.size() == input_shapes_.size(), error,
               "the model has " + std::to_string(input_shapes_.size()) + " inputs, " +
                   std::to_string(inputs.size()) + " were given");
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const slot* s = nullptr;
        for (const auto& sl : slots_)
            if (sl.where == slot::kind::input && sl.input == i && sl.alias == no_slot) {
                s = &sl;
                break;
            }
        MOIR_CHECK(inputs[i].dims() == input_shapes_[i], shape_error,
                   "input " + std::to_string(i) + " has shape [" + to_string(inputs[i].dims()) +
                       "], the plan was compiled for [" + to_string(input_shapes_[i]) + "]");
        MOIR_CHECK(!s || inputs[i].type() == s->type, error,
                   "input " + std::to_string(i) + " is " + std::string(ir_name(inputs[i].type())) +
                       ", the model expects " + std::string(ir_name(s->type)));
    }
}

namespace detail {
/// The engine of one body inside a plan: a plan_cache of the body (one thread: the plan around it
/// owns the pool), compiled on the first call and again only when the body's input shapes change,
/// so an iteration reuses the body's arena. A body the plan cannot compile (shapes that depend on
/// values) runs on the reference executor instead, from then on.
template <class Families, class OpSet>
body_engine make_body_engine(const model& body, const plan_options& opt) {
    struct engine {
        const model* body;
        basic_plan_cache<Families, OpSet> plan;
        std::unique_ptr<reference_executor<OpSet>> reference;
    };
    plan_options o = opt;
    o.threads = 1;
    auto e = std::make_shared<engine>(engine{&body, basic_plan_cache<Families, OpSet>(body, o), nullptr});
    return [e](const std::vector<tensor>& in) {
        if (!e->reference) {
            try {
                return e->plan.run(in);
            } catch (const unsupported_error&) {
                e->reference = std::make_unique<reference_executor<OpSet>>(*e->body);
            }
        }
        return e->reference->run(in);
    };
}
}  // namespace detail

}  // namespace moir::runtime

// Compiled once by moir::compiled (moir/extern_templates.hpp), declared extern for its users.
#if defined(MOIR_DETAIL_CORE_EXTERN)
namespace moir::runtime {
MOIR_DETAIL_CORE_EXTERN template class basic_plan<>;
}  // namespace moir::runtime
#endif

#endif  // MOIR_RUNTIME_PLAN_HPP
