#ifndef MOIR_KERNELS_REFERENCE_IO_HPP
#define MOIR_KERNELS_REFERENCE_IO_HPP

// Reference kernels of the structural ops. The executors feed Parameters and read Results
// themselves; these kernels exist so that every op has an oracle (constant folding runs them too).

#include <moir/kernels/kernel.hpp>
#include <moir/ops/constant.hpp>
#include <moir/ops/parameter.hpp>
#include <moir/ops/result.hpp>

#include <vector>  // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::constant> {
    static constexpr bool available = true;
    static void run(const ops::constant::attrs& a, const std::vector<tensor>&, std::vector<tensor>& out) { out[0] = a.value; }
};
template <>
struct reference_kernel<ops::parameter> {
    static constexpr bool available = true;
    static void run(const ops::parameter::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        if (!in.empty()) out[0] = in[0];
    }
};
template <>
struct reference_kernel<ops::result> {
    static constexpr bool available = true;
    static void run(const no_attrs&, const std::vector<tensor>&, std::vector<tensor>&) {}
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_IO_HPP
