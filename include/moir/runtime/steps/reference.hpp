#ifndef MOIR_RUNTIME_STEPS_REFERENCE_HPP
#define MOIR_RUNTIME_STEPS_REFERENCE_HPP

// The fallback step family: any node, run by its scalar reference kernel (kernels/reference/).
// It always applies, so it is the last family of a plan's list.
//
// Memory: unlike the fast steps, a reference step allocates at run time. The reference kernels take
// and give moir::tensor objects, so each run copies every input that lives in the arena into a new
// tensor (constants and model inputs are shared, not copied), allocates the outputs, runs the
// kernel, and copies the outputs into their arena slots.

#include <moir/runtime/steps/step.hpp>

#include <any>      // any
#include <memory>   // unique_ptr, make_unique
#include <string>   // string
#include <vector>   // vector

namespace moir::runtime::steps {

/// Runs one node with its reference kernel.
class reference_step final : public step {
public:
    reference_kernel fn = nullptr;
    std::any attrs;

    void run(const run_context& ctx) const override {
        std::vector<tensor> in;
        in.reserve(reads.size());
        for (std::size_t s : reads) in.push_back(ctx.value(s));
        std::vector<tensor> out;
        out.reserve(writes.size());
        for (std::size_t s : writes) out.emplace_back(ctx.at(s).type, ctx.at(s).dims);
        try {
            fn(attrs, in, out);
        } catch (const std::exception& e) {
            throw error("node '" + name + "' (" + ops + "): " + e.what());
        }
        for (std::size_t i = 0; i < writes.size(); ++i)
            if (ctx.at(writes[i]).where == slot::kind::arena && ctx.at(writes[i]).alias == no_slot)
                ctx.store(writes[i], out[i]);
    }
};

/// The family: every node whose op has a reference kernel.
struct reference {
    static constexpr std::string_view name = "reference";
    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        const reference_kernel fn = b.reference_of ? b.reference_of(n) : nullptr;
        MOIR_CHECK(fn, unsupported_error,
                   "node '" + n.name + "': op " + std::string(n.op->ir_name) + " has no kernel in this opset");
        auto s = std::make_unique<reference_step>();
        s->fn = fn;
        s->attrs = n.attrs;
        s->name = n.name;
        s->ops = std::string(n.op->ir_name);
        s->kernel = "reference";
        for (std::size_t i = 0; i < n.inputs.size(); ++i) s->reads.push_back(b.input_slot(id, i));
        for (std::size_t p = 0; p < n.outputs.size(); ++p) s->writes.push_back(b.output_slot(id, p));
        return s;
    }
};

}  // namespace moir::runtime::steps

#endif  // MOIR_RUNTIME_STEPS_REFERENCE_HPP
