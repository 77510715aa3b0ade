#ifndef MOIR_RUNTIME_PLAN_DECL_HPP
#define MOIR_RUNTIME_PLAN_DECL_HPP

// The compiled plan's classes (basic_plan, basic_plan_cache) and options, basic_plan's compiling
// members declared and not defined: what a program of the compiled form (moir::compiled,
// MOIR_COMPILED_LIBRARY: moir/moir.hpp's light mode) sees, so that its translation units compile
// none of the step families or kernels. runtime/plan.hpp (see its file comment) includes this
// header and defines the members; moir::compiled's core TU compiles basic_plan<> from there
// (cmake/compiled/core.cpp.in).

#include <moir/core/limits.hpp>
#include <moir/core/model.hpp>
#include <moir/core/type_list.hpp>
#include <moir/kernels/simd/packing.hpp>
#include <moir/ops/opset.hpp>
#include <moir/runtime/memory_planner.hpp>
#include <moir/runtime/steps/step.hpp>
#include <moir/runtime/thread_pool.hpp>

#include <cstddef>  // byte, size_t
#include <cstdint>  // uint64_t
#include <cstdlib>  // free
#include <memory>   // unique_ptr, make_unique
#include <string>   // string
#include <utility>  // move
#include <vector>   // vector

namespace moir::runtime {

// The step families (runtime/steps/<family>.hpp), declared for default_step_families.
namespace steps {
struct int8_convolution;
struct convolution;
struct convolution_3d;
struct deconvolution;
struct matmul;
struct pooling;
struct fake_quantize;
struct scaled_residual;
struct eltwise;
struct softmax;
struct mvn;
struct reduce;
struct transpose;
struct slice;
struct split;
struct depth_to_space;
struct compare;
struct interpolate;
struct concat;
struct pad;
struct view;
struct arithmetic;
struct gather;
struct top_k;
struct convert;
struct reference;
}  // namespace steps

/// The step families of a default plan, tried in this order (the reference family last).
using default_step_families =
    type_list<steps::int8_convolution, steps::convolution, steps::convolution_3d, steps::deconvolution, steps::matmul, steps::pooling,
              steps::fake_quantize, steps::scaled_residual, steps::eltwise, steps::softmax, steps::mvn, steps::reduce,
              steps::transpose, steps::slice, steps::split, steps::depth_to_space, steps::compare, steps::interpolate, steps::concat,
              steps::pad, steps::view, steps::arithmetic, steps::gather, steps::top_k, steps::convert,
              steps::reference>;

struct plan_options {
    /// Worker threads (the caller included); 0 = std::thread::hardware_concurrency(). 1 = no threads.
    std::size_t threads = 0;
    /// With as many threads as the process may use CPUs: bind each worker to a CPU of its own and the thread that calls
    /// run() to the first, for the length of the run (runtime/thread_pool.hpp: without it, a busy
    /// host's scheduler kept both threads on one CPU). false: leave placement to the OS.
    bool pin_threads = true;
    /// false: every node runs its reference kernel (no fast steps, no fusion).
    bool fast = true;
    /// The fast-kernel arch ("avx512", "avx2", "reference"); empty = the best one usable
    /// (runtime/dispatch.hpp, which honours MOIR_ARCH).
    std::string arch;
    /// false: quantized convolutions (FakeQuantize -> Convolution on s8 weights) run in FP32 on the
    /// folded weights instead of on the INT8 kernels (for comparing the two).
    bool int8 = true;
    /// false: every INT8 layer writes f32 and the next one quantizes it again, instead of writing
    /// the next one's u8 codes in its epilogue (steps/int8_convolution.hpp; the results are the same).
    bool int8_requantize = true;
    /// false: a depthwise convolution and the pointwise convolution that alone reads it run as two
    /// steps instead of one step over bands of rows, and so does a widening pointwise convolution
    /// before them (steps/convolution.hpp; the results are the same).
    bool fuse_depthwise_pointwise = true;
    /// true: the run's threads flush denormal floats to zero (DAZ and FTZ; core/denormals.hpp): on
    /// Intel cores each arithmetic instruction on a denormal otherwise takes ~100 cycles, and trained
    /// weights often hold them. The caller's own setting is restored when run() returns. false:
    /// denormals are kept, as IEEE 754 has them (slower where they occur; results differ below 1.2e-38).
    bool flush_denormals = true;
    /// The most elements one tensor may have (core/limits.hpp); a larger shape is a shape_error
    /// naming the node, raised while planning, before anything is allocated.
    std::uint64_t max_elements = default_max_elements;
};

namespace detail {
struct free_bytes {
    void operator()(std::byte* p) const { std::free(p); }
};
}  // namespace detail

/// A model compiled for fixed input shapes. See runtime/plan.hpp's file comment.
template <class Families = default_step_families, class OpSet = opsets::all>
class basic_plan {
public:
    /// Compiles m for inputs of these shapes (one per model::parameters entry).
    /// ensures: throws moir::shape_error naming the input or node when the shapes do not fit, and
    /// moir::unsupported_error when a node's output shape depends on input values.
    basic_plan(const model& m, const std::vector<shape>& input_shapes, const plan_options& opt = {});
    /// Compiles m for the (static) shapes its Parameters declare.
    explicit basic_plan(const model& m, const plan_options& opt = {});

    /// Runs the plan. requires: inputs in model::parameters order with the planned types and shapes.
    /// ensures: one tensor per model output. step_ms, when given, receives each step's time in ms.
    std::vector<tensor> run(const std::vector<tensor>& inputs, std::vector<double>* step_ms = nullptr);

    const std::vector<shape>& input_shapes() const { return input_shapes_; }
    const std::vector<std::unique_ptr<step>>& steps() const { return steps_; }
    const std::vector<slot>& slots() const { return slots_; }
    std::size_t threads() const { return pool_.size(); }
    /// The arch of the fast kernels ("reference" when none).
    const std::string& arch() const { return arch_; }
    /// The arch of the INT8 and FakeQuantize kernels ("reference" when none).
    const std::string& int8_arch() const { return int8_arch_; }
    /// Bytes of the activation arena.
    std::size_t arena_bytes() const { return arena_bytes_; }
    /// Bytes of all arena tensors added up (what an allocator without reuse would need).
    std::size_t activation_bytes() const { return activation_bytes_; }
    /// Bytes of scratch (all workers).
    std::size_t scratch_bytes() const { return scratch_stride_ * pool_.size() * sizeof(float); }
    /// The live range [first, last] step of every arena buffer, by slot (for tests).
    const std::vector<buffer_request>& buffers() const { return buffers_; }
    const std::vector<std::size_t>& buffer_slots() const { return buffer_slots_; }

private:
    void compile(const model& m, const std::vector<shape>& input_shapes, const plan_options& opt);
    void check_inputs(const std::vector<tensor>& inputs) const;

    thread_pool pool_;
    /// A run shorter than this (ms) leaves the caller of the next one unpinned.
    static constexpr double pin_min_ms = 0.1;
    bool pin_caller_ = true;  // whether run() pins its caller (false after a run that split nothing or was short)
    std::vector<shape> input_shapes_;
    std::vector<slot> slots_;
    std::vector<std::unique_ptr<step>> steps_;
    std::vector<std::size_t> outputs_;
    std::vector<buffer_request> buffers_;
    std::vector<std::size_t> buffer_slots_;
    std::size_t arena_bytes_ = 0, activation_bytes_ = 0, scratch_stride_ = 0;
    std::string arch_ = "reference", int8_arch_ = "reference";
    std::unique_ptr<std::byte, detail::free_bytes> arena_;
    std::unique_ptr<float, kernels::simd::detail::free_deleter> scratch_;
};

using plan = basic_plan<>;

/// A plan that follows its inputs' shapes: it compiles on the first run and again whenever the
/// input shapes change (the last plan is kept).
template <class Families = default_step_families, class OpSet = opsets::all>
class basic_plan_cache {
public:
    explicit basic_plan_cache(model m, plan_options opt = {}) : m_(std::move(m)), opt_(std::move(opt)) {}
    std::vector<tensor> run(const std::vector<tensor>& inputs, std::vector<double>* step_ms = nullptr) {
        return get(inputs).run(inputs, step_ms);
    }
    /// The plan for these inputs' shapes (compiled when they differ from the last).
    basic_plan<Families, OpSet>& get(const std::vector<tensor>& inputs) {
        std::vector<shape> shapes;
        for (const auto& t : inputs) shapes.push_back(t.dims());
        if (!plan_ || plan_->input_shapes() != shapes) {
            plan_.reset();
            plan_ = std::make_unique<basic_plan<Families, OpSet>>(m_, shapes, opt_);
        }
        return *plan_;
    }

private:
    model m_;
    plan_options opt_;
    std::unique_ptr<basic_plan<Families, OpSet>> plan_;
};

using plan_cache = basic_plan_cache<>;

}  // namespace moir::runtime

#endif  // MOIR_RUNTIME_PLAN_DECL_HPP
