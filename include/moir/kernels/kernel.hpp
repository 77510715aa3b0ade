#ifndef MOIR_KERNELS_KERNEL_HPP
#define MOIR_KERNELS_KERNEL_HPP

// THE REFERENCE KERNEL CONCEPT. Every op has a scalar reference kernel, a specialization of
//
//   template <class Op, class = void> struct moir::kernels::reference_kernel;
//
// It is the oracle every fast kernel is tested against, and what the reference executor runs. The
// primary template says `available = false`: "no kernel" is a value, checked at compile time where
// an opset is instantiated. Its form:
//
//   template <> struct reference_kernel<ops::relu> {
//       static constexpr bool available = true;
//       static void run(const ops::relu::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out);
//   };
//
// requires (run): `out` holds tensors already allocated with the types and shapes that Op::infer
// gave for these inputs (the executor does this); `in` holds every input's value, of any element
// type the op accepts (the kernel switches on it at run time).
// ensures (run): the outputs hold the op's result; inputs are not modified.
//
// The fast kernels are not specializations of a table: they are plan steps (runtime/steps/) over the
// per-arch kernel families of kernels/simd/, chosen when a plan is compiled.

#include <moir/core/tensor.hpp>

#include <string_view>  // string_view
#include <vector>       // vector

namespace moir {

namespace arch {
/// The portable scalar arch: always compiled in, always available.
struct reference {
    static constexpr std::string_view name = "reference";
    static constexpr bool supported() { return true; }
    static bool available() { return true; }
};
}  // namespace arch

namespace kernels {

/// The reference kernel of Op: specialize it. Primary: no kernel.
template <class Op, class = void>
struct reference_kernel {
    static constexpr bool available = false;
};

template <class Op>
inline constexpr bool has_reference_kernel_v = reference_kernel<Op>::available;

/// The signature of an erased reference kernel entry.
using run_fn = void (*)(const void* attrs, const std::vector<tensor>& in, std::vector<tensor>& out);

}  // namespace kernels
}  // namespace moir

#endif  // MOIR_KERNELS_KERNEL_HPP
