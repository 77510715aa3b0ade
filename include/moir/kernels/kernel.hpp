#ifndef MOIR_KERNELS_KERNEL_HPP
#define MOIR_KERNELS_KERNEL_HPP

// THE KERNEL CONCEPT. A kernel is a specialization of
//
//   template <class Op, class Prec, class Arch, class = void> struct moir::kernels::kernel;
//
// for an op type, a precision type (moir::fp32, moir::fp16, moir::int8, or moir::any_precision for
// kernels that handle every element type at run time) and an arch tag (moir::arch::reference, or a
// SIMD arch). The primary template says `available = false`: "no kernel" is a value, not an error,
// so a selector can walk a candidate list and take the first available one.
//
// A reference kernel (Arch = arch::reference, Prec = any_precision) exists for every op; it is the
// oracle every fast kernel is tested against. Its form:
//
//   template <> struct kernel<ops::relu, any_precision, arch::reference> {
//       static constexpr bool available = true;
//       static void run(const ops::relu::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out);
//   };
//
// requires (run): `out` holds tensors already allocated with the types and shapes that Op::infer
// gave for these inputs (the executor does this); `in` holds every input's value.
// ensures (run): the outputs hold the op's result; inputs are not modified.

#include <moir/core/tensor.hpp>

#include <string_view>  // string_view
#include <vector>       // vector

namespace moir {

/// Precision tags. `storage` is the element type kernels read and write.
struct fp32 { using storage = float; static constexpr std::string_view name = "fp32"; };
struct fp16 { using storage = half; static constexpr std::string_view name = "fp16"; };
struct int8 { using storage = std::int8_t; static constexpr std::string_view name = "int8"; };
/// The precision of kernels that accept any element type and switch on it at run time.
struct any_precision { static constexpr std::string_view name = "any"; };

namespace arch {
/// The portable scalar arch: always compiled in, always available.
struct reference {
    static constexpr std::string_view name = "reference";
    static constexpr bool supported() { return true; }
    static bool available() { return true; }
};
}  // namespace arch

namespace kernels {

/// The kernel table: specialize for (Op, Prec, Arch). Primary: no kernel.
template <class Op, class Prec, class Arch, class = void>
struct kernel {
    static constexpr bool available = false;
};

template <class Op, class Prec, class Arch>
inline constexpr bool has_kernel_v = kernel<Op, Prec, Arch>::available;

/// The signature of an erased reference kernel entry.
using run_fn = void (*)(const void* attrs, const std::vector<tensor>& in, std::vector<tensor>& out);

}  // namespace kernels
}  // namespace moir

#endif  // MOIR_KERNELS_KERNEL_HPP
