#ifndef MOIR_RUNTIME_REFERENCE_EXECUTOR_DECL_HPP
#define MOIR_RUNTIME_REFERENCE_EXECUTOR_DECL_HPP

// The reference executor's class, its members declared and not defined: what a program of the
// compiled form (moir::compiled, MOIR_COMPILED_LIBRARY: moir/moir.hpp's light mode) sees, so that
// its translation units compile none of the reference kernels. The members are defined in
// runtime/reference_executor.hpp, which includes this header; moir::compiled's core TU compiles
// reference_executor<opsets::all> from there (cmake/compiled/core.cpp.in).

#include <moir/core/limits.hpp>
#include <moir/core/model.hpp>
#include <moir/ops/opset.hpp>

#include <cstddef>     // size_t
#include <cstdint>     // uint64_t
#include <functional>  // function
#include <vector>      // vector

namespace moir {

/// Runs a model with the reference kernels.
/// requires: the model validates. Inputs are given in the order of model::parameters.
template <class OpSet = opsets::all>
class reference_executor {
public:
    /// Called after each node with its outputs (e.g. to dump intermediates); may be empty.
    using observer = std::function<void(node_id, const std::vector<tensor>&)>;

    /// ensures: throws moir::shape_error naming the node when a shape the model declares has more
    /// than max_elements elements (check_tensor_sizes); run() checks the shapes it meets the same way.
    /// Kernel state is made here, once per node (prepare_node: OnnxFallback's onnxruntime session).
    explicit reference_executor(const model& m, std::uint64_t max_elements = default_max_elements);

    /// ensures: one tensor per model output, in model::results order. Throws moir::error naming the
    /// input when its type or shape does not fit the Parameter, and the node when a kernel fails.
    std::vector<tensor> run(const std::vector<tensor>& inputs, const observer& watch = {}) const;

private:
    const model& m_;
    std::vector<node_id> order_;
    std::vector<std::size_t> last_use_;
    std::uint64_t max_elements_;
};

}  // namespace moir

#endif  // MOIR_RUNTIME_REFERENCE_EXECUTOR_DECL_HPP
