#ifndef MOIR_RUNTIME_STEPS_VIEW_HPP
#define MOIR_RUNTIME_STEPS_VIEW_HPP

// The view step family: Reshape, Squeeze and Unsqueeze only relabel the shape of a row-major
// buffer, so their output shares the storage of their input (the memory planner keeps that buffer
// alive for both) and the step does nothing at run time.

#include <moir/ops/reshape.hpp>
#include <moir/ops/squeeze.hpp>
#include <moir/ops/unsqueeze.hpp>
#include <moir/runtime/steps/step.hpp>

#include <memory>  // unique_ptr, make_unique
#include <string>  // string

namespace moir::runtime::steps {

/// A step that runs nothing: its output is a view of its input.
class view_step final : public step {
public:
    void run(const run_context&) const override {}
};

/// The family: Reshape / Squeeze / Unsqueeze whose output keeps the input's element type and size.
struct view {
    static constexpr std::string_view name = "view";
    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        if (!n.is<ops::reshape>() && !n.is<ops::squeeze>() && !n.is<ops::unsqueeze>()) return nullptr;
        const std::size_t in = b.input_slot(id, 0), out = b.output_slot(id, 0);
        if (b.slots[in].type != b.slots[out].type || b.slots[in].bytes != b.slots[out].bytes) return nullptr;
        b.alias(out, in);
        auto s = std::make_unique<view_step>();
        s->name = n.name;
        s->ops = std::string(n.op->ir_name);
        s->kernel = "view";
        s->reads.push_back(in);
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_VIEW_HPP
