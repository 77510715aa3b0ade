#ifndef MOIR_KERNELS_REFERENCE_ONNX_FALLBACK_HPP
#define MOIR_KERNELS_REFERENCE_ONNX_FALLBACK_HPP

// The kernel of OnnxFallback (ops/onnx_fallback.hpp): the part's ONNX model run by onnxruntime
// (runtime/onnxruntime.hpp). The session is made once per node, by prepare() (the executors call it
// when they are built: the reference executor's constructor, a plan's compile), and shared by every
// copy of the node's attrs.

#include <moir/core/errors.hpp>
#include <moir/core/tensor.hpp>
#include <moir/kernels/kernel.hpp>
#include <moir/ops/onnx_fallback.hpp>
#include <moir/runtime/onnxruntime.hpp>

#include <memory>  // shared_ptr, make_shared, static_pointer_cast
#include <mutex>   // lock_guard
#include <string>  // string
#include <vector>  // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::onnx_fallback> {
    static constexpr bool available = true;

    /// The node's session, made on the first call. ensures: throws moir::error when onnxruntime
    /// cannot be loaded (naming where it was looked for) or rejects the model.
    static const onnxruntime::session& session_of(const ops::onnx_fallback::attrs& a) {
        MOIR_CHECK(a.model.payload && !a.model.bytes().empty(), error, "the OnnxFallback node holds no ONNX model");
        const ops::onnx_part_payload& p = *a.model.payload;
        std::lock_guard<std::mutex> g(p.lock);
        if (!p.session) p.session = std::make_shared<onnxruntime::session>(p.bytes, "the ONNX part");
        return *std::static_pointer_cast<onnxruntime::session>(p.session);
    }
    /// Makes the session (the executors call it once per node, when they are built).
    static void prepare(const ops::onnx_fallback::attrs& a) { session_of(a); }
    /// Runs the part; the outputs have the shapes onnxruntime gives them.
    static std::vector<tensor> run_dynamic(const ops::onnx_fallback::attrs& a, const std::vector<tensor>& in) {
        return session_of(a).run(in);
    }
    /// requires: `out` allocated as infer says. ensures: throws moir::error when onnxruntime's
    /// outputs are of other types or shapes.
    static void run(const ops::onnx_fallback::attrs& a, const std::vector<tensor>& in, std::vector<tensor>& out) {
        std::vector<tensor> r = run_dynamic(a, in);
        MOIR_CHECK(r.size() == out.size(), error,
                   "the ONNX part gave " + std::to_string(r.size()) + " outputs, expected " + std::to_string(out.size()));
        for (std::size_t i = 0; i < r.size(); ++i) {
            MOIR_CHECK(r[i].type() == out[i].type() && r[i].dims() == out[i].dims(), error,
                       "output " + std::to_string(i) + " of the ONNX part is " + std::string(ir_name(r[i].type())) + "[" +
                           to_string(r[i].dims()) + "], expected " + std::string(ir_name(out[i].type())) + "[" +
                           to_string(out[i].dims()) + "]");
            out[i] = std::move(r[i]);
        }
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_ONNX_FALLBACK_HPP
