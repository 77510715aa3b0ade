#ifndef MOIR_KERNELS_REFERENCE_EYE_HPP
#define MOIR_KERNELS_REFERENCE_EYE_HPP

// Reference kernel of Eye: zeros, then the ones, for every element type.

#include <moir/kernels/kernel.hpp>
#include <moir/ops/eye.hpp>

#include <cstddef>  // size_t
#include <cstdint>  // int64_t
#include <cstring>  // memset
#include <vector>   // vector

namespace moir::kernels {

template <>
struct reference_kernel<ops::eye> {
    static constexpr bool available = true;
    static void run(const ops::eye::attrs&, const std::vector<tensor>& in, std::vector<tensor>& out) {
        const shape& s = out[0].dims();
        const std::int64_t rows = s[s.size() - 2], cols = s[s.size() - 1];
        const std::int64_t diag = in[2].at_as<std::int64_t>(0);
        const std::size_t matrices = rows * cols > 0 ? out[0].numel() / static_cast<std::size_t>(rows * cols) : 0;
        if (out[0].bytes()) std::memset(out[0].raw(), 0, out[0].bytes());
        visit_element_type(out[0].type(), [&](auto tag) {
            using T = typename decltype(tag)::type;
            T* y = out[0].data<T>();
            for (std::size_t m = 0; m < matrices; ++m)
                for (std::int64_t r = 0; r < rows; ++r) {
                    const std::int64_t c = r + diag;
                    if (c >= 0 && c < cols)
                        y[m * static_cast<std::size_t>(rows * cols) + static_cast<std::size_t>(r * cols + c)] =
                            convert_value<T>(1);
                }
        });
    }
};

}  // namespace moir::kernels

#endif  // MOIR_KERNELS_REFERENCE_EYE_HPP
