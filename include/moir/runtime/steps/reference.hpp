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
#include <functional>  // function
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

/// Runs one node that owns bodies (If, Loop, TensorIterator): its op's run_bodies decides what runs,
/// each body on an engine of its own (a compiled plan, made once and reused for every iteration and
/// every run), else the reference executor runs the node.
class body_step final : public step {
public:
    std::vector<tensor> (*evaluate)(const node&, const std::vector<tensor>&) = nullptr;
    body_kernel run_bodies = nullptr;  ///< the op's run_bodies
    std::vector<body_engine> engines;  ///< one per body, or empty
    node n;                            ///< a copy sharing the bodies

    void run(const run_context& ctx) const override {
        std::vector<tensor> in;
        in.reserve(reads.size());
        for (std::size_t s : reads) in.push_back(ctx.value(s));
        std::vector<tensor> out;
        if (run_bodies && !engines.empty()) {
            const std::function<std::vector<tensor>(std::size_t, const std::vector<tensor>&)> run_body =
                [&](std::size_t b, const std::vector<tensor>& body_in) { return engines.at(b)(body_in); };
            try {
                out = run_bodies(n.attrs, n.bodies, in, run_body);
            } catch (const std::exception& e) {
                throw error("node '" + name + "' (" + ops + "): " + e.what());
            }
        } else {
            out = evaluate(n, in);  // errors name the node
        }
        for (std::size_t i = 0; i < writes.size(); ++i) {
            const slot& w = ctx.at(writes[i]);
            MOIR_CHECK(out.at(i).dims() == w.dims && out[i].type() == w.type, error,
                       "node '" + name + "' (" + ops + "): output " + std::to_string(i) + " is [" +
                           to_string(out[i].dims()) + "], the plan expected [" + to_string(w.dims) + "]");
            if (w.where == slot::kind::arena && w.alias == no_slot) ctx.store(writes[i], out[i]);
        }
    }
};

/// The family: every node whose op has a reference kernel.
struct reference {
    static constexpr std::string_view name = "reference";
    static std::unique_ptr<step> make(plan_builder& b, node_id id) {
        const node& n = b.at(id);
        if (!n.bodies.empty()) {
            MOIR_CHECK(b.evaluate_bodies, unsupported_error, "node '" + n.name + "': this plan cannot run bodies");
            auto s = std::make_unique<body_step>();
            s->evaluate = b.evaluate_bodies;
            s->run_bodies = b.body_kernel_of ? b.body_kernel_of(n) : nullptr;
            if (s->run_bodies && b.make_body_engine)
                for (const auto& body : n.bodies) s->engines.push_back(b.make_body_engine(*body));
            s->n = n;
            s->name = n.name;
            s->ops = std::string(n.op->ir_name);
            s->kernel = "bodies";
            for (std::size_t i = 0; i < n.inputs.size(); ++i) s->reads.push_back(b.input_slot(id, i));
            for (std::size_t p = 0; p < n.outputs.size(); ++p) s->writes.push_back(b.output_slot(id, p));
            return s;
        }
        if (b.prepare) b.prepare(n);  // e.g. OnnxFallback's onnxruntime session, once per node
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
