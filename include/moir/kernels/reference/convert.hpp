#ifndef MOIR_KERNELS_REFERENCE_CONVERT_HPP
#define MOIR_KERNELS_REFERENCE_CONVERT_HPP

#include <moir/kernels/kernel.hpp>
#include <moir/ops/convert.hpp>

#include <cmath>    // isnan
#include <vector>   // vector

namespace moir::kernels {

/// Reference Convert: per-element conversion (floats to integers truncate toward zero).
template <>
struct reference_kernel<ops::convert> {
    static constexpr bool available = true;
    static void run(const ops::convert::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        out[0] = in[0].converted(out[0].type());
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_CONVERT_HPP
